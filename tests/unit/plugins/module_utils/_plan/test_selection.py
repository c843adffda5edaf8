# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which secrets a task selects: filters, names, ARNs and prefixes to ListSecrets requests and back (no AWS)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._plan import selection as sel
from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.selection import (
    listing_requests, select_entries_for, SelectionError)

from unit.fakes import ASM_ARN as ARN
from unit.fakes import asm_entry as entry

REGION = "us-east-1"


# -- filters, names and exact selection ---------------------------------------------------------
def test_check_filters_turns_ansible_shape_into_api_shape():
    assert sel.check_filters([{"key": "name", "values": ["prod/"]}, {"key": "tag-key", "values": ["!team"]}]) == [
        {"Key": "name", "Values": ["prod/"]}, {"Key": "tag-key", "Values": ["!team"]}]
    assert sel.check_filters(None) == []


@pytest.mark.parametrize("filters, text", [
    ([{"key": "path", "values": ["x"]}], "key must be one of"),
    ([{"key": "name", "values": []}], "at least one value"),
    ([{"key": "name", "values": ["v%d" % i for i in range(11)]}], "at most 10"),
    ([{"key": "name", "values": [""]}], "non-empty string"),
])
def test_check_filters_names_the_filter_and_the_fix(filters, text):
    with pytest.raises(sel.SelectionError, match=text):
        sel.check_filters(filters)


def test_requested_names_refuses_arns_of_another_region():
    with pytest.raises(sel.SelectionError, match="region eu-west-1 but this task runs in us-east-1"):
        sel.requested_names([ARN.replace("us-east-1", "eu-west-1") % "x"], "us-east-1")
    with pytest.raises(sel.SelectionError, match="not a Secrets Manager secret ARN"):
        sel.requested_names(["arn:aws:s3:::bucket"], "us-east-1")
    expected = [("prod/a", "prod/a"), (ARN % "prod/b", "prod/b")]
    assert sel.requested_names(["prod/a", ARN % "prod/b"], "us-east-1") == expected


def test_name_filter_chunks_hold_at_most_ten_distinct_names():
    requested = [("n%02d" % i, "n%02d" % i) for i in range(23)] + [("n00", "n00")]
    chunks = sel.name_filter_chunks(requested)
    assert [len(chunk) for chunk in chunks] == [10, 10, 3]
    assert sum(chunks, []) == ["n%02d" % i for i in range(23)]


def test_select_entries_is_exact_although_name_filters_match_prefixes():
    listed = [entry("prod/db"), entry("prod/db2"), entry("prod/db/replica")]
    chosen, missing = sel.select_entries(listed, [("prod/db", "prod/db"), ("prod/nope", "prod/nope")])
    assert [e["Name"] for e in chosen] == ["prod/db"]
    assert missing == ["prod/nope"]


def test_select_entries_by_full_and_partial_arn():
    listed = [entry("prod/db"), entry("prod/db-AbC123")]
    full, missing = sel.select_entries(listed, [(ARN % "prod/db", "prod/db")])
    assert missing == []
    assert [e["Name"] for e in full] == ["prod/db"]
    partial_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db"
    partial, missing = sel.select_entries(listed, [(partial_arn, "prod/db")])
    assert [e["Name"] for e in partial] == ["prod/db"] and missing == []


# -- listing requests and selection by names, ARNs and prefixes ---------------------------------
def test_prefixes_become_one_name_filter_and_user_filters_narrow_it():
    requests = listing_requests(prefixes=["prod/", "shared/"], filters=[{"key": "tag-key", "values": ["team"]}],
                                region=REGION)
    assert requests == [[{"Key": "tag-key", "Values": ["team"]}, {"Key": "name", "Values": ["prod/", "shared/"]}]]


def test_no_names_no_prefixes_lists_what_the_filters_allow():
    assert listing_requests(filters=[{"key": "tag-value", "values": ["prod"]}], region=REGION) == [
        [{"Key": "tag-value", "Values": ["prod"]}]]


def test_names_are_listed_by_folder_not_one_listing_per_ten_names():
    names = ["prod/billing/k%03d" % index for index in range(500)] + ["prod/orders/db"]
    assert listing_requests(names=names, region=REGION) == [[{"Key": "name", "Values": ["prod/billing/", "prod/orders/"]}]]


def test_many_folders_collapse_to_top_level_then_to_one_listing():
    names = ["prod/svc%02d/key" % index for index in range(30)]
    assert listing_requests(names=names, region=REGION) == [[{"Key": "name", "Values": ["prod/"]}]]
    names = ["team%02d/key" % index for index in range(30)]
    assert listing_requests(names=names, region=REGION) == [[]]


def test_more_than_ten_prefixes_are_split_into_listings():
    prefixes = ["p%02d/" % index for index in range(12)]
    requests = listing_requests(prefixes=prefixes, region=REGION)
    assert [len(request[0]["Values"]) for request in requests] == [10, 2]


def test_name_filter_cannot_be_combined_with_prefixes():
    with pytest.raises(SelectionError, match="cannot be combined"):
        listing_requests(prefixes=["prod/"], filters=[{"key": "name", "values": ["x"]}], region=REGION)


def test_arn_of_another_region_is_refused_before_listing():
    with pytest.raises(SelectionError, match="eu-west-1"):
        listing_requests(names=["arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/a-AbCdEf"], region=REGION)


def test_selection_by_name_arn_partial_arn_and_prefix_is_exact():
    entries = [entry(name) for name in ("prod/a", "prod/ab", "prod/b", "other/c", "dev/d")]
    chosen, missing = select_entries_for(
        entries + [entry("prod/a")], REGION,
        names=["prod/a", ARN % "prod/b", "arn:aws:secretsmanager:us-east-1:123456789012:secret:dev/d", "prod/zz"],
        prefixes=["other/"])
    assert [e["Name"] for e in chosen] == ["prod/a", "prod/b", "other/c", "dev/d"]
    assert missing == [("prod/zz", "not_found", "no secret prod/zz in region us-east-1 (or the filters exclude it)")]


def test_prefix_match_is_case_sensitive():
    chosen, _missing = select_entries_for([entry("Prod/a"), entry("prod/b")], REGION, prefixes=["prod/"])
    assert [e["Name"] for e in chosen] == ["prod/b"]
