"""Webhooks (contract section 5) and signed event deliveries.

Events (``secret.created``/``updated``/``deleted`` from the secrets routes, ``rotation.*`` and
``secret.rotated`` from rotation_api) go into a queue; one background thread resolves the
matching webhooks and POSTs the envelope, signed ``X-ScaiVault-Signature: sha256=<hex HMAC-SHA256
of "{timestamp}." + raw body>`` with the webhook's secret.

This server is for tests: it delivers to loopback URLs only (127.0.0.0/8, ::1, localhost; DNS
names are never resolved) and records every other delivery as failed without sending a byte.
``https://`` is what the contract requires; ``http://`` is accepted for loopback receivers.
Decisions where the contract is silent: names are unique per tenant (409 webhook_exists);
a delivery succeeds on any 2xx answer; it is tried twice (0.5 s apart) with a 2 s timeout;
event types are checked against the documented catalogue (``prefix.*`` and ``*`` allowed).
"""

import dataclasses
import hashlib
import hmac
import ipaddress
import json
import logging
import queue
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from .errors import ApiError, validation_error
from .http_types import Response
from .pagination import decode_cursor, page, parse_limit
from .secrets_api import RECOVERY_WINDOW
from .timeutil import iso, utcnow

LOG = logging.getLogger("scaivault.devserver.webhooks")

EVENT_TYPES = (
    "secret.created", "secret.updated", "secret.deleted", "secret.rotated", "secret.expiring", "secret.expired",
    "secret.accessed", "rotation.due", "rotation.overdue", "rotation.completed", "rotation.failed",
    "policy.created", "policy.updated", "policy.deleted", "policy.binding.created", "policy.binding.deleted",
    "policy.violation", "certificate.issued", "certificate.renewed", "certificate.revoked", "certificate.expiring",
    "webhook.test",
)
SECRET_TYPES = ("kv", "json", "certificate", "ssh_key", "api_key")
FILTER_KEYS = ("path_prefix", "secret_type", "tags")
DELIVERY_TIMEOUT_SECONDS = 2.0
DELIVERY_ATTEMPTS = 2
RETRY_DELAY_SECONDS = 0.5
USER_AGENT = "ScaiVault-Webhook/1.0"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS webhooks (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    events TEXT NOT NULL,
    filters TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    status TEXT NOT NULL,
    response_code INTEGER,
    duration_ms REAL,
    attempts INTEGER NOT NULL,
    error TEXT
);
"""

# Direct connections only: a proxy in the environment must never see a delivery.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def is_loopback_url(url):
    """True for http(s) URLs whose host is a loopback IP literal or 'localhost' (no DNS lookups)."""
    try:
        host = urllib.parse.urlsplit(url).hostname
    except ValueError:
        return False
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sign(secret, timestamp, body):
    """The contract's signature header value for this body."""
    digest = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return "sha256=" + digest


def event_matches(pattern, event_type):
    if pattern == "*" or pattern == event_type:
        return True
    return pattern.endswith(".*") and event_type.startswith(pattern[:-1])


def filters_match(filters, event):
    if not filters:
        return True
    if filters.get("path_prefix") and not (event.get("path") or "").startswith(filters["path_prefix"]):
        return False
    if filters.get("secret_type") and event.get("_secret_type") != filters["secret_type"]:
        return False
    if filters.get("tags") and not set(filters["tags"]) <= set(event.get("_tags") or []):
        return False
    return True


# -- validation ---------------------------------------------------------------------------------
def _check_name(value):
    if not isinstance(value, str) or not value.strip():
        raise validation_error("name must be a non-empty string", "name")
    return value


def _check_url(value):
    if not isinstance(value, str) or not value:
        raise validation_error("url must be a non-empty string", "url")
    scheme = urllib.parse.urlsplit(value).scheme
    if scheme == "https" or (scheme == "http" and is_loopback_url(value)):
        return value
    raise validation_error("url must use https:// (this dev server also accepts http:// for loopback receivers)", "url")


def _check_secret(value):
    if not isinstance(value, str) or not value:
        raise validation_error("secret must be a non-empty string (at least 32 bytes recommended)", "secret")
    return value


def _check_events(value):
    if not isinstance(value, list) or not value or not all(isinstance(item, str) and item for item in value):
        raise validation_error("events must be a non-empty list of event types", "events")
    for item in value:
        known = item == "*" or item in EVENT_TYPES or (
            item.endswith(".*") and any(name.startswith(item[:-1]) for name in EVENT_TYPES))
        if not known:
            raise ApiError(400, "validation_error", "unknown event type %r (known: %s)" % (item, ", ".join(EVENT_TYPES)),
                           {"fields": ["events"], "event_type": item})
    return list(dict.fromkeys(value))


def _check_filters(value):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise validation_error("filters must be a JSON object", "filters")
    unknown = sorted(set(value) - set(FILTER_KEYS))
    if unknown:
        raise validation_error("unknown filter(s) %s (known: %s)" % (", ".join(unknown), ", ".join(FILTER_KEYS)), "filters")
    result = {}
    if value.get("path_prefix") is not None:
        if not isinstance(value["path_prefix"], str):
            raise validation_error("filters.path_prefix must be a string", "filters.path_prefix")
        result["path_prefix"] = value["path_prefix"]
    if value.get("secret_type") is not None:
        if value["secret_type"] not in SECRET_TYPES:
            raise validation_error("filters.secret_type must be one of %s" % ", ".join(SECRET_TYPES), "filters.secret_type")
        result["secret_type"] = value["secret_type"]
    if value.get("tags") is not None:
        tags = value["tags"]
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            raise validation_error("filters.tags must be a list of strings", "filters.tags")
        result["tags"] = tags
    return result


def _check_enabled(value):
    if not isinstance(value, bool):
        raise validation_error("enabled must be a boolean", "enabled")
    return value


def _not_found(webhook_id):
    return ApiError(404, "webhook_not_found", "webhook %s not found" % webhook_id, {"id": webhook_id})


# -- storage ------------------------------------------------------------------------------------
def _row_to_webhook(row):
    return {"id": row["id"], "name": row["name"], "url": row["url"], "events": json.loads(row["events"]),
            "filters": json.loads(row["filters"]), "enabled": bool(row["enabled"]), "created_at": row["created_at"],
            "updated_at": row["updated_at"], "_secret": row["secret"]}


def public(webhook):
    """The API view: never the secret."""
    return dict((key, value) for key, value in webhook.items() if not key.startswith("_"))


def _row_to_delivery(row):
    return {"id": row["id"], "webhook_id": row["webhook_id"], "event_id": row["event_id"], "event_type": row["event_type"],
            "timestamp": row["timestamp"], "status": row["status"], "response_code": row["response_code"],
            "duration_ms": row["duration_ms"], "attempts": row["attempts"], "error": row["error"]}


class WebhookStore:
    def __init__(self, db):
        self.db = db
        db.register_schema(_SCHEMA, wiped_tables=("webhook_deliveries", "webhooks"))

    def get(self, conn, tenant_id, webhook_id):
        row = conn.execute("SELECT * FROM webhooks WHERE tenant_id = ? AND id = ?", (tenant_id, webhook_id)).fetchone()
        return _row_to_webhook(row) if row else None

    def by_name(self, conn, tenant_id, name):
        row = conn.execute("SELECT * FROM webhooks WHERE tenant_id = ? AND name = ?", (tenant_id, name)).fetchone()
        return _row_to_webhook(row) if row else None

    def all(self, conn, tenant_id):
        rows = conn.execute("SELECT * FROM webhooks WHERE tenant_id = ? ORDER BY id", (tenant_id,)).fetchall()
        return [_row_to_webhook(row) for row in rows]

    def page(self, conn, tenant_id, after, limit):
        rows = conn.execute("SELECT * FROM webhooks WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?",
                            (tenant_id, after or "", limit)).fetchall()
        return [_row_to_webhook(row) for row in rows]

    @staticmethod
    def save(conn, tenant_id, hook):
        conn.execute("INSERT OR REPLACE INTO webhooks VALUES (?,?,?,?,?,?,?,?,?,?)", (
            tenant_id, hook["id"], hook["name"], hook["url"], hook["_secret"], json.dumps(hook["events"]),
            json.dumps(hook["filters"], sort_keys=True), int(hook["enabled"]), hook["created_at"], hook["updated_at"]))

    def record_delivery(self, tenant_id, delivery):
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO webhook_deliveries (tenant_id, id, webhook_id, event_id, event_type, timestamp, status,"
                " response_code, duration_ms, attempts, error) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (tenant_id, delivery["id"], delivery["webhook_id"], delivery["event_id"], delivery["event_type"],
                 delivery["timestamp"], delivery["status"], delivery["response_code"], delivery["duration_ms"],
                 delivery["attempts"], delivery["error"]))

    @staticmethod
    def deliveries(conn, tenant_id, webhook_id, status, before, limit):
        where, args = ["tenant_id = ?", "webhook_id = ?"], [tenant_id, webhook_id]
        if status:
            where.append("status = ?")
            args.append(status)
        if before is not None:
            where.append("seq < ?")
            args.append(before)
        return conn.execute("SELECT * FROM webhook_deliveries WHERE %s ORDER BY seq DESC LIMIT ?" % " AND ".join(where),
                            args + [limit]).fetchall()


# -- delivery -----------------------------------------------------------------------------------
class EventHub:
    """Queue of events and the thread that delivers them to the matching webhooks."""

    def __init__(self, store):
        self.store = store
        self._hooked_tenants = None  # tenants that have webhooks; None = unknown (reload)
        self._queue = queue.Queue()
        self._idle = threading.Condition()
        self._pending = 0
        self._thread = threading.Thread(target=self._run, name="webhook-deliveries", daemon=True)
        self._thread.start()

    def emit(self, tenant_id, event_type, path=None, data=None, identity_id=None, request_id=None, secret_type=None,
             tags=None, webhook_ids=()):
        """Queue one event; ``webhook_ids`` also receive it whatever their ``events`` list (rotation policies).

        Events of a tenant without webhooks are dropped at once, so that secret writes stay cheap.
        """
        event = {"event_id": "evt_" + secrets.token_hex(12), "event_type": event_type, "timestamp": iso(utcnow()),
                 "tenant_id": tenant_id, "partner_id": None, "identity_id": identity_id, "data": data or {},
                 "request_id": request_id}
        if path is not None:
            event["path"] = path
        if not webhook_ids and tenant_id not in self._tenants_with_webhooks():
            return event
        with self._idle:
            self._pending += 1
        self._queue.put((event, {"_secret_type": secret_type, "_tags": list(tags or []), "path": path},
                         tuple(webhook_ids or ())))
        return event

    def webhooks_changed(self):
        """Call after any webhook is created or deleted (and on reset)."""
        self._hooked_tenants = None

    def _tenants_with_webhooks(self):
        tenants = self._hooked_tenants
        if tenants is None:
            with self.store.db.reading() as conn:
                tenants = frozenset(row[0] for row in conn.execute("SELECT DISTINCT tenant_id FROM webhooks"))
            self._hooked_tenants = tenants
        return tenants

    def wait_idle(self, timeout):
        """Block until every queued event was delivered (or timeout); True when idle."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _run(self):
        while True:
            event, facts, linked = self._queue.get()
            try:
                self._deliver_event(event, facts, linked)
            except Exception:  # pylint: disable=broad-except
                LOG.exception("delivering %s failed", event["event_type"])
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _targets(self, event, facts, linked):
        with self.store.db.reading() as conn:
            hooks = self.store.all(conn, event["tenant_id"])
        matching = dict(facts, path=event.get("path"))
        found = []
        for hook in hooks:
            if not hook["enabled"]:
                continue
            if hook["id"] in linked or (any(event_matches(pattern, event["event_type"]) for pattern in hook["events"])
                                        and filters_match(hook["filters"], matching)):
                found.append(hook)
        return found

    def _deliver_event(self, event, facts, linked):
        for hook in self._targets(event, facts, linked):
            self.deliver(hook, event)

    def deliver(self, hook, event):
        """POST one signed event to one webhook; record and return the delivery."""
        body = json.dumps(event, separators=(",", ":"), sort_keys=True).encode("utf-8")
        delivery = {"id": "del_" + secrets.token_hex(12), "webhook_id": hook["id"], "event_id": event["event_id"],
                    "event_type": event["event_type"], "timestamp": iso(utcnow()), "status": "failed",
                    "response_code": None, "duration_ms": 0.0, "attempts": 0, "error": None}
        if not is_loopback_url(hook["url"]):
            delivery["error"] = "not delivered: the dev server only delivers to loopback URLs"
            self.store.record_delivery(event["tenant_id"], delivery)
            return delivery
        started = time.monotonic()
        for attempt in range(1, DELIVERY_ATTEMPTS + 1):
            delivery["attempts"] = attempt
            timestamp = int(time.time())
            request = urllib.request.Request(hook["url"], data=body, method="POST", headers={
                "Content-Type": "application/json", "User-Agent": USER_AGENT,
                "X-ScaiVault-Event-Id": event["event_id"], "X-ScaiVault-Event-Type": event["event_type"],
                "X-ScaiVault-Timestamp": str(timestamp), "X-ScaiVault-Signature": sign(hook["_secret"], timestamp, body)})
            try:
                with _OPENER.open(request, timeout=DELIVERY_TIMEOUT_SECONDS) as answer:
                    delivery["response_code"] = answer.status
            except urllib.error.HTTPError as exc:
                delivery["response_code"] = exc.code
                delivery["error"] = "HTTP %d" % exc.code
            except (OSError, ValueError) as exc:
                delivery["error"] = "%s: %s" % (type(exc).__name__, exc)
            if delivery["response_code"] and 200 <= delivery["response_code"] < 300:
                delivery["status"], delivery["error"] = "success", None
                break
            if attempt < DELIVERY_ATTEMPTS:
                time.sleep(RETRY_DELAY_SECONDS)
        delivery["duration_ms"] = round((time.monotonic() - started) * 1000.0, 3)
        self.store.record_delivery(event["tenant_id"], delivery)
        return delivery


# -- secret events from the secrets routes ------------------------------------------------------
def wrap_route(router, method, template, make_handler):
    """Replace the handler of a registered route by ``make_handler(original)``; False when absent.

    Lets feature modules observe secret writes without changes to secrets_api.
    """
    routes = router._routes  # pylint: disable=protected-access
    for index, route in enumerate(routes):
        if route.method == method and route.template == template:
            routes[index] = dataclasses.replace(route, handler=make_handler(route.handler))
            return True
    return False


def _secret_events(hub, db):
    def on_write(original):
        def handler(request):
            response = original(request)
            if response.status in (200, 201) and isinstance(response.body, dict):
                obj = response.body
                version = obj.get("version") or 1
                created = response.status == 201
                data = ({"version": version, "secret_type": obj.get("secret_type"), "created_by": request.identity.identity_id,
                         "tags": (obj.get("metadata") or {}).get("tags") or [], "expires_at": obj.get("expires_at")}
                        if created else {"old_version": version - 1, "new_version": version,
                                         "updated_by": request.identity.identity_id,
                                         "is_rotation": bool(request.completes_rotation)})
                hub.emit(request.tenant_id, "secret.created" if created else "secret.updated", path=obj.get("path"),
                         data=data, identity_id=request.identity.identity_id, request_id=request.request_id,
                         secret_type=obj.get("secret_type"), tags=(obj.get("metadata") or {}).get("tags"))
            return response
        return handler

    def on_delete(original):
        def handler(request):
            # [doc] reference/webhook-events: {version_count, deleted_by, permanent, recoverable_until (soft only)}.
            with db.reading() as conn:
                version_count = conn.execute("SELECT COUNT(*) FROM secret_versions WHERE tenant_id = ? AND path = ?",
                                             (request.tenant_id, request.params.get("path"))).fetchone()[0]
            response = original(request)
            if response.status == 204:
                permanent = (request.arg("permanent") or "").lower() in ("true", "1", "yes")
                data = {"version_count": version_count, "deleted_by": request.identity.identity_id, "permanent": permanent}
                if not permanent:
                    data["recoverable_until"] = iso(utcnow() + RECOVERY_WINDOW)
                hub.emit(request.tenant_id, "secret.deleted", path=request.params.get("path"), data=data,
                         identity_id=request.identity.identity_id, request_id=request.request_id)
            return response
        return handler

    return on_write, on_delete


# -- routes -------------------------------------------------------------------------------------
def register(app):
    """Add the webhook routes, the delivery thread and secret events; returns the EventHub.

    Call after the secrets routes are registered (their PUT/DELETE handlers are wrapped).
    """
    store = WebhookStore(app.db)
    hub = EventHub(store)
    app.webhook_events = hub
    app.reset_hooks.append(hub.webhooks_changed)

    def load(conn, request):
        hook = store.get(conn, request.tenant_id, request.params["id"])
        if hook is None:
            raise _not_found(request.params["id"])
        return hook

    def list_webhooks(request):
        limit = parse_limit(request, default=100, maximum=1000)
        after = decode_cursor(request.arg("cursor"), "after", str)
        with app.db.reading() as conn:
            rows = store.page(conn, request.tenant_id, after, limit + 1)
        rows, cursor, has_more = page(rows, limit, lambda hook: {"after": hook["id"]})
        return Response(200, {"webhooks": [dict(public(hook), status="healthy") for hook in rows], "cursor": cursor,
                              "has_more": has_more})

    def create(request):
        body = request.json_object()
        now = iso(utcnow())
        hook = {"id": "wh_" + secrets.token_hex(8), "name": _check_name(body.get("name")), "url": _check_url(body.get("url")),
                "_secret": _check_secret(body.get("secret")), "events": _check_events(body.get("events")),
                "filters": _check_filters(body.get("filters")),
                "enabled": _check_enabled(body["enabled"]) if body.get("enabled") is not None else True,
                "created_at": now, "updated_at": now}
        with app.db.transaction() as conn:
            if store.by_name(conn, request.tenant_id, hook["name"]):
                raise ApiError(409, "webhook_exists", "a webhook named %r already exists" % hook["name"], {"name": hook["name"]})
            store.save(conn, request.tenant_id, hook)
        hub.webhooks_changed()
        return Response(201, dict(public(hook), status="healthy"))

    def get(request):
        with app.db.reading() as conn:
            hook = load(conn, request)
            rows = store.deliveries(conn, request.tenant_id, hook["id"], None, None, 1000)
        recent = [_row_to_delivery(row) for row in rows]
        ok = [item for item in recent if item["status"] == "success"]
        view = dict(public(hook), status="healthy" if not recent or recent[0]["status"] == "success" else "failing")
        view["statistics"] = {"deliveries_24h": len(recent),
                              "success_rate_24h": round(len(ok) / len(recent), 4) if recent else None,
                              "avg_latency_ms": round(sum(item["duration_ms"] or 0 for item in recent) / len(recent), 3)
                              if recent else None}
        view["last_delivery"] = ({"id": recent[0]["id"], "timestamp": recent[0]["timestamp"], "status": recent[0]["status"],
                                  "response_code": recent[0]["response_code"]} if recent else None)
        return Response(200, view)

    def update(request):
        body = request.json_object()
        with app.db.transaction() as conn:
            hook = load(conn, request)
            if "name" in body and body["name"] != hook["name"]:
                name = _check_name(body["name"])
                if store.by_name(conn, request.tenant_id, name):
                    raise ApiError(409, "webhook_exists", "a webhook named %r already exists" % name, {"name": name})
                hook["name"] = name
            if "url" in body:
                hook["url"] = _check_url(body["url"])
            if "events" in body:
                hook["events"] = _check_events(body["events"])
            if "filters" in body:
                hook["filters"] = _check_filters(body["filters"])
            if "enabled" in body:
                hook["enabled"] = _check_enabled(body["enabled"])
            if "secret" in body:
                hook["_secret"] = _check_secret(body["secret"])
            hook["updated_at"] = iso(utcnow())
            store.save(conn, request.tenant_id, hook)
        return Response(200, dict(public(hook), status="healthy"))

    def delete(request):
        with app.db.transaction() as conn:
            hook = load(conn, request)
            conn.execute("DELETE FROM webhooks WHERE tenant_id = ? AND id = ?", (request.tenant_id, hook["id"]))
        hub.webhooks_changed()
        return Response(204)

    def test(request):
        with app.db.reading() as conn:
            hook = load(conn, request)
        event = {"event_id": "evt_" + secrets.token_hex(12), "event_type": "webhook.test", "timestamp": iso(utcnow()),
                 "tenant_id": request.tenant_id, "partner_id": None, "identity_id": request.identity.identity_id,
                 "data": {"webhook_id": hook["id"], "message": "test delivery"}, "request_id": request.request_id}
        delivery = hub.deliver(hook, event)
        return Response(200, {"delivery_id": delivery["id"], "status": delivery["status"],
                              "response_code": delivery["response_code"], "duration_ms": delivery["duration_ms"],
                              "error": delivery["error"]})

    def deliveries(request):
        limit = parse_limit(request, default=100, maximum=1000)
        before = decode_cursor(request.arg("cursor"), "before", int)
        status = request.arg("status")
        if status not in (None, "", "success", "failed", "pending"):
            raise validation_error("status must be success, failed or pending", "status")
        with app.db.reading() as conn:
            hook = load(conn, request)
            rows = store.deliveries(conn, request.tenant_id, hook["id"], status or None, before, limit + 1)
        rows, cursor, has_more = page(rows, limit, lambda row: {"before": row["seq"]})
        return Response(200, {"deliveries": [_row_to_delivery(row) for row in rows], "cursor": cursor, "has_more": has_more})

    policy = dict(scope="admin", category="webhook")
    app.router.add("GET", "/v1/webhooks", list_webhooks, **policy)
    app.router.add("POST", "/v1/webhooks", create, **policy)
    app.router.add("GET", "/v1/webhooks/{id}", get, **policy)
    app.router.add("PATCH", "/v1/webhooks/{id}", update, **policy)
    app.router.add("DELETE", "/v1/webhooks/{id}", delete, **policy)
    app.router.add("POST", "/v1/webhooks/{id}/test", test, **policy)
    app.router.add("GET", "/v1/webhooks/{id}/deliveries", deliveries, **policy)

    on_write, on_delete = _secret_events(hub, app.db)
    wrap_route(app.router, "PUT", "/v1/secrets/{path}", on_write)
    wrap_route(app.router, "DELETE", "/v1/secrets/{path}", on_delete)

    def wait_deliveries(request):
        body = request.json_object() if request.body else {}
        timeout = body.get("timeout", 10)
        return Response(200, {"idle": hub.wait_idle(float(timeout))})

    app.dev_router.add("POST", "/_dev/webhooks/wait", wait_deliveries)
    return hub
