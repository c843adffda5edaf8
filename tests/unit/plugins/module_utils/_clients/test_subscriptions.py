# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_clients/subscriptions.py: subscriptions, polling, acknowledging and the immediate rotation, read back from the dev
server in process; the [assumed] shapes it does not give from a scripted wire
(https://www.scailabs.ai/en/docs/scaivault/reference/subscriptions, .../reference/rotation)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients import subscriptions
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import (
    ScaiVaultContractError, ScaiVaultError)

from .test_scaivault import Script, make_client

POLLING = {"name": "s", "paths": ["a/**"], "events": ["secret.*"], "delivery": {"type": "polling"}}


def test_subscriptions_are_listed_updated_and_deleted(inprocess_vault):
    client = inprocess_vault.client(retries=0)
    first = subscriptions.create_subscription(client, POLLING)
    second = subscriptions.create_subscription(client, dict(POLLING, name="t"))
    assert sorted(item["name"] for item in subscriptions.list_subscriptions(client)) == ["s", "t"]
    assert dict(inprocess_vault.sent[-1].url.params) == {"limit": "1000"}
    updated = subscriptions.update_subscription(client, first["id"], {"paths": ["b/**"]})
    assert updated["paths"] == ["b/**"]
    assert (inprocess_vault.sent[-1].method, json.loads(inprocess_vault.sent[-1].content)) == ("PATCH", {"paths": ["b/**"]})
    subscriptions.delete_subscription(client, second["id"])
    assert inprocess_vault.sent[-1].method == "DELETE"
    assert [(item["id"], item["paths"]) for item in subscriptions.list_subscriptions(client)] == [(first["id"], ["b/**"])]


@pytest.mark.parametrize("answer, names", [
    ({"subscriptions": [{"name": "s"}, "junk"]}, ["s"]),
    ({"data": [{"name": "d"}]}, ["d"]),
    ([{"name": "l"}, 3], ["l"]),
    ({"subscriptions": None, "items": [{"name": "i"}]}, ["i"]),
])
def test_a_subscription_list_in_any_envelope_keeps_its_objects(answer, names):
    assert [item["name"] for item in subscriptions.list_subscriptions(make_client(Script((200, answer)), retries=0))] == names


def test_an_id_is_one_path_segment_whatever_it_holds():
    script = Script((200, {"id": "a/b"}), (204, None), (200, {"acknowledged": 0}), (200, {"events": []}))
    client = make_client(script, retries=0)
    subscriptions.update_subscription(client, "a/b", {})
    subscriptions.delete_subscription(client, "a/b")
    subscriptions.ack(client, "a/b", [])
    subscriptions.poll(client, "a/b")
    assert [request.url.raw_path.split(b"?")[0] for request in script.requests] == [
        b"/v1/subscriptions/a%2Fb", b"/v1/subscriptions/a%2Fb", b"/v1/subscriptions/a%2Fb/ack",
        b"/v1/subscriptions/a%2Fb/poll"]


def test_acknowledged_events_are_not_delivered_again(inprocess_vault):
    client = inprocess_vault.client(retries=0)
    sub = subscriptions.create_subscription(client, POLLING)
    inprocess_vault.put("a/b", {"k": "v"})
    inprocess_vault.put("a/c", {"k": "v"})
    events, _more = subscriptions.poll(client, sub["id"])
    assert [event["path"] for event in events] == ["a/b", "a/c"]
    subscriptions.ack(client, sub["id"], (event["event_id"] for event in events[:1]))
    assert json.loads(inprocess_vault.sent[-1].content) == {"event_ids": [events[0]["event_id"]]}
    assert [event["path"] for event in subscriptions.poll(client, sub["id"])[0]] == ["a/c"]


@pytest.mark.parametrize("timeout, http_timeout, wait", [
    (600, 30.0, 25), (10, 30.0, 10), (100, 120.0, 60), (60, 65.9, 60), (30, 3.0, 0), (-5, 30.0, 0)])
def test_the_long_poll_ends_before_the_connection_times_out(timeout, http_timeout, wait):
    script = Script((200, {"events": []}))
    subscriptions.poll(make_client(script, retries=0), "sub_1", timeout=timeout, http_timeout=http_timeout)
    assert dict(script.requests[0].url.params) == {"timeout": str(wait), "max_events": "100"}


def test_a_poll_after_an_event_and_more_to_come(inprocess_vault):
    client = inprocess_vault.client(retries=0)
    sub = subscriptions.create_subscription(client, POLLING)
    for name in ("a/1", "a/2", "a/3"):
        inprocess_vault.put(name, {"k": "v"})
    first, has_more = subscriptions.poll(client, sub["id"], max_events=1)
    assert ([event["path"] for event in first], has_more) == (["a/1"], True)
    assert dict(inprocess_vault.sent[-1].url.params) == {"timeout": "0", "max_events": "1"}
    rest, has_more = subscriptions.poll(client, sub["id"], since_event_id=first[0]["event_id"])
    assert ([event["path"] for event in rest], has_more) == (["a/2", "a/3"], False)
    assert dict(inprocess_vault.sent[-1].url.params) == {"timeout": "0", "max_events": "100",
                                                         "since_event_id": first[0]["event_id"]}


@pytest.mark.parametrize("answer", [{"has_more": False}, {"events": {"a": 1}}, [{"event_id": "e"}]])
def test_a_poll_answer_without_an_event_list_is_a_contract_error(answer):
    with pytest.raises(ScaiVaultContractError) as info:
        subscriptions.poll(make_client(Script((200, answer)), retries=0), "sub_1")
    assert info.value.message == ("GET /v1/subscriptions/sub_1/poll answered 200, which does not fit what the collection "
                                  "assumed: a poll answer {events: [...], has_more}. See docs/scaivault-contract.md")


def test_events_in_other_shapes_keep_what_identifies_them():
    answer = {"events": [{"id": "evt_2", "type": "secret.updated", "path": "a/b", "data": ["x"]},
                         {"event_id": "", "id": "evt_3", "event_type": "rotation.due", "timestamp": "2026-01-01T00:00:00Z",
                          "data": {"due_now": False, "threshold_seconds": 0, "version": 1.5, "due_at": None,
                                   "rotation_policy_id": "rp_1", "old_version": "3"}},
                         {"event_id": "evt_4"}, "junk"], "has_more": 1}
    events, has_more = subscriptions.poll(make_client(Script((200, answer)), retries=0), "sub_1")
    assert has_more is True
    assert events == [
        {"event_id": "evt_2", "event_type": "secret.updated", "timestamp": None, "path": "a/b", "data": {}},
        {"event_id": "evt_3", "event_type": "rotation.due", "timestamp": "2026-01-01T00:00:00Z", "path": None,
         "data": {"due_now": False, "threshold_seconds": 0, "version": 1.5, "rotation_policy_id": "rp_1",
                  "old_version": "3"}}]


def rotation_policy(vault, auto_generate):
    answer = vault.http.post("/v1/rotation/policies", json={"name": "rp", "interval": "90d", "auto_generate": auto_generate})
    assert answer.status_code == 201, answer.text
    policy_id = answer.json()["id"]
    for path in ("r/a", "r/b"):
        vault.put(path, {"k": "v"})
        assert vault.http.post("/v1/rotation/policies/%s/secrets" % policy_id, json={"secret_path": path}).status_code in (
            200, 201)
    return policy_id


def test_rotate_now_one_secret_or_all_as_the_server_reports_them(inprocess_vault):
    client = inprocess_vault.client(retries=0)
    policy_id = rotation_policy(inprocess_vault, auto_generate=True)
    assert subscriptions.rotate_now(client, policy_id, "r/b") == [
        {"secret_path": "r/b", "status": "rotated", "old_version": 1, "new_version": 2}]
    assert json.loads(inprocess_vault.sent[-1].content) == {"secret_path": "r/b"}
    assert inprocess_vault.get("r/b")["version"] == 2 and inprocess_vault.get("r/a")["version"] == 1
    assert subscriptions.rotate_now(client, policy_id) == [
        {"secret_path": "r/a", "status": "rotated", "old_version": 1, "new_version": 2},
        {"secret_path": "r/b", "status": "rotated", "old_version": 2, "new_version": 3}]
    assert json.loads(inprocess_vault.sent[-1].content) == {}


def test_rotate_now_without_generation_makes_the_secret_due(inprocess_vault):
    client = inprocess_vault.client(retries=0)
    policy_id = rotation_policy(inprocess_vault, auto_generate=False)
    assert subscriptions.rotate_now(client, policy_id, "r/a") == [
        {"secret_path": "r/a", "status": "due", "old_version": 1, "new_version": None}]
    assert inprocess_vault.get("r/a")["version"] == 1


@pytest.mark.parametrize("answer, rotations", [
    ({}, []), ({"rotations": {"r/a": "rotated"}}, []), ([], []),
    ({"rotations": [{"path": "r/a", "status": "queued", "old_version": "1", "new_version": "2"}, "junk"]},
     [{"secret_path": "r/a", "status": "queued", "old_version": None, "new_version": None}]),
])
def test_rotate_now_answers_in_other_shapes(answer, rotations):
    script = Script((200, answer))
    assert subscriptions.rotate_now(make_client(script, retries=0), "rp/1", "r/a") == rotations
    assert script.requests[0].url.raw_path == b"/v1/rotation/policies/rp%2F1/rotate"


def test_rotate_now_is_not_resent_after_an_unknown_outcome():
    script = Script((502, {"error": {"code": "bad_gateway", "message": "lost"}}), (200, {"rotations": []}))
    with pytest.raises(ScaiVaultError) as info:
        subscriptions.rotate_now(make_client(script, retries=3), "rp_1")
    assert info.value.status == 502 and len(script.requests) == 1
