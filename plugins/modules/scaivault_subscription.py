#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: scaivault_subscription
short_description: Manage a ScaiVault event subscription with polling delivery
version_added: 0.2.0
author:
  - ScaiLabs platform engineering (@scailabs)
description:
  - Creates, updates or deletes a path-scoped event subscription delivered by polling, identified by its O(name).
  - Polling needs no inbound HTTPS endpoint, which an AWX cluster or an ops laptop usually lacks. Rotation option A
    of the runbook subscribes to C(rotation.due) here, and a scheduled playbook polls with
    M(scailabs.scaivault.scaivault_subscription_events), rotates at the source and acknowledges.
  - Subscriptions are owned by the identity that creates them and only it can poll them, so create it with the
    token the poller uses.
  - Options left unset leave the stored subscription alone; paths and events compare as sets.
  - Needs a token with C(subscriptions:read) and C(subscriptions:write).
extends_documentation_fragment:
  - scailabs.scaivault.scaivault
  - scailabs.scaivault.attributes.scaivault_group
attributes:
  check_mode:
    description: Plans the create, update or delete and writes nothing.
    support: full
  diff_mode:
    description: Shows the subscription's paths, events and delivery before and after.
    support: full
options:
  name:
    description: Name of the subscription (unique for its owner).
    type: str
    required: true
  state:
    description: V(present) creates or updates; V(absent) deletes it with its undelivered events.
    type: str
    choices: [present, absent]
    default: present
  paths:
    description: Path globs whose events are kept, for example C(environments/production/orders/**). Required to create.
    type: list
    elements: str
  events:
    description: Event types, for example V(rotation.due), V(rotation.overdue), V(secret.rotated). Required to create.
    type: list
    elements: str
  buffer_size:
    description: Most events kept until acknowledged (ScaiVault drops the oldest beyond it; its default is 1000).
    type: int
seealso:
  - module: scailabs.scaivault.scaivault_subscription_events
  - module: scailabs.scaivault.scaivault_rotation_policy
"""

EXAMPLES = r"""
- name: Rotation events of the orders database, delivered by polling
  scailabs.scaivault.scaivault_subscription:
    name: orders-db-rotation
    paths: [environments/production/orders/db]
    events: [rotation.due, rotation.overdue]
"""

RETURN = r"""
subscription:
  description: The subscription after the task (in check mode, as it would be); empty when absent.
  returned: always
  type: dict
  contains:
    id:
      description: Subscription id (C(sub_...)); absent for one check mode would create.
      type: str
    name:
      description: Name.
      type: str
    identity_id:
      description: The owner, who polls it.
      type: str
    paths:
      description: Path globs, sorted.
      type: list
      elements: str
    events:
      description: Event types, sorted.
      type: list
      elements: str
    delivery:
      description: C(type) (V(polling)) and C(buffer_size).
      type: dict
changed_fields:
  description: Fields created or changed.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError, ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.subscriptions import (
    ensure, find_subscription, remove, subscription_changes, subscription_view)


def argument_spec():
    return dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        paths=dict(type="list", elements="str"),
        events=dict(type="list", elements="str"),
        buffer_size=dict(type="int"),
    )


def run(module):
    params = module.params
    name = params["name"]
    client = module.scaivault
    try:
        subscription = find_subscription(client, name)
        if params["state"] == "absent":
            if subscription and not module.check_mode:
                remove(client, subscription)
            result = dict(changed=subscription is not None, subscription={}, changed_fields=[])
            after = {}
        else:
            if subscription is None and not (params["paths"] and params["events"]):
                raise PlanError("subscription %s does not exist; to create it, set paths and events" % name)
            changes = subscription_changes(subscription, params["paths"], params["events"], params["buffer_size"])
            changed = subscription is None or bool(changes)
            after = dict(subscription or {"name": name}, **changes)
            if changed and not module.check_mode:
                after = ensure(client, name, subscription, changes)
            result = dict(changed=changed, subscription=subscription_view(after), changed_fields=sorted(changes))
    except (PlanError, ScaiVaultError) as exc:
        module.fail_from(exc, "subscription %s" % name)
    if module.diff_mode:
        result["diff"] = {"before": subscription_view(subscription), "after": subscription_view(after)}
    return result


def main():
    run_module(run, argument_spec())


if __name__ == "__main__":
    main()
