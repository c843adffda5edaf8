# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ASM fallback of the scailabs.scaivault.secret lookup, against both live servers.

Missing, denied or unreachable ScaiVault paths are served from ASM, encoded exactly as asm_migrate
encodes them (compared with what asm_migrate wrote for the same ASM secrets), with one warning per
path; a path ScaiVault has never costs an ASM call (counted on the stand-in's /_calls); the central
switch turns every fallback off. Most cases call the plugin in-process; one playbook at -vvvv checks
the warning and the output for leaks end to end.
"""

from __future__ import annotations

import base64
import json

import pytest
from ansible.errors import AnsibleLookupError

from integration.leakscan import assert_no_leak
from integration.playbook_runner import run_module, run_playbook
from integration.secret_helpers import Vault
from integration.test_lookup_secret import lookup, warnings  # noqa: F401  pylint: disable=unused-import

JSON_VALUE = {"api_key": "sk_live_fallback_canary_json_7781", "port": 443, "live": True}
TEXT_VALUE = "fallback-canary-plain-text-value-5512"
BINARY_VALUE = b"\x00\x01fallback-canary-binary-value\xff"
SECRETS = {"prod/fb/json": {"SecretString": json.dumps(JSON_VALUE)},
           "prod/fb/text": {"SecretString": TEXT_VALUE},
           "prod/fb/binary": {"SecretBinary": BINARY_VALUE}}
MIGRATED = dict((name, "environments/fb/" + name.rsplit("/", 1)[1]) for name in SECRETS)
MISSING = "environments/not-yet/json"
LEAKS = [JSON_VALUE["api_key"], TEXT_VALUE, base64.b64encode(BINARY_VALUE).decode()]


@pytest.fixture(scope="module")
def seeded(servers):
    """The ASM secrets and their migrated copies, once for the file (the tests only read them)."""
    import boto3  # pylint: disable=import-outside-toplevel
    import httpx  # pylint: disable=import-outside-toplevel
    from botocore.config import Config  # pylint: disable=import-outside-toplevel

    servers.reset_all()
    asm = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                region_name="us-east-1").client("secretsmanager", endpoint_url=servers.asm_url,
                                                                config=Config(proxies={}))
    arns = dict((name, asm.create_secret(Name=name, **value)["ARN"]) for name, value in SECRETS.items())
    migrated = run_module("asm_migrate", {"region": "us-east-1", "prefixes": ["prod/fb/"],
                                          "mapping": [{"match": "prod/fb/*", "path": "environments/fb/*"}]},
                          env=servers.env)
    assert not migrated.failed, migrated.result.get("msg")
    with httpx.Client(base_url=servers.scaivault_url, timeout=15.0, trust_env=False,
                      headers={"Authorization": "Bearer %s" % servers.token}) as http:
        yield {"servers": servers, "asm": asm, "arns": arns, "vault": Vault(http, servers)}


@pytest.fixture
def estate(seeded, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", seeded["servers"].asm_url)
    monkeypatch.delenv("SCAIVAULT_ASM_FALLBACK", raising=False)
    # Each test starts with no path warned yet (the plugin warns once per path and process).
    from ansible_collections.scailabs.scaivault.plugins.lookup import secret  # pylint: disable=import-outside-toplevel
    monkeypatch.setattr(secret, "_WARNED", set())
    seeded["servers"].reset_asm_calls()
    seeded["servers"].reset_dev_counters()
    return seeded


def asm_calls(estate):
    return estate["servers"].asm_calls()["by_operation"]


def test_missing_path_is_read_from_asm_encoded_as_asm_migrate_encodes_it_with_one_warning(estate, lookup, warnings):
    for name, path in MIGRATED.items():
        migrated = lookup(path)[0]
        assert lookup(MISSING, asm_fallback=name) == [migrated], name
        assert lookup(MISSING, asm_fallback=name) == [migrated], name
    assert lookup(MISSING, asm_fallback="prod/fb/json") == [JSON_VALUE]
    assert lookup(MISSING, asm_fallback="prod/fb/text", field="value") == [TEXT_VALUE]
    assert lookup(MISSING, asm_fallback="prod/fb/binary") == [{"value_base64": base64.b64encode(BINARY_VALUE).decode()}]
    assert asm_calls(estate) == {"BatchGetSecretValue": 9}
    # One warning for the path, whatever the number of reads; it names both places, never a value.
    assert len(warnings) == 1 and MISSING in warnings[0] and "prod/fb/json" in warnings[0]
    assert "missing (secret_not_found)" in warnings[0] and "SCAIVAULT_ASM_FALLBACK=off" in warnings[0]
    assert_no_leak(LEAKS, texts={"warnings": "\n".join(warnings)})


def test_present_path_is_read_from_scaivault_and_asm_is_never_called(estate, lookup, warnings):
    assert lookup(MIGRATED["prod/fb/json"], asm_fallback="prod/fb/json") == [JSON_VALUE]
    assert lookup(MIGRATED["prod/fb/text"], MIGRATED["prod/fb/json"],
                  asm_fallback=["prod/fb/text", "prod/fb/json"]) == [{"value": TEXT_VALUE}, JSON_VALUE]
    assert estate["servers"].asm_calls()["total"] == 0 and warnings == []


def test_central_switch_off_turns_the_missing_path_into_an_error(estate, lookup, warnings, monkeypatch):
    with pytest.raises(AnsibleLookupError) as by_var:
        lookup(MISSING, asm_fallback="prod/fb/json", variables={"ansible_scaivault_asm_fallback_enabled": False})
    assert MISSING in str(by_var.value) and "secret_not_found" in str(by_var.value)
    monkeypatch.setenv("SCAIVAULT_ASM_FALLBACK", "off")
    with pytest.raises(AnsibleLookupError, match="on_missing=warn"):
        lookup(MISSING, asm_fallback="prod/fb/json")
    assert lookup(MISSING, asm_fallback="prod/fb/json", asm_fallback_enabled=True) == [JSON_VALUE]  # a keyword wins
    assert asm_calls(estate) == {"BatchGetSecretValue": 1} and len(warnings) == 1


def test_denied_and_unreachable_scaivault_fall_back_too(estate, lookup, warnings):
    list_only = estate["vault"].token(["secrets:list"], "sa:no-read")
    path = MIGRATED["prod/fb/text"]
    assert lookup(path, token=list_only, asm_fallback="prod/fb/text", field="value") == [TEXT_VALUE]
    assert "denied (insufficient_scope)" in warnings[-1]
    assert lookup(path, "environments/fb/json", token=list_only, field="value", asm_fallback={path: "prod/fb/text"},
                  on_denied="skip") == [TEXT_VALUE]
    down = {"ansible_scaivault_url": "http://127.0.0.1:9", "ansible_scaivault_retries": 0}
    assert lookup(MIGRATED["prod/fb/json"], variables=down, asm_fallback="prod/fb/json") == [JSON_VALUE]
    assert "unreachable (connection_error)" in warnings[-1]
    with pytest.raises(AnsibleLookupError) as unreachable:
        lookup(MIGRATED["prod/fb/json"], variables=down)
    assert "connection_error" in str(unreachable.value)


def test_batch_terms_arn_fallbacks_and_both_places_missing(estate, lookup, warnings, asm_client_factory):
    got = lookup(MIGRATED["prod/fb/json"], MISSING, "environments/not-yet/text",
                 asm_fallback=[None, "prod/fb/json", estate["arns"]["prod/fb/text"]])
    assert got == [JSON_VALUE, JSON_VALUE, {"value": TEXT_VALUE}]
    assert asm_calls(estate) == {"BatchGetSecretValue": 1} and len(warnings) == 2
    west = asm_client_factory("eu-west-1").create_secret(Name="prod/fb/eu", SecretString="eu-fallback-canary-0042")
    assert lookup(MISSING, asm_fallback=west["ARN"], field="value") == ["eu-fallback-canary-0042"]  # region from the ARN
    assert "eu-west-1" in estate["servers"].asm_calls()["by_region"]
    with pytest.raises(AnsibleLookupError) as both:
        lookup(MISSING, asm_fallback="prod/fb/nowhere")
    assert "its ASM fallback prod/fb/nowhere" in str(both.value) and "ResourceNotFoundException" in str(both.value)
    assert lookup(MISSING, asm_fallback="prod/fb/nowhere", on_missing="skip") == []


@pytest.mark.parametrize("kwargs, message", [
    ({"asm_fallback": "prod/fb/json"}, "asm_fallback is one ASM secret, but 2 paths"),
    ({"asm_fallback": ["prod/fb/json"]}, "asm_fallback has 1 entries for 2 terms"),
    ({"asm_fallback": {"other/path": "prod/fb/json"}}, "names paths that are not read here: other/path"),
    ({"asm_fallback": [None, "prod/fb/json"], "version": 1}, "cannot be combined with version=1"),
])
def test_option_errors_before_any_request(estate, lookup, kwargs, message):
    with pytest.raises(AnsibleLookupError, match=message):
        lookup(MIGRATED["prod/fb/json"], MISSING, **kwargs)
    assert estate["servers"].asm_calls()["total"] == 0


PLAY = """
- hosts: consumers
  gather_facts: false
  tasks:
    - name: Production with fallback, twice per host
      ansible.builtin.set_fact:
        first: "{{ lookup('scailabs.scaivault.secret', missing, asm_fallback='prod/fb/json', field='api_key') }}"
        second: "{{ lookup('scailabs.scaivault.secret', missing, asm_fallback='prod/fb/json') }}"
      no_log: true
    - name: Again in another task
      ansible.builtin.set_fact:
        third: "{{ lookup('scailabs.scaivault.secret', missing, asm_fallback='prod/fb/text', field='value') }}"
      no_log: true
    - name: Check without showing
      ansible.builtin.assert:
        that:
          - first == expected_key and second.port == 443 and third | length > 20
        quiet: true
    - name: Fallback removed centrally
      ansible.builtin.set_fact:
        fourth: "{{ lookup('scailabs.scaivault.secret', missing, asm_fallback='prod/fb/json') }}"
      vars:
        ansible_scaivault_asm_fallback_enabled: "{{ 'off' }}"
      ignore_errors: true
      register: removed
    - name: The removed fallback is an error
      ansible.builtin.assert:
        that:
          - removed is failed and 'secret_not_found' in removed.msg
        quiet: true
"""


def test_playbook_at_vvvv_warns_per_path_and_shows_no_value(estate, tmp_path):
    inventory = "[consumers]\napp1 ansible_connection=local\napp2 ansible_connection=local\n"
    log = tmp_path / "ansible.log"
    res = run_playbook(PLAY, env=dict(estate["servers"].env), verbosity=4, log_path=log, inventory=inventory,
                       extra_vars={"missing": MISSING, "expected_key": JSON_VALUE["api_key"]})
    res.assert_ok()
    output = res.stdout + res.stderr
    warned = sorted(line for line in output.splitlines() if "[WARNING]" in line and "ASM fallback" in line)
    # 2 hosts x 3 reads of the path through prod/fb/json, 2 through prod/fb/text: one warning each. The plugin
    # words a path's warning the same every time, and Ansible shows a warning once per run.
    assert len(warned) == 2 and all(MISSING in line for line in warned), warned
    assert "fallback prod/fb/json (us-east-1)" in warned[0] and "fallback prod/fb/text (us-east-1)" in warned[1]
    assert_no_leak(LEAKS, texts={"stdout": res.stdout, "stderr": res.stderr}, files=[log])
