# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.scailabs.scaivault.plugins.module_utils._plan.federation_verify import (
    asm_name_for_path, differing_keys, summarize, unmapped_row, verify_pair)

SALT = b"unit-test-salt"
SOURCE = {"system": "aws-secrets-manager", "region": "us-east-1", "arn": "arn:x", "name": "prod/billing/stripe",
          "version_id": "v1", "format": "json"}


def sv(data, source=None, plain=False):
    source = None if plain else (source or SOURCE)
    return {"path": "external/aws/billing/stripe", "data": data, "metadata": {"source": source} if source else {}}


def asm(string=None, binary=None, version="v1"):
    value = {"Name": "prod/billing/stripe", "VersionId": version}
    if string is not None:
        value["SecretString"] = string
    if binary is not None:
        value["SecretBinary"] = binary
    return value


def check(asm_value, secret, **kwargs):
    return verify_pair("external/aws/billing/stripe", "prod/billing/stripe", "us-east-1", asm_value, secret, SALT,
                       **kwargs)


def test_mapping_to_asm_name():
    assert asm_name_for_path({"external/aws/**": "prod/**"}, "external/aws/billing/stripe") == "prod/billing/stripe"
    assert asm_name_for_path({"external/aws/**": "prod/**"}, "other/x") is None


def test_json_object_matches_structurally_with_fingerprints_only():
    row = check(asm('{"b": 2,  "a": "sk_live_123"}'), sv({"a": "sk_live_123", "b": 2}))
    assert row["status"] == "match" and row["match"] is True
    assert row["asm_fingerprint"] == row["scaivault_fingerprint"]
    assert row["asm_fingerprint"].startswith("sha256:")
    assert row["version_match"] is True and row["format"] == "json"
    assert "sk_live_123" not in json.dumps(row)


def test_text_and_binary_encodings():
    assert check(asm("plain-password"), sv({"value": "plain-password"}, dict(SOURCE, format="text")))["match"]
    assert check(asm('["a"]'), sv({"value": '["a"]'}, dict(SOURCE, format="text")))["match"]
    row = check(asm(binary=b"\x00\x01"), sv({"value_base64": "AAE="}, dict(SOURCE, format="binary")))
    assert row["match"] and row["format"] == "binary"


def test_mismatch_names_keys_never_values():
    row = check(asm('{"a": "new-secret", "b": 2}'), sv({"a": "old-secret", "b": 2, "c": 3}))
    assert row["status"] == "mismatch" and row["differing_keys"] == ["a", "c"]
    assert row["asm_fingerprint"] != row["scaivault_fingerprint"]
    text = json.dumps(row)
    assert "new-secret" not in text and "old-secret" not in text


def test_type_sensitive_compare():
    assert check(asm('{"port": 1}'), sv({"port": True}))["status"] == "mismatch"
    assert check(asm('{"port": 1}'), sv({"port": 1.0}))["status"] == "mismatch"


def test_recorded_format_must_agree():
    row = check(asm('{"a": 1}'), sv({"a": 1}, dict(SOURCE, format="text")))
    assert row["status"] == "mismatch" and "recorded format" in row["message"]


def test_stale_version_same_value_is_match_with_note():
    row = check(asm('{"a": 1}', version="v2"), sv({"a": 1}))
    assert row["status"] == "match" and row["version_match"] is False and "v2" in row["message"]


def test_no_provenance_version_match_unknown():
    row = check(asm('{"a": 1}'), sv({"a": 1}, plain=True))
    assert row["match"] and row["version_match"] is None


def test_missing_sides():
    assert check(None, sv({"a": 1}))["status"] == "missing_in_asm"
    assert check(asm('{"a": 1}'), None)["status"] == "missing_in_scaivault"
    assert check(None, None)["status"] == "missing_in_asm"


def test_errors_are_reported_per_row():
    row = check(None, None, asm_error="AccessDeniedException on GetSecretValue")
    assert row["status"] == "error" and row["message"].startswith("ASM:")
    row = check(asm('{"a": 1}'), None, scaivault_error="502 backend_unavailable: x")
    assert row["status"] == "error" and "backend_unavailable" in row["message"]
    assert check(asm('{"a": 1}'), {"data": "str"})["status"] == "error"


def test_unmapped_and_summary():
    row = unmapped_row("x/y", "us-east-1", "aws-us-east-1")
    assert row["status"] == "error" and "aws-us-east-1" in row["message"]
    summary = summarize([row, check(asm('{"a": 1}'), sv({"a": 1}))])
    assert summary == {"match": 1, "mismatch": 0, "missing_in_scaivault": 0, "missing_in_asm": 0, "error": 1}


def test_differing_keys():
    assert differing_keys({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 0}) == ["b", "c"]
