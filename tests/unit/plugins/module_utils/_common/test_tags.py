# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.tags import asm_tags_to_dict, flatten_asm_tags

ASM_TAGS = [
    {"Key": "team", "Value": "billing"},
    {"Key": "environment", "Value": "prod"},
    {"Key": "aws:cloudformation:stack-name", "Value": "stack=1"},
    {"Key": "empty", "Value": ""},
    {"Key": "novalue"},
]


@pytest.mark.parametrize("style, expected", [
    ("key=value", ["aws:cloudformation:stack-name=stack=1", "empty=", "environment=prod", "novalue=", "team=billing"]),
    ("key", ["aws:cloudformation:stack-name", "empty", "environment", "novalue", "team"]),
    ("drop", []),
])
def test_styles_sorted_by_key(style, expected):
    assert flatten_asm_tags(ASM_TAGS, style) == expected
    assert flatten_asm_tags(list(reversed(ASM_TAGS)), style) == expected


def test_default_style_is_key_equals_value():
    assert flatten_asm_tags([{"Key": "a", "Value": "b"}]) == ["a=b"]


@pytest.mark.parametrize("tags", [None, []])
@pytest.mark.parametrize("style", ["key=value", "key", "drop"])
def test_no_tags(tags, style):
    assert flatten_asm_tags(tags, style) == []


def test_flat_dict_is_accepted():
    assert flatten_asm_tags({"b": "2", "a": "1"}) == ["a=1", "b=2"]


def test_asm_tags_to_dict():
    assert asm_tags_to_dict(ASM_TAGS[:2]) == {"team": "billing", "environment": "prod"}
    assert asm_tags_to_dict(None) == {}
    assert asm_tags_to_dict([{"Key": "k", "Value": None}]) == {"k": ""}


@pytest.mark.parametrize("tags, message", [
    ([{"Value": "x"}], "ASM tag {'Value': 'x'} has no 'Key'; expected a list like [{'Key': 'env', 'Value': 'prod'}]"),
    (["env=prod"], "ASM tag 'env=prod' has no 'Key'"),
])
def test_malformed_tags(tags, message):
    with pytest.raises(ValueError) as caught:
        asm_tags_to_dict(tags)
    assert message in str(caught.value)


def test_unknown_style():
    with pytest.raises(ValueError, match=r"unknown tag style 'key:value' \(choose one of: key=value, key, drop\)"):
        flatten_asm_tags(ASM_TAGS, "key:value")
