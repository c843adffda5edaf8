# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit summaries (per secret, per identity, tenant-wide) and audit export.

Docs: https://www.scailabs.ai/en/docs/scaivault/reference/audit,
https://www.scailabs.ai/en/docs/scaivault/api-guides/audit-logs

[doc] ``GET /v1/audit/secrets/{path}``: the secret's trail with a 30-day summary; ``GET
/v1/audit/identities/{identity_id}``: an identity's trail with a summary; ``GET /v1/audit/summary?from&to``:
``{total_events, successful_events, ...}``; export: formats ``jsonl`` | ``csv``, destinations ``s3`` |
``gcs`` | ``azure_blob`` with credentials from a ScaiVault secret, asynchronous, poll until
``status: "completed"``, then a manifest lists the written files; audit row ``export_created``.
Scopes ``audit:read`` (queries) and ``audit:export`` (export).

Decided here ([assumed], docs/scaivault-contract.md): the summary answers
``{path, from, to, summary: {total_events, reads, failed, unique_identities, last_read_at,
identities: [{identity_id, identity_type, reads, failed, last_read_at}], by_action}, logs: [newest rows]}``
(``from``/``to`` query parameters move the 30-day window, ``limit`` caps ``logs``, default 100);
the identity trail ``{identity_id, from, to, summary: {total_events, by_action, paths}, logs}``;
``POST /v1/audit/export {format, destination: {type, bucket, prefix?, credentials_path?}, filters:
{from, to, action, path_prefix, identity_id}}`` -> ``202 {id: exp_..., status: "pending"}``;
``GET /v1/audit/exports/{id}`` -> ``{id, status: pending|running|completed|failed, format, destination,
row_count, manifest: {files: [{key, rows, bytes, sha256}]}, created_at, completed_at}``.

This server writes "the bucket" into a local directory: ``$SCAIVAULT_DEV_EXPORT_DIR`` or
``<data-dir>/audit-exports``, as ``<dir>/<bucket>/<prefix>/<export id>/audit-000.<format>``.
"""

import csv
import datetime
import hashlib
import io
import json
import os
import secrets
import threading

from .audit import row_to_log
from .audit_api import _filters
from .errors import ApiError, validation_error
from .http_types import Response
from .pagination import parse_limit
from .timeutil import iso, parse_iso, utcnow

EXPORT_DIR_ENV = "SCAIVAULT_DEV_EXPORT_DIR"
FORMATS = ("jsonl", "csv")
DESTINATIONS = ("s3", "gcs", "azure_blob")
SUMMARY_DAYS = 30
CSV_COLUMNS = ("id", "timestamp", "action", "identity_type", "identity_id", "secret_path", "source_ip", "user_agent",
               "success", "duration_ms", "request_id", "extra_data")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_exports (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
"""


def _window(request):
    now = utcnow()
    bounds = {}
    for name, default in (("from", now - datetime.timedelta(days=SUMMARY_DAYS)), ("to", now)):
        text = request.arg(name)
        try:
            bounds[name] = iso(parse_iso(text)) if text else iso(default)
        except ValueError:
            raise validation_error("%s must be an ISO-8601 timestamp (got %r)" % (name, text), name) from None
    return bounds["from"], bounds["to"]


def _rows(conn, tenant_id, where, args, start, end):
    return conn.execute("SELECT * FROM audit_logs WHERE tenant_id = ? AND %s AND timestamp >= ? AND timestamp <= ?"
                        " ORDER BY seq DESC" % where, [tenant_id] + list(args) + [start, end]).fetchall()


def _by_action(rows):
    counts = {}
    for row in rows:
        counts[row["action"]] = counts.get(row["action"], 0) + 1
    return counts


def secret_summary(rows):
    """The per-secret summary of audit rows (newest first)."""
    identities = {}
    reads = [row for row in rows if row["action"] == "read"]
    for row in reads:
        entry = identities.setdefault(row["identity_id"], {"identity_id": row["identity_id"],
                                                           "identity_type": row["identity_type"], "reads": 0, "failed": 0,
                                                           "last_read_at": row["timestamp"]})
        entry["reads"] += 1
        entry["failed"] += 0 if row["success"] else 1
    return {"total_events": len(rows), "reads": len(reads), "failed": sum(1 for row in rows if not row["success"]),
            "unique_identities": len(identities), "last_read_at": reads[0]["timestamp"] if reads else None,
            "identities": sorted(identities.values(), key=lambda item: item["identity_id"] or ""),
            "by_action": _by_action(rows)}


def _destination(value):
    if not isinstance(value, dict) or value.get("type") not in DESTINATIONS:
        raise validation_error("destination.type must be one of %s" % ", ".join(DESTINATIONS), "destination.type")
    bucket = value.get("bucket")
    if not isinstance(bucket, str) or not bucket or "/" in bucket or bucket.startswith("."):
        raise validation_error("destination.bucket must be a bucket name", "destination.bucket")
    prefix = value.get("prefix") or ""
    if not isinstance(prefix, str) or ".." in prefix.split("/") or prefix.startswith("/"):
        raise validation_error("destination.prefix must be a relative key prefix", "destination.prefix")
    destination = {"type": value["type"], "bucket": bucket, "prefix": prefix.strip("/")}
    if value.get("credentials_path") is not None:
        destination["credentials_path"] = value["credentials_path"]
    return destination


def _render(rows, fmt):
    logs = [row_to_log(row) for row in rows]
    if fmt == "jsonl":
        return "".join(json.dumps(log, sort_keys=True, separators=(",", ":")) + "\n" for log in logs).encode("utf-8")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for log in logs:
        writer.writerow([json.dumps(log[column], sort_keys=True) if column == "extra_data" else log[column]
                         for column in CSV_COLUMNS])
    return out.getvalue().encode("utf-8")


class _Args:
    """The export's ``filters`` object read like the query string of ``GET /v1/audit/logs``."""

    def __init__(self, filters):
        self._filters = {key: str(value) for key, value in filters.items() if value is not None}

    def arg(self, name, default=None):
        return self._filters.get(name, default)


class AuditEvidenceApi:
    def __init__(self, app):
        self.app = app
        self.db = app.db
        self.export_dir = os.environ.get(EXPORT_DIR_ENV) or os.path.join(os.path.dirname(app.db.path), "audit-exports")
        app.db.register_schema(_SCHEMA, wiped_tables=("audit_exports",))

    def secret(self, request):
        path = request.params["path"]
        start, end = _window(request)
        limit = parse_limit(request, default=100, maximum=1000)
        with self.db.reading() as conn:
            rows = _rows(conn, request.tenant_id, "secret_path = ?", [path], start, end)
        return Response(200, {"path": path, "from": start, "to": end, "summary": secret_summary(rows),
                              "logs": [row_to_log(row) for row in rows[:limit]]})

    def identity(self, request):
        identity_id = request.params["identity_id"]
        start, end = _window(request)
        limit = parse_limit(request, default=100, maximum=1000)
        with self.db.reading() as conn:
            rows = _rows(conn, request.tenant_id, "identity_id = ?", [identity_id], start, end)
        paths = sorted({row["secret_path"] for row in rows if row["secret_path"]})
        return Response(200, {"identity_id": identity_id, "from": start, "to": end,
                              "summary": {"total_events": len(rows), "by_action": _by_action(rows), "paths": paths},
                              "logs": [row_to_log(row) for row in rows[:limit]]})

    def summary(self, request):
        start, end = _window(request)
        with self.db.reading() as conn:
            rows = _rows(conn, request.tenant_id, "1 = 1", [], start, end)
        ok = sum(1 for row in rows if row["success"])
        return Response(200, {"from": start, "to": end, "total_events": len(rows), "successful_events": ok,
                              "failed_events": len(rows) - ok, "by_action": _by_action(rows),
                              "unique_identities": len({row["identity_id"] for row in rows}),
                              "unique_paths": len({row["secret_path"] for row in rows if row["secret_path"]})})

    def export(self, request):
        body = request.json_object()
        fmt = body.get("format", "jsonl")
        if fmt not in FORMATS:
            raise validation_error("format must be one of %s" % ", ".join(FORMATS), "format")
        destination = _destination(body.get("destination"))
        filters = body.get("filters") or {}
        if not isinstance(filters, dict):
            raise validation_error("filters must be an object", "filters")
        parsed = _filters(_Args(filters))
        job = {"id": "exp_" + secrets.token_hex(8), "status": "pending", "format": fmt, "destination": destination,
               "filters": filters, "row_count": None, "manifest": None, "error": None, "created_at": iso(utcnow()),
               "completed_at": None}
        with self.db.transaction() as conn:
            if destination.get("credentials_path"):
                found = conn.execute("SELECT 1 FROM secrets WHERE tenant_id = ? AND path = ? AND deleted_at IS NULL",
                                     (request.tenant_id, destination["credentials_path"])).fetchone()
                if not found:
                    raise ApiError(400, "invalid_config", "destination.credentials_path %s is not a secret" % (
                        destination["credentials_path"]), {"fields": ["destination.credentials_path"]})
            self._store(conn, request.tenant_id, job)
            self.app.audit.record(conn, request, "export_created", None, True, {"export_id": job["id"], "format": fmt})
        answer = {"id": job["id"], "export_id": job["id"], "status": job["status"]}  # before the thread changes job
        threading.Thread(target=self._run, args=(request.tenant_id, dict(job), parsed), daemon=True).start()
        return Response(202, answer)

    @staticmethod
    def _store(conn, tenant_id, job):
        conn.execute("INSERT OR REPLACE INTO audit_exports VALUES (?,?,?)", (tenant_id, job["id"], json.dumps(job)))

    def _run(self, tenant_id, job, filters):
        try:
            with self.db.reading() as conn:
                rows = self.app.audit.query(conn, tenant_id, filters, None, 10 ** 9)
            rows = list(reversed(rows))  # oldest first in the archive
            payload = _render(rows, job["format"])
            destination = job["destination"]
            key = "/".join(part for part in (destination["prefix"], job["id"], "audit-000." + job["format"]) if part)
            target = os.path.join(self.export_dir, destination["bucket"], *key.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as handle:
                handle.write(payload)
            job.update(status="completed", row_count=len(rows), completed_at=iso(utcnow()), manifest={"files": [
                {"key": key, "rows": len(rows), "bytes": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}]})
        except Exception as exc:  # pylint: disable=broad-except
            job.update(status="failed", error=type(exc).__name__, completed_at=iso(utcnow()))
        with self.db.transaction() as conn:
            self._store(conn, tenant_id, job)

    def export_status(self, request):
        with self.db.reading() as conn:
            row = conn.execute("SELECT body FROM audit_exports WHERE tenant_id = ? AND id = ?",
                               (request.tenant_id, request.params["id"])).fetchone()
        if row is None:
            raise ApiError(404, "export_not_found", "audit export %s not found" % request.params["id"], {"id": request.params["id"]})
        return Response(200, json.loads(row[0]))

    def register(self, router):
        read = dict(scope="audit:read", category="audit")
        router.add("GET", "/v1/audit/secrets/{path:path}", self.secret, **read)
        router.add("GET", "/v1/audit/identities/{identity_id}", self.identity, **read)
        router.add("GET", "/v1/audit/summary", self.summary, **read)
        router.add("POST", "/v1/audit/export", self.export, scope="audit:export", category="audit_export")
        router.add("GET", "/v1/audit/exports/{id}", self.export_status, scope="audit:export", category="audit_export")


def register(app):
    api = AuditEvidenceApi(app)
    api.register(app.router)
    return api
