# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ``server.py`` runs: parse the CLI of docs/development.md, wire the feature modules
into one App, serve until SIGTERM/SIGINT, then drain requests in progress and close the database.
"""

import argparse
import json
import logging
import os
import signal
import threading

from . import audit_api, auth_api, dev_api, system_api
from . import rotation_api, webhooks_api
from . import federation_api
from . import alt_shapes
from . import audit_evidence_api, policies_api, rotation_now_api, subscriptions_api
from .app import App
from .audit import AuditLog
from .contract import ENV_VAR as CONTRACT_ENV_VAR, Contract
from .auth import TokenRegistry, dev_identity, identity_from_dict
from .http_handler import DevHTTPServer, tls_context
from .ratelimit import PRESETS, RateLimiter
from .secrets_api import DEFAULT_MAX_SECRET_BYTES, SecretsApi
from .store import Database

LOG = logging.getLogger("scaivault.devserver")
DRAIN_SECONDS = 5.0


def _rate_limits_arg(text):
    """--rate-limits: a preset name (ratelimit.PRESETS) or JSON settings."""
    return text if text in PRESETS else json.loads(text)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="ScaiVault-compatible development server (tests only)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=0, help="0 = pick a free port (see --port-file)")
    parser.add_argument("--port-file", help="written with the port once the server accepts connections")
    parser.add_argument("--data-dir", required=True, help="directory of the SQLite database (kept across restarts)")
    parser.add_argument("--tokens-file", help="JSON with 'tokens' and 'service_accounts'")
    parser.add_argument("--dev-controls", action="store_true", help="enable /_dev/* (fault injection, reset, ...)")
    parser.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--tls-key", help="private key of --tls-cert (PEM)")
    parser.add_argument("--asm-endpoint-url", help="where federation reaches AWS Secrets Manager (tests: moto)")
    parser.add_argument("--max-secret-bytes", type=int, default=DEFAULT_MAX_SECRET_BYTES,
                        help="largest JSON-encoded secret data accepted (413 secret_too_large above)")
    parser.add_argument("--rate-limits", type=_rate_limits_arg,
                        help='JSON like {"enabled": true, "per_minute": {"write": 600}}, {"preset": "managed", "time_scale": 60},'
                             ' or "managed" (the documented managed-service defaults)')
    parser.add_argument("--contract", default=None,
                        help="default | alt | alt:switch,... : which reading of the [assumed] shapes to play "
                             "(default: $%s, else default; see contract.py)" % CONTRACT_ENV_VAR)
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    try:
        args.contract = Contract(args.contract)
    except ValueError as exc:
        parser.error(str(exc))
    return args


def load_tokens_file(path):
    """({token: Identity}, {client_id: ServiceAccount}) from the tokens file (docs/development.md)."""
    if not path:
        return {}, {}
    with open(path, encoding="utf-8") as handle:
        spec = json.load(handle)
    tokens = {token: identity_from_dict(entry, "tokens[%r]" % token) for token, entry in (spec.get("tokens") or {}).items()}
    accounts = {client_id: auth_api.service_account_from_dict(client_id, entry)
                for client_id, entry in (spec.get("service_accounts") or {}).items()}
    return tokens, accounts


def build_app(args):
    """Wire storage, auth and the feature modules. Later modules (federation, rotation,
    webhooks) register here the same way: ``module.register(app)`` adding routes and tables."""
    tokens, accounts = load_tokens_file(args.tokens_file)
    if os.environ.get("SCAIVAULT_DEV_TOKEN"):
        tokens[os.environ["SCAIVAULT_DEV_TOKEN"]] = dev_identity()
    db = Database(args.data_dir)
    app = App(db, TokenRegistry(db, tokens), AuditLog(db), RateLimiter(args.rate_limits), dev_controls=args.dev_controls,
              config={"asm_endpoint_url": args.asm_endpoint_url}, contract=getattr(args, "contract", None))
    system_api.register(app)
    auth_api.register(app, accounts)
    app.secrets = SecretsApi(app, args.max_secret_bytes)
    app.secrets.register(app.router)
    audit_api.register(app)
    webhooks_api.register(app)  # after the secrets routes: it wraps their PUT/DELETE to emit events
    rotation_now_api.register(app, rotation_api.register(app))
    federation_api.register(app)  # proxy reads and read-only federated paths via app.secrets interceptors
    audit_evidence_api.register(app)
    subscriptions_api.register(app)  # after webhooks_api: it observes the event hub
    policies_api.register(app)  # wraps the secret routes with the access-policy check
    alt_shapes.register(app)  # last: the contract's alternative answers wrap every other route wrapper
    if args.dev_controls:
        dev_api.register(app)
    return app


def write_port_file(path, port):
    """Atomic (write + rename) so that a watcher never reads a half-written file."""
    temporary = "%s.%d.tmp" % (path, os.getpid())
    with open(temporary, "w", encoding="ascii") as handle:
        handle.write(str(port))
    os.replace(temporary, path)


def serve(args):
    try:
        app = build_app(args)
        context = tls_context(args.tls_cert, args.tls_key) if args.tls_cert else None
        httpd = DevHTTPServer(args.host, args.port, app, context, verbose=args.verbose)
    except (OSError, ValueError) as exc:
        # Bad tokens file, non-loopback host, port in use, unreadable certificate: one line, no traceback.
        raise SystemExit("scaivault dev server: cannot start: %s" % exc) from None

    def stop(signum, _frame):
        LOG.info("signal %d: shutting down", signum)
        # shutdown() waits for serve_forever() to return, so it cannot run on the serving thread.
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.port_file:
        write_port_file(args.port_file, httpd.port)
    LOG.info("listening on %s://%s:%d (contract %s)", "https" if context else "http", args.host, httpd.port,
             app.contract.spec)
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        if not app.drain(DRAIN_SECONDS):
            LOG.warning("requests still running after %.0f s; closing anyway", DRAIN_SECONDS)
        httpd.server_close()
        app.db.close()
    return 0


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return serve(args)
