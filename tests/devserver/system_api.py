# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Health and version endpoints (contract section 7): no token needed."""

import sqlite3

from .http_types import Response
from .timeutil import iso, utcnow

VERSION = "0.1.0-dev"


def register(app):
    def health(_request):
        return Response(200, {"status": "healthy", "timestamp": iso(utcnow())})

    def ready(_request):
        """[doc] reference/system: {status: ready, checks: {database, redis, encryption}} or 503 not_ready. The dev
        server has no Redis (rate-limit buckets live in memory) and no key service: those checks pass when its
        limiter and its store answer."""
        checks, errors = {"database": "ok", "redis": "ok", "encryption": "ok"}, {}
        try:
            app.db.ping()
        except sqlite3.Error as exc:
            checks["database"] = checks["encryption"] = "error"
            errors["database"] = str(exc)
        if errors:
            return Response(503, {"status": "not_ready", "checks": checks, "errors": errors})
        return Response(200, {"status": "ready", "checks": checks})

    def version(_request):
        return Response(200, {"version": VERSION, "api_version": "v1", "server": "scaivault-devserver"})

    app.router.add("GET", "/v1/health", health, public=True)
    app.router.add("GET", "/v1/health/ready", ready, public=True)
    app.router.add("GET", "/v1/version", version, public=True)
