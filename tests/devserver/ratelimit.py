# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Token buckets per (identity, category), the way the managed service limits calls.

Off by default so that ordinary tests never wait; when off the X-RateLimit-* headers are
still sent (with a generous limit) so clients can rely on their presence.

Categories and managed defaults as documented (advanced/rate-limiting); endpoints the docs give no category
(rotation policies) are not limited. A batch read costs 1 batch-read unit plus one read unit per path
(api-guides/batch-operations): the route asks for the extra units, all or nothing.

Presets: ``{"preset": "managed"}`` = enabled with the documented defaults; ``"time_scale": k`` (with or without a
preset) keeps every bucket's capacity (the documented burst) but refills it k times faster - the same ratios in
1/k of the time, for tests that cannot wait real minutes. X-RateLimit-Reset tells when a bucket is full again (unix
seconds; with a time scale to the millisecond, so that a client can learn the faster refill from it).
"""

import math
import threading
import time

from .errors import ApiError

# Managed-service defaults per minute: https://www.scailabs.ai/en/docs/scaivault/advanced/rate-limiting
DEFAULT_PER_MINUTE = {
    "read": 1000, "write": 100, "delete": 100, "list": 100, "batch_read": 100,
    "batch_metadata": 100, "audit": 50, "audit_export": 5, "policy": 50, "policy_test": 200,
    "webhook": 20, "subscription": 20, "subscription_poll": 240, "federation": 20, "auth": 300,
}
PRESETS = ("managed",)
GENEROUS_LIMIT = 1000000


class _Bucket:
    """Continuous refill at ``per_minute / 60`` tokens per second, capacity ``per_minute``."""

    def __init__(self, per_minute, time_scale=1.0, monotonic=time.monotonic, wall=time.time):
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0 * time_scale
        self.scaled = time_scale != 1
        self.tokens = self.capacity
        self.monotonic = monotonic
        self.wall = wall
        self.stamp = monotonic()

    def refill(self):
        now = self.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def headers(self):
        seconds_to_full = (self.capacity - self.tokens) / self.rate
        return {
            "X-RateLimit-Limit": str(int(self.capacity)),
            "X-RateLimit-Remaining": str(int(math.floor(self.tokens))),
            # Whole seconds as documented; a time-scaled bucket (full in well under a second) to the millisecond,
            # else a client could not tell its refill rate from it.
            "X-RateLimit-Reset": ("%.3f" % (self.wall() + seconds_to_full) if self.scaled
                                  else str(int(math.ceil(self.wall() + seconds_to_full)))),
        }

    def retry_after(self, units=1.0):
        return max(1, int(math.ceil((units - self.tokens) / self.rate)))


def validate_settings(settings):
    """Normalise ``{"enabled": bool, "per_minute": {category: int}, "preset"?: "managed", "time_scale"?: k}``
    (or the string ``"managed"``); ValueError on nonsense."""
    if settings in PRESETS:
        settings = {"preset": settings}
    if not isinstance(settings, dict):
        raise ValueError("expected {'enabled': bool, 'per_minute': {category: int}} or a preset (%s)" % ", ".join(PRESETS))
    preset = settings.get("preset")
    if preset is not None and preset not in PRESETS:
        raise ValueError("unknown rate-limit preset %r (known: %s)" % (preset, ", ".join(PRESETS)))
    enabled = settings.get("enabled", True)
    per_minute = settings.get("per_minute") or {}
    time_scale = settings.get("time_scale", 1)
    if isinstance(time_scale, bool) or not isinstance(time_scale, (int, float)) or time_scale <= 0:
        raise ValueError("time_scale must be a positive number")
    if not isinstance(enabled, bool) or not isinstance(per_minute, dict):
        raise ValueError("expected {'enabled': bool, 'per_minute': {category: int}}")
    for category, limit in per_minute.items():
        if category not in DEFAULT_PER_MINUTE:
            raise ValueError("unknown rate-limit category %r (known: %s)" % (category, ", ".join(DEFAULT_PER_MINUTE)))
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError("per_minute[%r] must be a positive integer" % category)
    normalised = {"enabled": enabled, "per_minute": dict(DEFAULT_PER_MINUTE, **per_minute), "time_scale": time_scale}
    if preset:
        normalised["preset"] = preset
    return normalised


class RateLimiter:
    def __init__(self, baseline=None, monotonic=time.monotonic, wall=time.time):
        """``baseline`` (from --rate-limits) is what ``/_dev/reset`` returns to. ``monotonic`` and ``wall`` are the
        clocks of the buckets (refill) and of X-RateLimit-Reset: a unit test runs the limiter on simulated time."""
        self._monotonic = monotonic
        self._wall = wall
        self._baseline = validate_settings(baseline) if baseline else {"enabled": False, "per_minute": dict(DEFAULT_PER_MINUTE),
                                                                       "time_scale": 1}
        self._lock = threading.Lock()
        self.settings = self._baseline
        self._buckets = {}

    def configure(self, settings):
        """Apply new settings; buckets start full again."""
        normalised = validate_settings(settings)
        with self._lock:
            self.settings = normalised
            self._buckets = {}
        return normalised

    def reset(self):
        with self._lock:
            self.settings = self._baseline
            self._buckets = {}

    def _bucket(self, identity_id, category, create):
        """The live bucket (lock held by the caller); a full one when ``create`` is False and none exists."""
        bucket = self._buckets.get((identity_id, category))
        if bucket is None:
            bucket = _Bucket(self.settings["per_minute"][category], self.settings["time_scale"], self._monotonic, self._wall)
            if create:
                self._buckets[(identity_id, category)] = bucket
        bucket.refill()
        return bucket

    def _limited(self, identity_id, category):
        return bool(category and identity_id and self.settings["enabled"])

    def peek(self, identity_id, category):
        """Headers for a response that did not consume (errors before the limiter ran)."""
        if not self._limited(identity_id, category):
            return generous_headers()
        with self._lock:
            return self._bucket(identity_id, category, create=False).headers()

    def consume(self, identity_id, category, extra=None):
        """Take one token of ``category`` and ``extra`` ({category: units}, e.g. the read units of a batch read),
        all or none; returns the headers of ``category``, or raises 429 rate_limited with Retry-After (the time
        until every bucket concerned has what the request costs; details.category names the one short)."""
        if not self._limited(identity_id, category):
            return generous_headers()
        costs = [(category, 1.0)] + [(name, float(units)) for name, units in sorted((extra or {}).items()) if units]
        with self._lock:
            buckets = [(name, self._bucket(identity_id, name, create=True), units) for name, units in costs]
            short = [(name, bucket, units) for name, bucket, units in buckets if bucket.tokens < min(units, bucket.capacity)]
            main = buckets[0][1]
            if short:
                wait = max(bucket.retry_after(min(units, bucket.capacity)) for _name, bucket, units in short)
                name, bucket, units = short[0]
                headers = dict(main.headers(), **{"Retry-After": str(wait)})
                raise ApiError(429, "rate_limited", "rate limit for %s exceeded (%d per minute, this request costs %d); "
                               "retry after %s s" % (name, int(bucket.capacity), units, wait),
                               {"category": name, "cost": dict((n, u) for n, _b, u in buckets)}, headers)
            for _name, bucket, units in buckets:
                bucket.tokens -= units
            return main.headers()


def generous_headers():
    return {"X-RateLimit-Limit": str(GENEROUS_LIMIT), "X-RateLimit-Remaining": str(GENEROUS_LIMIT),
            "X-RateLimit-Reset": str(int(time.time()))}
