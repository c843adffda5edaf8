# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module sits in an action group, so module_defaults reaches it (hashi_vault#251)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def load_runtime():
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as handle:
        return yaml.safe_load(handle)


def module_names():
    folder = os.path.join(ROOT, "plugins", "modules")
    return sorted(name[:-3] for name in os.listdir(folder) if name.endswith(".py") and not name.startswith("_"))


def test_every_module_is_in_its_service_group():
    groups = load_runtime()["action_groups"]
    for module in module_names():
        group = "asm" if module.startswith("asm_") else "scaivault"
        assert module in groups[group], "%s is missing from action group %r in meta/runtime.yml" % (module, group)


def test_groups_hold_only_existing_modules():
    groups = load_runtime()["action_groups"]
    existing = set(module_names())
    for group in ("asm", "scaivault"):
        assert set(groups[group] or []) <= existing


def test_all_group_extends_both_service_groups():
    groups = load_runtime()["action_groups"]
    extends = groups["all"][0]["metadata"]["extend_group"]
    assert sorted(extends) == ["scailabs.scaivault.asm", "scailabs.scaivault.scaivault"]


def test_module_docs_declare_their_action_group():
    for module in module_names():
        with open(os.path.join(ROOT, "plugins", "modules", module + ".py")) as handle:
            source = handle.read()
        group = "asm" if module.startswith("asm_") else "scaivault"
        # Either inline or through the shared attributes doc fragment of that group.
        inline = re.search(r"action_group:.*?membership:.*?scailabs\.scaivault\.%s" % group, source, re.S)
        fragment = "- scailabs.scaivault.attributes.%s_group" % group in source
        assert inline or fragment, "%s does not document its action group %s" % (module, group)


def test_attribute_fragments_match_runtime_groups():
    from ansible_collections.scailabs.scaivault.plugins.doc_fragments.attributes import ModuleDocFragment
    for group in ("asm", "scaivault"):
        fragment = yaml.safe_load(getattr(ModuleDocFragment, group.upper() + "_GROUP"))
        membership = fragment["attributes"]["action_group"]["membership"]
        assert membership == ["scailabs.scaivault.all", "scailabs.scaivault.%s" % group]
