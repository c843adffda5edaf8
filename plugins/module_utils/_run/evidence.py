# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Audit evidence before deletion: who read which paths (per-secret summaries or paged rows) and an audit export.

The per-secret summary costs one request per path whatever the traffic; paging raw rows costs one request per
parent folder and per 1000 rows. ``method=auto`` takes the cheaper of the two per folder (see reads_per_path) and
pages for the rest of the run once the tenant's summary lacks per-identity counts ([assumed] shape,
_clients/audit_evidence.py).

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients import audit_evidence as api
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.audit import AuditSummary, iso_z, query_plan
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.audit import collect_reads
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.reports import module_reports, parse_mode

METHODS = ("auto", "summary", "logs")
ROUTE_MISSING = (404, 405, 501)
PAGE_SIZE = 1000
# The export suboptions of the modules that keep evidence (scaivault_audit_evidence, asm_cleanup).
EXPORT_OPTIONS = dict(
    format=dict(type="str", default="jsonl", choices=["jsonl", "csv"]),
    type=dict(type="str", default="s3", choices=["s3", "gcs", "azure_blob"]),
    bucket=dict(type="str", required=True),
    prefix=dict(type="str"),
    credentials_path=dict(type="str"),
    wait=dict(type="int", default=60),
)


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
    """({path: reads entry}, the method used). Failed attempts count: a consumer still trying is a consumer.

    ``auto``: first one page of rows under the paths' common folder (quiet paths: one request for all of them);
    when that folder is busy, per parent folder - a path alone in its folder costs one request either way and takes
    the summary (exact, never paged); paths sharing a folder take one page of rows for the folder, and only when
    that page says there is more their summaries instead of the next pages. A tenant without the summary shape is
    paged.
    """
    paths = sorted(set(paths))
    exclude = set(exclude)
    if method == "logs":
        return _paged(client, paths, start, end, exclude), "logs"
    if method == "summary":
        result = {}
        for path in paths:
            readers, missing = _summary_of(client, path, start, end)
            if missing:
                raise ScaiVaultError("GET /v1/audit/secrets/%s answered %s: this ScaiVault has no per-secret audit "
                                     "summary, which the collection assumed (docs/scaivault-contract.md, item 31); use "
                                     "the logs or auto method" % (path, missing),
                                     code="contract_mismatch", status=missing, path=path)
            if readers is None:
                raise ScaiVaultError("GET /v1/audit/secrets/%s answered without per-identity read counts, which the "
                                     "collection assumed (docs/scaivault-contract.md); use the logs method" % path,
                                     code="contract_mismatch", path=path)
            result[path] = per_path_from_summary(readers, exclude)
        return result, "summary"
    return _auto(client, paths, start, end, exclude)


def _summary_of(client, path, start, end):
    """(the path's per-identity counts or None, the status that says the tenant has no summary route or None)."""
    try:
        return api.secret_summary(client, path, iso_z(start), iso_z(end)), None
    except ScaiVaultError as exc:
        if exc.status not in ROUTE_MISSING:
            raise
        return None, exc.status


def _paged(client, paths, start, end, exclude):
    summary, _queries = collect_reads(client, paths=paths, start=start, end=end, exclude=exclude)
    return summary.per_path()


def _summaries(client, paths, start, end, exclude):
    """{path: entry} from the per-secret summaries, or None when the tenant has no usable summary."""
    result = {}
    for path in paths:
        readers, _missing = _summary_of(client, path, start, end)
        if readers is None:
            return None
        result[path] = per_path_from_summary(readers, exclude)
    return result


def _auto(client, paths, start, end, exclude):
    # Cleanup looks at paths that should be quiet: one page of rows under their common folder usually answers for
    # all of them at once.
    shared = common_prefix(paths)
    if shared and len(paths) > 1:
        found, _busy = _first_page(client, shared, paths, start, end, exclude)
        if found is not None:
            return found, "logs"
    result, used = {}, set()
    usable = True  # the tenant's summaries, until an answer says they lack per-identity counts
    for prefix, group in query_plan(paths):
        found, how = None, "summary"
        if len(group) == 1 and usable:
            found = _summaries(client, group, start, end, exclude)
            usable = found is not None
        if found is None:
            found, busy = _first_page(client, prefix, group, start, end, exclude)
            how = "logs"
            if busy and usable:
                found = _summaries(client, group, start, end, exclude)
                usable, how = found is not None, "summary"
            if found is None:
                found, how = _paged(client, group, start, end, exclude), "logs"
        used.add(how)
        result.update(found)
    return result, "+".join(sorted(used)) or "logs"


def _first_page(client, prefix, group, start, end, exclude):
    """({path: entry} from one page of the folder's rows, or None when there are more pages; whether it is busy)."""
    params = {"action": "read", "path_prefix": prefix, "from": iso_z(start), "to": iso_z(end), "limit": PAGE_SIZE}
    body = client.request("GET", "/audit/logs", params=params).body
    rows = body.get("logs") if isinstance(body, dict) else None
    if not isinstance(rows, list) or body.get("has_more") is not False:
        return None, isinstance(rows, list)
    summary = AuditSummary(paths=group, exclude_identities=exclude, actions=("read",), include_failed=True)
    for row in rows:
        if isinstance(row, dict):
            summary.add(row)
    return summary.per_path(), False


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
    shown = dict((key, destination[key]) for key in ("type", "bucket", "prefix") if destination.get(key) is not None)
    status.update(format=fmt, destination=shown, filters=filters)
    return status


def export_evidence(client, wanted, paths, start, end, path_prefix=None):
    """The export of the window's read rows under the paths' common folder; ScaiVaultError unless it completed."""
    destination = dict((key, wanted[key]) for key in ("type", "bucket", "prefix", "credentials_path")
                       if wanted.get(key) is not None)
    export = export_reads(client, wanted["format"], destination, path_prefix if path_prefix is not None else
                          common_prefix(paths), start, end, wanted["wait"])
    if export["status"] != "completed":
        raise ScaiVaultError("audit export %s is %s after %d s: the evidence is incomplete; wait longer (export.wait) "
                             "or check the destination" % (export["id"], export["status"], wanted["wait"]),
                             code="export_incomplete")
    return export


def keep_evidence(client, spec, data, paths, start, end):
    """asm_cleanup's evidence: the export (when asked and something was read through ScaiVault), then the file."""
    export = export_evidence(client, spec["export"], paths, start, end) if spec.get("export") and paths else {}
    written = module_reports({"json": spec["file"]}, dict(data, export=export), None, False,
                             parse_mode(spec.get("mode") or "0600", "evidence.mode"))
    return {"file": written.get("json", {}), "export": export}
