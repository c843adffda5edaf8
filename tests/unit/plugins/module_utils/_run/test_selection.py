# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""list_scope: the ListSecrets calls a selection costs and what it keeps (fake ASM client)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._plan import selection as sel
from ansible_collections.scailabs.scaivault.plugins.module_utils._run import selection as run_selection

from unit.fakes import FakeAsm
from unit.fakes import asm_entry as entry


def test_list_scope_with_names_uses_one_listing_per_ten_names_and_ands_filters():
    asm = FakeAsm(entries=[entry("n%02d" % i) for i in range(12)])
    chosen, missing = run_selection.list_scope(asm, "us-east-1", names=["n%02d" % i for i in range(12)] + ["zz"],
                                               filters=[{"key": "tag-key", "values": ["team"]}],
                                               include_planned_deletion=True)
    assert len(chosen) == 12 and missing == ["zz"]
    assert len(asm.listings) == 2
    assert all(call[0][-1] == {"Key": "tag-key", "Values": ["team"]} and call[1] for call in asm.listings)


def test_list_scope_refuses_names_with_a_name_filter():
    with pytest.raises(sel.SelectionError, match="names/prefixes and a .name. filter"):
        run_selection.list_scope(FakeAsm(entries=[]), "us-east-1", names=["a"], filters=[{"key": "name", "values": ["a"]}])


def test_list_scope_sends_exactly_these_listings():
    """The filters of every ListSecrets call, word for word: filters only, prefixes (ORed with names), both."""
    asm = FakeAsm(entries=[entry("prod/a"), entry("prod/b"), entry("stage/c")])
    chosen, missing = run_selection.list_scope(asm, "us-east-1", filters=[{"key": "tag-key", "values": ["team"]}])
    assert [item["Name"] for item in chosen] == ["prod/a", "prod/b", "stage/c"] and missing == []
    assert asm.listings == [([{"Key": "tag-key", "Values": ["team"]}], False)]
    asm.listings[:] = []
    chosen, missing = run_selection.list_scope(asm, "us-east-1", names=["stage/c"], prefixes=["prod/", "prod/"],
                                               include_planned_deletion=True)
    assert [item["Name"] for item in chosen] == ["prod/a", "prod/b", "stage/c"] and missing == []
    assert asm.listings == [([{"Key": "name", "Values": ["stage/c", "prod/"]}], True)]


def test_list_scope_keeps_each_secret_once_and_only_what_was_asked():
    """A name is a prefix match in ASM: "prod/a" lists prod/ab too, which only a prefix may keep; a secret two
    chunks list is kept once."""
    asm = FakeAsm(entries=[entry("prod/a"), entry("prod/ab"), entry("x%02d" % 0)])
    names = ["prod/a"] + ["x%02d" % index for index in range(10)]
    chosen, missing = run_selection.list_scope(asm, "us-east-1", names=names)
    assert [item["Name"] for item in chosen] == ["prod/a", "x00"]
    assert missing == ["x%02d" % index for index in range(1, 10)]
    chosen, _missing = run_selection.list_scope(asm, "us-east-1", names=["prod/a"], prefixes=["prod/a", "prod/"])
    assert [item["Name"] for item in chosen] == ["prod/a", "prod/ab"]


def test_a_secret_two_listings_return_is_kept_once_and_planned_deletions_are_asked_for():
    asm = FakeAsm(entries=[entry("prod/a"), entry("prod/ab"), entry("x01")])
    names = ["prod/a"] + ["x%02d" % index for index in range(1, 10)]  # ten names: the prefix goes to a second listing
    chosen, missing = run_selection.list_scope(asm, "us-east-1", names=names, prefixes=["prod/"])
    assert [item["Name"] for item in chosen] == ["prod/a", "prod/ab", "x01"]  # "prod/a" lists prod/ab too
    assert missing == ["x%02d" % index for index in range(2, 10)] and len(asm.listings) == 2
    asm.listings[:] = []
    run_selection.list_scope(asm, "us-east-1", filters=[{"key": "tag-key", "values": ["team"]}],
                             include_planned_deletion=True)
    assert asm.listings == [([{"Key": "tag-key", "Values": ["team"]}], True)]


def test_an_arn_of_another_region_is_refused_before_any_listing():
    asm = FakeAsm(entries=[entry("prod/a")])
    with pytest.raises(run_selection.SelectionError) as info:
        run_selection.list_scope(asm, "eu-west-1", names=[entry("prod/a")["ARN"]])
    assert str(info.value).startswith("%s is in region us-east-1 but this task runs in eu-west-1" % entry("prod/a")["ARN"])
    assert asm.listings == []
