# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Path-scoped event subscriptions with polling delivery.

Docs: https://www.scailabs.ai/en/docs/scaivault/reference/subscriptions

[doc] ``POST /v1/subscriptions {name, paths (globs), events, delivery {type: webhook|polling, url, secret,
buffer_size (polling, default 1000)}, filters?}`` -> 201 ``{id, name, status, identity_id}`` (owned by the
caller); ``GET``/``PATCH`` (paths, events, delivery)/``DELETE /v1/subscriptions/{id}``;
``GET .../{id}/poll?timeout (<=60, default 30)&since_event_id&max_events (default 100)`` blocks until an
event arrives or the timeout elapses -> ``{events: [{event_id, event_type, timestamp, path, data}], has_more}``
(owner only); ``POST .../{id}/ack {event_ids}``: without an ack, events are delivered again on the next poll.
Scopes ``subscriptions:read`` / ``subscriptions:write``; ``404 subscription_not_found``.

Decided here ([assumed], docs/scaivault-contract.md): list envelope ``subscriptions``; the object also
carries ``paths, events, delivery`` (never ``delivery.secret``), ``created_at``; ``status`` is ``active``;
a poll answers every unacknowledged event after ``since_event_id`` (redelivery = the next poll answers
it again); ack answers ``{acknowledged: n}``; a full buffer drops the oldest event; names are unique per
owner (``409 subscription_exists``); a poll by anyone but the owner is ``403 access_denied``.
Webhook delivery of subscriptions is stored but not sent by this server (webhooks_api delivers webhooks).
The ``admin`` scope stands in for the subscription scopes (the dev token has every documented scope).
"""

import json
import secrets
import threading

from .errors import ApiError, validation_error
from .http_types import Response
from .pagination import decode_cursor, page, parse_limit
from .policies_api import pattern_regex
from .rows import row_by_id
from .timeutil import iso, utcnow
from .webhooks_api import EVENT_TYPES, event_matches

DEFAULT_BUFFER = 1000
MAX_POLL_SECONDS = 60
DEFAULT_POLL_SECONDS = 30

_SCHEMA = """
CREATE TABLE IF NOT EXISTS subscriptions (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    identity_id TEXT NOT NULL,
    paths TEXT NOT NULL,
    events TEXT NOT NULL,
    delivery TEXT NOT NULL,
    filters TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE IF NOT EXISTS subscription_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event TEXT NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 0,
    acked INTEGER NOT NULL DEFAULT 0
);
"""


def _not_found(subscription_id):
    return ApiError(404, "subscription_not_found", "subscription %s not found" % subscription_id, {"id": subscription_id})


def _require(request, scope):
    if scope not in request.identity.scopes and "admin" not in request.identity.scopes:
        raise ApiError(403, "insufficient_scope", "token lacks %s" % scope,
                       {"required_scope": scope, "token_scopes": sorted(request.identity.scopes)})


def _check_paths(value):
    if not isinstance(value, list) or not value or not all(isinstance(item, str) and item for item in value):
        raise validation_error("paths must be a non-empty list of path globs", "paths")
    for item in value:
        if item.startswith("/"):
            raise validation_error("paths: %r must not start with '/'" % item, "paths")
    return list(dict.fromkeys(value))


def _check_events(value):
    if not isinstance(value, list) or not value or not all(isinstance(item, str) and item for item in value):
        raise validation_error("events must be a non-empty list of event types", "events")
    for item in value:
        if not (item == "*" or item in EVENT_TYPES or (item.endswith(".*") and any(name.startswith(item[:-1]) for name in EVENT_TYPES))):
            raise validation_error("unknown event type %r" % item, "events")
    return list(dict.fromkeys(value))


def _check_delivery(value):
    if not isinstance(value, dict) or value.get("type") not in ("webhook", "polling"):
        raise validation_error("delivery.type must be webhook or polling", "delivery.type")
    delivery = {"type": value["type"]}
    if value["type"] == "webhook":
        for key in ("url", "secret"):
            if not isinstance(value.get(key), str) or not value[key]:
                raise validation_error("delivery.%s is required for webhook delivery" % key, "delivery." + key)
            delivery[key] = value[key]
    else:
        size = value.get("buffer_size", DEFAULT_BUFFER)
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise validation_error("delivery.buffer_size must be a positive integer", "delivery.buffer_size")
        delivery["buffer_size"] = size
    return delivery


def _int_arg(request, name, default, maximum):
    text = request.arg(name)
    if text in (None, ""):
        return default
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0 or (name == "max_events" and value < 1):
        raise validation_error("%s must be a positive integer (got %r)" % (name, text), name)
    return min(value, maximum)


# PATCH updates these fields (docs: "Update paths, events, delivery").
_UPDATABLE = {"paths": _check_paths, "events": _check_events, "delivery": _check_delivery}


class SubscriptionsApi:
    def __init__(self, app):
        self.app = app
        self.db = app.db
        self._arrived = threading.Condition()
        app.db.register_schema(_SCHEMA, wiped_tables=("subscription_events", "subscriptions"))

    # -- objects -------------------------------------------------------------------------------

    @staticmethod
    def _object(row):
        delivery = json.loads(row["delivery"])
        delivery.pop("secret", None)
        return {"id": row["id"], "name": row["name"], "status": "active", "identity_id": row["identity_id"],
                "paths": json.loads(row["paths"]), "events": json.loads(row["events"]), "delivery": delivery,
                "filters": json.loads(row["filters"]), "created_at": row["created_at"], "updated_at": row["updated_at"]}

    @staticmethod
    def _row(conn, tenant_id, subscription_id):
        return row_by_id(conn, "subscriptions", tenant_id, subscription_id, _not_found)

    def _load(self, conn, request):
        return self._row(conn, request.tenant_id, request.params["id"])

    def _owned(self, conn, request):
        row = self._load(conn, request)
        if row["identity_id"] != request.identity.identity_id:
            raise ApiError(403, "access_denied", "subscription %s belongs to %s; only its owner may poll or acknowledge" % (
                row["id"], row["identity_id"]), {"id": row["id"]})
        return row

    @staticmethod
    def _save(conn, tenant_id, fields):
        conn.execute("INSERT OR REPLACE INTO subscriptions VALUES (?,?,?,?,?,?,?,?,?,?)", (
            tenant_id, fields["id"], fields["name"], fields["identity_id"], json.dumps(fields["paths"]),
            json.dumps(fields["events"]), json.dumps(fields["delivery"], sort_keys=True), json.dumps(fields["filters"]),
            fields["created_at"], fields["updated_at"]))

    # -- endpoints -----------------------------------------------------------------------------

    def list_subscriptions(self, request):
        _require(request, "subscriptions:read")
        limit = parse_limit(request, default=100, maximum=1000)
        after = decode_cursor(request.arg("cursor"), "after", str)
        with self.db.reading() as conn:
            rows = conn.execute("SELECT * FROM subscriptions WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?",
                                (request.tenant_id, after or "", limit + 1)).fetchall()
        rows, cursor, has_more = page(rows, limit, lambda row: {"after": row["id"]})
        return Response(200, {"subscriptions": [self._object(row) for row in rows], "cursor": cursor, "has_more": has_more})

    def create(self, request):
        _require(request, "subscriptions:write")
        body = request.json_object()
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise validation_error("name must be a non-empty string", "name")
        filters = body.get("filters") or {}
        if not isinstance(filters, dict):
            raise validation_error("filters must be an object", "filters")
        now = iso(utcnow())
        fields = {"id": "sub_" + secrets.token_hex(8), "name": name, "identity_id": request.identity.identity_id,
                  "paths": _check_paths(body.get("paths")), "events": _check_events(body.get("events")),
                  "delivery": _check_delivery(body.get("delivery")), "filters": filters, "created_at": now, "updated_at": now}
        with self.db.transaction() as conn:
            taken = conn.execute("SELECT id FROM subscriptions WHERE tenant_id = ? AND identity_id = ? AND name = ?",
                                 (request.tenant_id, fields["identity_id"], name)).fetchone()
            if taken:
                raise ApiError(409, "subscription_exists", "you already own a subscription named %r (%s)" % (name, taken[0]),
                               {"name": name, "id": taken[0]})
            self._save(conn, request.tenant_id, fields)
            row = self._row(conn, request.tenant_id, fields["id"])
        return Response(201, self._object(row))

    def get(self, request):
        _require(request, "subscriptions:read")
        with self.db.reading() as conn:
            return Response(200, self._object(self._load(conn, request)))

    def update(self, request):
        _require(request, "subscriptions:write")
        body = request.json_object()
        with self.db.transaction() as conn:
            row = self._load(conn, request)
            fields = {key: row[key] for key in row.keys() if key != "tenant_id"}
            for key in ("paths", "events", "delivery", "filters"):
                fields[key] = json.loads(fields[key])
            fields.update((key, check(body[key])) for key, check in _UPDATABLE.items() if key in body)
            fields["updated_at"] = iso(utcnow())
            self._save(conn, request.tenant_id, fields)
            row = self._load(conn, request)
        return Response(200, self._object(row))

    def delete(self, request):
        _require(request, "subscriptions:write")
        with self.db.transaction() as conn:
            row = self._load(conn, request)
            conn.execute("DELETE FROM subscription_events WHERE tenant_id = ? AND subscription_id = ?", (request.tenant_id, row["id"]))
            conn.execute("DELETE FROM subscriptions WHERE tenant_id = ? AND id = ?", (request.tenant_id, row["id"]))
        return Response(204)

    def _pending(self, conn, tenant_id, subscription_id, since_seq, limit):
        return conn.execute(
            "SELECT seq, event_id, event FROM subscription_events WHERE tenant_id = ? AND subscription_id = ? AND acked = 0"
            " AND seq > ? ORDER BY seq LIMIT ?", (tenant_id, subscription_id, since_seq, limit)).fetchall()

    def poll(self, request):
        _require(request, "subscriptions:read")
        timeout = _int_arg(request, "timeout", DEFAULT_POLL_SECONDS, MAX_POLL_SECONDS)
        max_events = _int_arg(request, "max_events", 100, 1000)
        since = request.arg("since_event_id")
        with self.db.reading() as conn:
            row = self._owned(conn, request)
            since_seq = 0
            if since:
                found = conn.execute("SELECT seq FROM subscription_events WHERE tenant_id = ? AND subscription_id = ? AND event_id = ?",
                                     (request.tenant_id, row["id"], since)).fetchone()
                since_seq = found[0] if found else 0
        with self._arrived:
            # Waits outside the database lock; woken by every captured event.
            self._arrived.wait_for(lambda: self._has_pending(request.tenant_id, row["id"], since_seq), timeout)
        with self.db.transaction() as conn:
            rows = self._pending(conn, request.tenant_id, row["id"], since_seq, max_events + 1)
            has_more = len(rows) > max_events
            rows = rows[:max_events]
            for item in rows:
                conn.execute("UPDATE subscription_events SET deliveries = deliveries + 1 WHERE seq = ?", (item["seq"],))
        return Response(200, {"events": [json.loads(item["event"]) for item in rows], "has_more": has_more})

    def _has_pending(self, tenant_id, subscription_id, since_seq):
        with self.db.reading() as conn:
            return bool(self._pending(conn, tenant_id, subscription_id, since_seq, 1))

    def ack(self, request):
        _require(request, "subscriptions:read")
        body = request.json_object()
        ids = body.get("event_ids")
        if not isinstance(ids, list) or not all(isinstance(item, str) for item in ids):
            raise validation_error("event_ids must be a list of event ids", "event_ids")
        with self.db.transaction() as conn:
            row = self._owned(conn, request)
            count = 0
            for event_id in dict.fromkeys(ids):
                count += conn.execute("UPDATE subscription_events SET acked = 1 WHERE tenant_id = ? AND subscription_id = ?"
                                      " AND event_id = ? AND acked = 0", (request.tenant_id, row["id"], event_id)).rowcount
        return Response(200, {"acknowledged": count})

    # -- capture -------------------------------------------------------------------------------

    def capture(self, tenant_id, event):
        """Queue ``event`` (the EventHub's envelope) for every polling subscription it matches."""
        path = event.get("path")
        stored = {key: event.get(key) for key in ("event_id", "event_type", "timestamp", "path", "data")}
        queued = False
        with self.db.transaction() as conn:
            rows = conn.execute("SELECT * FROM subscriptions WHERE tenant_id = ?", (tenant_id,)).fetchall()
            for row in rows:
                delivery = json.loads(row["delivery"])
                if delivery.get("type") != "polling":
                    continue
                if not any(event_matches(pattern, event["event_type"]) for pattern in json.loads(row["events"])):
                    continue
                if path is None or not any(pattern_regex(glob).match(path) for glob in json.loads(row["paths"])):
                    continue
                conn.execute("INSERT INTO subscription_events (tenant_id, subscription_id, event_id, event) VALUES (?,?,?,?)",
                             (tenant_id, row["id"], event["event_id"], json.dumps(stored, sort_keys=True)))
                # A full buffer drops the oldest unacknowledged events.
                conn.execute("DELETE FROM subscription_events WHERE seq IN (SELECT seq FROM subscription_events WHERE"
                             " tenant_id = ? AND subscription_id = ? AND acked = 0 ORDER BY seq DESC LIMIT -1 OFFSET ?)",
                             (tenant_id, row["id"], delivery.get("buffer_size", DEFAULT_BUFFER)))
                queued = True
        if queued:
            with self._arrived:
                self._arrived.notify_all()

    def hook_events(self, hub):
        """Observe every event the EventHub emits (before it drops events of tenants without webhooks)."""
        original = hub.emit

        def emit(tenant_id, event_type, **kwargs):
            event = original(tenant_id, event_type, **kwargs)
            self.capture(tenant_id, event)
            return event
        hub.emit = emit

    def register(self, router):
        # Documented categories (advanced/rate-limiting): subscription operations 20/min, polls 240/min.
        router.add("GET", "/v1/subscriptions", self.list_subscriptions, category="subscription")
        router.add("POST", "/v1/subscriptions", self.create, category="subscription")
        router.add("GET", "/v1/subscriptions/{id}", self.get, category="subscription")
        router.add("PATCH", "/v1/subscriptions/{id}", self.update, category="subscription")
        router.add("DELETE", "/v1/subscriptions/{id}", self.delete, category="subscription")
        router.add("GET", "/v1/subscriptions/{id}/poll", self.poll, category="subscription_poll")
        router.add("POST", "/v1/subscriptions/{id}/ack", self.ack, category="subscription")


def register(app):
    """Add the subscription routes and capture the events of ``app.webhook_events`` (register after webhooks_api)."""
    api = SubscriptionsApi(app)
    api.register(app.router)
    api.hook_events(app.webhook_events)
    return api
