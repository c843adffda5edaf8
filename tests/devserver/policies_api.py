# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Access policies, their bindings, the dry-run test endpoint, and enforcement on secret routes.

Docs: https://www.scailabs.ai/en/docs/scaivault/reference/policies,
https://www.scailabs.ai/en/docs/scaivault/api-guides/policies,
https://www.scailabs.ai/en/docs/scaivault/core-concepts/policies-and-permissions

[doc] A policy is ``{id: pol_..., name, description, rules: [{path_pattern, permissions[], conditions?}],
bindings: [{identity_type, identity_id}], is_active}``; any matching rule of any policy bound to the caller
allows; ``admin`` grants every permission; globs: ``*`` one segment, ``**`` zero or more, ``?`` one character,
anchored, no leading ``/``. Token scopes AND policy grants must both allow. ``DELETE`` with bindings is
``409 policy_in_use`` unless ``?force=true``. ``POST /v1/policies/test`` is a dry run and writes no audit.

Decided here ([assumed], docs/scaivault-contract.md):
- the test answer: ``{allowed, identity_id, path, permission, matched_policy: {id, name} | null,
  matched_rule: int | null, reason}``;
- a binding: ``{id: bnd_..., policy_id, identity_type, identity_id, expires_at, created_at}``;
  the same identity bound twice to one policy is ``409 binding_exists``;
- a second policy of the same name is ``409 policy_exists``;
- a denied secret request is ``403 access_denied`` with ``details {path, permission, identity_id}``.

Dev-server simplifications (not API shapes): tokens with the ``admin`` scope are not policy-checked,
and a tenant without any access policy is not policy-checked either, so tests and the demo work
before anyone writes a policy. Group bindings match nobody (there is no identity cache here).
Conditions: ``ip_ranges`` and ``require_mfa`` are evaluated (requests here are never MFA-verified);
a rule with any other condition never applies (fails closed).
"""

import ipaddress
import json
import re
import secrets

from .errors import ApiError, validation_error
from .http_types import Response
from .pagination import tenant_rows_by_id
from .rows import row_by_id
from .timeutil import iso, parse_iso, utcnow
from .webhooks_api import wrap_route

PERMISSIONS = ("read", "write", "delete", "list", "rotate", "admin")
IDENTITY_TYPES = ("user", "service_account", "group")
KNOWN_CONDITIONS = ("ip_ranges", "require_mfa")
_PATTERN_CHARS = re.compile(r"^[a-z0-9_./*?-]+$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS access_policies (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    rules TEXT NOT NULL,
    scope TEXT NOT NULL,
    is_active INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE IF NOT EXISTS access_policy_bindings (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    policy_id TEXT NOT NULL,
    identity_type TEXT NOT NULL,
    identity_id TEXT NOT NULL,
    expires_at TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
"""


def pattern_regex(pattern):
    """The documented glob: ``*`` one segment, ``**`` any number (also zero), ``?`` one character, anchored.

    As the docs' table says, a leading ``**/`` needs at least one parent (``**/ssl/*`` does not match ``ssl/cert``).
    """
    segments = pattern.split("/")
    regex = []
    for index, segment in enumerate(segments):
        if segment == "**":
            if index == 0:
                regex.append("(?:[^/]+/)+" if len(segments) > 1 else ".*")
            else:
                regex.append("(?:/[^/]+)*")
            continue
        # A leading "**/" already ends with its '/'.
        separator = "" if index == 0 or (index == 1 and segments[0] == "**") else "/"
        body = "".join("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char) for char in segment)
        regex.append(separator + body)
    return re.compile("^%s$" % "".join(regex))


def _check_pattern(pattern, field):
    if not isinstance(pattern, str) or not pattern or pattern.startswith("/") or not _PATTERN_CHARS.match(pattern) \
            or "//" in pattern or pattern.endswith("/"):
        raise ApiError(400, "invalid_glob", "%s must be a glob such as 'environments/production/**' (a-z 0-9 - _ . / * ?,"
                       " no leading '/'); got %r" % (field, pattern), {"fields": [field], "pattern": pattern})
    return pattern


def _check_rules(rules):
    if not isinstance(rules, list) or not rules:
        raise validation_error("rules must be a non-empty list of rules, each with path_pattern, permissions and optional conditions", "rules")
    checked = []
    for index, rule in enumerate(rules):
        where = "rules[%d]" % index
        if not isinstance(rule, dict):
            raise validation_error("%s must be an object" % where, where)
        permissions = rule.get("permissions")
        if not isinstance(permissions, list) or not permissions or any(item not in PERMISSIONS for item in permissions):
            raise validation_error("%s.permissions must be a non-empty list of %s" % (where, ", ".join(PERMISSIONS)),
                                   where + ".permissions")
        conditions = rule.get("conditions") or {}
        if not isinstance(conditions, dict):
            raise validation_error("%s.conditions must be an object" % where, where + ".conditions")
        for cidr in conditions.get("ip_ranges") or []:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except (TypeError, ValueError):
                raise validation_error("%s.conditions.ip_ranges: %r is not a CIDR range" % (where, cidr),
                                       where + ".conditions.ip_ranges") from None
        item = {"path_pattern": _check_pattern(rule.get("path_pattern"), where + ".path_pattern"),
                "permissions": list(dict.fromkeys(permissions))}
        if conditions:
            item["conditions"] = conditions
        checked.append(item)
    return checked


def _conditions_hold(conditions, source_ip, mfa_verified):
    for key, value in (conditions or {}).items():
        if key not in KNOWN_CONDITIONS:
            return False
        if key == "require_mfa" and value and not mfa_verified:
            return False
        if key == "ip_ranges" and value:
            try:
                address = ipaddress.ip_address(source_ip or "")
            except ValueError:
                return False
            if not any(address in ipaddress.ip_network(cidr, strict=False) for cidr in value):
                return False
    return True


def _not_found(policy_id):
    return ApiError(404, "policy_not_found", "access policy %s not found" % policy_id, {"id": policy_id})


class PoliciesApi:
    def __init__(self, app):
        self.app = app
        self.db = app.db
        app.db.register_schema(_SCHEMA, wiped_tables=("access_policy_bindings", "access_policies"))

    # -- storage -------------------------------------------------------------------------------

    @staticmethod
    def _row(conn, tenant_id, policy_id):
        return row_by_id(conn, "access_policies", tenant_id, policy_id, _not_found)

    def _load(self, conn, request):
        return self._row(conn, request.tenant_id, request.params["id"])

    @staticmethod
    def _bindings(conn, tenant_id, policy_id):
        rows = conn.execute("SELECT * FROM access_policy_bindings WHERE tenant_id = ? AND policy_id = ? ORDER BY created_at, id",
                            (tenant_id, policy_id)).fetchall()
        return [{"id": row["id"], "policy_id": row["policy_id"], "identity_type": row["identity_type"],
                 "identity_id": row["identity_id"], "expires_at": row["expires_at"], "created_at": row["created_at"]}
                for row in rows]

    def _object(self, conn, row):
        return {"id": row["id"], "name": row["name"], "description": row["description"], "rules": json.loads(row["rules"]),
                "bindings": self._bindings(conn, row["tenant_id"], row["id"]), "scope": row["scope"],
                "is_active": bool(row["is_active"]), "created_at": row["created_at"], "updated_at": row["updated_at"]}

    @staticmethod
    def _save(conn, tenant_id, fields):
        conn.execute("INSERT OR REPLACE INTO access_policies VALUES (?,?,?,?,?,?,?,?,?)", (
            tenant_id, fields["id"], fields["name"], fields["description"], json.dumps(fields["rules"]), fields["scope"],
            int(fields["is_active"]), fields["created_at"], fields["updated_at"]))

    def _audit(self, conn, request, action, extra):
        self.app.audit.record(conn, request, action, None, True, extra)

    @staticmethod
    def _apply(fields, body, replace):
        if replace or "rules" in body:
            fields["rules"] = _check_rules(body.get("rules"))
        if "description" in body or replace:
            description = body.get("description")
            if description is not None and not isinstance(description, str):
                raise validation_error("description must be a string", "description")
            fields["description"] = description
        if "is_active" in body:
            if not isinstance(body["is_active"], bool):
                raise validation_error("is_active must be a boolean", "is_active")
            fields["is_active"] = body["is_active"]
        if "scope" in body:
            if body["scope"] not in ("tenant", "partner"):
                raise validation_error("scope must be tenant or partner", "scope")
            fields["scope"] = body["scope"]
        return fields

    @staticmethod
    def _check_name(conn, tenant_id, name, own_id=None):
        if not isinstance(name, str) or not name.strip():
            raise validation_error("name must be a non-empty string", "name")
        taken = conn.execute("SELECT id FROM access_policies WHERE tenant_id = ? AND name = ?", (tenant_id, name)).fetchone()
        if taken and taken[0] != own_id:
            raise ApiError(409, "policy_exists", "an access policy named %r already exists (%s)" % (name, taken[0]),
                           {"name": name, "id": taken[0]})
        return name

    # -- endpoints -----------------------------------------------------------------------------

    def list_policies(self, request):
        inactive = (request.arg("include_inactive") or "").lower() in ("true", "1", "yes")
        with self.db.reading() as conn:
            rows, cursor, has_more = tenant_rows_by_id(conn, request, "access_policies", active_only=not inactive)
            items = [{"id": row["id"], "name": row["name"], "description": row["description"],
                      "rule_count": len(json.loads(row["rules"])),
                      "binding_count": len(self._bindings(conn, request.tenant_id, row["id"])),
                      "is_active": bool(row["is_active"]), "created_at": row["created_at"], "updated_at": row["updated_at"]}
                     for row in rows]
        return Response(200, {"policies": items, "cursor": cursor, "has_more": has_more})

    def create(self, request):
        body = request.json_object()
        now = iso(utcnow())
        fields = {"id": "pol_" + secrets.token_hex(8), "name": body.get("name"), "description": None, "rules": [],
                  "scope": "tenant", "is_active": True, "created_at": now, "updated_at": now}
        self._apply(fields, body, replace=True)
        with self.db.transaction() as conn:
            self._check_name(conn, request.tenant_id, fields["name"])
            self._save(conn, request.tenant_id, fields)
            self._audit(conn, request, "policy_create", {"policy_id": fields["id"], "name": fields["name"]})
            obj = self._object(conn, self._row(conn, request.tenant_id, fields["id"]))
        return Response(201, obj)

    def get(self, request):
        with self.db.reading() as conn:
            return Response(200, self._object(conn, self._load(conn, request)))

    def _update(self, request, replace):
        body = request.json_object()
        with self.db.transaction() as conn:
            row = self._load(conn, request)
            fields = {key: row[key] for key in row.keys() if key != "tenant_id"}
            fields["rules"] = json.loads(fields["rules"])
            if "name" in body or replace:
                fields["name"] = self._check_name(conn, request.tenant_id, body.get("name"), row["id"])
            self._apply(fields, body, replace)
            fields["updated_at"] = iso(utcnow())
            self._save(conn, request.tenant_id, fields)
            self._audit(conn, request, "policy_update", {"policy_id": row["id"]})
            obj = self._object(conn, self._row(conn, request.tenant_id, row["id"]))
        return Response(200, obj)

    def replace(self, request):
        return self._update(request, replace=True)

    def patch(self, request):
        return self._update(request, replace=False)

    def delete(self, request):
        force = (request.arg("force") or "").lower() in ("true", "1", "yes")
        with self.db.transaction() as conn:
            row = self._load(conn, request)
            bindings = self._bindings(conn, request.tenant_id, row["id"])
            if bindings and not force:
                raise ApiError(409, "policy_in_use", "access policy %s has %d binding(s); remove them or delete with "
                               "force=true" % (row["id"], len(bindings)), {"id": row["id"], "binding_count": len(bindings)})
            conn.execute("DELETE FROM access_policy_bindings WHERE tenant_id = ? AND policy_id = ?", (request.tenant_id, row["id"]))
            conn.execute("DELETE FROM access_policies WHERE tenant_id = ? AND id = ?", (request.tenant_id, row["id"]))
            self._audit(conn, request, "policy_delete", {"policy_id": row["id"], "forced": bool(bindings)})
        return Response(204)

    def list_bindings(self, request):
        with self.db.reading() as conn:
            row = self._load(conn, request)
            return Response(200, {"bindings": self._bindings(conn, request.tenant_id, row["id"]), "cursor": None,
                                  "has_more": False})

    def bind(self, request):
        body = request.json_object()
        identity_type, identity_id = body.get("identity_type"), body.get("identity_id")
        if identity_type not in IDENTITY_TYPES:
            raise validation_error("identity_type must be one of %s" % ", ".join(IDENTITY_TYPES), "identity_type")
        if not isinstance(identity_id, str) or not identity_id:
            raise validation_error("identity_id must be a non-empty string", "identity_id")
        expires_at = body.get("expires_at")
        if expires_at is not None:
            try:
                expires_at = iso(parse_iso(expires_at))
            except (ValueError, AttributeError):
                raise validation_error("expires_at must be an ISO-8601 timestamp", "expires_at") from None
        binding = {"id": "bnd_" + secrets.token_hex(8), "identity_type": identity_type, "identity_id": identity_id,
                   "expires_at": expires_at, "created_at": iso(utcnow())}
        with self.db.transaction() as conn:
            row = self._load(conn, request)
            taken = conn.execute("SELECT id FROM access_policy_bindings WHERE tenant_id = ? AND policy_id = ? AND identity_type = ?"
                                 " AND identity_id = ?", (request.tenant_id, row["id"], identity_type, identity_id)).fetchone()
            if taken:
                raise ApiError(409, "binding_exists", "%s %s is already bound to access policy %s (%s)" % (
                    identity_type, identity_id, row["id"], taken[0]), {"id": taken[0], "policy_id": row["id"]})
            conn.execute("INSERT INTO access_policy_bindings VALUES (?,?,?,?,?,?,?)", (
                request.tenant_id, binding["id"], row["id"], identity_type, identity_id, expires_at, binding["created_at"]))
            self._audit(conn, request, "policy_bind", {"policy_id": row["id"], "binding_id": binding["id"],
                                                       "identity_id": identity_id})
        return Response(201, dict(binding, policy_id=row["id"]))

    def unbind(self, request):
        with self.db.transaction() as conn:
            row = self._load(conn, request)
            found = conn.execute("DELETE FROM access_policy_bindings WHERE tenant_id = ? AND policy_id = ? AND id = ?",
                                 (request.tenant_id, row["id"], request.params["binding_id"])).rowcount
            if not found:
                raise ApiError(404, "binding_not_found", "binding %s of access policy %s not found" % (
                    request.params["binding_id"], row["id"]), {"id": request.params["binding_id"], "policy_id": row["id"]})
            self._audit(conn, request, "policy_unbind", {"policy_id": row["id"], "binding_id": request.params["binding_id"]})
        return Response(204)

    def test(self, request):
        body = request.json_object()
        identity_id, path, permission = body.get("identity_id"), body.get("path"), body.get("permission")
        if not isinstance(identity_id, str) or not identity_id:
            raise validation_error("identity_id must be a non-empty string", "identity_id")
        if not isinstance(path, str) or not path or path.startswith("/"):
            raise validation_error("path must be a secret path without a leading '/'", "path")
        if permission not in PERMISSIONS:
            raise validation_error("permission must be one of %s" % ", ".join(PERMISSIONS), "permission")
        context = body.get("context") or {}
        if not isinstance(context, dict):
            raise validation_error("context must be an object", "context")
        with self.db.reading() as conn:
            match = self.evaluate(conn, request.tenant_id, identity_id, path, permission,
                                  context.get("source_ip"), bool(context.get("mfa_verified")))
        answer = {"allowed": match is not None, "identity_id": identity_id, "path": path, "permission": permission,
                  "matched_policy": None, "matched_rule": None}
        if match:
            answer.update(matched_policy={"id": match[0]["id"], "name": match[0]["name"]}, matched_rule=match[1],
                          reason="allowed by rule %d of policy %s" % (match[1], match[0]["name"]))
        else:
            answer["reason"] = "no rule of a policy bound to %s grants %s on %s" % (identity_id, permission, path)
        return Response(200, answer)

    # -- evaluation ----------------------------------------------------------------------------

    @staticmethod
    def evaluate(conn, tenant_id, identity_id, path, permission, source_ip=None, mfa_verified=False):
        """(policy row, rule index) of the first rule that allows, or None."""
        now = iso(utcnow())
        rows = conn.execute(
            "SELECT p.* FROM access_policies p JOIN access_policy_bindings b ON b.tenant_id = p.tenant_id AND b.policy_id = p.id"
            " WHERE p.tenant_id = ? AND p.is_active = 1 AND b.identity_type != 'group' AND b.identity_id = ?"
            " AND (b.expires_at IS NULL OR b.expires_at > ?) ORDER BY p.id", (tenant_id, identity_id, now)).fetchall()
        for row in rows:
            for index, rule in enumerate(json.loads(row["rules"])):
                if permission not in rule["permissions"] and "admin" not in rule["permissions"]:
                    continue
                if pattern_regex(rule["path_pattern"]).match(path) and _conditions_hold(rule.get("conditions"), source_ip, mfa_verified):
                    return row, index
        return None

    def enforced(self, conn, request):
        """Whether this request's caller is policy-checked (see the module docstring)."""
        identity = request.identity
        if identity is None or "admin" in identity.scopes:
            return False
        return conn.execute("SELECT 1 FROM access_policies WHERE tenant_id = ? LIMIT 1", (request.tenant_id,)).fetchone() is not None

    def check(self, request, path, permission):
        """Raise 403 access_denied unless a bound policy grants ``permission`` on ``path``."""
        with self.db.reading() as conn:
            if not self.enforced(conn, request):
                return
            if self.evaluate(conn, request.tenant_id, request.identity.identity_id, path, permission, request.client_ip):
                return
        raise ApiError(403, "access_denied", "no access policy bound to %s grants %s on %s" % (
            request.identity.identity_id, permission, path),
            {"path": path, "permission": permission, "identity_id": request.identity.identity_id})

    def guard(self, permission):
        def make(original):
            def handler(request):
                self.check(request, request.params.get("path") or "", permission)
                return original(request)
            return handler
        return make

    def guard_batch(self, original):
        """Batch reads: denied paths become per-path access_denied errors, the rest is read as usual."""
        def handler(request):
            body = request.json_object()
            paths = body.get("paths")
            if not isinstance(paths, list) or not all(isinstance(item, str) for item in paths):
                return original(request)
            denied = {}
            for path in paths:
                try:
                    self.check(request, path, "read")
                except ApiError as err:
                    denied[path] = {"code": err.code, "message": err.message}
            if not denied:
                return original(request)
            allowed = [path for path in paths if path not in denied]
            if allowed:
                request.body = json.dumps(dict(body, paths=allowed)).encode("utf-8")
                response = original(request)
            else:
                response = Response(200, {"secrets": {}, "errors": {}})
            if response.status == 200 and isinstance(response.body, dict):
                with self.db.transaction() as conn:
                    for path, error in denied.items():
                        self.app.audit.record(conn, request, "read", path, False, {"batch": True, "error_code": error["code"]})
                response.body.setdefault("errors", {}).update(denied)
            return response
        return handler

    def register(self, router):
        # Documented categories (advanced/rate-limiting): policy operations 50/min, policy tests 200/min.
        read = dict(scope="policies:read", category="policy")
        write = dict(scope="policies:write", category="policy")
        router.add("GET", "/v1/policies", self.list_policies, **read)
        router.add("POST", "/v1/policies", self.create, **write)
        router.add("POST", "/v1/policies/test", self.test, scope="policies:read", category="policy_test")
        router.add("GET", "/v1/policies/{id}", self.get, **read)
        router.add("PUT", "/v1/policies/{id}", self.replace, **write)
        router.add("PATCH", "/v1/policies/{id}", self.patch, **write)
        router.add("DELETE", "/v1/policies/{id}", self.delete, **write)
        router.add("GET", "/v1/policies/{id}/bindings", self.list_bindings, **read)
        router.add("POST", "/v1/policies/{id}/bindings", self.bind, **write)
        router.add("DELETE", "/v1/policies/{id}/bindings/{binding_id}", self.unbind, **write)
        wrap_route(router, "GET", "/v1/secrets/{path}", self.guard("read"))
        wrap_route(router, "PUT", "/v1/secrets/{path}", self.guard("write"))
        wrap_route(router, "DELETE", "/v1/secrets/{path}", self.guard("delete"))
        wrap_route(router, "POST", "/v1/secrets/batch", self.guard_batch)


def register(app):
    """Add the policy routes and wrap the secret routes with the policy check; returns the PoliciesApi."""
    api = PoliciesApi(app)
    api.register(app.router)
    app.access_policies = api
    return api
