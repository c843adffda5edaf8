# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""asm_inventory against the ASM stand-in (moto) in two regions, checked out of band.

The mix of tests/integration/asm_seed.py plus 230 bulk secrets is seeded once for this file
(``--dist loadfile`` keeps the file on one worker; nothing here writes to ASM). Call counts
come from the stand-in's /_calls; query answers are compared with the AWS CLI's, recorded in awscli_reference/
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from integration.asm_seed import ACCOUNT, KMS_KEY_ARN, PRIMARY, SECONDARY, VALUE_MARKER, seed_bulk, seed_mix
from integration.playbook_runner import run_module

BULK = 210
# The module's EXAMPLES query uses JMESPath's legacy `literal` syntax, which the AWS CLI accepts too.
pytestmark = pytest.mark.filterwarnings("ignore:deprecated string literal syntax:PendingDeprecationWarning")
MODULE = "asm_inventory"
REFERENCE_DIR = Path(__file__).resolve().parent / "awscli_reference"


def seed_estate(asm_url):
    """The estate of this file (and of scripts/awscli_reference.py): the mix plus BULK secrets, created in one
    thread so that ListSecrets answers in the same order on every run (the checked-in CLI answers rely on it)."""
    info = seed_mix(asm_url)
    info["bulk"] = seed_bulk(asm_url, BULK, PRIMARY, "bulk/", workers=1)
    return info


@pytest.fixture(scope="module")
def seeded(servers):
    servers.reset_all()
    info = seed_estate(servers.asm_url)
    servers.reset_asm_calls()
    yield info
    servers.clear_asm_faults()


@pytest.fixture
def inventory(servers, seeded):
    """run asm_inventory with args; counters are reset first and the module must not write to ASM.

    In-process by default (the module keeps no state between runs; a subprocess costs ~1 s of
    imports here); ``subprocess=True`` runs it the way Ansible does.
    """
    def run(check=False, expect_failure=False, subprocess=False, **args):
        servers.reset_asm_calls()
        args.setdefault("region", PRIMARY)
        res = run_module(MODULE, args, check=check, env=servers.env,
                         mode="subprocess" if subprocess else "inprocess")
        assert res.failed == expect_failure, res.result.get("msg") or res.stderr[-2000:]
        writes = [op for op in servers.asm_calls()["by_operation"] if not op.startswith(("List", "Describe"))]
        assert writes == [], "asm_inventory called %s" % writes
        return res
    return run


def secret_by_name(result, name):
    matches = [s for s in result["secrets"] if s["name"] == name]
    assert len(matches) == 1, [s["name"] for s in result["secrets"]]
    return matches[0]


def seeded_values(info):
    """Every seeded string value (each contains VALUE_MARKER), to prove none reaches the module's output."""
    values = []
    for secrets in info["secrets"].values():
        for secret in secrets.values():
            for value in [secret["value"]] + secret["older_values"]:
                if isinstance(value, dict):
                    values.extend(v for v in value.values() if isinstance(v, str))
                elif value:
                    values.append(value)
    assert values and all(VALUE_MARKER in v for v in values)
    return values


# -- classification -----------------------------------------------------------------------------
def test_primary_region_classification_and_call_budget(inventory, servers, seeded):
    res = inventory(include_planned_deletion=True, subprocess=True)
    result = res.result
    names = sorted(seeded.names(PRIMARY) + seeded["bulk"])
    assert [s["name"] for s in result["secrets"]] == names
    assert result["changed"] is False and result["not_found"] == []

    db = secret_by_name(result, "prod/orders/db")
    assert db["rotation_enabled"] is True
    assert db["rotation"]["lambda_arn"] == seeded["lambda_arns"][PRIMARY]
    assert db["rotation"]["automatically_after_days"] == 30
    assert db["service"] == "prod/orders" and db["tags"] == {"environment": "production", "team": "orders"}

    vault = secret_by_name(result, "prod/payments/card-vault")
    assert vault["cmk_encrypted"] is True and vault["kms_key_id"] == KMS_KEY_ARN
    assert secret_by_name(result, "prod/billing/stripe")["cmk_encrypted"] is False

    old = secret_by_name(result, "prod/legacy/old-token")
    assert old["planned_deletion"] is True and old["deleted_date"]
    assert old["target"]["status"] == "planned_deletion"

    assert secret_by_name(result, "prod/billing/eu/vat/api-key")["service"] == "prod/billing"
    assert secret_by_name(result, "standalone-token")["service"] is None
    stripe = secret_by_name(result, "prod/billing/stripe")
    assert stripe["version_count"] == 2  # AWSCURRENT + AWSPREVIOUS carry labels; the oldest has none
    assert stripe["description"] == "Stripe API key for billing"
    assert stripe["account_id"] == ACCOUNT

    summary = result["summary"]
    assert summary["total"] == len(names)
    assert (summary["rotation_enabled"], summary["cmk_encrypted"], summary["replicas"],
            summary["planned_deletion"]) == (1, 1, 0, 1)
    assert summary["services"]["bulk"] == BULK and summary["tag_keys"]["environment"] == len(names) - 1

    # ceil(N/100) ListSecrets and nothing else: no Describe is needed for any of this.
    calls = servers.asm_calls()
    assert calls["by_region"] == {PRIMARY: {"ListSecrets": math.ceil(len(names) / 100)}}
    assert result["api_calls"]["asm"]["ListSecrets"] == math.ceil(len(names) / 100)
    seeded_values(seeded)
    assert VALUE_MARKER not in res.output and "bulk-value-" not in res.output


def test_secondary_region_replica_rotation_and_replication(inventory, servers, seeded):
    res = inventory(region=SECONDARY, include_replication=True)
    result = res.result
    assert [s["name"] for s in result["secrets"]] == seeded.names(SECONDARY)
    replica = secret_by_name(result, "prod/shared/api-gateway")
    assert replica["replica"] is True and replica["primary_region"] == PRIMARY
    assert replica["target"]["status"] == "replica"
    assert "migrate it from its primary region %s" % PRIMARY in replica["target"]["reason"]
    assert "replica_regions" not in replica  # a replica is not described
    gdpr = secret_by_name(result, "prod/eu/gdpr/export-key")
    assert gdpr["rotation_enabled"] and gdpr["rotation"]["automatically_after_days"] == 7
    assert gdpr["rotation"]["lambda_arn"] == seeded["lambda_arns"][SECONDARY]
    assert secret_by_name(result, "prod/billing/stripe")["arn"] == seeded.secret(SECONDARY, "prod/billing/stripe")["arn"]
    # One DescribeSecret per secret that is not itself a replica.
    assert servers.asm_calls()["by_region"] == {SECONDARY: {"ListSecrets": 1, "DescribeSecret": 3}}

    primary = inventory(names=["prod/shared/api-gateway"], include_replication=True).result
    assert primary["secrets"][0]["replica"] is False
    assert [r["region"] for r in primary["secrets"][0]["replica_regions"]] == [SECONDARY]


def test_call_budget_of_bulk_inventory_with_and_without_describe_options(inventory, servers):
    result = inventory(filters=[{"key": "name", "values": ["bulk/"]}]).result
    assert result["summary"]["total"] == BULK
    assert servers.asm_calls()["by_operation"] == {"ListSecrets": math.ceil(BULK / 100)}

    # bulk/00100 .. bulk/00199: one page, plus exactly one call per secret and option.
    result = inventory(filters=[{"key": "name", "values": ["bulk/001"]}], include_versions=True,
                       include_replication=True).result
    assert result["summary"]["total"] == 100
    assert all(len(s["versions"]) == 1 and s["versions"][0]["stages"] == ["AWSCURRENT"] for s in result["secrets"])
    assert all(s["replica_regions"] == [] for s in result["secrets"])
    assert servers.asm_calls()["by_operation"] == {"ListSecrets": 1, "DescribeSecret": 100,
                                                   "ListSecretVersionIds": 100}

    # tag-value is a prefix match too: 'production' is every third bulk secret.
    result = inventory(filters=[{"key": "name", "values": ["bulk/"]},
                                {"key": "tag-value", "values": ["production"]}]).result
    assert result["summary"]["total"] == len(range(0, BULK, 3))
    assert servers.asm_calls()["by_operation"] == {"ListSecrets": 1}


def test_explicit_names_and_arns(inventory, servers, seeded):
    stripe_arn = seeded.secret(PRIMARY, "prod/billing/stripe")["arn"]
    res = inventory(names=["prod/orders/db", stripe_arn, "prod/nope", "prod/legacy/old-token"])
    assert [s["name"] for s in res.result["secrets"]] == ["prod/billing/stripe", "prod/orders/db"]
    assert res.result["not_found"] == ["prod/nope", "prod/legacy/old-token"]
    assert "prod/nope: no such secret in %s" % PRIMARY in json.dumps(res.result.get("warnings"))
    assert servers.asm_calls()["by_operation"] == {"ListSecrets": 1}  # 4 names: one name filter

    with_deleted = inventory(names=["prod/legacy/old-token"], include_planned_deletion=True).result
    assert with_deleted["secrets"][0]["planned_deletion"] is True

    wrong_region = inventory(names=[stripe_arn.replace(PRIMARY, SECONDARY)], expect_failure=True)
    assert "run one task per region" in wrong_region.result["msg"]
    assert servers.asm_calls()["total"] == 0


def test_prefixes_select_by_name_prefix_union_names_and_and_filters(inventory, servers, seeded):
    """prefixes (shared selection group): one name-filter listing, unioned with names, narrowed by filters."""
    everything = [s["name"] for s in inventory().result["secrets"]]
    res = inventory(prefixes=["prod/billing/"], names=["prod/orders/db"])
    names = [s["name"] for s in res.result["secrets"]]
    expected = sorted(n for n in everything if n.startswith("prod/billing/")) + ["prod/orders/db"]
    assert sorted(names) == sorted(expected) and names
    assert servers.asm_calls()["by_operation"] == {"ListSecrets": 1}  # names and prefixes share one name filter

    narrowed = inventory(prefixes=["bulk/"], filters=[{"key": "tag-value", "values": ["production"]}]).result
    assert narrowed["summary"]["total"] == len([i for i in range(BULK) if i % 3 == 0])
    assert all(s["name"].startswith("bulk/") for s in narrowed["secrets"])

    refused = inventory(prefixes=["prod/"], filters=[{"key": "name", "values": ["prod/"]}], expect_failure=True)
    assert "cannot be combined" in refused.result["msg"]


# -- mapping preview ----------------------------------------------------------------------------
def test_mapping_preview_strict(inventory, seeded):
    result = inventory(filters=[{"key": "name", "values": ["prod/"]}],
                       mapping=[{"match": "prod/billing/**", "path": "environments/production/billing/**"},
                                {"match": "prod/**", "path": "environments/production/**"}]).result
    target = dict((s["name"], s["target"]) for s in result["secrets"])
    assert target["prod/billing/stripe"] == {"status": "ok", "path": "environments/production/billing/stripe",
                                             "reason": None, "collides_with": []}
    assert target["prod/billing/eu/vat/api-key"]["path"] == "environments/production/billing/eu/vat/api-key"
    upper = target["prod/Billing/Stripe"]
    assert upper["status"] == "invalid" and "'B', 'S' (upper case)" in upper["reason"]
    assert "naming_policy to 'normalize'" in upper["reason"]
    assert target["prod/a+b"]["status"] == "invalid" and "'+'" in target["prod/a+b"]["reason"]
    assert target["prod/x@y"]["status"] == "invalid" and "'@'" in target["prod/x@y"]["reason"]
    assert target["prod/cache.main"]["status"] == "invalid" and "'.'" in target["prod/cache.main"]["reason"]
    assert target["prod/cache-main"]["status"] == "ok"
    assert "prod/legacy/old-token" not in target  # pending deletion is not listed by default
    assert result["summary"]["targets"] == {"ok": 7, "invalid": 4}


def test_mapping_preview_normalize_collisions_and_unmapped(inventory):
    result = inventory(filters=[{"key": "name", "values": ["prod/"]}], naming_policy="normalize",
                       mapping=[{"prod/cache*": "cache/*"}, {"prod/*/*": "apps/*/*"},
                                {"prod/billing/**": "billing/**"}]).result
    target = dict((s["name"], s["target"]) for s in result["secrets"])
    for name, other in (("prod/Billing/Stripe", "prod/billing/stripe"), ("prod/cache.main", "prod/cache-main")):
        assert target[name]["status"] == "collision" and target[name]["collides_with"] == [other]
        assert target[other]["status"] == "collision" and target[other]["collides_with"] == [name]
        assert repr(name) in target[other]["reason"]
    assert target["prod/a+b"]["status"] == "unmapped"
    assert "no mapping rule matches 'prod/a+b'" in target["prod/a+b"]["reason"]
    assert target["prod/billing/eu/vat/api-key"] == {"status": "ok", "path": "billing/eu/vat/api-key",
                                                     "reason": None, "collides_with": []}


def test_bad_options_fail_before_any_aws_call(inventory, servers):
    for args, text in (
            (dict(query="SecretList[?"), "not a valid JMESPath expression"),
            (dict(mapping=[{"match": "prod/**", "path": "x/*"}]), "same wildcards"),
            (dict(cost_sync_interval="fortnightly"), "cost_sync_interval"),
            (dict(filters=[{"key": "name", "values": ["v%d" % i for i in range(11)]}]), "at most 10"),
            (dict(names=["a"], filters=[{"key": "name", "values": ["a"]}]), "cannot be combined")):
        res = inventory(expect_failure=True, **args)
        assert text in res.result["msg"], res.result["msg"]
        assert servers.asm_calls()["total"] == 0


# -- IAM, cost, reports ---------------------------------------------------------------------------
def test_iam_policy_and_cost(inventory, seeded):
    result = inventory(filters=[{"key": "name", "values": ["prod/"]}], iam_prefixes=["prod/"],
                       iam_allow_delete=True, cost_sync_interval="1h", cost_proxy_reads_per_minute=1).result
    statements = dict((s["Sid"], s) for s in result["iam_policy"]["document"]["Statement"])
    prod = "arn:aws:secretsmanager:%s:%s:secret:prod/*" % (PRIMARY, ACCOUNT)
    assert statements["ScaiVaultReadSecrets"]["Resource"] == [prod]
    assert statements["ScaiVaultDeleteSecrets"]["Resource"] == [prod]
    assert statements["ScaiVaultDecryptWithCustomerManagedKeys"]["Resource"] == [KMS_KEY_ARN]
    assert statements["ScaiVaultListSecrets"]["Resource"] == "*"

    cost = result["cost"]
    assert cost["secrets"] == 11
    assert cost["sync"]["syncs_per_month"] == 730 and cost["sync"]["list_calls_per_month"] == 730
    assert cost["sync"]["changes_per_month"] == pytest.approx(730 / 24.0 / 30, abs=0.01)  # prod/orders/db
    assert cost["proxy"]["calls_per_month"] == 43800 and cost["cheaper"] == "sync"

    per_secret = inventory(names=["prod/orders/db", "prod/billing/stripe"]).result["iam_policy"]
    assert per_secret["resources"] == [
        "arn:aws:secretsmanager:%s:%s:secret:prod/billing/stripe-??????" % (PRIMARY, ACCOUNT),
        "arn:aws:secretsmanager:%s:%s:secret:prod/orders/db-??????" % (PRIMARY, ACCOUNT)]


def test_reports_written_atomically_not_in_check_mode(inventory, tmp_path, seeded):
    json_path, md_path = tmp_path / "out" / "inv.json", tmp_path / "out" / "inv.md"
    args = dict(region=SECONDARY, report_json=str(json_path), report_markdown=str(md_path))
    checked = inventory(check=True, **args).result
    assert checked["reports"]["json"]["written"] is False and not json_path.exists()

    first = inventory(**args).result
    assert first["changed"] is False
    assert first["reports"] == {"json": {"path": str(json_path), "changed": True, "written": True},
                                "markdown": {"path": str(md_path), "changed": True, "written": True}}
    report = json.loads(json_path.read_text())
    assert report["secrets"] == first["secrets"] and report["summary"] == first["summary"]
    assert report["iam_policy"] == first["iam_policy"] and "api_calls" not in report
    markdown = md_path.read_text()
    assert markdown.startswith("# AWS Secrets Manager inventory: %s" % SECONDARY)
    assert "| prod/shared/api-gateway | prod/shared | off | replica of %s |" % PRIMARY in markdown
    seeded_values(seeded)
    assert VALUE_MARKER not in markdown and VALUE_MARKER not in json_path.read_text()

    again = inventory(**args).result
    assert again["reports"]["json"]["changed"] is False and again["reports"]["markdown"]["changed"] is False


def test_throttling_is_retried_and_denied_describe_fails_per_secret(inventory, servers):
    servers.asm_fault(target="ListSecrets", code="ThrottlingException", count=1)
    result = inventory(region=SECONDARY).result
    assert result["api_calls"]["asm"]["retries"] == 1
    assert servers.asm_calls()["by_operation"] == {"ListSecrets": 2}

    servers.asm_fault(target="DescribeSecret", code="AccessDeniedException", count=1)
    res = inventory(region=SECONDARY, include_replication=True, expect_failure=True)
    assert "could not be fully inventoried" in res.result["msg"]
    assert "DescribeSecret: AccessDeniedException" in res.result["msg"]
    assert len(res.result["errors"]) == 1 and res.result["errors"][0]["operation"] == "DescribeSecret"
    assert len(res.result["secrets"]) == 4  # the others are still reported
    servers.clear_asm_faults()


# -- the AWS CLI as the reference for `query` ---------------------------------------------------------
# What `aws secretsmanager list-secrets --query ...` (AWS CLI v1 from PyPI) answered for each scope below on
# this file's estate is checked in under awscli_reference/ (scripts/awscli_reference.py writes it; re-run it
# when a scope, an expression or the estate changes). Run-specific values (dates, ARN suffixes, version ids)
# are normalized on both sides; their shapes stay checked (an epoch number is no ISO 8601 date).
ISO_8601 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")
ARN_SUFFIX = re.compile(r"^(arn:aws:secretsmanager:[^:]+:\d{12}:secret:.+)-[A-Za-z0-9]{6}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def normalized(value):
    """A CLI or module answer with the values that differ between runs replaced by placeholders."""
    if isinstance(value, dict):
        keys = {}
        for key in value:
            keys[key] = "<uuid-%d>" % (len([k for k in keys.values() if k.startswith("<uuid-")]) + 1) \
                if UUID.match(key) else key
        return {keys[key]: normalized(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalized(item) for item in value]
    if isinstance(value, str):
        if ISO_8601.match(value):
            return "<iso8601>"
        if UUID.match(value):
            return "<uuid>"
        found = ARN_SUFFIX.match(value)
        if found:
            return found.group(1) + "-<suffix>"
    return value


ENVIRONMENT_QUERY = "SecretList[*].[Name,Description,Tags[?Key==`environment`].Value | [0]]"
# Scopes the CLI lists (region, filters, include_planned_deletion) and the expressions asked of each.
# The expressions of one scope go to the CLI as one multi-select hash ({id: expression, ...}): one
# CLI start (~1.5 s) per scope instead of one per expression, and the same hash to the module.
SCOPES = {
    "primary-all": (PRIMARY, None, True, {
        "docs-example-all-pages": ENVIRONMENT_QUERY,
        "count-across-pages": "length(SecretList[?starts_with(Name, 'bulk/')])",
        "tag-filter-across-pages": "SecretList[?Tags[?Key=='environment' && Value=='production']].Name | sort(@)",
        "last-page": "SecretList[200:]",
        "dates-and-rotation": "SecretList[?starts_with(Name, 'prod/')].{name: Name, created: CreatedDate, "
                              "changed: LastChangedDate, deleted: DeletedDate, rotation: RotationEnabled, "
                              "next: NextRotationDate, kms: KmsKeyId, versions: SecretVersionsToStages}",
    }),
    "primary-prod": (PRIMARY, [{"key": "name", "values": ["prod/"]}], False, {
        "docs-example-prod": ENVIRONMENT_QUERY,
        "whole-response": "@",
    }),
    "primary-negated-tag": (PRIMARY, [{"key": "tag-key", "values": ["environment"]},
                                      {"key": "tag-value", "values": ["!production"]}], False, {
        "names": "SecretList[].Name",
    }),
    "secondary-all": (SECONDARY, None, False, {
        "replica-region": "SecretList[*].[Name, PrimaryRegion, RotationRules.AutomaticallyAfterDays]",
    }),
}
CASES = [(scope, case) for scope in SCOPES for case in SCOPES[scope][3]]


def _combined(expressions):
    return "{%s}" % ", ".join('"%s": %s' % (case, expression) for case, expression in expressions.items())


def reference(scope):
    """The checked-in CLI answer of a scope (normalized), as scripts/awscli_reference.py wrote it."""
    path = REFERENCE_DIR / ("%s.json" % scope)
    assert path.exists(), "%s is missing: run scripts/awscli_reference.py (see its docstring)" % path
    recorded = json.loads(path.read_text())
    assert recorded["query"] == _combined(SCOPES[scope][3]), (
        "%s was recorded for other expressions: re-run scripts/awscli_reference.py" % path)
    return recorded["answer"]


@pytest.fixture(scope="module")
def query_answers(servers, seeded):
    """{scope: (recorded CLI answer, module answer)}, both normalized; the module runs in-process."""
    answers = {}
    for scope, (region, filters, include_planned_deletion, expressions) in SCOPES.items():
        args = dict(region=region, query=_combined(expressions), include_planned_deletion=include_planned_deletion)
        if filters:
            args["filters"] = filters
        res = run_module(MODULE, args, env=servers.env, mode="inprocess")
        assert not res.failed, res.result.get("msg")
        answers[scope] = (reference(scope), normalized(res.result["query_result"]))
    return answers


def cli_command(scope, asm_url):
    """The AWS CLI command line of a scope (for scripts/awscli_reference.py; the CLI module is appended)."""
    region, filters, include_planned_deletion, expressions = SCOPES[scope]
    cmd = ["secretsmanager", "list-secrets", "--endpoint-url", asm_url, "--region", region, "--output", "json",
           "--query", _combined(expressions)]
    for item in filters or []:
        cmd += ["--filters", "Key=%s,Values=%s" % (item["key"], ",".join(item["values"]))]
    if include_planned_deletion:
        cmd.append("--include-planned-deletion")
    return cmd


@pytest.mark.parametrize("scope, case", CASES, ids=["%s/%s" % pair for pair in CASES])
def test_query_equals_the_aws_cli(query_answers, scope, case):
    expected, actual = query_answers[scope]
    assert actual[case] == expected[case]
    assert expected[case] not in (None, [], 0, {})


def test_query_sizes_prove_several_pages(query_answers, seeded):
    expected, _actual = query_answers["primary-all"]
    assert expected["count-across-pages"] == BULK
    assert len(expected["docs-example-all-pages"]) == len(seeded.names(PRIMARY)) + BULK > 200
    # ISO 8601 text, as the CLI prints with cli_timestamp_format = iso8601 (not epoch numbers).
    assert all(row["created"] == "<iso8601>" for row in expected["dates-and-rotation"])
