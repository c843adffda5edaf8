# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where a migrated secret came from, recorded in its custom metadata under 'source'.

  metadata.source = {system: aws-secrets-manager, region, arn, name, version_id, format}

No timestamps: the record must be identical on every run that copies the same ASM version,
so that a re-run changes nothing. 'format' (see _encoding.py) tells a reader how to rebuild
the original SecretString or SecretBinary. 'version_id' lets a re-run skip a secret without
reading its value from ASM.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.encoding import check_value_format

PROVENANCE_KEY = "source"
SOURCE_SYSTEM = "aws-secrets-manager"
SOURCE_FIELDS = ("system", "region", "arn", "name", "version_id", "format")


def source_metadata(region, arn, name, version_id, value_format, extra=None):
    """Return the metadata.source dict for one ASM secret version; extra adds keys, never replaces one."""
    source = {"system": SOURCE_SYSTEM, "region": region, "arn": arn, "name": name, "version_id": version_id,
              "format": value_format}
    missing = [field for field in SOURCE_FIELDS if not source[field]]
    if missing:
        raise ValueError("provenance needs region, arn, name, version_id and format; missing: %s" % ", ".join(missing))
    check_value_format(value_format)
    clashing = sorted(set(extra or {}) & set(SOURCE_FIELDS))
    if clashing:
        raise ValueError(
            "extra provenance keys %s would replace recorded fields; pass them as arguments instead"
            % ", ".join(clashing))
    source.update(extra or {})
    return source


def recorded_source(metadata):
    """Return the recorded ASM source (every SOURCE_FIELDS key present, None when unknown) or None.

    Tolerant: missing or malformed metadata, or a 'source' written by another system, gives None.
    """
    if not isinstance(metadata, dict):
        return None
    source = metadata.get(PROVENANCE_KEY)
    if not isinstance(source, dict) or source.get("system") != SOURCE_SYSTEM:
        return None
    result = dict(source)
    for field in SOURCE_FIELDS:
        result.setdefault(field, None)
    return result
