# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Text that comes back from a server is untrusted: it may echo what was sent, values included.

FOR INTERNAL COLLECTION USE ONLY: no API promise, may change in any release.

A ScaiVault (or a proxy in front of it) may answer a PUT with "invalid request body: <body>".
Ansible's own masking does not catch that: a value with a quote, a backslash or a newline comes
back JSON-escaped, and values shorter than 4 characters are not masked at all. So every piece of
server text that reaches a person goes through here first:

  server_text(text, sent)   the text, or None when it cannot be shown to hold nothing that was
                            sent: no run of 4 or more characters of any sent string, raw,
                            JSON-escaped (once or twice) or base64-encoded, and no sent string
                            shorter than 4 characters (those cannot be told apart from ordinary
                            words, so their presence alone withholds the text)
  safe_token(text)          an error code, a request id or a scope: only when it looks like one
  field_names(details)      the field names of details.fields, nothing else of the details

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import re

PROBE_LENGTH = 4
WITHHELD = "the server's message was withheld because it may echo what was sent"
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_.:*/-]{1,128}$")
_FIELD_RE = re.compile(r"^[A-Za-z0-9_.\[\]-]{1,128}$")


def sent_strings(body):
    """Every leaf of a request or answer body as text (keys are field names and are not included)."""
    found = []
    stack = [body]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, (str, int, float)):
            found.append(item if isinstance(item, str) else str(item))
        elif isinstance(item, bytes):
            found.append(item.decode("latin-1"))
    return found


def _forms(text):
    """The ways a sent string may come back inside server text."""
    escaped = json.dumps(text)[1:-1]
    forms = [text, escaped, json.dumps(escaped)[1:-1]]
    try:
        forms.append(base64.b64encode(text.encode("utf-8")).decode("ascii"))
    except UnicodeEncodeError:  # pragma: no cover - lone surrogates; the raw form is still probed
        pass
    return forms


def _grams(text, size=PROBE_LENGTH):
    return set(text[index:index + size] for index in range(len(text) - size + 1))


def echoes(text, sent):
    """Whether text may hold any of the sent strings (or a 4+-character piece of one)."""
    if not text:
        return False
    text_grams = _grams(text)
    for value in sent:
        if not value:
            continue
        if len(value) < PROBE_LENGTH:
            return True
        for form in _forms(value):
            if not text_grams.isdisjoint(_grams(form)):
                return True
    return False


def server_text(text, sent=()):
    """text when it provably holds nothing that was sent, else None. Non-text answers give None."""
    if not isinstance(text, str) or not text:
        return None
    if echoes(text, sent):
        return None
    return text


def safe_token(text):
    """text when it is shaped like a code, an id or a scope (no spaces, no quotes), else None."""
    if isinstance(text, str) and _TOKEN_RE.match(text):
        return text
    return None


def field_names(details):
    """The field names in details.fields (a list, or a dict keyed by field), shaped like names."""
    fields = details.get("fields") if isinstance(details, dict) else None
    if isinstance(fields, dict):
        fields = list(fields)
    if not isinstance(fields, list):
        return []
    return [name for name in fields if isinstance(name, str) and _FIELD_RE.match(name)]
