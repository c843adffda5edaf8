#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Baseline cost of scaivault_secret, for comparison with the bulk migration module.

    python tests/bench/secret_loop_baseline.py [--items 200] [--rounds 3] [--loop-rounds 1] [--json out.json]

Starts its own dev server (loopback, free port, temporary data) and measures:

  single   one idempotent scaivault_secret task: the module process alone (python -m ...),
           and as a one-task playbook minus an empty playbook (ansible-playbook start-up)
  loop     one task looping over --items secrets: first run (creates) and re-run (idempotent)

CPU seconds (user + system of the ansible-playbook / module processes, from
getrusage(RUSAGE_CHILDREN)) are reported next to wall seconds: on a busy machine wall time
grows with the load, CPU time much less. Wall seconds are medians over --rounds (--loop-rounds for the idempotent loop re-run); HTTP
requests come from the dev server's
/_dev/counters (what the server saw, not what the module reports). Bounded: at most
--items <= 1000 secrets, a timeout on every run, nothing but 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS_DIR))

from harness.servers import Servers  # noqa: E402  pylint: disable=wrong-import-position
from integration.playbook_runner import run_module, run_playbook  # noqa: E402  pylint: disable=wrong-import-position

PATH = "bench/single/secret"
EMPTY_PLAY = "- hosts: localhost\n  gather_facts: false\n  tasks: []\n"
SINGLE_PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - scailabs.scaivault.scaivault_secret:
        path: %s
        data: {username: bench, password: bench-password-value-0001}
        metadata: {owner: "team:bench", tags: [bench]}
""" % PATH
LOOP_PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: loop
      scailabs.scaivault.scaivault_secret:
        path: "bench/loop/s{{ '%%04d' | format(item) }}"
        data: {username: bench, password: "bench-password-{{ item }}"}
        metadata: {owner: "team:bench", tags: [bench]}
      loop: "{{ range(%d) | list }}"
      loop_control: {label: "{{ item }}"}
"""


def counters(srv):
    data = srv.dev_counters()
    return {"total": data["total"], "by_route": data["by_route"]}


def child_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_playbook(srv, play, timeout):
    """(wall seconds, CPU seconds, dev-server counters, result) of one ansible-playbook run."""
    srv.reset_dev_counters()
    cpu = child_cpu()
    started = time.monotonic()
    res = run_playbook(play, env=srv.env, timeout=timeout)
    elapsed = time.monotonic() - started
    if res.rc != 0:
        raise SystemExit("playbook failed:\n%s" % res.stdout[-2000:])
    return elapsed, child_cpu() - cpu, counters(srv), res


def progress(text):
    print("[bench] " + text, file=sys.stderr, flush=True)


def measure(items, rounds, loop_rounds, timeout):
    report = {"items": items, "rounds": rounds, "loop_rounds": loop_rounds, "load_average_at_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="scaivault-bench-") as state:
        with Servers(state_dir=state) as srv:
            srv.start()
            module_args = {"path": PATH, "data": {"username": "bench", "password": "bench-password-value-0001"},
                           "metadata": {"owner": "team:bench", "tags": ["bench"]}}
            first = run_module("scaivault_secret", module_args, env=srv.env)
            assert first.changed, first.result
            module_walls, module_cpu, module_calls = [], [], None
            for _round in range(rounds):
                srv.reset_dev_counters()
                cpu = child_cpu()
                started = time.monotonic()
                res = run_module("scaivault_secret", module_args, env=srv.env)
                module_walls.append(time.monotonic() - started)
                module_cpu.append(child_cpu() - cpu)
                assert not res.changed, res.result
                module_calls = counters(srv)

            progress("single task: module process %.2fs; playbooks next" % statistics.median(module_walls))
            empty_runs = [timed_playbook(srv, EMPTY_PLAY, timeout) for _round in range(rounds)]
            empty = [r[0] for r in empty_runs]
            empty_cpu = statistics.median(r[1] for r in empty_runs)
            single_runs = [timed_playbook(srv, SINGLE_PLAY, timeout) for _round in range(rounds)]
            assert all(not r[3].changed_tasks for r in single_runs)
            single_cpu = statistics.median(r[1] for r in single_runs)
            report["single"] = {
                "module_process_seconds": round(statistics.median(module_walls), 3),
                "module_process_cpu_seconds": round(statistics.median(module_cpu), 3),
                "module_requests": module_calls,
                "empty_playbook_seconds": round(statistics.median(empty), 3),
                "empty_playbook_cpu_seconds": round(empty_cpu, 3),
                "one_task_playbook_seconds": round(statistics.median(r[0] for r in single_runs), 3),
                "one_task_playbook_cpu_seconds": round(single_cpu, 3),
                "task_seconds_in_playbook": round(statistics.median(r[0] for r in single_runs) - statistics.median(empty), 3),
                "task_cpu_seconds_in_playbook": round(single_cpu - empty_cpu, 3),
                "playbook_requests": single_runs[-1][2],
            }

            loop = LOOP_PLAY % items
            progress("loop of %d: first run (creates)" % items)
            create_wall, create_cpu, create_calls, create_res = timed_playbook(srv, loop, timeout)
            progress("loop of %d: created in %.1fs; idempotent re-run(s)" % (items, create_wall))
            rerun = [timed_playbook(srv, loop, timeout) for _round in range(loop_rounds)]
            assert create_res.changed_tasks == ["loop"] and all(not r[3].changed_tasks for r in rerun)
            rerun_wall = statistics.median(r[0] for r in rerun)
            rerun_cpu = statistics.median(r[1] for r in rerun)
            base = statistics.median(empty)
            report["load_average_at_end"] = os.getloadavg()
            report["loop"] = {
                "create_seconds": round(create_wall, 3),
                "create_cpu_seconds": round(create_cpu, 3),
                "create_requests": create_calls,
                "idempotent_seconds": round(rerun_wall, 3),
                "idempotent_cpu_seconds": round(rerun_cpu, 3),
                "idempotent_cpu_seconds_per_item": round((rerun_cpu - empty_cpu) / items, 4),
                "idempotent_requests": rerun[-1][2],
                "idempotent_seconds_per_item": round((rerun_wall - base) / items, 4),
                "create_seconds_per_item": round((create_wall - base) / items, 4),
            }
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="repeats of the single-task measurements")
    parser.add_argument("--loop-rounds", type=int, default=1, help="repeats of the idempotent loop re-run")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    if not 1 <= args.items <= 1000 or not 1 <= args.rounds <= 10 or not 1 <= args.loop_rounds <= 5:
        parser.error("--items must be 1..1000, --rounds 1..10 and --loop-rounds 1..5")
    report = measure(args.items, args.rounds, args.loop_rounds, args.timeout)
    text = json.dumps(report, indent=2, sort_keys=True)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    single, loop = report["single"], report["loop"]
    print("\nload average %s -> %s" % (report["load_average_at_start"], report["load_average_at_end"]))
    print("one idempotent task: module process %.2fs wall / %.2fs CPU, %d request(s) %s; in a playbook %.2fs wall "
          "/ %.2fs CPU over an empty playbook (%.2fs)"
          % (single["module_process_seconds"], single["module_process_cpu_seconds"], single["module_requests"]["total"],
             single["module_requests"]["by_route"], single["task_seconds_in_playbook"],
             single["task_cpu_seconds_in_playbook"], single["empty_playbook_seconds"]))
    print("%d-item loop: create %.1fs wall / %.1fs CPU (%d requests), idempotent re-run %.1fs wall / %.1fs CPU "
          "(%d requests, %.3fs wall and %.3fs CPU per item)"
          % (args.items, loop["create_seconds"], loop["create_cpu_seconds"], loop["create_requests"]["total"],
             loop["idempotent_seconds"], loop["idempotent_cpu_seconds"], loop["idempotent_requests"]["total"],
             loop["idempotent_seconds_per_item"], loop["idempotent_cpu_seconds_per_item"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
