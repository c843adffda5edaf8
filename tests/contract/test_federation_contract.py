# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Contract section 3: federation backends on the dev server, against the moto ASM stand-in.

Driven with plain httpx (``scaivault_http``) and boto3 (``asm_client_factory``); the dev server
reads ASM through the endpoint it was started with (``--asm-endpoint-url``).
"""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest

from devserver.federation_engine import Rule, compile_mapping, encode_value, flatten_tags

BACKENDS = "/v1/federation/backends"
READER_PATH = "infra/aws/sm-reader"
MAPPING = {"external/aws/**": "prod/**"}


def backend_body(name="aws-us-east-1", mode="sync", region="us-east-1", mapping=None, credentials_path=READER_PATH, **extra):
    config = {"region": region}
    if credentials_path:
        config["credentials_path"] = credentials_path
    body = {"name": name, "type": "aws-secrets-manager", "config": config, "path_mapping": mapping or dict(MAPPING),
            "mode": mode}
    if mode == "sync":
        body["sync_interval"] = "15m"
    body.update(extra)
    return body


def error_code(response, status):
    assert response.status_code == status, response.text
    return response.json()["error"]["code"]


def store_reader(http, data=None):
    data = data or {"access_key_id": "testing", "secret_access_key": "testing"}
    http.put("/v1/secrets/" + READER_PATH, json={"data": data, "secret_type": "json"}).raise_for_status()


def create(http, **kwargs):
    answer = http.post(BACKENDS, json=backend_body(**kwargs))
    assert answer.status_code == 201, answer.text
    return answer.json()


def status_of(http, backend_id):
    answer = http.get("%s/%s/status" % (BACKENDS, backend_id))
    answer.raise_for_status()
    return answer.json()


def sync(http, backend_id, timeout=20.0):
    """POST .../sync, then wait until a run that started after it has finished; returns the status."""
    answer = http.post("%s/%s/sync" % (BACKENDS, backend_id))
    assert answer.status_code == 202, answer.text
    sync_id = answer.json()["sync_id"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = status_of(http, backend_id)
        if status.get("last_sync_id") == sync_id:
            return status
        time.sleep(0.05)
    raise AssertionError("sync %s of %s did not finish within %ss: %s" % (sync_id, backend_id, timeout, status))


def read(http, path):
    answer = http.get("/v1/secrets/" + path)
    return answer.json() if answer.status_code == 200 else answer.status_code


def versions(http, path):
    answer = http.post("/v1/secrets/batch/metadata", json={"paths": [path]})
    found = answer.json()["secrets"].get(path)
    return found["version"] if found else None


@pytest.fixture
def asm(asm_client_factory):
    return asm_client_factory("us-east-1")


@pytest.fixture
def http(scaivault_http):
    store_reader(scaivault_http)
    return scaivault_http


# -- pure pieces of the engine (no server) ----------------------------------------------------
@pytest.mark.parametrize("glob, template, path, name", [
    ("external/aws/**", "prod/**", "external/aws/billing/stripe", "prod/billing/stripe"),
    ("external/aws/**", "prod/**", "external/aws", "prod"),
    ("ext/*/db", "prod/*/Database", "ext/app/db", "prod/app/Database"),
    ("x/**/y", "a/**/b", "x/1/2/y", "a/1/2/b"),
    ("**", "**", "a/b", "a/b"),
])
def test_mapping_rules_work_both_ways(glob, template, path, name):
    rule = Rule(glob, template)
    assert rule.to_backend(path) == name
    assert rule.to_path(name) == path


def test_mapping_rejects_mismatched_wildcards():
    with pytest.raises(ValueError):
        compile_mapping({"external/aws/**": "prod/*"})
    assert Rule("external/aws/**", "prod/**").to_path("staging/x") is None


def test_encoding_and_tags_follow_the_design():
    assert encode_value('{"b": 1, "a": [true, null]}') == ({"b": 1, "a": [True, None]}, "json", "json")
    for text in ("hunter2", "[1, 2]", "42", '"quoted"', '{"a": 1, "a": 2}', '{"x": NaN}', '{"f": 0.10000000000000000001}'):
        assert encode_value(text) == ({"value": text}, "kv", "text"), text
    assert encode_value(secret_binary=b"\x00\xff") == ({"value_base64": "AP8="}, "kv", "binary")
    tags = [{"Key": "team", "Value": "billing"}, {"Key": "env", "Value": "prod"}, {"Key": "flag", "Value": ""}]
    assert flatten_tags(tags, "key=value") == ["env=prod", "flag=", "team=billing"]
    assert flatten_tags(tags, "key") == ["env", "flag", "team"]
    assert flatten_tags(tags, "drop") == []


# -- CRUD ---------------------------------------------------------------------------------------
def test_crud_and_partial_patch(http):
    created = create(http, mode="proxy")
    assert created["id"].startswith("fed_")
    assert {"name", "type", "config", "path_mapping", "mode", "sync_interval", "transform"} <= set(created)
    assert created["transform"] == {"tags": "key=value"}, "default transform"
    listed = http.get(BACKENDS).json()
    assert [backend["id"] for backend in listed["backends"]] == [created["id"]]
    assert http.get("%s/%s" % (BACKENDS, created["id"])).json() == created

    patched = http.patch("%s/%s" % (BACKENDS, created["id"]), json={"mode": "sync", "sync_interval": "30m"})
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["mode"] == "sync" and body["sync_interval"] == "30m"
    assert body["config"] == created["config"] and body["path_mapping"] == created["path_mapping"], "PATCH is partial"
    assert body["id"] == created["id"] and body["created_at"] == created["created_at"]

    assert error_code(http.patch("%s/%s" % (BACKENDS, created["id"]), json={"type": "hashicorp-vault"}), 422) == "validation_error"
    assert http.delete("%s/%s" % (BACKENDS, created["id"])).status_code == 204
    assert error_code(http.get("%s/%s" % (BACKENDS, created["id"])), 404) == "backend_not_found"
    assert error_code(http.delete("%s/%s" % (BACKENDS, created["id"])), 404) == "backend_not_found"


@pytest.mark.parametrize("change, status, code", [
    ({"type": "consul"}, 400, "invalid_backend_type"),
    ({"mode": "live"}, 422, "validation_error"),
    ({"sync_interval": None}, 422, "validation_error"),
    ({"sync_interval": "soon"}, 400, "invalid_duration"),
    ({"path_mapping": {"external/aws/**": "prod/*"}}, 400, "invalid_config"),  # reference/error-codes
    ({"path_mapping": {"External/**": "prod/**"}}, 400, "invalid_glob"),
    ({"path_mapping": {}}, 422, "validation_error"),
    ({"config": {"region": "us-east-1", "secret_access_key": "x" * 12}}, 400, "invalid_config"),
    ({"config": {"region": "us-east-1", "endpoint_url": "http://169.254.169.254"}}, 400, "invalid_config"),
    ({"config": {"region": "mars"}}, 400, "invalid_config"),
    ({"transform": {"tags": "upper"}}, 422, "validation_error"),
])
def test_invalid_bodies_are_refused(http, change, status, code):
    body = backend_body()
    body.update(change)
    assert error_code(http.post(BACKENDS, json=body), status) == code
    assert http.get(BACKENDS).json()["backends"] == []


def test_duplicate_name_and_glob(http):
    create(http)
    assert error_code(http.post(BACKENDS, json=backend_body()), 409) == "backend_exists"
    other = backend_body(name="second")
    assert error_code(http.post(BACKENDS, json=other), 409) == "path_mapping_conflict"


def test_scopes_tenants_and_rate_limit_category(dev_server, http):
    created = create(http, mode="proxy")
    reader = "skt_fed_reader_0001"
    other = "skt_fed_other_0001"
    http.post("/_dev/tokens", json={"token": reader, "identity_id": "sa:fed-reader", "scopes": ["federation:read"]})
    http.post("/_dev/tokens", json={"token": other, "identity_id": "sa:other", "tenant_id": "tnt_other",
                                    "scopes": ["federation:read", "federation:write"]})
    with httpx.Client(base_url=dev_server.scaivault_url, trust_env=False, headers={"Authorization": "Bearer " + reader}) as as_reader:
        assert as_reader.get(BACKENDS).status_code == 200
        answer = as_reader.post(BACKENDS, json=backend_body(name="x"))
        assert error_code(answer, 403) == "insufficient_scope"
        assert answer.json()["error"]["details"]["required_scope"] == "federation:write"
        assert "X-RateLimit-Limit" in answer.headers
    with httpx.Client(base_url=dev_server.scaivault_url, trust_env=False, headers={"Authorization": "Bearer " + other}) as as_other:
        assert as_other.get(BACKENDS).json()["backends"] == []
        assert error_code(as_other.get("%s/%s" % (BACKENDS, created["id"])), 404) == "backend_not_found"


# -- sync mode ----------------------------------------------------------------------------------
def test_sync_copies_encodes_and_records_provenance(http, asm):
    stripe = asm.create_secret(Name="prod/billing/stripe", SecretString='{"api_key": "sk_live_federated_1", "n": 1}',
                               Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "billing"}],
                               Description="Stripe keys")
    asm.create_secret(Name="prod/plain", SecretString="plain-text-value")
    asm.create_secret(Name="prod/blob", SecretBinary=b"\x00\x01binary")
    asm.create_secret(Name="staging/other", SecretString="not mapped")
    backend = create(http)
    status = sync(http, backend["id"])
    assert status["status"] == "healthy" and status["errors"] == []
    assert status["secrets_synced"] == 3
    assert status["connection"]["status"] == "connected" and status["connection"]["latency_ms"] is not None
    assert status["last_sync"] and status["last_sync_duration_ms"] is not None

    secret = read(http, "external/aws/billing/stripe")
    assert secret["data"] == {"api_key": "sk_live_federated_1", "n": 1} and secret["secret_type"] == "json"
    assert secret["metadata"]["tags"] == ["env=prod", "team=billing"]
    assert secret["metadata"]["description"] == "Stripe keys"
    assert secret["metadata"]["source"] == {"system": "aws-secrets-manager", "region": "us-east-1", "arn": stripe["ARN"],
                                            "name": "prod/billing/stripe", "version_id": stripe["VersionId"], "format": "json"}
    plain = read(http, "external/aws/plain")
    assert plain["data"] == {"value": "plain-text-value"} and plain["metadata"]["source"]["format"] == "text"
    blob = read(http, "external/aws/blob")
    assert base64.b64decode(blob["data"]["value_base64"]) == b"\x00\x01binary"
    assert blob["metadata"]["source"]["format"] == "binary"
    assert read(http, "external/aws/other") == 404 and read(http, "external/staging/other") == 404

    logs = http.get("/v1/audit/logs", params={"action": "federation_sync"}).json()["logs"]
    assert logs and all(log["action"] == "federation_sync" for log in logs)
    assert logs[0]["extra_data"]["backend_id"] == backend["id"] and logs[0]["success"] is True


def test_new_version_only_when_asm_version_changes(dev_server, http, asm):
    asm.create_secret(Name="prod/app/db", SecretString='{"password": "first-password"}', Tags=[{"Key": "env", "Value": "prod"}])
    backend = create(http)
    sync(http, backend["id"])
    assert versions(http, "external/aws/app/db") == 1

    asm.put_secret_value(SecretId="prod/app/db", SecretString='{"password": "second-password"}')
    status = sync(http, backend["id"])
    assert status["last_sync_result"]["updated"] == 1
    assert versions(http, "external/aws/app/db") == 2, "exactly one new version"
    assert read(http, "external/aws/app/db")["data"] == {"password": "second-password"}

    dev_server.reset_asm_calls()
    status = sync(http, backend["id"])
    assert versions(http, "external/aws/app/db") == 2, "no ASM change, no new version"
    assert status["last_sync_result"]["unchanged"] == 1
    calls = dev_server.asm_calls()["by_operation"]
    assert calls == {"ListSecrets": 1}, "an unchanged re-sync reads no value: %s" % calls

    asm.tag_resource(SecretId="prod/app/db", Tags=[{"Key": "tier", "Value": "gold"}])
    sync(http, backend["id"])
    assert versions(http, "external/aws/app/db") == 2, "a tag change alone creates no version"
    assert read(http, "external/aws/app/db")["metadata"]["tags"] == ["env=prod", "tier=gold"]


def test_transform_key_and_drop(http, asm):
    asm.create_secret(Name="prod/t", SecretString="tagged-value", Tags=[{"Key": "env", "Value": "prod"}])
    backend = create(http, transform={"tags": "key"})
    sync(http, backend["id"])
    assert read(http, "external/aws/t")["metadata"]["tags"] == ["env"]
    http.patch("%s/%s" % (BACKENDS, backend["id"]), json={"transform": {"tags": "drop"}}).raise_for_status()
    sync(http, backend["id"])
    assert read(http, "external/aws/t")["metadata"]["tags"] == []
    assert versions(http, "external/aws/t") == 1


def test_deleted_and_pending_deletion_disappear(http, asm):
    for name in ("prod/keep", "prod/gone", "prod/pending"):
        asm.create_secret(Name=name, SecretString="value-of-" + name)
    backend = create(http)
    assert sync(http, backend["id"])["secrets_synced"] == 3
    asm.delete_secret(SecretId="prod/gone", ForceDeleteWithoutRecovery=True)
    asm.delete_secret(SecretId="prod/pending", RecoveryWindowInDays=7)
    status = sync(http, backend["id"])
    assert status["secrets_synced"] == 1 and status["last_sync_result"]["removed"] == 2
    assert read(http, "external/aws/gone") == 404 and read(http, "external/aws/pending") == 404
    assert read(http, "external/aws/keep")["data"] == {"value": "value-of-prod/keep"}


def test_unmappable_names_are_listed_in_status(http, asm):
    asm.create_secret(Name="prod/Billing/Stripe", SecretString="upper")
    asm.create_secret(Name="prod/db.primary@eu", SecretString="dots")
    asm.create_secret(Name="prod/fine", SecretString="fine-value")
    backend = create(http)
    status = sync(http, backend["id"])
    assert status["status"] == "degraded" and status["secrets_synced"] == 1
    by_source = {error["source"]: error for error in status["errors"]}
    assert set(by_source) == {"prod/Billing/Stripe", "prod/db.primary@eu"}
    assert all(error["code"] == "invalid_path" and error["message"] for error in status["errors"])
    assert "upper case" in by_source["prod/Billing/Stripe"]["message"]


def test_local_secret_at_a_mapped_path_is_not_overwritten(http, asm):
    http.put("/v1/secrets/external/aws/taken", json={"data": {"local": "value"}}).raise_for_status()
    asm.create_secret(Name="prod/taken", SecretString="remote")
    backend = create(http)
    status = sync(http, backend["id"])
    assert [error["code"] for error in status["errors"]] == ["path_conflict"]
    assert read(http, "external/aws/taken")["data"] == {"local": "value"}


def test_federated_paths_are_read_only(http, asm):
    asm.create_secret(Name="prod/ro", SecretString="read-only-value")
    backend = create(http)
    sync(http, backend["id"])
    for path in ("external/aws/ro", "external/aws/not/synced/yet"):
        answer = http.put("/v1/secrets/" + path, json={"data": {"x": 1}})
        assert error_code(answer, 409) == "federated_path_read_only"
        assert "aws-us-east-1" in answer.json()["error"]["message"]
        assert error_code(http.delete("/v1/secrets/" + path), 409) == "federated_path_read_only"
    assert versions(http, "external/aws/ro") == 1


def test_delete_backend_removes_synced_paths(http, asm):
    asm.create_secret(Name="prod/a", SecretString="value-a-long")
    backend = create(http)
    sync(http, backend["id"])
    http.put("/v1/secrets/canonical/a", json={"data": {"v": 1}}).raise_for_status()
    assert http.delete("%s/%s" % (BACKENDS, backend["id"])).status_code == 204
    assert read(http, "external/aws/a") == 404
    assert read(http, "canonical/a")["data"] == {"v": 1}, "non-federated secrets are untouched"
    assert http.put("/v1/secrets/external/aws/a", json={"data": {"x": 1}}).status_code == 201, "no longer federated"


def test_batch_get_twenty_per_call(dev_server, http, asm):
    for index in range(25):
        asm.create_secret(Name="prod/bulk/s%02d" % index, SecretString="bulk-value-%02d" % index)
    backend = create(http, mode="proxy")
    dev_server.reset_asm_calls()
    http.patch("%s/%s" % (BACKENDS, backend["id"]), json={"mode": "sync", "sync_interval": "15m"}).raise_for_status()
    status = sync(http, backend["id"])
    assert status["secrets_synced"] == 25
    calls = dev_server.asm_calls()["by_operation"]
    assert calls.get("BatchGetSecretValue") == 2 and "GetSecretValue" not in calls, calls
    assert read(http, "external/aws/bulk/s24")["data"] == {"value": "bulk-value-24"}


def test_sync_requires_sync_mode_and_supported_type(http):
    proxy = create(http, mode="proxy")
    assert error_code(http.post("%s/%s/sync" % (BACKENDS, proxy["id"])), 409) == "backend_not_in_sync_mode"
    vault = http.post(BACKENDS, json={"name": "vault", "type": "hashicorp-vault", "mode": "sync", "sync_interval": "15m",
                                      "config": {"endpoint": "https://vault.example"},
                                      "path_mapping": {"external/hashicorp/**": "secret/data/**"}})
    assert vault.status_code == 201, vault.text
    status = status_of(http, vault.json()["id"])
    assert status["status"] == "error" and status["errors"][0]["code"] == "unsupported_backend_type"
    assert error_code(http.post("%s/%s/sync" % (BACKENDS, vault.json()["id"])), 409) == "backend_type_unsupported"
    assert error_code(http.get("/v1/secrets/external/hashicorp/x"), 502) == "backend_unavailable"
    assert error_code(http.post("%s/missing/sync" % BACKENDS), 404) == "backend_not_found"


def test_sync_state_survives_a_restart(dev_server, http, asm):
    asm.create_secret(Name="prod/persist", SecretString="persisted-value")
    backend = create(http)
    sync(http, backend["id"])
    dev_server.restart_dev()
    asm.put_secret_value(SecretId="prod/persist", SecretString="after-restart")
    sync(http, backend["id"])
    assert read(http, "external/aws/persist")["data"] == {"value": "after-restart"}
    assert versions(http, "external/aws/persist") == 2


# -- proxy mode ---------------------------------------------------------------------------------
def test_proxy_reads_are_live_and_audited(dev_server, http, asm):
    asm.create_secret(Name="prod/live", SecretString='{"token": "live-one"}')
    backend = create(http, mode="proxy")
    assert read(http, "external/aws/live")["data"] == {"token": "live-one"}
    asm.put_secret_value(SecretId="prod/live", SecretString='{"token": "live-two"}')
    secret = read(http, "external/aws/live")
    assert secret["data"] == {"token": "live-two"}, "a new ASM value is visible immediately"
    assert secret["metadata"]["source"]["format"] == "json"
    assert read(http, "external/aws/missing") == 404
    answer = http.post("/v1/secrets/batch", json={"paths": ["external/aws/live"], "options": {"include_metadata": False}})
    assert answer.json()["secrets"]["external/aws/live"]["data"] == {"token": "live-two"}

    logs = http.get("/v1/audit/logs", params={"action": "read", "path_prefix": "external/aws/live"}).json()["logs"]
    assert len(logs) == 3 and all(log["secret_path"] == "external/aws/live" for log in logs)
    status = status_of(http, backend["id"])
    assert status["status"] == "healthy" and status["connection"]["status"] == "connected"
    assert http.get("/v1/secrets", params={"prefix": "external/"}).json()["secrets"] == [], "no data at rest"


def test_proxy_backend_unavailable_is_502(dev_faults, http, asm):
    asm.create_secret(Name="prod/flaky", SecretString="flaky-value")
    create(http, mode="proxy")
    dev_faults.asm(target="secretsmanager.GetSecretValue", code="ServiceUnavailable", status=503, count=-1)
    answer = http.get("/v1/secrets/external/aws/flaky")
    assert error_code(answer, 502) == "backend_unavailable"
    assert "flaky-value" not in answer.text


# -- credentials --------------------------------------------------------------------------------
def test_missing_or_incomplete_credentials_are_reported(http):
    backend = create(http, credentials_path="infra/aws/nothing-here")
    status = sync(http, backend["id"])
    assert status["status"] == "error"
    assert status["errors"][0]["code"] == "credentials_not_found"
    assert "infra/aws/nothing-here" in status["errors"][0]["message"]

    http.put("/v1/secrets/infra/aws/half", json={"data": {"access_key_id": "AKIAHALF"}}).raise_for_status()
    http.patch("%s/%s" % (BACKENDS, backend["id"]), json={"config": {"region": "us-east-1", "credentials_path": "infra/aws/half"}})
    status = sync(http, backend["id"])
    assert status["errors"][0]["code"] == "credentials_invalid" and "secret_access_key" in status["errors"][0]["message"]


def test_no_credentials_path_uses_the_servers_environment(http, asm):
    asm.create_secret(Name="prod/env", SecretString="env-credentials")
    backend = create(http, credentials_path=None)
    assert "credentials_path" not in backend["config"]
    assert sync(http, backend["id"])["status"] == "healthy"
    assert read(http, "external/aws/env")["data"] == {"value": "env-credentials"}


def test_rejected_credentials_give_a_readable_error(dev_server, http, asm_iam):
    """moto checks SigV4 keys once IAM auth is on: stored keys it does not know are rejected."""
    bad_keys = {"access_key_id": "AKIAEXAMPLEBADKEY1", "secret_access_key": "not-a-real-secret-key-value"}
    http.put("/v1/secrets/infra/aws/bad", json={"data": bad_keys}).raise_for_status()
    backend = create(http, credentials_path="infra/aws/bad")
    with asm_iam():
        status = sync(http, backend["id"])
        proxy = create(http, name="proxy-bad", mode="proxy", credentials_path="infra/aws/bad", mapping={"external/p/**": "prod/**"})
        proxied = http.get("/v1/secrets/external/p/x")
    assert status["status"] == "error" and status["connection"]["status"] == "error"
    error = status["errors"][0]
    assert error["source"] == "credentials" and error["code"] == "InvalidClientTokenId"
    assert "rejected the credentials" in error["message"] and "infra/aws/bad" in error["message"]
    assert "<?xml" not in error["message"] and "not-a-real-secret-key-value" not in json.dumps(status)
    assert error_code(proxied, 502) == "backend_unavailable"
    assert proxy["id"]


@pytest.fixture
def asm_iam(servers):
    """``with asm_iam():`` turns moto's IAM authentication on: keys moto does not know are rejected."""
    import contextlib

    @contextlib.contextmanager
    def enabled():
        # Nothing else may call ASM meanwhile: moto would reject the harness's "testing" keys too.
        httpx.post(servers.asm_url + "/moto-api/reset-auth", content=b"0", trust_env=False).raise_for_status()
        try:
            yield
        finally:
            httpx.post(servers.asm_url + "/moto-api/reset-auth", content=b"inf", trust_env=False).raise_for_status()

    return enabled
