# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/development.md: fault injection and request counters."""

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
