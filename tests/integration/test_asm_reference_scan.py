# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""asm_reference_scan, its patch, the cutover evidence and asm_cleanup's references guard, on live servers.

One estate per file: six ASM secrets in us-east-1, migrated with asm_migrate, and a consumers' tree
written here (so ansible-lint and sanity never read its foreign content) with every kind of reference,
full and partial ARNs (the real ARNs of the stand-in, suffix included), a name that is a prefix of
another, a binary file, a file over the size cap, an excluded directory and files with no reference.
Every expected hit is listed with its file, line, kind and form; the scan must find exactly those.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import textwrap

import httpx
import pytest

from integration.leakscan import assert_no_leak
from integration.playbook_runner import run_module, run_playbook

REGION = "us-east-1"
ACCOUNT = "123456789012"
STRIPE, OLD, DB = "prod/billing/stripe", "prod/billing/stripe-old", "prod/billing/db"
ORDERS, UNUSED, IDLE = "prod/orders/api-key", "prod/unused/token", "prod/idle/flag"
VALUES = {
    STRIPE: json.dumps({"api_key": "sk_live_refscan_canary_stripe_0001", "account": "acct_refscan_canary_42"}),
    OLD: "sk_live_refscan_canary_old_text_0002",
    DB: json.dumps({"username": "billing", "password": "db-refscan-canary-password-0003"}),
    ORDERS: "orders-refscan-canary-key-0004",
    UNUSED: "unused-refscan-canary-token-0005",
    IDLE: "idle-refscan-canary-flag-0006",
}
MAPPING = [{"match": "prod/**", "path": "environments/production/**"}]
MODULE = "asm_reference_scan"
HUGE_LINES = 40000  # about 2.5 MB: over the default 2M cap


def new_path(name):
    return "environments/production/" + name.split("/", 1)[1]


# (relative path, text). @ARN(name)@ becomes the stand-in's real ARN of that secret (random suffix included).
TREE = {
    "deploy/site.yml": """\
        ---
        - name: Billing consumers
          hosts: localhost
          gather_facts: false
          tasks:
            - name: Read the Stripe key
              ansible.builtin.set_fact:
                stripe: "{{ lookup('amazon.aws.aws_secret', 'prod/billing/stripe', region='us-east-1') | from_json }}"
                old_key: "{{ lookup('amazon.aws.secretsmanager_secret', 'prod/billing/stripe-old') }}"
              no_log: true

            - name: Keep the orders key in ASM
              community.aws.secretsmanager_secret:
                name: prod/orders/api-key
                state: present
                secret: "{{ orders_key }}"
                region: us-east-1
              no_log: true

            - name: Print the database secret with the AWS CLI
              ansible.builtin.command: aws secretsmanager get-secret-value --secret-id prod/billing/db
              changed_when: false
        """,
    "deploy/read.yml": """\
        ---
        - name: Read the billing secrets
          hosts: localhost
          gather_facts: false
          tasks:
            - name: Read them from ASM
              ansible.builtin.set_fact:
                stripe: "{{ lookup('amazon.aws.aws_secret', 'prod/billing/stripe') | from_json }}"
                stripe_key: "{{ lookup('amazon.aws.aws_secret', 'prod/billing/stripe.api_key', nested=true) }}"
                old_text: "{{ lookup('amazon.aws.aws_secret', '@ARN(prod/billing/stripe-old)@') }}"
              no_log: true

            - name: Hand them to the test
              ansible.builtin.copy:
                content: "{{ {'stripe': stripe, 'stripe_key': stripe_key, 'old_text': old_text} | to_json }}"
                dest: "{{ out_file }}"
                mode: "0600"
              no_log: true
        """,
    "app/billing.py": '''\
        """Billing service: reads its secrets from AWS Secrets Manager directly (a consumer to repoint)."""

        import boto3

        CLIENT = boto3.client("secretsmanager", region_name="us-east-1")
        LEGACY_SECRET = "prod/billing/stripe-old"


        def stripe_key():
            answer = CLIENT.get_secret_value(SecretId="prod/billing/stripe")
            return answer["SecretString"]


        def database_and_orders():
            return CLIENT.batch_get_secret_value(
                SecretIdList=[
                    "prod/billing/db",
                    "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/orders/api-key",
                ])
        ''',
    "scripts/fetch.sh": """\
        #!/bin/sh
        # The nightly job reads its secrets with the AWS CLI.
        aws secretsmanager get-secret-value \\
            --secret-id "prod/billing/stripe" --query SecretString --output text
        aws secretsmanager batch-get-secret-value --secret-id-list prod/billing/db "@ARN(prod/orders/api-key)@"
        """,
    "terraform/main.tf": """\
        data "aws_secretsmanager_secret" "stripe" {
          name = "prod/billing/stripe"
        }

        data "aws_secretsmanager_secret_version" "db" {
          secret_id = "@ARN(prod/billing/db)@"
        }

        resource "aws_secretsmanager_secret" "orders" {
          name = "prod/orders/api-key"
        }

        locals {
          legacy_secret = "prod/billing/stripe-old"
        }
        """,
    "k8s/external-secret.yaml": """\
        ---
        apiVersion: external-secrets.io/v1beta1
        kind: SecretStore
        metadata:
          name: aws-store
        spec:
          provider:
            aws:
              service: SecretsManager
              region: us-east-1
        ---
        apiVersion: external-secrets.io/v1beta1
        kind: ExternalSecret
        metadata:
          name: billing
        spec:
          secretStoreRef:
            name: aws-store
            kind: SecretStore
          data:
            - secretKey: stripe
              remoteRef:
                key: prod/billing/stripe
                property: api_key
          dataFrom:
            - extract:
                key: prod/billing/db
        """,
    "config/app.json": """\
        {
          "stripe_secret": "prod/billing/stripe",
          "legacy": "@ARN(prod/billing/stripe-old)@",
          "orders": "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/orders/api-key",
          "not_ours": "prod/billing/stripe-older",
          "federated_path": "external/aws/billing/stripe",
          "other_account": "arn:aws:secretsmanager:us-east-1:999999999999:secret:prod/billing/stripe",
          "other_region": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/billing/stripe",
          "other_suffix": "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/billing/stripe-AAAAAA",
          "a_file": "prod/billing/stripe.json"
        }
        """,
    "config/settings.ini": """\
        [billing]
        database_secret = prod/billing/db
        """,
    ".env": """\
        STRIPE_SECRET_ID=prod/billing/stripe
        ORDERS_SECRET_ID=prod/orders/api-key
        """,
    "config/values.yaml": """\
        ---
        billing:
          legacy_secret: prod/billing/stripe-old
        """,
    "docs/notes.md": """\
        # Billing notes
        The Stripe key lives under prod/billing/ in ASM and is read at external/aws/billing/stripe meanwhile.
        Its old copy prod/billing/stripe-older is not ours; prod/billing/stripe_v2 neither.
        """,
    "node_modules/sdk/index.js": """\
        const id = "prod/billing/stripe";
        """,
}

# (file, a text that marks the line, kind, form, ASM name): every hit the scan must report, and no other.
EXPECTED = [
    ("deploy/site.yml", "'prod/billing/stripe', region", "ansible_lookup", "name", STRIPE),
    ("deploy/site.yml", "'prod/billing/stripe-old'", "ansible_lookup", "name", OLD),
    ("deploy/site.yml", "name: prod/orders/api-key", "ansible_task", "name", ORDERS),
    ("deploy/site.yml", "--secret-id prod/billing/db", "aws_cli", "name", DB),
    ("deploy/read.yml", "'prod/billing/stripe') |", "ansible_lookup", "name", STRIPE),
    ("deploy/read.yml", "stripe.api_key", "ansible_lookup", "name", STRIPE),
    ("deploy/read.yml", "old_text:", "ansible_lookup", "arn_full", OLD),
    ("app/billing.py", "LEGACY_SECRET", "plain", "name", OLD),
    ("app/billing.py", "SecretId=", "boto3_get_secret_value", "name", STRIPE),
    ("app/billing.py", '"prod/billing/db",', "boto3_batch_get_secret_value", "name", DB),
    ("app/billing.py", "secret:prod/orders/api-key", "boto3_batch_get_secret_value", "arn_partial", ORDERS),
    ("scripts/fetch.sh", "--secret-id \"prod", "aws_cli", "name", STRIPE),
    ("scripts/fetch.sh", "--secret-id-list", "aws_cli", "name", DB),
    ("scripts/fetch.sh", "--secret-id-list", "aws_cli", "arn_full", ORDERS),
    ("terraform/main.tf", "name = \"prod/billing/stripe\"", "terraform_data_source", "name", STRIPE),
    ("terraform/main.tf", "secret_id =", "terraform_data_source", "arn_full", DB),
    ("terraform/main.tf", "name = \"prod/orders/api-key\"", "terraform_resource", "name", ORDERS),
    ("terraform/main.tf", "legacy_secret", "plain", "name", OLD),
    ("k8s/external-secret.yaml", "key: prod/billing/stripe", "external_secret", "name", STRIPE),
    ("k8s/external-secret.yaml", "key: prod/billing/db", "external_secret", "name", DB),
    ("config/app.json", "stripe_secret", "plain", "name", STRIPE),
    ("config/app.json", "legacy", "plain", "arn_full", OLD),
    ("config/app.json", "\"orders\"", "plain", "arn_partial", ORDERS),
    ("config/settings.ini", "database_secret", "plain", "name", DB),
    (".env", "STRIPE_SECRET_ID", "plain", "name", STRIPE),
    (".env", "ORDERS_SECRET_ID", "plain", "name", ORDERS),
    ("config/values.yaml", "legacy_secret", "plain", "name", OLD),
]


class Estate:
    def __init__(self, servers, tmp):
        self.servers = servers
        self.tmp = tmp
        self.env = servers.env
        self.arns = {}
        self.http = httpx.Client(base_url=servers.scaivault_url, timeout=15.0, trust_env=False,
                                 headers={"Authorization": "Bearer %s" % servers.token})

    def module(self, name, args, check=False):
        return run_module(name, args, check=check, env=self.env)

    def scan(self, check=False, **args):
        # The first test writes its reports into the tree; the later scans leave that directory out.
        base = {"region": REGION, "prefixes": ["prod/"], "mapping": MAPPING, "roots": [str(self.tree)],
                "exclude": ["node_modules", "reports"]}
        base.update(args)
        return self.module(MODULE, base, check=check)


def render(text, arns):
    return re.sub(r"@ARN\(([^)]+)\)@", lambda found: arns[found.group(1)], textwrap.dedent(text))


def line_of(text, marker):
    lines = [number for number, line in enumerate(text.splitlines(), 1) if marker in line]
    assert len(lines) == 1, "marker %r is on lines %s" % (marker, lines)
    return lines[0]


@pytest.fixture(scope="module")
def estate(servers, tmp_path_factory):
    servers.reset_all()
    est = Estate(servers, tmp_path_factory.mktemp("refscan"))
    import boto3  # pylint: disable=import-outside-toplevel
    from botocore.config import Config  # pylint: disable=import-outside-toplevel
    est.asm = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                    region_name=REGION).client("secretsmanager", endpoint_url=servers.asm_url,
                                                               config=Config(proxies={}))
    for name, value in VALUES.items():
        est.arns[name] = est.asm.create_secret(Name=name, SecretString=value)["ARN"]
    migrated = est.module("asm_migrate", {"region": REGION, "prefixes": ["prod/"], "mapping": MAPPING})
    assert not migrated.failed, migrated.result.get("msg")

    est.tree = est.tmp / "consumers"
    est.texts = {}
    for relative, text in TREE.items():
        est.texts[relative] = render(text, est.arns)
        path = est.tree / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(est.texts[relative])
    (est.tree / "assets").mkdir()
    (est.tree / "assets" / "logo.bin").write_bytes(b"\x89PNG\r\n\x1a\n\0\0prod/billing/stripe\0")
    (est.tree / "data").mkdir()
    huge = ("2026-01-01T00:00:00Z INFO nothing to see here, request handled\n" * HUGE_LINES) + "db read: prod/billing/db\n"
    (est.tree / "data" / "huge.log").write_text(huge)
    est.huge_line = HUGE_LINES + 1
    est.reports = est.tree / "reports"
    yield est
    est.http.close()


def expected_hits(estate):
    return sorted((relative, line_of(estate.texts[relative], marker), kind, form, name)
                  for relative, marker, kind, form, name in EXPECTED)


def found_hits(result):
    return sorted((hit["relative"], hit["line"], hit["kind"], hit["form"], hit["asm_name"]) for hit in result["references"])


def test_every_reference_kind_is_found_with_its_line_and_nothing_else(estate):
    estate.servers.reset_asm_calls()
    estate.servers.reset_dev_counters()
    paths = {"report_json": str(estate.reports / "refs.json"), "report_markdown": str(estate.reports / "refs.md"),
             "patch_file": str(estate.reports / "consumers.patch")}
    paths["exclude"] = ["node_modules"]  # its own report and patch files are never scanned
    res = estate.scan(**paths)
    assert not res.failed, res.result.get("msg")
    result = res.result
    assert found_hits(result) == expected_hits(estate)
    assert all(hit["region"] == REGION and hit["scaivault_path"] == new_path(hit["asm_name"]) for hit in result["references"])
    assert result["changed"] is False

    skipped = dict((item["file"].rsplit("/", 1)[-1], item["reason"]) for item in result["skipped_files"])
    assert skipped == {"logo.bin": "binary", "huge.log": "too_large"}
    summary = result["summary"]
    assert summary["references"] == len(EXPECTED) and summary["referenced_secrets"] == 4
    assert summary["files_with_references"] == 10 and summary["files_excluded"] == 1  # node_modules
    counts = dict((secret["name"], secret["references"]) for secret in result["secrets"])
    assert counts == {STRIPE: 9, OLD: 6, DB: 6, ORDERS: 6, UNUSED: 0, IDLE: 0}
    stripe = next(secret for secret in result["secrets"] if secret["name"] == STRIPE)
    assert stripe["format"] == "json" and stripe["migrated"] is True and stripe["arn"] == estate.arns[STRIPE]

    # Metadata only on both sides: ListSecrets and the batch metadata endpoint; no value is read anywhere.
    assert set(estate.servers.asm_calls()["by_operation"]) == {"ListSecrets"}
    assert set(estate.servers.dev_counters()["by_route"]) == {"POST /v1/secrets/batch/metadata"}
    assert_no_leak([json.loads(VALUES[STRIPE])["api_key"], VALUES[OLD], VALUES[ORDERS], VALUES[UNUSED]],
                   texts={"result": res.output}, files=[paths[key] for key in ("report_json", "report_markdown", "patch_file")])

    # Reports: private, the JSON equal to the result, the Markdown by file and line; the reports inside the
    # scanned tree are left out of the scan, so a second run finds the same and rewrites nothing.
    for path in (paths["report_json"], paths["report_markdown"], paths["patch_file"]):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
    report = json.loads((estate.reports / "refs.json").read_text())
    assert report["references"] == result["references"]
    assert report["summary"] == dict((k, v) for k, v in result["summary"].items() if k != "scan_seconds")
    markdown = (estate.reports / "refs.md").read_text()
    assert "| %s:%d | ansible_task | name | %s |" % (estate.tree / "deploy/site.yml", 14, ORDERS) in markdown
    again = estate.scan(**paths).result
    assert found_hits(again) == found_hits(result)
    assert again["reports"]["json"]["changed"] is False and again["patch"]["changed"] is False
    estate.first = result


def test_the_file_over_the_cap_is_read_with_a_larger_cap(estate):
    result = estate.scan(max_file_size="8M", include=["*.log"]).result
    assert [(hit["relative"], hit["line"], hit["asm_name"]) for hit in result["references"]] == [
        ("data/huge.log", estate.huge_line, DB)]
    assert result["summary"]["files_scanned"] == 1
    assert result["summary"]["scan_seconds"] < 10


def test_selection_from_scaivault_provenance_finds_the_same(estate):
    estate.servers.reset_asm_calls()
    estate.servers.reset_dev_counters()
    res = estate.module(MODULE, {"source": "scaivault", "scaivault_prefixes": ["environments/production/"],
                                 "region": REGION, "roots": [str(estate.tree)], "exclude": ["node_modules", "reports"]})
    assert not res.failed, res.result.get("msg")
    assert found_hits(res.result) == expected_hits(estate)
    assert estate.servers.asm_calls()["total"] == 0
    assert set(estate.servers.dev_counters()["by_route"]) == {"GET /v1/secrets"}


def test_namespaces_map_each_secret_with_their_own_rules(estate):
    namespaces = [{"name": "billing", "prefixes": ["prod/billing/"], "owner": "team:billing",
                   "mapping": [{"match": "prod/billing/**", "path": "billing/**"}]},
                  {"name": "rest", "prefixes": ["prod/orders/", "prod/billing/"],
                   "mapping": [{"match": "prod/**", "path": "environments/production/**"}]}]
    res = estate.scan(prefixes=None, mapping=None, namespaces=namespaces, include=["*.ini", "*.env", ".env"])
    assert not res.failed, res.result.get("msg")
    paths = dict((secret["name"], secret["scaivault_path"]) for secret in res.result["secrets"])
    assert paths == {STRIPE: "billing/stripe", OLD: "billing/stripe-old", DB: "billing/db",
                     ORDERS: "environments/production/orders/api-key"}
    assert sorted((hit["relative"], hit["scaivault_path"]) for hit in res.result["references"]) == [
        (".env", "billing/stripe"), (".env", "environments/production/orders/api-key"),
        ("config/settings.ini", "billing/db")]
    assert "remove prefixes" in estate.scan(namespaces=namespaces).result["msg"]


def test_check_mode_writes_no_file_and_bad_options_fail_clearly(estate, tmp_path):
    res = estate.scan(check=True, report_json=str(tmp_path / "r.json"), patch_file=str(tmp_path / "p.patch"))
    assert not res.failed and res.result["patch"]["written"] is False and res.result["reports"]["json"]["written"] is False
    assert list(tmp_path.iterdir()) == []
    assert "not a size" in estate.scan(max_file_size="lots").result["msg"]
    assert "is not a directory" in estate.scan(roots=[str(tmp_path / "missing")]).result["msg"]
    assert "needs the migration's mapping rules" in estate.scan(mapping=None).result["msg"]
    gate = estate.scan(fail_on_references=True, include=["*.ini"])
    assert gate.failed and "1 reference(s) to 1 migrated secret(s)" in gate.result["msg"]
    assert "settings.ini:2" in gate.result["msg"]


def test_the_patch_applies_and_the_patched_playbook_reads_the_same_values_through_scaivault(estate, tmp_path):
    patch = estate.reports / "consumers.patch"
    assert estate.first["patch"]["base"] == str(estate.tree) and estate.first["patch"]["files"] == 2
    subprocess.run(["git", "apply", "--check", str(patch)], cwd=str(estate.tree), check=True)
    assert estate.texts["deploy/site.yml"] == (estate.tree / "deploy/site.yml").read_text(), "the module applied it"
    work = tmp_path / "consumers"
    shutil.copytree(str(estate.tree / "deploy"), str(work / "deploy"))
    subprocess.run(["git", "apply", str(patch)], cwd=str(work), check=True)
    patched = (work / "deploy" / "read.yml").read_text()
    assert "amazon.aws" not in patched and "asm_fallback='%s'" % estate.arns[OLD] in patched
    site = (work / "deploy" / "site.yml").read_text()
    assert "scailabs.scaivault.scaivault_secret:" in site and "path: environments/production/orders/api-key" in site
    assert "--secret-id prod/billing/db" in site  # the CLI call is reported, never rewritten

    estate.servers.reset_asm_calls()
    out = tmp_path / "values.json"
    res = run_playbook(work / "deploy" / "read.yml", env=estate.env, extra_vars={"out_file": str(out)})
    res.assert_ok()
    assert estate.servers.asm_calls()["total"] == 0, "the paths exist in ScaiVault: no fallback read of ASM"
    got = json.loads(out.read_text())
    asm_value = json.loads(estate.asm.get_secret_value(SecretId=STRIPE)["SecretString"])
    assert got["stripe"] == asm_value and got["stripe_key"] == asm_value["api_key"]
    assert got["old_text"] == estate.asm.get_secret_value(SecretId=OLD)["SecretString"]
    assert_no_leak([VALUES[OLD], asm_value["api_key"]], texts={"output": res.output})
    # The rewritten task resolves (community.aws is not installed here, scailabs.scaivault is).
    run_playbook(work / "deploy" / "site.yml", env=estate.env, extra_args=["--syntax-check"]).assert_ok()


def test_cutover_evidence_per_secret(estate):
    consumer = "skt_refscan_consumer_0123456789"
    estate.servers.dev_add_token(consumer, "sa:billing-app", ["secrets:read"])
    created = estate.http.post("/v1/federation/backends", json={
        "name": "aws-us-east-1", "type": "aws-secrets-manager", "config": {"region": REGION},
        "path_mapping": {"external/aws/**": "prod/**"}, "mode": "proxy"})
    assert created.status_code == 201, created.text
    headers = {"Authorization": "Bearer " + consumer}
    for path in (new_path(STRIPE), "external/aws/unused/token"):
        read = httpx.get(estate.servers.scaivault_url + "/v1/secrets/" + path, headers=headers, trust_env=False, timeout=15)
        assert read.status_code == 200, read.text
    estate.http.get("/v1/secrets/" + new_path(DB)).raise_for_status()  # the migration's own identity: not evidence

    res = estate.scan(evidence=True, quiet_window="1h")
    assert not res.failed, res.result.get("msg")
    cut = dict((secret["name"], secret["cutover"]) for secret in res.result["secrets"])
    assert cut[STRIPE]["status"] == "in_transition" and cut[STRIPE]["new_path_readers"] == ["sa:billing-app"]
    assert cut[DB]["status"] == "not_started" and cut[DB]["new_path_reads"] == 0
    assert cut[UNUSED]["status"] == "not_started" and cut[UNUSED]["federated_reads"] == 1
    assert cut[UNUSED]["federated"] == [{"path": "external/aws/unused/token", "backend": "aws-us-east-1",
                                        "mode": "proxy", "reads": 1, "readers": ["sa:billing-app"]}]
    assert cut[IDLE]["status"] == "moved" and cut[IDLE]["references"] == 0
    assert res.result["summary"]["cutover"] == {"not_started": 4, "in_transition": 1, "moved": 1}
    assert res.result["evidence"]["identity"] == "user:dev@scaivault.local"


def test_cleanup_references_guard_refuses_a_still_referenced_secret_with_file_and_line(estate):
    # The consumer that read the new path in the evidence test does not count here: only this guard is tested.
    args = {"region": REGION, "names": [STRIPE, IDLE], "mapping": MAPPING, "fail_on_refusal": False,
            "quiet_window": "1h", "exclude_identities": ["sa:billing-app"],
            "references": {"roots": [str(estate.tree)], "exclude": ["node_modules", "reports"]}}
    without = estate.module("asm_cleanup", dict(args, references=None), check=True).result
    assert dict((s["name"], s["status"]) for s in without["secrets"]) == {STRIPE: "scheduled", IDLE: "scheduled"}

    res = estate.module("asm_cleanup", args)
    assert not res.failed, res.result.get("msg")
    by_name = dict((secret["name"], secret) for secret in res.result["secrets"])
    refused = by_name[STRIPE]
    assert refused["status"] == "refused" and refused["guards"] == ["references"]
    site = estate.tree / "deploy" / "site.yml"
    assert "still referenced 9 time(s) in 8 file(s)" in refused["reasons"][0]
    app = line_of(estate.texts["app/billing.py"], "SecretId=")
    assert "%s:%d (boto3_get_secret_value)" % (estate.tree / "app" / "billing.py", app) in refused["reasons"][0]
    assert "and 4 more: repoint those consumers to environments/production/billing/stripe" in refused["reasons"][0]
    assert {"file": str(site), "line": 8, "kind": "ansible_lookup", "form": "name"} in refused["references"]
    assert by_name[IDLE]["status"] == "scheduled" and by_name[IDLE]["references"] == []
    assert res.result["references_scan"]["references"] == 9
    # Out of band: the referenced secret is untouched, the other one is scheduled for deletion.
    assert "DeletedDate" not in estate.asm.describe_secret(SecretId=STRIPE)
    assert estate.asm.describe_secret(SecretId=IDLE).get("DeletedDate")
