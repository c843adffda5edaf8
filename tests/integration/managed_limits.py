# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A bulk run against ScaiVault's documented managed-service rate limits, measured out of band.

The dev server plays the ``managed`` preset (https://www.scailabs.ai/en/docs/scaivault/advanced/rate-limiting:
writes 100/min, reads 1000/min, batch reads 100/min, ...; a batch read costs 1 batch-read unit + 1 read unit per
path, api-guides/batch-operations), optionally ``time_scale``-d: every bucket keeps its documented capacity and
refills k times faster, so N secrets take 1/k of the real time with the same ratios.

The run: ``asm_migrate`` writes N secrets (paced by its WritePacer), then the ``scailabs.scaivault.secret`` lookup
reads all N back in batch reads of 100 (paced by the client's ReadPacing: N read units against the 1000 read
bucket). The dev server's own counters say how many requests it answered 429; the list API says what it holds.

Used by tests/integration/test_pacing.py (time-scaled, in make test) and tests/bench/managed_limits.py (real time).
"""

from __future__ import annotations

import time

from integration.asm_seed import BULK_VALUE_FORMAT, seed_bulk
from integration.playbook_runner import run_module, run_playbook

REGION = "us-east-1"
PREFIX = "paced/"
TARGET = "migrated/paced/"
READ_PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Read every migrated secret back (batch reads of 100)
      ansible.builtin.set_fact:
        read_back: "{{ query('scailabs.scaivault.secret', *paths) }}"
      no_log: true
    - name: Every value came back
      ansible.builtin.assert:
        that:
          - read_back | length == paths | length
          - read_back | map(attribute='value') | list == expected
        quiet: true
"""


def _listed(servers):
    """{path: version} of everything under TARGET, from the list API (rate limits off by then)."""
    found, cursor = {}, None
    while True:
        query = "/v1/secrets?prefix=%s&limit=1000" % TARGET + ("&cursor=%s" % cursor if cursor else "")
        page = servers.dev_call("GET", query)
        found.update((item["path"], item["version"]) for item in page["secrets"])
        cursor = page.get("cursor")
        if not page.get("has_more"):
            return found


def run_managed_limits(servers, n, time_scale=1, workers=8, timeout=7200):
    """Seed N secrets in ASM, migrate them and read them back under the managed limits; the figures.

    The collection is told the scaled window (SCAIVAULT_RATE_LIMIT_WINDOW = 60 / time_scale seconds), as a
    self-hosted tenant with another window would be: a bucket that is never drained (the read bucket behind batch
    reads) does not show its refill rate in any header."""
    names = seed_bulk(servers.asm_url, n, REGION, PREFIX)
    env = dict(servers.env, SCAIVAULT_RATE_LIMIT_WINDOW=str(60.0 / time_scale))
    servers.dev_call("POST", "/_dev/rate-limits", {"preset": "managed", "time_scale": time_scale})
    servers.reset_dev_counters()
    started = time.monotonic()
    migrated = run_module("asm_migrate", {
        "region": REGION, "prefixes": [PREFIX], "mapping": [{"match": PREFIX + "**", "path": TARGET + "**"}],
        "workers": workers}, env=env, timeout=timeout)
    write_seconds = time.monotonic() - started
    paths = [TARGET + name[len(PREFIX):] for name in names]
    read = run_playbook(READ_PLAY, env=env, timeout=timeout, extra_vars={
        "paths": paths, "expected": [BULK_VALUE_FORMAT % index for index in range(n)]})
    elapsed = time.monotonic() - started
    counters = servers.dev_counters()
    servers.dev_call("POST", "/_dev/rate-limits", {"enabled": False})
    by_route = counters.get("by_route", {})
    return {
        "n": n, "time_scale": time_scale, "migrate_failed": migrated.failed,
        "migrate_msg": (migrated.result.get("msg") or "")[:2000], "read_ok": read.rc == 0,
        "read_output": "" if read.rc == 0 else read.stdout[-3000:],
        "write_seconds": round(write_seconds, 2), "elapsed_seconds": round(elapsed, 2),
        "requests": counters.get("total", 0), "status_429": int(counters.get("by_status", {}).get("429", 0)),
        "puts": by_route.get("PUT /v1/secrets/{path}", 0), "batch_reads": by_route.get("POST /v1/secrets/batch", 0),
        "stored": _listed(servers), "expected_paths": paths,
        "pacing": migrated.result.get("pacing"),
    }


def minimum_write_seconds(n, time_scale, per_minute=100):
    """The least time N writes take against a full bucket of ``per_minute`` refilled ``time_scale`` times faster."""
    return max(0.0, (n - per_minute) / (per_minute / 60.0 * time_scale))
