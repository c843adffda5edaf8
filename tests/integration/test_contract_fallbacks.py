# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection against a ScaiVault that chose differently where the docs are silent ([assumed] shapes).

Each contract switch of the dev server (tests/devserver/contract.py) is played alone here, on the session's
own server (POST /_dev/contract, reset after each test), and what the client did about it is read back
out of band: the server's request counters and what it stores (GET /_dev/secrets), never the module's word.
docs/scaivault-contract.md lists each item; this file is the test column of its table.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients import scaivault as sv

from asm_roundtrip import assert_rebuilds
from devserver.contract import SWITCHES
from integration.asm_seed import VALUE_KINDS
from integration.leakscan import assert_no_leak
from integration.secret_helpers import (
    BATCH_META_ROUTE, BATCH_READ_ROUTE, GET_ROUTE, PROBE_ROUTE, PUT_ROUTE, Vault, fast_module_runner, list_of,
    route_count)

REGION = "us-east-1"
OWN_IDENTITY = "user:dev@scaivault.local"
MAPPING = [{"match": "prod/enc/**", "path": "migrated/kinds/**"}]
BULK = 120
FAULT_404 = {"kind": "status", "status": 404, "method": "POST", "path_regex": "^/v1/secrets/batch/metadata$"}


@pytest.fixture
def vault(scaivault_http, dev_server):
    return Vault(scaivault_http, dev_server)


def seed(asm):
    """One ASM secret of every value kind (VALUE_KINDS), plus plain ones to cross the 100-path batches."""
    values = []
    for name, (string, binary) in VALUE_KINDS.items():
        asm.create_secret(Name=name, **({"SecretString": string} if string is not None else {"SecretBinary": binary}))
        values.append(string if string is not None else binary)
    for index in range(BULK):
        value = "fb-bulk-value-%04d-kept-secret" % index
        asm.create_secret(Name="prod/enc/bulk/%04d" % index, SecretString=value)
        values.append(value)
    return values


def path_of(name):
    return "migrated/kinds/" + name[len("prod/enc/"):]


def migrate(module, **extra):
    args = dict(region=REGION, prefixes=["prod/enc/"], mapping=MAPPING, **extra)
    return module("asm_migrate", args, timeout=300)


def assert_matches_asm(vault, asm, name, path):
    assert assert_rebuilds(vault.get(path), asm.get_secret_value(SecretId=name))["name"] == name


def fallback_warnings(result, endpoint):
    return [warning for warning in result.result.get("warnings") or [] if endpoint in warning]


# -- the case: the batch-metadata route answers 404 on a server that otherwise follows our reading ------
def test_batch_metadata_404_migrates_everything_warns_once_and_reruns_read_no_asm_value(module, dev_server, vault, dev_faults,
                                                                                        asm_client_factory, record_property):
    asm = asm_client_factory(REGION)
    dev_server.dev_contract("default")
    values = seed(asm)
    total = len(VALUE_KINDS) + BULK
    dev_faults.dev([FAULT_404])
    dev_server.reset_dev_counters()
    dev_server.reset_asm_calls()

    first = migrate(module)
    assert not first.failed, first.result.get("msg")
    assert first.result["summary"]["create"] == total and first.result["summary"]["error"] == 0
    warned = fallback_warnings(first, "POST /v1/secrets/batch/metadata")
    assert len(warned) == 1, first.result.get("warnings")
    assert "POST /v1/secrets/batch" in warned[0] and "read unit per path" in warned[0] and "404" in warned[0]
    counters = dev_server.dev_counters()
    batches = math.ceil(total / 100)
    assert route_count(counters, BATCH_META_ROUTE) == 1, "the missing route is asked once, then remembered"
    assert route_count(counters, BATCH_READ_ROUTE) == batches and route_count(counters, PUT_ROUTE) == total
    for name in list(VALUE_KINDS) + ["prod/enc/bulk/0000"]:
        assert_matches_asm(vault, asm, name, path_of(name))

    dev_server.reset_dev_counters()
    dev_server.reset_asm_calls()
    second = migrate(module)
    assert not second.failed and not second.result["changed"]
    assert second.result["summary"]["unchanged"] == total
    assert dev_server.asm_calls()["by_operation"] == {"ListSecrets": math.ceil(total / 100)}, "an ASM value was read"
    counters = dev_server.dev_counters()
    assert route_count(counters, PUT_ROUTE) == route_count(counters, GET_ROUTE) == 0, "the re-run wrote or read one by one"
    # The cost of the fallback, reported: ScaiVault values are read through the batch read by this identity only.
    assert route_count(counters, BATCH_META_ROUTE) == 1 and route_count(counters, BATCH_READ_ROUTE) == batches
    assert counters["total"] == 1 + batches
    reads = [row for row in vault.http.get("/v1/audit/logs", params={
        "action": "read", "path_prefix": "migrated/kinds/", "success": "true", "limit": 1000}).json()["logs"]
        if (row.get("extra_data") or {}).get("batch")]
    assert len(reads) == total and {row["identity_id"] for row in reads} == {OWN_IDENTITY}
    record_property("batch_metadata_fallback", json.dumps({
        "secrets": total, "rerun_scaivault_requests": counters["total"], "rerun_batch_reads": batches,
        "rerun_read_units": batches + total, "rerun_asm_calls": math.ceil(total / 100), "rerun_puts": 0}))
    assert_no_leak([value for value in values if isinstance(value, str) and 8 <= len(value) < 1000],
                   texts={"first": first.output, "second": second.output})


# -- every switch alone: what the client does about it ----------------------------------------------------------
def client(dev_server, token=None):
    sv.forget_discoveries()
    settings = sv.ConnectionSettings.resolve({"url": dev_server.scaivault_url, "token": token or dev_server.token}, environ={})
    warnings = []
    return sv.ScaiVaultClient(settings, warn=warnings.append), warnings


def put(api, path, value="fb-switch-value-0042", metadata=None):
    return api.put_secret(path, {"value": value}, secret_type="kv", metadata=metadata or {"owner": "team:a"})


def case_no_batch_metadata(dev_server, vault, module):
    api, warnings = client(dev_server)
    put(api, "sw/a")
    found, errors = api.batch_metadata(["sw/a", "sw/missing"])
    assert set(found) == {"sw/a"} and "data" not in found["sw/a"] and errors["sw/missing"]["code"] == "secret_not_found"
    api.batch_metadata(["sw/a"])
    by_route = dev_server.dev_counters()["by_route"]
    assert by_route.get(PROBE_ROUTE) == 1 and by_route.get(BATCH_READ_ROUTE) == 2 and len(warnings) == 1


def case_list_envelope(dev_server, vault, module):
    api, _warnings = client(dev_server)
    for name in ("a", "b", "c"):
        put(api, "sw/" + name)
    assert [item["path"] for item in api.list_secrets(prefix="sw/", limit=2)] == ["sw/a", "sw/b", "sw/c"]
    assert api.capabilities()["seen"]["list_envelope secrets"] == "data/next_cursor/no has_more"


def case_list_limit_strict(dev_server, vault, module):
    api, warnings = client(dev_server)
    put(api, "sw/a")
    assert [item["path"] for item in api.list_secrets()] == ["sw/a"]
    assert [item["path"] for item in api.list_secrets()] == ["sw/a"]
    assert dev_server.dev_counters()["by_status"].get("400", 0) + dev_server.dev_counters()["by_status"].get("422", 0) == 1
    assert len(warnings) == 1 and "limit=1000" in warnings[0]


def case_list_includes_deleted(dev_server, vault, module):
    api, _warnings = client(dev_server)
    put(api, "sw/a")
    put(api, "sw/gone")
    api.delete_secret("sw/gone")
    assert [item["path"] for item in api.list_secrets(prefix="sw/")] == ["sw/a"]
    assert vault.stored("sw/gone")["deleted_at"]


def case_validation_400(dev_server, vault, module):
    api, _warnings = client(dev_server)
    with pytest.raises(sv.ScaiVaultError) as err:
        api.put_secret("sw/a", ["not", "an", "object"])
    assert err.value.status == 400 and err.value.code == "validation_error" and err.value.details["fields"] == ["data"]


def case_hard_delete(dev_server, vault, module):
    res = module("scaivault_secret", {"path": "sw/a", "data": {"value": "fb-switch-value-0042"}})
    assert res.changed
    res = module("scaivault_secret", {"path": "sw/a", "state": "absent", "permanent": True})
    assert res.changed and vault.stored("sw/a") is None, "the hard delete left the secret (or a soft-deleted copy)"
    assert module("scaivault_secret", {"path": "sw/a", "data": {"value": "x-1"}}).changed  # no 409 secret_exists
    flags = [key for key in dev_server.dev_counters()["by_path"] if key.startswith("DELETE ")]
    assert flags == ["DELETE /v1/secrets/sw/a"]


def case_delete_200(dev_server, vault, module):
    api, _warnings = client(dev_server)
    put(api, "sw/a")
    assert api.delete_secret("sw/a") is True and vault.stored("sw/a")["deleted_at"]
    assert api.delete_secret("sw/never") is False


def case_put_full_object(dev_server, vault, module):
    api, _warnings = client(dev_server)
    answer = put(api, "sw/a")
    assert "data" not in answer and answer["version"] == 1 and vault.stored("sw/a")["version"] == 1


def case_put_empty(dev_server, vault, module):
    res = module("scaivault_secret", {"path": "sw/a", "data": {"value": "fb-switch-value-0042"}})
    assert res.changed and res.result["version"] == 1 and vault.stored("sw/a")["version"] == 1
    res = module("scaivault_secret", {"path": "sw/a", "data": {"value": "fb-switch-value-0043"}})
    assert res.result["version"] == 2 == vault.stored("sw/a")["version"]


def case_metadata_omitted_clears(dev_server, vault, module):
    args = {"path": "sw/a", "data": {"value": "fb-switch-value-0042"}, "metadata": {"owner": "team:a", "tags": ["t"]}}
    assert module("scaivault_secret", args).changed
    res = module("scaivault_secret", {"path": "sw/a", "data": {"value": "fb-switch-value-0043"}})
    assert res.result["changed_fields"] == ["data"]
    assert vault.stored("sw/a")["metadata"] == {"owner": "team:a", "tags": ["t"]}, "a data change lost the metadata"


def case_secret_type_default(dev_server, vault, module):
    assert module("scaivault_secret", {"path": "sw/a", "data": {"value": "fb-switch-value-0042"}}).changed
    assert vault.stored("sw/a")["secret_type"] == "kv"
    assert not module("scaivault_secret", {"path": "sw/a", "data": {"value": "fb-switch-value-0042"}}).changed


def case_metadata_patch(dev_server, vault, module):
    args = {"path": "sw/a", "data": {"value": "fb-switch-value-0042"}, "metadata": {"owner": "team:a"}}
    assert module("scaivault_secret", args).changed
    dev_server.reset_dev_counters()
    res = module("scaivault_secret", dict(args, metadata={"owner": "team:b", "tags": ["x"]}))
    assert res.changed and res.result["version_written_for_metadata"] is False and res.result["version"] == 1
    stored = vault.stored("sw/a")
    assert stored["version"] == 1 and stored["versions"] == [1] and stored["metadata"] == {"owner": "team:b", "tags": ["x"]}
    by_route = dev_server.dev_counters()["by_route"]
    assert by_route.get("PATCH /v1/secrets/{path}/metadata") == 1 and PUT_ROUTE not in by_route
    assert not module("scaivault_secret", dict(args, metadata={"owner": "team:b", "tags": ["x"]})).changed


def case_no_required_scope(dev_server, vault, module):
    token = vault.token(["federation:read"])
    api, _warnings = client(dev_server, token)
    with pytest.raises(sv.ScaiVaultError) as err:
        api.create_backend({"name": "x", "type": "aws-secrets-manager", "config": {"region": "us-east-1"},
                            "path_mapping": {"external/x/**": "x/**"}, "mode": "proxy"})
    assert err.value.status == 403 and err.value.required_scope == "federation:write"
    assert "Grant federation:write" in err.value.describe()


BACKEND = {"name": "aws-sw", "type": "aws-secrets-manager", "config": {"region": "us-east-1"},
           "path_mapping": {"external/sw/**": "sw/**"}, "mode": "sync", "sync_interval": "15m"}


def case_federation(dev_server, vault, module):
    res = module("scaivault_federation", dict(BACKEND, transform={"tags": "key"}, sync_now=True, wait=True, wait_timeout=60))
    assert not res.failed, res.result.get("msg")
    assert res.result["status"]["status"] in ("healthy", "degraded") and res.result["sync"]["sync_id"]
    again = module("scaivault_federation", dict(BACKEND, transform={"tags": "key"}))
    assert not again.failed and not again.changed, again.result
    backends = [backend["name"] for backend in vault.http.get("/v1/federation/backends").json().get("data") or
                vault.http.get("/v1/federation/backends").json().get("backends") or []]
    assert backends == ["aws-sw"]
    info = module("scaivault_federation_info", {"name": "aws-sw"})
    assert info.result["backends"][0]["status"]["status"] in ("healthy", "degraded")


def case_rotation_assignments(dev_server, vault, module):
    put(client(dev_server)[0], "sw/a")
    res = module("scaivault_rotation_policy", {"name": "sw-monthly", "interval": "30d", "secrets": ["sw/a"]})
    assert res.changed and res.result["secrets"] == ["sw/a"]
    again = module("scaivault_rotation_policy", {"name": "sw-monthly", "interval": "30d", "secrets": ["sw/a"]})
    assert not again.changed and again.result["secrets"] == ["sw/a"]
    assert vault.stored("sw/a")["rotation_policy_id"] == res.result["policy"]["id"]


# Items 25-32: access policies, subscriptions, rotate now, audit evidence (documented fields only; shapes cut from the
# docs). Each is read back with the dev server's own client, never with the module's word.
def mint_token(vault, identity_id, scopes):
    token = "skt_switch_" + identity_id.replace(":", "_")
    answer = vault.http.post("/_dev/tokens", json={"token": token, "identity_id": identity_id, "scopes": scopes})
    assert answer.status_code in (200, 201), answer.text
    return token


def read_policy(vault, name):
    [summary] = [item for item in vault.http.get("/v1/policies").json()["policies"] if item["name"] == name]
    return summary["id"]


def case_access_test_decision(dev_server, vault, module):
    put(client(dev_server)[0], "sw/app/key")
    rule = {"path_pattern": "sw/app/**", "permissions": ["read"]}
    assert module("scaivault_policy", {"name": "sw-read", "rules": [rule], "bindings": [{"identity_id": "sa:sw-reader"}]}).changed
    raw = vault.http.post("/v1/policies/test", json={"identity_id": "sa:sw-reader", "path": "sw/app/key", "permission": "read"})
    assert raw.json()["decision"] == "allow" and "allowed" not in raw.json()  # the alternative is on
    checks = [{"identity_id": "sa:sw-reader", "path": "sw/app/key"}, {"identity_id": "sa:nobody", "path": "sw/app/key"}]
    res = module("scaivault_policy_test", {"checks": checks, "fail_on_denied": False})
    answers = [(item["identity_id"], item["allowed"]) for item in res.result["results"]]
    assert answers == [("sa:sw-reader", True), ("sa:nobody", False)]
    assert res.result["results"][0]["matched_policy_id"] == read_policy(vault, "sw-read")
    assert res.result["denied"] == ["sa:nobody read sw/app/key"]


def case_policy_without_bindings(dev_server, vault, module):
    args = {"name": "sw-bound", "rules": [{"path_pattern": "sw/**", "permissions": ["read"]}],
            "bindings": [{"identity_id": "sa:sw-reader"}]}
    assert module("scaivault_policy", args).changed
    policy_id = read_policy(vault, "sw-bound")
    assert "bindings" not in vault.http.get("/v1/policies/%s" % policy_id).json()  # the alternative is on
    dev_server.reset_dev_counters()
    again = module("scaivault_policy", args)
    assert not again.changed, again.result
    listed = vault.http.get("/v1/policies/%s/bindings" % policy_id).json()["bindings"]
    assert [item["identity_id"] for item in listed] == ["sa:sw-reader"]  # bound once, not again
    assert route_count(dev_server.dev_counters(), "GET /v1/policies/{id}/bindings") >= 1


def case_subscription_alt_ids(dev_server, vault, module):
    put(client(dev_server)[0], "sw/db")
    args = {"name": "sw-rotation", "paths": ["sw/**"], "events": ["rotation.due"]}
    assert module("scaivault_subscription", args).changed
    assert "data" in vault.http.get("/v1/subscriptions").json()  # the alternative is on
    assert not module("scaivault_subscription", args).changed  # found under the other envelope: not created twice
    assert len(vault.http.get("/v1/subscriptions").json()["data"]) == 1
    policy = {"name": "sw-db", "interval": "30d", "auto_generate": False, "secrets": ["sw/db"]}
    assert module("scaivault_rotation_policy", dict(policy, rotate_now=True)).changed
    polled = module("scaivault_subscription_events", {"subscription": "sw-rotation", "wait": 5}).result["events"]
    assert [(item["event_type"], item["path"]) for item in polled] == [("rotation.due", "sw/db")]
    [subscription] = vault.http.get("/v1/subscriptions").json()["data"]
    raw = vault.http.get("/v1/subscriptions/%s/poll" % subscription["id"], params={"timeout": 0}).json()["events"]
    assert polled[0]["event_id"] == raw[0]["id"]  # read from id, the alternative's key
    assert module("scaivault_subscription_events", {"subscription": "sw-rotation", "action": "ack",
                                                    "event_ids": [polled[0]["event_id"]]}).changed
    assert vault.http.get("/v1/subscriptions/%s/poll" % subscription["id"], params={"timeout": 0}).json()["events"] == []


def case_rotate_now_bare(dev_server, vault, module):
    put(client(dev_server)[0], "sw/db")
    policy = {"name": "sw-auto", "interval": "30d", "auto_generate": True, "secrets": ["sw/db"], "rotate_now": True}
    res = module("scaivault_rotation_policy", policy)
    assert res.changed and res.result["rotations"] == []  # nothing said: nothing made up
    assert vault.stored("sw/db")["version"] == 2  # the server did rotate: re-reading the version tells


def case_no_audit_summary(dev_server, vault, module):
    put(client(dev_server)[0], "sw/old/key")
    token = mint_token(vault, "sa:sw-legacy", ["secrets:read"])
    for _read in range(2):
        assert vault.http.get("/v1/secrets/sw/old/key", headers={"Authorization": "Bearer " + token}).status_code == 200
    assert vault.http.get("/v1/audit/secrets/sw/old/key").status_code == 404  # the alternative is on
    auto = module("scaivault_audit_evidence", {"paths": ["sw/old/key"], "since": "1h"})
    assert auto.result["method"] == "logs" and auto.result["paths"]["sw/old/key"]["by_identity"] == {"sa:sw-legacy": 2}
    summary = module("scaivault_audit_evidence", {"paths": ["sw/old/key"], "since": "1h", "method": "summary"})
    assert summary.failed and "GET /v1/audit/secrets/sw/old/key answered 404: this ScaiVault has no per-secret audit " \
        "summary, which the collection assumed (docs/scaivault-contract.md, item 31); use the logs or auto method" \
        in summary.result["msg"], summary.result


def case_export_id_key(dev_server, vault, module):
    put(client(dev_server)[0], "sw/old/key")
    vault.http.get("/v1/secrets/sw/old/key")
    res = module("scaivault_audit_evidence", {"paths": ["sw/old/key"], "since": "1h", "exclude_identities": [],
                                              "export": {"bucket": "sw-evidence", "prefix": "switch", "wait": 20}})
    assert res.changed and res.result["export"]["status"] == "completed", res.result
    exports = vault.http.get("/v1/audit/logs", params={"action": "export_created"}).json()["logs"]
    assert len(exports) == 1  # started once, its id found under export_id and followed to the end
    [manifest] = res.result["export"]["files"]
    assert (dev_server.data_dir / "audit-exports" / "sw-evidence" / manifest["key"]).exists()


CASES = {
    "no_batch_metadata": case_no_batch_metadata, "list_envelope": case_list_envelope,
    "list_limit_strict": case_list_limit_strict, "list_includes_deleted": case_list_includes_deleted,
    "validation_400": case_validation_400, "hard_delete": case_hard_delete, "delete_200": case_delete_200,
    "put_full_object": case_put_full_object, "put_empty": case_put_empty,
    "metadata_omitted_clears": case_metadata_omitted_clears, "secret_type_default": case_secret_type_default,
    "metadata_patch": case_metadata_patch, "no_required_scope": case_no_required_scope,
    "federation_envelope": case_federation, "federation_create_200": case_federation,
    "federation_sync_200": case_federation, "status_case": case_federation, "no_transform": case_federation,
    "rotation_assignments": case_rotation_assignments,
    "access_test_decision": case_access_test_decision, "policy_without_bindings": case_policy_without_bindings,
    "subscription_alt_ids": case_subscription_alt_ids, "rotate_now_bare": case_rotate_now_bare,
    "no_audit_summary": case_no_audit_summary, "export_id_key": case_export_id_key,
}


def test_every_switch_has_a_case():
    assert sorted(CASES) == sorted(SWITCHES)


@pytest.mark.parametrize("switch", sorted(SWITCHES))
def test_each_switch_alone(switch, dev_server, vault):
    dev_server.dev_contract("alt:" + switch)
    dev_server.reset_dev_counters()
    CASES[switch](dev_server, vault, fast_module_runner(dev_server.env))


# -- conformance: make conformance (scripts/conformance.sh) and the preflight phase of migrate.yml ------------
REPO = Path(__file__).resolve().parents[2]
CONFORMANCE = REPO / "scripts" / "conformance.sh"


def conformance(servers, token, tmp_path, read_only=False):
    env = servers.subprocess_env(extra={"SCAIVAULT_TOKEN": token, "PYTHON": sys.executable,
                                        "CONFORMANCE_LOG": str(tmp_path / "conformance.log"),
                                        "CONFORMANCE_READ_ONLY": "1" if read_only else ""})
    return subprocess.run(["bash", str(CONFORMANCE)], env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("contract", ["default", "alt"])
def test_conformance_passes_on_both_contracts_and_leaves_nothing(contract, dev_server, vault, tmp_path):
    dev_server.dev_contract(contract)
    done = conformance(dev_server, dev_server.token, tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "what the tenant did" in done.stdout and "preflight passed" in done.stdout
    if contract == "alt":
        assert "fallback: reads metadata with POST /v1/secrets/batch" in done.stdout
        assert "has PATCH /v1/secrets/{path}/metadata" in done.stdout and "?hard=true" in done.stdout
    else:
        assert re.search(r"batch metadata +\| has the route +\| native", done.stdout), done.stdout
    # Everything written under the scratch prefix is gone for good (no soft-deleted copy either).
    by_path = dev_server.dev_counters()["by_path"]
    written = sorted(set(key.split(" ", 1)[1][len("/v1/secrets/"):] for key in by_path
                         if key.startswith("PUT /v1/secrets/")))
    assert written and all(path.startswith("scaivault-preflight/") for path in written), written
    assert all(vault.stored(path) is None for path in written), "a scratch secret was left behind"
    assert list_of(vault.http.get("/v1/federation/backends").json()) == []
    assert list_of(vault.http.get("/v1/rotation/policies").json()) == []


def test_read_only_conformance_writes_nothing(dev_server, tmp_path):
    done = conformance(dev_server, dev_server.token, tmp_path, read_only=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    methods = set(key.split(" ", 1)[0] for key in dev_server.dev_counters()["by_route"])
    assert methods <= {"GET", "POST"}, methods
    posts = set(key for key in dev_server.dev_counters()["by_route"] if key.startswith("POST"))
    assert posts <= {BATCH_META_ROUTE, BATCH_READ_ROUTE, PROBE_ROUTE, "POST /v1/auth/introspect"}, posts


def test_conformance_without_federation_write_fails_naming_the_scope(dev_server, vault, tmp_path):
    token = vault.token(["secrets:list", "secrets:read", "secrets:write", "secrets:delete", "federation:read", "admin",
                         "audit:read"], identity_id="sa:no-federation-write")
    done = conformance(dev_server, token, tmp_path)
    assert done.returncode != 0
    assert "federation:write" in done.stderr and "lacks" in done.stderr, done.stderr[-2000:]
    assert list_of(vault.http.get("/v1/federation/backends").json()) == []


def test_migrate_playbook_preflight_stops_before_any_change(dev_server, vault):
    from demo.seed_demo import seed_demo  # pylint: disable=import-outside-toplevel
    from integration.playbook_runner import run_playbook  # pylint: disable=import-outside-toplevel

    seed_demo(dev_server.asm_url, bulk_primary=2, bulk_secondary=1)
    token = vault.token(["secrets:list", "secrets:read", "secrets:write", "federation:read", "audit:read"],
                        identity_id="sa:too-narrow")
    dev_server.reset_dev_counters()
    dev_server.reset_asm_calls()
    res = run_playbook(REPO / "playbooks" / "migrate.yml", env=dict(dev_server.env, SCAIVAULT_TOKEN=token),
                       inventory=str(REPO / "tests" / "demo" / "inventory"), extra_vars={"scaivault_report_dir": "reports"})
    assert res.rc != 0
    assert "federation:write" in res.stdout and "admin" in res.stdout
    assert "Inventory the ASM secrets" not in res.stdout, "a phase after the preflight ran"
    by_route = dev_server.dev_counters()["by_route"]
    assert not [route for route in by_route if route.split(" ")[0] in ("PUT", "PATCH", "DELETE")], by_route
    assert set(dev_server.asm_calls()["by_operation"]) <= set(), "the preflight touched ASM"
