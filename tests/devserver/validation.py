# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input rules of the contract: secret paths, path globs, durations, secret types."""

import re

from .errors import ApiError, bad_request

MAX_PATH_LENGTH = 512
MAX_SEGMENTS = 10
SECRET_TYPES = ("kv", "json", "certificate", "ssh_key", "api_key")
DEFAULT_SECRET_TYPE = "kv"

_BAD_CHAR = re.compile(r"[^a-z0-9_/-]")
_BAD_GLOB_CHAR = re.compile(r"[^a-z0-9_/*-]")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _path_rule_broken(path, bad_char):
    """The first broken path rule as a sentence, or None. Order: cheapest to explain first."""
    if not path:
        return "path must not be empty"
    if path.startswith("/"):
        return "path must not start with '/'"
    if path.endswith("/"):
        return "path must not end with '/'"
    if "//" in path:
        return "path must not contain empty segments ('//')"
    if len(path) > MAX_PATH_LENGTH:
        return "path must be at most %d characters (got %d)" % (MAX_PATH_LENGTH, len(path))
    segments = path.count("/") + 1
    if segments > MAX_SEGMENTS:
        return "path must have at most %d segments (got %d)" % (MAX_SEGMENTS, segments)
    found = bad_char.search(path)
    if found:
        char = found.group(0)
        hint = " (upper case is not allowed)" if char.isupper() else ""
        return "path may only contain a-z, 0-9, '-', '_' and '/'; found %r%s" % (char, hint)
    return None


def check_path(path):
    """Raise 400 invalid_path naming the broken rule."""
    problem = _path_rule_broken(path, _BAD_CHAR)
    if problem:
        raise ApiError(400, "invalid_path", "invalid path %r: %s" % (path, problem), {"path": path, "rule": problem})
    return path


def is_valid_path(path):
    return _path_rule_broken(path, _BAD_CHAR) is None


def is_glob(pattern):
    return "*" in pattern


def glob_regex(pattern):
    """``*`` = one segment, ``**`` = any number of segments (also zero), anchored."""
    problem = _path_rule_broken(pattern, _BAD_GLOB_CHAR)
    if problem:
        raise ApiError(400, "invalid_glob", "invalid glob %r: %s" % (pattern, problem), {"pattern": pattern})
    regex = []
    for index, segment in enumerate(pattern.split("/")):
        separator = "/" if index else ""
        if segment == "**":
            regex.append("(?:%s[^/]+)*" % separator if index else "(?:[^/]+(?:/[^/]+)*)?")
        else:
            regex.append(separator + re.escape(segment).replace(r"\*", "[^/]*"))
    return re.compile("^%s$" % "".join(regex))


def parse_duration(text, field):
    """``15m``, ``48h``, ``7d`` ... -> seconds; anything else is 400 invalid_duration."""
    found = _DURATION.match(text) if isinstance(text, str) else None
    if not found or int(found.group(1)) <= 0:
        raise ApiError(400, "invalid_duration", "%s must be a positive duration such as '15m', '48h' or '90d' (got %r)" % (field, text),
                       {"fields": [field]})
    return int(found.group(1)) * _UNIT_SECONDS[found.group(2)]


def check_secret_type(value):
    if value not in SECRET_TYPES:
        raise ApiError(400, "invalid_secret_type", "secret_type must be one of %s (got %r)" % (", ".join(SECRET_TYPES), value),
                       {"allowed": list(SECRET_TYPES)})
    return value


def positive_int(value, field):
    """JSON integers only: bools are ints in Python but not in the contract."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise bad_request("%s must be a positive integer (got %r)" % (field, value), {"fields": [field]}, code="validation_error")
    return value
