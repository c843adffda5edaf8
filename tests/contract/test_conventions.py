# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract sections 0 and 7: error envelope, request ids, rate-limit headers, health, routing."""

import re

RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def test_health_ready_and_version_need_no_token(server):
    client = server.client(token=None)
    health = client.get("/v1/health")
    assert health.status_code == 200 and health.json()["status"] == "healthy"
    ready = client.get("/v1/health/ready")
    # https://www.scailabs.ai/en/docs/scaivault/reference/system: {status: ready, checks: {database, redis, encryption}}
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "checks": {
        "database": "ok", "redis": "ok", "encryption": "ok"}}
    version = client.get("/v1/version")
    assert version.status_code == 200 and version.json()["version"]


def test_every_response_has_request_id_and_rate_limit_headers(api, client_as):
    responses = [api.put("/v1/secrets/conv/one", json={"data": {"k": "v"}}), api.get("/v1/secrets/conv/one"),
                 api.get("/v1/secrets/conv/missing"), client_as("bogus").get("/v1/secrets/conv/one"), api.get("/v1/health")]
    ids = [response.headers["X-Request-ID"] for response in responses]
    assert all(re.match(r"^req_[0-9a-f]+$", value) for value in ids)
    assert len(set(ids)) == len(ids)
    for response in responses:
        for header in RATE_HEADERS:
            assert int(response.headers[header]) >= 0, (header, response.headers)


def test_error_envelope_matches_request_id(api, expect_error):
    response = api.get("/v1/secrets/conv/missing")
    error = expect_error(response, 404, "secret_not_found")
    assert set(error) <= {"code", "message", "details", "request_id"}
    assert error["details"]["path"] == "conv/missing"


def test_unknown_route_and_wrong_method(api, expect_error):
    expect_error(api.get("/v1/nothing-here"), 404, "not_found")
    error = expect_error(api.patch("/v1/secrets/conv/one", json={}), 405, "method_not_allowed")
    assert "PUT" in error["details"]["allowed_methods"]


def test_malformed_json_is_a_client_error(api, expect_error):
    response = api.put("/v1/secrets/conv/bad", content=b"{not json", headers={"Content-Type": "application/json"})
    expect_error(response, 400, "invalid_request")
    expect_error(api.put("/v1/secrets/conv/bad", json=["a", "list"]), 400, "invalid_request")


def test_keep_alive_serves_many_requests_on_one_connection(api):
    for index in range(20):
        assert api.put("/v1/secrets/conv/keepalive", json={"data": {"i": index}}).status_code in (200, 201)
    assert api.get("/v1/secrets/conv/keepalive").json()["version"] == 20
