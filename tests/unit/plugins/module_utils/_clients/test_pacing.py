# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""WritePacer against a simulated server bucket: the run sits at the limit without 429s."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients.pacing import WritePacer

from unit.fakes import FakeClock


class FakeServer:
    """A token bucket like the dev server's, answering with X-RateLimit-* figures."""

    def __init__(self, per_minute, clock, tokens=None):
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.tokens = self.capacity if tokens is None else float(tokens)
        self.clock = clock
        self.stamp = clock()
        self.state = None
        self.accepted = 0
        self.rejected = 0
        self.lock = threading.Lock()

    def request(self):
        with self.lock:
            now = self.clock()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens < 1.0:
                self.rejected += 1
            else:
                self.tokens -= 1.0
                self.accepted += 1
            self.state = (int(self.capacity), int(self.tokens), 0, time.time() + self.accepted * 1e-6 + self.rejected * 1e-6)


def test_probe_goes_alone_then_everyone_follows_the_headers():
    clock = FakeClock()
    server = FakeServer(600, clock, tokens=3)
    pacer = WritePacer(lambda: server.state, clock=clock)
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
    server = FakeServer(600, clock, tokens=0)
    pacer = WritePacer(lambda: server.state, clock=clock)

    # Single-threaded simulation: waiting advances the fake clock instead of sleeping.
    original_wait = pacer._cond.wait  # pylint: disable=protected-access

    def fake_wait(timeout=None):
        clock.now += timeout or 0.0
        return original_wait(0)

    pacer._cond.wait = fake_wait  # pylint: disable=protected-access
    start = clock.now
    server.state = (600, 0, 0, time.time())  # headers seen before: drained bucket
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
    server = FakeServer(600, clock)
    pacer = WritePacer(lambda: server.state, clock=clock)
    pacer.acquire()
    server.request()
    pacer.release()
    assert pacer.snapshot()["tokens"] >= 598
    server.tokens = 10  # another client of the same identity drained it
    pacer.acquire()
    server.request()
    pacer.release()
    snapshot = pacer.snapshot()
    assert snapshot["tokens"] <= 9 and snapshot["corrections"] == 1


def test_rounding_noise_is_not_a_correction():
    clock = FakeClock()
    server = FakeServer(600, clock, tokens=0.5)
    pacer = WritePacer(lambda: server.state, clock=clock)
    server.state = (600, 0, 0, time.time())
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
    from ansible_collections.scailabs.scaivault.plugins.module_utils._clients.pacing import ReadPacing, read_costs

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
