# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Access policy planning (_plan/access_policy.py): rules as sets, bindings, consumers' read policies, globs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.access_policy import (
    binding_changes, consumer_policies, literal_prefix, namespace_patterns, normalize_bindings, normalize_rules,
    pattern_matches, policy_changes)

NAMESPACES = [
    {"name": "billing", "prefixes": ["prod/billing/"], "mapping": [{"match": "prod/billing/**", "path": "environments/production/billing/**"}]},
    {"name": "platform", "prefixes": ["prod/orders/", "prod/payments/"], "names": ["prod/legacy/api"],
     "mapping": [{"match": "prod/**", "path": "environments/production/**"}]},
]


def test_rules_compare_as_sets():
    stored = {"rules": [{"path_pattern": "b/**", "permissions": ["read", "list"], "conditions": {}},
                        {"path_pattern": "a/*", "permissions": ["read"]}]}
    wanted = normalize_rules([{"path_pattern": "a/*", "permissions": ["read", "read"]},
                              {"path_pattern": "b/**", "permissions": ["list", "read"], "conditions": {"ip_ranges": []}}])
    assert policy_changes(stored, rules=wanted) == {}
    assert policy_changes(stored, rules=normalize_rules([{"path_pattern": "a/*", "permissions": ["write"]}])) == {
        "rules": [{"path_pattern": "a/*", "permissions": ["write"]}]}
    assert policy_changes(stored, description="x") == {"description": "x"}


@pytest.mark.parametrize("rules, message", [
    ([{"permissions": ["read"]}], "rules[0] needs a path_pattern"),
    ([{"path_pattern": "a", "permissions": ["peek"]}], "unknown: peek"),
    ([{"path_pattern": "a", "permissions": []}], "permissions must be some of"),
])
def test_bad_rules_name_the_rule(rules, message):
    with pytest.raises(PlanError, match=message.replace("[", r"\[").replace("]", r"\]")):
        normalize_rules(rules)


def test_bindings_types_from_ids_and_purge():
    wanted = normalize_bindings([{"identity_id": "sa:a"}, {"identity_id": "group:g"}, {"identity_id": "alice"}])
    assert [item["identity_type"] for item in wanted] == ["service_account", "group", "user"]
    stored = [{"id": "bnd_1", "identity_type": "service_account", "identity_id": "sa:a"},
              {"id": "bnd_2", "identity_type": "user", "identity_id": "bob"}]
    assert binding_changes(stored, wanted, purge=False) == (wanted[1:], [])
    assert binding_changes(stored, wanted, purge=True) == (wanted[1:], [stored[1]])
    assert binding_changes(stored, None, purge=True) == ([], [])


def test_namespace_patterns_follow_the_mapping_rules():
    assert namespace_patterns(NAMESPACES[0]) == ["environments/production/billing/**"]
    assert namespace_patterns(NAMESPACES[1]) == ["environments/production/legacy/api", "environments/production/orders/**",
                                                 "environments/production/payments/**"]
    with pytest.raises(PlanError, match="namespace x has no mapping rules"):
        namespace_patterns({"name": "x", "prefixes": ["a/"]})


def test_consumer_policies_one_per_namespace_bound_to_its_readers():
    consumers = [{"identity": "sa:b", "namespaces": ["billing"]}, {"identity": "sa:a", "namespaces": ["billing", "platform"]}]
    policies = consumer_policies(NAMESPACES, consumers)
    assert [(item["name"], [b["identity_id"] for b in item["bindings"]]) for item in policies] == [
        ("consumers-billing-read", ["sa:a", "sa:b"]), ("consumers-platform-read", ["sa:a"])]
    assert all(rule["permissions"] == ["read"] for item in policies for rule in item["rules"])
    with pytest.raises(PlanError, match="consumer sa:c lists namespace nope, which is not one of the namespaces"):
        consumer_policies(NAMESPACES, [{"identity": "sa:c", "namespaces": ["nope"]}])


@pytest.mark.parametrize("pattern, path, matches", [
    ("app/db", "app/db", True), ("app/db", "app/db/password", False), ("app/db/*", "app/db/password", True),
    ("app/db/*", "app/db/primary/password", False), ("app/**", "app", True), ("app/**", "app/db/password", True),
    ("app/**", "other/app/db", False), ("**/ssl/*", "app/ssl/cert", True), ("**/ssl/*", "ssl/cert", False),
    ("a/?b", "a/xb", True), ("a/?b", "a/xyb", False),
])
def test_globs_as_the_policy_docs_table(pattern, path, matches):
    assert pattern_matches(pattern, path) is matches


def test_literal_prefix_is_cut_at_a_folder():
    assert literal_prefix("environments/production/orders/**") == "environments/production/orders/"
    assert literal_prefix("a/b*/c") == "a/"
    assert literal_prefix("exact/path") == "exact/path"
    assert literal_prefix("**/x") == ""


@pytest.mark.parametrize("prefix, folder", [
    ("prod/orders", "orders"), ("prod/orders*", "orders"), ("prod/orders**", "orders"), ("prod/BOX", "BOX"),
])
def test_a_prefix_without_its_folder_slash_reads_as_the_folder(prefix, folder):
    namespace = {"name": "orders", "prefixes": [prefix], "mapping": [{"match": "prod/**", "path": "environments/production/**"}]}
    assert namespace_patterns(namespace) == ["environments/production/%s/**" % folder]


def test_a_namespace_that_nothing_maps_names_itself_and_the_fix():
    namespace = {"name": "misc", "prefixes": ["dev/misc/"], "names": ["dev/x"],
                 "mapping": [{"match": "prod/**", "path": "environments/production/**"}]}
    with pytest.raises(PlanError) as err:
        namespace_patterns(namespace)
    assert str(err.value) == ("namespace misc: none of its prefixes or names maps through its mapping rules; "
                              "give it prefixes that its rules match")
    with pytest.raises(PlanError) as err:
        namespace_patterns({"name": "x", "prefixes": ["a/"]})
    assert str(err.value) == "namespace x has no mapping rules: its ScaiVault paths are unknown"


def test_a_consumer_policy_is_planned_whole():
    consumers = [{"identity": "sa:b", "namespaces": ["platform"]}, {"identity": "group:ops", "namespaces": ["platform"]}]
    assert consumer_policies(NAMESPACES, consumers, name_template="read-{namespace}", permissions=("read", "list")) == [{
        "name": "read-platform",
        "description": "Consumers of namespace platform read its migrated secrets (scailabs.scaivault)",
        "rules": [{"path_pattern": "environments/production/legacy/api", "permissions": ["list", "read"]},
                  {"path_pattern": "environments/production/orders/**", "permissions": ["list", "read"]},
                  {"path_pattern": "environments/production/payments/**", "permissions": ["list", "read"]}],
        "bindings": [{"identity_type": "group", "identity_id": "group:ops"},
                     {"identity_type": "service_account", "identity_id": "sa:b"}],
        "namespace": "platform",
        "patterns": ["environments/production/legacy/api", "environments/production/orders/**",
                     "environments/production/payments/**"]}]


@pytest.mark.parametrize("consumers, namespaces, message", [
    (["sa:a"], NAMESPACES,
     "consumers[0] needs an identity (the ScaiKey identity the application reads as)"),
    ([{"identity": "sa:a", "namespaces": ["billing"]}, {"namespaces": ["billing"]}], NAMESPACES,
     "consumers[1] needs an identity (the ScaiKey identity the application reads as)"),
    ([{"identity": "sa:c", "namespaces": ["nope"]}], NAMESPACES,
     "consumer sa:c lists namespace nope, which is not one of the namespaces (billing, platform)"),
    ([{"identity": "sa:c", "namespaces": ["nope"]}], [],
     "consumer sa:c lists namespace nope, which is not one of the namespaces (none)"),
])
def test_a_wrong_consumer_is_named_with_what_it_should_be(consumers, namespaces, message):
    with pytest.raises(PlanError) as err:
        consumer_policies(namespaces, consumers)
    assert str(err.value) == message


@pytest.mark.parametrize("pattern, prefix", [
    ("a/b?/c?d", "a/"), ("a/*/b/*", "a/"), ("a/b?c", "a/"), ("ab*", ""), ("a/b/c?", "a/b/"),
])
def test_literal_prefix_stops_at_the_first_wildcard_of_either_kind(pattern, prefix):
    assert literal_prefix(pattern) == prefix


@pytest.mark.parametrize("pattern, path, matches", [
    ("**", "app/db/password", True), ("**", "app", True), ("**/cert", "cert", False), ("**/cert", "app/cert", True),
    ("app/db", "apx/db", False), ("a.b/c", "axb/c", False),
])
def test_globs_match_literal_characters_and_a_lone_double_star(pattern, path, matches):
    assert pattern_matches(pattern, path) is matches
