# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The records kept as ASM tags (_plan/records.py): ASM's tag rules, exact round trips, no AWS."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._plan import records

ASM_VALUE = re.compile(r"^[\w .:/=+\-@]{0,256}$")
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:rotate-db:live"


@pytest.mark.parametrize("text", ["rate(10 days)", "cron(0 8 1 * ? *)", "cron(0 8 ? * MON-FRI *)", "3h", "30",
                                  LAMBDA, "b64:looks-encoded", "", "\u00e9t\u00e9 (summer)"])
def test_tag_values_round_trip_within_asm_characters(text):
    value = records.tag_value(text)
    assert ASM_VALUE.match(value), value
    assert records.tag_text(value) == text


def test_plain_values_stay_readable():
    assert records.tag_value(LAMBDA) == LAMBDA and records.tag_value("30") == "30"
    assert records.tag_value("cron(0 8 1 * ? *)").startswith("b64:")


def test_rotation_record_round_trip_and_keys():
    settings = {"lambda_arn": LAMBDA, "automatically_after_days": None, "schedule_expression": "cron(0 8 1 * ? *)",
                "duration": "3h"}
    tags = records.rotation_record_tags(settings, records.now_tag(datetime.datetime(2026, 12, 1, 10, 0, 0)))
    assert tags["scaivault:rotation:disabled-at"] == "2026-12-01T10:00:00Z"
    assert "scaivault:rotation:after-days" not in tags
    assert records.rotation_record(dict(tags, team="billing")) == settings
    assert records.rotation_record_keys(dict(tags, team="billing")) == sorted(tags)
    days = records.rotation_record_tags({"lambda_arn": LAMBDA, "automatically_after_days": 30}, "t")
    assert records.rotation_record(days)["automatically_after_days"] == 30
    assert records.rotation_record({"team": "billing"}) is None
    with pytest.raises(records.RecordError, match="not a number of days"):
        records.rotation_record(dict(days, **{"scaivault:rotation:after-days": "thirty"}))


def test_check_tags_enforces_asm_limits_and_names_the_fix():
    records.check_tags("prod/db", dict(("k%d" % i, "v") for i in range(45)), {"a": "1", "b": "2", "c": "3", "d": "4",
                                                                              "e": "5"})
    with pytest.raises(records.RecordError, match="prod/db has 46 tags.*Remove 1 tag"):
        records.check_tags("prod/db", dict(("k%d" % i, "v") for i in range(46)), dict(("n%d" % i, "v") for i in range(5)))
    with pytest.raises(records.RecordError, match="within ASM's limits"):
        records.check_tags("prod/db", {}, {"scaivault:rotation:schedule": "cron(0 8 1 * ? *)"})
    with pytest.raises(records.RecordError, match="within ASM's limits"):
        records.check_tags("prod/db", {}, {"k": "x" * 257})
    # Overwriting a key the secret already has takes no new tag.
    records.check_tags("prod/db", dict(("k%d" % i, "v") for i in range(50)), {"k0": "w"})
