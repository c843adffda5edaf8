# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Request counters for ``/_dev/counters`` (everything except ``/_dev`` itself)."""

import collections
import threading

DROPPED = "dropped"


class RequestCounters:
    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self._total = 0
            self._by_route = collections.Counter()
            self._by_path = collections.Counter()
            self._by_status = collections.Counter()

    def record(self, method, path, route_label, status):
        """``status`` is the HTTP status, or DROPPED when the connection was closed unanswered."""
        with self._lock:
            self._total += 1
            self._by_route[route_label] += 1
            self._by_path["%s %s" % (method, path)] += 1
            self._by_status[str(status)] += 1

    def snapshot(self):
        with self._lock:
            return {"total": self._total, "by_route": dict(self._by_route), "by_path": dict(self._by_path),
                    "by_status": dict(self._by_status)}
