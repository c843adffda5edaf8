# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SQLite database: one file in --data-dir, one connection, one lock.

Why one shared connection behind a lock: every request commits (audit rows at least), the
GIL serialises Python anyway, and a single writer can never hit SQLITE_BUSY. WAL with
synchronous=NORMAL makes a commit a write into the WAL without fsync: it survives a
kill -9 of the server (the OS still holds the pages), which is the durability the tests
need, at a cost of microseconds per commit.

Feature modules register their own tables (``register_schema``) so that later modules
(federation, rotation, webhooks) need no change here and ``/_dev/reset`` wipes them too.
"""

import contextlib
import os
import sqlite3
import threading

DB_FILE = "scaivault-dev.sqlite3"


class Database:
    def __init__(self, data_dir):
        os.makedirs(data_dir, exist_ok=True)
        self.path = os.path.join(data_dir, DB_FILE)
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT) below.
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._lock = threading.RLock()
        self._wiped_tables = []

    def register_schema(self, ddl, wiped_tables=()):
        """Create tables if missing; ``wiped_tables`` are emptied by ``/_dev/reset``."""
        with self._lock:
            self._conn.executescript(ddl)
        self._wiped_tables.extend(wiped_tables)

    @contextlib.contextmanager
    def transaction(self):
        """Everything inside commits together before the response is sent, or not at all."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextlib.contextmanager
    def reading(self):
        """Read-only access outside a transaction (autocommit reads see committed data)."""
        with self._lock:
            yield self._conn

    def ping(self):
        with self.reading() as conn:
            conn.execute("SELECT 1").fetchone()

    def wipe(self):
        with self.transaction() as conn:
            for table in self._wiped_tables:
                conn.execute("DELETE FROM %s" % table)

    def close(self):
        with self._lock:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()
