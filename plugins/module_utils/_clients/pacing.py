# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Client-side pacing of ScaiVault writes, so a bulk run sits at the tenant's limit without 429s.

ScaiVault limits each identity with a token bucket per endpoint category and says where it
stands on every answer (X-RateLimit-Limit, -Remaining, -Reset). WritePacer keeps a local
copy of that bucket for the 'write' category and makes each worker take a token before it
sends a PUT:

- Before any header has been seen, one request goes alone (the probe); the others wait for
  its answer, which tells the limit and what remains. So a run that starts against a
  drained bucket sends one request too many, not one per worker.
- The local bucket has the server's capacity (Limit) and refills at Limit per WINDOW_SECONDS
  ([assumed]: the contract gives every default "per minute"); it is decremented when a PUT
  is sent, i.e. before the server counts it, so it never runs ahead of the server.
- Every answer re-synchronises it: when Remaining is more than one token below the local
  count (another client spends the same identity's budget, or a 429 came back), the local
  count drops to Remaining minus the requests still in flight (a lower bound of the
  server's tokens). Alone, the local count never exceeds the server's (it is decremented
  first), so a correction means someone else; differences under one token are rounding
  (Remaining is an integer) and ignored, else the run would lose a fraction of a token per
  request and fall short of the limit.
- A server that sends no rate-limit headers is not paced at all.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

WINDOW_SECONDS = 60.0  # [assumed] X-RateLimit-Limit counts requests per minute
MAX_WAIT_SECONDS = 5.0  # re-check at least this often while waiting (limits can be raised meanwhile)
MIN_WAIT_SECONDS = 0.001


class WritePacer:
    """A token bucket mirroring the server's for one category, shared by the worker threads."""

    def __init__(self, state_source, window_seconds=WINDOW_SECONDS, clock=time.monotonic):
        """state_source() returns the last (limit, remaining, reset_epoch, seen_at) or None."""
        self._source = state_source
        self._window = float(window_seconds)
        self._clock = clock
        self._cond = threading.Condition()
        self._synced = False
        self._unlimited = False
        self._capacity = 0.0
        self._rate = 0.0
        self._tokens = 0.0
        self._stamp = clock()
        self._inflight = 0
        self._last_seen = None
        self.waited_seconds = 0.0
        self.corrections = 0

    # -- what workers call ----------------------------------------------------------------
    def acquire(self):
        """Block until this worker may send one request, then count it as in flight."""
        with self._cond:
            while True:
                self._sync_locked()
                if not self._synced:
                    if self._inflight == 0:
                        break  # the probe
                    self._cond.wait(MAX_WAIT_SECONDS)
                    continue
                if self._unlimited:
                    break
                self._refill_locked()
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    break
                delay = MAX_WAIT_SECONDS
                if self._rate > 0:
                    # At least a millisecond: float rounding must never turn this into a busy loop.
                    delay = max(MIN_WAIT_SECONDS, min(MAX_WAIT_SECONDS, (1.0 - self._tokens) / self._rate))
                started = self._clock()
                self._cond.wait(delay)
                self.waited_seconds += self._clock() - started
            self._inflight += 1

    def release(self):
        """The request has been answered (or failed): learn from the latest headers, wake waiters."""
        with self._cond:
            self._inflight = max(0, self._inflight - 1)
            if not self._sync_locked() and not self._synced and self._inflight == 0:
                # The probe came back without rate-limit headers: this server does not limit.
                self._synced = True
                self._unlimited = True
            self._cond.notify_all()

    # -- state ----------------------------------------------------------------------------
    def snapshot(self):
        with self._cond:
            return {"synced": self._synced, "unlimited": self._unlimited, "limit": self._capacity,
                    "tokens": round(self._tokens, 3), "in_flight": self._inflight,
                    "waited_seconds": round(self.waited_seconds, 3), "corrections": self.corrections}

    def _refill_locked(self):
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now

    def _sync_locked(self):
        """Apply headers seen since the last sync; True when there were any."""
        state = self._source()
        if not state:
            return False
        limit, remaining, _reset, seen_at = state
        if self._last_seen is not None and seen_at <= self._last_seen:
            return False
        self._last_seen = seen_at
        limit = float(limit)
        if limit <= 0:
            return False
        self._refill_locked()
        self._capacity = limit
        self._rate = limit / self._window
        self._unlimited = False
        # Requests still in flight may or may not be counted in `remaining` yet: assume not.
        lower_bound = float(remaining) - max(0, self._inflight)
        if not self._synced:
            self._tokens = min(limit, lower_bound)
            self._synced = True
        elif float(remaining) < self._tokens - 1.0:
            # The server holds fewer tokens than we think even before counting our requests in
            # flight: someone else spends this identity's budget (or a 429 came back).
            self._tokens = lower_bound
            self.corrections += 1
        return True
