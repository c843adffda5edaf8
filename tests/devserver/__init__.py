# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ScaiVault-compatible development server (standard library only, SQLite storage).

Never shipped with the collection: it exists so that tests and the demo have a server
that follows ``scaivault-api.md``. Start it with ``python tests/devserver/server.py``.

Map: server.py/main.py (CLI, wiring, signals) -> http_handler.py (sockets, keep-alive,
drops) -> app.py (pipeline: tenancy, faults, auth, scopes, rate limits, errors, counters)
-> routing.py (route table with per-route scope, rate-limit category, audit action) ->
feature modules: system_api, auth_api, secrets_api (+ secret_store), audit_api (+ audit),
dev_api. Shared pieces: store (SQLite), auth (tokens), ratelimit, faults, counters,
validation, pagination, timeutil, errors, http_types.

A new feature (federation, rotation, webhooks) is a module with a ``register(app)`` that
adds routes to ``app.router`` (declaring scope/category/audit_action), its tables with
``app.db.register_schema(ddl, wiped_tables)``, an optional ``app.reset_hooks`` entry, and,
for federation, a ``federation_hook.PathInterceptor`` on ``app.secrets``; main.build_app
calls it.
"""
