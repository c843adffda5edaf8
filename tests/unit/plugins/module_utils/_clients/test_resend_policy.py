# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which calls of the policy, subscription and audit clients are resent after a 502 (their outcome unknown): those a
second copy cannot change, never a create, a rotation or an export (the dev server in process, one 502 injected)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients import audit_evidence, policies, subscriptions
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import ScaiVaultUnknownOutcome

RULES = [{"path_pattern": "a/**", "permissions": ["read"]}]
POLLING = {"name": "s", "paths": ["a/**"], "events": ["secret.*"], "delivery": {"type": "polling"}}


def setup_objects(vault):
    """A policy with a binding and a subscription (ids), created before the fault."""
    client = vault.client(retries=0)
    policy = policies.create_policy(client, {"name": "p", "rules": RULES})
    binding = policies.add_binding(client, policy["id"], {"identity_type": "user", "identity_id": "user:x"})
    subscription = subscriptions.create_subscription(client, POLLING)
    return {"policy": policy["id"], "binding": binding["id"], "subscription": subscription["id"]}


RESENT = [
    ("PUT", "^/v1/policies/", lambda c, ids: policies.replace_policy(c, ids["policy"], {"name": "p", "rules": RULES})),
    ("DELETE", "^/v1/policies/[^/]+$", lambda c, ids: policies.delete_policy(c, ids["policy"], force=True)),
    ("POST", "/bindings$", lambda c, ids: policies.add_binding(c, ids["policy"], {"identity_type": "user",
                                                                                  "identity_id": "user:y"})),
    ("DELETE", "/bindings/", lambda c, ids: policies.remove_binding(c, ids["policy"], ids["binding"])),
    ("POST", "^/v1/policies/test$", lambda c, ids: policies.test_access(c, "user:x", "a/b")),
    ("PATCH", "^/v1/subscriptions/", lambda c, ids: subscriptions.update_subscription(c, ids["subscription"], {})),
    ("DELETE", "^/v1/subscriptions/", lambda c, ids: subscriptions.delete_subscription(c, ids["subscription"])),
    ("POST", "/ack$", lambda c, ids: subscriptions.ack(c, ids["subscription"], [])),
]
NOT_RESENT = [
    ("POST", "^/v1/policies$", lambda c, ids: policies.create_policy(c, {"name": "q", "rules": RULES})),
    ("POST", "^/v1/subscriptions$", lambda c, ids: subscriptions.create_subscription(c, dict(POLLING, name="t"))),
    ("POST", "^/v1/audit/export$", lambda c, ids: audit_evidence.start_export(c, "jsonl", {"type": "s3", "bucket": "b"},
                                                                              {})),
    ("POST", "^/v1/federation/backends$", lambda c, ids: c.create_backend({
        "name": "b", "type": "aws-secrets-manager", "config": {"region": "us-east-1"}, "path_mapping": {"x/**": "y/**"},
        "mode": "proxy"})),
]


@pytest.mark.parametrize("method, route, call", RESENT)
def test_a_call_a_second_copy_cannot_change_is_resent_after_a_502(inprocess_vault, method, route, call):
    ids = setup_objects(inprocess_vault)
    inprocess_vault.faults([{"kind": "status", "status": 502, "method": method, "path_regex": route, "count": 1}])
    del inprocess_vault.sent[:]
    call(inprocess_vault.client(retries=1), ids)
    assert [request.method for request in inprocess_vault.sent] == [method, method]


@pytest.mark.parametrize("method, route, call", NOT_RESENT)
def test_a_create_is_not_resent_after_a_502(inprocess_vault, method, route, call):
    ids = setup_objects(inprocess_vault)
    inprocess_vault.faults([{"kind": "status", "status": 502, "method": method, "path_regex": route, "count": 1}])
    del inprocess_vault.sent[:]
    with pytest.raises(ScaiVaultUnknownOutcome):
        call(inprocess_vault.client(retries=3), ids)
    assert [request.method for request in inprocess_vault.sent] == [method]


def test_the_validation_probe_is_resent_after_a_502(inprocess_vault):
    inprocess_vault.faults([{"kind": "status", "status": 502, "method": "POST", "path_regex": "^/v1/secrets/batch$",
                             "count": 1}])
    assert inprocess_vault.client(retries=1).validation_answer() == (422, "validation_error")
    assert [request.url.path for request in inprocess_vault.sent] == ["/v1/secrets/batch"] * 2
