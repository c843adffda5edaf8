# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ScaiVault durations ('15m', '48h', '7d', '1h30m') and the warn_before list ('7d,1d').

A duration is one or more whole numbers, each followed by a unit d (days), h (hours),
m (minutes) or s (seconds), units largest first and each at most once. Python callers may
also pass a non-negative int, read as seconds (the API reports e.g. interval_seconds).
Durations compare by length, so '7d' equals '168h'.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError

_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
# [0-9], not \d: \d also accepts digits of other scripts.
_DURATION_RE = re.compile(r"(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?")
ACCEPTED_FORM = (
    "a whole number followed by a unit d, h, m or s, units largest first and each at most once "
    "(for example 30s, 15m, 48h, 7d, 1h30m)")


class DurationError(PlanError):
    """A duration that does not follow ACCEPTED_FORM; the message names the value and the form."""


def parse_duration(value):
    """Return the number of seconds in value ('1h30m' -> 5400; an int is taken as seconds)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    text = value.strip() if isinstance(value, str) else None
    found = _DURATION_RE.fullmatch(text) if text else None
    if not found:
        raise DurationError("invalid duration %r: expected %s" % (value, ACCEPTED_FORM))
    return sum(int(amount) * seconds for amount, (_unit, seconds) in zip(found.groups(), _UNITS) if amount)


def format_duration(seconds):
    """Write seconds in the largest unit that divides it exactly (604800 -> '7d', 5400 -> '90m')."""
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
        raise DurationError("invalid duration %r: expected a whole, non-negative number of seconds" % (seconds,))
    for unit, size in _UNITS:
        if seconds and seconds % size == 0:
            return "%d%s" % (seconds // size, unit)
    return "0s"


def durations_equal(a, b):
    """Tell whether two durations have the same length ('7d' == '168h'); None equals only None."""
    if a is None or b is None:
        return a is None and b is None
    return parse_duration(a) == parse_duration(b)


def parse_warn_before(value):
    """Return the seconds of each comma-separated duration in value ('7d,1d' -> [604800, 86400]), in order."""
    if isinstance(value, (list, tuple)):
        items = list(value)
    elif isinstance(value, str):
        items = value.split(",") if value.strip() else []
    else:
        raise DurationError("invalid warn_before %r: expected comma-separated durations such as '7d,1d'" % (value,))
    result = []
    for position, item in enumerate(items):
        try:
            result.append(parse_duration(item))
        except DurationError as error:
            raise DurationError("invalid warn_before %r, item %d: %s" % (value, position + 1, error))
    return result


def format_warn_before(seconds_list):
    """Write a list of seconds as the API's warn_before string ([604800, 86400] -> '7d,1d')."""
    return ",".join(format_duration(seconds) for seconds in seconds_list)
