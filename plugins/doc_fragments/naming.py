# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.plugin_utils._doc_fragments import fragment
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.options import NAMING, module_docs


class ModuleDocFragment:
    """The naming_policy option of every module that maps ASM names to ScaiVault paths.

    Its text is _common/paths.naming_policy_help(), next to the code that applies the policies.
    """

    DOCUMENTATION = fragment(module_docs(NAMING))
