# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Webhook planning (_plan/webhook.py): filters, per-field changes, when the signing secret is sent."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.webhook import (
    find_by_name, normalize_filters, send_secret, webhook_changes, webhook_view)

STORED = {"id": "wh_1", "name": "runner", "url": "https://r.example/h", "events": ["rotation.due", "secret.updated"],
          "filters": {"path_prefix": "environments/", "tags": ["b", "a"]}, "enabled": True}


def test_filters_normalize_unset_keys_and_tag_order():
    assert normalize_filters({"path_prefix": None, "secret_type": "json", "tags": ["b", "a", "b"]}) == {
        "secret_type": "json", "tags": ["a", "b"]}
    assert normalize_filters(None) is None
    assert normalize_filters({}) == {}


def test_no_change_when_equal_as_sets():
    assert webhook_changes(STORED, url="https://r.example/h", events=["secret.updated", "rotation.due", "rotation.due"],
                           filters={"path_prefix": "environments/", "tags": ["a", "b"], "secret_type": None},
                           enabled=True) == {}


def test_unset_options_leave_fields_alone():
    assert webhook_changes(STORED) == {}


def test_changes_are_reported_per_field():
    changes = webhook_changes(STORED, events=["rotation.due"], filters={}, enabled=False)
    assert changes == {"events": ["rotation.due"], "filters": {}, "enabled": False}


def test_new_webhook_sends_everything_given():
    assert webhook_changes(None, url="https://x", events=["a", "a"]) == {"url": "https://x", "events": ["a"]}


@pytest.mark.parametrize("webhook, secret, mode, sent", [
    (None, "s", "on_create", True), (STORED, "s", "on_create", False), (STORED, "s", "always", True),
    (STORED, None, "always", False), (None, None, "on_create", False)])
def test_secret_is_sent_only_as_documented(webhook, secret, mode, sent):
    assert send_secret(webhook, secret, mode) is sent


def test_view_never_carries_unknown_fields():
    view = webhook_view(dict(STORED, secret="x", _secret="y"))
    assert "secret" not in view and "_secret" not in view
    assert view["events"] == ["rotation.due", "secret.updated"] and view["filters"]["tags"] == ["a", "b"]
    assert webhook_view(None) == {}


def test_find_by_name_refuses_duplicates():
    assert find_by_name([{"id": "1", "name": "a"}], "a", "webhook")["id"] == "1"
    assert find_by_name([], "a", "webhook") is None
    with pytest.raises(ScaiVaultError, match="2 webhooks are named 'a'"):
        find_by_name([{"id": "1", "name": "a"}, {"id": "2", "name": "a"}], "a", "webhook")
