# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The region's state record, pure part: what counts, what a digest covers, what the reasons say."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._plan import region_state as rs


def test_stable_drops_volatile_keys_at_any_depth_and_keeps_the_rest():
    value = {"path": "a/b", "version": 3, "last_accessed_at": "t1",
             "nested": [{"status": "syncing", "config": {"region": "us-east-1", "LastAccessedDate": "d"}}]}
    assert rs.stable(value) == {"path": "a/b", "version": 3, "nested": [{"config": {"region": "us-east-1"}}]}


def test_digest_ignores_read_bookkeeping_but_sees_every_other_field():
    base = {"path": "a/b", "version": 3, "metadata": {"owner": "team:a"}, "last_accessed_at": "2026-12-01T10:00:00Z"}
    read_later = dict(base, last_accessed_at="2026-12-01T11:00:00Z")
    assert rs.digest(base) == rs.digest(read_later)
    for changed in (dict(base, version=4), dict(base, metadata={"owner": "team:b"}), dict(base, rotation_policy_id="p")):
        assert rs.digest(changed) != rs.digest(base)


def test_digest_takes_datetimes_and_is_independent_of_key_order():
    when = datetime.datetime(2026, 12, 1, 10, 0, 0)
    assert rs.digest({"a": 1, "b": when}) == rs.digest({"b": when, "a": 1})
    assert rs.digest({"b": when}) != rs.digest({"b": when + datetime.timedelta(seconds=1)})


def test_listing_digest_counts_and_ignores_order():
    items = [{"ARN": "arn:2", "Name": "b"}, {"ARN": "arn:1", "Name": "a"}]
    assert rs.listing_digest(items, "ARN") == rs.listing_digest(list(reversed(items)), "ARN")
    assert rs.listing_digest(items, "ARN")["count"] == 2
    assert rs.listing_digest(items[:1], "ARN")["digest"] != rs.listing_digest(items, "ARN")["digest"]


@pytest.mark.parametrize("template, prefix", [
    ("fleet/us-east-1/apps/**", "fleet/us-east-1/apps/"),
    ("a/b*/c", "a/"),
    ("a/*", "a/"),
    ("**", ""),
    ("plain/path", "plain/path"),
])
def test_static_prefix(template, prefix):
    assert rs.static_prefix(template) == prefix


def test_target_prefixes_keep_the_fewest_that_cover_every_rule():
    namespaces = [
        {"mapping": [{"match": "prod/apps/**", "path": "apps/**"}, {"match": "prod/apps2/**", "path": "apps/two/**"}]},
        {"mapping": [{"match": "prod/db/*", "path": "db/*"}]},
        {"mapping": []},
    ]
    assert rs.target_prefixes(namespaces) == ["apps/", "db/"]
    assert rs.target_prefixes([{"mapping": [{"match": "x/**", "path": "**"}]}, {"mapping": {"y/*": "y/*"}}]) == [""]


def test_asm_name_prefixes_unite_prefixes_names_and_extra_ones():
    namespaces = [{"prefixes": ["prod/apps/"]}, {"names": ["prod/db/main"], "prefixes": None}]
    assert rs.asm_name_prefixes(namespaces, ["prod/"]) == ["prod/", "prod/apps/", "prod/db/main"]
    assert rs.asm_name_prefixes([]) == []


def current(**parts):
    base = {"inputs": "i", "asm": {"count": 2, "digest": "a"}, "targets": {"count": 2, "digest": "t"},
            "credentials": {}, "backends": {"aws-us-east-1": "b"}, "rotation_policies": {"asm-db": "p"},
            "webhooks": {}}
    base.update(parts)
    return {"parts": base}


def test_differences_none_when_every_part_is_equal():
    record = rs.record_document(current(), {"migrate": {}}, "2026-12-01T00:00:00Z")
    assert rs.differences(record, current()) == []


def test_differences_without_a_record_or_with_another_format():
    assert "no state record yet" in rs.differences(None, current())[0]
    assert "another format" in rs.differences({"format": 99, "parts": {}}, current())[0]
    assert "another format" in rs.differences("text", current())[0]


def test_differences_name_the_part_and_what_differs():
    record = rs.record_document(current(), {}, "t")
    reasons = rs.differences(record, current(asm={"count": 3, "digest": "z"}, backends={"aws-us-east-1": "c"},
                                             targets={"count": 2, "digest": "u"}, inputs="j"))
    assert reasons == [
        "the run's input (host variables, collection version) changed",
        "the ASM secrets of the region changed (2 then, 3 now)",
        "the ScaiVault secrets under the namespaces' targets changed (same count, other content)",
        "the federation backends of the region changed: aws-us-east-1",
    ]


def test_record_document_holds_digests_summary_and_no_inputs():
    document = rs.record_document(current(), {"migrate": {"counts": {"total": 5}}}, "t", job="awx-1",
                                  collection_version="0.1.0")
    assert document == {"format": rs.RECORD_FORMAT, "parts": current()["parts"], "recorded_at": "t", "job": "awx-1",
                        "collection_version": "0.1.0", "summary": {"migrate": {"counts": {"total": 5}}}}
