# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract section 1: bearer tokens, scopes, whoami, the stand-in ScaiKey token endpoint."""

import time

import httpx


def oauth(server, **form):
    form = dict({"grant_type": "client_credentials", "client_id": "migrator", "client_secret": "s3cret"}, **form)
    return httpx.post(server.url + "/oauth/token", data=form, timeout=10, trust_env=False)


def test_missing_unknown_and_expired_tokens_are_401(server, client_as, expect_error):
    expect_error(server.client(token=None).get("/v1/secrets/a"), 401, "authentication_required")
    expect_error(client_as("skt_not_a_real_token").get("/v1/secrets/a"), 401, "token_invalid")
    expect_error(server.client(token=None, headers={"Authorization": "Basic abc"}).get("/v1/secrets/a"), 401, "token_invalid")
    error = expect_error(client_as("expired").get("/v1/secrets/a"), 401, "token_expired")
    assert "2001-01-01" in error["message"]


def test_missing_scope_is_403_naming_scope_and_path(client_as, expect_error):
    path = "environments/production/billing/stripe"
    error = expect_error(client_as("reader").put("/v1/secrets/" + path, json={"data": {"k": "v"}}), 403, "insufficient_scope")
    assert error["details"]["required_scope"] == "secrets:write"
    assert error["message"] == "token lacks secrets:write for " + path
    error = expect_error(client_as("reader").get("/v1/audit/logs"), 403, "insufficient_scope")
    assert error["details"]["required_scope"] == "audit:read" and "/v1/audit/logs" in error["message"]
    expect_error(client_as("lister").get("/v1/secrets/" + path), 403, "insufficient_scope")
    expect_error(client_as("reader").delete("/v1/secrets/" + path), 403, "insufficient_scope")


def test_whoami_describes_the_token(client_as):
    body = client_as("reader").get("/v1/auth/whoami").json()
    assert body["identity_id"] == "sa:reader"
    assert body["identity_type"] == "service_account"
    assert body["tenant_id"] == "tnt_dev"
    assert body["scopes"] == ["secrets:read"]
    assert body["token_expires_at"].startswith("2099-01-01T00:00:00")


def test_environment_token_has_every_scope(client_as):
    body = client_as("env").get("/v1/auth/whoami").json()
    assert body["identity_id"] == "user:dev@scaivault.local"
    assert body["identity_type"] == "user" and body["tenant_id"] == "tnt_dev"
    assert {"secrets:read", "secrets:write", "federation:write", "admin", "audit:read"} <= set(body["scopes"])
    assert body["token_expires_at"] is None


def test_runtime_tokens_work_expire_and_vanish_on_reset(server, client_as, expect_error):
    created = server.dev("POST", "/_dev/tokens", json={"token": "skt_runtime", "identity_id": "sa:runtime", "scopes": ["secrets:write"]})
    assert created["tenant_id"] == "tnt_dev"
    assert client_as("skt_runtime").put("/v1/secrets/rt/one", json={"data": {"a": 1}}).status_code == 201
    expect_error(client_as("skt_runtime").get("/v1/secrets/rt/one"), 403, "insufficient_scope")
    server.dev("POST", "/_dev/tokens", json={"token": "skt_brief", "identity_id": "sa:brief", "scopes": [], "expires_in_seconds": 0})
    expect_error(client_as("skt_brief").get("/v1/auth/whoami"), 401, "token_expired")
    server.dev("POST", "/_dev/reset")
    expect_error(client_as("skt_runtime").get("/v1/auth/whoami"), 401, "token_invalid")


def test_oauth_client_credentials_grants_the_allowed_scopes(server, client_as):
    response = oauth(server, scope="secrets:read secrets:write admin")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] >= 1
    assert body["scope"].split() == ["secrets:read", "secrets:write"]
    whoami = client_as(body["access_token"]).get("/v1/auth/whoami").json()
    assert whoami["identity_id"] == "sa:migrator" and whoami["identity_type"] == "service_account"
    assert whoami["scopes"] == ["secrets:read", "secrets:write"]
    default = oauth(server).json()
    assert default["scope"].split() == ["secrets:list", "secrets:read", "secrets:write"]


def test_oauth_rejects_bad_clients_grants_and_scopes(server):
    for bad in (oauth(server, client_secret="wrong"), oauth(server, client_id="nobody")):
        assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    assert oauth(server, grant_type="password").json()["error"] == "unsupported_grant_type"
    refused = oauth(server, scope="admin")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"
    basic = httpx.post(server.url + "/oauth/token", data={"grant_type": "client_credentials"}, auth=("migrator", "s3cret"), trust_env=False)
    assert basic.status_code == 200 and basic.json()["access_token"]


def test_oauth_tokens_expire_and_can_be_renewed(server, client_as, expect_error):
    first = oauth(server).json()
    client = client_as(first["access_token"])
    assert client.put("/v1/secrets/oauth/renew", json={"data": {"v": 1}}).status_code == 201
    time.sleep(first["expires_in"] + 0.2)
    expect_error(client.get("/v1/secrets/oauth/renew"), 401, "token_expired")
    renewed = oauth(server).json()
    assert renewed["access_token"] != first["access_token"]
    assert client_as(renewed["access_token"]).get("/v1/secrets/oauth/renew").json()["data"] == {"v": 1}


def test_client_credentials_tokens_are_jwt_shaped_and_live_an_hour(server, client_as):
    """https://www.scailabs.ai/en/docs/scaivault/getting-started/authentication: client-credentials tokens are JWTs
    (eyJ...) with a 1 h life; audit identity types are user, service_account, group (reference/audit)."""
    import base64  # pylint: disable=import-outside-toplevel
    import json  # pylint: disable=import-outside-toplevel

    form = {"grant_type": "client_credentials", "client_id": "hourly", "client_secret": "s3cret-too"}
    answer = server.client(token=None).post("/oauth/token", data=form)
    body = answer.json()
    assert answer.status_code == 200 and body["expires_in"] == 3600
    token = body["access_token"]
    assert token.startswith("eyJ") and token.count(".") == 2
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["sub"] == "sa:hourly" and claims["tenant_id"] == "tnt_dev" and 3590 <= claims["exp"] - claims["iat"] <= 3610
    reader = client_as(token)
    assert reader.get("/v1/auth/whoami").json()["identity_type"] == "service_account"
    server.dev("POST", "/_dev/tokens", json={"token": "skt_group", "identity_id": "group:sre", "scopes": ["secrets:read"]})
    assert client_as("skt_group").get("/v1/secrets/aud/none").status_code == 404  # audited: a failed read
    reader.get("/v1/secrets/aud/none")
    types = {row["identity_type"] for row in client_as("admin").get("/v1/audit/logs").json()["logs"]}
    assert types and types <= {"user", "service_account", "group"} and "group" in types
    refused = server.client(token=None).post("/_dev/tokens", json={"identity_id": "x", "identity_type": "robot", "scopes": []})
    assert refused.status_code == 400
