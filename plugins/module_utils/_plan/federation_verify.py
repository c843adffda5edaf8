# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Prove that a federated ScaiVault path returns what ASM holds, without showing either value.

Pure functions (no I/O) used by the scaivault_federation_verify module:

  asm_name_for_path()  the ASM name a backend's path_mapping serves at a ScaiVault path
  verify_pair()        one report row: status, salted fingerprints of both sides, VersionIds,
                       and the names (never the values) of the data keys that differ

ASM's value is encoded with the collection's encoding rule (_encoding.encode_asm_value) and
compared structurally with the ScaiVault data (dicts, not strings: key order does not count).

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.encoding import (
    EncodingError, encode_asm_value, values_equal)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.counting import count_by
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.fingerprint import fingerprint
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.mapping import compile_rules, map_name
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.provenance import recorded_source

MATCH = "match"
MISMATCH = "mismatch"
MISSING_IN_SCAIVAULT = "missing_in_scaivault"
MISSING_IN_ASM = "missing_in_asm"
ERROR = "error"
STATUSES = (MATCH, MISMATCH, MISSING_IN_SCAIVAULT, MISSING_IN_ASM, ERROR)


def asm_name_for_path(path_mapping, path):
    """The backend name path_mapping ({ScaiVault glob: backend template}) serves at path, or None."""
    return map_name(compile_rules(path_mapping), path)[0]


def differing_keys(asm_data, scaivault_data):
    """Sorted names of the top-level keys whose values differ or exist on one side only."""
    keys = set(asm_data) | set(scaivault_data)
    return sorted(key for key in keys if key not in asm_data or key not in scaivault_data
                  or not values_equal(asm_data[key], scaivault_data[key]))


def _row(path, name, region):
    return {"path": path, "name": name, "region": region, "status": ERROR, "match": False,
            "asm_fingerprint": None, "scaivault_fingerprint": None, "asm_version_id": None,
            "recorded_version_id": None, "version_match": None, "format": None, "recorded_format": None,
            "differing_keys": [], "message": ""}


def unmapped_row(path, region, backend_name):
    """The row of a path that the backend's path_mapping does not serve."""
    row = _row(path, None, region)
    row["message"] = ("federation backend %s serves nothing at %s: no glob of its path_mapping matches it"
                      % (backend_name, path))
    return row


def verify_pair(path, name, region, asm_value, scaivault_secret, salt, asm_error=None, scaivault_error=None):
    """Compare one ASM value (GetSecretValue answer) with one ScaiVault secret object.

    asm_value None with asm_error None means the ASM secret does not exist; the same for
    scaivault_secret. Errors are texts without values. The row never holds a value.
    """
    row = _row(path, name, region)
    if asm_error:
        row["message"] = "ASM: %s" % asm_error
        return row
    if scaivault_error:
        row["message"] = "ScaiVault: %s" % scaivault_error
        return row
    if asm_value is not None:
        row["asm_version_id"] = asm_value.get("VersionId")
        try:
            encoded = encode_asm_value(asm_value.get("SecretString"), asm_value.get("SecretBinary"))
        except EncodingError as exc:
            row["message"] = "ASM value of %s cannot be encoded: %s" % (name, exc)
            return row
        row["format"] = encoded.format
        row["asm_fingerprint"] = fingerprint(encoded.data, salt)
    if scaivault_secret is not None:
        data = scaivault_secret.get("data")
        if not isinstance(data, dict):
            row["message"] = "ScaiVault answered %s without an object in data" % path
            return row
        row["scaivault_fingerprint"] = fingerprint(data, salt)
        source = recorded_source(scaivault_secret.get("metadata"))
        if source:
            row["recorded_version_id"] = source.get("version_id")
            row["recorded_format"] = source.get("format")
    if asm_value is None and scaivault_secret is None:
        row["status"] = MISSING_IN_ASM
        row["message"] = "%s exists neither in ASM nor at %s" % (name, path)
        return row
    if asm_value is None:
        row["status"] = MISSING_IN_ASM
        row["message"] = "%s does not exist in ASM (or is pending deletion), but %s still answers" % (name, path)
        return row
    if scaivault_secret is None:
        row["status"] = MISSING_IN_SCAIVAULT
        row["message"] = "%s is not readable in ScaiVault (not mapped, not synced yet, or removed)" % path
        return row
    if row["recorded_version_id"]:
        row["version_match"] = row["recorded_version_id"] == row["asm_version_id"]
    problems = []
    if not values_equal(encoded.data, data):
        problems.append("values differ")
        row["differing_keys"] = differing_keys(encoded.data, data)
    if row["recorded_format"] and row["recorded_format"] != encoded.format:
        problems.append("recorded format %s, ASM value is %s" % (row["recorded_format"], encoded.format))
    if problems:
        row["status"] = MISMATCH
        row["message"] = "; ".join(problems)
        return row
    row["status"] = MATCH
    row["match"] = True
    if row["version_match"] is False:
        row["message"] = ("same value, but %s records ASM version %s while AWSCURRENT is %s (the next sync will "
                          "catch up)" % (path, row["recorded_version_id"], row["asm_version_id"]))
    return row


def summarize(rows):
    """Counts per status (every status present, 0 when unused)."""
    return count_by(rows, lambda row: row["status"], start=STATUSES)
