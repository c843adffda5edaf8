# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_run/access.py against the dev server in process: what a policy run writes, read back out of band, and the exact
outcomes (https://www.scailabs.ai/en/docs/scaivault/api-guides/policies)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError, ScaiVaultUnknownOutcome
from ansible_collections.scailabs.scaivault.plugins.module_utils._run import access

READ_A = {"path_pattern": "a/**", "permissions": ["read"]}
WRITE_B = {"path_pattern": "b/*", "permissions": ["write", "read"]}


def apply(vault, spec, purge=False, check_mode=False):
    client = vault.client(retries=0)
    _by_name, summaries = access.stored_policies(client)
    return access.apply_policy(client, spec, summaries, purge, check_mode)


def stored(vault, name):
    """The policy of that name as the server holds it (out of band), or None."""
    found = [item for item in vault.http.get("/v1/policies").json()["policies"] if item["name"] == name]
    return vault.http.get("/v1/policies/%s" % found[0]["id"]).json() if found else None


def writes(vault):
    return [(request.method, request.url.path) for request in vault.sent if request.method != "GET"]


def test_a_new_policy_is_created_with_its_bindings_then_left_alone(inprocess_vault):
    spec = {"name": "p", "description": "readers", "rules": [READ_A], "bindings": [{"identity_id": "sa:billing"}]}
    outcome = apply(inprocess_vault, spec)
    policy = stored(inprocess_vault, "p")
    assert (policy["description"], policy["rules"]) == ("readers", [READ_A])
    assert [(item["identity_type"], item["identity_id"]) for item in policy["bindings"]] == [("service_account", "sa:billing")]
    view = {"id": policy["id"], "name": "p", "description": "readers", "is_active": True, "rules": [READ_A],
            "bindings": [{"identity_type": "service_account", "identity_id": "sa:billing"}]}
    assert outcome == {"name": "p", "changed": True, "changed_fields": ["description", "rules"],
                       "bindings_added": ["sa:billing"], "bindings_removed": [], "before": {}, "after": view, "policy": view}
    assert writes(inprocess_vault) == [("POST", "/v1/policies"), ("POST", "/v1/policies/%s/bindings" % policy["id"])]
    del inprocess_vault.sent[:]
    again = apply(inprocess_vault, spec)
    assert again == {"name": "p", "changed": False, "changed_fields": [], "bindings_added": [], "bindings_removed": [],
                     "before": view, "after": view, "policy": view}
    assert writes(inprocess_vault) == []


def test_new_rules_replace_the_old_ones_keeping_name_description_and_bindings(inprocess_vault):
    apply(inprocess_vault, {"name": "p", "description": "readers", "rules": [READ_A], "bindings": [{"identity_id": "u1"}]})
    policy_id = stored(inprocess_vault, "p")["id"]
    del inprocess_vault.sent[:]
    outcome = apply(inprocess_vault, {"name": "p", "rules": [WRITE_B]})
    put = [request for request in inprocess_vault.sent if request.method == "PUT"]
    assert json.loads(put[0].content) == {"name": "p", "description": "readers",
                                          "rules": [{"path_pattern": "b/*", "permissions": ["read", "write"]}]}
    assert writes(inprocess_vault) == [("PUT", "/v1/policies/%s" % policy_id)]
    assert (outcome["changed"], outcome["changed_fields"]) == (True, ["rules"])
    assert outcome["before"]["rules"] == [READ_A] and outcome["after"]["rules"] == [
        {"path_pattern": "b/*", "permissions": ["read", "write"]}]
    policy = stored(inprocess_vault, "p")
    assert (policy["description"], [item["identity_id"] for item in policy["bindings"]]) == ("readers", ["u1"])


def test_a_new_description_sends_the_stored_rules(inprocess_vault):
    apply(inprocess_vault, {"name": "p", "rules": [WRITE_B]})
    del inprocess_vault.sent[:]
    outcome = apply(inprocess_vault, {"name": "p", "description": "now described"})
    put = [request for request in inprocess_vault.sent if request.method == "PUT"]
    assert json.loads(put[0].content) == {"name": "p", "description": "now described",
                                          "rules": [{"path_pattern": "b/*", "permissions": ["read", "write"]}]}
    assert outcome["changed_fields"] == ["description"] and stored(inprocess_vault, "p")["description"] == "now described"


@pytest.mark.parametrize("purge, left", [(True, ["u2"]), (False, ["u1", "u2"])])
def test_bindings_are_added_and_removed_only_when_purging(inprocess_vault, purge, left):
    apply(inprocess_vault, {"name": "p", "rules": [READ_A], "bindings": [{"identity_id": "u1"}]})
    outcome = apply(inprocess_vault, {"name": "p", "bindings": [{"identity_id": "u2"}]}, purge=purge)
    assert (outcome["changed"], outcome["bindings_added"], outcome["bindings_removed"]) == (
        True, ["u2"], ["u1"] if purge else [])
    assert sorted(item["identity_id"] for item in stored(inprocess_vault, "p")["bindings"]) == left
    assert [item["identity_id"] for item in outcome["after"]["bindings"]] == left


def test_check_mode_plans_the_same_outcome_and_writes_nothing(inprocess_vault):
    apply(inprocess_vault, {"name": "p", "rules": [READ_A], "bindings": [{"identity_id": "u1"}]})
    before = stored(inprocess_vault, "p")
    del inprocess_vault.sent[:]
    outcome = apply(inprocess_vault, {"name": "p", "rules": [WRITE_B], "bindings": [{"identity_id": "u2"}]}, purge=True,
                    check_mode=True)
    assert writes(inprocess_vault) == []
    assert stored(inprocess_vault, "p") == before
    assert (outcome["changed"], outcome["changed_fields"], outcome["bindings_added"], outcome["bindings_removed"]) == (
        True, ["rules"], ["u2"], ["u1"])
    assert outcome["after"]["rules"] == [{"path_pattern": "b/*", "permissions": ["read", "write"]}]
    assert outcome["after"]["bindings"] == [{"identity_type": "user", "identity_id": "u2"}]
    created = apply(inprocess_vault, {"name": "q", "rules": [READ_A]}, check_mode=True)
    assert created["changed"] is True and created["after"] == {"name": "q", "rules": [READ_A], "bindings": []}
    assert stored(inprocess_vault, "q") is None and writes(inprocess_vault) == []


def test_absent_deletes_a_bound_policy_and_then_has_nothing_to_do(inprocess_vault):
    apply(inprocess_vault, {"name": "p", "rules": [READ_A], "bindings": [{"identity_id": "u1"}]})
    view = access.policy_view(stored(inprocess_vault, "p"))
    checked = apply(inprocess_vault, {"name": "p", "state": "absent"}, check_mode=True)
    assert checked["changed"] is True and stored(inprocess_vault, "p") is not None
    outcome = apply(inprocess_vault, {"name": "p", "state": "absent"})
    assert outcome == {"name": "p", "changed": True, "changed_fields": [], "bindings_added": [], "bindings_removed": [],
                       "before": view, "after": {}, "policy": {}}
    assert stored(inprocess_vault, "p") is None
    assert apply(inprocess_vault, {"name": "p", "state": "absent"})["changed"] is False


def test_a_policy_that_does_not_exist_needs_rules(inprocess_vault):
    with pytest.raises(PlanError) as info:
        apply(inprocess_vault, {"name": "p", "bindings": [{"identity_id": "u1"}]})
    assert str(info.value) == "access policy p does not exist; to create it, give its rules"
    assert writes(inprocess_vault) == []


def test_a_create_whose_answer_was_lost_is_found_by_name_not_posted_twice(inprocess_vault):
    inprocess_vault.faults([{"kind": "drop_after", "method": "POST", "path_regex": "^/v1/policies$", "count": 1}])
    outcome = apply(inprocess_vault, {"name": "p", "rules": [READ_A]})
    assert writes(inprocess_vault) == [("POST", "/v1/policies")]
    assert outcome["changed"] is True and outcome["policy"]["id"] == stored(inprocess_vault, "p")["id"]


def test_a_create_that_never_arrived_is_an_unknown_outcome(inprocess_vault):
    inprocess_vault.faults([{"kind": "drop_before", "method": "POST", "path_regex": "^/v1/policies$", "count": 1}])
    with pytest.raises(ScaiVaultUnknownOutcome):
        apply(inprocess_vault, {"name": "p", "rules": [READ_A]})
    assert stored(inprocess_vault, "p") is None


def test_checks_ask_the_test_endpoint_read_by_default(inprocess_vault):
    apply(inprocess_vault, {"name": "p", "rules": [READ_A], "bindings": [{"identity_id": "u1"}]})
    policy_id = stored(inprocess_vault, "p")["id"]
    results = access.run_checks(inprocess_vault.client(retries=0), [
        {"identity_id": "u1", "path": "a/x"}, {"identity_id": "u1", "path": "a/x", "permission": "write"},
        {"identity_id": "u2", "path": "a/x", "permission": None}])
    assert results == [
        {"identity_id": "u1", "path": "a/x", "permission": "read", "allowed": True, "matched_policy_id": policy_id,
         "matched_policy_name": "p"},
        {"identity_id": "u1", "path": "a/x", "permission": "write", "allowed": False, "matched_policy_id": None,
         "matched_policy_name": None},
        {"identity_id": "u2", "path": "a/x", "permission": "read", "allowed": False, "matched_policy_id": None,
         "matched_policy_name": None}]
    assert [json.loads(request.content)["permission"] for request in inprocess_vault.sent
            if request.url.path == "/v1/policies/test"] == ["read", "write", "read"]


def test_consumer_checks_cover_every_bound_identity_on_every_matching_secret(inprocess_vault):
    for path in ("app/prod/db", "app/prod/api", "app/prodx/db", "app/stage/db", "other/prod/db"):
        inprocess_vault.put(path, {"k": "v"})
    policies = [{"namespace": "prod", "patterns": ["app/prod/*", "app/none/**"],
                 "bindings": [{"identity_id": "sa:a"}, {"identity_id": "sa:b"}]}]
    checks, empty = access.consumer_checks(inprocess_vault.client(retries=0), policies)
    assert checks == [{"identity_id": identity, "path": path, "permission": "read", "namespace": "prod"}
                      for identity in ("sa:a", "sa:b") for path in ("app/prod/api", "app/prod/db")]
    assert empty == ["app/none/**"]
    assert [dict(request.url.params).get("prefix") for request in inprocess_vault.sent
            if request.url.path == "/v1/secrets"] == ["app/prod/", "app/none/"]
