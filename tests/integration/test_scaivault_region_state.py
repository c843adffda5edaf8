# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""scaivault_region_state as a module (python -m) against the live servers: compare, record, idempotency, check
mode, and what makes a region "not reached" (a change in ASM, the run lock, other reader credentials).

What ScaiVault holds is read from the dev server (GET of the record path), ASM is changed with boto3 on moto; the
playbook side (migrate.yml skipping its phases) is in test_durable_state.py.
"""

from __future__ import annotations

import json

import pytest

from integration.asm_seed import PRIMARY, client
from integration.playbook_runner import run_module

MODULE = "scaivault_region_state"
RECORD = "infra/scaivault-runbook/test-us-east-1"
NAMESPACES = [{"prefixes": ["prod/app/"], "mapping": [{"match": "prod/app/**", "path": "environments/app/**"}]}]
CREDENTIALS = {"access_key_id": "AKIAREGIONSTATE0001", "secret_access_key": "region-state-reader-s3cret-0001"}


@pytest.fixture
def region(clean_servers, scaivault_http):
    asm = client(clean_servers.asm_url, PRIMARY)
    for name in ("prod/app/db", "prod/app/api-key"):
        asm.create_secret(Name=name, SecretString="value-of-%s-0001" % name)
    scaivault_http.put("/v1/secrets/infra/reader", json={"data": CREDENTIALS})

    def run(check=False, diff=False, **args):
        base = {"region": PRIMARY, "record_path": RECORD, "namespaces": NAMESPACES, "inputs": {"batch": 4},
                "credentials_path": "infra/reader", "credentials": CREDENTIALS}
        res = run_module(MODULE, dict(base, **args), check=check, diff=diff, env=clean_servers.env)
        assert not res.failed, res.result.get("msg") or res.stderr[-2000:]
        assert CREDENTIALS["secret_access_key"] not in res.output
        return res.result

    def stored():
        answer = scaivault_http.get("/v1/secrets/" + RECORD)
        return answer.json() if answer.status_code == 200 else None

    run.asm, run.stored, run.http = asm, stored, scaivault_http
    return run


def test_a_region_is_reached_only_after_a_record_and_recording_is_idempotent(region):
    first = region()
    assert first["reached"] is False and first["changed"] is False and first["reasons"]
    assert region.stored() is None

    planned = region(check=True, diff=True, record=True, summary={"migrate": {"total": 2}}, job="awx-job-7")
    assert planned["changed"] is True and region.stored() is None  # check mode writes nothing
    assert "before" in planned["diff"] and "after" in planned["diff"]

    written = region(record=True, summary={"migrate": {"total": 2}}, job="awx-job-7")
    assert written["changed"] is True
    stored = region.stored()
    assert stored["data"]["job"] == "awx-job-7" and stored["data"]["summary"] == {"migrate": {"total": 2}}
    assert CREDENTIALS["secret_access_key"] not in json.dumps(stored)
    version = stored["version"]

    assert region(record=True, summary={"migrate": {"total": 2}}, job="awx-job-7")["changed"] is False
    assert region.stored()["version"] == version

    reached = region()
    assert reached["reached"] is True and reached["reasons"] == []
    assert reached["record"]["job"] == "awx-job-7" and reached["record"]["summary"] == {"migrate": {"total": 2}}


def test_a_change_in_asm_the_lock_or_the_credentials_means_not_reached(region):
    region(record=True)
    assert region()["reached"] is True

    region.asm.put_secret_value(SecretId="prod/app/db", SecretString="value-of-prod/app/db-0002")
    changed = region()
    assert changed["reached"] is False
    assert changed["reasons"] == ["the ASM secrets of the region changed (same count, other content)"]
    region(record=True)
    assert region()["reached"] is True

    region.asm.create_secret(Name="scaivault-runbook-lock", Description="held",
                             Tags=[{"Key": "scaivault:lock:holder", "Value": "job-9"}])
    locked = region()
    assert locked["reached"] is False and locked["reasons"] == ["another run holds the run lock of this region (job-9)"]
    region.asm.delete_secret(SecretId="scaivault-runbook-lock", ForceDeleteWithoutRecovery=True)

    region.http.put("/v1/secrets/infra/reader", json={"data": dict(CREDENTIALS, secret_access_key="rotated-0002")})
    other = region()
    assert other["reached"] is False and other["reasons"] == ["the federation reader credentials changed: infra/reader"]
