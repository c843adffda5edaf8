# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Token buckets per (identity, category), the way the managed service limits calls.

Off by default so that ordinary tests never wait; when off the X-RateLimit-* headers are
still sent (with a generous limit) so clients can rely on their presence.
"""

import math
import threading
import time

from .errors import ApiError

# Managed-service defaults per minute (contract section 0).
DEFAULT_PER_MINUTE = {
    "read": 1000, "write": 100, "delete": 100, "list": 100, "batch_read": 100,
    "batch_metadata": 100, "audit": 50, "federation": 20, "rotation": 20, "webhook": 20,
}
GENEROUS_LIMIT = 1000000


class _Bucket:
    """Continuous refill at ``per_minute / 60`` tokens per second, capacity ``per_minute``."""

    def __init__(self, per_minute):
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def refill(self):
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def headers(self):
        seconds_to_full = (self.capacity - self.tokens) / self.rate
        return {
            "X-RateLimit-Limit": str(int(self.capacity)),
            "X-RateLimit-Remaining": str(int(math.floor(self.tokens))),
            "X-RateLimit-Reset": str(int(math.ceil(time.time() + seconds_to_full))),
        }

    def retry_after(self):
        return max(1, int(math.ceil((1.0 - self.tokens) / self.rate)))


def validate_settings(settings):
    """Normalise ``{"enabled": bool, "per_minute": {category: int}}``; ValueError on nonsense."""
    enabled = settings.get("enabled", True)
    per_minute = settings.get("per_minute") or {}
    if not isinstance(enabled, bool) or not isinstance(per_minute, dict):
        raise ValueError("expected {'enabled': bool, 'per_minute': {category: int}}")
    for category, limit in per_minute.items():
        if category not in DEFAULT_PER_MINUTE:
            raise ValueError("unknown rate-limit category %r (known: %s)" % (category, ", ".join(DEFAULT_PER_MINUTE)))
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError("per_minute[%r] must be a positive integer" % category)
    return {"enabled": enabled, "per_minute": dict(DEFAULT_PER_MINUTE, **per_minute)}


class RateLimiter:
    def __init__(self, baseline=None):
        """``baseline`` (from --rate-limits) is what ``/_dev/reset`` returns to."""
        self._baseline = validate_settings(baseline) if baseline else {"enabled": False, "per_minute": dict(DEFAULT_PER_MINUTE)}
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
            bucket = _Bucket(self.settings["per_minute"][category])
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

    def consume(self, identity_id, category):
        """Take one token; returns the headers, or raises 429 rate_limited with Retry-After."""
        if not self._limited(identity_id, category):
            return generous_headers()
        with self._lock:
            bucket = self._bucket(identity_id, category, create=True)
            if bucket.tokens < 1.0:
                headers = dict(bucket.headers(), **{"Retry-After": str(bucket.retry_after())})
                raise ApiError(429, "rate_limited", "rate limit for %s exceeded (%d per minute); retry after %s s" % (
                    category, int(bucket.capacity), headers["Retry-After"]), {"category": category}, headers)
            bucket.tokens -= 1.0
            return bucket.headers()


def generous_headers():
    return {"X-RateLimit-Limit": str(GENEROUS_LIMIT), "X-RateLimit-Remaining": str(GENEROUS_LIMIT),
            "X-RateLimit-Reset": str(int(time.time()))}
