# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""UTC timestamps in the one ISO-8601 shape the server emits (microseconds, ``Z``)."""

import datetime

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def iso(moment):
    """Fixed-width text, so stored timestamps also sort and compare as strings."""
    if moment is None:
        return None
    return moment.astimezone(datetime.timezone.utc).strftime(_FORMAT)


def parse_iso(text):
    """Parse ISO-8601 (``Z`` or an offset; naive means UTC). Raises ValueError."""
    value = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value.astimezone(datetime.timezone.utc)


def after_seconds(seconds, start=None):
    return (start or utcnow()) + datetime.timedelta(seconds=seconds)
