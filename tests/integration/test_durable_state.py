# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX runs every job on a fresh node: rollback, cleanup and verify work from an EMPTY report directory.

What later jobs need lives in ASM (rotation record tags, cleanup's marker tag + ASM's deletion date) and in
ScaiVault (metadata.source). Each test reads the outcome back from the servers, not from the playbook's results.
Concurrent runs of one region are serialized by the run lock (an ASM secret made by CreateSecret).
"""

from __future__ import annotations

import json
import shutil
import threading

import httpx
import pytest

from demo.seed_demo import seed_demo

from .asm_seed import client as asm_client
from .playbook_runner import REPO_ROOT, run_playbook

INVENTORY = REPO_ROOT / "tests" / "demo" / "inventory"
PLAYBOOKS = REPO_ROOT / "playbooks"
EAST = "demo-us-east-1"
ROTATED = "prod/orders/db"
CLEANED = ["prod/apps/svc-00/config", "prod/apps/svc-01/config"]
SEEDED_DELETED = "prod/legacy/old-token"  # scheduled for deletion by the seed, not by cleanup: never ours to restore


class Region:
    def __init__(self, servers, tmp_path_factory, asm):
        self.servers = servers
        self.tmp = tmp_path_factory
        self.asm = asm
        self.env = dict(servers.env, DEMO_WEBHOOK_SECRET="whsec-durable-test-0123456789")
        self.http = httpx.Client(base_url=servers.scaivault_url, timeout=15.0, trust_env=False,
                                 headers={"Authorization": "Bearer %s" % servers.token})

    def play(self, playbook, extra=None, report_dir=None, **kwargs):
        reports = report_dir or self.tmp.mktemp("reports")
        extra = dict({"scaivault_report_dir": str(reports), "scaivault_batch_size": 4}, **(extra or {}))
        return run_playbook(PLAYBOOKS / playbook, env=self.env, inventory=str(INVENTORY), extra_vars=extra,
                            limit=EAST, **kwargs)

    def rotation(self, name):
        described = self.asm.describe_secret(SecretId=name)
        tags = dict((t["Key"], t["Value"]) for t in described.get("Tags", []))
        return ({"enabled": described.get("RotationEnabled"), "lambda": described.get("RotationLambdaARN"),
                 "rules": described.get("RotationRules")}, tags)

    def migrated_paths(self):
        """{path: version} of the secrets ScaiVault holds with an ASM source in us-east-1 (federated copies aside)."""
        found, cursor = {}, None
        while True:
            params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            page = self.http.get("/v1/secrets", params=params).json()
            for item in page.get("secrets") or page.get("data") or []:
                source = (item.get("metadata") or {}).get("source") or {}
                if source.get("region") == "us-east-1" and not item["path"].startswith("external/"):
                    found[item["path"]] = item["version"]
            cursor = page.get("cursor")
            if not cursor:
                return found


@pytest.fixture(scope="module")
def region(servers, tmp_path_factory):
    servers.reset_all()
    seed_demo(servers.asm_url, bulk_primary=3, bulk_secondary=1)
    reg = Region(servers, tmp_path_factory, asm_client(servers.asm_url, "us-east-1"))
    reg.rotation_before = reg.rotation(ROTATED)[0]
    assert reg.rotation_before["enabled"] and reg.rotation_before["lambda"]
    yield reg
    reg.http.close()


def test_two_concurrent_migrations_end_like_one(region):
    """Two real ansible-playbook runs at once: one holds the lock, the other refuses naming it; then one alone."""
    results, dirs = {}, dict((key, region.tmp.mktemp("concurrent-" + key)) for key in ("a", "b"))

    def run(key):
        results[key] = region.play("migrate.yml", report_dir=dirs[key])

    threads = [threading.Thread(target=run, args=(key,)) for key in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ok = [key for key, res in results.items() if res.rc == 0]
    refused = [key for key, res in results.items() if res.rc != 0]
    # Started together, each run takes far longer than taking the lock: they overlap, and exactly one goes on.
    assert len(ok) == 1 and len(refused) == 1, [r.output[-2000:] for r in results.values()]
    text = results[refused[0]].output
    assert "is locked by another run: holder" in text and "scaivault_lock_break=" in text
    after_two = region.migrated_paths()
    # ScaiVault holds, per path, exactly the version the run that wrote it reported: no second writer added one.
    reported = {}
    for key in ok:
        report = json.loads((dirs[key] / ("migrate-%s.json" % EAST)).read_text())
        for entry in report["secrets"]:
            if entry.get("path") and entry.get("to_version") and entry["name"] != ROTATED:
                reported[entry["path"]] = max(reported.get(entry["path"], 0), entry["to_version"])
    assert reported and all(after_two[path] == version for path, version in reported.items()), (after_two, reported)

    alone = region.play("migrate.yml").assert_ok()
    assert alone.changed_tasks == [], alone.changed_tasks
    assert region.migrated_paths() == after_two
    # The lock is gone after the runs; the rotation record was written once, while rotation was still on.
    with pytest.raises(Exception):
        region.asm.describe_secret(SecretId="scaivault-runbook-lock")
    state, tags = region.rotation(ROTATED)
    assert state["enabled"] is False
    assert tags["scaivault:rotation:lambda-arn"] == region.rotation_before["lambda"]
    assert tags["scaivault:rotation:after-days"] == str(region.rotation_before["rules"]["AutomaticallyAfterDays"])


RECORD = "infra/scaivault-runbook/" + EAST
WRITES = ("PUT ", "PATCH ", "DELETE ")


def scaivault_writes(servers):
    """Requests that change ScaiVault, from the dev server's own counters (batch reads are POSTs that only read)."""
    routes = servers.dev_counters()["by_route"]
    return dict((route, n) for route, n in routes.items()
                if route.startswith(WRITES) or (route.startswith("POST ") and "batch" not in route))


def test_an_unchanged_region_skips_its_changing_phases_until_something_changes(region):
    """The record is in ScaiVault; a re-run reads, compares and writes nothing; a change in ASM runs the phases."""
    record = region.http.get("/v1/secrets/" + RECORD).json()["data"]
    assert record["format"] == 1
    assert int(record["summary"]["migrate"]["counts"]["total"]) >= len(region.migrated_paths()) > 0
    assert set(record["parts"]) == {"inputs", "asm", "targets", "credentials", "backends", "rotation_policies",
                                    "webhooks"}
    region.servers.reset_dev_counters()
    region.servers.reset_asm_calls()
    skipped = region.play("migrate.yml", report_dir=region.tmp.mktemp("empty")).assert_ok()
    assert "unchanged since the full run of %s" % record["recorded_at"] in skipped.output
    assert skipped.changed_tasks == [] and not skipped.tasks_named("Hold the run lock of this region")
    assert scaivault_writes(region.servers) == {}
    assert set(region.servers.asm_calls()["by_operation"]) <= {"ListSecrets", "DescribeSecret"}

    # A new ASM version of a migrated secret: the phases run and migrate it. Only the migrate phase (--tags): the
    # record stays as it was, for only a run of every changing phase may write it.
    name = "prod/apps/svc-02/token"
    before = region.migrated_paths()
    region.asm.put_secret_value(SecretId=name, SecretString="changed-for-the-state-test")
    ran = region.play("migrate.yml", tags="migrate").assert_ok()
    assert "phases ran: the ASM secrets of the region changed" in ran.output
    after = region.migrated_paths()
    changed = [path for path in after if after[path] != before.get(path)]
    assert len(changed) == 1
    assert region.http.get("/v1/secrets/" + changed[0]).json()["data"] == {"value": "changed-for-the-state-test"}
    assert region.http.get("/v1/secrets/" + RECORD).json()["data"] == record


def test_stale_lock_refuses_then_breaks_by_holder(region):
    region.asm.create_secret(Name="scaivault-runbook-lock", Description="left by a killed job",
                             Tags=[{"Key": "scaivault:lock:holder", "Value": "awx@node-9:deadbeef"}])
    refused = region.play("migrate.yml", tags="inventory")
    assert refused.rc != 0 and "holder awx@node-9:deadbeef" in refused.output
    broken = region.play("migrate.yml", tags="inventory", extra={"scaivault_lock_break": "awx@node-9:deadbeef"})
    broken.assert_ok()
    with pytest.raises(Exception):
        region.asm.describe_secret(SecretId="scaivault-runbook-lock")


def test_rollback_from_an_empty_report_dir_restores_rotation_and_deletions(region):
    reports = region.tmp.mktemp("cleanup-reports")
    region.play("cleanup.yml", report_dir=reports, extra={"scaivault_cleanup_names": CLEANED}).assert_ok()
    for name in CLEANED:
        described = region.asm.describe_secret(SecretId=name)
        assert described.get("DeletedDate")
        assert "scaivault:cleanup:scheduled-at" in [t["Key"] for t in described.get("Tags", [])]
    shutil.rmtree(reports)

    fresh = region.tmp.mktemp("fresh")
    rollback = region.play("rollback.yml", report_dir=fresh).assert_ok()
    state, tags = region.rotation(ROTATED)
    assert state == region.rotation_before  # Lambda ARN and rules exactly as before, read from ASM
    assert not [key for key in tags if key.startswith("scaivault:")]
    for name in CLEANED:
        assert not region.asm.describe_secret(SecretId=name).get("DeletedDate")
    assert region.asm.describe_secret(SecretId=SEEDED_DELETED).get("DeletedDate"), "restored a deletion not ours"
    assert "scheduled by someone else (left) 1" in rollback.output

    again = region.play("rollback.yml").assert_ok()
    assert again.changed_tasks == [], again.changed_tasks


def test_rollback_fails_naming_a_missing_rotation_record(region):
    region.play("migrate.yml", tags="rotation").assert_ok()
    region.asm.untag_resource(SecretId=ROTATED, TagKeys=["scaivault:rotation:lambda-arn"])
    res = region.play("rollback.yml")
    assert res.rc != 0
    assert ROTATED in res.output and "scaivault:rotation:lambda-arn is missing" in res.output
    assert region.rotation(ROTATED)[0]["enabled"] is False
    # Put it back by hand as the message says, so the next test starts from a rotating secret.
    before = region.rotation_before
    region.asm.rotate_secret(SecretId=ROTATED, RotationLambdaARN=before["lambda"], RotationRules=before["rules"],
                             RotateImmediately=False)


def test_rollback_removes_exactly_the_paths_migrate_wrote(region):
    written = region.migrated_paths()
    federated = [p for p in (i["path"] for i in region.http.get("/v1/secrets", params={"limit": 1000}).json()["secrets"])
                 if p.startswith("external/")]
    assert written and federated
    res = region.play("rollback.yml", extra={"scaivault_rollback_remove_paths": True}).assert_ok()
    assert region.migrated_paths() == {}
    for path in written:
        assert region.http.get("/v1/secrets/" + path).status_code == 404, path
    remaining = [i["path"] for i in region.http.get("/v1/secrets", params={"limit": 1000}).json()["secrets"]]
    assert set(federated) <= set(remaining)  # the backend's copies are not the migration's
    deleted = json.dumps([r["result"] for r in res.tasks_named("Delete the migrated ScaiVault paths")])
    assert all(path in deleted for path in written)
