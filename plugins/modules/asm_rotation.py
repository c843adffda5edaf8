#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: asm_rotation
short_description: Show, disable or enable AWS Secrets Manager rotation of selected secrets
version_added: 0.1.0
author:
  - ScaiLabs platform engineering (@scailabs)
description:
  - Manages ASM's Lambda rotation of the secrets selected by O(names), O(prefixes) and O(filters) in one region,
    for the rotation hand-over of the migration to ScaiVault (runbook step 7) - disable ASM rotation before a
    rotated secret is migrated (option A), keep it on as the authority (option B), or turn it back on.
  - O(state=disabled) first records the previous Lambda ARN and rules on the secret itself, as tags under
    C(scaivault:rotation:) (C(lambda-arn), C(after-days) or C(schedule), C(duration), C(disabled-at)), then cancels
    rotation. The record is written only while rotation is on, so a second or concurrent run never records
    "disabled" as the state to return to. RV(disabled_rotations) lists the recorded settings in the shape
    O(state=enabled) takes.
  - O(state=restored) turns rotation back on exactly as recorded on each secret's tags, then removes the record.
    It needs nothing from an earlier job's files. A selected secret whose rotation is off and that has no record
    fails, named, with the fix; one whose rotation is on and has no record is left alone. Select the recorded
    secrets with O(filters) C(tag-key=scaivault:rotation:lambda-arn), or name them.
  - O(state=enabled) turns rotation on with a Lambda and either O(automatically_after_days) or
    O(schedule_expression) (with an optional O(duration) window). Options that are not set keep what the secret
    has stored; nothing omitted is ever read as "remove" or "disable".
  - Without O(state) the module only reports the rotation settings (info).
  - Idempotent - a secret whose rotation already matches is not touched, and a second run reports no change.
    Secrets that were not selected are never touched.
  - Refuses, per secret and with the reason, replicas (rotation is managed in the primary region), secrets
    scheduled for deletion and secrets managed by another AWS service.
  - A secret scheduled for deletion is selected only by O(names), and then refused (not silently skipped);
    O(prefixes) and O(filters) select live secrets only, as ASM's own listing does.
  - With O(state) set, a name that matches no secret fails the task (after the other secrets were handled);
    without O(state) it is a warning.
  - Never reads secret values. Costs ceil(N/100) C(ListSecrets) calls for N selected secrets (O(names) and
    O(prefixes) are listed 10 to a call), plus one C(RotateSecret) or C(CancelRotateSecret) per secret that changes,
    and one C(TagResource) or C(UntagResource) per record written or removed.
extends_documentation_fragment:
  - scailabs.scaivault.aws
  - scailabs.scaivault.selection
  - scailabs.scaivault.attributes.asm_group
options:
  state:
    description:
      - C(disabled) cancels rotation where it is on (C(CancelRotateSecret)); ASM keeps the Lambda ARN and rules,
        and they are returned in RV(disabled_rotations).
      - C(enabled) turns rotation on, or changes its Lambda or schedule (C(RotateSecret)).
      - C(restored) turns rotation back on from the record O(state=disabled) left on the secret's tags
        (C(RotateSecret), then C(UntagResource)).
      - If not set, the module reports the rotation settings (RV(secrets[].action=info)) and changes nothing.
    type: str
    choices: [enabled, disabled, restored]
  rotation_lambda_arn:
    description:
      - The rotation Lambda function ARN, in the secrets' region. Only with O(state=enabled).
      - If not set, each secret keeps the Lambda it has stored; a secret without one fails with a message asking
        for this option.
    type: str
  automatically_after_days:
    description:
      - Rotate every this many days (1 to 1000). Only with O(state=enabled). Mutually exclusive with
        O(schedule_expression).
      - If neither this nor O(schedule_expression) is set, each secret keeps its stored schedule.
    type: int
  schedule_expression:
    description:
      - A C(rate()) or C(cron()) rotation schedule, for example C(rate(10 days)) or C(cron(0 8 1 * ? *)).
        Only with O(state=enabled). Mutually exclusive with O(automatically_after_days).
    type: str
  duration:
    description:
      - The rotation window for O(schedule_expression), C(1h) to C(24h). Only with O(state=enabled). Mutually
        exclusive with O(automatically_after_days).
      - Without O(schedule_expression) it changes the window of each secret's stored schedule expression (a secret
        that rotates every N days then fails with a message asking for O(schedule_expression)).
      - If not set, a stored window is kept.
    type: str
  rotate_immediately:
    description:
      - When rotation is turned on or changed, also rotate right away. ASM's own default is to rotate at once; this
        module's default is not to, so that enabling rotation never changes a value by surprise.
      - Has no effect on a secret whose rotation already matches.
    type: bool
    default: false
  on_ineligible:
    description:
      - What to do with a selected secret whose rotation cannot be changed here (a replica, a secret scheduled
        for deletion, a secret managed by another AWS service) when O(state) is C(enabled) or C(disabled).
      - C(fail) fails the task after every other secret was handled; C(skip) only warns. Either way the secret is
        listed in RV(refused) with the reason and the fix.
    type: str
    choices: [fail, skip]
    default: fail
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Check mode plans every secret (RV(secrets[].action), RV(secrets[].after)) and makes no mutating AWS call.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - The diff shows the rotation settings before and after, per secret that changes.
notes:
  - Order of operations for a rotated secret that moves to ScaiVault - disable ASM rotation, migrate, switch
    consumers, then retire the ASM secret. Otherwise the Lambda may change a password while consumers hold the
    old one.
  - Cancelling a rotation that is in progress can leave an C(AWSPENDING) version behind; check
    RV(secrets[].before) and the secret's versions if a rotation was running.
seealso:
  - module: scailabs.scaivault.asm_inventory
"""

EXAMPLES = r"""
- name: Show the rotation settings of everything under prod/ (no state - report only)
  scailabs.scaivault.asm_rotation:
    region: us-east-1
    filters:
      - key: name
        values: [prod/]
  register: rotation

- name: Disable ASM rotation before migrating (option A); keep what was there
  scailabs.scaivault.asm_rotation:
    region: us-east-1
    names: [prod/orders/db]
    state: disabled
  register: disabled

- name: Turn it back on exactly as it was, from the record on the secret (a later job, any machine)
  scailabs.scaivault.asm_rotation:
    region: us-east-1
    filters:
      - key: tag-key
        values: ["scaivault:rotation:lambda-arn"]
    state: restored

- name: Rotate every 30 days with the stored Lambda, without rotating now (option B keeps ASM the authority)
  scailabs.scaivault.asm_rotation:
    region: us-east-1
    names: [prod/orders/db]
    state: enabled
    automatically_after_days: 30
"""

RETURN = r"""
changed:
  description: Whether any secret's rotation changed (in check mode - would change).
  returned: always
  type: bool
region:
  description: The region.
  returned: always
  type: str
  sample: us-east-1
state:
  description: The requested state, C(info) when O(state) was not set.
  returned: always
  type: str
  sample: disabled
secrets:
  description: One entry per selected secret, sorted by name, with its rotation before and after the task.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The name of the ASM secret.
      type: str
      sample: prod/orders/db
    arn:
      description: The secret ARN.
      type: str
    action:
      description:
        - C(info), C(none) (already as requested), C(enable), C(update) (Lambda or schedule changed), C(disable),
          C(forget) (O(state=restored), rotation already as recorded - only the record is removed),
          C(refused) (see RV(secrets[].reason)) or C(failed) (see RV(secrets[].error) and RV(errors)).
      type: str
      sample: disable
    changed:
      description: Whether this secret changed (in check mode - would change).
      type: bool
    before:
      description: Rotation settings before the run (C(enabled), C(lambda_arn), C(automatically_after_days),
        C(schedule_expression), C(duration)).
      type: dict
      sample: {"enabled": true, "lambda_arn": "arn:aws:lambda:us-east-1:123456789012:function:rotate",
               "automatically_after_days": 30, "schedule_expression": null, "duration": null}
    after:
      description: Rotation settings after the run (in check mode - as planned). Same keys as RV(secrets[].before).
      type: dict
    previous:
      description: The Lambda ARN and rules rotation had before it was disabled (for O(state=restored), the record).
      returned: when O(state=disabled) and the secret had rotation on, or O(state=restored) with a record
      type: dict
    record:
      description: The tags written on the secret before rotation was cancelled.
      returned: when O(state=disabled) and the secret had rotation on
      type: dict
    forget:
      description: The record's tag keys removed after rotation was restored.
      returned: when O(state=restored) and the secret had a record
      type: list
      elements: str
    reason:
      description: Why the secret was refused, with the fix.
      returned: when refused
      type: str
    error:
      description: What failed, with the fix.
      returned: when failed
      type: str
disabled_rotations:
  description:
    - For O(state=disabled) - every selected secret whose rotation is off (after this run) and that carries a
      rotation record (written by this run or an earlier one), in the option names of O(state=enabled). C(changed)
      says whether this run disabled it.
  returned: when O(state=disabled)
  type: list
  elements: dict
  sample: [{"name": "prod/orders/db", "arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/orders/db-AbCdEf",
            "rotation_lambda_arn": "arn:aws:lambda:us-east-1:123456789012:function:rotate",
            "automatically_after_days": 30, "schedule_expression": null, "duration": null, "changed": true}]
refused:
  description: Selected secrets whose rotation cannot be changed here, with the reason and fix.
  returned: always
  type: list
  elements: dict
  sample: [{"name": "prod/shared/api", "reason": "prod/shared/api is a replica of the secret in us-east-1 ..."}]
errors:
  description: Secrets whose change failed or could not be planned, with the error and the fix.
  returned: always
  type: list
  elements: dict
  sample: [{"name": "prod/x", "arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/x-AbCdEf",
            "error": "prod/x has no rotation Lambda stored: give rotation_lambda_arn"}]
not_found:
  description: Entries of O(names) that match no secret in the region.
  returned: always
  type: list
  elements: str
summary:
  description: Counts - C(selected), C(changed), C(unchanged), C(refused), C(failed).
  returned: always
  type: dict
  sample: {"selected": 3, "changed": 1, "unchanged": 1, "refused": 1, "failed": 0}
diff:
  description: Before and after rotation settings of the secrets that change, keyed by name.
  returned: in diff mode
  type: dict
api_calls:
  description: ASM API calls this run made, per operation, with C(total) and C(retries).
  returned: always
  type: dict
  sample: {"asm": {"ListSecrets": 1, "CancelRotateSecret": 1, "total": 2, "retries": 0}}
"""

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import AsmError
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.options import SELECTION
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module, shared_options
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.inventory import classify_entry
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.records import now_tag
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.rotation import (
    disabled_rotation, option_problems, plan_secret, rotate_arguments, selected_entries, summarize)
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.selection import check_filters, SelectionError
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.selection import list_scope


def argument_spec():
    return dict(
        shared_options(SELECTION),
        state=dict(type="str", choices=["enabled", "disabled", "restored"]),
        rotation_lambda_arn=dict(type="str"),
        automatically_after_days=dict(type="int"),
        schedule_expression=dict(type="str"),
        duration=dict(type="str"),
        rotate_immediately=dict(type="bool", default=False),
        on_ineligible=dict(type="str", default="fail", choices=["fail", "skip"]),
    )


def apply_plan(asm, plan, rotate_immediately):
    """Make the calls the plan needs; on failure turn the plan into a failed one.

    The record goes onto the secret before rotation is cancelled (no record, no cancel), and comes off only
    after rotation is back on."""
    try:
        if plan["action"] == "disable":
            asm.tag(plan["arn"], plan["record"])
            asm.cancel_rotation(plan["arn"])
        elif plan["action"] in ("enable", "update"):
            asm.rotate(plan["arn"], **rotate_arguments(plan["after"], rotate_immediately))
        if plan.get("forget"):
            asm.untag(plan["arn"], plan["forget"])
    except AsmError as exc:
        plan.update(changed=False, after=dict(plan["before"]),
                    error="%s. Nothing changed for %s; fix the cause and run again" % (exc.message, plan["name"]),
                    action="failed")


def run(module):
    params = module.params
    problems = option_problems(params)
    try:
        check_filters(params["filters"])
    except SelectionError as exc:
        problems.append(str(exc))
    if problems:
        module.fail("; ".join(problems))
    region = params["region"]
    state = params["state"] or "info"
    asm = module.asm

    try:
        entries, not_found = list_scope(asm, region, names=params["names"], prefixes=params["prefixes"],
                                        filters=params["filters"], include_planned_deletion=bool(params["names"]))
    except AsmError as exc:
        module.fail_from(exc, "listing the secrets to rotate in %s" % region, api_calls=module.api_calls())

    secrets = sorted((classify_entry(entry, region) for entry in selected_entries(entries, params["names"], region)),
                     key=lambda s: (s["name"], s["arn"]))
    plans = [plan_secret(secret, params, now_tag()) for secret in secrets]
    if not module.check_mode:
        for plan in plans:
            apply_plan(asm, plan, params["rotate_immediately"])

    refused = [{"name": p["name"], "arn": p["arn"], "reason": p["reason"]} for p in plans if p["action"] == "refused"]
    errors = [{"name": p["name"], "arn": p["arn"], "error": p["error"]} for p in plans if p["action"] == "failed"]
    changed = any(plan["changed"] for plan in plans)
    result = {"changed": changed, "region": region, "state": state, "secrets": plans, "refused": refused,
              "errors": errors, "not_found": not_found, "summary": summarize(plans)}
    if state == "disabled":
        tags = dict((secret["arn"], secret["tags"]) for secret in secrets)
        result["disabled_rotations"] = [entry for entry in (disabled_rotation(p, tags.get(p["arn"])) for p in plans)
                                        if entry]
    if module.diff_mode:
        changing = [plan for plan in plans if plan["changed"]]
        result["diff"] = {"before": dict((p["name"], p["before"]) for p in changing),
                          "after": dict((p["name"], p["after"]) for p in changing)}
    result["api_calls"] = module.api_calls()

    messages = []
    for plan in plans:
        if plan["action"] == "refused" and params["on_ineligible"] == "skip":
            module.warn("skipped: %s" % plan["reason"])
    if refused and params["on_ineligible"] == "fail":
        messages.append("refused %d secret(s): %s (set on_ineligible: skip to only warn)"
                        % (len(refused), "; ".join(entry["reason"] for entry in refused)))
    if errors:
        messages.append("failed on %d secret(s): %s" % (len(errors), "; ".join(entry["error"] for entry in errors)))
    if not_found:
        text = "%s: no such secret in %s" % (", ".join(not_found), region)
        if state == "info":
            module.warn(text)
        else:
            messages.append(text + "; check the names and the region")
    if messages:
        module.fail("; ".join(messages), **result)
    return result


def main():
    run_module(run, argument_spec(), scaivault=False, asm=True,
               required_one_of=[["names", "prefixes", "filters"]],
               mutually_exclusive=[["automatically_after_days", "schedule_expression"],
                                   ["automatically_after_days", "duration"]])


if __name__ == "__main__":
    main()
