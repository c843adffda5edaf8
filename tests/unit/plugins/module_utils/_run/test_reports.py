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
import stat

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


def test_json_layout_sets_and_refusals_are_exact():
    assert reports.render_json({"b": {2, 1}, "a": frozenset(["z", "y"])}) == (
        '{\n  "a": [\n    "y",\n    "z"\n  ],\n  "b": [\n    1,\n    2\n  ]\n}\n')
    with pytest.raises(TypeError, match="^refusing to put raw bytes in a report$"):
        reports.render_json([b"raw"])
    with pytest.raises(TypeError, match="^complex is not JSON serializable$"):
        reports.render_json({"n": 1j})


def test_markdown_cells_booleans_and_width_errors_are_exact():
    assert [reports.markdown_escape(value) for value in (False, True, 0, "a\\b")] == ["no", "yes", "0", "a\\\\b"]
    with pytest.raises(ValueError, match="^a table row has 1 cells for 2 headers$"):
        reports.markdown_table(["a", "b"], [["only"]])


@pytest.mark.parametrize("text, mode", [("0", 0), ("000", 0), ("0777", 0o777), ("640", 0o640), ("1", 1)])
def test_parse_mode_takes_every_octal_mode_from_0_to_0777(text, mode):
    assert reports.parse_mode(text) == mode


@pytest.mark.parametrize("text", ["1000", "0o1000", "-1", "-2", "8", "rw-------", ""])
def test_parse_mode_refuses_what_chmod_would_not_take_naming_the_option(text):
    with pytest.raises(reports.PlanError) as err:
        reports.parse_mode(text, option="evidence_mode")
    assert str(err.value) == "evidence_mode %r is not a file mode: give octal digits such as '0600' or '0640'" % text


def test_an_unchanged_file_has_exactly_its_mode_corrected(tmp_path):
    path = tmp_path / "r.json"
    assert reports.write_text_atomic(str(path), "x\n", 0o640) is True
    os.chmod(str(path), 0o4640)  # a stray setuid bit: the mode compared is all 12 permission bits
    assert reports.write_text_atomic(str(path), "x\n", 0o640) is False
    assert os.stat(str(path)).st_mode & 0o7777 == 0o640


def test_the_temporary_file_is_a_hidden_sibling_and_gone_afterwards(tmp_path, monkeypatch):
    made = []
    real_mkstemp = reports.tempfile.mkstemp

    def spy(*args, **kwargs):
        made.append(kwargs)
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(reports.tempfile, "mkstemp", spy)
    reports.write_text_atomic(str(tmp_path / "sub" / "r.md"), "text\n")
    assert made == [{"prefix": ".r.md.", "suffix": ".tmp", "dir": str(tmp_path / "sub")}]
    assert sorted(os.listdir(str(tmp_path / "sub"))) == ["r.md"]


def test_a_failed_rename_removes_the_temporary_file_and_names_the_report(tmp_path, monkeypatch):
    def refuse(_src, _dst):
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(reports.os, "replace", refuse)
    target = tmp_path / "r.json"
    with pytest.raises(reports.ReportError) as err:
        reports.write_text_atomic(str(target), "{}\n")
    assert str(err.value) == ("cannot write report %s: [Errno 13] Permission denied; check that the directory is "
                              "writable" % target)
    assert os.listdir(str(tmp_path)) == []


def test_empty_path_and_markdown_without_text_are_refused_with_their_fix(tmp_path):
    with pytest.raises(reports.ReportError, match="^a report path is empty; give a file name$"):
        reports.write_text_atomic("", "x")
    with pytest.raises(ValueError, match="^a Markdown report path was given without Markdown text$"):
        reports.write_reports(markdown_path=str(tmp_path / "r.md"))


def test_write_reports_passes_the_mode_to_both_formats(tmp_path):
    reports.write_reports(str(tmp_path / "r.json"), str(tmp_path / "r.md"), {"a": 1}, "# r", mode=0o644)
    assert [os.stat(str(tmp_path / name)).st_mode & 0o777 for name in ("r.json", "r.md")] == [0o644, 0o644]
    assert (tmp_path / "r.md").read_text() == "# r\n"


def test_parallel_writers_racing_to_create_the_directory_both_succeed(tmp_path, monkeypatch):
    """The regions of a run write reports into one new directory from parallel forks. Replay the race
    deterministically: every writer has seen the directory missing, then another one created it first."""
    reports_dir = tmp_path / "reports"
    real_makedirs = os.makedirs

    def other_fork_created_it_first(name, mode=0o777, exist_ok=False):
        if not os.path.isdir(name):
            real_makedirs(name, 0o700)
        return real_makedirs(name, mode, exist_ok=exist_ok)

    monkeypatch.setattr(reports.os, "makedirs", other_fork_created_it_first)
    for region in ("us-east-1", "eu-west-1"):
        target = reports_dir / ("inventory-%s.json" % region)
        assert reports.write_text_atomic(str(target), region) is True
        assert target.read_text() == region
    assert oct(reports_dir.stat().st_mode & 0o777) == "0o700"


def test_a_missing_report_folder_is_created_private(tmp_path):
    target = tmp_path / "new" / "deeper" / "report.json"
    reports.write_text_atomic(str(target), "{}\n")
    assert stat.S_IMODE(os.stat(str(target.parent)).st_mode) == 0o700


def test_module_reports_write_the_markdown_with_one_final_newline_and_the_mode(tmp_path):
    paths = {"json": str(tmp_path / "r.json"), "markdown": str(tmp_path / "r.md")}
    written = reports.module_reports(paths, {"a": 1}, "# title\n", False, 0o640)
    assert written["markdown"] == {"path": paths["markdown"], "changed": True, "written": True}
    assert (tmp_path / "r.md").read_text() == "# title\n"
    assert [stat.S_IMODE(os.stat(path).st_mode) for path in (paths["json"], paths["markdown"])] == [0o640, 0o640]
    reports.module_reports({"markdown": paths["markdown"]}, None, "# title", False)
    assert (tmp_path / "r.md").read_text() == "# title\n" and stat.S_IMODE(os.stat(paths["markdown"]).st_mode) == 0o600
