# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The EXAMPLES of every module (plugins/modules) and lookup (plugins/lookup) run against the local servers.

Each plugin's EXAMPLES become the tasks of one play, run with ansible-playbook after a reset of
both servers, with SCAIVAULT_URL/SCAIVAULT_TOKEN and the AWS_* settings of the local servers in
the environment. The run must finish without a failed task. A plugin with no hook still runs;
one whose examples need data, variables or extra settings registers an ExampleHook in HOOKS:

    HOOKS["my_module"] = ExampleHook(
        setup=lambda ctx: {"var_the_examples_use": ...},   # seed servers, return extra vars
        extra_vars={...}, env={...}, pre_tasks=[...],       # static additions
        check=lambda ctx, res: ...,                        # assertions after the run
    )

Keys are module names, or "lookup/<name>" for lookups. ``ctx`` (ExampleContext) has the
servers, the admin httpx client, a Vault helper (tests/integration/secret_helpers.py) and a
boto3 Secrets Manager client factory for moto.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
import yaml

from integration.asm_seed import seed_mix
from integration.playbook_runner import PlaybookResult, run_playbook
from integration.secret_helpers import Vault

REPO = Path(__file__).resolve().parents[2]
PLUGIN_DIRS = {"module": REPO / "plugins" / "modules", "lookup": REPO / "plugins" / "lookup"}


@dataclass
class ExampleContext:
    servers: Any
    http: Any
    vault: Vault
    asm_client_factory: Callable
    tmp_path: Path


@dataclass
class ExampleHook:
    """How to run one plugin's EXAMPLES (every field optional)."""

    setup: Optional[Callable[[ExampleContext], Optional[dict]]] = None
    extra_vars: dict = field(default_factory=dict)
    env: dict = field(default_factory=dict)
    pre_tasks: list = field(default_factory=list)
    check: Optional[Callable[[ExampleContext, PlaybookResult], None]] = None


# -- hooks -------------------------------------------------------------------------------------------
STRIPE = "environments/production/billing/stripe"
DB = "environments/production/billing/db"


def _seed_billing(ctx: ExampleContext) -> None:
    ctx.vault.put(STRIPE, {"publishable_key": "pk_live_example", "secret_key": "sk_live_example_v1"},
                  secret_type="json", metadata={"owner": "team:billing", "tags": ["billing", "migrated-from-asm"]})
    ctx.vault.put(STRIPE, {"publishable_key": "pk_live_example", "secret_key": "sk_live_example_v2"})
    ctx.vault.put(DB, {"username": "billing", "password": "example-db-password"},
                  metadata={"owner": "team:billing", "tags": ["billing"]})


def _seed_asm_mix(ctx: ExampleContext) -> None:
    """The realistic two-region ASM estate the asm_* examples refer to (prod/..., rotation on prod/orders/db)."""
    seed_mix(ctx.servers.asm_url)


def _secret_setup(ctx: ExampleContext) -> dict:
    return {"scaivault_writer_token": ctx.vault.token(["secrets:write", "secrets:list"], "sa:example-writer")}


def _secret_check(ctx: ExampleContext, res: PlaybookResult) -> None:
    stripe = ctx.vault.get(STRIPE)
    assert stripe["version"] == 2, "the check-mode preview must not write"
    assert stripe["metadata"]["owner"] == "team:payments"
    assert stripe["metadata"]["tags"] == ["billing", "pci", "migrated-from-asm", "reviewed-2025"]
    assert ctx.vault.meta(STRIPE)["options"]["max_versions"] == 10 and stripe["expires_at"]
    assert len(ctx.vault.get(DB)["data"]["password"]) == 32
    assert ctx.vault.get("shared/integrations/salesforce/oauth") is None
    preview = res.registered["preview"]
    assert preview["changed"] and preview["changed_fields"] == ["data"] and preview["version"] == 3


# asm_reference_scan's examples scan ./deploy and ./services/billing (relative to where the play runs).
CONSUMER_TREE_TASKS = [
    {"name": "Consumers' trees to scan", "ansible.builtin.file": {"path": "{{ item }}", "state": "directory",
                                                                  "mode": "0700"},
     "loop": ["deploy", "services/billing", "reports"]},
    {"name": "A consumer that reads a migrated secret", "ansible.builtin.copy": {
        "dest": "deploy/site.yml", "mode": "0600",
        "content": "x: \"{{ '{{' }} lookup('amazon.aws.aws_secret', 'prod/billing/stripe') {{ '}}' }}\"\n"}},
]


def _seed_asm_and_migrate_billing(ctx: ExampleContext) -> None:
    """The asm_* estate, with prod/billing/ migrated as the examples' mapping says (formats for the patch)."""
    seed_mix(ctx.servers.asm_url)
    res = run_playbook([{"hosts": "localhost", "gather_facts": False, "tasks": [{"scailabs.scaivault.asm_migrate": {
        "region": "us-east-1", "prefixes": ["prod/billing/"],
        "mapping": [{"match": "prod/billing/**", "path": "environments/production/billing/**"}]}}]}],
        env=ctx.servers.env)
    res.assert_ok()


# asm_migrate's source=federation example reads through a backend federating us-east-1 prod/** at external/aws/**,
# set up the way the scaivault_federation examples do it.
FEDERATE_US_EAST_1 = [
    {"name": "The ASM reader credentials", "no_log": True, "scailabs.scaivault.scaivault_secret": {
        "path": "infra/aws/sm-reader", "secret_type": "json",
        "data": {"access_key_id": "{{ lookup('ansible.builtin.env', 'AWS_ACCESS_KEY_ID') }}",
                 "secret_access_key": "{{ lookup('ansible.builtin.env', 'AWS_SECRET_ACCESS_KEY') }}"}}},
    {"name": "Federate us-east-1 prod/** at external/aws/**", "scailabs.scaivault.scaivault_federation": {
        "name": "aws-us-east-1", "type": "aws-secrets-manager",
        "config": {"region": "us-east-1", "credentials_path": "infra/aws/sm-reader"},
        "path_mapping": {"external/aws/**": "prod/**"}, "mode": "sync", "sync_interval": "15m", "sync_now": True, "wait": True,
        "wait_timeout": 120}},
]


def _migrate_check(ctx: ExampleContext, res: PlaybookResult) -> None:
    """Every migratable prod/ secret of us-east-1 is in ScaiVault with the current ASM value, provenance recorded."""
    migration = res.registered["migration"]
    written = [item for item in migration["secrets"] if item["action"] in ("create", "update", "unchanged")]
    assert written, "the first example migrated nothing"
    asm = ctx.asm_client_factory("us-east-1")
    assert sorted(item["name"] for item in written) == sorted(CLEAN_ESTATE)
    for item in written:
        stored = ctx.vault.get(item["path"])
        value = CLEAN_ESTATE[item["name"]]
        assert stored["data"] == (value if isinstance(value, dict) else {"value": value}), item["path"]
        current = asm.describe_secret(SecretId=item["name"])
        assert stored["metadata"]["source"]["arn"] == current["ARN"], item["path"]
        # Unchanged ASM values: one version each, plus one for the billing secrets whose tags and metadata the
        # wave-1 example changes (versions_for_metadata); the batches and source=federation add none.
        billing = item["name"].startswith("prod/billing/")
        assert ctx.vault.version(item["path"]) == (2 if billing else 1), item["path"]
        assert (stored["metadata"].get("migration_wave") == "1") == billing, item["path"]


# The mix of asm_seed holds collisions and invalid names on purpose; the examples that migrate all of prod/ meet a
# clean estate, as a user following them would.
CLEAN_ESTATE = {"prod/billing/stripe": {"secret_key": "sk_live_example_clean_1"},
                "prod/billing/db": {"username": "billing", "password": "example-clean-password-2"},
                "prod/orders/api-token": "example-clean-token-3",
                "prod/legacy/old-token": "example-clean-legacy-4"}


def _seed_clean_estate(ctx: ExampleContext) -> None:
    asm = ctx.asm_client_factory("us-east-1")
    for name, value in CLEAN_ESTATE.items():
        asm.create_secret(Name=name, SecretString=value if isinstance(value, str) else json.dumps(value))


def _cleanup_setup(ctx: ExampleContext) -> None:
    """The clean estate with prod/ migrated, so the guards of the cleanup examples have targets to check."""
    _seed_clean_estate(ctx)
    run_playbook([{"hosts": "localhost", "gather_facts": False, "tasks": [{"scailabs.scaivault.asm_migrate": {
        "region": "us-east-1", "prefixes": ["prod/"],
        "mapping": [{"match": "prod/**", "path": "environments/production/**"}]}}]}], env=ctx.servers.env).assert_ok()


def _cleanup_check(ctx: ExampleContext, res: PlaybookResult) -> None:
    """The plan ran every guard in check mode; the scheduled deletion was restored: the secret is live in ASM."""
    plan = res.registered["cleanup_plan"]
    assert plan["secrets"] and all(item.get("status") for item in plan["secrets"])
    described = ctx.asm_client_factory("us-east-1").describe_secret(SecretId="prod/legacy/old-token")
    assert "DeletedDate" not in described, "the rollback example left prod/legacy/old-token scheduled for deletion"
    assert ctx.asm_client_factory("us-east-1").get_secret_value(SecretId="prod/legacy/old-token")["SecretString"] == \
        CLEAN_ESTATE["prod/legacy/old-token"]


ORDERS_DB = "environments/production/orders/db"


def _seed_orders_db(ctx: ExampleContext) -> None:
    ctx.vault.put(ORDERS_DB, {"password": "example-orders-db-password"})


def _rotation_check(ctx: ExampleContext, res: PlaybookResult) -> None:
    assert ctx.vault.get(ORDERS_DB)["version"] == 1, "rotation.due asks the automation to write; nothing is written"


# The events example polls a subscription that already holds an event (so the poll answers at once).
EVENT_TASKS = [
    {"name": "A subscription with an event waiting", "scailabs.scaivault.scaivault_subscription": {
        "name": "orders-db-rotation", "paths": ["environments/production/orders/**"], "events": ["secret.updated"]}},
    {"name": "An event", "scailabs.scaivault.scaivault_secret": {"path": ORDERS_DB, "data": {"password": "new-example"}},
     "no_log": True},
]


def _events_check(ctx: ExampleContext, res: PlaybookResult) -> None:
    assert [event["path"] for event in res.registered["polled"]["events"]] == [ORDERS_DB]


def _evidence_setup(ctx: ExampleContext) -> None:
    ctx.vault.put("infra/aws/evidence-writer", {"access_key_id": "AKIAEXAMPLE", "secret_access_key": "example-key"})


REGION_RECORD = "infra/scaivault-runbook/prod-us-east-1"


def _region_state_check(ctx: ExampleContext, res: PlaybookResult) -> None:
    """The record is in ScaiVault, digests and the summary only; the last example found the region reached."""
    stored = ctx.http.get("/v1/secrets/" + REGION_RECORD)
    assert stored.status_code == 200, stored.text
    record = stored.json()["data"]
    assert record["format"] == 1 and record["summary"] == {"migrate": {"total": 5, "skipped": []}}
    assert record["parts"]["asm"]["count"] > 0 and record["parts"]["backends"] == {"aws-us-east-1": "absent"}
    assert res.registered["region_state"]["reached"] is False
    assert res.registered["region_state_again"]["reached"] is True


HOOKS = {
    "scaivault_region_state": ExampleHook(setup=_seed_asm_mix, check=_region_state_check, extra_vars={
        "scaivault_rotation_groups": [],
        "scaivault_namespaces": [{"name": "billing", "prefixes": ["prod/billing/"],
                                  "mapping": [{"match": "prod/billing/**", "path": "environments/production/billing/**"}]}]}),
    "scaivault_rotation_policy": ExampleHook(setup=_seed_orders_db, check=_rotation_check),
    "scaivault_subscription_events": ExampleHook(setup=_seed_orders_db, pre_tasks=EVENT_TASKS, check=_events_check),
    "scaivault_policy_test": ExampleHook(extra_vars={
        "consumers": [{"identity": "sa:billing-api", "namespaces": ["billing"]}],
        "scaivault_namespaces": [{"name": "billing", "prefixes": ["prod/billing/"],
                                  "mapping": [{"match": "prod/billing/**", "path": "environments/production/billing/**"}]}]}),
    "scaivault_audit_evidence": ExampleHook(setup=_evidence_setup),
    "scaivault_secret": ExampleHook(
        setup=_secret_setup,
        extra_vars={"vault_stripe_secret_key": "sk_live_example_0001", "vault_stripe_secret_key_next": "sk_live_example_0002",
                    "vault_salesforce_client_secret": "salesforce-example-secret"},
        check=_secret_check),
    "scaivault_secret_info": ExampleHook(setup=_seed_billing),
    "lookup/secret": ExampleHook(setup=_seed_billing),
    "asm_rotation": ExampleHook(setup=_seed_asm_mix),
    "asm_inventory": ExampleHook(setup=_seed_asm_mix),
    "asm_migrate": ExampleHook(setup=_seed_clean_estate, pre_tasks=FEDERATE_US_EAST_1, check=_migrate_check),
    "asm_cleanup": ExampleHook(setup=_cleanup_setup, check=_cleanup_check),
    "asm_reference_scan": ExampleHook(setup=_seed_asm_and_migrate_billing, pre_tasks=CONSUMER_TREE_TASKS),
}


# -- the test ------------------------------------------------------------------------------------------
def load_examples(path: Path) -> list:
    """EXAMPLES of a plugin file as a list of tasks, read without importing the plugin."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "EXAMPLES" for t in node.targets):
            return yaml.safe_load(ast.literal_eval(node.value)) or []
    return []


def plugins():
    found = []
    for kind, folder in PLUGIN_DIRS.items():
        for path in sorted(folder.glob("*.py")):
            if not path.name.startswith("_"):
                found.append(pytest.param(kind, path, id="%s/%s" % (kind, path.stem)))
    assert found, "no plugin files in %s" % ", ".join(str(folder) for folder in PLUGIN_DIRS.values())
    return found


@pytest.mark.parametrize("kind, path", plugins())
def test_examples_run(kind, path, dev_server, scaivault_http, asm_client_factory, tmp_path):
    key = path.stem if kind == "module" else "%s/%s" % (kind, path.stem)
    hook = HOOKS.get(key, ExampleHook())
    examples = load_examples(path)
    assert examples, "%s has no EXAMPLES" % path.name
    ctx = ExampleContext(dev_server, scaivault_http, Vault(scaivault_http, dev_server), asm_client_factory, tmp_path)
    extra_vars = dict(hook.extra_vars)
    extra_vars.update((hook.setup(ctx) if hook.setup else None) or {})
    play = [{"name": "EXAMPLES of %s" % key, "hosts": "localhost", "gather_facts": False,
             "tasks": list(hook.pre_tasks) + examples}]
    res = run_playbook(play, env=dict(dev_server.env, **hook.env), extra_vars=extra_vars)
    res.assert_ok()
    assert res.tasks, "no task ran"
    if hook.check:
        hook.check(ctx, res)
