# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runbook roles and playbooks end to end on the local servers.

One estate (tests/demo/seed_demo.py, smaller) is migrated once per module by the ``estate`` fixture:
``--check`` first (nothing may be written on either side), then the full migrate playbook at ``-vvvv``
(leak scan), then again (``changed=0`` for every task). The tests after it build on that state in file
order: rotation A and B, the refusals of the rotation role, the cleanup guards, cleanup, rollback.
``ansible-runner`` runs the playbook unchanged at the end.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from demo.seed_demo import seed_demo

from .leakscan import assert_no_leak
from .playbook_runner import REPO_ROOT, coll_root, run_module, run_playbook

INVENTORY = REPO_ROOT / "tests" / "demo" / "inventory"
PLAYBOOKS = REPO_ROOT / "playbooks"
EAST, WEST = "demo-us-east-1", "demo-eu-west-1"
# ScaiVault routes that only read, although they are POSTs.
# The documented dry-run access check (POST /v1/policies/test) writes nothing either.
READ_POSTS = {"POST /v1/secrets/batch", "POST /v1/secrets/batch/metadata", "POST /oauth/token", "POST /v1/policies/test"}
ASM_MUTATING = ("Create", "Put", "Update", "Delete", "Restore", "Rotate", "Cancel", "Tag", "Untag", "Replicate",
                "Remove", "Stop")


def _writes(counters: dict) -> dict:
    return {route: n for route, n in counters.get("by_route", {}).items()
            if not route.startswith("GET ") and route not in READ_POSTS}


def _asm_mutations(calls: dict) -> dict:
    return {op: n for op, n in calls.get("by_operation", {}).items() if op.startswith(ASM_MUTATING)}


def _leaves(value):
    """Every string of a JSON value (seeded values are long and distinctive)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, str):
        yield value


def _secret_values(seeded) -> list:
    values = set()
    for text in seeded["values"]:
        values.add(text)
        try:
            values.update(_leaves(json.loads(text)))
        except ValueError:
            pass
    return sorted(v for v in values if len(v) >= 12)


def _fact(res, task: str, name: str, host: str):
    for record in reversed(res.tasks_named(task)):
        if record["host"] == host and name in record["result"].get("ansible_facts", {}):
            return record["result"]["ansible_facts"][name]
    raise KeyError("no %s from %r on %s" % (name, task, host))


class Estate:
    """What the module fixture made: servers, env, report dir, the three runs and the counters of --check."""

    def __init__(self, servers, workdir: Path):
        self.servers = servers
        self.workdir = workdir
        self.reports = workdir / "reports"
        self.webhook_secret = "whsec-" + secrets.token_hex(20)
        self.env = dict(servers.env, DEMO_WEBHOOK_SECRET=self.webhook_secret)
        self.extra = {"scaivault_report_dir": str(self.reports), "scaivault_batch_size": 4}
        self.http = httpx.Client(base_url=servers.scaivault_url, timeout=15.0, trust_env=False,
                                 headers={"Authorization": "Bearer %s" % servers.token})

    def play(self, playbook, extra=None, **kwargs):
        return run_playbook(playbook if isinstance(playbook, str) and "\n" in playbook else PLAYBOOKS / playbook,
                            env=self.env, inventory=str(INVENTORY), extra_vars=dict(self.extra, **(extra or {})),
                            **kwargs)

    def get(self, path: str):
        return self.http.get(path)


@pytest.fixture(scope="module")
def estate(servers, tmp_path_factory):
    servers.reset_all()
    est = Estate(servers, tmp_path_factory.mktemp("roles"))
    est.seeded = seed_demo(servers.asm_url, bulk_primary=6, bulk_secondary=3)

    servers.reset_dev_counters()
    servers.reset_asm_calls()
    est.check = est.play("migrate.yml", check=True, diff=True)
    est.check_writes = _writes(servers.dev_counters())
    est.check_asm = _asm_mutations(servers.asm_calls())

    est.log = est.workdir / "run1-vvvv.log"
    est.run1 = est.play("migrate.yml", verbosity=4, log_path=est.log)
    est.run2 = est.play("migrate.yml")
    yield est
    est.http.close()


def test_check_mode_writes_nothing(estate):
    estate.check.assert_ok()
    assert estate.check_writes == {}, "ScaiVault writes in check mode: %s" % estate.check_writes
    assert estate.check_asm == {}, "ASM mutating calls in check mode: %s" % estate.check_asm
    planned = _fact(estate.check, "Collect the migration report of this region", "migrate_reports", EAST)["migrate"]
    assert planned["check_mode"] is True and planned["counts"]["created"] > 0


def test_migrate_playbook_runs_end_to_end_then_changes_nothing(estate):
    run1, run2 = estate.run1.assert_ok(), estate.run2.assert_ok()
    assert run1.changed_tasks, "the first run changed nothing"
    # Progress per batch, by name only.
    assert "apps batch 1: up to 4 secrets (sizes the other batches)" in run1.stdout
    assert "apps batch 2/2: 2 secrets (offset 4)" in run1.stdout
    east = _fact(run1, "Collect the migration report of this region", "migrate_reports", EAST)["migrate"]
    assert east["counts"]["failed"] == 1 and east["failed"] == [{"name": "prod/legacy/Bad+Name", "reason": "invalid_path"}]
    assert {"name": "prod/legacy/old-token", "reason": "planned_deletion"} in east["skipped"]
    west = _fact(run1, "Collect the migration report of this region", "migrate_reports", WEST)["migrate"]
    assert {"name": "prod/shared/api-gateway", "reason": "replica"} in west["skipped"]

    got = estate.get("/v1/secrets/environments/production/billing/stripe")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["data"]["api_key"] == "sk_demo_stripe_current_7c1f"
    assert body["metadata"]["owner"] == "team:billing"

    assert run2.changed_tasks == [], "second run changed: %s" % run2.changed_tasks
    assert all(stats.get("changed", 0) == 0 for stats in run2.stats.values()) if run2.stats else True
    summary = json.loads((estate.reports / "migrate-summary.json").read_text())
    rows = {row["host"]: row for row in summary["regions"]}
    assert rows[EAST]["counts"]["unchanged"] > 0 and rows[EAST]["counts"]["migrated"] == 0
    # Nothing changed after run 1: run 2 skipped the changing phases and reports from the record, a failure that
    # every run repeats included.
    assert rows[EAST]["state"]["phases_skipped"] and rows[WEST]["state"]["phases_skipped"]
    assert rows[EAST]["failed"] == [{"name": "prod/legacy/Bad+Name", "reason": "invalid_path"}]
    assert rows[EAST]["counts"]["failed"] == 1 and rows[EAST]["counts"]["unchanged"] == east["counts"]["total"] - 2
    assert rows[WEST]["rotation"]["option_b"][0]["staleness_bound"] == "15m"
    assert (estate.reports / "migrate-summary.md").read_text().startswith("# ScaiVault migration summary")
    assert "region           host" in run2.stdout  # the on-screen table


def test_no_value_in_output_at_vvvv(estate):
    values = _secret_values(estate.seeded) + [estate.webhook_secret]
    reports = sorted(str(p) for p in estate.reports.glob("*") if p.is_file())
    assert_no_leak(values, texts={"stdout": estate.run1.stdout, "stderr": estate.run1.stderr,
                                  "check": estate.check.output, "run2": estate.run2.output},
                   files=[estate.log] + reports)


def test_consumers_phase_reports_references_patch_and_cutover_per_region(estate):
    """migrate.yml's consumers phase on tests/demo/consumers: references, the suggested patch, the status per region."""
    east = _fact(estate.run1, "Keep the consumers result of this region", "consumers_report", EAST)
    west = _fact(estate.run1, "Keep the consumers result of this region", "consumers_report", WEST)
    assert sorted(east["not_started"]) == ["prod/billing/eu/vat/api-key", "prod/billing/stripe", "prod/payments/card-vault"]
    assert sorted(west["not_started"]) == ["prod/billing/stripe", "prod/eu/gdpr/export-key"]
    assert east["in_transition"] == west["in_transition"] == []  # only the migration itself has read the new paths
    assert (east["counts"]["references"], east["counts"]["files"], west["counts"]["references"]) == (4, 4, 3)
    assert east["cutover"]["moved"] == east["counts"]["secrets"] - 3
    consumers = REPO_ROOT / "tests" / "demo" / "consumers"
    patch = estate.reports / ("consumers-%s.patch" % EAST)
    assert east["patch"] == str(patch) and oct(patch.stat().st_mode & 0o777) == "0o600"
    subprocess.run(["git", "apply", "--check", str(patch)], cwd=str(consumers), check=True)
    assert "asm_fallback='prod/billing/eu/vat/api-key'" in patch.read_text()
    report = json.loads((estate.reports / ("consumers-%s.json" % EAST)).read_text())
    kinds = sorted((hit["relative"], hit["kind"]) for hit in report["references"])
    assert kinds == [("billing-service/.env", "plain"), ("billing-service/settings.py", "boto3_get_secret_value"),
                     ("deploy/site.yml", "ansible_lookup"), ("k8s/card-vault-external-secret.yaml", "external_secret")]
    rows = {row["host"]: row for row in json.loads((estate.reports / "migrate-summary.json").read_text())["regions"]}
    assert rows[WEST]["consumers"]["cutover"]["not_started"] == 2
    assert "consumers: 4 reference(s) to 3 of" in estate.run1.stdout


def test_rotation_option_a_hands_over_in_order(estate, asm_client_factory):
    described = asm_client_factory("us-east-1").describe_secret(SecretId="prod/orders/db")
    assert not described.get("RotationEnabled")
    record = json.loads((estate.reports / ("rotation-%s.json" % EAST)).read_text())
    assert record["disabled_rotations"]["prod/orders/db"]["automatically_after_days"] == 30
    policies = estate.get("/v1/rotation/policies").json()["data"]
    policy = next(p for p in policies if p["name"] == "asm-orders-db")
    assert policy["is_active"] and policy["interval"] == "30d" and policy["webhook_ids"] == []
    attached = json.dumps(estate.get("/v1/rotation/policies/%s/secrets" % policy["id"]).json())
    assert "environments/production/orders/db" in attached
    # Option A by polling: a subscription on the group's path instead of a webhook.
    [subscription] = estate.get("/v1/subscriptions").json()["subscriptions"]
    assert subscription["name"] == "orders-db-rotation" and subscription["paths"] == ["environments/production/orders/db"]
    assert subscription["delivery"]["type"] == "polling" and estate.get("/v1/webhooks").json()["webhooks"] == []


def test_rotation_due_by_polling_is_acted_on_once_and_acknowledged(estate):
    """The cutover's rotate-now queued one rotation.due; the poller rotates once, acknowledges, then finds nothing."""
    path = "/v1/secrets/environments/production/orders/db"
    before = estate.get(path).json()
    args = {"rotation_poller_task_file": str(REPO_ROOT / "tests" / "demo" / "rotation" / "rotate_at_source.yml")}
    poll = estate.play("rotation_poller.yml", limit=EAST, extra=args).assert_ok()
    after = estate.get(path).json()
    assert after["version"] == before["version"] + 1 and after["data"]["password"] != before["data"]["password"]
    assert after["data"]["username"] == "orders" and after["metadata"] == before["metadata"]
    [subscription] = estate.get("/v1/subscriptions").json()["subscriptions"]
    pending = estate.http.get("/v1/subscriptions/%s/poll" % subscription["id"], params={"timeout": 0}).json()
    assert pending["events"] == []  # acknowledged
    again = estate.play("rotation_poller.yml", limit=EAST, extra=args).assert_ok()
    assert again.changed_tasks == [] and estate.get(path).json()["version"] == after["version"]
    assert_no_leak([before["data"]["password"], after["data"]["password"]], texts={"poll": poll.output, "again": again.output})


def test_consumers_are_granted_and_tested_before_the_switch(estate):
    """One read policy per (region, namespace) bound to the listed consumers; the billing app reads with its own token."""
    stored = {item["name"]: estate.get("/v1/policies/%s" % item["id"]).json()
              for item in estate.get("/v1/policies").json()["policies"]}
    east = stored["consumers-us-east-1-billing-read"]
    assert [rule["path_pattern"] for rule in east["rules"]] == ["environments/production/billing/**"]
    assert [item["identity_id"] for item in east["bindings"]] == ["sa:billing-app"]
    assert [rule["path_pattern"] for rule in stored["consumers-eu-west-1-billing-read"]["rules"]] == [
        "environments/production-eu/billing/**"]
    assert sorted(item["identity_id"] for item in stored["consumers-us-east-1-platform-read"]["bindings"]) == ["sa:orders-worker"]
    assert "Confirm that every consumer can read its new paths before it is switched" in estate.run1.stdout
    token = "skt_billing_app_" + secrets.token_hex(8)
    estate.servers.dev_add_token(token, "sa:billing-app", ["secrets:read"])
    headers = {"Authorization": "Bearer " + token}
    assert estate.http.get("/v1/secrets/environments/production/billing/stripe", headers=headers).status_code == 200
    assert estate.http.get("/v1/secrets/environments/production/orders/db", headers=headers).status_code == 403


def test_rotation_option_b_new_asm_version_arrives_after_sync(estate, asm_client_factory):
    west = asm_client_factory("eu-west-1")
    assert west.describe_secret(SecretId="prod/eu/gdpr/export-key")["RotationEnabled"]
    new_value = {"key": "gdpr-demo-export-key-v2-" + secrets.token_hex(6)}
    version = west.put_secret_value(SecretId="prod/eu/gdpr/export-key", SecretString=json.dumps(new_value))["VersionId"]
    synced = run_module("scaivault_federation", {"name": "aws-eu-west-1", "sync_now": True, "wait": True,
                                                 "wait_timeout": 120}, env=estate.env)
    assert not synced.failed, synced.result
    got = estate.get("/v1/secrets/external/aws/eu-west-1/eu/gdpr/export-key")
    assert got.status_code == 200, got.text
    assert got.json()["data"] == new_value
    assert version in json.dumps(got.json().get("metadata", {}))


ROTATION_REFUSALS = textwrap.dedent("""
    - name: Rotation role refusals
      hosts: demo-eu-west-1
      gather_facts: false
      tasks:
        - name: Option B for a secret no sync backend maps
          block:
            - name: Run the rotation role (B, unmapped)
              ansible.builtin.import_role:
                name: scailabs.scaivault.rotation
              vars:
                rotation_region: eu-west-1
                rotation_groups: [{name: sandbox, option: B, secrets: [dev/eu/sandbox]}]
                rotation_report_dir: "{{ scaivault_report_dir }}"
          rescue:
            - name: Keep refusal B
              ansible.builtin.set_fact:
                refusal_b: "{{ ansible_failed_result.msg }}"
        - name: Option A for a replica (cannot be migrated here)
          block:
            - name: Run the rotation role (A, replica)
              ansible.builtin.import_role:
                name: scailabs.scaivault.rotation
              vars:
                rotation_region: eu-west-1
                rotation_namespaces: "{{ scaivault_namespaces }}"
                rotation_groups: [{name: gateway, option: A, secrets: [prod/shared/api-gateway], policy: {interval: 30d}}]
                rotation_report_dir: "{{ scaivault_report_dir }}/refusals"
          rescue:
            - name: Keep refusal A
              ansible.builtin.set_fact:
                refusal_a: "{{ ansible_failed_result.msg }}"
        - name: Cleanup without confirmation
          block:
            - name: Run the cleanup role (not confirmed)
              ansible.builtin.import_role:
                name: scailabs.scaivault.cleanup
              vars:
                cleanup_region: eu-west-1
                cleanup_namespaces: "{{ scaivault_namespaces }}"
                cleanup_confirm: false
          rescue:
            - name: Keep refusal cleanup
              ansible.builtin.set_fact:
                refusal_cleanup: "{{ ansible_failed_result.msg }}"
""")


def test_rotation_and_cleanup_refuse_out_of_order(estate):
    res = estate.play(ROTATION_REFUSALS).assert_ok()
    assert "cleanup_confirm=true" in _fact(res, "Keep refusal cleanup", "refusal_cleanup", WEST)
    refusal_b = _fact(res, "Keep refusal B", "refusal_b", WEST)
    assert "none maps dev/eu/sandbox" in refusal_b
    refusal_a = _fact(res, "Keep refusal A", "refusal_a", WEST)
    assert "Not migrated" in refusal_a and "prod/shared/api-gateway" in refusal_a and "No policy was attached" in refusal_a


def test_cleanup_guards_refuse_with_reasons(estate):
    # A consumer other than the migration still reads a federated path: the audit guard must see it. It may read
    # there (a policy of its own), as a legacy consumer of the old ASM secret would.
    legacy = estate.http.post("/v1/policies", json={"name": "legacy-federated-read", "rules": [
        {"path_pattern": "external/aws/**", "permissions": ["read"]}]}).json()
    estate.http.post("/v1/policies/%s/bindings" % legacy["id"], json={"identity_type": "service_account",
                                                                      "identity_id": "sa:billing-app"})
    token = "skt_consumer_" + secrets.token_hex(8)
    estate.servers.dev_add_token(token, "sa:billing-app", ["secrets:read"])
    read = httpx.get(estate.servers.scaivault_url + "/v1/secrets/external/aws/us-east-1/apps/svc-00/config",
                     headers={"Authorization": "Bearer " + token}, trust_env=False, timeout=15)
    assert read.status_code == 200, read.text

    res = estate.play("cleanup.yml", extra={
        "scaivault_cleanup_names": ["prod/apps/svc-00/config", "prod/apps/svc-01/config", "prod/legacy/Bad+Name",
                                    "prod/eu/gdpr/export-key", "prod/shared/api-gateway"],
        "scaivault_cleanup_allow_sync_backend": False, "scaivault_cleanup_fail_on_refusal": True})
    assert res.rc != 0
    guards = {}
    for host in (EAST, WEST):
        report = _fact(res, "Keep the cleanup result of this region", "cleanup_report", host)
        assert report["counts"]["scheduled"] == 0
        guards.update({item["name"]: item["guards"] for item in report["refused"]})
    assert "audit" in guards["prod/apps/svc-00/config"]
    assert guards["prod/apps/svc-01/config"] == ["sync"]
    assert "target" in guards["prod/legacy/Bad+Name"]
    assert "rotation" in guards["prod/eu/gdpr/export-key"]
    assert "replica" in guards["prod/shared/api-gateway"]  # the eu-west-1 replica: delete at the primary
    assert "Refused (left in ASM)" in res.output


def test_cleanup_then_rollback(estate, asm_client_factory):
    east = asm_client_factory("us-east-1")
    cleanup = estate.play("cleanup.yml", extra={"scaivault_cleanup_names": ["prod/apps/svc-02/token", "prod/orders/db"]})
    cleanup.assert_ok()
    assert east.describe_secret(SecretId="prod/apps/svc-02/token").get("DeletedDate")
    # The evidence of each namespace that deleted something: the reads relied on and the audit export's manifest.
    for namespace, name in (("apps", "prod/apps/svc-02/token"), ("platform", "prod/orders/db")):
        evidence = json.loads((estate.reports / ("evidence-%s-%s.json" % (EAST, namespace))).read_text())
        assert list(evidence["secrets"]) == [name] and evidence["export"]["status"] == "completed"
        federated = list(evidence["secrets"][name]["federated_paths"])
        assert federated == ["external/aws/us-east-1/" + name[len("prod/"):]]
        [manifest] = evidence["export"]["files"]
        exported = estate.servers.data_dir / "audit-exports" / "demo-evidence" / manifest["key"]
        assert exported.exists() and manifest["key"].startswith("asm-cleanup/%s/" % EAST)
    again = estate.play("cleanup.yml", extra={"scaivault_cleanup_names": ["prod/apps/svc-02/token", "prod/orders/db"]},
                        limit=EAST)
    assert again.assert_ok().changed_tasks == []

    rollback = estate.play("rollback.yml", limit=EAST, extra={
        "scaivault_rollback_remove_paths": True, "scaivault_rollback_names": ["prod/apps/svc-02/token"]})
    rollback.assert_ok()
    assert not east.describe_secret(SecretId="prod/apps/svc-02/token").get("DeletedDate")
    assert east.describe_secret(SecretId="prod/orders/db")["RotationEnabled"]
    assert estate.get("/v1/secrets/environments/production/apps/svc-02/token").status_code == 404


def test_ansible_runner_runs_the_playbook_unchanged(estate, tmp_path):
    runner = Path(sys.executable).parent / "ansible-runner"
    assert runner.exists(), "%s is missing: ansible-runner is in requirements-dev.txt (make venv)" % runner
    private = tmp_path / "runner"
    (private / "env").mkdir(parents=True)
    shutil.copytree(PLAYBOOKS, private / "project", ignore=shutil.ignore_patterns("inventories"))
    shutil.copytree(INVENTORY, private / "inventory")
    path = os.pathsep.join([str(runner.parent), os.environ.get("PATH", "")])  # ansible-playbook of this venv
    envvars = dict(estate.env, ANSIBLE_COLLECTIONS_PATH=str(coll_root()), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
                   ANSIBLE_NOCOLOR="1", PATH=path)
    (private / "env" / "envvars").write_text(json.dumps(envvars))
    (private / "env" / "extravars").write_text(json.dumps(dict(estate.extra, scaivault_report_dir=str(tmp_path / "reports"))))
    (private / "env" / "cmdline").write_text("--tags inventory,migrate")
    proc = subprocess.run([str(runner), "run", str(private), "-p", "migrate.yml", "--ident", "scaivault"],
                          env=dict(os.environ, PATH=path, **estate.env), capture_output=True, text=True, timeout=600, check=False)
    status = (private / "artifacts" / "scaivault" / "status").read_text().strip()
    assert proc.returncode == 0 and status == "successful", proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "ScaiVault migration" in proc.stdout
    assert (tmp_path / "reports" / "migrate-summary.json").exists()
    # set_stats -> the job's artifacts (what AWX shows on the job page and passes along a workflow).
    stats = [json.loads(p.read_text()) for p in (private / "artifacts" / "scaivault" / "job_events").glob("*.json")]
    artifact = next(e["event_data"].get("artifact_data") for e in stats if e.get("event") == "playbook_on_stats")
    assert set(artifact["scaivault_summary"]["migrate"][0]) >= {"host", "region", "counts"}
