# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Facts a later job needs, kept as tags on the ASM secret itself (AWX runs every job on a fresh node).

  scaivault:rotation:lambda-arn    the rotation Lambda before the runbook disabled rotation
  scaivault:rotation:after-days    its AutomaticallyAfterDays, or
  scaivault:rotation:schedule      its ScheduleExpression (b64:... when it holds characters tags do not allow)
  scaivault:rotation:duration      its Duration window
  scaivault:rotation:disabled-at   when (UTC), for people reading the console
  scaivault:cleanup:scheduled-at   cleanup scheduled this deletion (ASM's DeletedDate says until when)

ASM's tag rules: at most 50 tags per secret, keys up to 128 and values up to 256 characters, letters, digits,
spaces and ``_ . : / = + - @``; ``aws:`` is reserved. The record is written only while rotation is still on, so a
second or concurrent run never records "disabled" as the state to go back to.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import datetime
import re

TAG_PREFIX = "scaivault:"
ROTATION_PREFIX = "scaivault:rotation:"
ROTATION_TAGS = {
    "lambda_arn": ROTATION_PREFIX + "lambda-arn",
    "automatically_after_days": ROTATION_PREFIX + "after-days",
    "schedule_expression": ROTATION_PREFIX + "schedule",
    "duration": ROTATION_PREFIX + "duration",
}
ROTATION_DISABLED_AT = ROTATION_PREFIX + "disabled-at"
CLEANUP_MARKER = "scaivault:cleanup:scheduled-at"
MAX_TAGS = 50
MAX_KEY = 128
MAX_VALUE = 256
ENCODED = "b64:"
_ALLOWED = re.compile(r"^[\w .:/=+\-@]*$", re.UNICODE)


class RecordError(ValueError):
    """A record that cannot be written or read back; the message names the secret and the fix."""


def now_tag(now=None):
    """A UTC time as a tag value (whole seconds)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def tag_value(text):
    """Text as a tag value: as is when ASM allows its characters, else base64 (whose alphabet it allows)."""
    text = "" if text is None else str(text)
    if _ALLOWED.match(text) and not text.startswith(ENCODED):
        return text
    return ENCODED + base64.b64encode(text.encode("utf-8")).decode("ascii")


def tag_text(value):
    """The text a tag_value() holds."""
    if value.startswith(ENCODED):
        return base64.b64decode(value[len(ENCODED):].encode("ascii")).decode("utf-8")
    return value


def check_tags(name, existing, new):
    """Raise RecordError when ``new`` tags would break ASM's limits on secret ``name`` (``existing``: {k: v})."""
    for key, value in new.items():
        if len(key) > MAX_KEY or len(value) > MAX_VALUE or not _ALLOWED.match(key) or not _ALLOWED.match(value):
            raise RecordError("%s: tag %s cannot hold %r within ASM's limits (key %d, value %d characters)"
                              % (name, key, value, MAX_KEY, MAX_VALUE))
    total = len(set(existing) | set(new))
    if total > MAX_TAGS:
        raise RecordError("%s has %d tags; recording the runbook's state needs %d more and ASM allows %d per secret. "
                          "Remove %d tag(s) from it and run again"
                          % (name, len(existing), total - len(existing), MAX_TAGS, total - MAX_TAGS))


def rotation_record_tags(settings, when):
    """Tags recording rotation ``settings`` ({lambda_arn, automatically_after_days, schedule_expression, duration})."""
    tags = {ROTATION_DISABLED_AT: when}
    for field, key in ROTATION_TAGS.items():
        if settings.get(field) not in (None, "", 0):
            tags[key] = tag_value(settings[field])
    return tags


def rotation_record(tags):
    """The recorded rotation settings from a secret's tags ({k: v}), or None when there is no record."""
    if not tags.get(ROTATION_TAGS["lambda_arn"]):
        return None
    record = {"lambda_arn": tag_text(tags[ROTATION_TAGS["lambda_arn"]]), "automatically_after_days": None,
              "schedule_expression": None, "duration": None}
    days = tags.get(ROTATION_TAGS["automatically_after_days"])
    if days:
        try:
            record["automatically_after_days"] = int(tag_text(days))
        except ValueError:
            raise RecordError("tag %s holds %r, not a number of days" % (ROTATION_TAGS["automatically_after_days"], days))
    for field in ("schedule_expression", "duration"):
        if tags.get(ROTATION_TAGS[field]):
            record[field] = tag_text(tags[ROTATION_TAGS[field]])
    return record


def rotation_record_keys(tags):
    """The keys of a secret's rotation record ({k: v} tags), to remove once rotation is restored."""
    return sorted(key for key in tags if key.startswith(ROTATION_PREFIX))
