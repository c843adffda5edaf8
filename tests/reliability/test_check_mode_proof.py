# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check mode proof (reliability suite): the whole runbook in --check writes nothing on either side.

The demo-sized estate (tests/demo/seed_demo.py, ~60 secrets, two regions) through
* playbooks/migrate.yml --check --diff on an empty ScaiVault (everything would be created),
* playbooks/demo.yml --check --diff (migrate + cleanup) on an empty ScaiVault,
* playbooks/demo.yml --check --diff after a real migration and a changed ASM value (updates, rotation
  hand-over and guarded deletions would be planned),
and after each: the dev server's /_dev/counters show zero writes (PUT, PATCH, DELETE, and POSTs other
than batch read / batch metadata / token) and the ASM stand-in's /_calls zero mutating calls.
"""

from __future__ import annotations

import json
import os

import pytest

from demo.seed_demo import seed_demo
from integration.playbook_runner import REPO_ROOT, run_playbook
from integration.secret_helpers import asm_mutations, scaivault_writes
from reliability import figures

INVENTORY = REPO_ROOT / "tests" / "demo" / "inventory"
PLAYBOOKS = REPO_ROOT / "playbooks"


@pytest.fixture
def estate(dev_server, tmp_path):
    for name in ("migrate.yml", "demo.yml"):
        assert (PLAYBOOKS / name).exists(), "playbooks/%s does not exist" % name
    seeded = seed_demo(dev_server.asm_url)
    env = dict(dev_server.env, DEMO_WEBHOOK_SECRET="whsec-check-mode-0123456789abcdef")
    extra = {"scaivault_report_dir": str(tmp_path / "reports"), "scaivault_batch_size": 20}

    def play(name, check):
        return run_playbook(PLAYBOOKS / name, env=env, inventory=str(INVENTORY), extra_vars=extra, check=check,
                            diff=check, timeout=600)
    return dev_server, seeded, play


def _prove(servers, play, name, case):
    servers.reset_dev_counters()
    servers.reset_asm_calls()
    result = play(name, True)
    counters = servers.dev_counters()
    calls = servers.asm_calls()
    writes, mutations = scaivault_writes(counters), asm_mutations(calls)
    ok = result.rc == 0 and not writes and not mutations
    figures.record("check_mode", case, sv_requests=counters.get("total"), sv_writes=sum(writes.values()),
                   asm_calls=calls.get("total"), asm_mutating=sum(mutations.values()),
                   result="ok" if ok else "FAIL rc=%s writes=%s asm=%s" % (result.rc, writes, mutations))
    failed = [(r.get("host"), r.get("task"), str((r.get("result") or {}).get("msg"))[:1500])
              for r in result.tasks if r.get("failed") and not r.get("ignore_errors")]
    assert result.rc == 0, "check run failed: %s\n%s" % (failed, result.stderr[-2000:])
    assert not writes, "ScaiVault writes in check mode: %s" % writes
    assert not mutations, "ASM mutating calls in check mode: %s" % mutations
    assert counters.get("total", 0) > 0 and calls.get("total", 0) > 0, "the check run did not talk to the servers"
    return result


@pytest.mark.skipif(not os.environ.get("RELIABILITY_FULL"), reason=(
    "make reliability-full only: demo.yml --check below runs migrate.yml whole (plus cleanup) in make test"))
def test_migrate_playbook_in_check_mode_writes_nothing(estate):
    servers, seeded, play = estate
    result = _prove(servers, play, "migrate.yml", "migrate.yml --check --diff, empty ScaiVault (%d secrets)"
                    % len(seeded["secrets"]))
    assert "changed=" in result.stdout


@pytest.mark.skipif(not os.environ.get("RELIABILITY_FULL"), reason=(
    "make reliability-full only: three whole demo runs (~140 s); make test proves check mode on the demo estate in "
    "tests/integration/test_roles_playbooks.py::test_check_mode_writes_nothing"))
def test_demo_playbook_in_check_mode_writes_nothing_before_and_after_a_migration(estate, asm_client_factory):
    servers, seeded, play = estate
    _prove(servers, play, "demo.yml", "demo.yml (migrate + cleanup) --check --diff, empty ScaiVault")
    real = play("migrate.yml", False)
    assert real.rc == 0, real.stdout[-3000:]
    # A changed value outside the federation verify paths (a sync-mode copy of those is only refreshed by a
    # sync, which check mode must not trigger), so the plan holds an update.
    changed = sorted(s["name"] for s in seeded["secrets"] if s["region"] == "us-east-1" and s["kind"] == "bulk")[0]
    asm_client_factory("us-east-1").put_secret_value(
        SecretId=changed, SecretString=json.dumps({"api_key": "sk_test_check_mode_changed_0001"}))
    _prove(servers, play, "demo.yml", "demo.yml --check --diff after a real migration + 1 changed ASM value")


def test_federation_mismatch_message_names_the_paths(dev_server, tmp_path, asm_client_factory):
    seed_demo(dev_server.asm_url, bulk_primary=1, bulk_secondary=1)
    env = dict(dev_server.env, DEMO_WEBHOOK_SECRET="whsec-check-mode-0123456789abcdef")
    extra = {"scaivault_report_dir": str(tmp_path / "reports")}

    def play(check):
        return run_playbook(PLAYBOOKS / "migrate.yml", env=env, inventory=str(INVENTORY), extra_vars=extra,
                            check=check, tags="federation", limit="demo-us-east-1", timeout=300)
    assert play(False).rc == 0
    asm_client_factory("us-east-1").put_secret_value(
        SecretId="prod/billing/stripe", SecretString=json.dumps({"api_key": "sk_test_mismatch_changed_0001"}))
    result = play(True)
    messages = [str((r.get("result") or {}).get("msg")) for r in result.tasks if r.get("failed")]
    assert messages, "the stale sync copy was not reported"
    assert any("billing/stripe" in m for m in messages), messages
