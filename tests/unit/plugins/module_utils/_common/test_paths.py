# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.paths import (
    PATH_RULES,
    check_naming_policy,
    check_paths,
    normalize_name,
    path_problems,
)


@pytest.mark.parametrize("path", [
    "a",
    "environments/production/billing/stripe",
    "a-b_c/0-9",
    "/".join(["s"] * 10),
    "x" * 512,
    "/".join(["a" * 50] * 10)[:512].rstrip("/"),
])
def test_valid_paths_have_no_problems(path):
    assert path_problems(path) == []
    assert check_paths([path]) == [path]


@pytest.mark.parametrize("path, expected", [
    ("prod/Billing+Stripe",
     ["contains characters not allowed in ScaiVault paths: 'B', 'S' (upper case), '+' (allowed: a-z 0-9 - _ /)"]),
    ("a=b.c@d", ["contains characters not allowed in ScaiVault paths: '=', '.', '@' (allowed: a-z 0-9 - _ /)"]),
    ("a b", ["contains characters not allowed in ScaiVault paths: ' ' (space) (allowed: a-z 0-9 - _ /)"]),
    ("a\tb", ["contains characters not allowed in ScaiVault paths: '\\t' (allowed: a-z 0-9 - _ /)"]),
    ("caf\u00e9", ["contains characters not allowed in ScaiVault paths: '\u00e9' (allowed: a-z 0-9 - _ /)"]),
    ("AAa+A+", ["contains characters not allowed in ScaiVault paths: 'A' (upper case), '+' (allowed: a-z 0-9 - _ /)"]),
    ("/prod/a", ["starts with '/' (remove the leading slash)"]),
    ("prod/a/", ["ends with '/' (remove the trailing slash)"]),
    ("prod//a", ["has an empty segment ('//'; use a single '/' between segments)"]),
    ("/", ["starts with '/' (remove the leading slash)"]),
    ("", ["is empty (a path needs at least one segment)"]),
    (None, ["is not a string (got NoneType)"]),
    ("/".join(["s"] * 11), ["has 11 segments (at most 10 allowed)"]),
    ("x" * 513, ["is 513 characters long (at most 512 allowed)"]),
])
def test_each_problem_is_one_sentence(path, expected):
    assert path_problems(path) == expected


def test_all_problems_are_listed_together():
    problems = path_problems("/" + "/".join(["A"] * 11) + "/")
    assert len(problems) == 4
    assert "'A' (upper case)" in problems[0]
    assert "starts with '/'" in problems[1]
    assert "ends with '/'" in problems[2]
    assert "has 11 segments" in problems[3]


def test_check_paths_names_each_bad_path_every_problem_and_the_rules():
    assert check_paths(["a/b", "c"]) == ["a/b", "c"]
    with pytest.raises(PlanError) as caught:
        check_paths(["ok/path", "/Prod/a", "x//y"])
    message = str(caught.value)
    assert message.startswith("invalid ScaiVault path(s), nothing was sent: '/Prod/a' ")
    assert "'P' (upper case)" in message and ", starts with '/'" in message
    assert "'x//y'" in message and "'ok/path'" not in message
    assert PATH_RULES in message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("name, strict, lowercase, normalize", [
    ("prod/billing/stripe", "prod/billing/stripe", "prod/billing/stripe", "prod/billing/stripe"),
    ("Prod/Billing/Stripe", "Prod/Billing/Stripe", "prod/billing/stripe", "prod/billing/stripe"),
    ("db.Primary@eu", "db.Primary@eu", "db.primary@eu", "db-primary-eu"),
    ("a+b=c", "a+b=c", "a+b=c", "a-b-c"),
    ("a..b", "a..b", "a..b", "a--b"),
    ("/prod//app/", "/prod//app/", "/prod//app/", "prod/app"),
    ("///", "///", "///", ""),
    ("x/\u00c9t\u00e9", "x/\u00c9t\u00e9", "x/\u00c9t\u00e9", "x/-t-"),
    ("\u0130d", "\u0130d", "\u0130d", "-d"),
])
def test_naming_policies(name, strict, lowercase, normalize):
    assert normalize_name(name, "strict") == strict
    assert normalize_name(name, "lowercase") == lowercase
    assert normalize_name(name, "normalize") == normalize


def test_normalize_never_repairs_depth_or_length():
    deep = "/".join(["A"] * 11)
    assert path_problems(normalize_name(deep, "normalize")) == ["has 11 segments (at most 10 allowed)"]


def test_unknown_policy_names_the_choices():
    with pytest.raises(ValueError, match=r"unknown naming policy 'loose' \(choose one of: strict, lowercase, normalize\)"):
        normalize_name("a", "loose")
    assert check_naming_policy("strict") == "strict"
