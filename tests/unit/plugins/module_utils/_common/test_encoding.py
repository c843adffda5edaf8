# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from collections import OrderedDict

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.encoding import (
    EncodedValue,
    EncodingError,
    canonical_json,
    encode_asm_value,
    values_equal,
)

from asm_roundtrip import decode_to_asm

SECRET = "hunter2-do-not-print"

# SecretStrings that are not a JSON object, or whose JSON would not come back the same:
# all are stored as text, byte for byte.
TEXT_VALUES = [
    "",
    " ",
    "\n\t ",
    SECRET,
    "[1, 2, 3]",
    '["a", {"b": 1}]',
    '"just a string"',
    "42",
    "-0.5",
    "true",
    "null",
    "{",
    "{'single': 'quotes'}",
    '{"a": 1,}',
    '{"a": 1} trailing',
    '{"a": NaN}',
    '{"a": Infinity}',
    '{"a": -Infinity}',
    '{"a": 1e400}',
    '{"a": 0.10000000000000000001}',
    '{"a": 1, "a": 2}',
    '{"outer": {"k": 1, "k": 1}}',
    '{"lone": "\\ud800"}',
    "\ufeff{\"bom\": 1}",
    "[" * 100000 + "]" * 100000,
    "\U0001F510 \u5bc6\u7801 e\u0301",
    "line1\r\nline2\n",
]

JSON_OBJECTS = [
    ("{}", {}),
    ('{"username": "app", "password": "%s"}' % SECRET, {"username": "app", "password": SECRET}),
    ('{"port": 5432, "ratio": 0.25, "on": true, "off": false, "none": null, "big": 123456789012345678901234567890}',
     {"port": 5432, "ratio": 0.25, "on": True, "off": False, "none": None, "big": 123456789012345678901234567890}),
    ('{"nested": {"list": [1, "2", [3.5e2]], "obj": {}}}', {"nested": {"list": [1, "2", [350.0]], "obj": {}}}),
    ('{"emoji": "\U0001F510", "cjk": "\u5bc6\u7801", "combining": "e\u0301", "escaped": "\\u00e9"}',
     {"emoji": "\U0001F510", "cjk": "\u5bc6\u7801", "combining": "e\u0301", "escaped": "\u00e9"}),
    ('{"pair": "\\ud83d\\udd10"}', {"pair": "\U0001F510"}),
    ("  \n{ \"a\" :\t1 }\n", {"a": 1}),
    ('{"a": 1.0, "b": -0.0, "c": 1E2}', {"a": 1.0, "b": -0.0, "c": 100.0}),
]


@pytest.mark.parametrize("text", TEXT_VALUES)
def test_text_round_trips_byte_for_byte(text):
    encoded = encode_asm_value(secret_string=text)
    assert encoded == EncodedValue({"value": text}, "kv", "text")
    assert decode_to_asm(encoded.data, encoded.format) == (text, None)


@pytest.mark.parametrize("text, obj", JSON_OBJECTS)
def test_json_objects_become_data_and_come_back_as_canonical_json(text, obj):
    encoded = encode_asm_value(secret_string=text)
    assert encoded.secret_type == "json" and encoded.format == "json"
    assert values_equal(encoded.data, obj)
    secret_string, secret_binary = decode_to_asm(encoded.data, encoded.format)
    assert secret_binary is None
    assert values_equal(json.loads(secret_string), obj)
    # The canonical form is a fixed point: encoding it again changes nothing.
    again = encode_asm_value(secret_string=secret_string)
    assert values_equal(again.data, encoded.data)
    assert decode_to_asm(again.data, again.format)[0] == secret_string


def test_canonical_json_is_sorted_compact_and_keeps_unicode():
    assert canonical_json({"b": 1, "a": ["\u00e9", "\U0001F510"]}) == '{"a":["\u00e9","\U0001F510"],"b":1}'
    with pytest.raises(ValueError):
        canonical_json({"a": float("nan")})


def test_whitespace_and_key_order_do_not_change_the_data():
    first = encode_asm_value(secret_string='{"a": 1, "b": [1, 2]}')
    second = encode_asm_value(secret_string='{\n  "b": [1,2],\n  "a": 1\n}\n')
    assert values_equal(first.data, second.data)
    assert decode_to_asm(first.data, "json") == decode_to_asm(second.data, "json") == ('{"a":1,"b":[1,2]}', None)


@pytest.mark.parametrize("raw", [
    b"",
    b"\x00",
    b"\xff\xfe\xfd\x80",
    bytes(range(256)),
    "\U0001F510".encode("utf-8"),
    b'{"looks": "like json"}',
    bytearray(b"\x01\x02"),
    bytes(bytearray((i * 7) % 256 for i in range(65536))),
])
def test_binary_round_trips_byte_for_byte(raw):
    encoded = encode_asm_value(secret_binary=raw)
    assert encoded.secret_type == "kv" and encoded.format == "binary"
    assert list(encoded.data) == ["value_base64"]
    assert decode_to_asm(encoded.data, "binary") == (None, bytes(raw))


def test_binary_is_standard_padded_base64():
    assert encode_asm_value(secret_binary=b"\xfb\xff").data == {"value_base64": "+/8="}


def test_64_kib_values_round_trip():
    text = ("\u5bc6" + "x" * 1023) * 64
    assert decode_to_asm(encode_asm_value(secret_string=text).data, "text") == (text, None)
    blob = {"k%04d" % i: "v" * 60 for i in range(1000)}
    encoded = encode_asm_value(secret_string=json.dumps(blob))
    assert encoded.format == "json" and values_equal(json.loads(decode_to_asm(encoded.data, "json")[0]), blob)


@pytest.mark.parametrize("kwargs, message", [
    ({}, "exactly one of SecretString and SecretBinary; got neither"),
    ({"secret_string": "a", "secret_binary": b"a"}, "got both"),
    ({"secret_binary": "aGk="}, "SecretBinary must be bytes (as boto3 returns it), got str"),
    ({"secret_string": b"x"}, "SecretString must be a str, got bytes"),
])
def test_encode_refuses_bad_input(kwargs, message):
    with pytest.raises(EncodingError) as caught:
        encode_asm_value(**kwargs)
    assert message in str(caught.value)


@pytest.mark.parametrize("data, value_format, message", [
    ({"value": SECRET, "extra": SECRET}, "text",
     "data recorded as format 'text' must be exactly {'value': <string>}; it has the keys 'extra', 'value'"),
    ({}, "text", "it has the keys (none)"),
    ({"value": 5}, "text", "must be exactly {'value': <string>}"),
    ({"value": SECRET}, "binary", "must be exactly {'value_base64': <string>}; it has the keys 'value'"),
    ({"value_base64": SECRET + "!"}, "binary", "data['value_base64'] is not valid base64"),
    ({"value_base64": "\u00e9"}, "binary", "is not valid base64"),
    # A lenient decoder would drop the stray characters and rebuild b"hello": the oracle must refuse them.
    ({"value_base64": "aGVsbG8=!"}, "binary", "is not valid base64"),
    ({"value_base64": "aGVs bG8="}, "binary", "is not valid base64"),
    ({"value_base64": "aGVs\nbG8="}, "binary", "is not valid base64"),
    ({"value_base64": "aGVs*bG8="}, "binary", "is not valid base64"),
    ({"value": SECRET}, "yaml", "unknown value format 'yaml' (expected one of: json, text, binary)"),
    ([SECRET], "json", "secret data must be a JSON object (dict), got list"),
])
def test_decode_refuses_data_that_does_not_fit_the_format(data, value_format, message):
    with pytest.raises(EncodingError) as caught:
        decode_to_asm(data, value_format)
    assert message in str(caught.value)
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("a, b, equal", [
    ({"a": 1, "b": 2}, {"b": 2, "a": 1}, True),
    (OrderedDict([("a", 1)]), {"a": 1}, True),
    ({"a": [1, 2]}, {"a": (1, 2)}, True),
    ({"a": [1, 2]}, {"a": [2, 1]}, False),
    ({"a": 1}, {"a": 1, "b": None}, False),
    ({"a": None}, {}, False),
    (1, 1, True),
    (True, True, True),
    (True, 1, False),
    (1, True, False),
    (False, 0, False),
    (1, 1.0, False),
    (1.0, 1.0, True),
    (1.0, True, False),
    ({"on": True}, {"on": 1}, False),
    ([True], [1], False),
    ("1", 1, False),
    (None, None, True),
    (None, {}, False),
    ({"x": {"y": [{"z": True}]}}, {"x": {"y": [{"z": True}]}}, True),
    ({"x": {"y": [{"z": True}]}}, {"x": {"y": [{"z": 1}]}}, False),
    ([], {}, False),
])
def test_values_equal_is_structural_and_type_exact(a, b, equal):
    assert values_equal(a, b) is equal
    assert values_equal(b, a) is equal


def test_str_subclass_compares_as_str():
    class UnsafeText(str):
        pass

    assert values_equal({"a": UnsafeText("x")}, {"a": "x"})
