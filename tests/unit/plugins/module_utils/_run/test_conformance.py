# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_run/conformance.py: the preflight checks against the dev server in process, under the default contract and under
'alt' (every [assumed] shape flipped): the exact observations, the scratch prefix as the only place written, and
everything removed afterwards (read back out of band)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.conformance import (
    Checks, _failure, scratch_prefix)

from unit.fakes import InProcessVault

PREFIX = "scaivault-preflight/abc123"
IDENTITY = {"identity_id": "user:dev@scaivault.local", "identity_type": "user", "tenant_id": "tnt_dev",
            "token_expires_at": None}
SKIPPED = {
    "put_answer": None, "secret_type_default": None, "metadata_omitted": None,
    "metadata_update": "probes the routes on the first metadata-only change (at most 3 refused requests), else writes a "
                       "version",
    "hard_delete": "detects the flag on the first hard delete (one refused request at most)", "list_soft_deleted": None,
    "batch_read_audit": "cannot tell whether batch reads are audited per path", "federation_create": None,
    "federation_sync": None, "federation_transform": None}
READ_ONLY = {
    "default": {"batch_metadata": {"choice": "native"}, "federation_list": {"seen": "backends/-/no has_more"},
                "list_envelope": {"seen": "secrets/-/has_more"}, "list_limit": {"choice": None},
                "validation": {"code": "validation_error", "status": 422}},
    "alt": {"batch_metadata": {"choice": "batch_read"}, "federation_list": {"seen": "data/-/has_more"},
            "list_envelope": {"seen": "data/-/no has_more"}, "list_limit": {"choice": 100},
            "validation": {"code": "validation_error", "status": 400}},
}
WRITES = {
    "default": {"batch_read_audit": {"per_path": True}, "federation_create": {"status": "201"},
                "federation_status": {"value": "pending"}, "federation_sync": {"status": "202", "sync_id": True},
                "federation_transform": {"echoed": True}, "hard_delete": {"choice": "permanent"},
                "list_envelope": {"seen": "secrets/cursor/has_more"}, "list_soft_deleted": {"listed": False},
                "metadata_omitted": {"kept": True}, "metadata_update": {"route": None},
                "put_answer": {"data_echoed": False, "seen": "201 object"},
                "rotation_assignments": {"seen": "secrets/secret_path"}, "secret_type_default": {"stored": "kv"}},
    "alt": {"batch_read_audit": {"per_path": True}, "federation_create": {"status": "200"},
            "federation_status": {"value": "PENDING"}, "federation_sync": {"status": "200", "sync_id": True},
            "federation_transform": {"echoed": False}, "hard_delete": {"choice": "hard"},
            "list_envelope": {"seen": "data/next_cursor/no has_more"}, "list_soft_deleted": {"listed": True},
            "metadata_omitted": {"kept": False}, "metadata_update": {"route": "PATCH /v1/secrets/{path}/metadata"},
            "put_answer": {"data_echoed": True, "seen": "200 object"}, "rotation_assignments": {"seen": "data/path"},
            "secret_type_default": {"stored": "json"}},
}


@pytest.fixture(params=["default", "alt"])
def vault(request, tmp_path):
    served = InProcessVault(tmp_path / request.param, contract=request.param)
    served.contract = request.param
    yield served
    served.close()


def leftovers(vault):  # pylint: disable=redefined-outer-name
    """What the preflight could have left on the server: scratch secrets (soft-deleted ones too), backends, policies."""
    secrets = [path for path in ("%s/%s" % (PREFIX, name) for name in ("a", "b", "c", "absent")) if vault.stored(path)]
    backends = vault.http.get("/v1/federation/backends").json()
    policies = vault.http.get("/v1/rotation/policies").json()["data"]
    return secrets, [item["name"] for item in backends["backends" if "backends" in backends else "data"]], [
        item["name"] for item in policies]


def test_read_only_observes_without_writing(vault):
    checks = Checks(vault.client(retries=0), PREFIX).run()
    expected = dict(READ_ONLY[vault.contract], identity=IDENTITY, scopes={"source": "whoami"}, scope_details={},
                    federation_status={"value": None}, rotation_assignments={"skipped": "no rotation policy to read"},
                    rate_limits={"categories": ["auth", "batch_metadata", "batch_read", "federation", "list", "rotation"]})
    expected.update((item, {"skipped": "read_only", "consequence": consequence}) for item, consequence in SKIPPED.items())
    assert checks.observations == expected
    assert checks.identity == IDENTITY and "secrets:write" in checks.scopes and checks.left_behind == ()
    assert sorted(set((request.method, request.url.path) for request in vault.sent if request.method != "GET")) == [
        ("POST", "/v1/secrets/batch"), ("POST", "/v1/secrets/batch/metadata")]  # reads: a path that does not exist


def test_the_write_checks_write_under_the_scratch_prefix_only_and_remove_everything(vault):
    checks = Checks(vault.client(retries=0), "/%s/" % PREFIX, read_only=False).run()
    expected = dict(READ_ONLY[vault.contract], identity=IDENTITY, scopes={"source": "whoami"}, scope_details={},
                    rate_limits={"categories": ["audit", "auth", "batch_metadata", "batch_read", "delete", "federation",
                                                "list", "rotation", "write"]})
    expected.update(WRITES[vault.contract])
    assert checks.observations == expected
    assert checks.left_behind == [] and leftovers(vault) == ([], [], [])
    written = [request.url.path for request in vault.sent if request.method in ("PUT", "DELETE", "PATCH")
               and request.url.path.startswith("/v1/secrets/")]
    assert written and all(path.startswith("/v1/secrets/%s/" % PREFIX) for path in written)
    backend = [json.loads(request.content) for request in vault.sent
               if (request.method, request.url.path) == ("POST", "/v1/federation/backends")]
    assert backend == [{"name": "scaivault-preflight-abc123", "type": "aws-secrets-manager",
                        "config": {"region": "us-east-1"},
                        "path_mapping": {PREFIX + "/federated/**": "scaivault-preflight/abc123/**"},
                        "mode": "sync", "sync_interval": "24h", "transform": {"tags": "key=value"}}]
    policy = [json.loads(request.content) for request in vault.sent
              if (request.method, request.url.path) == ("POST", "/v1/rotation/policies")]
    assert policy == [{"name": "scaivault-preflight-abc123", "interval": "90d"}]


def test_an_identity_that_fails_stops_the_run(vault):
    vault.faults([{"kind": "status", "status": 401, "path_regex": "^/v1/auth/whoami$"}])
    checks = Checks(vault.client(retries=0), PREFIX, read_only=False).run()
    assert checks.observations == {"identity": {"error": "401 token_invalid", "fatal": True}}
    assert [request.method for request in vault.sent if request.method != "GET"] == []


def test_what_cannot_be_removed_is_listed(inprocess_vault):
    inprocess_vault.faults([{"kind": "status", "status": 503, "method": "DELETE"}])
    checks = Checks(inprocess_vault.client(retries=0), PREFIX, read_only=False).run()
    backend_id = re.search(r"federation backend (\S+) ", " ".join(checks.left_behind)).group(1)
    policy_id = re.search(r"rotation policy (\S+) ", " ".join(checks.left_behind)).group(1)
    assert checks.left_behind == [
        "rotation policy %s (503 service_unavailable)" % policy_id,
        "federation backend %s (503 service_unavailable)" % backend_id,
        PREFIX + "/absent (503 service_unavailable)", PREFIX + "/a (503 service_unavailable)",
        PREFIX + "/b (503 service_unavailable)", PREFIX + "/c (503 service_unavailable)"]
    assert checks.observations["list_soft_deleted"] == {"error": "503 service_unavailable"}
    inprocess_vault.faults([])
    assert leftovers(inprocess_vault) == ([PREFIX + "/a", PREFIX + "/b", PREFIX + "/c"], ["scaivault-preflight-abc123"],
                                          ["scaivault-preflight-abc123"])


def test_a_refused_sync_names_the_scope_and_a_policy_without_id_is_reported(inprocess_vault):
    inprocess_vault.faults([
        {"kind": "status", "status": 403, "code": "insufficient_scope", "method": "POST", "path_regex": "/sync$"},
        {"kind": "status", "status": 201, "method": "POST", "path_regex": "^/v1/rotation/policies$"}])
    checks = Checks(inprocess_vault.client(retries=0), PREFIX, read_only=False).run()
    assert checks.observations["federation_sync"] == {"error": "403 insufficient_scope (needs federation:write)"}
    assert checks.observations["rotation_assignments"] == {"error": "the create answered without an id"}
    assert checks.observations["federation_create"] == {"status": "201"} and checks.left_behind == []


def test_a_path_that_still_holds_its_old_versions_after_a_hard_delete_is_noted(inprocess_vault):
    inprocess_vault.faults([{"kind": "status", "status": 409, "code": "secret_exists", "method": "PUT",
                             "path_regex": "/abc123/c$", "after": 1}])
    checks = Checks(inprocess_vault.client(retries=0), PREFIX, read_only=False).run()
    assert checks.observations["hard_delete"] == {"choice": "permanent", "ignored": True}
    inprocess_vault.faults([{"kind": "status", "status": 400, "method": "PUT", "path_regex": "/xyz/c$", "after": 1}])
    checks = Checks(inprocess_vault.client(retries=0), "scaivault-preflight/xyz", read_only=False).run()
    assert checks.observations["hard_delete"] == {"error": "400 invalid_request"}


def test_scopes_come_from_introspection_when_whoami_has_none(inprocess_vault):
    client = inprocess_vault.client(retries=0)
    client.whoami = lambda: dict(IDENTITY, extra="x")
    client.introspect = lambda: {"scopes": ["secrets:read"]}
    checks = Checks(client, PREFIX)
    checks._observe("identity", checks._identity)  # pylint: disable=protected-access
    assert (checks.observations["identity"], checks.scopes) == (IDENTITY, ["secrets:read"])
    client.introspect = lambda: {"active": True}
    checks = Checks(client, PREFIX).run()
    assert checks.scopes is None and checks.observations["scopes"] == {"source": None}


@pytest.mark.parametrize("error, scope, text", [
    (ScaiVaultError("x", status=403, code="insufficient_scope", required_scope="secrets:write"), None,
     "403 insufficient_scope (needs secrets:write)"),
    (ScaiVaultError("x", status=403, code="insufficient_scope"), "federation:write",
     "403 insufficient_scope (needs federation:write)"),
    (ScaiVaultError("x", status=403, code="insufficient_scope"), None, "403 insufficient_scope"),
    (ScaiVaultError("x", status=403, code="access_denied", required_scope="secrets:write"), None, "403 access_denied"),
    (ScaiVaultError("x", code="connection_failed"), None, "connection_failed"),
    (ScaiVaultError("x"), None, "error"),
])
def test_failures_in_a_few_words(error, scope, text):
    assert _failure(error, scope) == text


def test_the_scratch_prefix_is_random_under_its_root():
    first, second = scratch_prefix(), scratch_prefix()
    assert re.match(r"^scaivault-preflight/[0-9a-f]{12}$", first) and first != second
