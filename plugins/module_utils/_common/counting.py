# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Counting items by a key, for the summaries of module results.

FOR INTERNAL COLLECTION USE ONLY: no API promise, may change in any release.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def count_by(items, key=None, start=()):
    """{key: number of items}: the keys of ``start`` first (0 when unused), then others as first seen.

    ``key(item)`` gives an item's key (the item itself when None); an item whose key is None is not counted.
    """
    counts = dict((name, 0) for name in start)
    for item in items:
        name = item if key is None else key(item)
        if name is not None:
            counts[name] = counts.get(name, 0) + 1
    return counts
