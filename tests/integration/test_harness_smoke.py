# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The harness itself works: servers, resets, call counting, fault injection, playbook runner."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from harness.servers import DEVSERVER_SCRIPT, http_json

from .playbook_runner import run_module, run_playbook


def test_asm_standin_is_up_on_loopback(servers):
    assert servers.asm_url.startswith("http://127.0.0.1:")
    assert servers.env["AWS_ENDPOINT_URL"] == servers.asm_url
    assert servers.env["AWS_CONFIG_FILE"] == servers.env["AWS_SHARED_CREDENTIALS_FILE"]
    status, config = http_json("GET", servers.asm_url + "/moto-api/config")
    assert status == 201 and config["lambda"] == {"use_docker": False}


def test_devserver_put_get(dev_server, scaivault_http):
    assert dev_server.scaivault_url.startswith("http://127.0.0.1:")
    assert scaivault_http.get("/v1/health").status_code == 200
    put = scaivault_http.put("/v1/secrets/smoke/harness/check",
                             json={"data": {"user": "u", "password": "p"}, "secret_type": "json"})
    assert put.status_code in (200, 201), put.text
    got = scaivault_http.get("/v1/secrets/smoke/harness/check")
    assert got.status_code == 200, got.text
    assert "password" in json.dumps(got.json())


def test_devserver_reset_and_crash_restart(dev_server, scaivault_http):
    scaivault_http.put("/v1/secrets/smoke/persist", json={"data": {"k": "v"}}).raise_for_status()
    port, pid = dev_server.dev.port, dev_server.dev.pid
    dev_server.restart_dev()  # kill -9, same port, same data dir
    assert dev_server.dev.port == port and dev_server.dev.pid != pid
    assert scaivault_http.get("/v1/secrets/smoke/persist").status_code == 200
    dev_server.reset_dev()
    assert scaivault_http.get("/v1/secrets/smoke/persist").status_code == 404


def test_moto_two_regions_isolated_and_counted(clean_servers, asm_client_factory):
    east, west = asm_client_factory("us-east-1"), asm_client_factory("eu-west-1")
    east.create_secret(Name="prod/smoke/db", SecretString="east-value")
    west.create_secret(Name="prod/smoke/db", SecretString="west-value")
    assert east.get_secret_value(SecretId="prod/smoke/db")["SecretString"] == "east-value"
    assert west.get_secret_value(SecretId="prod/smoke/db")["SecretString"] == "west-value"
    west.list_secrets()

    calls = clean_servers.asm_calls()
    assert calls["total"] == 5
    assert calls["by_operation"] == {"CreateSecret": 2, "GetSecretValue": 2, "ListSecrets": 1}
    assert calls["by_region"] == {
        "us-east-1": {"CreateSecret": 1, "GetSecretValue": 1},
        "eu-west-1": {"CreateSecret": 1, "GetSecretValue": 1, "ListSecrets": 1},
    }
    clean_servers.reset_asm()
    assert clean_servers.asm_calls()["total"] == 0
    with pytest.raises(ClientError) as err:
        east.get_secret_value(SecretId="prod/smoke/db")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_injected_throttling_reaches_boto3(dev_faults, asm_client_factory):
    no_retry = asm_client_factory("us-east-1", retries=1)
    no_retry.create_secret(Name="prod/smoke/throttled", SecretString="v")
    dev_faults.asm(target="secretsmanager.GetSecretValue", code="ThrottlingException", count=2)

    with pytest.raises(ClientError) as err:
        no_retry.get_secret_value(SecretId="prod/smoke/throttled")
    assert err.value.response["Error"]["Code"] == "ThrottlingException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert no_retry.describe_secret(SecretId="prod/smoke/throttled")["Name"] == "prod/smoke/throttled"

    retrying = asm_client_factory("us-east-1", retries=5)
    got = retrying.get_secret_value(SecretId="prod/smoke/throttled")  # 1 injected, then moto
    assert got["SecretString"] == "v" and got["ResponseMetadata"]["RetryAttempts"] == 1

    calls = dev_faults.asm_calls()
    assert calls["injected"] == 2 and calls["by_operation"]["GetSecretValue"] == 3


def test_seeded_share_is_reproducible(dev_faults, asm_client_factory):
    client = asm_client_factory("eu-west-1", retries=1)
    client.create_secret(Name="s", SecretString="v")

    def outcomes():
        dev_faults.asm(target="GetSecretValue", share=0.5, seed=7)
        seen = []
        for dummy in range(12):
            try:
                client.get_secret_value(SecretId="s")
                seen.append("ok")
            except ClientError:
                seen.append("throttled")
        return seen

    first, second = outcomes(), outcomes()
    assert first == second and "ok" in first and "throttled" in first


def test_trivial_playbook_results_are_parsed(servers):
    result = run_playbook("""
- name: smoke play
  hosts: localhost
  gather_facts: false
  tasks:
    - name: say hello
      ansible.builtin.debug:
        msg: "hello {{ who }}"
      register: greeting
    - name: see the server env
      ansible.builtin.set_fact:
        endpoint: "{{ lookup('ansible.builtin.env', 'AWS_ENDPOINT_URL') }}"
      changed_when: true
    - name: skipped one
      ansible.builtin.debug:
        msg: never
      when: false
""", env=servers.env, extra_vars={"who": "harness"})
    result.assert_ok()
    assert result.task("say hello")["result"]["msg"] == "hello harness"
    assert result.registered["greeting"]["msg"] == "hello harness"
    assert result.task("see the server env")["result"]["ansible_facts"]["endpoint"] == servers.asm_url
    assert result.changed_tasks == ["see the server env"]
    assert result.task("skipped one")["skipped"]
    assert result.stats["localhost"]["changed"] == 1
    assert "TASK [say hello]" in result.stdout  # default stdout callback kept for humans


def test_failed_task_is_reported(servers):
    result = run_playbook([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "boom", "ansible.builtin.fail": {"msg": "expected failure"}}]}], env=servers.env)
    assert result.rc == 2
    assert result.failed_tasks == ["boom"] and result.task("boom")["msg"] == "expected failure"


def _some_module():
    modules = sorted(p.stem for p in (DEVSERVER_SCRIPT.parents[2] / "plugins" / "modules").glob("*.py")
                     if not p.stem.startswith("_"))
    return modules[0] if modules else None


@pytest.mark.parametrize("mode", ["subprocess", "inprocess"])
def test_run_module_returns_module_json(servers, mode):
    name = _some_module()
    assert name, "plugins/modules has no module"
    # An unknown option makes AnsibleModule answer with its own JSON failure before any I/O
    # (it may report a missing required option first); the env's token must come back masked.
    result = run_module(name, {"harness_bogus_option": 1}, check=True, env=servers.env, mode=mode)
    assert result.rc == 1 and result.failed, result.output
    assert isinstance(result.result.get("msg"), str) and result.result["msg"], result.output
    assert servers.token not in result.output


def test_run_module_unknown_module_fails_cleanly(servers):
    result = run_module("does_not_exist_module", {"x": 1}, env=servers.env)
    assert result.rc != 0 and "No module named" in result.stderr


def test_typed_warnings_are_flattened_like_the_controller_does():
    from .playbook_runner import _parse_module_output  # pylint: disable=import-outside-toplevel

    printed = json.dumps({"changed": False, "warnings": [
        {"event": {"msg": "answer lost", "__ansible_type": "Event"}, "__ansible_type": "WarningSummary"}, "plain"],
        "deprecations": [{"event": {"msg": "old", "__ansible_type": "Event"}, "version": "2.0.0",
                          "deprecator": {"resolved_name": "scailabs.scaivault"}}]})
    result = _parse_module_output("noise before the result\n" + printed)
    assert result["warnings"] == ["answer lost", "plain"]
    assert result["deprecations"] == [{"msg": "old", "version": "2.0.0", "collection_name": "scailabs.scaivault"}]


def test_dev_env_file_says_when_it_points_ansible_at_the_source_tree(servers, tmp_path):
    """.dev/env sets ANSIBLE_COLLECTIONS_PATH only when asked (make dev-up does, by default), and says so."""
    from harness.servers import _env_file_text  # pylint: disable=import-outside-toplevel

    with_layout = _env_file_text(servers, tmp_path)
    assert "export ANSIBLE_COLLECTIONS_PATH=%s" % tmp_path in with_layout
    assert "THIS SOURCE TREE" in with_layout and "DEV_COLLECTIONS_PATH=none" in with_layout
    without = _env_file_text(servers, None)
    assert "ANSIBLE_COLLECTIONS_PATH" not in without and "export SCAIVAULT_URL=" in without
