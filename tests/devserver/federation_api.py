"""Federation backend endpoints (contract section 3): CRUD, ``/status`` and ``/sync``.

    GET    /v1/federation/backends             federation:read   {backends: [...]}
    POST   /v1/federation/backends             federation:write  201 backend; 409 backend_exists
    GET    /v1/federation/backends/{id}        federation:read   backend; 404 backend_not_found
    PATCH  /v1/federation/backends/{id}        federation:write  partial: each field sent replaces that field
    DELETE /v1/federation/backends/{id}        federation:write  204; the paths it synced are removed
    GET    /v1/federation/backends/{id}/status federation:read   {id, name, status, last_sync, ...}
    POST   /v1/federation/backends/{id}/sync   federation:write  202 {sync_id, status: "started"}
    POST   /_dev/federation/hold {"held": bool}  (dev controls) due sync runs wait before they start / go on
    POST   /_dev/federation/wait {"timeout": s}  (dev controls) release held runs, return once none is busy: {idle}

Every route is in the ``federation`` rate-limit category. The work is in federation_engine.
"""

import copy
import re

from .errors import ApiError, validation_error
from .federation_engine import (
    ASM_TYPE, BACKEND_TYPES, ENDPOINT_KEYS, INLINE_CREDENTIAL_KEYS, MODES, TAG_STYLES, Backend, FederationEngine,
    FederationInterceptor, MappingProblem, compile_mapping, new_backend_id)
from .http_types import Response
from .timeutil import iso, utcnow
from .validation import check_path, glob_regex, parse_duration

MAX_NAME_LENGTH = 128
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
PATCHABLE = ("name", "config", "path_mapping", "mode", "sync_interval", "transform")


def _not_found(backend_id):
    return ApiError(404, "backend_not_found", "federation backend %s not found" % backend_id, {"id": backend_id})


def _check_name(name):
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise validation_error("name must be a non-empty string of at most %d characters" % MAX_NAME_LENGTH, "name")
    return name


def _invalid_config(message, field):
    """[doc] reference/error-codes: 400 invalid_config, "engine/backend config rejected" (globs: 400 invalid_glob)."""
    return ApiError(400, "invalid_config", message, {"fields": [field]})


def _check_config(backend_type, config):
    if not isinstance(config, dict):
        raise _invalid_config("config must be a JSON object", "config")
    if backend_type != ASM_TYPE:
        return config
    inline = sorted(set(config) & set(INLINE_CREDENTIAL_KEYS))
    if inline:
        raise _invalid_config("config must not hold credentials (%s): store them in a ScaiVault secret (access_key_id, "
                              "secret_access_key, session_token) and set config.credentials_path" % ", ".join(inline),
                              "config." + inline[0])
    endpoint = sorted(set(config) & set(ENDPOINT_KEYS))
    if endpoint:
        raise _invalid_config("config.%s is not accepted: ScaiVault reaches AWS Secrets Manager at the regional AWS "
                              "endpoint of config.region" % endpoint[0], "config." + endpoint[0])
    region = config.get("region")
    if not isinstance(region, str) or not _REGION.match(region):
        raise _invalid_config("config.region must be an AWS region name such as us-east-1 (got %r)" % (region,), "config.region")
    path = config.get("credentials_path")
    if path is not None:
        if not isinstance(path, str):
            raise _invalid_config("config.credentials_path must be a ScaiVault path", "config.credentials_path")
        check_path(path)
    return config


def _check_mapping(path_mapping):
    if not isinstance(path_mapping, dict) or not path_mapping:
        raise validation_error("path_mapping must be a non-empty object mapping ScaiVault globs to backend name templates",
                               "path_mapping")
    for glob, template in path_mapping.items():
        if not isinstance(template, str) or not template:
            raise ApiError(400, "invalid_config", "path_mapping[%r] must be a non-empty string template" % glob,
                           {"fields": ["path_mapping"], "glob": glob})
        try:
            glob_regex(glob)
        except ApiError as err:
            raise ApiError(400, "invalid_glob", "path_mapping: %s" % err.message, {"fields": ["path_mapping"], "glob": glob}) from None
    try:
        compile_mapping(path_mapping)
    except MappingProblem as exc:
        raise ApiError(400, "invalid_config", "path_mapping: %s" % exc, {"fields": ["path_mapping"]}) from None
    return path_mapping


def _check_transform(transform):
    if transform is None:
        return {}
    if not isinstance(transform, dict):
        raise validation_error("transform must be a JSON object with the key tags (key=value, key or drop)", "transform")
    unknown = sorted(set(transform) - {"tags"})
    if unknown:
        raise validation_error("unknown transform key(s): %s (known: tags)" % ", ".join(unknown), "transform." + unknown[0])
    if "tags" in transform and transform["tags"] not in TAG_STYLES:
        raise validation_error("transform.tags must be one of %s (got %r)" % (", ".join(TAG_STYLES), transform["tags"]),
                               "transform.tags")
    return dict(transform)


def _check_whole(fields):
    """Validate a complete backend (create, or the result of a PATCH)."""
    _check_name(fields.get("name"))
    if fields.get("type") not in BACKEND_TYPES:
        raise ApiError(400, "invalid_backend_type", "type must be one of %s (got %r)" % (", ".join(BACKEND_TYPES), fields.get("type")),
                       {"fields": ["type"], "allowed": list(BACKEND_TYPES)})
    _check_config(fields["type"], fields.get("config"))
    _check_mapping(fields.get("path_mapping"))
    if fields.get("mode") not in MODES:
        raise validation_error("mode must be proxy or sync (got %r)" % (fields.get("mode"),), "mode")
    interval = fields.get("sync_interval")
    if interval is None and fields["mode"] == "sync":
        raise validation_error("sync_interval is required with mode sync (for example 15m)", "sync_interval")
    if interval is not None:
        parse_duration(interval, "sync_interval")
    fields["transform"] = _check_transform(fields.get("transform"))
    return fields


class FederationApi:
    def __init__(self, app, secrets_api):
        self.app = app
        self.db = app.db
        self.engine = FederationEngine(app)
        self.store = self.engine.store
        secrets_api.add_interceptor(FederationInterceptor(self.engine))
        app.reset_hooks.append(self.engine.stop_all)

    def register(self, router):
        policy_read = dict(scope="federation:read", category="federation")
        policy_write = dict(scope="federation:write", category="federation")
        router.add("GET", "/v1/federation/backends", self.list_backends, **policy_read)
        router.add("POST", "/v1/federation/backends", self.create, **policy_write)
        router.add("GET", "/v1/federation/backends/{id}/status", self.status, **policy_read)
        router.add("POST", "/v1/federation/backends/{id}/sync", self.sync, **policy_write)
        router.add("GET", "/v1/federation/backends/{id}", self.get, **policy_read)
        router.add("PATCH", "/v1/federation/backends/{id}", self.patch, **policy_write)
        router.add("DELETE", "/v1/federation/backends/{id}", self.delete, **policy_write)
        self.engine.start()

    # -- helpers -------------------------------------------------------------------------------
    def _backend(self, request):
        with self.db.reading() as conn:
            backend = self.store.get(conn, request.params["id"], request.tenant_id)
        if backend is None:
            raise _not_found(request.params["id"])
        return backend

    def _glob_conflict(self, conn, tenant_id, path_mapping, backend_id=None):
        for other in self.store.all(conn, tenant_id):
            if other.id == backend_id:
                continue
            shared = sorted(set(other.path_mapping) & set(path_mapping))
            if shared:
                raise ApiError(409, "path_mapping_conflict", "federation backend %s already serves %s" % (other.name, shared[0]),
                               {"backend_id": other.id, "glob": shared[0]})

    # -- routes --------------------------------------------------------------------------------
    def list_backends(self, request):
        with self.db.reading() as conn:
            backends = self.store.all(conn, request.tenant_id)
        return Response(200, {"backends": [backend.to_object() for backend in backends]})

    def get(self, request):
        return Response(200, self._backend(request).to_object())

    def create(self, request):
        body = request.json_object()
        names = ("name", "type", "config", "path_mapping", "mode", "sync_interval", "transform")
        fields = {key: copy.deepcopy(body.get(key)) for key in names}
        _check_whole(fields)
        now = iso(utcnow())
        backend = Backend(id=new_backend_id(), tenant_id=request.tenant_id, name=fields["name"], type=fields["type"],
                          config=fields["config"], path_mapping=fields["path_mapping"], mode=fields["mode"],
                          sync_interval=fields["sync_interval"], transform=fields["transform"], created_at=now, updated_at=now)
        with self.db.transaction() as conn:
            existing = self.store.by_name(conn, request.tenant_id, backend.name)
            if existing is not None:
                raise ApiError(409, "backend_exists", "a federation backend named %s already exists (%s)" % (backend.name, existing.id),
                               {"id": existing.id, "name": backend.name})
            self._glob_conflict(conn, request.tenant_id, backend.path_mapping)
            self.store.save(conn, backend)
        self.engine.reconcile(backend)
        return Response(201, backend.to_object())

    def patch(self, request):
        body = request.json_object()
        if "type" in body and body["type"] is not None:
            backend = self._backend(request)
            if body["type"] != backend.type:
                raise validation_error("type cannot be changed (backend %s is %s): delete the backend and create a new one"
                                       % (backend.name, backend.type), "type")
        unknown = sorted(set(body) - set(PATCHABLE) - {"type", "id"})
        if unknown:
            raise validation_error("unknown field(s): %s (patchable: %s)" % (", ".join(unknown), ", ".join(PATCHABLE)), unknown[0])
        with self.db.transaction() as conn:
            backend = self.store.get(conn, request.params["id"], request.tenant_id)
            if backend is None:
                raise _not_found(request.params["id"])
            fields = {"name": backend.name, "type": backend.type, "config": backend.config, "path_mapping": backend.path_mapping,
                      "mode": backend.mode, "sync_interval": backend.sync_interval, "transform": backend.transform}
            for key in PATCHABLE:
                if key in body:
                    fields[key] = copy.deepcopy(body[key])
            _check_whole(fields)
            if fields["name"] != backend.name and self.store.by_name(conn, request.tenant_id, fields["name"]) is not None:
                raise ApiError(409, "backend_exists", "a federation backend named %s already exists" % fields["name"],
                               {"name": fields["name"]})
            self._glob_conflict(conn, request.tenant_id, fields["path_mapping"], backend.id)
            for key in PATCHABLE:
                setattr(backend, key, fields[key])
            backend.updated_at = iso(utcnow())
            self.store.save(conn, backend)
        self.engine.reconcile(backend)
        return Response(200, backend.to_object())

    def delete(self, request):
        with self.db.transaction() as conn:
            backend = self.store.get(conn, request.params["id"], request.tenant_id)
            if backend is None:
                raise _not_found(request.params["id"])
            self.engine.remove_backend_paths(conn, backend)
            self.store.delete(conn, backend.id)
        self.engine.stop_worker(backend.id)
        return Response(204)

    def status(self, request):
        return Response(200, self.engine.status(self._backend(request)))

    def sync(self, request):
        backend = self._backend(request)
        if not backend.supported:
            raise ApiError(409, "backend_type_unsupported", "federation backend %s is of type %s, which this dev server does not "
                           "sync (only %s)" % (backend.name, backend.type, ASM_TYPE), {"id": backend.id, "type": backend.type})
        if backend.mode != "sync":
            raise ApiError(409, "backend_not_in_sync_mode", "federation backend %s is in %s mode: only sync-mode backends can "
                           "be synced (switch it with PATCH {\"mode\": \"sync\", \"sync_interval\": \"15m\"})"
                           % (backend.name, backend.mode), {"id": backend.id, "mode": backend.mode})
        sync_id = self.engine.request_sync(backend)
        return Response(202, {"sync_id": sync_id, "status": "started", "backend_id": backend.id})


def register_dev_controls(app, engine):
    """``/_dev/federation/hold`` and ``/_dev/federation/wait``: a test decides when sync runs happen (docs/development.md)."""

    def hold(request):
        body = request.json_object() if request.body else {}
        engine.hold_syncs(body.get("held", True))
        return Response(200, {"held": bool(body.get("held", True))})

    def wait(request):
        body = request.json_object() if request.body else {}
        return Response(200, {"idle": engine.idle(float(body.get("timeout", 10)))})

    app.dev_router.add("POST", "/_dev/federation/hold", hold)
    app.dev_router.add("POST", "/_dev/federation/wait", wait)


def register(app):
    """Wire federation into the app: routes, the secrets interceptor, the reset hook, resumed sync jobs."""
    api = FederationApi(app, app.secrets)
    api.register(app.router)
    register_dev_controls(app, api.engine)
    return api
