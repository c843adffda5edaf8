# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Manage a polling subscription by name; poll and acknowledge its events (API shapes: _clients/subscriptions.py).

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients import subscriptions as api
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError, ScaiVaultUnknownOutcome
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.webhook import find_by_name

VIEW_FIELDS = ("id", "name", "status", "identity_id", "paths", "events", "created_at")


def find_subscription(client, name):
    """The caller's subscription of that name, or None (subscriptions are owned: only the caller's are polled)."""
    return find_by_name(api.list_subscriptions(client), name, "subscription")


def subscription_view(subscription):
    if not subscription:
        return {}
    view = dict((key, subscription[key]) for key in VIEW_FIELDS if key in subscription)
    for key in ("paths", "events"):
        if isinstance(view.get(key), list):
            view[key] = sorted(view[key])
    delivery = subscription.get("delivery") if isinstance(subscription.get("delivery"), dict) else {}
    view["delivery"] = dict((key, delivery[key]) for key in ("type", "buffer_size") if key in delivery)
    return view


def subscription_changes(subscription, paths, events, buffer_size):
    """{field: value} to send; paths and events compare as sets; None leaves a field alone."""
    wanted = {}
    if paths is not None:
        wanted["paths"] = list(dict.fromkeys(paths))
    if events is not None:
        wanted["events"] = list(dict.fromkeys(events))
    if buffer_size is not None:
        wanted["delivery"] = {"type": "polling", "buffer_size": buffer_size}
    if subscription is None:
        wanted.setdefault("delivery", {"type": "polling"})
        return wanted
    changes = {}
    for key in ("paths", "events"):
        if key in wanted and set(subscription.get(key) or []) != set(wanted[key]):
            changes[key] = wanted[key]
    if "delivery" in wanted and subscription_view(subscription)["delivery"] != wanted["delivery"]:
        changes["delivery"] = wanted["delivery"]
    return changes


def ensure(client, name, subscription, changes):
    """Create or update; after a lost create answer the subscription is looked up by name, never posted twice."""
    if subscription is None:
        try:
            return api.create_subscription(client, dict(changes, name=name))
        except ScaiVaultUnknownOutcome:
            found = find_subscription(client, name)
            if found is None:
                raise
            return found
    if changes:
        return api.update_subscription(client, subscription["id"], changes) or dict(subscription, **changes)
    return subscription


def required(client, name):
    subscription = find_subscription(client, name)
    if subscription is None:
        raise PlanError("subscription %s does not exist for this identity; create it with "
                        "scailabs.scaivault.scaivault_subscription using the same token (subscriptions are owned)" % name)
    return subscription


def remove(client, subscription):
    api.delete_subscription(client, subscription["id"])


def poll_events(client, subscription, timeout, max_events):
    """(events, has_more) of one long poll, bounded by the connection timeout."""
    return api.poll(client, subscription["id"], timeout=timeout, max_events=max_events, http_timeout=client.settings.timeout)


def acknowledge(client, subscription, event_ids):
    api.ack(client, subscription["id"], event_ids)


def rotate_now(client, policy_id, secret_path=None):
    """Trigger a rotation now: what feeds a polling subscription its rotation.due at cutover."""
    return api.rotate_now(client, policy_id, secret_path)
