# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The federation cost model: sync versus proxy."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.cost import (
    MINUTES_PER_MONTH, CostError, estimate_federation_cost, rotation_changes_per_month, rotation_interval_seconds)


def test_sync_lists_every_interval_and_reads_changed_values():
    cost = estimate_federation_cost(250, 900, 60, 0)
    sync = cost["sync"]
    assert sync["syncs_per_month"] == 2920.0  # 730 h / 15 min
    assert sync["list_calls_per_sync"] == 3  # ceil(250/100)
    assert sync["list_calls_per_month"] == 8760
    assert sync["value_read_calls_per_month"] == 0
    assert sync["calls_per_month"] == 8760
    assert sync["usd_per_month"] == pytest.approx(0.0438)
    assert sync["first_sync_calls"] == 3 + 13  # ceil(250/100) + ceil(250/20)
    proxy = cost["proxy"]
    assert proxy["calls_per_month"] == 60 * MINUTES_PER_MONTH == 2628000
    assert proxy["usd_per_month"] == pytest.approx(13.14)
    assert cost["cheaper"] == "sync"
    assert cost["break_even_proxy_reads_per_minute"] == pytest.approx(8760 / 43800.0)
    assert cost["assumptions"] and all(isinstance(a, str) for a in cost["assumptions"])


def test_few_changes_cost_one_batch_call_each_many_changes_share_batches():
    few = estimate_federation_cost(10, 3600, 0, 100)  # 730 syncs, 100 changes
    assert few["sync"]["value_read_calls_per_month"] == 100
    many = estimate_federation_cost(10, 3600, 0, 730 * 30)  # 30 changes per sync -> 2 batch calls per sync
    assert many["sync"]["value_read_calls_per_month"] == 730 * 2


def test_empty_scope_still_costs_one_list_call_per_sync_and_proxy_can_win():
    cost = estimate_federation_cost(0, 60, 0.001, 0)
    assert cost["sync"]["list_calls_per_sync"] == 1
    assert cost["sync"]["calls_per_month"] == 43800
    assert cost["proxy"]["calls_per_month"] == 44
    assert cost["cheaper"] == "proxy"


def test_price_is_a_parameter():
    assert estimate_federation_cost(100, 900, 0, 0, price_per_10k_calls=0.10)["sync"]["usd_per_month"] == pytest.approx(
        0.0292)


@pytest.mark.parametrize("kwargs, text", [
    (dict(secret_count=-1), "secret_count"),
    (dict(sync_interval_seconds=0), "more than 0"),
    (dict(proxy_reads_per_minute=float("nan")), "must be a number"),
    (dict(changes_per_month=True), "must be a number"),
])
def test_bad_inputs_are_named(kwargs, text):
    args = dict(secret_count=1, sync_interval_seconds=60, proxy_reads_per_minute=1, changes_per_month=0)
    args.update(kwargs)
    with pytest.raises(CostError, match=text):
        estimate_federation_cost(**args)


@pytest.mark.parametrize("rotation, seconds", [
    ({"automatically_after_days": 30}, 30 * 86400),
    ({"schedule_expression": "rate(10 days)"}, 10 * 86400),
    ({"schedule_expression": "rate(4 hours)"}, 4 * 3600),
    ({"schedule_expression": "cron(0 8 1 * ? *)"}, 86400),
    ({}, None),
])
def test_rotation_intervals(rotation, seconds):
    assert rotation_interval_seconds(rotation) == seconds


def test_changes_per_month_come_from_enabled_rotations_only():
    changes = rotation_changes_per_month([
        {"enabled": True, "automatically_after_days": 30},
        {"enabled": True, "schedule_expression": "rate(1 days)"},
        {"enabled": False, "automatically_after_days": 1},
    ])
    assert changes == pytest.approx(730 / 24.0 / 30 + 730 / 24.0)


# -- whole estimates, word for word (figures and the assumptions people read) ----------------------------
ASSUMPTIONS = [
    'A month is 730 hours (AWS billing convention); ASM API calls cost the given price per 10,000 calls (default USD 0.05).',
    ('sync: every sync_interval the backend lists the whole scope with ListSecrets (100 secrets per page, '
     'at least one call) and reads only the values that changed since the last sync with '
     'BatchGetSecretValue (20 values per call).'),
    ('sync: each value change is read once. While there are fewer changes than syncs in a month, every '
     'change is assumed to fall into its own sync (one BatchGetSecretValue call each, the expensive case);'
     ' with more changes than syncs, the changes of one sync share calls of 20.'),
    ('sync: the first sync also reads every value once (ceil(N/20) calls); that one-off cost is reported '
     'as first_sync_calls and not included in the monthly figure.'),
    'proxy: every read of a federated path costs one GetSecretValue call (no caching).',
    'Per-secret storage charges (USD 0.40 per secret per month) apply in both modes until the ASM secrets are deleted, and are not included.',
]

BUSY = {
    'secrets': 250,
    'price_per_10k_calls_usd': 0.05,
    'sync': {
        'interval_seconds': 900,
        'syncs_per_month': 2920.0,
        'list_calls_per_sync': 3,
        'changes_per_month': 1000,
        'list_calls_per_month': 8760,
        'value_read_calls_per_month': 1000,
        'calls_per_month': 9760,
        'usd_per_month': 0.0488,
        'first_sync_calls': 16,
    },
    'proxy': {
        'reads_per_minute': 60,
        'calls_per_month': 2628000,
        'usd_per_month': 13.14,
    },
    'cheaper': 'sync',
    'break_even_proxy_reads_per_minute': 0.2228,
    'assumptions': ASSUMPTIONS,
}

IDLE = {
    'secrets': 1,
    'price_per_10k_calls_usd': 0.05,
    'sync': {
        'interval_seconds': 86400,
        'syncs_per_month': 30.42,
        'list_calls_per_sync': 1,
        'changes_per_month': 0,
        'list_calls_per_month': 31,
        'value_read_calls_per_month': 0,
        'calls_per_month': 31,
        'usd_per_month': 0.0002,
        'first_sync_calls': 2,
    },
    'proxy': {
        'reads_per_minute': 0,
        'calls_per_month': 0,
        'usd_per_month': 0.0,
    },
    'cheaper': 'proxy',
    'break_even_proxy_reads_per_minute': 0.0007,
    'assumptions': ASSUMPTIONS,
}


def test_federation_cost_word_for_word():
    assert estimate_federation_cost(250, 900, 60, 1000) == BUSY
    assert estimate_federation_cost(1, 86400, 0, 0) == IDLE
