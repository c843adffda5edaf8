# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server text is shown only when it provably holds nothing that was sent."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.untrusted import (
    field_names, safe_token, sent_strings, server_text)

VALUE = 'p@ss "quoted" \\ back\nslash-ünïcode'


def test_sent_strings_are_the_leaves_not_the_keys():
    body = {"data": {"password": VALUE, "port": 5432, "on": True, "none": None}, "tags": ["a-tag"]}
    assert sorted(sent_strings(body)) == sorted([VALUE, "5432", "a-tag"])


@pytest.mark.parametrize("echo", [
    VALUE,                                    # raw
    json.dumps(VALUE)[1:-1],                  # JSON-escaped, as a body echoed into a JSON message
    json.dumps(json.dumps(VALUE))[1:-1],      # escaped twice
    base64.b64encode(VALUE.encode()).decode(),
    VALUE[5:12],                              # any 4+ character piece of it
])
def test_text_holding_a_sent_value_in_any_form_is_withheld(echo):
    assert server_text("invalid request body: %s" % echo, [VALUE]) is None


def test_a_short_value_withholds_any_text_since_it_cannot_be_told_from_words():
    assert server_text("invalid value", ["abc"]) is None
    assert server_text("invalid value", ["abcd"]) == "invalid value"


def test_text_unrelated_to_what_was_sent_is_kept():
    assert server_text("token lacks secrets:write", ["sk_live_0123"]) == "token lacks secrets:write"
    assert server_text("nothing sent", []) == "nothing sent"
    assert server_text({"not": "text"}, []) is None and server_text("", []) is None


def test_tokens_and_field_names_are_kept_only_when_shaped_like_them():
    assert safe_token("insufficient_scope") == "insufficient_scope"
    assert safe_token("secrets:write") == "secrets:write"
    assert safe_token('invalid "body": hunter2') is None and safe_token(7) is None
    assert field_names({"fields": ["data.value", 'x": "leak']}) == ["data.value"]
    assert field_names({"fields": {"metadata.owner": "echo of " + VALUE}}) == ["metadata.owner"]
    assert field_names({"other": VALUE}) == [] and field_names(None) == []
