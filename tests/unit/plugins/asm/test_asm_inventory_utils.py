# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Classification, scope selection, CLI rendering and Markdown of ASM inventory entries (no servers)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest
from dateutil.tz import tzlocal, tzutc

from ansible_collections.scailabs.scaivault.plugins.module_utils import _inventory as inv

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:%s-AbC123"
WHEN = datetime.datetime(2026, 5, 1, 12, 0, 0, tzinfo=tzutc())


def entry(name, **fields):
    result = {"ARN": ARN % name, "Name": name, "CreatedDate": WHEN, "LastChangedDate": WHEN,
              "SecretVersionsToStages": {"v-1": ["AWSPREVIOUS"], "v-2": ["AWSCURRENT"]}}
    result.update(fields)
    return result


# -- ARNs and scope -----------------------------------------------------------------------------
def test_parse_arn_strips_the_random_suffix_only_from_full_arns():
    assert inv.parse_arn(ARN % "prod/db") == {"partition": "aws", "region": "us-east-1", "account": "123456789012",
                                              "name": "prod/db", "resource": "prod/db-AbC123"}
    assert inv.parse_arn("arn:aws-cn:secretsmanager:cn-north-1:1:secret:x")["partition"] == "aws-cn"
    assert inv.parse_arn("prod/db") is None
    assert inv.parse_arn("arn:aws:s3:::bucket") is None


def test_check_filters_turns_ansible_shape_into_api_shape():
    assert inv.check_filters([{"key": "name", "values": ["prod/"]}, {"key": "tag-key", "values": ["!team"]}]) == [
        {"Key": "name", "Values": ["prod/"]}, {"Key": "tag-key", "Values": ["!team"]}]
    assert inv.check_filters(None) == []


@pytest.mark.parametrize("filters, text", [
    ([{"key": "path", "values": ["x"]}], "key must be one of"),
    ([{"key": "name", "values": []}], "at least one value"),
    ([{"key": "name", "values": ["v%d" % i for i in range(11)]}], "at most 10"),
    ([{"key": "name", "values": [""]}], "non-empty string"),
])
def test_check_filters_names_the_filter_and_the_fix(filters, text):
    with pytest.raises(inv.SelectionError, match=text):
        inv.check_filters(filters)


def test_requested_names_refuses_arns_of_another_region():
    with pytest.raises(inv.SelectionError, match="region eu-west-1 but this task runs in us-east-1"):
        inv.requested_names([ARN.replace("us-east-1", "eu-west-1") % "x"], "us-east-1")
    with pytest.raises(inv.SelectionError, match="not a Secrets Manager secret ARN"):
        inv.requested_names(["arn:aws:s3:::bucket"], "us-east-1")
    expected = [("prod/a", "prod/a"), (ARN % "prod/b", "prod/b")]
    assert inv.requested_names(["prod/a", ARN % "prod/b"], "us-east-1") == expected


def test_name_filter_chunks_hold_at_most_ten_distinct_names():
    requested = [("n%02d" % i, "n%02d" % i) for i in range(23)] + [("n00", "n00")]
    chunks = inv.name_filter_chunks(requested)
    assert [len(chunk) for chunk in chunks] == [10, 10, 3]
    assert sum(chunks, []) == ["n%02d" % i for i in range(23)]


def test_select_entries_is_exact_although_name_filters_match_prefixes():
    listed = [entry("prod/db"), entry("prod/db2"), entry("prod/db/replica")]
    chosen, missing = inv.select_entries(listed, [("prod/db", "prod/db"), ("prod/nope", "prod/nope")])
    assert [e["Name"] for e in chosen] == ["prod/db"]
    assert missing == ["prod/nope"]


def test_select_entries_by_full_and_partial_arn():
    listed = [entry("prod/db"), entry("prod/db-AbC123")]
    full, missing = inv.select_entries(listed, [(ARN % "prod/db", "prod/db")])
    assert missing == []
    assert [e["Name"] for e in full] == ["prod/db"]
    partial_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db"
    partial, missing = inv.select_entries(listed, [(partial_arn, "prod/db")])
    assert [e["Name"] for e in partial] == ["prod/db"] and missing == []


class FakeAsm:
    def __init__(self, entries):
        self.entries = entries
        self.calls = []

    def list_secrets(self, filters=None, include_planned_deletion=False):
        self.calls.append((filters, include_planned_deletion))
        prefixes = [f["Values"] for f in filters or [] if f["Key"] == "name"]
        for item in self.entries:
            if all(any(item["Name"].startswith(p) for p in values) for values in prefixes):
                yield item


def test_list_scope_with_names_uses_one_listing_per_ten_names_and_ands_filters():
    asm = FakeAsm([entry("n%02d" % i) for i in range(12)])
    chosen, missing = inv.list_scope(asm, "us-east-1", names=["n%02d" % i for i in range(12)] + ["zz"],
                                     filters=[{"key": "tag-key", "values": ["team"]}], include_planned_deletion=True)
    assert len(chosen) == 12 and missing == ["zz"]
    assert len(asm.calls) == 2
    assert all(call[0][-1] == {"Key": "tag-key", "Values": ["team"]} and call[1] for call in asm.calls)


def test_list_scope_refuses_names_with_a_name_filter():
    with pytest.raises(inv.SelectionError, match="names and a 'name' filter"):
        inv.list_scope(FakeAsm([]), "us-east-1", names=["a"], filters=[{"key": "name", "values": ["a"]}])


# -- rendering ----------------------------------------------------------------------------------
def test_cli_view_renders_datetimes_like_the_aws_cli():
    local = datetime.datetime(2026, 5, 1, 12, 0, 0, 500, tzinfo=tzlocal())
    view = inv.cli_view({"SecretList": [{"CreatedDate": local, "Tags": [{"Key": "k", "Value": "v"}]}],
                         "ResponseMetadata": {}})
    assert view == {"SecretList": [{"CreatedDate": local.isoformat(), "Tags": [{"Key": "k", "Value": "v"}]}]}


# -- classification -----------------------------------------------------------------------------
@pytest.mark.parametrize("kms, cmk", [
    (None, False),
    ("alias/aws/secretsmanager", False),
    ("arn:aws:kms:us-east-1:123456789012:alias/aws/secretsmanager", False),
    ("alias/billing", True),
    ("arn:aws:kms:us-east-1:123456789012:key/1234", True),
    ("1234abcd-12ab-34cd-56ef-1234567890ab", True),
])
def test_cmk_is_anything_but_the_aws_managed_key(kms, cmk):
    assert inv.is_cmk(kms) is cmk


@pytest.mark.parametrize("name, depth, service", [
    ("prod/billing/stripe", 2, "prod/billing"),
    ("prod/billing/eu/vat/key", 2, "prod/billing"),
    ("prod/billing/eu/vat/key", 3, "prod/billing/eu"),
    ("prod/stripe", 2, "prod"),
    ("stripe", 2, None),
    ("prod/billing/stripe", 1, "prod"),
])
def test_service_is_the_leading_folder_segments(name, depth, service):
    assert inv.service_of(name, depth) == service


def test_service_depth_must_be_positive():
    with pytest.raises(ValueError):
        inv.service_of("a/b", 0)


def test_classify_a_plain_secret():
    secret = inv.classify_entry(entry("prod/billing/stripe", Description="Stripe",
                                      Tags=[{"Key": "environment", "Value": "production"}]), "us-east-1")
    assert secret["name"] == "prod/billing/stripe" and secret["account_id"] == "123456789012"
    assert secret["service"] == "prod/billing"
    assert secret["tags"] == {"environment": "production"}
    assert (secret["rotation_enabled"], secret["cmk_encrypted"], secret["replica"], secret["planned_deletion"]) == (
        False, False, False, False)
    assert secret["rotation"] == {"enabled": False, "lambda_arn": None, "automatically_after_days": None,
                                  "schedule_expression": None, "duration": None}
    assert secret["current_version_id"] == "v-2" and secret["version_count"] == 2
    assert secret["created_date"] == WHEN.isoformat()
    assert "SecretString" not in str(secret)


def test_classify_rotation_cmk_replica_and_deletion():
    rotated = inv.classify_entry(entry("prod/db", RotationEnabled=True, RotationLambdaARN="arn:fn",
                                       RotationRules={"AutomaticallyAfterDays": 30}, NextRotationDate=WHEN,
                                       KmsKeyId="alias/db"), "us-east-1")
    assert rotated["rotation_enabled"] and rotated["rotation"]["lambda_arn"] == "arn:fn"
    assert rotated["rotation"]["automatically_after_days"] == 30 and rotated["next_rotation_date"] == WHEN.isoformat()
    assert rotated["cmk_encrypted"] and rotated["kms_key_id"] == "alias/db"

    replica = inv.classify_entry(entry("prod/x", PrimaryRegion="us-east-1"), "eu-west-1")
    assert replica["replica"] and replica["primary_region"] == "us-east-1"
    primary = inv.classify_entry(entry("prod/x", PrimaryRegion="us-east-1"), "us-east-1")
    assert not primary["replica"]

    deleted = inv.classify_entry(entry("prod/old", DeletedDate=WHEN), "us-east-1")
    assert deleted["planned_deletion"] and deleted["deleted_date"] == WHEN.isoformat()
    assert inv.migration_exclusion(deleted)[0] == "planned_deletion"
    assert inv.migration_exclusion(replica)[0] == "replica"
    assert "primary region us-east-1" in inv.migration_exclusion(replica)[1]
    assert inv.migration_exclusion(primary) is None


def test_schedule_rotation_reads_zero_days_as_none():
    config = inv.rotation_config({"RotationEnabled": True, "RotationRules": {
        "AutomaticallyAfterDays": 0, "ScheduleExpression": "rate(10 days)", "Duration": "3h"}})
    assert config["automatically_after_days"] is None
    assert (config["schedule_expression"], config["duration"]) == ("rate(10 days)", "3h")


def test_summary_counts():
    secrets = [inv.classify_entry(e, "eu-west-1") for e in (
        entry("prod/billing/a", Tags=[{"Key": "environment", "Value": "p"}], RotationEnabled=True),
        entry("prod/billing/b", KmsKeyId="alias/x", Tags=[{"Key": "environment", "Value": "p"}]),
        entry("prod/orders/c", PrimaryRegion="us-east-1"),
        entry("top", DeletedDate=WHEN, OwningService="rds"))]
    secrets[0]["target"] = {"status": "ok"}
    secrets[1]["target"] = {"status": "invalid"}
    summary = inv.summarize(secrets)
    assert summary == {"total": 4, "rotation_enabled": 1, "cmk_encrypted": 1, "replicas": 1, "planned_deletion": 1,
                       "owned_by_service": 1, "services": {"prod/billing": 2, "prod/orders": 1, "(none)": 1},
                       "tag_keys": {"environment": 2}, "targets": {"ok": 1, "invalid": 1}}


def test_markdown_escapes_cells_and_lists_targets():
    secrets = [inv.classify_entry(entry("prod/a|b", Tags=[{"Key": "note", "Value": "x|y\nz"}], RotationEnabled=True,
                                        RotationLambdaARN="arn:aws:lambda:us-east-1:1:function:rot",
                                        RotationRules={"AutomaticallyAfterDays": 7}), "us-east-1")]
    secrets[0]["target"] = {"status": "invalid", "path": "prod/a|b", "reason": "contains '|'"}
    text = inv.inventory_markdown("us-east-1", secrets, inv.summarize(secrets))
    assert text.startswith("# AWS Secrets Manager inventory: us-east-1")
    assert "| prod/a\\|b | prod | every 7d (rot) |  | note=x\\|y z | prod/a\\|b | invalid | contains '\\|' |" in text
    assert "| target invalid | 1 |" in text
