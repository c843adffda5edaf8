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

import ipaddress
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

from ansible_collections.scailabs.scaivault.plugins.module_utils._clients.pacing import READ_CATEGORIES, ReadPacing, read_costs
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.encoding import values_equal
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.errors import (
    ScaiVaultConnectionError, ScaiVaultContractError, ScaiVaultError, ScaiVaultUnknownOutcome)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.options import (
    SCAIVAULT_CONNECTION, defaults, environment_variables)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.untrusted import (
    WITHHELD, field_names, safe_token, sent_strings, server_text)
from ansible_collections.scailabs.scaivault.plugins.module_utils._common.version import COLLECTION_VERSION

try:
    from urllib.parse import parse_qs, quote, urlsplit
except ImportError:  # pragma: no cover - Python 2 is not supported, kept for sanity tests
    from urllib import quote  # type: ignore
    from urlparse import parse_qs, urlsplit  # type: ignore


# ---------------------------------------------------------------------------------------
# [assumed] API shapes, all in one place. Each one is read tolerantly below, and where the
# tenant differs the client falls back once per process (warning: endpoint, fallback, cost).
# docs/scaivault-contract.md lists every item with its trigger, fallback and cost.
# ---------------------------------------------------------------------------------------
API_PREFIX = "/v1"
# List answers: the items under one of these keys (secrets: our reading and the CLI; data: the JS
# SDK, rotation policies), the next page's cursor under one of LIST_CURSOR_KEYS, has_more optional.
LIST_ENVELOPE_KEYS = ("secrets", "data", "backends", "logs", "webhooks", "policies", "items", "deliveries")
LIST_CURSOR_KEYS = ("cursor", "next_cursor", "next")
# The largest page asked for first; a tenant that refuses it (validation error naming limit) gets
# LIST_FALLBACK_LIMIT, the documented default, for the rest of the process.
LIST_FALLBACK_LIMIT = 100
BATCH_READ_PATH = "/secrets/batch"
BATCH_METADATA_PATH = "/secrets/batch/metadata"   # path assumed; fallback: BATCH_READ_PATH, values dropped
BATCH_MAX_PATHS = 100
# Hard delete: DELETE /v1/secrets/{path}?<param>=true, tried in this order (SDKs: permanent, CLI: --hard).
HARD_DELETE_PARAMS = ("permanent", "hard")
HARD_DELETE_PARAM = HARD_DELETE_PARAMS[0]
# Metadata-only update (the SDKs' update_metadata): (method, suffix after /v1/secrets/{path}), probed
# in order with the body {"metadata": {...}}; none = every metadata change writes a new version.
METADATA_ROUTES = (("PATCH", ""), ("PATCH", "/metadata"), ("PUT", "/metadata"))
METADATA_UPDATE_BODY_KEY = "metadata"
# Validation errors: 422 (the error catalog, reference/error-codes) or 400 (an older reading), code validation_error.
VALIDATION_STATUSES = (400, 422)
# "No such route" as a server says it; a 404 is told apart from "no such secret" by its code.
ROUTE_MISSING_STATUSES = (404, 405, 501)
MISSING_SECRET_CODES = ("secret_not_found", "version_not_found")
# A 404 that is about the request's tenant or resource, never about the route.
NOT_ROUTE_CODES = ("tenant_not_found", "backend_not_found", "rotation_policy_not_found", "webhook_not_found")
# Federation: create answers 201 or 200, sync 202 or 200 ({sync_id} or {id}); status values in any case.
FEDERATION_STATUS_VALUES = ("pending", "healthy", "degraded", "error")
SYNC_ID_KEYS = ("sync_id", "id")
# Rotation assignments (GET /v1/rotation/policies/{id}/secrets): items {secret_path} or {path} or strings.
ASSIGNMENT_PATH_KEYS = ("secret_path", "path")
# 403 insufficient_scope names the scope in details.required_scope; without it, the scope the docs give
# for the endpoint's category is named instead.
SCOPE_BY_CATEGORY = {"read": "secrets:read", "batch_read": "secrets:read", "batch_metadata": "secrets:list",
                     "list": "secrets:list", "write": "secrets:write", "delete": "secrets:delete",
                     "rotation": "admin", "webhook": "admin", "audit": "audit:read"}
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
    ("PATCH", "/secrets/", "write"),
    ("DELETE", "/secrets/", "delete"),
    ("*", "/federation/", "federation"),
    ("*", "/rotation/", "rotation"),
    ("*", "/webhooks", "webhook"),
    ("*", "/audit/", "audit"),
    ("*", "/auth/", "auth"),
)

SAFE_METHODS = frozenset(["GET", "HEAD", "OPTIONS"])
RETRY_AFTER_CAP_SECONDS = 120
# [doc] core-concepts/errors: internal_error is retried once (with backoff), then escalated, whatever `retries` says.
INTERNAL_ERROR_RETRIES = 1


def endpoint_category(method, api_path):
    """Name the rate-limit category of a request, e.g. ``write`` for a secret PUT."""
    for rule_method, prefix, category in _CATEGORY_RULES:
        if rule_method in ("*", method) and api_path.startswith(prefix):
            return category
    return "other"


def required_scope_for(method, api_path):
    """The scope the docs give for a request (for a 403 that does not name it), or None."""
    category = endpoint_category(method, api_path)
    if category == "federation":
        return "federation:read" if method in SAFE_METHODS else "federation:write"
    if category == "auth" and api_path.startswith("/auth/introspect"):
        return "admin"
    return SCOPE_BY_CATEGORY.get(category)


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
        merged["allow_insecure_http"] = _truthy(merged["allow_insecure_http"])
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
        for option, url in (("url", self.url), ("token_url", self.token_url)):
            if url and _plain_http_off_loopback(url) and not self.allow_insecure_http:
                found.append("%s %s is plain http:// on a host that is not loopback: the %s would cross the network "
                             "in clear. Use https://, or set allow_insecure_http=true (SCAIVAULT_ALLOW_INSECURE_HTTP) "
                             "for a network you trust" % (option, url, "bearer token and secret values"
                                                          if option == "url" else "client secret"))
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


def _plain_http_off_loopback(url):
    """Whether url is http:// to a host other than loopback (127.0.0.0/8, ::1, localhost)."""
    parsed = urlsplit(str(url))
    if parsed.scheme.lower() != "http":
        return False
    host = (parsed.hostname or "").lower()
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def insecure_http_warnings(settings):
    """One warning per plain-http endpoint the user allowed off loopback."""
    return ["%s %s is plain http:// off loopback (allow_insecure_http=true): credentials and values cross the "
            "network in clear" % (option, url)
            for option, url in (("url", settings.url), ("token_url", settings.token_url))
            if url and settings.allow_insecure_http and _plain_http_off_loopback(url)]


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
                # The request carried the client secret: only a token-shaped error code is shown.
                code = safe_token(response.json().get("error")) or code
            except (ValueError, AttributeError):
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

    def __init__(self, wall=time.time):
        """``wall``: the clock that stamps when figures were seen (X-RateLimit-Reset is read against it)."""
        self._lock = threading.Lock()
        self._state = {}
        self._wall = wall

    def update(self, category, headers):
        try:
            limit = int(headers["x-ratelimit-limit"])
            remaining = int(headers["x-ratelimit-remaining"])
            reset = float(headers["x-ratelimit-reset"])
        except (KeyError, ValueError, TypeError):
            return
        with self._lock:
            self._state[category] = (limit, remaining, reset, self._wall())

    def get(self, category):
        with self._lock:
            return self._state.get(category)

    def snapshot(self):
        """{category: {limit, remaining, reset}} as last seen."""
        with self._lock:
            return dict((category, {"limit": limit, "remaining": remaining, "reset": reset})
                        for category, (limit, remaining, reset, _seen) in self._state.items())


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
# What a process learns about a tenant's API (the [assumed] shapes), shared by its clients
# ---------------------------------------------------------------------------------------
class Discoveries:
    """Choices made for one tenant on first use (e.g. batch_metadata -> batch_read) and shapes seen.

    Shared by every client of the same URL and tenant in a process (a module run, or the controller
    running lookups), so a fallback is discovered, and warned about, once per process.
    """

    def __init__(self):
        self.lock = threading.RLock()
        self._choices = {}
        self._fallbacks = {}
        self._seen = {}

    def choice(self, item):
        with self.lock:
            return self._choices.get(item)

    def learn(self, item, choice, is_fallback=False):
        """Remember a choice; True the first time an item falls back (the caller warns then)."""
        with self.lock:
            self._choices[item] = choice
            if not is_fallback:
                return False
            first = item not in self._fallbacks
            self._fallbacks[item] = choice
            return first

    def see(self, item, shape):
        with self.lock:
            self._seen[item] = shape

    def fallbacks(self):
        with self.lock:
            return [{"item": item, "choice": choice} for item, choice in sorted(self._fallbacks.items())]

    def snapshot(self):
        with self.lock:
            return {"choices": dict(self._choices), "seen": dict(self._seen), "fallbacks": sorted(self._fallbacks)}


_DISCOVERIES = {}
_DISCOVERIES_LOCK = threading.Lock()


def discoveries_for(settings):
    """The process-wide Discoveries of the tenant these settings talk to."""
    key = (str(settings.url or "").rstrip("/"), settings.tenant_id or None)
    with _DISCOVERIES_LOCK:
        if key not in _DISCOVERIES:
            _DISCOVERIES[key] = Discoveries()
        return _DISCOVERIES[key]


def forget_discoveries():
    """Start over (tests): the next request of every client discovers again."""
    with _DISCOVERIES_LOCK:
        _DISCOVERIES.clear()


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

    def __init__(self, settings, warn=None, sleep=time.sleep, transport=None, rng=None, discoveries=None):
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
        self.read_pacing = ReadPacing(self.rate_limits)
        self.counter = CallCounter()
        self.discoveries = discoveries if discoveries is not None else discoveries_for(settings)

    def close(self):
        self._http.close()
        if self._token_http is not None:
            self._token_http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- transport with retries -------------------------------------------------------
    def request(self, method, api_path, json_body=None, params=None, idempotent=None, secret_path=None,
                answer_holds_values=False):
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
        costs = self._read_costs(category, json_body)
        sent = sent_strings(json_body) if json_body is not None else []
        attempts = self.settings.retries + 1
        deadline = time.time() + self.settings.retry_max_time
        renewed_after_401 = False
        internal_errors = 0
        attempt = 0
        while True:
            attempt += 1
            token = self.tokens.token()
            headers = {"Authorization": "Bearer %s" % token} if token else {}
            try:
                raw = self._send(method, api_path, json_body, params, headers, category, costs)
            except _NOT_SENT_ERRORS as exc:
                error = self._transport_error(exc, method, api_path, secret_path, sent=False)
                if self._retry(attempt, attempts, deadline, error, None, secret_path or api_path):
                    continue
                raise error
            except _MAYBE_SENT_ERRORS as exc:
                self.counter.add("%s %s" % (method, category))  # it was sent: it counts, answer or not
                error = self._transport_error(exc, method, api_path, secret_path, sent=True, idempotent=idempotent)
                if idempotent and self._retry(attempt, attempts, deadline, error, None, secret_path or api_path):
                    continue
                raise error
            except httpx.HTTPError as exc:
                raise self._transport_error(exc, method, api_path, secret_path, sent=True, idempotent=idempotent)

            self.counter.add("%s %s" % (method, category), raw.status_code)
            if raw.status_code < 400:
                return Response(raw.status_code, _json_or_none(raw), raw.headers)

            # The bearer token is sent too: a server that echoes headers must not show it.
            error = self._http_error(raw, method, api_path, secret_path, sent + ([token] if token else []),
                                     answer_holds_values)
            error.tenant_id = self.settings.tenant_id or None
            if error.status == 401 and error.code == "token_expired" and self.tokens.renewable and not renewed_after_401:
                # A token can expire between our renewal check and the server's: renew once.
                renewed_after_401 = True
                self.tokens.token(force_renew=True)
                continue
            if self._retryable_status(error, idempotent):
                if error.status == 500 or error.code == "internal_error":
                    internal_errors += 1
                    if internal_errors > INTERNAL_ERROR_RETRIES:
                        raise error
                if self._retry(attempt, attempts, deadline, error, raw.headers.get("retry-after"), secret_path or api_path):
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

    def _send(self, method, api_path, json_body, params, headers, category, costs):
        """One attempt: paced when it is a read (costs), its X-RateLimit-* figures noted before the pacer learns them."""
        if costs:
            self.read_pacing.acquire(costs)
        try:
            raw = self._http.request(method, api_path, json=json_body, params=params, headers=headers)
            self.rate_limits.update(category, raw.headers)
            return raw
        finally:
            if costs:
                self.read_pacing.release(costs)

    @staticmethod
    def _read_costs(category, json_body):
        """What a read costs in rate-limit units (a batch read: 1 batch_read + 1 read per path), or None."""
        if category not in READ_CATEGORIES:
            return None
        paths = json_body.get("paths") if isinstance(json_body, dict) else None
        return read_costs(category, len(set(paths)) if isinstance(paths, list) else 0)

    @staticmethod
    def _retryable_status(error, idempotent):
        if error.status in (429, 503):
            return True  # the server refused before acting: safe for any method
        if idempotent and error.status in (500, 502, 504):
            return True
        return False

    def _retry(self, attempt, attempts, deadline, error, retry_after, where):
        """Sleep before the next attempt and say so (``where``: the secret, or the endpoint of a call that names
        none); False when out of attempts or time."""
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
            error.method or "", where, _short(error), delay, attempt + 1, attempts))
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
    def _http_error(raw, method, api_path, secret_path, sent=(), answer_holds_values=False):
        """The error of an answer, keeping only what cannot echo a value (see _common/untrusted.py).

        Code, request id and scope are kept when they are shaped like tokens; of the details only
        the field names; the free-text message only when it holds nothing that was ``sent`` - and
        never for a read whose answer holds values (GET of a secret, batch read): what such an
        error could echo is unknown to the client, so nothing can prove it clean.
        """
        body = _json_or_none(raw)
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            error = {}
        details = error.get("details") if isinstance(error.get("details"), dict) else {}
        code = safe_token(error.get("code")) or _default_code(raw.status_code)
        message = None if answer_holds_values else server_text(error.get("message"), sent)
        if message is None:
            message = WITHHELD if error.get("message") else (raw.reason_phrase or "HTTP %s" % raw.status_code)
        fields = field_names(details)
        if fields:
            message += " (fields: %s)" % ", ".join(fields)
        request_id = safe_token(error.get("request_id")) or safe_token(raw.headers.get("x-request-id"))
        required_scope = safe_token(details.get("required_scope"))
        if not required_scope and code == "insufficient_scope":
            # [assumed] details.required_scope: a tenant that does not name it gets the docs' scope named.
            required_scope = required_scope_for(method, api_path)
        kept = {"fields": fields} if fields else {}
        if required_scope:
            kept["required_scope"] = required_scope
        return ScaiVaultError(message, status=raw.status_code, code=code, request_id=request_id,
                              path=secret_path or api_path, method=method, details=kept,
                              required_scope=required_scope)

    # -- what this process learnt about the tenant -------------------------------------
    def _choice(self, item):
        return self.discoveries.choice(item)

    def _learn(self, item, choice, fallback=None, cost=None, trigger=None):
        """Remember a choice for the process; a fallback is warned once: endpoint, fallback, cost."""
        first = self.discoveries.learn(item, choice, fallback is not None)
        if first and fallback is not None:
            self._warn("ScaiVault %s (%s): %s for the rest of this run; cost: %s. See docs/scaivault-contract.md "
                       "(run the scailabs.scaivault.preflight playbook to check a tenant before migrating)"
                       % (trigger, item, fallback, cost))

    def _saw(self, item, shape):
        self.discoveries.see(item, shape)

    def capabilities(self):
        """{item: choice or shape seen} for what this process learnt about the tenant (no values)."""
        return self.discoveries.snapshot()

    def fallbacks(self):
        """The fallbacks this process switched to, [{item, choice}] (empty when the tenant matched our reading)."""
        return self.discoveries.fallbacks()

    def _api_reachable(self):
        """One probe on a route known to exist (GET /v1/auth/whoami), remembered: tells "no such route"
        from "no such secret" when a 404 is ambiguous. False when that route is missing too."""
        known = self._choice("api_routes")
        if known is not None:
            return known == "present"
        try:
            self.request("GET", "/auth/whoami")
            present = True
        except ScaiVaultError as exc:
            present = not (exc.status in ROUTE_MISSING_STATUSES and exc.code not in NOT_ROUTE_CODES)
        self._learn("api_routes", "present" if present else "missing")
        return present

    def _route_missing(self, exc):
        """Whether a failed request says "the tenant has no such route" (not "no such secret or tenant")."""
        if not isinstance(exc, ScaiVaultError) or isinstance(exc, ScaiVaultConnectionError):
            return False
        return exc.status in ROUTE_MISSING_STATUSES and exc.code not in NOT_ROUTE_CODES

    # -- secrets ----------------------------------------------------------------------
    def get_secret(self, path, version=None):
        """The secret object (with data), or None when the path (or version) does not exist."""
        params = {"version": int(version)} if version is not None else None
        try:
            return self.request("GET", secret_api_path(path), params=params, secret_path=path,
                                answer_holds_values=True).body
        except ScaiVaultError as exc:
            if exc.status == 404 and exc.code in MISSING_SECRET_CODES:
                return None
            if exc.status == 404 and exc.code not in NOT_ROUTE_CODES:
                # A 404 without a secret code ("not_found", a proxy's page): missing secret or wrong URL?
                if self._api_reachable():
                    return None
                raise contract_error("GET", secret_api_path(path), exc, "every API path is under %s/v1/ (GET "
                                     "/v1/auth/whoami answered 404 too: url does not point at ScaiVault's API)"
                                     % self.settings.url, path=path)
            raise

    def put_secret(self, path, data, secret_type=None, metadata=None, options=None):
        """Write a new version. Raises ScaiVaultUnknownOutcome instead of ever re-sending.

        The answer may be 200 or 201, with or without a body, with or without ``data``: what comes
        back is the object without ``data`` ({} when there was none); data is never kept.
        """
        body = {"data": data}
        if secret_type is not None:
            body["secret_type"] = secret_type
        if metadata is not None:
            body["metadata"] = metadata
        if options:
            body["options"] = options
        response = self.request("PUT", secret_api_path(path), json_body=body, idempotent=False, secret_path=path)
        answer = without_data(response.body)
        echoed = isinstance(response.body, dict) and "data" in response.body
        self._saw("put_answer", "%s %s%s" % (response.status, "object" if answer else "no body",
                                             " with data" if echoed else ""))
        return answer

    def delete_secret(self, path, permanent=False):
        """Delete; True when deleted, False when there was nothing to delete.

        A hard delete uses the flag this process learnt (HARD_DELETE_PARAMS, first one first); a
        validation refusal of one flag switches to the next, once per process.
        """
        if not permanent:
            return self._delete(path, None)
        known = self._choice("hard_delete")
        candidates = [known] if known else list(HARD_DELETE_PARAMS)
        refused = []
        for param in candidates:
            try:
                deleted = self._delete(path, param)
            except ScaiVaultError as exc:
                if known is None and exc.status in VALIDATION_STATUSES and (
                        param in (exc.details or {}).get("fields", []) or exc.code in _REFUSED_PARAMETER_CODES):
                    refused.append("?%s=true: %s %s" % (param, exc.status, exc.code))
                    continue
                raise
            if known is None:
                if refused:
                    self._learn("hard_delete", param, fallback="hard deletes use DELETE ?%s=true" % param,
                                cost="one refused request, once", trigger="refused DELETE /v1/secrets/{path}%s"
                                % "".join(" (" + item + ")" for item in refused))
                else:
                    self._learn("hard_delete", param)
            return deleted
        raise ScaiVaultContractError(
            "DELETE %s/secrets/%s: the tenant refused every hard-delete flag the collection knows (%s); the "
            "collection assumed one of ?%s=true" % (API_PREFIX, path, "; ".join(refused), "=true, ?".join(HARD_DELETE_PARAMS)),
            status=None, code="contract_mismatch", path=path, method="DELETE")

    def _delete(self, path, param):
        params = {param: "true"} if param else None
        try:
            self.request("DELETE", secret_api_path(path), params=params, idempotent=False, secret_path=path)
        except ScaiVaultError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def update_metadata(self, path, metadata, version=None):
        """Replace the metadata of an existing secret WITHOUT writing a new version, where the tenant can.

        Returns the object without data ({} when the answer had none), or None when the tenant has no
        metadata-only route: the caller then writes a version (value unchanged), as before. The routes of
        METADATA_ROUTES are probed on first use (the probe is the update itself) and the answer is read
        back once; the choice is remembered for the process. ``version``: the version the caller saw.
        """
        if path.rsplit("/", 1)[-1] == "metadata":
            return None  # ".../x/metadata" cannot be told apart from the metadata route of ".../x"
        known = self._choice("metadata_update")
        if known == "none":
            return None
        if known is not None:
            method, suffix = METADATA_ROUTES[known]
            response = self.request(method, secret_api_path(path) + suffix, json_body={METADATA_UPDATE_BODY_KEY: metadata},
                                    idempotent=True, secret_path=path)
            return without_data(response.body)
        with self.discoveries.lock:
            if self._choice("metadata_update") is not None:
                return self.update_metadata(path, metadata, version)
            return self._probe_metadata_routes(path, metadata, version)

    def _probe_metadata_routes(self, path, metadata, version):
        refused = []
        for index, (method, suffix) in enumerate(METADATA_ROUTES):
            route = "%s /v1/secrets/{path}%s" % (method, suffix)
            try:
                response = self.request(method, secret_api_path(path) + suffix,
                                        json_body={METADATA_UPDATE_BODY_KEY: metadata}, idempotent=True, secret_path=path)
            except ScaiVaultError as exc:
                if self._metadata_route_absent(exc, path):
                    refused.append("%s: %s %s" % (route, exc.status, exc.code))
                    continue
                raise
            answer = without_data(response.body)
            if answer.get("path") not in (None, path):
                raise ScaiVaultContractError(
                    "%s %s/secrets/%s%s answered %s for another path: the collection assumed the route updates the "
                    "secret it names; check that secret's metadata" % (method, API_PREFIX, path, suffix, response.status),
                    status=response.status, code="contract_mismatch", path=path, method=method)
            # Read back once: a route that answers 2xx but changes nothing is no route at all.
            found, _errors = self.batch_metadata([path])
            stored = found.get(path) or {}
            if not _same(stored.get("metadata"), metadata):
                refused.append("%s: %s but the metadata did not change" % (route, response.status))
                continue
            writes_version = version is not None and stored.get("version") not in (None, version)
            self._learn("metadata_update", index)
            self._saw("metadata_update", route + (" (writes a version)" if writes_version else ""))
            return answer or without_data(stored)
        self._learn("metadata_update", "none",
                    fallback="a change of tags, owner or description alone writes a new version with the stored value "
                             "(as before)",
                    cost="the value is read (secrets:read) and written again: one PUT and one new version per such change",
                    trigger="has no metadata-only update route (%s)" % "; ".join(refused))
        return None

    def _metadata_route_absent(self, exc, path):
        """Whether an error of a metadata-route probe means "not this route" rather than a real failure."""
        if exc.status in VALIDATION_STATUSES or exc.status in (405, 501):
            return True  # no such route, or the generic secret PUT refusing a body without data
        if exc.status == 404 and exc.code not in NOT_ROUTE_CODES:
            # Ambiguous: no route, or the secret is gone. One probe on the path known to exist decides.
            found, _errors = self.batch_metadata([path])
            if path in found:
                return True
            raise exc
        return False

    def batch_read(self, paths, version=None, include_metadata=True):
        """Read many secrets in chunks of 100: ({path: object}, {path: {code, message}})."""
        options = {"include_metadata": include_metadata, "fail_fast": False}
        if version is not None:
            options["version"] = version
        return self._batch(BATCH_READ_PATH, paths, options, answer_holds_values=True)

    def batch_metadata(self, paths):
        """Metadata of many secrets (no values; audited as list, not read), chunks of 100.

        A tenant without the batch-metadata route (404/405 on first use) is read with the batch read
        instead, values dropped at once: those reads are audited as reads by this identity.
        """
        paths = list(paths)
        if not paths:
            return {}, {}
        if self._choice("batch_metadata") is None:
            # First use: one thread finds out, the migration's other readers wait for the answer.
            with self.discoveries.lock:
                return self._batch_metadata(paths)
        return self._batch_metadata(paths)

    def _batch_metadata(self, paths):
        if self._choice("batch_metadata") == "batch_read":
            return self._metadata_by_batch_read(paths)
        try:
            found, errors = self._batch(BATCH_METADATA_PATH, paths, {"expand_wildcards": False})
        except ScaiVaultError as exc:
            if not self._route_missing(exc):
                raise
            self._learn("batch_metadata", "batch_read",
                        fallback="metadata is read with POST /v1/secrets/batch (values dropped at once), so values "
                                 "are read by this identity (audited as read, not list; the cleanup guard ignores "
                                 "this identity's own reads)",
                        cost="1 batch-read unit plus 1 read unit per path instead of 1 batch-metadata unit, and "
                             "secrets:read besides secrets:list",
                        trigger="POST /v1/secrets/batch/metadata answered %s %s (no such route)" % (exc.status, exc.code))
            return self._metadata_by_batch_read(paths)
        self._learn("batch_metadata", "native")
        return found, errors

    def _metadata_by_batch_read(self, paths):
        try:
            found, errors = self.batch_read(paths, include_metadata=True)
        except ScaiVaultError as exc:
            if exc.status == 403:
                exc.message += (" (this tenant has no batch-metadata route; its fallback, the batch read, needs "
                                "secrets:read)")
                exc.required_scope = exc.required_scope or "secrets:read"
                raise exc
            if self._route_missing(exc):
                raise contract_error("POST", BATCH_READ_PATH, exc, "POST /v1/secrets/batch exists (it is documented; "
                                     "the batch-metadata route is missing too)")
            raise
        return dict((path, without_data(obj)) for path, obj in found.items()), errors

    def _batch(self, api_path, paths, options, answer_holds_values=False):
        found, errors = {}, {}
        paths = list(paths)
        for start in range(0, len(paths), BATCH_MAX_PATHS):
            chunk = paths[start:start + BATCH_MAX_PATHS]
            response = self.request("POST", api_path, json_body={"paths": chunk, "options": options},
                                    idempotent=True, answer_holds_values=answer_holds_values)
            body = response.body if response.body is not None else {}
            secrets = batch_secrets(body)
            if secrets is None:
                raise contract_error("POST", api_path, response, "a JSON object {secrets: {path: object}, errors: "
                                     "{path: {code, message}}}")
            found.update(secrets)
            # A batch answer holds values: a per-path message may echo them (or the paths sent).
            sent = sent_strings(chunk) + sent_strings([item.get("data") for item in secrets.values()
                                                       if isinstance(item, dict)])
            raw_errors = body.get("errors") if isinstance(body, dict) else None
            for path, error in (raw_errors if isinstance(raw_errors, dict) else {}).items():
                errors[path] = batch_error(error, sent)
        return found, errors

    def list_secrets(self, prefix=None, limit=1000):
        """Every live secret (metadata only) under ``prefix``, following the cursor.

        Items a tenant marks as deleted (``deleted_at`` set) are left out, as our reading has them.
        """
        params = {"limit": limit}
        if prefix:
            params["prefix"] = prefix
        for item in self.paginate("/secrets", params):
            if isinstance(item, dict) and item.get("deleted_at"):
                self._saw("list_soft_deleted", "listed (left out by the collection)")
                continue
            yield without_data(item) if isinstance(item, dict) else item

    def paginate(self, api_path, params=None):
        """Yield the items of a cursor-paginated list endpoint, page after page.

        Envelopes: LIST_ENVELOPE_KEYS; cursor: LIST_CURSOR_KEYS (``next`` may be a URL); has_more may
        be absent; an empty page ends the listing. A page size the tenant refuses (validation error
        naming limit) falls back to LIST_FALLBACK_LIMIT for this endpoint, once per process.
        """
        params = dict(params or {})
        limit_item = "list_limit " + _endpoint_key(api_path)
        known_limit = self._choice(limit_item)
        if known_limit and params.get("limit") and params["limit"] > known_limit:
            params["limit"] = known_limit
        cursors = set()
        cursor_seen = None
        first = True
        while True:
            try:
                response = self.request("GET", api_path, params=params)
            except ScaiVaultError as exc:
                if first and _limit_refused(exc, params):
                    trigger = "GET /v1%s refused limit=%s (%s %s)" % (api_path, params["limit"], exc.status, exc.code)
                    self._learn(limit_item, LIST_FALLBACK_LIMIT,
                                fallback="pages of %d items" % LIST_FALLBACK_LIMIT,
                                cost="%d times as many list calls" % max(1, params["limit"] // LIST_FALLBACK_LIMIT),
                                trigger=trigger)
                    params["limit"] = LIST_FALLBACK_LIMIT
                    continue
                raise
            first = False
            items, envelope = list_page(response.body)
            if items is None:
                raise contract_error("GET", api_path, response, "a list answer: a JSON list, or an object with the "
                                     "items under one of %s" % ", ".join(LIST_ENVELOPE_KEYS))
            cursor, cursor_key = next_cursor(response.body)
            cursor_seen = cursor_key or cursor_seen
            has_more = response.body.get("has_more") if isinstance(response.body, dict) else None
            self._saw("list_envelope " + _endpoint_key(api_path), "%s/%s/%s" % (
                envelope, cursor_seen or "-", "has_more" if has_more is not None else "no has_more"))
            yield from items
            if not items or has_more is False:
                return
            if not cursor:
                if has_more is True:
                    raise contract_error("GET", api_path, response, "a cursor (%s) whenever has_more is true"
                                         % "/".join(LIST_CURSOR_KEYS))
                return
            if cursor in cursors:
                raise contract_error("GET", api_path, response, "each page names a new cursor (the same one came twice)")
            cursors.add(cursor)
            params["cursor"] = cursor

    def whoami(self):
        """The caller's identity ({identity_id, tenant_id, scopes[], ...}); scopes as a list whatever the shape."""
        body = self.request("GET", "/auth/whoami").body
        body = dict(body) if isinstance(body, dict) else {}
        if isinstance(body.get("scopes"), str):
            body["scopes"] = body["scopes"].split()
        return body

    def introspect(self):
        """POST /v1/auth/introspect of this client's own token (needs admin); None when not allowed or absent."""
        token = self.tokens.token()
        if not token:
            return None
        try:
            body = self.request("POST", "/auth/introspect", json_body={"token": token}, idempotent=True).body
        except ScaiVaultError as exc:
            if exc.status in (401, 403) or self._route_missing(exc):
                return None
            raise
        body = dict(body) if isinstance(body, dict) else {}
        if isinstance(body.get("scopes"), str):
            body["scopes"] = body["scopes"].split()
        if isinstance(body.get("scope"), str) and "scopes" not in body:
            body["scopes"] = body["scope"].split()
        return body

    def validation_answer(self):
        """(status, code) of a request the docs say is invalid (a batch read of no paths): how this tenant
        refuses a body (400 or 422 validation_error); nothing is read."""
        try:
            response = self.request("POST", BATCH_READ_PATH, json_body={"paths": [], "options": {}}, idempotent=True,
                                    answer_holds_values=True)
        except ScaiVaultError as exc:
            self._saw("validation", "%s %s" % (exc.status, exc.code))
            return exc.status, exc.code
        return response.status, None

    def rate_limits_seen(self):
        """{category: {limit, remaining, reset}} from the X-RateLimit-* headers seen so far."""
        return self.rate_limits.snapshot()

    # -- federation -------------------------------------------------------------------
    def list_backends(self):
        backends = []
        for item in self.paginate("/federation/backends"):
            if not isinstance(item, dict) or not item.get("id"):
                raise ScaiVaultContractError(
                    "GET %s/federation/backends listed an item without an id; the collection assumed backend "
                    "objects {id, name, type, config, path_mapping, mode, ...}" % API_PREFIX,
                    code="contract_mismatch", method="GET")
            backends.append(item)
        return backends

    def find_backend(self, name):
        for backend in self.list_backends():
            if backend.get("name") == name:
                return backend
        return None

    def create_backend(self, spec):
        """Create a backend: answered 201 or 200, with the object (or without: it is then looked up by name)."""
        response = self.request("POST", "/federation/backends", json_body=spec, idempotent=False)
        self._saw("federation_create", str(response.status))
        body = response.body if isinstance(response.body, dict) else {}
        if body.get("id"):
            return body
        found = self.find_backend(spec.get("name"))
        if found is None:
            raise contract_error("POST", "/federation/backends", response, "the answer to a create holds the new "
                                 "backend's id, or the backend is listed by its name afterwards")
        return found

    def update_backend(self, backend_id, changes):
        # PATCH replaces the named fields with the given values: resending it is harmless.
        body = self.request("PATCH", "/federation/backends/%s" % quote(backend_id, safe=""),
                            json_body=changes, idempotent=True).body
        return body if isinstance(body, dict) else {}

    def delete_backend(self, backend_id):
        try:
            self.request("DELETE", "/federation/backends/%s" % quote(backend_id, safe=""), idempotent=True)
        except ScaiVaultError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def backend_status(self, backend_id):
        """The status object with ``status`` (and ``connection.status``) in lower case, whatever the tenant sends."""
        api_path = "/federation/backends/%s/status" % quote(backend_id, safe="")
        response = self.request("GET", api_path)
        status = normalized_status(response.body)
        if status is not None:
            self._saw("federation_status_value", response.body["status"])
        if status is None:
            raise contract_error("GET", api_path, response, "a status object {status: one of %s, last_sync, ...}"
                                 % ", ".join(FEDERATION_STATUS_VALUES))
        return status

    def sync_backend(self, backend_id):
        """Trigger a sync: answered 202 or 200; returns {sync_id, status, ...} (sync_id from sync_id or id)."""
        # Triggering a sync twice only syncs twice: safe to resend.
        api_path = "/federation/backends/%s/sync" % quote(backend_id, safe="")
        response = self.request("POST", api_path, json_body={}, idempotent=True)
        self._saw("federation_sync", str(response.status))
        body = dict(response.body) if isinstance(response.body, dict) else {}
        sync_id = next((body[key] for key in SYNC_ID_KEYS if isinstance(body.get(key), str) and body[key]), None)
        body["sync_id"] = sync_id
        body["status"] = body["status"].lower() if isinstance(body.get("status"), str) else "started"
        return body

    # -- rotation ---------------------------------------------------------------------
    def rotation_secret_paths(self, policy_id, page_size=1000):
        """Sorted paths of the secrets attached to a rotation policy (items {secret_path}, {path} or strings)."""
        api_path = "/rotation/policies/%s/secrets" % quote(policy_id, safe="")
        paths = []
        for item in self.paginate(api_path, {"limit": page_size}):
            self._saw("rotation_assignments", "string" if isinstance(item, str) else next(
                (key for key in ASSIGNMENT_PATH_KEYS if isinstance(item, dict) and item.get(key)), "?"))
            path = item if isinstance(item, str) else next(
                (item.get(key) for key in ASSIGNMENT_PATH_KEYS if isinstance(item, dict) and item.get(key)), None)
            if not isinstance(path, str):
                raise ScaiVaultContractError(
                    "GET %s%s listed an attachment without a path; the collection assumed items {%s} or path strings"
                    % (API_PREFIX, api_path, "} or {".join(ASSIGNMENT_PATH_KEYS)), code="contract_mismatch", method="GET")
            paths.append(path)
        return sorted(paths)

    # -- audit ------------------------------------------------------------------------
    def audit_logs(self, **filters):
        params = dict((key, value) for key, value in filters.items() if value is not None)
        params.setdefault("limit", 1000)
        return self.paginate("/audit/logs", params)


def batch_error(error, sent):
    """A per-path error of a batch answer, reduced to what cannot echo a value: {code, message}."""
    error = error if isinstance(error, dict) else {}
    code = safe_token(error.get("code")) or "batch_error"
    message = server_text(error.get("message"), sent)
    if message is None and error.get("message"):
        message = WITHHELD
    return {"code": code, "message": message or ""}


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
    items, _envelope = list_page(body)
    return items or []


def list_page(body):
    """(items, envelope key) of one list answer; (None, None) when no list can be found in it."""
    if body is None:
        return [], "empty"
    if isinstance(body, list):
        return body, "list"
    if not isinstance(body, dict):
        return None, None
    for key in LIST_ENVELOPE_KEYS:
        if key in body:
            value = body[key]
            if isinstance(value, list):
                return value, key
            return ([], key) if value is None else (None, None)
    if any(isinstance(value, list) for value in body.values()):
        return None, None  # a list under a key the collection does not know: refuse to guess
    return [], "none"


def next_cursor(body):
    """(cursor of the next page, the key it came under) or (None, None); ``next`` may be a URL."""
    if not isinstance(body, dict):
        return None, None
    for key in LIST_CURSOR_KEYS:
        value = body.get(key)
        if not isinstance(value, str) or not value:
            continue
        if key == "next" and ("?" in value or value.startswith(("/", "http://", "https://"))):
            found = parse_qs(urlsplit(value).query).get("cursor")
            if found:
                return found[-1], key
        return value, key
    return None, None


def without_data(obj):
    """A copy of a secret object without ``data`` ({} for anything that is not an object)."""
    if not isinstance(obj, dict):
        return {}
    return dict((key, value) for key, value in obj.items() if key != "data")


def batch_secrets(body):
    """{path: object} of a batch answer, or None when it has no readable shape."""
    if body is None:
        return {}
    if not isinstance(body, dict):
        return None
    secrets = body.get("secrets")
    if isinstance(secrets, dict):
        return secrets
    if isinstance(secrets, list):
        if all(isinstance(item, dict) and isinstance(item.get("path"), str) for item in secrets):
            return dict((item["path"], item) for item in secrets)
        return None
    if secrets is None and ("errors" in body or not body):
        return {}
    return None


def normalized_status(body):
    """A federation status object with its status values in lower case; None when it has no status."""
    if not isinstance(body, dict) or not isinstance(body.get("status"), str):
        return None
    status = dict(body, status=body["status"].strip().lower())
    connection = status.get("connection")
    if isinstance(connection, dict) and isinstance(connection.get("status"), str):
        status["connection"] = dict(connection, status=connection["status"].strip().lower())
    errors = status.get("errors")
    if errors is None:
        status["errors"] = []
    elif isinstance(errors, list):
        status["errors"] = [error if isinstance(error, dict) else {"source": None, "code": None, "message": str(error)}
                            for error in errors]
    return status


def contract_error(method, api_path, answer, assumption, path=None):
    """The error for an answer the collection cannot interpret: endpoint, status and code, the assumption.

    Never the body: it may hold values.
    """
    status = getattr(answer, "status", None)
    code = getattr(answer, "code", None)
    came = ("%s %s" % (status, code) if code else str(status)) if status else "nothing usable"
    return ScaiVaultContractError(
        "%s %s%s answered %s, which does not fit what the collection assumed: %s. See docs/scaivault-contract.md"
        % (method, API_PREFIX, api_path, came, assumption),
        status=status, code="contract_mismatch", path=path or (API_PREFIX + api_path), method=method)


_REFUSED_PARAMETER_CODES = ("validation_error", "invalid_request", "bad_request", "invalid_parameter",
                            "unknown_parameter")


def _limit_refused(exc, params):
    """Whether a list call was refused for its page size (validation error naming limit)."""
    if exc.status not in VALIDATION_STATUSES or (params.get("limit") or 0) <= LIST_FALLBACK_LIMIT:
        return False
    fields = (exc.details or {}).get("fields") or []
    return "limit" in fields or (not fields and exc.code in _REFUSED_PARAMETER_CODES)


def _endpoint_key(api_path):
    """The first segment of an API path (secrets, federation, rotation, audit): what is remembered per endpoint."""
    return api_path.strip("/").split("/", 1)[0] or "root"


def _same(left, right):
    return values_equal(left if left is not None else {}, right if right is not None else {})


def _json_or_none(raw):
    if not raw.content:
        return None
    try:
        return raw.json()
    except ValueError:
        return None


def _default_code(status):
    return {400: "bad_request", 401: "token_invalid", 403: "access_denied", 404: "not_found",
            405: "method_not_allowed", 409: "conflict", 413: "secret_too_large", 422: "validation_error",
            429: "rate_limited", 500: "internal_error", 501: "not_implemented", 502: "bad_gateway",
            503: "service_unavailable", 504: "gateway_timeout"}.get(status, "http_%s" % status)


def _short(error):
    if error.status:
        return "%s %s" % (error.status, error.code)
    return error.code or "error"
