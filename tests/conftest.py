# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared pytest setup for tests/unit, tests/contract and tests/integration.

At import time:

* the repository is laid out as ``<root>/ansible_collections/scailabs/scaivault`` (a symlink
  outside the repo; root = ``$SCAIVAULT_COLL_ROOT`` or ``<tmp>/scailabs-scaivault-<hash>``, the
  same place ``make layout`` uses; a checkout that already sits in such a tree, as under
  ``ansible-test units``, is used as it is), ``<root>`` goes first on ``sys.path``, Ansible's own
  collection finder is installed for it (unless ``ansible-test units`` installed it already) and
  ``ANSIBLE_COLLECTIONS_PATH=<root>`` is exported for subprocesses, so
  ``from ansible_collections.scailabs.scaivault.plugins.module_utils._x import y`` works, and so
  do ``ansible.plugins.loader`` look-ups of ``scailabs.scaivault.*``;
* ``tests/`` is put on ``sys.path``: helpers import as ``harness.servers`` and
  ``integration.playbook_runner``;
* real AWS settings are removed from the environment and dummy ones set (credentials
  ``testing``, region us-east-1, no metadata endpoint, config files ``/dev/null``), as are
  ``SCAIVAULT_*`` connection settings left over from a ``source .dev/env``.

Fixtures (servers start only when a test asks for one of them):

``servers`` (session; per xdist worker)
    ``harness.servers.Servers``: dev server + ASM stand-in on loopback, free ports, stopped at the
    end. ``.env``, ``.subprocess_env()``, ``.scaivault_url``, ``.asm_url``, ``.token``,
    ``.restart_dev()`` (kill -9 + restart, same port and data), ``.reset_all()``...
    A missing tests/devserver/server.py or a server that does not start fails every test that
    uses the fixture (never a skip).
``clean_servers`` (function)
    ``servers`` after ``reset_all()`` (dev data, moto state, call counters, faults).
``dev_server`` (function)
    ``clean_servers`` with the dev server up (it is restarted if a test left it down).
``scaivault_http`` (function)
    ``httpx.Client`` on the dev server with the admin token, for out-of-band reads.
``asm_client_factory`` (function)
    ``factory(region="us-east-1", retries=None, **client_kwargs)`` -> boto3 secretsmanager client
    on the moto endpoint with dummy credentials. ``retries=1`` means one attempt, no retry.
``dev_faults`` (function)
    helpers for both fault injectors, cleared after the test: ``.dev([...])``, ``.clear_dev()``,
    ``.asm(target=..., code=..., count=..., share=...)``, ``.clear_asm()``, ``.asm_calls()``.
``playbook`` / ``module`` (function)
    ``run_playbook`` / ``run_module`` from ``integration.playbook_runner`` bound to the servers' env.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from harness import servers as _servers  # noqa: E402  pylint: disable=wrong-import-position


def _layout() -> Path:
    repo = TESTS_DIR.parent
    if repo.parent.parent.name == "ansible_collections":
        # Already a real .../ansible_collections/scailabs/scaivault (ansible-test units runs in such a copy).
        root = repo.parent.parent.parent
    else:
        root = _servers.ensure_layout()
    os.environ["SCAIVAULT_COLL_ROOT"] = str(root)
    os.environ["ANSIBLE_COLLECTIONS_PATH"] = str(root)
    if str(root) in sys.path:
        sys.path.remove(str(root))
    sys.path.insert(0, str(root))
    # Same as ansible-test's pytest plugin: collection imports go through Ansible's own
    # finder, so plugin-loader look-ups and plain imports see the same modules. ansible-core is
    # a requirement (requirements.txt): without it this import fails the whole run, loudly.
    # Under ansible-test units its plugin has installed one already: a second would fight it.
    from ansible.utils.collection_loader._collection_finder import (  # pylint: disable=import-outside-toplevel
        _AnsibleCollectionFinder,
    )
    if not any(isinstance(finder, _AnsibleCollectionFinder) for finder in sys.meta_path):
        _AnsibleCollectionFinder(paths=[str(root)])._install()  # pylint: disable=protected-access
    return root


def _isolate_environment() -> None:
    for key in list(os.environ):
        if key.startswith("AWS_") or (key.startswith("SCAIVAULT_") and key not in _servers.KEEP_SCAIVAULT):
            del os.environ[key]
    os.environ.update(_servers.DUMMY_AWS_ENV)
    no_proxy = [p for p in os.environ.get("NO_PROXY", "").split(",") if p]
    for host in _servers.LOOPBACK_NO_PROXY.split(","):
        if host not in no_proxy:
            no_proxy.append(host)
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = ",".join(no_proxy)


COLL_ROOT = _layout()
_isolate_environment()


# -- CI: a skip is a failure unless it is on the allow-list (tests/ci_skips.py) --------------------------
def _skip_reason(report):
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr or "")


def _fail_unexpected_skip(report, nodeid):
    import ci_skips  # pylint: disable=import-outside-toplevel

    if not report.skipped or hasattr(report, "wasxfail") or not ci_skips.ci_is_set(os.environ):
        return
    reason = _skip_reason(report)
    relative = nodeid if nodeid.startswith("tests/") else "tests/" + nodeid.split("tests/", 1)[-1]
    if ci_skips.allowed(relative, reason):
        return
    report.outcome = "failed"
    report.longrepr = ("skipped under CI (%s), and this skip is not on the allow-list of tests/ci_skips.py: %s"
                       % (os.environ.get("CI"), reason))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # pylint: disable=unused-argument
    outcome = yield
    _fail_unexpected_skip(outcome.get_result(), item.nodeid)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _fail_unexpected_skip(outcome.get_result(), collector.nodeid)


# -- servers ------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    """Both local servers for this session (this xdist worker), stopped at the end."""
    state_dir = tmp_path_factory.mktemp("servers")
    srv = _servers.Servers(state_dir=state_dir, verbose=bool(os.environ.get("SCAIVAULT_SERVERS_VERBOSE")))
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def clean_servers(servers):
    """``servers`` reset before the test: empty dev server, empty moto, zero counters, no faults."""
    if servers.dev_available and not servers.dev.alive():
        servers.start_dev()  # a previous test left it down (kill_dev without restart)
    servers.reset_all()
    return servers


@pytest.fixture
def dev_server(clean_servers):
    """``clean_servers``; the dev server is always part of them (see harness.servers.Servers)."""
    if not clean_servers.dev_available:
        pytest.fail("the dev server was not started (Servers(start_dev=False)) but this test needs it", pytrace=False)
    return clean_servers


@pytest.fixture
def scaivault_http(dev_server):
    """httpx client on the dev server with the admin (dev) token; proxies and netrc ignored."""
    import httpx  # pylint: disable=import-outside-toplevel

    with httpx.Client(base_url=dev_server.scaivault_url, timeout=15.0, trust_env=False, verify=False,
                      headers={"Authorization": "Bearer %s" % dev_server.token}) as client:
        yield client


@pytest.fixture
def asm_client_factory(servers):
    """``factory(region="us-east-1", retries=None, **kw)``: boto3 secretsmanager client on moto."""
    import boto3  # pylint: disable=import-outside-toplevel
    from botocore.config import Config  # pylint: disable=import-outside-toplevel

    def factory(region="us-east-1", retries=None, **client_kwargs):
        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                        region_name=region)
        config = client_kwargs.pop("config", None)
        if config is None:
            options = {"retries": {"mode": "standard", "total_max_attempts": retries}} if retries else {}
            config = Config(proxies={}, **options)
        return session.client("secretsmanager", endpoint_url=servers.asm_url, config=config, **client_kwargs)

    return factory


class _Faults:
    def __init__(self, srv):
        self.servers = srv

    def dev(self, faults):
        self.servers.dev_faults(faults)

    def clear_dev(self):
        if self.servers.dev_available and self.servers.dev.alive():
            self.servers.clear_dev_faults()

    def asm(self, target="*", **spec):
        return self.servers.asm_fault(target=target, **spec)

    def clear_asm(self):
        self.servers.clear_asm_faults()

    def asm_calls(self):
        return self.servers.asm_calls()


@pytest.fixture
def dev_faults(clean_servers):
    """Fault injection on both servers; every fault is cleared when the test ends."""
    helper = _Faults(clean_servers)
    yield helper
    helper.clear_asm()
    helper.clear_dev()


# -- ansible runners ----------------------------------------------------------------------------
@pytest.fixture
def playbook(clean_servers):
    """``run_playbook`` with ``env=servers.env`` already bound."""
    from integration.playbook_runner import run_playbook  # pylint: disable=import-outside-toplevel

    return functools.partial(run_playbook, env=clean_servers.env)


@pytest.fixture
def module(clean_servers):
    """``run_module`` with ``env=servers.env`` already bound."""
    from integration.playbook_runner import run_module  # pylint: disable=import-outside-toplevel

    return functools.partial(run_module, env=clean_servers.env)
