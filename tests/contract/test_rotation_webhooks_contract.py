"""Contract sections 4 (rotation policies) and 5 (webhooks), driven with plain httpx.

A loopback receiver checks every delivery's signature exactly as a real receiver would:
``X-ScaiVault-Signature: sha256=<hex HMAC-SHA256 of "{timestamp}." + raw body>`` with the
webhook's secret, plus the event id/type/timestamp headers.
"""

import datetime
import hashlib
import hmac
import http.server
import json
import threading
import time
import urllib.parse

import pytest

SECRET = "contract-webhook-secret-0123456789abcdef"


class Receiver:
    """A loopback HTTP server that records deliveries and answers ``status``."""

    def __init__(self, status=204):
        self.status = status
        self.deliveries = []
        self._cond = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # pylint: disable=invalid-name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._cond:
                    receiver.deliveries.append(({k.lower(): v for k, v in self.headers.items()}, body, self.path))
                    receiver._cond.notify_all()
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):  # quiet
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d/hook" % self.server.server_port

    def wait_for(self, count, timeout=10):
        with self._cond:
            self._cond.wait_for(lambda: len(self.deliveries) >= count, timeout)
        return list(self.deliveries)

    def events(self, event_type=None):
        found = []
        for headers, body, _path in self.deliveries:
            event = json.loads(body)
            if event_type is None or event["event_type"] == event_type:
                found.append((headers, body, event))
        return found

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def verify(headers, body, secret=SECRET):
    """Assert the documented signature and headers, like a careful receiver; return the event."""
    timestamp = headers["x-scaivault-timestamp"]
    assert abs(time.time() - int(timestamp)) < 300
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-scaivault-signature"], expected)
    event = json.loads(body)
    assert headers["x-scaivault-event-id"] == event["event_id"] and event["event_id"].startswith("evt_")
    assert headers["x-scaivault-event-type"] == event["event_type"]
    assert headers["user-agent"].startswith("ScaiVault-Webhook/")
    for key in ("timestamp", "tenant_id", "data"):
        assert key in event
    return event


@pytest.fixture
def receiver():
    rec = Receiver()
    yield rec
    rec.close()


def put(api, path, data=None, **extra):
    response = api.put("/v1/secrets/" + path, json=dict({"data": data or {"password": "p"}}, **extra))
    assert response.status_code in (200, 201), response.text
    return response.json()


def make_policy(api, **fields):
    response = api.post("/v1/rotation/policies", json=dict({"name": "quarterly", "interval": "90d"}, **fields))
    assert response.status_code == 201, response.text
    return response.json()


def make_webhook(api, url, **fields):
    body = dict({"name": "runner", "url": url, "secret": SECRET, "events": ["rotation.due"]}, **fields)
    response = api.post("/v1/webhooks", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def tick(server, when, wait=True):
    return server.dev("POST", "/_dev/rotation/tick", json={"now": when.isoformat(), "wait": wait})


def parse(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def next_rotation(api, policy_id, path):
    items = api.get("/v1/rotation/policies/%s/secrets" % policy_id).json()["secrets"]
    return parse(next(item for item in items if item["secret_path"] == path)["next_rotation_at"])


# -- rotation policies ----------------------------------------------------------------------------
def test_policy_create_defaults_and_shape(api):
    policy = make_policy(api, warn_before="7d,1d", description="db")
    assert policy["id"].startswith("rot_")
    assert policy["interval"] == "90d" and policy["interval_seconds"] == 7776000
    assert policy["grace_period"] == "48h" and policy["auto_generate"] is False and policy["webhook_ids"] == []
    assert policy["warn_before"] == "7d,1d" and policy["is_active"] is True and policy["secrets_count"] == 0
    assert policy["created_at"].endswith("Z")


def test_policy_list_get_patch_enable_disable_delete(api, expect_error):
    policy = make_policy(api)
    listing = api.get("/v1/rotation/policies").json()
    assert [item["id"] for item in listing["data"]] == [policy["id"]]
    assert listing["cursor"] is None and listing["has_more"] is False
    patched = api.patch("/v1/rotation/policies/" + policy["id"], json={"interval": "30d"}).json()
    assert patched["interval_seconds"] == 2592000 and patched["grace_period"] == "48h"
    assert api.post("/v1/rotation/policies/%s/disable" % policy["id"]).json()["is_active"] is False
    assert api.get("/v1/rotation/policies", params={"active_only": "true"}).json()["data"] == []
    assert api.post("/v1/rotation/policies/%s/enable" % policy["id"]).json()["is_active"] is True
    assert api.delete("/v1/rotation/policies/" + policy["id"]).status_code == 204
    expect_error(api.get("/v1/rotation/policies/" + policy["id"]), 404, "rotation_policy_not_found")


def test_policy_validation(api, expect_error):
    make_policy(api)
    expect_error(api.post("/v1/rotation/policies", json={"name": "quarterly", "interval": "90d"}), 409, "rotation_policy_exists")
    expect_error(api.post("/v1/rotation/policies", json={"name": "x", "interval": "ninety days"}), 400, "invalid_duration")
    expect_error(api.post("/v1/rotation/policies", json={"name": "x"}), 422, "validation_error")
    expect_error(api.post("/v1/rotation/policies", json={"name": "y", "interval": "1d", "webhook_ids": ["wh_nope"]}),
                 404, "webhook_not_found")


def test_policy_list_is_paged(api):
    for index in range(3):
        make_policy(api, name="p%d" % index)
    first = api.get("/v1/rotation/policies", params={"limit": 2}).json()
    assert len(first["data"]) == 2 and first["has_more"] is True
    rest = api.get("/v1/rotation/policies", params={"limit": 2, "cursor": first["cursor"]}).json()
    assert len(rest["data"]) == 1 and rest["has_more"] is False


def test_rotation_needs_admin_scope(server, expect_error):
    server.dev("POST", "/_dev/tokens", json={"token": "skt_no_admin", "identity_id": "sa:x", "scopes": ["secrets:read"]})
    client = server.client("skt_no_admin")
    error = expect_error(client.get("/v1/rotation/policies"), 403, "insufficient_scope")
    assert error["details"]["required_scope"] == "admin"
    expect_error(client.get("/v1/webhooks"), 403, "insufficient_scope")


def test_attach_list_detach(api, expect_error):
    policy = make_policy(api)
    put(api, "env/db/password")
    expect_error(api.post("/v1/rotation/policies/%s/secrets" % policy["id"], json={"secret_path": "env/none"}),
                 404, "secret_not_found")
    attached = api.post("/v1/rotation/policies/%s/secrets" % policy["id"], json={"secret_path": "env/db/password"})
    assert attached.status_code == 201 and attached.json()["secret_path"] == "env/db/password"
    again = api.post("/v1/rotation/policies/%s/secrets" % policy["id"], json={"secret_path": "env/db/password"})
    assert again.status_code == 201  # https://www.scailabs.ai/en/docs/scaivault/reference/rotation: attach -> 201
    assert api.get("/v1/secrets/env/db/password").json()["rotation_policy_id"] == policy["id"]
    assert api.get("/v1/rotation/policies/" + policy["id"]).json()["secrets_count"] == 1
    items = api.get("/v1/rotation/policies/%s/secrets" % policy["id"]).json()["secrets"]
    assert items[0]["secret_path"] == "env/db/password"
    assert parse(items[0]["next_rotation_at"]) - parse(items[0]["attached_at"]) >= datetime.timedelta(days=89)
    encoded = urllib.parse.quote("env/db/password", safe="")
    assert api.delete("/v1/rotation/policies/%s/secrets/%s" % (policy["id"], encoded)).status_code == 204
    expect_error(api.delete("/v1/rotation/policies/%s/secrets/%s" % (policy["id"], encoded)), 404, "secret_not_attached")
    assert api.get("/v1/secrets/env/db/password").json()["rotation_policy_id"] is None


def test_put_option_attaches_and_policy_delete_detaches(api):
    policy = make_policy(api)
    put(api, "env/api/key", options={"rotation_policy_id": policy["id"]})
    items = api.get("/v1/rotation/policies/%s/secrets" % policy["id"]).json()["secrets"]
    assert [item["secret_path"] for item in items] == ["env/api/key"]
    assert api.delete("/v1/rotation/policies/" + policy["id"]).status_code == 204
    secret = api.get("/v1/secrets/env/api/key").json()
    assert secret["rotation_policy_id"] is None and secret["data"] == {"password": "p"}


# -- webhooks -------------------------------------------------------------------------------------
def test_webhook_crud_never_returns_the_secret(api, expect_error, receiver):
    hook = make_webhook(api, receiver.url, filters={"path_prefix": "env/"})
    assert hook["id"].startswith("wh_") and hook["enabled"] is True and hook["filters"] == {"path_prefix": "env/"}
    assert "secret" not in hook
    listing = api.get("/v1/webhooks").json()
    assert [item["id"] for item in listing["webhooks"]] == [hook["id"]] and "secret" not in listing["webhooks"][0]
    expect_error(api.post("/v1/webhooks", json={"name": "runner", "url": receiver.url, "secret": SECRET,
                                                "events": ["rotation.due"]}), 409, "webhook_exists")
    patched = api.patch("/v1/webhooks/" + hook["id"], json={"events": ["rotation.due", "secret.updated"], "enabled": False})
    assert patched.json()["events"] == ["rotation.due", "secret.updated"] and patched.json()["enabled"] is False
    single = api.get("/v1/webhooks/" + hook["id"]).json()
    assert "secret" not in single and "statistics" in single and single["last_delivery"] is None
    assert api.delete("/v1/webhooks/" + hook["id"]).status_code == 204
    expect_error(api.get("/v1/webhooks/" + hook["id"]), 404, "webhook_not_found")


@pytest.mark.parametrize("body, field", [
    ({"url": "http://hooks.example.com/x"}, "url"),
    ({"events": ["no.such.event"]}, "events"),
    ({"events": []}, "events"),
    ({"secret": ""}, "secret"),
    ({"filters": {"secret_type": "password"}}, "filters.secret_type"),
])
def test_webhook_validation(api, expect_error, body, field):
    request = dict({"name": "w", "url": "https://hooks.example.com/x", "secret": SECRET, "events": ["rotation.due"]}, **body)
    error = expect_error(api.post("/v1/webhooks", json=request), 422, "validation_error")
    assert error["details"]["fields"] == [field]


def test_test_delivery_is_signed(api, receiver):
    hook = make_webhook(api, receiver.url)
    answer = api.post("/v1/webhooks/%s/test" % hook["id"]).json()
    assert answer["status"] == "success" and answer["response_code"] == 204 and answer["delivery_id"].startswith("del_")
    headers, body, _path = receiver.wait_for(1)[0]
    event = verify(headers, body)
    assert event["event_type"] == "webhook.test"
    deliveries = api.get("/v1/webhooks/%s/deliveries" % hook["id"]).json()["deliveries"]
    assert deliveries[0]["id"] == answer["delivery_id"] and deliveries[0]["status"] == "success"


def test_a_wrong_secret_does_not_verify(api, receiver):
    hook = make_webhook(api, receiver.url)
    api.post("/v1/webhooks/%s/test" % hook["id"])
    headers, body, _path = receiver.wait_for(1)[0]
    with pytest.raises(AssertionError):
        verify(headers, body, secret="another-secret")
    with pytest.raises(AssertionError):
        verify(headers, body + b" ")


def test_non_loopback_urls_are_never_contacted(api):
    hook = make_webhook(api, "https://hooks.example.com/rotate")
    answer = api.post("/v1/webhooks/%s/test" % hook["id"]).json()
    assert answer["status"] == "failed" and answer["response_code"] is None and "loopback" in answer["error"]


def test_secret_updated_events_respect_filters(api, server, receiver):
    make_webhook(api, receiver.url, events=["secret.created", "secret.updated"], filters={"path_prefix": "env/"})
    put(api, "env/a")
    put(api, "env/a", {"password": "q"})
    put(api, "other/b")
    server.dev("POST", "/_dev/webhooks/wait", json={"timeout": 10})
    events = [verify(headers, body) for headers, body, _path in receiver.wait_for(2)]
    assert [(event["event_type"], event["path"]) for event in events] == [("secret.created", "env/a"), ("secret.updated", "env/a")]
    assert events[1]["data"] == {"old_version": 1, "new_version": 2, "updated_by": "sa:contract-admin", "is_rotation": False}
    assert "password" not in json.dumps(events)


def test_secret_deleted_event_data(api, server, receiver):
    """https://www.scailabs.ai/en/docs/scaivault/reference/webhook-events: secret.deleted data is {version_count,
    deleted_by, permanent, recoverable_until}, recoverable_until absent when permanent."""
    make_webhook(api, receiver.url, events=["secret.deleted"])
    put(api, "env/soft")
    put(api, "env/soft", {"password": "two"})
    put(api, "env/hard")
    assert api.delete("/v1/secrets/env/soft").status_code == 204
    assert api.delete("/v1/secrets/env/hard", params={"permanent": "true"}).status_code == 204
    server.dev("POST", "/_dev/webhooks/wait", json={"timeout": 10})
    events = dict((event["path"], event["data"]) for event in (verify(h, b) for h, b, _p in receiver.wait_for(2)))
    soft, hard = events["env/soft"], events["env/hard"]
    assert (soft["version_count"], soft["deleted_by"], soft["permanent"]) == (2, "sa:contract-admin", False)
    until = datetime.datetime.fromisoformat(soft["recoverable_until"].replace("Z", "+00:00"))
    assert datetime.timedelta(days=29) < until - datetime.datetime.now(datetime.timezone.utc) <= datetime.timedelta(days=30)
    assert hard == {"version_count": 1, "deleted_by": "sa:contract-admin", "permanent": True}


# -- the scheduler --------------------------------------------------------------------------------
def test_rotation_due_is_delivered_signed_at_the_due_time(api, server, receiver):
    hook = make_webhook(api, receiver.url, events=["secret.updated"])  # linked through the policy instead
    policy = make_policy(api, interval="1d", webhook_ids=[hook["id"]])
    put(api, "env/db")
    api.post("/v1/rotation/policies/%s/secrets" % policy["id"], json={"secret_path": "env/db"})
    due = next_rotation(api, policy["id"], "env/db")
    assert tick(server, due - datetime.timedelta(seconds=10))["events"] == []
    fired = tick(server, due + datetime.timedelta(seconds=1))["events"]
    assert [(item["event_type"], item["path"], item["due_now"]) for item in fired] == [("rotation.due", "env/db", True)]
    headers, body, _path = receiver.wait_for(1)[0]
    event = verify(headers, body)
    assert event["event_type"] == "rotation.due" and event["path"] == "env/db"
    assert event["data"]["due_now"] is True and event["data"]["rotation_policy_id"] == policy["id"]
    assert event["identity_id"] == "system:rotation-scheduler"
    # Fired once per cycle.
    assert tick(server, due + datetime.timedelta(minutes=5))["events"] == []


def test_warnings_overdue_and_completion(api, server, receiver):
    """https://www.scailabs.ai/en/docs/scaivault/reference/webhook-events: rotation.due carries the warn_before
    threshold ("12h"); the PUT that completes a due rotation is secret.updated with is_rotation true."""
    make_webhook(api, receiver.url, events=["rotation.*", "secret.rotated", "secret.updated"])
    policy = make_policy(api, interval="1d", grace_period="2h", warn_before="12h,1h")
    put(api, "env/db")
    api.post("/v1/rotation/policies/%s/secrets" % policy["id"], json={"secret_path": "env/db"})
    due = next_rotation(api, policy["id"], "env/db")
    first = tick(server, due - datetime.timedelta(hours=6))["events"]
    assert [(item["event_type"], item["due_now"]) for item in first] == [("rotation.due", False)]
    assert tick(server, due - datetime.timedelta(hours=5))["events"] == []
    assert [item["due_now"] for item in tick(server, due - datetime.timedelta(minutes=30))["events"]] == [False]
    assert [item["due_now"] for item in tick(server, due)["events"]] == [True]
    overdue = tick(server, due + datetime.timedelta(hours=2, seconds=1))["events"]
    assert [item["event_type"] for item in overdue] == ["rotation.overdue"]
    put(api, "env/db", {"password": "rotated"})  # the owner's automation writes the new value
    server.dev("POST", "/_dev/webhooks/wait", json={"timeout": 10})
    types = [verify(headers, body)["event_type"] for headers, body, _path in receiver.deliveries]
    assert sorted(types) == sorted(["rotation.due", "rotation.due", "rotation.due", "rotation.overdue", "secret.updated",
                                    "secret.rotated", "rotation.completed"])
    warning = receiver.events("rotation.due")[0][2]["data"]
    assert warning["warn_before"] == "12h" and warning["due_now"] is False and "threshold_seconds" not in warning
    assert receiver.events("rotation.due")[1][2]["data"]["warn_before"] == "1h"
    assert receiver.events("secret.updated")[0][2]["data"]["is_rotation"] is True
    rotated = receiver.events("secret.rotated")[0][2]["data"]
    assert rotated["old_version"] == 1 and rotated["new_version"] == 2 and rotated["auto_generated"] is False


def test_auto_generate_writes_a_new_version(api, server, receiver):
    make_webhook(api, receiver.url, events=["secret.rotated"])
    policy = make_policy(api, interval="1d", auto_generate=True)
    put(api, "env/token", {"token": "t1", "user": "svc"})
    api.post("/v1/rotation/policies/%s/secrets" % policy["id"], json={"secret_path": "env/token"})
    due = next_rotation(api, policy["id"], "env/token")
    fired = tick(server, due + datetime.timedelta(seconds=1))["events"]
    assert [item["event_type"] for item in fired] == ["secret.rotated"]
    secret = api.get("/v1/secrets/env/token").json()
    assert secret["version"] == 2 and sorted(secret["data"]) == ["token", "user"] and secret["data"]["token"] != "t1"
    event = verify(*receiver.wait_for(1)[0][:2])
    assert event["data"]["auto_generated"] is True and event["data"]["new_version"] == 2
    assert "t1" not in json.dumps(event) and secret["data"]["token"] not in json.dumps(event)
    rows = api.get("/v1/audit/logs", params={"action": "rotate"}).json()["logs"]
    assert [(row["secret_path"], row["identity_id"]) for row in rows] == [("env/token", "system:rotation-scheduler")]


def test_disabled_policies_fire_nothing(api, server, receiver):
    make_webhook(api, receiver.url)
    policy = make_policy(api, interval="1d")
    put(api, "env/db")
    api.post("/v1/rotation/policies/%s/secrets" % policy["id"], json={"secret_path": "env/db"})
    due = next_rotation(api, policy["id"], "env/db")
    api.post("/v1/rotation/policies/%s/disable" % policy["id"])
    assert tick(server, due + datetime.timedelta(seconds=1))["events"] == []
    api.post("/v1/rotation/policies/%s/enable" % policy["id"])
    assert len(tick(server, due + datetime.timedelta(seconds=2))["events"]) == 1


def test_a_failing_receiver_is_recorded(api, receiver):
    receiver.status = 500
    hook = make_webhook(api, receiver.url)
    answer = api.post("/v1/webhooks/%s/test" % hook["id"]).json()
    assert answer["status"] == "failed" and answer["response_code"] == 500
    assert len(receiver.wait_for(2)) == 2  # tried twice
    failed = api.get("/v1/webhooks/%s/deliveries" % hook["id"], params={"status": "failed"}).json()["deliveries"]
    assert failed[0]["attempts"] == 2
    assert api.get("/v1/webhooks/" + hook["id"]).json()["status"] == "failing"


def test_previous_versions_are_readable_only_during_the_grace_period(api, server, expect_error):
    """https://www.scailabs.ai/en/docs/scaivault/core-concepts/rotation: after a rotation the previous version stays
    readable until the policy's grace_period ends, then ?version= of it is 404 version_not_found."""
    policy = make_policy(api, interval="1d", grace_period="2s")
    put(api, "env/graced", {"password": "one"})
    api.post("/v1/rotation/policies/%s/secrets" % policy["id"], json={"secret_path": "env/graced"})
    due = next_rotation(api, policy["id"], "env/graced")
    assert [item["due_now"] for item in tick(server, due)["events"]] == [True]
    put(api, "env/graced", {"password": "two"})  # completes the rotation
    assert api.get("/v1/secrets/env/graced", params={"version": 1}).json()["data"] == {"password": "one"}
    time.sleep(2.2)
    error = expect_error(api.get("/v1/secrets/env/graced", params={"version": 1}), 404, "version_not_found")
    assert "grace period" in error["message"]
    assert api.get("/v1/secrets/env/graced").json()["data"] == {"password": "two"}
    # Versions written without a rotation keep the ordinary rules.
    put(api, "env/graced", {"password": "three"})
    assert api.get("/v1/secrets/env/graced", params={"version": 2}).json()["data"] == {"password": "two"}
