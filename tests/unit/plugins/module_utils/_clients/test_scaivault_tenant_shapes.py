# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the ScaiVault client learns about a tenant's [assumed] API shapes, word for word: the same calls against the
dev server in process under our reading (``default``) and under every alternative at once (``alt``), with the requests
that reached the server, what it holds afterwards, the capabilities and fallbacks the client reports and its warnings;
then the same calls again, which use what was learnt (no probe, no refused request, no second warning)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from unit.fakes import InProcessVault

SEE = "See docs/scaivault-contract.md (run the scailabs.scaivault.preflight playbook to check a tenant before migrating)"
BACKEND = {"name": "b", "type": "aws-secrets-manager", "config": {"region": "us-east-1"}, "path_mapping": {"x/**": "y/**"},
           "mode": "proxy"}


def first_pass(client, vault):
    """Every call whose answer shape is [assumed], once; returns what the calls answered (ids left out)."""
    answers = {"put": sorted(client.put_secret("s/a", {"k": "v"}, metadata={"tags": ["t=1"]}))}
    for path in ("s/b", "s/c"):
        client.put_secret(path, {"k": "v"})
    answers["listed"] = [item["path"] for item in client.list_secrets("s/")]
    answers["paged"] = [item["path"] for item in client.list_secrets("s/", limit=2)]
    policy = vault.http.post("/v1/rotation/policies", json={"name": "r", "interval": "90d"}).json()["id"]
    for path in ("s/c", "s/a"):
        assert vault.http.post("/v1/rotation/policies/%s/secrets" % policy, json={"secret_path": path}).status_code == 201
    answers["rotation"] = client.rotation_secret_paths(policy, page_size=1)
    found, errors = client.batch_metadata(["s/a", "s/x"])
    answers["metadata"] = (sorted(found), dict((path, error["code"]) for path, error in errors.items()),
                           "data" in found["s/a"])
    updated = client.update_metadata("s/a", {"tags": ["t=2"]}, version=1)
    answers["updated"] = None if updated is None else (updated["path"], updated["version"], updated["metadata"])
    answers["deleted"] = client.delete_secret("s/b", permanent=True)
    backend = client.create_backend(BACKEND)
    answers["backends"] = [item["id"] == backend["id"] for item in client.list_backends()]
    answers["status"] = client.backend_status(backend["id"])["status"]
    answers["validation"] = client.validation_answer()
    return answers, backend["id"], policy


def second_pass(client):
    return {"metadata": sorted(client.batch_metadata(["s/a"])[0]),
            "updated": client.update_metadata("s/a", {"tags": ["t=3"]}) is not None,
            "deleted": client.delete_secret("s/c", permanent=True),
            "listed": [item["path"] for item in client.list_secrets("s/")]}


def sent(vault, backend, policy):
    """The client's requests (the out-of-band ones of the test left out), ids as placeholders."""
    return [(request.method, request.url.raw_path.decode().replace(backend, "{id}").replace(policy, "{rot}"))
            for request in vault.sent if request.headers["user-agent"].startswith("scailabs.scaivault/")]


DEFAULT = {
    "answers": {"put": ["created_at", "expires_at", "last_accessed_at", "metadata", "path", "rotation_policy_id",
                        "secret_type", "updated_at", "version"],
                "listed": ["s/a", "s/b", "s/c"], "paged": ["s/a", "s/b", "s/c"], "rotation": ["s/a", "s/c"],
                "metadata": (["s/a"], {"s/x": "secret_not_found"}, False), "updated": None, "deleted": True,
                "backends": [True], "status": "error",
                "validation": (422, "validation_error")},
    "requests": [
        ("PUT", "/v1/secrets/s/a"), ("PUT", "/v1/secrets/s/b"), ("PUT", "/v1/secrets/s/c"),
        ("GET", "/v1/secrets?limit=1000&prefix=s%2F"),
        ("GET", "/v1/secrets?limit=2&prefix=s%2F"), ("GET", "/v1/secrets?limit=2&prefix=s%2F&cursor={cursor}"),
        ("GET", "/v1/rotation/policies/{rot}/secrets?limit=1"),
        ("GET", "/v1/rotation/policies/{rot}/secrets?limit=1&cursor={cursor}"),
        ("POST", "/v1/secrets/batch/metadata"),
        ("PATCH", "/v1/secrets/s/a"), ("PATCH", "/v1/secrets/s/a/metadata"), ("PUT", "/v1/secrets/s/a/metadata"),
        ("DELETE", "/v1/secrets/s/b?permanent=true"),
        ("POST", "/v1/federation/backends"), ("GET", "/v1/federation/backends"),
        ("GET", "/v1/federation/backends/{id}/status"),
        ("POST", "/v1/secrets/batch")],
    "capabilities": {
        "choices": {"batch_metadata": "native", "metadata_update": "none", "hard_delete": "permanent"},
        "seen": {"put_answer": "201 object", "list_envelope secrets": "secrets/cursor/has_more",
                 "rotation_assignments": "secret_path", "list_envelope rotation": "secrets/cursor/has_more",
                 "federation_create": "201", "list_envelope federation": "backends/-/no has_more",
                 "federation_status_value": "error", "validation": "422 validation_error"},
        "fallbacks": ["metadata_update"]},
    "warnings": [
        "ScaiVault has no metadata-only update route (PATCH /v1/secrets/{path}: 405 method_not_allowed; PATCH "
        "/v1/secrets/{path}/metadata: 405 method_not_allowed; PUT /v1/secrets/{path}/metadata: 422 validation_error) "
        "(metadata_update): a change of tags, owner or description alone writes a new version with the stored value "
        "(as before) for the rest of this run; cost: the value is read (secrets:read) and written again: one PUT and "
        "one new version per such change. " + SEE],
    "again": {"metadata": ["s/a"], "updated": False, "deleted": True, "listed": ["s/a"]},
    "again_requests": [("POST", "/v1/secrets/batch/metadata"), ("DELETE", "/v1/secrets/s/c?permanent=true"),
                       ("GET", "/v1/secrets?limit=1000&prefix=s%2F")],
}
ALT = {
    "answers": dict(DEFAULT["answers"], put=["created_at", "expires_at", "last_accessed_at", "metadata", "path",
                                             "rotation_policy_id", "secret_type", "updated_at", "version"],
                    updated=("s/a", 1, {"tags": ["t=2"]}), validation=(400, "validation_error")),
    "requests": [
        ("PUT", "/v1/secrets/s/a"), ("PUT", "/v1/secrets/s/b"), ("PUT", "/v1/secrets/s/c"),
        ("GET", "/v1/secrets?limit=1000&prefix=s%2F"), ("GET", "/v1/secrets?limit=100&prefix=s%2F"),
        ("GET", "/v1/secrets?limit=2&prefix=s%2F"), ("GET", "/v1/secrets?limit=2&prefix=s%2F&cursor={cursor}"),
        ("GET", "/v1/rotation/policies/{rot}/secrets?limit=1"),
        ("GET", "/v1/rotation/policies/{rot}/secrets?limit=1&cursor={cursor}"),
        ("POST", "/v1/secrets/batch/metadata"), ("POST", "/v1/secrets/batch"),
        ("PATCH", "/v1/secrets/s/a"), ("PATCH", "/v1/secrets/s/a/metadata"), ("POST", "/v1/secrets/batch"),
        ("DELETE", "/v1/secrets/s/b?permanent=true"), ("DELETE", "/v1/secrets/s/b?hard=true"),
        ("POST", "/v1/federation/backends"), ("GET", "/v1/federation/backends"),
        ("GET", "/v1/federation/backends/{id}/status"),
        ("POST", "/v1/secrets/batch")],
    "capabilities": {
        "choices": {"list_limit secrets": 100, "batch_metadata": "batch_read", "metadata_update": 1,
                    "hard_delete": "hard"},
        "seen": {"put_answer": "200 object with data", "list_envelope secrets": "data/next_cursor/no has_more",
                 "rotation_assignments": "path", "list_envelope rotation": "data/next_cursor/no has_more",
                 "metadata_update": "PATCH /v1/secrets/{path}/metadata", "federation_create": "200",
                 "list_envelope federation": "data/-/has_more", "federation_status_value": "ERROR", "validation": "400 validation_error"},
        "fallbacks": ["batch_metadata", "hard_delete", "list_limit secrets"]},
    "warnings": [
        "ScaiVault GET /v1/secrets refused limit=1000 (400 validation_error) (list_limit secrets): pages of 100 items "
        "for the rest of this run; cost: 10 times as many list calls. " + SEE,
        "ScaiVault POST /v1/secrets/batch/metadata answered 405 method_not_allowed (no such route) (batch_metadata): "
        "metadata is read with POST /v1/secrets/batch (values dropped at once), so values are read by this identity "
        "(audited as read, not list; the cleanup guard ignores this identity's own reads) for the rest of this run; "
        "cost: 1 batch-read unit plus 1 read unit per path instead of 1 batch-metadata unit, and secrets:read besides "
        "secrets:list. " + SEE,
        "ScaiVault refused DELETE /v1/secrets/{path} (?permanent=true: 400 invalid_request) (hard_delete): hard deletes "
        "use DELETE ?hard=true for the rest of this run; cost: one refused request, once. " + SEE],
    "again": {"metadata": ["s/a"], "updated": True, "deleted": True, "listed": ["s/a"]},
    "again_requests": [("POST", "/v1/secrets/batch"), ("PATCH", "/v1/secrets/s/a/metadata"),
                       ("DELETE", "/v1/secrets/s/c?hard=true"), ("GET", "/v1/secrets?limit=100&prefix=s%2F")],
}


def without_cursors(requests):
    return [(method, path.split("&cursor=")[0] + "&cursor={cursor}" if "&cursor=" in path else path)
            for method, path in requests]


@pytest.mark.parametrize("contract, expected", [("default", DEFAULT), ("alt", ALT)])
def test_what_the_client_learns_about_a_tenant_word_for_word(tmp_path, contract, expected):
    vault = InProcessVault(tmp_path / "vault", contract=contract)
    warnings = []
    try:
        client = vault.client(warnings=warnings)
        answers, backend, policy = first_pass(client, vault)
        assert answers == expected["answers"]
        assert without_cursors(sent(vault, backend, policy)) == expected["requests"]
        assert client.capabilities() == expected["capabilities"]
        assert client.fallbacks() == [{"item": item, "choice": client.capabilities()["choices"][item]}
                                      for item in expected["capabilities"]["fallbacks"]]
        assert warnings == expected["warnings"]
        # What the server holds, out of band: the metadata route (where there is one) changed metadata, no version.
        head = vault.stored("s/a")
        assert (head["version"], head["metadata"]) == (1, {"tags": ["t=2"] if answers["updated"] else ["t=1"]})
        assert vault.stored("s/b") is None

        del vault.sent[:]
        assert second_pass(client) == expected["again"]
        assert without_cursors(sent(vault, backend, policy)) == expected["again_requests"]
        assert warnings == expected["warnings"]  # nothing learnt twice, nothing warned twice
        assert vault.stored("s/a")["metadata"] == {"tags": ["t=3"] if expected["again"]["updated"] else ["t=1"]}
        assert vault.stored("s/c") is None
    finally:
        vault.close()
