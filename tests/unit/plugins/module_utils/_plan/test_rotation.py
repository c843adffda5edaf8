# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""asm_rotation's planning (_plan/rotation.py): option checks, refusals, enable/disable/update plans, no AWS."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.inventory import classify_entry
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan import rotation as rot

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:rotate"
OTHER_LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:rotate-v2"


def params(**overrides):
    result = dict(state="enabled", region="us-east-1", rotation_lambda_arn=None, automatically_after_days=None,
                  schedule_expression=None, duration=None, rotate_immediately=False, on_ineligible="fail")
    result.update(overrides)
    return result


def secret(name="prod/db", region="us-east-1", **fields):
    entry = {"Name": name, "ARN": "arn:aws:secretsmanager:%s:123456789012:secret:%s-AbCdEf" % (region, name)}
    entry.update(fields)
    return classify_entry(entry, region)


ROTATING = dict(RotationEnabled=True, RotationLambdaARN=LAMBDA, RotationRules={"AutomaticallyAfterDays": 30})
STOPPED = dict(RotationEnabled=False, RotationLambdaARN=LAMBDA, RotationRules={"AutomaticallyAfterDays": 30})
SCHEDULED = dict(RotationEnabled=True, RotationLambdaARN=LAMBDA,
                 RotationRules={"AutomaticallyAfterDays": 10, "ScheduleExpression": "rate(10 days)", "Duration": "3h"})


# -- options ------------------------------------------------------------------------------------
@pytest.mark.parametrize("overrides, text", [
    (dict(state="disabled", rotation_lambda_arn=LAMBDA), "only apply to state: enabled"),
    (dict(state=None, automatically_after_days=3), "only apply to state: enabled"),
    (dict(automatically_after_days=0), "1 to 1000"),
    (dict(automatically_after_days=1001), "1 to 1000"),
    (dict(schedule_expression="every 10 days"), "not a rate() or cron()"),
    (dict(duration="90m"), "whole hours from 1h to 24h"),
    (dict(duration="25h"), "whole hours from 1h to 24h"),
    (dict(rotation_lambda_arn="rotate"), "not a Lambda function ARN"),
    (dict(rotation_lambda_arn=LAMBDA.replace("us-east-1", "eu-west-1")), "ASM invokes a rotation Lambda"),
])
def test_option_problems_name_the_fix(overrides, text):
    problems = rot.option_problems(params(**overrides))
    assert len(problems) == 1 and text in problems[0]


def test_good_options_have_no_problems():
    assert rot.option_problems(params(rotation_lambda_arn=LAMBDA + ":live", schedule_expression="cron(0 8 1 * ? *)",
                                      duration="24h")) == []
    assert rot.option_problems(params(state="disabled")) == []


# -- refusals -----------------------------------------------------------------------------------
@pytest.mark.parametrize("fields, region, text", [
    (dict(PrimaryRegion="us-east-1"), "eu-west-1", "rotation is managed at the primary. Run this task with region: us-east-1"),
    (dict(DeletedDate="2026-12-01"), "us-east-1", "scheduled for deletion"),
    (dict(OwningService="rds"), "us-east-1", "managed by the AWS service 'rds'"),
])
def test_ineligible_secrets_are_refused_for_changes_but_not_for_info(fields, region, text):
    target = secret(region=region, **dict(ROTATING, **fields))
    for state in ("enabled", "disabled"):
        plan = rot.plan_secret(target, params(state=state, region=region))
        assert plan["action"] == "refused" and text in plan["reason"] and not plan["changed"]
        assert plan["after"] == plan["before"]
    assert rot.plan_secret(target, params(state=None, region=region))["action"] == "info"


# -- disabled -----------------------------------------------------------------------------------
def test_disable_records_what_was_there():
    plan = rot.plan_secret(secret(**ROTATING), params(state="disabled"))
    assert plan["action"] == "disable" and plan["changed"]
    assert plan["after"] == dict(plan["before"], enabled=False)
    assert plan["previous"] == {"lambda_arn": LAMBDA, "automatically_after_days": 30, "schedule_expression": None,
                                "duration": None}
    assert rot.disabled_rotation(plan) == {
        "name": "prod/db", "arn": plan["arn"], "rotation_lambda_arn": LAMBDA, "automatically_after_days": 30,
        "schedule_expression": None, "duration": None, "changed": True}


def test_disable_is_a_no_op_when_already_off_or_never_configured():
    stopped = rot.plan_secret(secret(**STOPPED), params(state="disabled"))
    assert (stopped["action"], stopped["changed"]) == ("none", False)
    # Off, with a Lambda stored but no record on its tags: not ours to restore, and no record of "disabled" is made.
    assert "record" not in stopped and rot.disabled_rotation(stopped) is None
    never = rot.plan_secret(secret(), params(state="disabled"))
    assert (never["action"], never["changed"]) == ("none", False)
    assert rot.disabled_rotation(never) is None


RECORD = {"scaivault:rotation:lambda-arn": LAMBDA, "scaivault:rotation:schedule": "b64:Y3JvbigwIDggMSAqID8gKik=",
          "scaivault:rotation:duration": "3h", "scaivault:rotation:disabled-at": "2026-12-01T10:00:00Z"}


def _tags(tags):
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def test_disable_writes_the_record_as_tags_within_asm_limits():
    fields = dict(SCHEDULED)
    fields["RotationRules"] = {"ScheduleExpression": "cron(0 8 1 * ? *)", "Duration": "3h"}
    plan = rot.plan_secret(secret(**fields), params(state="disabled"), "2026-12-01T10:00:00Z")
    assert plan["record"] == RECORD
    full = rot.plan_secret(secret(**dict(ROTATING, Tags=_tags(dict(("k%d" % i, "v") for i in range(48))))),
                           params(state="disabled"))
    assert full["action"] == "failed" and "ASM allows 50" in full["error"] and "Rotation was left on" in full["error"]
    assert not full["changed"] and full["after"]["enabled"]


def test_restored_turns_rotation_back_on_from_the_record_then_forgets_it():
    off = dict(RotationEnabled=False, RotationLambdaARN=LAMBDA, RotationRules={"AutomaticallyAfterDays": 0},
               Tags=_tags(dict(RECORD, team="x")))
    plan = rot.plan_secret(secret(**off), params(state="restored"))
    assert plan["action"] == "enable" and plan["changed"]
    assert plan["after"] == {"enabled": True, "lambda_arn": LAMBDA, "automatically_after_days": None,
                             "schedule_expression": "cron(0 8 1 * ? *)", "duration": "3h"}
    assert plan["forget"] == sorted(RECORD)
    kept = rot.disabled_rotation(rot.plan_secret(secret(**off), params(state="disabled")), secret(**off)["tags"])
    assert (kept["schedule_expression"], kept["changed"]) == ("cron(0 8 1 * ? *)", False)
    missing = rot.plan_secret(secret(**STOPPED), params(state="restored"))
    assert missing["action"] == "failed" and "scaivault:rotation:lambda-arn is missing" in missing["error"]
    on = rot.plan_secret(secret(**ROTATING), params(state="restored"))
    assert (on["action"], on["changed"]) == ("none", False)


def test_restored_fails_per_secret_on_a_broken_record_naming_the_tag_and_the_fix():
    bad_days = dict(STOPPED, Tags=_tags({"scaivault:rotation:lambda-arn": LAMBDA, "scaivault:rotation:after-days": "x"}))
    plan = rot.plan_secret(secret(**bad_days), params(state="restored"))
    assert plan["action"] == "failed" and not plan["changed"]
    assert plan["error"] == ("prod/db: tag scaivault:rotation:after-days holds 'x', not a number of days; fix or remove "
                             "the tag and re-enable rotation by hand")
    no_schedule = dict(STOPPED, Tags=_tags({"scaivault:rotation:lambda-arn": LAMBDA}))
    plan = rot.plan_secret(secret(**no_schedule), params(state="restored"))
    assert plan["action"] == "failed" and plan["error"] == (
        "prod/db: the rotation record has a Lambda but no schedule (tags scaivault:rotation:after-days or "
        "scaivault:rotation:schedule)")


def test_restored_keeps_the_record_it_acts_on_and_only_forgets_a_matching_one():
    record = {"scaivault:rotation:lambda-arn": LAMBDA, "scaivault:rotation:after-days": "30"}
    off = rot.plan_secret(secret(**dict(STOPPED, Tags=_tags(record))), params(state="restored"))
    assert off["action"] == "enable" and off["previous"] == {
        "lambda_arn": LAMBDA, "automatically_after_days": 30, "schedule_expression": None, "duration": None}
    already = rot.plan_secret(secret(**dict(ROTATING, Tags=_tags(record))), params(state="restored"))
    assert (already["action"], already["forget"]) == ("forget", sorted(record))
    elsewhere = dict(ROTATING)
    elsewhere.update(RotationLambdaARN=OTHER_LAMBDA, Tags=_tags(record))
    other = rot.plan_secret(secret(**elsewhere), params(state="restored"))
    assert other["action"] == "update" and other["after"]["lambda_arn"] == LAMBDA


# -- enabled ------------------------------------------------------------------------------------
def test_enable_with_nothing_given_restores_the_stored_settings():
    plan = rot.plan_secret(secret(**STOPPED), params())
    assert plan["action"] == "enable" and plan["changed"]
    assert plan["after"] == {"enabled": True, "lambda_arn": LAMBDA, "automatically_after_days": 30,
                             "schedule_expression": None, "duration": None}
    assert rot.rotate_arguments(plan["after"], False) == {
        "RotationLambdaARN": LAMBDA, "RotationRules": {"AutomaticallyAfterDays": 30}, "RotateImmediately": False}


def test_enable_matching_settings_is_a_no_op():
    for overrides in (dict(), dict(rotation_lambda_arn=LAMBDA), dict(automatically_after_days=30),
                      dict(rotation_lambda_arn=LAMBDA, automatically_after_days=30, rotate_immediately=True)):
        plan = rot.plan_secret(secret(**ROTATING), params(**overrides))
        assert (plan["action"], plan["changed"]) == ("none", False), overrides
    plan = rot.plan_secret(secret(**SCHEDULED), params(schedule_expression="rate(10 days)"))
    assert (plan["action"], plan["changed"]) == ("none", False)


def test_update_lambda_or_schedule():
    new_lambda = rot.plan_secret(secret(**ROTATING), params(rotation_lambda_arn=OTHER_LAMBDA))
    assert new_lambda["action"] == "update" and new_lambda["after"]["lambda_arn"] == OTHER_LAMBDA
    assert new_lambda["after"]["automatically_after_days"] == 30
    days = rot.plan_secret(secret(**ROTATING), params(automatically_after_days=7))
    assert days["action"] == "update" and days["after"]["automatically_after_days"] == 7


def test_days_replace_a_schedule_even_when_asm_reports_the_same_days():
    plan = rot.plan_secret(secret(**SCHEDULED), params(automatically_after_days=10))
    assert plan["changed"] and plan["after"]["schedule_expression"] is None


def test_schedule_keeps_a_stored_window_unless_a_new_one_is_given():
    kept = rot.plan_secret(secret(**SCHEDULED), params(schedule_expression="rate(5 days)"))
    assert kept["after"]["duration"] == "3h" and kept["after"]["automatically_after_days"] is None
    assert rot.rotate_arguments(kept["after"], True) == {
        "RotationLambdaARN": LAMBDA, "RotationRules": {"ScheduleExpression": "rate(5 days)", "Duration": "3h"},
        "RotateImmediately": True}
    window = rot.plan_secret(secret(**SCHEDULED), params(duration="4h"))
    assert window["changed"] and window["after"]["schedule_expression"] == "rate(10 days)"
    assert window["after"]["duration"] == "4h"


def test_enable_without_lambda_or_schedule_fails_per_secret_with_the_fix():
    no_lambda = rot.plan_secret(secret(), params(automatically_after_days=30))
    assert no_lambda["action"] == "failed" and "give rotation_lambda_arn" in no_lambda["error"]
    no_rules = rot.plan_secret(secret(), params(rotation_lambda_arn=LAMBDA))
    assert no_rules["action"] == "failed" and "give automatically_after_days or schedule_expression" in no_rules["error"]
    window_on_days = rot.plan_secret(secret(**ROTATING), params(duration="3h"))
    assert window_on_days["action"] == "failed" and "duration needs a schedule_expression" in window_on_days["error"]


def test_summary():
    plans = [rot.plan_secret(secret(**ROTATING), params(state="disabled")),
             rot.plan_secret(secret(**STOPPED), params(state="disabled")),
             rot.plan_secret(secret(region="eu-west-1", PrimaryRegion="us-east-1"),
                             params(state="disabled", region="eu-west-1")),
             rot.plan_secret(secret(), params(automatically_after_days=3))]
    assert rot.summarize(plans) == {"selected": 4, "changed": 1, "unchanged": 1, "refused": 1, "failed": 1}


def test_selected_entries_keep_a_deleted_secret_only_when_named():
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:%s-AbCdEf"
    when = datetime.datetime(2026, 5, 1, tzinfo=datetime.timezone.utc)
    live = {"Name": "prod/live", "ARN": arn % "prod/live"}
    gone = {"Name": "prod/gone", "ARN": arn % "prod/gone", "DeletedDate": when}
    named_gone = {"Name": "prod/asked", "ARN": arn % "prod/asked", "DeletedDate": when}
    assert rot.selected_entries([live], None, "us-east-1") == [live]
    assert rot.selected_entries([live, gone, named_gone], None, "us-east-1") == [live]
    assert rot.selected_entries([live, gone, named_gone], ["prod/asked"], "us-east-1") == [live, named_gone]
    assert rot.selected_entries([gone, named_gone], [arn % "prod/asked"], "us-east-1") == [named_gone]
