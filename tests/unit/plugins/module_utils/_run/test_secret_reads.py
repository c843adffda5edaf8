# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""metadata_of: one batch-metadata read for many secret paths, in order, missing and denied paths told apart."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import ScaiVaultError
from ansible_collections.scailabs.scaivault.plugins.module_utils._run.secret_reads import metadata_of

PATH = "environments/production/billing/stripe"
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


class FakeClient:
    def __init__(self, found, errors):
        self.answer = (found, errors)
        self.calls = []

    def batch_metadata(self, paths):
        self.calls.append(list(paths))
        return self.answer


def test_metadata_of_orders_and_reports_missing():
    found = {"b": without_data(stored(path="b")), "a": without_data(stored(path="a"))}
    client = FakeClient(found, {"c": {"code": "secret_not_found", "message": "secret c not found"}})
    secrets, missing = metadata_of(client, ["a", "c", "b", "a"])
    assert [s["path"] for s in secrets] == ["a", "b"] and missing == ["c"]
    assert client.calls == [["a", "c", "b"]]


def test_metadata_of_raises_on_denied_paths():
    client = FakeClient({}, {"a": {"code": "access_denied", "message": "policy denies list on a"}})
    with pytest.raises(ScaiVaultError) as err:
        metadata_of(client, ["a"])
    assert err.value.status == 403 and err.value.path == "a" and err.value.code == "access_denied"
