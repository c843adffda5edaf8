# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""count_by: the one counting loop behind the modules' summaries."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.counting import count_by


def test_counts_items_themselves_in_first_seen_order():
    counts = count_by(["b", "a", "b", "c"])
    assert counts == {"b": 2, "a": 1, "c": 1} and list(counts) == ["b", "a", "c"]


def test_start_keys_come_first_with_zero_and_none_keys_are_not_counted():
    items = [{"action": "skip"}, {"action": None}, {"action": "create"}, {"action": "skip"}]
    counts = count_by(items, key=lambda item: item["action"], start=("create", "update", "skip"))
    assert counts == {"create": 1, "update": 0, "skip": 2}
    assert list(counts) == ["create", "update", "skip"]
