# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ASM key/value tags as ScaiVault bare-string tags.

Styles (the same words as a federation backend's transform.tags):
  key=value  each tag becomes 'key=value' (an empty value gives 'key=')
  key        each tag becomes 'key' (values are dropped)
  drop       no tags are carried over
Output is sorted by key, so the same ASM tags always give the same list.

Private to this collection: no API promise.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

TAG_STYLES = ("key=value", "key", "drop")
DEFAULT_TAG_STYLE = "key=value"


def asm_tags_to_dict(tags):
    """Turn ASM's [{"Key": k, "Value": v}] list (or None, or an already flat dict) into {k: v}."""
    if not tags:
        return {}
    if isinstance(tags, dict):
        return dict(tags)
    result = {}
    for tag in tags:
        if not isinstance(tag, dict) or "Key" not in tag:
            raise ValueError("ASM tag %r has no 'Key'; expected a list like [{'Key': 'env', 'Value': 'prod'}]" % (tag,))
        # ASM allows an empty value; some SDK paths omit it entirely.
        result[tag["Key"]] = tag.get("Value") or ""
    return result


def flatten_asm_tags(tags, style=DEFAULT_TAG_STYLE):
    """Return ASM tags as bare strings in the given style (see the module docstring), sorted by key."""
    if style not in TAG_STYLES:
        raise ValueError("unknown tag style %r (choose one of: %s)" % (style, ", ".join(TAG_STYLES)))
    if style == "drop":
        return []
    pairs = sorted(asm_tags_to_dict(tags).items())
    if style == "key":
        return [key for key, _value in pairs]
    return ["%s=%s" % pair for pair in pairs]
