# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_clients/policies.py, subscriptions.py and audit_evidence.py: the [assumed] shapes read tolerantly, against the
dev server in process and against answers it does not give."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients import audit_evidence, policies, subscriptions
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import ScaiVaultContractError


@pytest.mark.parametrize("answer, allowed", [
    ({"allowed": True}, True), ({"allowed": False, "result": "allow"}, False), ({"result": "ALLOW"}, True),
    ({"decision": "denied"}, False), ({"allowed": "yes"}, None), ({}, None),
])
def test_test_answer_decisions(answer, allowed):
    assert policies.decision(answer) is allowed


def test_test_access_against_the_dev_server(inprocess_vault):
    client = inprocess_vault.client(retries=0)
    created = policies.create_policy(client, {"name": "p", "rules": [{"path_pattern": "a/**", "permissions": ["read"]}]})
    policies.add_binding(client, created["id"], {"identity_type": "user", "identity_id": "user:x"})
    policies.add_binding(client, created["id"], {"identity_type": "user", "identity_id": "user:x"})  # 409: done
    assert [item["identity_id"] for item in policies.get_policy(client, created["id"])["bindings"]] == ["user:x"]
    assert policies.test_access(client, "user:x", "a/b") == {"allowed": True, "matched_policy_id": created["id"],
                                                             "matched_policy_name": "p"}
    assert policies.test_access(client, "user:y", "a/b")["allowed"] is False


def test_events_keep_documented_fields_only():
    event = subscriptions.reduced_event({"event_id": "evt_1", "event_type": "rotation.due", "path": "a/b",
                                         "data": {"due_now": True, "new_version": 4, "password": "s3cret-value",
                                                  "rotation_policy_name": "has spaces"}})
    assert event == {"event_id": "evt_1", "event_type": "rotation.due", "timestamp": None, "path": "a/b",
                     "data": {"due_now": True, "new_version": 4}}
    assert subscriptions.reduced_event({"event_type": "x"}) is None


def test_poll_wait_stays_under_the_connection_timeout(inprocess_vault):
    client = inprocess_vault.client(retries=0)
    sub = subscriptions.create_subscription(client, {"name": "s", "paths": ["a/**"], "events": ["secret.*"],
                                                     "delivery": {"type": "polling"}})
    inprocess_vault.put("a/b", {"k": "v"})
    events, has_more = subscriptions.poll(client, sub["id"], timeout=600, http_timeout=3)
    assert [event["event_type"] for event in events] == ["secret.created"] and has_more is False


def test_summary_without_per_identity_counts_is_none(inprocess_vault):
    client = inprocess_vault.client(retries=0)
    inprocess_vault.put("a/b", {"k": "v"})
    inprocess_vault.http.get("/v1/secrets/a/b")
    readers = audit_evidence.secret_summary(client, "a/b")
    assert readers == {"user:dev@scaivault.local": {"reads": 1, "failed": 0, "last_read_at": readers[
        "user:dev@scaivault.local"]["last_read_at"]}}
    # An answer in another shape (here: no summary at all) gives None, and the caller pages the rows instead.
    inprocess_vault.faults([{"kind": "status", "status": 200, "path_regex": "^/v1/audit/secrets/"}])
    assert audit_evidence.secret_summary(client, "a/b") is None


def test_export_answer_without_an_id_is_a_contract_error(inprocess_vault):
    client = inprocess_vault.client(retries=0)
    inprocess_vault.faults([{"kind": "status", "status": 202, "path_regex": "^/v1/audit/export$"}])
    with pytest.raises(ScaiVaultContractError, match="an answer naming the export"):
        audit_evidence.start_export(client, "jsonl", {"type": "s3", "bucket": "b"}, {})
