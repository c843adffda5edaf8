# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rotation policy planning (_plan/rotation_policy.py): canonical durations, changes, secrets to attach or detach."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.rotation_policy import (
    canonical_duration, canonical_warn_before, enabled_action, planned_policy, policy_changes, policy_view,
    resolve_webhook_refs, secret_changes, wanted_fields)

STORED = {"id": "rot_1", "name": "quarterly", "description": "db", "interval": "90d", "interval_seconds": 7776000,
          "grace_period": "48h", "warn_before": "7d,1d", "auto_generate": False, "secret_policy_id": None,
          "webhook_ids": ["wh_b", "wh_a"], "is_active": True}


@pytest.mark.parametrize("given, canonical", [("2160h", "90d"), ("90d", "90d"), ("129600m", "90d"), ("36h", "36h"),
                                              ("1h30m", "90m"), ("7776000s", "90d")])
def test_durations_are_sent_in_canonical_form(given, canonical):
    assert canonical_duration(given, "interval") == canonical


@pytest.mark.parametrize("bad", ["90 days", "", "d90", "0s", "-1d"])
def test_bad_durations_name_the_option(bad):
    with pytest.raises(PlanError, match="^interval: "):
        canonical_duration(bad, "interval")


def test_warn_before_is_sorted_longest_first_without_repeats():
    assert canonical_warn_before(["1d", "168h", "7d"]) == "7d,1d"
    assert canonical_warn_before("24h,7d") == "7d,1d"
    assert canonical_warn_before([]) == ""


def test_same_lengths_written_differently_are_not_a_change():
    wanted = wanted_fields(interval="2160h", grace_period="2d", warn_before=["24h", "168h"], description="db",
                           auto_generate=False)
    assert policy_changes(STORED, wanted) == {}


def test_interval_falls_back_to_interval_seconds():
    stored = dict(STORED, interval=None)
    assert policy_changes(stored, wanted_fields(interval="90d")) == {}
    assert policy_changes(stored, wanted_fields(interval="30d")) == {"interval": "30d"}


def test_only_differences_are_patched_and_unset_options_leave_fields_alone():
    wanted = wanted_fields(interval="30d", auto_generate=True)
    assert policy_changes(STORED, wanted) == {"interval": "30d", "auto_generate": True}
    assert policy_changes(STORED, wanted_fields()) == {}


def test_webhook_ids_compare_as_a_set_and_empty_list_clears():
    assert policy_changes(STORED, wanted_fields(webhook_ids=["wh_a", "wh_b"])) == {}
    assert policy_changes(STORED, wanted_fields(webhook_ids=[])) == {"webhook_ids": []}


def test_new_policy_sends_every_given_field():
    assert policy_changes(None, wanted_fields(interval="2160h", warn_before="1d")) == {"interval": "90d",
                                                                                       "warn_before": "1d"}


def test_warn_before_emptied():
    assert policy_changes(STORED, wanted_fields(warn_before=[])) == {"warn_before": ""}
    assert policy_changes(dict(STORED, warn_before=None), wanted_fields(warn_before=[])) == {}


def test_description_empty_string_equals_absent():
    assert policy_changes(dict(STORED, description=None), wanted_fields(description="")) == {}
    assert policy_changes(STORED, wanted_fields(description="")) == {"description": ""}


@pytest.mark.parametrize("active, enabled, action", [(True, None, None), (True, True, None), (True, False, "disable"),
                                                     (False, True, "enable"), (False, False, None)])
def test_enable_disable(active, enabled, action):
    assert enabled_action(dict(STORED, is_active=active), enabled) == action


def test_a_new_policy_starts_enabled():
    assert enabled_action(None, True) is None
    assert enabled_action(None, False) == "disable"


def test_resolve_webhooks_by_id_or_name():
    hooks = [{"id": "wh_1", "name": "runner"}, {"id": "wh_2", "name": "audit"}, {"id": "wh_3", "name": "dup"},
             {"id": "wh_4", "name": "dup"}]
    assert resolve_webhook_refs(["runner", "wh_2", "wh_1"], hooks) == (["wh_1", "wh_2"], [], [])
    assert resolve_webhook_refs(["nope", "dup", "wh_3"], hooks) == (["wh_3"], ["nope"], ["dup"])


def test_a_webhook_id_wins_over_a_name_that_looks_like_it():
    hooks = [{"id": "wh_1", "name": "wh_2"}, {"id": "wh_2", "name": "other"}]
    assert resolve_webhook_refs(["wh_2"], hooks) == (["wh_2"], [], [])


class TestSecrets:
    def test_unset_secrets_never_detach_even_with_purge(self):
        assert secret_changes(["a", "b"], None, True, None) == ([], [])

    def test_attach_only_adds(self):
        assert secret_changes(["a"], ["b", "a", "b"], False, None) == (["b"], [])

    def test_purge_detaches_the_rest(self):
        assert secret_changes(["a", "c"], ["b", "a"], True, None) == (["b"], ["c"])
        assert secret_changes(["a", "c"], [], True, None) == ([], ["a", "c"])

    def test_explicit_detach_ignores_unattached(self):
        assert secret_changes(["a", "c"], None, False, ["c", "x"]) == ([], ["c"])

    def test_one_path_in_both_lists_is_an_error(self):
        with pytest.raises(PlanError, match="both secrets and detach"):
            secret_changes([], ["a"], False, ["a"])


def test_views_and_planned_policy():
    after = planned_policy(STORED, "quarterly", {"interval": "30d"}, "disable")
    assert after["interval_seconds"] == 30 * 86400 and after["is_active"] is False
    view = policy_view(after, ["b", "a"])
    assert view["enabled"] is False and view["secrets"] == ["a", "b"] and view["webhook_ids"] == ["wh_a", "wh_b"]
    assert policy_view(None) == {}
    new = planned_policy(None, "n", {"interval": "1d"}, None)
    assert new["name"] == "n" and new["is_active"] is True and "id" not in new


def test_one_second_is_the_shortest_duration_and_threshold():
    assert canonical_duration("1s", "interval") == "1s"
    assert canonical_warn_before("1s,1m") == "1m,1s"


@pytest.mark.parametrize("value", ["7d,0s", ["0s"]])
def test_a_zero_warn_before_threshold_is_refused_naming_the_option(value):
    with pytest.raises(PlanError) as err:
        canonical_warn_before(value)
    assert str(err.value) == "warn_before: every threshold must be a positive duration (got %r)" % (value,)


def test_an_unreadable_warn_before_names_the_option():
    with pytest.raises(PlanError) as err:
        canonical_warn_before("soon")
    assert str(err.value).startswith("warn_before: invalid warn_before 'soon', item 1: invalid duration 'soon'")


def test_a_bad_grace_period_names_grace_period():
    with pytest.raises(PlanError) as err:
        wanted_fields(grace_period="0s")
    assert str(err.value) == "grace_period: '0s' is not a positive duration"


def test_a_stored_grace_period_never_falls_back_to_interval_seconds():
    stored = dict(STORED, grace_period=None)
    assert policy_changes(stored, wanted_fields(grace_period="90d")) == {"grace_period": "90d"}


def test_secret_policy_id_is_compared_and_patched():
    assert wanted_fields(secret_policy_id="sp_1") == {"secret_policy_id": "sp_1"}
    assert policy_changes(STORED, wanted_fields(secret_policy_id="sp_1")) == {"secret_policy_id": "sp_1"}
    assert policy_changes(dict(STORED, secret_policy_id="sp_1"), wanted_fields(secret_policy_id="sp_1")) == {}


@pytest.mark.parametrize("stored, wanted, changes", [
    (None, False, {}), (True, True, {}), (False, False, {}), (None, True, {"auto_generate": True}),
    (True, False, {"auto_generate": False}),
])
def test_auto_generate_compares_as_a_boolean(stored, wanted, changes):
    assert policy_changes(dict(STORED, auto_generate=stored), wanted_fields(auto_generate=wanted)) == changes


def test_a_policy_that_does_not_say_whether_it_is_active_is_active():
    policy = dict(STORED)
    del policy["is_active"]
    assert enabled_action(policy, False) == "disable" and enabled_action(policy, True) is None
    assert policy_view(policy)["enabled"] is True


def test_without_purge_nothing_is_detached():
    assert secret_changes(["a", "c"], ["a"]) == ([], [])


def test_paths_in_both_lists_are_named():
    with pytest.raises(PlanError) as err:
        secret_changes([], ["b", "a", "c"], False, ["a", "b"])
    assert str(err.value) == "a, b listed in both secrets and detach; list each path in one of them only"


def test_policy_view_shows_the_name_fields_and_state():
    assert policy_view(STORED) == {
        "name": "quarterly", "description": "db", "interval": "90d", "grace_period": "48h", "warn_before": "7d,1d",
        "auto_generate": False, "secret_policy_id": None, "webhook_ids": ["wh_a", "wh_b"], "enabled": True}


def test_a_planned_new_policy_has_the_server_defaults():
    assert planned_policy(None, "n", {"interval": "1d"}, None) == {
        "name": "n", "is_active": True, "grace_period": "48h", "auto_generate": False, "webhook_ids": [],
        "interval": "1d", "interval_seconds": 86400}
    assert planned_policy(dict(STORED, is_active=False), "quarterly", {}, "enable")["is_active"] is True
