# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.mapping import IDENTITY_RULES
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.targets import TargetPlan, plan_targets

RULES = [
    {"match": "prod/**", "path": "environments/production/**"},
    {"match": "shared/*", "path": "shared/integrations/*"},
]


@pytest.mark.parametrize("name, policy, status, path", [
    ("prod/billing/stripe", "strict", "ok", "environments/production/billing/stripe"),
    ("prod", "strict", "ok", "environments/production"),
    ("dev/x", "strict", "unmapped", None),
    ("shared/a/b", "strict", "unmapped", None),
    ("prod/Billing", "strict", "invalid", "environments/production/Billing"),
    ("prod/Billing", "lowercase", "ok", "environments/production/billing"),
    ("prod/db.main", "lowercase", "invalid", "environments/production/db.main"),
    ("prod/db.main", "normalize", "ok", "environments/production/db-main"),
    ("prod/" + "/".join("abcdefghi"), "normalize", "invalid", "environments/production/" + "/".join("abcdefghi")),
])
def test_status_of_a_single_name(name, policy, status, path):
    plan = plan_targets([name], RULES, policy)[name]
    assert (plan.status, plan.path) == (status, path)
    assert plan.collides_with == []
    assert (plan.reason is None) == (status == "ok")


def test_the_naming_policy_applies_to_the_mapped_path_not_the_name():
    # The rule's literal upper case is normalized too, and the glob still matches case-sensitively.
    rules = [{"match": "Prod/*", "path": "Env/*"}]
    assert plan_targets(["Prod/A"], rules, "lowercase")["Prod/A"].path == "env/a"
    assert plan_targets(["prod/a"], rules, "lowercase")["prod/a"].status == "unmapped"


def test_reasons_name_the_input_the_rule_and_the_fix():
    plans = plan_targets(["dev/x", "prod/A+b"], RULES, "strict")
    assert plans["dev/x"].reason == "no mapping rule matches 'dev/x'; add a rule for it or leave it in ASM"
    reason = plans["prod/A+b"].reason
    assert "mapping rule 1 ('prod/**' -> 'environments/production/**') and naming policy 'strict'" in reason
    assert "give 'environments/production/A+b'" in reason
    assert "'A' (upper case), '+'" in reason
    assert reason.endswith("or set naming_policy to 'normalize'")
    deep = "prod/" + "/".join("abcdefghi")
    assert plan_targets([deep], RULES, "normalize")[deep].reason.endswith(
        "has 11 segments (at most 10 allowed); add a mapping rule that gives a valid path")


def test_every_name_in_a_collision_is_refused_and_lists_the_others():
    names = ["prod/A", "prod/a", "prod/a.", "prod/b"]
    plans = plan_targets(names, RULES, "normalize")
    assert plans["prod/b"] == TargetPlan("ok", "environments/production/b", None, [])
    assert plans["prod/a"] == TargetPlan("collision", "environments/production/a", plans["prod/a"].reason, ["prod/A"])
    assert plans["prod/A"].collides_with == ["prod/a"]
    assert plans["prod/a."].status == "ok"
    assert "'prod/a' and 'prod/A' land on the same path 'environments/production/a'" in plans["prod/a"].reason


def test_three_way_collision_is_sorted():
    plans = plan_targets(["x/C", "x/b", "x/B", "x/c", "x/a"], IDENTITY_RULES, "lowercase")
    assert plans["x/c"].collides_with == ["x/C"]
    assert plans["x/B"].collides_with == ["x/b"]
    assert plans["x/a"].status == "ok"
    plans = plan_targets(["q/A", "q/a", "Q/a"], [{"match": "*/*", "path": "t/*/*"}], "normalize")
    assert {name: plan.collides_with for name, plan in plans.items()} == {
        "Q/a": ["q/A", "q/a"], "q/A": ["Q/a", "q/a"], "q/a": ["Q/a", "q/A"]}
    assert all(plan.status == "collision" and plan.path == "t/q/a" for plan in plans.values())


def test_invalid_names_never_collide():
    # Both map to the same invalid path: each is invalid, not a collision.
    plans = plan_targets(["a/x", "b/x"], [{"a/**": "T/**"}, {"b/**": "T/**"}], "strict")
    assert [plan.status for plan in plans.values()] == ["invalid", "invalid"]


def test_output_is_sorted_by_name_and_deterministic():
    names = ["prod/z", "dev/a", "prod/a", "shared/s", "prod/a"]
    first = plan_targets(names, RULES, "strict")
    assert list(first) == ["dev/a", "prod/a", "prod/z", "shared/s"]
    assert plan_targets(reversed(names), RULES, "strict") == first


def test_no_rules_leaves_every_name_unmapped():
    assert plan_targets(["a"], [], "strict")["a"].status == "unmapped"
    assert plan_targets([], RULES, "strict") == {}


def test_bad_policy_and_bad_rules_fail_before_planning():
    with pytest.raises(ValueError, match="unknown naming policy 'Strict'"):
        plan_targets([], RULES, "Strict")
    with pytest.raises(ValueError, match="mapping rule 1"):
        plan_targets(["a"], [{"match": "a/*", "path": "b"}], "strict")


def test_explicit_paths_problem_names_the_secret_and_the_rule():
    from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.targets import explicit_paths_problem

    assert explicit_paths_problem(None) is None and explicit_paths_problem({"prod/a": "environments/a"}) is None
    problem = explicit_paths_problem({"prod/a": "environments/a", "prod/B": "environments/B"})
    assert problem.startswith("paths: the target of prod/B, 'environments/B', ") and "upper case" in problem
