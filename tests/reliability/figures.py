# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Figures of the reliability suite: recorded per case by the tests, printed and written at the end.

Tests call ``record(section, case, **figures)``; every call appends one JSON line to
``<reports>/reliability-figures.jsonl`` (O_APPEND writes of one short line: safe from several
xdist workers). At the end of the pytest session the controller (tests/reliability/conftest.py)
calls ``render(since)``: the rows recorded since the session started, as Markdown tables,
printed in the terminal summary and written to ``<reports>/reliability.md``.

``<reports>`` is ``$RELIABILITY_REPORT_DIR``, else ``<repo>/reports`` (the Makefile's REPORTS); with
``$RELIABILITY_FULL`` set (make reliability-full) the file is ``reliability-full.md``.
No value, token or key is ever given to ``record``: only names of cases, counts and times.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
SECTIONS = {
    "fault_matrix": ("Fault matrix (asm_migrate, one region)",
                     ["case", "n", "wall_s", "first_run_s", "rerun_s", "retries_sv", "rate_limited", "retries_asm",
                      "faults_injected", "unknown_outcomes", "reruns", "lost", "duplicates", "notes"]),
    "bad_input": ("Bad input", ["case", "where", "message_ok", "puts", "result", "message"]),
    "no_leaks": ("No leaks", ["case", "values_scanned", "sources_scanned", "bytes_scanned", "leaks", "result"]),
    "check_mode": ("Check mode proof", ["case", "sv_requests", "sv_writes", "asm_calls", "asm_mutating", "result"]),
    "tls": ("TLS", ["case", "result", "detail"]),
}


def report_dir() -> Path:
    return Path(os.environ.get("RELIABILITY_REPORT_DIR") or (REPO_ROOT / "reports"))


def records_file() -> Path:
    return report_dir() / "reliability-figures.jsonl"


def record(section: str, case: str, **figures) -> None:
    """Append one row (section, case, figures) to the shared records file."""
    if section not in SECTIONS:
        raise ValueError("unknown section %r" % section)
    path = records_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(dict(figures, section=section, case=case, t=time.time()), sort_keys=True, default=str) + "\n"
    fd = os.open(str(path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def load(since: float = 0.0, until: float = float("inf")) -> dict:
    """{section: {case: row}} of the rows recorded in [since, until) (the last row of a case wins)."""
    rows = {}
    path = records_file()
    if not path.exists():
        return rows
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if since <= row.get("t", 0) < until and row.get("section") in SECTIONS:
            rows.setdefault(row["section"], {})[row["case"]] = row
    return rows


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "%.1f" % value
    return str(value).replace("|", "\\|").replace("\n", " ")


def render(since: float = 0.0, until: float = float("inf")) -> str:
    """Markdown tables of every section that has rows."""
    rows = load(since, until)
    out = ["# Reliability and security figures", "",
           "Written by tests/reliability (make test / make reliability-full) at %s UTC." % time.strftime(
               "%Y-%m-%d %H:%M:%S", time.gmtime()), ""]
    for section, (title, columns) in SECTIONS.items():
        cases = rows.get(section)
        if not cases:
            continue
        out += ["## %s" % title, "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        for case in sorted(cases, key=lambda name: cases[name]["t"]):
            row = cases[case]
            out.append("| " + " | ".join(_cell(row.get(column)) for column in columns) + " |")
        out.append("")
    return "\n".join(out)


def write(since: float = 0.0) -> Path | None:
    text = render(since)
    if not load(since):
        return None
    target = report_dir() / ("reliability-full.md" if os.environ.get("RELIABILITY_FULL") else "reliability.md")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(str(tmp), str(target))
    return target


if __name__ == "__main__":
    print(render())
