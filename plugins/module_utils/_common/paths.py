# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ScaiVault path rules, and the naming policies that turn ASM names into candidate paths.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError

MAX_SEGMENTS = 10
MAX_PATH_LENGTH = 512
ALLOWED_CHARACTERS = "a-z 0-9 - _ /"

NAMING_POLICIES = ("strict", "lowercase", "normalize")

# The path rules in one sentence, for error messages and docs.
PATH_RULES = ("ScaiVault paths use lowercase a-z 0-9 - _ /, at most %d segments and %d characters"
              % (MAX_SEGMENTS, MAX_PATH_LENGTH))

_ALLOWED_RE = re.compile(r"[a-z0-9_/-]")
_DISALLOWED_RE = re.compile(r"[^a-z0-9_/-]")
_ASCII_UPPER = re.compile(r"[A-Z]")


def _quote_char(char):
    """Show one character so that a reader can tell which one it is, even when invisible."""
    if char == " ":
        return "' ' (space)"
    if not char.isprintable():
        return repr(char)
    return "'%s'" % char


def _disallowed_characters(path):
    """Describe the characters of path that ScaiVault refuses, upper case first, each once."""
    seen = []
    for char in path:
        if not _ALLOWED_RE.match(char) and char not in seen:
            seen.append(char)
    upper = [c for c in seen if _ASCII_UPPER.match(c)]
    other = [c for c in seen if not _ASCII_UPPER.match(c)]
    parts = []
    if upper:
        parts.append(", ".join(_quote_char(c) for c in upper) + " (upper case)")
    parts.extend(_quote_char(c) for c in other)
    return ", ".join(parts)


def path_problems(path):
    """List every rule path breaks, one sentence each; an empty list means path is valid."""
    if not isinstance(path, str):
        return ["is not a string (got %s)" % type(path).__name__]
    if not path:
        return ["is empty (a path needs at least one segment)"]
    problems = []
    if _DISALLOWED_RE.search(path):
        problems.append(
            "contains characters not allowed in ScaiVault paths: %s (allowed: %s)"
            % (_disallowed_characters(path), ALLOWED_CHARACTERS))
    if path.startswith("/"):
        problems.append("starts with '/' (remove the leading slash)")
    if path.endswith("/") and path != "/":
        problems.append("ends with '/' (remove the trailing slash)")
    if "//" in path.strip("/"):
        problems.append("has an empty segment ('//'; use a single '/' between segments)")
    segments = len(path.strip("/").split("/"))
    if segments > MAX_SEGMENTS:
        problems.append("has %d segments (at most %d allowed)" % (segments, MAX_SEGMENTS))
    if len(path) > MAX_PATH_LENGTH:
        problems.append("is %d characters long (at most %d allowed)" % (len(path), MAX_PATH_LENGTH))
    return problems


def check_paths(paths, what="path"):
    """Raise PlanError naming every path that breaks the rules and each of its problems; else return paths.

    Called before any request is sent, so a bad path costs nothing and changes nothing.
    """
    bad = [(path, path_problems(path)) for path in paths]
    bad = [(path, problems) for path, problems in bad if problems]
    if bad:
        raise PlanError("invalid ScaiVault %s(s), nothing was sent: %s. %s, with no leading, trailing or double slash"
                        % (what, "; ".join("%r %s" % (path, ", ".join(problems)) for path, problems in bad), PATH_RULES))
    return paths


def _lower_ascii(name):
    # Only A-Z: str.lower() would also rewrite non-ASCII letters, sometimes into two
    # characters (U+0130), which no ScaiVault path may contain anyway.
    return _ASCII_UPPER.sub(lambda m: m.group(0).lower(), name)


def check_naming_policy(policy):
    """Return policy when it is one of NAMING_POLICIES, else raise ValueError naming the choices."""
    if policy not in NAMING_POLICIES:
        raise ValueError("unknown naming policy %r (choose one of: %s)" % (policy, ", ".join(NAMING_POLICIES)))
    return policy


def normalize_name(name, policy):
    """Apply a naming policy (documented in the naming doc fragment) to name; the result may still be invalid."""
    check_naming_policy(policy)
    if policy == "strict":
        return name
    if policy == "lowercase":
        return _lower_ascii(name)
    replaced = _DISALLOWED_RE.sub("-", _lower_ascii(name))
    return "/".join(segment for segment in replaced.split("/") if segment)


def naming_policy_help():
    """What the naming policies do: the naming_policy option's documentation (see _common/options.py)."""
    return (
        "How an AWS Secrets Manager name (after the mapping rules) becomes a ScaiVault path. "
        "ScaiVault paths use only a-z 0-9 - _ /, have at most 10 segments and 512 characters, "
        "and have no leading or trailing slash and no empty segment. "
        "C(strict) uses the mapped name unchanged; a name that breaks a path rule is reported "
        "as invalid (how, the module's results say) and left alone. "
        "C(lowercase) turns the ASCII letters A-Z into a-z and changes nothing else; a name "
        "that still breaks a rule (for example because it contains C(+ = . @)) is invalid. "
        "C(normalize) first lower-cases the ASCII letters A-Z, then replaces every character "
        "outside a-z 0-9 - _ / with C(-) (one C(-) per character, for example C(db.Primary@eu) "
        "becomes C(db-primary-eu)), then strips leading and trailing slashes and drops empty "
        "segments (C(/prod//app/) becomes C(prod/app)). It never shortens a name, so a name "
        "with more than 10 segments or 512 characters stays invalid. "
        "With every policy, two names that end on the same path are both reported as a "
        "collision and neither is used."
    )
