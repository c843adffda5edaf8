# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Plan asm_rotation: what each selected ASM secret's rotation becomes, decided without I/O.

  option_problems    the enable options checked whatever the secrets (each problem with its fix)
  selected_entries   the listed secrets to plan (scheduled for deletion only when named)
  plan_secret        {action, before, after, changed, reason/error, previous} of one classified secret
  rotate_arguments   the RotateSecret arguments that set exactly the planned settings
  disabled_rotation  the state=enabled options that restore a rotation this run (or earlier) disabled, from the
                     record on the secret's tags (_plan/records.py)
  summarize          counts over the plans

Rules (the module documents them for users): an option left unset keeps what the secret has
stored; replicas, secrets scheduled for deletion and secrets owned by another AWS service are
refused; a secret whose rotation already matches is not touched.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.counting import count_by
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.records import (
    ROTATION_TAGS, RecordError, check_tags, rotation_record, rotation_record_keys, rotation_record_tags)
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.selection import requested_names, select_entries

RULE_KEYS = ("automatically_after_days", "schedule_expression", "duration")
_LAMBDA_ARN_RE = re.compile(r"^arn:aws[a-z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):function:"
                            r"[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]{1,128})?$")
_DURATION_RE = re.compile(r"^([1-9]|1[0-9]|2[0-4])h$")
_SCHEDULE_RE = re.compile(r"^(rate|cron)\(.+\)$")

SUMMARY_COUNTS = ("changed", "unchanged", "refused", "failed")


def option_problems(params):
    """Problems of the enable options, whatever the secrets: each a sentence with the fix."""
    problems = []
    given = [name for name in ("rotation_lambda_arn",) + RULE_KEYS if params.get(name) is not None]
    if params["state"] != "enabled" and given:
        problems.append("%s only apply to state: enabled (state is %s); remove them"
                        % (", ".join(given), params["state"] or "not set"))
    days = params.get("automatically_after_days")
    if days is not None and not 1 <= days <= 1000:
        problems.append("automatically_after_days must be 1 to 1000, got %d" % days)
    schedule = params.get("schedule_expression")
    if schedule is not None and not _SCHEDULE_RE.match(schedule.strip()):
        problems.append("schedule_expression %r is not a rate() or cron() expression, for example 'rate(10 days)' "
                        "or 'cron(0 8 1 * ? *)'" % schedule)
    duration = params.get("duration")
    if duration is not None and not _DURATION_RE.match(duration):
        problems.append("duration %r must be whole hours from 1h to 24h, for example '3h'" % duration)
    lambda_arn = params.get("rotation_lambda_arn")
    if lambda_arn is not None:
        found = _LAMBDA_ARN_RE.match(lambda_arn)
        if not found:
            problems.append("rotation_lambda_arn %r is not a Lambda function ARN "
                            "(arn:aws:lambda:REGION:ACCOUNT:function:NAME)" % lambda_arn)
        elif params.get("region") and found.group("region") != params["region"]:
            problems.append("rotation_lambda_arn is in region %s but the secrets are in %s; ASM invokes a rotation "
                            "Lambda in the secret's own region" % (found.group("region"), params["region"]))
    return problems


def selected_entries(entries, names, region):
    """The listed entries to plan: one scheduled for deletion only when ``names`` asks for it.

    Names are listed with scheduled secrets included, so that a named secret scheduled for deletion
    is refused rather than silently skipped; prefixes and filters select live secrets only, as ASM's
    own listing does (they share that listing when given together with names).
    """
    deleted = [entry for entry in entries if entry.get("DeletedDate") is not None]
    if not deleted:
        return list(entries)
    named, _missing = select_entries(deleted, requested_names(names, region))
    keep = set(entry.get("ARN") for entry in named)
    return [entry for entry in entries if entry.get("DeletedDate") is None or entry.get("ARN") in keep]


def ineligible_reason(secret):
    """Why rotation of a classified secret cannot be changed in this region, with the fix; None if it can."""
    name = secret["name"]
    if secret["planned_deletion"]:
        return ("%s is scheduled for deletion (%s): its rotation cannot change. Restore it first "
                "(aws secretsmanager restore-secret) or leave it out" % (name, secret["deleted_date"]))
    if secret["replica"]:
        return ("%s is a replica of the secret in %s: rotation is managed at the primary. Run this task with "
                "region: %s" % (name, secret["primary_region"], secret["primary_region"]))
    if secret["owning_service"]:
        return ("%s is managed by the AWS service %r, which owns its rotation: change it there"
                % (name, secret["owning_service"]))
    return None


def desired_enabled(name, before, params):
    """The rotation settings state=enabled asks for, filling what was not given from before."""
    lambda_arn = params.get("rotation_lambda_arn") or before["lambda_arn"]
    if not lambda_arn:
        raise PlanError("%s has no rotation Lambda stored: give rotation_lambda_arn" % name)
    after = {"enabled": True, "lambda_arn": lambda_arn, "automatically_after_days": None,
             "schedule_expression": None, "duration": None}
    if params.get("automatically_after_days") is not None:
        after["automatically_after_days"] = params["automatically_after_days"]
    elif params.get("schedule_expression") is not None:
        after["schedule_expression"] = params["schedule_expression"].strip()
        # Unset means leave alone: a stored window stays unless a new one is given.
        after["duration"] = params.get("duration") or before["duration"]
    elif before["schedule_expression"]:
        after["schedule_expression"] = before["schedule_expression"]
        after["duration"] = params.get("duration") or before["duration"]
    elif before["automatically_after_days"]:
        if params.get("duration"):
            raise PlanError("%s rotates every %d days; duration needs a schedule_expression"
                            % (name, before["automatically_after_days"]))
        after["automatically_after_days"] = before["automatically_after_days"]
    else:
        raise PlanError("%s has no rotation schedule stored: give automatically_after_days or schedule_expression"
                        % name)
    return after


def rotation_matches(before, after):
    """Whether the stored settings already are the requested ones (ASM's computed days aside)."""
    if before["enabled"] != after["enabled"] or before["lambda_arn"] != after["lambda_arn"]:
        return False
    if after["schedule_expression"]:
        return (before["schedule_expression"] == after["schedule_expression"]
                and before["duration"] == after["duration"])
    # For a schedule expression ASM also reports the days it computes; days alone means no expression.
    return not before["schedule_expression"] and before["automatically_after_days"] == after["automatically_after_days"]


def rotate_arguments(after, rotate_immediately):
    """RotateSecret keyword arguments that set exactly the planned settings."""
    if after["schedule_expression"]:
        rules = {"ScheduleExpression": after["schedule_expression"]}
        if after["duration"]:
            rules["Duration"] = after["duration"]
    else:
        rules = {"AutomaticallyAfterDays": after["automatically_after_days"]}
    return {"RotationLambdaARN": after["lambda_arn"], "RotationRules": rules,
            "RotateImmediately": bool(rotate_immediately)}


def plan_secret(secret, params, now=None):
    """{action, before, after, changed, reason/error, previous, record} for one classified secret. No I/O.

    state=disabled records the settings on the secret's tags (``record``: tags to add) before cancelling, and only
    while rotation is on: a secret already off keeps the record of whoever disabled it.
    state=restored turns rotation back on from that record (``forget``: tag keys to remove afterwards).
    """
    before = dict(secret["rotation"])
    plan = {"name": secret["name"], "arn": secret["arn"], "before": before, "after": dict(before),
            "changed": False, "action": "none"}
    state = params["state"] or "info"
    if state == "info":
        plan["action"] = "info"
        return plan
    reason = ineligible_reason(secret)
    if reason:
        plan.update(action="refused", reason=reason)
        return plan
    tags = secret.get("tags") or {}
    if state == "disabled":
        if before["enabled"]:
            previous = dict((key, before[key]) for key in ("lambda_arn",) + RULE_KEYS)
            record = rotation_record_tags(previous, now or "")
            try:
                check_tags(secret["name"], tags, record)
            except RecordError as exc:
                plan.update(action="failed", error="%s. Rotation was left on" % exc)
                return plan
            plan["after"]["enabled"] = False
            plan.update(action="disable", changed=True, previous=previous, record=record)
        return plan
    if state == "restored":
        return plan_restored(plan, tags)
    try:
        after = desired_enabled(secret["name"], before, params)
    except PlanError as exc:
        plan.update(action="failed", error=str(exc))
        return plan
    plan["after"] = after
    if not rotation_matches(before, after):
        plan.update(action="update" if before["enabled"] else "enable", changed=True)
    return plan


def plan_restored(plan, tags):
    """Rotation back on exactly as recorded; the record is removed once it is."""
    name, before = plan["name"], plan["before"]
    try:
        record = rotation_record(tags)
    except RecordError as exc:
        plan.update(action="failed", error="%s: %s; fix or remove the tag and re-enable rotation by hand" % (name, exc))
        return plan
    if record is None:
        if not before["enabled"]:
            plan.update(action="failed", error=(
                "%s: rotation is off and the secret has no record of its previous rotation (tag %s is missing), so "
                "it cannot be restored from here; turn it on with asm_rotation state=enabled, rotation_lambda_arn "
                "and its schedule, or leave it out" % (name, ROTATION_TAGS["lambda_arn"])))
        return plan
    after = dict(record, enabled=True)
    if after["schedule_expression"] is None and after["automatically_after_days"] is None:
        plan.update(action="failed", error="%s: the rotation record has a Lambda but no schedule (tags %s or %s)"
                    % (name, ROTATION_TAGS["automatically_after_days"], ROTATION_TAGS["schedule_expression"]))
        return plan
    plan.update(after=after, forget=rotation_record_keys(tags), changed=True, previous=record)
    plan["action"] = "forget" if rotation_matches(before, after) else ("update" if before["enabled"] else "enable")
    return plan


def disabled_rotation(plan, tags=None):
    """The state=enabled options that restore a disabled rotation, from its record; None without one."""
    if plan["after"]["enabled"] or plan["action"] not in ("disable", "none"):
        return None
    record = plan.get("previous") if plan["action"] == "disable" else None
    if record is None:
        try:
            record = rotation_record(tags or {})
        except RecordError:
            record = None
    if not record:
        return None
    return {"name": plan["name"], "arn": plan["arn"], "rotation_lambda_arn": record["lambda_arn"],
            "automatically_after_days": record["automatically_after_days"],
            "schedule_expression": record["schedule_expression"], "duration": record["duration"],
            "changed": plan["changed"]}


def _outcome(plan):
    if plan["action"] in ("refused", "failed"):
        return plan["action"]
    return "changed" if plan["changed"] else "unchanged"


def summarize(plans):
    """{selected, changed, unchanged, refused, failed} over the plans (after they were applied)."""
    summary = {"selected": len(plans)}
    summary.update(count_by(plans, _outcome, start=SUMMARY_COUNTS))
    return summary
