# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``POST /v1/rotation/policies/{id}/rotate``: rotate now, outside the schedule.

Docs: https://www.scailabs.ai/en/docs/scaivault/reference/rotation ("Trigger rotation", text cut there),
https://www.scailabs.ai/en/docs/scaivault/api-guides/rotation ("trigger immediate rotations").

Decided here ([assumed], docs/scaivault-contract.md): the body is optional, ``{"secret_path": p}`` rotates
one attached secret (``404 secret_not_attached`` otherwise), no body rotates every attached secret; the
answer is ``200 {policy_id, rotations: [{secret_path, status, old_version, new_version?, event_id}]}``.
What a rotation is follows the schedule's own due moment (rotation_api): ``auto_generate: true`` writes a
generated version now (``status: rotated``, ``secret.rotated``); ``auto_generate: false`` fires
``rotation.due {due_now: true, immediate: true}`` (``status: due``) and the next PUT of the secret completes
the rotation (``secret.rotated`` + ``rotation.completed``), as at the scheduled moment. Works on a disabled
policy too (it is a manual trigger). Scope ``admin``; the docs give rotation endpoints no rate-limit category, so it is not limited.
"""

from .errors import ApiError, validation_error
from .http_types import Response
from .secret_store import SecretStore
from .timeutil import iso, utcnow


def register(app, rotation):
    """Add the route; ``rotation`` is the RotationApi that rotation_api.register returned."""

    def rotate(request):
        body = request.json_object() if request.body else {}
        wanted = body.get("secret_path")
        if wanted is not None and not isinstance(wanted, str):
            raise validation_error("secret_path must be a string", "secret_path")
        now = utcnow()
        events, rotations = [], []
        with rotation.db.transaction() as conn:
            policy = rotation._load(conn, request)  # pylint: disable=protected-access
            paths = [row[0] for row in conn.execute(
                "SELECT path FROM secrets WHERE tenant_id = ? AND rotation_policy_id = ? AND deleted_at IS NULL ORDER BY path",
                (request.tenant_id, policy["id"]))]
            if wanted is not None:
                if wanted not in paths:
                    raise ApiError(404, "secret_not_attached", "secret %s is not attached to rotation policy %s" % (
                        wanted, policy["id"]), {"path": wanted, "id": policy["id"]})
                paths = [wanted]
            for path in paths:
                event, item = _rotate_one(conn, rotation, policy, path, now)
                events.extend(event)
                rotations.append(item)
        for event, item in zip(events, rotations):
            rotation._emit(event)  # pylint: disable=protected-access
            item["event_id"] = event.get("event_id")
        return Response(200, {"policy_id": policy["id"], "rotations": rotations})

    app.router.add("POST", "/v1/rotation/policies/{id}/rotate", rotate, scope="admin")


def _rotate_one(conn, rotation, policy, path, now):
    """([event], rotation item) for one secret; the schedule row records the rotation like a due moment."""
    tenant_id = policy["tenant_id"]
    schedule = rotation._schedule(conn, tenant_id, policy, path)  # pylint: disable=protected-access
    head = SecretStore.head(conn, tenant_id, path)
    data = {"rotation_policy_id": policy["id"], "rotation_policy_name": policy["name"], "due_at": iso(now)}
    item = {"secret_path": path, "old_version": head.version}
    if policy["auto_generate"]:
        events = rotation._auto_rotate(conn, policy, path, now, data)  # pylint: disable=protected-access
        conn.execute("UPDATE rotation_schedule SET last_rotated_at = ?, due_fired_at = NULL, overdue_fired_at = NULL,"
                     " warned = '[]', cycle_start = NULL WHERE tenant_id = ? AND path = ?", (iso(now), tenant_id, path))
        item.update(status="rotated", new_version=head.version + 1)
        return events, item
    start = rotation._cycle_start(conn, tenant_id, path, schedule)  # pylint: disable=protected-access
    conn.execute("UPDATE rotation_schedule SET cycle_start = ?, due_fired_at = ?, overdue_fired_at = NULL"
                 " WHERE tenant_id = ? AND path = ?", (iso(start), iso(now), tenant_id, path))
    item["status"] = "due"
    event = {"tenant_id": tenant_id, "path": path, "policy": policy, "event_type": "rotation.due",
             "data": dict(data, due_now=True, immediate=True)}
    return [event], item
