# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit log: one row per secret access, written in the same transaction as the access."""

import json
import secrets

from .timeutil import iso, utcnow

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    action TEXT NOT NULL,
    identity_type TEXT,
    identity_id TEXT,
    secret_path TEXT,
    source_ip TEXT,
    user_agent TEXT,
    success INTEGER NOT NULL,
    duration_ms REAL,
    request_id TEXT,
    extra_data TEXT
);
CREATE INDEX IF NOT EXISTS audit_by_tenant ON audit_logs (tenant_id, seq);
"""

# Query filters that compare a column for equality: (query parameter, column).
_EXACT_FILTERS = (("identity_id", "identity_id"), ("identity_type", "identity_type"),
                  ("source_ip", "source_ip"), ("request_id", "request_id"))


class AuditLog:
    def __init__(self, db):
        db.register_schema(_SCHEMA, wiped_tables=("audit_logs",))

    @staticmethod
    def record(conn, request, action, secret_path, success, extra=None):
        """Append one row for ``request`` (marks it audited so the app does not add a second)."""
        identity = request.identity
        conn.execute(
            "INSERT INTO audit_logs (id, tenant_id, timestamp, action, identity_type, identity_id, secret_path,"
            " source_ip, user_agent, success, duration_ms, request_id, extra_data) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            ("log_" + secrets.token_hex(12), request.tenant_id, iso(utcnow()), action,
             identity.identity_type if identity else None, identity.identity_id if identity else None,
             secret_path, request.client_ip, request.user_agent, int(bool(success)), request.elapsed_ms(),
             request.request_id, json.dumps(extra or {}, separators=(",", ":"))))
        request.audited = True

    @staticmethod
    def query(conn, tenant_id, filters, before_seq, limit):
        """Newest first. ``filters``: actions (list), path_prefix, from/to (ISO text), success, exact ones."""
        where, args = ["tenant_id = ?"], [tenant_id]
        if before_seq is not None:
            where.append("seq < ?")
            args.append(before_seq)
        if filters.get("actions"):
            where.append("action IN (%s)" % ",".join("?" * len(filters["actions"])))
            args.extend(filters["actions"])
        if filters.get("path_prefix"):
            # substr() instead of LIKE: secret paths contain '_', a LIKE wildcard.
            where.append("substr(secret_path, 1, ?) = ?")
            args.extend((len(filters["path_prefix"]), filters["path_prefix"]))
        for key, operator in (("from", ">="), ("to", "<=")):
            if filters.get(key):
                where.append("timestamp %s ?" % operator)
                args.append(filters[key])
        if filters.get("success") is not None:
            where.append("success = ?")
            args.append(int(filters["success"]))
        for key, column in _EXACT_FILTERS:
            if filters.get(key):
                where.append("%s = ?" % column)
                args.append(filters[key])
        sql = "SELECT * FROM audit_logs WHERE %s ORDER BY seq DESC LIMIT ?" % " AND ".join(where)
        return conn.execute(sql, args + [limit]).fetchall()


def row_to_log(row):
    return {
        "id": row["id"], "timestamp": row["timestamp"], "action": row["action"],
        "identity_type": row["identity_type"], "identity_id": row["identity_id"], "secret_path": row["secret_path"],
        "source_ip": row["source_ip"], "user_agent": row["user_agent"], "success": bool(row["success"]),
        "duration_ms": row["duration_ms"], "request_id": row["request_id"], "extra_data": json.loads(row["extra_data"] or "{}"),
    }
