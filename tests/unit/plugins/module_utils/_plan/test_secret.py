# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planning one secret's write (_plan/secret.py): no server, plain dicts in and out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.secret import (
    ACTION_CREATE, ACTION_NONE, ACTION_UPDATE, OUTCOME_APPLIED, OUTCOME_CONFLICT, OUTCOME_NOT_APPLIED, check_request,
    diff_view, matches_written, options_view, parse_timestamp, plan_present, predicted_options, public_view,
    stored_options, write_outcome)

PATH = "environments/production/billing/stripe"
SALT = b"unit-test-salt"
SECRET_VALUE = "sk_live_never_shown_4242"


def stored(**overrides):
    obj = {
        "path": PATH, "secret_type": "json", "version": 3,
        "data": {"secret_key": SECRET_VALUE, "publishable_key": "pk_live_1", "nested": {"a": 1, "b": [1, 2]}},
        "metadata": {"description": "Stripe", "owner": "team:billing", "tags": ["billing", "pci"], "source": {"x": 1}},
        "created_at": "2025-01-01T00:00:00.000000Z", "updated_at": "2025-02-01T00:00:00.000000Z",
        "expires_at": None, "last_accessed_at": None, "rotation_policy_id": None, "options": {"max_versions": None},
    }
    obj.update(overrides)
    return obj


def without_data(obj):
    obj = dict(obj)
    obj.pop("data")
    return obj


# -- create ---------------------------------------------------------------------------------------
def test_create_needs_data():
    with pytest.raises(PlanError, match="does not exist: data is required"):
        plan_present(PATH, None, metadata={"owner": "team:x"})


def test_create_plans_version_one_with_every_given_field():
    plan = plan_present(PATH, None, data={"k": "v"}, metadata={"owner": "team:x", "tags": ["a", "a", "b"], "c": 1},
                        options={"max_versions": 5, "expires_in": "1h30m"})
    assert plan.action == ACTION_CREATE and plan.changed
    assert plan.after["version"] == 1 and plan.previous_version is None
    assert plan.body == {"data": {"k": "v"}, "secret_type": "kv",
                         "metadata": {"owner": "team:x", "tags": ["a", "b"], "c": 1},
                         "options": {"max_versions": 5, "expires_in": "90m"}}
    assert plan.changed_fields == ["data", "metadata.c", "metadata.owner", "metadata.tags", "options.expires_in",
                                   "options.max_versions", "secret_type"]


def test_create_without_metadata_sends_none():
    plan = plan_present(PATH, None, data={"k": "v"}, secret_type="api_key")
    assert "metadata" not in plan.body and "options" not in plan.body
    assert plan.after["secret_type"] == "api_key"


# -- idempotency ----------------------------------------------------------------------------------
def test_same_data_in_another_key_order_is_no_change():
    current = stored()
    same = json.loads(json.dumps({"nested": {"b": [1, 2], "a": 1}, "publishable_key": "pk_live_1",
                                  "secret_key": SECRET_VALUE}))
    plan = plan_present(PATH, current, data=same, secret_type="json",
                        metadata={"owner": "team:billing", "tags": ["pci", "billing", "pci"]})
    assert plan.action == ACTION_NONE and plan.changed_fields == [] and plan.body is None
    assert plan.after == plan.before


@pytest.mark.parametrize("data", [
    {"secret_key": SECRET_VALUE, "publishable_key": "pk_live_1", "nested": {"a": 1.0, "b": [1, 2]}},
    {"secret_key": SECRET_VALUE, "publishable_key": "pk_live_1", "nested": {"a": True, "b": [1, 2]}},
    {"secret_key": SECRET_VALUE, "publishable_key": "pk_live_1", "nested": {"a": 1, "b": [2, 1]}},
    {"secret_key": SECRET_VALUE, "publishable_key": "pk_live_1"},
    {"secret_key": SECRET_VALUE + " ", "publishable_key": "pk_live_1", "nested": {"a": 1, "b": [1, 2]}},
])
def test_real_data_differences_are_changes(data):
    plan = plan_present(PATH, stored(), data=data)
    assert plan.action == ACTION_UPDATE and plan.changed_fields == ["data"]
    assert plan.body["data"] == data and plan.after["version"] == 4 and plan.previous_version == 3
    # Unchanged metadata is sent again, as stored: a tenant may clear what a PUT leaves out.
    assert plan.body["metadata"] == stored()["metadata"] and not plan.metadata_only


@pytest.mark.parametrize("kwargs, fields", [
    ({"secret_type": "kv"}, ["secret_type"]),
    ({"metadata": {"owner": "team:payments"}}, ["metadata.owner"]),
    ({"metadata": {"description": ""}}, ["metadata.description"]),
    ({"metadata": {"tags": ["billing"]}}, ["metadata.tags"]),
    ({"metadata": {"source": {"x": 2}}}, ["metadata.source"]),
    ({"metadata": {"new": None}}, ["metadata.new"]),
    ({"options": {"max_versions": 10}}, ["options.max_versions"]),
    ({"options": {"expires_in": "7d"}}, ["options.expires_in"]),
    ({"options": {"rotation_policy_id": "rot_1"}}, ["options.rotation_policy_id"]),
])
def test_metadata_type_and_option_changes_resend_the_stored_value(kwargs, fields):
    current = stored()
    plan = plan_present(PATH, current, **kwargs)
    assert plan.action == ACTION_UPDATE and plan.changed_fields == fields
    assert plan.body["data"] == current["data"]
    assert plan.after["version"] == 4


def test_unset_options_leave_everything_alone():
    plan = plan_present(PATH, stored(), metadata={}, options={"max_versions": None, "expires_in": None})
    assert plan.action == ACTION_NONE


def test_purge_tags_false_adds_only():
    plan = plan_present(PATH, stored(), metadata={"tags": ["pci", "new"]}, purge_tags=False)
    assert plan.changed_fields == ["metadata.tags"]
    assert plan.body["metadata"]["tags"] == ["billing", "pci", "new"]
    assert plan_present(PATH, stored(), metadata={"tags": ["pci"]}, purge_tags=False).action == ACTION_NONE


def test_purge_tags_true_replaces_and_empty_list_removes_all():
    plan = plan_present(PATH, stored(), metadata={"tags": []})
    assert plan.body["metadata"]["tags"] == []
    # the rest of the metadata is carried over, since a given metadata object replaces the stored one
    assert plan.body["metadata"]["owner"] == "team:billing" and plan.body["metadata"]["source"] == {"x": 1}


def test_tags_must_be_strings_and_reserved_keys_are_checked():
    with pytest.raises(PlanError, match="bare strings"):
        plan_present(PATH, stored(), metadata={"tags": [1]})
    with pytest.raises(PlanError, match="must be a string"):
        plan_present(PATH, stored(), metadata={"owner": 5})


# -- options --------------------------------------------------------------------------------------
def test_expires_in_compares_with_expires_at_minus_updated_at():
    current = stored(updated_at="2025-02-01T00:00:00.000000Z", expires_at="2025-05-02T00:00:02.500Z")
    assert stored_options(current)["expires_in"] == 90 * 86400 + 2  # round(2.5) is 2
    assert plan_present(PATH, current, options={"expires_in": "90d"}).action == ACTION_NONE
    assert plan_present(PATH, current, options={"expires_in": "2160h"}).action == ACTION_NONE
    assert plan_present(PATH, current, options={"expires_in": "89d"}).changed_fields == ["options.expires_in"]
    assert plan_present(PATH, stored(), options={"expires_in": "90d"}).changed_fields == ["options.expires_in"]


def test_expires_in_is_sent_as_a_single_unit_duration():
    plan = plan_present(PATH, stored(), options={"expires_in": "1h30m"})
    assert plan.body["options"] == {"expires_in": "90m"}


@pytest.mark.parametrize("options, message", [
    ({"expires_in": "soon"}, "invalid duration"),
    ({"expires_in": "0s"}, "longer than 0s"),
    ({"max_versions": 0}, "at least 1"),
    ({"max_versions": True}, "at least 1"),
    ({"rotation_policy_id": 5}, "must be a string"),
    ({"colour": "red"}, "unknown option"),
])
def test_bad_options_are_refused_before_any_request(options, message):
    with pytest.raises(PlanError, match=message):
        check_request(PATH, options=options)


def test_max_versions_unknown_to_the_server_never_causes_a_write():
    current = stored()
    del current["options"]
    assert "max_versions" not in stored_options(current)
    plan = plan_present(PATH, current, options={"max_versions": 7})
    assert plan.action == ACTION_NONE
    # but it travels with a write made for another reason
    plan = plan_present(PATH, current, options={"max_versions": 7}, metadata={"owner": "o"})
    assert plan.body["options"] == {"max_versions": 7}


def test_max_versions_null_means_unbounded_and_is_compared():
    assert stored_options(stored())["max_versions"] is None
    assert plan_present(PATH, stored(options={"max_versions": 7}), options={"max_versions": 7}).action == ACTION_NONE


def test_options_view_and_prediction():
    current = stored(updated_at="2025-02-01T00:00:00Z", expires_at="2025-02-08T00:00:00Z", options={"max_versions": 3})
    assert options_view(current) == {"rotation_policy_id": None, "max_versions": 3, "expires_in": "7d"}
    plan = plan_present(PATH, current, options={"max_versions": 4})
    assert predicted_options(plan, current) == {"rotation_policy_id": None, "max_versions": 4, "expires_in": "7d"}
    assert plan.after["options"] == {"max_versions": 4}


@pytest.mark.parametrize("text, ok", [
    ("2025-02-01T00:00:00Z", True), ("2025-02-01T00:00:00.1Z", True), ("2025-02-01T00:00:00.123456789+00:00", True),
    ("2025-02-01T00:00:00", True), ("yesterday", False), (None, False), ("", False),
])
def test_parse_timestamp(text, ok):
    assert (parse_timestamp(text) is not None) is ok


# -- overwrite and compare ------------------------------------------------------------------------
def test_overwrite_never_keeps_the_stored_value_but_updates_metadata():
    current = stored()
    plan = plan_present(PATH, current, data={"password": "new"}, overwrite="never")
    assert plan.action == ACTION_NONE and plan.skipped_data
    plan = plan_present(PATH, current, data={"password": "new"}, overwrite="never", metadata={"owner": "o"})
    assert plan.changed_fields == ["metadata.owner"] and plan.body["data"] == current["data"]


def test_overwrite_never_creates():
    plan = plan_present(PATH, None, data={"password": "p"}, overwrite="never")
    assert plan.action == ACTION_CREATE and plan.body["data"] == {"password": "p"}


def test_metadata_only_does_not_detect_value_changes():
    current = without_data(stored())
    plan = plan_present(PATH, current, data={"other": "value"}, compare="metadata_only")
    assert plan.action == ACTION_NONE and not plan.data_compared


def test_metadata_only_writes_given_data_with_a_metadata_change_and_says_so():
    plan = plan_present(PATH, without_data(stored()), data={"k": "v"}, metadata={"owner": "o"}, compare="metadata_only")
    assert plan.changed_fields == ["data", "metadata.owner"] and plan.body["data"] == {"k": "v"}


def test_metadata_only_without_data_plans_a_metadata_update_and_explains_the_fallback():
    plan = plan_present(PATH, without_data(stored()), metadata={"owner": "o"}, compare="metadata_only")
    # The tenant's metadata-only update can carry it; without one, there is no value to write a version with.
    assert plan.metadata_only and plan.body is None and plan.metadata["owner"] == "o"
    assert plan.changed_fields == ["metadata.owner"]
    message = plan.value_needed
    assert PATH in message and "secrets:read" in message and "Give data" in message
    assert "no metadata-only update" in message


def test_metadata_only_without_data_cannot_change_the_type_and_explains():
    with pytest.raises(PlanError) as err:
        plan_present(PATH, without_data(stored()), secret_type="kv", metadata={"owner": "o"}, compare="metadata_only")
    message = str(err.value)
    assert PATH in message and "secrets:read" in message and "Give data" in message


def test_a_metadata_change_with_the_value_known_may_go_either_way():
    plan = plan_present(PATH, stored(), metadata={"tags": ["x"]})
    assert plan.metadata_only and plan.body["data"] == stored()["data"] and plan.body["metadata"]["tags"] == ["x"]
    assert plan.metadata == plan.body["metadata"]


def test_full_compare_with_data_missing_from_the_object_behaves_like_metadata_only():
    plan = plan_present(PATH, without_data(stored()), data={"k": "v"})
    assert plan.action == ACTION_NONE and not plan.data_compared


@pytest.mark.parametrize("kwargs, message", [
    ({"data": ["not", "a", "dict"]}, "data must be a dict"),
    ({"secret_type": "password"}, "not one of"),
    ({"overwrite": "sometimes"}, "overwrite must be"),
    ({"compare": "none"}, "compare must be"),
    ({"metadata": ["x"]}, "metadata must be a dict"),
])
def test_bad_requests_name_the_path(kwargs, message):
    with pytest.raises(PlanError) as err:
        check_request(PATH, **kwargs)
    assert message in str(err.value) and PATH in str(err.value)


# -- values never leave ---------------------------------------------------------------------------
def test_views_and_plans_carry_no_value():
    current = stored()
    plan = plan_present(PATH, current, data={"secret_key": SECRET_VALUE + "2"}, metadata={"owner": "o"})
    views = [public_view(current), plan.before, plan.after, diff_view(current, SALT),
             diff_view(plan.after, SALT, data=plan.body["data"]), plan.changed_fields]
    text = json.dumps(views)
    assert SECRET_VALUE not in text
    assert "data" not in public_view(current)
    assert set(diff_view(current, SALT)["data"]) == {"secret_key", "publishable_key", "nested"}
    assert diff_view(current, SALT)["data"]["secret_key"].startswith("sha256:")


def test_diff_fingerprints_differ_only_for_changed_keys():
    current = stored()
    new_data = dict(current["data"], secret_key="rotated")
    before = diff_view(current, SALT)["data"]
    after = diff_view(current, SALT, data=new_data)["data"]
    assert before["secret_key"] != after["secret_key"]
    assert before["publishable_key"] == after["publishable_key"]


# -- lost answers ---------------------------------------------------------------------------------
def test_write_outcome():
    body = {"data": {"k": "v"}, "secret_type": "kv", "metadata": {"owner": "o"}}
    applied = {"path": PATH, "version": 4, "secret_type": "kv", "metadata": {"owner": "o"}, "data": {"k": "v"}}
    assert write_outcome(3, body, applied) == OUTCOME_APPLIED
    assert write_outcome(3, body, dict(applied, version=3)) == OUTCOME_NOT_APPLIED
    assert write_outcome(None, body, None) == OUTCOME_NOT_APPLIED
    assert write_outcome(None, body, dict(applied, version=1)) == OUTCOME_APPLIED
    assert write_outcome(3, body, dict(applied, data={"k": "other"})) == OUTCOME_CONFLICT
    assert write_outcome(3, body, dict(applied, metadata={"owner": "x"})) == OUTCOME_CONFLICT
    assert write_outcome(3, body, None) == OUTCOME_CONFLICT
    assert write_outcome(3, body, dict(applied, version=2)) == OUTCOME_CONFLICT
    # metadata-only re-read (no data): version and metadata decide
    no_data = dict(applied)
    del no_data["data"]
    assert write_outcome(3, body, no_data) == OUTCOME_APPLIED


def test_matches_written_checks_rotation_policy():
    body = {"data": {}, "secret_type": "kv", "options": {"rotation_policy_id": "rot_1"}}
    assert matches_written(body, {"secret_type": "kv", "rotation_policy_id": "rot_1"})
    assert not matches_written(body, {"secret_type": "kv", "rotation_policy_id": "rot_2"})


@pytest.mark.parametrize("body, stored, expected", [
    ({"data": {"k": 1}}, {"data": {"k": 1}}, True),                                      # nothing else was sent
    ({"data": {"k": 1}, "secret_type": "kv"}, {"data": {"k": 1}}, True),                  # stored type unset = kv
    ({"data": {"k": 1}, "secret_type": "json"}, {"data": {"k": 1}}, False),
    ({"data": {"k": 1}, "secret_type": "json"}, {"data": {"k": 1}, "secret_type": "kv"}, False),
    ({"data": {"k": 1}, "metadata": {}}, {"data": {"k": 1}}, True),                       # no stored metadata = {}
    ({"data": {"k": 1}, "metadata": {"o": 1}}, {"data": {"k": 1}, "metadata": None}, False),
    ({"data": {"k": 1}}, {"data": {"k": True}}, False),                                   # type-exact data
    ({"data": {"k": 1}}, {"data": None}, True),                                           # data not read
    ({"data": {"k": 1}, "options": {"rotation_policy_id": "r"}}, {"data": {"k": 1}}, True),  # not reported
    ({"data": {"k": 1}, "options": {"rotation_policy_id": None}}, {"rotation_policy_id": "r"}, True),
    ({"data": {"k": 1}, "options": None}, {"rotation_policy_id": "r"}, True),
])
def test_matches_written_field_by_field(body, stored, expected):
    assert matches_written(body, stored) is expected


def test_predicted_options_are_the_stored_ones_when_nothing_changes():
    current = {"version": 2, "options": {"max_versions": 3}, "expires_at": None, "rotation_policy_id": "r1"}
    plan = plan_present(PATH, dict(current, data={"k": "v"}, secret_type="kv", metadata={}), {"k": "v"}, "kv", None,
                        True, {"max_versions": 3}, "always", "full")
    assert not plan.changed
    assert predicted_options(plan, current) == options_view(current)
    assert predicted_options(plan, None) == {}


# -- exact plans (what the module reports and sends) -----------------------------------------------
def test_a_create_plan_states_what_it_compared_skipped_and_asked_for():
    plan = plan_present(PATH, None, data={"k": "v"}, metadata={"description": "Stripe key"},
                        options={"rotation_policy_id": "rot_1", "max_versions": 2})
    assert plan.after == {"path": PATH, "version": 1, "secret_type": "kv", "metadata": {"description": "Stripe key"},
                          "rotation_policy_id": "rot_1", "options": {"max_versions": 2}}
    assert plan.data_compared is True and plan.skipped_data is False and plan.metadata_only is False
    assert plan.wanted_options == {"rotation_policy_id": "rot_1", "max_versions": 2}
    assert plan.value_needed is None
    unpoliced = plan_present(PATH, None, data={"k": "v"}, compare="metadata_only")
    assert unpoliced.after == {"path": PATH, "version": 1, "secret_type": "kv", "metadata": {},
                               "rotation_policy_id": None, "options": {}}
    assert unpoliced.data_compared is False


def test_a_create_with_bad_metadata_names_the_path_and_the_field():
    with pytest.raises(PlanError) as err:
        plan_present(PATH, None, data={"k": "v"}, metadata={"owner": 5})
    assert str(err.value) == PATH + ": metadata: owner must be a string, got int"


def test_an_unchanged_secret_plan_keeps_the_wanted_options_and_says_what_it_compared():
    plan = plan_present(PATH, stored(options={"max_versions": 7}), options={"max_versions": 7})
    assert plan.action == ACTION_NONE and plan.changed is False
    assert plan.data_compared is True and plan.skipped_data is False and plan.metadata_only is False
    assert plan.wanted_options == {"max_versions": 7}
    plan.after["metadata"]["tags"].append("changed")
    assert plan.before["metadata"]["tags"] == ["billing", "pci"]


def test_overwrite_never_without_data_skips_nothing():
    plan = plan_present(PATH, stored(), overwrite="never", metadata={"owner": "o"})
    assert plan.skipped_data is False and plan.data_compared is True


def test_an_update_plan_sends_and_predicts_every_field_exactly():
    current = stored(rotation_policy_id="rot_1", options={"max_versions": 3, "expires_in": "7d"})
    plan = plan_present(PATH, current, metadata={"owner": "team:payments"})
    metadata = {"description": "Stripe", "owner": "team:payments", "tags": ["billing", "pci"], "source": {"x": 1}}
    assert plan.body == {"data": current["data"], "secret_type": "json", "metadata": metadata}
    assert plan.after == {
        "path": PATH, "version": 4, "secret_type": "json", "metadata": metadata,
        "created_at": "2025-01-01T00:00:00.000000Z", "updated_at": "2025-02-01T00:00:00.000000Z", "expires_at": None,
        "last_accessed_at": None, "rotation_policy_id": "rot_1", "options": {"max_versions": 3, "expires_in": "7d"}}
    assert plan.data_compared is True and plan.skipped_data is False and plan.value_needed is None
    retyped = plan_present(PATH, current, secret_type="kv")
    assert retyped.body["secret_type"] == "kv" and retyped.after["secret_type"] == "kv"
    bounded = plan_present(PATH, current, options={"max_versions": 4})
    assert bounded.after["options"] == {"max_versions": 4, "expires_in": "7d"}


def test_an_update_of_a_secret_without_echoed_options_predicts_none():
    current = stored()
    del current["options"]
    plan = plan_present(PATH, current, metadata={"owner": "o"})
    assert "options" not in plan.after and plan.after["rotation_policy_id"] is None


def test_an_update_with_a_new_rotation_policy_predicts_it():
    plan = plan_present(PATH, stored(), options={"rotation_policy_id": "rot_9"})
    assert plan.after["rotation_policy_id"] == "rot_9"
    assert plan.body["options"] == {"rotation_policy_id": "rot_9"}


def test_the_value_needed_message_names_the_path_the_changes_and_the_fix():
    plan = plan_present(PATH, without_data(stored()), metadata={"owner": "o", "tags": ["x"]}, compare="metadata_only")
    assert plan.value_needed == (
        PATH + ": metadata.owner, metadata.tags must change; this ScaiVault has no metadata-only update, so it writes "
        "metadata, type and options only together with the value (every write is a new version), but the stored "
        "value was not read (compare=metadata_only). Give data (it replaces the stored value), or use compare=full "
        "with a token that has secrets:read")
    skipped = plan_present(PATH, stored(), data={"k": "v"}, overwrite="never", metadata={"owner": "o"},
                           compare="metadata_only")
    assert skipped.skipped_data is True and skipped.body is None
    assert "(compare=metadata_only) and overwrite=never keeps data from being used. Give data" in skipped.value_needed
    with pytest.raises(PlanError) as err:
        plan_present(PATH, without_data(stored()), secret_type="kv", compare="metadata_only")
    assert str(err.value) == (
        PATH + ": secret_type must change; ScaiVault writes metadata, type and options only together with the value "
        "(every write is a new version), but the stored value was not read (compare=metadata_only). Give data (it "
        "replaces the stored value), or use compare=full with a token that has secrets:read")


@pytest.mark.parametrize("kwargs, message", [
    ({"overwrite": "sometimes"}, PATH + ": overwrite must be one of always, never"),
    ({"compare": "none"}, PATH + ": compare must be one of full, metadata_only"),
    ({"secret_type": "password"}, PATH + ": secret_type 'password' is not one of kv, json, certificate, ssh_key, "
                                         "api_key"),
    ({"data": ["x"]}, PATH + ": data must be a dict (ScaiVault stores a JSON object), got a list"),
    ({"options": {"colour": "red"}}, PATH + ": unknown option 'colour' (known: max_versions, expires_in, "
                                            "rotation_policy_id)"),
])
def test_a_refused_request_lists_the_choices(kwargs, message):
    with pytest.raises(PlanError) as err:
        check_request(PATH, **kwargs)
    assert str(err.value) == message


def test_check_request_without_data_checks_the_rest_only():
    assert check_request(PATH, metadata={"owner": "o"}, options={"max_versions": 1, "expires_in": "1s"}) is None


def test_an_unset_option_before_a_set_one_does_not_hide_it():
    plan = plan_present(PATH, None, data={"k": "v"}, options={"max_versions": None, "expires_in": "1h"})
    assert plan.wanted_options == {"expires_in": 3600}


def test_an_unknowable_option_does_not_hide_the_next_one():
    current = stored(options={"max_versions": 3})
    del current["expires_at"]
    plan = plan_present(PATH, current, options={"expires_in": "1d", "max_versions": 4})
    assert plan.changed_fields == ["options.max_versions"]


def test_expires_in_within_the_tolerance_is_no_change():
    current = stored(updated_at="2025-02-01T00:00:00Z", expires_at="2025-02-02T00:00:05Z")
    assert plan_present(PATH, current, options={"expires_in": "1d"}).action == ACTION_NONE
    assert plan_present(PATH, current, options={"expires_in": "86394s"}).changed_fields == ["options.expires_in"]


# -- views ----------------------------------------------------------------------------------------
def test_public_view_is_a_copy_that_leaves_the_stored_object_alone():
    current = stored()
    view = public_view(current)
    view["metadata"]["tags"].append("changed")
    assert current["metadata"]["tags"] == ["billing", "pci"]


def test_diff_view_shows_the_public_fields_options_and_fingerprints():
    current = stored(rotation_policy_id="rot_1", options={"max_versions": 3})
    view = diff_view(current, SALT)
    fingerprints = view.pop("data")
    assert set(fingerprints) == {"secret_key", "publishable_key", "nested"}
    assert view == {"path": PATH, "version": 3, "secret_type": "json", "metadata": current["metadata"],
                    "options": {"rotation_policy_id": "rot_1", "max_versions": 3, "expires_in": None}}
    view["metadata"]["tags"].append("changed")
    assert current["metadata"]["tags"] == ["billing", "pci"]
    assert diff_view(current, SALT, options={"max_versions": 9})["options"] == {"max_versions": 9}
    assert "options" not in diff_view(current, SALT, options={})
    assert diff_view({"path": PATH}, SALT) == {"path": PATH}


def test_an_expiry_at_the_write_time_shows_as_zero_seconds():
    assert options_view(stored(expires_at="2025-02-01T00:00:00Z"))["expires_in"] == "0s"


def test_predicted_options_show_a_wanted_expiry_as_a_duration():
    plan = plan_present(PATH, stored(), options={"expires_in": "90m"})
    assert predicted_options(plan, stored()) == {"rotation_policy_id": None, "max_versions": None, "expires_in": "90m"}


@pytest.mark.parametrize("text, expected", [
    ("2025-02-01T10:20:30.5Z", datetime.datetime(2025, 2, 1, 10, 20, 30, 500000, tzinfo=datetime.timezone.utc)),
    ("2025-02-01T10:20:30.5z", datetime.datetime(2025, 2, 1, 10, 20, 30, 500000, tzinfo=datetime.timezone.utc)),
    ("2025-02-01T10:20:30", datetime.datetime(2025, 2, 1, 10, 20, 30, tzinfo=datetime.timezone.utc)),
    ("2025-02-01T10:20:30.123456789+02:00",
     datetime.datetime(2025, 2, 1, 10, 20, 30, 123456, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))),
])
def test_parse_timestamp_reads_fractions_and_zones_exactly(text, expected):
    moment = parse_timestamp(text)
    assert moment == expected and moment.utcoffset() == expected.utcoffset()


def test_a_write_is_matched_on_a_secret_type_other_than_the_default():
    assert matches_written({"data": {"k": 1}, "secret_type": "json"}, {"data": {"k": 1}, "secret_type": "json"})
