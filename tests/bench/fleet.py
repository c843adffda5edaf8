#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""make bench-fleet: playbooks/migrate.yml over 1, 4 and 12 regions x 5 secrets, forks = regions.

Per fleet size: the first run into an empty ScaiVault, then the unchanged re-run (--repeat times; median), the
tasks per region (ok, changed, skipped and failed tasks of the migrate play on its busiest host, counted by
the test recorder callback) and the marginal cost of
one more region ((t12 - t1) / 11 on the re-run). Each region: one namespace of 5 secrets, one of them ASM-rotated
and handed over to ScaiVault (rotation option A), a sync federation backend. Local servers on loopback.

    python tests/bench/fleet.py [--sizes 1,4,12] [--repeat 3] [--repo PATH]   (--repo: measure another checkout)
                                [--module-python PATH]

Modules run with the interpreter of .venv/runtime (make venv: exactly the collection's runtime packages, as an
execution environment has them) unless --module-python names another; the dev venv's extra packages (rich, click)
would make every httpx import slower than a user's.

Output: a Markdown table on stdout and reports/bench-fleet.json. Not a timed test: figures depend on the load of
the machine (printed with them).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent.parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from harness.servers import Servers, ensure_layout  # noqa: E402  pylint: disable=wrong-import-position
from integration.asm_seed import client, enable_rotation  # noqa: E402  pylint: disable=wrong-import-position

REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-west-3",
           "eu-central-1", "eu-north-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1"]
SECRETS_PER_REGION = 5
TARGETS = {"first_rerun_12": 20.0, "marginal": 1.5, "tasks": 25}


def host_vars(region):
    return {
        "scaivault_region": region,
        "scaivault_prefixes": ["prod/"],
        "scaivault_federation_path_mapping": {"external/aws/%s/**" % region: "prod/**"},
        "scaivault_federation_reader_credentials": {"access_key_id": "testing", "secret_access_key": "testing"},
        "scaivault_namespaces": [{"name": "apps", "prefixes": ["prod/apps/"], "owner": "team:apps",
                                  "mapping": [{"match": "prod/apps/**", "path": "fleet/%s/apps/**" % region}]}],
        "scaivault_rotation_groups": [{"name": "db", "option": "A", "secrets": ["prod/apps/svc-0/db"],
                                       "policy": {"name": "fleet-db-%s" % region, "interval": "30d"}}],
    }


RUNTIME_PYTHON = TESTS_DIR.parent / ".venv" / "runtime" / "bin" / "python"


def write_inventory(directory: Path, regions, module_python=sys.executable) -> Path:
    hosts = dict(("fleet-%s" % region, host_vars(region)) for region in regions)
    inventory = {"asm_regions": {"hosts": hosts, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": str(module_python),
        "scaivault_federation_mode": "sync", "scaivault_federation_sync_interval": "15m"}}}
    path = directory / ("inventory-%d.json" % len(regions))
    path.write_text(json.dumps(inventory))
    return path


def seed(asm_url, regions):
    for region in regions:
        sm = client(asm_url, region)
        for index in range(SECRETS_PER_REGION):
            name = "prod/apps/svc-%d/%s" % (index, "db" if index == 0 else "config")
            sm.create_secret(Name=name, SecretString=json.dumps({"user": "svc%d" % index,
                                                                 "password": "fleet-%s-%d-pw" % (region, index)}))
        enable_rotation(asm_url, region, "prod/apps/svc-0/db", 30)


MIGRATE_PLAY = "Migrate AWS Secrets Manager to ScaiVault, region by region"
RECORDER = TESTS_DIR / "integration" / "callback_plugins"


def tasks_per_host(results_file: Path):
    """{host: tasks of the migrate play} (ok, changed, skipped, failed alike) from the test recorder's records."""
    counts = {}
    for line in results_file.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("event") == "task" and record.get("play") == MIGRATE_PLAY:
            counts[record["host"]] = counts.get(record["host"], 0) + 1
    return counts


def play(repo: Path, env, inventory, forks, report_dir):
    results = report_dir / "results.jsonl"
    if results.exists():
        results.unlink()
    cmd = [sys.executable, str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
           str(repo / "playbooks" / "migrate.yml"), "--forks", str(forks), "-e", "scaivault_report_dir=%s" % report_dir]
    started, cpu_before = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, env=dict(env, SCAIVAULT_TEST_RESULTS_FILE=str(results)), capture_output=True, text=True,
                          check=False, cwd=str(report_dir))
    elapsed, cpu_after = time.monotonic() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU of ansible-playbook and every module process it started (not the servers): the figure that load on a
    # shared machine does not inflate much.
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit("migrate.yml failed (rc %d):\n%s\n%s" % (proc.returncode, proc.stdout[-4000:], proc.stderr[-2000:]))
    changed = sum(int(n) for n in re.findall(r"changed=(\d+)", proc.stdout))
    return elapsed, changed, tasks_per_host(results), cpu


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,4,12")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--repo", type=Path, default=TESTS_DIR.parent)
    parser.add_argument("--out", type=Path, default=TESTS_DIR.parent / "reports" / "bench-fleet.json")
    parser.add_argument("--module-python", type=Path,
                        default=RUNTIME_PYTHON if RUNTIME_PYTHON.exists() else Path(sys.executable))
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.sizes.split(",")]
    repo = args.repo.resolve()
    coll_root = ensure_layout(Path(tempfile.mkdtemp(prefix="fleet-coll-")), repo_root=repo)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        tmp = Path(tmp)
        with Servers(state_dir=tmp / "servers").start() as servers:
            env = servers.subprocess_env(extra={
                "ANSIBLE_COLLECTIONS_PATH": str(coll_root), "ANSIBLE_PYTHON_INTERPRETER": str(args.module_python),
                "ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_RETRY_FILES_ENABLED": "0",
                "ANSIBLE_CONFIG": str(tmp / "ansible.cfg"), "ANSIBLE_PIPELINING": "1",
                "ANSIBLE_CALLBACK_PLUGINS": str(RECORDER), "ANSIBLE_CALLBACKS_ENABLED": "scaivault_test_recorder"})
            (tmp / "ansible.cfg").write_text("[defaults]\n")
            for size in sizes:
                servers.reset_all()
                regions = REGIONS[:size]
                seed(servers.asm_url, regions)
                inventory = write_inventory(tmp, regions, args.module_python)
                reports = tmp / ("reports-%d" % size)
                reports.mkdir()
                first, first_changed, first_tasks, first_cpu = play(repo, env, inventory, size, reports)
                reruns, rerun_cpu, rerun_tasks, rerun_changed = [], [], {}, 0
                for _attempt in range(args.repeat):
                    elapsed, changed, rerun_tasks, cpu = play(repo, env, inventory, size, reports)
                    reruns.append(elapsed)
                    rerun_cpu.append(cpu)
                    rerun_changed += changed
                rows.append({"regions": size, "first_run": round(first, 1), "first_changed": first_changed,
                             "rerun_median": round(statistics.median(reruns), 1), "reruns": [round(r, 1) for r in reruns],
                             "rerun_changed": rerun_changed, "first_cpu": round(first_cpu, 1),
                             "rerun_cpu_median": round(statistics.median(rerun_cpu), 1),
                             "tasks_per_region_first": max(first_tasks.values()),
                             "tasks_per_region_rerun": max(rerun_tasks.values())})
                print("%2d regions: first %.1fs, re-run median %.1fs %s, %d tasks per region (re-run), CPU first %.1fs "
                      "re-run %.1fs" % (size, first, rows[-1]["rerun_median"], rows[-1]["reruns"],
                                        rows[-1]["tasks_per_region_rerun"], first_cpu, rows[-1]["rerun_cpu_median"]),
                      flush=True)
    by_size = dict((row["regions"], row) for row in rows)
    marginal = None
    if 1 in by_size and max(by_size) > 1:
        top = max(by_size)
        marginal = round((by_size[top]["rerun_median"] - by_size[1]["rerun_median"]) / (top - 1), 2)
    load = os.getloadavg()
    result = {"rows": rows, "marginal_rerun_seconds_per_region": marginal, "load_average": load,
              "repo": str(repo), "module_python": str(args.module_python), "targets": TARGETS}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print("\n| regions | first run | unchanged re-run (median) | tasks per region (re-run) | CPU s first / re-run |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| %d | %.1f s | %.1f s | %d | %.1f / %.1f |"
              % (row["regions"], row["first_run"], row["rerun_median"], row["tasks_per_region_rerun"],
                 row["first_cpu"], row["rerun_cpu_median"]))
    print("\nmarginal region (re-run): %s s; load average %.1f %.1f %.1f; modules ran with %s"
          % (marginal, *load, args.module_python))
    return 0


if __name__ == "__main__":
    sys.exit(main())
