# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""WritePacer against the dev server's rate limiter on simulated time: the run sits at the limit without 429s."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients.pacing import (
    ReadPacing, WritePacer, _window_seconds, read_costs)

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients.scaivault import RateLimitState
from devserver.errors import ApiError  # pylint: disable=import-error
from devserver.ratelimit import RateLimiter  # pylint: disable=import-error
from unit.fakes import FakeClock


class ServerBucket:
    """The dev server's own rate limiter (tests/devserver/ratelimit.py) on the simulated clock, its answers read by
    the client's own RateLimitState: the figures WritePacer gets from a live server, without waiting real minutes.

    ``tokens``: the bucket is first drained to that many tokens (requests of the same identity, on the clock)."""

    IDENTITY = "sa:migrator"
    WALL_AT_START = 1.7e9  # the simulated wall clock (X-RateLimit-Reset) moves with ``clock``

    def __init__(self, per_minute, clock, tokens=None):
        self.clock = clock
        self.per_minute = per_minute

        def wall():
            return self.WALL_AT_START + clock.now

        self.limiter = RateLimiter({"enabled": True, "per_minute": {"write": per_minute}}, monotonic=clock, wall=wall)
        self.seen = RateLimitState(wall=wall)
        self.accepted = 0
        self.rejected = 0
        self.lock = threading.Lock()
        if tokens is not None:
            self.spend_down_to(tokens)
            self.accepted = 0

    def state(self):
        """What the pacer reads: (limit, remaining, reset, seen_at) of the last answer the client saw."""
        return self.seen.get("write")

    def request(self):
        """One write request, answered a millisecond later on the clock (so each answer is seen as newer than the
        last, as on real time): a token taken, or a 429; the client sees its headers either way."""
        with self.lock:
            self.clock.now += 0.001
            try:
                headers = self.limiter.consume(self.IDENTITY, "write")
                self.accepted += 1
            except ApiError as refused:
                assert refused.status == 429
                headers = refused.headers
                self.rejected += 1
            self._seen(headers)

    def observe(self):
        """An answer that took nothing (the headers of the bucket as it stands), seen by the client."""
        headers = self.limiter.peek(self.IDENTITY, "write")
        self._seen(headers)

    def _seen(self, headers):
        """The client reads headers case-insensitively (httpx): the dev server's names, lower-cased."""
        self.seen.update("write", dict((name.lower(), value) for name, value in headers.items()))

    def remaining(self):
        return int(self.limiter.peek(self.IDENTITY, "write")["X-RateLimit-Remaining"])

    def spend_down_to(self, tokens):
        """Requests by another client of the same identity until ``tokens`` (a fraction: refilled on the clock) are left."""
        whole = int(tokens)
        while self.remaining() > whole:
            self.limiter.consume(self.IDENTITY, "write")
        self.clock.now += (tokens - whole) * 60.0 / self.per_minute


def simulate_waits(pacer, clock, on_wait=None):
    """Single-threaded simulation: a wait advances the fake clock by its timeout instead of sleeping; the timeouts
    are returned (``on_wait(timeout)`` runs at each, e.g. to let the probe's answer arrive meanwhile)."""
    waits = []
    original_wait = pacer._cond.wait  # pylint: disable=protected-access

    def fake_wait(timeout=None):
        waits.append(timeout)
        clock.now += timeout or 0.0
        if on_wait is not None:
            on_wait(timeout)
        return original_wait(0)

    pacer._cond.wait = fake_wait  # pylint: disable=protected-access
    return waits


def test_probe_goes_alone_then_everyone_follows_the_headers():
    clock = FakeClock()
    server = ServerBucket(600, clock, tokens=3)
    pacer = WritePacer(server.state, clock=clock)
    pacer.acquire()  # the probe
    blocked = threading.Event()

    def second():
        pacer.acquire()
        blocked.set()

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.05)
    assert not blocked.is_set(), "a second request went out before the probe's answer"
    server.request()
    pacer.release()
    thread.join(2)
    assert blocked.is_set()
    server.request()
    pacer.release()
    assert server.rejected == 0


def test_steady_state_runs_at_the_limit_without_rejections():
    """Simulated time: a drained bucket of 600/min, 300 requests, never a 429, about 10/s."""
    clock = FakeClock()
    server = ServerBucket(600, clock, tokens=0)
    pacer = WritePacer(server.state, clock=clock)

    simulate_waits(pacer, clock)
    start = clock.now
    server.observe()  # headers seen before: drained bucket
    for _index in range(300):
        pacer.acquire()
        server.request()
        clock.now += 0.002  # round trip
        pacer.release()
    elapsed = clock.now - start
    assert server.rejected == 0
    achieved = 300 / elapsed * 60.0
    assert 570 <= achieved <= 600, achieved


def test_someone_else_spending_the_budget_is_noticed():
    clock = FakeClock()
    server = ServerBucket(600, clock)
    pacer = WritePacer(server.state, clock=clock)
    pacer.acquire()
    server.request()
    pacer.release()
    assert pacer.snapshot()["tokens"] >= 598
    server.spend_down_to(10)  # another client of the same identity drained it
    pacer.acquire()
    server.request()
    pacer.release()
    snapshot = pacer.snapshot()
    assert snapshot["tokens"] <= 9 and snapshot["corrections"] == 1


def test_rounding_noise_is_not_a_correction():
    clock = FakeClock()
    server = ServerBucket(600, clock, tokens=0.5)
    pacer = WritePacer(server.state, clock=clock)
    server.observe()  # Remaining 0 (whole tokens) while the bucket holds half of one
    with pacer._cond:  # pylint: disable=protected-access
        pacer._sync_locked()  # pylint: disable=protected-access
    assert pacer.snapshot()["corrections"] == 0


def test_a_server_without_headers_is_not_paced():
    pacer = WritePacer(lambda: None)
    pacer.acquire()
    pacer.release()
    for _index in range(100):
        pacer.acquire()
    assert pacer.snapshot()["unlimited"] is True
    for _index in range(100):
        pacer.release()


def test_generous_limits_never_wait():
    state = [(1000000, 1000000, 0, 1.0)]
    pacer = WritePacer(lambda: state[0])
    started = time.monotonic()
    for index in range(1000):
        pacer.acquire()
        state[0] = (1000000, 1000000, 0, 1.0 + index)
        pacer.release()
    assert time.monotonic() - started < 1.0


def test_a_batch_read_costs_one_batch_unit_and_one_read_unit_per_path():
    """https://www.scailabs.ai/en/docs/scaivault/api-guides/batch-operations: 1 batch-read unit + N read units; the
    read bucket, never seen behind batch reads, is assumed from the documented ratio (1000 : 100), full at first."""
    assert read_costs("batch_read", 100) == {"batch_read": 1, "read": 100} and read_costs("list") == {"list": 1}
    seen = {}

    class Limits:
        @staticmethod
        def get(category):
            return seen.get(category)

    pacing = ReadPacing(Limits())
    costs = read_costs("batch_read", 100)
    pacing.acquire(costs)  # the probe: nothing seen yet
    seen["batch_read"] = (100, 99, 0, time.time())
    pacing.release(costs)
    for _batch in range(3):
        pacing.acquire(costs)
        pacing.release(costs)
    snapshot = pacing.snapshot()
    assert snapshot["read"]["limit"] == 1000 and 690 <= snapshot["read"]["tokens"] <= 710
    assert snapshot["batch_read"]["limit"] == 100 and snapshot["batch_read"]["tokens"] >= 95


@pytest.mark.parametrize("text, seconds", [("6", 6.0), ("0.5", 0.5), ("", 60.0), ("soon", 60.0), ("0", 60.0),
                                           ("-3", 60.0), (None, 60.0)])
def test_the_window_comes_from_the_environment_when_it_is_a_positive_number(monkeypatch, text, seconds):
    environ = {} if text is None else {"SCAIVAULT_RATE_LIMIT_WINDOW": text}
    assert _window_seconds(environ) == seconds
    monkeypatch.setenv("SCAIVAULT_RATE_LIMIT_WINDOW", "12")
    assert _window_seconds() == 12.0
    assert _window_seconds(environ) == seconds


def synced(limit, remaining, reset=None, seen_at=100.0, clock=None):
    """A pacer that has seen one answer (limit, remaining, reset, seen_at), and its fake clock."""
    clock = clock or FakeClock()
    pacer = WritePacer(lambda: (limit, remaining, reset, seen_at), clock=clock)
    with pacer._cond:  # pylint: disable=protected-access
        pacer._sync_locked()  # pylint: disable=protected-access
    return pacer, clock


@pytest.mark.parametrize("remaining, reset, window", [
    (300, 115.0, 30.0),     # 300 tokens short, full in 15 s: 20 tokens a second, the whole bucket in 30 s
    (0, 400.0, 60.0),       # slower than the documented window: never slower than it
    (0, 100.06, 0.1),       # a tiny estimate stops at MIN_WINDOW_SECONDS
    (0, 100.04, 60.0),      # full again in under MIN_RESET_SECONDS: tells too little
    (600, 130.0, 60.0),     # a full bucket tells nothing
    (300, None, 60.0),      # no Reset
    (300, "soon", 60.0),
])
def test_the_refill_window_is_learnt_from_reset(remaining, reset, window):
    pacer, _clock = synced(600, remaining, reset)
    assert pacer.window() == pytest.approx(window)
    assert pacer.snapshot()["window_seconds"] == round(window, 3)


def test_a_reset_exactly_min_reset_seconds_away_is_learnt():
    pacer, _clock = synced(600, 0, 0.05, seen_at=0.0)
    assert pacer.window() == 0.1


def test_a_learnt_window_sets_the_refill_rate():
    pacer, clock = synced(600, 300, 115.0)  # 20 tokens a second
    clock.now += 1.5
    with pacer._cond:  # pylint: disable=protected-access
        pacer._refill_locked()  # pylint: disable=protected-access
    assert pacer.snapshot()["tokens"] == 330.0


@pytest.mark.parametrize("limit, waited", [
    (120, 0.5),   # one token at 2 a second
    (30, 2.0),    # one token at half a token a second (slower than 1/s)
])
def test_a_drained_bucket_waits_exactly_for_the_next_token(limit, waited):
    pacer, clock = synced(limit, 0)
    waits = simulate_waits(pacer, clock)
    assert pacer.snapshot()["tokens"] == 0.0
    pacer.acquire()
    assert waits == [waited]
    snapshot = pacer.snapshot()
    assert (snapshot["waited_seconds"], snapshot["in_flight"], snapshot["tokens"]) == (waited, 1, 0.0)


def test_the_wait_counts_only_the_tokens_still_missing():
    pacer, clock = synced(120, 0)
    clock.now += 0.25  # half a token refilled
    waits = simulate_waits(pacer, clock)
    pacer.acquire()
    assert waits == [0.25] and pacer.snapshot()["waited_seconds"] == 0.25


def test_waits_add_up_and_a_long_wait_is_rechecked_every_five_seconds():
    pacer, clock = synced(6, 0)  # a token every 10 s
    waits = simulate_waits(pacer, clock)
    pacer.acquire()
    pacer.acquire()
    assert waits == [5.0, 5.0, 5.0, 5.0] and pacer.snapshot()["waited_seconds"] == 20.0


def test_exactly_enough_tokens_go_without_waiting():
    pacer, clock = synced(600, 3)
    waits = simulate_waits(pacer, clock)
    pacer.acquire(3)
    assert waits == [] and pacer.snapshot()["tokens"] == 0.0


def test_tokens_in_flight_are_counted_per_unit():
    pacer, _clock = synced(600, 600)
    pacer.acquire(3)
    pacer.acquire(2)
    assert pacer.snapshot()["in_flight"] == 5
    pacer.release(4)
    assert pacer.snapshot()["in_flight"] == 1
    pacer.release(4)
    assert pacer.snapshot()["in_flight"] == 0


def test_a_cost_above_the_capacity_waits_for_a_full_bucket():
    pacer, clock = synced(60, 0)  # one a second, 60 at most
    waits = simulate_waits(pacer, clock)
    pacer.acquire(100)
    assert sum(waits) == 60.0 and pacer.snapshot()["tokens"] == -40.0


def test_while_the_probe_is_out_the_others_wait_for_its_answer():
    clock = FakeClock()
    state = []
    pacer = WritePacer(lambda: state[0] if state else None, clock=clock)
    pacer.acquire()  # the probe
    waits = simulate_waits(pacer, clock, on_wait=lambda _timeout: state.append((600, 10, None, 1.0)))
    pacer.acquire()
    assert waits == [5.0]
    snapshot = pacer.snapshot()
    assert (snapshot["synced"], snapshot["tokens"], snapshot["in_flight"]) == (True, 8.0, 2)


@pytest.mark.parametrize("limit, unlimited, capacity", [(0, True, 0.0), (1, False, 1.0), (-5, True, 0.0)])
def test_a_limit_of_zero_is_no_limit_and_one_is_a_limit(limit, unlimited, capacity):
    state = []
    pacer = WritePacer(lambda: state[0] if state else None, clock=FakeClock())
    pacer.acquire()
    state.append((limit, limit, None, 1.0))
    pacer.release()
    snapshot = pacer.snapshot()
    assert (snapshot["synced"], snapshot["unlimited"], snapshot["limit"]) == (True, unlimited, capacity)


@pytest.mark.parametrize("category, paths, costs", [
    ("batch_read", 0, {"batch_read": 1, "read": 0}), ("batch_read", -2, {"batch_read": 1, "read": 0}),
    ("batch_read", "3", {"batch_read": 1, "read": 3}), ("read", 5, {"read": 1}), ("batch_metadata", 5, {"batch_metadata": 1}),
])
def test_read_costs(category, paths, costs):
    assert read_costs(category, paths) == costs


def test_an_assumed_bucket_is_scaled_down_to_whole_tokens_and_borrows_the_learnt_window():
    seen = {"read": (15, 5, 115.0, 100.0)}  # 10 short, full in 15 s: the whole bucket in 22.5 s
    pacing = ReadPacing(seen)
    pacing.acquire({"read": 1, "batch_read": 1})
    pacing.release({"read": 1, "batch_read": 1})
    snapshot = pacing.snapshot()
    assert snapshot["read"]["window_seconds"] == 22.5
    assert snapshot["batch_read"]["limit"] == 1 and snapshot["batch_read"]["window_seconds"] == 22.5
    assert set(snapshot) == {"read", "batch_read"}  # the categories never acquired are not synced


def test_categories_read_pacing_does_not_know_or_zero_costs_are_skipped():
    pacing = ReadPacing({})
    pacing.acquire({"write": 2, "list": 0})
    pacing.release({"write": 2, "list": 0})
    assert pacing.snapshot() == {} and pacing.pacers["list"].snapshot()["in_flight"] == 0
