# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The scailabs.scaivault.secret lookup against the live dev server.

Most tests call the plugin in-process through Ansible's plugin loader (the request counts are
then exact); one playbook run checks ini/env/vars/keyword precedence end to end.
"""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleLookupError
from ansible.plugins.loader import lookup_loader
from ansible.utils.display import Display

from integration.leakscan import assert_no_leak
from integration.secret_helpers import BATCH_READ_ROUTE, GET_ROUTE, Vault

STRIPE = "environments/production/billing/stripe"
DB = "environments/production/billing/db"
REDIS = "environments/production/billing/redis"
KEY_V1 = "sk_live_lookup_canary_v1_5521"
KEY_V2 = "sk_live_lookup_canary_v2_7730"
DB_PASSWORD = "db-password-lookup-canary-11"
REDIS_PASSWORD = "redis-password-lookup-canary"


@pytest.fixture
def vault(dev_server, scaivault_http):
    v = Vault(scaivault_http, dev_server)
    v.put(STRIPE, {"secret_key": KEY_V1, "publishable_key": "pk_live_x"}, secret_type="json")
    v.put(STRIPE, {"secret_key": KEY_V2, "publishable_key": "pk_live_x"})
    v.put(DB, {"username": "billing", "password": DB_PASSWORD, "port": 5432})
    v.put(REDIS, {"password": REDIS_PASSWORD})
    v.reset_counters()
    return v


@pytest.fixture
def warnings(monkeypatch):
    seen = []
    monkeypatch.setattr(Display, "warning", lambda self, msg, *a, **k: seen.append(msg))
    return seen


@pytest.fixture
def lookup(servers):
    """The plugin, called in-process with the admin connection (it resets nothing: the data fixtures do)."""
    plugin = lookup_loader.get("scailabs.scaivault.secret")
    connection = {"ansible_scaivault_url": servers.scaivault_url, "ansible_scaivault_token": servers.token}

    def run(*terms, variables=None, **kwargs):
        return plugin.run(list(terms), variables=dict(connection, **(variables or {})), **kwargs)
    return run


def test_whole_secret_field_and_version(lookup, vault):
    assert lookup(STRIPE) == [{"secret_key": KEY_V2, "publishable_key": "pk_live_x"}]
    assert lookup(STRIPE, field="secret_key") == [KEY_V2]
    assert lookup(STRIPE, field="secret_key", version=1) == [KEY_V1]
    assert lookup(DB, field="port") == [5432]
    assert vault.counters()["by_route"] == {GET_ROUTE: 4}, "a single term is one plain read"


def test_several_terms_use_one_batch_request(lookup, vault):
    got = lookup(DB, REDIS, DB, field="password")
    assert got == [DB_PASSWORD, REDIS_PASSWORD, DB_PASSWORD]
    assert vault.counters()["by_route"] == {BATCH_READ_ROUTE: 1}
    whole = lookup(STRIPE, DB)
    assert whole[0]["secret_key"] == KEY_V2 and whole[1]["port"] == 5432
    assert vault.counters()["by_route"] == {BATCH_READ_ROUTE: 2}


def test_many_terms_are_chunked_by_100(lookup, vault):
    paths = ["environments/production/bulk/s%03d" % i for i in range(150)]
    for path in paths:
        vault.put(path, {"value": "bulk-value-" + path[-3:]})
    vault.reset_counters()
    got = lookup(*paths, field="value")
    assert got == ["bulk-value-%03d" % i for i in range(150)]
    assert vault.counters()["by_route"] == {BATCH_READ_ROUTE: 2}


def test_versions_are_read_one_by_one(lookup, vault):
    got = lookup(STRIPE, REDIS, version=1)
    assert got[0]["secret_key"] == KEY_V1 and got[1]["password"] == REDIS_PASSWORD
    assert vault.counters()["by_route"] == {GET_ROUTE: 2}


def test_missing_field_lists_key_names_only(lookup, vault):
    with pytest.raises(AnsibleLookupError) as err:
        lookup(DB, field="pasword")
    message = str(err.value)
    assert DB in message and "'pasword'" in message and "password, port, username" in message
    assert_no_leak([DB_PASSWORD], texts={"error": message})


@pytest.mark.parametrize("terms", [("environments/production/billing/nope",),
                                   (STRIPE, "environments/production/billing/nope")], ids=["single", "batch"])
def test_on_missing(lookup, vault, warnings, terms):
    missing = "environments/production/billing/nope"
    with pytest.raises(AnsibleLookupError) as err:
        lookup(*terms)
    assert missing in str(err.value) and "on_missing=warn" in str(err.value)
    found = [KEY_V2] if len(terms) == 2 else []
    assert lookup(*terms, field="secret_key", on_missing="skip") == found and warnings == []
    assert lookup(*terms, field="secret_key", on_missing="warn") == found
    assert len(warnings) == 1 and missing in warnings[0] and "secret_not_found" in warnings[0]


def test_missing_version_counts_as_missing(lookup, vault):
    with pytest.raises(AnsibleLookupError) as err:
        lookup(STRIPE, version=9)
    assert "version 9 is not readable" in str(err.value) and "version_not_found" in str(err.value)
    assert lookup(STRIPE, version=9, on_missing="skip") == []


def test_a_version_past_its_rotation_grace_period_is_explained(lookup, vault, dev_server):
    """https://www.scailabs.ai/en/docs/scaivault/core-concepts/rotation: the previous version stays readable only for
    the rotation policy's grace_period; version= of it then fails naming the grace period (not a bare 'missing')."""
    import datetime  # pylint: disable=import-outside-toplevel
    import time  # pylint: disable=import-outside-toplevel

    policy = vault.http.post("/v1/rotation/policies", json={"name": "fast", "interval": "1d", "grace_period": "2s"}).json()
    vault.http.post("/v1/rotation/policies/%s/secrets" % policy["id"], json={"secret_path": DB}).raise_for_status()
    listing = vault.http.get("/v1/rotation/policies/%s/secrets" % policy["id"]).json()
    due = (listing.get("secrets") or listing.get("data"))[0]["next_rotation_at"]  # either contract's envelope
    tick_at = datetime.datetime.fromisoformat(due.replace("Z", "+00:00")) + datetime.timedelta(seconds=1)
    dev_server.dev_call("POST", "/_dev/rotation/tick", {"now": tick_at.isoformat(), "wait": True})
    vault.put(DB, {"username": "billing", "password": "rotated-lookup-value", "port": 5432})  # completes the rotation
    assert lookup(DB, version=1, field="password") == [DB_PASSWORD]  # inside the grace period
    time.sleep(2.2)
    with pytest.raises(AnsibleLookupError) as err:
        lookup(DB, version=1)
    assert "grace_period" in str(err.value) and "version_not_found" in str(err.value)
    assert DB_PASSWORD not in str(err.value)


@pytest.mark.parametrize("terms", [(STRIPE,), (STRIPE, DB)], ids=["single", "batch"])
def test_on_denied(lookup, vault, warnings, terms):
    list_only = vault.token(["secrets:list"])
    with pytest.raises(AnsibleLookupError) as err:
        lookup(*terms, token=list_only)
    assert "403 insufficient_scope" in str(err.value) and "secrets:read" in str(err.value)
    assert lookup(*terms, token=list_only, on_denied="skip") == [] and warnings == []
    assert lookup(*terms, token=list_only, on_denied="warn") == []
    assert len(warnings) == len(terms) and all("secrets:read" in w for w in warnings)


def test_401_fails_whatever_on_denied_says(lookup, vault):
    with pytest.raises(AnsibleLookupError) as err:
        lookup(STRIPE, token="skt_wrong_token_value", on_denied="skip")
    assert "401" in str(err.value)


def test_invalid_paths_refused_before_any_request(lookup, vault):
    with pytest.raises(AnsibleLookupError) as err:
        lookup(STRIPE, "environments/Production/x", "a//b")
    assert "upper case" in str(err.value) and "empty segment" in str(err.value)
    assert vault.counters()["total"] == 0


def test_connection_settings_missing(dev_server, monkeypatch):
    plugin = lookup_loader.get("scailabs.scaivault.secret")
    for name in ("SCAIVAULT_URL", "SCAIVAULT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(AnsibleLookupError) as err:
        plugin.run([STRIPE], variables={})
    assert "no ScaiVault URL" in str(err.value)


def test_environment_is_used_when_nothing_else_is_set(dev_server, vault, monkeypatch):
    monkeypatch.setenv("SCAIVAULT_URL", dev_server.scaivault_url)
    monkeypatch.setenv("SCAIVAULT_TOKEN", dev_server.token)
    plugin = lookup_loader.get("scailabs.scaivault.secret")
    assert plugin.run([REDIS], variables={}, field="password") == [REDIS_PASSWORD]


PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: url and token from ansible.cfg [scaivault]
      ansible.builtin.set_fact:
        from_ini: "{{ lookup('scailabs.scaivault.secret', stripe, field='secret_key') }}"
      no_log: true
    - name: a wrong token in vars beats ini
      ansible.builtin.set_fact:
        from_vars: "{{ lookup('scailabs.scaivault.secret', stripe, field='secret_key') }}"
      vars:
        ansible_scaivault_token: skt_wrong_token_from_vars
      ignore_errors: true
      register: wrong_vars
    - name: a keyword token beats vars
      ansible.builtin.set_fact:
        from_keyword: "{{ lookup('scailabs.scaivault.secret', stripe, field='secret_key', token=good_token) }}"
      vars:
        ansible_scaivault_token: skt_wrong_token_from_vars
      no_log: true
    - name: query several, one missing with a warning
      ansible.builtin.set_fact:
        several: "{{ query('scailabs.scaivault.secret', stripe, db, 'environments/production/billing/nope', on_missing='warn') }}"
      no_log: true
    - name: values are not templated again
      ansible.builtin.set_fact:
        jinja: "{{ lookup('scailabs.scaivault.secret', 'environments/production/jinja', field='value') }}"
      no_log: true
    - name: check
      ansible.builtin.assert:
        that:
          - from_ini == expected_key
          - wrong_vars is failed and '401' in wrong_vars.msg
          - from_keyword == expected_key
          - several | length == 2 and several[1].password == expected_db
          - jinja == '{{ "{{" }} lookup("env", "HOME") }}'
        quiet: true
"""


def test_playbook_ini_vars_keyword_precedence(dev_server, vault, tmp_path):
    vault.put("environments/production/jinja", {"value": '{{ lookup("env", "HOME") }}'})
    workdir = tmp_path / "play"
    workdir.mkdir()
    (workdir / "ansible.cfg").write_text("[defaults]\n\n[scaivault]\nurl = %s\ntoken = %s\n" % (
        dev_server.scaivault_url, dev_server.token))
    env = {k: v for k, v in dev_server.env.items() if not k.startswith("SCAIVAULT_")}
    from integration.playbook_runner import run_playbook  # pylint: disable=import-outside-toplevel

    res = run_playbook(PLAY, env=env, workdir=workdir, verbosity=3, extra_vars={
        "stripe": STRIPE, "db": DB, "good_token": dev_server.token, "expected_key": KEY_V2,
        "expected_db": DB_PASSWORD})
    res.assert_ok()
    assert "environments/production/billing/nope" in res.stdout + res.stderr  # the warning
    assert_no_leak([KEY_V1, KEY_V2, DB_PASSWORD], texts={"stdout": res.stdout, "stderr": res.stderr})
