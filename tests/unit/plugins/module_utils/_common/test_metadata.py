# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.metadata import (
    desired_metadata,
    masked_secret_view,
)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.fingerprint import fingerprint

SALT = b"test-salt"
CURRENT = {
    "description": "Stripe key",
    "owner": "team:billing",
    "tags": ["b", "a"],
    "source": {"system": "aws-secrets-manager", "version_id": "v1"},
    "cost_center": "42",
}


def test_nothing_given_changes_nothing():
    merged, changed = desired_metadata(CURRENT)
    assert merged == CURRENT and changed == []
    assert merged is not CURRENT


@pytest.mark.parametrize("kwargs, field, value", [
    ({"description": "new"}, "description", "new"),
    ({"description": ""}, "description", ""),
    ({"owner": "team:platform"}, "owner", "team:platform"),
])
def test_given_scalars_replace(kwargs, field, value):
    merged, changed = desired_metadata(CURRENT, **kwargs)
    assert merged[field] == value and changed == [field]


def test_same_scalars_are_no_change():
    assert desired_metadata(CURRENT, description="Stripe key", owner="team:billing")[1] == []


@pytest.mark.parametrize("tags, purge, expected_tags, changed", [
    # purge: exactly the given set; compared as a set, stored order kept when equal.
    (["a", "b"], True, ["b", "a"], []),
    (["a", "b", "a"], True, ["b", "a"], []),
    (["c", "a"], True, ["c", "a"], ["tags"]),
    (["a", "c", "a"], True, ["a", "c"], ["tags"]),
    ([], True, [], ["tags"]),
    # no purge: union, stored order then new ones in the user's order.
    (["c", "a", "d"], False, ["b", "a", "c", "d"], ["tags"]),
    (["a"], False, ["b", "a"], []),
    ([], False, ["b", "a"], []),
    (None, True, ["b", "a"], []),
])
def test_tags(tags, purge, expected_tags, changed):
    merged, fields = desired_metadata(CURRENT, tags=tags, purge_tags=purge)
    assert merged["tags"] == expected_tags and fields == changed


@pytest.mark.parametrize("current", [None, {}, {"description": "x"}])
def test_tags_on_a_secret_without_tags(current):
    assert desired_metadata(current, tags=[], purge_tags=True) == (dict(current or {}), [])
    merged, changed = desired_metadata(current, tags=["migrated-from-asm"], purge_tags=False)
    assert merged["tags"] == ["migrated-from-asm"] and changed == ["tags"]


def test_custom_keys_overwrite_only_themselves_and_compare_structurally():
    source = {"version_id": "v1", "system": "aws-secrets-manager"}
    merged, changed = desired_metadata(CURRENT, custom={"source": source})
    assert changed == [] and merged == CURRENT
    merged, changed = desired_metadata(CURRENT, custom={"source": {"version_id": "v2"}, "new": [1], "cost_center": 42})
    assert changed == ["cost_center", "new", "source"]
    assert merged["source"] == {"version_id": "v2"}
    assert merged["cost_center"] == 42 and merged["new"] == [1] and merged["owner"] == "team:billing"


def test_custom_none_stores_null():
    merged, changed = desired_metadata({}, custom={"k": None})
    assert merged == {"k": None} and changed == ["k"]
    assert desired_metadata(merged, custom={"k": None})[1] == []


def test_changed_fields_are_sorted():
    changed = desired_metadata(CURRENT, tags=["z"], owner="o", description="d", custom={"aaa": 1})[1]
    assert changed == ["aaa", "description", "owner", "tags"]


def test_merged_does_not_alias_the_input():
    custom_value = {"deep": [1]}
    merged, _changed = desired_metadata(CURRENT, tags=["x"], purge_tags=False, custom={"c": custom_value})
    merged["source"]["version_id"] = "changed"
    merged["c"]["deep"].append(2)
    assert CURRENT["tags"] == ["b", "a"] and CURRENT["source"]["version_id"] == "v1"
    assert custom_value == {"deep": [1]}


@pytest.mark.parametrize("kwargs, message", [
    ({"tags": "a,b"}, "tags must be a list of strings, got str"),
    ({"tags": ["ok", 2024]}, "tag 2024 is not a string (got int), but ScaiVault tags are bare strings; quote it (for example '2024')"),
    ({"owner": 5}, "owner must be a string, got int"),
    ({"custom": {"tags": ["x"]}}, "custom metadata key 'tags' is reserved; set it with the tags option instead"),
    ({"custom": {"description": "x"}}, "custom metadata key 'description' is reserved"),
])
def test_bad_input_is_refused(kwargs, message):
    with pytest.raises(ValueError) as caught:
        desired_metadata(CURRENT, **kwargs)
    assert message in str(caught.value)


SECRET_OBJ = {
    "path": "environments/production/billing/stripe",
    "version": 3,
    "secret_type": "json",
    "data": {"api_key": "sk_live_dont_show", "account": "acct_1"},
    "metadata": {"tags": ["a"]},
    "created_at": "2025-01-01T00:00:00Z",
    "updated_at": "2025-01-02T00:00:00Z",
}


def test_masked_view_has_fingerprints_and_no_values():
    view = masked_secret_view(SECRET_OBJ, SALT)
    assert view == {
        "path": "environments/production/billing/stripe",
        "version": 3,
        "secret_type": "json",
        "metadata": {"tags": ["a"]},
        "data": {"account": fingerprint("acct_1", SALT), "api_key": fingerprint("sk_live_dont_show", SALT)},
    }
    assert "sk_live_dont_show" not in repr(view)
    view["metadata"]["tags"].append("b")
    assert SECRET_OBJ["metadata"]["tags"] == ["a"]


@pytest.mark.parametrize("obj, expected", [
    (None, {}),
    ({}, {}),
    ({"path": "a", "version": 1}, {"path": "a", "version": 1}),
    ({"path": "a", "data": None}, {"path": "a"}),
])
def test_masked_view_of_partial_or_absent_objects(obj, expected):
    assert masked_secret_view(obj, SALT) == expected


def test_masked_views_of_two_versions_show_which_keys_changed_without_values():
    after = dict(SECRET_OBJ, version=4, data={"api_key": "sk_live_new", "account": "acct_1"})
    before_view, after_view = masked_secret_view(SECRET_OBJ, SALT), masked_secret_view(after, SALT)
    assert before_view["data"]["account"] == after_view["data"]["account"]
    assert before_view["data"]["api_key"] != after_view["data"]["api_key"]
    assert "sk_live" not in repr((before_view, after_view))
    assert masked_secret_view(None, SALT) == {}
