# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Assert that known secret values appear nowhere in some texts or files.

    from integration.leakscan import assert_no_leak
    assert_no_leak(["sk_live_...", "p@ss w0rd"], texts={"stdout": res.stdout}, files=[log_path])

Each value is searched in the forms it takes when it slips through a serializer:
as is, JSON-escaped (json.dumps without the quotes, ASCII and non-ASCII variants),
Python repr-escaped, URL-encoded, and base64 (standard and URL-safe, at each of the three
byte alignments, so the value is found inside a longer encoded blob too). Values shorter
than MIN_VALUE_LENGTH are refused: a short value would match by chance, so a test must
use long, distinctive values.
"""

from __future__ import annotations

import base64
import json
import os
from urllib.parse import quote, quote_plus

MIN_VALUE_LENGTH = 8
# Base64 of a value at an offset inside a blob shares only the middle characters with the
# encoding of the value alone; below this many characters a match could be chance.
MIN_B64_CORE = 8


def _b64_cores(raw: bytes) -> set:
    """Base64 substrings that must appear wherever raw is encoded, whatever precedes or follows it."""
    cores = set()
    for offset in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * offset + raw).decode("ascii").rstrip("=")
            # Characters that mix in bytes before (the offset) or after the value are not fixed.
            start = (offset * 4 + 2) // 3
            end = ((offset + len(raw)) * 4) // 3
            core = encoded[start:end]
            if len(core) >= MIN_B64_CORE:
                cores.add(core)
    return cores


def value_forms(value) -> dict:
    """{form name: text} of the ways a value can be spelled in output."""
    if not isinstance(value, str):
        value = json.dumps(value, sort_keys=True)
    if len(value) < MIN_VALUE_LENGTH:
        raise ValueError("leak scan values must be at least %d characters (got %d); use long, distinctive test values"
                         % (MIN_VALUE_LENGTH, len(value)))
    forms = {"raw": value}
    forms["json"] = json.dumps(value)[1:-1]
    forms["json_ascii"] = json.dumps(value, ensure_ascii=True)[1:-1]
    forms["json_unicode"] = json.dumps(value, ensure_ascii=False)[1:-1]
    forms["json_twice"] = json.dumps(json.dumps(value))[3:-3]
    forms["repr"] = repr(value)[1:-1]
    forms["url"] = quote(value, safe="")
    forms["url_plus"] = quote_plus(value, safe="")
    for index, core in enumerate(sorted(_b64_cores(value.encode("utf-8")))):
        forms["base64_%d" % index] = core
    # Drop duplicates: the same text under several names would report one leak many times.
    unique = {}
    for name, text in forms.items():
        if text not in unique.values():
            unique[name] = text
    return unique


def find_leaks(values, texts=None, files=()) -> list:
    """[(source, form, value preview)] of every value form found in the texts or files."""
    sources = dict(texts or {})
    for path in files:
        path = str(path)
        if os.path.exists(path):
            with open(path, "rb") as handle:
                sources[path] = handle.read().decode("utf-8", "replace")
    found = []
    for value in values:
        forms = value_forms(value)
        preview = (value if isinstance(value, str) else json.dumps(value))[:3] + "..."
        for source, text in sources.items():
            for form, needle in forms.items():
                if needle in text:
                    found.append((source, form, preview))
    return found


def assert_no_leak(values, texts=None, files=(), require_files=True) -> None:
    """Fail, naming source and form (never the whole value), if any value appears anywhere."""
    if require_files:
        missing = [str(path) for path in files if not os.path.exists(str(path))]
        assert not missing, "files to scan do not exist: %s" % missing
    leaks = find_leaks(values, texts, files)
    described = ["%s in %s (%s)" % (preview, source, form) for source, form, preview in leaks]
    assert not leaks, "secret values leaked: %s" % ", ".join(described)
