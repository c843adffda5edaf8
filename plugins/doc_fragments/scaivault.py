# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.plugin_utils._doc_fragments import fragment
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.options import (
    SCAIVAULT_CONNECTION, module_docs, plugin_docs)


class ModuleDocFragment:
    """ScaiVault connection options, in two flavours: modules and plugins (lookups).

    Generated from the option group in module_utils/_common/options.py, the same data the
    argument specs, the environment fallbacks and the lookup read.
    """

    # Modules cannot declare env:, so the environment variables are named in prose.
    DOCUMENTATION = fragment(
        module_docs(SCAIVAULT_CONNECTION),
        notes=["The module runs where the task runs (usually the controller or an execution environment) and needs "
               "the C(httpx) Python library there."])

    # Lookups and other plugins get real env/ini/vars entries from the config manager.
    PLUGINS = fragment(plugin_docs(SCAIVAULT_CONNECTION, ini_section="scaivault", var_prefix="ansible_scaivault_"))
