# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inverse of the collection's encoding rule, as a test oracle: ScaiVault data -> (SecretString, SecretBinary).

The collection never needs to rebuild an ASM value (it compares encoded data instead), so this
lives with the tests, which use it to prove that what was migrated rebuilds the original bytes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import json

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.encoding import (
    BINARY_KEY, FORMAT_JSON, FORMAT_TEXT, TEXT_KEY, EncodingError, canonical_json, check_secret_data, check_value_format,
    values_equal)


def _single_key(data, key, value_format):
    """Return data[key] when data is exactly {key: <str>}, as written for value_format."""
    if set(data) != {key} or not isinstance(data[key], str):
        raise EncodingError(
            "data recorded as format %r must be exactly {%r: <string>}; it has the keys %s. "
            "Fix the recorded format in metadata.source, or rewrite the secret"
            % (value_format, key, ", ".join(repr(k) for k in sorted(data)) or "(none)"))
    return data[key]


def decode_to_asm(data, value_format):
    """Rebuild (SecretString, SecretBinary) from ScaiVault data and its recorded format; one is None."""
    check_value_format(value_format)
    check_secret_data(data)
    if value_format == FORMAT_JSON:
        return canonical_json(data), None
    if value_format == FORMAT_TEXT:
        return _single_key(data, TEXT_KEY, value_format), None
    encoded = _single_key(data, BINARY_KEY, value_format)
    try:
        return None, base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise EncodingError(
            "data[%r] is not valid base64, so the binary value cannot be rebuilt; rewrite the secret" % BINARY_KEY)


def assert_rebuilds(secret, asm_value):
    """Assert that a migrated ScaiVault secret rebuilds an ASM GetSecretValue answer exactly; returns its source.

    JSON compares as values (ScaiVault stores an object), text and binary byte for byte; the recorded VersionId
    must be the ASM version's.
    """
    source = secret["metadata"]["source"]
    assert source["version_id"] == asm_value["VersionId"]
    string, binary = decode_to_asm(secret["data"], source["format"])
    if "SecretBinary" in asm_value:
        assert binary == asm_value["SecretBinary"]
    elif source["format"] == FORMAT_JSON:
        assert values_equal(json.loads(string), json.loads(asm_value["SecretString"]))
    else:
        assert string == asm_value["SecretString"]
    return source
