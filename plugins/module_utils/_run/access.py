# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Apply access policies (create, replace rules, bind, unbind, delete) and ask the access test endpoint.

The planning is _plan/access_policy.py; the API shapes are _clients/policies.py.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients import policies as api
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError, ScaiVaultUnknownOutcome
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.access_policy import (
    binding_changes, literal_prefix, normalize_bindings, normalize_rules, pattern_matches, policy_changes, policy_view)
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.webhook import find_by_name


def stored_policies(client):
    """{name: policy summary} of the tenant (one listing for every policy a run manages)."""
    summaries = api.list_policies(client)
    return dict((item.get("name"), item) for item in summaries), summaries


def find_policy(client, name, summaries):
    found = find_by_name(summaries, name, "access policy")
    return api.get_policy(client, found["id"]) if found else None


def apply_policy(client, spec, summaries, purge_bindings, check_mode):
    """Bring one policy to ``spec`` {name, state, description, rules, bindings}; the outcome (no values exist here)."""
    name = spec["name"]
    policy = find_policy(client, name, summaries)
    outcome = {"name": name, "changed": False, "changed_fields": [], "bindings_added": [], "bindings_removed": []}
    if spec.get("state", "present") == "absent":
        outcome.update(changed=policy is not None, before=policy_view(policy), after={}, policy={})
        if policy and not check_mode:
            api.delete_policy(client, policy["id"], force=True)
        return outcome
    rules = normalize_rules(spec["rules"]) if spec.get("rules") is not None else None
    if policy is None and not rules:
        raise PlanError("access policy %s does not exist; to create it, give its rules" % name)
    wanted_bindings = normalize_bindings(spec["bindings"]) if spec.get("bindings") is not None else None
    changes = policy_changes(policy, spec.get("description"), rules)
    to_add, to_remove = binding_changes((policy or {}).get("bindings"), wanted_bindings, purge_bindings)
    outcome.update(changed=bool(policy is None or changes or to_add or to_remove), changed_fields=sorted(changes),
                   bindings_added=[item["identity_id"] for item in to_add],
                   bindings_removed=[item.get("identity_id") for item in to_remove])
    planned = dict(policy or {"name": name}, **changes)
    kept = [item for item in (policy or {}).get("bindings") or [] if item not in to_remove]
    planned["bindings"] = kept + to_add
    if outcome["changed"] and not check_mode:
        planned = write(client, policy, name, changes, to_add, to_remove)
    outcome.update(before=policy_view(policy), after=policy_view(planned), policy=policy_view(planned))
    return outcome


def write(client, policy, name, changes, to_add, to_remove):
    if policy is None:
        body = dict(changes, name=name)
        try:
            policy = api.create_policy(client, body)
        except ScaiVaultUnknownOutcome:
            # No idempotency key: look for it by name instead of posting twice.
            _by_name, summaries = stored_policies(client)
            policy = find_policy(client, name, summaries)
            if policy is None:
                raise
    elif changes:
        # PUT replaces rules and metadata (bindings are kept): send the whole wanted policy.
        body = {"name": name, "description": changes.get("description", policy.get("description")),
                "rules": changes.get("rules", normalize_rules(policy.get("rules")))}
        api.replace_policy(client, policy["id"], body)
    for binding in to_add:
        api.add_binding(client, policy["id"], binding)
    for binding in to_remove:
        api.remove_binding(client, policy["id"], binding["id"])
    return api.get_policy(client, policy["id"])


def run_checks(client, checks):
    """[{identity_id, path, permission, allowed, matched_policy_id, matched_policy_name}] from the test endpoint."""
    results = []
    for check in checks:
        answer = api.test_access(client, check["identity_id"], check["path"], check.get("permission") or "read")
        results.append(dict(identity_id=check["identity_id"], path=check["path"],
                            permission=check.get("permission") or "read", **answer))
    return results


def consumer_checks(client, policies):
    """The checks of consumer read policies: every bound identity on every live secret under the policy's patterns.

    Listing is metadata only (scope secrets:list, audited as list): nothing is read. Returns (checks, empty patterns).
    """
    checks, empty = [], []
    for policy in policies:
        for pattern in policy["patterns"]:
            paths = sorted(item.get("path") for item in client.list_secrets(prefix=literal_prefix(pattern))
                           if isinstance(item, dict) and isinstance(item.get("path"), str)
                           and pattern_matches(pattern, item["path"]))
            if not paths:
                empty.append(pattern)
            for binding in policy["bindings"]:
                checks.extend({"identity_id": binding["identity_id"], "path": path, "permission": "read",
                               "namespace": policy["namespace"]} for path in paths)
    return checks, empty
