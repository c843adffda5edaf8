# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the ScaiVault client's secret and federation calls send, which of them are resent after a 502 (those a second
copy cannot change) and which never are (writes: their outcome is unknown), and that an error of a read whose answer
holds values never carries them - against the dev server in process (its faults), read back out of band."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients import scaivault as sv
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import ScaiVaultUnknownOutcome

from unit.fakes import InProcessVault

VALUE = "hunter2-Zq9-value-7f3a"  # no 4-character piece of the bearer token: only the value can withhold
PROXY = {"name": "b", "type": "aws-secrets-manager", "config": {"region": "us-east-1"}, "path_mapping": {"x/**": "y/**"},
         "mode": "proxy"}


def client_requests(vault):
    """(method, path with query, JSON body) of the collection client's requests, the test's own left out."""
    return [(request.method, request.url.raw_path.decode(), json.loads(request.content) if request.content else None)
            for request in vault.sent if request.headers["user-agent"].startswith("scailabs.scaivault/")]


def test_secret_calls_send_exactly_what_they_are_given(inprocess_vault):
    client = inprocess_vault.client()
    client.put_secret("r/a", {"k": VALUE})
    client.put_secret("r/a", {"k": VALUE}, secret_type="json", metadata={"owner": "o"}, options={"max_versions": 3})
    client.put_secret("r/b", {"k": "v"}, options={})
    assert client.get_secret("r/a", version="1")["version"] == 1
    found, errors = client.batch_read(["r/a", "r/b"], version=1, include_metadata=False)
    assert (sorted(found), errors) == (["r/a", "r/b"], {})
    client.batch_read(["r/a"])
    assert client.delete_secret("r/b") is True
    assert client_requests(inprocess_vault) == [
        ("PUT", "/v1/secrets/r/a", {"data": {"k": VALUE}}),
        ("PUT", "/v1/secrets/r/a", {"data": {"k": VALUE}, "secret_type": "json", "metadata": {"owner": "o"},
                                    "options": {"max_versions": 3}}),
        ("PUT", "/v1/secrets/r/b", {"data": {"k": "v"}}),
        ("GET", "/v1/secrets/r/a?version=1", None),
        ("POST", "/v1/secrets/batch", {"paths": ["r/a", "r/b"],
                                       "options": {"include_metadata": False, "fail_fast": False, "version": 1}}),
        ("POST", "/v1/secrets/batch", {"paths": ["r/a"], "options": {"include_metadata": True, "fail_fast": False}}),
        ("DELETE", "/v1/secrets/r/b", None),
    ]
    head = inprocess_vault.stored("r/a")
    assert (head["version"], head["secret_type"], head["metadata"]) == (2, "json", {"owner": "o"})
    del inprocess_vault.sent[:]
    assert [(entry["action"], entry["secret_path"]) for entry in client.audit_logs(path="r/b", action="delete")] == [
        ("delete", "r/b")]
    assert client_requests(inprocess_vault) == [("GET", "/v1/audit/logs?path=r%2Fb&action=delete&limit=1000", None)]


def test_the_metadata_fallback_reads_metadata_with_the_batch_read(tmp_path):
    vault = InProcessVault(tmp_path / "vault", contract="alt:no_batch_metadata")
    try:
        vault.put("r/a", {"k": VALUE}, metadata={"owner": "o"})
        client = vault.client()
        found, errors = client.batch_metadata(["r/a"])
        assert (found["r/a"]["metadata"], "data" in found["r/a"], errors) == ({"owner": "o"}, False, {})
        assert client_requests(vault)[-1] == ("POST", "/v1/secrets/batch", {
            "paths": ["r/a"], "options": {"include_metadata": True, "fail_fast": False}})
    finally:
        vault.close()


def backend(vault):
    return vault.client().create_backend(PROXY)["id"]


RESENT = [
    ("GET", "^/v1/secrets/r/a$", lambda c, ids: c.get_secret("r/a")),
    ("POST", "^/v1/secrets/batch$", lambda c, ids: c.batch_read(["r/a"])),
    ("POST", "^/v1/secrets/batch/metadata$", lambda c, ids: c.batch_metadata(["r/a"])),
    ("GET", "^/v1/secrets$", lambda c, ids: list(c.list_secrets())),
    ("PATCH", "^/v1/federation/backends/", lambda c, ids: c.update_backend(ids["backend"], {"mode": "proxy"})),
    ("DELETE", "^/v1/federation/backends/", lambda c, ids: c.delete_backend(ids["backend"])),
    ("GET", "^/v1/federation/backends$", lambda c, ids: c.list_backends()),
]
NOT_RESENT = [
    ("PUT", "^/v1/secrets/r/a$", lambda c, ids: c.put_secret("r/a", {"k": "v"}), "r/a"),
    ("DELETE", "^/v1/secrets/r/a$", lambda c, ids: c.delete_secret("r/a"), "r/a"),
    ("DELETE", "^/v1/secrets/r/a$", lambda c, ids: c.delete_secret("r/a", permanent=True), "r/a"),
]


@pytest.mark.parametrize("method, route, call", RESENT)
def test_a_call_a_second_copy_cannot_change_is_resent_after_a_502(inprocess_vault, method, route, call):
    inprocess_vault.put("r/a", {"k": "v"})
    ids = {"backend": backend(inprocess_vault)}
    inprocess_vault.faults([{"kind": "status", "status": 502, "method": method, "path_regex": route, "count": 1}])
    del inprocess_vault.sent[:]
    sleeps = []
    call(inprocess_vault.client(retries=1, sleeps=sleeps), ids)
    assert [request.method for request in inprocess_vault.sent] == [method, method] and len(sleeps) == 1


@pytest.mark.parametrize("method, route, call, path", NOT_RESENT)
def test_a_write_is_not_resent_after_a_502_and_its_error_names_the_secret(inprocess_vault, method, route, call, path):
    inprocess_vault.put("r/a", {"k": "v"})
    inprocess_vault.faults([{"kind": "status", "status": 502, "method": method, "path_regex": route, "count": 1}])
    del inprocess_vault.sent[:]
    with pytest.raises(ScaiVaultUnknownOutcome) as info:
        call(inprocess_vault.client(retries=3), {})
    assert [request.method for request in inprocess_vault.sent] == [method]
    assert (info.value.path, info.value.method, info.value.status) == (path, method, 502)
    assert info.value.code == "unknown_outcome" and info.value.request_id.startswith("req_")
    assert info.value.message == ("%s %s: the server answered 502 after the write was sent; its outcome is unknown "
                                  "(re-read before writing again)" % (method, path))
    assert inprocess_vault.stored("r/a")["version"] == 1 and not inprocess_vault.stored("r/a")["deleted_at"]


def test_a_known_metadata_route_is_resent_after_a_502(tmp_path):
    vault = InProcessVault(tmp_path / "vault", contract="alt:metadata_patch")
    try:
        vault.put("r/a", {"k": "v"})
        client = vault.client(retries=1)
        assert client.update_metadata("r/a", {"owner": "one"})["metadata"] == {"owner": "one"}
        vault.faults([{"kind": "status", "status": 502, "method": "PATCH", "count": 1}])
        del vault.sent[:]
        assert client.update_metadata("r/a", {"owner": "two"})["metadata"] == {"owner": "two"}
        assert [(request.method, request.url.path) for request in vault.sent] == [("PATCH", "/v1/secrets/r/a/metadata")] * 2
        assert (vault.stored("r/a")["version"], vault.stored("r/a")["metadata"]) == (1, {"owner": "two"})
    finally:
        vault.close()


def test_an_error_of_a_read_that_echoes_its_answer_never_carries_the_value(inprocess_vault):
    inprocess_vault.put("r/a", {"k": VALUE})
    inprocess_vault.faults([{"kind": "echo_body", "status": 500, "echo": "answer", "method": "GET"}])
    with pytest.raises(sv.ScaiVaultError) as info:
        inprocess_vault.client(retries=0).get_secret("r/a")
    assert VALUE not in info.value.describe() and VALUE not in repr(info.value.details)
    assert info.value.message == "the server's message was withheld because it may echo what was sent (fields: data)"
    assert (info.value.status, info.value.path) == (500, "r/a")


def test_retries_are_counted_and_said_in_their_words(inprocess_vault):
    inprocess_vault.put("r/a", {"k": "v"})
    inprocess_vault.faults([{"kind": "status", "status": 503, "method": "GET", "count": 2},
                            {"kind": "drop_before", "method": "PUT", "count": 1}])
    warnings = []
    client = inprocess_vault.client(retries=2, warnings=warnings)
    assert client.get_secret("r/a")["version"] == 1
    assert client.counter.snapshot()["retries"] == 2
    with pytest.raises(ScaiVaultUnknownOutcome) as info:
        client.put_secret("r/a", {"k": "w"})
    assert info.value.message == ("PUT r/a: the connection failed after the request was sent (RemoteProtocolError); its "
                                  "outcome is unknown (re-read before writing again)")
    assert [warning.split("; retrying in ")[0] for warning in warnings] == [
        "ScaiVault GET r/a: 503 service_unavailable"] * 2
    snapshot = client.counter.snapshot()
    assert (snapshot["retries"], snapshot["GET read"], snapshot["PUT write"], snapshot["total"]) == (2, 3, 1, 4)


def test_the_probes_send_exactly_their_documented_bodies(inprocess_vault):
    inprocess_vault.put("r/a", {"k": "v"})
    client = inprocess_vault.client()
    client.batch_metadata(["r/a"])
    assert client.validation_answer() == (422, "validation_error")
    assert client_requests(inprocess_vault) == [
        ("POST", "/v1/secrets/batch/metadata", {"paths": ["r/a"], "options": {"expand_wildcards": False}}),
        ("POST", "/v1/secrets/batch", {"paths": [], "options": {}})]


def test_a_known_metadata_route_that_refuses_names_the_secret(tmp_path):
    vault = InProcessVault(tmp_path / "vault", contract="alt:metadata_patch")
    try:
        vault.put("r/a", {"k": "v"})
        client = vault.client(retries=0)
        client.update_metadata("r/a", {"owner": "one"})
        vault.faults([{"kind": "status", "status": 403, "method": "PATCH"}])
        with pytest.raises(sv.ScaiVaultError) as info:
            client.update_metadata("r/a", {"owner": "two"})
        assert (info.value.status, info.value.path, info.value.method) == (403, "r/a", "PATCH")
    finally:
        vault.close()


def test_a_server_that_echoes_the_request_headers_never_shows_the_bearer_token(inprocess_vault):
    """A read whose answer holds no value keeps the server's message, unless it holds what was sent: the token too."""
    inprocess_vault.faults([{"kind": "echo_body", "status": 422, "echo_headers": True, "method": "GET"}])
    with pytest.raises(sv.ScaiVaultError) as info:
        inprocess_vault.client(retries=0).request("GET", "/webhooks")
    assert inprocess_vault.TOKEN not in info.value.describe() + repr(info.value.details)
    assert info.value.message.startswith("the server's message was withheld") and info.value.status == 422


def test_internal_errors_are_retried_once_whatever_their_code(inprocess_vault):
    """A 500 is retried at most INTERNAL_ERROR_RETRIES times even with retries left: by status or by code."""
    inprocess_vault.put("r/a", {"k": "v"})
    inprocess_vault.faults([{"kind": "status", "status": 500, "code": "server_error", "method": "GET", "count": 5}])
    del inprocess_vault.sent[:]
    with pytest.raises(sv.ScaiVaultError) as info:
        inprocess_vault.client(retries=5).get_secret("r/a")
    assert len(inprocess_vault.sent) == sv.INTERNAL_ERROR_RETRIES + 1 and info.value.status == 500
    inprocess_vault.faults([{"kind": "status", "status": 502, "code": "internal_error", "method": "GET", "count": 5}])
    del inprocess_vault.sent[:]
    with pytest.raises(sv.ScaiVaultError):
        inprocess_vault.client(retries=5).get_secret("r/a")
    assert len(inprocess_vault.sent) == sv.INTERNAL_ERROR_RETRIES + 1


def test_a_dropped_read_is_retried_and_the_warning_names_the_secret_or_the_endpoint(inprocess_vault):
    inprocess_vault.put("r/a", {"k": "v"})
    inprocess_vault.faults([{"kind": "drop_before", "method": "GET", "path_regex": "^/v1/secrets/r/a$", "count": 1},
                            {"kind": "drop_before", "method": "GET", "path_regex": "^/v1/webhooks$", "count": 1}])
    warnings = []
    client = inprocess_vault.client(retries=1, warnings=warnings)
    assert client.get_secret("r/a")["version"] == 1
    answer = client.request("GET", "/webhooks")
    assert [warning.split(": ")[0] for warning in warnings] == ["ScaiVault GET r/a", "ScaiVault GET /webhooks"]
    assert answer.status == 200 and answer.headers["x-request-id"].startswith("req_")
