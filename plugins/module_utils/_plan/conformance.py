# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Judge what a ScaiVault tenant did in the preflight checks: per contract item, native, fallback or broken.

Pure functions (no I/O). _run/conformance.py runs the checks through the real client and hands in the
observations ({item: facts}); evaluate() turns them into the table the preflight prints (item, what
the tenant did, what the collection will do) and the problems that stop a migration: a capability the
runbook needs that has no fallback, or a token scope it needs that is missing. docs/scaivault-contract.md
is the same list in prose.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

NATIVE = "native"
FALLBACK = "fallback"
BROKEN = "broken"
UNCHECKED = "unchecked"
VERDICTS = (NATIVE, FALLBACK, BROKEN, UNCHECKED)

# What the runbook (migrate.yml, cleanup.yml) needs of the token: the ASM migration guide asks for
# secrets:write, federation:write and admin; the runbook also lists and reads what it wrote and the
# cleanup guard reads the audit log.
RUNBOOK_SCOPES = ("secrets:list", "secrets:read", "secrets:write", "federation:read", "federation:write", "admin",
                  "audit:read")

# item -> (label in the table, our reading, needed by the runbook). Order = the table's order.
ITEMS = (
    ("identity", "identity (GET /v1/auth/whoami)", "answers the caller's identity", True),
    ("scopes", "token scopes", "whoami lists them (introspect with admin)", True),
    ("rate_limits", "rate-limit headers", "X-RateLimit-* on every answer", False),
    ("batch_metadata", "batch metadata", "POST /v1/secrets/batch/metadata", True),
    ("validation", "validation errors", "422 (documented) or 400 validation_error with details.fields", False),
    ("list_envelope", "secret listing envelope", "{secrets, cursor, has_more}", True),
    ("list_limit", "listing page size", "limit up to 1000", False),
    ("list_soft_deleted", "soft-deleted secrets in listings", "left out", False),
    ("put_answer", "PUT answer", "201 then 200, the object without data", True),
    ("secret_type_default", "PUT without secret_type", "stored as kv", False),
    ("metadata_omitted", "PUT without metadata", "keeps the stored metadata", False),
    ("metadata_update", "metadata-only update", "none: every change writes a version", False),
    ("hard_delete", "hard delete", "DELETE ?permanent=true", False),
    ("batch_read_audit", "batch-read audit rows", "one read row per path", True),
    ("federation_list", "federation backends listing", "{backends: [...]}", True),
    ("federation_create", "federation backend create", "201 with the backend", True),
    ("federation_sync", "federation sync trigger", "202 {sync_id, status: started}", True),
    ("federation_status", "federation status values", "pending, healthy, degraded, error", True),
    ("federation_transform", "federation tag transform", "transform echoed on the backend", False),
    ("rotation_assignments", "rotation policy attachments", "{secrets: [{secret_path, ...}]}", True),
    ("scope_details", "403 names the missing scope", "details.required_scope", False),
)
ITEM_NAMES = tuple(item[0] for item in ITEMS)


def _row(item, tenant, verdict, collection, cost=None):
    return {"item": item, "tenant": tenant, "verdict": verdict, "collection": collection, "cost": cost}


def _unchecked(facts, default_reason):
    return facts.get("reason") or default_reason


def _judge(name, facts, scopes):
    """(tenant text, verdict, collection text, cost) for one item's facts."""
    if facts.get("error"):
        return ("answered %s" % facts["error"], BROKEN if facts.get("fatal") else UNCHECKED,
                facts.get("consequence") or "cannot tell: the check was refused", None)
    if facts.get("skipped"):
        return ("not checked (%s)" % facts["skipped"], UNCHECKED,
                facts.get("consequence") or "discovers it on first use, once per run", None)
    judge = _JUDGES.get(name)
    return judge(facts, scopes) if judge else (facts.get("seen") or "as assumed", NATIVE, "as assumed", None)


def _identity(facts, scopes):
    return ("identity %s in %s" % (facts.get("identity_id"), facts.get("tenant_id") or "its tenant"), NATIVE,
            "names this identity; the cleanup guard ignores its own reads", None)


def _scopes(facts, scopes):
    if scopes is None:
        return ("does not list the token's scopes", UNCHECKED, "cannot check scopes before a call is refused", None)
    return ("%s (from %s)" % (", ".join(sorted(scopes)) or "none", facts.get("source")), NATIVE,
            "checks the runbook's scopes before changing anything", None)


def _rate_limits(facts, scopes):
    if facts.get("categories"):
        return ("sent for %s" % ", ".join(sorted(facts["categories"])), NATIVE, "paces reads and writes from the headers", None)
    return ("sent none", FALLBACK, "paces on 429 Retry-After only", "more 429 answers under load")


def _batch_metadata(facts, scopes):
    if facts.get("choice") == "batch_read":
        if scopes is not None and "secrets:read" not in scopes:
            return ("has no batch-metadata route (%s)" % facts.get("trigger", "404/405"), BROKEN,
                    "its fallback, the batch read, needs secrets:read, which the token lacks", None)
        return ("has no batch-metadata route", FALLBACK, "reads metadata with POST /v1/secrets/batch, values dropped",
                "values read by the migration identity (audited as read); +1 read unit per path; needs secrets:read")
    return ("has the route", NATIVE, "reads metadata without values (audited as list)", None)


def _validation(facts, scopes):
    status = facts.get("status")
    if status in (400, 422):
        return ("%s %s" % (status, facts.get("code")), NATIVE, "reads 400 and 422 alike", None)
    return ("answered %s to an invalid request" % status, UNCHECKED, "reads any 4xx as a refusal", None)


def _list_envelope(facts, scopes):
    seen = facts.get("seen") or "?"
    if seen.startswith("secrets/cursor/has_more") or seen.startswith("secrets/-/has_more"):
        return (seen, NATIVE, "as assumed", None)
    return (seen, FALLBACK, "reads data/secrets, cursor/next_cursor/next, with or without has_more", "none")


def _list_limit(facts, scopes):
    if facts.get("choice"):
        return ("refused limit=1000", FALLBACK, "asks pages of %s" % facts["choice"], "up to 10x as many list calls")
    return ("accepts limit=1000", NATIVE, "pages of 1000", None)


def _list_soft_deleted(facts, scopes):
    if facts.get("listed"):
        return ("lists soft-deleted secrets", FALLBACK, "leaves items with deleted_at out", "longer listings")
    return ("leaves them out", NATIVE, "as assumed", None)


def _put_answer(facts, scopes):
    seen = facts.get("seen") or "?"
    if seen in ("201 object", "200 object") and not facts.get("data_echoed"):
        return (seen, NATIVE, "takes the version from the answer", None)
    return (seen + (", data included" if facts.get("data_echoed") else ""), FALLBACK,
            "drops data at once; predicts the version when the answer has none", "none")


def _secret_type_default(facts, scopes):
    stored = facts.get("stored")
    return ("stores %s" % stored, NATIVE if stored == "kv" else FALLBACK, "always sends secret_type", None)


def _metadata_omitted(facts, scopes):
    if facts.get("kept"):
        return ("keeps the metadata", NATIVE, "always sends the full metadata", None)
    return ("clears the metadata", FALLBACK, "always sends the full metadata", "none")


def _metadata_update(facts, scopes):
    if facts.get("route"):
        return ("has %s" % facts["route"], NATIVE, "changes tags, owner or description without a new version", None)
    return ("has no metadata-only route", FALLBACK, "writes a new version (same value) for a metadata change",
            "the value is read (secrets:read) and written again: one PUT and one version per change")


def _hard_delete(facts, scopes):
    if facts.get("ignored"):
        return ("accepted ?%s=true but only soft-deleted" % facts.get("choice"), BROKEN,
                "cannot delete for good (permanent=true)", None)
    if facts.get("choice") == "permanent":
        return ("?permanent=true", NATIVE, "as assumed", None)
    return ("?%s=true" % facts.get("choice"), FALLBACK, "uses ?%s=true" % facts.get("choice"),
            "one refused request, once per run")


def _batch_read_audit(facts, scopes):
    if facts.get("per_path"):
        return ("one read row per path", NATIVE, "the cleanup guard sees batch readers", None)
    return ("no per-path read rows", BROKEN, "the cleanup guard cannot see consumers that read in batches", None)


def _envelope(default):
    def judge(facts, scopes):
        seen = facts.get("seen") or "?"
        if seen.startswith(default):
            return (seen, NATIVE, "as assumed", None)
        return (seen, FALLBACK, "reads the envelope tolerantly", "none")
    return judge


def _status_code(native_status, tolerated):
    def judge(facts, scopes):
        status = facts.get("status")
        if str(status) == str(native_status):
            return (str(status), NATIVE, "as assumed", None)
        return (str(status), FALLBACK, tolerated, "none")
    return judge


def _federation_status(facts, scopes):
    value = facts.get("value")
    if value is None:
        return ("no backend to read a status from", UNCHECKED, "reads status values in any case", None)
    if value in ("pending", "healthy", "degraded", "error"):
        return (value, NATIVE, "as assumed", None)
    return (value, FALLBACK, "reads status values in any case", "none")


def _federation_transform(facts, scopes):
    if facts.get("echoed"):
        return ("echoes transform", NATIVE, "compares it like any field", None)
    return ("does not report transform", FALLBACK, "leaves it out of the comparison and warns",
            "tags arrive as the tenant writes them")


def _scope_details(facts, scopes):
    return ("not provoked", UNCHECKED, "names the documented scope when the tenant does not", None)


_JUDGES = {
    "identity": _identity, "scopes": _scopes, "rate_limits": _rate_limits, "batch_metadata": _batch_metadata,
    "validation": _validation, "list_envelope": _list_envelope, "list_limit": _list_limit,
    "list_soft_deleted": _list_soft_deleted, "put_answer": _put_answer, "secret_type_default": _secret_type_default,
    "metadata_omitted": _metadata_omitted, "metadata_update": _metadata_update, "hard_delete": _hard_delete,
    "batch_read_audit": _batch_read_audit, "federation_list": _envelope("backends"),
    "federation_create": _status_code(201, "accepts it; the id from the answer, else by name"),
    "federation_sync": _status_code(202, "accepts it; the sync id from sync_id or id, the status in any case"),
    "federation_status": _federation_status, "federation_transform": _federation_transform,
    "rotation_assignments": _envelope("secrets/secret_path"), "scope_details": _scope_details,
}


def evaluate(observations, scopes=None, needed_scopes=RUNBOOK_SCOPES):
    """(rows, problems, missing_scopes) from {item: facts}.

    rows      one per item of ITEMS: {item, label, assumed, tenant, verdict, collection, cost, needed}
    problems  one sentence per needed capability without a fallback, and per missing scope
    """
    rows, problems = [], []
    missing = sorted(set(needed_scopes) - set(scopes)) if scopes is not None else []
    for name, label, assumed, needed in ITEMS:
        facts = observations.get(name)
        tenant, verdict, collection, cost = _judge(name, {"skipped": "not run"} if facts is None else facts, scopes)
        if name == "scopes" and scopes is not None:
            tenant = "%d scope(s) from %s; %s" % (len(scopes), (facts or {}).get("source"), (
                "lacks " + ", ".join(missing)) if missing else "all %d the run needs" % len(needed_scopes))
            verdict = BROKEN if missing else NATIVE
        rows.append({"item": name, "label": label, "assumed": assumed, "tenant": tenant, "verdict": verdict,
                     "collection": collection, "cost": cost, "needed": needed})
        if verdict == BROKEN and needed and name != "scopes":
            problems.append("%s: %s - %s" % (label, tenant, collection))
    if missing:
        problems.append("the token lacks %s, which the runbook needs (token scopes and policy grants must both "
                        "allow them)" % ", ".join(missing))
    return rows, problems, missing


def table_lines(rows):
    """The table as text lines: item | what the tenant did | what the collection will do."""
    cells = [("item", "what the tenant did", "what the collection will do")]
    for row in rows:
        will = row["verdict"] if row["verdict"] != FALLBACK else "fallback"
        will = "%s: %s" % (will, row["collection"])
        if row["cost"] and row["cost"] != "none":
            will += " (cost: %s)" % row["cost"]
        cells.append((row["label"], row["tenant"], will))
    widths = [min(max(len(cell[index]) for cell in cells), limit) for index, limit in ((0, 34), (1, 48), (2, 200))]
    lines = []
    for number, cell in enumerate(cells):
        lines.append(" | ".join(text.ljust(width) if index < 2 else text
                                for index, (text, width) in enumerate(zip(cell, widths))).rstrip())
        if number == 0:
            lines.append("-+-".join("-" * width for width in widths[:2]) + "-+-" + "-" * 30)
    return lines


def summary(rows):
    """Counts per verdict."""
    counts = dict((verdict, 0) for verdict in VERDICTS)
    for row in rows:
        counts[row["verdict"]] += 1
    return counts
