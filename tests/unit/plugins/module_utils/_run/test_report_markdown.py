# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Markdown of the inventory and migration reports: escaping, order, no values."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._plan import inventory as inv
from ansible_collections.scailabs.scaivault.plugins.module_utils._run import report_markdown

from unit.fakes import ASM_WHEN, asm_entry as entry

REGION = "us-east-1"


def test_markdown_escapes_cells_and_lists_targets():
    secrets = [inv.classify_entry(entry("prod/a|b", Tags=[{"Key": "note", "Value": "x|y\nz"}], RotationEnabled=True,
                                        RotationLambdaARN="arn:aws:lambda:us-east-1:1:function:rot",
                                        RotationRules={"AutomaticallyAfterDays": 7}), "us-east-1")]
    secrets[0]["target"] = {"status": "invalid", "path": "prod/a|b", "reason": "contains '|'"}
    text = report_markdown.inventory_markdown("us-east-1", secrets, inv.summarize(secrets))
    assert text.startswith("# AWS Secrets Manager inventory: us-east-1")
    assert "| prod/a\\|b | prod | every 7d (rot) |  | note=x\\|y z | prod/a\\|b | invalid | contains '\\|' |" in text
    assert "| target invalid | 1 |" in text


def test_markdown_report_lists_errors_first_and_no_values():
    report = {"region": REGION, "summary": {"create": 1, "error": 1, "by_reason": {"collision": 1}},
              "api_calls": {"asm": {"ListSecrets": 1}},
              "secrets": [{"name": "prod/a", "path": "p/a", "action": "create", "to_version": 1, "changes": ["created"]},
                          {"name": "prod/b|x", "path": None, "action": "error", "reason_code": "collision",
                           "reason": "two names", "rotation_enabled": True}]}
    text = report_markdown.migration_markdown(report)
    assert text.index("prod/b\\|x") < text.index("prod/a")
    assert "| collision | 1 |" in text and "ASM rotation on" in text and "| asm | ListSecrets | 1 |" in text


# -- whole reports, word for word (every heading, label and cell is part of what people read) ---------------
MIGRATION = {
    "region": "eu-west-1",
    "summary": {"create": 2, "update": 1, "unchanged": 3, "skip": 1, "error": 1, "versions_written": 4,
                "rotation_enabled": 1, "batch": {"start": 0, "stop": 8}, "selected_total": 20,
                "by_reason": {"collision": 1, "excluded": 1}},
    "api_calls": {"scaivault": {"PUT write": 4, "total": 5}, "asm": {"ListSecrets": 1}},
    "secrets": [
        {"name": "b/up", "path": "x/b/up", "action": "update", "from_version": 2, "to_version": 3,
         "changes": ["source", "tags"], "kms_key_id": "alias/app"},
        {"name": "a/new", "path": "x/a/new", "action": "create", "from_version": None, "to_version": 1,
         "changes": ["created"], "rotation_enabled": True},
        {"name": "c/bad", "path": None, "action": "error", "reason_code": "collision", "reason": "two names"},
        {"name": "d/skip", "path": "x/d/skip", "action": "skip", "reason_code": "excluded", "reason": "by filter"},
        {"name": "e/same", "path": "x/e/same", "action": "unchanged", "from_version": 1, "to_version": 1},
        {"name": "f/odd", "path": "x/f/odd", "action": "weird"},
        {"name": "g/old", "path": "x/g/old", "action": "create", "from_version": None, "to_version": None},
        {"name": "h/first", "path": "x/h/first", "action": "update", "from_version": 0, "to_version": 2},
    ]}
WHEN = ASM_WHEN
INVENTORY = [
    inv.classify_entry(entry("prod/billing/stripe", Tags=[{"Key": "team", "Value": "billing"}, {"Key": "env", "Value": "prod"}],
                             RotationEnabled=True, RotationLambdaARN="arn:aws:lambda:eu-west-1:1:function:rot",
                             RotationRules={"ScheduleExpression": "rate(10 days)", "Duration": "2h"},
                             KmsKeyId="arn:aws:kms:eu-west-1:1:key/k"), "eu-west-1"),
    inv.classify_entry(entry("prod/orders/db", RotationEnabled=True, RotationRules={"AutomaticallyAfterDays": 30},
                             PrimaryRegion="us-east-1"), "eu-west-1"),
    inv.classify_entry(entry("stage/app/key", RotationEnabled=True, DeletedDate=WHEN, OwningService="rds"), "eu-west-1"),
    inv.classify_entry(entry("misc"), "eu-west-1"),
]
INVENTORY[0]["target"] = {"status": "new", "path": "environments/production/billing/stripe", "reason": None}
INVENTORY[1]["target"] = {"status": "collision", "path": "environments/production/orders/db", "reason": "two names"}

MIGRATION_MD = """\
# ASM -> ScaiVault migration: eu-west-1

|  | secrets |
|---|---|
| create | 2 |
| update | 1 |
| unchanged | 3 |
| skip | 1 |
| error | 1 |
| versions written | 4 |
| rotation still enabled in ASM | 1 |
| batch | 0-8 of 20 |

## Reasons

| reason | secrets |
|---|---|
| collision | 1 |
| excluded | 1 |

## API calls

| service | operation | calls |
|---|---|---|
| asm | ListSecrets | 1 |
| scaivault | PUT write | 4 |
| scaivault | total | 5 |

## Secrets

| ASM name | ScaiVault path | action | versions | changes | reason code | reason | flags |
|---|---|---|---|---|---|---|---|
| c/bad |  | error |  |  | collision | two names |  |
| a/new | x/a/new | create | - -> 1 | created |  |  | ASM rotation on |
| g/old | x/g/old | create |  |  |  |  |  |
| b/up | x/b/up | update | 2 -> 3 | source, tags |  |  | KMS alias/app |
| h/first | x/h/first | update | - -> 2 |  |  |  |  |
| d/skip | x/d/skip | skip |  |  | excluded | by filter |  |
| e/same | x/e/same | unchanged | 1 -> 1 |  |  |  |  |
| f/odd | x/f/odd | weird |  |  |  |  |  |
"""

INVENTORY_MD = """\
# AWS Secrets Manager inventory: eu-west-1

|  | count |
|---|---|
| secrets | 4 |
| rotation enabled | 3 |
| customer managed KMS key | 1 |
| replicas | 1 |
| scheduled for deletion | 1 |
| target collision | 1 |
| target new | 1 |

## Services

| service | secrets |
|---|---|
| (none) | 1 |
| prod/billing | 1 |
| prod/orders | 1 |
| stage/app | 1 |

## Secrets

| name | service | rotation | flags | tags | target path | status | reason |
|---|---|---|---|---|---|---|---|
| prod/billing/stripe | prod/billing | rate(10 days) / 2h (rot) | CMK | env=prod, team=billing | environments/production/billing/stripe | new |  |
| prod/orders/db | prod/orders | every 30d | replica of us-east-1 |  | environments/production/orders/db | collision | two names |
| stage/app/key | stage/app | on | deletion 2026-05-01, owned by rds |  |  |  |  |
| misc |  | off |  |  |  |  |  |
"""

INVENTORY_ONE_MD = """\
# Estate

|  | count |
|---|---|
| secrets | 1 |
| rotation enabled | 1 |
| customer managed KMS key | 1 |
| replicas | 0 |
| scheduled for deletion | 0 |
| target new | 1 |

## Services

| service | secrets |
|---|---|
| prod/billing | 1 |

## Secrets

| name | service | rotation | flags | tags | target path | status | reason |
|---|---|---|---|---|---|---|---|
| prod/billing/stripe | prod/billing | rate(10 days) / 2h (rot) | CMK | env=prod, team=billing | environments/production/billing/stripe | new |  |
"""

MINIMAL_MD = """\
# ASM -> ScaiVault migration: us-east-1

|  | secrets |
|---|---|
| create | 0 |
| update | 0 |
| unchanged | 0 |
| skip | 0 |
| error | 0 |
| versions written | 0 |
| rotation still enabled in ASM | 0 |

## Secrets

| ASM name | ScaiVault path | action | versions | changes | reason code | reason | flags |
|---|---|---|---|---|---|---|---|
"""

BARE_INVENTORY_MD = """\
# AWS Secrets Manager inventory: eu-west-1

|  | count |
|---|---|
| secrets | 1 |
| rotation enabled | 0 |
| customer managed KMS key | 0 |
| replicas | 0 |
| scheduled for deletion | 0 |

## Services

| service | secrets |
|---|---|
| (none) | 1 |

## Secrets

| name | service | rotation | flags | tags |
|---|---|---|---|---|
| misc |  | off |  |  |
"""


def test_migration_report_word_for_word():
    assert report_markdown.migration_markdown(MIGRATION) == MIGRATION_MD
    assert report_markdown.migration_markdown({"region": "us-east-1"}) == MINIMAL_MD


def test_inventory_report_word_for_word():
    assert report_markdown.inventory_markdown("eu-west-1", INVENTORY, inv.summarize(INVENTORY)) == INVENTORY_MD
    one = INVENTORY[:1]
    assert report_markdown.inventory_markdown("eu-west-1", one, inv.summarize(one), title="Estate") == INVENTORY_ONE_MD
    bare = [inv.classify_entry(entry("misc"), "eu-west-1")]
    assert report_markdown.inventory_markdown("eu-west-1", bare, inv.summarize(bare)) == BARE_INVENTORY_MD


def test_secrets_of_one_action_are_sorted_by_name_and_a_lone_from_version_is_shown():
    report = {"region": REGION, "summary": {}, "secrets": [
        {"name": "z/last", "path": "p/z", "action": "update", "from_version": 3, "to_version": None},
        {"name": "a/first", "path": "p/a", "action": "update", "from_version": None, "to_version": None},
        {"path": "p/none", "action": "update"}]}
    rows = [line for line in report_markdown.migration_markdown(report).splitlines() if line.startswith("| ")][-3:]
    assert rows == ["|  | p/none | update |  |  |  |  |  |", "| a/first | p/a | update |  |  |  |  |  |",
                    "| z/last | p/z | update | 3 -> - |  |  |  |  |"]


def test_a_rotation_schedule_without_a_duration_is_the_expression_alone():
    secret = inv.classify_entry(entry("prod/a", RotationEnabled=True, RotationRules={"ScheduleExpression": "rate(7 days)"}),
                                REGION)
    assert report_markdown._rotation_cell(secret) == "rate(7 days)"  # pylint: disable=protected-access
    secret["rotation"]["duration"] = "2h"
    assert report_markdown._rotation_cell(secret) == "rate(7 days) / 2h"  # pylint: disable=protected-access
