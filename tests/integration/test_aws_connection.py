# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ASM connection is boto3's own chain, proven end to end with asm_inventory against the moto stand-in.

* region from a profile in a temporary AWS config file (option ``profile`` and AWS_PROFILE), with no
  region option and no AWS_REGION / AWS_DEFAULT_REGION;
* assume-role profiles (``role_arn`` + ``source_profile``, ``role_arn`` + ``credential_source``) through
  moto's STS: the ASM calls carry the assumed identity, which moto maps to the role's account, so only
  the secrets of that account are listed (seeded out of band with credentials from sts:AssumeRole);
* AWS_CA_BUNDLE, the profile's ``ca_bundle`` and ``aws_ca_bundle`` reach botocore: an HTTPS stand-in with
  a private-CA certificate in front of moto fails without them and serves with them;
* an instance role: credentials from an EC2 metadata stand-in (AWS_EC2_METADATA_SERVICE_ENDPOINT on loopback);
* region names are checked for shape only: ``mx-central-1`` and a name botocore does not know work;
* a profile together with keys is refused, as amazon.aws refuses it.
Every answer is checked against what the stand-in itself holds or counted, never the module alone.
"""

from __future__ import annotations

import datetime
import http.server
import json
import socket
import ssl
import threading

import pytest
import trustme

from integration.playbook_runner import run_module

MIGRATOR_ROLE = "arn:aws:iam::111111111111:role/scaivault-migrator"
ENV_ROLE = "arn:aws:iam::222222222222:role/scaivault-migrator"


def module_env(servers, drop=(), **extra):
    """servers.env without the variables in ``drop``, plus ``extra`` (run_module adds nothing AWS_* itself)."""
    env = {key: value for key, value in servers.env.items() if key not in drop}
    env.update(extra)
    return env


def names(result):
    return [secret["name"] for secret in result["secrets"]]


@pytest.fixture
def aws_files(tmp_path):
    """Writes a temporary ~/.aws/config and ~/.aws/credentials; returns their variables."""
    def write(config, credentials=""):
        (tmp_path / "config").write_text(config)
        (tmp_path / "credentials").write_text(credentials)
        return {"AWS_CONFIG_FILE": str(tmp_path / "config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials")}
    return write


# -- region ---------------------------------------------------------------------------------------
def test_region_comes_from_the_profile(clean_servers, asm_client_factory, aws_files):
    asm_client_factory("eu-west-1").create_secret(Name="profile/eu-secret", SecretString="region-value-1")
    asm_client_factory("us-east-1").create_secret(Name="profile/us-secret", SecretString="region-value-2")
    files = aws_files("[profile eu]\nregion = eu-west-1\n",
                      "[eu]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    env = module_env(clean_servers, drop=("AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
                     **files)
    clean_servers.reset_asm_calls()

    by_option = run_module("asm_inventory", {"profile": "eu", "prefixes": ["profile/"]}, env=env)
    by_variable = run_module("asm_inventory", {"prefixes": ["profile/"]}, env=dict(env, AWS_PROFILE="eu"))

    for res in (by_option, by_variable):
        assert res.rc == 0, res.result.get("msg")
        assert res.result["region"] == "eu-west-1"
        assert names(res.result) == ["profile/eu-secret"]
    assert set(clean_servers.asm_calls()["by_region"]) == {"eu-west-1"}


def test_no_region_anywhere_says_where_to_set_one(clean_servers, aws_files):
    files = aws_files("[profile bare]\noutput = json\n")
    env = module_env(clean_servers, drop=("AWS_DEFAULT_REGION",), **files)
    res = run_module("asm_inventory", {"prefixes": ["x/"]}, env=env)
    assert res.rc != 0
    assert "no AWS region" in res.result["msg"] and "AWS_REGION" in res.result["msg"]
    assert clean_servers.asm_calls()["total"] == 0


# -- credentials: assume-role profiles through moto's STS -------------------------------------------
def assumed_client(servers, asm_client_factory, role_arn, region="us-east-1"):
    """A Secrets Manager client with credentials from sts:AssumeRole (boto3 directly, out of band)."""
    import boto3  # pylint: disable=import-outside-toplevel

    sts = boto3.client("sts", region_name=region, endpoint_url=servers.asm_url, aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="seed")["Credentials"]
    return asm_client_factory(region, aws_access_key_id=creds["AccessKeyId"],
                              aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])


@pytest.mark.parametrize("profile, role, config, credentials, drop", [
    pytest.param("migrator", MIGRATOR_ROLE,
                 "[profile migrator]\nrole_arn = %s\nsource_profile = base\nregion = us-east-1\n" % MIGRATOR_ROLE,
                 "[base]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
                 ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"), id="source_profile"),
    pytest.param("from-env", ENV_ROLE,
                 "[profile from-env]\nrole_arn = %s\ncredential_source = Environment\nregion = us-east-1\n" % ENV_ROLE,
                 "", (), id="credential_source"),
])
def test_assume_role_profile_acts_as_the_assumed_identity(clean_servers, asm_client_factory, aws_files,
                                                          profile, role, config, credentials, drop):
    account = role.split(":")[4]
    assumed_client(clean_servers, asm_client_factory, role).create_secret(Name="assumed/in-role-account",
                                                                          SecretString="assumed-value-1")
    asm_client_factory("us-east-1").create_secret(Name="assumed/in-default-account", SecretString="assumed-value-2")
    env = module_env(clean_servers, drop=("AWS_DEFAULT_REGION",) + drop, **aws_files(config, credentials))
    clean_servers.reset_asm_calls()

    res = run_module("asm_inventory", {"profile": profile, "prefixes": ["assumed/"]}, env=env)

    assert res.rc == 0, res.result.get("msg")
    assert names(res.result) == ["assumed/in-role-account"]
    assert [s["account_id"] for s in res.result["secrets"]] == [account]
    assert res.result["secrets"][0]["arn"].startswith("arn:aws:secretsmanager:us-east-1:%s:secret:" % account)
    calls = clean_servers.asm_calls()
    assert calls["by_operation"].get("ListSecrets", 0) >= 1
    assert calls["other_total"] >= 1, "sts:AssumeRole must have gone to the stand-in"
    assert "assumed-value" not in res.stdout


def test_profile_and_keys_are_mutually_exclusive(clean_servers, aws_files):
    files = aws_files("[profile p]\nregion = us-east-1\n")
    res = run_module("asm_inventory", {"profile": "p", "aws_access_key": "AKIAEXAMPLE", "aws_secret_key": "x" * 16,
                                       "prefixes": ["x/"]}, env=module_env(clean_servers, **files))
    assert res.rc != 0
    assert "mutually exclusive" in res.result["msg"] and "profile" in res.result["msg"]
    assert clean_servers.asm_calls()["total"] == 0


# -- credentials: instance role ---------------------------------------------------------------------
class MetadataStandIn(http.server.ThreadingHTTPServer):
    """The EC2 instance metadata service (IMDSv2) on loopback, handing out one role's credentials."""

    ROLE = "scaivault-instance-role"

    def __init__(self):
        super().__init__(("127.0.0.1", 0), self.Handler)
        self.requests = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):  # pylint: disable=arguments-differ
            pass

        def _answer(self, body):
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_PUT(self):  # pylint: disable=invalid-name
            self.server.requests.append(("PUT", self.path))
            self._answer("imds-session-token")

        def do_GET(self):  # pylint: disable=invalid-name
            self.server.requests.append(("GET", self.path))
            base = "/latest/meta-data/iam/security-credentials/"
            if self.path == base:
                self._answer(MetadataStandIn.ROLE)
            elif self.path == base + MetadataStandIn.ROLE:
                expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=6)
                self._answer(json.dumps({"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "ASIAINSTANCEROLE",
                                         "SecretAccessKey": "instance-secret", "Token": "instance-session-token",
                                         "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}))
            else:
                self.send_error(404)


def test_instance_role_credentials_come_from_the_metadata_service(clean_servers, asm_client_factory):
    asm_client_factory("us-east-1").create_secret(Name="instance/one", SecretString="instance-value")
    imds = MetadataStandIn()
    try:
        env = module_env(clean_servers, drop=("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_EC2_METADATA_DISABLED"),
                         AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:%d/" % imds.server_address[1])
        res = run_module("asm_inventory", {"region": "us-east-1", "prefixes": ["instance/"]}, env=env)
    finally:
        imds.shutdown()
        imds.server_close()
    assert res.rc == 0, res.result.get("msg")
    assert names(res.result) == ["instance/one"]
    assert ("GET", "/latest/meta-data/iam/security-credentials/" + MetadataStandIn.ROLE) in imds.requests


# -- TLS: AWS_CA_BUNDLE and friends -----------------------------------------------------------------
class TlsForwarder:
    """HTTPS on loopback with a given certificate, passing the bytes on to the moto stand-in."""

    def __init__(self, target_port, cert_file, key_file):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert_file, key_file)
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.handshakes = {"ok": 0, "failed": 0}
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                raw = self.listener.accept()[0]
            except OSError:
                return
            threading.Thread(target=self._handle, args=(raw,), daemon=True).start()

    def _handle(self, raw):
        try:
            conn = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            self.handshakes["failed"] += 1
            raw.close()
            return
        self.handshakes["ok"] += 1
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        threading.Thread(target=self._pump, args=(upstream, conn), daemon=True).start()
        self._pump(conn, upstream)

    @staticmethod
    def _pump(source, target):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.listener.close()


@pytest.fixture
def tls_endpoint(clean_servers, tmp_path):
    ca, other = trustme.CA(), trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    files = {name: tmp_path / name for name in ("ca.pem", "other-ca.pem", "server.pem", "server.key")}
    ca.cert_pem.write_to_path(str(files["ca.pem"]))
    other.cert_pem.write_to_path(str(files["other-ca.pem"]))
    cert.cert_chain_pems[0].write_to_path(str(files["server.pem"]))
    cert.private_key_pem.write_to_path(str(files["server.key"]))
    forwarder = TlsForwarder(clean_servers.asm.port, str(files["server.pem"]), str(files["server.key"]))
    try:
        yield forwarder, {name: str(path) for name, path in files.items()}
    finally:
        forwarder.close()


def test_ca_bundle_from_the_environment_the_profile_or_the_option(clean_servers, asm_client_factory, aws_files,
                                                                  tls_endpoint):
    forwarder, files = tls_endpoint
    asm_client_factory("us-east-1").create_secret(Name="tls/one", SecretString="tls-value-1")
    args = {"endpoint_url": "https://127.0.0.1:%d" % forwarder.port, "region": "us-east-1", "prefixes": ["tls/"],
            "aws_max_attempts": 1}
    env = module_env(clean_servers, drop=("AWS_ENDPOINT_URL",))

    unknown_ca = run_module("asm_inventory", args, env=env)
    assert unknown_ca.rc != 0 and "certificate" in unknown_ca.result["msg"].lower()
    assert forwarder.handshakes == {"ok": 0, "failed": 1}

    served = [
        ("AWS_CA_BUNDLE", run_module("asm_inventory", args, env=dict(env, AWS_CA_BUNDLE=files["ca.pem"]))),
        ("profile ca_bundle", run_module("asm_inventory", args, env=dict(
            env, **aws_files("[default]\nca_bundle = %s\n" % files["ca.pem"])))),
        ("aws_ca_bundle over a wrong AWS_CA_BUNDLE", run_module(
            "asm_inventory", dict(args, aws_ca_bundle=files["ca.pem"]), env=dict(env, AWS_CA_BUNDLE=files["other-ca.pem"]))),
        ("aws_validate_certs false", run_module("asm_inventory", dict(args, aws_validate_certs=False), env=env)),
    ]
    for label, res in served:
        assert res.rc == 0, "%s: %s %s" % (label, res.result.get("msg"), res.stderr[-1500:])
        assert names(res.result) == ["tls/one"], label
    assert forwarder.handshakes["failed"] == 1 and forwarder.handshakes["ok"] >= len(served)


# -- region names -----------------------------------------------------------------------------------
@pytest.mark.parametrize("region", ["mx-central-1", "ap-southeast-7"])
def test_region_names_are_checked_for_shape_only(clean_servers, asm_client_factory, region):
    asm_client_factory(region).create_secret(Name="regional/one", SecretString="region-value")
    clean_servers.reset_asm_calls()
    res = run_module("asm_inventory", {"region": region, "prefixes": ["regional/"]}, env=clean_servers.env)
    assert res.rc == 0, res.result.get("msg")
    assert res.result["region"] == region and names(res.result) == ["regional/one"]
    assert set(clean_servers.asm_calls()["by_region"]) == {region}


def test_a_misspelt_region_is_refused_before_any_call(clean_servers):
    res = run_module("asm_inventory", {"region": "eu_west_1", "prefixes": ["x/"]}, env=clean_servers.env)
    assert res.rc != 0 and "not an AWS region name" in res.result["msg"]
    assert clean_servers.asm_calls()["total"] == 0
