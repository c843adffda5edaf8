# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/development.md: fault injection and request counters."""

import threading
import time

import httpx
import pytest


def faults(server, *specs):
    return server.dev("POST", "/_dev/faults", json={"faults": list(specs)})


def test_status_fault_answers_without_processing(server, api, expect_error):
    faults(server, {"kind": "status", "status": 503, "retry_after": 1, "count": 2, "method": "PUT", "path_regex": "^/v1/secrets/"})
    for attempt in range(2):
        response = api.put("/v1/secrets/f/status", json={"data": {"k": 1}})
        expect_error(response, 503, "service_unavailable")
        assert response.headers["Retry-After"] == "1"
    assert api.get("/v1/secrets/f/status").status_code == 404, "GETs do not match the fault"
    third = api.put("/v1/secrets/f/status", json={"data": {"k": 1}})
    assert third.status_code == 201 and third.json()["version"] == 1


def test_drop_before_closes_without_processing(server, api):
    faults(server, {"kind": "drop_before", "count": 1, "method": "PUT"})
    with pytest.raises(httpx.RemoteProtocolError):
        api.put("/v1/secrets/f/before", json={"data": {"k": 1}})
    assert api.get("/v1/secrets/f/before").status_code == 404


def test_drop_after_performs_the_write_but_never_answers(server, api):
    faults(server, {"kind": "drop_after", "count": 1, "method": "PUT", "path_regex": "/f/after$"})
    with pytest.raises(httpx.RemoteProtocolError):
        api.put("/v1/secrets/f/after", json={"data": {"k": "written"}})
    current = api.get("/v1/secrets/f/after")
    assert current.status_code == 200 and current.json()["data"] == {"k": "written"} and current.json()["version"] == 1
    writes = api.get("/v1/audit/logs", params={"action": "write", "path_prefix": "f/after"}).json()["logs"]
    assert len(writes) == 1 and writes[0]["success"] is True


def test_latency_delays_then_processes(server, api):
    faults(server, {"kind": "latency", "latency_ms": 300, "path_regex": "^/v1/secrets/f/slow$"})
    started = time.monotonic()
    assert api.put("/v1/secrets/f/slow", json={"data": {}}).status_code == 201
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    assert api.put("/v1/secrets/f/fast", json={"data": {}}).status_code == 201
    assert time.monotonic() - started < 0.3


def test_share_is_seeded_and_reproducible(server):
    client = server.client(token=None)

    def pattern():
        faults(server, {"kind": "status", "status": 500, "share": 0.5, "seed": 7, "path_regex": "^/v1/health$"})
        return [client.get("/v1/health").status_code for _call in range(40)]

    first = pattern()
    assert 8 <= first.count(500) <= 32
    assert pattern() == first
    assert server.dev("GET", "/_dev/faults")["faults"][0]["injected"] == first.count(500)
    server.dev("DELETE", "/_dev/faults")
    assert all(client.get("/v1/health").status_code == 200 for _call in range(10))


def test_invalid_fault_specs_are_rejected(server):
    for bad in ({"kind": "explode"}, {"kind": "status", "share": 2}, {"kind": "status", "path_regex": "("}):
        assert server.client(token=None).post("/_dev/faults", json={"faults": [bad]}).status_code == 400


def test_counters_count_everything_but_dev_calls(server, api):
    api.put("/v1/secrets/c/one", json={"data": {}})
    api.put("/v1/secrets/c/two", json={"data": {}})
    api.get("/v1/secrets/c/one")
    api.get("/v1/secrets/c/missing")
    faults(server, {"kind": "drop_before", "count": 1, "method": "DELETE"})
    with pytest.raises(httpx.RemoteProtocolError):
        api.delete("/v1/secrets/c/one")
    counters = server.dev("GET", "/_dev/counters")
    assert counters["total"] == 5
    assert counters["by_route"] == {"PUT /v1/secrets/{path}": 2, "GET /v1/secrets/{path}": 2, "DELETE /v1/secrets/{path}": 1}
    assert counters["by_path"]["PUT /v1/secrets/c/one"] == 1 and counters["by_path"]["GET /v1/secrets/c/missing"] == 1
    assert counters["by_status"] == {"201": 2, "200": 1, "404": 1, "dropped": 1}
    assert server.dev("POST", "/_dev/counters/reset")["total"] == 0
    assert server.dev("GET", "/_dev/counters")["total"] == 0


def test_reset_wipes_data_audit_and_faults(server, api):
    api.put("/v1/secrets/r/one", json={"data": {}})
    faults(server, {"kind": "latency", "latency_ms": 1})
    server.dev("POST", "/_dev/reset")
    assert api.get("/v1/secrets/r/one").status_code == 404
    assert [row["action"] for row in api.get("/v1/audit/logs").json()["logs"]] == ["read"]
    assert server.dev("GET", "/_dev/faults")["faults"] == []


def test_after_lets_the_first_matching_requests_through(server, api, expect_error):
    faults(server, {"kind": "status", "status": 400, "code": "bad_request", "after": 1, "count": 1, "method": "PUT",
                    "path_regex": "/f/after-n$"})
    assert api.put("/v1/secrets/f/after-n", json={"data": {"k": 1}}).status_code == 201
    expect_error(api.put("/v1/secrets/f/after-n", json={"data": {"k": 2}}), 400, "bad_request")
    assert api.put("/v1/secrets/f/after-n", json={"data": {"k": 3}}).json()["version"] == 2


def test_hold_keeps_a_request_until_released(server, api):
    """A held request waits (others pass), another write lands meanwhile, the release lets it finish after."""
    api.put("/v1/secrets/f/held", json={"data": {"k": "first"}})
    faults(server, {"kind": "hold", "count": 1, "method": "GET", "path_regex": "/f/held$"})
    answer = {}
    reader = threading.Thread(target=lambda: answer.update(read=api.get("/v1/secrets/f/held")))
    reader.start()
    assert server.dev("POST", "/_dev/faults/wait-held", json={"held": 1, "timeout": 8}) == {"held": 1}
    assert api.put("/v1/secrets/f/held", json={"data": {"k": "second"}}).json()["version"] == 2
    assert "read" not in answer
    server.dev("POST", "/_dev/faults/release")
    reader.join(30)
    assert answer["read"].json()["data"] == {"k": "second"}
    with pytest.raises(httpx.HTTPStatusError) as none_held:
        server.dev("POST", "/_dev/faults/wait-held", json={"held": 1, "timeout": 0.2})
    assert none_held.value.response.status_code == 408


def test_path_error_answers_chosen_paths_of_a_batch_as_errors(server, api):
    for path in ("f/pe/a", "f/pe/b"):
        api.put("/v1/secrets/" + path, json={"data": {"k": 1}})
    faults(server, {"kind": "path_error", "path_regex": "^/v1/secrets/batch", "batch_path_regex": "/b$|/c$",
                    "code": "access_denied"})
    body = api.post("/v1/secrets/batch/metadata", json={"paths": ["f/pe/a", "f/pe/b", "f/pe/c"]}).json()
    assert list(body["secrets"]) == ["f/pe/a"]
    codes = {path: error["code"] for path, error in body["errors"].items()}
    assert codes == {"f/pe/b": "access_denied", "f/pe/c": "access_denied"}
    body = api.post("/v1/secrets/batch", json={"paths": ["f/pe/a", "f/pe/b"]}).json()
    assert list(body["secrets"]) == ["f/pe/a"] and list(body["errors"]) == ["f/pe/b"]
