# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""scaivault_federation's task logic with a fake client: races, waits, timeouts, check mode."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.scailabs.scaivault.plugins.modules import scaivault_federation as mod
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import ScaiVaultError

EXISTING = {"id": "fed_1", "name": "b", "type": "aws-secrets-manager", "config": {"region": "us-east-1"},
            "path_mapping": {"external/aws/**": "prod/**"}, "mode": "sync", "sync_interval": "15m"}


class Failed(Exception):
    def __init__(self, msg, result):
        super(Failed, self).__init__(msg)
        self.msg = msg
        self.result = result


class FakeClient:
    def __init__(self, backend=None, statuses=None, create_conflict=False):
        self.backend = copy.deepcopy(backend)
        self.statuses = list(statuses or [])
        self.create_conflict = create_conflict
        self.calls = []

    def find_backend(self, name):
        self.calls.append("find")
        return copy.deepcopy(self.backend) if self.backend and self.backend["name"] == name else None

    def create_backend(self, body):
        self.calls.append("create")
        if self.create_conflict:
            self.backend = dict(EXISTING)
            raise ScaiVaultError("exists", status=409, code="backend_exists")
        self.backend = dict(body, id="fed_new")
        return copy.deepcopy(self.backend)

    def update_backend(self, backend_id, changes):
        self.calls.append(("patch", sorted(changes)))
        self.backend.update(changes)
        return copy.deepcopy(self.backend)

    def delete_backend(self, backend_id):
        self.calls.append("delete")
        return True

    def backend_status(self, backend_id):
        self.calls.append("status")
        return copy.deepcopy(self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0])

    def sync_backend(self, backend_id):
        self.calls.append("sync")
        return {"sync_id": "sync_1", "status": "started"}


class FakeModule:
    def __init__(self, client, check_mode=False, **params):
        defaults = dict(name="b", state="present", type=None, config=None, path_mapping=None, mode=None,
                        sync_interval=None, transform=None, sync_now=False, wait=False, wait_timeout=5)
        defaults.update(params)
        self.params = defaults
        self.check_mode = check_mode
        self.diff_mode = True
        self.scaivault = client
        self.masked = set()

    def mask_values(self, values):
        self.masked.update(values)

    def fail(self, msg, **result):
        raise Failed(msg, result)

    def fail_from(self, exc, action=None, **result):
        raise Failed("%s: %s" % (action, exc.describe()), result)


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    clock = {"now": 0.0}

    def sleep(seconds):
        clock["now"] += seconds

    monkeypatch.setattr(mod.time, "sleep", sleep)
    monkeypatch.setattr(mod.time, "monotonic", lambda: clock["now"])


def run(client, **params):
    return mod.run(FakeModule(client, **params))


def test_create_race_manages_the_existing_backend():
    client = FakeClient(create_conflict=True, statuses=[{"status": "healthy"}])
    result = run(client, config={"region": "us-east-1"}, path_mapping={"external/aws/**": "prod/**"}, mode="sync",
                 sync_interval="15m")
    assert result["changed"] is False and result["backend"]["id"] == "fed_1"
    assert [call for call in client.calls if isinstance(call, tuple)] == [], "no PATCH for an identical backend"


def test_unchanged_backend_is_not_patched_and_status_is_returned():
    client = FakeClient(EXISTING, statuses=[{"status": "healthy", "last_sync": "t"}])
    result = run(client, mode="sync", sync_interval="900s")
    assert not result["changed"] and result["status"]["status"] == "healthy"
    assert client.calls == ["find", "status"]


def test_sync_now_waits_for_a_run_after_the_trigger():
    statuses = [{"status": "healthy", "last_sync": "t1"}, {"status": "healthy", "last_sync": "t1"},
                {"status": "healthy", "last_sync": "t2"}]
    client = FakeClient(EXISTING, statuses=statuses)
    result = run(client, sync_now=True, wait=True)
    assert result["changed"] and result["sync"]["sync_id"] == "sync_1"
    assert result["status"]["last_sync"] == "t2" and client.calls.count("status") == 3


def test_error_after_the_sync_fails_with_the_status_errors():
    error = {"status": "error", "last_sync": "t2",
             "errors": [{"source": "credentials", "code": "InvalidClientTokenId", "message": "AWS rejected the keys"}]}
    client = FakeClient(EXISTING, statuses=[{"status": "error", "last_sync": "t1"}, error])
    with pytest.raises(Failed) as err:
        run(client, sync_now=True, wait=True)
    assert "federation backend b reports status error" in err.value.msg
    assert "InvalidClientTokenId: AWS rejected the keys" in err.value.msg


def test_old_error_before_the_trigger_is_not_taken_for_the_result():
    statuses = [{"status": "error", "last_sync": "t1"}, {"status": "error", "last_sync": "t1"},
                {"status": "healthy", "last_sync": "t2"}]
    result = run(FakeClient(EXISTING, statuses=statuses), sync_now=True, wait=True)
    assert result["status"]["status"] == "healthy"


def test_wait_timeout_names_the_fix():
    client = FakeClient(EXISTING, statuses=[{"status": "healthy", "last_sync": "t1"}])
    with pytest.raises(Failed) as err:
        run(client, sync_now=True, wait=True, wait_timeout=3)
    assert "no completed sync after 3s" in err.value.msg and "wait_timeout" in err.value.msg


def test_sync_now_needs_sync_mode():
    client = FakeClient(dict(EXISTING, mode="proxy"), statuses=[{"status": "healthy"}])
    with pytest.raises(Failed) as err:
        run(client, sync_now=True)
    assert "proxy mode" in err.value.msg and "sync" not in client.calls


def test_check_mode_predicts_without_writing():
    client = FakeClient(dict(EXISTING, mode="proxy", sync_interval=None), statuses=[{"status": "healthy"}])
    result = run(client, check_mode=True, mode="sync", sync_interval="15m", sync_now=True, wait=True)
    assert result["changed"] and result["changed_fields"] == ["mode", "sync_interval"]
    assert result["diff"]["after"]["mode"] == "sync"
    assert "sync" not in client.calls and not [call for call in client.calls if isinstance(call, tuple)]


def test_check_mode_create_has_no_id_and_no_status():
    client = FakeClient(statuses=[{}])
    result = run(client, check_mode=True, config={"region": "us-east-1"}, path_mapping={"a/**": "b/**"}, mode="proxy")
    assert result["changed"] and result["backend"]["id"] is None and "status" not in result
    assert client.calls == ["find"]


def test_type_change_fails_with_the_way_out():
    with pytest.raises(Failed) as err:
        run(FakeClient(EXISTING, statuses=[{}]), type="hashicorp-vault")
    assert "state=absent" in err.value.msg


def test_absent_deletes_once():
    client = FakeClient(EXISTING, statuses=[{}])
    result = run(client, state="absent")
    assert result["changed"] and "delete" in client.calls
    assert not run(FakeClient(None, statuses=[{}]), state="absent")["changed"]
