# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault matrix (reliability suite): a bulk asm_migrate of N secrets in one region under each fault.

The first run of every fault case is asserted on its own (``FIRST_RUN``): it ends without an error,
it retried (or resolved an unknown outcome) exactly as often as the servers injected a fault, and its
retry warnings name the waits (Retry-After: 1 -> "retrying in 1.0s"; Ansible prints a repeated text once). The module runs with
``retries=$RELIABILITY_SV_RETRIES`` (default 10), enough that a 20% fault share never exhausts them;
``RELIABILITY_SV_RETRIES=0`` switches ScaiVault retries off, and then the ScaiVault cases must fail.

Every case must end, after at most ONE re-run, with
* every ASM secret present in ScaiVault with bit-identical content - the stored data decoded with
  the recorded format (tests/asm_roundtrip.decode_to_asm) equals what boto3 reads from ASM out of band;
* version 1 on every target (one ASM version each: no duplicate versions), checked on the dev
  server with batch metadata, and metadata.source.version_id = ASM's VersionId;
* a report (report_path JSON) of the final run that lists every secret exactly once with a
  successful action, and, for a first run that ended by itself, every secret too.

N is ``$RELIABILITY_N`` (default 1000; ``make reliability-full`` raises it). Figures per case
(wall time, retries seen by the module and injected by the servers, re-runs, lost, duplicates)
go to reports/reliability.md (figures.py).

The secrets mix five encodings: plain text, JSON object, non-UTF-8 binary, JSON list, malformed
JSON (text). Values are fake and contain their index.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.encoding import values_equal

from asm_roundtrip import decode_to_asm
from integration.asm_seed import _session
from integration.playbook_runner import COLLECTION, _module_payload, _parse_module_output, build_env, coll_root
from reliability import figures
from botocore.config import Config

N = int(os.environ.get("RELIABILITY_N", "1000"))
REGION = "us-east-1"
PREFIX = "rel/"
MAPPING = [{"match": "rel/**", "path": "reliability/**"}]
PUT_ROUTE = "PUT /v1/secrets/{path}"
META_ROUTE = "POST /v1/secrets/batch/metadata"
OUTAGE_SECONDS = float(os.environ.get("RELIABILITY_OUTAGE_SECONDS", "2"))
MODULE_TIMEOUT = float(os.environ.get("RELIABILITY_MODULE_TIMEOUT", "300"))
SV_RETRIES = int(os.environ.get("RELIABILITY_SV_RETRIES", "10"))


def name_of(index):
    return "%s%s/%05d" % (PREFIX, ("svc%d" % (index % 7)), index)


def path_of(name):
    return "reliability/" + name[len(PREFIX):]


def value_of(index):
    """(SecretString, SecretBinary) of secret index: five encodings in turn."""
    kind = index % 5
    if kind == 0:
        return "plain-text value %d with spaces " % index, None
    if kind == 1:
        return json.dumps({"user": "svc%d" % index, "password": "pw-%d-\u00e4\u5bc6" % index, "port": index,
                           "nested": {"list": [1, 2.5, None, True], "empty": {}}}), None
    if kind == 2:
        return None, b"\xff\xfe\x00\x80" + index.to_bytes(4, "big") + bytes(range(256))[index % 200:]
    if kind == 3:
        return json.dumps(["list", index, {"k": "v%d" % index}]), None
    return '{"broken": "json %d", ' % index, None


def _sm(asm_url):
    return _session(REGION).client("secretsmanager", endpoint_url=asm_url,
                                   config=Config(proxies={}, retries={"mode": "standard", "total_max_attempts": 5}))


def seed(asm_url, n):
    names = [name_of(index) for index in range(n)]

    def create(chunk):
        sm = _sm(asm_url)
        for index in chunk:
            string, binary = value_of(index)
            kwargs = {"SecretString": string} if binary is None else {"SecretBinary": binary}
            sm.create_secret(Name=names[index], Description="reliability secret %d" % index,
                             Tags=[{"Key": "suite", "Value": "reliability"}], **kwargs)

    chunks = [list(range(start, n, 8)) for start in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(create, chunks))
    return names


# -- fixtures -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def seeded(servers):
    """The N secrets in moto, created once for the whole matrix (cases reset only the dev server)."""
    if not servers.dev.alive():
        servers.start_dev()
    servers.reset_all()
    started = time.monotonic()
    names = seed(servers.asm_url, N)
    return {"names": names, "seed_seconds": time.monotonic() - started}


@pytest.fixture
def fresh(servers, seeded):
    """Empty dev server, no faults anywhere, zero counters; moto keeps the seeded secrets."""
    if not servers.dev.alive():
        servers.start_dev()
    servers.reset_dev()
    servers.clear_asm_faults()
    servers.reset_asm_calls()
    yield servers
    servers.clear_asm_faults()
    if servers.dev.alive():
        servers.clear_dev_faults()


# -- running the module as a process we can kill ------------------------------------------------------
class ModuleRun:
    """asm_migrate in its own process (python -m), so a test can SIGKILL it at a chosen moment."""

    def __init__(self, env, args, tmpdir):
        self.tmp = Path(tempfile.mkdtemp(prefix="rel-module-", dir=str(tmpdir)))
        args_file = self.tmp / "args.json"
        payload = _module_payload(args, False, False, 0)
        payload["ANSIBLE_MODULE_ARGS"]["_ansible_module_name"] = "%s.asm_migrate" % COLLECTION
        args_file.write_text(json.dumps(payload))
        os.chmod(args_file, 0o600)
        root = str(coll_root())
        run_env = build_env(env)
        run_env["PYTHONPATH"] = os.pathsep.join([root] + ([run_env["PYTHONPATH"]] if run_env.get("PYTHONPATH") else []))
        run_env["ANSIBLE_COLLECTIONS_PATH"] = root
        run_env["TMPDIR"] = str(self.tmp)
        self.started = time.monotonic()
        self.stdout_path = self.tmp / "stdout"
        self.stderr_path = self.tmp / "stderr"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
                [sys.executable, "-m", "ansible_collections.scailabs.scaivault.plugins.modules.asm_migrate",
                 str(args_file)], cwd=str(self.tmp), env=run_env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        self.killed = False
        self.elapsed = None

    def kill(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.killed = True

    def wait(self, timeout=MODULE_TIMEOUT):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.proc.wait(10)
            raise AssertionError("asm_migrate exceeded %ss; stderr tail: %s" % (
                timeout, self.stderr_path.read_text(errors="replace")[-2000:]))
        self.elapsed = time.monotonic() - self.started
        result = _parse_module_output(self.stdout_path.read_text(errors="replace"))
        return result

    def running(self):
        return self.proc.poll() is None


def migrate_args(report):
    return {"region": REGION, "prefixes": [PREFIX], "mapping": MAPPING, "workers": 8, "report_path": str(report),
            "retries": SV_RETRIES}


# -- out-of-band verification ---------------------------------------------------------------------------
def verify(servers, names):
    """(lost, duplicates, wrong): names missing, with version != 1, or whose content differs from ASM."""
    import httpx  # pylint: disable=import-outside-toplevel

    asm_values = {}
    sm = _sm(servers.asm_url)
    for start in range(0, len(names), 20):
        answer = sm.batch_get_secret_value(SecretIdList=names[start:start + 20])
        assert not answer.get("Errors"), answer.get("Errors")
        for item in answer["SecretValues"]:
            asm_values[item["Name"]] = item
    stored = {}
    with httpx.Client(base_url=servers.scaivault_url, timeout=60.0, trust_env=False,
                      headers={"Authorization": "Bearer %s" % servers.token}) as http:
        paths = [path_of(name) for name in names]
        for start in range(0, len(paths), 100):
            answer = http.post("/v1/secrets/batch", json={"paths": paths[start:start + 100], "options": {"include_metadata": True}})
            answer.raise_for_status()
            stored.update(answer.json().get("secrets") or {})
    lost, duplicates, wrong = [], [], []
    for name in names:
        secret = stored.get(path_of(name))
        if secret is None:
            lost.append(name)
            continue
        if secret["version"] != 1:
            duplicates.append((name, secret["version"]))
        asm = asm_values[name]
        source = (secret.get("metadata") or {}).get("source") or {}
        if source.get("version_id") != asm["VersionId"] or source.get("name") != name:
            wrong.append((name, "provenance"))
            continue
        string, binary = decode_to_asm(secret["data"], source["format"])
        if "SecretBinary" in asm:
            ok = binary == asm["SecretBinary"]
        elif source["format"] == "json":
            ok = values_equal(json.loads(string), json.loads(asm["SecretString"])) and secret["secret_type"] == "json"
        else:
            ok = string == asm["SecretString"]
        if not ok:
            wrong.append((name, "content"))
    return lost, duplicates, wrong


def accounted(result, names):
    """Every name exactly once in the module's secrets[] (a report that accounts for every secret)."""
    listed = [entry["name"] for entry in result.get("secrets") or []]
    return sorted(listed) == sorted(names)


def faults_injected(servers, by_server=False):
    """Errors the servers injected (dev server status/drop faults + ASM stand-in faults); by_server: (dev, asm)."""
    injected = 0
    if servers.dev.alive():
        for fault in (servers.dev_call("GET", "/_dev/faults") or {}).get("faults", []):
            if fault.get("kind") != "latency":
                injected += fault.get("injected", 0)
    asm = servers.asm_calls().get("injected") or 0
    return (injected, asm) if by_server else injected + asm


def _api(result, service, key):
    return ((result.get("api_calls") or {}).get(service) or {}).get(key, 0) or 0


def _notes(result):
    return sum(1 for entry in result.get("secrets") or [] if entry.get("notes"))


# -- the cases ------------------------------------------------------------------------------------------
def no_fault(servers):
    return None


def sv_5xx(servers):
    # 503 anywhere (the server did not act: any request is retried); 500 on reads only (a 500 after a PUT is an
    # unknown outcome, resolved by a re-read: the drop_after case covers those).
    servers.dev_faults([
        {"kind": "status", "status": 503, "share": 0.05, "path_regex": "^/v1/", "seed": 11},
        {"kind": "status", "status": 500, "share": 0.3, "method": "POST", "path_regex": "^/v1/secrets/batch", "seed": 12},
        {"kind": "status", "status": 500, "share": 0.3, "method": "GET", "path_regex": "^/v1/", "seed": 16}])


def sv_429(servers):
    servers.dev_faults([{"kind": "status", "status": 429, "retry_after": 1, "share": 0.05, "path_regex": "^/v1/",
                         "seed": 13}])


def sv_drop_after(servers):
    servers.dev_faults([{"kind": "drop_after", "share": 0.05, "path_regex": "^/v1/", "seed": 14}])


def asm_throttle(servers):
    servers.asm_fault(target="*", code="ThrottlingException", status=400, share=0.3, seed=15)


def combined(servers):
    servers.dev_faults([
        {"kind": "drop_after", "share": 0.05, "path_regex": "^/v1/", "seed": 21},
        {"kind": "status", "status": 503, "share": 0.05, "path_regex": "^/v1/", "seed": 22},
        {"kind": "status", "status": 500, "share": 0.05, "path_regex": "^/v1/", "seed": 23},
        {"kind": "status", "status": 429, "retry_after": 1, "share": 0.1, "path_regex": "^/v1/", "seed": 24}])
    servers.asm_fault(target="*", code="ThrottlingException", status=400, share=0.3, seed=25)


CASES = {
    "baseline (no fault)": no_fault,
    "ScaiVault 503 on 5%, 500 on 30% of reads": sv_5xx,
    "ScaiVault 429 Retry-After:1 on 5%": sv_429,
    "ScaiVault drop_after on 5% (unknown outcome)": sv_drop_after,
    "ASM ThrottlingException on 30%": asm_throttle,
}
if os.environ.get("RELIABILITY_FULL"):
    CASES["all at once: drop_after 5% + 503 5% + 500 5% + 429 10% + ASM throttling 30%"] = combined


def _retry_waits(result):
    """The waits the run announced: seconds of every "retrying in N.Ns" warning."""
    waits = []
    for warning in result.get("warnings") or []:
        found = re.search(r"retrying in ([0-9.]+)s \(attempt", warning)
        if found:
            waits.append(float(found.group(1)))
    return waits


def _first_run_clean(first, errors_allowed=False):
    assert not first.get("failed"), "the first run failed: %s" % (first.get("msg") or "")[:2000]
    failed = [(entry["name"], entry.get("reason_code")) for entry in first.get("secrets") or [] if entry["action"] == "error"]
    assert errors_allowed or not failed, "the first run left %d errors: %s" % (len(failed), failed[:5])


def first_no_fault(first, dev, asm):
    _first_run_clean(first)
    assert (dev, asm) == (0, 0) and _api(first, "scaivault", "retries") == 0 and _retry_waits(first) == []


def first_sv_retried(first, dev, asm, wait=None):
    """Every injected ScaiVault fault was retried (none exhausted the retries), and each retry was announced."""
    _first_run_clean(first)
    retries = _api(first, "scaivault", "retries")
    assert dev >= 1 and retries == dev, "ScaiVault faults injected %d, retries reported %d" % (dev, retries)
    waits = _retry_waits(first)
    # Ansible shows a warning text once: retries of one path at the same attempt and wait share a line.
    assert 1 <= len(waits) <= retries, "retry warnings %d, retries %d" % (len(waits), retries)
    if wait is not None:
        assert set(waits) == {wait}, "waits announced: %s" % sorted(set(waits))


def first_sv_5xx(first, dev, asm):
    """503s are retried up to `retries`; a 500 internal_error only once, as ScaiVault's docs say
    (https://www.scailabs.ai/en/docs/scaivault/core-concepts/errors: retry once, then escalate). At 30% of reads some
    read fails twice: the secrets it carried are internal_error errors of the first run, and the re-run finishes them."""
    failed = [entry.get("reason_code") for entry in first.get("secrets") or [] if entry["action"] == "error"]
    assert set(failed) <= {"internal_error"}, "first-run errors other than an escalated internal_error: %s" % set(failed)
    retries = _api(first, "scaivault", "retries")
    assert dev >= 1 and 1 <= retries <= dev, "ScaiVault faults injected %d, retries reported %d" % (dev, retries)
    assert 1 <= len(_retry_waits(first)) <= retries


def first_sv_429(first, dev, asm):
    first_sv_retried(first, dev, asm, wait=1.0)  # Retry-After: 1, honoured
    assert _api(first, "scaivault", "rate_limited") == dev


def first_sv_unknown(first, dev, asm):
    """A dropped PUT is never retried: its outcome is resolved by a re-read (a note); a dropped read is retried."""
    _first_run_clean(first)
    retries, unknown = _api(first, "scaivault", "retries"), _notes(first)
    assert unknown >= 1 and retries + unknown == dev, "drops %d, retries %d + re-read notes %d" % (dev, retries, unknown)
    assert all("a re-read showed it was applied" in " ".join(entry["notes"])
               for entry in first["secrets"] if entry.get("notes"))


def first_asm_retried(first, dev, asm):
    _first_run_clean(first)
    assert asm >= 1 and _api(first, "asm", "retries") == asm, "ASM throttled %d, retries reported %d" % (
        asm, _api(first, "asm", "retries"))


FIRST_RUN = {
    "baseline (no fault)": first_no_fault,
    "ScaiVault 503 on 5%, 500 on 30% of reads": first_sv_5xx,
    "ScaiVault 429 Retry-After:1 on 5%": first_sv_429,
    "ScaiVault drop_after on 5% (unknown outcome)": first_sv_unknown,
    "ASM ThrottlingException on 30%": first_asm_retried,
}


def finish(servers, seeded, case, first, first_elapsed, tmp_path, notes="", first_killed=False, injected=0):
    """Re-run once when needed, verify out of band, record the figures, assert the promises."""
    names = seeded["names"]
    servers.clear_asm_faults()
    if servers.dev.alive():
        servers.clear_dev_faults()
    reruns, rerun_elapsed, final = 0, None, first
    first_ok = (not first_killed) and first and not first.get("failed") and first.get("summary", {}).get("error") == 0
    if not first_killed:
        assert accounted(first, names), "first run does not account for every secret: %s" % (
            json.dumps(first.get("summary")), )
    if not first_ok:
        reruns = 1
        run = ModuleRun(servers.env, migrate_args(tmp_path / "report-rerun"), tmp_path)
        final = run.wait()
        rerun_elapsed = run.elapsed
    report = json.loads((tmp_path / ("report-rerun.json" if reruns else "report.json")).read_text())
    lost, duplicates, wrong = verify(servers, names)
    figures.record(
        "fault_matrix", case, n=len(names), wall_s=round(first_elapsed + (rerun_elapsed or 0), 1),
        first_run_s=round(first_elapsed, 1), rerun_s=round(rerun_elapsed, 1) if rerun_elapsed else None,
        retries_sv=_api(first, "scaivault", "retries") + _api(final, "scaivault", "retries") * (reruns > 0),
        rate_limited=_api(first, "scaivault", "rate_limited") + _api(final, "scaivault", "rate_limited") * (reruns > 0),
        retries_asm=_api(first, "asm", "retries") + _api(final, "asm", "retries") * (reruns > 0),
        faults_injected=injected, unknown_outcomes=_notes(first), reruns=reruns, lost=len(lost),
        duplicates=len(duplicates), notes=notes + ("" if not wrong else " WRONG CONTENT %d" % len(wrong)))
    assert not final.get("failed"), "the re-run did not finish the migration: %s" % (final.get("msg") or "")[:2000]
    assert final["summary"]["error"] == 0
    assert accounted(final, names) and accounted(report, names), "the report does not account for every secret"
    assert all(entry["action"] in ("create", "update", "unchanged") for entry in report["secrets"])
    assert not lost, "secrets lost: %d (e.g. %s)" % (len(lost), lost[:5])
    assert not duplicates, "duplicate versions: %s" % duplicates[:5]
    assert not wrong, "content differs from ASM: %s" % wrong[:5]
    return final


@pytest.mark.parametrize("case", list(CASES))
def test_fault_case(fresh, seeded, case, tmp_path):
    CASES[case](fresh)
    run = ModuleRun(fresh.env, migrate_args(tmp_path / "report"), tmp_path)
    first = run.wait()
    dev, asm = faults_injected(fresh, by_server=True)
    if case in FIRST_RUN:
        FIRST_RUN[case](first, dev, asm)  # what the first run did, before any re-run could mend it
    finish(fresh, seeded, case, first, run.elapsed, tmp_path, injected=dev + asm)


def _wait_for(predicate, run, timeout=120.0, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not run.running():
            return False
        if predicate():
            return True
        time.sleep(interval)
    return False


def _puts(servers):
    return (servers.dev_counters().get("by_route") or {}).get(PUT_ROUTE, 0)


def test_dev_server_killed_and_restarted_mid_run(fresh, seeded, tmp_path):
    """kill -9 of the dev server while writes are in flight, restarted on the same port and data dir."""
    fresh.dev_faults([{"kind": "latency", "method": "PUT", "latency_ms": 15}])
    run = ModuleRun(fresh.env, migrate_args(tmp_path / "report"), tmp_path)
    threshold = N * 3 // 10
    assert _wait_for(lambda: _puts(fresh) >= threshold, run), "the run ended before the dev server could be killed"
    puts_before = _puts(fresh)
    down = time.monotonic()
    fresh.kill_dev()  # SIGKILL
    time.sleep(OUTAGE_SECONDS)  # requests in flight are lost, new ones are refused
    fresh.start_dev()  # same port, same data dir
    outage = time.monotonic() - down
    first = run.wait()
    finish(fresh, seeded, "dev server SIGKILL + restart mid-run", first, run.elapsed, tmp_path,
           notes="killed after %d PUTs, down %.1fs" % (puts_before, outage))


KILL_POINTS = {
    "after listing": "listing",
    "mid-writes": "mid",
    "near the end": "end",
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_module_killed(fresh, seeded, point, tmp_path):
    """SIGKILL of the module process at three points; one re-run must finish exactly."""
    where = KILL_POINTS[point]
    if where == "listing":
        # Value reads slowed down: the window between 'listed everything' and 'first PUT' is wide.
        fresh.asm_fault(target="secretsmanager.BatchGetSecretValue", code=None, latency_ms=300, count=-1)
        pages = (N + 99) // 100

        def moment():
            listed = (fresh.asm_calls().get("by_operation") or {}).get("ListSecrets", 0)
            return listed >= pages
    else:
        fresh.dev_faults([{"kind": "latency", "method": "PUT", "latency_ms": 20}])
        threshold = N // 2 if where == "mid" else N * 9 // 10

        def moment():
            return _puts(fresh) >= threshold
    run = ModuleRun(fresh.env, migrate_args(tmp_path / "report"), tmp_path)
    assert _wait_for(moment, run), "the run ended before the kill point (%s)" % point
    run.kill()
    puts_at_kill = _puts(fresh)
    run.wait()
    assert run.killed
    if where == "listing":
        assert puts_at_kill == 0, "the kill after listing came after the first write"
    finish(fresh, seeded, "module SIGKILL %s" % point, {}, run.elapsed, tmp_path, first_killed=True,
           notes="killed after %d PUTs" % puts_at_kill)
