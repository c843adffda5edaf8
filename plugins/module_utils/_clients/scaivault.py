# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ScaiVault HTTP client shared by every module and plugin of the collection.

FOR INTERNAL COLLECTION USE ONLY: no API promise, may change in any release.

Every shape of the ScaiVault API that its public documentation leaves open (marked
[assumed] in the project's contract) is decided in THIS file, so that adapting to the
real service is a local change: list envelopes, status codes, the hard-delete flag, the
batch-metadata path. Responses are read tolerantly (unknown fields ignored).

Values: the client moves secret data in request and response bodies, but never puts a
body into an exception, a warning or a log line. Error messages carry the HTTP status,
ScaiVault's error code and message, the request id and the secret path only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import platform
import random
import ssl
import threading
import time

try:
    import httpx
    HAS_HTTPX = True
    HTTPX_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by the sanity import test
    httpx = None
    HAS_HTTPX = False
    HTTPX_IMPORT_ERROR = exc

from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import (
    ScaiVaultConnectionError, ScaiVaultError, ScaiVaultUnknownOutcome)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.options import (
    SCAIVAULT_CONNECTION, defaults, environment_variables)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.version import COLLECTION_VERSION

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover - Python 2 is not supported, kept for sanity tests
    from urllib import quote  # type: ignore


# ---------------------------------------------------------------------------------------
# [assumed] API shapes, all in one place
# ---------------------------------------------------------------------------------------
API_PREFIX = "/v1"
LIST_ENVELOPE_KEYS = ("secrets", "data", "backends", "logs", "webhooks", "policies", "items")
BATCH_READ_PATH = "/secrets/batch"
BATCH_METADATA_PATH = "/secrets/batch/metadata"
BATCH_MAX_PATHS = 100
HARD_DELETE_PARAM = "permanent"
DEFAULT_SCAIKEY_TOKEN_URL = "https://scaikey.scailabs.ai/oauth/token"

# Connection options and their environment variables come from the option group (_common/options.py):
# explicit values win, then the environment, then the defaults.
ENV_VARS = environment_variables(SCAIVAULT_CONNECTION)
# retry_max_time bounds the total time spent retrying one request; Python callers only (no option yet).
DEFAULT_RETRY_MAX_TIME = 300.0

# Renew a client-credentials token this long before it expires, so a request never
# starts with a token that dies in flight during a long migration.
TOKEN_RENEW_MARGIN_SECONDS = 60

# Rate-limit categories (for pacing and counters), by method and path shape.
_CATEGORY_RULES = (
    ("POST", "/secrets/batch/metadata", "batch_metadata"),
    ("POST", "/secrets/batch", "batch_read"),
    ("GET", "/secrets/", "read"),
    ("GET", "/secrets", "list"),
    ("PUT", "/secrets/", "write"),
    ("DELETE", "/secrets/", "delete"),
    ("*", "/federation/", "federation"),
    ("*", "/rotation/", "rotation"),
    ("*", "/webhooks", "webhook"),
    ("*", "/audit/", "audit"),
    ("*", "/auth/", "auth"),
)

SAFE_METHODS = frozenset(["GET", "HEAD", "OPTIONS"])
RETRY_AFTER_CAP_SECONDS = 120


def endpoint_category(method, api_path):
    """Name the rate-limit category of a request, e.g. ``write`` for a secret PUT."""
    for rule_method, prefix, category in _CATEGORY_RULES:
        if rule_method in ("*", method) and api_path.startswith(prefix):
            return category
    return "other"


def secret_api_path(path):
    """URL path of a secret. Paths are validated before they get here; quote() keeps '/'."""
    return "/secrets/" + quote(path, safe="/")


# ---------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------
def _truthy(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on", "y")


class ConnectionSettings:
    """Resolved connection options. Explicit values win, then the environment."""

    DEFAULTS = dict(defaults(SCAIVAULT_CONNECTION), retry_max_time=DEFAULT_RETRY_MAX_TIME)

    def __init__(self, **options):
        unknown = set(options) - set(self.DEFAULTS)
        if unknown:
            raise ValueError("unknown ScaiVault connection option(s): %s" % ", ".join(sorted(unknown)))
        for name, default in self.DEFAULTS.items():
            setattr(self, name, options.get(name, default))

    @classmethod
    def resolve(cls, options, environ=None):
        """Merge explicit ``options`` (None = unset) with the SCAIVAULT_* environment."""
        environ = os.environ if environ is None else environ
        merged = {}
        for name, default in cls.DEFAULTS.items():
            value = options.get(name)
            if value is None:
                for var in ENV_VARS.get(name, ()):
                    if environ.get(var) not in (None, ""):
                        value = environ[var]
                        break
            merged[name] = default if value is None else value
        merged["validate_certs"] = _truthy(merged["validate_certs"])
        merged["timeout"] = float(merged["timeout"])
        merged["retries"] = int(merged["retries"])
        merged["retry_max_time"] = float(merged["retry_max_time"])
        if isinstance(merged["scopes"], str):
            merged["scopes"] = merged["scopes"].split()
        return cls(**merged)

    def problems(self):
        """Configuration errors a person can fix, before any request is made."""
        found = []
        if not self.url:
            found.append("no ScaiVault URL: set the url option or SCAIVAULT_URL")
        elif not str(self.url).startswith(("http://", "https://")):
            found.append("ScaiVault URL %r must start with https:// (or http:// for a local dev server)" % self.url)
        if not self.token and not (self.client_id and self.client_secret):
            found.append("no credentials: set token (or SCAIVAULT_TOKEN), or client_id and client_secret "
                         "(or SCAIVAULT_CLIENT_ID / SCAIVAULT_CLIENT_SECRET)")
        if self.token and (self.client_id or self.client_secret) and not (self.client_id and self.client_secret):
            found.append("client_id and client_secret go together")
        if self.ca_path and not os.path.exists(str(self.ca_path)):
            found.append("ca_path %s does not exist" % self.ca_path)
        if self.retries < 0:
            found.append("retries must be 0 or more")
        return found


def user_agent():
    """Names the collection and its version, so ScaiVault's audit shows who wrote what."""
    try:
        from ansible.module_utils.ansible_release import __version__ as ansible_version
    except ImportError:  # pragma: no cover
        ansible_version = "unknown"
    return "scailabs.scaivault/%s ansible-core/%s python/%s httpx/%s" % (
        COLLECTION_VERSION, ansible_version, platform.python_version(),
        getattr(httpx, "__version__", "unknown"))


# ---------------------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------------------
class TokenSource:
    """Hands out a bearer token: a static one, or client-credentials tokens renewed early."""

    def __init__(self, settings, http, clock=time.time):
        self._settings = settings
        self._http = http
        self._clock = clock
        self._lock = threading.Lock()
        self._token = settings.token if not settings.client_id else None
        self._expires_at = None
        self.renewals = 0

    @property
    def renewable(self):
        return bool(self._settings.client_id and self._settings.client_secret)

    def token(self, force_renew=False):
        if not self.renewable:
            return self._token
        with self._lock:
            due = self._expires_at is None or self._clock() >= self._expires_at - TOKEN_RENEW_MARGIN_SECONDS
            if self._token is None or due or force_renew:
                self._fetch()
            return self._token

    def _token_url(self):
        if self._settings.token_url:
            return self._settings.token_url
        return DEFAULT_SCAIKEY_TOKEN_URL

    def _fetch(self):
        form = {"grant_type": "client_credentials", "client_id": self._settings.client_id,
                "client_secret": self._settings.client_secret}
        if self._settings.scopes:
            form["scope"] = " ".join(self._settings.scopes)
        url = self._token_url()
        try:
            response = self._http.post(url, data=form, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise ScaiVaultConnectionError("cannot reach the token endpoint %s: %s" % (url, type(exc).__name__),
                                           code="connection_error")
        if response.status_code != 200:
            code = "token_invalid"
            try:
                code = response.json().get("error") or code
            except ValueError:
                pass
            raise ScaiVaultError("the token endpoint %s refused client %s (%s)" % (url, self._settings.client_id, code),
                                 status=response.status_code, code="token_invalid")
        try:
            body = response.json()
            self._token = body["access_token"]
        except (ValueError, KeyError, TypeError):
            raise ScaiVaultError("the token endpoint %s answered without an access_token" % url,
                                 status=response.status_code, code="token_invalid")
        self._expires_at = self._clock() + float(body.get("expires_in") or 3600)
        self.renewals += 1


# ---------------------------------------------------------------------------------------
# Responses and rate-limit state
# ---------------------------------------------------------------------------------------
class Response:
    """The parts of an HTTP answer the collection uses."""

    def __init__(self, status, body, headers):
        self.status = status
        self.body = body
        self.headers = headers


class RateLimitState:
    """Last X-RateLimit-* figures seen per category, for client-side pacing."""

    def __init__(self):
        self._lock = threading.Lock()
        self._state = {}

    def update(self, category, headers):
        try:
            limit = int(headers["x-ratelimit-limit"])
            remaining = int(headers["x-ratelimit-remaining"])
            reset = float(headers["x-ratelimit-reset"])
        except (KeyError, ValueError, TypeError):
            return
        with self._lock:
            self._state[category] = (limit, remaining, reset, time.time())

    def get(self, category):
        with self._lock:
            return self._state.get(category)


class CallCounter:
    """Counts requests per (method, category) and retries, for `api_calls` results."""

    def __init__(self):
        self._lock = threading.Lock()
        self.calls = {}
        self.retries = 0
        self.status_429 = 0

    def add(self, key, status=None):
        with self._lock:
            self.calls[key] = self.calls.get(key, 0) + 1
            if status == 429:
                self.status_429 += 1

    def add_retry(self):
        with self._lock:
            self.retries += 1

    def snapshot(self):
        with self._lock:
            result = dict(self.calls)
            result["total"] = sum(self.calls.values())
            result["retries"] = self.retries
            result["rate_limited"] = self.status_429
            return result


# ---------------------------------------------------------------------------------------
# The client
# ---------------------------------------------------------------------------------------
_NOT_SENT_ERRORS = ()
_MAYBE_SENT_ERRORS = ()
if HAS_HTTPX:
    # Raised before the request left this process: retrying can never duplicate a write.
    _NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
    # The request may have reached the server: a write's outcome is unknown.
    _MAYBE_SENT_ERRORS = (httpx.ReadTimeout, httpx.WriteTimeout, httpx.ReadError, httpx.WriteError,
                          httpx.RemoteProtocolError)


class ScaiVaultClient:
    """One connection pool per module run, thread-safe for the migration's worker pool."""

    def __init__(self, settings, warn=None, sleep=time.sleep, transport=None, rng=None):
        if not HAS_HTTPX:
            raise ScaiVaultError("the httpx Python library is required on the host running this module "
                                 "(pip install httpx)", code="missing_library")
        self.settings = settings
        self._warn = warn or (lambda message: None)
        self._sleep = sleep
        self._rng = rng or random.Random()
        verify = settings.validate_certs
        if verify and settings.ca_path:
            # httpx wants an SSL context for a private CA (a path string is deprecated).
            try:
                verify = ssl.create_default_context(cafile=str(settings.ca_path))
            except (ssl.SSLError, OSError) as exc:
                raise ScaiVaultError("ca_path %s is not a readable PEM CA bundle (%s)" % (settings.ca_path, type(exc).__name__),
                                     code="tls_error")
        headers = {"User-Agent": user_agent(), "Accept": "application/json"}
        if settings.tenant_id:
            headers["X-Tenant-ID"] = str(settings.tenant_id)
        client_args = dict(base_url=str(settings.url).rstrip("/") + API_PREFIX, headers=headers,
                           verify=verify, timeout=settings.timeout,
                           limits=httpx.Limits(max_connections=32, max_keepalive_connections=32))
        if transport is not None:
            client_args["transport"] = transport
        self._http = httpx.Client(**client_args)
        token_http_args = dict(verify=verify, timeout=settings.timeout, headers={"User-Agent": user_agent()})
        if transport is not None:
            token_http_args["transport"] = transport
        self._token_http = httpx.Client(**token_http_args) if settings.client_id else None
        self.tokens = TokenSource(settings, self._token_http)
        self.rate_limits = RateLimitState()
        self.counter = CallCounter()

    def close(self):
        self._http.close()
        if self._token_http is not None:
            self._token_http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- transport with retries -------------------------------------------------------
    def request(self, method, api_path, json_body=None, params=None, idempotent=None, secret_path=None):
        """Send one API request with bounded, jittered retries.

        ``idempotent`` says whether resending cannot change the outcome (defaults to True for
        GET). For a non-idempotent request, only failures that prove the server did not
        act (connect errors, 429, 503) are retried; anything else after sending raises
        ScaiVaultUnknownOutcome.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in SAFE_METHODS
        category = endpoint_category(method, api_path)
        attempts = self.settings.retries + 1
        deadline = time.time() + self.settings.retry_max_time
        renewed_after_401 = False
        attempt = 0
        while True:
            attempt += 1
            token = self.tokens.token()
            headers = {"Authorization": "Bearer %s" % token} if token else {}
            try:
                raw = self._http.request(method, api_path, json=json_body, params=params, headers=headers)
            except _NOT_SENT_ERRORS as exc:
                error = self._transport_error(exc, method, api_path, secret_path, sent=False)
                if self._retry(attempt, attempts, deadline, error, None):
                    continue
                raise error
            except _MAYBE_SENT_ERRORS as exc:
                self.counter.add("%s %s" % (method, category))  # it was sent: it counts, answer or not
                error = self._transport_error(exc, method, api_path, secret_path, sent=True, idempotent=idempotent)
                if idempotent and self._retry(attempt, attempts, deadline, error, None):
                    continue
                raise error
            except httpx.HTTPError as exc:
                raise self._transport_error(exc, method, api_path, secret_path, sent=True, idempotent=idempotent)

            self.counter.add("%s %s" % (method, category), raw.status_code)
            self.rate_limits.update(category, raw.headers)
            if raw.status_code < 400:
                return Response(raw.status_code, _json_or_none(raw), raw.headers)

            error = self._http_error(raw, method, api_path, secret_path)
            if error.status == 401 and error.code == "token_expired" and self.tokens.renewable and not renewed_after_401:
                # A token can expire between our renewal check and the server's: renew once.
                renewed_after_401 = True
                self.tokens.token(force_renew=True)
                continue
            if self._retryable_status(error, idempotent):
                if self._retry(attempt, attempts, deadline, error, raw.headers.get("retry-after")):
                    continue
                raise error
            if not idempotent and error.status in (500, 502, 504):
                # A gateway or server failure after a write was sent: it may have been applied.
                raise ScaiVaultUnknownOutcome(
                    "%s %s: the server answered %s after the write was sent; its outcome is unknown "
                    "(re-read before writing again)" % (method, secret_path or api_path, error.status),
                    status=error.status, code="unknown_outcome", request_id=error.request_id,
                    path=secret_path, method=method)
            raise error

    @staticmethod
    def _retryable_status(error, idempotent):
        if error.status in (429, 503):
            return True  # the server refused before acting: safe for any method
        if idempotent and error.status in (500, 502, 504):
            return True
        return False

    def _retry(self, attempt, attempts, deadline, error, retry_after):
        """Sleep before the next attempt and say so; False when out of attempts or time."""
        if attempt >= attempts:
            return False
        delay = None
        if retry_after is not None:
            try:
                delay = min(float(retry_after), RETRY_AFTER_CAP_SECONDS)
            except ValueError:
                delay = None
        if delay is None:
            # Full jitter: spreads concurrent workers so they do not retry in lock-step.
            delay = self._rng.uniform(0, min(30.0, 0.5 * (2 ** (attempt - 1))))
        if time.time() + delay > deadline:
            return False
        self.counter.add_retry()
        self._warn("ScaiVault %s %s: %s; retrying in %.1fs (attempt %d of %d)" % (
            error.method or "", error.path or "", _short(error), delay, attempt + 1, attempts))
        self._sleep(delay)
        return True

    def _transport_error(self, exc, method, api_path, secret_path, sent, idempotent=True):
        where = secret_path or api_path
        name = type(exc).__name__
        if not sent:
            text = str(exc)
            if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text.lower():
                return ScaiVaultConnectionError(
                    "TLS certificate of %s could not be verified" % self.settings.url, code="tls_error",
                    path=secret_path, method=method)
            return ScaiVaultConnectionError("cannot connect to ScaiVault at %s (%s)" % (self.settings.url, name),
                                            code="connection_error", path=secret_path, method=method)
        if not idempotent:
            return ScaiVaultUnknownOutcome(
                "%s %s: the connection failed after the request was sent (%s); its outcome is unknown "
                "(re-read before writing again)" % (method, where, name),
                code="unknown_outcome", path=secret_path, method=method)
        return ScaiVaultConnectionError("%s %s: connection failed (%s)" % (method, where, name),
                                        code="connection_error", path=secret_path, method=method)

    @staticmethod
    def _http_error(raw, method, api_path, secret_path):
        body = _json_or_none(raw)
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            error = {}
        details = error.get("details") if isinstance(error.get("details"), dict) else {}
        code = error.get("code") or _default_code(raw.status_code)
        message = error.get("message") or raw.reason_phrase or "HTTP %s" % raw.status_code
        request_id = error.get("request_id") or raw.headers.get("x-request-id")
        required_scope = details.get("required_scope")
        return ScaiVaultError(message, status=raw.status_code, code=code, request_id=request_id,
                              path=secret_path or api_path, method=method, details=details,
                              required_scope=required_scope)

    # -- secrets ----------------------------------------------------------------------
    def get_secret(self, path, version=None):
        """The secret object (with data), or None when the path (or version) does not exist."""
        params = {"version": int(version)} if version is not None else None
        try:
            return self.request("GET", secret_api_path(path), params=params, secret_path=path).body
        except ScaiVaultError as exc:
            if exc.not_found:
                return None
            raise

    def put_secret(self, path, data, secret_type=None, metadata=None, options=None):
        """Write a new version. Raises ScaiVaultUnknownOutcome instead of ever re-sending."""
        body = {"data": data}
        if secret_type is not None:
            body["secret_type"] = secret_type
        if metadata is not None:
            body["metadata"] = metadata
        if options:
            body["options"] = options
        return self.request("PUT", secret_api_path(path), json_body=body, idempotent=False,
                            secret_path=path).body or {}

    def delete_secret(self, path, permanent=False):
        """Delete; True when deleted, False when there was nothing to delete."""
        params = {HARD_DELETE_PARAM: "true"} if permanent else None
        try:
            self.request("DELETE", secret_api_path(path), params=params, idempotent=False, secret_path=path)
        except ScaiVaultError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def batch_read(self, paths, version=None, include_metadata=True):
        """Read many secrets in chunks of 100: ({path: object}, {path: {code, message}})."""
        options = {"include_metadata": include_metadata, "fail_fast": False}
        if version is not None:
            options["version"] = version
        return self._batch(BATCH_READ_PATH, paths, options)

    def batch_metadata(self, paths):
        """Metadata of many secrets (no values; audited as list, not read), chunks of 100."""
        return self._batch(BATCH_METADATA_PATH, paths, {"expand_wildcards": False})

    def _batch(self, api_path, paths, options):
        found, errors = {}, {}
        paths = list(paths)
        for start in range(0, len(paths), BATCH_MAX_PATHS):
            chunk = paths[start:start + BATCH_MAX_PATHS]
            body = self.request("POST", api_path, json_body={"paths": chunk, "options": options},
                                idempotent=True).body or {}
            found.update(body.get("secrets") or {})
            errors.update(body.get("errors") or {})
        return found, errors

    def list_secrets(self, prefix=None, limit=1000):
        """Every secret (metadata only) under ``prefix``, following the cursor."""
        params = {"limit": limit}
        if prefix:
            params["prefix"] = prefix
        return self.paginate("/secrets", params)

    def paginate(self, api_path, params=None):
        """Yield the items of a cursor-paginated list endpoint, page after page."""
        params = dict(params or {})
        while True:
            body = self.request("GET", api_path, params=params).body or {}
            yield from list_items(body)
            cursor = body.get("cursor") or body.get("next_cursor")
            if not cursor or body.get("has_more") is False:
                return
            params["cursor"] = cursor

    def whoami(self):
        return self.request("GET", "/auth/whoami").body or {}

    # -- federation -------------------------------------------------------------------
    def list_backends(self):
        return list(self.paginate("/federation/backends"))

    def find_backend(self, name):
        for backend in self.list_backends():
            if backend.get("name") == name:
                return backend
        return None

    def create_backend(self, spec):
        return self.request("POST", "/federation/backends", json_body=spec, idempotent=False).body or {}

    def update_backend(self, backend_id, changes):
        # PATCH replaces the named fields with the given values: resending it is harmless.
        return self.request("PATCH", "/federation/backends/%s" % quote(backend_id, safe=""),
                            json_body=changes, idempotent=True).body or {}

    def delete_backend(self, backend_id):
        try:
            self.request("DELETE", "/federation/backends/%s" % quote(backend_id, safe=""), idempotent=True)
        except ScaiVaultError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def backend_status(self, backend_id):
        return self.request("GET", "/federation/backends/%s/status" % quote(backend_id, safe="")).body or {}

    def sync_backend(self, backend_id):
        # Triggering a sync twice only syncs twice: safe to resend.
        return self.request("POST", "/federation/backends/%s/sync" % quote(backend_id, safe=""),
                            json_body={}, idempotent=True).body or {}

    # -- audit ------------------------------------------------------------------------
    def audit_logs(self, **filters):
        params = dict((key, value) for key, value in filters.items() if value is not None)
        params.setdefault("limit", 1000)
        return self.paginate("/audit/logs", params)


# Batch answers carry per-path errors without an HTTP status; give the usual one back for messages.
BATCH_ERROR_STATUS = {"insufficient_scope": 403, "access_denied": 403, "invalid_path": 400,
                      "backend_unavailable": 502}


def batch_path_error(path, error):
    """A per-path error of a batch answer ({code, message}) as a ScaiVaultError (for fail_from)."""
    code = error.get("code")
    return ScaiVaultError(error.get("message") or "refused by the batch endpoint", status=BATCH_ERROR_STATUS.get(code),
                          code=code, path=path)


def list_items(body):
    """The items of a list answer, whatever the envelope key ([assumed], read tolerantly)."""
    if isinstance(body, list):
        return body
    if not isinstance(body, dict):
        return []
    for key in LIST_ENVELOPE_KEYS:
        if isinstance(body.get(key), list):
            return body[key]
    return []


def _json_or_none(raw):
    if not raw.content:
        return None
    try:
        return raw.json()
    except ValueError:
        return None


def _default_code(status):
    return {400: "bad_request", 401: "token_invalid", 403: "access_denied", 404: "not_found",
            409: "conflict", 413: "secret_too_large", 429: "rate_limited", 500: "internal_error",
            502: "bad_gateway", 503: "service_unavailable", 504: "gateway_timeout"}.get(status, "http_%s" % status)


def _short(error):
    if error.status:
        return "%s %s" % (error.status, error.code)
    return error.code or "error"
