# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Plan the ScaiVault path of every ASM name: mapping rules, naming policy, path rules, collisions.

Every name ends with a status, so nothing is silently dropped:
  ok         path is where the secret goes
  unmapped   no mapping rule matched (path None)
  invalid    the mapped path breaks the path rules under the naming policy (path = that candidate)
  collision  two or more names land on one valid path; all of them are refused

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import namedtuple

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.mapping import compile_rules, map_name
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.paths import check_naming_policy, normalize_name, path_problems

STATUS_OK = "ok"
STATUS_UNMAPPED = "unmapped"
STATUS_INVALID = "invalid"
STATUS_COLLISION = "collision"

TargetPlan = namedtuple("TargetPlan", ["status", "path", "reason", "collides_with"])


def _plan_one(name, rules, naming_policy):
    """Map and check one name, without looking at the other names."""
    mapped, index = map_name(rules, name)
    if mapped is None:
        return TargetPlan(
            STATUS_UNMAPPED, None,
            "no mapping rule matches %r; add a rule for it or leave it in ASM" % name, [])
    path = normalize_name(mapped, naming_policy)
    problems = path_problems(path)
    if problems:
        rule = rules[index]
        fix = "add a mapping rule that gives a valid path"
        if naming_policy != "normalize":
            fix += ", or set naming_policy to 'normalize'"
        return TargetPlan(
            STATUS_INVALID, path,
            "mapping rule %d (%r -> %r) and naming policy %r give %r, which %s; %s"
            % (index + 1, rule.source, rule.target, naming_policy, path, "; ".join(problems), fix),
            [])
    return TargetPlan(STATUS_OK, path, None, [])


def plan_targets(names, rules, naming_policy="strict"):
    """Return {name: TargetPlan} for every name, sorted by name; see the module docstring for statuses."""
    check_naming_policy(naming_policy)
    rules = compile_rules(rules)
    plans = dict((name, _plan_one(name, rules, naming_policy)) for name in sorted(set(names)))
    by_path = {}
    for name, plan in plans.items():
        if plan.status == STATUS_OK:
            by_path.setdefault(plan.path, []).append(name)
    for path, sharing in by_path.items():
        if len(sharing) < 2:
            continue
        for name in sharing:
            others = [other for other in sharing if other != name]
            plans[name] = TargetPlan(
                STATUS_COLLISION, path,
                "%r and %s land on the same path %r; none of them is migrated until a mapping "
                "rule sends them to different paths" % (name, ", ".join(repr(o) for o in others), path),
                others)
    return plans


def explicit_paths_problem(paths):
    """Why an explicit {ASM name: ScaiVault path} map (a paths option) cannot be used, or None."""
    for name, path in (paths or {}).items():
        problems = path_problems(path)
        if problems:
            return "paths: the target of %s, %r, %s" % (name, path, "; ".join(problems))
    return None
