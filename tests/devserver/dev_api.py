# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``/_dev/*`` controls for tests (docs/development.md); registered only with --dev-controls."""

import secrets

from .auth import RUNTIME, identity_from_dict
from .errors import ApiError
from .secret_store import SecretStore
from .http_types import Response
from .timeutil import after_seconds, iso


def _invalid(exc):
    return ApiError(400, "invalid_request", str(exc))


def register(app):
    def reset(_request):
        app.reset()
        return Response(200, {"status": "reset"})

    def counters(_request):
        return Response(200, dict(app.counters.snapshot(), in_flight=app.in_flight))

    def reset_counters(_request):
        app.counters.reset()
        return Response(200, app.counters.snapshot())

    def set_faults(request):
        try:
            return Response(200, {"faults": app.faults.replace(request.json_object().get("faults"))})
        except ValueError as exc:
            raise _invalid(exc) from None

    def list_faults(_request):
        return Response(200, {"faults": app.faults.describe()})

    def clear_faults(_request):
        app.faults.clear()
        return Response(200, {"faults": []})

    def wait_held(request):
        """Block until at least ``held`` requests (default 1) wait in a hold fault; 408 after ``timeout`` s."""
        body = request.json_object() if request.body else {}
        count, timeout = body.get("held", 1), body.get("timeout", 10)
        if app.faults.holds.wait_for_held(count, timeout):
            return Response(200, {"held": app.faults.holds.waiting})
        raise ApiError(408, "timeout", "fewer than %s requests held after %s s" % (count, timeout))

    def release_held(_request):
        app.faults.holds.release()
        return Response(200, {"released": True})

    def set_rate_limits(request):
        try:
            return Response(200, app.rate_limiter.configure(request.json_object()))
        except ValueError as exc:
            raise _invalid(exc) from None

    def get_rate_limits(_request):
        return Response(200, app.rate_limiter.settings)

    def add_token(request):
        body = request.json_object()
        token = body.get("token") or "skt_" + secrets.token_urlsafe(24)
        ttl = body.get("expires_in_seconds")
        try:
            if not isinstance(token, str):
                raise ValueError("token must be a string")
            if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, (int, float))):
                raise ValueError("expires_in_seconds must be a number")
            identity = identity_from_dict(dict(body, expires_at=after_seconds(ttl) if ttl is not None else None), "token")
        except ValueError as exc:
            raise _invalid(exc) from None
        app.tokens.add(token, identity, RUNTIME)
        return Response(201, {"token": token, "identity_id": identity.identity_id, "identity_type": identity.identity_type,
                              "tenant_id": identity.tenant_id, "partner_id": identity.partner_id, "roles": sorted(identity.roles),
                              "scopes": sorted(identity.scopes), "expires_at": iso(identity.expires_at)})

    def contract(_request):
        return Response(200, app.contract.describe())

    def set_contract(request):
        try:
            app.contract.set(request.json_object().get("spec"))
        except ValueError as exc:
            raise _invalid(exc) from None
        return Response(200, app.contract.describe())

    def stored_secret(request):
        """What is stored at a path, whatever the contract plays: the head (no data), deleted_at and the
        retained version numbers, and options.max_versions (which the API's secret object never shows); not audited,
        last_accessed_at untouched. Tenant: ?tenant_id= (default tnt_dev)."""
        tenant = request.arg("tenant_id") or "tnt_dev"
        path = request.params["path"]
        with app.db.reading() as conn:
            record = SecretStore.head(conn, tenant, path)
            versions = [row[0] for row in conn.execute(
                "SELECT version FROM secret_versions WHERE tenant_id = ? AND path = ? ORDER BY version", (tenant, path))]
        if record is None:
            raise ApiError(404, "secret_not_found", "nothing stored at %s" % path)
        return Response(200, dict(record.to_object(), deleted_at=record.deleted_at, versions=versions,
                                  options={"max_versions": record.max_versions}))

    router = app.dev_router
    router.add("GET", "/_dev/contract", contract)
    router.add("POST", "/_dev/contract", set_contract)
    router.add("GET", "/_dev/secrets/{path:path}", stored_secret)
    router.add("POST", "/_dev/reset", reset)
    router.add("GET", "/_dev/counters", counters)
    router.add("POST", "/_dev/counters/reset", reset_counters)
    router.add("GET", "/_dev/faults", list_faults)
    router.add("POST", "/_dev/faults", set_faults)
    router.add("DELETE", "/_dev/faults", clear_faults)
    router.add("POST", "/_dev/faults/wait-held", wait_held)
    router.add("POST", "/_dev/faults/release", release_held)
    router.add("GET", "/_dev/rate-limits", get_rate_limits)
    router.add("POST", "/_dev/rate-limits", set_rate_limits)
    router.add("POST", "/_dev/tokens", add_token)
