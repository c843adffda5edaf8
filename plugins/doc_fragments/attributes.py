# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    """The action_group attribute, once per group, so every module documents module_defaults alike."""

    DOCUMENTATION = r"""
options: {}
"""

    SCAIVAULT_GROUP = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/scailabs.scaivault.scaivault) or C(group/scailabs.scaivault.all) in C(module_defaults)
      to set connection options once for many tasks.
    support: full
    membership:
      - scailabs.scaivault.all
      - scailabs.scaivault.scaivault
"""

    ASM_GROUP = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/scailabs.scaivault.asm) or C(group/scailabs.scaivault.all) in C(module_defaults)
      to set connection options once for many tasks.
    support: full
    membership:
      - scailabs.scaivault.all
      - scailabs.scaivault.asm
"""
