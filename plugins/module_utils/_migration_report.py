# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Markdown report of an asm_migrate run, for people (the JSON one is the result itself).

Built from the module result (names, paths, actions, versions, reasons): no value can be in it.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._reports import markdown_table

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
