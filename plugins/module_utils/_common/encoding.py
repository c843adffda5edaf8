# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""How an ASM secret value becomes ScaiVault data, and back.

  SecretString that is a JSON object  -> data = that object, secret_type json, format json
  any other SecretString              -> data = {"value": string}, secret_type kv, format text
    (plain text, a JSON list or scalar, malformed JSON, and JSON that would not come back
    the same: duplicate keys, NaN/Infinity, numbers a float cannot hold exactly,
    unpaired surrogates)
  SecretBinary                        -> data = {"value_base64": base64}, secret_type kv, format binary

The format is recorded in the provenance metadata (_provenance.py) so that a reader can
rebuild the original. Text and binary come back byte for byte; a JSON object comes back as
the same JSON value in canonical form (sorted keys, no spaces), since ScaiVault stores the
object, not its spelling.

Error messages here never contain a secret value.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
from collections import namedtuple
from decimal import Decimal

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import CollectionError

FORMAT_JSON = "json"
FORMAT_TEXT = "text"
FORMAT_BINARY = "binary"
VALUE_FORMATS = (FORMAT_JSON, FORMAT_TEXT, FORMAT_BINARY)

TEXT_KEY = "value"
BINARY_KEY = "value_base64"

EncodedValue = namedtuple("EncodedValue", ["data", "secret_type", "format"])


class EncodingError(CollectionError, ValueError):
    """A value that cannot be encoded or decoded; the message names the problem, never the value."""


class _NotExactJson(ValueError):
    """Raised inside the strict parser: this JSON would not survive the round trip."""


def canonical_json(value):
    """Serialize value as canonical JSON: sorted keys, compact separators, non-ASCII kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def check_value_format(value_format):
    """Return value_format when it is one of VALUE_FORMATS, else raise EncodingError naming the choices."""
    if value_format not in VALUE_FORMATS:
        raise EncodingError(
            "unknown value format %r (expected one of: %s); it is recorded in metadata.source.format"
            % (value_format, ", ".join(VALUE_FORMATS)))
    return value_format


def check_secret_data(data):
    """Return data when it is a dict (ScaiVault secret data is a JSON object), else raise EncodingError."""
    if not isinstance(data, dict):
        raise EncodingError("secret data must be a JSON object (dict), got %s" % type(data).__name__)
    return data


def _unique_keys(pairs):
    # json.loads keeps the last duplicate silently; the first one would be lost.
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise _NotExactJson("duplicate key")
        obj[key] = value
    return obj


def _no_constant(_name):
    # NaN and Infinity are not JSON and ScaiVault would refuse them.
    raise _NotExactJson("non-finite constant")


def _exact_float(text):
    # '1e400' becomes inf and '0.10000000000000000001' becomes 0.1: both would change the value.
    value = float(text)
    if Decimal(text) != Decimal(repr(value)):
        raise _NotExactJson("inexact number")
    return value


def _strict_json_object(text):
    """Return text parsed as a JSON object when it round-trips exactly, else None."""
    try:
        parsed = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant, parse_float=_exact_float)
        if not isinstance(parsed, dict):
            return None
        # Unpaired surrogates ('\ud800') parse but cannot be sent as UTF-8.
        canonical_json(parsed).encode("utf-8")
    except (ValueError, RecursionError):
        # JSONDecodeError, _NotExactJson, UnicodeEncodeError, too-long integers all land here.
        return None
    return parsed


def encode_asm_value(secret_string=None, secret_binary=None):
    """Encode exactly one of SecretString / SecretBinary as EncodedValue(data, secret_type, format)."""
    if (secret_string is None) == (secret_binary is None):
        raise EncodingError(
            "an ASM secret value has exactly one of SecretString and SecretBinary; got %s"
            % ("both" if secret_string is not None else "neither"))
    if secret_binary is not None:
        if not isinstance(secret_binary, (bytes, bytearray, memoryview)):
            raise EncodingError(
                "SecretBinary must be bytes (as boto3 returns it), got %s; decode any base64 first"
                % type(secret_binary).__name__)
        return EncodedValue({BINARY_KEY: base64.b64encode(bytes(secret_binary)).decode("ascii")}, "kv", FORMAT_BINARY)
    if not isinstance(secret_string, str):
        raise EncodingError("SecretString must be a str, got %s" % type(secret_string).__name__)
    parsed = _strict_json_object(secret_string)
    if parsed is not None:
        return EncodedValue(parsed, "json", FORMAT_JSON)
    return EncodedValue({TEXT_KEY: secret_string}, "kv", FORMAT_TEXT)


_JSON_KINDS = ((bool, "bool"), (int, "int"), (float, "float"), (str, "str"), (dict, "dict"), ((list, tuple), "list"))


def _json_kind(value):
    # bool comes first: it is a subclass of int in Python, but JSON true is not the number 1.
    # isinstance, not type(): str and dict subclasses (AnsibleUnsafeText, OrderedDict) are still JSON.
    for types, kind in _JSON_KINDS:
        if isinstance(value, types):
            return kind
    return type(value).__name__


def values_equal(data_a, data_b):
    """Structural JSON equality: dict key order ignored; true, 1 and 1.0 are three different values."""
    kind = _json_kind(data_a)
    if kind != _json_kind(data_b):
        return False
    if kind == "dict":
        return set(data_a) == set(data_b) and all(values_equal(data_a[key], data_b[key]) for key in data_a)
    if kind == "list":
        return len(data_a) == len(data_b) and all(values_equal(a, b) for a, b in zip(data_a, data_b))
    return data_a == data_b
