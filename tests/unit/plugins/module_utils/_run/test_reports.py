# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Atomic, deterministic report files."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._run import reports


def test_json_is_deterministic_and_renders_dates():
    one = reports.render_json({"b": 1, "a": {"when": datetime.datetime(2026, 1, 2, 3, 4, 5)}})
    two = reports.render_json({"a": {"when": datetime.datetime(2026, 1, 2, 3, 4, 5)}, "b": 1})
    assert one == two and one.endswith("\n")
    assert json.loads(one) == {"a": {"when": "2026-01-02T03:04:05"}, "b": 1}
    with pytest.raises(TypeError):
        reports.render_json({"value": b"raw"})


def test_markdown_table_escapes_and_checks_width():
    text = reports.markdown_table(["a", "b"], [["x|y", None], [True, "line\nbreak"]])
    assert text == "| a | b |\n|---|---|\n| x\\|y |  |\n| yes | line break |\n"
    with pytest.raises(ValueError):
        reports.markdown_table(["a"], [["1", "2"]])


def test_write_creates_parents_and_skips_identical_content(tmp_path):
    target = tmp_path / "deep" / "dir" / "r.json"
    assert reports.write_text_atomic(str(target), "one\n") is True
    assert target.read_text() == "one\n"
    mtime = os.stat(str(target)).st_mtime_ns
    assert reports.write_text_atomic(str(target), "one\n") is False
    assert os.stat(str(target)).st_mtime_ns == mtime
    assert reports.write_text_atomic(str(target), "two\n") is True
    assert target.read_text() == "two\n"
    assert [p.name for p in target.parent.iterdir()] == ["r.json"]  # no temp file left


def test_reports_are_private_by_default_whatever_the_umask_or_the_old_file(tmp_path):
    old_umask = os.umask(0)
    try:
        fresh = tmp_path / "fresh.json"
        assert reports.write_text_atomic(str(fresh), "x") is True
        assert os.stat(str(fresh)).st_mode & 0o777 == 0o600
        target = tmp_path / "r.md"
        target.write_text("old")
        os.chmod(str(target), 0o644)
        reports.write_text_atomic(str(target), "new")
        assert os.stat(str(target)).st_mode & 0o777 == 0o600
        os.chmod(str(target), 0o666)
        assert reports.write_text_atomic(str(target), "new") is False  # same text: only the mode is fixed
        assert os.stat(str(target)).st_mode & 0o777 == 0o600
    finally:
        os.umask(old_umask)


def test_a_requested_mode_is_applied_and_bad_modes_are_refused(tmp_path):
    target = tmp_path / "r.md"
    written = reports.write_reports(markdown_path=str(target), markdown="# t", mode=reports.parse_mode("0640"))
    assert written["markdown"]["changed"] and os.stat(str(target)).st_mode & 0o777 == 0o640
    for bad in ("0999", "rw-r-----", "1777", ""):
        with pytest.raises(reports.PlanError, match="report_mode"):
            reports.parse_mode(bad)


def test_write_errors_name_the_file(tmp_path):
    with pytest.raises(reports.ReportError, match="is a directory"):
        reports.write_text_atomic(str(tmp_path), "x")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(reports.ReportError, match="cannot write report"):
        reports.write_text_atomic(str(blocker / "below.json"), "x")


def test_write_reports_writes_only_the_formats_asked_for(tmp_path):
    json_path = str(tmp_path / "r.json")
    written = reports.write_reports(json_path=json_path, data={"k": [1]})
    assert written == {"json": {"path": json_path, "changed": True}}
    assert json.loads(open(json_path).read()) == {"k": [1]}
    md = str(tmp_path / "r.md")
    both = reports.write_reports(json_path=json_path, markdown_path=md, data={"k": [1]}, markdown="# t")
    assert both["json"]["changed"] is False and both["markdown"]["changed"] is True
    assert open(md).read() == "# t\n"
    with pytest.raises(ValueError):
        reports.write_reports(markdown_path=md)


def test_module_reports_in_check_mode_name_the_paths_and_write_nothing(tmp_path):
    paths = {"json": str(tmp_path / "r.json"), "markdown": str(tmp_path / "r.md")}
    planned = reports.module_reports(paths, {"a": 1}, "# t\n", check_mode=True)
    assert planned == {"json": {"path": paths["json"], "changed": False, "written": False},
                       "markdown": {"path": paths["markdown"], "changed": False, "written": False}}
    assert os.listdir(str(tmp_path)) == []


def test_module_reports_write_only_given_formats_and_report_unchanged_files(tmp_path):
    paths = {"json": str(tmp_path / "r.json"), "markdown": None}
    first = reports.module_reports(paths, {"a": 1}, "# t\n", check_mode=False)
    assert first["json"]["changed"] is True and first["json"]["written"] is True and "markdown" not in first
    with open(paths["json"]) as handle:
        assert json.load(handle) == {"a": 1}
    again = reports.module_reports(paths, {"a": 1}, "# t\n", check_mode=False)
    assert again["json"]["changed"] is False
    assert os.listdir(str(tmp_path)) == ["r.json"]
