# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_run/subscriptions.py against the dev server in process: a polling subscription managed by name, read back out of
band (https://www.scailabs.ai/en/docs/scaivault/reference/subscriptions)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError, ScaiVaultUnknownOutcome
from ansible_collections.scailabs.scaivault.plugins.module_utils._run import subscriptions as run

from unit.plugins.module_utils._clients.test_scaivault import Script, make_client


def held(vault):
    """{name: subscription} as the server holds them (out of band)."""
    return dict((item["name"], item) for item in vault.http.get("/v1/subscriptions").json()["subscriptions"])


def test_the_view_shows_sorted_lists_and_the_delivery_only():
    subscription = {"id": "sub_1", "name": "s", "paths": ["b/**", "a/**"], "events": ["secret.*", "rotation.due"],
                    "identity_id": "user:x", "filters": {"x": 1}, "delivery": {"type": "polling", "buffer_size": 50, "url": "u"}}
    assert run.subscription_view(subscription) == {
        "id": "sub_1", "name": "s", "identity_id": "user:x", "paths": ["a/**", "b/**"],
        "events": ["rotation.due", "secret.*"], "delivery": {"type": "polling", "buffer_size": 50}}
    assert run.subscription_view({"name": "s", "paths": "a/**", "delivery": "polling"}) == {
        "name": "s", "paths": "a/**", "delivery": {}}
    assert run.subscription_view(None) == {} and run.subscription_view({}) == {}


STORED = {"id": "sub_1", "paths": ["a/**", "b/**"], "events": ["secret.*"], "delivery": {"type": "polling", "buffer_size": 100}}


@pytest.mark.parametrize("subscription, paths, events, buffer_size, changes", [
    (None, ["a/**", "a/**"], ["secret.*"], None, {"paths": ["a/**"], "events": ["secret.*"], "delivery": {"type": "polling"}}),
    (None, None, None, 10, {"delivery": {"type": "polling", "buffer_size": 10}}),
    (STORED, ["b/**", "a/**", "b/**"], ["secret.*"], 100, {}),
    (STORED, ["a/**"], None, None, {"paths": ["a/**"]}),
    (STORED, None, ["secret.*", "rotation.due"], None, {"events": ["secret.*", "rotation.due"]}),
    (STORED, None, None, 50, {"delivery": {"type": "polling", "buffer_size": 50}}),
    (dict(STORED, paths=None, delivery=None), ["a/**"], None, 100,
     {"paths": ["a/**"], "delivery": {"type": "polling", "buffer_size": 100}}),
])
def test_changes_compare_paths_and_events_as_sets(subscription, paths, events, buffer_size, changes):
    assert run.subscription_changes(subscription, paths, events, buffer_size) == changes


def test_ensure_creates_then_updates_then_leaves_alone(inprocess_vault):
    client = inprocess_vault.client(retries=0)
    changes = run.subscription_changes(None, ["a/**"], ["secret.*"], None)
    created = run.ensure(client, "s", None, changes)
    assert held(inprocess_vault)["s"]["id"] == created["id"]
    found = run.find_subscription(client, "s")
    assert found["id"] == created["id"] and run.required(client, "s")["id"] == created["id"]
    updated = run.ensure(client, "s", found, {"paths": ["b/**"]})
    assert updated["paths"] == ["b/**"] and held(inprocess_vault)["s"]["paths"] == ["b/**"]
    del inprocess_vault.sent[:]
    assert run.ensure(client, "s", updated, {}) is updated and inprocess_vault.sent == []
    run.remove(client, updated)
    assert held(inprocess_vault) == {} and run.find_subscription(client, "s") is None


def test_an_update_answered_without_a_body_is_the_subscription_with_the_changes():
    script = Script((204, None))
    stored = {"id": "sub_1", "name": "s", "paths": ["a/**"]}
    assert run.ensure(make_client(script, retries=0), "s", stored, {"paths": ["b/**"]}) == {
        "id": "sub_1", "name": "s", "paths": ["b/**"]}
    assert script.methods() == [("PATCH", "/v1/subscriptions/sub_1")]


def test_a_create_whose_answer_was_lost_is_found_by_name(inprocess_vault):
    client = inprocess_vault.client(retries=0)
    inprocess_vault.faults([{"kind": "drop_after", "method": "POST", "path_regex": "^/v1/subscriptions$", "count": 1}])
    found = run.ensure(client, "s", None, run.subscription_changes(None, ["a/**"], ["secret.*"], None))
    assert found["id"] == held(inprocess_vault)["s"]["id"]
    assert [request.method for request in inprocess_vault.sent].count("POST") == 1
    inprocess_vault.faults([{"kind": "drop_before", "method": "POST", "path_regex": "^/v1/subscriptions$", "count": 1}])
    with pytest.raises(ScaiVaultUnknownOutcome):
        run.ensure(client, "t", None, run.subscription_changes(None, ["a/**"], ["secret.*"], None))
    assert sorted(held(inprocess_vault)) == ["s"]


def test_a_missing_subscription_names_the_module_and_the_token_rule(inprocess_vault):
    with pytest.raises(PlanError) as info:
        run.required(inprocess_vault.client(retries=0), "s")
    assert str(info.value) == ("subscription s does not exist for this identity; create it with "
                               "scailabs.scaivault.scaivault_subscription using the same token (subscriptions are owned)")


def test_events_are_polled_within_the_connection_timeout_and_acknowledged(inprocess_vault):
    client = inprocess_vault.client(retries=0, timeout=12)
    subscription = run.ensure(client, "s", None, run.subscription_changes(None, ["a/**"], ["secret.*"], None))
    inprocess_vault.put("a/b", {"k": "v"})
    inprocess_vault.put("a/c", {"k": "v"})
    events, has_more = run.poll_events(client, subscription, timeout=30, max_events=1)
    assert ([event["path"] for event in events], has_more) == (["a/b"], True)
    assert dict(inprocess_vault.sent[-1].url.params) == {"timeout": "7", "max_events": "1"}
    run.acknowledge(client, subscription, [events[0]["event_id"]])
    assert [event["path"] for event in run.poll_events(client, subscription, timeout=0, max_events=10)[0]] == ["a/c"]


def test_rotate_now_reports_the_rotation(inprocess_vault):
    client = inprocess_vault.client(retries=0)
    policy_id = inprocess_vault.http.post("/v1/rotation/policies", json={"name": "rp", "interval": "90d"}).json()["id"]
    inprocess_vault.put("r/a", {"k": "v"})
    inprocess_vault.http.post("/v1/rotation/policies/%s/secrets" % policy_id, json={"secret_path": "r/a"})
    assert run.rotate_now(client, policy_id, "r/a") == [
        {"secret_path": "r/a", "status": "due", "old_version": 1, "new_version": None}]
