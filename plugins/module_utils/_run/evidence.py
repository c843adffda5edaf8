# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Audit evidence before deletion: who read which paths (per-secret summaries or paged rows) and an audit export.

The per-secret summary costs one request per path whatever the traffic; paging raw rows costs one request per
parent folder and per 1000 rows. ``method=auto`` asks the summary and falls back to paging for the rest of the
run when the tenant's answer has no per-identity counts ([assumed] shape, _clients/audit_evidence.py).

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients import audit_evidence as api
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.audit import iso_z
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.audit import collect_reads

METHODS = ("auto", "summary", "logs")
ROUTE_MISSING = (404, 405, 501)


def per_path_from_summary(readers, exclude):
    """A summary's {identity: counts} in the per-path form of AuditSummary.per_path()."""
    entry = {"reads": 0, "failed_reads": 0, "excluded_reads": 0, "last_read": None, "last_reader": None, "by_identity": {}}
    for identity, counts in sorted(readers.items()):
        if identity in exclude:
            entry["excluded_reads"] += counts["reads"]
            continue
        entry["reads"] += counts["reads"]
        entry["failed_reads"] += counts["failed"]
        entry["by_identity"][identity] = counts["reads"]
        if counts["last_read_at"] and (entry["last_read"] is None or counts["last_read_at"] > entry["last_read"]):
            entry["last_read"], entry["last_reader"] = counts["last_read_at"], identity
    entry["readers"] = sorted(entry["by_identity"])
    return entry


def reads_per_path(client, paths, start, end, exclude, method):
    """({path: reads entry}, the method used). Failed attempts count: a consumer still trying is a consumer."""
    exclude = set(exclude)
    if method in ("auto", "summary"):
        result = {}
        for path in sorted(set(paths)):
            try:
                readers = api.secret_summary(client, path, iso_z(start), iso_z(end))
            except ScaiVaultError as exc:
                if method == "summary" or exc.status not in ROUTE_MISSING:
                    raise
                readers = None  # no summary endpoint on this tenant: page the rows instead
            if readers is None:
                if method == "summary":
                    raise ScaiVaultError("GET /v1/audit/secrets/%s answered without per-identity read counts, which the "
                                         "collection assumed (docs/scaivault-contract.md); use method=logs" % path,
                                         code="contract_mismatch", path=path)
                break
            result[path] = per_path_from_summary(readers, exclude)
        else:
            return result, "summary"
    summary, _queries = collect_reads(client, paths=sorted(set(paths)), start=start, end=end, exclude=exclude)
    return summary.per_path(), "logs"


def common_prefix(paths):
    """The longest folder prefix shared by every path ('' when none): what one export filters on."""
    parts = [path.split("/")[:-1] for path in paths]
    shared = []
    for segments in zip(*parts) if parts else ():
        if len(set(segments)) != 1:
            break
        shared.append(segments[0])
    return "/".join(shared) + "/" if shared else ""


def export_reads(client, fmt, destination, path_prefix, start, end, wait_seconds):
    """Request an export of the window's read rows under path_prefix and wait for it (bounded)."""
    filters = {"action": "read", "from": iso_z(start), "to": iso_z(end)}
    if path_prefix:
        filters["path_prefix"] = path_prefix
    export_id = api.start_export(client, fmt, destination, filters)
    status = api.wait_export(client, export_id, wait_seconds)
    status.update(format=fmt, destination=dict((key, destination[key]) for key in ("type", "bucket", "prefix")
                                                if destination.get(key) is not None), filters=filters)
    return status
