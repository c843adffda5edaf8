#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: asm_migrate against the seed's sequential script and the anchors' per-task loop.

    python tests/bench/run.py            # the full benchmark (make bench); about 30 minutes here
    python tests/bench/run.py --quick    # small N, one run each: a smoke test in under a minute or two

Starts its own servers (tests/harness/servers.py: dev server + moto ASM stand-in, loopback only),
seeds moto, runs every scenario, and prints a Markdown table that is also written to
reports/bench.md (and the raw figures to reports/bench.json). Not a timed test: nothing fails
on a slow machine; the performance targets are printed next to the figures.

Scenarios (see tests/bench/README.md):
  migrate-N       asm_migrate through ansible-playbook, one region, N secrets; first run into an
                  empty ScaiVault, then an unchanged re-run
  migrate-2x      two inventory hosts (two regions x N/2) in one play, forks 2, vs each alone
  sequential-N    the seed's pattern: list, then GetSecretValue + PUT per secret, one at a time
  anchors-200     scaivault_secret in a loop fed by a lookup (one ASM read + one task per secret)
  rate-limited    dev server write limit 600/min, 2,000 secrets: writes/min and share of 429
  rss             peak RSS of the module process (run directly, wait4 ru_maxrss), N small vs large
Each of migrate/sequential runs on bare loopback and with 20 ms latency added to every ScaiVault
request (the dev server's latency fault).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS_DIR = HERE.parent
REPO_ROOT = TESTS_DIR.parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from harness.servers import (  # noqa: E402  pylint: disable=wrong-import-position
    ASM_SCRIPT, DUMMY_AWS_ENV, ManagedServer, Servers, ensure_layout, http_json, strip_env)

LATENCY_MS = 20
WORKERS = 32          # asm_migrate workers in the timed runs (default is 8; see README)
ANCHOR_LOOKUP_DIR = HERE / "lookup_plugins"

FULL = dict(n_small=1000, n_large=10000, n_pair=5000, n_anchor=200, n_limited=2000, runs=3, runs_large=3,
            runs_seq_large=1, write_limit=600)
QUICK = dict(n_small=100, n_large=300, n_pair=150, n_anchor=10, n_limited=650, runs=1, runs_large=1,
             runs_seq_large=1, write_limit=600)

REGIONS = {"small": "us-east-1", "large": "us-west-2", "pair_a": "eu-west-1", "pair_b": "eu-central-1",
           "anchor": "ca-central-1", "limited": "ap-southeast-2"}
PREFIX = "bench/"


def log(message):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), message), flush=True)


# -- the sequential script (run as its own process: `run.py sequential ...`) --------------------------
def sequential_main(argv):
    """The seed's recipe: list everything, then for each secret GetSecretValue and PUT, in order."""
    import boto3  # pylint: disable=import-outside-toplevel
    import httpx  # pylint: disable=import-outside-toplevel
    from botocore.config import Config  # pylint: disable=import-outside-toplevel

    parser = argparse.ArgumentParser()
    parser.add_argument("--region", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--target", required=True)
    args = parser.parse_args(argv)
    sm = boto3.session.Session(region_name=args.region).client(
        "secretsmanager", endpoint_url=os.environ["AWS_ENDPOINT_URL"], config=Config(proxies={}))
    names = []
    for page in sm.get_paginator("list_secrets").paginate(Filters=[{"Key": "name", "Values": [args.prefix]}]):
        names.extend(entry["Name"] for entry in page["SecretList"])
    calls = {"ListSecrets": math.ceil(len(names) / 100) or 1, "GetSecretValue": 0, "PUT": 0}
    with httpx.Client(base_url=os.environ["SCAIVAULT_URL"], trust_env=False, timeout=30,
                      headers={"Authorization": "Bearer %s" % os.environ["SCAIVAULT_TOKEN"]}) as http:
        for name in names:
            value = sm.get_secret_value(SecretId=name)
            calls["GetSecretValue"] += 1
            data = {"value": value["SecretString"]} if "SecretString" in value else {"value_base64": "..."}
            path = args.target + name[len(args.prefix):]
            answer = http.put("/v1/secrets/" + path, json={"data": data, "metadata": {"tags": ["migrated-from-asm"]}})
            answer.raise_for_status()
            calls["PUT"] += 1
    print(json.dumps({"secrets": len(names), "calls": calls}))
    return 0


# -- helpers ------------------------------------------------------------------------------------------
def cpu_seconds(pid):
    """utime + stime of a process (Linux /proc), None elsewhere."""
    try:
        fields = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / float(os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return None


def median(values):
    return statistics.median(values) if values else None


def fmt(value, digits=2):
    if value is None:
        return "-"
    if isinstance(value, float):
        return ("%%.%df" % digits) % value
    return str(value)


class Bench:
    def __init__(self, cfg, state_dir):
        self.cfg = cfg
        self.srv = Servers(state_dir=state_dir)
        self.results = {"config": dict(cfg, latency_ms=LATENCY_MS, workers=WORKERS), "scenarios": {}}
        self.coll_root = str(ensure_layout())
        self.state_dir = Path(state_dir)
        # The second region of the pair gets its own ASM stand-in, as AWS regions have their own
        # endpoints: one moto process would serialize both regions' O(N) listings on one GIL.
        env = strip_env(os.environ)
        env.update(DUMMY_AWS_ENV)
        self.asm_b = ManagedServer("asm_server_b", [sys.executable, str(ASM_SCRIPT)], env, self.state_dir)
        self.asm_b_url = None

    # servers ------------------------------------------------------------------------------------
    def start(self):
        self.srv.start()
        self.srv.reset_all()
        port = self.asm_b.start(0, 30.0, ready=lambda port: http_json(
            "GET", "http://127.0.0.1:%d/_calls" % port, timeout=2)[0] == 200)
        self.asm_b_url = "http://127.0.0.1:%d" % port

    def stop(self):
        self.srv.stop()
        self.asm_b.stop()

    def endpoint(self, key):
        """The ASM endpoint of a scenario region (the second region of the pair has its own)."""
        return self.asm_b_url if key == "pair_b" else self.srv.asm_url

    def fresh_scaivault(self, latency):
        """Empty ScaiVault (moto keeps its secrets), zero counters, the latency fault if asked."""
        self.srv.reset_dev()
        if latency:
            self.srv.dev_faults([{"kind": "latency", "latency_ms": LATENCY_MS, "path_regex": "^/v1/"}])
        self.srv.reset_dev_counters()
        self.reset_asm_calls()

    def reset_asm_calls(self):
        self.srv.reset_asm_calls()
        http_json("POST", self.asm_b_url + "/_calls/reset")

    def server_cpu(self):
        """CPU seconds used so far by the dev server and by moto (single Python processes)."""
        return {"devserver": cpu_seconds(self.srv.dev.pid),
                "moto": (cpu_seconds(self.srv.asm.pid) or 0) + (cpu_seconds(self.asm_b.pid) or 0)}

    def counters(self):
        dev = self.srv.dev_counters()
        asm = self.srv.asm_calls()
        _status, other = http_json("GET", self.asm_b_url + "/_calls")
        asm = {"total": asm.get("total", 0) + other.get("total", 0),
               "by_region": dict(asm.get("by_region", {}), **other.get("by_region", {}))}
        return {"scaivault_total": dev.get("total", 0), "scaivault_by_route": dev.get("by_route", {}),
                "scaivault_by_status": dev.get("by_status", {}), "asm_total": asm.get("total", 0),
                "asm_by_region": asm.get("by_region", {})}

    def seed(self, keys):
        cfg = self.cfg
        sizes = {"small": cfg["n_small"], "large": cfg["n_large"], "pair_a": cfg["n_pair"], "pair_b": cfg["n_pair"],
                 "anchor": cfg["n_anchor"], "limited": cfg["n_limited"]}
        for key in [k for k in REGIONS if k in keys]:
            started = time.monotonic()
            seed_region(self.endpoint(key), REGIONS[key], sizes[key])
            log("seeded %d secrets in %s (%.1fs)" % (sizes[key], REGIONS[key], time.monotonic() - started))

    # asm_migrate through ansible-playbook ---------------------------------------------------------
    def migrate_play(self, hosts, workers=WORKERS):
        from integration.playbook_runner import run_playbook  # pylint: disable=import-outside-toplevel
        lines = ["[regions]"]
        for host, region in hosts:
            lines.append("%s ansible_connection=local ansible_python_interpreter=%s region=%s endpoint=%s" % (
                host, sys.executable, region, self.endpoint(host)))
        playbook = """
- hosts: regions
  gather_facts: false
  tasks:
    - name: migrate
      scailabs.scaivault.asm_migrate:
        region: "{{ region }}"
        endpoint_url: "{{ endpoint }}"
        prefixes: ["%s"]
        mapping:
          - match: "%s**"
            path: "bench/{{ region }}/**"
        workers: %d
""" % (PREFIX, PREFIX, workers)
        # The modules run with this interpreter (the inventory's), as the earlier figures were measured.
        result = run_playbook(playbook, env=self.srv.env, inventory="\n".join(lines) + "\n",
                              extra_args=["--forks", str(max(2, len(hosts)))], timeout=3600,
                              module_interpreter=sys.executable)
        result.assert_ok()
        per_host = {}
        for record in result.tasks:
            if record["task"] == "migrate":
                module_result = record["result"]
                per_host[record["host"]] = {
                    "duration_seconds": module_result.get("duration_seconds"), "timings": module_result.get("timings"),
                    "summary": module_result.get("summary"), "api_calls": module_result.get("api_calls"),
                    "changed": module_result.get("changed")}
        return result.elapsed, per_host

    def scenario_migrate(self, label, hosts, n_per_host, runs, latency):
        """First run (fresh ScaiVault) and unchanged re-run, `runs` times each."""
        firsts, reruns, first_counters, rerun_counters, module_seconds, cpu = [], [], None, None, [], []
        for index in range(runs):
            self.fresh_scaivault(latency)
            before = self.server_cpu()
            elapsed, per_host = self.migrate_play(hosts)
            after = self.server_cpu()
            cpu.append(dict((name, (after[name] or 0) - (before[name] or 0)) for name in after))
            firsts.append(elapsed)
            module_seconds.append(max(h["duration_seconds"] or 0 for h in per_host.values()))
            counters = self.counters()
            first_counters = first_counters or dict(counters, per_host=per_host)
            self.srv.reset_dev_counters()
            self.reset_asm_calls()
            elapsed, per_host = self.migrate_play(hosts)
            reruns.append(elapsed)
            assert not any(h["changed"] for h in per_host.values()), "re-run changed something"
            rerun_counters = rerun_counters or dict(self.counters(), per_host=per_host)
            log("%s run %d/%d: first %.2fs, re-run %.2fs" % (label, index + 1, runs, firsts[-1], reruns[-1]))
        total = n_per_host * len(hosts)
        row = {"label": label, "n": total, "latency_ms": LATENCY_MS if latency else 0, "runs": runs,
               "first_median": median(firsts), "first_all": firsts, "rerun_median": median(reruns),
               "rerun_all": reruns, "module_seconds_median": median(module_seconds),
               "first": first_counters, "rerun": rerun_counters,
               "asm_floor_first": len(hosts) * (math.ceil(n_per_host / 100) + math.ceil(n_per_host / 20) + 2),
               "asm_floor_rerun": len(hosts) * (math.ceil(n_per_host / 100) + 1),
               "server_cpu_first": cpu[firsts.index(median(firsts))] if median(firsts) in firsts else cpu[0],
               "module_timings": [h.get("timings") for h in per_host.values()]}
        row["per_secret_ms"] = row["first_median"] / total * 1000.0
        self.results["scenarios"][label] = row
        return row

    # the seed's sequential script -----------------------------------------------------------------
    def scenario_sequential(self, label, region, n, runs, latency):
        times = []
        counters = None
        for index in range(runs):
            self.fresh_scaivault(latency)
            env = self.srv.subprocess_env()
            started = time.monotonic()
            proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "sequential", "--region", region,
                                   "--prefix", PREFIX, "--target", "seq/%s/" % region], env=env,
                                  capture_output=True, text=True, timeout=7200, check=False)
            times.append(time.monotonic() - started)
            if proc.returncode != 0:
                raise RuntimeError("sequential script failed: %s" % proc.stderr[-2000:])
            counters = counters or self.counters()
            log("%s run %d/%d: %.2fs" % (label, index + 1, runs, times[-1]))
        row = {"label": label, "n": n, "latency_ms": LATENCY_MS if latency else 0, "runs": runs,
               "first_median": median(times), "first_all": times, "first": counters}
        row["per_secret_ms"] = row["first_median"] / n * 1000.0
        self.results["scenarios"][label] = row
        return row

    # the anchors' loop ----------------------------------------------------------------------------
    def scenario_anchors(self, n):
        from integration.playbook_runner import run_playbook  # pylint: disable=import-outside-toplevel
        region = REGIONS["anchor"]
        names = ["%s%05d" % (PREFIX, index) for index in range(n)]
        self.fresh_scaivault(False)
        workdir = Path(tempfile.mkdtemp(prefix="scaivault-bench-anchors-"))
        (workdir / "ansible.cfg").write_text("[defaults]\nlookup_plugins = %s\n" % ANCHOR_LOOKUP_DIR)
        playbook = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: copy one secret per task
      scailabs.scaivault.scaivault_secret:
        path: "anchors/{{ item | replace('%s', '') }}"
        data:
          value: "{{ lookup('bench_asm_value', item, region='%s') }}"
        metadata:
          tags: [migrated-from-asm]
      loop: "{{ names }}"
      loop_control:
        label: "{{ item }}"
      no_log: true
""" % (PREFIX, region)
        result = run_playbook(playbook, env=self.srv.env, extra_vars={"names": names}, timeout=7200, workdir=workdir,
                              module_interpreter=sys.executable)
        result.assert_ok()
        counters = self.counters()
        row = {"label": "anchors-%d" % n, "n": n, "latency_ms": 0, "runs": 1, "first_median": result.elapsed,
               "first_all": [result.elapsed], "first": counters, "per_secret_ms": result.elapsed / n * 1000.0}
        log("anchors-%d: %.2fs (%.0f ms per secret)" % (n, result.elapsed, row["per_secret_ms"]))
        self.results["scenarios"][row["label"]] = row
        return row

    # rate-limited ---------------------------------------------------------------------------------
    def scenario_rate_limited(self, n, limit):
        region = REGIONS["limited"]
        self.fresh_scaivault(False)
        self.srv.dev_rate_limits(True, {"write": limit})
        started = time.monotonic()
        elapsed, per_host = self.migrate_play([("limited", region)], workers=8)
        counters = self.counters()
        self.srv.dev_rate_limits(False, {})
        writes = self.audit_write_times()
        # The bucket starts full (a burst of `limit` writes) and refills during the burst, so the
        # steady state is measured over the second half of the writes, well after the burst.
        steady = writes[max(limit, len(writes) // 2):] if len(writes) > limit else []
        steady_rate = (len(steady) - 1) / (steady[-1] - steady[0]) * 60.0 if len(steady) > 1 else None
        total = counters["scaivault_total"]
        status_429 = int(counters["scaivault_by_status"].get("429", 0))
        module = per_host["limited"]
        row = {"label": "rate-limited-%d" % n, "n": n, "limit_per_minute": limit, "wall_seconds": elapsed,
               "module_seconds": module["duration_seconds"], "writes": len(writes),
               "steady_writes_per_minute": steady_rate,
               "overall_writes_per_minute": n / module["duration_seconds"] * 60.0 if module["duration_seconds"] else None,
               "requests": total, "status_429": status_429, "share_429": (status_429 / total) if total else None,
               "first": counters, "module_api_calls": module["api_calls"], "elapsed_total": time.monotonic() - started}
        log("rate-limited: steady %.0f writes/min of %d, 429 share %.4f" % (steady_rate or 0, limit, row["share_429"] or 0))
        self.results["scenarios"][row["label"]] = row
        return row

    def audit_write_times(self):
        """Timestamps (epoch seconds) of every successful write, from the audit log."""
        import datetime  # pylint: disable=import-outside-toplevel
        times, cursor = [], None
        while True:
            query = "/v1/audit/logs?action=write&limit=1000" + ("&cursor=%s" % cursor if cursor else "")
            body = self.srv.dev_call("GET", query)
            for row in body.get("logs", []):
                if row.get("success"):
                    stamp = row["timestamp"].replace("Z", "+00:00")
                    times.append(datetime.datetime.fromisoformat(stamp).timestamp())
            cursor = body.get("cursor")
            if not cursor or not body.get("has_more"):
                break
        return sorted(times)

    # peak RSS of the module process ---------------------------------------------------------------
    def module_rss(self, region, n):
        """(first run, re-run) of the module run directly: wall seconds and its own peak RSS in MB.

        Linux keeps the high-water RSS of the address space a process had before exec in its
        ru_maxrss, and subprocess forks (vfork) from this big benchmark process; so the module is
        forked by a small launcher (RSS_LAUNCHER) and the launcher reports the child's ru_maxrss.
        """
        out = []
        self.fresh_scaivault(False)
        for _run in ("first", "rerun"):
            payload = {"ANSIBLE_MODULE_ARGS": {
                "region": region, "prefixes": [PREFIX], "workers": WORKERS,
                "mapping": [{"match": PREFIX + "**", "path": "bench/%s/**" % region}],
                "_ansible_check_mode": False, "_ansible_diff": False, "_ansible_verbosity": 0,
                "_ansible_module_name": "scailabs.scaivault.asm_migrate"}}
            with tempfile.TemporaryDirectory(prefix="scaivault-bench-rss-") as tmp:
                args_file = Path(tmp) / "args.json"
                args_file.write_text(json.dumps(payload))
                env = strip_env(os.environ)
                env.update(self.srv.env)
                env["PYTHONPATH"] = self.coll_root
                env["ANSIBLE_COLLECTIONS_PATH"] = self.coll_root
                started = time.monotonic()
                proc = subprocess.run(
                    [sys.executable, "-c", RSS_LAUNCHER, "-m",
                     "ansible_collections.scailabs.scaivault.plugins.modules.asm_migrate", str(args_file)],
                    env=env, cwd=tmp, capture_output=True, text=True, timeout=3600, check=False)
                elapsed = time.monotonic() - started
                module_output, _newline, maxrss = proc.stdout.rstrip("\n").rpartition("\n")
                result = json.loads(module_output)
            if result.get("failed"):
                raise RuntimeError("module failed: %s" % result.get("msg"))
            out.append({"seconds": elapsed, "rss_mb": int(maxrss) / 1024.0, "changed": result.get("changed"),
                        "timings": result.get("timings")})
        return out

    def scenario_rss(self):
        small = self.module_rss(REGIONS["small"], self.cfg["n_small"])
        large = self.module_rss(REGIONS["large"], self.cfg["n_large"])
        row = {"label": "rss", "n_small": self.cfg["n_small"], "n_large": self.cfg["n_large"], "small": small,
               "large": large, "growth_mb": large[0]["rss_mb"] - small[0]["rss_mb"],
               "growth_rerun_mb": large[1]["rss_mb"] - small[1]["rss_mb"]}
        log("rss: first %.1f MB -> %.1f MB, re-run %.1f MB -> %.1f MB" % (
            small[0]["rss_mb"], large[0]["rss_mb"], small[1]["rss_mb"], large[1]["rss_mb"]))
        self.results["scenarios"]["rss"] = row
        return row

    # everything -----------------------------------------------------------------------------------
    def run_all(self, only=None):
        cfg = self.cfg

        def wanted(name):
            return only is None or name in only

        needed = set()
        for group, keys in (("migrate", ("small", "large")), ("sequential", ("small", "large")),
                            ("pair", ("pair_a", "pair_b")), ("anchors", ("anchor",)), ("rate", ("limited",)),
                            ("rss", ("small", "large"))):
            if wanted(group):
                needed.update(keys)
        self.seed(needed)
        for latency in (False, True):
            tag = "+%dms" % LATENCY_MS if latency else ""
            if wanted("migrate"):
                self.scenario_migrate("migrate-%d%s" % (cfg["n_small"], tag), [("small", REGIONS["small"])],
                                      cfg["n_small"], cfg["runs"], latency)
                self.scenario_migrate("migrate-%d%s" % (cfg["n_large"], tag), [("large", REGIONS["large"])],
                                      cfg["n_large"], cfg["runs_large"], latency)
            if wanted("pair"):
                self.scenario_migrate("region-a-%d%s" % (cfg["n_pair"], tag), [("pair_a", REGIONS["pair_a"])],
                                      cfg["n_pair"], 1, latency)
                self.scenario_migrate("region-b-%d%s" % (cfg["n_pair"], tag), [("pair_b", REGIONS["pair_b"])],
                                      cfg["n_pair"], 1, latency)
                self.scenario_migrate("2-regions-2x%d%s" % (cfg["n_pair"], tag),
                                      [("pair_a", REGIONS["pair_a"]), ("pair_b", REGIONS["pair_b"])],
                                      cfg["n_pair"], cfg["runs"], latency)
            if wanted("sequential"):
                self.scenario_sequential("sequential-%d%s" % (cfg["n_small"], tag), REGIONS["small"], cfg["n_small"],
                                         cfg["runs"], latency)
                if cfg["runs_seq_large"]:
                    self.scenario_sequential("sequential-%d%s" % (cfg["n_large"], tag), REGIONS["large"],
                                             cfg["n_large"], cfg["runs_seq_large"], latency)
        if wanted("anchors"):
            self.scenario_anchors(cfg["n_anchor"])
        if wanted("rate"):
            self.scenario_rate_limited(cfg["n_limited"], cfg["write_limit"])
        if wanted("rss"):
            self.scenario_rss()


# A small process that forks the module and prints the module's own ru_maxrss on the last line.
RSS_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.executable, [sys.executable] + sys.argv[1:])
_pid, status, usage = os.wait4(pid, 0)
sys.stdout.flush()
print(usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def seed_region(asm_url, region, count, threads=6):
    """count small text secrets PREFIX00000.. in region; retried, since moto's server answers HTTP 500
    now and then under concurrent CreateSecret calls ("dictionary changed size during iteration")."""
    import boto3  # pylint: disable=import-outside-toplevel
    from botocore.config import Config  # pylint: disable=import-outside-toplevel

    def create(indexes):
        client = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                       region_name=region).client(
            "secretsmanager", endpoint_url=asm_url, config=Config(proxies={}, retries={"total_max_attempts": 1}))
        for index in indexes:
            for attempt in range(10):
                try:
                    client.create_secret(Name="%s%05d" % (PREFIX, index), SecretString="bench-value-%d" % index)
                    break
                except client.exceptions.ResourceExistsException:
                    break  # an earlier attempt did create it
                except Exception:  # pylint: disable=broad-except
                    if attempt == 9:
                        raise
                    time.sleep(0.05)

    from concurrent.futures import ThreadPoolExecutor  # pylint: disable=import-outside-toplevel
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(create, [range(start, count, threads) for start in range(threads)]))


# -- the report ---------------------------------------------------------------------------------------
def _met(ok):
    if ok is None:
        return "n/a"
    return "met" if ok else "MISSED"


def render(results):
    cfg = results["config"]
    sc = results["scenarios"]
    lines = ["# asm_migrate benchmark", "",
             "Loopback dev server + moto on this machine (%d CPUs). asm_migrate runs through ansible-playbook with "
             "workers=%d; times are wall-clock medians of the runs shown, ansible-playbook start-up included." % (
                 os.cpu_count() or 0, cfg["workers"]), ""]
    lines += ["| scenario | N | latency | runs | first run s (median) | per secret ms | re-run s (median) | "
              "ASM calls first / floor | ASM calls re-run / floor | ScaiVault requests first | ScaiVault requests re-run | "
              "CPU s of dev server / moto (first run) |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for label, row in sc.items():
        if "first_median" not in row:
            continue
        first = row.get("first") or {}
        rerun = row.get("rerun") or {}
        floor_first = row.get("asm_floor_first")
        floor_rerun = row.get("asm_floor_rerun")
        server_cpu = row.get("server_cpu_first") or {}
        lines.append("| %s | %s | %s ms | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            label, row["n"], row.get("latency_ms", 0), row["runs"], fmt(row["first_median"]), fmt(row["per_secret_ms"], 1),
            fmt(row.get("rerun_median")),
            "%s / %s" % (first.get("asm_total"), floor_first) if floor_first else first.get("asm_total", "-"),
            "%s / %s" % (rerun.get("asm_total"), floor_rerun) if floor_rerun else "-",
            first.get("scaivault_total", "-"), rerun.get("scaivault_total", "-") if rerun else "-",
            "%s / %s" % (fmt(server_cpu.get("devserver"), 1), fmt(server_cpu.get("moto"), 1)) if server_cpu else "-"))
    lines += ["", "## Targets", "", "| target | measured | verdict |", "|---|---|---|"]
    n_small, n_large, n_pair = cfg["n_small"], cfg["n_large"], cfg["n_pair"]
    for label in ("migrate-%d" % n_small, "migrate-%d" % n_large, "2-regions-2x%d" % n_pair):
        row = sc.get(label)
        if row:
            ok = row["first"]["asm_total"] <= row["asm_floor_first"]
            lines.append("| first-run ASM calls <= ceil(N/100)+ceil(N/20)+2 per region (%s) | %s <= %s | %s |" % (
                label, row["first"]["asm_total"], row["asm_floor_first"], _met(ok)))
            rerun = row["rerun"]
            reads = sum(ops.get("BatchGetSecretValue", 0) + ops.get("GetSecretValue", 0)
                        for ops in rerun["asm_by_region"].values())
            writes = rerun["scaivault_by_route"].get("PUT /v1/secrets/{path}", 0)
            ok = reads == 0 and writes == 0 and rerun["asm_total"] <= row["asm_floor_rerun"]
            lines.append("| unchanged re-run: 0 value reads, 0 writes, ASM calls <= ceil(N/100)+1 (%s) | "
                         "%d reads, %d writes, %s <= %s calls | %s |" % (
                             label, reads, writes, rerun["asm_total"], row["asm_floor_rerun"], _met(ok)))
    anchors = next((row for label, row in sc.items() if label.startswith("anchors-")), None)
    for label in ("migrate-%d" % n_small, "migrate-%d" % n_large):
        row = sc.get(label)
        if row and anchors:
            ratio = anchors["per_secret_ms"] / row["per_secret_ms"]
            lines.append("| >= 100x faster per secret than the per-task loop (%s vs %s) | %.0fx (%.1f vs %.1f ms) | %s |" % (
                label, anchors["label"], ratio, row["per_secret_ms"], anchors["per_secret_ms"], _met(ratio >= 100)))
    for n in (n_small, n_large):
        for tag in ("", "+%dms" % cfg["latency_ms"]):
            mig, seq = sc.get("migrate-%d%s" % (n, tag)), sc.get("sequential-%d%s" % (n, tag))
            if mig and seq:
                ratio = seq["per_secret_ms"] / mig["per_secret_ms"]
                verdict = _met(ratio >= 10) if tag else "reported"
                lines.append("| vs the sequential script, N=%d%s (target >= 10x with latency) | %.1fx | %s |" % (
                    n, tag or " bare loopback", ratio, verdict))
    for tag in ("", "+%dms" % cfg["latency_ms"]):
        pair = sc.get("2-regions-2x%d%s" % (n_pair, tag))
        alone = [sc.get("region-%s-%d%s" % (side, n_pair, tag)) for side in ("a", "b")]
        if pair and all(alone):
            slower = max(row["first_median"] for row in alone)
            ratio = pair["first_median"] / slower
            lines.append("| two regions <= 1.3x the slower one alone%s | %.2fx (%.2fs vs %.2fs) | %s |" % (
                tag and " (" + tag + ")", ratio, pair["first_median"], slower, _met(ratio <= 1.3)))
    limited = next((row for label, row in sc.items() if label.startswith("rate-limited")), None)
    if limited:
        share = limited["steady_writes_per_minute"] / limited["limit_per_minute"] if limited["steady_writes_per_minute"] else 0
        lines.append("| under a write limit of %d/min: >= 90%% achieved | %.0f writes/min in the steady state (second half) "
                     "(%.1f%%); %.0f/min overall incl. the bucket's burst | %s |" % (
                         limited["limit_per_minute"], limited["steady_writes_per_minute"] or 0, share * 100,
                         limited["overall_writes_per_minute"] or 0, _met(share >= 0.9)))
        lines.append("| under a write limit: <= 1%% of requests answered 429 | %d of %d (%.2f%%) | %s |" % (
            limited["status_429"], limited["requests"], (limited["share_429"] or 0) * 100,
            _met((limited["share_429"] or 0) <= 0.01)))
    rss = sc.get("rss")
    if rss:
        lines.append("| peak RSS grows < 50 MB from N=%d to N=%d | first run %.1f -> %.1f MB (+%.1f); re-run %.1f -> %.1f MB (+%.1f) | %s |" % (
            rss["n_small"], rss["n_large"], rss["small"][0]["rss_mb"], rss["large"][0]["rss_mb"], rss["growth_mb"],
            rss["small"][1]["rss_mb"], rss["large"][1]["rss_mb"], rss["growth_rerun_mb"],
            _met(rss["growth_mb"] < 50 and rss["growth_rerun_mb"] < 50)))
    if limited:
        calls = json.dumps((limited.get("module_api_calls") or {}).get("scaivault"))
        lines += ["", "Rate-limited run: %d secrets, limit %d writes/min, module %.1fs, %d ScaiVault requests, "
                  "%d answered 429, ScaiVault calls %s." % (
                      limited["n"], limited["limit_per_minute"], limited["module_seconds"], limited["requests"],
                      limited["status_429"], calls)]
    return "\n".join(lines) + "\n"


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["sequential"]:
        return sequential_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--quick", action="store_true", help="small N, one run each (smoke test)")
    parser.add_argument("--only", action="append", choices=["migrate", "pair", "sequential", "anchors", "rate", "rss"],
                        help="run only these scenario groups (repeatable)")
    parser.add_argument("--runs", type=int, help="runs per scenario (default 3, --quick 1)")
    parser.add_argument("--runs-seq-large", type=int,
                        help="runs of the sequential script at the large N (default 1; 0 skips it: ~8 min with latency)")
    parser.add_argument("--output", default=str(REPO_ROOT / "reports" / "bench.md"))
    args = parser.parse_args(argv)
    cfg = dict(QUICK if args.quick else FULL)
    if args.runs is not None:
        cfg["runs"] = cfg["runs_large"] = args.runs
    if args.runs_seq_large is not None:
        cfg["runs_seq_large"] = args.runs_seq_large
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    state = Path(tempfile.mkdtemp(prefix="scaivault-bench-"))
    bench = Bench(cfg, state)
    bench.results["config"]["load_average"] = {"start": list(os.getloadavg())}
    started = time.monotonic()
    try:
        bench.start()
        log("servers up: %s, %s (state %s)" % (bench.srv.scaivault_url, bench.srv.asm_url, state))
        bench.run_all(set(args.only) if args.only else None)
    finally:
        bench.stop()
    bench.results["total_seconds"] = time.monotonic() - started
    bench.results["config"]["load_average"]["end"] = list(os.getloadavg())
    text = render(bench.results)
    text += "\nBenchmark wall time: %.0f s%s; load average at start %s, at end %s.\n" % (
        bench.results["total_seconds"], " (--quick)" if args.quick else "",
        "/".join("%.1f" % x for x in bench.results["config"]["load_average"]["start"]),
        "/".join("%.1f" % x for x in bench.results["config"]["load_average"]["end"]))
    output.write_text(text)
    output.with_suffix(".json").write_text(json.dumps(bench.results, indent=2, sort_keys=True, default=str) + "\n")
    print(text)
    log("written %s and %s" % (output, output.with_suffix(".json")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
