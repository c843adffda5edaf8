# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The region's state record: what the runbook's changing phases read, reduced to digests.

After a run in which every changing phase ran and succeeded, the runbook records in ScaiVault the digests of
what those phases read (ASM's listing of the region's secrets, the ScaiVault secrets under the targets of its
namespaces, its federation backends, rotation policies and webhooks) and of the run's input. A later run on any
machine reads the same things again: when every digest equals the record, the run is at the fixed point the
last run reached (a full run would change nothing) and the changing phases are skipped as a whole.

Conservative by construction: anything that is not known to be volatile counts, so an unknown field that
changes on every read makes a region run fully every time (slower, never wrong), and the reasons name which
part differed.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.mapping import compile_rules

RECORD_FORMAT = 1

# Fields that change without any change of state (reads, syncs, deliveries). Everything else counts.
VOLATILE_KEYS = frozenset([
    # ASM (ListSecrets): a read moves it, at day granularity.
    "LastAccessedDate",
    # ScaiVault secret objects: read bookkeeping.
    "last_accessed_at", "last_accessed", "accessed_at", "last_read_at", "read_count", "access_count",
    # Federation backends: sync status moves with every sync.
    "status", "last_sync", "last_sync_at", "last_synced_at", "next_sync_at", "secrets_synced", "errors",
    "health", "sync_status", "last_error", "last_sync_status",
    # Rotation policies and webhooks: schedule and delivery bookkeeping.
    "next_rotation_at", "last_rotation_at", "last_delivery_at", "last_delivery_status", "failure_count",
])

# The parts of a region's state, in the order the reasons name them.
PARTS = ("inputs", "asm", "targets", "credentials", "backends", "rotation_policies", "webhooks")
PART_NAMES = {
    "inputs": "the run's input (host variables, collection version)",
    "asm": "the ASM secrets of the region",
    "targets": "the ScaiVault secrets under the namespaces' targets",
    "credentials": "the federation reader credentials",
    "backends": "the federation backends of the region",
    "rotation_policies": "the option A rotation policies",
    "webhooks": "the option A webhooks",
}


def stable(value):
    """value without VOLATILE_KEYS at any depth."""
    if isinstance(value, dict):
        return dict((key, stable(item)) for key, item in value.items() if key not in VOLATILE_KEYS)
    if isinstance(value, (list, tuple)):
        return [stable(item) for item in value]
    return value


def digest(value):
    """SHA-256 of the canonical JSON of value's stable part (datetimes as text)."""
    text = json.dumps(stable(value), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def static_prefix(template):
    """The literal directory part of a target template before its first wildcard ('' when it starts with one).

    'fleet/us-east-1/apps/**' -> 'fleet/us-east-1/apps/'; 'a/b*/c' -> 'a/'; 'plain/path' -> 'plain/path'.
    """
    star = template.find("*")
    if star < 0:
        return template
    head = template[:star]
    return head[:head.rfind("/") + 1]


def target_prefixes(namespaces):
    """The fewest ScaiVault list prefixes that hold every target the namespaces' mapping rules can give."""
    prefixes = set()
    for namespace in namespaces:
        for rule in compile_rules(namespace.get("mapping") or []):
            prefixes.add(static_prefix(rule.target))
    kept = []
    for prefix in sorted(prefixes):
        if not any(prefix.startswith(shorter) for shorter in kept):
            kept.append(prefix)
    return kept


def asm_name_prefixes(namespaces, extra_prefixes=()):
    """ASM ListSecrets name filter values: every prefix and name the namespaces (and the inventory) select."""
    values = set(extra_prefixes or [])
    for namespace in namespaces:
        values.update(namespace.get("prefixes") or [])
        values.update(namespace.get("names") or [])
    return sorted(values)


def listing_digest(items, key):
    """{count, digest} of a listing, independent of its order."""
    ordered = sorted((stable(item) for item in items), key=lambda item: str(item.get(key)))
    return {"count": len(ordered), "digest": digest(ordered)}


def named_digests(items, key="name"):
    """{name: digest} of named objects."""
    return dict((str(item.get(key)), digest(item)) for item in items)


def differences(record, current):
    """Why the current state is not the recorded one: one line per differing part ([] when equal).

    ``record`` is the stored document (None when there is none); ``current`` has the same ``parts``.
    """
    if record is None:
        return ["no state record yet: the region has not completed a full run since records began"]
    if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT or not isinstance(record.get("parts"), dict):
        return ["the state record has another format (format %r; this collection writes %d)"
                % (record.get("format") if isinstance(record, dict) else None, RECORD_FORMAT)]
    reasons = []
    recorded = record["parts"]
    for part in PARTS:
        then, now = recorded.get(part), current["parts"].get(part)
        if then == now:
            continue
        reasons.append("%s changed%s" % (PART_NAMES[part], _detail(then, now)))
    return reasons


def _detail(then, now):
    if isinstance(then, dict) and isinstance(now, dict) and "count" in now and "digest" in now:
        if then.get("count") != now.get("count"):
            return " (%s then, %s now)" % (then.get("count"), now["count"])
        return " (same count, other content)"
    if isinstance(then, dict) and isinstance(now, dict):
        names = sorted(name for name in set(then) | set(now) if then.get(name) != now.get(name))
        return ": " + ", ".join(names)
    return ""


def record_document(current, summary, recorded_at, job=None, collection_version=None):
    """The document stored in ScaiVault: digests only, and the run's summary (names and counts, never values)."""
    return {
        "format": RECORD_FORMAT,
        "parts": current["parts"],
        "recorded_at": recorded_at,
        "job": job or "",
        "collection_version": collection_version,
        "summary": summary or {},
    }
