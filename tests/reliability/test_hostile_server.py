# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A hostile ScaiVault (or proxy) that echoes what it was sent must not make the collection leak.

The dev server's ``echo_body`` fault answers 422 with the request body (or, for batch reads, the
answer it would have given, values included) inside the error message and details, and with the
bearer token. Real playbooks then run asm_migrate (every value kind), scaivault_secret (check +
diff, then a real write), the lookup and asm_cleanup at -vvvv with --diff, ANSIBLE_LOG_PATH and
reports on; every byte they write (stdout, stderr, log, the recorder callback's task results, reports
and the registered results dumped to a file) is scanned for every value in raw, JSON-escaped, repr,
URL and base64 forms, and for the token: 0 hits.
"""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest

from integration.leakscan import find_leaks
from integration.playbook_runner import run_playbook

REGION = "us-east-1"
JSON_VALUE = {"password": 'Pa"ss\\word\nwith-newline-0001', "user": "svc-hostile-user-77"}
TEXT_VALUE = "plain-text-hostile-value-0002"
BINARY_VALUE = b"\x00\x01binary-hostile-value-0003\xff"
SHORT_VALUE = "\u02ac\u02ad\u02ae"          # 3 characters: Ansible's own masking drops values this short
UNICODE_VALUE = "uni-\u00e9\u00e8\u4e2d\u6587-hostile-0005"
DIRECT_VALUE = 'direct "quoted" \\ value-0006'
SECRETS = {"hostile/json": json.dumps(JSON_VALUE), "hostile/text": TEXT_VALUE, "hostile/short": SHORT_VALUE,
           "hostile/unicode": UNICODE_VALUE}
MAPPING = [{"match": "hostile/**", "path": "hostile/**"}]


def long_values(token):
    values = [TEXT_VALUE, UNICODE_VALUE, DIRECT_VALUE, JSON_VALUE["password"], JSON_VALUE["user"],
              json.dumps(JSON_VALUE), base64.b64encode(BINARY_VALUE).decode("ascii"), token]
    return values


def short_value_forms():
    """The 3-character value as it would appear: too short for the general scan, but distinctive."""
    return [SHORT_VALUE, json.dumps(SHORT_VALUE)[1:-1], repr(SHORT_VALUE)[1:-1],
            base64.b64encode(SHORT_VALUE.encode("utf-8")).decode("ascii")]


def migrate_task(reports, register):
    return {"name": "asm_migrate against the hostile server", "register": register, "ignore_errors": True,
            "scailabs.scaivault.asm_migrate": {"region": REGION, "prefixes": ["hostile/"], "mapping": MAPPING,
                                               "report_path": str(reports / register)}}


def dump_task(workdir, names):
    content = "{{ {%s} | to_nice_json }}" % ", ".join("'%s': %s" % (name, name) for name in names)
    return {"name": "dump the registered results", "ansible.builtin.copy": {
        "content": content, "dest": str(workdir / ("registered-%s.json" % names[0])), "mode": "0600"}}


def play(tasks, env_vars):
    return [{"hosts": "localhost", "gather_facts": False, "connection": "local", "environment": env_vars,
             "tasks": tasks}]


@pytest.fixture
def hostile(dev_server, asm_client_factory, tmp_path):
    asm = asm_client_factory(REGION)
    for name, value in SECRETS.items():
        asm.create_secret(Name=name, SecretString=value)
    asm.create_secret(Name="hostile/binary", SecretBinary=BINARY_VALUE)
    reports = tmp_path / "reports"
    reports.mkdir()
    outputs = []

    def run(tasks, faults, name):
        dev_server.clear_dev_faults()
        if faults:
            dev_server.dev_faults(faults)
        workdir = tmp_path / name
        workdir.mkdir()
        log = tmp_path / ("%s.log" % name)
        result = run_playbook(play(tasks, {}), env=dict(dev_server.env), diff=True, verbosity=4, log_path=log,
                              workdir=workdir)
        outputs.append((result, log, workdir))
        return result

    yield dict(run=run, reports=reports, outputs=outputs, server=dev_server, tmp=tmp_path)
    dev_server.clear_dev_faults()


def scanned_sources(hostile):
    texts, files = {}, []
    for index, (result, log, workdir) in enumerate(hostile["outputs"]):
        texts["stdout-%d" % index] = result.stdout
        texts["stderr-%d" % index] = result.stderr
        texts["records-%d" % index] = json.dumps(result.records)  # every task result, as registered
        files.append(log)
        # The playbook holds the values it sends (it is the input); everything the run wrote is output.
        files.extend(path for path in workdir.rglob("*") if path.is_file() and path.name != "playbook.yml")
    files.extend(path for path in hostile["reports"].rglob("*") if path.is_file())
    return texts, files


def test_an_echoing_server_leaks_no_value_and_no_token_anywhere(hostile):
    reports, tmp = hostile["reports"], hostile["tmp"]
    put_echo = {"kind": "echo_body", "method": "PUT", "path_regex": "^/v1/secrets/", "echo_headers": True}
    read_echo = {"kind": "echo_body", "method": "POST", "path_regex": "^/v1/secrets/batch$", "echo": "answer"}
    metadata_echo = {"kind": "echo_body", "method": "POST", "path_regex": "^/v1/secrets/batch/metadata$"}
    secret_task = {"path": "hostile/direct", "data": {"api_key": DIRECT_VALUE, "short": SHORT_VALUE}}

    # 1. Every write is answered with its own body (and the token) echoed back.
    first = hostile["run"]([
        migrate_task(reports, "migrate_put_echo"),
        {"name": "scaivault_secret, check mode with diff", "check_mode": True, "register": "secret_check",
         "ignore_errors": True, "scailabs.scaivault.scaivault_secret": secret_task},
        {"name": "scaivault_secret, real write", "register": "secret_write", "ignore_errors": True,
         "scailabs.scaivault.scaivault_secret": secret_task},
        dump_task(tmp / "run1", ["migrate_put_echo", "secret_check", "secret_write"]),
    ], [put_echo], "run1")
    migrate = first.task("asm_migrate against the hostile server")
    assert migrate["failed"] and migrate["result"]["summary"]["error"] == len(SECRETS) + 1, migrate["result"]
    reasons = [entry["reason"] for entry in migrate["result"]["secrets"]]
    assert all("422 validation_error" in reason and "withheld" in reason for reason in reasons), reasons
    write = first.task("scaivault_secret, real write")
    assert write["failed"] and "422 validation_error" in write["result"]["msg"]
    assert not first.task("scaivault_secret, check mode with diff")["failed"]
    counters = hostile["server"].dev_counters()
    assert counters["by_status"].get("422", 0) >= len(SECRETS) + 2, counters  # the echoes were really sent

    # 2. No fault: the migration lands (cleanup and the lookup need targets).
    second = hostile["run"]([migrate_task(reports, "migrate_clean"), dump_task(tmp / "run2", ["migrate_clean"])],
                            [], "run2")
    assert not second.task("asm_migrate against the hostile server")["failed"]

    # 3. Batch reads answered with their values inside an error; batch metadata with its request echoed.
    lookup = "{{ lookup('scailabs.scaivault.secret', 'hostile/json', 'hostile/text') }}"
    third = hostile["run"]([
        {"name": "lookup through the echoing batch read", "register": "lookup_echo", "ignore_errors": True,
         "ansible.builtin.debug": {"msg": "{{ (%s) | length }}" % lookup[3:-3]}},
        migrate_task(reports, "migrate_metadata_echo"),
        {"name": "asm_cleanup reading targets through the echoing batch read", "check_mode": True,
         "register": "cleanup_echo", "ignore_errors": True,
         "scailabs.scaivault.asm_cleanup": {"region": REGION, "prefixes": ["hostile/"], "mapping": MAPPING,
                                            "fail_on_refusal": False}},
        dump_task(tmp / "run3", ["lookup_echo", "migrate_metadata_echo", "cleanup_echo"]),
    ], [read_echo, metadata_echo], "run3")
    assert third.task("lookup through the echoing batch read")["failed"]
    assert third.task("asm_migrate against the hostile server")["failed"]
    cleanup = third.task("asm_cleanup reading targets through the echoing batch read")
    assert cleanup["failed"] and cleanup["result"]["error"]["status"] == 422, cleanup

    texts, files = scanned_sources(hostile)
    assert any(Path(f).name.startswith("registered-") for f in files)
    assert any(str(f).endswith(".md") for f in files) and any(str(f).endswith(".json") for f in files)
    leaks = find_leaks(long_values(hostile["server"].token), texts, files)
    assert leaks == [], leaks[:5]
    sources = dict(texts)
    for path in files:
        sources[str(path)] = Path(path).read_bytes().decode("utf-8", "replace")
    short_hits = [(name, form) for name, text in sources.items() for form in short_value_forms() if form in text]
    assert short_hits == []


def test_report_files_are_private(hostile):
    reports = hostile["reports"]
    hostile["run"]([migrate_task(reports, "migrate_private")], [], "private")
    written = sorted(path for path in reports.iterdir() if path.name.startswith("migrate_private"))
    assert [path.suffix for path in written] == [".json", ".md"]
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in written)


# 0x7f.0.0.1 is 127.0.0.1 to the resolver (no DNS query) but not a loopback literal to the check: if the
# refusal ever broke, the request would still stay on this machine.
PLAIN_HTTP_URL = "http://0x7f.0.0.1:9"


def test_plain_http_off_loopback_is_refused_before_any_request_and_allowed_on_request(dev_server):
    from integration.playbook_runner import run_module  # pylint: disable=import-outside-toplevel

    env = dict(dev_server.env, SCAIVAULT_URL=PLAIN_HTTP_URL)
    refused = run_module("scaivault_secret_info", {"path": "a/b"}, env=env)
    assert refused.failed
    assert "plain http://" in refused.result["msg"] and "allow_insecure_http=true" in refused.result["msg"]
    assert dev_server.token not in refused.output

    allowed = run_module("scaivault_secret_info", {"path": "a/b", "allow_insecure_http": True, "retries": 0}, env=env)
    assert allowed.failed and "connection_error" in json.dumps(allowed.result)  # it tried: nothing listens on :9
    assert any("allow_insecure_http=true" in warning for warning in allowed.result.get("warnings", []))

    loopback = run_module("scaivault_secret_info", {"path": "a/b", "url": "http://127.0.0.1:9", "retries": 0}, env=env)
    assert "plain http://" not in json.dumps(loopback.result)  # loopback is fine over http
