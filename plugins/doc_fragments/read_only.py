# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    """check_mode and diff_mode of the modules that only read, said once."""

    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Read-only, so check mode returns the same as a normal run.
    support: full
  diff_mode:
    description: Read-only, so there is never a difference to show.
    support: N/A
"""
