# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every answer of an [assumed] shape the ScaiVault client cannot interpret, word for word: the endpoint, what came and
the assumption that did not hold (docs/scaivault-contract.md), its status, code, path and method, and the requests
sent before giving up. The dev server answers every shape the collection assumes, so these answers are scripted."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients import scaivault as sv

from .test_scaivault import Script, error_body, make_client

SEE = ". See docs/scaivault-contract.md"
NOT_FOUND = (404, error_body("not_found"))
CASES = [
    pytest.param(
        [(200, {}), (200, {"backends": [{"id": "fed_2", "name": "other"}]})], lambda c: c.create_backend({"name": "n"}),
        ("POST /v1/federation/backends answered 200, which does not fit what the collection assumed: the answer to a "
         "create holds the new backend's id, or the backend is listed by its name afterwards" + SEE,
         200, "/v1/federation/backends", "POST"),
        [("POST", "/v1/federation/backends"), ("GET", "/v1/federation/backends")], id="create_backend"),
    pytest.param(
        [(200, {"secrets": [{"secret_path": "a"}, {"name": "b"}]})], lambda c: c.rotation_secret_paths("rot/1"),
        ("GET /v1/rotation/policies/rot%2F1/secrets listed an attachment without a path; the collection assumed items "
         "{secret_path} or {path} or path strings", None, None, "GET"),
        [("GET", "/v1/rotation/policies/rot%2F1/secrets?limit=1000")], id="rotation_attachment"),
    pytest.param(
        [(200, {"secrets": [{"path": "a"}], "has_more": True})], lambda c: list(c.list_secrets()),
        ("GET /v1/secrets answered 200, which does not fit what the collection assumed: a cursor "
         "(cursor/next_cursor/next) whenever has_more is true" + SEE, 200, "/v1/secrets", "GET"),
        [("GET", "/v1/secrets?limit=1000")], id="has_more_without_cursor"),
    pytest.param(
        [(200, {"data": [{"path": "a"}], "next_cursor": "c"})] * 2, lambda c: list(c.list_secrets("p/")),
        ("GET /v1/secrets answered 200, which does not fit what the collection assumed: each page names a new cursor "
         "(the same one came twice)" + SEE, 200, "/v1/secrets", "GET"),
        [("GET", "/v1/secrets?limit=1000&prefix=p%2F"), ("GET", "/v1/secrets?limit=1000&prefix=p%2F&cursor=c")],
        id="repeated_cursor"),
    pytest.param(
        [(200, {"results": [{"path": "a"}]})], lambda c: list(c.audit_logs(actor=None, path="a")),
        ("GET /v1/audit/logs answered 200, which does not fit what the collection assumed: a list answer: a JSON list, "
         "or an object with the items under one of secrets, data, backends, logs, webhooks, policies, items, "
         "deliveries" + SEE, 200, "/v1/audit/logs", "GET"),
        [("GET", "/v1/audit/logs?path=a&limit=1000")], id="unknown_envelope"),
    pytest.param(
        [(200, {"secrets": "a"})], lambda c: c.batch_read(["a"]),
        ("POST /v1/secrets/batch answered 200, which does not fit what the collection assumed: a JSON object "
         "{secrets: {path: object}, errors: {path: {code, message}}}" + SEE, 200, "/v1/secrets/batch", "POST"),
        [("POST", "/v1/secrets/batch")], id="batch_answer"),
    pytest.param(
        [(200, {"path": "a/other", "version": 2})], lambda c: c.update_metadata("a/b", {"tags": ["x"]}),
        ("PATCH /v1/secrets/a/b answered 200 for another path: the collection assumed the route updates the secret it "
         "names; check that secret's metadata", 200, "a/b", "PATCH"),
        [("PATCH", "/v1/secrets/a/b")], id="metadata_route_of_another_path"),
    pytest.param(
        [(422, error_body("validation_error", fields=["permanent"])), (400, error_body("invalid_request"))],
        lambda c: c.delete_secret("a/b", permanent=True),
        ("DELETE /v1/secrets/a/b: the tenant refused every hard-delete flag the collection knows (?permanent=true: 422 "
         "validation_error; ?hard=true: 400 invalid_request); the collection assumed one of ?permanent=true, "
         "?hard=true", None, "a/b", "DELETE"),
        [("DELETE", "/v1/secrets/a/b?permanent=true"), ("DELETE", "/v1/secrets/a/b?hard=true")], id="hard_delete"),
    pytest.param(
        [(200, {"state": "ok"})], lambda c: c.backend_status("fed/1"),
        ("GET /v1/federation/backends/fed%2F1/status answered 200, which does not fit what the collection assumed: a "
         "status object {status: one of pending, healthy, degraded, error, last_sync, ...}" + SEE,
         200, "/v1/federation/backends/fed%2F1/status", "GET"),
        [("GET", "/v1/federation/backends/fed%2F1/status")], id="backend_status"),
    pytest.param(
        [NOT_FOUND, NOT_FOUND], lambda c: c.batch_metadata(["a"]),
        ("POST /v1/secrets/batch answered 404 not_found, which does not fit what the collection assumed: POST "
         "/v1/secrets/batch exists (it is documented; the batch-metadata route is missing too)" + SEE,
         404, "/v1/secrets/batch", "POST"),
        [("POST", "/v1/secrets/batch/metadata"), ("POST", "/v1/secrets/batch")], id="both_batch_routes"),
    pytest.param(
        [NOT_FOUND, NOT_FOUND], lambda c: c.get_secret("a/b"),
        ("GET /v1/secrets/a/b answered 404 not_found, which does not fit what the collection assumed: every API path "
         "is under https://vault.example/v1/ (GET /v1/auth/whoami answered 404 too: url does not point at ScaiVault's "
         "API)" + SEE, 404, "a/b", "GET"),
        [("GET", "/v1/secrets/a/b"), ("GET", "/v1/auth/whoami")], id="wrong_url"),
]


@pytest.mark.parametrize("answers, call, error, requests", CASES)
def test_an_answer_of_an_unexpected_shape_names_the_assumption(answers, call, error, requests):
    script = Script(*answers)
    with pytest.raises(sv.ScaiVaultContractError) as info:
        call(make_client(script))
    assert (info.value.message, info.value.status, info.value.path, info.value.method) == error
    assert info.value.code == "contract_mismatch"
    assert [(r.method, r.url.raw_path.decode()) for r in script.requests] == requests


def test_a_wrong_url_is_probed_once():
    script = Script(NOT_FOUND, NOT_FOUND, NOT_FOUND)
    client = make_client(script)
    for path in ("a/b", "a/c"):
        with pytest.raises(sv.ScaiVaultContractError):
            client.get_secret(path)
    assert script.methods() == [("GET", "/v1/secrets/a/b"), ("GET", "/v1/auth/whoami"), ("GET", "/v1/secrets/a/c")]
    assert client.capabilities()["choices"] == {"api_routes": "missing"}


@pytest.mark.parametrize("probe", [(403, error_body("access_denied")), (404, error_body("tenant_not_found"))])
def test_a_probe_refused_for_another_reason_than_a_missing_route_means_the_api_is_there(probe):
    script = Script(NOT_FOUND, probe)
    client = make_client(script, retries=0)
    assert client.get_secret("a/b") is None
    assert client.capabilities()["choices"] == {"api_routes": "present"}
