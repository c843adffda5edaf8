# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections import OrderedDict

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.mapping import (
    IDENTITY_RULES,
    MappingError,
    Rule,
    compile_rules,
    invert_rules,
    map_name,
)


def _map(glob, template, name):
    return map_name(compile_rules([{"match": glob, "path": template}]), name)[0]


@pytest.mark.parametrize("glob, template, name, expected", [
    # '**' at the end, including zero segments: no trailing '/'.
    ("prod/**", "environments/production/**", "prod/billing/stripe", "environments/production/billing/stripe"),
    ("prod/**", "environments/production/**", "prod", "environments/production"),
    ("prod/**", "environments/production/**", "production/x", None),
    ("prod/**", "environments/production/**", "prod/", None),
    # '**' at the start and in the middle: no leading or doubled '/'.
    ("**/db", "databases/**", "db", "databases"),
    ("**/db", "databases/**", "eu/prod/db", "databases/eu/prod"),
    ("a/**/b", "x/**/y", "a/b", "x/y"),
    ("a/**/b", "x/**/y", "a/1/2/3/b", "x/1/2/3/y"),
    ("a/**/b", "x/**/y", "a/1/c", None),
    ("**", "**", "", ""),
    ("**", "imported/**", "Any/Thing+Else", "imported/Any/Thing+Else"),
    # '*' is one or more characters inside one segment.
    ("prod/*", "p/*", "prod/a", "p/a"),
    ("prod/*", "p/*", "prod/a/b", None),
    ("prod/*", "p/*", "prod/", None),
    ("app-*/config", "apps/*/config", "app-billing/config", "apps/billing/config"),
    ("app-*/config", "apps/*/config", "app-/config", None),
    ("*-db", "db/*", "orders-db", "db/orders"),
    ("*.*", "*/*", "file.tar.gz", "file.tar/gz"),
    ("*/**", "by-team/*/**", "billing/a/b", "by-team/billing/a/b"),
    ("*/**", "by-team/*/**", "billing", "by-team/billing"),
    ("*/**/end", "*-x/**", "a/b/c/end", "a-x/b/c"),
    # Everything else is literal, regex metacharacters included, case-sensitive.
    ("a.b", "x", "a.b", "x"),
    ("a.b", "x", "axb", None),
    ("a+b/(c)/[d]/?/$", "ok", "a+b/(c)/[d]/?/$", "ok"),
    ("a+b", "ok", "aab", None),
    ("Prod/*", "p/*", "prod/a", None),
])
def test_glob_matching_and_rendering(glob, template, name, expected):
    assert _map(glob, template, name) == expected


def test_first_matching_rule_wins_and_index_is_zero_based():
    rules = compile_rules([
        {"match": "prod/billing/*", "path": "billing/*"},
        {"match": "prod/**", "path": "environments/production/**"},
        {"match": "**", "path": "misc/**"},
    ])
    assert map_name(rules, "prod/billing/stripe") == ("billing/stripe", 0)
    assert map_name(rules, "prod/billing/stripe/live") == ("environments/production/billing/stripe/live", 1)
    assert map_name(rules, "dev/x") == ("misc/dev/x", 2)
    assert map_name(rules[:2], "dev/x") == (None, None)
    assert map_name([], "x") == (None, None)


@pytest.mark.parametrize("rules", [
    [{"match": "a/*", "path": "x/*"}, {"match": "**", "path": "y/**"}],
    [{"a/*": "x/*"}, {"**": "y/**"}],
    OrderedDict([("a/*", "x/*"), ("**", "y/**")]),
    {"a/*": "x/*", "**": "y/**"},
])
def test_every_accepted_form_compiles_to_the_same_rules(rules):
    compiled = compile_rules(rules)
    assert [(rule.source, rule.target) for rule in compiled] == [("a/*", "x/*"), ("**", "y/**")]
    assert all(isinstance(rule, Rule) for rule in compiled)
    assert compile_rules(compiled) == compiled
    assert map_name(rules, "a/1") == ("x/1", 0)


def test_rule_match_and_render():
    rule = compile_rules({"*/**/end": "x-*/**"})[0]
    assert rule.match("a/end") == ("a", "")
    assert rule.match("a/b/c/end") == ("a", "b/c")
    assert rule.match("end") is None
    assert rule.render(("a", "b/c")) == "x-a/b/c"
    assert rule.render(("a", "")) == "x-a"


@pytest.mark.parametrize("rules, message", [
    ([{"match": "a/**x", "path": "b/**"}],
     "mapping rule 1 ('a/**x' -> 'b/**'): '**' must be a whole segment, but 'a/**x' has it inside the segment '**x'"),
    ([{"match": "a/***", "path": "b/***"}], "must be a whole segment, but 'a/***' has it inside the segment '***'"),
    ([{"match": "a/**", "path": "b/c**"}], "mapping rule 1 ('a/**' -> 'b/c**'): '**' must be a whole segment"),
    ([{"match": "a/**/**", "path": "b/**/**"}], "'a/**/**' has '**/**'; one '**' already matches any number"),
    ([{"match": "a/*", "path": "b/**"}],
     "mapping rule 1 ('a/*' -> 'b/**'): the template must use the same wildcards in the same order as the glob "
     "(glob: *; template: **)"),
    ([{"match": "a/*/**", "path": "b/**/*"}], "(glob: * **; template: ** *)"),
    ([{"match": "a/*-*", "path": "b/*"}], "(glob: * *; template: *)"),
    ([{"x": "y"}, {"match": "a/*", "path": "b"}], "mapping rule 2 ('a/*' -> 'b'): the template must use the same wildcards"
     " in the same order as the glob (glob: *; template: none)"),
    ([{"match": "a"}], "mapping rule 1 is {'match': 'a'}: write it as {match: GLOB, path: TEMPLATE} or as a single {GLOB: TEMPLATE}"),
    ([{"a": "b", "c": "d"}], "mapping rule 1 is {'a': 'b', 'c': 'd'}: write it as"),
    (["a -> b"], "mapping rule 1 is 'a -> b': write it as"),
    ([{"match": "", "path": "b"}], "mapping rule 1: the glob must be a non-empty string, got ''"),
    ([{"match": "a", "path": None}], "mapping rule 1: the template must be a non-empty string, got None"),
    ("a/**: b/**", "mapping rules must be a list of {match: GLOB, path: TEMPLATE} entries or a dict of GLOB: TEMPLATE, got str"),
])
def test_bad_rules_are_refused_with_the_rule_named(rules, message):
    with pytest.raises(MappingError) as caught:
        compile_rules(rules)
    assert message in str(caught.value)


def test_none_means_no_rules():
    assert compile_rules(None) == []


def test_identity_rules_keep_every_name():
    assert map_name(IDENTITY_RULES, "Prod/a+b") == ("Prod/a+b", 0)


def test_invert_rules_maps_backend_names_back_to_scaivault_paths():
    path_mapping = {"external/aws/**": "prod/**", "shared/*/creds": "team-*/creds"}
    inverted = invert_rules(path_mapping)
    assert [(rule.source, rule.target) for rule in inverted] == [
        ("prod/**", "external/aws/**"), ("team-*/creds", "shared/*/creds")]
    assert map_name(inverted, "prod/billing/stripe") == ("external/aws/billing/stripe", 0)
    assert map_name(inverted, "team-ops/creds") == ("shared/ops/creds", 1)
    assert map_name(inverted, "dev/x") == (None, None)
    # Inverting twice gives the original rules back.
    assert [(r.source, r.target) for r in invert_rules(inverted)] == list(path_mapping.items())


def test_round_trip_through_a_rule_and_its_inverse():
    forward = compile_rules({"prod/*/**": "environments/production/*/**"})
    backward = invert_rules(forward)
    for name in ("prod/billing", "prod/billing/stripe", "prod/a/b/c/d"):
        mapped, _index = map_name(forward, name)
        assert map_name(backward, mapped)[0] == name
