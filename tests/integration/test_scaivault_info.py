# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""scaivault_info as a module (python -m) against the dev server: read-only by default (the server's own counters
show no write), the write checks clean up after themselves, check mode writes nothing, a token without the
runbook's scopes is named. The per-shape answers (native / fallback) are in test_contract_fallbacks.py."""

from __future__ import annotations

import pytest

from integration.playbook_runner import run_module
from integration.secret_helpers import Vault, scaivault_writes

MODULE = "scaivault_info"


@pytest.fixture
def info(dev_server, scaivault_http):
    def run(check=False, expect_failure=False, env=None, **args):
        dev_server.reset_dev_counters()
        res = run_module(MODULE, args, check=check, env=dict(dev_server.env, **(env or {})))
        assert res.failed == expect_failure, res.result.get("msg") or res.stderr[-2000:]
        return res.result
    run.http = scaivault_http
    return run


def test_read_only_by_default_names_the_caller_and_writes_nothing(info, dev_server):
    result = info()
    assert result["changed"] is False and result["read_only"] is True
    assert result["identity"]["identity_id"] == "user:dev@scaivault.local" and "admin" in result["scopes"]
    assert result["missing_scopes"] == [] and result["problems"] == []
    assert scaivault_writes(dev_server.dev_counters()) == {}


def test_the_write_checks_leave_nothing_behind_and_check_mode_skips_them(info, dev_server):
    checked = info(check=True, read_only=False)
    assert checked["read_only"] is True and scaivault_writes(dev_server.dev_counters()) == {}

    result = info(read_only=False, scratch_prefix="preflight-test")
    assert result["read_only"] is False and result["left_behind"] == [] and result["problems"] == []
    assert scaivault_writes(dev_server.dev_counters())  # it did write, under the scratch prefix
    listed = info.http.get("/v1/secrets", params={"prefix": "preflight-test"}).json()
    assert not (listed.get("secrets") or listed.get("data"))
    backends = info.http.get("/v1/federation/backends").json()
    assert not [b for b in (backends.get("data") or backends.get("backends") or []) if "preflight-test" in str(b)]


def test_a_token_without_the_runbooks_scopes_is_named_and_fails_when_asked(info, scaivault_http, dev_server):
    token = Vault(scaivault_http, dev_server).token(["secrets:read", "secrets:list"], identity_id="sa:reader")
    result = info(env={"SCAIVAULT_TOKEN": token})
    assert result["identity"]["identity_id"] == "sa:reader"
    assert {"secrets:write", "federation:write"} <= set(result["missing_scopes"])
    failed = info(expect_failure=True, env={"SCAIVAULT_TOKEN": token}, fail_on_problems=True)
    assert "secrets:write" in failed["msg"]
