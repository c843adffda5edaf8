# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Listing the ASM secrets a task selects (the plan is _plan/selection.py).

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.selection import (
    SelectionError, check_filters, name_filter_chunks, requested_names, select_entries)


def list_scope(asm, region, names=None, prefixes=None, filters=None, include_planned_deletion=False):
    """Every SecretListEntry in scope, as ListSecrets returned them (datetimes parsed), and missing names.

    filters only: ceil(N/100) ListSecrets calls for N matches. With names or prefixes: one paginated
    ListSecrets per 10 of them (name filters are prefix matches, so entries a name did not ask for
    are dropped here); the user's filters are ANDed in. Raises SelectionError for options that conflict.
    """
    api_filters = check_filters(filters)
    prefixes = list(dict.fromkeys(prefixes or []))
    if not names and not prefixes:
        return list(asm.list_secrets(filters=api_filters, include_planned_deletion=include_planned_deletion)), []
    if any(item["Key"] == "name" for item in api_filters):
        raise SelectionError("names/prefixes and a 'name' filter cannot be combined (ASM would AND two name "
                             "prefixes); use either names/prefixes or the name filter")
    requested = requested_names(names, region)
    # Names and prefixes are both name-prefix values: ASM ORs up to 10 of them in one filter.
    chunks = name_filter_chunks(requested + [(prefix, prefix) for prefix in prefixes])
    entries, seen = [], set()
    for chunk in chunks:
        for entry in asm.list_secrets(filters=[{"Key": "name", "Values": chunk}] + api_filters,
                                      include_planned_deletion=include_planned_deletion):
            if entry.get("ARN") not in seen:
                seen.add(entry.get("ARN"))
                entries.append(entry)
    named, missing = select_entries(entries, requested)
    named_arns = set(entry.get("ARN") for entry in named)
    chosen = [entry for entry in entries
              if entry.get("ARN") in named_arns or any((entry.get("Name") or "").startswith(p) for p in prefixes)]
    return chosen, missing
