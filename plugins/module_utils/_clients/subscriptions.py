# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ScaiVault event subscriptions with polling delivery, and the immediate rotation, over a ScaiVaultClient.

FOR INTERNAL COLLECTION USE ONLY: no API promise, may change in any release.

[doc] (reference/subscriptions): ``GET/POST /v1/subscriptions`` (``name, paths[], events[], delivery {type:
polling, buffer_size}``), ``GET/PATCH/DELETE /v1/subscriptions/{id}``, ``GET .../{id}/poll?timeout (<=60)
&max_events&since_event_id`` -> ``{events: [{event_id, event_type, timestamp, path, data}], has_more}``,
``POST .../{id}/ack {event_ids}``; unacknowledged events are delivered again. Subscriptions are owned by
the identity that created them: poll with that identity's token.
[doc] (reference/rotation): ``POST /v1/rotation/policies/{id}/rotate`` triggers a rotation (text cut there).

[assumed] (docs/scaivault-contract.md): list envelope ``subscriptions``; the rotate body ``{secret_path}``
(one attached secret) or none (all), answered ``{rotations: [{secret_path, status, old_version,
new_version?}]}`` (an answer without ``rotations`` is accepted: the caller re-reads the secret versions).
Events are reduced to the fields below before they leave this file: an event never carries a value in
ScaiVault's documented payloads, and nothing else is passed on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients.scaivault import (
    contract_error, list_items)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.untrusted import safe_token

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover
    from urllib import quote  # type: ignore

SUBSCRIPTIONS_PATH = "/subscriptions"
SUBSCRIPTION_ENVELOPE_KEYS = ("subscriptions",)
MAX_POLL_SECONDS = 60
# A long poll must end before the HTTP timeout of the connection: this much earlier.
POLL_TIMEOUT_MARGIN_SECONDS = 5
EVENT_ID_KEYS = ("event_id", "id")
# Event data fields passed on (documented rotation and secret payloads; versions, ids, times, flags).
EVENT_DATA_FIELDS = ("due_now", "due_at", "threshold_seconds", "immediate", "rotation_policy_id", "rotation_policy_name",
                     "old_version", "new_version", "version", "grace_period_ends", "auto_generated", "is_rotation")


def subscription_path(subscription_id, *rest):
    return "/".join([SUBSCRIPTIONS_PATH, quote(subscription_id, safe="")] + list(rest))


def list_subscriptions(client):
    response = client.request("GET", SUBSCRIPTIONS_PATH, params={"limit": 1000})
    body = response.body
    found = next((body[key] for key in SUBSCRIPTION_ENVELOPE_KEYS if isinstance(body, dict) and isinstance(body.get(key), list)),
                 None)
    return [item for item in (found if found is not None else list_items(body)) if isinstance(item, dict)]


def create_subscription(client, body):
    return client.request("POST", SUBSCRIPTIONS_PATH, json_body=body, idempotent=False).body or {}


def update_subscription(client, subscription_id, changes):
    return client.request("PATCH", subscription_path(subscription_id), json_body=changes, idempotent=True).body or {}


def delete_subscription(client, subscription_id):
    client.request("DELETE", subscription_path(subscription_id), idempotent=True)


def poll(client, subscription_id, timeout=0, max_events=100, since_event_id=None, http_timeout=30.0):
    """(events, has_more); each event {event_id, event_type, timestamp, path, data} with known data fields only."""
    wait = max(0, min(int(timeout), MAX_POLL_SECONDS, int(http_timeout) - POLL_TIMEOUT_MARGIN_SECONDS))
    params = {"timeout": wait, "max_events": max_events}
    if since_event_id:
        params["since_event_id"] = since_event_id
    api_path = subscription_path(subscription_id, "poll")
    response = client.request("GET", api_path, params=params)
    body = response.body
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        raise contract_error("GET", api_path, response, "a poll answer {events: [...], has_more}")
    return [event for event in (reduced_event(item) for item in body["events"]) if event], bool(body.get("has_more"))


def reduced_event(item):
    """The fields of an event the collection passes on, or None for an item that is not an event."""
    if not isinstance(item, dict):
        return None
    event_id = next((safe_token(item.get(key)) for key in EVENT_ID_KEYS if safe_token(item.get(key))), None)
    event_type = safe_token(item.get("event_type") or item.get("type"))
    if not event_id or not event_type:
        return None
    data = item.get("data") if isinstance(item.get("data"), dict) else {}
    kept = dict((key, data[key]) for key in EVENT_DATA_FIELDS
                if isinstance(data.get(key), (bool, int, float)) or safe_token(data.get(key)))
    return {"event_id": event_id, "event_type": event_type, "timestamp": safe_token(item.get("timestamp")),
            "path": safe_token(item.get("path")), "data": kept}


def ack(client, subscription_id, event_ids):
    """Acknowledge events (acknowledging twice is harmless: resendable)."""
    client.request("POST", subscription_path(subscription_id, "ack"), json_body={"event_ids": list(event_ids)},
                   idempotent=True)


def rotate_now(client, policy_id, secret_path=None):
    """Trigger the policy's rotation now (one attached secret or all): the answer's rotations, [] when it has none."""
    api_path = "/rotation/policies/%s/rotate" % quote(policy_id, safe="")
    body = {"secret_path": secret_path} if secret_path else {}
    # Not resent blindly: a second trigger would rotate twice.
    response = client.request("POST", api_path, json_body=body, idempotent=False, secret_path=secret_path)
    answer = response.body if isinstance(response.body, dict) else {}
    rotations = answer.get("rotations") if isinstance(answer.get("rotations"), list) else []
    return [{"secret_path": safe_token(item.get("secret_path") or item.get("path")), "status": safe_token(item.get("status")),
             "old_version": item.get("old_version") if isinstance(item.get("old_version"), int) else None,
             "new_version": item.get("new_version") if isinstance(item.get("new_version"), int) else None}
            for item in rotations if isinstance(item, dict)]
