# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Client-side pacing of ScaiVault writes and reads, so a bulk run sits at the tenant's limits without 429s.

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
- The refill rate is Limit per WINDOW_SECONDS, or faster when X-RateLimit-Reset (when the bucket is full again)
  says so: a bucket short of some tokens that is full in S seconds refills (Limit - Remaining) / S tokens a second.
  The estimate errs slow (a Reset in whole seconds is rounded up) and never goes past Limit per WINDOW_SECONDS.
- A request may cost several tokens (``acquire(units)``): a batch read costs 1 batch-read unit plus one read
  unit per path [doc: api-guides/batch-operations]. ReadPacing paces the read categories that way; a bucket
  whose headers were never seen (the read bucket, when only batch reads are sent) is assumed from the
  documented ratio to one that was seen (read = 10 x batch read), full at first sight.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import threading
import time


def _window_seconds(environ=None):
    """[doc] advanced/rate-limiting: every limit is per minute. SCAIVAULT_RATE_LIMIT_WINDOW (seconds) overrides it for
    a tenant whose buckets refill in another window (a self-hosted override; the dev server's time-scaled presets)."""
    text = (environ if environ is not None else os.environ).get("SCAIVAULT_RATE_LIMIT_WINDOW")
    try:
        value = float(text) if text else 60.0
    except ValueError:
        value = 60.0
    return value if value > 0 else 60.0


WINDOW_SECONDS = _window_seconds()  # X-RateLimit-Limit counts requests per minute
MIN_WINDOW_SECONDS = 0.1
MIN_RESET_SECONDS = 0.05  # a bucket full again sooner than this tells too little
MAX_WAIT_SECONDS = 5.0  # re-check at least this often while waiting (limits can be raised meanwhile)
MIN_WAIT_SECONDS = 0.001


class WritePacer:
    """A token bucket mirroring the server's for one category, shared by the worker threads."""

    def __init__(self, state_source, window_seconds=WINDOW_SECONDS, clock=time.monotonic, fallback_source=None,
                 window_source=None):
        """state_source() returns the last (limit, remaining, reset_epoch, seen_at) or None; while it has nothing,
        fallback_source() (the same shape, or None) stands in; window_source() (seconds, or None) is the window to
        assume until this bucket's own headers tell its refill rate."""
        self._source = state_source
        self._fallback = fallback_source
        self._window_source = window_source
        self._window = float(window_seconds)
        self._own_window = None
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
    def acquire(self, units=1):
        """Block until this worker may send a request costing ``units`` tokens, then count them as in flight."""
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
                # A cost above the capacity could never be met: it waits for a full bucket instead.
                needed = min(float(units), self._capacity)
                if self._tokens >= needed:
                    self._tokens -= units
                    break
                delay = MAX_WAIT_SECONDS
                if self._rate > 0:
                    # At least a millisecond: float rounding must never turn this into a busy loop.
                    delay = max(MIN_WAIT_SECONDS, min(MAX_WAIT_SECONDS, (needed - self._tokens) / self._rate))
                started = self._clock()
                self._cond.wait(delay)
                self.waited_seconds += self._clock() - started
            self._inflight += units

    def release(self, units=1):
        """The request has been answered (or failed): learn from the latest headers, wake waiters."""
        with self._cond:
            self._inflight = max(0, self._inflight - units)
            if not self._sync_locked() and not self._synced and self._inflight == 0:
                # The probe came back without rate-limit headers: this server does not limit.
                self._synced = True
                self._unlimited = True
            self._cond.notify_all()

    # -- state ----------------------------------------------------------------------------
    def snapshot(self):
        with self._cond:
            return {"synced": self._synced, "unlimited": self._unlimited, "limit": self._capacity,
                    "window_seconds": round(self.window(), 3),
                    "tokens": round(self._tokens, 3), "in_flight": self._inflight,
                    "waited_seconds": round(self.waited_seconds, 3), "corrections": self.corrections}

    def _refill_locked(self):
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now
        if self._capacity > 0:
            self._rate = self._capacity / self.window()  # the window may have been learnt (or borrowed) since

    def window(self):
        """Seconds in which the bucket refills its whole capacity: learnt from Reset, else WINDOW_SECONDS."""
        if self._own_window is not None:
            return self._own_window
        borrowed = self._window_source() if self._window_source is not None else None
        return borrowed or self._window

    def _learn_window(self, limit, remaining, reset, seen_at):
        """A bucket short of (limit - remaining) tokens that is full again in (reset - seen_at) s tells the refill
        rate. A Reset in whole seconds is rounded up, so the estimate errs slow; capped at WINDOW_SECONDS."""
        try:
            to_full = float(reset) - float(seen_at)
        except (TypeError, ValueError):
            return
        if remaining >= limit or to_full < MIN_RESET_SECONDS:
            return
        estimate = to_full * limit / (limit - remaining)
        self._own_window = max(MIN_WINDOW_SECONDS, min(self._window, estimate))

    def _sync_locked(self):
        """Apply headers seen since the last sync; True when there were any."""
        state = self._source() or (self._fallback() if self._fallback is not None else None)
        if not state:
            return False
        limit, remaining, reset, seen_at = state
        if self._last_seen is not None and seen_at <= self._last_seen:
            return False
        self._last_seen = seen_at
        limit = float(limit)
        if limit <= 0:
            return False
        self._refill_locked()
        self._capacity = limit
        self._learn_window(limit, float(remaining), reset, seen_at)
        self._rate = limit / self.window()
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


# [doc] advanced/rate-limiting: the managed defaults per minute of the read categories, and
# [doc] api-guides/batch-operations: a batch read costs 1 batch-read unit + 1 read unit per path.
READ_CATEGORIES = ("read", "batch_read", "batch_metadata", "list")
DOCUMENTED_PER_MINUTE = {"read": 1000, "batch_read": 100, "batch_metadata": 100, "list": 100}


def read_costs(category, paths=0):
    """{category: units} a read request costs: a batch read 1 batch_read + one read unit per path."""
    if category == "batch_read":
        return {"batch_read": 1, "read": max(0, int(paths))}
    return {category: 1}


class ReadPacing:
    """A pacer per read category, fed by the client's last X-RateLimit-* figures per category.

    ``rate_limits.get(category)`` gives (limit, remaining, reset, seen_at). The read bucket is only seen on
    single reads: before that (a run of batch reads) it is assumed from the documented ratio to the bucket
    of another read category that was seen, full at first sight, refilling in the same window.
    """

    def __init__(self, rate_limits, clock=time.monotonic):
        self._rate_limits = rate_limits
        self._assumed = {}
        self._lock = threading.Lock()
        self.pacers = {}
        for category in READ_CATEGORIES:
            self.pacers[category] = WritePacer(
                lambda category=category: rate_limits.get(category), clock=clock,
                fallback_source=lambda category=category: self._assumed_state(category),
                window_source=lambda category=category: self._sibling_window(category))

    def _seen_sibling(self, category):
        for other in READ_CATEGORIES:
            if other != category and self._rate_limits.get(other):
                return other
        return None

    def _assumed_state(self, category):
        """(limit, limit, seen_at, seen_at) from a seen sibling, scaled by the documented ratio; fixed once made."""
        with self._lock:
            if category not in self._assumed:
                sibling = self._seen_sibling(category)
                if sibling is None:
                    return None
                limit, _remaining, _reset, seen_at = self._rate_limits.get(sibling)
                assumed = int(limit) * DOCUMENTED_PER_MINUTE[category] // DOCUMENTED_PER_MINUTE[sibling]
                self._assumed[category] = (assumed, assumed, seen_at, seen_at)
            return self._assumed[category]

    def _sibling_window(self, category):
        sibling = self._seen_sibling(category)
        if sibling is None:
            return None
        pacer = self.pacers[sibling]
        return pacer._own_window  # pylint: disable=protected-access

    def acquire(self, costs):
        """Block until every category of ``costs`` ({category: units}) has the units, taking them in order."""
        for category, units in sorted(costs.items()):
            if category in self.pacers and units:
                self.pacers[category].acquire(units)

    def release(self, costs):
        for category, units in costs.items():
            if category in self.pacers and units:
                self.pacers[category].release(units)

    def snapshot(self):
        return dict((category, pacer.snapshot()) for category, pacer in self.pacers.items() if pacer.snapshot()["synced"])
