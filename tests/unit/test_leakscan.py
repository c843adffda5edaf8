# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The leak scanner (tests/integration/leakscan.py) finds a value in every form it can take in output (so a passing leak test means something)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
from urllib.parse import quote

import pytest

from integration.leakscan import assert_no_leak, find_leaks, value_forms

VALUE = 'p@ss "w0rd" \u00e9\\tail'


@pytest.mark.parametrize("prefix", ["", "x", "xy", "xyz", '{"k": "'])
def test_base64_found_inside_a_longer_blob_at_any_alignment(prefix):
    blob = base64.b64encode((prefix + VALUE + " and more").encode("utf-8")).decode("ascii")
    assert find_leaks([VALUE], texts={"out": "payload=" + blob})
    urlsafe = base64.urlsafe_b64encode((prefix + VALUE).encode("utf-8")).decode("ascii")
    assert find_leaks([VALUE], texts={"out": urlsafe})


@pytest.mark.parametrize("spelling", [
    VALUE,
    json.dumps({"k": VALUE}),
    json.dumps({"k": VALUE}, ensure_ascii=False),
    json.dumps(json.dumps({"k": VALUE})),
    repr({"k": VALUE}),
    quote(VALUE, safe=""),
])
def test_textual_spellings_are_found(spelling):
    assert find_leaks([VALUE], texts={"out": "before " + spelling + " after"})


def test_clean_text_passes_and_files_are_read(tmp_path):
    log = tmp_path / "ansible.log"
    log.write_text("nothing to see, sha256:0123456789abcdef\n")
    assert_no_leak([VALUE], texts={"stdout": "ok"}, files=[log])
    log.write_text("oops " + VALUE)
    with pytest.raises(AssertionError) as err:
        assert_no_leak([VALUE], files=[log])
    assert VALUE not in str(err.value)  # the report itself does not repeat the value


def test_missing_files_and_short_values_are_refused(tmp_path):
    with pytest.raises(AssertionError):
        assert_no_leak([VALUE], files=[tmp_path / "never-written.log"])
    with pytest.raises(ValueError):
        value_forms("short")
