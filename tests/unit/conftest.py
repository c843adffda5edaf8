# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""tests/unit runs without servers and without the network.

Layout: tests/unit/plugins/ mirrors plugins/ file by file (tests of
plugins/module_utils/_plan/secret.py are in tests/unit/plugins/module_utils/_plan/test_secret.py).
Every folder is a package (``__init__.py``), so two test files may share a name in different
folders (_plan/test_selection.py and _run/test_selection.py). Fakes used by more than one test
file are in tests/unit/fakes.py (``from unit.fakes import ...``).

The server fixtures of tests/conftest.py (``servers`` and everything built on it) fail here, and
an internet-socket ``connect`` fails the test: a unit test that needs either belongs in
tests/integration. ScaiVault itself is available without a socket: ``inprocess_vault`` is the dev
server's own App in this process (``unit.fakes.InProcessVault``), reached by the real client.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket

import pytest

NO_SERVERS = "tests/unit runs without live servers; a test that needs the %r fixture belongs in tests/integration"


@pytest.fixture(scope="session")
def servers():
    """Overrides tests/conftest.py's ``servers`` (and so clean_servers, dev_server, playbook, ...)."""
    pytest.fail(NO_SERVERS % "servers", pytrace=False)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """An AF_INET/AF_INET6 connect fails the test instead of reaching a server."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def refuse(address):
        raise AssertionError("tests/unit must not use the network (connect to %r); use a fake client, "
                             "httpx.MockTransport or botocore's Stubber" % (address,))

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            refuse(address)
        return real_connect(sock, address)

    def connect_ex(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            refuse(address)
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture
def inprocess_vault(tmp_path):
    """``unit.fakes.InProcessVault``: the dev server's own App in this process (no socket), closed after."""
    from unit.fakes import InProcessVault  # pylint: disable=import-outside-toplevel

    vault = InProcessVault(tmp_path / "inprocess-vault")
    yield vault
    vault.close()


@pytest.fixture(autouse=True)
def fresh_discoveries():
    """Every test starts with a client that knows nothing about the tenant's API shapes yet.

    (The ScaiVault client remembers fallbacks per process and URL; unit tests share one process.)
    """
    from ansible_collections.scailabs.scaivault.plugins.module_utils._clients.scaivault import (  # pylint: disable=import-outside-toplevel
        forget_discoveries)

    forget_discoveries()
    yield
    forget_discoveries()
