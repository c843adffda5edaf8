#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: scaivault_webhook
short_description: Manage a ScaiVault webhook (URL, events, filters, signing secret)
version_added: 0.1.0
author:
  - ScaiLabs platform engineering (@scailabs)
description:
  - Creates, updates or deletes a ScaiVault webhook, identified by its O(name).
  - ScaiVault POSTs each matching event to the webhook's URL, signed with the webhook's secret in
    C(X-ScaiVault-Signature) (C(sha256=) + hex HMAC-SHA256 of C({timestamp}.) + the raw body).
  - In the ASM migration runbook (rotation option A) a webhook on C(rotation.due) runs the automation
    that changes a value at its source and writes the new version to ScaiVault.
  - Options left unset leave the stored webhook alone.
  - The signing secret is write-only in ScaiVault (never returned), so it cannot be compared; see
    O(update_secret) for how the module stays idempotent.
  - Needs a token with the C(admin) scope.
extends_documentation_fragment:
  - scailabs.scaivault.scaivault
  - scailabs.scaivault.attributes.scaivault_group
attributes:
  check_mode:
    description: Plans the create, update or delete and writes nothing.
    support: full
  diff_mode:
    description: Shows the webhook's URL, events, filters and enabled state before and after; never the secret.
    support: full
options:
  name:
    description:
      - Name of the webhook. The module finds the webhook by this name, so keep names unique.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the webhook; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  webhook_url:
    description:
      - Where ScaiVault delivers events (the webhook's C(url) field). ScaiVault requires C(https://).
      - Required to create the webhook.
      - Named apart from O(url), which is the ScaiVault service's own URL shared by every module.
    type: str
  events:
    description:
      - Event types delivered, for example V(rotation.due), V(rotation.overdue), V(secret.rotated),
        V(secret.updated). Compared as a set.
      - Required to create the webhook.
    type: list
    elements: str
  filters:
    description:
      - Deliver only events that match every filter given. When set, replaces the stored filters as a whole;
        V({}) removes every filter. Unset leaves them alone.
    type: dict
    suboptions:
      path_prefix:
        description: Only events of secrets under this path prefix.
        type: str
      secret_type:
        description: Only events of secrets of this type.
        type: str
        choices: [kv, json, certificate, ssh_key, api_key]
      tags:
        description: Only events of secrets carrying these tags. Compared as a set.
        type: list
        elements: str
  enabled:
    description:
      - V(false) stops deliveries without deleting the webhook. Unset leaves it as it is (new webhooks
        are enabled).
    type: bool
  secret:
    description:
      - The signing secret (at least 32 bytes recommended). Required to create the webhook.
      - Never returned by ScaiVault, never shown in results or diffs.
    type: str
  update_secret:
    description:
      - When O(secret) is sent. ScaiVault never returns the secret, so the module cannot tell whether the
        stored one equals O(secret).
      - V(on_create) sends it only when the webhook is created; later runs leave the stored secret alone and
        stay idempotent. Rotate it with a single run using V(always).
      - V(always) sends it on every run, so every run reports C(changed).
    type: str
    choices: [on_create, always]
    default: on_create
notes:
  - When rotating the secret, ScaiVault signs with the new secret at once; receivers should accept the previous
    one for a while.
seealso:
  - module: scailabs.scaivault.scaivault_rotation_policy
"""

EXAMPLES = r"""
# Connection settings come from SCAIVAULT_URL / SCAIVAULT_TOKEN (see make dev-up).
- name: Deliver rotation events for production secrets to the rotation runner
  scailabs.scaivault.scaivault_webhook:
    name: rotation-runner
    webhook_url: https://rotation-runner.example.com/scaivault
    events: [rotation.due, rotation.overdue]
    filters:
      path_prefix: environments/production/
    secret: "{{ lookup('ansible.builtin.password', '/dev/null', length=48, chars=['ascii_letters', 'digits']) }}"
  no_log: true

- name: Rotate the signing secret once (every run with update_secret=always reports changed)
  scailabs.scaivault.scaivault_webhook:
    name: rotation-runner
    secret: "{{ lookup('ansible.builtin.password', '/dev/null', length=48, chars=['ascii_letters', 'digits']) }}"
    update_secret: always
  no_log: true

- name: Pause deliveries
  scailabs.scaivault.scaivault_webhook:
    name: rotation-runner
    enabled: false

- name: Remove the webhook
  scailabs.scaivault.scaivault_webhook:
    name: rotation-runner
    state: absent
"""

RETURN = r"""
webhook:
  description: The webhook after the task (in check mode, as it would be); empty when it does not exist.
  returned: always
  type: dict
  contains:
    id:
      description: Webhook id (C(wh_...)); absent for a webhook that check mode would create.
      type: str
      sample: wh_8d1f0c
    name:
      description: Name.
      type: str
      sample: rotation-runner
    url:
      description: Delivery URL.
      type: str
    events:
      description: Event types, sorted.
      type: list
      elements: str
      sample: [rotation.due, rotation.overdue]
    filters:
      description: Filters (C(path_prefix), C(secret_type), C(tags)) that are set.
      type: dict
    enabled:
      description: Whether deliveries are on.
      type: bool
    status:
      description: ScaiVault's delivery health, for example C(healthy).
      type: str
    created_at:
      description: Creation time.
      type: str
changed_fields:
  description: Fields created or changed; C(secret) when the secret was (or would be) sent.
  returned: always
  type: list
  elements: str
  sample: [events, filters]
secret_sent:
  description: Whether the signing secret was sent (or would be, in check mode).
  returned: always
  type: bool
"""

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError, ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.secret import SECRET_TYPES
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.webhook import (
    UPDATE_SECRET_CHOICES, send_secret, webhook_changes, webhook_view)
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.resources import (
    WEBHOOKS, create_named, delete_if_present, find_named, item_path)


def argument_spec():
    return dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        webhook_url=dict(type="str"),
        events=dict(type="list", elements="str"),
        filters=dict(type="dict", options=dict(
            path_prefix=dict(type="str"),
            secret_type=dict(type="str", choices=list(SECRET_TYPES)),
            tags=dict(type="list", elements="str"),
        )),
        enabled=dict(type="bool"),
        secret=dict(type="str", no_log=True),
        update_secret=dict(type="str", default="on_create", choices=list(UPDATE_SECRET_CHOICES)),
    )


def run(module):
    name = module.params["name"]
    try:
        webhook = find_named(module.scaivault, WEBHOOKS, name, "webhook")
        if module.params["state"] == "absent":
            return absent(module, webhook)
        return present(module, name, webhook)
    except ScaiVaultError as exc:
        module.fail_from(exc, "webhook %s" % name)


def absent(module, webhook):
    if webhook and not module.check_mode:
        delete_if_present(module.scaivault, item_path(WEBHOOKS, webhook["id"]))
    result = dict(changed=webhook is not None, webhook={}, changed_fields=[], secret_sent=False)
    if module.diff_mode:
        result["diff"] = {"before": webhook_view(webhook), "after": {}}
    return result


def present(module, name, webhook):
    params = module.params
    if webhook is None:
        missing = [option for option in ("webhook_url", "events", "secret") if not params[option]]
        if missing:
            raise PlanError("webhook %s does not exist; to create it, set %s" % (name, ", ".join(missing)))
    if params["webhook_url"] is not None and not params["webhook_url"].startswith(("https://", "http://")):
        raise PlanError("webhook %s: webhook_url %r must start with https://" % (name, params["webhook_url"]))

    changes = webhook_changes(webhook, url=params["webhook_url"], events=params["events"], filters=params["filters"],
                              enabled=params["enabled"])
    with_secret = send_secret(webhook, params["secret"], params["update_secret"])
    changed = webhook is None or bool(changes) or with_secret
    changed_fields = sorted(changes) + (["secret"] if with_secret else [])

    if not changed or module.check_mode:
        after = dict(webhook or {"name": name, "enabled": True})
        after.update(changes)
    else:
        body = dict(changes)
        if with_secret:
            body["secret"] = params["secret"]
        if webhook is None:
            after = create_named(module.scaivault, WEBHOOKS, dict(body, name=name), "webhook")
        else:
            after = module.scaivault.request("PATCH", item_path(WEBHOOKS, webhook["id"]), json_body=body,
                                             idempotent=True).body or {}

    result = dict(changed=changed, webhook=webhook_view(after), changed_fields=changed_fields, secret_sent=with_secret)
    if module.diff_mode:
        after_view = webhook_view(after)
        if with_secret:
            # Says that the secret changes without saying anything about it.
            after_view["secret"] = "(new secret sent)"
        result["diff"] = {"before": webhook_view(webhook), "after": after_view}
    return result


def main():
    run_module(run, argument_spec())


if __name__ == "__main__":
    main()
