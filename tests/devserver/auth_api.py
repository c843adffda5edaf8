# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``GET /v1/auth/whoami`` and a stand-in for ScaiKey's ``POST /oauth/token``.

The stand-in issues opaque tokens with a per-service-account lifetime so that client-side
expiry and renewal can be tested in seconds instead of the real 1 h.
"""

import base64
import binascii
import dataclasses
import hmac
import json
import secrets
import time
import urllib.parse
from dataclasses import dataclass

from .auth import OAUTH, Identity, identity_from_dict
from .errors import ApiError, validation_error
from .http_types import Response
from .timeutil import after_seconds, iso

DEFAULT_TOKEN_TTL_SECONDS = 3600  # [doc] getting-started/authentication: client-credentials JWTs live 1 h


def _b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _jwt_shaped(identity, _tokens):
    """An ``eyJ...`` token like ScaiKey's client-credentials JWTs: header.claims.signature (the signature is random:
    the dev server looks tokens up by hash, it never verifies one)."""
    header = _b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "scaivault-dev"}).encode())
    claims = _b64url(json.dumps({
        "sub": identity.identity_id, "tenant_id": identity.tenant_id, "partner_id": identity.partner_id,
        "scope": " ".join(sorted(identity.scopes)), "exp": int(identity.expires_at.timestamp()) if identity.expires_at else None,
        "iat": int(time.time()), "jti": secrets.token_hex(8), "iss": "https://scaikey.scailabs.ai"}).encode())
    return "%s.%s.%s" % (header, claims, _b64url(secrets.token_bytes(32)))


@dataclass(frozen=True)
class ServiceAccount:
    client_secret: str
    identity: Identity
    token_ttl_seconds: int


def service_account_from_dict(client_id, spec):
    where = "service_accounts[%r]" % client_id
    secret = spec.get("client_secret")
    ttl = spec.get("token_ttl_seconds", DEFAULT_TOKEN_TTL_SECONDS)
    if not isinstance(secret, str) or not secret:
        raise ValueError("%s: client_secret must be a non-empty string" % where)
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0:
        raise ValueError("%s: token_ttl_seconds must be a positive integer" % where)
    spec = dict(spec, identity_type=spec.get("identity_type") or "service_account")
    return ServiceAccount(secret, identity_from_dict(spec, where), ttl)


def _oauth_error(status, error, description):
    """OAuth 2.0 error shape (RFC 6749 5.2), not the ScaiVault envelope: this is ScaiKey."""
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="scaikey"'
    return Response(status, {"error": error, "error_description": description}, headers)


def _client_credentials(request, form):
    """client_id/client_secret from HTTP Basic (preferred by RFC 6749) or from the form."""
    scheme, _space, encoded = (request.header("Authorization") or "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _colon, secret = base64.b64decode(encoded).decode("utf-8").partition(":")
            return urllib.parse.unquote_plus(client_id), urllib.parse.unquote_plus(secret)
        except (binascii.Error, UnicodeDecodeError):
            return None, None
    return form.get("client_id"), form.get("client_secret")


def register(app, service_accounts):
    def whoami(request):
        identity = request.identity
        return Response(200, {
            "identity_id": identity.identity_id, "identity_type": identity.identity_type,
            "display_name": identity.identity_id, "tenant_id": request.tenant_id, "partner_id": identity.partner_id,
            "scopes": sorted(identity.scopes), "groups": [], "roles": sorted(identity.roles), "mfa_verified_at": None,
            "token_expires_at": iso(identity.expires_at),
        })

    def issue_token(request):
        form = {key: values[-1] for key, values in urllib.parse.parse_qs(request.body.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "only grant_type=client_credentials is supported")
        client_id, secret = _client_credentials(request, form)
        account = service_accounts.get(client_id or "")
        if account is None or not hmac.compare_digest((secret or "").encode(), account.client_secret.encode()):
            return _oauth_error(401, "invalid_client", "unknown client or wrong client secret")
        allowed = account.identity.scopes
        requested = set((form.get("scope") or "").split())
        granted = allowed & requested if requested else allowed
        if requested and not granted:
            return _oauth_error(400, "invalid_scope", "none of the requested scopes is allowed for this client")
        identity = dataclasses.replace(account.identity, scopes=frozenset(granted),
                                       expires_at=after_seconds(account.token_ttl_seconds))
        token = _jwt_shaped(identity, app.tokens)
        app.tokens.add(token, identity, OAUTH)
        return Response(200, {"access_token": token, "token_type": "Bearer", "expires_in": account.token_ttl_seconds,
                              "scope": " ".join(sorted(granted))}, {"Cache-Control": "no-store"})

    def introspect(request):
        """[doc] reference/authentication: admin scope; an unknown or expired token is 200 {active: false}."""
        body = request.json_object()
        token = body.get("token")
        if not isinstance(token, str) or not token:
            raise validation_error("token must be a non-empty string", "token")
        try:
            identity = app.tokens.authenticate("Bearer " + token)
        except ApiError:
            return Response(200, {"active": False})
        return Response(200, {"active": True, "identity_id": identity.identity_id, "identity_type": identity.identity_type,
                              "tenant_id": identity.tenant_id, "scopes": sorted(identity.scopes),
                              "expires_at": iso(identity.expires_at), "issued_at": None})

    # advanced/rate-limiting: "Auth whoami / introspect", 300 per minute.
    app.router.add("GET", "/v1/auth/whoami", whoami, category="auth")
    app.router.add("POST", "/v1/auth/introspect", introspect, scope="admin", category="auth")
    app.router.add("POST", "/oauth/token", issue_token, public=True)
