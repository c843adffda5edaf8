# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:
    """The action_group attribute, once per membership, so every module documents module_defaults alike.

    A module is in the group of every service whose connection options it takes (meta/runtime.yml).
    """

    DOCUMENTATION = r"""
options: {}
"""

    SCAIVAULT_GROUP = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/scailabs.scaivault.scaivault) in C(module_defaults) to set the ScaiVault connection
      options once for many tasks.
    support: full
    membership:
      - scailabs.scaivault.scaivault
"""

    ASM_GROUP = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/scailabs.scaivault.asm) in C(module_defaults) to set the AWS connection options once
      for many tasks.
    support: full
    membership:
      - scailabs.scaivault.asm
"""

    BOTH_GROUPS = r"""
options: {}
attributes:
  action_group:
    description: This module talks to both services. It receives the ScaiVault options from
      C(group/scailabs.scaivault.scaivault) and the AWS options from C(group/scailabs.scaivault.asm) in
      C(module_defaults); set both groups side by side.
    support: full
    membership:
      - scailabs.scaivault.asm
      - scailabs.scaivault.scaivault
"""

    REPORTS = r"""
options: {}
attributes:
  action_group:
    description: Talks to no service; use C(group/scailabs.scaivault.reports) in C(module_defaults) to set its
      options (such as the file mode) once for many tasks.
    support: full
    membership:
      - scailabs.scaivault.reports
"""
