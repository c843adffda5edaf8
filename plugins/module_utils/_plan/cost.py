# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""AWS Secrets Manager API cost of a ScaiVault federation backend: `sync` versus `proxy` mode.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import re

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError

# AWS prices monthly usage over 730 hours.
SECONDS_PER_MONTH = 730 * 3600
MINUTES_PER_MONTH = SECONDS_PER_MONTH // 60
PRICE_PER_10K_CALLS_USD = 0.05
LIST_PAGE_SIZE = 100
BATCH_GET_SIZE = 20
CRON_RUNS_PER_DAY = 1

_RATE_RE = re.compile(r"^rate\(\s*([0-9]+)\s+(hour|hours|day|days)\s*\)$")

ASSUMPTIONS = [
    "A month is 730 hours (AWS billing convention); ASM API calls cost the given price per 10,000 calls "
    "(default USD 0.05).",
    "sync: every sync_interval the backend lists the whole scope with ListSecrets (100 secrets per page, at "
    "least one call) and reads only the values that changed since the last sync with BatchGetSecretValue "
    "(20 values per call).",
    "sync: each value change is read once. While there are fewer changes than syncs in a month, every change is "
    "assumed to fall into its own sync (one BatchGetSecretValue call each, the expensive case); with more changes "
    "than syncs, the changes of one sync share calls of 20.",
    "sync: the first sync also reads every value once (ceil(N/20) calls); that one-off cost is reported as "
    "first_sync_calls and not included in the monthly figure.",
    "proxy: every read of a federated path costs one GetSecretValue call (no caching).",
    "Per-secret storage charges (USD 0.40 per secret per month) apply in both modes until the ASM secrets are "
    "deleted, and are not included.",
]


class CostError(PlanError):
    """Inputs that cannot be costed; the message names the input and the fix."""


def _check_number(name, value, minimum=0, strict=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or math.isinf(value):
        raise CostError("%s must be a number, got %r" % (name, value))
    if value < minimum or (strict and value == minimum):
        raise CostError("%s must be %s %s, got %r" % (name, "more than" if strict else "at least", minimum, value))
    return value


def rotation_interval_seconds(rotation):
    """Seconds between two rotations of one rotation config ({automatically_after_days, schedule_expression}).

    rate(N hours|days) is read exactly; a cron() expression counts as once a day. None
    when the config gives no schedule.
    """
    days = rotation.get("automatically_after_days")
    if days:
        return int(days) * 86400
    expression = (rotation.get("schedule_expression") or "").strip()
    found = _RATE_RE.match(expression)
    if found:
        amount = int(found.group(1))
        return amount * (3600 if found.group(2).startswith("hour") else 86400) if amount else None
    if expression.startswith("cron("):
        return 86400 // CRON_RUNS_PER_DAY
    return None


def rotation_changes_per_month(rotations):
    """Value changes per month caused by ASM rotation, from the rotation configs of enabled secrets."""
    total = 0.0
    for rotation in rotations:
        if not rotation.get("enabled"):
            continue
        interval = rotation_interval_seconds(rotation)
        if interval:
            total += SECONDS_PER_MONTH / float(interval)
    return total


def _usd(calls, price_per_10k):
    return round(calls * price_per_10k / 10000.0, 4)


def estimate_federation_cost(secret_count, sync_interval_seconds, proxy_reads_per_minute, changes_per_month,
                             price_per_10k_calls=PRICE_PER_10K_CALLS_USD):
    """ASM calls and USD per month for one federation backend over secret_count secrets, in both modes.

    Model (also returned as ``assumptions``), with N secrets, interval T, C changes a month:
      syncs/month S      = 730 h / T
      sync calls/month   = S * max(1, ceil(N/100))                      ListSecrets
                         + (C if C <= S else S * ceil(C/S/20))          BatchGetSecretValue
      first sync, once   = max(1, ceil(N/100)) + ceil(N/20)
      proxy calls/month  = reads per minute * 43,800
      USD                = calls * price / 10,000
    break_even_proxy_reads_per_minute is the read rate at which proxy costs what sync costs.
    Call counts are rounded up to whole calls.
    """
    _check_number("secret_count", secret_count)
    _check_number("sync_interval_seconds", sync_interval_seconds, strict=True)
    _check_number("proxy_reads_per_minute", proxy_reads_per_minute)
    _check_number("changes_per_month", changes_per_month)
    _check_number("price_per_10k_calls", price_per_10k_calls)

    syncs = SECONDS_PER_MONTH / float(sync_interval_seconds)
    list_per_sync = max(1, int(math.ceil(secret_count / float(LIST_PAGE_SIZE))))
    list_calls = int(math.ceil(syncs * list_per_sync))
    if changes_per_month <= syncs:
        value_calls = int(math.ceil(changes_per_month))
    else:
        value_calls = int(math.ceil(syncs * math.ceil(changes_per_month / syncs / BATCH_GET_SIZE)))
    sync_calls = list_calls + value_calls
    proxy_calls = int(math.ceil(proxy_reads_per_minute * MINUTES_PER_MONTH))
    if sync_calls < proxy_calls:
        cheaper = "sync"
    elif proxy_calls < sync_calls:
        cheaper = "proxy"
    else:
        cheaper = "equal"
    return {
        "secrets": secret_count,
        "price_per_10k_calls_usd": price_per_10k_calls,
        "sync": {
            "interval_seconds": sync_interval_seconds,
            "syncs_per_month": round(syncs, 2),
            "list_calls_per_sync": list_per_sync,
            "changes_per_month": round(changes_per_month, 2),
            "list_calls_per_month": list_calls,
            "value_read_calls_per_month": value_calls,
            "calls_per_month": sync_calls,
            "usd_per_month": _usd(sync_calls, price_per_10k_calls),
            "first_sync_calls": list_per_sync + int(math.ceil(secret_count / float(BATCH_GET_SIZE))),
        },
        "proxy": {
            "reads_per_minute": proxy_reads_per_minute,
            "calls_per_month": proxy_calls,
            "usd_per_month": _usd(proxy_calls, price_per_10k_calls),
        },
        "cheaper": cheaper,
        "break_even_proxy_reads_per_minute": round(sync_calls / float(MINUTES_PER_MONTH), 4),
        "assumptions": list(ASSUMPTIONS),
    }
