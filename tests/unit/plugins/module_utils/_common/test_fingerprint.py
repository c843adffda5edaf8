# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import re

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.fingerprint import (
    data_fingerprints,
    fingerprint,
    new_salt,
)

SALT = b"fixed-test-salt"
FINGERPRINT_RE = re.compile(r"^sha256:[0-9a-f]{16}$")


def test_shape():
    assert FINGERPRINT_RE.match(fingerprint("x", SALT))


def test_same_value_same_salt_same_fingerprint_regardless_of_key_order():
    assert fingerprint({"a": 1, "b": [1, "\u00e9"]}, SALT) == fingerprint({"b": [1, "\u00e9"], "a": 1}, SALT)


@pytest.mark.parametrize("a, b", [
    ("1", 1),
    (1, 1.0),
    (1, True),
    (None, "null"),
    ("", None),
    ({"a": 1}, {"a": 2}),
    ([1, 2], [2, 1]),
    ("pa55", "pa56"),
])
def test_different_values_differ(a, b):
    assert fingerprint(a, SALT) != fingerprint(b, SALT)


def test_salt_changes_the_fingerprint_and_runs_get_fresh_salts():
    salt_1, salt_2 = new_salt(), new_salt()
    assert isinstance(salt_1, bytes) and len(salt_1) >= 16 and salt_1 != salt_2
    assert fingerprint("weak", salt_1) != fingerprint("weak", salt_2)


def test_an_unsalted_hash_of_the_value_does_not_appear():
    # A report reader who hashes guesses must not find the value's plain hash.
    value = "password"
    plain = hashlib.sha256(b'"password"').hexdigest()[:16]
    assert fingerprint(value, SALT) != "sha256:" + plain
    assert fingerprint(value, SALT) != "sha256:" + hashlib.sha256(b"password").hexdigest()[:16]


def test_str_salt_equals_its_utf8_bytes():
    assert fingerprint("v", "s\u00e4lt") == fingerprint("v", "s\u00e4lt".encode("utf-8"))


@pytest.mark.parametrize("salt", [b"", "", None])
def test_empty_salt_is_refused(salt):
    with pytest.raises(ValueError, match="fingerprint salt is empty; pass the run's salt from new_salt()"):
        fingerprint("v", salt)


def test_data_fingerprints_per_key_sorted():
    data = {"password": "hunter2", "username": "app", "a": {"n": 1}}
    result = data_fingerprints(data, SALT)
    assert list(result) == ["a", "password", "username"]
    assert result["password"] == fingerprint("hunter2", SALT)
    assert "hunter2" not in repr(result)
    assert data_fingerprints({}, SALT) == {}


def test_data_fingerprints_needs_a_dict():
    with pytest.raises(ValueError, match="secret data must be a JSON object"):
        data_fingerprints(["hunter2"], SALT)
