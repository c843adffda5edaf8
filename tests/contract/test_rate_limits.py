# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract section 0: token buckets per (identity, category), headers and 429 + Retry-After."""

import time


def limits(response):
    return tuple(int(response.headers[name]) for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"))


def test_disabled_by_default_with_generous_headers(api):
    for _call in range(5):
        limit, remaining, reset = limits(api.put("/v1/secrets/rl/a", json={"data": {"k": 1}}))
        assert limit >= 100000 and remaining >= 100000 and reset >= int(time.time()) - 1


def test_empty_bucket_answers_429_with_retry_after(server, api, client_as, expect_error):
    settings = server.dev("POST", "/_dev/rate-limits", json={"enabled": True, "per_minute": {"write": 3}})
    assert settings["per_minute"]["write"] == 3 and settings["per_minute"]["read"] == 1000
    remaining = [limits(api.put("/v1/secrets/rl/a", json={"data": {"i": index}}))[1] for index in range(3)]
    assert remaining == [2, 1, 0]
    refused = api.put("/v1/secrets/rl/a", json={"data": {"i": 3}})
    error = expect_error(refused, 429, "rate_limited")
    assert error["details"]["category"] == "write"
    assert 1 <= int(refused.headers["Retry-After"]) <= 20
    limit, remaining, reset = limits(refused)
    assert (limit, remaining) == (3, 0) and reset > time.time()
    assert api.get("/v1/secrets/rl/a").json()["version"] == 3, "the refused write was not applied"
    assert limits(api.get("/v1/secrets/rl/a"))[0] == 1000, "reads have their own bucket"
    assert client_as("env").put("/v1/secrets/rl/b", json={"data": {}}).status_code == 201, "other identities have their own bucket"


def test_bucket_refills_continuously(server, api):
    server.dev("POST", "/_dev/rate-limits", json={"enabled": True, "per_minute": {"delete": 120}})
    for index in range(121):
        api.put("/v1/secrets/rl/d%03d" % index, json={"data": {}})
    statuses = [api.delete("/v1/secrets/rl/d%03d" % index).status_code for index in range(121)]
    assert statuses.count(429) <= 1
    time.sleep(1.1)
    assert api.delete("/v1/secrets/rl/d120").status_code in (204, 404)


def test_reset_and_validation(server, api):
    server.dev("POST", "/_dev/rate-limits", json={"enabled": True, "per_minute": {"audit": 1}})
    api.get("/v1/audit/logs")
    assert api.get("/v1/audit/logs").status_code == 429
    server.dev("POST", "/_dev/reset")
    assert api.get("/v1/audit/logs").status_code == 200
    for bad in ({"enabled": True, "per_minute": {"nonsense": 5}}, {"enabled": True, "per_minute": {"write": 0}}, {"enabled": "yes"}):
        assert server.client(token=None).post("/_dev/rate-limits", json=bad).status_code == 400
