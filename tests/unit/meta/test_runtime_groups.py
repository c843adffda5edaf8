# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action groups compose: a module is in the group of every service whose options it takes (hashi_vault#251).

So module_defaults for group/scailabs.scaivault.scaivault and group/scailabs.scaivault.asm can be set side by
side and every module receives only options it has. The expected groups are read from each module itself
(the option groups its main() passes to run_module), not from a list kept here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import os

import pytest
import yaml

from ansible_collections.scailabs.scaivault.plugins.module_utils._common import options
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import shared_options

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PREFIX = "ansible_collections.scailabs.scaivault.plugins."


def load_runtime():
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as handle:
        return yaml.safe_load(handle)


def module_names():
    folder = os.path.join(ROOT, "plugins", "modules")
    return sorted(name[:-3] for name in os.listdir(folder) if name.endswith(".py") and not name.startswith("_"))


def module_setup(name, monkeypatch):
    """(the module's own argument spec, the run_module keywords of its main())."""
    module = importlib.import_module(PREFIX + "modules." + name)
    seen = {}

    def fake_run_module(run, argument_spec, scaivault=True, asm=False, **kwargs):
        seen.update(spec=argument_spec, scaivault=scaivault, asm=asm)

    monkeypatch.setattr(module, "run_module", fake_run_module)
    module.main()
    return seen


def expected_groups(seen):
    """The groups of the services a module talks to; one that talks to none is in the reports group."""
    return sorted(group for group, used in (("asm", seen["asm"]), ("scaivault", seen["scaivault"])) if used) or ["reports"]


@pytest.mark.parametrize("name", module_names())
def test_module_is_in_the_group_of_every_service_it_talks_to(name, monkeypatch):
    groups = load_runtime()["action_groups"]
    want = expected_groups(module_setup(name, monkeypatch))
    have = sorted(group for group, members in groups.items() if name in (members or []))
    assert have == want, ("%s takes the options of %s, so meta/runtime.yml must list it in exactly the action "
                          "group(s) %s" % (name, want, want))


@pytest.mark.parametrize("name", module_names())
def test_module_docs_declare_the_same_groups(name, monkeypatch):
    """The attributes fragment a module extends lists the groups meta/runtime.yml puts it in."""
    from ansible_collections.scailabs.scaivault.plugins.doc_fragments.attributes import ModuleDocFragment
    want = ["scailabs.scaivault.%s" % group for group in expected_groups(module_setup(name, monkeypatch))]
    documentation = yaml.safe_load(importlib.import_module(PREFIX + "modules." + name).DOCUMENTATION)
    fragments = [f.split(".")[-1] for f in documentation.get("extends_documentation_fragment", [])
                 if f.startswith("scailabs.scaivault.attributes.")]
    assert len(fragments) == 1, "%s must extend one scailabs.scaivault.attributes.* fragment" % name
    attributes = yaml.safe_load(getattr(ModuleDocFragment, fragments[0].upper()))["attributes"]
    assert sorted(attributes["action_group"]["membership"]) == want


@pytest.mark.parametrize("name", module_names())
def test_no_option_name_or_alias_is_taken_twice(name, monkeypatch):
    """With both groups' defaults applied, a clash would make one option silently feed another."""
    seen = module_setup(name, monkeypatch)
    groups = ((options.SCAIVAULT_CONNECTION,) if seen["scaivault"] else ()) + \
        ((options.AWS_CONNECTION,) if seen["asm"] else ())
    spec = shared_options(*groups)
    assert not set(spec) & set(seen["spec"]), "%s redefines a shared option" % name
    spec.update(seen["spec"])
    names = list(spec) + [alias for value in spec.values() for alias in value.get("aliases") or []]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_groups_hold_only_existing_modules():
    groups = load_runtime()["action_groups"]
    existing = set(module_names())
    assert set(groups) == {"asm", "reports", "scaivault"}
    for members in groups.values():
        assert set(members or []) <= existing
