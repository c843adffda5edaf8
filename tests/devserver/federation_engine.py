"""Federation backends that actually federate (contract section 3): the engine behind federation_api.

What lives here (no HTTP):
- path_mapping globs (``*`` part of one segment, ``**`` any number of whole segments) in both
  directions: ScaiVault path -> backend name (proxy reads) and backend name -> path (sync);
- the value encoding and tag transform of the shared migration design;
- ASM access with boto3 (lazy import): credentials from the ScaiVault secret at
  ``config.credentials_path`` or the server's own environment, endpoint ONLY from the server's
  ``--asm-endpoint-url`` startup flag (a request can never point the server elsewhere);
- the SQL of backends, their status and the paths each sync backend owns;
- one sync worker thread per sync-mode backend: a run at start, every ``sync_interval``, and
  on ``POST .../sync``; each run is audited as ``federation_sync``;
- proxy reads (one live GetSecretValue per read) and the read-only guard on federated paths.

Why the encoding and the glob code are written here again instead of importing the
collection's plugins/module_utils: this server stands in for the real service, so the
integration tests cross-check the collection against an independent reading of the same
contract (a bug in the collection's encoder would otherwise be mirrored here and hidden),
and the server keeps running from a plain checkout without the ansible_collections layout.
"""

import base64
import copy
import dataclasses
import hashlib
import json
import logging
import math
import re
import secrets
import threading
import time
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace

from .errors import ApiError
from .federation_hook import PathInterceptor
from .secret_store import SecretRecord, SecretStore
from .timeutil import iso, utcnow
from .validation import check_path, parse_duration

LOG = logging.getLogger("scaivault.devserver.federation")

ASM_TYPE = "aws-secrets-manager"
BACKEND_TYPES = (ASM_TYPE, "hashicorp-vault", "azure-key-vault", "google-secret-manager")
MODES = ("proxy", "sync")
TAG_STYLES = ("key=value", "key", "drop")
DEFAULT_TRANSFORM = {"tags": "key=value"}
SOURCE_SYSTEM = ASM_TYPE
BATCH_GET_MAX = 20
LIST_PAGE = 100
PROXY_STATUS_CACHE_SECONDS = 2.0
# Keys that would put credentials or the endpoint in a backend config; refused at the API.
INLINE_CREDENTIAL_KEYS = ("access_key_id", "secret_access_key", "session_token", "aws_access_key_id",
                          "aws_secret_access_key", "aws_session_token", "access_key", "secret_key")
ENDPOINT_KEYS = ("endpoint", "endpoint_url", "asm_endpoint_url")
# AWS error codes meaning "these credentials are not accepted" (moto answers some as bare "403").
CREDENTIAL_CODES = frozenset(["InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException",
                              "InvalidAccessKeyId", "ExpiredToken", "ExpiredTokenException", "AccessDenied",
                              "AccessDeniedException", "403", "IncompleteSignature", "MissingAuthenticationToken"])
NOT_FOUND_CODES = frozenset(["ResourceNotFoundException", "InvalidRequestException"])

_SCHEMA = """
CREATE TABLE IF NOT EXISTS federation_backends (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    config TEXT NOT NULL,
    path_mapping TEXT NOT NULL,
    mode TEXT NOT NULL,
    sync_interval TEXT,
    transform TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    seq INTEGER NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE TABLE IF NOT EXISTS federation_status (
    backend_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    last_sync TEXT,
    last_sync_duration_ms INTEGER,
    last_sync_id TEXT,
    last_sync_result TEXT,
    secrets_synced INTEGER NOT NULL DEFAULT 0,
    connection TEXT NOT NULL,
    errors TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS federation_paths (
    tenant_id TEXT NOT NULL,
    path TEXT NOT NULL,
    backend_id TEXT NOT NULL,
    asm_name TEXT NOT NULL,
    arn TEXT NOT NULL,
    version_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, path)
) WITHOUT ROWID;
"""


def _dumps(value):
    return json.dumps(value, separators=(",", ":"), sort_keys=False)


# ---------------------------------------------------------------------------------------------
# path_mapping globs
# ---------------------------------------------------------------------------------------------
class MappingProblem(ValueError):
    """A path_mapping rule that cannot be used; the message names the rule."""


def _wildcards(pattern):
    found = []
    segments = pattern.split("/")
    for index, segment in enumerate(segments):
        if segment == "**":
            if index and segments[index - 1] == "**":
                raise MappingProblem("%r repeats '**/**'; one '**' already spans any number of segments" % pattern)
            found.append("**")
        elif "**" in segment:
            raise MappingProblem("%r: '**' must be a whole segment (use '*' inside a segment)" % pattern)
        else:
            found.extend("*" * segment.count("*"))
    return found


def _regex(pattern):
    segments = pattern.split("/")
    out = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            if len(segments) == 1:
                out.append("(.*)")
            elif index == 0:
                out.append("(?:(.+)/)?")
            else:
                out.append("(?:/(.+))?" + ("" if last else "/"))
            continue
        if index and segments[index - 1] != "**":
            out.append("/")
        out.append("([^/]+)".join(re.escape(piece) for piece in segment.split("*")))
    return re.compile("^%s$" % "".join(out), re.DOTALL)


def _render(template, captures):
    captures = list(captures)
    segments = []
    for segment in template.split("/"):
        if segment == "**":
            value = captures.pop(0)
            if value:
                segments.append(value)
            continue
        pieces = segment.split("*")
        text = pieces[0]
        for piece in pieces[1:]:
            text += captures.pop(0) + piece
        segments.append(text)
    return "/".join(segments)


class Rule:
    """One ``scaivault glob -> backend template`` pair, usable in both directions."""

    def __init__(self, glob, template):
        self.glob = glob
        self.template = template
        if _wildcards(glob) != _wildcards(template):
            raise MappingProblem("%r -> %r: the template must use the same wildcards, in the same order, as the glob"
                                 % (glob, template))
        self._forward = _regex(glob)
        self._backward = _regex(template)

    def to_backend(self, path):
        found = self._forward.match(path)
        return _render(self.template, [group or "" for group in found.groups()]) if found else None

    def to_path(self, name):
        found = self._backward.match(name)
        return _render(self.glob, [group or "" for group in found.groups()]) if found else None

    def literal_prefix(self):
        """The template's text before its first wildcard (a ListSecrets name filter)."""
        return self.template.split("*", 1)[0]


def compile_mapping(path_mapping):
    """Rules in stored order (first match wins); MappingProblem on bad rules."""
    return [Rule(glob, template) for glob, template in path_mapping.items()]


# ---------------------------------------------------------------------------------------------
# value encoding and tags (shared migration design)
# ---------------------------------------------------------------------------------------------
class _NotExact(ValueError):
    pass


def _pairs(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise _NotExact("duplicate key")
        result[key] = value
    return result


def _constant(_name):
    raise _NotExact("NaN/Infinity")


def _float(text):
    value = float(text)
    try:
        exact = math.isfinite(value) and Decimal(text) == Decimal(repr(value))
    except InvalidOperation:
        exact = False
    if not exact:
        raise _NotExact("inexact number")
    return value


def encode_value(secret_string=None, secret_binary=None):
    """(data, secret_type, format): JSON object -> itself; other text -> {value}; binary -> {value_base64}."""
    if secret_binary is not None:
        return {"value_base64": base64.b64encode(bytes(secret_binary)).decode("ascii")}, "kv", "binary"
    try:
        parsed = json.loads(secret_string, object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_float)
        if isinstance(parsed, dict):
            json.dumps(parsed, ensure_ascii=False).encode("utf-8")  # unpaired surrogates cannot be stored
            return parsed, "json", "json"
    except (ValueError, RecursionError):
        pass
    return {"value": secret_string}, "kv", "text"


def flatten_tags(tags, style):
    if style == "drop":
        return []
    pairs = sorted((tag.get("Key"), tag.get("Value") or "") for tag in tags or [] if tag.get("Key") is not None)
    if style == "key":
        return [key for key, _value in pairs]
    return ["%s=%s" % pair for pair in pairs]


# ---------------------------------------------------------------------------------------------
# backends
# ---------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Backend:
    id: str
    tenant_id: str
    name: str
    type: str
    config: dict
    path_mapping: dict
    mode: str
    sync_interval: str
    transform: dict
    created_at: str
    updated_at: str
    seq: int = 0

    def to_object(self):
        return {"id": self.id, "name": self.name, "type": self.type, "config": copy.deepcopy(self.config),
                "path_mapping": copy.deepcopy(self.path_mapping), "mode": self.mode,
                "sync_interval": self.sync_interval, "transform": dict(DEFAULT_TRANSFORM, **self.transform),
                "created_at": self.created_at, "updated_at": self.updated_at}

    @property
    def supported(self):
        return self.type == ASM_TYPE

    @property
    def rules(self):
        return compile_mapping(self.path_mapping)

    @property
    def tag_style(self):
        return dict(DEFAULT_TRANSFORM, **self.transform)["tags"]


def _backend(row):
    return Backend(id=row["id"], tenant_id=row["tenant_id"], name=row["name"], type=row["type"],
                   config=json.loads(row["config"]), path_mapping=json.loads(row["path_mapping"]), mode=row["mode"],
                   sync_interval=row["sync_interval"], transform=json.loads(row["transform"]),
                   created_at=row["created_at"], updated_at=row["updated_at"], seq=row["seq"])


class BackendStore:
    """Stateless SQL helpers on the caller's connection."""

    def __init__(self, db):
        db.register_schema(_SCHEMA, wiped_tables=("federation_paths", "federation_status", "federation_backends"))

    @staticmethod
    def get(conn, backend_id, tenant_id=None):
        row = conn.execute("SELECT * FROM federation_backends WHERE id = ?", (backend_id,)).fetchone()
        if row is None or (tenant_id is not None and row["tenant_id"] != tenant_id):
            return None
        return _backend(row)

    @staticmethod
    def by_name(conn, tenant_id, name):
        row = conn.execute("SELECT * FROM federation_backends WHERE tenant_id = ? AND name = ?", (tenant_id, name)).fetchone()
        return _backend(row) if row else None

    @staticmethod
    def all(conn, tenant_id=None):
        if tenant_id is None:
            rows = conn.execute("SELECT * FROM federation_backends ORDER BY seq").fetchall()
        else:
            rows = conn.execute("SELECT * FROM federation_backends WHERE tenant_id = ? ORDER BY seq", (tenant_id,)).fetchall()
        return [_backend(row) for row in rows]

    @staticmethod
    def save(conn, backend):
        if not backend.seq:
            backend.seq = (conn.execute("SELECT COALESCE(MAX(seq), 0) FROM federation_backends").fetchone()[0]) + 1
        conn.execute(
            "INSERT OR REPLACE INTO federation_backends (id, tenant_id, name, type, config, path_mapping, mode, sync_interval,"
            " transform, created_at, updated_at, seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (backend.id, backend.tenant_id, backend.name, backend.type, _dumps(backend.config), _dumps(backend.path_mapping),
             backend.mode, backend.sync_interval, _dumps(backend.transform), backend.created_at, backend.updated_at, backend.seq))

    @staticmethod
    def delete(conn, backend_id):
        conn.execute("DELETE FROM federation_backends WHERE id = ?", (backend_id,))
        conn.execute("DELETE FROM federation_status WHERE backend_id = ?", (backend_id,))

    @staticmethod
    def status(conn, backend_id):
        row = conn.execute("SELECT * FROM federation_status WHERE backend_id = ?", (backend_id,)).fetchone()
        if row is None:
            return {"status": "pending", "last_sync": None, "last_sync_duration_ms": None, "last_sync_id": None,
                    "last_sync_result": None, "secrets_synced": 0,
                    "connection": {"status": "unknown", "latency_ms": None}, "errors": []}
        return {"status": row["status"], "last_sync": row["last_sync"], "last_sync_duration_ms": row["last_sync_duration_ms"],
                "last_sync_id": row["last_sync_id"],
                "last_sync_result": json.loads(row["last_sync_result"]) if row["last_sync_result"] else None,
                "secrets_synced": row["secrets_synced"], "connection": json.loads(row["connection"]),
                "errors": json.loads(row["errors"])}

    @staticmethod
    def save_status(conn, backend_id, state):
        conn.execute(
            "INSERT OR REPLACE INTO federation_status (backend_id, status, last_sync, last_sync_duration_ms, last_sync_id,"
            " last_sync_result, secrets_synced, connection, errors) VALUES (?,?,?,?,?,?,?,?,?)",
            (backend_id, state["status"], state.get("last_sync"), state.get("last_sync_duration_ms"), state.get("last_sync_id"),
             _dumps(state["last_sync_result"]) if state.get("last_sync_result") is not None else None,
             state.get("secrets_synced", 0), _dumps(state["connection"]), _dumps(state["errors"])))

    @staticmethod
    def owned_paths(conn, backend_id):
        rows = conn.execute("SELECT * FROM federation_paths WHERE backend_id = ?", (backend_id,)).fetchall()
        return {row["path"]: dict(row) for row in rows}

    @staticmethod
    def owner(conn, tenant_id, path):
        row = conn.execute("SELECT backend_id FROM federation_paths WHERE tenant_id = ? AND path = ?", (tenant_id, path)).fetchone()
        return row[0] if row else None

    @staticmethod
    def own(conn, tenant_id, path, backend_id, asm_name, arn, version_id):
        conn.execute("INSERT OR REPLACE INTO federation_paths VALUES (?,?,?,?,?,?)",
                     (tenant_id, path, backend_id, asm_name, arn, version_id))

    @staticmethod
    def disown(conn, tenant_id, path):
        conn.execute("DELETE FROM federation_paths WHERE tenant_id = ? AND path = ?", (tenant_id, path))


# ---------------------------------------------------------------------------------------------
# ASM access
# ---------------------------------------------------------------------------------------------
class AsmProblem(Exception):
    """ASM could not be used: ``kind`` is credentials, unreachable, not_found or error."""

    def __init__(self, kind, code, message):
        super().__init__(message)
        self.kind = kind
        self.code = code
        self.message = message


def _xml_field(text, name):
    found = re.search(r"<%s>(.*?)</%s>" % (name, name), text or "", re.S)
    return found.group(1).strip() if found else None


def classify(exc, operation, credentials_source):
    """Turn a boto3/botocore exception into an AsmProblem with a readable message (never a value)."""
    from botocore.exceptions import (  # pylint: disable=import-outside-toplevel
        BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError, NoCredentialsError, ReadTimeoutError)

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = str(error.get("Code") or status or "ClientError")
        message = error.get("Message") or ""
        # moto answers authentication failures as an XML document on a JSON API: read it.
        code = _xml_field(message, "Code") or code
        message = re.sub(r"\s+", " ", _xml_field(message, "Message") or message).strip()
        if code in CREDENTIAL_CODES:
            return AsmProblem("credentials", code, "AWS rejected the credentials from %s on %s (%s: %s); store valid "
                              "access_key_id and secret_access_key there, or grant the reader identity secretsmanager:%s"
                              % (credentials_source, operation, code, message, operation))
        if code in NOT_FOUND_CODES:
            return AsmProblem("not_found", code, "%s: %s" % (code, message))
        if (status or 0) >= 500 or code in ("ThrottlingException", "ServiceUnavailable", "InternalServiceError",
                                            "TooManyRequestsException"):
            return AsmProblem("unreachable", code, "AWS Secrets Manager answered %s on %s: %s" % (code, operation, message))
        return AsmProblem("error", code, "%s on %s: %s" % (code, operation, message))
    if isinstance(exc, NoCredentialsError):
        return AsmProblem("credentials", "NoCredentials", "no AWS credentials: set config.credentials_path to a ScaiVault "
                          "secret holding access_key_id and secret_access_key, or give the server an IAM role")
    if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError)):
        return AsmProblem("unreachable", "EndpointConnectionError", "cannot reach AWS Secrets Manager (%s)" % type(exc).__name__)
    if isinstance(exc, BotoCoreError):
        return AsmProblem("error", type(exc).__name__, "%s on %s" % (type(exc).__name__, operation))
    return AsmProblem("error", type(exc).__name__, "%s on %s: %s" % (type(exc).__name__, operation, exc))


class AsmAccess:
    """Builds boto3 clients for a backend. The endpoint is the server's, never the request's."""

    def __init__(self, endpoint_url):
        self.endpoint_url = endpoint_url
        self._lock = threading.Lock()
        self._clients = {}

    def credentials(self, conn, backend):
        """(kwargs for boto3.Session, description of their source); AsmProblem when unusable."""
        path = backend.config.get("credentials_path")
        if not path:
            return {}, "the server's own IAM role (environment)"
        source = "ScaiVault secret %s (config.credentials_path)" % path
        record = SecretStore.head(conn, backend.tenant_id, path)
        data = SecretStore.data(conn, backend.tenant_id, path, record.version) if record and not record.deleted_at else None
        if data is None:
            raise AsmProblem("credentials", "credentials_not_found", "config.credentials_path %s does not exist in ScaiVault: "
                             "store the reader's access_key_id and secret_access_key there (secret_type json)" % path)
        missing = [key for key in ("access_key_id", "secret_access_key") if not isinstance(data.get(key), str) or not data.get(key)]
        if missing:
            raise AsmProblem("credentials", "credentials_invalid", "the secret at config.credentials_path %s lacks %s (it needs "
                             "access_key_id, secret_access_key and optionally session_token)" % (path, ", ".join(missing)))
        kwargs = {"aws_access_key_id": data["access_key_id"], "aws_secret_access_key": data["secret_access_key"]}
        if data.get("session_token"):
            kwargs["aws_session_token"] = data["session_token"]
        return kwargs, source

    def client(self, backend, credentials):
        import boto3  # pylint: disable=import-outside-toplevel
        from botocore.config import Config  # pylint: disable=import-outside-toplevel

        region = backend.config.get("region")
        key = hashlib.sha256(_dumps([backend.id, region, sorted(credentials.items())]).encode("utf-8")).hexdigest()
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                session = boto3.session.Session(region_name=region, **credentials)
                config = Config(retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=3, read_timeout=10,
                                max_pool_connections=10, user_agent_extra="scaivault-devserver-federation")
                client = session.client("secretsmanager", endpoint_url=self.endpoint_url or None, config=config)
                if len(self._clients) > 64:
                    self._clients.clear()
                self._clients[key] = client
            return client

    def forget(self):
        with self._lock:
            self._clients.clear()


# ---------------------------------------------------------------------------------------------
# the engine
# ---------------------------------------------------------------------------------------------
def new_backend_id():
    return "fed_" + secrets.token_hex(8)


class _SyncActor:
    """What the audit log needs to know about a sync run (it has no HTTP request)."""

    def __init__(self, backend):
        self.identity = SimpleNamespace(identity_type="service_account", identity_id="system:federation/%s" % backend.name)  # reference/audit types
        self.tenant_id = backend.tenant_id
        self.client_ip = None
        self.user_agent = "scaivault-federation-sync"
        self.request_id = "req_sync_" + secrets.token_hex(8)
        self.audited = False
        self._started = time.monotonic()

    def elapsed_ms(self):
        return round((time.monotonic() - self._started) * 1000.0, 3)


class SyncWorker:
    """The background job of one sync backend: run now, then every sync_interval or when woken."""

    def __init__(self, engine, backend_id):
        self.engine = engine
        self.backend_id = backend_id
        self.wake = threading.Event()
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.pending_ids = []
        self.running = False
        self.thread = threading.Thread(target=self._loop, name="federation-sync-%s" % backend_id, daemon=True)

    def start(self):
        self.wake.set()  # the first run is due: busy (FederationEngine.idle) until it is done
        self.thread.start()

    def busy(self):
        """A run is going on, is asked for (POST .../sync) or is due (started, woken by a PATCH)."""
        with self.lock:
            return not self.stopped.is_set() and (self.running or bool(self.pending_ids) or self.wake.is_set())

    def request(self, sync_id):
        with self.lock:
            self.pending_ids.append(sync_id)
        self.wake.set()

    def stop(self):
        self.stopped.set()
        self.wake.set()
        self.engine.notify_idle()

    def _loop(self):
        while not self.stopped.is_set():
            with self.lock:
                # One run per POST .../sync, so that every sync_id is answered by a run of its own.
                sync_id = self.pending_ids.pop(0) if self.pending_ids else None
                self.running = True
            self.wake.clear()
            try:
                self.engine.wait_while_held(self.stopped)
                if self.stopped.is_set():  # stopped (deleted, reset) while held: the run is dropped
                    return
                interval = self.engine.run_sync(self.backend_id, sync_id)
            except Exception:  # pylint: disable=broad-except
                LOG.exception("federation sync of %s crashed", self.backend_id)
                interval = 60
            finally:
                with self.lock:
                    self.running = False
                self.engine.notify_idle()
            if interval is None:  # backend gone or no longer in sync mode
                return
            with self.lock:
                if self.pending_ids:
                    continue
            self.wake.wait(interval)


class FederationEngine:
    def __init__(self, app):
        self.app = app
        self.db = app.db
        self.store = BackendStore(app.db)
        self.secret_store = SecretStore(app.db)
        self.asm = AsmAccess(app.config.get("asm_endpoint_url"))
        self._workers = {}
        self._workers_lock = threading.Lock()
        self._proxy_status = {}
        # /_dev/federation/hold and /_dev/federation/wait: runs held back, and waiting for none to be busy.
        self._activity = threading.Condition()
        self._held = False

    # -- workers -----------------------------------------------------------------------------
    def start(self):
        """Resume the sync jobs of the backends stored before a restart."""
        with self.db.reading() as conn:
            backends = self.store.all(conn)
        for backend in backends:
            self.reconcile(backend)

    def reconcile(self, backend):
        """Start, keep or stop the worker of ``backend`` after a create/patch; wake it to apply changes."""
        with self._workers_lock:
            worker = self._workers.get(backend.id)
            if backend.mode != "sync" or not backend.supported:
                if worker:
                    worker.stop()
                    del self._workers[backend.id]
                return
            if worker is None or worker.stopped.is_set() or not worker.thread.is_alive():
                worker = self._workers[backend.id] = SyncWorker(self, backend.id)
                worker.start()
            else:
                worker.wake.set()

    def stop_worker(self, backend_id):
        with self._workers_lock:
            worker = self._workers.pop(backend_id, None)
        if worker:
            worker.stop()

    def request_sync(self, backend):
        sync_id = "sync_" + secrets.token_hex(8)
        self.reconcile(backend)
        with self._workers_lock:
            worker = self._workers.get(backend.id)
        if worker is None:  # switched to proxy (or deleted) since the caller looked
            raise ApiError(409, "backend_not_in_sync_mode", "federation backend %s is not in sync mode" % backend.name,
                           {"id": backend.id})
        worker.request(sync_id)
        return sync_id

    def stop_all(self, join_seconds=2.0):
        with self._workers_lock:
            workers, self._workers = list(self._workers.values()), {}
        self.hold_syncs(False)
        for worker in workers:
            worker.stop()
        deadline = time.monotonic() + join_seconds
        for worker in workers:
            worker.thread.join(max(0.0, deadline - time.monotonic()))
        self._proxy_status.clear()
        self.asm.forget()

    # -- dev controls (tests: a sync run at an exact point, never a timing guess) ------------------------
    def hold_syncs(self, held):
        """While held, every due run waits before it starts (its status stays as it was)."""
        with self._activity:
            self._held = bool(held)
            self._activity.notify_all()

    def wait_while_held(self, stopped):
        with self._activity:
            self._activity.wait_for(lambda: not self._held or stopped.is_set())

    def notify_idle(self):
        with self._activity:
            self._activity.notify_all()

    def idle(self, timeout):
        """True once no worker is busy (runs released first); False after ``timeout`` seconds."""
        self.hold_syncs(False)
        with self._workers_lock:
            workers = list(self._workers.values())
        with self._activity:
            return self._activity.wait_for(lambda: not any(worker.busy() for worker in workers), timeout)

    def sync_in_progress(self, backend_id):
        with self._workers_lock:
            worker = self._workers.get(backend_id)
        return bool(worker and (worker.running or worker.pending_ids))

    # -- matching ------------------------------------------------------------------------------
    def backend_for_path(self, tenant_id, path):
        """(backend, backend name) of the first backend whose glob matches ``path``; (None, None)."""
        if not tenant_id:
            return None, None
        with self.db.reading() as conn:
            backends = self.store.all(conn, tenant_id)
        for backend in backends:
            try:
                rules = backend.rules
            except MappingProblem:
                continue
            for rule in rules:
                name = rule.to_backend(path)
                if name is not None:
                    return backend, name
        return None, None

    # -- proxy ---------------------------------------------------------------------------------
    def proxy_read(self, backend, path, name, version):
        if not backend.supported:
            raise ApiError(502, "backend_unavailable", "federation backend %s is of type %s, which this dev server does not "
                           "federate; %s cannot be read" % (backend.name, backend.type, path),
                           {"backend_id": backend.id, "path": path})
        if version not in (None, 1):
            raise ApiError(404, "version_not_found", "%s is proxied live from %s by backend %s: only its current value "
                           "(version 1) can be read" % (path, name, backend.name), {"path": path, "version": version})
        try:
            with self.db.reading() as conn:
                credentials, source = self.asm.credentials(conn, backend)
            client = self.asm.client(backend, credentials)
            try:
                value = client.get_secret_value(SecretId=name)
            except Exception as exc:  # pylint: disable=broad-except
                raise classify(exc, "GetSecretValue", source) from None
        except AsmProblem as problem:
            if problem.kind == "not_found":
                raise ApiError(404, "secret_not_found", "secret %s not found (federation backend %s has no %s in %s)"
                               % (path, backend.name, name, backend.config.get("region")), {"path": path}) from None
            raise ApiError(502, "backend_unavailable", "federation backend %s could not read %s: %s"
                           % (backend.name, name, problem.message),
                           {"backend_id": backend.id, "path": path, "backend_code": problem.code}) from None
        data, secret_type, value_format = encode_value(value.get("SecretString"), value.get("SecretBinary"))
        created = iso(value["CreatedDate"]) if value.get("CreatedDate") else None
        metadata = {"source": self._source(backend, value.get("ARN"), value.get("Name") or name, value.get("VersionId"),
                                           value_format),
                    "federation": {"backend_id": backend.id, "backend": backend.name, "mode": "proxy"}}
        return {"path": path, "secret_type": secret_type, "version": 1, "data": data, "metadata": metadata,
                "created_at": created, "updated_at": created, "expires_at": None, "last_accessed_at": None,
                "rotation_policy_id": None}

    @staticmethod
    def _source(backend, arn, name, version_id, value_format):
        return {"system": SOURCE_SYSTEM, "region": backend.config.get("region"), "arn": arn, "name": name,
                "version_id": version_id, "format": value_format}

    # -- status --------------------------------------------------------------------------------
    def status(self, backend):
        if not backend.supported:
            state = {"status": "error", "last_sync": None, "last_sync_duration_ms": None, "secrets_synced": 0,
                     "connection": {"status": "unsupported", "latency_ms": None},
                     "errors": [{"source": "backend", "code": "unsupported_backend_type",
                                 "message": "this dev server federates only %s; backend type %s is stored but not served"
                                            % (ASM_TYPE, backend.type)}]}
        elif backend.mode == "proxy":
            state = self._proxy_health(backend)
        else:
            with self.db.reading() as conn:
                state = self.store.status(conn, backend.id)
            state["sync_in_progress"] = self.sync_in_progress(backend.id)
        result = {"id": backend.id, "name": backend.name, "mode": backend.mode}
        result.update(state)
        return result

    def _proxy_health(self, backend):
        """A proxy backend has nothing to sync: its status is a cheap live check (cached briefly)."""
        cached = self._proxy_status.get(backend.id)
        if cached and cached[0] == backend.updated_at and time.monotonic() - cached[1] < PROXY_STATUS_CACHE_SECONDS:
            return copy.deepcopy(cached[2])
        state = {"status": "healthy", "last_sync": None, "last_sync_duration_ms": None, "secrets_synced": 0,
                 "connection": {"status": "connected", "latency_ms": None}, "errors": []}
        try:
            with self.db.reading() as conn:
                credentials, source = self.asm.credentials(conn, backend)
            client = self.asm.client(backend, credentials)
            started = time.monotonic()
            try:
                client.list_secrets(MaxResults=1)
            except Exception as exc:  # pylint: disable=broad-except
                raise classify(exc, "ListSecrets", source) from None
            state["connection"]["latency_ms"] = int(round((time.monotonic() - started) * 1000))
        except AsmProblem as problem:
            state.update(status="error", connection={"status": "error", "latency_ms": None},
                         errors=[{"source": "connection", "code": problem.code, "message": problem.message}])
        self._proxy_status[backend.id] = (backend.updated_at, time.monotonic(), copy.deepcopy(state))
        return state

    # -- sync ----------------------------------------------------------------------------------
    def run_sync(self, backend_id, sync_id):
        """One sync run; returns seconds until the next run, or None when the job should end."""
        with self.db.reading() as conn:
            backend = self.store.get(conn, backend_id)
        if backend is None or backend.mode != "sync" or not backend.supported:
            return None
        interval = parse_duration(backend.sync_interval, "sync_interval") if backend.sync_interval else 900
        run = SyncRun(self, backend, sync_id)
        run.execute()
        return interval

    def remove_backend_paths(self, conn, backend):
        """DELETE of a backend: the paths it synced go with it (purged, not soft-deleted)."""
        owned = self.store.owned_paths(conn, backend.id)
        for path in owned:
            self.secret_store.purge(conn, backend.tenant_id, path)
            self.store.disown(conn, backend.tenant_id, path)
        return sorted(owned)


class SyncRun:
    """One run of a sync backend: list, map, read what changed, write, remove, audit."""

    def __init__(self, engine, backend, sync_id):
        self.engine = engine
        self.backend = backend
        self.sync_id = sync_id
        self.errors = []
        self.actor = _SyncActor(backend)
        self.started = time.monotonic()
        self.result = {"created": 0, "updated": 0, "metadata_updated": 0, "unchanged": 0, "removed": 0, "failed": 0}
        self.connection = {"status": "unknown", "latency_ms": None}
        self.api_calls = {}
        self.value_errors = {}
        self.source = None

    def _error(self, source, code, message):
        self.errors.append({"source": source, "code": code, "message": message})

    def _count(self, operation):
        self.api_calls[operation] = self.api_calls.get(operation, 0) + 1

    def execute(self):
        backend = self.backend
        try:
            with self.engine.db.reading() as conn:
                credentials, self.source = self.engine.asm.credentials(conn, backend)
            client = self.engine.asm.client(backend, credentials)
            entries = self._list(client)
        except AsmProblem as problem:
            self.connection = {"status": "error", "latency_ms": self.connection.get("latency_ms")}
            self._error("connection" if problem.kind != "credentials" else "credentials", problem.code, problem.message)
            self._finish(failed=True, targets={}, values={})
            return
        targets = self._map(entries)
        with self.engine.db.reading() as conn:
            owned = self.engine.store.owned_paths(conn, backend.id)
        to_read = [entry for path, entry in targets.items()
                   if not owned.get(path) or owned[path]["version_id"] != _current_version(entry)
                   or owned[path]["arn"] != entry.get("ARN")]
        values = self._read_values(client, to_read)
        self._finish(failed=False, targets=targets, values=values)

    def _list(self, client):
        """Every live (not pending deletion) ASM secret a template may match, 100 per page."""
        prefixes = set()
        for rule in self.backend.rules:
            prefix = rule.literal_prefix()
            if not prefix:
                prefixes = {""}
                break
            prefixes.add(prefix)
        kwargs = {"MaxResults": LIST_PAGE}
        if "" not in prefixes:
            kwargs["Filters"] = [{"Key": "name", "Values": sorted(prefixes)}]
        entries = []
        while True:
            started = time.monotonic()
            try:
                self._count("ListSecrets")
                page = client.list_secrets(**kwargs)
            except Exception as exc:  # pylint: disable=broad-except
                raise classify(exc, "ListSecrets", self.source) from None
            if self.connection["latency_ms"] is None:
                self.connection = {"status": "connected", "latency_ms": int(round((time.monotonic() - started) * 1000))}
            entries.extend(entry for entry in page.get("SecretList", []) if not entry.get("DeletedDate"))
            token = page.get("NextToken")
            if not token:
                return entries
            kwargs["NextToken"] = token

    def _map(self, entries):
        """{path: entry} for the names the mapping serves; bad names and collisions go to errors."""
        rules = self.backend.rules
        by_path = {}
        for entry in entries:
            name = entry["Name"]
            path = None
            for rule in rules:
                path = rule.to_path(name)
                if path is not None:
                    break
            if path is None:
                continue
            problem = _path_problem(path)
            if problem:
                self._error(name, "invalid_path", "ASM secret %s maps to %r, which is not a valid ScaiVault path: %s"
                            % (name, path, problem))
                continue
            by_path.setdefault(path, []).append(entry)
        targets = {}
        for path, found in by_path.items():
            if len(found) > 1:
                names = ", ".join(sorted(entry["Name"] for entry in found))
                for entry in found:
                    self._error(entry["Name"], "path_collision", "ASM secrets %s all map to %s; none of them is synced"
                                % (names, path))
                continue
            targets[path] = found[0]
        return targets

    def _read_values(self, client, entries):
        """{arn: GetSecretValue-shaped dict}; BatchGetSecretValue 20 per call, GetSecretValue when denied."""
        values = {}
        pending = [entry["ARN"] for entry in entries]
        batch_allowed = True
        while pending:
            chunk, pending = pending[:BATCH_GET_MAX], pending[BATCH_GET_MAX:]
            if batch_allowed:
                try:
                    self._count("BatchGetSecretValue")
                    answer = client.batch_get_secret_value(SecretIdList=chunk)
                except Exception as exc:  # pylint: disable=broad-except
                    problem = classify(exc, "BatchGetSecretValue", self.source)
                    if problem.kind != "credentials":
                        for arn in chunk:
                            self._value_error(arn, problem)
                        continue
                    # Denied: the permission is newer than GetSecretValue and often missing.
                    batch_allowed = False
                else:
                    by_id = {}
                    for value in answer.get("SecretValues", []):
                        by_id[value.get("ARN")] = value
                        by_id[value.get("Name")] = value
                    failed = dict((error.get("SecretId"), error) for error in answer.get("Errors", []))
                    for arn in chunk:
                        if arn in by_id:
                            values[arn] = by_id[arn]
                        elif arn in failed:
                            code = failed[arn].get("ErrorCode") or "Error"
                            self._value_error(arn, AsmProblem("not_found" if code in NOT_FOUND_CODES else "error", code,
                                                              re.sub(r"\s+", " ", failed[arn].get("Message") or "").strip()))
                        else:
                            self._get_one(client, arn, values)
                    continue
            for arn in chunk:
                self._get_one(client, arn, values)
        return values

    def _get_one(self, client, arn, values):
        try:
            self._count("GetSecretValue")
            values[arn] = client.get_secret_value(SecretId=arn)
        except Exception as exc:  # pylint: disable=broad-except
            self._value_error(arn, classify(exc, "GetSecretValue", self.source))

    def _value_error(self, arn, problem):
        self.value_errors[arn] = problem

    def _finish(self, failed, targets, values):
        backend = self.backend
        engine = self.engine
        value_errors = self.value_errors
        changed_paths = []
        with engine.db.transaction() as conn:
            if engine.store.get(conn, backend.id) is None:
                return  # deleted (or the server was reset) while this run was reading ASM
            owned = engine.store.owned_paths(conn, backend.id)
            if not failed:
                for path, entry in sorted(list(targets.items())):
                    if entry["ARN"] in value_errors:
                        problem = value_errors[entry["ARN"]]
                        if problem.kind == "not_found":
                            targets.pop(path)  # deleted between list and read: it is gone
                            continue
                        # Keep the last good copy (the path stays in targets) and say why it is stale.
                        self.result["failed"] += 1
                        self._error(entry["Name"], problem.code, problem.message)
                        continue
                    outcome = self._apply(conn, path, entry, values.get(entry["ARN"]), owned.get(path))
                    if outcome in ("created", "updated", "metadata_updated"):
                        changed_paths.append(path)
                for path in sorted(set(owned) - set(targets)):
                    engine.secret_store.purge(conn, backend.tenant_id, path)
                    engine.store.disown(conn, backend.tenant_id, path)
                    self.result["removed"] += 1
                    changed_paths.append(path)
            synced = len(engine.store.owned_paths(conn, backend.id))
            duration = int(round((time.monotonic() - self.started) * 1000))
            if failed:
                status = "error"
            elif self.errors:
                status = "degraded"
            else:
                status = "healthy"
            engine.store.save_status(conn, backend.id, {
                "status": status, "last_sync": iso(utcnow()), "last_sync_duration_ms": duration,
                "last_sync_id": self.sync_id, "last_sync_result": self.result, "secrets_synced": synced,
                "connection": self.connection, "errors": self.errors})
            engine.app.audit.record(conn, self.actor, "federation_sync", None, not failed, {
                "backend_id": backend.id, "backend": backend.name, "sync_id": self.sync_id, "status": status,
                "result": self.result, "errors": len(self.errors), "asm_calls": self.api_calls,
                "changed_paths": changed_paths[:100]})

    def _apply(self, conn, path, entry, value, owned_row):
        """Write, refresh metadata of, or leave one synced path; returns what happened."""
        backend = self.backend
        engine = self.engine
        store = engine.secret_store
        version_id = _current_version(entry)
        head = store.head(conn, backend.tenant_id, path)
        owner = engine.store.owner(conn, backend.tenant_id, path)
        if owner is not None and owner != backend.id:
            self._error(entry["Name"], "path_conflict", "%s is already served by another federation backend" % path)
            return "conflict"
        if owner is None and head is not None:
            self._error(entry["Name"], "path_conflict", "%s already exists as a ScaiVault secret that this backend does not "
                        "own; it is left alone (delete it with permanent=true to let the backend serve it)" % path)
            return "conflict"
        if value is None:
            if owned_row is None:
                return "unchanged"
            recorded_format = (head.metadata.get("source") or {}).get("format") if head else None
            metadata = self._metadata(entry, owned_row["version_id"], recorded_format)
            if head is not None and metadata != head.metadata:
                # Tags, description or transform changed without a new ASM version: no new version either.
                data = store.data(conn, backend.tenant_id, path, head.version)
                store.save(conn, dataclasses.replace(head, metadata=metadata), data)
                self.result["metadata_updated"] += 1
                return "metadata_updated"
            self.result["unchanged"] += 1
            return "unchanged"
        if value.get("SecretString") is None and value.get("SecretBinary") is None:
            self._error(entry["Name"], "no_value", "ASM secret %s has no value in AWSCURRENT" % entry["Name"])
            self.result["failed"] += 1
            return "failed"
        data, secret_type, value_format = encode_value(value.get("SecretString"), value.get("SecretBinary"))
        version_id = value.get("VersionId") or version_id
        metadata = self._metadata(entry, version_id, value_format)
        if head is not None and owned_row is not None and owned_row["version_id"] == version_id:
            self.result["unchanged"] += 1
            return "unchanged"
        now = iso(utcnow())
        base = head or SecretRecord(backend.tenant_id, path, secret_type, 0, created_at=now)
        record = dataclasses.replace(base, version=base.version + 1, secret_type=secret_type, metadata=metadata,
                                     updated_at=now, deleted_at=None)
        store.save(conn, record, data)
        engine.store.own(conn, backend.tenant_id, path, backend.id, entry["Name"], entry["ARN"], version_id)
        outcome = "created" if head is None else "updated"
        self.result[outcome] += 1
        return outcome

    def _metadata(self, entry, version_id, value_format):
        metadata = {"tags": flatten_tags(entry.get("Tags"), self.backend.tag_style),
                    "source": self.engine._source(self.backend, entry["ARN"], entry["Name"], version_id, value_format),
                    "federation": {"backend_id": self.backend.id, "backend": self.backend.name, "mode": "sync"}}
        if entry.get("Description"):
            metadata["description"] = entry["Description"]
        return metadata


def _path_problem(path):
    """Why path is not a valid ScaiVault path (the secrets API's own rules), or None."""
    try:
        check_path(path)
    except ApiError as err:
        return (err.details or {}).get("rule") or err.message
    return None


def _current_version(entry):
    for version_id, stages in (entry.get("SecretVersionsToStages") or {}).items():
        if "AWSCURRENT" in stages:
            return version_id
    return None


# ---------------------------------------------------------------------------------------------
# the interceptor: proxy reads and read-only federated paths
# ---------------------------------------------------------------------------------------------
class FederationInterceptor(PathInterceptor):
    def __init__(self, engine):
        self.engine = engine

    def read(self, request, path, version):
        backend, name = self.engine.backend_for_path(request.tenant_id, path)
        if backend is None or (backend.mode == "sync" and backend.supported):
            return None  # not federated, or a local synced copy served by the secret store
        return self.engine.proxy_read(backend, path, name, version)

    def _read_only(self, request, path, verb):
        backend, _name = self.engine.backend_for_path(request.tenant_id, path)
        if backend is not None:
            raise ApiError(409, "federated_path_read_only",
                           "%s is served by federation backend %s (%s mode) and is read-only: %s a canonical, "
                           "non-federated path instead" % (path, backend.name, backend.mode, verb),
                           {"path": path, "backend_id": backend.id, "backend": backend.name})

    def check_write(self, request, path):
        self._read_only(request, path, "write to")

    def check_delete(self, request, path):
        self._read_only(request, path, "delete")
