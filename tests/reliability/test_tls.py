# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""TLS (reliability suite): an HTTPS dev server with a certificate from a private CA (trustme).

* validate_certs on (the default) and no CA: the module fails with a message that names the
  certificate problem and says to set ca_path - and nothing is written;
* ca_path (option) or SCAIVAULT_CA_PATH (environment) pointing at the CA: the same task passes;
* ca_path pointing at another CA: fails like an unknown CA;
* a ca_path that does not exist: a clear message naming the file;
* validate_certs=false: passes (the documented escape hatch for throwaway servers).
Both scaivault_secret and asm_migrate are run.
"""

from __future__ import annotations

import pytest
import trustme

from harness.servers import Servers
from integration.playbook_runner import run_module
from reliability import figures

from ansible.module_utils.common import warnings as _warnings


REGION = "us-east-1"
PUT_ROUTE = "PUT /v1/secrets/{path}"


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    base = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_file, key_file, ca_file = base / "server.pem", base / "server.key", base / "ca.pem"
    cert.private_key_pem.write_to_path(str(key_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    ca.cert_pem.write_to_path(str(ca_file))
    other = base / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    srv = Servers(state_dir=base / "servers", tls_cert=cert_file, tls_key=key_file)
    srv.start()  # an HTTPS dev server that does not start fails these tests
    try:
        assert srv.scaivault_url.startswith("https://")
        yield {"servers": srv, "ca": str(ca_file), "other_ca": str(other), "dir": base}
    finally:
        srv.stop()


def _run(tls, module, args, extra_env=None):
    srv = tls["servers"]
    srv.reset_dev_counters()
    _warnings._global_warnings.clear()  # pylint: disable=protected-access
    env = dict(srv.env, **(extra_env or {}))
    result = run_module(module, args, env=env, mode="inprocess")
    puts = (srv.dev_counters().get("by_route") or {}).get(PUT_ROUTE, 0)
    return result, puts


def _secret_args(path, **extra):
    args = {"path": path, "data": {"k": "tls-test-value-123456"}, "retries": 0, "timeout": 10}
    args.update(extra)
    return args


@pytest.fixture(scope="module")
def asm_secret(tls):
    import boto3  # pylint: disable=import-outside-toplevel
    from botocore.config import Config  # pylint: disable=import-outside-toplevel

    srv = tls["servers"]
    sm = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                               region_name=REGION).client("secretsmanager", endpoint_url=srv.asm_url,
                                                          config=Config(proxies={}))
    sm.create_secret(Name="prod/tls/one", SecretString="tls-asm-value-0001")
    return "prod/tls/one"


CASES = [
    # id, module, args(tls) -> dict, extra env, expect ok?, words in msg
    ("unknown CA, validate_certs on (scaivault_secret)", "scaivault_secret",
     lambda t: _secret_args("tls/a"), None, False, ["certificate", "ca_path"]),
    ("unknown CA, validate_certs on (asm_migrate)", "asm_migrate",
     lambda t: {"region": REGION, "prefixes": ["prod/tls/"], "mapping": [{"match": "prod/**", "path": "tls/**"}],
                "retries": 0}, None, False, ["certificate", "ca_path"]),
    ("ca_path = the private CA (scaivault_secret)", "scaivault_secret",
     lambda t: _secret_args("tls/b", ca_path=t["ca"]), None, True, []),
    ("ca_path = the private CA (asm_migrate)", "asm_migrate",
     lambda t: {"region": REGION, "prefixes": ["prod/tls/"], "mapping": [{"match": "prod/**", "path": "tls/**"}],
                "ca_path": t["ca"]}, None, True, []),
    ("SCAIVAULT_CA_PATH = the private CA", "scaivault_secret",
     lambda t: _secret_args("tls/c"), lambda t: {"SCAIVAULT_CA_PATH": t["ca"]}, True, []),
    ("ca_path = another CA", "scaivault_secret",
     lambda t: _secret_args("tls/d", ca_path=t["other_ca"]), None, False, ["certificate", "ca_path"]),
    ("ca_path that does not exist", "scaivault_secret",
     lambda t: _secret_args("tls/e", ca_path=str(t["dir"] / "missing-ca.pem")), None, False, ["missing-ca.pem"]),
    ("validate_certs=false", "scaivault_secret",
     lambda t: _secret_args("tls/f", validate_certs=False), None, True, []),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_tls(tls, asm_secret, case):  # pylint: disable=unused-argument
    case_id, module, make_args, make_env, expect_ok, words = case
    result, puts = _run(tls, module, make_args(tls), make_env(tls) if make_env else None)
    msg = str(result.result.get("msg") or "")
    problems = []
    if expect_ok and result.failed:
        problems.append("failed: %s" % msg[:400])
    if not expect_ok:
        if not result.failed:
            problems.append("did not fail")
        if puts:
            problems.append("%d PUTs reached the server" % puts)
        missing = [w for w in words if w.lower() not in msg.lower()]
        if missing:
            problems.append("message lacks %s: %r" % (missing, msg[:400]))
        if "Traceback" in msg or "Traceback" in result.stderr:
            problems.append("traceback")
    figures.record("tls", case_id, result="ok" if not problems else "FAIL: " + "; ".join(problems)[:200],
                   detail=("passes" if expect_ok else msg[:140]))
    assert not problems, "%s: %s" % (case_id, "; ".join(problems))
