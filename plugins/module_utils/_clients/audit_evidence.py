# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ScaiVault audit summaries and audit export, over a ScaiVaultClient.

FOR INTERNAL COLLECTION USE ONLY: no API promise, may change in any release.

[doc] (reference/audit, api-guides/audit-logs): ``GET /v1/audit/secrets/{path}`` (the secret's trail with a
30-day summary), ``GET /v1/audit/identities/{id}``, ``GET /v1/audit/summary``; export is asynchronous
(formats ``jsonl``/``csv``, destinations ``s3``/``gcs``/``azure_blob`` with credentials from a ScaiVault
secret), polled until ``status: completed``, when a manifest lists the files. Scopes ``audit:read`` and
``audit:export``.

[assumed] (docs/scaivault-contract.md): the summary is ``{summary: {reads, identities: [{identity_id, reads,
last_read_at}], ...}}`` and takes ``from``/``to``; when an answer has no per-identity counts, the caller falls
back to paging ``/v1/audit/logs`` (``summary_usable`` says which). Export: ``POST /v1/audit/export {format,
destination {type, bucket, prefix, credentials_path}, filters}`` -> ``{id | export_id, status}``,
``GET /v1/audit/exports/{id}`` -> ``{status, row_count, manifest {files [{key, rows, bytes, sha256}]}}``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients.scaivault import contract_error
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.untrusted import safe_token

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover
    from urllib import quote  # type: ignore

SECRET_SUMMARY_PATH = "/audit/secrets/"
EXPORT_PATH = "/audit/export"
EXPORTS_PATH = "/audit/exports/"
EXPORT_ID_KEYS = ("id", "export_id")
EXPORT_DONE = ("completed", "failed", "error", "cancelled")


def secret_summary(client, path, start=None, end=None):
    """{identity_id: {reads, failed, last_read_at}} of one secret's reads in the window, or None when the answer
    has no per-identity read counts ([assumed] shape: the caller then pages the raw rows instead)."""
    params = dict((key, value) for key, value in (("from", start), ("to", end)) if value)
    api_path = SECRET_SUMMARY_PATH + quote(path, safe="/")
    body = client.request("GET", api_path, params=params or None, secret_path=path).body
    summary = body.get("summary") if isinstance(body, dict) else None
    identities = summary.get("identities") if isinstance(summary, dict) else None
    if not isinstance(identities, list):
        return None
    readers = {}
    for item in identities:
        if not (isinstance(item, dict) and isinstance(item.get("identity_id"), str) and isinstance(item.get("reads"), int)):
            return None
        entry = readers.setdefault(item["identity_id"], {"reads": 0, "failed": 0, "last_read_at": None})
        entry["reads"] += item["reads"]
        entry["failed"] += item["failed"] if isinstance(item.get("failed"), int) else 0
        stamp = safe_token(item.get("last_read_at"))
        if stamp and (entry["last_read_at"] is None or stamp > entry["last_read_at"]):
            entry["last_read_at"] = stamp
    return readers


def start_export(client, fmt, destination, filters):
    """POST the export request; returns its id. Not resent blindly (a second request exports twice)."""
    response = client.request("POST", EXPORT_PATH, json_body={"format": fmt, "destination": destination,
                                                              "filters": filters}, idempotent=False)
    body = response.body if isinstance(response.body, dict) else {}
    export_id = next((safe_token(body.get(key)) for key in EXPORT_ID_KEYS if safe_token(body.get(key))), None)
    if not export_id:
        raise contract_error("POST", EXPORT_PATH, response, "an answer naming the export: {id | export_id, status}")
    return export_id


def export_status(client, export_id):
    """{id, status, row_count, files: [{key, rows, bytes, sha256}]} of an export."""
    api_path = EXPORTS_PATH + quote(export_id, safe="")
    response = client.request("GET", api_path)
    body = response.body if isinstance(response.body, dict) else {}
    status = body.get("status")
    if not isinstance(status, str):
        raise contract_error("GET", api_path, response, "an export object {status, manifest: {files: [...]}}")
    manifest = body.get("manifest") if isinstance(body.get("manifest"), dict) else {}
    files = [{"key": safe_token(item.get("key")), "rows": item.get("rows"), "bytes": item.get("bytes"),
              "sha256": safe_token(item.get("sha256"))}
             for item in manifest.get("files") or [] if isinstance(item, dict)]
    return {"id": export_id, "status": status.lower(), "row_count": body.get("row_count"), "files": files}


def wait_export(client, export_id, timeout, sleep=time.sleep, clock=time.time, interval=0.5):
    """Poll the export until it is done or ``timeout`` seconds passed; the last status either way."""
    deadline = clock() + timeout
    while True:
        status = export_status(client, export_id)
        if status["status"] in EXPORT_DONE or clock() >= deadline:
            return status
        sleep(interval)


def export_available(exc):
    """Whether an export failure means "no export on this tenant" (the caller writes summaries instead)."""
    return not (isinstance(exc, ScaiVaultError) and exc.status in (404, 405, 501))
