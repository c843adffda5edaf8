# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Markdown of the inventory and migration reports: escaping, order, no values."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._plan import inventory as inv
from ansible_collections.scailabs.scaivault.plugins.module_utils._run import report_markdown

from unit.fakes import asm_entry as entry

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
