# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Plan a ScaiVault webhook change without ever handling the signing secret's value.

Rules (the module documents them for users):
  - An option left unset (None) leaves the stored field alone.
  - events compare as a set (order and repeats do not count); the user's order is sent.
  - filters, when given, replace the stored filters as a whole; inside them an unset key means
    "no such filter", tags compare as a set, and {} removes every filter.
  - The API never returns the signing secret, so it cannot be compared: update_secret
    'on_create' sends it only when the webhook is created (idempotent), 'always' sends it on
    every run (always reported as changed).

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import ScaiVaultError


FILTER_KEYS = ("path_prefix", "secret_type", "tags")
VIEW_FIELDS = ("id", "name", "url", "events", "filters", "enabled", "status", "created_at", "updated_at")
UPDATE_SECRET_CHOICES = ("on_create", "always")


def normalize_filters(filters):
    """Drop unset keys; tags become a sorted list without repeats; None stays None (leave alone)."""
    if filters is None:
        return None
    result = {}
    for key in FILTER_KEYS:
        value = filters.get(key)
        if value is None or value == [] or value == "":
            continue
        result[key] = sorted(set(value)) if key == "tags" else value
    return result


def filters_equal(stored, wanted):
    """Compare stored filters (as the API returns them) with normalized wanted ones."""
    return normalize_filters(stored or {}) == (wanted or {})


def webhook_changes(webhook, url=None, events=None, filters=None, enabled=None):
    """Return {field: value} to send (all given fields for a new webhook, only differences otherwise)."""
    wanted = {}
    if url is not None:
        wanted["url"] = url
    if events is not None:
        wanted["events"] = list(dict.fromkeys(events))
    wanted_filters = normalize_filters(filters)
    if wanted_filters is not None:
        wanted["filters"] = wanted_filters
    if enabled is not None:
        wanted["enabled"] = bool(enabled)
    if webhook is None:
        return wanted
    changes = {}
    for field, value in wanted.items():
        if field == "events":
            if set(webhook.get("events") or []) != set(value):
                changes[field] = value
        elif field == "filters":
            if not filters_equal(webhook.get("filters"), value):
                changes[field] = value
        elif field == "enabled":
            if bool(webhook.get("enabled", True)) != value:
                changes[field] = value
        elif webhook.get(field) != value:
            changes[field] = value
    return changes


def send_secret(webhook, secret, update_secret):
    """Tell whether the signing secret goes into this request (see the module docstring)."""
    if secret is None:
        return False
    if webhook is None:
        return True
    return update_secret == "always"


def webhook_view(webhook):
    """Fields of a webhook safe for results and diffs (the API never returns the secret anyway)."""
    if not webhook:
        return {}
    view = dict((field, webhook[field]) for field in VIEW_FIELDS if field in webhook)
    if "events" in view and view["events"] is not None:
        view["events"] = sorted(view["events"])
    if "filters" in view:
        view["filters"] = normalize_filters(view["filters"] or {})
    return view


def find_by_name(items, name, kind):
    """The one item called name, or None; two or more is an error naming them (names should be unique)."""
    found = [item for item in items if item.get("name") == name]
    if len(found) > 1:
        raise ScaiVaultError("%d %ss are named %r (ids %s): names must be unique for this module; delete or "
                             "rename the extra ones" % (len(found), kind, name, ", ".join(str(i.get("id")) for i in found)),
                             code="ambiguous_name")
    return found[0] if found else None
