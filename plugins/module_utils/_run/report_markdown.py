# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Markdown reports of asm_inventory and asm_migrate, for people (the JSON ones are the results).

Built from module results (names, paths, actions, versions, reasons, classifications): no value can be in them.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._run.reports import markdown_table

_ORDER = ("error", "create", "update", "skip", "unchanged")


def migration_markdown(report):
    """Summary counts, reasons, API calls, then one row per secret (errors first)."""
    summary = report.get("summary") or {}
    lines = ["# ASM -> ScaiVault migration: %s" % report.get("region"), ""]
    counts = [(action, summary.get(action, 0)) for action in ("create", "update", "unchanged", "skip", "error")]
    counts.append(("versions written", summary.get("versions_written", 0)))
    counts.append(("rotation still enabled in ASM", summary.get("rotation_enabled", 0)))
    if summary.get("batch"):
        counts.append(("batch", "%(start)s-%(stop)s" % summary["batch"] + " of %s" % summary.get("selected_total")))
    lines.append(markdown_table(["", "secrets"], counts))
    if summary.get("by_reason"):
        lines.append("## Reasons\n")
        lines.append(markdown_table(["reason", "secrets"], sorted(summary["by_reason"].items())))
    calls = report.get("api_calls") or {}
    if calls:
        lines.append("## API calls\n")
        rows = []
        for service in sorted(calls):
            for operation, count in sorted(calls[service].items()):
                rows.append((service, operation, count))
        lines.append(markdown_table(["service", "operation", "calls"], rows))
    lines.append("## Secrets\n")
    secrets = sorted(report.get("secrets") or [], key=lambda s: (
        _ORDER.index(s.get("action")) if s.get("action") in _ORDER else len(_ORDER), s.get("name") or ""))
    rows = []
    for secret in secrets:
        versions = ""
        if secret.get("from_version") is not None or secret.get("to_version") is not None:
            versions = "%s -> %s" % (secret.get("from_version") or "-", secret.get("to_version") or "-")
        flags = []
        if secret.get("rotation_enabled"):
            flags.append("ASM rotation on")
        if secret.get("kms_key_id"):
            flags.append("KMS %s" % secret["kms_key_id"])
        rows.append((secret.get("name"), secret.get("path"), secret.get("action"), versions,
                     ", ".join(secret.get("changes") or []), secret.get("reason_code"), secret.get("reason"),
                     ", ".join(flags)))
    lines.append(markdown_table(["ASM name", "ScaiVault path", "action", "versions", "changes", "reason code",
                                 "reason", "flags"], rows))
    return "\n".join(lines)


def _rotation_cell(secret):
    rotation = secret["rotation"]
    if not rotation["enabled"]:
        return "off"
    if rotation["schedule_expression"]:
        schedule = rotation["schedule_expression"] + (" / " + rotation["duration"] if rotation["duration"] else "")
    elif rotation["automatically_after_days"]:
        schedule = "every %sd" % rotation["automatically_after_days"]
    else:
        schedule = "on"
    lambda_name = (rotation["lambda_arn"] or "").split(":")[-1]
    return schedule + (" (%s)" % lambda_name if lambda_name else "")


def _flags_cell(secret):
    flags = []
    if secret["cmk_encrypted"]:
        flags.append("CMK")
    if secret["replica"]:
        flags.append("replica of %s" % secret["primary_region"])
    if secret["planned_deletion"]:
        flags.append("deletion %s" % (secret["deleted_date"] or "")[:10])
    if secret.get("owning_service"):
        flags.append("owned by %s" % secret["owning_service"])
    return ", ".join(flags)


def inventory_markdown(region, secrets, summary, title=None):
    """A Markdown report for people: summary counts, then one row per secret (no values)."""
    lines = ["# %s" % (title or "AWS Secrets Manager inventory: %s" % region), ""]
    counts = [("secrets", summary["total"]), ("rotation enabled", summary["rotation_enabled"]),
              ("customer managed KMS key", summary["cmk_encrypted"]), ("replicas", summary["replicas"]),
              ("scheduled for deletion", summary["planned_deletion"])]
    for status in sorted(summary.get("targets") or {}):
        counts.append(("target %s" % status, summary["targets"][status]))
    lines.append(markdown_table(["", "count"], counts))
    if summary["services"]:
        lines.append("## Services\n")
        lines.append(markdown_table(["service", "secrets"], sorted(summary["services"].items())))
    lines.append("## Secrets\n")
    has_targets = any(secret.get("target") for secret in secrets)
    headers = ["name", "service", "rotation", "flags", "tags"]
    if has_targets:
        headers += ["target path", "status", "reason"]
    rows = []
    for secret in secrets:
        row = [secret["name"], secret["service"], _rotation_cell(secret), _flags_cell(secret),
               ", ".join("%s=%s" % pair for pair in sorted(secret["tags"].items()))]
        if has_targets:
            target = secret.get("target") or {}
            row += [target.get("path"), target.get("status"), target.get("reason")]
        rows.append(row)
    lines.append(markdown_table(headers, rows))
    return "\n".join(lines)
