# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Read a region's state (what the runbook's changing phases read) and its record in ScaiVault.

See _plan/region_state.py for what is compared and why. Reads only, except ``write_record``.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import ScaiVaultUnknownOutcome
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.version import COLLECTION_VERSION
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan import region_state as plan
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.resources import PAGE_SIZE, ROTATION_POLICIES, WEBHOOKS
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.run_lock import read_lock

# ASM accepts at most 10 values per ListSecrets filter.
ASM_FILTER_VALUES = 10
RECORD_METADATA = {
    "description": "State record of the scailabs.scaivault runbook for one ASM region: digests and counts only, "
                   "no secret value. Deleting it makes the next run a full one.",
    "owner": "scailabs.scaivault",
}


def read_record(client, path):
    """The stored record document, or None when there is none."""
    found = client.get_secret(path)
    if found is None:
        return None
    return found.get("data")


def lock_holder(asm, lock_name):
    """The run lock's holder when another run holds it, else None (a lock released with recovery is free)."""
    lock = read_lock(asm, lock_name)
    if not lock or lock["pending_deletion"]:
        return None
    return lock["holder"] or lock_name


def _asm_listing(asm, prefixes, skip_names):
    if not prefixes:
        chunks = [None]
    else:
        chunks = [prefixes[start:start + ASM_FILTER_VALUES] for start in range(0, len(prefixes), ASM_FILTER_VALUES)]
    entries = {}
    for chunk in chunks:
        filters = [{"Key": "name", "Values": chunk}] if chunk else None
        for entry in asm.list_secrets(filters=filters, include_planned_deletion=True):
            if entry.get("Name") not in skip_names:
                entries[entry.get("ARN") or entry.get("Name")] = entry
    return list(entries.values())


def _target_listing(client, prefixes, skip_paths):
    items = {}
    for prefix in prefixes:
        for item in client.list_secrets(prefix=prefix or None):
            if isinstance(item, dict) and item.get("path") not in skip_paths:
                items[item.get("path")] = item
    return list(items.values())


def _named(client, collection, names):
    if not names:
        return {}
    wanted = set(names)
    found = [item for item in client.paginate(collection, {"limit": PAGE_SIZE})
             if isinstance(item, dict) and item.get("name") in wanted]
    digests = plan.named_digests(found)
    for name in wanted - set(digests):
        digests[name] = "absent"
    return digests


def _credentials(client, credentials):
    """{path: digest of the object without data, and whether its data equals the given credentials}."""
    if not credentials or not credentials.get("path") or not credentials.get("data"):
        return {}
    path = credentials["path"]
    found = client.get_secret(path)
    if found is None:
        return {path: "absent"}
    same = found.get("data") == credentials["data"]
    return {path: plan.digest(dict((key, value) for key, value in found.items() if key != "data"))
            + (":same" if same else ":differs")}


def _backends(client, region, backend_name):
    found = [item for item in client.list_backends()
             if item.get("name") == backend_name or (item.get("config") or {}).get("region") == region]
    digests = plan.named_digests(found)
    if backend_name and backend_name not in digests:
        digests[backend_name] = "absent"
    return digests


def read_current(asm, client, spec):
    """{parts: {part: digest(s)}} of what the changing phases read now; see _plan/region_state.PARTS."""
    parts = {"inputs": plan.digest({"inputs": spec["inputs"], "collection_version": COLLECTION_VERSION,
                                    "format": plan.RECORD_FORMAT})}
    asm_prefixes = plan.asm_name_prefixes(spec["namespaces"], spec.get("asm_prefixes"))
    parts["asm"] = plan.listing_digest(_asm_listing(asm, asm_prefixes, {spec["lock_name"]}), "ARN")
    targets = _target_listing(client, plan.target_prefixes(spec["namespaces"]), {spec["record_path"]})
    parts["targets"] = plan.listing_digest(targets, "path")
    parts["credentials"] = _credentials(client, spec.get("credentials"))
    parts["backends"] = _backends(client, spec["region"], spec.get("backend"))
    parts["rotation_policies"] = _named(client, ROTATION_POLICIES, spec.get("rotation_policies"))
    parts["webhooks"] = _named(client, WEBHOOKS, spec.get("webhooks"))
    return {"parts": parts}


def compare(asm, client, spec):
    """(reached, reasons, record): whether the region is where its last full run left it, and why not."""
    record = read_record(client, spec["record_path"])
    if record is None:
        # The first run of a region (or after the record was deleted): nothing else to read.
        return False, plan.differences(None, None), None
    holder = lock_holder(asm, spec["lock_name"])
    if holder is not None:
        return False, ["another run holds the run lock of this region (%s)" % holder], record
    reasons = plan.differences(record, read_current(asm, client, spec))
    return not reasons, reasons, record


def same_record(stored, document):
    """Records that differ only in when and by which job they were written are the same."""
    if not isinstance(stored, dict):
        return False
    keep = ("format", "parts", "summary", "collection_version")
    return all(stored.get(key) == document.get(key) for key in keep)


def write_record(client, path, document, check_mode=False):
    """Store the record unless an equal one is there; (changed, previous record).

    After an unknown outcome the record is read back: written when it is there, an error otherwise (never sent
    twice blindly).
    """
    stored = read_record(client, path)
    if same_record(stored, document):
        return False, stored
    if check_mode:
        return True, stored
    try:
        client.put_secret(path, document, secret_type="json", metadata=RECORD_METADATA)
    except ScaiVaultUnknownOutcome:
        if not same_record(read_record(client, path), document):
            raise
    return True, stored
