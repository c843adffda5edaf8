#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: scaivault_subscription_events
short_description: Poll a ScaiVault subscription for events, or acknowledge processed ones
version_added: 0.2.0
author:
  - ScaiLabs platform engineering (@scailabs)
description:
  - O(action=poll) long-polls the subscription named O(subscription) and returns its unacknowledged events
    (event id, type, time, path and the documented data fields such as C(due_now) or C(new_version); never a
    value). ScaiVault delivers an event again on every poll until it is acknowledged.
  - O(action=ack) acknowledges the events in O(event_ids), so they are not delivered again.
  - A consumer playbook polls, acts on each event once (for C(rotation.due), runs the source-side rotation and
    writes the new version), then acknowledges; see the C(rotation_poller) playbook of this collection.
  - Only the subscription's owner can poll it, so use the token that created it.
extends_documentation_fragment:
  - scailabs.scaivault.scaivault
  - scailabs.scaivault.attributes.scaivault_group
attributes:
  check_mode:
    description: Polling reads only and runs in check mode too; an acknowledgement is planned, not sent. A subscription
      that does not exist yet gives no events in check mode (a warning says so) instead of failing.
    support: full
  diff_mode:
    description: Nothing stored changes shape, so there is no diff to show.
    support: none
options:
  subscription:
    description: Name of the caller's subscription.
    type: str
    required: true
  action:
    description: V(poll) returns events; V(ack) acknowledges O(event_ids).
    type: str
    choices: [poll, ack]
    default: poll
  wait:
    description:
      - Seconds a poll waits for a first event (at most 60, and 5 less than the connection O(timeout)).
        V(0) answers at once.
    type: int
    default: 0
  max_events:
    description: Most events returned by one poll.
    type: int
    default: 100
  event_types:
    description: Return only these event types (the others stay unacknowledged on the server).
    type: list
    elements: str
  event_ids:
    description: Events to acknowledge (O(action=ack)).
    type: list
    elements: str
seealso:
  - module: scailabs.scaivault.scaivault_subscription
"""

EXAMPLES = r"""
- name: Wait up to 20 s for events (it answers as soon as one is there)
  scailabs.scaivault.scaivault_subscription_events:
    subscription: orders-db-rotation
    wait: 20
  register: polled

- name: Acknowledge what was handled
  scailabs.scaivault.scaivault_subscription_events:
    subscription: orders-db-rotation
    action: ack
    event_ids: "{{ polled.events | map(attribute='event_id') | list }}"
  when: polled.events | length > 0
"""

RETURN = r"""
events:
  description: The events returned by the poll, oldest first (V([]) for O(action=ack)).
  returned: always
  type: list
  elements: dict
  contains:
    event_id:
      description: Event id, to acknowledge it.
      type: str
    event_type:
      description: For example C(rotation.due).
      type: str
    timestamp:
      description: When the event happened.
      type: str
    path:
      description: Secret path.
      type: str
    data:
      description: Documented data fields only (C(due_now), C(due_at), C(rotation_policy_id), C(old_version),
        C(new_version), ...).
      type: dict
has_more:
  description: Whether more events wait than were returned.
  returned: always
  type: bool
acknowledged:
  description: Event ids acknowledged (or that check mode would acknowledge).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError, ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._module_base import run_module
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.subscriptions import (
    acknowledge, find_subscription, poll_events, required)


def argument_spec():
    return dict(
        subscription=dict(type="str", required=True),
        action=dict(type="str", default="poll", choices=["poll", "ack"]),
        wait=dict(type="int", default=0),
        max_events=dict(type="int", default=100),
        event_types=dict(type="list", elements="str"),
        event_ids=dict(type="list", elements="str"),
    )


def run(module):
    params = module.params
    client = module.scaivault
    try:
        subscription = find_subscription(client, params["subscription"])
        if subscription is None and module.check_mode:
            # A plan of the whole runbook polls a subscription that only the rotation phase would create.
            module.warn("subscription %s does not exist (yet): check mode returns no events" % params["subscription"])
            return dict(changed=False, events=[], has_more=False, acknowledged=[])
        subscription = subscription or required(client, params["subscription"])
        if params["action"] == "ack":
            ids = list(dict.fromkeys(params["event_ids"] or []))
            if ids and not module.check_mode:
                acknowledge(client, subscription, ids)
            return dict(changed=bool(ids), events=[], has_more=False, acknowledged=ids)
        events, has_more = poll_events(client, subscription, params["wait"], params["max_events"])
    except (PlanError, ScaiVaultError) as exc:
        module.fail_from(exc, "subscription %s" % params["subscription"])
    if params["event_types"] is not None:
        events = [event for event in events if event["event_type"] in params["event_types"]]
    return dict(changed=False, events=events, has_more=has_more, acknowledged=[])


def main():
    run_module(run, argument_spec(), required_if=[("action", "ack", ("event_ids",))])


if __name__ == "__main__":
    main()
