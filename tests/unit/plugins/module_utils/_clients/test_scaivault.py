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


def test_internal_error_is_retried_once_then_escalated():
    """https://www.scailabs.ai/en/docs/scaivault/core-concepts/errors: internal_error - retry once with backoff."""
    script = Script(*[(500, error_body("internal_error"))] * 4)
    sleeps = []
    with pytest.raises(sv.ScaiVaultError) as info:
        make_client(script, sleeps, retries=5).get_secret("a")
    assert info.value.code == "internal_error" and len(script.requests) == 2 and len(sleeps) == 1
    # 503 service_unavailable is still retried up to `retries`.
    script = Script(*[(503, error_body("service_unavailable"))] * 4, (200, {"path": "a", "version": 3}))
    assert make_client(script, [], retries=5).get_secret("a")["version"] == 3 and len(script.requests) == 5


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


@pytest.mark.parametrize("retry_after, slept", [("86400", 120.0), ("121", 120.0), ("120", 120.0), ("119.5", 119.5)])
def test_retry_after_is_capped_at_two_minutes(retry_after, slept):
    """A server asking for a day (or a proxy's garbage) waits RETRY_AFTER_CAP_SECONDS, then retries."""
    script = Script((429, error_body("rate_limited"), {"Retry-After": retry_after}), (200, {"path": "a", "version": 1}))
    sleeps, warnings = [], []
    client = make_client(script, sleeps, warnings)
    assert sv.RETRY_AFTER_CAP_SECONDS == 120
    assert client.get_secret("a")["version"] == 1
    assert sleeps == [slept] and "retrying in %.1fs" % slept in warnings[0]
    assert client.counter.snapshot()["retries"] == 1


def test_unparsable_retry_after_falls_back_to_jittered_backoff():
    script = Script((503, error_body("service_unavailable"), {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
                    (200, {"path": "a", "version": 1}))
    sleeps = []
    assert make_client(script, sleeps).get_secret("a")["version"] == 1
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 0.5


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
        make_client(script).put_secret("environments/production/billing/stripe", {"k": "sk_live_0123"})
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


# -- a server that echoes what it was sent ---------------------------------------------------------
ECHOED = 'sk_live_"quoted"\\value\n'


def echo_body(request):
    """Answer 422 with the request body inside the message and the details, as a hostile server would."""
    text = request.content.decode("utf-8")
    return httpx.Response(422, json={"error": {"code": "validation_error", "message": "invalid request body: " + text,
                                               "details": {"fields": ["data.value"], "body": text, "echo": text},
                                               "request_id": "req_9"}})


def test_an_error_echoing_the_request_body_never_carries_the_value():
    client = make_client(Script(echo_body))
    with pytest.raises(sv.ScaiVaultError) as info:
        client.put_secret("a/b", {"value": ECHOED}, secret_type="kv")
    exc = info.value
    shown = " ".join([exc.describe(), str(exc), repr(exc.args), json.dumps(exc.to_result()), json.dumps(exc.details)])
    for form in (ECHOED, json.dumps(ECHOED)[1:-1], "sk_live"):
        assert form not in shown
    assert exc.status == 422 and exc.code == "validation_error" and exc.request_id == "req_9"
    assert "withheld" in exc.describe() and "fields: data.value" in exc.describe()
    assert exc.details == {"fields": ["data.value"]}


def test_an_error_echoing_the_bearer_token_withholds_the_text():
    script = Script((500, error_body("internal_error", "auth header was Bearer skt_test")))
    with pytest.raises(sv.ScaiVaultError) as info:
        make_client(script, retries=0).put_secret("a/b", {"value": "long-enough-value"})
    assert "skt_test" not in info.value.describe()


def test_batch_read_errors_never_echo_values_of_the_same_answer():
    answer = {"secrets": {"a/one": {"path": "a/one", "data": {"password": ECHOED}}},
              "errors": {"a/two": {"code": "access_denied", "message": "like a/one, which holds " + ECHOED},
                         "a/three": {"code": 'bad "code" ' + ECHOED, "message": "no such secret"}}}
    found, errors = make_client(Script((200, answer))).batch_read(["a/one", "a/two", "a/three"])
    assert found["a/one"]["data"]["password"] == ECHOED
    assert errors["a/two"] == {"code": "access_denied", "message": sv.WITHHELD}
    assert errors["a/three"] == {"code": "batch_error", "message": "no such secret"}


def test_the_token_endpoint_error_code_is_shown_only_when_shaped_like_a_code():
    script = Script(lambda request: httpx.Response(401, json={"error": "bad client secret " + "cl1ent-s3cret"}))
    client = make_client(script, token=None, client_id="migrator", client_secret="cl1ent-s3cret",
                         token_url="https://scaikey.example/oauth/token")
    with pytest.raises(sv.ScaiVaultError) as info:
        client.get_secret("a/b")
    assert "cl1ent-s3cret" not in info.value.describe() and info.value.code == "token_invalid"


@pytest.mark.parametrize("url, token_url, allowed, problem", [
    ("http://vault.example", None, False, "url http://vault.example is plain http://"),
    ("https://vault.example", "http://scaikey.example/oauth/token", False, "token_url http://scaikey.example"),
    ("http://127.0.0.1:8200", None, False, None),
    ("http://[::1]:8200", None, False, None),
    ("http://localhost:8200", "http://127.0.0.5/token", False, None),
    ("http://vault.example", None, True, None),
])
def test_plain_http_off_loopback_is_refused_unless_allowed(url, token_url, allowed, problem):
    settings = sv.ConnectionSettings.resolve({"url": url, "token": "t", "token_url": token_url,
                                              "allow_insecure_http": allowed}, environ={})
    problems = settings.problems()
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problems[0].startswith(problem) and "allow_insecure_http=true" in problems[0]
    assert bool(sv.insecure_http_warnings(settings)) is (allowed and problem is None and url.startswith("http://vault"))


def test_allow_insecure_http_comes_from_the_environment_too():
    settings = sv.ConnectionSettings.resolve({"url": "http://vault.example", "token": "t"},
                                             environ={"SCAIVAULT_ALLOW_INSECURE_HTTP": "true"})
    assert settings.problems() == [] and len(sv.insecure_http_warnings(settings)) == 1


# -- [assumed] shapes: fallbacks discovered on first use, remembered for the process -------------
def test_batch_metadata_route_missing_falls_back_to_batch_read_once_and_drops_values():
    value = {"password": "hunter2-never-shown"}

    def batch_read(request):
        paths = json.loads(request.content)["paths"]
        return httpx.Response(200, json={"secrets": {p: {"path": p, "version": 2, "data": value} for p in paths},
                                         "errors": {}})

    script = Script((404, error_body("not_found", "no route")), batch_read, batch_read)
    warnings = []
    client = make_client(script, warnings=warnings)
    found, errors = client.batch_metadata(["a/b"])
    assert found == {"a/b": {"path": "a/b", "version": 2}} and errors == {}
    # Remembered: the second call goes straight to the batch read, and nothing more is warned.
    client.batch_metadata(["a/c"])
    assert script.methods() == [("POST", "/v1/secrets/batch/metadata"), ("POST", "/v1/secrets/batch"),
                                ("POST", "/v1/secrets/batch")]
    assert len(warnings) == 1
    assert "POST /v1/secrets/batch/metadata answered 404 not_found" in warnings[0]
    assert "POST /v1/secrets/batch" in warnings[0] and "read unit per path" in warnings[0]
    assert "hunter2" not in " ".join(warnings)
    # A second client of the same tenant in this process knows it already.
    other = Script(batch_read)
    make_client(other).batch_metadata(["a/d"])
    assert other.methods() == [("POST", "/v1/secrets/batch")]
    assert client.fallbacks() == [{"item": "batch_metadata", "choice": "batch_read"}]


def test_batch_metadata_fallback_without_read_scope_names_it():
    script = Script((405, error_body("method_not_allowed")),
                    (403, error_body("insufficient_scope", "no", required_scope="secrets:read")))
    with pytest.raises(sv.ScaiVaultError) as err:
        make_client(script).batch_metadata(["a"])
    assert err.value.required_scope == "secrets:read" and "batch-metadata route" in str(err.value)


def test_batch_metadata_404_of_an_unknown_tenant_is_not_a_missing_route():
    script = Script((404, error_body("tenant_not_found")))
    with pytest.raises(sv.ScaiVaultError) as err:
        make_client(script).batch_metadata(["a"])
    assert err.value.code == "tenant_not_found" and len(script.requests) == 1


def test_both_batch_routes_missing_is_a_contract_error_naming_the_assumption():
    script = Script((404, error_body("not_found")), (404, error_body("not_found")))
    with pytest.raises(sv.ScaiVaultContractError) as err:
        make_client(script).batch_metadata(["a"])
    text = err.value.describe()
    assert "POST /v1/secrets/batch answered 404 not_found" in text and "preflight" in text


def test_a_404_with_a_secret_code_is_missing_without_probing():
    script = Script((404, error_body("secret_not_found")))
    assert make_client(script).get_secret("a/b") is None and len(script.requests) == 1


def test_an_ambiguous_404_is_decided_by_one_probe_on_a_known_route():
    script = Script((404, {"detail": "Not Found"}), (200, {"identity_id": "sa:x"}), (404, {"detail": "Not Found"}))
    client = make_client(script)
    assert client.get_secret("a/b") is None
    assert client.get_secret("a/c") is None  # the probe is remembered
    assert script.methods() == [("GET", "/v1/secrets/a/b"), ("GET", "/v1/auth/whoami"), ("GET", "/v1/secrets/a/c")]


def test_an_ambiguous_404_on_a_wrong_url_fails_naming_the_assumption():
    script = Script((404, None), (404, None))
    with pytest.raises(sv.ScaiVaultContractError) as err:
        make_client(script).get_secret("a/b")
    assert "GET /v1/secrets/a/b answered 404" in str(err.value) and "does not point at ScaiVault" in str(err.value)


@pytest.mark.parametrize("page1, page2", [
    ({"secrets": [{"path": "a"}], "cursor": "c1", "has_more": True}, {"secrets": [{"path": "b"}], "cursor": None}),
    ({"data": [{"path": "a"}], "next_cursor": "c1"}, {"data": [{"path": "b"}], "next_cursor": None}),
    ({"data": [{"path": "a"}], "next": "/v1/secrets?cursor=c1&limit=1000"}, {"data": [{"path": "b"}]}),
    ({"items": [{"path": "a"}], "next": "c1"}, {"items": [], "next": "c2"}),
    ([{"path": "a"}], None),
])
def test_list_envelopes_and_cursors_are_read_tolerantly(page1, page2):
    answers = [(200, page1)] + ([(200, page2)] if page2 is not None else [])
    script = Script(*answers)
    paths = [item["path"] for item in make_client(script).list_secrets()]
    assert paths[0] == "a" and paths[1:] in ([], ["b"])
    if len(script.requests) > 1:
        assert script.requests[1].url.params["cursor"] == "c1"


def test_an_empty_page_ends_the_listing_even_with_a_cursor():
    script = Script((200, {"data": [], "next_cursor": "again"}))
    assert list(make_client(script).list_secrets()) == [] and len(script.requests) == 1


def test_a_repeated_cursor_or_an_unknown_envelope_fails_naming_the_assumption():
    script = Script((200, {"data": [{"path": "a"}], "next_cursor": "c"}), (200, {"data": [{"path": "a"}], "next_cursor": "c"}))
    with pytest.raises(sv.ScaiVaultContractError) as err:
        list(make_client(script).list_secrets())
    assert "GET /v1/secrets answered 200" in str(err.value) and "new cursor" in str(err.value)
    script = Script((200, {"results_v2": [{"path": "a"}]}))
    with pytest.raises(sv.ScaiVaultContractError) as err:
        list(make_client(script).list_secrets())
    assert "list answer" in str(err.value) and "results_v2" not in str(err.value)


def test_soft_deleted_items_of_a_listing_are_left_out():
    script = Script((200, {"secrets": [{"path": "a"}, {"path": "b", "deleted_at": "2026-01-01T00:00:00Z"}]}))
    assert [item["path"] for item in make_client(script).list_secrets()] == ["a"]


@pytest.mark.parametrize("status", [400, 422])
def test_a_refused_page_size_falls_back_to_100_once(status):
    script = Script((status, error_body("validation_error", "limit too big", fields=["limit"])),
                    (200, {"secrets": [{"path": "a"}]}), (200, {"secrets": [{"path": "b"}]}))
    warnings = []
    client = make_client(script, warnings=warnings)
    assert [item["path"] for item in client.list_secrets()] == ["a"]
    assert [item["path"] for item in client.list_secrets()] == ["b"]
    assert [r.url.params["limit"] for r in script.requests] == ["1000", "100", "100"]
    assert len(warnings) == 1 and "refused limit=1000" in warnings[0]


@pytest.mark.parametrize("status", [400, 422])
def test_hard_delete_flag_is_detected_once(status):
    script = Script((status, error_body("invalid_request", "unknown parameter", fields=["permanent"])), (204, None),
                    (200, {"deleted": True}))
    warnings = []
    client = make_client(script, warnings=warnings)
    assert client.delete_secret("a", permanent=True) is True
    assert client.delete_secret("b", permanent=True) is True
    assert [dict(r.url.params) for r in script.requests] == [{"permanent": "true"}, {"hard": "true"}, {"hard": "true"}]
    assert len(warnings) == 1 and "?hard=true" in warnings[0]


def test_every_hard_delete_flag_refused_is_a_contract_error():
    script = Script((400, error_body("invalid_request", fields=["permanent"])), (400, error_body("invalid_request", fields=["hard"])))
    with pytest.raises(sv.ScaiVaultContractError) as err:
        make_client(script).delete_secret("a", permanent=True)
    assert "?permanent=true" in str(err.value) and "?hard=true" in str(err.value)


def test_a_missing_secret_is_not_a_refused_flag():
    script = Script((404, error_body("secret_not_found")))
    assert make_client(script).delete_secret("a", permanent=True) is False and len(script.requests) == 1


@pytest.mark.parametrize("status, body", [
    (201, {"path": "a", "version": 1}),
    (200, {"path": "a", "version": 1, "data": {"password": "hunter2-secret"}}),
    (200, None),
    (204, None),
])
def test_put_answers_of_any_shape_never_keep_data(status, body):
    script = Script((status, body))
    answer = make_client(script).put_secret("a", {"password": "hunter2-secret"})
    assert "data" not in answer and "hunter2" not in json.dumps(answer)
    assert answer.get("version") in (None, 1)


def test_metadata_update_probes_routes_then_remembers_the_one_that_works():
    stored = {"path": "a/b", "version": 3, "metadata": {"tags": ["x"]}}
    script = Script((405, error_body("method_not_allowed")),                        # PATCH /secrets/a/b
                    (200, dict(stored, metadata={"tags": ["y"]})),                   # PATCH /secrets/a/b/metadata
                    (200, {"secrets": {"a/b": dict(stored, metadata={"tags": ["y"]})}, "errors": {}}),  # read back
                    (200, dict(stored, metadata={"tags": ["z"]})))                   # next update: no probing
    client = make_client(script)
    assert client.update_metadata("a/b", {"tags": ["y"]}, version=3)["version"] == 3
    assert client.update_metadata("a/b", {"tags": ["z"]}, version=3)["metadata"] == {"tags": ["z"]}
    assert script.methods() == [("PATCH", "/v1/secrets/a/b"), ("PATCH", "/v1/secrets/a/b/metadata"),
                                ("POST", "/v1/secrets/batch/metadata"), ("PATCH", "/v1/secrets/a/b/metadata")]
    assert json.loads(script.requests[1].content) == {"metadata": {"tags": ["y"]}}


def test_no_metadata_route_means_none_once_and_a_warning_with_the_cost():
    script = Script((405, error_body("method_not_allowed")), (405, error_body("method_not_allowed")),
                    (422, error_body("validation_error", "data must be an object", fields=["data"])))
    warnings = []
    client = make_client(script, warnings=warnings)
    assert client.update_metadata("a/b", {"tags": ["y"]}) is None
    assert client.update_metadata("a/c", {"tags": ["y"]}) is None
    assert len(script.requests) == 3 and len(warnings) == 1
    assert "no metadata-only update route" in warnings[0] and "new version" in warnings[0]
    assert "PUT /v1/secrets/{path}/metadata: 422 validation_error" in warnings[0]


def test_an_ambiguous_404_of_a_metadata_route_probes_the_path_once():
    stored = {"path": "a/b", "version": 3, "metadata": {}}
    script = Script((404, error_body("secret_not_found")),                         # PATCH /secrets/a/b: route or secret?
                    (200, {"secrets": {"a/b": stored}, "errors": {}}),              # it exists: no such route
                    (404, error_body("not_found")), (200, {"secrets": {"a/b": stored}, "errors": {}}),
                    (405, error_body("method_not_allowed")))
    assert make_client(script).update_metadata("a/b", {"tags": ["y"]}) is None
    # ...but a secret that is really gone is "missing", not a missing route.
    forgotten = Script((404, error_body("secret_not_found")), (200, {"secrets": {}, "errors": {"a/b": {"code": "secret_not_found"}}}))
    sv.forget_discoveries()
    with pytest.raises(sv.ScaiVaultError) as err:
        make_client(forgotten).update_metadata("a/b", {"tags": ["y"]})
    assert err.value.code == "secret_not_found"


def test_a_metadata_route_that_changes_nothing_is_no_route():
    stored = {"path": "a/b", "version": 3, "metadata": {"tags": ["x"]}}
    script = Script((200, None), (200, {"secrets": {"a/b": stored}, "errors": {}}),
                    (405, error_body("method_not_allowed")), (405, error_body("method_not_allowed")))
    assert make_client(script).update_metadata("a/b", {"tags": ["y"]}) is None


def test_a_path_ending_in_metadata_never_uses_a_metadata_route():
    script = Script()
    assert make_client(script).update_metadata("app/metadata", {"tags": ["y"]}) is None and not script.requests


@pytest.mark.parametrize("body", [{"status": "HEALTHY", "connection": {"status": "CONNECTED"}},
                                  {"status": "healthy", "connection": {"status": "connected"}, "errors": None}])
def test_federation_status_values_are_read_in_any_case(body):
    status = make_client(Script((200, body))).backend_status("fed_1")
    assert status["status"] == "healthy" and status["connection"]["status"] == "connected" and status["errors"] == []


def test_federation_status_without_a_status_is_a_contract_error():
    with pytest.raises(sv.ScaiVaultContractError) as err:
        make_client(Script((200, {"state": "ok"}))).backend_status("fed_1")
    assert "GET /v1/federation/backends/fed_1/status answered 200" in str(err.value)


@pytest.mark.parametrize("status, body, sync_id", [(202, {"sync_id": "s1", "status": "started"}, "s1"),
                                                   (200, {"id": "s2", "status": "QUEUED"}, "s2"),
                                                   (204, None, None)])
def test_sync_answers_of_any_shape(status, body, sync_id):
    answer = make_client(Script((status, body))).sync_backend("fed_1")
    assert answer["sync_id"] == sync_id and answer["status"] == answer["status"].lower()


@pytest.mark.parametrize("listing", [{"backends": [{"id": "fed_1", "name": "n"}]},
                                     {"data": [{"id": "fed_1", "name": "n"}], "cursor": None, "has_more": False}])
def test_backend_listing_envelopes(listing):
    assert make_client(Script((200, listing))).find_backend("n")["id"] == "fed_1"


def test_backend_create_answered_200_without_the_object_is_looked_up():
    script = Script((200, None), (200, {"backends": [{"id": "fed_9", "name": "n"}]}))
    assert make_client(script).create_backend({"name": "n"})["id"] == "fed_9"


@pytest.mark.parametrize("listing", [{"secrets": [{"secret_path": "b"}, {"secret_path": "a"}]},
                                     {"data": [{"path": "b"}, {"path": "a"}], "next_cursor": None},
                                     {"data": ["b", "a"]}])
def test_rotation_assignment_shapes(listing):
    assert make_client(Script((200, listing))).rotation_secret_paths("rot_1") == ["a", "b"]


def test_insufficient_scope_without_details_names_the_documented_scope():
    script = Script((403, error_body("insufficient_scope", "not allowed")))
    with pytest.raises(sv.ScaiVaultError) as err:
        make_client(script).create_backend({"name": "n"})
    assert err.value.required_scope == "federation:write" and "Grant federation:write" in err.value.describe()


def test_capabilities_name_what_was_seen():
    script = Script((200, {"data": [{"path": "a"}], "next_cursor": None}), (201, {"path": "a", "version": 1}))
    client = make_client(script)
    list(client.list_secrets())
    client.put_secret("a", {"k": "v"})
    seen = client.capabilities()["seen"]
    assert seen["list_envelope secrets"] == "data/-/no has_more" and seen["put_answer"] == "201 object"


# -- against the dev server in process (unit.fakes.InProcessVault): the answers the contract tests hold it to ----
CODE_BY_STATUS = {400: "bad_request", 401: "token_invalid", 403: "access_denied", 404: "not_found",
                  405: "method_not_allowed", 409: "conflict", 413: "secret_too_large", 422: "validation_error",
                  429: "rate_limited", 500: "internal_error", 501: "not_implemented", 502: "bad_gateway",
                  503: "service_unavailable", 504: "gateway_timeout", 418: "http_418"}


@pytest.mark.parametrize("status", sorted(CODE_BY_STATUS))
def test_an_error_without_a_code_is_named_after_its_status(status):
    """A proxy's HTML page has no error code: the client names one after the status (GET: never an unknown outcome)."""
    script = Script(lambda request: httpx.Response(status, text="<html>proxy page</html>"))
    with pytest.raises(sv.ScaiVaultError) as info:
        make_client(script, retries=0).request("GET", "/auth/whoami")
    assert (info.value.status, info.value.code) == (status, CODE_BY_STATUS[status])


@pytest.mark.parametrize("options, problem", [
    (dict(url=None, token="t"), "no ScaiVault URL: set the url option or SCAIVAULT_URL"),
    (dict(url="vault.example", token="t"),
     "ScaiVault URL 'vault.example' must start with https:// (or http:// for a local dev server)"),
    (dict(url="http://vault.example", token="t"),
     "url http://vault.example is plain http:// on a host that is not loopback: the bearer token and secret values "
     "would cross the network in clear. Use https://, or set allow_insecure_http=true (SCAIVAULT_ALLOW_INSECURE_HTTP) "
     "for a network you trust"),
    (dict(url="https://v.example", client_id="c", client_secret="s", token_url="http://key.example/token"),
     "token_url http://key.example/token is plain http:// on a host that is not loopback: the client secret would "
     "cross the network in clear. Use https://, or set allow_insecure_http=true (SCAIVAULT_ALLOW_INSECURE_HTTP) "
     "for a network you trust"),
    (dict(url="https://v.example"), "no credentials: set token (or SCAIVAULT_TOKEN), or client_id and client_secret "
                                    "(or SCAIVAULT_CLIENT_ID / SCAIVAULT_CLIENT_SECRET)"),
    (dict(url="https://v.example", token="t", client_id="c"), "client_id and client_secret go together"),
    (dict(url="https://v.example", token="t", client_secret="s"), "client_id and client_secret go together"),
    (dict(url="https://v.example", token="t", ca_path="/nonexistent/ca.pem"), "ca_path /nonexistent/ca.pem does not exist"),
    (dict(url="https://v.example", token="t", retries=-1), "retries must be 0 or more"),
])
def test_each_connection_problem_in_its_words(options, problem):
    assert sv.ConnectionSettings.resolve(options, environ={}).problems() == [problem]


@pytest.mark.parametrize("options", [dict(url="http://127.0.0.1:8200", token="t"), dict(url="http://localhost", token="t"),
                                     dict(url="http://[::1]:1", token="t"), dict(url="https://v.example", token="t"),
                                     dict(url="http://vault.example", token="t", allow_insecure_http=True),
                                     dict(url="https://v.example", client_id="c", client_secret="s")])
def test_settings_without_problems(options):
    assert sv.ConnectionSettings.resolve(options, environ={}).problems() == []


def test_soft_and_permanent_deletes(inprocess_vault):
    client = inprocess_vault.client()
    for path in ("d/soft", "d/hard"):
        inprocess_vault.put(path, {"k": "v"})
    assert client.delete_secret("d/soft") is True and client.delete_secret("d/soft") is False
    assert inprocess_vault.stored("d/soft")["deleted_at"]  # soft: recoverable
    assert client.delete_secret("d/hard", permanent=True) is True
    assert inprocess_vault.stored("d/hard") is None
    assert client.delete_secret("d/hard", permanent=True) is False
    assert client.capabilities()["choices"]["hard_delete"] == "permanent" and client.fallbacks() == []


def test_a_tenant_that_refuses_permanent_gets_hard_once_with_one_warning(tmp_path):
    from unit.fakes import InProcessVault  # pylint: disable=import-outside-toplevel

    vault = InProcessVault(tmp_path / "vault", contract="alt:hard_delete")
    try:
        warnings = []
        client = vault.client(warnings=warnings)
        for path in ("d/one", "d/two"):
            vault.put(path, {"k": "v"})
        assert client.delete_secret("d/one", permanent=True) is True and vault.stored("d/one") is None
        assert client.delete_secret("d/two", permanent=True) is True and vault.stored("d/two") is None
        assert client.fallbacks() == [{"item": "hard_delete", "choice": "hard"}]
        assert len(warnings) == 1 and "hard deletes use DELETE ?hard=true" in warnings[0]
        assert "refused DELETE /v1/secrets/{path} (?permanent=true: 400 " in warnings[0]
        assert vault.counters()["by_status"].get("400") == 1  # one refused request, once
    finally:
        vault.close()


def test_whoami_introspect_and_the_validation_answer(inprocess_vault):
    client = inprocess_vault.client()
    me = client.whoami()
    assert me["identity_id"] == "user:dev@scaivault.local" and isinstance(me["scopes"], list)
    own = client.introspect()
    assert own["active"] is True and "admin" in own["scopes"]
    assert client.validation_answer() == (422, "validation_error")  # reference/error-codes
    token = "skt_unit_reader"
    inprocess_vault.http.post("/_dev/tokens", json={"token": token, "identity_id": "sa:r", "scopes": ["secrets:read"]})
    assert inprocess_vault.client(token=token).introspect() is None  # not admin: nothing to say


def test_federation_backends_round_trip(inprocess_vault):
    client = inprocess_vault.client()
    spec = {"name": "hv", "type": "hashicorp-vault", "config": {"address": "https://vault.example"},
            "path_mapping": {"external/hv/**": "**"}, "mode": "sync", "sync_interval": "1h"}
    created = client.create_backend(spec)
    assert created["id"] and created["name"] == "hv"
    assert [backend["id"] for backend in client.list_backends()] == [created["id"]]
    assert client.find_backend("hv")["id"] == created["id"] and client.find_backend("other") is None
    assert client.update_backend(created["id"], {"sync_interval": "2h"})["sync_interval"] == "2h"
    status = client.backend_status(created["id"])
    assert status["status"] == "error" and status["connection"]["status"] == "unsupported"
    assert client.delete_backend(created["id"]) is True and client.delete_backend(created["id"]) is False
    assert client.list_backends() == []


@pytest.mark.parametrize("answer, expected", [
    ((202, {"sync_id": "sync_1", "status": "started"}), {"sync_id": "sync_1", "status": "started"}),
    ((200, {"id": "sync_2", "status": "QUEUED"}), {"id": "sync_2", "sync_id": "sync_2", "status": "queued"}),
    ((202, None), {"sync_id": None, "status": "started"}),
])
def test_sync_backend_reads_either_answer(answer, expected):
    script = Script(answer)
    assert make_client(script).sync_backend("fed/1") == expected
    assert [(r.method, r.url.raw_path) for r in script.requests] == [("POST", b"/v1/federation/backends/fed%2F1/sync")]


class UpperBound:
    """An rng whose uniform(a, b) is b: the longest wait the backoff allows, so the waits are exact."""

    @staticmethod
    def uniform(low, high):
        return high


def test_backoff_doubles_from_half_a_second_to_a_thirty_second_cap_and_says_so():
    script = Script(*[(503, error_body("service_unavailable"))] * 8 + [(200, {"path": "a", "version": 1})])
    sleeps, warnings = [], []
    settings = sv.ConnectionSettings.resolve({"url": "https://vault.example", "token": "skt_test", "retries": 8,
                                              "retry_max_time": 1000}, environ={})
    client = sv.ScaiVaultClient(settings, warn=warnings.append, sleep=sleeps.append, transport=httpx.MockTransport(script),
                                rng=UpperBound())
    assert client.get_secret("a")["version"] == 1
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert warnings[0] == "ScaiVault GET a: 503 service_unavailable; retrying in 0.5s (attempt 2 of 9)"
    assert warnings[-1] == "ScaiVault GET a: 503 service_unavailable; retrying in 30.0s (attempt 9 of 9)"


def test_a_wait_that_would_end_exactly_at_the_deadline_is_still_taken(monkeypatch):
    script = Script((429, error_body("rate_limited"), {"Retry-After": "10"}), (200, {"path": "a", "version": 1}))
    sleeps = []
    client = make_client(script, sleeps)
    client.settings.retry_max_time = 10
    monkeypatch.setattr(sv.time, "time", lambda: 1000.0)
    assert client.get_secret("a")["version"] == 1 and sleeps == [10.0]


def test_tenant_id_refusals_are_explained(inprocess_vault):
    """https://www.scailabs.ai/en/docs/scaivault/core-concepts/multi-tenancy: X-Tenant-ID needs a partner-admin token
    and a tenant of its partner; an unknown tenant is 404 tenant_not_found."""
    inprocess_vault.put("tn/a", {"k": "v"})
    plain = "skt_unit_plain"
    inprocess_vault.http.post("/_dev/tokens", json={"token": plain, "identity_id": "sa:plain", "scopes": ["secrets:read"]})
    assert inprocess_vault.client(token=plain).get_secret("tn/a")["data"] == {"k": "v"}
    with pytest.raises(sv.ScaiVaultError) as err:
        inprocess_vault.client(token=plain, tenant_id="tnt_dev").get_secret("tn/a")
    assert (err.value.status, err.value.code, err.value.tenant_id) == (403, "tenant_access_denied", "tnt_dev")
    assert "only a partner-admin token may do" in err.value.describe() and "leave tenant_id" in err.value.describe()
    # The dev token is a partner admin of ptn_dev: its own tenant by name works, an unknown one is explained.
    assert inprocess_vault.client(tenant_id="tnt_dev").get_secret("tn/a")["data"] == {"k": "v"}
    with pytest.raises(sv.ScaiVaultError) as err:
        inprocess_vault.client(tenant_id="tnt_nowhere").get_secret("tn/a")
    assert (err.value.status, err.value.code) == (404, "tenant_not_found")
    assert "Tenant tnt_nowhere does not exist: check tenant_id" in err.value.describe()
    # Without tenant_id, a 403 keeps its ordinary hint.
    with pytest.raises(sv.ScaiVaultError) as err:
        inprocess_vault.client(token=plain).put_secret("tn/a", {"k": "w"})
    assert err.value.tenant_id is None and "partner-admin" not in err.value.describe()


def token_client(answer, **options):
    options = dict(dict(token=None, client_id="migrator", client_secret="s3cret", token_url="https://k.example/t"),
                   **options)
    script = Script(answer, (200, {"identity_id": "sa:migrator"}))
    return make_client(script, **options), script


def test_the_token_request_sends_exactly_the_client_credentials_and_scopes():
    client, script = token_client((200, {"access_token": "tok"}), scopes=["secrets:read", "secrets:write"])
    clock = FakeClock()
    client.tokens._clock = clock
    client.whoami()
    request = script.requests[0]
    sent = (request.method, str(request.url), request.headers["accept"])
    assert sent == ("POST", "https://k.example/t", "application/json")
    assert dict(httpx.QueryParams(request.content.decode())) == {
        "grant_type": "client_credentials", "client_id": "migrator", "client_secret": "s3cret",
        "scope": "secrets:read secrets:write"}
    assert client.tokens._expires_at == clock.now + 3600  # no expires_in: an hour
    client, script = token_client((200, {"access_token": "tok", "expires_in": 60}))
    client.whoami()
    assert "scope" not in dict(httpx.QueryParams(script.requests[0].content.decode()))


@pytest.mark.parametrize("answer, status, message", [
    ((401, {"error": "invalid_client", "error_description": "s3cret is wrong"}), 401,
     "the token endpoint https://k.example/t refused client migrator (invalid_client)"),
    ((403, ["not", "an", "object"]), 403, "the token endpoint https://k.example/t refused client migrator (token_invalid)"),
    ((200, {"token": "tok"}), 200, "the token endpoint https://k.example/t answered without an access_token"),
    ((200, ["tok"]), 200, "the token endpoint https://k.example/t answered without an access_token"),
])
def test_token_endpoint_refusals_in_their_words(answer, status, message):
    client, _script = token_client(answer)
    with pytest.raises(sv.ScaiVaultError) as info:
        client.whoami()
    assert (info.value.status, info.value.code, info.value.message) == (status, "token_invalid", message)


def test_an_unreachable_token_endpoint_is_a_connection_error_naming_it():
    client, _script = token_client(httpx.ConnectError("refused"))
    with pytest.raises(sv.ScaiVaultConnectionError) as info:
        client.whoami()
    assert (info.value.code, info.value.message) == (
        "connection_error", "cannot reach the token endpoint https://k.example/t: ConnectError")


@pytest.mark.parametrize("exc, call, code, message, error_type", [
    (httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] x"), lambda c: c.get_secret("env/a"), "tls_error",
     "TLS certificate of https://vault.example could not be verified", sv.ScaiVaultConnectionError),
    (httpx.ConnectError("ssl: Certificate Verify Failed (self-signed)"), lambda c: c.get_secret("env/a"), "tls_error",
     "TLS certificate of https://vault.example could not be verified", sv.ScaiVaultConnectionError),
    (httpx.ConnectTimeout("slow"), lambda c: c.get_secret("env/a"), "connection_error",
     "cannot connect to ScaiVault at https://vault.example (ConnectTimeout)", sv.ScaiVaultConnectionError),
    (httpx.ReadError("reset"), lambda c: c.get_secret("env/a"), "connection_error",
     "GET env/a: connection failed (ReadError)", sv.ScaiVaultConnectionError),
    (httpx.ReadError("reset"), lambda c: c.whoami(), "connection_error",
     "GET /auth/whoami: connection failed (ReadError)", sv.ScaiVaultConnectionError),
    (httpx.RemoteProtocolError("gone"), lambda c: c.put_secret("env/a", {"k": "v"}), "unknown_outcome",
     "PUT env/a: the connection failed after the request was sent (RemoteProtocolError); its outcome is unknown "
     "(re-read before writing again)", sv.ScaiVaultUnknownOutcome),
])
def test_transport_failures_in_their_words(exc, call, code, message, error_type):
    with pytest.raises(error_type) as info:
        call(make_client(Script(exc), retries=0))
    assert (info.value.code, info.value.message) == (code, message)
    assert info.value.path == (None if "whoami" in message else "env/a")
    assert info.value.method in ("GET", "PUT")


@pytest.mark.parametrize("method, api_path, scope", [
    ("GET", "/federation/backends", "federation:read"), ("POST", "/federation/backends", "federation:write"),
    ("DELETE", "/federation/backends/fb_1", "federation:write"), ("POST", "/auth/introspect", "admin"),
    ("GET", "/auth/whoami", None), ("PUT", "/secrets/a", "secrets:write"),
    ("GET", "/secrets/a", "secrets:read"), ("GET", "/secrets", "secrets:list"), ("GET", "/nowhere", None),
    ("POST", "/introspect", None),
])
def test_the_scope_a_request_needs(method, api_path, scope):
    assert sv.required_scope_for(method, api_path) == scope


@pytest.mark.parametrize("answer, scopes", [
    ({"active": True, "scopes": "secrets:read admin"}, ["secrets:read", "admin"]),
    ({"active": True, "scope": "secrets:read secrets:write"}, ["secrets:read", "secrets:write"]),
    ({"active": True, "scopes": ["a"], "scope": "b c"}, ["a"]),
    (["not", "an", "object"], None),
])
def test_introspection_reads_scopes_in_either_spelling(answer, scopes):
    script = Script((200, answer))
    assert make_client(script, retries=0).introspect().get("scopes") == scopes
    assert json.loads(script.requests[0].content) == {"token": "skt_test"}


@pytest.mark.parametrize("status, result", [(401, None), (403, None), (404, None), (405, None), (500, "raised")])
def test_introspection_that_is_not_allowed_or_absent_is_none(status, result):
    script = Script((status, error_body("nope")))
    client = make_client(script, retries=0)
    if result is None:
        assert client.introspect() is None
    else:
        with pytest.raises(sv.ScaiVaultError):
            client.introspect()


def test_introspection_is_resent_after_a_502():
    script = Script((502, error_body("bad_gateway")), (200, {"active": True, "scopes": ["admin"]}))
    assert make_client(script, retries=1).introspect()["scopes"] == ["admin"] and len(script.requests) == 2


def test_a_backend_listed_without_an_id_is_a_contract_error():
    script = Script((200, {"backends": [{"id": "fb_1", "name": "a"}, {"name": "b"}]}))
    with pytest.raises(sv.ScaiVaultContractError) as info:
        make_client(script, retries=0).list_backends()
    assert (info.value.code, info.value.method) == ("contract_mismatch", "GET")
    assert info.value.message == ("GET /v1/federation/backends listed an item without an id; the collection assumed "
                                  "backend objects {id, name, type, config, path_mapping, mode, ...}")
