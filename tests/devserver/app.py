# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The request pipeline: tenancy, routing, faults, auth, scopes, rate limits, errors, counters.

Handlers only do their own work; everything the contract demands of every request is
here, driven by the policy each Route declares (scope, rate-limit category, audit action).
"""

import contextlib
import logging
import re
import threading
import time
import urllib.parse

from .contract import Contract
from .counters import DROPPED as DROPPED_STATUS, RequestCounters
from .errors import ApiError
from .faults import FaultInjector
from .http_types import DROPPED, Response
from .routing import Router

LOG = logging.getLogger("scaivault.devserver")
_TENANT_PREFIX = re.compile(r"^/v1/t/(?P<tenant>[^/]+)(?P<rest>/.*)$")
DEV_PREFIX = "/_dev"
_SHUTTING_DOWN = ApiError(503, "service_unavailable", "the server is shutting down")


class App:
    def __init__(self, db, tokens, audit, rate_limiter, dev_controls=False, config=None, contract=None):
        self.db = db
        self.config = dict(config or {})
        # Which reading of the contract's [assumed] shapes this server plays (contract.py).
        self.contract = contract or Contract()
        self.tokens = tokens
        self.audit = audit
        self.rate_limiter = rate_limiter
        self.dev_controls = dev_controls
        self.faults = FaultInjector()
        self.counters = RequestCounters()
        self.router = Router()
        self.dev_router = Router()
        self.reset_hooks = []
        # The SecretsApi (set by main.build_app): federation adds its PathInterceptor there.
        self.secrets = None
        self.closing = False
        self._inflight = 0
        self._idle = threading.Condition()

    # -- entry point ---------------------------------------------------------------------

    def dispatch(self, request):
        """A Response, or DROPPED when the connection must be closed without an answer."""
        if request.raw_path == DEV_PREFIX or request.raw_path.startswith(DEV_PREFIX + "/"):
            return self._dispatch_dev(request)
        self._strip_tenant_prefix(request)
        with contextlib.suppress(ApiError):
            # Routed before faults so that counters name the route of dropped requests too;
            # an unroutable request gets its 404/405 in _process.
            self._route(request, self.router)
        with self._admitted() as admitted:
            outcome = self._with_faults(request) if admitted else self._error_response(request, _SHUTTING_DOWN)
        label = request.route.label if request.route else "%s (unmatched)" % request.method
        self.counters.record(request.method, request.raw_path, label, DROPPED_STATUS if outcome is DROPPED else outcome.status)
        return outcome

    @property
    def in_flight(self):
        """API requests being handled now (``/_dev/counters`` shows it: a test can wait for a request to arrive)."""
        return self._inflight

    def reset(self):
        """``/_dev/reset``: back to an empty server with the startup configuration."""
        self.db.wipe()
        self.tokens.forget_runtime()
        self.counters.reset()
        self.faults.clear()
        self.rate_limiter.reset()
        self.contract.reset()
        for hook in self.reset_hooks:
            hook()

    # -- pipeline steps ------------------------------------------------------------------

    @staticmethod
    def _strip_tenant_prefix(request):
        found = _TENANT_PREFIX.match(request.raw_path)
        if found:
            request.tenant_hint = urllib.parse.unquote(found.group("tenant"))
            request.path = "/v1" + found.group("rest")

    def _with_faults(self, request):
        latency, fault = self.faults.select(request.method, request.raw_path)
        if latency:
            time.sleep(latency)
        if fault is None:
            return self._process(request)
        if fault.kind == "drop_before":
            return DROPPED
        if fault.kind == "status":
            return self._error_response(request, fault.error())
        if fault.kind == "hold":
            if fault.stage == "commit":
                request.hold_before_commit = lambda: self.faults.holds.hold(fault.hold_seconds)
            else:
                self.faults.holds.hold(fault.hold_seconds)
            return self._process(request)
        if fault.kind == "path_error":
            response = self._process(request)
            if response.status == 200:
                response.body = fault.path_errors(response.body)
            return response
        if fault.kind == "echo_body":
            if fault.echo == "answer":
                payload, _type = self._process(request).payload()
            else:
                payload = request.body or b""
            text = payload.decode("utf-8", "replace")
            return self._error_response(request, fault.echo_error(text, request.header("Authorization")))
        # drop_after: the work is done and committed; only the answer is lost.
        self._process(request)
        return DROPPED

    def _process(self, request):
        try:
            route = request.route or self._route(request, self.router)
            if not route.public:
                self._authorize(request, route)
            limits = self._consume_rate_limit(request, route)
            response = route.handler(request)
        except ApiError as err:
            self._audit_failure(request, err)
            response = self._error_response(request, self._as_contracted(err))
            limits = self._peek_rate_limit(request)
        except Exception:  # pylint: disable=broad-except
            # The contract's internal_error (clients retry once); the traceback goes to stderr.
            LOG.exception("unhandled error in %s %s", request.method, request.raw_path)
            response = self._error_response(request, ApiError(500, "internal_error", "internal server error"))
            limits = self._peek_rate_limit(request)
        if request.path.startswith("/v1/"):
            for name, value in limits.items():
                response.headers.setdefault(name, value)
        return response

    def _as_contracted(self, err):
        """An error as the active contract words it (status of validation errors, scope details).

        validation_error is 422 (reference/error-codes) wherever it was raised; 400 under ``validation_400``."""
        if err.code == "validation_error" and err.status in (400, 422):
            status = 400 if self.contract.on("validation_400") else 422
            if status != err.status:
                err = ApiError(status, err.code, err.message, err.details, err.headers)
        if self.contract.on("no_required_scope") and err.code == "insufficient_scope" and err.details:
            err = ApiError(err.status, err.code, err.message,
                           {key: value for key, value in err.details.items() if key != "required_scope"}, err.headers)
        return err

    def _route(self, request, router):
        route, params = router.match(request.method, request.path)
        request.route = route
        # Matching ran on the encoded path, so an encoded '/' (%2F) stays inside one parameter.
        request.params = {name: urllib.parse.unquote(value) for name, value in params.items()}
        return route

    def _authorize(self, request, route):
        identity = request.identity = self.tokens.authenticate(request.header("Authorization"))
        requested = request.tenant_hint or request.header("X-Tenant-ID")
        request.tenant_id = self._named_tenant(identity, requested) if requested else identity.tenant_id
        if route.scope and route.scope not in identity.scopes:
            target = request.params.get("path") or request.path
            raise ApiError(403, "insufficient_scope", "token lacks %s for %s" % (route.scope, target),
                           {"required_scope": route.scope, "token_scopes": sorted(identity.scopes), "path": target})

    def _named_tenant(self, identity, requested):
        """The tenant named by /v1/t/{id} or X-Tenant-ID [doc: core-concepts/multi-tenancy]: only a partner-admin
        token may name one (403 tenant_access_denied otherwise, even its own: reference/error-codes, "cross-tenant
        without partner admin"); an unknown tenant is 404 tenant_not_found, another partner's tenant 403 access_denied."""
        details = {"token_tenant_id": identity.tenant_id, "requested_tenant_id": requested}
        if not identity.partner_admin:
            raise ApiError(403, "tenant_access_denied", "naming a tenant (X-Tenant-ID or /v1/t/{tenant_id}) needs a partner-admin "
                           "token; %s is not a partner admin (leave the tenant out to act in its own tenant %s)"
                           % (identity.identity_id, identity.tenant_id), details)
        partner = self.tokens.tenant_partner(requested)
        if partner is None:
            raise ApiError(404, "tenant_not_found", "tenant %s does not exist" % requested, details)
        if partner != identity.partner_id:
            raise ApiError(403, "access_denied", "tenant %s does not belong to partner %s of %s" % (
                requested, identity.partner_id, identity.identity_id), details)
        return requested

    @staticmethod
    def _identity_id(request):
        return request.identity.identity_id if request.identity else None

    def _consume_rate_limit(self, request, route):
        extra = route.extra_units(request) if route.extra_units else None
        return self.rate_limiter.consume(self._identity_id(request), route.category, extra)

    def _peek_rate_limit(self, request):
        category = request.route.category if request.route else None
        return self.rate_limiter.peek(self._identity_id(request), category)

    def _audit_failure(self, request, err):
        """Failed secret accesses are audited too (success false), once per request.

        Not audited: requests without a known caller and tenant (401, foreign tenant) and
        429s, which never reached the secret.
        """
        route = request.route
        if not route or not route.audit_action or not request.tenant_id or request.audited or err.status == 429:
            return
        with self.db.transaction() as conn:
            self.audit.record(conn, request, route.audit_action, request.params.get("path"), False,
                              {"error_code": err.code, "status": err.status})

    @staticmethod
    def _error_response(request, err):
        return Response(err.status, err.envelope(request.request_id), dict(err.headers))

    def _dispatch_dev(self, request):
        if not self.dev_controls:
            return self._error_response(request, ApiError(404, "not_found", "dev controls are disabled (start the server with --dev-controls)"))
        try:
            return self._route(request, self.dev_router).handler(request)
        except ApiError as err:
            return self._error_response(request, err)

    # -- graceful shutdown ---------------------------------------------------------------

    @contextlib.contextmanager
    def _admitted(self):
        """Count requests in progress; once draining, new requests are refused (503) while
        the ones already admitted run to completion."""
        with self._idle:
            admitted = not self.closing
            self._inflight += int(admitted)
        try:
            yield admitted
        finally:
            with self._idle:
                self._inflight -= int(admitted)
                self._idle.notify_all()

    def drain(self, timeout):
        """Refuse new work and wait (bounded) until admitted requests have answered."""
        with self._idle:
            self.closing = True
            return self._idle.wait_for(lambda: self._inflight == 0, timeout)
