# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reliability suite: shared helpers and the figures hook.

The controller (or the only process without xdist) notes when the session started; at the end
it prints the figures recorded since then (tests/reliability/figures.py) and writes
``reports/reliability.md``.
"""

from __future__ import annotations

import time

from reliability import figures

MAX_RECORDS_BYTES = 1024 * 1024


def pytest_configure(config):
    if not hasattr(config, "workerinput"):
        config._reliability_started = time.time() - 1  # pylint: disable=protected-access
        records = figures.records_file()
        try:
            if records.stat().st_size > MAX_RECORDS_BYTES:  # keep the shared records file small
                records.unlink()
        except OSError:
            pass


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # pylint: disable=unused-argument
    started = getattr(config, "_reliability_started", None)
    if started is None:
        return
    if not figures.load(started):
        return
    path = figures.write(started)
    terminalreporter.write_sep("=", "reliability figures")
    terminalreporter.write_line(figures.render(started))
    terminalreporter.write_line("written to %s" % path)
