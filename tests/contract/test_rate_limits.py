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


def test_managed_preset_has_the_documented_categories(server, api, expect_error):
    """https://www.scailabs.ai/en/docs/scaivault/advanced/rate-limiting: the managed defaults per minute; whoami and
    introspect share an auth category of 300; no category for rotation policies (not limited)."""
    settings = server.dev("POST", "/_dev/rate-limits", json={"preset": "managed"})
    assert settings["enabled"] is True and settings["preset"] == "managed" and settings["time_scale"] == 1
    assert settings["per_minute"] == {
        "read": 1000, "write": 100, "delete": 100, "list": 100, "batch_read": 100, "batch_metadata": 100, "audit": 50,
        "audit_export": 5, "policy": 50, "policy_test": 200, "webhook": 20, "subscription": 20,
        "subscription_poll": 240, "federation": 20, "auth": 300}
    assert limits(api.get("/v1/auth/whoami"))[:2] == (300, 299)
    assert limits(api.post("/v1/auth/introspect", json={"token": "x"}))[:2] == (300, 298)
    for _call in range(25):
        assert api.get("/v1/rotation/policies").status_code == 200  # more than any documented category's 20
    assert limits(api.get("/v1/rotation/policies"))[0] >= 100000
    assert server.client(token=None).post("/_dev/rate-limits", json={"enabled": True, "per_minute": {"rotation": 5}}).status_code == 400


def test_batch_read_costs_one_batch_unit_plus_one_read_unit_per_path(server, api, expect_error):
    """https://www.scailabs.ai/en/docs/scaivault/api-guides/batch-operations: 1 batch-read unit + N read units."""
    paths = ["rl/b%03d" % index for index in range(100)]
    for path in paths:
        api.put("/v1/secrets/" + path, json={"data": {"k": 1}})
    server.dev("POST", "/_dev/rate-limits", json={"preset": "managed"})
    answers = [api.post("/v1/secrets/batch", json={"paths": paths}) for _index in range(10)]
    assert [answer.status_code for answer in answers] == [200] * 10
    assert limits(answers[-1])[:2] == (100, 90), "the headers are the batch-read bucket's"
    refused = api.post("/v1/secrets/batch", json={"paths": paths})
    error = expect_error(refused, 429, "rate_limited")
    assert error["details"]["category"] == "read" and error["details"]["cost"] == {"batch_read": 1, "read": 100}
    assert 5 <= int(refused.headers["Retry-After"]) <= 7, "100 read units refill in 6 s at 1000/min"
    assert limits(refused)[:2] == (100, 90), "a refused batch read takes nothing"


def test_time_scale_keeps_the_burst_and_refills_faster(server, api):
    server.dev("POST", "/_dev/rate-limits", json={"preset": "managed", "time_scale": 60})

    def scaled(response):  # Reset to the millisecond with a time scale
        return (int(response.headers["X-RateLimit-Limit"]), int(response.headers["X-RateLimit-Remaining"]),
                float(response.headers["X-RateLimit-Reset"]))

    remaining = [scaled(api.put("/v1/secrets/rl/t", json={"data": {"i": index}}))[1] for index in range(100)]
    assert scaled(api.get("/v1/secrets/rl/t"))[0] == 1000 and remaining[0] == 99, "capacity stays the documented burst"
    assert min(remaining) < 90
    time.sleep(0.5)  # 100/min x 60 = 100 a second
    limit, remaining, reset = scaled(api.put("/v1/secrets/rl/t", json={"data": {"i": "after"}}))
    assert limit == 100 and remaining >= 40 and reset <= time.time() + 1
