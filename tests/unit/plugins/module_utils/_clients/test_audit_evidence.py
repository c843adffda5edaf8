# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_clients/audit_evidence.py: the per-secret summary and the audit export, the dev server's answers and the [assumed]
shapes it does not give from a scripted wire (https://www.scailabs.ai/en/docs/scaivault/reference/audit)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients import audit_evidence
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import (
    ScaiVaultContractError, ScaiVaultError)

from unit.fakes import FakeClock

from .test_scaivault import Script, make_client


def test_the_summary_window_is_sent_only_when_set(inprocess_vault):
    client = inprocess_vault.client(retries=0)
    inprocess_vault.put("a/b", {"k": "v"})
    audit_evidence.secret_summary(client, "a/b", start="2026-01-01T00:00:00Z", end="2026-02-01T00:00:00Z")
    request = inprocess_vault.sent[-1]
    assert request.url.raw_path.split(b"?")[0] == b"/v1/audit/secrets/a/b"
    assert dict(request.url.params) == {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"}
    audit_evidence.secret_summary(client, "a/b", end="2026-02-01T00:00:00Z")
    assert dict(inprocess_vault.sent[-1].url.params) == {"to": "2026-02-01T00:00:00Z"}
    audit_evidence.secret_summary(client, "a/b")
    assert inprocess_vault.sent[-1].url.query == b""


def test_summary_rows_of_one_identity_add_up_and_keep_the_latest_read():
    identities = [
        {"identity_id": "user:a", "reads": 2, "failed": 1, "last_read_at": "2026-01-02T00:00:00Z"},
        {"identity_id": "user:a", "reads": 3, "failed": "x", "last_read_at": "2026-01-05T00:00:00Z"},
        {"identity_id": "user:a", "reads": 1, "last_read_at": "2026-01-03T00:00:00Z"},
        {"identity_id": "user:b", "reads": 0, "failed": 4},
    ]
    readers = audit_evidence.secret_summary(make_client(Script((200, {"summary": {"identities": identities}})),
                                                        retries=0), "a/b")
    assert readers == {"user:a": {"reads": 6, "failed": 1, "last_read_at": "2026-01-05T00:00:00Z"},
                       "user:b": {"reads": 0, "failed": 4, "last_read_at": None}}


@pytest.mark.parametrize("summary", [
    {"identities": [{"identity_id": "user:a", "reads": "2"}]},
    {"identities": [{"identity_id": 7, "reads": 2}]},
    {"identities": [{"identity_id": "user:a", "reads": 2}, "user:b"]},
    {"identities": {"user:a": 2}},
    ["user:a"],
])
def test_a_summary_without_usable_per_identity_counts_is_none(summary):
    assert audit_evidence.secret_summary(make_client(Script((200, {"summary": summary})), retries=0), "a/b") is None


def export(status, **fields):
    return dict(fields, status=status)


def test_export_status_reads_the_manifest():
    files = [{"key": "p/exp_1/audit-000.jsonl", "rows": 3, "bytes": 120, "sha256": "ab" * 32, "extra": 1}, "junk"]
    script = Script((200, export("COMPLETED", row_count=3, manifest={"files": files})))
    assert audit_evidence.export_status(make_client(script, retries=0), "exp/1") == {
        "id": "exp/1", "status": "completed", "row_count": 3,
        "files": [{"key": "p/exp_1/audit-000.jsonl", "rows": 3, "bytes": 120, "sha256": "ab" * 32}]}
    assert script.requests[0].url.raw_path == b"/v1/audit/exports/exp%2F1"


@pytest.mark.parametrize("answer", [export("pending"), export("pending", manifest=None),
                                    export("pending", manifest={"files": None}), export("pending", manifest=["x"])])
def test_an_export_without_a_manifest_has_no_files(answer):
    assert audit_evidence.export_status(make_client(Script((200, answer)), retries=0), "exp_1") == {
        "id": "exp_1", "status": "pending", "row_count": None, "files": []}


@pytest.mark.parametrize("answer", [{"state": "completed"}, {"status": 1}, ["completed"]])
def test_an_export_answer_without_a_status_is_a_contract_error(answer):
    with pytest.raises(ScaiVaultContractError) as info:
        audit_evidence.export_status(make_client(Script((200, answer)), retries=0), "exp_1")
    assert info.value.message == ("GET /v1/audit/exports/exp_1 answered 200, which does not fit what the collection "
                                  "assumed: an export object {status, manifest: {files: [...]}}. See "
                                  "docs/scaivault-contract.md")


@pytest.mark.parametrize("last", ["completed", "failed", "error", "cancelled"])
def test_waiting_for_an_export_ends_at_a_final_status(last):
    script = Script((200, export("pending")), (200, export("running")), (200, export(last)))
    sleeps, clock = [], FakeClock()
    status = audit_evidence.wait_export(make_client(script, retries=0), "exp_1", 60, sleep=sleeps.append, clock=clock,
                                        interval=2)
    assert status["status"] == last and sleeps == [2, 2] and len(script.requests) == 3


def test_waiting_for_an_export_stops_at_the_deadline_with_the_last_status():
    script = Script(*[(200, export("running"))] * 4)
    clock = FakeClock()

    def sleep(seconds):
        clock.now += seconds

    status = audit_evidence.wait_export(make_client(script, retries=0), "exp_1", 1.0, sleep=sleep, clock=clock)
    assert status["status"] == "running"
    assert len(script.requests) == 3 and clock.now == 1001.0  # at 0, 0.5 and 1.0 s: the last read is at the deadline


def test_an_export_on_the_dev_server_names_its_id(inprocess_vault):
    client = inprocess_vault.client(retries=0)
    inprocess_vault.put("creds/s3", {"k": "v"})
    destination = {"type": "s3", "bucket": "b", "prefix": "p", "credentials_path": "creds/s3"}
    export_id = audit_evidence.start_export(client, "jsonl", destination, {"action": "read"})
    assert export_id.startswith("exp_")
    assert inprocess_vault.sent[-1].read() == (b'{"format":"jsonl","destination":{"type":"s3","bucket":"b","prefix":"p",'
                                               b'"credentials_path":"creds/s3"},"filters":{"action":"read"}}')
    assert audit_evidence.export_status(client, export_id)["id"] == export_id


@pytest.mark.parametrize("answer, export_id", [({"export_id": "exp_2", "status": "pending"}, "exp_2"),
                                               ({"id": "", "export_id": "exp_3"}, "exp_3")])
def test_an_export_id_under_either_key(answer, export_id):
    assert audit_evidence.start_export(make_client(Script((202, answer)), retries=0), "csv", {}, {}) == export_id


@pytest.mark.parametrize("status, available", [(404, False), (405, False), (501, False), (403, True), (500, True),
                                               (None, True)])
def test_which_failures_mean_no_export_on_this_tenant(status, available):
    assert audit_evidence.export_available(ScaiVaultError("x", status=status)) is available
    assert audit_evidence.export_available(ValueError("x")) is True
