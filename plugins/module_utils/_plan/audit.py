# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Who read which ScaiVault paths in a time window, from audit rows, minus given identities.

ScaiVault's audit API has no "identity is not X" filter (contract section 6), so the rows of
the window are paged through and the migration's own identity is dropped here, client-side.

The API's path_prefix filter is a plain string prefix: 'a/b' also returns rows of 'a/bc' and
'a/b/c'. Exact paths are therefore queried through a prefix and filtered here, and paths that
share a parent folder share one query (query_plan) so that N secrets do not cost N queries.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.durations import DurationError, parse_duration

DEFAULT_ACTIONS = ("read",)
_UTC = datetime.timezone.utc


class WindowError(PlanError):
    """A time option that is neither a duration nor an ISO-8601 timestamp; names the option."""


def utcnow():
    return datetime.datetime.now(_UTC)


def parse_iso(text):
    """Parse ISO-8601 ('Z' or an offset; naive means UTC) into an aware UTC datetime; ValueError otherwise."""
    value = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=_UTC)
    return value.astimezone(_UTC)


def iso_z(moment):
    """An aware datetime as ISO-8601 UTC with microseconds and 'Z' (the API's form)."""
    if moment is None:
        return None
    return moment.astimezone(_UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def point_in_time(value, now, option):
    """A duration ('30d' = that long before now) or an ISO-8601 timestamp, as an aware datetime; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=_UTC)
    text = str(value).strip()
    try:
        return now - datetime.timedelta(seconds=parse_duration(text))
    except DurationError:
        pass
    try:
        return parse_iso(text)
    except ValueError:
        raise WindowError("%s: %r is neither a duration (for example 30d, 12h) nor an ISO-8601 timestamp "
                          "(for example 2026-01-31T00:00:00Z)" % (option, value))


def window(since, until, now=None, since_option="since", until_option="until"):
    """(start, end) aware datetimes of a window; end defaults to now; start must be before end."""
    now = now or utcnow()
    start = point_in_time(since, now, since_option)
    end = point_in_time(until, now, until_option) or now
    if start is not None and start >= end:
        raise WindowError("%s (%s) must be before %s (%s)" % (since_option, iso_z(start), until_option, iso_z(end)))
    return start, end


def query_plan(paths):
    """Group exact paths into audit queries: [(path_prefix, [paths])], sorted by prefix.

    Paths that share a parent folder share one query on 'parent/'; a path without a parent
    is queried on its own (its prefix is the path itself).
    """
    groups = {}
    for path in sorted(set(paths)):
        parent, _sep, _leaf = path.rpartition("/")
        prefix = parent + "/" if parent else path
        groups.setdefault(prefix, []).append(path)
    return sorted(groups.items())


class AuditSummary:
    """Counts reads per path from audit rows; rows of excluded identities are counted apart."""

    def __init__(self, paths=None, path_prefix=None, exclude_identities=(), actions=DEFAULT_ACTIONS,
                 include_failed=True):
        self.paths = set(paths) if paths is not None else None
        self.path_prefix = path_prefix
        self.exclude = set(exclude_identities or ())
        self.actions = set(actions or ())
        self.include_failed = include_failed
        self.rows_scanned = 0
        self.rows_excluded = 0
        self._seen = set()
        self._per_path = {}

    def wants(self, path):
        if not path:
            return False
        if self.paths is not None:
            return path in self.paths
        return path.startswith(self.path_prefix or "")

    def add(self, row):
        """Account one audit row (rows may come twice from overlapping queries: counted once)."""
        row_id = row.get("id")
        if row_id is not None:
            if row_id in self._seen:
                return
            self._seen.add(row_id)
        self.rows_scanned += 1
        path = row.get("secret_path")
        if not self.wants(path):
            return
        if self.actions and row.get("action") not in self.actions:
            return
        success = row.get("success", True) is not False
        if not success and not self.include_failed:
            return
        entry = self._entry(path)
        identity = row.get("identity_id") or "(unknown)"
        if identity in self.exclude:
            entry["excluded_reads"] += 1
            self.rows_excluded += 1
            return
        entry["reads"] += 1
        if not success:
            entry["failed_reads"] += 1
        entry["by_identity"][identity] = entry["by_identity"].get(identity, 0) + 1
        stamp = row.get("timestamp")
        if stamp and (entry["last_read"] is None or _later(stamp, entry["last_read"])):
            entry["last_read"] = stamp
            entry["last_reader"] = identity

    def _entry(self, path):
        if path not in self._per_path:
            self._per_path[path] = {"reads": 0, "failed_reads": 0, "excluded_reads": 0, "last_read": None,
                                    "last_reader": None, "by_identity": {}}
        return self._per_path[path]

    def per_path(self):
        """{path: {reads, failed_reads, excluded_reads, last_read, last_reader, readers, by_identity}}.

        Every requested exact path is present, with zero reads when nothing was found.
        """
        if self.paths is not None:
            for path in self.paths:
                self._entry(path)
        result = {}
        for path in sorted(self._per_path):
            entry = dict(self._per_path[path])
            entry["by_identity"] = dict(sorted(entry["by_identity"].items()))
            entry["readers"] = sorted(entry["by_identity"])
            result[path] = entry
        return result

    def totals(self):
        per_path = self.per_path()
        readers = set()
        for entry in per_path.values():
            readers.update(entry["readers"])
        return {
            "reads": sum(entry["reads"] for entry in per_path.values()),
            "excluded_reads": sum(entry["excluded_reads"] for entry in per_path.values()),
            "paths_read": sum(1 for entry in per_path.values() if entry["reads"]),
            "readers": sorted(readers),
            "rows_scanned": self.rows_scanned,
        }


def _later(stamp_a, stamp_b):
    try:
        return parse_iso(stamp_a) > parse_iso(stamp_b)
    except ValueError:
        return stamp_a > stamp_b


def foreign_reads(entry):
    """One sentence on the reads of one path by other identities, or None when there were none."""
    if not entry or not entry.get("reads"):
        return None
    readers = entry.get("by_identity") or {}
    who = ", ".join("%s (%d)" % (identity, count) for identity, count in sorted(readers.items()))
    return "%d read(s) by %s, last at %s" % (entry["reads"], who, entry.get("last_read") or "an unknown time")
