#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Line coverage of plugins/ by the unit tests and the integration tests (make coverage).

    python scripts/coverage.py [--target 90] [--workers 2] [pytest args ...]

coverage.py (requirements-dev.txt) measures tests/unit, then tests/integration (xdist workers and every
Python subprocess too: ``patch = subprocess``), so the modules count whether a test runs them in-process
(``run_module(mode="inprocess")``) or as ``python -m ...plugins.modules.X`` the way the module runner
does. Modules that ansible-playbook runs as AnsiballZ payloads are not mapped back to plugins/ and do not
count. The collection is imported from its layout (``$SCAIVAULT_COLL_ROOT``, a symlink to this tree);
``[paths]`` folds that back onto plugins/. Writes reports/coverage.txt and reports/coverage.xml; exits 1
below --target percent of lines.
"""

import argparse
import os
import shutil
import subprocess
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.dirname(os.path.abspath(sys.executable))
WORK = os.path.join(REPO, "build", "coverage")
RC = """[run]
parallel = true
patch = subprocess
data_file = {work}/.coverage
source =
    {layout}/plugins
omit =
    */tests/*

[paths]
plugins =
    plugins/
    {layout}/plugins/
    */ansible_collections/scailabs/scaivault/plugins/

[report]
# A [report] option (coverage 7); under [run] it was ignored with a warning. The collection's directories are
# namespace packages (no __init__.py above plugins/).
include_namespace_packages = true
precision = 1
show_missing = true
skip_empty = true
"""


def layout():
    root = os.environ.get("SCAIVAULT_COLL_ROOT")
    if not root:
        root = subprocess.run([sys.executable, os.path.join(REPO, "tests", "harness", "servers.py"), "layout",
                               "--dry-run"], capture_output=True, text=True, check=True).stdout.strip()
    return os.path.join(root, "ansible_collections", "scailabs", "scaivault")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--target", type=float, default=float(os.environ.get("COVERAGE_TARGET", "90")))
    parser.add_argument("--workers", default=os.environ.get("COVERAGE_WORKERS", "2"))
    args, pytest_args = parser.parse_known_args()
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    rc = os.path.join(WORK, "coverage.rc")
    with open(rc, "w") as handle:
        handle.write(RC.format(work=WORK, layout=layout()))
    env = dict(os.environ, COVERAGE_RCFILE=rc, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    coverage = [sys.executable, "-m", "coverage"]
    runs = [["tests/unit", "-p", "no:xdist"],
            ["tests/integration"] + (["-n", args.workers, "--dist", "loadfile"] if args.workers not in ("0", "1")
                                     else ["-p", "no:xdist"])]
    failed = 0
    for run in runs:
        done = subprocess.run(coverage + ["run", "-m", "pytest", "-q", "-o", "addopts="] + run + pytest_args,
                              cwd=REPO, env=env, check=False)
        failed = failed or done.returncode
    subprocess.run(coverage + ["combine", "-q"], cwd=REPO, env=env, check=True)
    reports = os.path.join(REPO, "reports")
    os.makedirs(reports, exist_ok=True)
    text = subprocess.run(coverage + ["report"], cwd=REPO, env=env, capture_output=True, text=True, check=False)
    with open(os.path.join(reports, "coverage.txt"), "w") as handle:
        handle.write(text.stdout)
    subprocess.run(coverage + ["xml", "-q", "-o", os.path.join(reports, "coverage.xml")], cwd=REPO, env=env, check=False)
    print(text.stdout)
    total = subprocess.run(coverage + ["report", "--format=total"], cwd=REPO, env=env, capture_output=True, text=True,
                           check=False).stdout.strip()
    percent = float(total or 0)
    print("coverage: %.1f%% of the lines of plugins/ (target %.0f%%)%s; reports/coverage.txt" % (
        percent, args.target, "" if not failed else ", but some tests FAILED"))
    return 1 if failed or percent < args.target else 0


if __name__ == "__main__":
    sys.exit(main())
