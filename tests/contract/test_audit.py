# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract section 6: every secret access leaves an audit row; filters and paging."""

import re

import pytest

LOG_FIELDS = {"id", "timestamp", "action", "identity_type", "identity_id", "secret_path", "source_ip", "user_agent",
              "success", "duration_ms", "request_id", "extra_data"}


def logs(api, **params):
    response = api.get("/v1/audit/logs", params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(name="activity")
def fixture_activity(api, client_as):
    """A known mix: writes, reads (one by another identity), a failed read, a list, a delete."""
    api.put("/v1/secrets/audit/a", json={"data": {"k": 1}}, headers={"User-Agent": "contract-test"})
    api.put("/v1/secrets/audit/b", json={"data": {"k": 2}})
    api.put("/v1/secrets/other/c", json={"data": {"k": 3}})
    api.get("/v1/secrets/audit/a")
    client_as("reader").get("/v1/secrets/audit/b")
    api.get("/v1/secrets/audit/missing")
    api.get("/v1/secrets", params={"prefix": "audit/"})
    api.delete("/v1/secrets/other/c")
    return api


def test_rows_have_contract_fields_newest_first(activity):
    rows = logs(activity)["logs"]
    assert [row["action"] for row in rows] == ["delete", "list", "read", "read", "read", "write", "write", "write"]
    for row in rows:
        assert set(row) == LOG_FIELDS
        assert re.match(r"^log_\w+$", row["id"])
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", row["timestamp"])
        assert row["source_ip"] == "127.0.0.1" and row["duration_ms"] >= 0
    oldest = rows[-1]
    assert oldest["secret_path"] == "audit/a" and oldest["user_agent"] == "contract-test"
    assert oldest["identity_id"] == "sa:contract-admin" and oldest["identity_type"] == "service_account"
    assert oldest["extra_data"]["version"] == 1
    assert [row["timestamp"] for row in rows] == sorted((row["timestamp"] for row in rows), reverse=True)


def test_request_id_links_response_and_row(api):
    response = api.get("/v1/secrets/audit/none")
    rows = logs(api, request_id=response.headers["X-Request-ID"])["logs"]
    assert len(rows) == 1 and rows[0]["success"] is False and rows[0]["extra_data"]["error_code"] == "secret_not_found"


def test_filters(activity):
    assert len(logs(activity, action="read")["logs"]) == 3
    assert {row["action"] for row in logs(activity, action="read,list")["logs"]} == {"read", "list"}
    assert {row["secret_path"] for row in logs(activity, path_prefix="audit/")["logs"]} == {"audit/a", "audit/b", "audit/missing", "audit/"}
    reader_rows = logs(activity, identity_id="sa:reader")["logs"]
    assert [(row["action"], row["secret_path"]) for row in reader_rows] == [("read", "audit/b")]
    failed = logs(activity, success="false")["logs"]
    assert [row["secret_path"] for row in failed] == ["audit/missing"]
    assert len(logs(activity, success="true")["logs"]) == 7


def test_time_window(activity):
    rows = logs(activity)["logs"]
    middle = rows[3]["timestamp"]
    newer = logs(activity, **{"from": middle})["logs"]
    older = logs(activity, to=middle)["logs"]
    assert [row["id"] for row in newer] == [row["id"] for row in rows[:4]]
    assert [row["id"] for row in older] == [row["id"] for row in rows[3:]]
    assert logs(activity, **{"from": "2999-01-01T00:00:00Z"})["logs"] == []


def test_cursor_paging(activity, expect_error):
    everything = [row["id"] for row in logs(activity)["logs"]]
    seen, cursor = [], None
    while True:
        body = logs(activity, limit=3, **({"cursor": cursor} if cursor else {}))
        seen += [row["id"] for row in body["logs"]]
        cursor = body["cursor"]
        if not body["has_more"]:
            assert cursor is None
            break
    assert seen == everything
    expect_error(activity.get("/v1/audit/logs", params={"cursor": "garbage!"}), 400, "invalid_cursor")


def test_failed_and_forbidden_attempts_are_audited(api, client_as):
    client_as("reader").put("/v1/secrets/audit/forbidden", json={"data": {"k": 1}})
    api.put("/v1/secrets/Audit/Bad", json={"data": {"k": 1}})
    rows = logs(api, success="false")["logs"]
    assert [(row["action"], row["secret_path"], row["extra_data"]["error_code"]) for row in rows] == [
        ("write", "Audit/Bad", "invalid_path"), ("write", "audit/forbidden", "insufficient_scope")]


def test_batches_audit_each_path(api, client_as):
    api.put("/v1/secrets/audit/a", json={"data": {"k": 1}})
    api.post("/v1/secrets/batch", json={"paths": ["audit/a", "audit/none"]})
    client_as("lister").post("/v1/secrets/batch/metadata", json={"paths": ["audit/a"]})
    rows = logs(api, action="read,list")["logs"]
    assert [(row["action"], row["secret_path"], row["success"], row["identity_id"]) for row in rows] == [
        ("list", "audit/a", True, "sa:lister"), ("read", "audit/none", False, "sa:contract-admin"),
        ("read", "audit/a", True, "sa:contract-admin")]


@pytest.mark.usefixtures("activity")
def test_audit_needs_scope_and_is_tenant_scoped(client_as, expect_error):
    expect_error(client_as("reader").get("/v1/audit/logs"), 403, "insufficient_scope")
    assert logs(client_as("other_tenant"))["logs"] == []
