# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""Doc fragment YAML rendered from the option groups (module_utils/_common/options.py).

scripts/render_doc_fragments.py writes it into plugins/doc_fragments/ (ansible-test reads
fragments as literal strings); a unit test keeps the files equal to this rendering.
"""

import yaml


class _IndentedListDumper(yaml.SafeDumper):
    """Lists indented under their key, as the hand-written docs of the collection are."""

    def increase_indent(self, flow=False, indentless=False):
        return super(_IndentedListDumper, self).increase_indent(flow, False)


def fragment(options, **sections):
    """The YAML text of a doc fragment: ``options`` plus any other sections (notes, requirements)."""
    document = {"options": options}
    document.update(sections)
    return yaml.dump(document, Dumper=_IndentedListDumper, default_flow_style=False, sort_keys=False, width=120,
                     allow_unicode=True)
