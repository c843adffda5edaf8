#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: scaivault_rotation_policy
short_description: Manage a ScaiVault rotation policy and the secrets attached to it
version_added: 0.1.0
author:
  - ScaiLabs platform engineering (@scailabs)
description:
  - Creates, updates or deletes a ScaiVault rotation policy, identified by its O(name).
  - Enables or disables the policy, and attaches secrets to it or detaches them.
  - In rotation option A of the ASM migration runbook, once ASM rotation is disabled and the secret is
    migrated, the migrated secret is attached to a ScaiVault policy; with O(auto_generate=false) ScaiVault
    fires C(rotation.due) to a webhook (M(scailabs.scaivault.scaivault_webhook)) and your automation writes
    the new value.
  - Options left unset leave the stored policy alone. Durations compare by length, so C(90d) and C(2160h)
    are the same interval and a second run reports no change.
  - Needs a token with the C(admin) scope (rotation policies), plus C(secrets:list) to check that the
    secrets to attach exist.
extends_documentation_fragment:
  - scailabs.scaivault.scaivault
  - scailabs.scaivault.attributes.scaivault_group
attributes:
  check_mode:
    description: Plans every change (create, fields, enable/disable, attach, detach) and writes nothing.
    support: full
  diff_mode:
    description: Shows the policy's fields, its enabled state and its attached secret paths before and after.
    support: full
options:
  name:
    description:
      - Name of the rotation policy, unique in the tenant. This is how the module finds the policy.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the policy.
      - V(absent) deletes it; ScaiVault detaches every attached secret (the secrets themselves stay).
    type: str
    choices: [present, absent]
    default: present
  description:
    description:
      - Free text describing the policy.
    type: str
  interval:
    description:
      - How often the attached secrets rotate, as a duration such as C(30d), C(90d) or C(2160h).
      - Required to create the policy.
    type: str
  grace_period:
    description:
      - How long the previous version stays readable after a rotation, as a duration. ScaiVault's default
        is C(48h).
    type: str
  warn_before:
    description:
      - Thresholds before the due date at which ScaiVault fires C(rotation.due) warnings, for example
        V([7d, 1d]) or the string V(7d,1d). Compared as a set of lengths; sent longest first.
      - An empty list removes every warning threshold.
    type: list
    elements: str
  auto_generate:
    description:
      - V(true) lets ScaiVault write a new generated value when a secret is due.
      - V(false) (ScaiVault's default) fires C(rotation.due) with C(due_now) and waits for your automation
        to write the new value, for secrets whose value must change at the source too (a database password).
    type: bool
  secret_policy_id:
    description:
      - Id (C(sp_...)) of a ScaiVault secret policy that says how generated values look.
    type: str
  webhook_ids:
    description:
      - Webhooks that receive this policy's rotation events, by webhook name or id (C(wh_...)).
        Names are resolved to ids; every one must exist.
      - Compared as a set. An empty list removes every webhook from the policy.
    type: list
    elements: str
  enabled:
    description:
      - V(false) pauses the policy without detaching its secrets; V(true) resumes it.
      - Unset leaves the state as it is (a new policy starts enabled).
    type: bool
  secrets:
    description:
      - ScaiVault secret paths to attach to the policy. Each must exist.
      - Attaching never detaches anything unless O(purge_secrets=true).
    type: list
    elements: str
  purge_secrets:
    description:
      - With V(true), every attached secret not listed in O(secrets) is detached.
      - Only applies when O(secrets) is set (an empty list then detaches every secret); when O(secrets)
        is unset nothing is ever detached by purging.
    type: bool
    default: false
  detach:
    description:
      - ScaiVault secret paths to detach from the policy. Paths that are not attached are ignored.
      - A path may not be in both O(secrets) and O(detach).
    type: list
    elements: str
  rotate_now:
    description:
      - Trigger a rotation now (C(POST /v1/rotation/policies/{id}/rotate)), after the other changes, to prove the
        wiring at cutover. With O(auto_generate=true) ScaiVault writes a new version at once; otherwise it fires
        C(rotation.due) and your automation (a webhook or a polling subscription) writes the new version.
      - Every run with V(true) rotates again and reports changed; check mode only plans it.
    type: bool
    default: false
  rotate_paths:
    description:
      - With O(rotate_now), rotate only these attached secrets. Unset rotates every attached secret.
    type: list
    elements: str
notes:
  - A secret attached to another policy is moved to this one when attached here (a secret has at most one
    rotation policy).
seealso:
  - module: scailabs.scaivault.scaivault_webhook
  - module: scailabs.scaivault.asm_cleanup
"""

EXAMPLES = r"""
# Connection settings come from SCAIVAULT_URL / SCAIVAULT_TOKEN (see make dev-up).
- name: Create a quarterly policy whose rotation is done by automation (option A)
  scailabs.scaivault.scaivault_rotation_policy:
    name: quarterly-db-passwords
    description: Database passwords moved from AWS Secrets Manager
    interval: 90d
    grace_period: 48h
    warn_before: [7d, 1d]
    auto_generate: false

- name: The same interval written in hours changes nothing
  scailabs.scaivault.scaivault_rotation_policy:
    name: quarterly-db-passwords
    interval: 2160h

- name: Pause the policy without detaching anything
  scailabs.scaivault.scaivault_rotation_policy:
    name: quarterly-db-passwords
    enabled: false

- name: Attach exactly these secrets, detaching any other
  scailabs.scaivault.scaivault_rotation_policy:
    name: quarterly-db-passwords
    secrets: []
    purge_secrets: true

- name: Delete the policy
  scailabs.scaivault.scaivault_rotation_policy:
    name: quarterly-db-passwords
    state: absent

- name: Prove the option A wiring at cutover - ScaiVault fires rotation.due for the orders database now
  scailabs.scaivault.scaivault_rotation_policy:
    name: orders-db
    interval: 30d
    secrets: [environments/production/orders/db]
    rotate_now: true
    rotate_paths: [environments/production/orders/db]
"""

RETURN = r"""
policy:
  description:
    - The policy after the task (in check mode, as it would be). Empty when it does not exist.
  returned: always
  type: dict
  contains:
    id:
      description: Policy id (C(rot_...)); absent for a policy that check mode would create.
      type: str
      sample: rot_3f2a9c
    name:
      description: Policy name.
      type: str
      sample: quarterly-db-passwords
    description:
      description: Description.
      type: str
    interval:
      description: Interval as ScaiVault stores it.
      type: str
      sample: 90d
    interval_seconds:
      description: Interval in seconds.
      type: int
      sample: 7776000
    grace_period:
      description: Grace period.
      type: str
      sample: 48h
    warn_before:
      description: Warning thresholds, longest first, comma-separated.
      type: str
      sample: 7d,1d
    auto_generate:
      description: Whether ScaiVault generates values itself.
      type: bool
    secret_policy_id:
      description: Linked secret policy id, if any.
      type: str
    webhook_ids:
      description: Ids of the webhooks of this policy.
      type: list
      elements: str
    is_active:
      description: Whether the policy is enabled.
      type: bool
    secrets_count:
      description: Number of attached secrets.
      type: int
    created_at:
      description: Creation time.
      type: str
secrets:
  description: Paths attached to the policy after the task (in check mode, as they would be).
  returned: always
  type: list
  elements: str
  sample: [environments/production/billing/db]
attached:
  description: Paths attached by this task (or that check mode would attach).
  returned: always
  type: list
  elements: str
detached:
  description: Paths detached by this task (or that check mode would detach).
  returned: always
  type: list
  elements: str
changed_fields:
  description: Policy fields created or changed, C(enabled) included when the policy was enabled or disabled.
  returned: always
  type: list
  elements: str
  sample: [interval, warn_before]
rotations:
  description:
    - With O(rotate_now), what ScaiVault did per secret - C(secret_path), C(status) (C(rotated) when it wrote a
      version, C(due) when it fired C(rotation.due)), C(old_version), C(new_version); in check mode C(status) is
      C(planned).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError, ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.rotation_policy import (
    ENABLED_FIELD, enabled_action, planned_policy, policy_changes, policy_view, resolve_webhook_refs, secret_changes,
    wanted_fields)
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.resources import (
    PAGE_SIZE, ROTATION_POLICIES as POLICIES, WEBHOOKS, create_named, delete_if_present, find_named, item_path)
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.subscriptions import rotate_now

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover
    from urllib import quote  # type: ignore

KIND = "rotation policy"
PUBLIC_FIELDS = ("id", "name", "description", "interval", "interval_seconds", "grace_period", "warn_before",
                 "auto_generate", "secret_policy_id", "webhook_ids", "is_active", "secrets_count", "created_at")


def argument_spec():
    return dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        description=dict(type="str"),
        interval=dict(type="str"),
        grace_period=dict(type="str"),
        warn_before=dict(type="list", elements="str"),
        auto_generate=dict(type="bool"),
        secret_policy_id=dict(type="str"),
        webhook_ids=dict(type="list", elements="str"),
        enabled=dict(type="bool"),
        secrets=dict(type="list", elements="str", no_log=False),
        purge_secrets=dict(type="bool", default=False),
        detach=dict(type="list", elements="str"),
        rotate_now=dict(type="bool", default=False),
        rotate_paths=dict(type="list", elements="str"),
    )


def run(module):
    name = module.params["name"]
    try:
        policy = find_named(module.scaivault, POLICIES, name, KIND)
        if module.params["state"] == "absent":
            return absent(module, policy)
        return present(module, name, policy)
    except (PlanError, ScaiVaultError) as exc:
        module.fail_from(exc, "rotation policy %s" % name)


def attached_paths(client, policy_id):
    return client.rotation_secret_paths(policy_id, page_size=PAGE_SIZE)


def absent(module, policy):
    client = module.scaivault
    before_secrets = attached_paths(client, policy["id"]) if policy else []
    if policy and not module.check_mode:
        delete_if_present(client, item_path(POLICIES, policy["id"]))
    result = dict(changed=policy is not None, policy={}, secrets=[], attached=[], detached=before_secrets,
                  changed_fields=[], rotations=[])
    if module.diff_mode:
        result["diff"] = {"before": policy_view(policy, before_secrets), "after": {}}
    return result


def present(module, name, policy):
    params = module.params
    client = module.scaivault
    wanted = wanted_fields(
        description=params["description"], interval=params["interval"], grace_period=params["grace_period"],
        warn_before=params["warn_before"], auto_generate=params["auto_generate"],
        secret_policy_id=params["secret_policy_id"])
    if params["webhook_ids"] is not None:
        wanted["webhook_ids"] = webhook_ids(client, params["webhook_ids"])
    if policy is None and "interval" not in wanted:
        raise PlanError("interval is required to create the policy (for example interval: 90d)")

    changes = policy_changes(policy, wanted)
    action = enabled_action(policy, params["enabled"])
    before_secrets = attached_paths(client, policy["id"]) if policy else []
    to_attach, to_detach = secret_changes(before_secrets, params["secrets"], params["purge_secrets"], params["detach"])
    if to_attach:
        check_attachable(client, to_attach)

    changed_fields = sorted(changes) + ([ENABLED_FIELD] if action else [])
    changed = bool(changes or action or to_attach or to_detach)
    after_secrets = sorted((set(before_secrets) | set(to_attach)) - set(to_detach))

    if module.check_mode or not changed:
        after = planned_policy(policy, name, changes, action)
        after["secrets_count"] = len(after_secrets)
    else:
        after = apply(client, policy, name, changes, action, to_attach, to_detach)

    rotations = rotate(module, after, after_secrets)
    result = dict(changed=changed or bool(rotations), policy=public_policy(after, len(after_secrets)), secrets=after_secrets,
                  attached=to_attach, detached=to_detach, changed_fields=changed_fields, rotations=rotations)
    if module.diff_mode:
        result["diff"] = {"before": policy_view(policy, before_secrets), "after": policy_view(after, after_secrets)}
    return result


def rotate(module, policy, attached):
    """rotate_now: trigger the rotation of the chosen attached secrets (planned only in check mode)."""
    params = module.params
    if not params["rotate_now"]:
        return []
    paths = params["rotate_paths"]
    unknown = sorted(set(paths or []) - set(attached))
    if unknown:
        raise PlanError("rotate_paths %s are not attached to the policy (attach them with secrets first)" % ", ".join(unknown))
    if not attached:
        raise PlanError("rotate_now: no secret is attached to the policy, so there is nothing to rotate")
    if module.check_mode:
        return [{"secret_path": path, "status": "planned", "old_version": None, "new_version": None}
                for path in (paths or attached)]
    if paths is None:
        return rotate_now(module.scaivault, policy["id"])
    rotations = []
    for path in paths:
        rotations.extend(rotate_now(module.scaivault, policy["id"], path))
    return rotations


def webhook_ids(client, refs):
    """The ids of the webhooks named (by name or id) in refs; every one must exist, once."""
    webhooks = list(client.paginate(WEBHOOKS, {"limit": PAGE_SIZE}))
    ids, unknown, ambiguous = resolve_webhook_refs(refs, webhooks)
    problems = []
    if unknown:
        problems.append("no webhook has the name or id %s (create it first with "
                        "scailabs.scaivault.scaivault_webhook)" % ", ".join(unknown))
    if ambiguous:
        problems.append("several webhooks are named %s (use their ids)" % ", ".join(ambiguous))
    if problems:
        raise PlanError("webhook_ids: " + "; ".join(problems))
    return ids


def check_attachable(client, paths):
    """Raise PlanError naming the paths that hold no secret (batch metadata: no value is read)."""
    _found, missing = client.batch_metadata(paths)
    if missing:
        codes = sorted(set(err.get("code") or "not found" for err in missing.values()))
        raise PlanError("cannot attach %s: %s (write or migrate the secrets first)" % (
            ", ".join(sorted(missing)), "; ".join(codes)))


def apply(client, policy, name, changes, action, to_attach, to_detach):
    if policy is None:
        policy = create_named(client, POLICIES, dict(changes, name=name), KIND)
    elif changes:
        policy = client.request("PATCH", item_path(POLICIES, policy["id"]), json_body=changes,
                                idempotent=True).body or policy
    policy_id = policy["id"]
    if action:
        client.request("POST", item_path(POLICIES, policy_id, action), json_body={}, idempotent=True)
    for path in to_attach:
        # Attaching twice leaves one attachment: safe to resend.
        client.request("POST", item_path(POLICIES, policy_id, "secrets"), json_body={"secret_path": path},
                       idempotent=True, secret_path=path)
    for path in to_detach:
        delete_if_present(client, item_path(POLICIES, policy_id, "secrets", quote(path, safe="")), secret_path=path)
    return client.request("GET", item_path(POLICIES, policy_id)).body or policy


def public_policy(policy, secrets_count):
    view = dict((key, policy.get(key)) for key in PUBLIC_FIELDS if key in policy)
    view.setdefault("secrets_count", secrets_count)
    return view


def main():
    run_module(run, argument_spec())


if __name__ == "__main__":
    main()
