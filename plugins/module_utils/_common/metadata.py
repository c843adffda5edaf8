# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Metadata semantics for ScaiVault secrets, and value-free views for diff mode and results.

Metadata options follow "unset means leave alone":
  description, owner   None leaves the stored value; any string (even '') replaces it.
  tags                 None leaves the stored tags. With purge_tags (the default) the stored
                       tags become exactly the given ones; the comparison is as sets (order
                       and repeats do not count), and on a real change the user's order is
                       stored, repeats removed. Without purge_tags the given tags are added:
                       stored order first, then the new ones in the user's order.
  custom               {key: value}: each given key is replaced as a whole (compared
                       structurally, see _encoding.values_equal); keys not given are kept.
                       None as a value stores JSON null; no option removes a key.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.encoding import values_equal
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.fingerprint import data_fingerprints

RESERVED_METADATA_KEYS = ("description", "owner", "tags")
MASKED_FIELDS = ("path", "version", "secret_type", "metadata")


def _unique(items):
    """Return items without repeats, first occurrence kept, order kept."""
    seen = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def _checked_tags(tags):
    if not isinstance(tags, (list, tuple)):
        raise ValueError("tags must be a list of strings, got %s" % type(tags).__name__)
    for tag in tags:
        if not isinstance(tag, str):
            raise ValueError(
                "tag %r is not a string (got %s), but ScaiVault tags are bare strings; quote it (for example '%s')"
                % (tag, type(tag).__name__, tag))
    return _unique(tags)


def _wanted_tags(current, given, purge_tags):
    """Return the tag list to store, or None when the stored tags already satisfy the request."""
    if purge_tags:
        return None if set(current) == set(given) else given
    added = [tag for tag in given if tag not in current]
    return list(current) + added if added else None


def desired_metadata(current_metadata, description=None, owner=None, tags=None, purge_tags=True, custom=None):
    """Return (merged metadata, sorted names of the fields that change); see the module docstring."""
    merged = copy.deepcopy(current_metadata) if current_metadata else {}
    changed = []
    for field, value in (("description", description), ("owner", owner)):
        if value is None:
            continue
        if not isinstance(value, str):
            raise ValueError("%s must be a string, got %s" % (field, type(value).__name__))
        if merged.get(field) != value:
            merged[field] = value
            changed.append(field)
    if tags is not None:
        wanted = _wanted_tags(merged.get("tags") or [], _checked_tags(tags), purge_tags)
        if wanted is not None:
            merged["tags"] = wanted
            changed.append("tags")
    for key, value in (custom or {}).items():
        if key in RESERVED_METADATA_KEYS:
            raise ValueError(
                "custom metadata key %r is reserved; set it with the %s option instead" % (key, key))
        if key not in merged or not values_equal(merged[key], value):
            merged[key] = copy.deepcopy(value)
            changed.append(key)
    return merged, sorted(changed)


def masked_secret_view(secret_obj, salt):
    """Return path, version, secret_type, metadata and per-key data fingerprints of a secret object."""
    if not secret_obj:
        return {}
    view = dict((field, copy.deepcopy(secret_obj[field])) for field in MASKED_FIELDS if field in secret_obj)
    if secret_obj.get("data") is not None:
        view["data"] = data_fingerprints(secret_obj["data"], salt)
    return view
