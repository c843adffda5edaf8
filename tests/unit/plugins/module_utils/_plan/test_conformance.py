# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The verdicts of the preflight: native, fallback, broken, unchecked, and what stops a migration."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

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


SOME = ["secrets:read"]


# (item, facts, scopes) -> (what the tenant did, verdict, what the collection will do, cost), word for word: these
# sentences are the preflight table people read before a migration.
@pytest.mark.parametrize("item, facts, scopes, expected", [
    ("identity", {"identity_id": "sa:m", "tenant_id": "tnt_1"}, ALL,
     ("identity sa:m in tnt_1", NATIVE, "names this identity; the cleanup guard ignores its own reads", None)),
    ("identity", {"identity_id": "sa:m"}, ALL, ("identity sa:m in its tenant", NATIVE,
                                                "names this identity; the cleanup guard ignores its own reads", None)),
    ("scopes", {"source": "whoami"}, None,
     ("does not list the token's scopes", UNCHECKED, "cannot check scopes before a call is refused", None)),
    ("scopes", {"source": "introspect"}, ALL,
     ("7 scope(s) from introspect; all 7 the run needs", NATIVE, "checks the runbook's scopes before changing anything",
      None)),
    ("rate_limits", {"categories": ["write", "read"]}, ALL,
     ("sent for read, write", NATIVE, "paces reads and writes from the headers", None)),
    ("rate_limits", {"categories": []}, ALL,
     ("sent none", FALLBACK, "paces on 429 Retry-After only", "more 429 answers under load")),
    ("batch_metadata", {"choice": "batch_read", "trigger": "405"}, [],
     ("has no batch-metadata route (405)", BROKEN,
      "its fallback, the batch read, needs secrets:read, which the token lacks", None)),
    ("batch_metadata", {"choice": "batch_read"}, None,
     ("has no batch-metadata route", FALLBACK, "reads metadata with POST /v1/secrets/batch, values dropped",
      "values read by the migration identity (audited as read); +1 read unit per path; needs secrets:read")),
    ("batch_metadata", {"choice": "native"}, [],
     ("has the route", NATIVE, "reads metadata without values (audited as list)", None)),
    ("validation", {"status": 422, "code": "validation_error"}, ALL,
     ("422 validation_error", NATIVE, "reads 400 and 422 alike", None)),
    ("validation", {"status": 400, "code": "bad_request"}, ALL, ("400 bad_request", NATIVE, "reads 400 and 422 alike", None)),
    ("validation", {"status": 500}, ALL,
     ("answered 500 to an invalid request", UNCHECKED, "reads any 4xx as a refusal", None)),
    ("list_envelope", {"seen": "secrets/-/has_more"}, ALL, ("secrets/-/has_more", NATIVE, "as assumed", None)),
    ("list_envelope", {}, ALL,
     ("?", FALLBACK, "reads data/secrets, cursor/next_cursor/next, with or without has_more", "none")),
    ("list_limit", {"choice": 100}, ALL,
     ("refused limit=1000", FALLBACK, "asks pages of 100", "up to 10x as many list calls")),
    ("list_limit", {}, ALL, ("accepts limit=1000", NATIVE, "pages of 1000", None)),
    ("list_soft_deleted", {"listed": True}, ALL,
     ("lists soft-deleted secrets", FALLBACK, "leaves items with deleted_at out", "longer listings")),
    ("list_soft_deleted", {"listed": False}, ALL, ("leaves them out", NATIVE, "as assumed", None)),
    ("put_answer", {"seen": "201 object"}, ALL, ("201 object", NATIVE, "takes the version from the answer", None)),
    ("put_answer", {"seen": "201 object", "data_echoed": True}, ALL,
     ("201 object, data included", FALLBACK, "drops data at once; predicts the version when the answer has none", "none")),
    ("put_answer", {"seen": "204 empty"}, ALL,
     ("204 empty", FALLBACK, "drops data at once; predicts the version when the answer has none", "none")),
    ("secret_type_default", {"stored": "kv"}, ALL, ("stores kv", NATIVE, "always sends secret_type", None)),
    ("secret_type_default", {"stored": "json"}, ALL, ("stores json", FALLBACK, "always sends secret_type", None)),
    ("metadata_omitted", {"kept": True}, ALL, ("keeps the metadata", NATIVE, "always sends the full metadata", None)),
    ("metadata_omitted", {"kept": False}, ALL,
     ("clears the metadata", FALLBACK, "always sends the full metadata", "none")),
    ("metadata_update", {"route": "PATCH /v1/secrets/{path}"}, ALL,
     ("has PATCH /v1/secrets/{path}", NATIVE, "changes tags, owner or description without a new version", None)),
    ("hard_delete", {"choice": "hard", "ignored": True}, ALL,
     ("accepted ?hard=true but only soft-deleted", BROKEN, "cannot delete for good (permanent=true)", None)),
    ("hard_delete", {"choice": "purge"}, ALL,
     ("?purge=true", FALLBACK, "uses ?purge=true", "one refused request, once per run")),
    ("batch_read_audit", {"per_path": True}, ALL,
     ("one read row per path", NATIVE, "the cleanup guard sees batch readers", None)),
    ("federation_list", {"seen": "data"}, ALL, ("data", FALLBACK, "reads the envelope tolerantly", "none")),
    ("federation_create", {"status": 200}, ALL,
     ("200", FALLBACK, "accepts it; the id from the answer, else by name", "none")),
    ("federation_sync", {"status": 202}, ALL, ("202", NATIVE, "as assumed", None)),
    ("federation_sync", {"status": 200}, ALL,
     ("200", FALLBACK, "accepts it; the sync id from sync_id or id, the status in any case", "none")),
    ("federation_status", {}, ALL,
     ("no backend to read a status from", UNCHECKED, "reads status values in any case", None)),
    ("federation_status", {"value": "degraded"}, ALL, ("degraded", NATIVE, "as assumed", None)),
    ("federation_transform", {"echoed": True}, ALL, ("echoes transform", NATIVE, "compares it like any field", None)),
    ("federation_transform", {}, ALL, ("does not report transform", FALLBACK, "leaves it out of the comparison and warns",
                                       "tags arrive as the tenant writes them")),
    ("rotation_assignments", {"seen": "secrets/secret_path"}, ALL, ("secrets/secret_path", NATIVE, "as assumed", None)),
    ("scope_details", {}, ALL,
     ("not provoked", UNCHECKED, "names the documented scope when the tenant does not", None)),
    ("list_limit", {"skipped": "read-only run"}, ALL,
     ("not checked (read-only run)", UNCHECKED, "discovers it on first use, once per run", None)),
    ("list_limit", {"skipped": "read-only run", "consequence": "pages of 1000 until refused"}, ALL,
     ("not checked (read-only run)", UNCHECKED, "pages of 1000 until refused", None)),
    ("put_answer", {"error": "403 insufficient_scope", "consequence": "writes blind"}, ALL,
     ("answered 403 insufficient_scope", UNCHECKED, "writes blind", None)),
])
def test_each_verdict_word_for_word(item, facts, scopes, expected):
    row = by_item(evaluate({item: facts}, scopes)[0])[item]
    assert (row["tenant"], row["verdict"], row["collection"], row["cost"]) == expected


def test_rows_carry_the_items_label_reading_and_need():
    rows = evaluate({}, ALL)[0]
    assert rows[0] == {"item": "identity", "label": "identity (GET /v1/auth/whoami)",
                       "assumed": "answers the caller's identity", "tenant": "not checked (not run)",
                       "verdict": UNCHECKED, "collection": "discovers it on first use, once per run", "cost": None,
                       "needed": True}
    assert [row["item"] for row in rows if not row["needed"]] == [
        "rate_limits", "validation", "list_limit", "list_soft_deleted", "secret_type_default", "metadata_omitted",
        "metadata_update", "hard_delete", "federation_transform", "scope_details"]


def test_problems_name_each_broken_needed_item_and_nothing_else():
    observations = {"hard_delete": {"choice": "hard", "ignored": True},  # broken but not needed: no problem
                    "batch_read_audit": {"per_path": False}, "identity": {"error": "401 token_invalid", "fatal": True}}
    _rows, problems, missing = evaluate(observations, ALL)
    assert problems == ["identity (GET /v1/auth/whoami): answered 401 token_invalid - cannot tell: the check was refused",
                        "batch-read audit rows: no per-path read rows - the cleanup guard cannot see consumers that "
                        "read in batches"] and missing == []


def test_the_table_text_word_for_word():
    rows = evaluate({"batch_metadata": {"choice": "native"}, "list_limit": {"choice": 100},
                     "put_answer": {"seen": "204 empty"}}, ALL)[0]
    lines = table_lines([row for row in rows if row["item"] in ("batch_metadata", "list_limit", "put_answer")])
    assert lines == [
        "item              | what the tenant did | what the collection will do",
        "------------------+---------------------+-------------------------------",
        "batch metadata    | has the route       | native: reads metadata without values (audited as list)",
        "listing page size | refused limit=1000  | fallback: asks pages of 100 (cost: up to 10x as many list calls)",
        "PUT answer        | 204 empty           | fallback: drops data at once; predicts the version when the answer has none",
    ]
