#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start, stop and reset the local servers: the ScaiVault dev server and the ASM stand-in (moto).

Used by the pytest fixtures (tests/conftest.py), ``make dev-up``/``make dev-down``, the demo and
the benchmarks. Standard library only, so it also runs before any venv exists (``layout``).

Python API::

    from harness.servers import Servers          # with tests/ on sys.path (conftest does it)
    with Servers(state_dir="/tmp/x").start() as srv:
        srv.env                 # SCAIVAULT_URL, SCAIVAULT_TOKEN, AWS_ENDPOINT_URL, AWS_* dummies
        srv.subprocess_env()    # os.environ minus any real AWS_*/SCAIVAULT_* settings, plus env
        srv.reset_all()         # /_dev/reset, /moto-api/reset, /_calls/reset, DELETE /_fault
        srv.restart_dev()       # kill -9 the dev server, start it again: same port, same data dir

CLI::

    python tests/harness/servers.py up --state-dir .dev     # writes .dev/env, .dev/*.pid, .dev/servers.json
    python tests/harness/servers.py down --state-dir .dev   # stops exactly the PIDs recorded there
    python tests/harness/servers.py status --state-dir .dev
    python tests/harness/servers.py layout                   # ensure + print the ansible_collections root

``up`` takes ports from SCAIVAULT_DEV_PORT / ASM_DEV_PORT (else free ports) and the token from
SCAIVAULT_DEV_TOKEN (else ``skt_dev_<random hex>``). SCAIVAULT_DEV_CONTRACT (``default``, ``alt`` or
``alt:switch,...``; see tests/devserver/contract.py) chooses which reading of the contract's [assumed]
shapes the dev server plays, for ``up`` and for ``Servers()`` alike (``Servers(contract=...)`` wins).
Servers listen on 127.0.0.1 only, and nothing here talks to any other address (proxies are bypassed for these loopback calls).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import shlex
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
DEVSERVER_SCRIPT = REPO_ROOT / "tests" / "devserver" / "server.py"
ASM_SCRIPT = HERE / "asm_server.py"
HOST = "127.0.0.1"

DUMMY_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    # Nothing outside the test run may be read: no profiles, no SSO caches, no real credentials.
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
# Variables that could make boto3 or the collection reach something real; dropped from
# inherited environments (subprocess_env) and unset by the sourced .dev/env file.
UNSET_AWS = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_REGION",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_CA_BUNDLE",
)
# Test settings, not connection settings: kept through the isolation of tests/conftest.py.
KEEP_SCAIVAULT = ("SCAIVAULT_COLL_ROOT", "SCAIVAULT_DEV_CONTRACT", "SCAIVAULT_TEST_MODULE_PYTHON",
                  "SCAIVAULT_TEST_PIPELINING")
CONTRACT_ENV = "SCAIVAULT_DEV_CONTRACT"
LOOPBACK_NO_PROXY = "127.0.0.1,localhost,::1"

# Direct connections only: an HTTP(S)_PROXY in the environment must never see loopback calls.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_OPENER_TLS = urllib.request.build_opener(
    urllib.request.ProxyHandler({}),
    urllib.request.HTTPSHandler(context=ssl._create_unverified_context()),  # pylint: disable=protected-access
)


class ServerError(RuntimeError):
    """A server did not start, or a control call failed."""


class DevServerMissing(ServerError):
    """tests/devserver/server.py is missing: every suite that starts servers fails with this."""


# -- collection layout -------------------------------------------------------------------------
def default_coll_root(repo_root: Path = REPO_ROOT) -> Path:
    """``$SCAIVAULT_COLL_ROOT``, else ``<tmp>/scailabs-scaivault-<sha256(repo path)[:12]>``.

    The Makefile computes the same default by calling ``servers.py layout``.
    """
    env = os.environ.get("SCAIVAULT_COLL_ROOT")
    if env:
        return Path(env)
    digest = hashlib.sha256(os.path.realpath(str(repo_root)).encode("utf-8")).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / ("scailabs-scaivault-%s" % digest)


def ensure_layout(coll_root: Path | None = None, repo_root: Path = REPO_ROOT) -> Path:
    """Create ``<coll_root>/ansible_collections/scailabs/scaivault`` -> repo (race-safe); return coll_root."""
    coll_root = Path(coll_root or default_coll_root(repo_root))
    link = coll_root / "ansible_collections" / "scailabs" / "scaivault"
    target = os.path.realpath(str(repo_root))
    link.parent.mkdir(parents=True, exist_ok=True)
    if os.path.islink(link) and os.path.realpath(link) == target:
        return coll_root
    if link.exists() and not os.path.islink(link):
        raise ServerError("%s exists and is not a symlink; remove it or set SCAIVAULT_COLL_ROOT" % link)
    tmp = link.parent / (".scaivault.%d.%s" % (os.getpid(), secrets.token_hex(4)))
    os.symlink(target, tmp)
    os.replace(tmp, link)  # atomic, so parallel pytest workers never see a missing link
    return coll_root


# -- small HTTP helper -------------------------------------------------------------------------
def http_json(method: str, url: str, body=None, token: str | None = None, timeout: float = 10.0,
              headers: dict | None = None):
    """One HTTP call to a loopback server: returns (status, parsed JSON or text or None)."""
    data = None
    hdrs = dict(headers or {})
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        hdrs.setdefault("Content-Type", "application/json")
    elif method in ("POST", "PUT", "PATCH"):
        data = b""
    if token:
        hdrs.setdefault("Authorization", "Bearer %s" % token)
    request = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    opener = _OPENER_TLS if url.startswith("https:") else _OPENER
    try:
        with opener.open(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    text = raw.decode("utf-8", "replace")
    try:
        return status, (json.loads(text) if text.strip() else None)
    except ValueError:
        return status, text


# -- processes ---------------------------------------------------------------------------------
def _pdeathsig():
    """Linux: the server gets SIGTERM if the process that started it dies (pytest killed -9)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None

    def _preexec():
        prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

    return _preexec


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def process_cmdline(pid: int) -> str:
    """The command line of a running process, '' if it is gone (Linux /proc, else ps)."""
    proc = Path("/proc/%d/cmdline" % pid)
    if proc.parent.exists():
        try:
            return proc.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except OSError:
            return ""
    try:
        out = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True,
                             check=False)
    except OSError:
        return ""
    return out.stdout.strip()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours still "exists"; treat it as gone.
    try:
        done = os.waitpid(pid, os.WNOHANG)[0]
        if done == pid:
            return False
    except ChildProcessError:
        pass
    stat = Path("/proc/%d/stat" % pid)
    if stat.exists():
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            pass
    return True


def stop_pid(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM, wait up to timeout, then SIGKILL."""
    if not _pid_alive(pid):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _pid_alive(pid):
        time.sleep(0.05)


class ManagedServer:
    """One server subprocess that reports its port through a port file."""

    def __init__(self, name: str, argv: list, env: dict, state_dir: Path, detach: bool = False) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = env
        self.state_dir = state_dir
        self.detach = detach
        self.port_file = state_dir / ("%s.port" % name)
        self.log_path = state_dir / ("%s.log" % name)
        self.proc: subprocess.Popen | None = None
        self.pid: int | None = None
        self.port: int | None = None

    def start(self, port: int = 0, timeout: float = 30.0, ready=None) -> int:
        """Start with --port PORT (0 = free) and wait for the port file and ``ready(port)``."""
        deadline = time.monotonic() + timeout
        attempt = 0
        while True:
            attempt += 1
            try:
                self.port_file.unlink()
            except FileNotFoundError:
                pass
            argv = self.argv + ["--host", HOST, "--port", str(port), "--port-file", str(self.port_file)]
            with open(self.log_path, "ab") as log:
                command = " ".join(shlex.quote(a) for a in argv)
                log.write(("\n=== %s start %s: %s\n" % (self.name, time.strftime("%H:%M:%S"), command)).encode())
                log.flush()
                kwargs = dict(stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                              cwd=str(self.state_dir), close_fds=True)
                if self.detach:
                    kwargs["start_new_session"] = True  # survives the CLI and the terminal's ^C
                elif sys.platform.startswith("linux"):
                    kwargs["preexec_fn"] = _pdeathsig()
                self.proc = subprocess.Popen(argv, **kwargs)  # pylint: disable=consider-using-with
            self.pid = self.proc.pid
            try:
                self.port = self._wait_ready(deadline, ready)
                return self.port
            except ServerError:
                exited = self.proc.poll() is not None
                self.kill()
                # A fixed port may still be held for a moment after a kill -9: retry the bind.
                if port and exited and time.monotonic() < deadline:
                    time.sleep(min(0.2 * attempt, 1.0))
                    continue
                raise

    def _wait_ready(self, deadline: float, ready) -> int:
        port = None
        last_error = "no port file"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError("%s exited with %s before it was ready; log %s:\n%s" % (
                    self.name, self.proc.returncode, self.log_path, _log_tail(self.log_path)))
            if port is None:
                try:
                    text = self.port_file.read_text().strip()
                    port = int(text) if text else None
                except (FileNotFoundError, ValueError):
                    port = None
            if port is not None:
                if ready is None:
                    return port
                try:
                    if ready(port):
                        return port
                    last_error = "readiness check said no"
                except (OSError, urllib.error.URLError) as exc:
                    last_error = str(exc)
            time.sleep(0.05)
        raise ServerError("%s not ready in time (%s); log %s:\n%s" % (
            self.name, last_error, self.log_path, _log_tail(self.log_path)))

    def alive(self) -> bool:
        if self.proc is not None:
            return self.proc.poll() is None
        return bool(self.pid) and _pid_alive(self.pid)

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        elif self.proc is None and self.pid:
            stop_pid(self.pid, timeout)
        self.proc = None

    def kill(self) -> None:
        """kill -9, as a crash would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None


class Servers:
    """Both local servers, their URLs, token and the environment that points clients at them."""

    def __init__(self, state_dir=None, token: str | None = None, dev_port: int = 0, asm_port: int = 0,
                 python: str | None = None, detach: bool = False, verbose: bool = False,
                 start_dev: bool = True, dev_args=(), tls_cert=None, tls_key=None, tokens_file=None,
                 contract: str | None = None) -> None:
        self.state_dir = Path(state_dir) if state_dir else Path(tempfile.mkdtemp(prefix="scaivault-servers-"))
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = self.state_dir / "devserver-data"
        self.token = token or "skt_dev_" + secrets.token_hex(16)
        self.python = python or sys.executable
        self.detach = detach
        self.verbose = verbose
        self.want_dev = start_dev
        self.dev_args = list(dev_args)
        self.tls = (str(tls_cert), str(tls_key)) if tls_cert and tls_key else None
        self.tokens_file = tokens_file
        # Which reading of the [assumed] shapes the dev server plays: default, alt or alt:a,b.
        self.contract = contract or os.environ.get(CONTRACT_ENV) or "default"
        self._dev_port_wanted = dev_port
        self._asm_port_wanted = asm_port
        base_env = strip_env(os.environ)
        base_env.update(DUMMY_AWS_ENV)
        base_env["NO_PROXY"] = base_env["no_proxy"] = LOOPBACK_NO_PROXY
        base_env["PYTHONUNBUFFERED"] = "1"
        self._base_env = base_env
        self.asm = ManagedServer("asm_server", [self.python, str(ASM_SCRIPT)] + (["--verbose"] if verbose else []),
                                 dict(base_env), self.state_dir, detach)
        self.dev: ManagedServer | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> "Servers":
        try:
            self.asm.start(self._asm_port_wanted, timeout, ready=self._asm_ready)
            if self.want_dev:
                self.start_dev(self._dev_port_wanted, timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _dev_argv(self) -> list:
        argv = [self.python, str(DEVSERVER_SCRIPT), "--data-dir", str(self.data_dir), "--dev-controls",
                "--asm-endpoint-url", self.asm_url]
        if self.tls:
            argv += ["--tls-cert", self.tls[0], "--tls-key", self.tls[1]]
        if self.tokens_file:
            argv += ["--tokens-file", str(self.tokens_file)]
        return argv + ["--contract", self.contract] + self.dev_args

    def start_dev(self, port: int | None = None, timeout: float = 60.0) -> None:
        """Start (or start again) the dev server; ``port`` None = the port it had before."""
        if not DEVSERVER_SCRIPT.exists():
            raise DevServerMissing("%s does not exist: the ScaiVault dev server is part of this repository "
                                   "(git checkout -- tests/devserver)" % DEVSERVER_SCRIPT.relative_to(REPO_ROOT))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if port is None:
            port = self.dev.port if self.dev and self.dev.port else 0
        env = dict(self._base_env)
        env["SCAIVAULT_DEV_TOKEN"] = self.token
        self.dev = ManagedServer("devserver", self._dev_argv(), env, self.state_dir, self.detach)
        self.dev.start(port, timeout, ready=self._dev_ready)

    def stop_dev(self, timeout: float = 10.0) -> None:
        if self.dev:
            self.dev.stop(timeout)

    def kill_dev(self) -> None:
        """kill -9 the dev server (it stays down until start_dev/restart_dev)."""
        if self.dev:
            self.dev.kill()

    def restart_dev(self, hard: bool = True, timeout: float = 60.0) -> None:
        """Crash (kill -9, or SIGTERM with hard=False) and restart on the SAME port and data dir."""
        if not self.dev:
            raise ServerError("dev server not started (Servers(start_dev=False))")
        port = self.dev.port
        if hard:
            self.dev.kill()
        else:
            self.dev.stop()
        self.start_dev(port, timeout)

    def stop(self, timeout: float = 10.0) -> None:
        for server in (self.dev, self.asm):
            if server is not None:
                try:
                    server.stop(timeout)
                except Exception:  # pylint: disable=broad-except
                    server.kill()

    def __enter__(self) -> "Servers":
        if self.asm.proc is None:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- readiness -----------------------------------------------------------------------------
    def _asm_ready(self, port: int) -> bool:
        status = http_json("GET", "http://%s:%d/_calls" % (HOST, port), timeout=2)[0]
        return status == 200

    def _dev_ready(self, port: int) -> bool:
        url = "%s://%s:%d/v1/health" % ("https" if self.tls else "http", HOST, port)
        status = http_json("GET", url, token=self.token, timeout=2)[0]
        return status < 500

    # -- where things are ----------------------------------------------------------------------
    @property
    def dev_available(self) -> bool:
        """False only for Servers(start_dev=False); a missing dev server script fails start()."""
        return self.dev is not None

    @property
    def scaivault_url(self) -> str:
        if not self.dev:
            raise ServerError("dev server not started (Servers(start_dev=False))")
        return "%s://%s:%d" % ("https" if self.tls else "http", HOST, self.dev.port)

    @property
    def asm_url(self) -> str:
        return "http://%s:%d" % (HOST, self.asm.port)

    @property
    def env(self) -> dict:
        """Variables that point clients (modules, boto3, the aws CLI) at these servers."""
        env = dict(DUMMY_AWS_ENV)
        env["AWS_ENDPOINT_URL"] = self.asm_url
        env["NO_PROXY"] = env["no_proxy"] = LOOPBACK_NO_PROXY
        if self.dev:
            env["SCAIVAULT_URL"] = self.scaivault_url
            env["SCAIVAULT_TOKEN"] = self.token
        return env

    def subprocess_env(self, base=None, extra=None) -> dict:
        """``base`` (default os.environ) without real AWS_*/SCAIVAULT_* settings, plus ``env``."""
        env = strip_env(os.environ if base is None else base)
        env.update(self.env)
        if extra:
            env.update(extra)
        return env

    def describe(self) -> dict:
        return {
            "scaivault_url": self.scaivault_url if self.dev else None,
            "asm_url": self.asm_url,
            "token": self.token,
            "devserver_pid": self.dev.pid if self.dev else None,
            "asm_server_pid": self.asm.pid,
            "devserver_port": self.dev.port if self.dev else None,
            "asm_server_port": self.asm.port,
            "data_dir": str(self.data_dir),
            "state_dir": str(self.state_dir),
            "contract": self.contract,
        }

    # -- control calls -------------------------------------------------------------------------
    def dev_call(self, method: str, path: str, body=None, token: str | None = None, expect=None):
        """One call to the dev server (admin token); raises ServerError unless 2xx (or in ``expect``)."""
        status, data = http_json(method, self.scaivault_url + path, body, token=token or self.token)
        if (status not in expect) if expect else not 200 <= status < 300:
            raise ServerError("%s %s -> %s %s" % (method, path, status, data))
        return data

    def asm_call(self, method: str, path: str, body=None, expect=None):
        """One call to the ASM stand-in; raises ServerError unless 2xx (or in ``expect``)."""
        status, data = http_json(method, self.asm_url + path, body)
        if (status not in expect) if expect else not 200 <= status < 300:
            raise ServerError("%s %s -> %s %s" % (method, path, status, data))
        return data

    def reset_dev(self) -> None:
        if self.dev:
            self.dev_call("POST", "/_dev/reset")

    def reset_asm(self) -> None:
        self.asm_call("DELETE", "/_fault")
        self.asm_call("POST", "/moto-api/reset")
        self.asm_call("POST", "/_calls/reset")

    def reset_all(self) -> None:
        self.reset_asm()
        self.reset_dev()

    # ASM stand-in
    def asm_calls(self) -> dict:
        return self.asm_call("GET", "/_calls")

    def reset_asm_calls(self) -> None:
        self.asm_call("POST", "/_calls/reset")

    def asm_fault(self, target: str = "*", code: str = "ThrottlingException", status: int = 400,
                  count: int = -1, share=None, seed: int = 1, append: bool = False, **extra) -> dict:
        spec = dict(target=target, code=code, status=status, count=count, seed=seed, append=append, **extra)
        if share is not None:
            spec["share"] = share
        return self.asm_call("POST", "/_fault", spec)

    def clear_asm_faults(self) -> None:
        self.asm_call("DELETE", "/_fault")

    # dev server (/_dev/*, see docs/development.md)
    def dev_faults(self, faults: list) -> None:
        self.dev_call("POST", "/_dev/faults", {"faults": list(faults)})

    def clear_dev_faults(self) -> None:
        self.dev_call("DELETE", "/_dev/faults")

    def dev_counters(self) -> dict:
        return self.dev_call("GET", "/_dev/counters")

    def reset_dev_counters(self) -> None:
        self.dev_call("POST", "/_dev/counters/reset")

    def dev_rate_limits(self, enabled: bool = True, per_minute: dict | None = None) -> None:
        self.dev_call("POST", "/_dev/rate-limits", {"enabled": enabled, "per_minute": per_minute or {}})

    def dev_contract(self, spec: str | None = None) -> dict:
        """The contract the dev server plays; with ``spec`` (default, alt, alt:a,b) play that one from now on
        (``reset_dev`` goes back to the startup contract)."""
        if spec is None:
            return self.dev_call("GET", "/_dev/contract")
        return self.dev_call("POST", "/_dev/contract", {"spec": spec})

    def dev_add_token(self, token: str, identity_id: str, scopes: list, **extra) -> None:
        self.dev_call("POST", "/_dev/tokens", dict(token=token, identity_id=identity_id, scopes=scopes, **extra))


def strip_env(base) -> dict:
    """A copy of ``base`` without AWS_* and SCAIVAULT_* settings (except the layout root)."""
    return {k: v for k, v in base.items()
            if not (k.startswith("AWS_") or (k.startswith("SCAIVAULT_") and k not in KEEP_SCAIVAULT))}


# -- CLI (make dev-up / dev-down) ---------------------------------------------------------------
_PID_FILES = {"asm_server": "asm_server.pid", "devserver": "devserver.pid"}
_MARKERS = {"asm_server": str(ASM_SCRIPT), "devserver": str(DEVSERVER_SCRIPT)}


def _recorded(state_dir: Path) -> dict:
    """{name: pid} of servers recorded in state_dir that are alive AND still run our command."""
    found = {}
    for name, fname in _PID_FILES.items():
        pid_file = state_dir / fname
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            continue
        cmdline = process_cmdline(pid)
        port_file = str(state_dir.resolve() / ("%s.port" % name))
        if _pid_alive(pid) and _MARKERS[name] in cmdline and port_file in cmdline:
            found[name] = pid
    return found


def _env_file_text(srv: Servers, coll_root: Path | None) -> str:
    lines = ["# written by tests/harness/servers.py up; source it: . %s" % (srv.state_dir / "env"),
             "unset %s" % " ".join(UNSET_AWS)]
    env = dict(srv.env)
    env["ANSIBLE_PYTHON_INTERPRETER"] = srv.python
    for key in sorted(env):
        lines.append("export %s=%s" % (key, shlex.quote(env[key])))
    if coll_root:
        lines.append("# Ansible uses the collection of THIS SOURCE TREE (a symlink layout), not an installed copy")
        lines.append("# (make dev-up DEV_COLLECTIONS_PATH=none leaves this line out):")
        lines.append("export ANSIBLE_COLLECTIONS_PATH=%s" % shlex.quote(str(coll_root)))
    bindir = Path(srv.python).parent
    if (bindir / "ansible-playbook").exists():
        lines.append("export PATH=%s:\"$PATH\"" % shlex.quote(str(bindir)))
    return "\n".join(lines) + "\n"


def _write_private(path: Path, text: str) -> None:
    """Write text to a file only its owner can read (0600), replacing it whole."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(str(tmp), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(str(tmp), 0o600)
    os.replace(str(tmp), str(path))


def cmd_up(args) -> int:
    state_dir = Path(args.state_dir).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(str(state_dir), 0o700)
    running = _recorded(state_dir)
    if running:
        print("servers already running from %s (pids %s); `make dev-down` first to restart them" % (
            state_dir, ", ".join("%s=%d" % kv for kv in sorted(running.items()))))
        return 0
    token = os.environ.get("SCAIVAULT_DEV_TOKEN") or None
    srv = Servers(state_dir=state_dir, token=token, detach=True, verbose=args.verbose,
                  dev_port=int(os.environ.get("SCAIVAULT_DEV_PORT") or 0),
                  asm_port=int(os.environ.get("ASM_DEV_PORT") or 0))
    srv.start()
    coll_root = None
    if args.collections_path == "layout":
        try:
            coll_root = ensure_layout()
        except (OSError, ServerError) as exc:
            print("warning: collection layout not created: %s" % exc, file=sys.stderr)
    elif args.collections_path not in ("", "none"):
        coll_root = Path(args.collections_path)
    (state_dir / _PID_FILES["asm_server"]).write_text("%d\n" % srv.asm.pid)
    if srv.dev:
        (state_dir / _PID_FILES["devserver"]).write_text("%d\n" % srv.dev.pid)
    env_path = state_dir / "env"
    # Both hold the dev admin token: private from the first byte (no window at the umask's mode).
    _write_private(env_path, _env_file_text(srv, coll_root))
    info = srv.describe()
    _write_private(state_dir / "servers.json", json.dumps(info, indent=2) + "\n")
    print("ScaiVault dev server  %s  (pid %d, data %s, contract %s)" % (srv.scaivault_url, srv.dev.pid, srv.data_dir,
                                                                        srv.contract))
    print("ASM stand-in (moto)   %s  (pid %d)" % (srv.asm_url, srv.asm.pid))
    print("logs: %s/*.log    env: source %s" % (state_dir, env_path))
    if coll_root:
        print("the env file sets ANSIBLE_COLLECTIONS_PATH=%s%s" % (
            coll_root, " (this source tree)" if args.collections_path == "layout" else ""))
    print("stop: python tests/harness/servers.py down --state-dir %s  (make dev-down for .dev)" % state_dir)
    return 0


def cmd_down(args) -> int:
    state_dir = Path(args.state_dir).resolve()
    if not state_dir.exists():
        print("nothing to stop (%s does not exist)" % state_dir)
        return 0
    running = _recorded(state_dir)
    for name in ("devserver", "asm_server"):
        if name in running:
            stop_pid(running[name])
            print("stopped %s (pid %d)" % (name, running[name]))
    for fname in list(_PID_FILES.values()) + ["env", "servers.json"]:
        try:
            (state_dir / fname).unlink()
        except FileNotFoundError:
            pass
    if not running:
        print("no running servers recorded in %s" % state_dir)
    return 0


def cmd_status(args) -> int:
    state_dir = Path(args.state_dir).resolve()
    running = _recorded(state_dir)
    info_path = state_dir / "servers.json"
    if running and info_path.exists():
        print(info_path.read_text().rstrip())
    for name in _PID_FILES:
        print("%-10s %s" % (name, "running (pid %d)" % running[name] if name in running else "not running"))
    return 0 if running else 1


def cmd_layout(args) -> int:
    root = Path(args.root) if args.root else default_coll_root()
    print(root if args.dry_run else ensure_layout(root))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="local ScaiVault dev server + ASM stand-in")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func in (("up", cmd_up), ("down", cmd_down), ("status", cmd_status)):
        p = sub.add_parser(name)
        p.add_argument("--state-dir", default=str(REPO_ROOT / ".dev"))
        p.add_argument("--verbose", action="store_true", help="servers log every request")
        if name == "up":
            p.add_argument("--collections-path", default="layout",
                           help="ANSIBLE_COLLECTIONS_PATH written to the env file: 'layout' (default: this source "
                                "tree's layout), 'none' (not set), or a path")
        p.set_defaults(func=func)
    p = sub.add_parser("layout", help="create and print the ansible_collections root")
    p.add_argument("--root", help="default: $SCAIVAULT_COLL_ROOT or <tmp>/scailabs-scaivault-<hash>")
    p.add_argument("--dry-run", action="store_true", help="only print the path")
    p.set_defaults(func=cmd_layout)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ServerError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
