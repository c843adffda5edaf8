# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Audit windows, query planning and read summaries (_plan/audit.py): plain rows in, counts out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.audit import (
    AuditSummary, WindowError, foreign_reads, iso_z, point_in_time, query_plan, window)

NOW = datetime.datetime(2026, 3, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)


def row(row_id, path, identity, action="read", success=True, stamp="2026-02-20T10:00:00.000000Z"):
    return {"id": row_id, "secret_path": path, "identity_id": identity, "action": action, "success": success,
            "timestamp": stamp}


class TestWindow:
    def test_duration_counts_back_from_now(self):
        assert point_in_time("30d", NOW, "since") == NOW - datetime.timedelta(days=30)
        assert point_in_time("1h30m", NOW, "since") == NOW - datetime.timedelta(minutes=90)

    def test_iso_timestamps(self):
        assert point_in_time("2026-01-31T00:00:00Z", NOW, "since") == datetime.datetime(2026, 1, 31, tzinfo=datetime.timezone.utc)
        assert point_in_time("2026-01-31T01:00:00+01:00", NOW, "since").hour == 0
        assert point_in_time("2026-01-31", NOW, "since").day == 31

    def test_unset(self):
        assert point_in_time(None, NOW, "until") is None
        assert window("1d", None, now=NOW) == (NOW - datetime.timedelta(days=1), NOW)

    def test_garbage_names_the_option(self):
        with pytest.raises(WindowError, match="^quiet_window: 'two weeks' is neither"):
            point_in_time("two weeks", NOW, "quiet_window")

    def test_start_must_precede_end(self):
        with pytest.raises(WindowError, match="must be before"):
            window("1d", "2d", now=NOW)

    def test_iso_z(self):
        assert iso_z(NOW) == "2026-03-01T12:00:00.000000Z"
        assert iso_z(None) is None


def test_query_plan_groups_paths_by_parent():
    plan = query_plan(["a/b/c", "a/b/d", "x/y", "top", "a/b/c"])
    assert plan == [("a/b/", ["a/b/c", "a/b/d"]), ("top", ["top"]), ("x/", ["x/y"])]


class TestSummary:
    def test_exact_paths_ignore_prefix_neighbours_and_count_exclusions_apart(self):
        summary = AuditSummary(paths=["a/b"], exclude_identities=["sa:migrator"])
        for item in [row(1, "a/b", "sa:app"), row(2, "a/bc", "sa:app"), row(3, "a/b/c", "sa:app"),
                     row(4, "a/b", "sa:migrator"), row(5, "a/b", "sa:app", stamp="2026-02-21T10:00:00.000000Z"),
                     row(6, "a/b", "user:x", success=False), row(7, "a/b", "sa:other", action="list"),
                     row(1, "a/b", "sa:app")]:
            summary.add(item)
        entry = summary.per_path()["a/b"]
        assert entry["reads"] == 3 and entry["failed_reads"] == 1 and entry["excluded_reads"] == 1
        assert entry["readers"] == ["sa:app", "user:x"] and entry["by_identity"] == {"sa:app": 2, "user:x": 1}
        assert entry["last_read"] == "2026-02-21T10:00:00.000000Z" and entry["last_reader"] == "sa:app"
        totals = summary.totals()
        assert totals == {"reads": 3, "excluded_reads": 1, "paths_read": 1, "readers": ["sa:app", "user:x"],
                          "rows_scanned": 7}

    def test_requested_paths_without_rows_are_reported_with_zero(self):
        summary = AuditSummary(paths=["p/q", "p/r"])
        assert summary.per_path()["p/r"]["reads"] == 0
        assert foreign_reads(summary.per_path()["p/r"]) is None

    def test_failed_reads_can_be_left_out(self):
        summary = AuditSummary(paths=["a"], include_failed=False)
        summary.add(row(1, "a", "x", success=False))
        assert summary.per_path()["a"]["reads"] == 0

    def test_prefix_mode_reports_every_path_found(self):
        summary = AuditSummary(path_prefix="ext/")
        for item in [row(1, "ext/a", "x"), row(2, "ext/b/c", "y"), row(3, "other", "x")]:
            summary.add(item)
        assert sorted(summary.per_path()) == ["ext/a", "ext/b/c"]


def test_foreign_reads_sentence_names_identities_and_counts():
    summary = AuditSummary(paths=["a"])
    summary.add(row(1, "a", "sa:app"))
    summary.add(row(2, "a", "sa:app"))
    text = foreign_reads(summary.per_path()["a"])
    assert text == "2 read(s) by sa:app (2), last at 2026-02-20T10:00:00.000000Z"
