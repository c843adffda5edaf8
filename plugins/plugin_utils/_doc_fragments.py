# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

"""Doc fragments rendered from the option groups (module_utils/_common/options.py).

ansible-doc, validate-modules and antsibull-docs import doc fragments, so a fragment may build
its YAML when it is loaded; this keeps one definition of every shared option.
"""

import yaml


def fragment(options, **sections):
    """The YAML text of a doc fragment: ``options`` plus any other sections (notes, requirements)."""
    document = {"options": options}
    document.update(sections)
    return yaml.safe_dump(document, default_flow_style=False, sort_keys=False, width=120, allow_unicode=True)
