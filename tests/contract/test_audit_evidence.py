"""Per-secret / per-identity audit summaries and audit export, driven with plain httpx.

Docs: https://www.scailabs.ai/en/docs/scaivault/reference/audit, https://www.scailabs.ai/en/docs/scaivault/api-guides/audit-logs
"""

import csv
import hashlib
import io
import json
import time

PATH = "external/aws/billing/stripe"


def activity(api, client_as):
    api.put("/v1/secrets/" + PATH, json={"data": {"k": "v"}})
    for _read in range(3):
        client_as("reader").get("/v1/secrets/" + PATH)
    api.get("/v1/secrets/" + PATH)
    client_as("reader").get("/v1/secrets/missing/path")


def wait_export(api, export_id):
    for _attempt in range(100):
        body = api.get("/v1/audit/exports/%s" % export_id).json()
        if body["status"] in ("completed", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError("export %s did not finish" % export_id)


def test_secret_summary_counts_reads_per_identity(api, client_as):
    activity(api, client_as)
    body = api.get("/v1/audit/secrets/" + PATH).json()
    summary = body["summary"]
    assert body["path"] == PATH and summary["reads"] == 4 and summary["unique_identities"] == 2
    assert {item["identity_id"]: item["reads"] for item in summary["identities"]} == {"sa:reader": 3, "sa:contract-admin": 1}
    assert summary["by_action"] == {"write": 1, "read": 4}
    assert [log["action"] for log in body["logs"]][:1] == ["read"]
    # A window before the reads holds none of them.
    empty = api.get("/v1/audit/secrets/" + PATH, params={"to": "2001-01-01T00:00:00Z"}).json()["summary"]
    assert empty["reads"] == 0


def test_identity_trail_and_tenant_summary(api, client_as):
    activity(api, client_as)
    trail = api.get("/v1/audit/identities/sa:reader").json()
    assert trail["summary"]["by_action"] == {"read": 4} and trail["summary"]["paths"] == [PATH, "missing/path"]
    summary = api.get("/v1/audit/summary").json()
    assert summary["total_events"] == 6 and summary["failed_events"] == 1 and summary["successful_events"] == 5


def test_export_writes_jsonl_and_csv_to_the_bucket_directory(api, client_as, server, expect_error):
    activity(api, client_as)
    for fmt in ("jsonl", "csv"):
        created = api.post("/v1/audit/export", json={"format": fmt, "destination": {
            "type": "s3", "bucket": "evidence", "prefix": "asm/us-east-1"}, "filters": {"action": "read", "path_prefix": PATH}})
        assert created.status_code == 202 and created.json()["status"] == "pending"
        done = wait_export(api, created.json()["id"])
        assert done["status"] == "completed" and done["row_count"] == 4
        manifest = done["manifest"]["files"][0]
        payload = (server.data_dir / "audit-exports" / "evidence").joinpath(*manifest["key"].split("/")).read_bytes()
        assert hashlib.sha256(payload).hexdigest() == manifest["sha256"] and manifest["key"].startswith("asm/us-east-1/")
        if fmt == "jsonl":
            rows = [json.loads(line) for line in payload.decode().splitlines()]
        else:
            rows = list(csv.DictReader(io.StringIO(payload.decode())))
        assert sorted(row["identity_id"] for row in rows) == ["sa:contract-admin"] + ["sa:reader"] * 3
        assert b'"v"' not in payload  # audit rows never hold values
    logged = api.get("/v1/audit/logs", params={"action": "export_created"}).json()["logs"]
    assert len(logged) == 2
    expect_error(api.post("/v1/audit/export", json={"format": "xml", "destination": {"type": "s3", "bucket": "b"}}),
                 422, "validation_error")
    expect_error(client_as("reader").post("/v1/audit/export", json={"destination": {"type": "s3", "bucket": "b"}}),
                 403, "insufficient_scope")
