# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The naming_policy doc fragment describes exactly the policies _common/paths.py implements."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import yaml


def test_naming_policy_docs_describe_every_policy_the_code_has():
    from ansible_collections.scailabs.scaivault.plugins.doc_fragments.naming import ModuleDocFragment
    from ansible_collections.scailabs.scaivault.plugins.module_utils._common.paths import NAMING_POLICIES
    option = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]["naming_policy"]
    assert option["choices"] == list(NAMING_POLICIES)
    text = " ".join(option["description"])
    for policy in NAMING_POLICIES:
        assert "C(%s)" % policy in text
    assert "collision" in text
