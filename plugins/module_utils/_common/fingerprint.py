# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Salted fingerprints of secret values, for diffs and reports.

Why: diffs, results and reports must show whether a value changed without showing the
value. They carry fingerprints, never values. A plain hash of a weak value (a short
password, a port, "true") could be brute-forced from a report, so every fingerprint is
keyed with a random salt made once per run that never leaves the module process: the
same value gives the same fingerprint within one run (so before/after compare), and
fingerprints from different runs cannot be compared or reversed.

A fingerprint is "sha256:" + the first 16 hex characters of HMAC-SHA256(salt, canonical
JSON of the value).

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import hmac
import os

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.encoding import canonical_json, check_secret_data

FINGERPRINT_PREFIX = "sha256:"
_HEX_CHARS = 16
_SALT_BYTES = 32


def new_salt():
    """Return a fresh random salt; make one per run and never put it in a result."""
    return os.urandom(_SALT_BYTES)


def fingerprint(value, salt):
    """Return "sha256:" + 16 hex characters identifying value (any JSON value) under salt."""
    if isinstance(salt, str):
        salt = salt.encode("utf-8")
    if not salt:
        # An empty key would make the fingerprint a plain, brute-forceable hash.
        raise ValueError("fingerprint salt is empty; pass the run's salt from new_salt()")
    digest = hmac.new(salt, canonical_json(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return FINGERPRINT_PREFIX + digest[:_HEX_CHARS]


def data_fingerprints(data, salt):
    """Return {key: fingerprint of data[key]}, sorted by key, for secret data (a dict); keys are not secret."""
    check_secret_data(data)
    return dict((key, fingerprint(data[key], salt)) for key in sorted(data))
