# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""asm_rotation against the ASM stand-in (moto) in two regions, checked out of band.

Each test starts from a fresh seed_mix (rotation on for prod/orders/db in us-east-1 and
prod/eu/gdpr/export-key in eu-west-1, via moto's docker-free Lambda recipe). State is read back
with boto3 DescribeSecret, and /_calls proves which calls the module made (check mode: none that
mutate).
"""

from __future__ import annotations

import json

import pytest

from integration.asm_seed import PRIMARY, SECONDARY, VALUE_MARKER, client, seed_mix
from integration.playbook_runner import run_module

MODULE = "asm_rotation"
MUTATING = ("RotateSecret", "CancelRotateSecret", "PutSecretValue", "UpdateSecret", "DeleteSecret",
            "TagResource", "UntagResource", "UpdateSecretVersionStage")
DB = "prod/orders/db"
GDPR = "prod/eu/gdpr/export-key"


@pytest.fixture
def mix(clean_servers):
    return seed_mix(clean_servers.asm_url)


@pytest.fixture
def rotation(clean_servers, mix):
    """Run asm_rotation (in-process unless subprocess=True); /_calls is reset before each run."""
    def run(check=False, diff=False, expect_failure=False, subprocess=False, **args):
        clean_servers.reset_asm_calls()
        args.setdefault("region", PRIMARY)
        res = run_module(MODULE, args, check=check, diff=diff, env=clean_servers.env,
                         mode="subprocess" if subprocess else "inprocess")
        assert res.failed == expect_failure, res.result.get("msg") or res.stderr[-2000:]
        assert VALUE_MARKER not in res.output
        return res
    return run


def calls(servers):
    return servers.asm_calls()["by_operation"]


def mutating_calls(servers):
    return dict((op, n) for op, n in calls(servers).items() if op in MUTATING)


def described(servers, name, region=PRIMARY):
    info = client(servers.asm_url, region).describe_secret(SecretId=name)
    rules = info.get("RotationRules") or {}
    return {"enabled": info.get("RotationEnabled", False), "lambda_arn": info.get("RotationLambdaARN"),
            "days": rules.get("AutomaticallyAfterDays")}


def snapshot(servers, region):
    """Rotation settings and versions of every secret in region (out of band)."""
    sm = client(servers.asm_url, region)
    result = {}
    for page in sm.get_paginator("list_secrets").paginate(IncludePlannedDeletion=True):
        for entry in page["SecretList"]:
            result[entry["Name"]] = (entry.get("RotationEnabled"), entry.get("RotationLambdaARN"),
                                     json.dumps(entry.get("RotationRules"), sort_keys=True),
                                     sorted(entry.get("SecretVersionsToStages", {}).items()))
    return result


def test_info_reports_without_changing_anything(rotation, clean_servers, mix):
    res = rotation(filters=[{"key": "name", "values": ["prod/"]}], subprocess=True)
    result = res.result
    assert result["changed"] is False and result["state"] == "info"
    by_name = dict((s["name"], s) for s in result["secrets"])
    assert "prod/legacy/old-token" not in by_name  # filters do not select secrets pending deletion
    assert by_name[DB]["action"] == "info"
    assert by_name[DB]["before"] == {"enabled": True, "lambda_arn": mix["lambda_arns"][PRIMARY],
                                     "automatically_after_days": 30, "schedule_expression": None, "duration": None}
    assert by_name[DB]["after"] == by_name[DB]["before"]
    assert by_name["prod/billing/stripe"]["before"]["enabled"] is False
    assert result["summary"] == {"selected": 11, "changed": 0, "unchanged": 11, "refused": 0, "failed": 0}
    assert calls(clean_servers) == {"ListSecrets": 1}


def test_disable_four_steps_check_real_check_real(rotation, clean_servers, mix):
    untouched = {PRIMARY: snapshot(clean_servers, PRIMARY), SECONDARY: snapshot(clean_servers, SECONDARY)}

    planned = rotation(names=[DB], state="disabled", check=True, diff=True).result
    assert planned["changed"] is True and planned["secrets"][0]["action"] == "disable"
    assert planned["diff"]["before"][DB]["enabled"] is True and planned["diff"]["after"][DB]["enabled"] is False
    assert mutating_calls(clean_servers) == {}
    assert described(clean_servers, DB)["enabled"] is True

    done = rotation(names=[DB], state="disabled").result
    assert done["changed"] is True
    # The record goes onto the secret first (one TagResource), then rotation is cancelled.
    assert mutating_calls(clean_servers) == {"TagResource": 1, "CancelRotateSecret": 1}
    assert described(clean_servers, DB) == {"enabled": False, "lambda_arn": mix["lambda_arns"][PRIMARY], "days": 30}
    assert done["secrets"][0]["previous"] == {"lambda_arn": mix["lambda_arns"][PRIMARY],
                                              "automatically_after_days": 30, "schedule_expression": None,
                                              "duration": None}
    assert done["disabled_rotations"] == [{
        "name": DB, "arn": mix.secret(PRIMARY, DB)["arn"], "rotation_lambda_arn": mix["lambda_arns"][PRIMARY],
        "automatically_after_days": 30, "schedule_expression": None, "duration": None, "changed": True}]

    again_check = rotation(names=[DB], state="disabled", check=True).result
    assert again_check["changed"] is False and again_check["secrets"][0]["action"] == "none"
    again = rotation(names=[DB], state="disabled").result
    assert again["changed"] is False and mutating_calls(clean_servers) == {}
    assert again["disabled_rotations"][0]["changed"] is False  # the record survives a re-run

    # Only the targeted secret changed, in either region.
    after = {PRIMARY: snapshot(clean_servers, PRIMARY), SECONDARY: snapshot(clean_servers, SECONDARY)}
    changed = [(region, name) for region in after for name in after[region]
               if after[region][name] != untouched[region][name]]
    assert changed == [(PRIMARY, DB)]


def test_enable_round_trip_restores_exactly_and_keeps_the_value(rotation, clean_servers, mix):
    disabled = rotation(names=[DB], state="disabled").result["disabled_rotations"][0]
    value_before = client(clean_servers.asm_url, PRIMARY).get_secret_value(SecretId=DB)["SecretString"]

    args = dict(names=[DB], state="enabled", rotation_lambda_arn=disabled["rotation_lambda_arn"],
                automatically_after_days=disabled["automatically_after_days"])
    planned = rotation(check=True, **args).result
    assert planned["changed"] and planned["secrets"][0]["action"] == "enable"
    assert mutating_calls(clean_servers) == {} and described(clean_servers, DB)["enabled"] is False

    done = rotation(diff=True, **args).result
    assert done["changed"] and mutating_calls(clean_servers) == {"RotateSecret": 1}
    assert done["diff"] == {"before": {DB: dict(done["secrets"][0]["before"], enabled=False)},
                            "after": {DB: done["secrets"][0]["after"]}}
    assert described(clean_servers, DB) == {"enabled": True, "lambda_arn": mix["lambda_arns"][PRIMARY], "days": 30}
    # rotate_immediately defaults to false: the value did not move.
    assert client(clean_servers.asm_url, PRIMARY).get_secret_value(SecretId=DB)["SecretString"] == value_before

    assert rotation(check=True, **args).result["changed"] is False
    again = rotation(**args).result
    assert again["changed"] is False and mutating_calls(clean_servers) == {}

    # Nothing given but state: enabled -> the stored Lambda and rules; already on, so no change.
    assert rotation(names=[DB], state="enabled").result["changed"] is False


def test_enable_with_nothing_given_reuses_the_stored_settings_and_changes_days(rotation, clean_servers, mix):
    rotation(names=[DB], state="disabled")
    restored = rotation(names=[DB], state="enabled").result
    assert restored["changed"] and restored["secrets"][0]["after"]["automatically_after_days"] == 30
    assert described(clean_servers, DB) == {"enabled": True, "lambda_arn": mix["lambda_arns"][PRIMARY], "days": 30}

    updated = rotation(names=[DB], state="enabled", automatically_after_days=7).result
    assert updated["secrets"][0]["action"] == "update"
    assert described(clean_servers, DB)["days"] == 7
    assert rotation(names=[DB], state="enabled", automatically_after_days=7).result["changed"] is False


def test_enable_from_scratch_and_disable_by_filter_in_the_second_region(rotation, clean_servers, mix):
    lambda_arn = mix["lambda_arns"][SECONDARY]
    stripe = "prod/billing/stripe"
    missing = rotation(region=SECONDARY, names=[stripe], state="enabled", automatically_after_days=14,
                       expect_failure=True).result
    assert "has no rotation Lambda stored: give rotation_lambda_arn" in missing["msg"]
    assert mutating_calls(clean_servers) == {}

    enabled = rotation(region=SECONDARY, names=[stripe], state="enabled", rotation_lambda_arn=lambda_arn,
                       automatically_after_days=14).result
    assert enabled["secrets"][0]["action"] == "enable"
    assert described(clean_servers, stripe, SECONDARY) == {"enabled": True, "lambda_arn": lambda_arn, "days": 14}
    assert described(clean_servers, stripe, PRIMARY)["enabled"] is False  # same name, other region

    # prod/ in eu-west-1 holds a replica: skip it with a warning, disable the two rotated ones.
    disabled = rotation(region=SECONDARY, filters=[{"key": "name", "values": ["prod/"]}], state="disabled",
                        on_ineligible="skip").result
    assert sorted(entry["name"] for entry in disabled["disabled_rotations"]) == sorted([GDPR, stripe])
    assert [entry["name"] for entry in disabled["refused"]] == ["prod/shared/api-gateway"]
    assert "rotation is managed at the primary" in json.dumps(disabled["warnings"])
    assert mutating_calls(clean_servers) == {"TagResource": 2, "CancelRotateSecret": 2}
    assert described(clean_servers, GDPR, SECONDARY)["enabled"] is False
    assert described(clean_servers, DB)["enabled"] is True  # the primary region is untouched


def test_replicas_and_pending_deletion_are_refused_per_secret(rotation, clean_servers, mix):
    replica = rotation(region=SECONDARY, names=["prod/shared/api-gateway", GDPR], state="disabled",
                       expect_failure=True).result
    assert "refused 1 secret(s): prod/shared/api-gateway is a replica of the secret in %s" % PRIMARY in replica["msg"]
    assert "region: %s" % PRIMARY in replica["msg"]
    # The other secret was still handled: partial failure never blocks the rest.
    assert replica["changed"] is True and mutating_calls(clean_servers) == {"TagResource": 1, "CancelRotateSecret": 1}
    assert described(clean_servers, GDPR, SECONDARY)["enabled"] is False

    deleted = rotation(names=["prod/legacy/old-token"], state="enabled", rotation_lambda_arn=mix["lambda_arns"][PRIMARY],
                       automatically_after_days=30, expect_failure=True).result
    assert "prod/legacy/old-token is scheduled for deletion" in deleted["msg"] and "restore-secret" in deleted["msg"]
    assert deleted["changed"] is False and mutating_calls(clean_servers) == {}
    assert deleted["refused"][0]["name"] == "prod/legacy/old-token"

    info = rotation(region=SECONDARY, names=["prod/shared/api-gateway"]).result
    assert info["secrets"][0]["action"] == "info" and info["refused"] == []


def test_bad_options_and_unknown_names_fail_with_the_fix(rotation, clean_servers, mix):
    for args, text in (
            (dict(names=[DB], state="disabled", rotation_lambda_arn=mix["lambda_arns"][PRIMARY]),
             "only apply to state: enabled"),
            (dict(names=[DB], state="enabled", automatically_after_days=7, schedule_expression="rate(7 days)"),
             "mutually exclusive"),
            (dict(names=[DB], state="enabled", rotation_lambda_arn=mix["lambda_arns"][SECONDARY]),
             "in the secret's own region"),
            (dict(state="disabled"), "one of the following is required: names, prefixes, filters"),
            (dict(names=[DB], state="enabled", duration="3h"), "duration needs a schedule_expression")):
        res = rotation(expect_failure=True, **args)
        assert text in res.result["msg"], res.result["msg"]
        assert mutating_calls(clean_servers) == {}
    assert described(clean_servers, DB)["enabled"] is True

    unknown = rotation(names=["prod/nope", DB], state="disabled", expect_failure=True).result
    assert "prod/nope: no such secret in %s; check the names and the region" % PRIMARY in unknown["msg"]
    assert unknown["changed"] is True  # DB itself was disabled
    assert "prod/nope" in json.dumps(rotation(names=["prod/nope"]).result["warnings"])


def test_schedule_expression_is_planned_in_check_mode(rotation, clean_servers, mix):
    # moto keeps no ScheduleExpression (see moto-probe.md), so only the plan is checked here.
    planned = rotation(names=[DB], state="enabled", schedule_expression="rate(10 days)", duration="3h",
                       rotate_immediately=True, check=True, diff=True).result
    assert planned["changed"] and planned["secrets"][0]["action"] == "update"
    assert planned["diff"]["after"][DB] == {"enabled": True, "lambda_arn": mix["lambda_arns"][PRIMARY],
                                            "automatically_after_days": None,
                                            "schedule_expression": "rate(10 days)", "duration": "3h"}
    assert mutating_calls(clean_servers) == {}


def test_playbook_round_trip_with_module_defaults(playbook, mix):
    """The documented loop: disable, then restore from disabled_rotations; group defaults set the region."""
    res = playbook("""
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/scailabs.scaivault.asm:
      region: %s
  tasks:
    - name: inventory
      scailabs.scaivault.asm_inventory:
        filters: [{key: name, values: [prod/]}]
      register: inv
    - name: disable
      scailabs.scaivault.asm_rotation:
        names: "{{ inv.secrets | selectattr('rotation_enabled') | rejectattr('replica') | map(attribute='name') | list }}"
        state: disabled
      register: disabled
    - name: restore
      scailabs.scaivault.asm_rotation:
        names: ["{{ item.name }}"]
        state: enabled
        rotation_lambda_arn: "{{ item.rotation_lambda_arn }}"
        automatically_after_days: "{{ item.automatically_after_days | default(omit, true) }}"
        schedule_expression: "{{ item.schedule_expression | default(omit, true) }}"
        duration: "{{ item.duration | default(omit, true) }}"
      loop: "{{ disabled.disabled_rotations }}"
      loop_control:
        label: "{{ item.name }}"
      register: restored
    - name: restore again
      scailabs.scaivault.asm_rotation:
        names: "{{ disabled.disabled_rotations | map(attribute='name') | list }}"
        state: enabled
      register: again
""" % SECONDARY).assert_ok()
    assert res.registered["inv"]["changed"] is False
    assert [s["name"] for s in res.registered["disabled"]["secrets"]] == [GDPR]
    assert res.registered["restored"]["changed"] is True
    assert res.registered["again"]["changed"] is False
    assert VALUE_MARKER not in res.output
