# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets endpoints (contract section 2): read, write, delete, list, batch reads.

Every request that touches a secret leaves an audit row in the same transaction as the
change it describes; failures before or inside a handler are audited by the app.
"""

import dataclasses
import datetime
import json

from .errors import ApiError, bad_request, validation_error
from .http_types import Response
from .pagination import decode_cursor, page, parse_limit
from .secret_store import SecretRecord, SecretStore
from .timeutil import after_seconds, iso, parse_iso, utcnow
from .validation import DEFAULT_SECRET_TYPE, check_path, check_secret_type, glob_regex, is_glob, is_valid_path, parse_duration, positive_int

DEFAULT_MAX_SECRET_BYTES = 64 * 1024
MAX_BATCH_PATHS = 100
RECOVERY_WINDOW = datetime.timedelta(days=30)
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no", "")


def _not_found(path):
    return ApiError(404, "secret_not_found", "secret %s not found" % path, {"path": path})


def _conflict(path, started_at, now):
    """[doc] core-concepts/errors: concurrent writes may yield 409 version_conflict (fetch current state, retry)."""
    return ApiError(409, "version_conflict", "secret %s changed while this write was in progress (version %d when it "
                    "started, %d now); fetch the current state and retry" % (path, started_at, now),
                    {"path": path, "current_version": now})


def _recoverable_until(record):
    return parse_iso(record.deleted_at) + RECOVERY_WINDOW


def _exists_error(record):
    until = iso(_recoverable_until(record))
    return ApiError(
        409, "secret_exists",
        "secret %s was deleted at %s and stays recoverable until %s (30-day recovery window); "
        "delete it with permanent=true before writing it again" % (record.path, record.deleted_at, until),
        {"path": record.path, "deleted_at": record.deleted_at, "recoverable_until": until})


def _query_flag(request, name):
    text = (request.arg(name) or "").lower()
    if text not in _TRUE + _FALSE:
        raise bad_request("%s must be true or false (got %r)" % (name, request.arg(name)), {"fields": [name]})
    return text in _TRUE


def _option_flag(options, name):
    value = options.get(name, False)
    if not isinstance(value, bool):
        raise validation_error("options.%s must be a boolean" % name, "options." + name)
    return value


def check_metadata(metadata):
    if not isinstance(metadata, dict):
        raise validation_error("metadata must be a JSON object", "metadata")
    for key in ("description", "owner"):
        if metadata.get(key) is not None and not isinstance(metadata[key], str):
            raise validation_error("metadata.%s must be a string" % key, "metadata." + key)
    tags = metadata.get("tags")
    if tags is not None and (not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags)):
        raise validation_error("metadata.tags must be a list of strings (ASM key/value tags become 'key=value')", "metadata.tags")
    return metadata


def _option_changes(options, now):
    """Record fields set by ``options``; an option left out keeps the stored value."""
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise validation_error("options must be a JSON object", "options")
    changes = {}
    if options.get("max_versions") is not None:
        changes["max_versions"] = positive_int(options["max_versions"], "options.max_versions")
    if options.get("expires_in") is not None:
        changes["expires_at"] = iso(after_seconds(parse_duration(options["expires_in"], "options.expires_in"), now))
    if "rotation_policy_id" in options:
        policy_id = options["rotation_policy_id"]
        if policy_id is not None and not isinstance(policy_id, str):
            raise validation_error("options.rotation_policy_id must be a string or null", "options.rotation_policy_id")
        changes["rotation_policy_id"] = policy_id
    return changes


def _batch_read_units(request):
    """[doc] api-guides/batch-operations: a batch read costs 1 batch-read unit + 1 read unit per path."""
    try:
        paths = json.loads(request.body or b"{}").get("paths")
    except (ValueError, AttributeError):
        return {}
    if not isinstance(paths, list):
        return {}
    return {"read": len(set(path for path in paths if isinstance(path, str)))}


def _version_arg(request):
    text = request.arg("version")
    if text is None:
        return None
    if not text.isdigit() or int(text) < 1:
        raise bad_request("version must be a positive integer (got %r)" % text, {"fields": ["version"]})
    return int(text)


class SecretsApi:
    def __init__(self, app, max_secret_bytes=DEFAULT_MAX_SECRET_BYTES):
        self.db = app.db
        self.audit = app.audit
        self.store = SecretStore(app.db)
        self.max_secret_bytes = max_secret_bytes
        self.interceptors = []
        # (conn, tenant_id, record changes) -> None or raise: checks other features make of a write's options
        # (rotation: options.rotation_policy_id must name a policy).
        self.option_checks = []
        # (conn, tenant_id, path, version) -> None or raise: an older version another feature made unreadable
        # (rotation: past the grace period).
        self.version_checks = []
        self.contract = app.contract

    def register(self, router):
        router.add("GET", "/v1/secrets", self.list_secrets, scope="secrets:list", category="list", audit_action="list")
        router.add("POST", "/v1/secrets/batch", self.batch_read, scope="secrets:read", category="batch_read", audit_action="read",
                   extra_units=_batch_read_units)
        router.add("POST", "/v1/secrets/batch/metadata", self.batch_metadata, scope="secrets:list", category="batch_metadata",
                   audit_action="list")
        router.add("GET", "/v1/secrets/{path:path}", self.read, scope="secrets:read", category="read", audit_action="read")
        router.add("PUT", "/v1/secrets/{path:path}", self.write, scope="secrets:write", category="write", audit_action="write")
        router.add("DELETE", "/v1/secrets/{path:path}", self.delete, scope="secrets:delete", category="delete", audit_action="delete")

    def add_interceptor(self, interceptor):
        """Federation hook: see federation_hook.PathInterceptor."""
        self.interceptors.append(interceptor)

    # -- single secret -------------------------------------------------------------------

    def read(self, request):
        path = check_path(request.params["path"])
        version = _version_arg(request)
        obj = self._intercepted_read(request, path, version)
        with self.db.transaction() as conn:
            obj = obj or self._lookup(conn, request.tenant_id, path, version)
            self._mark_read(conn, request, obj)
        return Response(200, obj)

    def write(self, request):
        path = check_path(request.params["path"])
        now = utcnow()
        data, changes = self._parse_write(request.json_object(), now)
        for interceptor in self.interceptors:
            interceptor.check_write(request, path)
        started_at = self._head_version(request.tenant_id, path)
        if request.hold_before_commit is not None:
            request.hold_before_commit()
        with self.db.transaction() as conn:
            previous = self._head(conn, request.tenant_id, path)
            if previous is not None and previous.deleted_at:
                raise _exists_error(previous)
            if previous is not None and previous.version != started_at:
                raise _conflict(path, started_at, previous.version)
            for check in self.option_checks:
                check(conn, request.tenant_id, changes)
            base = previous or SecretRecord(request.tenant_id, path, DEFAULT_SECRET_TYPE, 0, created_at=iso(now))
            record = dataclasses.replace(base, version=base.version + 1, updated_at=iso(now), **changes)
            self.store.save(conn, record, data)
            self.audit.record(conn, request, "write", path, True, {"version": record.version, "created": previous is None})
        return Response(201 if previous is None else 200, record.to_object())

    def delete(self, request):
        path = check_path(request.params["path"])
        permanent = _query_flag(request, "permanent")
        for interceptor in self.interceptors:
            interceptor.check_delete(request, path)
        with self.db.transaction() as conn:
            record = self._head(conn, request.tenant_id, path)
            if record is None or (record.deleted_at and not permanent):
                raise _not_found(path)
            if permanent:
                self.store.purge(conn, request.tenant_id, path)
                extra = {"permanent": True, "version": record.version}
            else:
                now = utcnow()
                self.store.mark_deleted(conn, request.tenant_id, path, iso(now))
                extra = {"permanent": False, "version": record.version, "recoverable_until": iso(now + RECOVERY_WINDOW)}
            self.audit.record(conn, request, "delete", path, True, extra)
        return Response(204)

    # -- listings and batches ------------------------------------------------------------

    def list_secrets(self, request):
        prefix = request.arg("prefix") or ""
        limit = parse_limit(request, default=100, maximum=1000)
        after = decode_cursor(request.arg("cursor"), "after", str)
        with self.db.transaction() as conn:
            rows = self.store.listing(conn, request.tenant_id, prefix, after, limit + 1,
                                      include_deleted=self.contract.on("list_includes_deleted"))
            rows, cursor, has_more = page(rows, limit, lambda record: {"after": record.path})
            self.audit.record(conn, request, "list", prefix or None, True, {"prefix": prefix, "count": len(rows)})
        items = [dict(record.to_object(), deleted_at=record.deleted_at) if record.deleted_at else record.to_object()
                 for record in rows]
        return Response(200, {"secrets": items, "cursor": cursor, "has_more": has_more})

    def batch_read(self, request):
        paths, options = self._batch_body(request)
        version = options.get("version")
        if version is not None:
            positive_int(version, "options.version")
        include_metadata = _option_flag(options, "include_metadata")
        fail_fast = _option_flag(options, "fail_fast")
        early = self._intercepted_batch(request, paths, version)

        def read_one(conn, path):
            check_path(path)
            obj = early.get(path)
            if isinstance(obj, ApiError):
                raise obj
            obj = obj or self._lookup(conn, request.tenant_id, path, version)
            self._mark_read(conn, request, obj, batch=True)
            if not include_metadata:
                obj.pop("metadata", None)
            return obj

        return self._run_batch(request, paths, read_one, "read", fail_fast)

    def batch_metadata(self, request):
        paths, options = self._batch_body(request)
        expand = _option_flag(options, "expand_wildcards")

        def describe_one(conn, path):
            record = self._live(conn, request.tenant_id, check_path(path))
            self.audit.record(conn, request, "list", path, True, {"batch": True, "version": record.version})
            return record.to_object()

        if expand:
            with self.db.reading() as conn:
                paths = self._expand_wildcards(conn, request.tenant_id, paths)
        return self._run_batch(request, paths, describe_one, "list", fail_fast=False)

    def _run_batch(self, request, paths, resolve, action, fail_fast):
        """Partial success: each path lands in ``secrets`` or ``errors``. fail_fast [doc: api-guides/batch-operations]
        aborts the whole batch at the first error: the answer is that error (details.path names the path), no value
        is returned and nothing of the batch is audited as read (the app audits the failed request)."""
        found, errors = {}, {}
        with self.db.transaction() as conn:
            for path in paths:
                try:
                    found[path] = resolve(conn, path)
                except ApiError as err:
                    if fail_fast:
                        raise ApiError(err.status, err.code, "batch aborted (fail_fast) at %s: %s" % (path, err.message),
                                       dict(err.details or {}, path=path, fail_fast=True)) from None
                    errors[path] = {"code": err.code, "message": err.message}
                    self.audit.record(conn, request, action, path, False, {"batch": True, "error_code": err.code})
        return Response(200, {"secrets": found, "errors": errors})

    @staticmethod
    def _batch_body(request):
        body = request.json_object()
        paths = body.get("paths")
        if not isinstance(paths, list) or not paths or not all(isinstance(path, str) for path in paths):
            raise validation_error("paths must be a non-empty list of strings", "paths")
        if len(paths) > MAX_BATCH_PATHS:
            raise validation_error("at most %d paths per batch (got %d)" % (MAX_BATCH_PATHS, len(paths)), "paths")
        options = body.get("options") or {}
        if not isinstance(options, dict):
            raise validation_error("options must be a JSON object", "options")
        return list(dict.fromkeys(paths)), options

    def _expand_wildcards(self, conn, tenant_id, patterns):
        live = None
        expanded = []
        for pattern in patterns:
            if not is_glob(pattern):
                expanded.append(pattern)
                continue
            regex = glob_regex(pattern)
            live = live if live is not None else self.store.live_paths(conn, tenant_id)
            expanded.extend(path for path in live if regex.match(path))
        return list(dict.fromkeys(expanded))

    # -- helpers -------------------------------------------------------------------------

    def _parse_write(self, body, now):
        """(data, record fields to change) from a PUT body; omitted fields keep stored values."""
        data = body.get("data")
        if not isinstance(data, dict):
            raise validation_error("data must be a JSON object (not a string, list or null)", "data")
        size = len(json.dumps(data, separators=(",", ":")).encode("utf-8"))
        if size > self.max_secret_bytes:
            raise ApiError(413, "secret_too_large", "secret data is %d bytes of JSON, more than the %d allowed" % (size, self.max_secret_bytes),
                           {"size_bytes": size, "max_bytes": self.max_secret_bytes})
        changes = _option_changes(body.get("options"), now)
        if body.get("secret_type") is not None:
            changes["secret_type"] = check_secret_type(body["secret_type"])
        if body.get("metadata") is not None:
            changes["metadata"] = check_metadata(body["metadata"])
        return data, changes

    def _head_version(self, tenant_id, path):
        """The head version as a write starts (0 when absent): a write that commits on another head conflicts."""
        with self.db.reading() as conn:
            record = self.store.head(conn, tenant_id, path)
        return record.version if record is not None else 0

    def _head(self, conn, tenant_id, path):
        """The head row; a soft delete past its recovery window is purged and reads as absent."""
        record = self.store.head(conn, tenant_id, path)
        if record is not None and record.deleted_at and _recoverable_until(record) <= utcnow():
            self.store.purge(conn, tenant_id, path)
            return None
        return record

    def _live(self, conn, tenant_id, path):
        """The head row of a secret that is not deleted; 404 secret_not_found otherwise."""
        record = self._head(conn, tenant_id, path)
        if record is None or record.deleted_at:
            raise _not_found(path)
        return record

    def _lookup(self, conn, tenant_id, path, version):
        """The secret object with data (``version`` or the current one); 404 when absent."""
        record = self._live(conn, tenant_id, path)
        wanted = version or record.version
        if wanted != record.version:
            for check in self.version_checks:
                check(conn, tenant_id, path, wanted)
        data = self.store.data(conn, tenant_id, path, wanted)
        if data is None:
            raise ApiError(404, "version_not_found", "version %d of secret %s not found (never written, or pruned by max_versions)" % (wanted, path),
                           {"path": path, "version": wanted, "current_version": record.version})
        return record.to_object(data=data, version=wanted)

    def _mark_read(self, conn, request, obj, batch=False):
        stamp = iso(utcnow())
        self.store.touch(conn, request.tenant_id, obj["path"], stamp)
        obj["last_accessed_at"] = stamp
        extra = {"version": obj["version"], "batch": True} if batch else {"version": obj["version"]}
        self.audit.record(conn, request, "read", obj["path"], True, extra)

    def _intercepted_read(self, request, path, version):
        for interceptor in self.interceptors:
            obj = interceptor.read(request, path, version)
            if obj is not None:
                return obj
        return None

    def _intercepted_batch(self, request, paths, version):
        """Backend reads happen before the transaction: {path: object or ApiError}."""
        early = {}
        for path in paths if self.interceptors else ():
            if not is_valid_path(path):
                continue  # reported by the batch loop like any invalid path
            try:
                obj = self._intercepted_read(request, path, version)
            except ApiError as err:
                obj = err
            if obj is not None:
                early[path] = obj
        return early
