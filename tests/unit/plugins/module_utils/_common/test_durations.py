# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.durations import (
    DurationError,
    durations_equal,
    format_duration,
    format_warn_before,
    parse_duration,
    parse_warn_before,
)


@pytest.mark.parametrize("text, seconds", [
    ("30s", 30),
    ("15m", 900),
    ("48h", 172800),
    ("7d", 604800),
    ("90d", 7776000),
    ("1h30m", 5400),
    ("1d2h3m4s", 93784),
    ("2d12h", 216000),
    ("0s", 0),
    ("0d", 0),
    ("90m", 5400),
    (" 15m ", 900),
    ("007d", 604800),
    (3600, 3600),
    (0, 0),
])
def test_parse(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("value", [
    "", " ", "15", "m", "15 m", "1.5h", "-5m", "15M", "7D", "1w", "30m1h", "1h1h", "1h 30m",
    "1h,30m", "\u0663m", "15m\n5s", None, -1, True, 1.5, ["15m"],
])
def test_parse_refuses_with_the_value_and_the_form(value):
    with pytest.raises(DurationError) as caught:
        parse_duration(value)
    message = str(caught.value)
    assert message.startswith("invalid duration %r: expected a whole number followed by a unit d, h, m or s" % (value,))
    assert "units largest first" in message and "1h30m" in message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("seconds, text", [
    (604800, "7d"),
    (129600, "36h"),
    (5400, "90m"),
    (86400, "1d"),
    (3600, "1h"),
    (61, "61s"),
    (45, "45s"),
    (0, "0s"),
    (7776000, "90d"),
])
def test_format_uses_the_largest_exact_unit(seconds, text):
    assert format_duration(seconds) == text
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("value", [-1, 1.5, "7d", None, True])
def test_format_refuses_non_seconds(value):
    with pytest.raises(DurationError, match="expected a whole, non-negative number of seconds"):
        format_duration(value)


@pytest.mark.parametrize("a, b, equal", [
    ("7d", "168h", True),
    ("1h30m", "90m", True),
    ("15m", 900, True),
    ("15m", "16m", False),
    (None, None, True),
    (None, "0s", False),
    ("0s", None, False),
])
def test_durations_equal(a, b, equal):
    assert durations_equal(a, b) is equal


def test_durations_equal_refuses_garbage():
    with pytest.raises(DurationError, match="invalid duration 'soon'"):
        durations_equal("soon", "1d")


@pytest.mark.parametrize("value, seconds", [
    ("7d,1d", [604800, 86400]),
    ("7d, 1d ,12h", [604800, 86400, 43200]),
    ("1d,7d", [86400, 604800]),
    ("30m", [1800]),
    ("", []),
    ("  ", []),
    (["7d", "1d"], [604800, 86400]),
    ([], []),
])
def test_parse_warn_before(value, seconds):
    assert parse_warn_before(value) == seconds


@pytest.mark.parametrize("value, message", [
    ("7d,,1d", "invalid warn_before '7d,,1d', item 2: invalid duration '': expected"),
    ("7d,1x", "invalid warn_before '7d,1x', item 2: invalid duration '1x'"),
    ("7d,", "item 2: invalid duration ''"),
    (7, "invalid warn_before 7: expected comma-separated durations such as '7d,1d'"),
])
def test_parse_warn_before_names_the_bad_item(value, message):
    with pytest.raises(DurationError) as caught:
        parse_warn_before(value)
    assert message in str(caught.value)


def test_format_warn_before_round_trips():
    assert format_warn_before([604800, 86400, 5400]) == "7d,1d,90m"
    assert parse_warn_before(format_warn_before([604800, 86400])) == [604800, 86400]
    assert format_warn_before([]) == ""
