# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``GET /v1/audit/logs`` (contract section 6): newest first, cursor paging, filters."""

from .audit import row_to_log
from .errors import bad_request
from .http_types import Response
from .pagination import decode_cursor, page, parse_limit
from .timeutil import iso, parse_iso

_EXACT = ("identity_id", "identity_type", "source_ip", "request_id")


def _timestamp_arg(request, name):
    """``from`` / ``to`` in the stored fixed-width form, so they compare as text."""
    text = request.arg(name)
    if not text:
        return None
    try:
        return iso(parse_iso(text))
    except ValueError:
        raise bad_request("%s must be an ISO-8601 timestamp (got %r)" % (name, text), {"fields": [name]}) from None


def _success_arg(request):
    text = request.arg("success")
    if text is None or text == "":
        return None
    if text.lower() not in ("true", "false"):
        raise bad_request("success must be true or false (got %r)" % text, {"fields": ["success"]})
    return text.lower() == "true"


def _filters(request):
    filters = {key: request.arg(key) for key in _EXACT}
    filters.update({
        "actions": [action.strip() for action in (request.arg("action") or "").split(",") if action.strip()],
        "path_prefix": request.arg("path_prefix"),
        "from": _timestamp_arg(request, "from"),
        "to": _timestamp_arg(request, "to"),
        "success": _success_arg(request),
    })
    return filters


def register(app):
    def logs(request):
        filters = _filters(request)
        limit = parse_limit(request, default=100, maximum=1000)
        before = decode_cursor(request.arg("cursor"), "before", int)
        with app.db.reading() as conn:
            rows = app.audit.query(conn, request.tenant_id, filters, before, limit + 1)
        rows, cursor, has_more = page(rows, limit, lambda row: {"before": row["seq"]})
        return Response(200, {"logs": [row_to_log(row) for row in rows], "cursor": cursor, "has_more": has_more})

    app.router.add("GET", "/v1/audit/logs", logs, scope="audit:read", category="audit")
