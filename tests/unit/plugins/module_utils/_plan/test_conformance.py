# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The verdicts of the preflight: native, fallback, broken, unchecked, and what stops a migration."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.conformance import (
    BROKEN, FALLBACK, ITEM_NAMES, NATIVE, RUNBOOK_SCOPES, UNCHECKED, evaluate, summary, table_lines)

ALL = list(RUNBOOK_SCOPES)


def by_item(rows):
    return dict((row["item"], row) for row in rows)


def test_every_item_gets_a_row_in_order_and_unrun_items_are_unchecked():
    rows, problems, missing = evaluate({}, ALL)
    assert [row["item"] for row in rows] == list(ITEM_NAMES)
    assert by_item(rows)["batch_metadata"]["verdict"] == UNCHECKED and problems == [] and missing == []


def test_our_reading_is_native():
    observations = {"identity": {"identity_id": "sa:m"}, "scopes": {"source": "whoami"},
                    "batch_metadata": {"choice": "native"}, "list_envelope": {"seen": "secrets/cursor/has_more"},
                    "put_answer": {"seen": "201 object"}, "hard_delete": {"choice": "permanent"},
                    "federation_create": {"status": "201"}, "federation_status": {"value": "healthy"}}
    rows = by_item(evaluate(observations, ALL)[0])
    assert all(rows[item]["verdict"] == NATIVE for item in observations)


def test_alternatives_are_fallbacks_with_their_cost():
    observations = {"batch_metadata": {"choice": "batch_read"}, "list_envelope": {"seen": "data/next_cursor/no has_more"},
                    "hard_delete": {"choice": "hard"}, "federation_status": {"value": "HEALTHY"},
                    "metadata_update": {"route": None}, "put_answer": {"seen": "200 object", "data_echoed": True}}
    rows, problems, _missing = evaluate(observations, ALL)
    rows = by_item(rows)
    assert all(rows[item]["verdict"] == FALLBACK for item in observations)
    assert "read unit per path" in rows["batch_metadata"]["cost"] and problems == []
    assert any("fallback" in line and "batch" in line for line in table_lines(list(rows.values())))


def test_a_needed_capability_without_fallback_is_a_problem_naming_it():
    rows, problems, _missing = evaluate({"batch_read_audit": {"per_path": False}}, ALL)
    assert by_item(rows)["batch_read_audit"]["verdict"] == BROKEN
    assert len(problems) == 1 and "batch-read audit rows" in problems[0]


def test_the_batch_read_fallback_without_secrets_read_is_broken():
    scopes = [scope for scope in ALL if scope != "secrets:read"]
    rows, problems, missing = evaluate({"batch_metadata": {"choice": "batch_read"}}, scopes)
    assert by_item(rows)["batch_metadata"]["verdict"] == BROKEN and missing == ["secrets:read"]
    assert any("secrets:read" in problem for problem in problems)


def test_a_missing_scope_is_a_problem_and_unknown_scopes_are_not():
    rows, problems, missing = evaluate({"scopes": {"source": "whoami"}}, [s for s in ALL if s != "federation:write"])
    assert missing == ["federation:write"] and by_item(rows)["scopes"]["verdict"] == BROKEN
    assert problems == ["the token lacks federation:write, which the runbook needs (token scopes and policy grants "
                        "must both allow them)"]
    assert evaluate({}, None)[1:] == ([], [])


def test_a_refused_check_is_unchecked_unless_fatal():
    rows = by_item(evaluate({"rotation_assignments": {"error": "403 insufficient_scope (needs admin)"},
                             "identity": {"error": "401 token_invalid", "fatal": True}}, ALL)[0])
    assert rows["rotation_assignments"]["verdict"] == UNCHECKED and rows["identity"]["verdict"] == BROKEN


def test_summary_counts_each_verdict():
    rows = evaluate({"batch_metadata": {"choice": "batch_read"}}, ALL)[0]
    counts = summary(rows)
    assert sum(counts.values()) == len(ITEM_NAMES) and counts[FALLBACK] >= 1
