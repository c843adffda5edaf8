# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""collect_reads: the audit log queries it sends (one per parent path) and the summary it builds (fake client)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.audit import window
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.audit import collect_reads

NOW = datetime.datetime(2026, 3, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)


def row(row_id, path, identity, action="read", success=True, stamp="2026-02-20T10:00:00.000000Z"):
    return {"id": row_id, "secret_path": path, "identity_id": identity, "action": action, "success": success,
            "timestamp": stamp}


class FakeClient:
    def __init__(self, rows):
        self.rows = rows
        self.calls = []

    def audit_logs(self, **filters):
        self.calls.append(filters)
        prefix = filters.get("path_prefix") or ""
        return iter([item for item in self.rows if item["secret_path"].startswith(prefix)])


def test_collect_reads_queries_once_per_parent_and_sends_the_window():
    client = FakeClient([row(1, "a/b", "sa:app"), row(2, "a/c", "sa:me"), row(3, "z", "sa:app")])
    start, end = window("14d", None, now=NOW)
    summary, queries = collect_reads(client, paths=["a/b", "a/c", "z"], start=start, end=end, exclude=["sa:me"])
    assert queries == 2
    assert [call["path_prefix"] for call in client.calls] == ["a/", "z"]
    assert client.calls[0]["from"] == "2026-02-15T12:00:00.000000Z" and client.calls[0]["action"] == "read"
    assert "success" not in client.calls[0]
    per_path = summary.per_path()
    assert per_path["a/b"]["reads"] == 1 and per_path["a/c"]["excluded_reads"] == 1 and per_path["z"]["reads"] == 1


def test_collect_reads_with_prefix_and_success_only():
    client = FakeClient([row(1, "ext/a", "x")])
    summary, queries = collect_reads(client, path_prefix="ext/", include_failed=False)
    assert queries == 1 and client.calls[0]["success"] == "true" and summary.totals()["reads"] == 1
