# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault injection for tests (docs/development.md, "A fault").

Kinds: ``status`` answers an error without processing, ``drop_before`` closes the
connection without processing, ``drop_after`` processes and then closes without answering,
``latency`` sleeps and then processes, ``echo_body`` plays a hostile server or proxy: it answers
``status`` (default 422) with what it was sent inside the error's message and details - the
request body (``echo: request``, the default; ``echo_headers: true`` adds the Authorization
header), or, after processing, the answer it would have given (``echo: answer``: a batch read's
values). ``count`` limits a fault to the first N matching
requests, ``share`` picks matching requests with a seeded RNG; with both, a request must be
among the first N matching ones and win the draw. Latency faults add up and combine with
one other fault; of the other kinds the first selected fault in list order applies.

Two more kinds make races deterministic (tests/integration, tests/reliability): ``hold`` keeps a
selected request waiting before it is processed until the test releases it (``POST
/_dev/faults/release``, or ``DELETE /_dev/faults`` / reset; at most ``hold_seconds``, default 30), so
another writer can land at an exact point (``"stage": "commit"`` holds a secret PUT inside the write instead, after
it read the head: a writer landing then makes it answer ``409 version_conflict``); ``path_error`` processes a batch read or batch metadata
request, then answers the paths matching ``batch_path_regex`` as per-path errors (``code``, default
``access_denied``) instead of their objects. ``after`` lets the first N matching requests pass
untouched (e.g. hold the second GET of a path, not the first).
"""

import random
import re
import threading

from .errors import ApiError

KINDS = ("status", "drop_before", "drop_after", "latency", "echo_body", "hold", "path_error")
# Where a hold waits: before the request is processed, or (secret PUTs) after the write read the head and before it
# commits, so that another writer lands inside the write and it answers 409 version_conflict.
HOLD_STAGES = ("before", "commit")
HOLD_SECONDS = 30.0
_CODES = {
    400: "invalid_request", 401: "token_invalid", 403: "access_denied", 404: "not_found",
    409: "version_conflict", 429: "rate_limited", 500: "internal_error", 502: "backend_unavailable",
    503: "service_unavailable", 504: "gateway_timeout",
}


def _number(spec, key, kind, low=float("-inf"), high=float("inf")):
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, kind) or not low <= value <= high:
        raise ValueError("fault %s=%r must be a number between %s and %s" % (key, value, low, high))
    return value


class Fault:
    def __init__(self, spec):
        if not isinstance(spec, dict) or spec.get("kind") not in KINDS:
            raise ValueError("each fault needs kind in %s" % (KINDS,))
        self.spec = dict(spec)
        self.kind = spec["kind"]
        self.status = _number(spec, "status", int, 100, 599) or (422 if self.kind == "echo_body" else 503)
        self.echo = spec.get("echo") or "request"
        if self.echo not in ("request", "answer"):
            raise ValueError("fault echo must be request or answer")
        self.echo_headers = bool(spec.get("echo_headers"))
        self.code = spec.get("code") or _CODES.get(self.status, "injected_fault")
        self.retry_after = _number(spec, "retry_after", (int, float), 0)
        self.share = _number(spec, "share", (int, float), 0, 1)
        self.count = _number(spec, "count", int, 0)
        self.latency_ms = _number(spec, "latency_ms", (int, float), 0) or 0
        self.after = _number(spec, "after", int, 0) or 0
        self.hold_seconds = _number(spec, "hold_seconds", (int, float), 0) or HOLD_SECONDS
        self.stage = spec.get("stage") or "before"
        if self.stage not in HOLD_STAGES:
            raise ValueError("fault stage must be one of %s" % (HOLD_STAGES,))
        try:
            self.batch_path_regex = re.compile(spec.get("batch_path_regex") or "")
        except re.error as exc:
            raise ValueError("fault batch_path_regex is not a regular expression: %s" % exc) from None
        self.method = (spec.get("method") or "").upper() or None
        try:
            self.path_regex = re.compile(spec["path_regex"]) if spec.get("path_regex") else None
        except re.error as exc:
            raise ValueError("fault path_regex is not a regular expression: %s" % exc) from None
        self._rng = random.Random(_number(spec, "seed", int) or 0)
        self.matched = 0
        self.injected = 0

    def selects(self, method, path):
        """Whether this request gets the fault; updates the counts and the RNG sequence."""
        if (self.method and self.method != method) or (self.path_regex and not self.path_regex.search(path)):
            return False
        self.matched += 1
        if self.matched <= self.after:
            return False
        if self.count is not None and self.matched - self.after > self.count:
            return False
        if self.share is not None and self._rng.random() >= self.share:
            return False
        self.injected += 1
        return True

    def error(self):
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
        return ApiError(self.status, self.code, "injected fault: %s %d" % (self.code, self.status), {"injected": True}, headers)

    def echo_error(self, text, authorization=None):
        """The hostile answer: everything it was sent (or would have answered), in message and details."""
        if self.echo_headers and authorization:
            text = "Authorization: %s\n%s" % (authorization, text)
        code = self.spec.get("code") or ("validation_error" if self.status in (400, 422) else self.code)
        return ApiError(self.status, code, "invalid request body: %s" % text,
                        {"fields": ["data"], "body": text, "echo": {"received": text}})

    def path_errors(self, body):
        """path_error: the batch answer with the paths matching batch_path_regex moved to its errors."""
        if not isinstance(body, dict) or not isinstance(body.get("errors"), dict):
            return body
        found = next((body[key] for key in ("secrets", "data", "results") if isinstance(body.get(key), dict)), None)
        if found is None:
            return body
        code = self.spec.get("code") or "access_denied"
        for path in [path for path in list(found) + list(body["errors"]) if self.batch_path_regex.search(path)]:
            found.pop(path, None)
            body["errors"][path] = {"code": code, "message": "injected fault: %s for %s" % (code, path)}
        return body

    def describe(self):
        return dict(self.spec, matched=self.matched, injected=self.injected)


class Holds:
    """Requests a ``hold`` fault keeps waiting, until released (or their fault's hold_seconds pass)."""

    def __init__(self):
        self._cond = threading.Condition()
        self._generation = 0
        self.waiting = 0

    def hold(self, seconds):
        with self._cond:
            generation = self._generation
            self.waiting += 1
            self._cond.notify_all()
            try:
                self._cond.wait_for(lambda: self._generation != generation, seconds)
            finally:
                self.waiting -= 1
                self._cond.notify_all()

    def release(self):
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    def wait_for_held(self, count, timeout):
        """True once at least ``count`` requests are held (False after ``timeout`` seconds)."""
        with self._cond:
            return self._cond.wait_for(lambda: self.waiting >= count, timeout)


class FaultInjector:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []
        self.holds = Holds()

    def replace(self, specs):
        if not isinstance(specs, list):
            raise ValueError("'faults' must be a list")
        faults = [Fault(spec) for spec in specs]
        with self._lock:
            self._faults = faults
        return self.describe()

    def clear(self):
        with self._lock:
            self._faults = []
        self.holds.release()

    def describe(self):
        with self._lock:
            return [fault.describe() for fault in self._faults]

    def select(self, method, path):
        """(seconds of latency to add, the non-latency Fault to apply or None)."""
        latency, chosen = 0.0, None
        with self._lock:
            for fault in self._faults:
                if fault.kind != "latency" and chosen is not None:
                    continue
                if not fault.selects(method, path):
                    continue
                if fault.kind == "latency":
                    latency += fault.latency_ms / 1000.0
                else:
                    chosen = fault
        return latency, chosen
