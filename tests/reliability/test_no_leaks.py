# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""No leaks (reliability suite).

1. The demo-sized estate (tests/demo/seed_demo.py: ~60 secrets of every kind, two regions) through
   the whole demo playbook (playbooks/demo.yml = migrate.yml + cleanup.yml) at -vvvv, with --diff,
   ANSIBLE_LOG_PATH and the ``ansible.builtin.tree`` callback: no secret value, ScaiVault token,
   AWS secret key or webhook signing secret appears in stdout, stderr, the log, the tree files,
   the recorded task results or the report files (leakscan: raw, JSON-escaped, repr, URL and
   base64 forms).
2. Errors forced inside modules (server faults, refused writes, bad data, unknown outcomes) carry
   no value in their messages, results or stderr.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from demo.seed_demo import seed_demo
from integration.leakscan import assert_no_leak, find_leaks
from integration.playbook_runner import (CALLBACK_NAME, REPO_ROOT, _ansible_playbook, ansible_env,
                                         run_module)
from reliability import figures

from ansible.module_utils.common import warnings as _warnings

INVENTORY = REPO_ROOT / "tests" / "demo" / "inventory"
PLAYBOOK = REPO_ROOT / "playbooks" / "demo.yml"
REGION = "us-east-1"


def _leaves(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, str):
        yield value


def secret_values(seeded) -> list:
    """Every seeded value (and every string inside a JSON value) of 12+ characters; binaries as base64."""
    values = set()
    for item in seeded["values"]:
        if isinstance(item, (bytes, bytearray)):
            values.add(base64.b64encode(bytes(item)).decode("ascii"))
            continue
        values.add(item)
        try:
            values.update(_leaves(json.loads(item)))
        except ValueError:
            pass
    return sorted(v for v in values if len(v) >= 12)


def _files(*roots):
    found = []
    for root in roots:
        for path in Path(root).rglob("*"):
            if path.is_file():
                found.append(path)
    return found


@pytest.fixture
def demo_run(dev_server, tmp_path):
    assert PLAYBOOK.exists(), "%s does not exist" % PLAYBOOK
    seeded = seed_demo(dev_server.asm_url)
    workdir = tmp_path / "work"
    workdir.mkdir()
    tree = tmp_path / "tree"
    reports = tmp_path / "reports"
    log = tmp_path / "ansible.log"
    aws_key_id = "AKIARELIABILITY" + secrets.token_hex(3).upper()
    aws_secret = "relAwsSecret/" + secrets.token_urlsafe(24)
    webhook_secret = "whsec-rel-" + secrets.token_hex(20)
    env = dict(dev_server.env, AWS_ACCESS_KEY_ID=aws_key_id, AWS_SECRET_ACCESS_KEY=aws_secret,
               DEMO_WEBHOOK_SECRET=webhook_secret)
    run_env = ansible_env(workdir, env, log_path=log, results_file=workdir / "results.jsonl")
    run_env["ANSIBLE_CALLBACKS_ENABLED"] = CALLBACK_NAME + ",ansible.builtin.tree"
    run_env["ANSIBLE_CALLBACK_TREE_DIR"] = str(tree)
    extra = workdir / "extra.json"
    extra.write_text(json.dumps({"scaivault_report_dir": str(reports), "scaivault_batch_size": 20}))
    cmd = [sys.executable, _ansible_playbook(), "-i", str(INVENTORY), "-vvvv", "--diff", "-e", "@%s" % extra,
           str(PLAYBOOK)]
    proc = subprocess.run(cmd, cwd=str(workdir), env=run_env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=600, check=False)
    return dict(proc=proc, seeded=seeded, tree=tree, reports=reports, log=log, workdir=workdir,
                secrets=dict(aws_secret=aws_secret, token=dev_server.token, webhook=webhook_secret))


@pytest.mark.skipif(not os.environ.get("RELIABILITY_FULL"), reason=(
    "make reliability-full only: the whole demo at -vvvv (~90 s); make test scans migrate.yml at -vvvv on the demo "
    "estate (tests/integration/test_roles_playbooks.py::test_no_value_in_output_at_vvvv) and each module at -vvvv"))
def test_demo_run_at_vvvv_with_diff_log_and_tree_leaks_nothing(demo_run):
    proc = demo_run["proc"]
    assert proc.returncode == 0, "demo playbook failed:\n%s\n%s" % (proc.stdout[-4000:], proc.stderr[-2000:])
    tree_files = _files(demo_run["tree"])
    report_files = _files(demo_run["reports"])
    assert tree_files, "the tree callback wrote nothing (ANSIBLE_CALLBACK_TREE_DIR)"
    assert report_files, "no report files were written"
    assert demo_run["log"].exists() and demo_run["log"].stat().st_size > 0
    files = [demo_run["log"], demo_run["workdir"] / "results.jsonl"] + tree_files + report_files
    values = secret_values(demo_run["seeded"]) + list(demo_run["secrets"].values())
    texts = {"stdout": proc.stdout, "stderr": proc.stderr}
    leaks = find_leaks(values, texts, files)
    scanned = sum(len(t) for t in texts.values()) + sum(Path(f).stat().st_size for f in files if Path(f).exists())
    figures.record("no_leaks", "demo.yml -vvvv --diff, log + tree + reports (%d secrets, 2 regions)"
                   % len(demo_run["seeded"]["secrets"]), values_scanned=len(values),
                   sources_scanned=len(files) + 2, bytes_scanned=scanned, leaks=len(leaks),
                   result="ok" if not leaks else "LEAK: %s" % sorted({(s, f) for s, f, _p in leaks})[:5])
    assert_no_leak(values, texts=texts, files=files)
    # The run did real work, so the scan means something: secrets were migrated and diffs shown.
    assert "sha256:" in proc.stdout or "fingerprint" in proc.stdout.lower()


# -- errors forced inside modules ----------------------------------------------------------------------
CANARY_JSON = {"api_key": "sk_live_ErrCanaryJson_7731", "password": "ErrCanaryPass-0042"}
CANARY_TEXT = "ErrCanaryText-correct-horse-9917"
CANARY_BIN = b"ErrCanaryBin-\xff\xfe\x00-9918"
CANARIES = ["sk_live_ErrCanaryJson_7731", "ErrCanaryPass-0042", CANARY_TEXT, json.dumps(CANARY_JSON),
            base64.b64encode(CANARY_BIN).decode("ascii")]


def _seed_canaries(servers, asm_client_factory, big=False):
    sm = asm_client_factory(REGION)
    sm.create_secret(Name="prod/err/json", SecretString=json.dumps(CANARY_JSON))
    sm.create_secret(Name="prod/err/text", SecretString=CANARY_TEXT)
    sm.create_secret(Name="prod/err/bin", SecretBinary=CANARY_BIN)
    if big:
        sm.create_secret(Name="prod/err/huge", SecretString=CANARY_TEXT + "z" * (64 * 1024 - 4 - len(CANARY_TEXT)))


MIGRATE = {"region": REGION, "prefixes": ["prod/err/"], "mapping": [{"match": "prod/**", "path": "errors/**"}]}

ERROR_CASES = {
    "PUT answered 500 every time": (
        [{"kind": "status", "status": 500, "method": "PUT"}], None, dict(MIGRATE, retries=0)),
    "PUT answered 400 invalid_request": (
        [{"kind": "status", "status": 400, "method": "PUT"}], None, MIGRATE),
    "PUT dropped after processing, re-read refused": (
        [{"kind": "drop_after", "method": "PUT"}, {"kind": "status", "status": 500, "method": "GET"}], None,
        dict(MIGRATE, retries=0)),
    "ASM GetSecretValue/BatchGet fail": (
        None, ("AccessDeniedException", "secretsmanager.BatchGetSecretValue", "secretsmanager.GetSecretValue"), MIGRATE),
    "value above the size limit": (None, None, dict(MIGRATE, prefixes=["prod/err/huge"])),
    "diff mode with a refused update": (
        [{"kind": "status", "status": 503, "method": "PUT"}], None, dict(MIGRATE, retries=0, owner="team:x")),
}


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_errors_inside_modules_carry_no_values(dev_server, asm_client_factory, case):
    faults, asm_fault, args = ERROR_CASES[case]
    _seed_canaries(dev_server, asm_client_factory, big=case == "value above the size limit")
    if case == "diff mode with a refused update":
        first = run_module("asm_migrate", MIGRATE, env=dev_server.env)
        assert not first.failed
        asm_client_factory(REGION).put_secret_value(SecretId="prod/err/text", SecretString=CANARY_TEXT + "-v2")
    if faults:
        dev_server.dev_faults(faults)
    if asm_fault:
        code, *targets = asm_fault
        for index, target in enumerate(targets):
            dev_server.asm_fault(target=target, code=code, status=400, append=index > 0)
    try:
        result = run_module("asm_migrate", args, env=dev_server.env, diff=True, verbosity=4)
    finally:
        dev_server.clear_dev_faults()
        dev_server.clear_asm_faults()
    assert result.failed, "the forced error did not happen: %s" % json.dumps(result.result)[:1000]
    assert result.result.get("msg")
    errors = [entry for entry in result.result.get("secrets") or [] if entry.get("action") == "error"]
    texts = {"stdout": result.stdout, "stderr": result.stderr, "msg": result.result.get("msg", "")}
    leaks = find_leaks(CANARIES + [CANARY_TEXT + "-v2"], texts)
    figures.record("no_leaks", "forced module error: %s" % case, values_scanned=len(CANARIES) + 1,
                   sources_scanned=3, bytes_scanned=sum(len(t) for t in texts.values()), leaks=len(leaks),
                   result=("ok (%d error entries)" % len(errors)) if not leaks else "LEAK in %s" % sorted(
                       {s for s, _f, _p in leaks}))
    assert not leaks, "values in a module error: %s" % leaks


def test_scaivault_secret_errors_carry_no_values(dev_server):
    """scaivault_secret: refused writes, a bad path, a type the server refuses - no data in any message."""
    data = {"password": "SvSecretCanary-55120", "token": "SvTokenCanary-88123"}
    cases = [
        ({"path": "Bad/Path", "data": data}, None),
        ({"path": "apps/err", "data": data}, [{"kind": "status", "status": 500, "method": "PUT"}]),
        ({"path": "apps/err", "data": data}, [{"kind": "drop_after", "method": "PUT"},
                                              {"kind": "status", "status": 500, "method": "GET"}]),
        ({"path": "apps/err", "data": dict(data, big="q" * 70000)}, None),
    ]
    texts = {}
    for index, (args, faults) in enumerate(cases):
        if faults:
            dev_server.dev_faults(faults)
        try:
            _warnings._global_warnings.clear()  # pylint: disable=protected-access
            result = run_module("scaivault_secret", dict(args, retries=0), env=dev_server.env, diff=True,
                                verbosity=4)
        finally:
            dev_server.clear_dev_faults()
        assert result.failed, json.dumps(result.result)[:500]
        texts["case%d stdout" % index] = result.stdout
        texts["case%d stderr" % index] = result.stderr
    leaks = find_leaks(list(data.values()), texts)
    figures.record("no_leaks", "forced scaivault_secret errors (4 kinds)", values_scanned=2,
                   sources_scanned=len(texts), bytes_scanned=sum(len(t) for t in texts.values()), leaks=len(leaks),
                   result="ok" if not leaks else "LEAK in %s" % sorted({s for s, _f, _p in leaks}))
    assert not leaks, leaks


def test_exceptions_of_the_shared_layer_carry_no_values():
    """Exceptions raised by the pure layer on bad values name the problem, never the value."""
    from ansible_collections.scailabs.scaivault.plugins.module_utils._common import encoding as _encoding  # pylint: disable=import-outside-toplevel

    canary = "SharedLayerCanary-31337"
    messages = []
    attempts = [
        _encoding.encode_asm_value,
        lambda: _encoding.check_secret_data([canary]),
        lambda: _encoding.check_secret_data(canary),
    ]
    for attempt in attempts:
        try:
            attempt()
        except Exception as exc:  # pylint: disable=broad-except
            messages.append("%s: %s %r" % (type(exc).__name__, exc, exc.args))
    assert messages, "no exception was raised"
    leaks = find_leaks([canary], {"exc%d" % i: m for i, m in enumerate(messages)})
    figures.record("no_leaks", "shared-layer exceptions (_encoding, %d raised)" % len(messages), values_scanned=1,
                   sources_scanned=len(messages), bytes_scanned=sum(len(m) for m in messages), leaks=len(leaks),
                   result="ok" if not leaks else "LEAK in %s" % sorted({s for s, _f, _p in leaks}))
    assert not leaks, messages
