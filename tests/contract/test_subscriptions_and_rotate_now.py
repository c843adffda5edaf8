"""Polling subscriptions (poll, ack, redelivery) and the immediate rotation, driven with plain httpx.

Docs: https://www.scailabs.ai/en/docs/scaivault/reference/subscriptions,
https://www.scailabs.ai/en/docs/scaivault/reference/rotation, https://www.scailabs.ai/en/docs/scaivault/api-guides/rotation
"""

import time

import pytest

POLLER = "skt_contract_poller"
POLLER_ID = "sa:rotation-poller"
PATH = "environments/production/billing/db"


@pytest.fixture(name="poller")
def fixture_poller(server):
    server.dev("POST", "/_dev/tokens", json={"token": POLLER, "identity_id": POLLER_ID,
                                             "scopes": ["subscriptions:read", "subscriptions:write"]})
    return server.client(POLLER)


def subscribe(client, paths=("environments/production/**",), events=("rotation.due",)):
    response = client.post("/v1/subscriptions", json={"name": "rotation", "paths": list(paths), "events": list(events),
                                                      "delivery": {"type": "polling", "buffer_size": 10}})
    assert response.status_code == 201, response.text
    return response.json()


def rotation_policy(api, auto_generate=False):
    policy = api.post("/v1/rotation/policies", json={"name": "q", "interval": "90d", "auto_generate": auto_generate}).json()
    assert api.put("/v1/secrets/" + PATH, json={"data": {"password": "one"}}).status_code == 201
    assert api.post("/v1/rotation/policies/%s/secrets" % policy["id"], json={"secret_path": PATH}).status_code == 201
    return policy


def test_poll_ack_and_redelivery(api, poller, expect_error):
    sub = subscribe(poller)
    assert sub["id"].startswith("sub_") and sub["identity_id"] == POLLER_ID and sub["status"]
    policy = rotation_policy(api)
    started = time.monotonic()
    assert poller.get("/v1/subscriptions/%s/poll" % sub["id"], params={"timeout": 1}).json() == {"events": [], "has_more": False}
    assert time.monotonic() - started >= 0.9  # a long poll waits for the timeout
    rotated = api.post("/v1/rotation/policies/%s/rotate" % policy["id"], json={"secret_path": PATH})
    assert rotated.status_code == 200
    assert [(item["secret_path"], item["status"]) for item in rotated.json()["rotations"]] == [(PATH, "due")]
    first = poller.get("/v1/subscriptions/%s/poll" % sub["id"], params={"timeout": 5}).json()
    assert [(event["event_type"], event["path"], event["data"]["due_now"]) for event in first["events"]] == [
        ("rotation.due", PATH, True)]
    # Not acknowledged: delivered again.
    again = poller.get("/v1/subscriptions/%s/poll" % sub["id"], params={"timeout": 0}).json()
    assert [event["event_id"] for event in again["events"]] == [first["events"][0]["event_id"]]
    ack = poller.post("/v1/subscriptions/%s/ack" % sub["id"], json={"event_ids": [first["events"][0]["event_id"]]})
    assert ack.status_code == 200 and ack.json()["acknowledged"] == 1
    assert poller.get("/v1/subscriptions/%s/poll" % sub["id"], params={"timeout": 0}).json()["events"] == []
    # Only the owner polls.
    expect_error(api.get("/v1/subscriptions/%s/poll" % sub["id"], params={"timeout": 0}), 403, "access_denied")


def test_paths_and_event_types_filter_and_the_buffer_is_bounded(api, poller):
    sub = subscribe(poller, paths=("environments/production/billing/*",), events=("secret.*",))
    for index in range(12):
        api.put("/v1/secrets/environments/production/billing/k%d" % index, json={"data": {"v": "x"}})
    api.put("/v1/secrets/environments/staging/billing/k", json={"data": {"v": "x"}})
    body = poller.get("/v1/subscriptions/%s/poll" % sub["id"], params={"timeout": 0, "max_events": 100}).json()
    assert [event["path"] for event in body["events"]] == ["environments/production/billing/k%d" % i for i in range(2, 12)]
    assert {event["event_type"] for event in body["events"]} == {"secret.created"}


def test_rotate_now_with_auto_generate_writes_a_new_version(api):
    policy = rotation_policy(api, auto_generate=True)
    answer = api.post("/v1/rotation/policies/%s/rotate" % policy["id"]).json()
    assert answer["rotations"][0]["status"] == "rotated" and answer["rotations"][0]["new_version"] == 2
    secret = api.get("/v1/secrets/" + PATH).json()
    assert secret["version"] == 2 and secret["data"]["password"] != "one"


def test_rotate_now_due_is_completed_by_the_next_put(api, expect_error):
    policy = rotation_policy(api)
    expect_error(api.post("/v1/rotation/policies/%s/rotate" % policy["id"], json={"secret_path": "not/attached"}),
                 404, "secret_not_attached")
    api.post("/v1/rotation/policies/%s/rotate" % policy["id"])
    assert api.get("/v1/secrets/" + PATH).json()["version"] == 1  # event-driven: nothing written yet
    assert api.put("/v1/secrets/" + PATH, json={"data": {"password": "two"}}).json()["version"] == 2
    assert api.get("/v1/secrets/" + PATH).json()["data"] == {"password": "two"}
