# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""scaivault_federation's task logic against the dev server in process (unit.fakes.InProcessVault, ASM on moto):
races, waits, timeouts, check mode; what the server holds afterwards is read back out of band.

The sync runs are the dev server's own (its worker threads reading moto). ``vault.hold_syncs()`` keeps a due run
from starting and the module's poll delay is ``vault.wait_for_syncs()``, so each poll sees a known run: no timing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
from types import SimpleNamespace

import pytest

from ansible_collections.scailabs.scaivault.plugins.modules import scaivault_federation as mod

from unit.fakes import InProcessVault

NAME = "b"
BACKENDS = "/v1/federation/backends"
CREDENTIALS = "infra/aws/reader"
EXISTING = {"name": NAME, "type": "aws-secrets-manager", "config": {"region": "us-east-1"},
            "path_mapping": {"external/aws/**": "prod/**"}, "mode": "sync", "sync_interval": "15m"}
MANAGED = dict(config=EXISTING["config"], path_mapping=EXISTING["path_mapping"], mode="sync", sync_interval="15m")


class Failed(Exception):
    def __init__(self, msg, result):
        super(Failed, self).__init__(msg)
        self.msg = msg
        self.result = result


class FakeModule:
    """The AnsibleModule surface ``run`` uses; ``scaivault`` is a real client on the in-process dev server."""

    def __init__(self, client, check_mode=False, **params):
        defaults = dict(name=NAME, state="present", type=None, config=None, path_mapping=None, mode=None,
                        sync_interval=None, transform=None, sync_now=False, wait=False, wait_timeout=5)
        defaults.update(params)
        self.params = defaults
        self.check_mode = check_mode
        self.diff_mode = True
        self.scaivault = client
        self.masked = set()
        self.warnings = []

    def mask_values(self, values):
        self.masked.update(values)

    def warn(self, message):
        self.warnings.append(message)

    def fail(self, msg, **result):
        raise Failed(msg, result)

    def fail_from(self, exc, action=None, **result):
        raise Failed("%s: %s" % (action, exc.describe()), result)


@pytest.fixture
def vault(tmp_path):
    served = InProcessVault(tmp_path / "vault", moto_asm=True)
    served.asm_client().create_secret(Name="prod/a", SecretString="a-value")
    yield served
    served.close()


@pytest.fixture
def clock(monkeypatch, vault):  # pylint: disable=redefined-outer-name
    """The module's time: a poll delay moves a fake clock and, unless ``runs`` is False, lets due syncs run."""
    state = SimpleNamespace(now=0.0, runs=True, sleeps=[])

    def sleep(seconds):
        state.sleeps.append(seconds)
        state.now += seconds
        if state.runs:
            assert vault.wait_for_syncs()

    monkeypatch.setattr(mod, "time", SimpleNamespace(sleep=sleep, monotonic=lambda: state.now))
    return state


def run(vault, **params):  # pylint: disable=redefined-outer-name
    return mod.run(FakeModule(vault.client(retries=0), **params))


def create(vault, **fields):  # pylint: disable=redefined-outer-name
    """A backend created out of band (admin token); its first sync run is done (or held) when this returns."""
    return vault.add_backend(dict(EXISTING, **fields))


def backends(vault):  # pylint: disable=redefined-outer-name
    return vault.http.get(BACKENDS).json()["backends"]


def status(vault, backend_id):  # pylint: disable=redefined-outer-name
    return vault.http.get("%s/%s/status" % (BACKENDS, backend_id)).json()


def sent_since(vault, mark):  # pylint: disable=redefined-outer-name
    """(method, path) of the API requests that reached the server after ``mark`` (dev controls left out)."""
    return [(request.method, request.url.path) for request in vault.sent[mark:] if request.url.path.startswith("/v1/")]


def synced(vault, **fields):  # pylint: disable=redefined-outer-name
    backend = create(vault, **fields)
    assert vault.wait_for_syncs()
    return backend, status(vault, backend["id"])


# -- create --------------------------------------------------------------------------------------------
def test_create_race_manages_the_existing_backend(vault, clock):  # pylint: disable=redefined-outer-name,unused-argument
    """Another writer creates the backend between the module's lookup and its POST: 409, then the existing one."""
    vault.faults([{"kind": "hold", "method": "POST", "path_regex": "^%s$" % BACKENDS, "count": 1}])
    outcome = {}
    module_run = threading.Thread(target=lambda: outcome.update(result=run(vault, **MANAGED)))
    module_run.start()
    assert vault.app.faults.holds.wait_for_held(1, 10), "the module's create was not held"
    racer = create(vault)  # the second matching POST passes the hold
    vault.app.faults.holds.release()
    module_run.join(10)
    result = outcome["result"]
    assert result["changed"] is False and result["changed_fields"] == [] and result["backend"]["id"] == racer["id"]
    assert [backend["id"] for backend in backends(vault)] == [racer["id"]]
    module_sent = [(request.method, request.url.path) for request in vault.sent if request.url.path.startswith(BACKENDS)]
    assert module_sent.count(("POST", BACKENDS)) == 2 and not [call for call in module_sent if call[0] == "PATCH"], \
        "no PATCH for an identical backend"
    assert vault.counters()["by_status"].get("409") == 1


def test_create_writes_the_backend_and_its_first_sync_is_waited_for(vault, clock):  # pylint: disable=redefined-outer-name
    result = run(vault, wait=True, **MANAGED)
    stored = backends(vault)
    assert result["changed"] and [backend["id"] for backend in stored] == [result["backend"]["id"]]
    assert {key: stored[0][key] for key in EXISTING} == EXISTING
    assert result["status"]["status"] == "healthy" and result["status"]["secrets_synced"] == 1
    assert vault.get("external/aws/a")["data"] == {"value": "a-value"}
    assert clock.now == result["waited_seconds"]


def test_check_mode_create_has_no_id_and_no_status(vault, clock):  # pylint: disable=redefined-outer-name,unused-argument
    mark = len(vault.sent)
    result = run(vault, check_mode=True, config={"region": "us-east-1"}, path_mapping={"a/**": "b/**"}, mode="proxy")
    assert result["changed"] and result["backend"]["id"] is None and "status" not in result
    assert sent_since(vault, mark) == [("GET", BACKENDS)] and backends(vault) == []


# -- update --------------------------------------------------------------------------------------------
def test_unchanged_backend_is_not_patched_and_status_is_returned(vault, clock):  # pylint: disable=redefined-outer-name,unused-argument
    backend, before = synced(vault)
    mark = len(vault.sent)
    result = run(vault, mode="sync", sync_interval="900s")
    assert not result["changed"] and result["changed_fields"] == []
    assert result["status"]["status"] == "healthy" and result["status"]["last_sync"] == before["last_sync"]
    assert sent_since(vault, mark) == [("GET", BACKENDS), ("GET", "%s/%s/status" % (BACKENDS, backend["id"]))]
    assert backends(vault) == [backend], "the server still holds the backend as it was created"


def test_type_change_fails_with_the_way_out(vault, clock):  # pylint: disable=redefined-outer-name,unused-argument
    backend = create(vault)
    mark = len(vault.sent)
    with pytest.raises(Failed) as err:
        run(vault, type="hashicorp-vault")
    assert "state=absent" in err.value.msg and err.value.result["backend"]["id"] == backend["id"]
    assert sent_since(vault, mark) == [("GET", BACKENDS)] and backends(vault) == [backend]


def test_check_mode_predicts_without_writing(vault, clock):  # pylint: disable=redefined-outer-name,unused-argument
    backend = create(vault, mode="proxy", sync_interval=None)
    mark = len(vault.sent)
    result = run(vault, check_mode=True, mode="sync", sync_interval="15m", sync_now=True, wait=True)
    assert result["changed"] and result["changed_fields"] == ["mode", "sync_interval"]
    assert result["diff"]["after"]["mode"] == "sync" and "sync" not in result
    assert {method for method, _path in sent_since(vault, mark)} == {"GET"}
    assert backends(vault) == [backend] and clock.sleeps == []


# -- sync_now and wait ---------------------------------------------------------------------------------
def test_sync_now_waits_for_a_run_after_the_trigger(vault, clock):  # pylint: disable=redefined-outer-name
    backend, before = synced(vault)
    vault.asm_client().create_secret(Name="prod/b", SecretString="b-value")
    vault.hold_syncs()  # the first poll after the trigger sees the run before it
    mark = len(vault.sent)
    result = run(vault, sync_now=True, wait=True)
    module_sent = sent_since(vault, mark)
    after = status(vault, backend["id"])
    assert result["changed"] and result["sync"]["sync_id"] == after["last_sync_id"]
    assert result["status"]["last_sync_id"] == result["sync"]["sync_id"] and after["last_sync"] != before["last_sync"]
    assert result["status"]["status"] == "healthy" and result["status"]["secrets_synced"] == 2
    assert vault.get("external/aws/b")["data"] == {"value": "b-value"}, "the triggered run synced the new secret"
    status_path = ("GET", "%s/%s/status" % (BACKENDS, backend["id"]))
    assert module_sent == [("GET", BACKENDS), status_path, ("POST", "%s/%s/sync" % (BACKENDS, backend["id"])),
                           status_path, status_path]
    assert clock.sleeps == [mod.POLL_DELAYS[0]]


def test_error_after_the_sync_fails_with_the_status_errors(vault, clock):  # pylint: disable=redefined-outer-name,unused-argument
    vault.put(CREDENTIALS, {"access_key_id": "AKIAUNIT", "secret_access_key": "unit-secret"}, secret_type="json")
    backend, before = synced(vault, config={"region": "us-east-1", "credentials_path": CREDENTIALS})
    assert before["status"] == "healthy"
    assert vault.http.delete("/v1/secrets/" + CREDENTIALS).status_code in (200, 204)
    vault.hold_syncs()
    with pytest.raises(Failed) as err:
        run(vault, sync_now=True, wait=True)
    assert "federation backend b reports status error after its sync" in err.value.msg
    assert "credentials: credentials_not_found: config.credentials_path %s does not exist" % CREDENTIALS in err.value.msg
    result = err.value.result
    assert result["status"]["last_sync_id"] == result["sync"]["sync_id"] == status(vault, backend["id"])["last_sync_id"]
    assert status(vault, backend["id"])["status"] == "error"


def test_old_error_before_the_trigger_is_not_taken_for_the_result(vault, clock):  # pylint: disable=redefined-outer-name,unused-argument
    backend, before = synced(vault, config={"region": "us-east-1", "credentials_path": CREDENTIALS})
    assert before["status"] == "error" and before["errors"][0]["code"] == "credentials_not_found"
    vault.put(CREDENTIALS, {"access_key_id": "AKIAUNIT", "secret_access_key": "unit-secret"}, secret_type="json")
    vault.hold_syncs()  # the first poll after the trigger sees the old error
    mark = len(vault.sent)
    result = run(vault, sync_now=True, wait=True)
    module_sent = sent_since(vault, mark)
    assert result["status"]["status"] == "healthy" and result["status"]["last_sync_id"] == result["sync"]["sync_id"]
    assert module_sent.count(("GET", "%s/%s/status" % (BACKENDS, backend["id"]))) == 3
    assert status(vault, backend["id"])["status"] == "healthy"


def test_wait_timeout_names_the_fix(vault, clock):  # pylint: disable=redefined-outer-name
    backend, before = synced(vault)
    vault.hold_syncs()
    clock.runs = False  # the triggered run stays held for the whole wait
    with pytest.raises(Failed) as err:
        run(vault, sync_now=True, wait=True, wait_timeout=3)
    assert "no completed sync after 3s" in err.value.msg and "wait_timeout" in err.value.msg
    assert err.value.result["status"]["last_sync"] == before["last_sync"] and clock.now <= 3
    assert status(vault, backend["id"])["sync_in_progress"] is True


def test_sync_now_needs_sync_mode(vault, clock):  # pylint: disable=redefined-outer-name,unused-argument
    backend = create(vault, mode="proxy", sync_interval=None)
    mark = len(vault.sent)
    with pytest.raises(Failed) as err:
        run(vault, sync_now=True)
    assert "proxy mode" in err.value.msg
    assert sent_since(vault, mark) == [("GET", BACKENDS)] and backends(vault) == [backend]


# -- absent --------------------------------------------------------------------------------------------
def test_absent_deletes_once(vault, clock):  # pylint: disable=redefined-outer-name,unused-argument
    backend, _status = synced(vault)
    assert vault.get("external/aws/a") is not None
    mark = len(vault.sent)
    result = run(vault, state="absent")
    assert sent_since(vault, mark) == [("GET", BACKENDS), ("DELETE", "%s/%s" % (BACKENDS, backend["id"]))]
    assert result["changed"] and backends(vault) == [] and vault.stored("external/aws/a") is None
    mark = len(vault.sent)
    assert not run(vault, state="absent")["changed"]
    assert sent_since(vault, mark) == [("GET", BACKENDS)]
