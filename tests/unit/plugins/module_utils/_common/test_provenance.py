# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.metadata import desired_metadata
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.provenance import (
    PROVENANCE_KEY,
    recorded_source,
    source_metadata,
)

ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/billing/stripe-AbCdEf"
VERSION = "a1b2c3d4-0000-0000-0000-000000000001"


def _source(**overrides):
    args = dict(region="eu-west-1", arn=ARN, name="prod/billing/stripe", version_id=VERSION, value_format="json")
    args.update(overrides)
    return source_metadata(**args)


def test_source_metadata_shape_has_no_timestamps():
    assert PROVENANCE_KEY == "source"
    assert _source() == {
        "system": "aws-secrets-manager",
        "region": "eu-west-1",
        "arn": ARN,
        "name": "prod/billing/stripe",
        "version_id": VERSION,
        "format": "json",
    }


def test_same_inputs_give_the_same_record_so_reruns_change_nothing():
    metadata, _changed = desired_metadata({}, custom={PROVENANCE_KEY: _source()})
    assert desired_metadata(metadata, custom={PROVENANCE_KEY: _source()})[1] == []
    assert desired_metadata(metadata, custom={PROVENANCE_KEY: _source(version_id="v2")})[1] == ["source"]


def test_extra_keys_are_added_but_cannot_replace_recorded_fields():
    assert _source(extra={"primary_region": "us-east-1"})["primary_region"] == "us-east-1"
    with pytest.raises(ValueError, match="extra provenance keys format, system would replace recorded fields"):
        _source(extra={"system": "x", "format": "text"})


@pytest.mark.parametrize("overrides, message", [
    ({"value_format": "yaml"}, "unknown value format 'yaml' (expected one of: json, text, binary)"),
    ({"version_id": None}, "provenance needs region, arn, name, version_id and format; missing: version_id"),
    ({"region": "", "arn": None}, "missing: region, arn"),
])
def test_bad_provenance_is_refused(overrides, message):
    with pytest.raises(ValueError) as caught:
        _source(**overrides)
    assert message in str(caught.value)


def test_recorded_source_reads_back_what_was_written():
    assert recorded_source({"tags": [], PROVENANCE_KEY: _source()}) == _source()


def test_recorded_source_fills_missing_fields_with_none():
    source = recorded_source({PROVENANCE_KEY: {"system": "aws-secrets-manager", "version_id": "v1", "more": 1}})
    assert source == {"system": "aws-secrets-manager", "region": None, "arn": None, "name": None,
                      "version_id": "v1", "format": None, "more": 1}


@pytest.mark.parametrize("metadata", [
    None,
    {},
    "source",
    {"source": None},
    {"source": "aws-secrets-manager"},
    {"source": {"system": "hashicorp-vault", "version_id": VERSION}},
    {"source": {"version_id": VERSION}},
])
def test_recorded_source_is_none_for_anything_else(metadata):
    assert recorded_source(metadata) is None
