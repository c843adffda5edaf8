#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dev-server throughput: PUT/s and GET/s, sequential and with N concurrent clients.

    python tests/devserver/measure.py [--count 1000] [--clients 8]
    python tests/devserver/measure.py --base-url http://127.0.0.1:PORT --token TOKEN

Without --base-url it starts its own server (free loopback port, temporary data dir).
Loopback only, and bounded (--count <= 20000, --clients <= 32), so it is safe to run anywhere.
"""

import argparse
import concurrent.futures
import contextlib
import ipaddress
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse

import httpx

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "server.py")
TOKEN = "measure-token"


@contextlib.contextmanager
def own_server():
    """A throw-away server; yields its base URL."""
    with tempfile.TemporaryDirectory(prefix="scaivault-measure-") as workdir:
        port_file = os.path.join(workdir, "port")
        env = dict(os.environ, SCAIVAULT_DEV_TOKEN=TOKEN)
        command = [sys.executable, SERVER, "--port", "0", "--port-file", port_file, "--data-dir", os.path.join(workdir, "data")]
        with subprocess.Popen(command, env=env) as process:
            try:
                deadline = time.monotonic() + 15
                while not os.path.exists(port_file):
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("dev server did not start")
                    time.sleep(0.02)
                with open(port_file, encoding="ascii") as handle:
                    yield "http://127.0.0.1:%s" % handle.read().strip()
            finally:
                process.terminate()
                process.wait(10)


def check_loopback(base_url):
    host = urllib.parse.urlsplit(base_url).hostname or ""
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise SystemExit("refusing a non-loopback --base-url: %s" % base_url)


def run_client(base_url, token, method, paths):
    """One keep-alive client doing ``method`` on each path in turn."""
    with httpx.Client(base_url=base_url, headers={"Authorization": "Bearer " + token}, timeout=30) as client:
        for index, path in enumerate(paths):
            if method == "PUT":
                response = client.put("/v1/secrets/" + path, json={"data": {"password": "p%06d" % index}, "metadata": {"tags": ["measure"]}})
            else:
                response = client.get("/v1/secrets/" + path)
            response.raise_for_status()


def rate(base_url, token, method, paths, clients):
    """Requests per second for ``paths`` split over ``clients`` concurrent clients."""
    shares = [paths[index::clients] for index in range(clients)]
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(run_client, base_url, token, method, share) for share in shares]:
            future.result()
    return len(paths) / (time.perf_counter() - started)


def measure(base_url, token, count, clients):
    run = "measure/%d" % int(time.time() * 1000)
    for label, workers in (("sequential", 1), ("%d concurrent" % clients, clients)):
        paths = ["%s/%s/secret-%05d" % (run, workers, index) for index in range(count)]
        puts = rate(base_url, token, "PUT", paths, workers)
        gets = rate(base_url, token, "GET", paths, workers)
        print("%-14s %5d PUT: %7.0f/s (%5.2f s)   GET: %7.0f/s (%5.2f s)" % (label, count, puts, count / puts, gets, count / gets))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--base-url", help="measure a running server instead of starting one")
    parser.add_argument("--token", default=os.environ.get("SCAIVAULT_DEV_TOKEN"), help="bearer token with secrets:read and secrets:write")
    args = parser.parse_args()
    count, clients = max(1, min(args.count, 20000)), max(1, min(args.clients, 32))
    if args.base_url:
        check_loopback(args.base_url)
        measure(args.base_url, args.token, count, clients)
    else:
        with own_server() as base_url:
            measure(base_url, TOKEN, count, clients)


if __name__ == "__main__":
    main()
