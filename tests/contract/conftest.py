# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Contract tests: the dev server driven with plain httpx, as scaivault-api.md describes it.

One server per session (``server``), reset before every test. Tests that crash, restart or
start a differently configured server get their own from ``spawn_server``. Process handling
reuses ``harness.servers.ManagedServer`` (tests/ is on sys.path via tests/conftest.py).
"""

import json
import os
import sys

import httpx
import pytest

from harness.servers import DEVSERVER_SCRIPT, HOST, ManagedServer

ADMIN = "skt_contract_admin"
READER = "skt_contract_reader"
LISTER = "skt_contract_lister"
EXPIRED = "skt_contract_expired"
OTHER_TENANT = "skt_contract_other_tenant"
PARTNER_ADMIN = "skt_contract_partner_admin"
FOREIGN_PARTNER = "skt_contract_foreign_partner"
ENV_TOKEN = "skt_contract_env"
ALL_SCOPES = ["secrets:read", "secrets:write", "secrets:delete", "secrets:list", "secrets:rotate", "federation:read",
              "federation:write", "audit:read", "audit:export", "policies:read", "policies:write", "admin"]
SHORT_TTL = 1
ROLES = {"admin": ADMIN, "reader": READER, "lister": LISTER, "expired": EXPIRED, "other_tenant": OTHER_TENANT, "env": ENV_TOKEN,
         "partner_admin": PARTNER_ADMIN}

TOKENS = {
    "tokens": {
        ADMIN: {"identity_id": "sa:contract-admin", "identity_type": "service_account", "tenant_id": "tnt_dev", "scopes": ALL_SCOPES},
        READER: {"identity_id": "sa:reader", "tenant_id": "tnt_dev", "scopes": ["secrets:read"], "expires_at": "2099-01-01T00:00:00Z"},
        LISTER: {"identity_id": "sa:lister", "tenant_id": "tnt_dev", "scopes": ["secrets:list"]},
        EXPIRED: {"identity_id": "sa:expired", "tenant_id": "tnt_dev", "scopes": ALL_SCOPES, "expires_at": "2001-01-01T00:00:00Z"},
        OTHER_TENANT: {"identity_id": "sa:other", "tenant_id": "tnt_other", "scopes": ALL_SCOPES},
        # Partner ptn_dev holds tnt_dev and tnt_other; ptn_foreign holds tnt_foreign.
        PARTNER_ADMIN: {"identity_id": "user:partner-admin@ptn-dev", "tenant_id": "tnt_dev", "partner_id": "ptn_dev",
                        "roles": ["partner_admin"], "scopes": ALL_SCOPES},
        FOREIGN_PARTNER: {"identity_id": "sa:foreign", "tenant_id": "tnt_foreign", "partner_id": "ptn_foreign",
                          "scopes": ALL_SCOPES},
    },
    "service_accounts": {
        "migrator": {"client_secret": "s3cret", "identity_id": "sa:migrator", "tenant_id": "tnt_dev",
                     "scopes": ["secrets:read", "secrets:write", "secrets:list"], "token_ttl_seconds": SHORT_TTL},
        "hourly": {"client_secret": "s3cret-too", "identity_id": "sa:hourly", "tenant_id": "tnt_dev", "scopes": ["secrets:read"]},
    },
}


class DevServer:
    """One dev server subprocess with its own data dir, plus httpx clients on it."""

    def __init__(self, workdir, tokens_file, dev_controls=True, extra_args=()):
        workdir.mkdir(parents=True, exist_ok=True)
        self.data_dir = workdir / "data"
        argv = [sys.executable, str(DEVSERVER_SCRIPT), "--data-dir", str(self.data_dir), "--tokens-file", str(tokens_file)]
        argv += ["--dev-controls"] if dev_controls else []
        env = dict(os.environ, SCAIVAULT_DEV_TOKEN=ENV_TOKEN)
        self.process = ManagedServer("devserver", argv + list(extra_args), env, workdir)
        self._clients = []

    def start(self):
        # The port file is written once the socket listens: no readiness polling needed.
        self.process.start(0, timeout=30)
        return self

    @property
    def url(self):
        scheme = "https" if "--tls-cert" in self.process.argv else "http"
        return "%s://%s:%d" % (scheme, HOST, self.process.port)

    @property
    def pid(self):
        return self.process.proc.pid

    def client(self, token=ADMIN, **kwargs):
        headers = {"Authorization": "Bearer " + token} if token else {}
        headers.update(kwargs.pop("headers", {}))
        client = httpx.Client(base_url=self.url, headers=headers, timeout=10, trust_env=False, **kwargs)
        self._clients.append(client)
        return client

    def dev(self, method, path, **kwargs):
        """A /_dev control call; fails the test unless it answers 2xx."""
        response = httpx.request(method, self.url + path, timeout=10, trust_env=False, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def close_clients(self):
        for client in self._clients:
            client.close()
        self._clients = []

    def stop(self):
        self.close_clients()
        self.process.stop()

    def kill(self):
        """kill -9, as a crash would."""
        self.close_clients()
        self.process.kill()


@pytest.fixture(scope="session", name="tokens_file")
def fixture_tokens_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("contract") / "tokens.json"
    path.write_text(json.dumps(TOKENS), encoding="utf-8")
    return path


@pytest.fixture(scope="session", name="server")
def fixture_server(tmp_path_factory, tokens_file):
    dev = DevServer(tmp_path_factory.mktemp("devserver"), tokens_file).start()
    yield dev
    dev.stop()


@pytest.fixture(autouse=True)
def clean_server(server):
    """Every test starts on an empty server with no faults, no limits, zeroed counters."""
    server.dev("POST", "/_dev/reset")
    yield
    server.close_clients()


@pytest.fixture
def api(server):
    """httpx client with the all-scopes token of tenant tnt_dev."""
    return server.client(ADMIN)


@pytest.fixture
def client_as(server):
    """``client_as("reader")``: a client with that role's token (see ROLES); any other string is used as the token."""
    return lambda role: server.client(ROLES.get(role, role))


@pytest.fixture
def spawn_server(tmp_path, tokens_file):
    """``spawn_server(name, dev_controls=True, extra_args=())``: an extra server, stopped after the test."""
    started = []

    def spawn(name="extra", dev_controls=True, extra_args=()):
        dev = DevServer(tmp_path / name, tokens_file, dev_controls, extra_args).start()
        started.append(dev)
        return dev

    yield spawn
    for dev in started:
        dev.stop()


def error_of(response, status, code):
    """Assert the contract's error envelope and return its ``error`` object."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    assert error["message"]
    assert error["request_id"] == response.headers["X-Request-ID"]
    return error


@pytest.fixture
def expect_error():
    """``expect_error(response, status, code)`` -> the checked ``error`` object."""
    return error_of
