# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Ordered glob -> template mapping rules (first match wins), for names and paths.

Globs and templates are '/'-separated.
  '*'   matches one or more characters inside one segment (never '/'); it may be part
        of a segment ('app-*', '*-db', '*.*'). With several in one segment, the earlier
        ones take as much as they can ('*.*' splits 'a.tar.gz' into 'a.tar' and 'gz').
  '**'  must be a whole segment; it matches zero or more whole segments.
Everything else matches itself exactly (case-sensitive; '.', '+' and '?' are literal).
A template uses the same wildcards in the same order as its glob; each is replaced by
what it captured. A '**' that captured nothing disappears together with its '/', so
'prod/**' -> 'environments/production/**' maps 'prod' to 'environments/production'.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from collections import namedtuple

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import PlanError

IDENTITY_RULES = [{"match": "**", "path": "**"}]

_ONE = "*"
_ANY = "**"
_SINGLE_STAR_RE = re.compile(r"\*")


class MappingError(PlanError):
    """A mapping rule that cannot be compiled; the message names the rule and the fix."""


def _describe(index, source, target):
    """Name a rule the way a user wrote it, counting from 1."""
    return "mapping rule %d (%r -> %r)" % (index + 1, source, target)


def _wildcards(pattern):
    """Return the wildcards of pattern in order, e.g. ['**', '*'], after checking their placement."""
    found = []
    segments = pattern.split("/")
    for position, segment in enumerate(segments):
        if segment == _ANY:
            if position and segments[position - 1] == _ANY:
                raise MappingError(
                    "%r has '**/**'; one '**' already matches any number of segments, use it once" % pattern)
            found.append(_ANY)
        elif _ANY in segment:
            raise MappingError(
                "'**' must be a whole segment, but %r has it inside the segment %r "
                "(use '*' for part of a segment, or 'prefix/**' for any depth)" % (pattern, segment))
        else:
            found.extend(_ONE * segment.count(_ONE))
    return found


def _glob_regex(glob):
    """Translate a checked glob into an anchored regular expression with one group per wildcard."""
    segments = glob.split("/")
    parts = []
    for position, segment in enumerate(segments):
        last = position == len(segments) - 1
        if segment == _ANY:
            if len(segments) == 1:
                parts.append("(.*)")
            elif position == 0:
                # The following segment then starts without a separator of its own.
                parts.append("(?:(.+)/)?")
            else:
                parts.append("(?:/(.+))?")
                if not last:
                    parts.append("/")
            continue
        if position and segments[position - 1] != _ANY:
            parts.append("/")
        parts.append("([^/]+)".join(re.escape(piece) for piece in segment.split(_ONE)))
    return re.compile("".join(parts), re.DOTALL)


def _render(template, captures):
    """Fill template's wildcards with captures in order; empty '**' captures vanish with their '/'."""
    remaining = iter(captures)
    segments = []
    for segment in template.split("/"):
        if segment == _ANY:
            capture = next(remaining)
            if capture:
                segments.append(capture)
        else:
            segments.append(_SINGLE_STAR_RE.sub(lambda _m: next(remaining), segment))
    return "/".join(segments)


class Rule(namedtuple("Rule", ["source", "target", "pattern"])):
    """One compiled rule: source glob, target template, and the glob's regular expression."""

    __slots__ = ()

    def match(self, name):
        """Return the wildcard captures (a tuple, '**' may capture '') or None when name does not match."""
        found = self.pattern.fullmatch(name)
        if found is None:
            return None
        return tuple(capture or "" for capture in found.groups())

    def render(self, captures):
        """Return the target template with each wildcard replaced by its capture."""
        return _render(self.target, captures)


def _compile_one(index, source, target):
    """Check one rule (index is 0-based, messages count from 1) and compile it."""
    for role, value in (("glob", source), ("template", target)):
        if not isinstance(value, str) or not value:
            raise MappingError(
                "mapping rule %d: the %s must be a non-empty string, got %r" % (index + 1, role, value))
    try:
        source_wildcards = _wildcards(source)
        target_wildcards = _wildcards(target)
    except MappingError as error:
        raise MappingError("%s: %s" % (_describe(index, source, target), error))
    if source_wildcards != target_wildcards:
        raise MappingError(
            "%s: the template must use the same wildcards in the same order as the glob "
            "(glob: %s; template: %s); each wildcard of the glob is copied into the template"
            % (_describe(index, source, target),
               " ".join(source_wildcards) or "none", " ".join(target_wildcards) or "none"))
    return Rule(source, target, _glob_regex(source))


def _rule_pairs(rules):
    """Yield (glob, template) from any accepted rules form, in order."""
    if isinstance(rules, dict):
        yield from rules.items()
        return
    if not isinstance(rules, (list, tuple)):
        raise MappingError(
            "mapping rules must be a list of {match: GLOB, path: TEMPLATE} entries or a dict of "
            "GLOB: TEMPLATE, got %s" % type(rules).__name__)
    for index, entry in enumerate(rules):
        if isinstance(entry, dict) and set(entry) == {"match", "path"}:
            yield entry["match"], entry["path"]
        elif isinstance(entry, dict) and len(entry) == 1 and not set(entry) & {"match", "path"}:
            yield list(entry.items())[0]
        else:
            raise MappingError(
                "mapping rule %d is %r: write it as {match: GLOB, path: TEMPLATE} or as a single "
                "{GLOB: TEMPLATE}" % (index + 1, entry))


def compile_rules(rules):
    """Compile rules (list of {match, path}, list of {glob: template}, ordered dict, or Rules) to Rules."""
    if rules is None:
        return []
    if isinstance(rules, (list, tuple)) and all(isinstance(rule, Rule) for rule in rules):
        return list(rules)
    return [_compile_one(index, source, target) for index, (source, target) in enumerate(_rule_pairs(rules))]


def map_name(rules, name):
    """Return (mapped path, 0-based rule index) for the first rule that matches name, or (None, None)."""
    for index, rule in enumerate(compile_rules(rules)):
        captures = rule.match(name)
        if captures is not None:
            return rule.render(captures), index
    return None, None


def invert_rules(rules):
    """Swap glob and template of every rule, e.g. to find the ScaiVault path of a federated backend name."""
    return [_compile_one(index, rule.target, rule.source) for index, rule in enumerate(compile_rules(rules))]
