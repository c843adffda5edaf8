#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS Secrets Manager stand-in for tests and the demo: moto's server behind a thin WSGI wrapper.

Run: ``python tests/harness/asm_server.py --host 127.0.0.1 --port 0 --port-file F [--verbose]``

Everything moto serves is passed through untouched (``/moto-api/reset``, ``/moto-api/config``,
every AWS service). The wrapper adds the controls of docs/development.md:

``POST /_fault``
    ``{"target": "secretsmanager.GetSecretValue" | "GetSecretValue" | "*", "share": 0.3,
    "count": -1, "code": "ThrottlingException", "status": 400, "seed": 1}``.
    Replaces the fault list with this one fault (or with ``{"faults": [...]}``; add
    ``"append": true`` to keep the existing ones). A fault matches requests whose
    ``X-Amz-Target`` equals ``target`` (``"*"``: every request carrying an ``X-Amz-Target``;
    a bare operation name is read as ``secretsmanager.<name>``). Optional ``region`` limits it
    to one region; optional ``message`` overrides the error text; optional ``latency_ms``
    delays matching requests (with ``"code": null`` the request is then served normally).
    ``share`` (0..1) picks requests with a RNG seeded by ``seed`` (default 0); ``count`` caps
    how many requests get the error (-1 or absent: unlimited). Faults are checked in order;
    the first one that selects a request answers it. Matching requests are answered with
    the AWS JSON error body ``{"__type": code, "message": ...}`` and header
    ``x-amzn-ErrorType`` without reaching moto.
``DELETE /_fault``
    Clear all faults.
``GET /_fault``
    The current faults with their remaining ``count`` (debugging aid).
``GET /_calls``
    ``{"total": n, "by_operation": {"ListSecrets": n}, "by_region": {"us-east-1": {"ListSecrets": n}},
    "injected": n, "other_total": n, "other_by_target": {...}}``.
    ``total``/``by_operation``/``by_region`` count Secrets Manager API requests received
    (``X-Amz-Target: secretsmanager.*``), including the ones answered by an injected fault
    (the client made the call); ``injected`` counts those faulted answers. Requests to other
    services (IAM, Lambda, STS set up by rotation tests) are only counted in ``other_total``
    and ``other_by_target`` so they never pollute the ASM call budget a test asserts.
``POST /_calls/reset``
    Zero the counters.

moto's backends are not thread-safe, so requests reach moto one at a time (the server itself
stays threaded: control routes, injected errors and injected latency never wait for moto).

The region of a request is read from the SigV4 credential scope of its ``Authorization``
header (``Credential=AKID/20240101/<region>/secretsmanager/aws4_request``).

At start moto's ``lambda.use_docker`` (and ``batch.use_docker``) are set to false, so rotation
tests can create a dummy Lambda and call ``rotate_secret`` without docker; the setting
survives ``POST /moto-api/reset``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import re
import signal
import sys
import threading
import time

DEFAULT_REGION = "us-east-1"
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/")
_SM_PREFIX = "secretsmanager."

_DEFAULT_MESSAGES = {
    "ThrottlingException": "Rate exceeded",
    "TooManyRequestsException": "Rate exceeded",
    "InternalServiceError": "An internal error occurred (injected)",
    "ServiceUnavailable": "Service unavailable (injected)",
    "AccessDeniedException": "User is not authorized to perform this action (injected)",
}


def region_of(environ: dict) -> str:
    match = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else DEFAULT_REGION


class Fault:
    """One injected-error rule; ``select`` is called under the middleware's lock."""

    def __init__(self, spec: dict) -> None:
        if not isinstance(spec, dict):
            raise ValueError("a fault must be a JSON object")
        target = spec.get("target", "*")
        if not isinstance(target, str) or not target:
            raise ValueError("target must be a non-empty string")
        if target != "*" and "." not in target:
            target = _SM_PREFIX + target
        self.target = target
        self.region = spec.get("region")
        self.code = spec.get("code", "ThrottlingException")
        self.status = int(spec.get("status", 400))
        self.message = spec.get("message") or _DEFAULT_MESSAGES.get(self.code or "", "Injected fault")
        share = spec.get("share")
        self.share = None if share is None else float(share)
        if self.share is not None and not 0.0 <= self.share <= 1.0:
            raise ValueError("share must be between 0 and 1")
        count = spec.get("count", -1)
        self.remaining = -1 if count is None else int(count)
        self.latency_ms = int(spec.get("latency_ms", 0) or 0)
        self.seed = spec.get("seed", 0)
        self._rng = random.Random(self.seed)
        self.hits = 0

    def matches(self, target: str, region: str) -> bool:
        if self.target != "*" and self.target != target:
            return False
        return self.region is None or self.region == region

    def select(self) -> bool:
        if self.remaining == 0:
            return False
        if self.share is not None and self._rng.random() >= self.share:
            return False
        if self.remaining > 0:
            self.remaining -= 1
        self.hits += 1
        return True

    def describe(self) -> dict:
        return {"target": self.target, "region": self.region, "code": self.code, "status": self.status,
                "message": self.message, "share": self.share, "remaining": self.remaining,
                "latency_ms": self.latency_ms, "seed": self.seed, "hits": self.hits}


class AsmStandIn:
    """WSGI middleware around moto's application: fault injection and call counting."""

    def __init__(self, app) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._moto_lock = threading.Lock()
        self._faults: list[Fault] = []
        self._reset_calls()

    def _reset_calls(self) -> None:
        self.calls = {"total": 0, "by_operation": {}, "by_region": {}, "injected": 0,
                      "other_total": 0, "other_by_target": {}}

    # -- control routes -------------------------------------------------------------------
    @staticmethod
    def _json(start_response, status: int, payload, headers=()):
        body = json.dumps(payload, sort_keys=True).encode("utf-8")
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}.get(status, "OK")
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))] + list(headers)
        start_response("%d %s" % (status, reason), headers)
        return [body]

    @staticmethod
    def _read_json(environ):
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        raw = environ["wsgi.input"].read(length) if length else b""
        return json.loads(raw.decode("utf-8")) if raw.strip() else {}

    def _control(self, environ, start_response, path: str, method: str):
        if path == "/_fault":
            if method == "DELETE":
                with self._lock:
                    self._faults = []
                return self._json(start_response, 200, {"faults": []})
            if method == "GET":
                with self._lock:
                    return self._json(start_response, 200, {"faults": [f.describe() for f in self._faults]})
            if method == "POST":
                try:
                    body = self._read_json(environ)
                    specs = body.get("faults", [body]) if isinstance(body, dict) else None
                    if not isinstance(specs, list):
                        raise ValueError("body must be a fault object or {\"faults\": [...]}")
                    new = [Fault(spec) for spec in specs]
                except (ValueError, TypeError) as exc:
                    return self._json(start_response, 400, {"error": str(exc)})
                with self._lock:
                    self._faults = (self._faults if body.get("append") else []) + new
                    described = [f.describe() for f in self._faults]
                return self._json(start_response, 200, {"faults": described})
        elif path == "/_calls" and method == "GET":
            with self._lock:
                return self._json(start_response, 200, json.loads(json.dumps(self.calls)))
        elif path == "/_calls/reset" and method == "POST":
            with self._lock:
                self._reset_calls()
            return self._json(start_response, 200, {"status": "ok"})
        return self._json(start_response, 405, {"error": "unsupported %s %s" % (method, path)})

    # -- AWS traffic ----------------------------------------------------------------------
    def _count(self, target: str, region: str) -> None:
        if target.startswith(_SM_PREFIX):
            operation = target[len(_SM_PREFIX):]
            self.calls["total"] += 1
            self.calls["by_operation"][operation] = self.calls["by_operation"].get(operation, 0) + 1
            per_region = self.calls["by_region"].setdefault(region, {})
            per_region[operation] = per_region.get(operation, 0) + 1
        else:
            key = target or "(no X-Amz-Target)"
            self.calls["other_total"] += 1
            self.calls["other_by_target"][key] = self.calls["other_by_target"].get(key, 0) + 1

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path in ("/_fault", "/_calls", "/_calls/reset"):
            return self._control(environ, start_response, path, method)
        if path.startswith("/moto-api"):
            return self._moto(environ, start_response)

        target = environ.get("HTTP_X_AMZ_TARGET", "")
        region = region_of(environ)
        chosen = None
        with self._lock:
            self._count(target, region)
            if target:
                for fault in self._faults:
                    if fault.matches(target, region) and fault.select():
                        chosen = fault
                        if fault.code:
                            self.calls["injected"] += 1
                        break
        if chosen is not None:
            if chosen.latency_ms:
                time.sleep(chosen.latency_ms / 1000.0)
            if chosen.code:
                # Drain the request body so keep-alive connections stay usable.
                try:
                    self._read_json(environ)
                except ValueError:
                    pass
                body = json.dumps({"__type": chosen.code, "message": chosen.message}).encode("utf-8")
                start_response("%d Injected" % chosen.status, [
                    ("Content-Type", "application/x-amz-json-1.1"),
                    ("Content-Length", str(len(body))),
                    ("x-amzn-ErrorType", chosen.code),
                    ("x-amzn-RequestId", "injected-fault"),
                ])
                return [body]
        return self._moto(environ, start_response)

    def _moto(self, environ, start_response):
        """Call moto one request at a time: its backends are not thread-safe (concurrent
        CreateSecret calls fail with "dictionary changed size during iteration" -> HTTP 500).
        Injected latency is spent before this point, so it still overlaps across requests."""
        with self._moto_lock:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                if hasattr(result, "close"):
                    result.close()


def configure_moto() -> None:
    """Rotation tests need moto's Lambda without docker (see moto-probe.md)."""
    from moto.core.config import default_user_config

    default_user_config["lambda"] = {"use_docker": False}
    default_user_config["batch"] = {"use_docker": False}


def build_app():
    from moto.server import DomainDispatcherApplication, create_backend_app

    configure_moto()
    return AsmStandIn(DomainDispatcherApplication(create_backend_app))


def _write_port_file(path: str, port: int) -> None:
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write("%d\n" % port)
    os.replace(tmp, path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    parser.add_argument("--port-file", help="written with the real port once listening")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)

    # The credentials moto sees never matter, but make sure nothing it imports goes looking
    # for real ones (metadata endpoint, shared config files).
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="asm_server %(levelname)s %(name)s: %(message)s")
    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from werkzeug.serving import make_server

    try:
        from moto.server import MotoRequestHandler as handler_class
    except ImportError:  # older moto: werkzeug's default handler
        from werkzeug.serving import WSGIRequestHandler as handler_class

    if not args.verbose:
        class QuietHandler(handler_class):  # type: ignore[valid-type,misc]
            def log_request(self, *a, **kw):  # pylint: disable=unused-argument
                return None
        handler_class = QuietHandler

    # make_server is what werkzeug's run_simple uses underneath (threaded, same handler);
    # calling it directly hands us the bound port for --port 0 before serving.
    server = make_server(args.host, args.port, build_app(), threaded=True, request_handler=handler_class)
    port = server.server_port

    def _stop(signum, frame):  # pylint: disable=unused-argument
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    if args.port_file:
        _write_port_file(args.port_file, port)
    if args.verbose:
        print("asm_server listening on http://%s:%d" % (args.host, port), flush=True)
    try:
        server.serve_forever()
    except SystemExit:
        pass
    finally:
        server.server_close()
        if args.port_file:
            try:
                os.unlink(args.port_file)
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
