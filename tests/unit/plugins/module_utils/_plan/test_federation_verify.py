# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.provenance import source_metadata
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


# -- every outcome, word for word (rows of scaivault_federation_verify's result) ------------------------
GOLDEN_SALT = b"0123456789abcdef"
GOLDEN_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf"


def copy(data, version_id="v1", value_format="json"):
    """A federated copy at external/aws/app/db with its provenance."""
    return {"data": data, "metadata": {"source": source_metadata("us-east-1", GOLDEN_ARN, "app/db", version_id,
                                                                 value_format)}}


def golden_row(**fields):
    row = {"path": "external/aws/app/db", "name": "app/db", "region": "us-east-1", "status": "error", "match": False,
           "asm_fingerprint": None, "scaivault_fingerprint": None, "asm_version_id": None,
           "recorded_version_id": None, "version_match": None, "format": None, "recorded_format": None,
           "differing_keys": [], "message": ""}
    row.update(fields)
    return row


GOLDEN_ROWS = [
    ('asm-error', dict(asm_value=None, scaivault_secret=None, asm_error="AccessDeniedException on GetSecretValue"),
     golden_row(message='ASM: AccessDeniedException on GetSecretValue')),
    ('scaivault-error', dict(asm_value=None, scaivault_secret=None, scaivault_error="403 access_denied"),
     golden_row(message='ScaiVault: 403 access_denied')),
    ('unencodable-asm-value', dict(asm_value={"VersionId": "v1"}, scaivault_secret=None),
     golden_row(asm_version_id='v1',
                message='ASM value of app/db cannot be encoded: an ASM secret value has exactly one of SecretString and SecretBinary; got neither')),
    ('no-data-object', dict(asm_value={"VersionId": "v1", "SecretString": "{}"}, scaivault_secret={"data": "x"}),
     golden_row(asm_fingerprint='sha256:f91e3e9f05cc2df6',
                asm_version_id='v1',
                format='json',
                message='ScaiVault answered external/aws/app/db without an object in data')),
    ('neither', dict(asm_value=None, scaivault_secret=None),
     golden_row(status='missing_in_asm', message='app/db exists neither in ASM nor at external/aws/app/db')),
    ('missing-in-asm', dict(asm_value=None, scaivault_secret=copy({"k": 1})),
     golden_row(status='missing_in_asm',
                scaivault_fingerprint='sha256:7a66495ec12c7891',
                recorded_version_id='v1',
                recorded_format='json',
                message='app/db does not exist in ASM (or is pending deletion), but external/aws/app/db still answers')),
    ('missing-in-scaivault', dict(asm_value={"VersionId": "v1", "SecretString": '{"k": 1}'}, scaivault_secret=None),
     golden_row(status='missing_in_scaivault',
                asm_fingerprint='sha256:7a66495ec12c7891',
                asm_version_id='v1',
                format='json',
                message='external/aws/app/db is not readable in ScaiVault (not mapped, not synced yet, or removed)')),
    ('mismatch', dict(asm_value={"VersionId": "v2", "SecretString": '{"k": 1, "a": 2}'}, scaivault_secret=copy({"k": 2, "b": 3}, "v1", "text")),
     golden_row(status='mismatch',
                asm_fingerprint='sha256:83b5a9f8ad287c87',
                scaivault_fingerprint='sha256:13aa6300ff218a91',
                asm_version_id='v2',
                recorded_version_id='v1',
                version_match=False,
                format='json',
                recorded_format='text',
                differing_keys=['a', 'b', 'k'],
                message='values differ; recorded format text, ASM value is json')),
    ('match-behind', dict(asm_value={"VersionId": "v2", "SecretString": '{"k": 1}'}, scaivault_secret=copy({"k": 1}, "v1")),
     golden_row(status='match',
                match=True,
                asm_fingerprint='sha256:7a66495ec12c7891',
                scaivault_fingerprint='sha256:7a66495ec12c7891',
                asm_version_id='v2',
                recorded_version_id='v1',
                version_match=False,
                format='json',
                recorded_format='json',
                message='same value, but external/aws/app/db records ASM version v1 while AWSCURRENT is v2 (the next sync will catch up)')),
    ('match', dict(asm_value={"VersionId": "v1", "SecretString": "plain"}, scaivault_secret={"data": {"value": "plain"}}),
     golden_row(status='match',
                match=True,
                asm_fingerprint='sha256:15ce93398945290d',
                scaivault_fingerprint='sha256:15ce93398945290d',
                asm_version_id='v1',
                format='text')),
]


@pytest.mark.parametrize("label, kwargs, expected", GOLDEN_ROWS, ids=[case[0] for case in GOLDEN_ROWS])
def test_verify_pair_word_for_word(label, kwargs, expected):
    assert verify_pair("external/aws/app/db", "app/db", "us-east-1", salt=GOLDEN_SALT, **kwargs) == expected


def test_unmapped_row_word_for_word():
    assert unmapped_row("x/y", "us-east-1", "aws-us-east-1") == golden_row(
        path="x/y", name=None,
        message="federation backend aws-us-east-1 serves nothing at x/y: no glob of its path_mapping matches it")
