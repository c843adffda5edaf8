# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_run/evidence.py against the dev server in process: the three ways of counting reads agree, and what each costs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import json
import os
import stat

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients import audit_evidence
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.audit import iso_z, window
from ansible_collections.scailabs.scaivault.plugins.module_utils._run import evidence

from unit.fakes import InProcessVault
from unit.plugins.module_utils._clients.test_scaivault import Script, make_client

PATHS = ["external/aws/a/one", "external/aws/a/two", "external/aws/b/three"]


@pytest.fixture(name="reads")
def fixture_reads(inprocess_vault):
    for path in PATHS:
        inprocess_vault.put(path, {"k": "v"})
    for path, count in zip(PATHS, (3, 1, 2)):
        for _read in range(count):
            inprocess_vault.http.get("/v1/secrets/" + path)
    return inprocess_vault


def audit_gets(client):
    return client.counter.snapshot().get("GET audit", 0)


@pytest.mark.parametrize("page_size, method, gets, used", [
    (1000, "auto", 1, "logs"),            # quiet: one page under external/aws/
    # busy: the common page, a/'s first page (busy: its 2 summaries instead of more pages), b/three alone (summary)
    (2, "auto", 1 + 1 + 2 + 1, "summary"),
    (1000, "logs", 2, "logs"),            # a page per parent folder
    (1000, "summary", 3, "summary"),      # a request per path
])
def test_methods_agree_and_cost(reads, monkeypatch, page_size, method, gets, used):
    monkeypatch.setattr(evidence, "PAGE_SIZE", page_size)
    client = reads.client(retries=0)
    start, end = window("1h", None)
    per_path, how = evidence.reads_per_path(client, PATHS, start, end, exclude=[], method=method)
    assert {path: entry["reads"] for path, entry in per_path.items()} == {PATHS[0]: 3, PATHS[1]: 1, PATHS[2]: 2}
    assert how == used and audit_gets(client) == gets


def test_excluded_identities_count_apart(reads):
    client = reads.client(retries=0)
    start, end = window("1h", None)
    per_path, _how = evidence.reads_per_path(client, PATHS, start, end, exclude=["user:dev@scaivault.local"], method="summary")
    assert per_path[PATHS[0]]["reads"] == 0 and per_path[PATHS[0]]["excluded_reads"] == 3


def test_common_prefix_is_a_folder():
    assert evidence.common_prefix(PATHS) == "external/aws/"
    assert evidence.common_prefix(["a/b", "c/d"]) == ""
    assert evidence.common_prefix(["a/b/c"]) == "a/b/"


@pytest.fixture(name="no_waiting")
def fixture_no_waiting(monkeypatch):
    real = audit_evidence.wait_export
    monkeypatch.setattr(audit_evidence, "wait_export",
                        lambda client, export_id, timeout: real(client, export_id, timeout, sleep=InProcessVault.wait_for_workers))


def test_an_export_of_the_reads_under_the_common_folder(reads, no_waiting):
    client = reads.client(retries=0)
    start, end = window("1h", None)
    reads.put("creds/s3", {"k": "v"})
    wanted = {"format": "jsonl", "type": "s3", "bucket": "evidence", "prefix": "asm", "credentials_path": "creds/s3",
              "wait": 30}
    export = evidence.export_evidence(client, wanted, PATHS, start, end)
    filters = {"action": "read", "from": iso_z(start), "to": iso_z(end), "path_prefix": "external/aws/"}
    assert json.loads([request for request in reads.sent if request.url.path == "/v1/audit/export"][0].content) == {
        "format": "jsonl", "filters": filters,
        "destination": {"type": "s3", "bucket": "evidence", "prefix": "asm", "credentials_path": "creds/s3"}}
    key = "asm/%s/audit-000.jsonl" % export["id"]
    assert dict(export, files=None) == {"id": export["id"], "status": "completed", "row_count": 6, "files": None,
                                        "format": "jsonl", "destination": {"type": "s3", "bucket": "evidence", "prefix": "asm"},
                                        "filters": filters}
    archive = os.path.join(os.path.dirname(reads.app.db.path), "audit-exports", "evidence", *key.split("/"))
    with open(archive, "rb") as handle:
        payload = handle.read()
    assert export["files"] == [{"key": key, "rows": 6, "bytes": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}]
    assert sorted(json.loads(line)["secret_path"] for line in payload.splitlines()) == sorted(
        [PATHS[0]] * 3 + [PATHS[1]] + [PATHS[2]] * 2)


def test_an_export_without_a_shared_folder_or_given_a_prefix(reads, no_waiting):
    client = reads.client(retries=0)
    start, end = window("1h", None)
    wanted = {"format": "csv", "type": "s3", "bucket": "evidence", "wait": 30}
    export = evidence.export_evidence(client, wanted, ["a/b", "c/d"], start, end)
    assert export["filters"] == {"action": "read", "from": iso_z(start), "to": iso_z(end)}
    assert export["destination"] == {"type": "s3", "bucket": "evidence"} and export["row_count"] == 6  # every read
    export = evidence.export_evidence(client, wanted, PATHS, start, end, path_prefix="external/aws/a/")
    assert export["filters"]["path_prefix"] == "external/aws/a/" and export["row_count"] == 4


@pytest.mark.parametrize("status", ["failed", "pending"])
def test_an_export_that_did_not_complete_is_an_error_naming_it(status):
    script = Script((202, {"id": "exp_1"}), (200, {"status": status}))
    start, end = window("1h", None)
    with pytest.raises(ScaiVaultError) as info:
        evidence.export_evidence(make_client(script, retries=0), {"format": "jsonl", "type": "s3", "bucket": "b", "wait": 0},
                                 PATHS, start, end)
    assert info.value.code == "export_incomplete"
    assert info.value.message == ("audit export exp_1 is %s after 0 s: the evidence is incomplete; wait longer "
                                  "(export.wait) or check the destination" % status)


def test_the_evidence_file_holds_the_data_and_the_export(reads, no_waiting, tmp_path):
    client = reads.client(retries=0)
    start, end = window("1h", None)
    target = tmp_path / "evidence.json"
    kept = evidence.keep_evidence(client, {"file": str(target)}, {"deleted": ["prod/a"]}, PATHS, start, end)
    assert kept == {"file": {"path": str(target), "changed": True, "written": True}, "export": {}}
    assert json.loads(target.read_text()) == {"deleted": ["prod/a"], "export": {}}
    assert stat.S_IMODE(os.stat(str(target)).st_mode) == 0o600
    spec = {"file": str(target), "mode": "0640", "export": {"format": "jsonl", "type": "s3", "bucket": "b", "wait": 30}}
    kept = evidence.keep_evidence(client, spec, {"deleted": []}, [], start, end)
    assert kept["export"] == {} and stat.S_IMODE(os.stat(str(target)).st_mode) == 0o640
    kept = evidence.keep_evidence(client, spec, {"deleted": []}, PATHS, start, end)
    assert kept["export"]["status"] == "completed" and json.loads(target.read_text())["export"]["id"] == kept["export"]["id"]


DEV = "user:dev@scaivault.local"


@pytest.mark.parametrize("method", ["auto", "summary", "logs"])
@pytest.mark.parametrize("page_size", [1000, 2])
def test_every_method_gives_the_same_entries_window_and_exclusions_included(reads, monkeypatch, method, page_size):
    monkeypatch.setattr(evidence, "PAGE_SIZE", page_size)
    client = reads.client(retries=0)
    start, end = window("1h", None)
    per_path, _how = evidence.reads_per_path(client, PATHS, start, end, exclude=[], method=method)
    last = per_path[PATHS[0]]["last_read"]
    assert last and last.startswith(iso_z(end)[:10])
    assert per_path[PATHS[0]] == {"reads": 3, "failed_reads": 0, "excluded_reads": 0, "last_read": last,
                                  "last_reader": DEV, "by_identity": {DEV: 3}, "readers": [DEV]}
    excluded, _how = evidence.reads_per_path(client, PATHS, start, end, exclude=[DEV], method=method)
    assert [(entry["reads"], entry["excluded_reads"], entry["readers"], entry["last_reader"])
            for _path, entry in sorted(excluded.items())] == [(0, 3, [], None), (0, 1, [], None), (0, 2, [], None)]
    earlier, _how = evidence.reads_per_path(client, PATHS, start - datetime.timedelta(hours=2),
                                            start - datetime.timedelta(hours=1), exclude=[], method=method)
    assert [entry["reads"] for entry in earlier.values()] == [0, 0, 0]


def test_summaries_add_up_identities_and_keep_the_latest_reader():
    readers = {"sa:b": {"reads": 2, "failed": 1, "last_read_at": "2026-01-02T00:00:00Z"},
               "sa:a": {"reads": 3, "failed": 2, "last_read_at": "2026-01-05T00:00:00Z"},
               "sa:c": {"reads": 1, "failed": 0, "last_read_at": "2026-01-05T00:00:00Z"},
               "sa:d": {"reads": 4, "failed": 0, "last_read_at": None},
               "sa:x": {"reads": 7, "failed": 7, "last_read_at": "2026-02-01T00:00:00Z"},
               "sa:y": {"reads": 1, "failed": 0, "last_read_at": None}}
    assert evidence.per_path_from_summary(readers, {"sa:x", "sa:y"}) == {
        "reads": 10, "failed_reads": 3, "excluded_reads": 8, "last_read": "2026-01-05T00:00:00Z", "last_reader": "sa:a",
        "by_identity": {"sa:a": 3, "sa:b": 2, "sa:c": 1, "sa:d": 4}, "readers": ["sa:a", "sa:b", "sa:c", "sa:d"]}


def test_the_summary_method_names_a_summary_without_counts(reads):
    reads.faults([{"kind": "status", "status": 200, "path_regex": "^/v1/audit/secrets/"}])
    start, end = window("1h", None)
    with pytest.raises(ScaiVaultError) as info:
        evidence.reads_per_path(reads.client(retries=0), PATHS, start, end, exclude=[], method="summary")
    assert (info.value.code, info.value.path) == ("contract_mismatch", PATHS[0])
    assert info.value.message == ("GET /v1/audit/secrets/%s answered without per-identity read counts, which the "
                                  "collection assumed (docs/scaivault-contract.md); use the logs method" % PATHS[0])


@pytest.mark.parametrize("status, used", [(404, "logs"), (200, "logs")])
def test_auto_pages_a_tenant_without_usable_summaries(reads, monkeypatch, status, used):
    monkeypatch.setattr(evidence, "PAGE_SIZE", 2)
    reads.faults([{"kind": "status", "status": status, "path_regex": "^/v1/audit/secrets/"}])
    start, end = window("1h", None)
    per_path, how = evidence.reads_per_path(reads.client(retries=0), PATHS, start, end, exclude=[], method="auto")
    assert how == used and {path: entry["reads"] for path, entry in per_path.items()} == {
        PATHS[0]: 3, PATHS[1]: 1, PATHS[2]: 2}
    assert len([r for r in reads.sent if r.url.path.startswith("/v1/audit/secrets/")]) == 1  # then never asked again


def test_auto_raises_a_summary_failure_that_is_not_a_missing_route(reads, monkeypatch):
    monkeypatch.setattr(evidence, "PAGE_SIZE", 2)
    reads.faults([{"kind": "status", "status": 403, "code": "access_denied", "path_regex": "^/v1/audit/secrets/"}])
    start, end = window("1h", None)
    with pytest.raises(ScaiVaultError) as info:
        evidence.reads_per_path(reads.client(retries=0), PATHS, start, end, exclude=[], method="auto")
    assert info.value.status == 403


def test_auto_with_one_path_or_none_shared_asks_per_folder(reads):
    start, end = window("1h", None)
    client = reads.client(retries=0)
    per_path, how = evidence.reads_per_path(client, [PATHS[2]], start, end, exclude=[], method="auto")
    assert (how, per_path[PATHS[2]]["reads"]) == ("summary", 2)
    assert [r.url.path for r in reads.sent if r.url.path.startswith("/v1/audit/")] == ["/v1/audit/secrets/" + PATHS[2]]
