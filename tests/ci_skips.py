# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The skips CI accepts (tests/conftest.py turns every other skip into a failure when ``CI`` is set).

A skip in CI hides a regression as "skipped": a missing server script, a route that answers 404, a TLS
start-up error or a tool that could not be installed must fail the run instead. Only skips that are a
decision, not an accident, belong here: each entry is (test id glob, text the skip reason must contain,
why the skip is right). Keep the list short; a new entry needs a comment a reviewer can agree with.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch

ALLOWED = [
    # The 5,000-secret migrate.yml --check proof is the long form of demo.yml --check, which make test runs
    # (tests/reliability/test_check_mode_proof.py); it runs in `make reliability-full`, which sets RELIABILITY_FULL.
    ("tests/reliability/test_check_mode_proof.py::test_migrate_playbook_in_check_mode_writes_nothing",
     "make reliability-full only", "a size decision, not a missing dependency"),
    # Three whole demo runs (check, real, check after a change); make test keeps the check-mode proof on the demo
    # estate in tests/integration/test_roles_playbooks.py::test_check_mode_writes_nothing, within its 12 minutes.
    ("tests/reliability/test_check_mode_proof.py::test_demo_playbook_in_check_mode_writes_nothing_before_and_after_a_migration",
     "make reliability-full only", "a time decision for make test; the same proof runs in make reliability-full"),
    # The whole demo (migrate, rotation, consumers, cleanup, rollback) at -vvvv with --diff, a log and the tree
    # callback: about 90 s of one worker. make test keeps the -vvvv scan of migrate.yml on the demo estate
    # (tests/integration/test_roles_playbooks.py::test_no_value_in_output_at_vvvv) and the per-module -vvvv scans.
    ("tests/reliability/test_no_leaks.py::test_demo_run_at_vvvv_with_diff_log_and_tree_leaks_nothing",
     "make reliability-full only", "a time decision for make test; the same scan runs in make reliability-full"),
]


def allowed(nodeid, reason):
    """Whether a skip of test ``nodeid`` (relative to the repository) with ``reason`` is on the list."""
    for pattern, reason_part, _why in ALLOWED:
        if fnmatch.fnmatchcase(nodeid, pattern) and reason_part in (reason or ""):
            return True
    return False


def ci_is_set(environ):
    """CI=true as CI sets it (any value but empty, 0, false, no)."""
    return (environ.get("CI") or "").strip().lower() not in ("", "0", "false", "no")
