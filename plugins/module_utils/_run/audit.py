# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Paging ScaiVault's audit rows of a window into an AuditSummary (the summary itself is _plan/audit.py).

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.audit import AuditSummary, iso_z, query_plan


def collect_reads(client, paths=None, path_prefix=None, start=None, end=None, actions=("read",),
                  exclude=(), include_failed=True, page_size=1000):
    """Page through the audit rows of the window: (AuditSummary, number of queries).

    client is anything with audit_logs(**filters) yielding rows (the ScaiVault client).
    """
    summary = AuditSummary(paths=paths, path_prefix=path_prefix, exclude_identities=exclude, actions=actions,
                           include_failed=include_failed)
    prefixes = [prefix for prefix, _group in query_plan(paths)] if paths is not None else [path_prefix]
    filters = {"action": ",".join(actions) if actions else None, "from": iso_z(start), "to": iso_z(end),
               "limit": page_size}
    if not include_failed:
        filters["success"] = "true"
    for prefix in prefixes:
        for row in client.audit_logs(path_prefix=prefix, **filters):
            summary.add(row)
    return summary, len(prefixes)
