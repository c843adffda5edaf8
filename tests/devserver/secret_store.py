# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SQL for secrets: one head row per (tenant, path) plus one row per retained version."""

import json
from dataclasses import dataclass, field
from typing import Optional

_SCHEMA = """
CREATE TABLE IF NOT EXISTS secrets (
    tenant_id TEXT NOT NULL,
    path TEXT NOT NULL,
    secret_type TEXT NOT NULL,
    version INTEGER NOT NULL,
    metadata TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    expires_at TEXT,
    last_accessed_at TEXT,
    rotation_policy_id TEXT,
    max_versions INTEGER,
    deleted_at TEXT,
    PRIMARY KEY (tenant_id, path)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS secret_versions (
    tenant_id TEXT NOT NULL,
    path TEXT NOT NULL,
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, path, version)
) WITHOUT ROWID;
"""
_COLUMNS = ("tenant_id", "path", "secret_type", "version", "metadata", "created_at", "updated_at", "expires_at",
            "last_accessed_at", "rotation_policy_id", "max_versions", "deleted_at")


@dataclass(frozen=True)
class SecretRecord:
    """The head row: everything about a secret except its data."""

    tenant_id: str
    path: str
    secret_type: str
    version: int
    metadata: dict = field(default_factory=dict)
    created_at: Optional[str] = None
    updated_at: Optional[str] = None
    expires_at: Optional[str] = None
    last_accessed_at: Optional[str] = None
    rotation_policy_id: Optional[str] = None
    max_versions: Optional[int] = None
    deleted_at: Optional[str] = None

    def to_object(self, data=None, version=None, include_metadata=True):
        """The contract's secret object; ``data`` only where the caller may see it.

        No ``options`` field: the documented object (core-concepts/secrets) does not echo write options,
        so ``max_versions`` is kept in the head row but never shown (``/_dev/secrets`` shows it, out of band).
        """
        obj = {"path": self.path, "secret_type": self.secret_type, "version": version or self.version}
        if data is not None:
            obj["data"] = data
        if include_metadata:
            obj["metadata"] = self.metadata
        obj.update(created_at=self.created_at, updated_at=self.updated_at, expires_at=self.expires_at,
                   last_accessed_at=self.last_accessed_at, rotation_policy_id=self.rotation_policy_id)
        return obj


def _record(row):
    values = dict(zip(_COLUMNS, row))
    values["metadata"] = json.loads(values["metadata"])
    return SecretRecord(**values)


def _compact(value):
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


class SecretStore:
    """Stateless SQL helpers; every method runs on the caller's connection and transaction."""

    def __init__(self, db):
        db.register_schema(_SCHEMA, wiped_tables=("secret_versions", "secrets"))

    @staticmethod
    def head(conn, tenant_id, path):
        """The head row, soft-deleted or not; None if the path never existed (or was purged)."""
        row = conn.execute("SELECT %s FROM secrets WHERE tenant_id = ? AND path = ?" % ",".join(_COLUMNS),
                           (tenant_id, path)).fetchone()
        return _record(row) if row else None

    @staticmethod
    def data(conn, tenant_id, path, version):
        row = conn.execute("SELECT data FROM secret_versions WHERE tenant_id = ? AND path = ? AND version = ?",
                           (tenant_id, path, version)).fetchone()
        return json.loads(row[0]) if row else None

    @staticmethod
    def save(conn, record, data):
        """Store a new version (``record.version``) and prune what ``max_versions`` no longer keeps."""
        values = [getattr(record, column) for column in _COLUMNS]
        values[_COLUMNS.index("metadata")] = _compact(record.metadata)
        conn.execute("INSERT OR REPLACE INTO secrets (%s) VALUES (%s)" % (",".join(_COLUMNS), ",".join("?" * len(_COLUMNS))), values)
        conn.execute("INSERT OR REPLACE INTO secret_versions VALUES (?, ?, ?, ?, ?)",
                     (record.tenant_id, record.path, record.version, _compact(data), record.updated_at))
        if record.max_versions:
            conn.execute("DELETE FROM secret_versions WHERE tenant_id = ? AND path = ? AND version <= ?",
                         (record.tenant_id, record.path, record.version - record.max_versions))

    @staticmethod
    def touch(conn, tenant_id, path, timestamp):
        conn.execute("UPDATE secrets SET last_accessed_at = ? WHERE tenant_id = ? AND path = ?", (timestamp, tenant_id, path))

    @staticmethod
    def mark_deleted(conn, tenant_id, path, timestamp):
        conn.execute("UPDATE secrets SET deleted_at = ? WHERE tenant_id = ? AND path = ?", (timestamp, tenant_id, path))

    @staticmethod
    def purge(conn, tenant_id, path):
        conn.execute("DELETE FROM secret_versions WHERE tenant_id = ? AND path = ?", (tenant_id, path))
        conn.execute("DELETE FROM secrets WHERE tenant_id = ? AND path = ?", (tenant_id, path))

    @staticmethod
    def listing(conn, tenant_id, prefix, after, limit, include_deleted=False):
        """Live secrets whose path starts with ``prefix``, ordered by path, strictly after ``after``
        (soft-deleted ones too with ``include_deleted``: contract switch list_includes_deleted)."""
        # "path >= prefix" lets SQLite seek in the primary key; substr() does the exact prefix test
        # (LIKE would treat '_' in paths as a wildcard).
        rows = conn.execute(
            "SELECT %s FROM secrets WHERE tenant_id = ? AND (deleted_at IS NULL OR ?) AND path >= ? AND path > ?"
            " AND substr(path, 1, ?) = ? ORDER BY path LIMIT ?" % ",".join(_COLUMNS),
            (tenant_id, int(include_deleted), prefix, after or "", len(prefix), prefix, limit)).fetchall()
        return [_record(row) for row in rows]

    @staticmethod
    def live_paths(conn, tenant_id):
        return [row[0] for row in conn.execute(
            "SELECT path FROM secrets WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY path", (tenant_id,))]
