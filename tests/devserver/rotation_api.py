"""Rotation policies (contract section 4) and the scheduler that fires their events.

A secret's policy is the ``rotation_policy_id`` column of its head row, so attaching through
``POST .../secrets`` and through ``options.rotation_policy_id`` on a PUT are the same thing.
Schedule state lives in ``rotation_schedule``, one row per attached secret:

  cycle start = the latest of: attach time, the secret's last write, the last auto-rotation
  due         = cycle start + interval
  warnings    = rotation.due {due_now: false, warn_before: "7d"} when now >= due - threshold (each
                threshold once per cycle; when several passed at once only the nearest fires)
  at due      = auto_generate false: rotation.due {due_now: true}, then wait for a PUT (the PUT
                starts a new cycle and fires secret.rotated + rotation.completed);
                auto_generate true: a new version with random values for the same keys,
                audited as 'rotate' by system:rotation-scheduler, then secret.rotated
  due + grace = rotation.overdue (auto_generate false only, once per cycle)

A background thread ticks every SCAIVAULT_DEV_ROTATION_TICK seconds (default 5, 0 = off) at
the real time; ``POST /_dev/rotation/tick {"now": ISO, "wait": true}`` ticks at any time, so
tests can jump over a 90-day interval, and with ``wait`` returns after the deliveries.
Inactive (disabled) policies fire nothing.
"""

import dataclasses
import json
import logging
import os
import secrets
import threading
import types

from .errors import ApiError, bad_request, validation_error
from .http_types import Response
from .pagination import decode_cursor, page, parse_limit, tenant_rows_by_id
from .secret_store import SecretStore
from .timeutil import after_seconds, iso, parse_iso, utcnow
from .validation import check_path, parse_duration
from .webhooks_api import wrap_route

LOG = logging.getLogger("scaivault.devserver.rotation")
DEFAULT_GRACE_PERIOD = "48h"
TICK_ENV = "SCAIVAULT_DEV_ROTATION_TICK"
DEFAULT_TICK_SECONDS = 5.0
SCHEDULER_IDENTITY = "system:rotation-scheduler"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rotation_policies (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    interval TEXT NOT NULL,
    grace_period TEXT NOT NULL,
    warn_before TEXT,
    auto_generate INTEGER NOT NULL,
    secret_policy_id TEXT,
    webhook_ids TEXT NOT NULL,
    is_active INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE IF NOT EXISTS rotation_schedule (
    tenant_id TEXT NOT NULL,
    path TEXT NOT NULL,
    policy_id TEXT NOT NULL,
    attached_at TEXT NOT NULL,
    cycle_start TEXT,
    warned TEXT NOT NULL DEFAULT '[]',
    due_fired_at TEXT,
    overdue_fired_at TEXT,
    last_rotated_at TEXT,
    PRIMARY KEY (tenant_id, path)
);
CREATE TABLE IF NOT EXISTS rotation_grace (
    tenant_id TEXT NOT NULL,
    path TEXT NOT NULL,
    version INTEGER NOT NULL,
    readable_until TEXT NOT NULL,
    PRIMARY KEY (tenant_id, path, version)
);
"""


def _not_found(policy_id):
    return ApiError(404, "rotation_policy_not_found", "rotation policy %s not found" % policy_id, {"id": policy_id})


def _duration(value, field):
    parse_duration(value, field)
    return value


def _warn_before(value):
    """'7d,1d' (the API's form) or a list of durations -> the canonical comma-separated string."""
    if value is None or value == "" or value == []:
        return None
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise validation_error("warn_before must be a string such as '7d,1d'", "warn_before")
    for item in items:
        parse_duration(item.strip(), "warn_before")
    return ",".join(item.strip() for item in items)


def _warn_seconds(text):
    return sorted((parse_duration(item, "warn_before") for item in (text or "").split(",") if item), reverse=True)


def _grace(conn, tenant_id, path, old_version, readable_until):
    """Versions up to old_version stay readable until readable_until (the rotation's grace period)."""
    conn.execute("INSERT OR REPLACE INTO rotation_grace VALUES (?, ?, ?, ?)", (tenant_id, path, old_version, readable_until))


def _warn_text(text, seconds):
    """The warn_before item ("7d") that parses to ``seconds``."""
    return next(item.strip() for item in (text or "").split(",") if item and parse_duration(item, "warn_before") == seconds)


def _policy_object(row, secrets_count):
    return {"id": row["id"], "name": row["name"], "description": row["description"], "interval": row["interval"],
            "interval_seconds": parse_duration(row["interval"], "interval"), "grace_period": row["grace_period"],
            "warn_before": row["warn_before"], "auto_generate": bool(row["auto_generate"]),
            "secret_policy_id": row["secret_policy_id"], "webhook_ids": json.loads(row["webhook_ids"]),
            "secrets_count": secrets_count, "is_active": bool(row["is_active"]), "created_at": row["created_at"],
            "updated_at": row["updated_at"]}


class RotationApi:
    def __init__(self, app, events=None):
        self.app = app
        self.db = app.db
        self.events = events
        self._tick_lock = threading.Lock()
        app.db.register_schema(_SCHEMA, wiped_tables=("rotation_schedule", "rotation_policies", "rotation_grace"))

    # -- storage helpers -----------------------------------------------------------------------

    @staticmethod
    def check_version_read(conn, tenant_id, path, version):
        """[doc] core-concepts/rotation: after a rotation the previous versions stay readable only for the policy's
        grace_period; later, ?version= of one is 404 version_not_found."""
        row = conn.execute("SELECT version, readable_until FROM rotation_grace WHERE tenant_id = ? AND path = ? AND version >= ?"
                           " ORDER BY readable_until LIMIT 1", (tenant_id, path, version)).fetchone()
        if row is not None and parse_iso(row["readable_until"]) <= utcnow():
            raise ApiError(404, "version_not_found", "version %d of secret %s aged out: a rotation replaced it and its "
                           "grace period ended at %s" % (version, path, row["readable_until"]),
                           {"path": path, "version": version, "grace_period_ended": row["readable_until"]})

    def check_write_options(self, conn, tenant_id, changes):
        """[doc] reference/rotation: options.rotation_policy_id on a PUT must name a policy (404 rotation_policy_not_found)."""
        policy_id = changes.get("rotation_policy_id")
        if policy_id is not None and self._row(conn, tenant_id, policy_id) is None:
            raise ApiError(404, "rotation_policy_not_found", "rotation policy %s not found (options.rotation_policy_id)"
                           % policy_id, {"rotation_policy_id": policy_id, "fields": ["options.rotation_policy_id"]})

    @staticmethod
    def _row(conn, tenant_id, policy_id):
        return conn.execute("SELECT * FROM rotation_policies WHERE tenant_id = ? AND id = ?", (tenant_id, policy_id)).fetchone()

    def _load(self, conn, request):
        row = self._row(conn, request.tenant_id, request.params["id"])
        if row is None:
            raise _not_found(request.params["id"])
        return row

    @staticmethod
    def _count(conn, tenant_id, policy_id):
        return conn.execute("SELECT COUNT(*) FROM secrets WHERE tenant_id = ? AND rotation_policy_id = ? AND deleted_at IS NULL",
                            (tenant_id, policy_id)).fetchone()[0]

    def _object(self, conn, row):
        return _policy_object(row, self._count(conn, row["tenant_id"], row["id"]))

    @staticmethod
    def _check_webhooks(conn, tenant_id, ids):
        if not isinstance(ids, list) or not all(isinstance(item, str) for item in ids):
            raise validation_error("webhook_ids must be a list of webhook ids", "webhook_ids")
        for webhook_id in ids:
            found = conn.execute("SELECT 1 FROM webhooks WHERE tenant_id = ? AND id = ?", (tenant_id, webhook_id)).fetchone()
            if not found:
                raise ApiError(404, "webhook_not_found", "webhook %s not found" % webhook_id, {"id": webhook_id, "fields": ["webhook_ids"]})
        return list(dict.fromkeys(ids))

    @staticmethod
    def _save(conn, tenant_id, fields):
        conn.execute("INSERT OR REPLACE INTO rotation_policies VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", (
            tenant_id, fields["id"], fields["name"], fields["description"], fields["interval"], fields["grace_period"],
            fields["warn_before"], int(fields["auto_generate"]), fields["secret_policy_id"], json.dumps(fields["webhook_ids"]),
            int(fields["is_active"]), fields["created_at"], fields["updated_at"]))

    def _apply_fields(self, conn, tenant_id, fields, body):
        if "description" in body:
            if body["description"] is not None and not isinstance(body["description"], str):
                raise validation_error("description must be a string", "description")
            fields["description"] = body["description"]
        if "interval" in body:
            fields["interval"] = _duration(body["interval"], "interval")
        if "grace_period" in body:
            fields["grace_period"] = _duration(body["grace_period"], "grace_period") if body["grace_period"] else DEFAULT_GRACE_PERIOD
        if "warn_before" in body:
            fields["warn_before"] = _warn_before(body["warn_before"])
        if "auto_generate" in body:
            if not isinstance(body["auto_generate"], bool):
                raise validation_error("auto_generate must be a boolean", "auto_generate")
            fields["auto_generate"] = body["auto_generate"]
        if "secret_policy_id" in body:
            if body["secret_policy_id"] is not None and not isinstance(body["secret_policy_id"], str):
                raise validation_error("secret_policy_id must be a string", "secret_policy_id")
            fields["secret_policy_id"] = body["secret_policy_id"]
        if "webhook_ids" in body:
            fields["webhook_ids"] = self._check_webhooks(conn, tenant_id, body["webhook_ids"] or [])
        return fields

    # -- policy endpoints ----------------------------------------------------------------------

    def list_policies(self, request):
        active_only = (request.arg("active_only") or "").lower() in ("true", "1", "yes")
        with self.db.reading() as conn:
            rows, cursor, has_more = tenant_rows_by_id(conn, request, "rotation_policies", active_only=active_only)
            items = [self._object(conn, row) for row in rows]
        return Response(200, {"data": items, "cursor": cursor, "has_more": has_more})

    def create(self, request):
        body = request.json_object()
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise validation_error("name must be a non-empty string", "name")
        if "interval" not in body:
            raise validation_error("interval is required (a duration such as '90d')", "interval")
        now = iso(utcnow())
        fields = {"id": "rot_" + secrets.token_hex(8), "name": name, "description": None, "interval": None,
                  "grace_period": DEFAULT_GRACE_PERIOD, "warn_before": None, "auto_generate": False, "secret_policy_id": None,
                  "webhook_ids": [], "is_active": True, "created_at": now, "updated_at": now}
        with self.db.transaction() as conn:
            self._apply_fields(conn, request.tenant_id, fields, body)
            taken = conn.execute("SELECT id FROM rotation_policies WHERE tenant_id = ? AND name = ?", (request.tenant_id, name)).fetchone()
            if taken:
                raise ApiError(409, "rotation_policy_exists", "a rotation policy named %r already exists (%s)" % (name, taken[0]),
                               {"name": name, "id": taken[0]})
            self._save(conn, request.tenant_id, fields)
            row = self._row(conn, request.tenant_id, fields["id"])
            obj = self._object(conn, row)
        return Response(201, obj)

    def get(self, request):
        with self.db.reading() as conn:
            return Response(200, self._object(conn, self._load(conn, request)))

    def update(self, request):
        body = request.json_object()
        with self.db.transaction() as conn:
            row = self._load(conn, request)
            fields = {key: row[key] for key in row.keys() if key != "tenant_id"}
            fields["webhook_ids"] = json.loads(fields["webhook_ids"])
            if "name" in body and body["name"] != row["name"]:
                name = body["name"]
                if not isinstance(name, str) or not name.strip():
                    raise validation_error("name must be a non-empty string", "name")
                if conn.execute("SELECT 1 FROM rotation_policies WHERE tenant_id = ? AND name = ?", (request.tenant_id, name)).fetchone():
                    raise ApiError(409, "rotation_policy_exists", "a rotation policy named %r already exists" % name, {"name": name})
                fields["name"] = name
            self._apply_fields(conn, request.tenant_id, fields, body)
            fields["updated_at"] = iso(utcnow())
            self._save(conn, request.tenant_id, fields)
            obj = self._object(conn, self._row(conn, request.tenant_id, row["id"]))
        return Response(200, obj)

    def delete(self, request):
        with self.db.transaction() as conn:
            row = self._load(conn, request)
            conn.execute("UPDATE secrets SET rotation_policy_id = NULL WHERE tenant_id = ? AND rotation_policy_id = ?",
                         (request.tenant_id, row["id"]))
            conn.execute("DELETE FROM rotation_schedule WHERE tenant_id = ? AND policy_id = ?", (request.tenant_id, row["id"]))
            conn.execute("DELETE FROM rotation_policies WHERE tenant_id = ? AND id = ?", (request.tenant_id, row["id"]))
        return Response(204)

    def _set_active(self, request, active):
        with self.db.transaction() as conn:
            row = self._load(conn, request)
            conn.execute("UPDATE rotation_policies SET is_active = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
                         (int(active), iso(utcnow()), request.tenant_id, row["id"]))
            obj = self._object(conn, self._row(conn, request.tenant_id, row["id"]))
        return Response(200, obj)

    def enable(self, request):
        return self._set_active(request, True)

    def disable(self, request):
        return self._set_active(request, False)

    # -- attached secrets ----------------------------------------------------------------------

    def attach(self, request):
        body = request.json_object()
        path = body.get("secret_path")
        if not isinstance(path, str):
            raise validation_error("secret_path must be a string", "secret_path")
        check_path(path)
        now = iso(utcnow())
        with self.db.transaction() as conn:
            row = self._load(conn, request)
            head = SecretStore.head(conn, request.tenant_id, path)
            if head is None or head.deleted_at:
                raise ApiError(404, "secret_not_found", "secret %s not found" % path, {"path": path})
            already = head.rotation_policy_id == row["id"]
            if not already:
                conn.execute("UPDATE secrets SET rotation_policy_id = ? WHERE tenant_id = ? AND path = ?",
                             (row["id"], request.tenant_id, path))
                conn.execute("INSERT OR REPLACE INTO rotation_schedule (tenant_id, path, policy_id, attached_at) VALUES (?,?,?,?)",
                             (request.tenant_id, path, row["id"], now))
            assignment = self._assignment(conn, request.tenant_id, row, path)
        return Response(201, assignment)  # [doc] reference/rotation: attach answers 201, also when already attached

    def detach(self, request):
        # The router has already unquoted the parameter: "a%2Fb" and "a/b" name the same secret.
        path = request.params["path"]
        with self.db.transaction() as conn:
            row = self._load(conn, request)
            head = SecretStore.head(conn, request.tenant_id, path)
            if head is None or head.rotation_policy_id != row["id"]:
                raise ApiError(404, "secret_not_attached", "secret %s is not attached to rotation policy %s" % (path, row["id"]),
                               {"path": path, "id": row["id"]})
            conn.execute("UPDATE secrets SET rotation_policy_id = NULL WHERE tenant_id = ? AND path = ?", (request.tenant_id, path))
            conn.execute("DELETE FROM rotation_schedule WHERE tenant_id = ? AND path = ?", (request.tenant_id, path))
        return Response(204)

    def list_secrets(self, request):
        limit = parse_limit(request, default=100, maximum=1000)
        after = decode_cursor(request.arg("cursor"), "after", str)
        with self.db.reading() as conn:
            row = self._load(conn, request)
            paths = [item[0] for item in conn.execute(
                "SELECT path FROM secrets WHERE tenant_id = ? AND rotation_policy_id = ? AND deleted_at IS NULL AND path > ?"
                " ORDER BY path LIMIT ?", (request.tenant_id, row["id"], after or "", limit + 1))]
            paths, cursor, has_more = page(paths, limit, lambda path: {"after": path})
            items = [self._assignment(conn, request.tenant_id, row, path) for path in paths]
        return Response(200, {"secrets": items, "cursor": cursor, "has_more": has_more})

    def _assignment(self, conn, tenant_id, policy, path):
        schedule = self._schedule(conn, tenant_id, policy, path)
        start = self._cycle_start(conn, tenant_id, path, schedule)
        return {"secret_path": path, "policy_id": policy["id"], "attached_at": schedule["attached_at"],
                "last_rotated_at": schedule["last_rotated_at"],
                "next_rotation_at": iso(after_seconds(parse_duration(policy["interval"], "interval"), start))}

    @staticmethod
    def _schedule(conn, tenant_id, policy, path):
        """The schedule row; secrets attached by a PUT's options.rotation_policy_id get one on first sight."""
        row = conn.execute("SELECT * FROM rotation_schedule WHERE tenant_id = ? AND path = ?", (tenant_id, path)).fetchone()
        if row is None or row["policy_id"] != policy["id"]:
            head = SecretStore.head(conn, tenant_id, path)
            conn.execute("INSERT OR REPLACE INTO rotation_schedule (tenant_id, path, policy_id, attached_at) VALUES (?,?,?,?)",
                         (tenant_id, path, policy["id"], head.updated_at))
            row = conn.execute("SELECT * FROM rotation_schedule WHERE tenant_id = ? AND path = ?", (tenant_id, path)).fetchone()
        return dict(row)

    @staticmethod
    def _cycle_start(conn, tenant_id, path, schedule):
        head = SecretStore.head(conn, tenant_id, path)
        stamps = [schedule["attached_at"], head.updated_at if head else None, schedule["last_rotated_at"]]
        return max(parse_iso(stamp) for stamp in stamps if stamp)

    # -- the scheduler -------------------------------------------------------------------------

    def tick(self, now=None):
        """Fire every event due at ``now`` (default: the real time); returns the events fired."""
        now = now or utcnow()
        fired = []
        with self.db.reading() as conn:
            if conn.execute("SELECT 1 FROM rotation_policies WHERE is_active = 1 LIMIT 1").fetchone() is None:
                return fired  # the background tick of an idle server takes no write lock
        with self._tick_lock, self.db.transaction() as conn:
            policies = conn.execute("SELECT * FROM rotation_policies WHERE is_active = 1").fetchall()
            for policy in policies:
                paths = [row[0] for row in conn.execute(
                    "SELECT path FROM secrets WHERE tenant_id = ? AND rotation_policy_id = ? AND deleted_at IS NULL ORDER BY path",
                    (policy["tenant_id"], policy["id"]))]
                for path in paths:
                    fired.extend(self._tick_one(conn, policy, path, now))
        for event in fired:
            self._emit(event)
        return fired

    def _tick_one(self, conn, policy, path, now):
        tenant_id = policy["tenant_id"]
        schedule = self._schedule(conn, tenant_id, policy, path)
        start = self._cycle_start(conn, tenant_id, path, schedule)
        if schedule["cycle_start"] != iso(start):
            schedule.update(cycle_start=iso(start), warned="[]", due_fired_at=None, overdue_fired_at=None)
        interval = parse_duration(policy["interval"], "interval")
        due = after_seconds(interval, start)
        grace = parse_duration(policy["grace_period"], "grace_period")
        warned = set(json.loads(schedule["warned"]))
        events = []
        base = {"tenant_id": tenant_id, "path": path, "policy": policy}
        data = {"rotation_policy_id": policy["id"], "rotation_policy_name": policy["name"], "due_at": iso(due)}
        if now < due:
            passed = [seconds for seconds in _warn_seconds(policy["warn_before"])
                      if now >= after_seconds(-seconds, due) and seconds not in warned]
            if passed:
                nearest = min(passed)
                # [doc] reference/webhook-events: the threshold as the policy's warn_before wrote it ("7d").
                warning = dict(data, due_now=False, warn_before=_warn_text(policy["warn_before"], nearest))
                events.append(dict(base, event_type="rotation.due", data=warning))
                warned.update(passed)
        elif not schedule["due_fired_at"]:
            schedule["due_fired_at"] = iso(now)
            if policy["auto_generate"]:
                events.extend(self._auto_rotate(conn, policy, path, now, data))
                schedule["last_rotated_at"] = iso(now)
            else:
                events.append(dict(base, event_type="rotation.due", data=dict(data, due_now=True)))
        elif not policy["auto_generate"] and not schedule["overdue_fired_at"] and now >= after_seconds(grace, due):
            schedule["overdue_fired_at"] = iso(now)
            events.append(dict(base, event_type="rotation.overdue", data=dict(data, grace_period=policy["grace_period"])))
        conn.execute("UPDATE rotation_schedule SET cycle_start = ?, warned = ?, due_fired_at = ?, overdue_fired_at = ?,"
                     " last_rotated_at = ? WHERE tenant_id = ? AND path = ?",
                     (schedule["cycle_start"], json.dumps(sorted(warned)), schedule["due_fired_at"], schedule["overdue_fired_at"],
                      schedule["last_rotated_at"], tenant_id, path))
        return events

    def _auto_rotate(self, conn, policy, path, now, data):
        """Write a generated version (same keys, random values) as the scheduler identity."""
        tenant_id = policy["tenant_id"]
        head = SecretStore.head(conn, tenant_id, path)
        current = SecretStore.data(conn, tenant_id, path, head.version) or {}
        new_data = {key: secrets.token_urlsafe(24) for key in (current or {"value": None})}
        stamp = iso(utcnow())
        record = dataclasses.replace(head, version=head.version + 1, updated_at=stamp)
        SecretStore.save(conn, record, new_data)
        actor = types.SimpleNamespace(
            identity=types.SimpleNamespace(identity_type="service_account", identity_id=SCHEDULER_IDENTITY), tenant_id=tenant_id,
            client_ip=None, user_agent="scaivault-rotation-scheduler", request_id="req_" + secrets.token_hex(12),
            elapsed_ms=lambda: 0.0, audited=False)
        self.app.audit.record(conn, actor, "rotate", path, True, {"rotation_policy_id": policy["id"], "version": record.version})
        grace_end = iso(after_seconds(parse_duration(policy["grace_period"], "grace_period"), now))
        _grace(conn, tenant_id, path, head.version, grace_end)
        return [{"tenant_id": tenant_id, "path": path, "policy": policy, "event_type": "secret.rotated",
                 "data": dict(data, old_version=head.version, new_version=record.version, grace_period_ends=grace_end,
                              auto_generated=True)}]

    def _emit(self, event):
        events = self.events or getattr(self.app, "webhook_events", None)
        if events is None:
            return
        policy = event["policy"]
        event["event_id"] = events.emit(event["tenant_id"], event["event_type"], path=event["path"], data=event["data"],
                                        identity_id=SCHEDULER_IDENTITY, webhook_ids=json.loads(policy["webhook_ids"]))["event_id"]

    # -- a PUT on a secret whose rotation is due completes the rotation ------------------------

    def on_write(self, original):
        def handler(request):
            request.completes_rotation = self._awaiting_rotation(request)
            response = original(request)
            if response.status == 200 and isinstance(response.body, dict):
                self._completed(request, response.body)
            return response
        return handler

    def _awaiting_rotation(self, request):
        """Whether the secret's rotation is due and waits for this PUT (secret.updated.is_rotation, reference/webhook-events)."""
        with self.db.reading() as conn:
            return conn.execute("SELECT 1 FROM rotation_schedule WHERE tenant_id = ? AND path = ? AND due_fired_at IS NOT NULL",
                                (request.tenant_id, request.params.get("path"))).fetchone() is not None

    def _completed(self, request, obj):
        if not obj.get("rotation_policy_id"):
            return  # the common case costs nothing
        path = obj.get("path")
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT s.*, p.name AS policy_name, p.grace_period, p.webhook_ids FROM rotation_schedule s"
                " JOIN rotation_policies p ON p.tenant_id = s.tenant_id AND p.id = s.policy_id"
                " WHERE s.tenant_id = ? AND s.path = ? AND s.due_fired_at IS NOT NULL", (request.tenant_id, path)).fetchone()
            if row is None or row["policy_id"] != obj.get("rotation_policy_id"):
                return
            conn.execute("UPDATE rotation_schedule SET due_fired_at = NULL, overdue_fired_at = NULL, warned = '[]', cycle_start = NULL"
                         " WHERE tenant_id = ? AND path = ?", (request.tenant_id, path))
        events = self.events or getattr(self.app, "webhook_events", None)
        if events is None:
            return
        grace_end = iso(after_seconds(parse_duration(row["grace_period"], "grace_period")))
        with self.db.transaction() as conn:
            _grace(conn, request.tenant_id, path, obj["version"] - 1, grace_end)
        data = {"old_version": obj["version"] - 1, "new_version": obj["version"], "rotation_policy_id": row["policy_id"],
                "rotation_policy_name": row["policy_name"], "auto_generated": False, "grace_period_ends": grace_end}
        for event_type in ("secret.rotated", "rotation.completed"):
            events.emit(request.tenant_id, event_type, path=path, data=data, identity_id=request.identity.identity_id,
                        request_id=request.request_id, webhook_ids=json.loads(row["webhook_ids"]))

    # -- wiring --------------------------------------------------------------------------------

    def register(self, router):
        # The docs' rate-limit categories have none for rotation policies (advanced/rate-limiting): not limited.
        policy = dict(scope="admin")
        router.add("GET", "/v1/rotation/policies", self.list_policies, **policy)
        router.add("POST", "/v1/rotation/policies", self.create, **policy)
        router.add("GET", "/v1/rotation/policies/{id}", self.get, **policy)
        router.add("PATCH", "/v1/rotation/policies/{id}", self.update, **policy)
        router.add("DELETE", "/v1/rotation/policies/{id}", self.delete, **policy)
        router.add("POST", "/v1/rotation/policies/{id}/enable", self.enable, **policy)
        router.add("POST", "/v1/rotation/policies/{id}/disable", self.disable, **policy)
        router.add("GET", "/v1/rotation/policies/{id}/secrets", self.list_secrets, **policy)
        router.add("POST", "/v1/rotation/policies/{id}/secrets", self.attach, **policy)
        router.add("DELETE", "/v1/rotation/policies/{id}/secrets/{path:path}", self.detach, **policy)
        wrap_route(router, "PUT", "/v1/secrets/{path}", self.on_write)


def _tick_control(api):
    def tick(request):
        body = request.json_object() if request.body else {}
        now = None
        if body.get("now"):
            try:
                now = parse_iso(body["now"])
            except (ValueError, AttributeError):
                raise bad_request("now must be an ISO-8601 timestamp (got %r)" % body.get("now")) from None
        fired = api.tick(now)
        idle = None
        if body.get("wait"):
            events = api.events or getattr(api.app, "webhook_events", None)
            idle = events.wait_idle(float(body.get("timeout", 10))) if events else True
        return Response(200, {"now": iso(now or utcnow()), "idle": idle, "events": [
            {"event_id": event.get("event_id"), "event_type": event["event_type"], "path": event["path"],
             "policy_id": event["policy"]["id"], "due_now": event["data"].get("due_now")} for event in fired]})
    return tick


def _start_ticker(api):
    try:
        seconds = float(os.environ.get(TICK_ENV, DEFAULT_TICK_SECONDS))
    except ValueError:
        seconds = DEFAULT_TICK_SECONDS
    if seconds <= 0:
        return None
    stop = threading.Event()

    def run():
        while not stop.wait(seconds):
            if api.app.closing:
                return
            try:
                api.tick()
            except Exception:  # pylint: disable=broad-except
                LOG.exception("rotation scheduler tick failed")

    thread = threading.Thread(target=run, name="rotation-scheduler", daemon=True)
    thread.start()
    return stop


def register(app, events=None):
    """Add the rotation routes, the /_dev/rotation/tick control and the background scheduler.

    ``events`` is webhooks_api's EventHub (default: ``app.webhook_events`` when registered).
    """
    api = RotationApi(app, events)
    api.register(app.router)
    if app.secrets is not None:
        app.secrets.option_checks.append(api.check_write_options)
        app.secrets.version_checks.append(api.check_version_read)
    app.dev_router.add("POST", "/_dev/rotation/tick", _tick_control(api))
    api.ticker = _start_ticker(api)
    return api
