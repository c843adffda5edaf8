# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Classification, CLI rendering and summary of ASM inventory entries (no servers)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest
from dateutil.tz import tzlocal

from ansible_collections.scailabs.scaivault.plugins.module_utils._plan import inventory as inv

from unit.fakes import ASM_WHEN as WHEN
from unit.fakes import asm_entry as entry


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
