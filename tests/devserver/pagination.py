# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Opaque cursors (base64 of a small JSON object) and the ``limit`` parameter."""

import base64
import binascii
import json

from .errors import ApiError, bad_request


def encode_cursor(position):
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor, key, kind):
    """The value stored under ``key``; a cursor that is not ours is 400 invalid_cursor."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
        value = position[key]
    except (binascii.Error, ValueError, TypeError, KeyError):
        value = None
    if not isinstance(value, kind):
        raise ApiError(400, "invalid_cursor", "cursor %r is not a valid cursor for this listing" % cursor, {"cursor": cursor})
    return value


def parse_limit(request, default, maximum):
    """``limit`` query parameter; values above the maximum are clamped, not rejected."""
    text = request.arg("limit")
    if text is None:
        return default
    try:
        limit = int(text)
    except ValueError:
        limit = 0
    if limit < 1:
        raise bad_request("limit must be a positive integer (got %r)" % text, {"fields": ["limit"]})
    return min(limit, maximum)


def page(rows, limit, position_of):
    """Split ``limit + 1`` fetched rows into (rows, next cursor or None, has_more)."""
    has_more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(position_of(rows[-1])) if has_more else None
    return rows, cursor, has_more


def tenant_rows_by_id(conn, request, table, active_only=False, default=100, maximum=1000):
    """One page of a tenant's rows of ``table`` in id order (keyset on id): (rows, next cursor or None, has_more)."""
    limit = parse_limit(request, default=default, maximum=maximum)
    after = decode_cursor(request.arg("cursor"), "after", str)
    sql = "SELECT * FROM %s WHERE tenant_id = ? AND id > ?%s ORDER BY id LIMIT ?" % (
        table, " AND is_active = 1" if active_only else "")
    rows = conn.execute(sql, (request.tenant_id, after or "", limit + 1)).fetchall()
    return page(rows, limit, lambda row: {"after": row["id"]})
