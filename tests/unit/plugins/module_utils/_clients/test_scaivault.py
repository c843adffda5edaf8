# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retry decisions, error mapping, option precedence and paging of the ScaiVault client.

The server is an httpx.MockTransport script, so each test states exactly what the wire
does and asserts what the client did about it (requests sent, sleeps, exceptions).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import httpx
import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients import scaivault as sv

from unit.fakes import FakeClock


def error_body(code, message="nope", **details):
    body = {"error": {"code": code, "message": message, "request_id": "req_123"}}
    if details:
        body["error"]["details"] = details
    return body


class Script:
    """A scripted server: answers in order, records every request."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests = []

    def __call__(self, request):
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        status, body = answer[0], answer[1]
        headers = answer[2] if len(answer) > 2 else {}
        return httpx.Response(status, json=body, headers=headers)

    def methods(self):
        return [(r.method, r.url.path) for r in self.requests]


def make_client(script, sleeps=None, warnings=None, **options):
    options.setdefault("url", "https://vault.example")
    options.setdefault("token", "skt_test")
    settings = sv.ConnectionSettings.resolve(options, environ={})
    sleeps = [] if sleeps is None else sleeps
    warnings = [] if warnings is None else warnings
    client = sv.ScaiVaultClient(settings, warn=warnings.append, sleep=sleeps.append,
                                transport=httpx.MockTransport(script))
    return client


def test_429_sleeps_retry_after_then_succeeds():
    script = Script((429, error_body("rate_limited"), {"Retry-After": "7"}), (200, {"path": "a", "version": 1}))
    sleeps, warnings = [], []
    client = make_client(script, sleeps, warnings)
    assert client.get_secret("a")["version"] == 1
    assert sleeps == [7.0]
    assert len(warnings) == 1 and "429 rate_limited" in warnings[0] and "retrying in 7.0s" in warnings[0]
    assert client.counter.snapshot()["retries"] == 1


def test_put_429_is_retried_because_server_did_not_act():
    script = Script((429, error_body("rate_limited"), {"Retry-After": "1"}), (201, {"path": "a", "version": 1}))
    client = make_client(script)
    assert client.put_secret("a", {"k": "v"})["version"] == 1
    assert script.methods() == [("PUT", "/v1/secrets/a"), ("PUT", "/v1/secrets/a")]


def test_503_backs_off_with_jitter_and_bounded_attempts():
    script = Script(*[(503, error_body("service_unavailable"))] * 3)
    sleeps = []
    client = make_client(script, sleeps, retries=2)
    with pytest.raises(sv.ScaiVaultError) as info:
        client.get_secret("a")
    assert info.value.status == 503
    assert len(script.requests) == 3
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0


def test_put_dropped_after_send_is_unknown_outcome_never_resent():
    script = Script(httpx.RemoteProtocolError("Server disconnected without sending a response."))
    client = make_client(script)
    with pytest.raises(sv.ScaiVaultUnknownOutcome) as info:
        client.put_secret("env/prod/db", {"password": "hunter2"})
    assert len(script.requests) == 1
    assert "env/prod/db" in str(info.value) and "re-read" in str(info.value)
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize("status", [500, 502, 504])
def test_put_server_error_is_unknown_outcome(status):
    script = Script((status, error_body("internal_error")))
    client = make_client(script)
    with pytest.raises(sv.ScaiVaultUnknownOutcome):
        client.put_secret("a", {"k": "v"})
    assert len(script.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 504])
def test_get_server_error_is_retried(status):
    script = Script((status, error_body("internal_error")), (200, {"path": "a", "version": 3}))
    client = make_client(script)
    assert client.get_secret("a")["version"] == 3


def test_get_dropped_connection_is_retried():
    script = Script(httpx.ReadError("reset"), (200, {"path": "a", "version": 3}))
    assert make_client(script).get_secret("a")["version"] == 3


def test_connect_error_is_retried_even_for_put():
    script = Script(httpx.ConnectError("refused"), (200, {"path": "a", "version": 2}))
    assert make_client(script).put_secret("a", {"k": 1})["version"] == 2


def test_connect_error_exhausted_names_the_url():
    script = Script(*[httpx.ConnectError("refused")] * 2)
    with pytest.raises(sv.ScaiVaultConnectionError) as info:
        make_client(script, retries=1).get_secret("a")
    assert "https://vault.example" in str(info.value)


def test_tls_failure_suggests_ca_path():
    script = Script(httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"))
    with pytest.raises(sv.ScaiVaultConnectionError) as info:
        make_client(script, retries=0).get_secret("a")
    assert info.value.code == "tls_error"
    assert "ca_path" in info.value.describe()


def test_retry_stops_at_total_time_budget():
    script = Script(*[(429, error_body("rate_limited"), {"Retry-After": "100"})] * 3)
    sleeps = []
    client = make_client(script, sleeps, retries=5)
    client.settings.retry_max_time = 10
    with pytest.raises(sv.ScaiVaultError):
        client.get_secret("a")
    assert sleeps == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_other_4xx_never_retried(status):
    script = Script((status, error_body("whatever")))
    client = make_client(script)
    with pytest.raises(sv.ScaiVaultError):
        client.put_secret("a", {"k": 1})
    assert len(script.requests) == 1


def test_insufficient_scope_message_names_scope_and_path():
    script = Script((403, error_body("insufficient_scope", "token lacks secrets:write",
                                     required_scope="secrets:write")))
    with pytest.raises(sv.ScaiVaultError) as info:
        make_client(script).put_secret("environments/production/billing/stripe", {"k": 1})
    text = info.value.describe()
    assert text.startswith("403 insufficient_scope: token lacks secrets:write")
    assert "req_123" in text
    assert "Grant secrets:write" in text
    assert info.value.path == "environments/production/billing/stripe"


def test_secret_exists_hint_explains_recovery_window():
    script = Script((409, error_body("secret_exists", "soft-deleted")))
    with pytest.raises(sv.ScaiVaultError) as info:
        make_client(script).put_secret("a/b", {"k": 1})
    assert "30-day recovery window" in info.value.describe()
    assert "permanent=true" in info.value.describe()


def test_error_without_envelope_falls_back_to_status_code():
    script = Script(lambda request: httpx.Response(404, text="<html>not here</html>"))
    with pytest.raises(sv.ScaiVaultError) as info:
        make_client(script).request("GET", "/whatever")
    assert info.value.code == "not_found"


def test_get_secret_missing_returns_none():
    script = Script((404, error_body("secret_not_found")))
    assert make_client(script).get_secret("a") is None


def test_headers_token_tenant_user_agent():
    script = Script((200, {"path": "a"}))
    make_client(script, tenant_id="tnt_42").get_secret("a", version=3)
    request = script.requests[0]
    assert request.headers["authorization"] == "Bearer skt_test"
    assert request.headers["x-tenant-id"] == "tnt_42"
    assert request.headers["user-agent"].startswith("scailabs.scaivault/")
    assert request.url.params["version"] == "3"


def test_pagination_follows_cursor_until_done():
    script = Script((200, {"secrets": [{"path": "a"}, {"path": "b"}], "cursor": "c1", "has_more": True}),
                    (200, {"secrets": [{"path": "c"}], "cursor": None, "has_more": False}))
    paths = [item["path"] for item in make_client(script).list_secrets(prefix="x/")]
    assert paths == ["a", "b", "c"]
    assert script.requests[1].url.params["cursor"] == "c1"
    assert script.requests[0].url.params["prefix"] == "x/"


def test_list_items_is_tolerant_of_envelopes():
    assert sv.list_items({"data": [1]}) == [1]
    assert sv.list_items({"backends": [2]}) == [2]
    assert sv.list_items([3]) == [3]
    assert sv.list_items({"other": 1}) == []


def test_batch_read_chunks_by_100_and_merges():
    def answer(request):
        paths = json.loads(request.content)["paths"]
        return httpx.Response(200, json={"secrets": dict((p, {"path": p}) for p in paths[:-1]),
                                         "errors": {paths[-1]: {"code": "secret_not_found"}}})
    script = Script(answer, answer, answer)
    found, errors = make_client(script).batch_metadata(["p%d" % i for i in range(250)])
    assert [len(json.loads(r.content)["paths"]) for r in script.requests] == [100, 100, 50]
    assert len(found) == 247 and len(errors) == 3
    assert script.requests[0].url.path == "/v1/secrets/batch/metadata"


def test_rate_limit_headers_recorded_per_category():
    script = Script((200, {"path": "a", "version": 1},
                     {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "42", "X-RateLimit-Reset": "1700000000"}))
    client = make_client(script)
    client.put_secret("a", {"k": 1})
    assert client.rate_limits.get("write")[:2] == (100, 42)


def test_client_credentials_token_renewed_before_expiry():
    issued = []

    def token_endpoint(request):
        form = dict(x.split("=") for x in request.content.decode().split("&"))
        assert form["grant_type"] == "client_credentials" and form["client_id"] == "migrator"
        issued.append("tok%d" % len(issued))
        return httpx.Response(200, json={"access_token": issued[-1], "expires_in": 300, "token_type": "Bearer"})

    def api(request):
        return httpx.Response(200, json={"identity_id": "sa:migrator"})

    script = Script(token_endpoint, api, api, token_endpoint, api)
    client = make_client(script, token=None, client_id="migrator", client_secret="s3cret",
                         token_url="https://vault.example/oauth/token")
    clock = FakeClock()
    client.tokens._clock = clock
    client.whoami()
    clock.now += 100
    client.whoami()
    clock.now += 150  # 50 s left < the renewal margin: renew first
    client.whoami()
    auth = [r.headers.get("authorization") for r in script.requests if r.url.path.startswith("/v1/")]
    assert auth == ["Bearer tok0", "Bearer tok0", "Bearer tok1"]
    assert client.tokens.renewals == 2


def test_token_expired_mid_run_is_renewed_once():
    def token_endpoint(request):
        return httpx.Response(200, json={"access_token": "fresh", "expires_in": 3600})
    script = Script(token_endpoint, (401, error_body("token_expired")), token_endpoint, (200, {"ok": True}))
    client = make_client(script, token=None, client_id="c", client_secret="s", token_url="https://k.example/t")
    assert client.whoami() == {"ok": True}


def test_bad_client_credentials_are_reported():
    script = Script(lambda request: httpx.Response(401, json={"error": "invalid_client"}))
    client = make_client(script, token=None, client_id="c", client_secret="wrong", token_url="https://k.example/t")
    with pytest.raises(sv.ScaiVaultError) as info:
        client.whoami()
    assert "refused client c" in str(info.value) and "wrong" not in str(info.value)


def test_settings_explicit_wins_over_environment():
    env = {"SCAIVAULT_URL": "https://env.example", "SCAIVAULT_TOKEN": "skt_env", "SCAIVAULT_TENANT_ID": "tnt_env",
           "SCAIVAULT_VALIDATE_CERTS": "false"}
    settings = sv.ConnectionSettings.resolve({"url": "https://explicit.example", "token": None}, environ=env)
    assert settings.url == "https://explicit.example"
    assert settings.token == "skt_env"
    assert settings.tenant_id == "tnt_env"
    assert settings.validate_certs is False


def test_settings_problems_are_actionable():
    problems = sv.ConnectionSettings.resolve({}, environ={}).problems()
    assert any("SCAIVAULT_URL" in p for p in problems)
    assert any("SCAIVAULT_TOKEN" in p for p in problems)
    assert sv.ConnectionSettings.resolve({"url": "ftp://x", "token": "t"}, environ={}).problems()


def test_endpoint_categories():
    assert sv.endpoint_category("PUT", "/secrets/a/b") == "write"
    assert sv.endpoint_category("GET", "/secrets/a") == "read"
    assert sv.endpoint_category("GET", "/secrets") == "list"
    assert sv.endpoint_category("POST", "/secrets/batch/metadata") == "batch_metadata"
    assert sv.endpoint_category("POST", "/secrets/batch") == "batch_read"
    assert sv.endpoint_category("DELETE", "/secrets/a") == "delete"
    assert sv.endpoint_category("GET", "/audit/logs") == "audit"


def test_connection_error_hint_names_the_setting():
    script = Script(httpx.ConnectError("refused"))
    with pytest.raises(sv.ScaiVaultConnectionError) as info:
        make_client(script, retries=0).get_secret("a")
    assert "SCAIVAULT_URL" in info.value.describe()


def test_unreadable_ca_path_is_a_clear_error(tmp_path):
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate")
    with pytest.raises(sv.ScaiVaultError) as info:
        make_client(Script(), ca_path=str(bogus))
    assert info.value.code == "tls_error" and str(bogus) in str(info.value)
