# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""asm_run_lock as a module (python -m, the way the module runner does): take, refuse, release, break, check mode.

The lock is an ASM secret; every assertion on it reads moto (DescribeSecret, the stand-in's call counters), not the
module's result. The playbook side (two migrate.yml runs at once) is in test_durable_state.py.
"""

from __future__ import annotations

import time

import pytest

from integration.asm_seed import PRIMARY, client
from integration.playbook_runner import run_module
from integration.secret_helpers import asm_mutations

MODULE = "asm_run_lock"
LOCK = "scaivault-runbook-lock"


@pytest.fixture
def lock(clean_servers):
    asm = client(clean_servers.asm_url, PRIMARY)

    def run(check=False, expect_failure=False, **args):
        clean_servers.reset_asm_calls()
        args.setdefault("region", PRIMARY)
        res = run_module(MODULE, args, check=check, env=clean_servers.env)
        assert res.failed == expect_failure, res.result.get("msg") or res.stderr[-2000:]
        assert res.result.get("changed", False) is False  # transient: never a change
        return res

    def held():
        """The lock's tags as moto holds them, or None when there is no lock (or only one pending deletion)."""
        try:
            described = asm.describe_secret(SecretId=LOCK)
        except asm.exceptions.ResourceNotFoundException:
            return None
        if described.get("DeletedDate"):
            return None
        return dict((tag["Key"], tag["Value"]) for tag in described.get("Tags", []))

    def mutations():
        return asm_mutations(clean_servers.asm_calls())

    run.held, run.mutations, run.asm = held, mutations, asm
    return run


def test_the_lock_is_taken_once_and_another_holder_is_refused_with_the_way_out(lock):
    first = lock(holder="job-1", label="migrate.yml awx-job-41")
    assert first.result["acquired"] is True and first.result["lock"] == {}
    tags = lock.held()
    assert tags["scaivault:lock:holder"] == "job-1" and tags["scaivault:lock:label"] == "migrate.yml awx-job-41"
    with pytest.raises(Exception):  # a lock without a value: there is nothing to read
        lock.asm.get_secret_value(SecretId=LOCK)

    again = lock(holder="job-1")  # the holder's own re-run
    assert again.result["acquired"] is True and lock.mutations() == {}

    refused = lock(expect_failure=True, holder="job-2")
    message = refused.result["msg"]
    assert "ASM region %s is locked by another run: holder job-1 (migrate.yml awx-job-41)" % PRIMARY in message
    assert "break_holder=job-1" in message and "-e scaivault_lock_break=job-1" in message
    assert refused.result["acquired"] is False and lock.mutations() == {}
    assert lock.held()["scaivault:lock:holder"] == "job-1"


def test_wait_timeout_waits_before_refusing(lock):
    lock(holder="job-1")
    started = time.monotonic()
    refused = lock(expect_failure=True, holder="job-2", wait_timeout=2)
    assert time.monotonic() - started >= 2 and "locked by another run: holder job-1" in refused.result["msg"]


def test_check_mode_takes_no_lock_and_warns_when_another_run_holds_it(lock):
    free = lock(check=True, holder="job-1")
    assert free.result["acquired"] is True and lock.held() is None and lock.mutations() == {}
    lock(holder="job-1")
    busy = lock(check=True, holder="job-2")
    assert busy.result["acquired"] is False and lock.mutations() == {}
    assert any("locked by another run: holder job-1" in warning for warning in busy.result.get("warnings", []))


def test_release_by_its_holder_only_and_twice_is_harmless(lock):
    lock(holder="job-1")
    other = lock(state="absent", holder="job-2")
    assert lock.held()["scaivault:lock:holder"] == "job-1" and lock.mutations() == {}
    assert any("held by job-1, not job-2: left alone" in warning for warning in other.result.get("warnings", []))

    released = lock(state="absent", holder="job-1")
    assert released.result["lock"]["holder"] == "job-1" and lock.held() is None
    assert lock.mutations() == {"DeleteSecret": 1}
    lock(state="absent", holder="job-1")
    assert lock.mutations() == {}
    assert lock(holder="job-2").result["acquired"] is True  # the name is free at once (no recovery window)

    missing = lock(expect_failure=True, state="absent")
    assert "needs holder" in missing.result["msg"]


def test_a_stale_lock_is_broken_only_by_naming_its_holder(lock):
    lock(holder="gone@node-9:deadbeef")
    wrong = lock(expect_failure=True, holder="job-2", break_holder="someone-else")
    assert "holder gone@node-9:deadbeef" in wrong.result["msg"]
    assert lock.held()["scaivault:lock:holder"] == "gone@node-9:deadbeef"

    broken = lock(holder="job-2", break_holder="gone@node-9:deadbeef")
    assert broken.result["acquired"] is True and broken.result["lock"] == {}
    assert lock.held()["scaivault:lock:holder"] == "job-2"


def test_a_lock_deleted_with_a_recovery_window_does_not_block(lock):
    lock(holder="job-1")
    lock.asm.delete_secret(SecretId=LOCK, RecoveryWindowInDays=7)  # released by hand, the default way
    taken = lock(holder="job-2")
    assert taken.result["acquired"] is True and lock.held()["scaivault:lock:holder"] == "job-2"
