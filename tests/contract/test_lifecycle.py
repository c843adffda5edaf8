# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Persistence across kill -9, graceful SIGTERM, startup flags, and /_dev off without the flag."""

import ssl
import threading
import time

import httpx
import trustme


def write_until_stopped(client, name, acknowledged, stop):
    """Keep writing new versions; remember each (path, version, request id) the server acknowledged."""
    version = 0
    while not stop.is_set():
        try:
            response = client.put("/v1/secrets/crash/%s" % name, json={"data": {"version": version + 1}})
        except httpx.HTTPError:
            return
        if response.status_code in (200, 201):
            version = response.json()["version"]
            acknowledged.append(("crash/" + name, version, response.headers["X-Request-ID"]))


def test_kill_9_keeps_every_acknowledged_write_and_audit_row(spawn_server):
    dev = spawn_server("crash")
    dev.dev("POST", "/_dev/tokens", json={"token": "skt_survivor", "identity_id": "sa:survivor", "scopes": ["secrets:read"]})
    acknowledged, stop = [], threading.Event()
    writers = [threading.Thread(target=write_until_stopped, args=(dev.client(), "w%d" % index, acknowledged, stop)) for index in range(4)]
    for writer in writers:
        writer.start()
    time.sleep(0.6)
    dev.process.proc.kill()  # kill -9 while the writers are still going
    stop.set()
    for writer in writers:
        writer.join(10)
    dev.process.proc.wait(10)
    assert len(acknowledged) > 20

    again = spawn_server("crash")
    api = again.client()
    latest = {}
    for path, version, _request_id in acknowledged:
        latest[path] = max(version, latest.get(path, 0))
    for path, version in latest.items():
        body = api.get("/v1/secrets/" + path).json()
        assert body["version"] >= version and body["data"] == {"version": body["version"]}
        assert api.get("/v1/secrets/" + path, params={"version": version}).json()["data"] == {"version": version}
    logged = set()
    cursor = None
    while True:
        page = api.get("/v1/audit/logs", params=dict({"action": "write", "limit": 1000}, **({"cursor": cursor} if cursor else {}))).json()
        logged.update(row["request_id"] for row in page["logs"])
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    assert {entry[2] for entry in acknowledged} <= logged
    assert again.client("skt_survivor").get("/v1/auth/whoami").json()["identity_id"] == "sa:survivor"


def test_sigterm_finishes_requests_in_progress_then_exits_cleanly(spawn_server):
    dev = spawn_server("graceful")
    dev.dev("POST", "/_dev/faults", json={"faults": [{"kind": "latency", "latency_ms": 500, "method": "PUT"}]})
    result = {}
    slow = threading.Thread(target=lambda: result.update(response=dev.client().put("/v1/secrets/slow/one", json={"data": {}})))
    slow.start()
    # SIGTERM once the PUT is being handled (the server's own in-flight count), not after a guessed delay.
    deadline = time.monotonic() + 10
    while dev.dev("GET", "/_dev/counters")["in_flight"] < 1:
        assert time.monotonic() < deadline, "the slow PUT never reached the server"
        time.sleep(0.01)
    dev.process.proc.terminate()
    slow.join(10)
    assert dev.process.proc.wait(10) == 0
    assert result["response"].status_code == 201
    assert spawn_server("graceful").client().get("/v1/secrets/slow/one").status_code == 200


def test_dev_controls_are_off_without_the_flag(spawn_server, expect_error):
    dev = spawn_server("plain", dev_controls=False)
    client = dev.client(token=None)
    for method, path in (("POST", "/_dev/reset"), ("GET", "/_dev/counters"), ("POST", "/_dev/faults"), ("POST", "/_dev/tokens")):
        expect_error(client.request(method, path, json={}), 404, "not_found")
    assert client.get("/v1/health").status_code == 200


def test_size_and_rate_limit_flags(spawn_server, expect_error):
    dev = spawn_server("flags", extra_args=["--max-secret-bytes", "100", "--rate-limits", '{"enabled": true, "per_minute": {"write": 2}}'])
    api = dev.client()
    expect_error(api.put("/v1/secrets/f/big", json={"data": {"k": "x" * 100}}), 413, "secret_too_large")
    assert api.put("/v1/secrets/f/small", json={"data": {"k": "x"}}).status_code == 201
    expect_error(api.put("/v1/secrets/f/small", json={"data": {"k": "y"}}), 429, "rate_limited")
    dev.dev("POST", "/_dev/reset")
    assert api.put("/v1/secrets/f/small", json={"data": {"k": "x"}}).status_code == 201
    assert api.put("/v1/secrets/f/small", json={"data": {"k": "x"}}).status_code == 200
    expect_error(api.put("/v1/secrets/f/small", json={"data": {"k": "z"}}), 429, "rate_limited")


def test_tls(spawn_server, tmp_path):
    # A private CA and a certificate for 127.0.0.1 (trustme, from requirements-dev.txt: no openssl CLI needed).
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1")
    cert, key, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(ca_file))
    dev = spawn_server("tls", extra_args=["--tls-cert", str(cert), "--tls-key", str(key)])
    assert dev.url.startswith("https://")
    api = dev.client(verify=ssl.create_default_context(cafile=str(ca_file)))
    assert api.put("/v1/secrets/tls/one", json={"data": {"k": 1}}).status_code == 201
    assert api.get("/v1/secrets/tls/one").json()["data"] == {"k": 1}
