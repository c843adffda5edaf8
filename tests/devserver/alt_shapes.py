# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The alternative answers of contract.py's switches, as wrappers around the default routes.

Registered last (main.build_app), so these wrappers sit outside every other one (webhook events,
rotation completion) and those keep seeing the default shapes. Each switch changes only what it
names; handlers keep their logic. Switches that change what is stored (list_includes_deleted) live
in the handler itself. Every wrapper asks the contract on each request (it can change at runtime:
POST /_dev/contract); routes a switch removes or adds exist only while it says so (Route.when).
"""

import dataclasses
import json

from .errors import ApiError, bad_request, validation_error
from .http_types import Response
from .secret_store import SecretStore
from .secrets_api import check_metadata
from .validation import check_path
from .webhooks_api import wrap_route

_SECRET = "/v1/secrets/{path}"
_BACKENDS = "/v1/federation/backends"
_BACKEND = "/v1/federation/backends/{id}"
LIST_STRICT_MAX = 100


def route_only_when(router, method, template, predicate):
    """Make a registered route exist only while ``predicate()`` is true (else the router answers 404/405)."""
    routes = router._routes  # pylint: disable=protected-access
    for index, route in enumerate(routes):
        if route.method == method and route.template == template:
            routes[index] = dataclasses.replace(route, when=predicate)


def _with_body(request, body):
    """The request, its body replaced (in place: the pipeline keeps using the same object)."""
    request.body = json.dumps(body).encode("utf-8")
    return request


def _upper(value):
    return value.upper() if isinstance(value, str) else value


# -- secrets ------------------------------------------------------------------------------------
def _put(contract):
    def wrap(original):
        def handler(request):
            body = None
            if contract.on("metadata_omitted_clears") or contract.on("secret_type_default") or contract.on("put_full_object"):
                body = request.json_object()
            if body is not None and contract.on("metadata_omitted_clears") and body.get("metadata") is None:
                request = _with_body(request, dict(body, metadata={}))
            if body is not None and contract.on("secret_type_default") and body.get("secret_type") is None:
                request = _with_body(request, dict(json.loads(request.body), secret_type="json"))
            response = original(request)
            if response.status not in (200, 201):
                return response
            if contract.on("put_empty"):
                return Response(204, None, response.headers)
            if contract.on("put_full_object") and isinstance(response.body, dict):
                return Response(200, dict(response.body, data=body.get("data")), response.headers)
            return response
        return handler
    return wrap


def _delete(contract, kind):
    def wrap(original):
        def handler(request):
            permanent = None
            if kind == "secret" and contract.on("hard_delete"):
                if request.arg("permanent") is not None:
                    raise bad_request("unknown query parameter permanent (hard delete is ?hard=true)", {"fields": ["permanent"]})
                query = {key: value for key, value in request.query.items() if key != "hard"}
                if request.arg("hard") is not None:
                    query["permanent"] = [request.arg("hard")]
                request.query = query
            if kind == "secret":
                permanent = (request.arg("permanent") or "").lower() in ("true", "1", "yes")
            response = original(request)
            if response.status == 204 and contract.on("delete_200"):
                body = {"deleted": True}
                if kind == "secret":
                    body.update(path=request.params.get("path"), permanent=permanent)
                else:
                    body["id"] = request.params.get("id")
                return Response(200, body, response.headers)
            return response
        return handler
    return wrap


def _list_secrets(contract):
    def wrap(original):
        def handler(request):
            if contract.on("list_limit_strict"):
                text = request.arg("limit")
                if text is not None and text.isdigit() and int(text) > LIST_STRICT_MAX:
                    raise validation_error("limit must be at most %d (got %s)" % (LIST_STRICT_MAX, text), "limit")
            response = original(request)
            if contract.on("list_envelope") and response.status == 200 and isinstance(response.body, dict):
                body = response.body
                return Response(200, {"data": body.get("secrets") or [], "next_cursor": body.get("cursor")}, response.headers)
            return response
        return handler
    return wrap


def _metadata_patch(app):
    """PATCH /v1/secrets/{path}/metadata {metadata}: replaces the metadata, writes no version."""
    def handler(request):
        path = check_path(request.params["path"])
        body = request.json_object()
        metadata = body.get("metadata")
        if not isinstance(metadata, dict):
            raise validation_error("metadata must be a JSON object", "metadata")
        check_metadata(metadata)
        for interceptor in app.secrets.interceptors:
            interceptor.check_write(request, path)
        with app.db.transaction() as conn:
            record = SecretStore.head(conn, request.tenant_id, path)
            if record is None or record.deleted_at:
                raise ApiError(404, "secret_not_found", "secret %s not found" % path, {"path": path})
            conn.execute("UPDATE secrets SET metadata = ? WHERE tenant_id = ? AND path = ?",
                         (json.dumps(metadata, separators=(",", ":"), sort_keys=True), request.tenant_id, path))
            record = dataclasses.replace(record, metadata=metadata)
            app.audit.record(conn, request, "write", path, True, {"version": record.version, "metadata_only": True})
        return Response(200, record.to_object())
    return handler


# -- federation ---------------------------------------------------------------------------------
def _backend_object(contract, obj):
    if contract.on("no_transform") and isinstance(obj, dict):
        obj = {key: value for key, value in obj.items() if key != "transform"}
    return obj


def _backend_write(contract, create):
    def wrap(original):
        def handler(request):
            if contract.on("no_transform") and request.body:
                body = request.json_object()
                if "transform" in body:
                    request = _with_body(request, {key: value for key, value in body.items() if key != "transform"})
            response = original(request)
            if response.status in (200, 201):
                status = 200 if (create and contract.on("federation_create_200")) else response.status
                return Response(status, _backend_object(contract, response.body), response.headers)
            return response
        return handler
    return wrap


def _answer(status, when, rewrite):
    """A wrapper handing an answer of ``status`` with a JSON object to ``rewrite(body) -> (status, body)``
    while ``when()`` holds; every other answer passes unchanged."""
    def wrap(original):
        def handler(request):
            response = original(request)
            if response.status == status and isinstance(response.body, dict) and when():
                new_status, body = rewrite(response.body)
                return Response(new_status, body, response.headers)
            return response
        return handler
    return wrap


def _status_upper(body):
    body = dict(body, status=_upper(body.get("status")))
    if isinstance(body.get("connection"), dict):
        body["connection"] = dict(body["connection"], status=_upper(body["connection"].get("status")))
    return 200, body


def _listed_backends(contract, body):
    items = [_backend_object(contract, item) for item in body.get("backends") or []]
    if contract.on("federation_envelope"):
        return 200, {"data": items, "cursor": None, "has_more": False}
    return 200, {"backends": items}


# -- access policies, subscriptions, audit export (items 25-32) --------------------------------------
def _without(body, key):
    return dict((name, value) for name, value in body.items() if name != key)


def _decision(body):
    matched = body.get("matched_policy")
    answer = _without(body, "allowed")
    answer.update(decision="allow" if body.get("allowed") else "deny",
                  matched_policy=matched.get("id") if isinstance(matched, dict) else matched)
    return 200, answer


def _switch_on(contract, switch):
    return lambda: contract.on(switch)


def _listed_subscriptions(body):
    return 200, {"data": body.get("subscriptions") or [], "next_cursor": body.get("cursor")}


def _bare_rotation(body):
    return 200, {"policy_id": body.get("policy_id"), "status": "accepted"}


def _export_id(body):
    return 202, dict(_without(body, "id"), export_id=body.get("id"))


def _events_with_id(body):
    events = [dict(_without(event, "event_id"), id=event.get("event_id")) for event in body.get("events") or []]
    return 200, dict(body, events=events)


# -- rotation -----------------------------------------------------------------------------------
def _listed_assignments(body):
    items = [dict({key: value for key, value in item.items() if key != "secret_path"}, path=item.get("secret_path"))
             for item in body.get("secrets") or []]
    return 200, {"data": items, "next_cursor": body.get("cursor")}


def register(app):
    """Wrap the routes whose answers a switch changes (pass-through while the switch is off)."""
    contract = app.contract
    router = app.router
    route_only_when(router, "POST", "/v1/secrets/batch/metadata", lambda: not contract.on("no_batch_metadata"))
    router.add("PATCH", "/v1/secrets/{path:path}/metadata", _metadata_patch(app), scope="secrets:write",
               category="write", audit_action="write", when=lambda: contract.on("metadata_patch"))
    wrap_route(router, "PUT", _SECRET, _put(contract))
    wrap_route(router, "DELETE", _SECRET, _delete(contract, "secret"))
    wrap_route(router, "GET", "/v1/secrets", _list_secrets(contract))
    wrap_route(router, "GET", _BACKENDS, _answer(200, lambda: True, lambda body: _listed_backends(contract, body)))
    wrap_route(router, "POST", _BACKENDS, _backend_write(contract, create=True))
    wrap_route(router, "PATCH", _BACKEND, _backend_write(contract, create=False))
    wrap_route(router, "GET", _BACKEND, _answer(200, lambda: contract.on("no_transform"),
                                                lambda body: (200, _backend_object(contract, body))))
    wrap_route(router, "DELETE", _BACKEND, _delete(contract, "backend"))
    wrap_route(router, "GET", _BACKEND + "/status", _answer(200, lambda: contract.on("status_case"), _status_upper))
    wrap_route(router, "POST", _BACKEND + "/sync", _answer(202, lambda: contract.on("federation_sync_200"), lambda body: (
        200, {"id": body.get("sync_id"), "status": "QUEUED", "backend_id": body.get("backend_id")})))
    wrap_route(router, "GET", "/v1/rotation/policies/{id}/secrets",
               _answer(200, lambda: contract.on("rotation_assignments"), _listed_assignments))
    # Items 25-32 of docs/scaivault-contract.md: access policies, subscriptions, rotate now, audit evidence.
    alt_answers = [
        ("POST", "/v1/policies/test", 200, "access_test_decision", _decision),
        ("GET", "/v1/policies/{id}", 200, "policy_without_bindings", lambda body: (200, _without(body, "bindings"))),
        ("GET", "/v1/subscriptions", 200, "subscription_alt_ids", _listed_subscriptions),
        ("GET", "/v1/subscriptions/{id}/poll", 200, "subscription_alt_ids", _events_with_id),
        ("POST", "/v1/rotation/policies/{id}/rotate", 200, "rotate_now_bare", _bare_rotation),
        ("POST", "/v1/audit/export", 202, "export_id_key", _export_id),
    ]
    for method, template, status, switch, rewrite in alt_answers:
        wrap_route(router, method, template, _answer(status, _switch_on(contract, switch), rewrite))
    route_only_when(router, "GET", "/v1/audit/secrets/{path}", lambda: not contract.on("no_audit_summary"))
