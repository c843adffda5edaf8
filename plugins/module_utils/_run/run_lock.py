# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The runbook's run lock of one ASM region as ASM holds it (asm_run_lock takes and releases it).

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import AsmError
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.tags import asm_tags_to_dict

LOCK_TAGS = {"holder": "scaivault:lock:holder", "label": "scaivault:lock:label", "since": "scaivault:lock:since"}


def read_lock(asm, name):
    """{holder, label, since, pending_deletion} of the lock, or {} when there is none."""
    try:
        described = asm.describe(name)
    except AsmError as exc:
        if exc.not_found:
            return {}
        raise
    tags = asm_tags_to_dict(described.get("Tags"))
    lock = dict((field, tags.get(key, "")) for field, key in LOCK_TAGS.items())
    lock["pending_deletion"] = described.get("DeletedDate") is not None
    return lock
