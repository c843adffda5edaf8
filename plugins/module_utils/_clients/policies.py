# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ScaiVault access policies, their bindings and the dry-run access test, over a ScaiVaultClient.

FOR INTERNAL COLLECTION USE ONLY: no API promise, may change in any release.

[doc] (reference/policies, api-guides/policies): ``GET/POST /v1/policies``, ``GET/PUT/PATCH/DELETE
/v1/policies/{id}`` (GET holds rules and bindings; PUT replaces rules and metadata and keeps bindings;
DELETE answers ``409 policy_in_use`` while bindings exist unless ``?force=true``),
``POST/DELETE /v1/policies/{id}/bindings[/{binding_id}]`` and ``POST /v1/policies/test {identity_id, path,
permission, context}`` (a dry run, not audited). Scopes ``policies:read`` / ``policies:write``.

[assumed] shapes, each read tolerantly (docs/scaivault-contract.md):
- the test answer says ``allowed`` (bool); ``result`` or ``decision`` (``allow``/``deny``) are read too;
  anything else is a contract error naming this assumption. ``matched_policy`` is ``{id, name}`` or an id.
- a policy read without ``bindings`` falls back to ``GET /v1/policies/{id}/bindings`` (items under
  ``bindings`` or any list envelope of the main client).
- binding items are ``{id, identity_type, identity_id, expires_at}``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients.scaivault import (
    contract_error, list_items)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.untrusted import safe_token

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover
    from urllib import quote  # type: ignore

POLICIES_PATH = "/policies"
POLICY_TEST_PATH = "/policies/test"
BINDING_KEYS = ("bindings",)
TEST_DECISION_KEYS = ("result", "decision")
ALLOW_WORDS = ("allow", "allowed", "permit", "granted")
DENY_WORDS = ("deny", "denied", "forbid", "forbidden")
PAGE_SIZE = 1000


def policy_path(policy_id, *rest):
    return "/".join([POLICIES_PATH, quote(policy_id, safe="")] + list(rest))


def list_policies(client):
    """Policy summaries ({id, name, rule_count, binding_count, ...}); envelope ``policies``."""
    return [item for item in client.paginate(POLICIES_PATH, {"limit": PAGE_SIZE}) if isinstance(item, dict)]


def get_policy(client, policy_id):
    """One policy with its rules and bindings (bindings fetched separately when the answer lacks them)."""
    response = client.request("GET", policy_path(policy_id))
    policy = dict(response.body) if isinstance(response.body, dict) else {}
    if not isinstance(policy.get("rules"), list):
        raise contract_error("GET", policy_path(policy_id), response, "a policy object {id, name, rules[], bindings[]}")
    if not isinstance(policy.get("bindings"), list):
        answer = client.request("GET", policy_path(policy_id, "bindings"))
        body = answer.body
        found = next((body[key] for key in BINDING_KEYS if isinstance(body, dict) and isinstance(body.get(key), list)),
                     None)
        policy["bindings"] = found if found is not None else list_items(body)
    return policy


def create_policy(client, body):
    """POST a new policy; the answer is the policy object (201)."""
    return client.request("POST", POLICIES_PATH, json_body=body, idempotent=False).body or {}


def replace_policy(client, policy_id, body):
    """PUT: rules and metadata replaced, bindings kept [doc]. Resending the same body is harmless."""
    return client.request("PUT", policy_path(policy_id), json_body=body, idempotent=True).body or {}


def delete_policy(client, policy_id, force=False):
    try:
        client.request("DELETE", policy_path(policy_id), params={"force": "true"} if force else None, idempotent=True)
    except ScaiVaultError as exc:
        if exc.status != 404:
            raise


def add_binding(client, policy_id, binding):
    """POST a binding; 409 (already bound) counts as done, so a resend after a lost answer is harmless."""
    try:
        return client.request("POST", policy_path(policy_id, "bindings"), json_body=binding, idempotent=True).body or {}
    except ScaiVaultError as exc:
        if exc.status == 409:
            return dict(binding)
        raise


def remove_binding(client, policy_id, binding_id):
    try:
        client.request("DELETE", policy_path(policy_id, "bindings", binding_id), idempotent=True)
    except ScaiVaultError as exc:
        if exc.status != 404:
            raise


def test_access(client, identity_id, path, permission="read", context=None):
    """Ask the dry-run endpoint: {allowed: bool, matched_policy_id, matched_policy_name}; no value is involved."""
    body = {"identity_id": identity_id, "path": path, "permission": permission}
    if context:
        body["context"] = context
    response = client.request("POST", POLICY_TEST_PATH, json_body=body, idempotent=True)
    answer = response.body if isinstance(response.body, dict) else {}
    allowed = decision(answer)
    if allowed is None:
        raise contract_error("POST", POLICY_TEST_PATH, response, "an answer that says allowed: true/false (or result/"
                             "decision: allow/deny)", path=path)
    matched = answer.get("matched_policy")
    if isinstance(matched, dict):
        matched_id, matched_name = matched.get("id"), matched.get("name")
    else:
        matched_id, matched_name = matched, None
    return {"allowed": allowed, "matched_policy_id": safe_token(matched_id) if allowed else None,
            "matched_policy_name": safe_token(matched_name) if allowed else None}


def decision(answer):
    """True / False from a test answer, or None when it says neither."""
    if isinstance(answer.get("allowed"), bool):
        return answer["allowed"]
    for key in TEST_DECISION_KEYS:
        word = answer.get(key)
        if isinstance(word, str) and word.lower() in ALLOW_WORDS:
            return True
        if isinstance(word, str) and word.lower() in DENY_WORDS:
            return False
    return None
