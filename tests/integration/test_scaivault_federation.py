# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""scaivault_federation, _info and _verify against the live dev server and moto.

The dev server federates for real (it reads moto through boto3), so every check here reads
the outcome back out of band: backends and counters over HTTP, values from both sides,
decoded with the collection's own encoding rule.
"""

from __future__ import annotations

import base64
import contextlib
import json

import httpx
import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.encoding import values_equal

from asm_roundtrip import decode_to_asm
from integration.leakscan import assert_no_leak
from integration.secret_helpers import CREATED, list_of, stored_meta

FED = "scaivault_federation"
INFO = "scaivault_federation_info"
VERIFY = "scaivault_federation_verify"
BACKENDS = "/v1/federation/backends"
READER = "infra/aws/sm-reader"
STRIPE_KEY = "sk_live_51FederatedCanary4471"
READER_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/FederationReaderKey77"

SYNC_ARGS = {
    "name": "aws-us-east-1",
    "type": "aws-secrets-manager",
    "config": {"region": "us-east-1", "credentials_path": READER},
    "path_mapping": {"external/aws/**": "prod/**"},
    "mode": "sync",
    "sync_interval": "15m",
}


@pytest.fixture
def http(scaivault_http):
    scaivault_http.put("/v1/secrets/" + READER, json={
        "secret_type": "json", "data": {"access_key_id": "AKIAFEDERATIONTEST", "secret_access_key": READER_SECRET_KEY}},
    ).raise_for_status()
    return scaivault_http


@pytest.fixture
def asm(asm_client_factory):
    return asm_client_factory("us-east-1")


def backends(http):
    return {backend["name"]: backend for backend in list_of(http.get(BACKENDS).json())}


def versions(http, path):
    found = stored_meta(http, path)
    return found["version"] if found else None


def route_count(servers, route):
    return servers.dev_counters()["by_route"].get(route, 0)


def ok(result):
    assert not result.failed, json.dumps(result.result, indent=1)[:3000]
    return result.result


def assert_same_as_asm(http, asm, path, name):
    """The federated path, decoded with the recorded format, rebuilds exactly what ASM holds."""
    secret = http.get("/v1/secrets/" + path).json()
    value = asm.get_secret_value(SecretId=name)
    source = secret["metadata"]["source"]
    assert source["version_id"] == value["VersionId"] and source["name"] == name
    string, binary = decode_to_asm(secret["data"], source["format"])
    if "SecretBinary" in value:
        assert binary == value["SecretBinary"]
    elif source["format"] == "json":
        assert values_equal(json.loads(string), json.loads(value["SecretString"]))
    else:
        assert string == value["SecretString"]


def seed(asm):
    asm.create_secret(Name="prod/billing/stripe", SecretString=json.dumps({"secret_key": STRIPE_KEY, "port": 443}),
                      Tags=[{"Key": "env", "Value": "prod"}])
    asm.create_secret(Name="prod/app/password", SecretString="plain-password-value")
    asm.create_secret(Name="prod/app/cert", SecretBinary=b"\x00\x01\x02binary-cert")
    asm.create_secret(Name="staging/unmapped", SecretString="not-in-scope")
    return {"external/aws/billing/stripe": "prod/billing/stripe", "external/aws/app/password": "prod/app/password",
            "external/aws/app/cert": "prod/app/cert"}


# -- idempotency --------------------------------------------------------------------------------
def test_four_steps_create(module, dev_server, http):
    fields = ["config", "mode", "path_mapping", "sync_interval", "type"]
    step1 = ok(module(FED, SYNC_ARGS, check=True, diff=True))
    assert step1["changed"] and step1["changed_fields"] == fields
    assert step1["backend"]["id"] is None and "status" not in step1
    assert step1["diff"]["before"] == {} and step1["diff"]["after"]["mode"] == "sync"
    assert backends(http) == {}, "check mode created a backend"

    step2 = ok(module(FED, SYNC_ARGS, diff=True))
    assert step2["changed"] and step2["changed_fields"] == fields
    created = backends(http)["aws-us-east-1"]
    assert step2["backend"]["id"] == created["id"] and created["id"].startswith("fed_")
    assert step2["status"]["id"] == created["id"]

    dev_server.reset_dev_counters()
    for check in (True, False):
        step = ok(module(FED, dict(SYNC_ARGS, sync_interval="900s"), check=check))
        assert not step["changed"] and step["changed_fields"] == [], check
    assert route_count(dev_server, "PATCH /v1/federation/backends/{id}") == 0, "an unchanged backend was PATCHed"
    assert route_count(dev_server, "POST /v1/federation/backends") == 0
    assert backends(http)["aws-us-east-1"]["updated_at"] == created["updated_at"]


def test_four_steps_absent_removes_backend_and_synced_paths(module, http, asm):
    seed(asm)
    ok(module(FED, dict(SYNC_ARGS, sync_now=True, wait=True, wait_timeout=30)))
    assert versions(http, "external/aws/app/password") == 1
    args = {"name": "aws-us-east-1", "state": "absent"}
    step1 = ok(module(FED, args, check=True, diff=True))
    assert step1["changed"] and step1["diff"]["after"] == {} and step1["diff"]["before"]["name"] == "aws-us-east-1"
    assert "aws-us-east-1" in backends(http)
    assert ok(module(FED, args))["changed"]
    assert backends(http) == {} and versions(http, "external/aws/app/password") is None
    for check in (True, False):
        assert not ok(module(FED, args, check=check))["changed"]


# -- sync mode ----------------------------------------------------------------------------------
def test_sync_mode_end_to_end(module, http, asm):
    mapped = seed(asm)
    result = ok(module(FED, dict(SYNC_ARGS, sync_now=True, wait=True, wait_timeout=30)))
    # started by our reading (202); a tenant answering 200 {id, status: QUEUED} reads as queued.
    assert result["changed"] and result["sync"]["status"] in ("started", "queued") and result["sync"]["sync_id"]
    status = result["status"]
    assert status["status"] == "healthy" and status["secrets_synced"] == 3 and status["last_sync"]
    for path, name in mapped.items():
        assert_same_as_asm(http, asm, path, name)
    assert http.get("/v1/secrets/external/aws/billing/stripe").json()["metadata"]["tags"] == ["env=prod"]

    asm.put_secret_value(SecretId="prod/app/password", SecretString="rotated-password-value")
    ok(module(FED, dict(SYNC_ARGS, sync_now=True, wait=True)))
    assert versions(http, "external/aws/app/password") == 2, "exactly one new version"
    assert versions(http, "external/aws/billing/stripe") == 1
    assert_same_as_asm(http, asm, "external/aws/app/password", "prod/app/password")

    again = ok(module(FED, dict(SYNC_ARGS, sync_now=True, wait=True)))
    assert again["changed_fields"] == []
    assert versions(http, "external/aws/app/password") == 2, "no ASM change, no new version"

    asm.delete_secret(SecretId="prod/app/cert", ForceDeleteWithoutRecovery=True)
    gone = ok(module(FED, dict(SYNC_ARGS, sync_now=True, wait=True)))
    assert gone["status"]["secrets_synced"] == 2
    assert http.get("/v1/secrets/external/aws/app/cert").status_code == 404


def test_wait_without_trigger_waits_for_the_first_sync(module, http, asm):
    seed(asm)
    result = ok(module(FED, dict(SYNC_ARGS, wait=True, wait_timeout=30)))
    assert "sync" not in result and result["status"]["last_sync"] and result["status"]["secrets_synced"] == 3


# -- proxy mode ---------------------------------------------------------------------------------
def test_proxy_reads_are_live_and_writes_refused(module, http, asm):
    seed(asm)
    args = dict(SYNC_ARGS, mode="proxy")
    del args["sync_interval"]
    result = ok(module(FED, dict(args, wait=True, wait_timeout=30)))
    assert result["status"]["status"] == "healthy"
    assert_same_as_asm(http, asm, "external/aws/app/password", "prod/app/password")
    asm.put_secret_value(SecretId="prod/app/password", SecretString="changed-live-value")
    assert http.get("/v1/secrets/external/aws/app/password").json()["data"] == {"value": "changed-live-value"}

    refused = module("scaivault_secret", {"path": "external/aws/app/password", "data": {"value": "x"}})
    assert refused.failed and "federated_path_read_only" in refused.result["msg"]
    assert http.put("/v1/secrets/external/aws/new", json={"data": {"a": 1}}).status_code == 409

    denied = module(FED, dict(args, sync_now=True))
    assert denied.failed and "proxy mode" in denied.result["msg"] and "aws-us-east-1" in denied.result["msg"]


def test_switch_proxy_to_sync_is_one_patch(module, dev_server, http, asm):
    seed(asm)
    proxy = dict(SYNC_ARGS, mode="proxy")
    del proxy["sync_interval"]
    created = ok(module(FED, proxy))["backend"]
    dev_server.reset_dev_counters()
    result = ok(module(FED, {"name": "aws-us-east-1", "mode": "sync", "sync_interval": "15m", "sync_now": True,
                             "wait": True}, diff=True))
    assert result["changed_fields"] == ["mode", "sync_interval"]
    assert result["diff"]["before"]["mode"] == "proxy" and result["diff"]["after"]["mode"] == "sync"
    assert route_count(dev_server, "PATCH /v1/federation/backends/{id}") == 1
    assert route_count(dev_server, "POST /v1/federation/backends") == 0
    assert route_count(dev_server, "DELETE /v1/federation/backends/{id}") == 0
    assert backends(http)["aws-us-east-1"]["id"] == created["id"], "re-created instead of patched"
    assert versions(http, "external/aws/billing/stripe") == 1


# -- failures -----------------------------------------------------------------------------------
@pytest.fixture
def moto_iam(servers):
    """Turn moto's IAM authentication on (unknown keys are rejected), always off again afterwards."""

    @contextlib.contextmanager
    def enabled():
        httpx.post(servers.asm_url + "/moto-api/reset-auth", content=b"0", trust_env=False).raise_for_status()
        try:
            yield
        finally:
            httpx.post(servers.asm_url + "/moto-api/reset-auth", content=b"inf", trust_env=False).raise_for_status()

    return enabled


def test_bad_credentials_fail_the_wait(module, http, moto_iam):
    with moto_iam():
        failed = module(FED, dict(SYNC_ARGS, sync_now=True, wait=True, wait_timeout=30))
    assert failed.failed
    msg = failed.result["msg"]
    assert "aws-us-east-1" in msg and "status error" in msg
    assert "rejected the credentials" in msg and "InvalidClientTokenId" in msg and READER in msg
    assert failed.result["status"]["status"] == "error"
    assert READER_SECRET_KEY not in json.dumps(failed.result)


def test_incomplete_credentials_and_option_errors(module, http):
    http.put("/v1/secrets/infra/aws/half", json={"data": {"access_key_id": "AKIAHALFONLY"}}).raise_for_status()
    failed = module(FED, dict(SYNC_ARGS, config={"region": "us-east-1", "credentials_path": "infra/aws/half"},
                              sync_now=True, wait=True, wait_timeout=30))
    assert failed.failed and "secret_access_key" in failed.result["msg"]

    inline = module(FED, dict(SYNC_ARGS, name="inline", config={"region": "us-east-1", "secret_access_key": READER_SECRET_KEY}))
    assert inline.failed and "scaivault_secret" in inline.result["msg"] and "inline" in inline.result["msg"]
    assert READER_SECRET_KEY not in json.dumps(inline.result)
    missing = module(FED, {"name": "nothing-yet", "mode": "sync"})
    assert missing.failed and "nothing-yet" in missing.result["msg"] and "path_mapping" in missing.result["msg"]


# -- two regions, info, verify ---------------------------------------------------------------------
def test_two_regions_info_and_verify(module, http, asm_client_factory):
    east, west = asm_client_factory("us-east-1"), asm_client_factory("eu-west-1")
    east.create_secret(Name="prod/billing/stripe", SecretString='{"secret_key": "east-region-value"}')
    west.create_secret(Name="prod/billing/stripe", SecretString='{"secret_key": "west-region-value"}')
    ok(module(FED, dict(SYNC_ARGS, sync_now=True, wait=True)))
    ok(module(FED, dict(SYNC_ARGS, name="aws-eu-west-1", config={"region": "eu-west-1", "credentials_path": READER},
                        path_mapping={"external/aws-eu/**": "prod/**"}, sync_now=True, wait=True)))
    assert http.get("/v1/secrets/external/aws/billing/stripe").json()["data"] == {"secret_key": "east-region-value"}
    assert http.get("/v1/secrets/external/aws-eu/billing/stripe").json()["data"] == {"secret_key": "west-region-value"}
    assert http.get("/v1/secrets/external/aws-eu/billing/stripe").json()["metadata"]["source"]["region"] == "eu-west-1"

    info = ok(module(INFO, {}))
    assert [backend["name"] for backend in info["backends"]] == ["aws-eu-west-1", "aws-us-east-1"]
    assert all(backend["status"]["status"] == "healthy" for backend in info["backends"])
    one = ok(module(INFO, {"name": "aws-eu-west-1", "status": False}))
    assert [backend["config"]["region"] for backend in one["backends"]] == ["eu-west-1"]
    assert "status" not in one["backends"][0]
    assert ok(module(INFO, {"name": "nope"}))["backends"] == []

    for backend, path in (("aws-us-east-1", "external/aws/billing/stripe"), ("aws-eu-west-1", "external/aws-eu/billing/stripe")):
        verified = ok(module(VERIFY, {"backend": backend, "paths": [path]}))
        row = verified["secrets"][0]
        assert verified["all_match"] and row["status"] == "match" and row["name"] == "prod/billing/stripe"
        assert row["asm_fingerprint"] == row["scaivault_fingerprint"] and row["version_match"] is True
        assert verified["region"] == backend[4:]
        assert "region-value" not in json.dumps(verified)


def test_verify_reports_mismatch_without_values(module, http, asm):
    seed(asm)
    ok(module(FED, dict(SYNC_ARGS, sync_now=True, wait=True)))
    paths = ["external/aws/billing/stripe", "external/aws/app/password", "external/aws/app/cert"]
    assert ok(module(VERIFY, {"backend": "aws-us-east-1", "paths": paths}, check=True))["all_match"]

    asm.put_secret_value(SecretId="prod/billing/stripe", SecretString=json.dumps({"secret_key": "sk_live_NotSyncedYet99"}))
    report = ok(module(VERIFY, {"backend": "aws-us-east-1", "paths": paths + ["other/path"], "fail_on_mismatch": False}))
    rows = {row["path"]: row for row in report["secrets"]}
    assert not report["all_match"]
    assert rows["external/aws/billing/stripe"]["status"] == "mismatch"
    assert rows["external/aws/billing/stripe"]["differing_keys"] == ["port", "secret_key"]
    assert rows["external/aws/billing/stripe"]["version_match"] is False
    assert rows["external/aws/app/password"]["status"] == "match"
    assert rows["other/path"]["status"] == "error" and rows["other/path"]["name"] is None
    assert report["summary"] == {"match": 2, "mismatch": 1, "missing_in_scaivault": 0, "missing_in_asm": 0, "error": 1}

    failed = module(VERIFY, {"backend": "aws-us-east-1", "paths": paths})
    assert failed.failed and "external/aws/billing/stripe (mismatch" in failed.result["msg"]
    text = json.dumps(failed.result)
    assert STRIPE_KEY not in text and "sk_live_NotSyncedYet99" not in text

    explicit = [{"path": "external/aws/app/password", "name": "prod/app/password"}]
    pair = ok(module(VERIFY, {"region": "us-east-1", "secrets": explicit}))
    assert pair["all_match"]


def test_leak_scan_at_vvvv(playbook, dev_server, asm, tmp_path):
    asm.create_secret(Name="prod/billing/stripe", SecretString=json.dumps({"secret_key": STRIPE_KEY}))
    log_path = tmp_path / "ansible.log"
    result = playbook("""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Store the reader credentials
      scailabs.scaivault.scaivault_secret:
        path: infra/aws/sm-reader
        secret_type: json
        data:
          access_key_id: AKIAFEDERATIONTEST
          secret_access_key: "{{ reader_key }}"
      no_log: true
    - name: Federate
      scailabs.scaivault.scaivault_federation:
        name: aws-us-east-1
        config: {region: us-east-1, credentials_path: infra/aws/sm-reader}
        path_mapping: {"external/aws/**": "prod/**"}
        mode: sync
        sync_interval: 15m
        sync_now: true
        wait: true
    - name: Verify
      scailabs.scaivault.scaivault_federation_verify:
        backend: aws-us-east-1
        paths: [external/aws/billing/stripe]
    - name: Info
      scailabs.scaivault.scaivault_federation_info:
""", verbosity=4, diff=True, extra_vars={"reader_key": READER_SECRET_KEY}, log_path=log_path)
    result.assert_ok()
    assert_no_leak([STRIPE_KEY, READER_SECRET_KEY], texts={"stdout": result.stdout, "stderr": result.stderr},
                   files=[log_path])
    assert base64.b64encode(STRIPE_KEY.encode()).decode() not in result.stdout


NESTED = {"aws": {"secret_access_key": "NestedAwsSecretKey/0001"}, "auth": {"secret_id": "nested-secret-id-0002"},
          "tls": [{"passphrase": "nested-passphrase-0003"}], "client_key": "nested-client-key-0004"}


@pytest.mark.parametrize("key", sorted(NESTED))
def test_nested_credentials_are_refused_and_never_echoed(playbook, http, tmp_path, key):
    """Credentials anywhere in config: refused naming the key; not in msg, invocation, diff, log (-vvvv)."""
    config = {"region": "us-east-1", key: NESTED[key]}
    log_path = tmp_path / "ansible.log"
    result = playbook([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Federate with nested credentials", "register": "refused", "ignore_errors": True,
         "scailabs.scaivault.scaivault_federation": {"name": "nested", "config": config,
                                                     "path_mapping": {"external/aws/**": "prod/**"}, "mode": "sync"}},
        {"name": "Dump", "ansible.builtin.copy": {"content": "{{ refused | to_nice_json }}",
                                                  "dest": str(tmp_path / "registered.json"), "mode": "0600"}},
    ]}], verbosity=4, diff=True, log_path=log_path)
    task = result.task("Federate with nested credentials")
    assert task["failed"] and "holds credentials" in task["result"]["msg"] and "credentials_path" in task["result"]["msg"]
    assert ("config.%s" % key) in task["result"]["msg"]
    assert backends(http) == {}
    values = [value for item in NESTED.values() for value in
              (item.values() if isinstance(item, dict) else [item] if isinstance(item, str) else item[0].values())]
    assert_no_leak(values, texts={"stdout": result.stdout, "stderr": result.stderr,
                                  "records": json.dumps(result.records)},
                   files=[log_path, tmp_path / "registered.json"])


def test_info_and_results_mask_every_unknown_config_key_at_any_depth(module, http):
    """A backend created by other means with unknown keys: _info shows them masked, at any depth."""
    created = http.post(BACKENDS, json={
        "name": "odd-config", "type": "hashicorp-vault", "mode": "proxy",
        "config": {"address": "https://vault.internal", "auth": {"role_id": "visible-role-0001",
                                                                 "wrapped": "odd-wrapped-value-0002"},
                   "headers": [{"X-Vault-Token": "odd-header-token-0003"}]},
        "path_mapping": {"external/vault/**": "secret/**"}})
    assert created.status_code in CREATED, created.text
    info = module(INFO, {})
    assert not info.failed, info.result
    view = [b for b in info.result["backends"] if b["name"] == "odd-config"][0]["config"]
    assert view == {"address": "https://vault.internal", "auth": {"role_id": "********", "wrapped": "********"},
                    "headers": [{"X-Vault-Token": "********"}]}
    assert_no_leak(["visible-role-0001", "odd-wrapped-value-0002", "odd-header-token-0003"],
                   texts={"result": json.dumps(info.result), "output": info.output})
