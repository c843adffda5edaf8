# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""asm_migrate against the live dev server and moto, asserted out of band.

Never trusting the module's own report: stored secrets and versions are read back over HTTP
with the admin token, request counts come from /_dev/counters and moto's /_calls, and values
are compared with what boto3 reads from ASM, decoded with the collection's encoding rule.
"""

from __future__ import annotations

import base64
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest


from asm_roundtrip import assert_rebuilds
from integration.asm_seed import VALUE_KINDS, seed_bulk, seed_mix
from integration.leakscan import assert_no_leak
from integration.playbook_runner import _ansible_playbook, ansible_env, run_playbook
from integration.secret_helpers import (
    BATCH_READ_ROUTE, GET_ROUTE, METADATA_ROUTE, PUT_ROUTE, Vault, contract_on, route_count)

REGION = "us-east-1"
MAPPING = [{"match": "prod/**", "path": "environments/production/**"}]
BULK_MAPPING = [{"match": "bulk/**", "path": "migrated/bulk/**"}]


@pytest.fixture
def vault(scaivault_http, dev_server):
    return Vault(scaivault_http, dev_server)


@pytest.fixture
def asm(asm_client_factory):
    return asm_client_factory(REGION)


@pytest.fixture
def migrate(module):
    def run(check=False, diff=False, expect_failure=False, **args):
        args.setdefault("region", REGION)
        args.setdefault("mapping", MAPPING)
        result = module("asm_migrate", args, check=check, diff=diff, timeout=300)
        if expect_failure:
            assert result.failed, json.dumps(result.result, indent=1)[:3000]
        else:
            assert not result.failed, json.dumps(result.result, indent=1)[:4000] + result.stderr[-2000:]
        return result.result
    return run


def by_name(result):
    return dict((entry["name"], entry) for entry in result["secrets"])


def assert_same_as_asm(vault, asm, path, name, version=None, version_id=None):
    """The stored secret, decoded with its recorded format, rebuilds exactly ASM's bytes."""
    secret = vault.get(path, version)
    source = assert_rebuilds(secret, asm.get_secret_value(SecretId=name, **({"VersionId": version_id} if version_id else {})))
    assert source["name"] == name and source["region"] == REGION
    assert secret["secret_type"] == ("json" if source["format"] == "json" else "kv")
    return secret


# -- encodings ------------------------------------------------------------------------------------
ENCODINGS = VALUE_KINDS


def test_round_trip_is_exact_for_every_encoding(migrate, asm, vault):
    for name, (string, binary) in ENCODINGS.items():
        asm.create_secret(Name=name, **({"SecretString": string} if string is not None else {"SecretBinary": binary}))
    asm.create_secret(Name="prod/enc/too-large", SecretString="y" * (64 * 1024))
    result = migrate(prefixes=["prod/enc/"], expect_failure=True)
    secrets = by_name(result)
    assert secrets["prod/enc/too-large"]["action"] == "error"
    assert secrets["prod/enc/too-large"]["reason_code"] == "secret_too_large"
    assert "too-large" in result["msg"] and result["summary"]["create"] == len(ENCODINGS)
    for name in ENCODINGS:
        assert secrets[name]["action"] == "create", secrets[name]
        stored = assert_same_as_asm(vault, asm, secrets[name]["path"], name)
        assert stored["version"] == 1
    formats = dict((name, vault.get(secrets[name]["path"])["metadata"]["source"]["format"]) for name in ENCODINGS)
    assert formats["prod/enc/json-object"] == "json" and formats["prod/enc/unicode-json"] == "json"
    for name in ("json-list", "json-scalar", "json-string", "malformed-json", "duplicate-keys", "text", "unicode"):
        assert formats["prod/enc/" + name] == "text", name
    assert formats["prod/enc/binary-not-utf8"] == "binary"


# -- cost floor and idempotency -------------------------------------------------------------------
def test_first_run_and_unchanged_rerun_at_the_cost_floor(migrate, dev_server, vault):
    count = 250
    seed_bulk(dev_server.asm_url, count, REGION, "bulk/")
    dev_server.reset_asm_calls()
    dev_server.reset_dev_counters()
    first = migrate(prefixes=["bulk/"], mapping=BULK_MAPPING)
    assert first["changed"] and first["summary"]["create"] == count
    calls = dev_server.asm_calls()["by_operation"]
    assert calls.get("ListSecrets") == math.ceil(count / 100)
    assert calls.get("BatchGetSecretValue") <= math.ceil(count / 20)
    assert sum(calls.values()) <= math.ceil(count / 100) + math.ceil(count / 20) + 2
    assert "DescribeSecret" not in calls and "GetSecretValue" not in calls
    counters = dev_server.dev_counters()
    assert route_count(counters, PUT_ROUTE) == count
    # Metadata of the targets: batch metadata, or on a tenant without it (alt) one refused probe per run and
    # then the batch read (values dropped at once): the same number of calls, one read unit per path more.
    probes = 1 if contract_on("no_batch_metadata") else 0
    assert route_count(counters, METADATA_ROUTE) == math.ceil(count / 100)
    assert counters["total"] == count + math.ceil(count / 100) + probes
    assert first["api_calls"]["asm"]["total"] == sum(calls.values())

    dev_server.reset_asm_calls()
    dev_server.reset_dev_counters()
    second = migrate(prefixes=["bulk/"], mapping=BULK_MAPPING)
    assert not second["changed"] and second["summary"]["unchanged"] == count
    assert dev_server.asm_calls()["by_operation"] == {"ListSecrets": math.ceil(count / 100)}
    counters = dev_server.dev_counters()
    assert counters["total"] == math.ceil(count / 100) + probes
    assert route_count(counters, METADATA_ROUTE) == math.ceil(count / 100)
    assert route_count(counters, PUT_ROUTE) == route_count(counters, GET_ROUTE) == 0
    reads = vault.http.get("/v1/audit/logs", params={"action": "read", "path_prefix": "migrated/", "success": "true",
                                                     "limit": 1000}).json()["logs"]
    if contract_on("no_batch_metadata"):
        # The documented cost of the fallback: the migration identity reads the targets (one row per path),
        # which the cleanup guard ignores; nobody else does.
        assert len(reads) == count and {row["identity_id"] for row in reads} == {"user:dev@scaivault.local"}
    else:
        # The migration's own checks are audited as list, never as reads of the new paths.
        assert route_count(counters, BATCH_READ_ROUTE) == 0 and reads == []
    assert all(vault.version("migrated/bulk/%05d" % index) == 1 for index in (0, 99, 249))


def test_a_changed_source_is_one_new_version_and_metadata_is_merged(migrate, asm, vault):
    asm.create_secret(Name="prod/app/db", SecretString='{"password": "one"}', Description="app db",
                      Tags=[{"Key": "team", "Value": "app"}])
    migrate(prefixes=["prod/app/"], owner="team:app", metadata={"wave": "1"}, max_versions=5)
    path = "environments/production/app/db"
    stored = vault.get(path)
    assert vault.meta(path)["options"]["max_versions"] == 5
    assert stored["metadata"]["tags"] == ["migrated-from-asm", "team=app"]
    assert stored["metadata"]["owner"] == "team:app" and stored["metadata"]["wave"] == "1"
    assert stored["metadata"]["description"] == "app db"
    # Someone adds a tag and a key in ScaiVault: a migration never removes them.
    vault.put(path, stored["data"], metadata=dict(stored["metadata"], tags=stored["metadata"]["tags"] + ["by-hand"],
                                                  ticket="OPS-7"))
    asm.put_secret_value(SecretId="prod/app/db", SecretString='{"password": "two"}')
    result = migrate(prefixes=["prod/app/"], owner="team:app", metadata={"wave": "1"})
    entry = by_name(result)["prod/app/db"]
    assert (entry["action"], entry["from_version"], entry["to_version"]) == ("update", 2, 3)
    assert "source" in entry["changes"]
    stored = assert_same_as_asm(vault, asm, path, "prod/app/db")
    assert stored["version"] == 3 and "by-hand" in stored["metadata"]["tags"] and stored["metadata"]["ticket"] == "OPS-7"
    assert not migrate(prefixes=["prod/app/"], owner="team:app", metadata={"wave": "1"})["changed"]
    # A metadata-only change (new option value) is an update, without a new ASM version: in place where the
    # tenant has a metadata-only update, else as a new version with the unchanged value.
    result = migrate(prefixes=["prod/app/"], owner="team:platform", metadata={"wave": "1"})
    entry = by_name(result)["prod/app/db"]
    in_place = contract_on("metadata_patch")
    assert entry["changes"] == ["owner"] and vault.version(path) == (3 if in_place else 4)
    assert entry["metadata_update"] == ("in_place" if in_place else "new_version")
    assert vault.meta(path)["metadata"]["owner"] == "team:platform"
    assert not migrate(prefixes=["prod/app/"], owner="team:platform", metadata={"wave": "1"})["changed"]


def test_a_rerun_with_max_versions_set_writes_nothing(migrate, asm, vault):
    """The documented secret object has no options field
    (https://www.scailabs.ai/en/docs/scaivault/core-concepts/secrets), so max_versions cannot be compared: a re-run
    with it set (or changed) must not write a new version of every secret. Versions are counted out of band."""
    names = ["prod/mv/%d" % index for index in range(3)]
    for name in names:
        asm.create_secret(Name=name, SecretString='{"k": "%s"}' % name)
    paths = ["environments/production/mv/%d" % index for index in range(3)]
    migrate(prefixes=["prod/mv/"], max_versions=5)
    assert [vault.stored(path)["versions"] for path in paths] == [[1]] * 3
    assert all(vault.meta(path)["options"]["max_versions"] == 5 for path in paths)
    for max_versions in (5, 7):
        result = migrate(prefixes=["prod/mv/"], max_versions=max_versions)
        assert not result["changed"] and {entry["action"] for entry in result["secrets"]} == {"unchanged"}
        assert [vault.stored(path)["versions"] for path in paths] == [[1]] * 3
    # A changed value writes one version, and that write carries the new max_versions.
    asm.put_secret_value(SecretId=names[0], SecretString='{"k": "new"}')
    migrate(prefixes=["prod/mv/"], max_versions=7)
    assert vault.stored(paths[0])["versions"] == [1, 2] and vault.meta(paths[0])["options"]["max_versions"] == 7
    assert [vault.stored(path)["versions"] for path in paths[1:]] == [[1]] * 2


# -- check and diff mode ------------------------------------------------------------------------------
CANARY_JSON = "sk_live_migrateCanary_5521"
CANARY_TEXT = "text-canary-value-7781"


def test_check_mode_plans_everything_and_writes_nothing(migrate, asm, vault, dev_server):
    asm.create_secret(Name="prod/check/a", SecretString=json.dumps({"key": CANARY_JSON}))
    asm.create_secret(Name="prod/check/b", SecretString=CANARY_TEXT)
    migrate(prefixes=["prod/check/a"])
    asm.put_secret_value(SecretId="prod/check/a", SecretString=json.dumps({"key": CANARY_JSON + "-v2"}))
    dev_server.reset_dev_counters()
    dev_server.reset_asm_calls()
    result = migrate(prefixes=["prod/check/"], check=True, diff=True)
    entries = by_name(result)
    assert (entries["prod/check/a"]["action"], entries["prod/check/a"]["to_version"]) == ("update", 2)
    assert (entries["prod/check/b"]["action"], entries["prod/check/b"]["to_version"]) == ("create", 1)
    assert result["changed"] and entries["prod/check/b"]["versions_written"] == 0
    counters = dev_server.dev_counters()
    assert route_count(counters, PUT_ROUTE) == 0 and counters["by_route"].get("DELETE /v1/secrets/{path}", 0) == 0
    assert set(dev_server.asm_calls()["by_operation"]) <= {"ListSecrets", "BatchGetSecretValue"}
    assert vault.version("environments/production/check/a") == 1
    assert vault.get("environments/production/check/b") is None
    diffs = dict((d["after"]["path"], d) for d in result["diff"])
    update = diffs["environments/production/check/a"]
    assert update["before"]["data"]["key"] != update["after"]["data"]["key"]  # fingerprints differ
    assert update["after"]["data"]["key"].startswith("sha256:") and "data" in entries["prod/check/a"]["changes"]
    assert update["after"]["metadata"]["source"]["version_id"] != update["before"]["metadata"]["source"]["version_id"]
    assert_no_leak([CANARY_JSON, CANARY_TEXT, CANARY_JSON + "-v2"], texts={"result": json.dumps(result)})


# -- versions: all --------------------------------------------------------------------------------
def test_versions_all_exports_history_oldest_first_with_current_last(migrate, asm, vault):
    created = asm.create_secret(Name="prod/hist/token", SecretString="token-version-1")
    ids = [created["VersionId"]]
    for index in (2, 3, 4):
        ids.append(asm.put_secret_value(SecretId="prod/hist/token", SecretString="token-version-%d" % index)["VersionId"])
    # A staged but not current version (custom label) stays in the history, before AWSCURRENT.
    staged = asm.put_secret_value(SecretId="prod/hist/token", SecretString="token-staged", VersionStages=["NEXT"])
    asm.create_secret(Name="prod/hist/single", SecretBinary=b"\x00\x01single")
    result = migrate(prefixes=["prod/hist/"], versions="all")
    entry = by_name(result)["prod/hist/token"]
    assert entry["versions_written"] == 5 and entry["to_version"] == 5
    path = "environments/production/hist/token"
    expected = ids[:3] + [staged["VersionId"], ids[3]]
    current = assert_same_as_asm(vault, asm, path, "prod/hist/token")
    assert current["version"] == 5 and current["data"] == {"value": "token-version-4"}
    # Metadata belongs to the secret, so the provenance maps every ScaiVault version to its ASM VersionId.
    assert current["metadata"]["source"]["versions"] == dict((str(n), v) for n, v in enumerate(expected, start=1))
    for number, version_id in enumerate(expected, start=1):
        value = asm.get_secret_value(SecretId="prod/hist/token", VersionId=version_id)["SecretString"]
        assert vault.get(path, number)["data"] == {"value": value}, number
    assert by_name(result)["prod/hist/single"]["versions_written"] == 1
    again = migrate(prefixes=["prod/hist/"], versions="all")
    assert not again["changed"] and vault.version(path) == 5
    # A new ASM version appends exactly one.
    asm.put_secret_value(SecretId="prod/hist/token", SecretString="token-version-5")
    third = by_name(migrate(prefixes=["prod/hist/"], versions="all"))["prod/hist/token"]
    assert third["versions_written"] == 1 and vault.get(path)["data"] == {"value": "token-version-5"}


# -- mapping, naming, collisions, skip reasons -------------------------------------------------------
def test_skip_and_error_reasons_on_the_realistic_mix(migrate, dev_server, vault):
    seed_mix(dev_server.asm_url)
    strict = migrate(prefixes=["prod/", "dev/", "standalone"], expect_failure=True)
    entries = by_name(strict)
    reasons = dict((name, (entry["action"], entry["reason_code"])) for name, entry in entries.items())
    assert reasons["prod/shared/api-gateway"] == ("create", None)  # the primary of a replicated secret
    assert reasons["prod/legacy/old-token"] == ("skip", "planned_deletion")
    assert reasons["dev/billing/stripe"] == ("skip", "unmapped")
    assert reasons["standalone-token"] == ("skip", "unmapped")
    for name in ("prod/Billing/Stripe", "prod/a+b", "prod/x@y", "prod/cache.main"):
        assert reasons[name] == ("error", "invalid_path"), name
    assert entries["prod/a+b"]["path"] == "environments/production/a+b"
    assert reasons["prod/billing/stripe"] == ("create", None)
    assert entries["prod/orders/db"]["rotation_enabled"] and "rotation" in entries["prod/orders/db"]["rotation_warning"]
    assert entries["prod/payments/card-vault"]["kms_key_id"]
    assert "4 of" in strict["msg"] and "prod/a+b" in strict["msg"]
    assert not [path for path in dev_server.dev_counters()["by_path"] if path.startswith("PUT") and "+" in path]

    dev_server.reset_dev()
    normalized = by_name(migrate(prefixes=["prod/"], naming_policy="normalize", expect_failure=True))
    assert normalized["prod/Billing/Stripe"]["reason_code"] == "collision"
    assert normalized["prod/billing/stripe"]["reason_code"] == "collision"
    assert normalized["prod/cache.main"]["reason_code"] == normalized["prod/cache-main"]["reason_code"] == "collision"
    assert normalized["prod/x@y"]["path"] == "environments/production/x-y" and normalized["prod/x@y"]["action"] == "create"
    assert vault.get("environments/production/billing/stripe") is None, "a colliding secret was written"

    replica = by_name(migrate(region="eu-west-1", prefixes=["prod/"]))
    assert replica["prod/shared/api-gateway"]["reason_code"] == "replica"
    assert replica["prod/billing/stripe"]["action"] == "create"


def test_names_arns_unknown_names_and_a_foreign_target(migrate, asm, vault):
    arn = asm.create_secret(Name="prod/named/one", SecretString="one-value")["ARN"]
    asm.create_secret(Name="prod/named/two", SecretString="two-value")
    asm.create_secret(Name="prod/named/three", SecretString="three-value")
    vault.put("environments/production/named/three", {"value": "hand made"})
    result = migrate(names=[arn, "prod/named/two", "prod/named/three", "prod/named/missing"], expect_failure=True)
    entries = by_name(result)
    assert entries["prod/named/one"]["action"] == entries["prod/named/two"]["action"] == "create"
    assert entries["prod/named/missing"]["reason_code"] == "not_found"
    assert entries["prod/named/three"]["reason_code"] == "foreign_target"
    assert vault.get("environments/production/named/three")["data"] == {"value": "hand made"}
    taken = by_name(migrate(names=["prod/named/three"], take_over=True))
    assert taken["prod/named/three"]["action"] == "update"
    assert_same_as_asm(vault, asm, "environments/production/named/three", "prod/named/three")


def test_batches_cover_the_selection_once(migrate, dev_server, vault):
    seed_bulk(dev_server.asm_url, 25, REGION, "bulk/")
    seen = []
    for index in (1, 2, 3):
        result = migrate(prefixes=["bulk/"], mapping=BULK_MAPPING, batch={"index": index, "count": 3})
        assert result["summary"]["selected_total"] == 25
        seen.extend(entry["name"] for entry in result["secrets"] if entry["action"] == "create")
    assert sorted(seen) == ["bulk/%05d" % index for index in range(25)]
    assert not migrate(prefixes=["bulk/"], mapping=BULK_MAPPING, batch={"offset": 0, "limit": 25})["changed"]


# -- unknown outcomes, kills -------------------------------------------------------------------------
def test_dropped_answers_never_make_duplicate_versions(migrate, dev_server, vault):
    seed_bulk(dev_server.asm_url, 60, REGION, "bulk/")
    dev_server.dev_faults([{"kind": "drop_after", "method": "PUT", "share": 0.25, "seed": 7}])
    result = migrate(prefixes=["bulk/"], mapping=BULK_MAPPING, workers=4)
    dev_server.clear_dev_faults()
    assert result["summary"]["create"] == 60
    resolved = [entry for entry in result["secrets"] if entry.get("notes")]
    assert resolved, "no dropped answer was seen"
    for index in range(60):
        assert vault.version("migrated/bulk/%05d" % index) == 1, index
    assert not migrate(prefixes=["bulk/"], mapping=BULK_MAPPING)["changed"]


def test_version_conflicts_are_retried_once_and_never_overwrite_another_writer(migrate, asm, dev_server, vault):
    """https://www.scailabs.ai/en/docs/scaivault/core-concepts/errors: 409 version_conflict - fetch the current state,
    then retry. A conflict that left the target alone is sent once more; one where another writer landed keeps that
    writer's version and reports the secret as an error (re-run to compare)."""
    for name in ("prod/vc/a", "prod/vc/b"):
        asm.create_secret(Name=name, SecretString='{"k": "%s"}' % name)
    migrate(prefixes=["prod/vc/"])
    for name in ("prod/vc/a", "prod/vc/b"):
        asm.put_secret_value(SecretId=name, SecretString='{"k": "new"}')
    # a: refused once with version_conflict, nothing else changed: sent once more.
    dev_server.dev_faults([{"kind": "status", "status": 409, "code": "version_conflict", "method": "PUT",
                            "path_regex": "/vc/a$", "count": 1}])
    entry = by_name(migrate(names=["prod/vc/a"]))["prod/vc/a"]
    dev_server.clear_dev_faults()
    assert entry["action"] == "update" and "version_conflict" in " ".join(entry["notes"])
    assert vault.stored("environments/production/vc/a")["versions"] == [1, 2]
    assert_same_as_asm(vault, asm, "environments/production/vc/a", "prod/vc/a")
    # b: another writer lands while the migration's PUT is inside the write.
    path = "environments/production/vc/b"
    dev_server.dev_faults([{"kind": "hold", "stage": "commit", "method": "PUT", "path_regex": "/vc/b$", "count": 1}])
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(res=migrate(names=["prod/vc/b"], expect_failure=True)))
    thread.start()
    try:
        vault.wait_held()
        vault.put(path, {"other": "writer-value-456"}, metadata=vault.meta(path)["metadata"])
    finally:
        vault.release_held()
        thread.join(120)
        dev_server.clear_dev_faults()
    entry = by_name(outcome["res"])["prod/vc/b"]
    assert (entry["action"], entry["reason_code"]) == ("error", "version_conflict"), entry
    assert vault.stored(path)["versions"] == [1, 2] and vault.get(path)["data"] == {"other": "writer-value-456"}


def _module_pids(root):
    """asm_migrate module processes descending from root (the ansible-playbook this test started), never others."""
    parents, commands = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            commands[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found = []
    for pid, command in commands.items():
        if "AnsiballZ_asm_migrate" not in command:
            continue
        ancestor, hops = parents.get(pid), 0
        while ancestor and ancestor != root and hops < 20:
            ancestor, hops = parents.get(ancestor), hops + 1
        if ancestor == root:
            found.append(pid)
    return found


def test_sigkill_mid_run_then_rerun_ends_exact_without_duplicates(dev_server, asm, vault, tmp_path):
    count, versions_each = 40, 3
    names = seed_bulk(dev_server.asm_url, count, REGION, "bulk/")
    for name in names:
        for number in range(2, versions_each + 1):
            asm.put_secret_value(SecretId=name, SecretString="%s-v%d" % (name, number))
    dev_server.dev_faults([{"kind": "latency", "method": "PUT", "latency_ms": 40}])
    playbook = tmp_path / "migrate.yml"
    playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": [{
        "name": "migrate", "scailabs.scaivault.asm_migrate": {
            "region": REGION, "prefixes": ["bulk/"], "mapping": BULK_MAPPING, "versions": "all", "workers": 4}}]}]))
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    # The killed module cannot remove its unpacked payload: keep that litter in tmp_path, not in /tmp.
    (tmp_path / "tmp").mkdir()
    # Not pipelined: the module process is found by its AnsiballZ_asm_migrate payload on the command line.
    env = dict(ansible_env(tmp_path, dict(dev_server.env, ANSIBLE_PIPELINING="0")), TMPDIR=str(tmp_path / "tmp"))
    proc = subprocess.Popen([sys.executable, _ansible_playbook(), "-i", str(inventory), str(playbook)],  # pylint: disable=consider-using-with
                            env=env, cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    killed = []
    while time.monotonic() < deadline and not killed:
        if route_count(dev_server.dev_counters(), PUT_ROUTE) >= 30:
            for pid in _module_pids(proc.pid):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        time.sleep(0.05)
    output = proc.communicate(timeout=60)[0].decode("utf-8", "replace")
    assert killed, "the module was never caught mid-run:\n" + output[-2000:]
    assert proc.returncode != 0
    written = route_count(dev_server.dev_counters(), PUT_ROUTE)
    assert 30 <= written < count * versions_each, "the kill came too late to prove anything"
    dev_server.clear_dev_faults()

    result = run_playbook(playbook, env=dev_server.env)
    result.assert_ok()
    assert result.task("migrate")["changed"]
    for name in names:
        path = "migrated/bulk/" + name[len("bulk/"):]
        stored = vault.get(path)
        assert stored["version"] == versions_each, (name, stored["version"])
        history = stored["metadata"]["source"]["versions"]
        assert sorted(history) == [str(number) for number in range(1, versions_each + 1)]
        for number in range(1, versions_each + 1):
            value = asm.get_secret_value(SecretId=name, VersionId=history[str(number)])["SecretString"]
            assert vault.get(path, number)["data"] == {"value": value}, (name, number)
        assert vault.get(path, 1)["data"] != vault.get(path, 2)["data"]
    again = run_playbook(playbook, env=dev_server.env).assert_ok()
    assert not again.task("migrate")["changed"]


# -- federation as the source ----------------------------------------------------------------------
def test_federation_source_gives_the_same_result(migrate, asm, vault, scaivault_http, dev_server):
    asm.create_secret(Name="prod/fed/json", SecretString='{"k": "v", "n": 1}')
    asm.create_secret(Name="prod/fed/text", SecretString="fed-text")
    asm.create_secret(Name="prod/fed/bin", SecretBinary=b"\x01\x02fed")
    created = scaivault_http.post("/v1/federation/backends", json={
        "name": "aws-us-east-1", "type": "aws-secrets-manager", "config": {"region": REGION},
        "path_mapping": {"external/aws/**": "prod/**"}, "mode": "sync", "sync_interval": "15m"})
    created.raise_for_status()
    backend_id = created.json()["id"]
    scaivault_http.post("/v1/federation/backends/%s/sync" % backend_id, json={})
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status = scaivault_http.get("/v1/federation/backends/%s/status" % backend_id).json()
        if status.get("last_sync") and status.get("secrets_synced", 0) >= 3:
            break
        time.sleep(0.2)
    dev_server.reset_asm_calls()
    result = migrate(prefixes=["prod/fed/"], source="federation", federation_backend="aws-us-east-1",
                     mapping=[{"match": "prod/**", "path": "canonical/**"}])
    assert result["summary"]["create"] == 3
    assert "BatchGetSecretValue" not in dev_server.asm_calls()["by_operation"]
    for name in ("prod/fed/json", "prod/fed/text", "prod/fed/bin"):
        assert_same_as_asm(vault, asm, "canonical/" + name[5:], name)
    again = migrate(prefixes=["prod/fed/"], source="asm", mapping=[{"match": "prod/**", "path": "canonical/**"}])
    assert not again["changed"], "source=asm disagrees with what source=federation wrote"


# -- bad options ----------------------------------------------------------------------------------
@pytest.mark.parametrize("args, message", [
    ({"prefixes": ["prod/"], "mapping": [{"match": "prod/**", "path": "x/*"}]}, "same wildcards"),
    ({"prefixes": ["prod/"], "versions": "all", "source": "federation", "federation_path_mapping": {"a/**": "b/**"}},
     "versions=all needs source=asm"),
    ({"prefixes": ["prod/"], "source": "federation"}, "federation_backend"),
    ({"prefixes": ["prod/"], "workers": 0}, "workers"),
    ({"prefixes": ["prod/"], "metadata": {"source": "x"}}, "reserved"),
    ({"prefixes": ["prod/"], "batch": {"index": 5, "count": 2}}, "batch.index"),
    ({"names": ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/x-AbCdEf"]}, "eu-west-1"),
    ({"mapping": MAPPING}, "one of the following is required"),
])
def test_bad_options_fail_before_any_write(migrate, dev_server, args, message):
    args.setdefault("mapping", MAPPING)
    result = migrate(expect_failure=True, **args)
    assert message in result["msg"], result["msg"]
    assert route_count(dev_server.dev_counters(), PUT_ROUTE) == 0


# -- leaks ----------------------------------------------------------------------------------------------
LEAK_VALUES = {
    "prod/leak/json": json.dumps({"api_key": "sk_live_LeakCanaryJson_90210", "pin": "PinCanary-4411"}),
    "prod/leak/text": "TextCanary-correct-horse-battery",
}
LEAK_BINARY = b"BinaryCanary-\xff\xfe-never-printed"


def test_no_value_leaks_at_vvvv_with_diff_log_and_reports(dev_server, asm, tmp_path):
    for name, value in LEAK_VALUES.items():
        asm.create_secret(Name=name, SecretString=value)
    asm.create_secret(Name="prod/leak/bin", SecretBinary=LEAK_BINARY)
    log_path = tmp_path / "ansible.log"
    report = tmp_path / "report"
    playbook = [{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "migrate", "scailabs.scaivault.asm_migrate": {
            "region": REGION, "prefixes": ["prod/leak/"], "mapping": MAPPING, "report_path": str(report)}},
        {"name": "update with diff", "scailabs.scaivault.asm_migrate": {
            "region": REGION, "prefixes": ["prod/leak/"], "mapping": MAPPING, "owner": "team:leak"}},
    ]}]
    result = run_playbook(playbook, env=dev_server.env, verbosity=4, diff=True, log_path=log_path)
    result.assert_ok()
    values = list(LEAK_VALUES.values()) + ["sk_live_LeakCanaryJson_90210", "PinCanary-4411",
                                           base64.b64encode(LEAK_BINARY).decode("ascii"), "BinaryCanary-",
                                           dev_server.token]
    assert_no_leak(values, texts={"stdout": result.stdout, "stderr": result.stderr},
                   files=[log_path, str(report) + ".json", str(report) + ".md"])
    assert "sha256:" in result.stdout  # the diff did show fingerprints
    assert json.loads(Path(str(report) + ".json").read_text())["summary"]["create"] == 3


def _federate_and_sync(scaivault_http, backend_name="aws-us-east-1", path_mapping=None):
    """A sync backend over prod/**, synced once and waited for (its status carries the id of our sync)."""
    created = scaivault_http.post("/v1/federation/backends", json={
        "name": backend_name, "type": "aws-secrets-manager", "config": {"region": REGION},
        "path_mapping": path_mapping or {"external/aws/**": "prod/**"}, "mode": "sync", "sync_interval": "24h"})
    created.raise_for_status()
    backend_id = created.json()["id"]
    _sync(scaivault_http, backend_id)
    return backend_id


def _sync(scaivault_http, backend_id):
    started = scaivault_http.post("/v1/federation/backends/%s/sync" % backend_id, json={})
    started.raise_for_status()
    sync_id = started.json().get("sync_id") or started.json().get("id")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = scaivault_http.get("/v1/federation/backends/%s/status" % backend_id).json()
        if status.get("last_sync_id") == sync_id and status.get("last_sync"):
            return status
        time.sleep(0.1)
    raise AssertionError("sync %s of backend %s did not finish" % (sync_id, backend_id))


def test_federation_source_refuses_a_stale_copy_until_the_backend_syncs(migrate, asm, vault, scaivault_http):
    """ASM moved on after the last sync: asm_migrate source=federation must not write the old value (it would
    record the current VersionId, and every later run would call the secret unchanged)."""
    asm.create_secret(Name="prod/fed/moving", SecretString="first")
    asm.create_secret(Name="prod/fed/still", SecretString="same")
    backend_id = _federate_and_sync(scaivault_http)
    current = asm.put_secret_value(SecretId="prod/fed/moving", SecretString="second")["VersionId"]
    args = dict(prefixes=["prod/fed/"], source="federation", federation_backend="aws-us-east-1",
                mapping=[{"match": "prod/**", "path": "canonical/**"}])
    result = by_name(migrate(expect_failure=True, **args))
    assert (result["prod/fed/moving"]["action"], result["prod/fed/moving"]["reason_code"]) == ("error", "stale_federation")
    assert result["prod/fed/still"]["action"] == "create"
    assert vault.stored("canonical/fed/moving") is None, "a stale federated copy was written"
    _sync(scaivault_http, backend_id)
    result = by_name(migrate(**args))
    assert result["prod/fed/moving"]["action"] == "create"
    assert_same_as_asm(vault, asm, "canonical/fed/moving", "prod/fed/moving", version_id=current)
