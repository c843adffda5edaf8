# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The migration engine over in-memory fakes of both clients: unknown outcomes, isolation, aborts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import threading

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import (
    ScaiVaultError, ScaiVaultUnknownOutcome)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.mapping import compile_rules
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.migration import Migration, MigrationAborted
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.migration import MigrationSettings

from unit.fakes import FakeAsm

REGION = "us-east-1"


class FakeRateLimits:
    @staticmethod
    def get(category):
        return None


class FakeVault:
    """Stores heads and versions; put_failures[path] = list of 'after' / 'before' / ScaiVaultError."""

    def __init__(self):
        self.heads = {}
        self.versions = {}
        self.puts = []
        self.put_failures = {}
        self.batch_error = None
        self.rate_limits = FakeRateLimits()
        self.lock = threading.Lock()

    def batch_metadata(self, paths):
        if self.batch_error:
            raise self.batch_error
        found = dict((p, copy.deepcopy(self.heads[p])) for p in paths if p in self.heads)
        errors = dict((p, {"code": "secret_not_found"}) for p in paths if p not in self.heads)
        return found, errors

    def batch_read(self, paths, include_metadata=True):
        return dict((p, dict(self.heads[p], data=self.versions[p][-1])) for p in paths if p in self.heads), {}

    def get_secret(self, path, version=None):
        if path not in self.heads:
            return None
        return dict(copy.deepcopy(self.heads[path]), data=copy.deepcopy(self.versions[path][-1]))

    def put_secret(self, path, data, secret_type=None, metadata=None, options=None):
        with self.lock:
            self.puts.append(path)
            failure = (self.put_failures.get(path) or [None]).pop(0) if self.put_failures.get(path) else None
            if isinstance(failure, ScaiVaultError):
                raise failure
            if failure == "before":
                raise ScaiVaultUnknownOutcome("dropped", code="unknown_outcome", path=path)
            head = self.heads.setdefault(path, {"path": path, "version": 0, "metadata": {}, "secret_type": "kv",
                                                "options": {"max_versions": None}})
            head["version"] += 1
            head["metadata"] = copy.deepcopy(metadata)
            head["secret_type"] = secret_type
            self.versions.setdefault(path, []).append(copy.deepcopy(data))
            if failure == "after":
                raise ScaiVaultUnknownOutcome("dropped", code="unknown_outcome", path=path)
            return {"path": path, "version": head["version"]}


def migration(asm, vault, check_mode=False, **options):
    settings = dict(region=REGION, rules=compile_rules([{"match": "prod/**", "path": "env/prod/**"}]), workers=4)
    settings.update(options)
    return Migration(asm, vault, MigrationSettings(**settings), check_mode=check_mode)


def secrets(count):
    return dict(("prod/s%03d" % index, [("v%d" % index, "value %d" % index)]) for index in range(count))


def by_name(outcome):
    return dict((task.name, task) for task in outcome.tasks)


def test_first_run_then_rerun_reads_nothing():
    asm, vault = FakeAsm(secrets(45)), FakeVault()
    outcome = migration(asm, vault).run(prefixes=["prod/"])
    assert outcome.summary()["create"] == 45 and len(vault.puts) == 45
    assert asm.calls == {"ListSecrets": 1, "BatchGetSecretValue": 3}
    asm.calls.clear()
    vault.puts[:] = []
    outcome = migration(asm, vault).run(prefixes=["prod/"])
    assert outcome.summary()["unchanged"] == 45 and not outcome.changed
    assert asm.calls == {"ListSecrets": 1} and vault.puts == []


def test_unknown_outcome_that_was_applied_is_not_sent_again():
    asm, vault = FakeAsm(secrets(3)), FakeVault()
    vault.put_failures["env/prod/s001"] = ["after"]
    outcome = migration(asm, vault).run(prefixes=["prod/"])
    assert vault.puts.count("env/prod/s001") == 1
    assert len(vault.versions["env/prod/s001"]) == 1
    task = by_name(outcome)["prod/s001"]
    assert task.action == "create" and task.to_version == 1 and "applied" in task.notes[0]


def test_unknown_outcome_that_was_not_applied_is_sent_once_more():
    asm, vault = FakeAsm(secrets(3)), FakeVault()
    vault.put_failures["env/prod/s002"] = ["before"]
    outcome = migration(asm, vault).run(prefixes=["prod/"])
    assert vault.puts.count("env/prod/s002") == 2
    assert len(vault.versions["env/prod/s002"]) == 1
    assert by_name(outcome)["prod/s002"].action == "create"


def test_unknown_twice_and_not_applied_fails_only_that_secret():
    asm, vault = FakeAsm(secrets(3)), FakeVault()
    vault.put_failures["env/prod/s000"] = ["before", "before"]
    outcome = migration(asm, vault).run(prefixes=["prod/"])
    tasks = by_name(outcome)
    assert (tasks["prod/s000"].action, tasks["prod/s000"].reason_code) == ("error", "unknown_outcome")
    assert vault.puts.count("env/prod/s000") == 2
    assert tasks["prod/s001"].action == tasks["prod/s002"].action == "create"


def test_a_failed_write_does_not_stop_the_others():
    asm, vault = FakeAsm(secrets(30)), FakeVault()
    vault.put_failures["env/prod/s010"] = [ScaiVaultError("too big", status=413, code="secret_too_large",
                                                          path="env/prod/s010")]
    outcome = migration(asm, vault).run(prefixes=["prod/"])
    summary = outcome.summary()
    assert summary["create"] == 29 and summary["error"] == 1
    assert by_name(outcome)["prod/s010"].reason_code == "secret_too_large"


def test_a_bad_token_aborts_the_whole_run():
    asm, vault = FakeAsm(secrets(3)), FakeVault()
    vault.batch_error = ScaiVaultError("bad token", status=401, code="token_invalid")
    with pytest.raises(MigrationAborted):
        migration(asm, vault).run(prefixes=["prod/"])
    assert vault.puts == []


def test_check_mode_plans_everything_and_writes_nothing():
    asm, vault = FakeAsm(secrets(5)), FakeVault()
    migration(asm, vault).run(prefixes=["prod/"])
    asm.secrets["prod/s001"] = [("v1", "value 1"), ("v1b", "changed")]
    asm.secrets["prod/new"] = [("n1", "new")]
    vault.puts[:] = []
    outcome = migration(asm, vault, check_mode=True).run(prefixes=["prod/"])
    tasks = by_name(outcome)
    assert vault.puts == []
    assert (tasks["prod/new"].action, tasks["prod/new"].to_version) == ("create", 1)
    assert (tasks["prod/s001"].action, tasks["prod/s001"].from_version, tasks["prod/s001"].to_version) == ("update", 1, 2)
    assert tasks["prod/s001"].changes == ["source"]
    assert outcome.summary()["unchanged"] == 4


def test_versions_all_writes_oldest_first_and_resumes_after_an_interruption():
    asm = FakeAsm({"prod/a": [("a1", "one"), ("a2", "two"), ("a3", "three")]})
    vault = FakeVault()
    vault.put_failures["env/prod/a"] = [None, ScaiVaultError("boom", status=400, code="bad_request")]
    outcome = migration(asm, vault, versions="all").run(prefixes=["prod/"])
    assert by_name(outcome)["prod/a"].action == "error"
    assert vault.versions["env/prod/a"] == [{"value": "one"}]
    outcome = migration(asm, vault, versions="all").run(prefixes=["prod/"])
    task = by_name(outcome)["prod/a"]
    assert (task.action, task.versions_written, task.to_version) == ("update", 2, 3)
    assert vault.versions["env/prod/a"] == [{"value": "one"}, {"value": "two"}, {"value": "three"}]
    assert vault.heads["env/prod/a"]["metadata"]["source"]["version_id"] == "a3"
    outcome = migration(asm, vault, versions="all").run(prefixes=["prod/"])
    assert by_name(outcome)["prod/a"].action == "unchanged"
