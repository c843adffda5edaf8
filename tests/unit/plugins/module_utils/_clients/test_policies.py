# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_clients/policies.py: the exact requests, read back from the dev server in process; the [assumed] answer shapes
it does not give from a scripted wire (https://www.scailabs.ai/en/docs/scaivault/reference/policies)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients import policies
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import (
    ScaiVaultContractError, ScaiVaultError)

from .test_scaivault import Script, make_client

RULES = [{"path_pattern": "a/**", "permissions": ["read"]}]


def sent(vault):
    """(method, path, query) of the last request that reached the server."""
    request = vault.sent[-1]
    return request.method, request.url.path, dict(request.url.params)


def test_policies_are_listed_a_page_of_1000_at_a_time(inprocess_vault):
    client = inprocess_vault.client(retries=0)
    first = policies.create_policy(client, {"name": "first", "rules": RULES})
    second = policies.create_policy(client, {"name": "second", "rules": RULES})
    listed = policies.list_policies(client)
    assert sorted((item["id"], item["name"]) for item in listed) == sorted(
        [(first["id"], "first"), (second["id"], "second")])
    assert sent(inprocess_vault) == ("GET", "/v1/policies", {"limit": "1000"})


def test_replace_changes_the_rules_and_keeps_the_bindings(inprocess_vault):
    client = inprocess_vault.client(retries=0)
    created = policies.create_policy(client, {"name": "p", "rules": RULES})
    policies.add_binding(client, created["id"], {"identity_type": "user", "identity_id": "user:x"})
    wider = [{"path_pattern": "b/**", "permissions": ["read", "write"]}]
    answer = policies.replace_policy(client, created["id"], {"name": "p", "rules": wider})
    assert answer["id"] == created["id"]
    assert (inprocess_vault.sent[-1].method, json.loads(inprocess_vault.sent[-1].content)) == (
        "PUT", {"name": "p", "rules": wider})
    stored = policies.get_policy(client, created["id"])
    assert [(rule["path_pattern"], rule["permissions"]) for rule in stored["rules"]] == [("b/**", ["read", "write"])]
    assert [item["identity_id"] for item in stored["bindings"]] == ["user:x"]


def test_a_bound_policy_is_deleted_only_with_force_and_a_second_delete_is_done(inprocess_vault):
    client = inprocess_vault.client(retries=0)
    created = policies.create_policy(client, {"name": "p", "rules": RULES})
    policies.add_binding(client, created["id"], {"identity_type": "user", "identity_id": "user:x"})
    with pytest.raises(ScaiVaultError) as info:
        policies.delete_policy(client, created["id"])
    assert (info.value.status, info.value.code) == (409, "policy_in_use")
    assert sent(inprocess_vault) == ("DELETE", "/v1/policies/%s" % created["id"], {})
    policies.delete_policy(client, created["id"], force=True)
    assert sent(inprocess_vault) == ("DELETE", "/v1/policies/%s" % created["id"], {"force": "true"})
    assert inprocess_vault.http.get("/v1/policies/%s" % created["id"]).status_code == 404
    policies.delete_policy(client, created["id"])  # 404: already gone, done


def test_delete_and_unbind_raise_what_is_not_a_404(inprocess_vault):
    client = inprocess_vault.client(retries=0)
    created = policies.create_policy(client, {"name": "p", "rules": RULES})
    inprocess_vault.faults([{"kind": "status", "status": 503, "path_regex": "^/v1/policies/"}])
    with pytest.raises(ScaiVaultError) as info:
        policies.delete_policy(client, created["id"])
    assert info.value.status == 503
    with pytest.raises(ScaiVaultError) as info:
        policies.remove_binding(client, created["id"], "bnd_1")
    assert info.value.status == 503


def test_a_binding_is_removed_once_and_a_second_removal_is_done(inprocess_vault):
    client = inprocess_vault.client(retries=0)
    created = policies.create_policy(client, {"name": "p", "rules": RULES})
    binding = policies.add_binding(client, created["id"], {"identity_type": "user", "identity_id": "user:x"})
    policies.remove_binding(client, created["id"], binding["id"])
    assert sent(inprocess_vault) == ("DELETE", "/v1/policies/%s/bindings/%s" % (created["id"], binding["id"]), {})
    assert policies.get_policy(client, created["id"])["bindings"] == []
    policies.remove_binding(client, created["id"], binding["id"])  # 404 binding_not_found: done


def test_a_binding_the_server_refuses_is_raised_and_409_is_the_binding_sent():
    script = Script((409, {"error": {"code": "binding_exists", "message": "bound"}}),
                    (400, {"error": {"code": "invalid_request", "message": "no"}}))
    client = make_client(script, retries=0)
    binding = {"identity_type": "user", "identity_id": "user:x"}
    assert policies.add_binding(client, "pol/1", binding) == binding
    with pytest.raises(ScaiVaultError) as info:
        policies.add_binding(client, "pol/1", binding)
    assert info.value.status == 400
    assert [request.url.raw_path for request in script.requests] == [b"/v1/policies/pol%2F1/bindings"] * 2


@pytest.mark.parametrize("answer, bindings", [
    ({"bindings": [{"id": "bnd_1", "identity_id": "user:x"}]}, [{"id": "bnd_1", "identity_id": "user:x"}]),
    ({"data": [{"id": "bnd_2", "identity_id": "user:y"}]}, [{"id": "bnd_2", "identity_id": "user:y"}]),
    ([{"id": "bnd_3"}], [{"id": "bnd_3"}]),
    ({"bindings": "none"}, []),
])
def test_a_policy_read_without_bindings_reads_them_from_their_own_route(answer, bindings):
    script = Script((200, {"id": "pol_1", "name": "p", "rules": RULES}), (200, answer))
    policy = policies.get_policy(make_client(script, retries=0), "pol_1")
    assert policy == {"id": "pol_1", "name": "p", "rules": RULES, "bindings": bindings}
    assert script.methods() == [("GET", "/v1/policies/pol_1"), ("GET", "/v1/policies/pol_1/bindings")]


def test_a_policy_read_without_rules_is_a_contract_error_naming_the_shape():
    script = Script((200, {"id": "pol_1", "name": "p", "bindings": []}))
    with pytest.raises(ScaiVaultContractError) as info:
        policies.get_policy(make_client(script, retries=0), "pol_1")
    assert info.value.message == (
        "GET /v1/policies/pol_1 answered 200, which does not fit what the collection assumed: "
        "a policy object {id, name, rules[], bindings[]}. See docs/scaivault-contract.md")


def test_the_access_test_sends_the_question_and_its_context(inprocess_vault):
    client = inprocess_vault.client(retries=0)
    created = policies.create_policy(client, {"name": "p", "rules": RULES})
    policies.add_binding(client, created["id"], {"identity_type": "user", "identity_id": "user:x"})
    answer = policies.test_access(client, "user:x", "a/b", permission="read", context={"source_ip": "10.0.0.1"})
    assert answer == {"allowed": True, "matched_policy_id": created["id"], "matched_policy_name": "p"}
    assert json.loads(inprocess_vault.sent[-1].content) == {
        "identity_id": "user:x", "path": "a/b", "permission": "read", "context": {"source_ip": "10.0.0.1"}}
    policies.test_access(client, "user:x", "a/b", permission="write")
    assert json.loads(inprocess_vault.sent[-1].content) == {"identity_id": "user:x", "path": "a/b", "permission": "write"}


@pytest.mark.parametrize("answer, result", [
    ({"result": "allow", "matched_policy": "pol_9"}, {"allowed": True, "matched_policy_id": "pol_9",
                                                      "matched_policy_name": None}),
    ({"allowed": False, "matched_policy": {"id": "pol_9", "name": "p"}}, {
        "allowed": False, "matched_policy_id": None, "matched_policy_name": None}),
    ({"decision": "Permit", "matched_policy": {"id": "pol_9", "name": "p"}}, {
        "allowed": True, "matched_policy_id": "pol_9", "matched_policy_name": "p"}),
])
def test_access_answers_in_the_other_assumed_shapes(answer, result):
    assert policies.test_access(make_client(Script((200, answer)), retries=0), "user:x", "a/b") == result


@pytest.mark.parametrize("answer", [{"result": "maybe"}, ["allowed"], {"allowed": "true"}])
def test_an_access_answer_that_says_neither_is_a_contract_error_naming_the_path(answer):
    with pytest.raises(ScaiVaultContractError) as info:
        policies.test_access(make_client(Script((200, answer)), retries=0), "user:x", "a/b")
    assert info.value.path == "a/b"
    assert info.value.message == (
        "POST /v1/policies/test answered 200, which does not fit what the collection assumed: an answer that says "
        "allowed: true/false (or result/decision: allow/deny). See docs/scaivault-contract.md")


@pytest.mark.parametrize("word, allowed", [
    ("allow", True), ("Allowed", True), ("PERMIT", True), ("granted", True),
    ("deny", False), ("DENIED", False), ("forbid", False), ("Forbidden", False), ("unknown", None),
])
def test_every_decision_word(word, allowed):
    assert policies.decision({"result": word}) is allowed
    assert policies.decision({"decision": word}) is allowed
    assert policies.decision({"result": 1, "decision": word}) is allowed
