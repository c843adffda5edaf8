# -*- coding: utf-8 -*-
# Copyright: ScaiLabs
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run playbooks and single modules of the collection from tests.

``run_playbook(playbook, env=servers.env, ...)`` runs the venv's ``ansible-playbook`` in a fresh
work directory with an isolated configuration (no ./ansible.cfg, ~/.ansible.cfg or
/etc/ansible is read) against ``localhost`` with ``ansible_connection=local``; the modules run
with ``module_python()`` (the runtime venv when it is built: the four runtime packages only).
The default stdout callback stays on (``result.stdout`` for humans and for leak checks); the
test-only callback ``callback_plugins/scaivault_test_recorder.py`` also writes every task result
as a JSON line, parsed into ``result.tasks``::

    res = run_playbook('''
    - hosts: localhost
      gather_facts: false
      tasks:
        - name: say hi
          ansible.builtin.debug: {msg: hi}
          register: hi
    ''', env=servers.env)
    res.assert_ok()
    res.task("say hi")["result"]["msg"] == "hi";  res.registered["hi"]["msg"] == "hi"

``run_module(name, args, check=False, diff=False, env=servers.env)`` runs ONE module of the
collection without ansible-playbook (about 0.3 s instead of 2 s), the way Ansible's own
"debug a module" recipe does::

    python -m ansible_collections.scailabs.scaivault.plugins.modules.<name> ARGS.json

with ``ARGS.json = {"ANSIBLE_MODULE_ARGS": {..., "_ansible_check_mode": check, "_ansible_diff": diff}}``
and ``PYTHONPATH=<collection root>``; the module prints its result as JSON, returned as
``ModuleResult.result`` (2.19's typed warnings/deprecations flattened back to messages, as
the controller would show them). ``mode="inprocess"`` imports the module and calls ``main()`` in the
test process instead (fastest; shares module-level state, so prefer the subprocess default).

The environment passed to both is ``os.environ`` without any real ``AWS_*`` or ``SCAIVAULT_*``
setting, plus ``env`` (normally ``servers.env``), so nothing outside the test servers is read.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS_DIR = HERE.parent
REPO_ROOT = TESTS_DIR.parent
CALLBACK_DIR = HERE / "callback_plugins"
CALLBACK_NAME = "scaivault_test_recorder"
COLLECTION = "scailabs.scaivault"

if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from harness.servers import ensure_layout, strip_env  # noqa: E402  pylint: disable=wrong-import-position
from integration import runtime_venv  # noqa: E402  pylint: disable=wrong-import-position

DEFAULT_TIMEOUT = 600


class PlaybookTimeout(AssertionError):
    """ansible-playbook ran longer than the timeout; the partial output is attached."""


@dataclass
class PlaybookResult:
    rc: int
    stdout: str
    stderr: str
    records: list = field(default_factory=list)
    command: list = field(default_factory=list)
    workdir: str = ""
    elapsed: float = 0.0

    @property
    def tasks(self) -> list:
        """One dict per task result, in order: task, action, host, status, changed, failed,
        skipped, msg, register, result (the dict a ``register:`` would hold)."""
        return [r for r in self.records if r.get("event") == "task"]

    @property
    def stats(self) -> dict:
        for record in reversed(self.records):
            if record.get("event") == "stats":
                return record["stats"]
        return {}

    @property
    def output(self) -> str:
        """stdout + stderr, for leak checks."""
        return self.stdout + "\n" + self.stderr

    @property
    def registered(self) -> dict:
        """``{register name: result}`` of the last result of each registering task."""
        return {r["register"]: r["result"] for r in self.tasks if r.get("register")}

    @property
    def changed_tasks(self) -> list:
        return [r["task"] for r in self.tasks if r["changed"]]

    @property
    def failed_tasks(self) -> list:
        return [r["task"] for r in self.tasks if r["failed"] and not r.get("ignore_errors")]

    def tasks_named(self, name: str) -> list:
        return [r for r in self.tasks if r["task"] == name or r["task"].endswith(" : " + name)]

    def task(self, name: str) -> dict:
        """The last result of the task called ``name`` (role tasks match without the role prefix)."""
        found = self.tasks_named(name)
        if not found:
            raise KeyError("no result for task %r; tasks run: %s" % (name, [r["task"] for r in self.tasks]))
        return found[-1]

    def assert_ok(self) -> "PlaybookResult":
        if self.rc != 0:
            raise AssertionError("ansible-playbook rc=%d, failed tasks %s\n--- stdout (tail)\n%s\n--- stderr (tail)\n%s" % (
                self.rc, self.failed_tasks, _tail(self.stdout), _tail(self.stderr)))
        return self


@dataclass
class ModuleResult:
    rc: int
    result: dict
    stdout: str
    stderr: str
    command: list = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.result.get("changed"))

    @property
    def failed(self) -> bool:
        return bool(self.result.get("failed")) or self.rc != 0

    @property
    def output(self) -> str:
        return self.stdout + "\n" + self.stderr


def _tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


def coll_root() -> Path:
    return ensure_layout()


def build_env(env: dict | None = None, extra: dict | None = None) -> dict:
    """os.environ without AWS_*/SCAIVAULT_* settings, plus ``env`` and ``extra``."""
    result = strip_env(os.environ)
    result.update(env or {})
    result.update(extra or {})
    return result


def module_python() -> str:
    """The Python the collection's modules run with.

    The runtime venv (``make runtime``: ansible-core, boto3, httpx and jmespath only, as on a user's controller or in
    an AWX execution environment) when it is built: a module that needs anything more fails here as it would there,
    and the module starts about 15% cheaper (httpx imports its optional command line, click + rich + pygments, when
    they are installed, as they are in the development venv). This interpreter instead when the runtime venv is not
    built, when coverage follows subprocesses (the runtime venv has no coverage) or when
    ``SCAIVAULT_TEST_MODULE_PYTHON`` names another one (``current``: this interpreter).
    """
    chosen = os.environ.get("SCAIVAULT_TEST_MODULE_PYTHON", "")
    if chosen and chosen != "current":
        return chosen
    if chosen == "current" or os.environ.get("COVERAGE_PROCESS_CONFIG") or os.environ.get("COVERAGE_PROCESS_START"):
        return sys.executable
    return str(_runtime_python() or sys.executable)


@functools.lru_cache(maxsize=None)
def _runtime_python():
    return runtime_venv.built()


def _ansible_playbook() -> str:
    candidate = Path(sys.executable).parent / "ansible-playbook"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("ansible-playbook")
    if not found:
        raise RuntimeError("ansible-playbook not found next to %s nor on PATH" % sys.executable)
    return found


def _write_playbook(playbook, workdir: Path) -> Path:
    if isinstance(playbook, Path) or (isinstance(playbook, str) and "\n" not in playbook and playbook.strip()
                                      and os.path.exists(playbook)):
        return Path(playbook).resolve()
    path = workdir / "playbook.yml"
    if isinstance(playbook, (list, dict)):
        text = json.dumps(playbook if isinstance(playbook, list) else [playbook], indent=2)  # JSON is YAML
    else:
        text = str(playbook)
    path.write_text(text, encoding="utf-8")
    return path


def _write_inventory(inventory, workdir: Path, interpreter: str) -> str:
    if inventory is None:
        path = workdir / "inventory.ini"
        path.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % interpreter)
        return str(path)
    if isinstance(inventory, Path) or ("\n" not in str(inventory) and os.path.exists(str(inventory))):
        return str(inventory)
    path = workdir / "inventory.ini"
    path.write_text(str(inventory))
    return str(path)


def ansible_env(workdir: Path, env: dict | None = None, log_path=None, results_file=None,
                interpreter: str | None = None) -> dict:
    """The environment for ansible-* commands: isolated config, our collection, the recorder; the modules run with
    ``interpreter`` (default ``module_python()``)."""
    cfg = workdir / "ansible.cfg"
    if not cfg.exists():
        cfg.write_text("[defaults]\n")
    tmp = workdir / "tmp"
    tmp.mkdir(exist_ok=True)
    result = build_env(env)
    result.update({
        "ANSIBLE_CONFIG": str(cfg),
        "ANSIBLE_COLLECTIONS_PATH": str(coll_root()),
        "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACK_DIR),
        "ANSIBLE_CALLBACKS_ENABLED": CALLBACK_NAME,
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_PYTHON_INTERPRETER": interpreter or module_python(),
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
        "ANSIBLE_LOCALHOST_WARNING": "False",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
        "ANSIBLE_LOCAL_TEMP": str(tmp),
        "ANSIBLE_REMOTE_TEMP": str(tmp),
        "ANSIBLE_GALAXY_SERVER_LIST": "",
        "PYTHONUNBUFFERED": "1",
    })
    # Pipelining (one process per task instead of a temporary file, a chmod and a clean-up through /bin/sh), as
    # docs/awx.md recommends: about 10% less CPU per task; SCAIVAULT_TEST_PIPELINING=0 (or the env given) turns it off.
    result.setdefault("ANSIBLE_PIPELINING", os.environ.get("SCAIVAULT_TEST_PIPELINING", "1"))
    if results_file:
        result["SCAIVAULT_TEST_RESULTS_FILE"] = str(results_file)
    if log_path:
        result["ANSIBLE_LOG_PATH"] = str(log_path)
    else:
        result.pop("ANSIBLE_LOG_PATH", None)
    return result


def _read_records(path: Path) -> list:
    records = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                records.append(json.loads(line))
    return records


def run_playbook(playbook, env: dict | None = None, check: bool = False, diff: bool = False, verbosity: int = 0,
                 extra_vars=None, tags=None, skip_tags=None, inventory=None, log_path=None,
                 timeout: float = DEFAULT_TIMEOUT, limit: str | None = None, workdir=None,
                 extra_args=(), keep_workdir: bool | None = None, module_interpreter: str | None = None) -> PlaybookResult:
    """Run ``ansible-playbook`` (playbook = YAML text, a list/dict of plays, or a file path).

    ``extra_vars``: dict (passed as a JSON file, never on the command line) or str/list of
    ``-e`` values. ``tags``/``skip_tags``: str or list. The work directory (playbook copy,
    inventory, config, results) is removed after a successful run unless ``workdir`` was
    given or ``keep_workdir`` is true; on failure it is kept and named in the result.
    ``module_interpreter``: the Python the modules run with (default ``module_python()``, set above any
    inventory's ``ansible_python_interpreter``); ``sys.executable`` leaves the inventory's choice alone.
    """
    owned = workdir is None
    workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="scaivault-playbook-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results_file = workdir / "results.jsonl"
    if results_file.exists():
        results_file.unlink()
    path = _write_playbook(playbook, workdir)
    interpreter = module_interpreter or module_python()
    cmd = [sys.executable, _ansible_playbook(), "-i", _write_inventory(inventory, workdir, interpreter)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    if verbosity:
        cmd.append("-" + "v" * int(verbosity))
    if isinstance(extra_vars, dict):
        ev = workdir / "extra_vars.json"
        ev.write_text(json.dumps(extra_vars))
        os.chmod(ev, 0o600)
        cmd += ["-e", "@%s" % ev]
    elif extra_vars:
        for item in [extra_vars] if isinstance(extra_vars, str) else extra_vars:
            cmd += ["-e", item]
    for flag, value in (("--tags", tags), ("--skip-tags", skip_tags)):
        if value:
            cmd += [flag, value if isinstance(value, str) else ",".join(value)]
    if limit:
        cmd += ["--limit", limit]
    if interpreter != sys.executable:
        # Above any inventory's ansible_python_interpreter (the demo's is "{{ ansible_playbook_python }}").
        cmd += ["-e", json.dumps({"ansible_python_interpreter": interpreter})]
    cmd += list(extra_args)
    cmd.append(str(path))

    run_env = ansible_env(workdir, env, log_path, results_file, interpreter)
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=str(workdir), env=run_env, stdin=subprocess.DEVNULL,  # pylint: disable=consider-using-with
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        raise PlaybookTimeout("ansible-playbook exceeded %ss (workdir %s)\n--- stdout (tail)\n%s\n--- stderr (tail)\n%s" % (
            timeout, workdir, _tail(stdout), _tail(stderr)))
    result = PlaybookResult(rc=proc.returncode, stdout=stdout, stderr=stderr, records=_read_records(results_file),
                            command=cmd, workdir=str(workdir), elapsed=time.monotonic() - started)
    if owned and not keep_workdir and proc.returncode == 0:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def _module_payload(args: dict, check: bool, diff: bool, verbosity: int) -> dict:
    payload = dict(args or {})
    payload.setdefault("_ansible_check_mode", bool(check))
    payload.setdefault("_ansible_diff", bool(diff))
    payload.setdefault("_ansible_verbosity", int(verbosity))
    payload.setdefault("_ansible_no_log", False)
    payload.setdefault("_ansible_debug", False)
    payload.setdefault("_ansible_keep_remote_files", False)
    payload.setdefault("_ansible_module_name", "%s.%s" % (COLLECTION, "module"))
    return {"ANSIBLE_MODULE_ARGS": payload}


def _event_msg(item):
    if isinstance(item, dict) and isinstance(item.get("event"), dict):
        return item["event"].get("msg")
    return item


def _normalize_messages(result: dict) -> dict:
    """ansible-core 2.19 modules print warnings/deprecations as typed summaries
    (``{"event": {"msg": ...}, "__ansible_type": "WarningSummary"}``); the controller turns them
    back into messages. Do the same, so tests read ``result["warnings"]`` as a list of strings
    on every supported ansible-core (the typed form stays in ``result["_raw_warnings"]``)."""
    warnings = result.get("warnings")
    if isinstance(warnings, list) and any(isinstance(w, dict) for w in warnings):
        result["_raw_warnings"] = warnings
        result["warnings"] = [_event_msg(w) for w in warnings]
    deprecations = result.get("deprecations")
    if isinstance(deprecations, list) and any(isinstance(d, dict) and "event" in d for d in deprecations):
        result["_raw_deprecations"] = deprecations
        plain = []
        for item in deprecations:
            if isinstance(item, dict) and "event" in item:
                entry = {"msg": _event_msg(item)}
                for key in ("version", "date"):
                    if item.get(key):
                        entry[key] = item[key]
                deprecator = item.get("deprecator") or {}
                if deprecator.get("resolved_name"):
                    entry["collection_name"] = deprecator["resolved_name"]
                plain.append(entry)
            else:
                plain.append(item)
        result["deprecations"] = plain
    return result


def _parse_module_output(stdout: str) -> dict:
    text = stdout.strip()
    try:
        return _normalize_messages(json.loads(text))
    except ValueError:
        pass
    # Something printed before the result: the result is the last line that parses as an object.
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return _normalize_messages(json.loads(line))
            except ValueError:
                continue
    return {"failed": True, "msg": "module printed no JSON result", "_unparsed_stdout": stdout}


def run_module(module_name: str, args: dict | None = None, check: bool = False, diff: bool = False,
               env: dict | None = None, verbosity: int = 0, mode: str = "subprocess",
               timeout: float = 120) -> ModuleResult:
    """Run one module of the collection (``scaivault_secret`` or the FQCN) and return its JSON."""
    short = module_name.split(".")[-1]
    dotted = "ansible_collections.scailabs.scaivault.plugins.modules.%s" % short
    payload = _module_payload(args or {}, check, diff, verbosity)
    payload["ANSIBLE_MODULE_ARGS"]["_ansible_module_name"] = "%s.%s" % (COLLECTION, short)
    if mode == "inprocess":
        return _run_module_inprocess(dotted, payload, env)
    if mode != "subprocess":
        raise ValueError("mode must be 'subprocess' or 'inprocess'")

    root = str(coll_root())
    with tempfile.TemporaryDirectory(prefix="scaivault-module-") as tmp:
        args_file = Path(tmp) / "args.json"
        args_file.write_text(json.dumps(payload))
        os.chmod(args_file, 0o600)
        run_env = build_env(env)
        run_env["PYTHONPATH"] = os.pathsep.join([root] + ([run_env["PYTHONPATH"]] if run_env.get("PYTHONPATH") else []))
        run_env["ANSIBLE_COLLECTIONS_PATH"] = root
        run_env["TMPDIR"] = tmp
        cmd = [module_python(), "-m", dotted, str(args_file)]
        proc = subprocess.run(cmd, cwd=tmp, env=run_env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout, check=False)
    return ModuleResult(rc=proc.returncode, result=_parse_module_output(proc.stdout), stdout=proc.stdout,
                        stderr=proc.stderr, command=cmd)


@contextlib.contextmanager
def _patched_environ(env: dict):
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _run_module_inprocess(dotted: str, payload: dict, env: dict | None) -> ModuleResult:
    from ansible.module_utils import basic  # pylint: disable=import-outside-toplevel
    from ansible.module_utils import _internal  # pylint: disable=import-outside-toplevel
    from ansible.module_utils.common import warnings as module_warnings  # pylint: disable=import-outside-toplevel

    module = importlib.import_module(dotted)
    saved = {name: getattr(basic, name) for name in ("_ANSIBLE_ARGS", "_ANSIBLE_PROFILE") if hasattr(basic, name)}
    # Once anything in this process loaded Ansible's controller side (a plugin loader, a lookup
    # test), module warnings go to the controller's display instead of the result; run the
    # module as a module, with no warnings left over from an earlier in-process run.
    was_controller = getattr(_internal, "is_controller", False)
    _internal.is_controller = False
    for leftovers in ("_global_warnings", "_global_deprecations"):
        if hasattr(module_warnings, leftovers):
            getattr(module_warnings, leftovers).clear()
    # A module process starts knowing nothing about the tenant's API shapes; so does each in-process run.
    from ansible_collections.scailabs.scaivault.plugins.module_utils._clients.scaivault import (  # pylint: disable=import-outside-toplevel
        forget_discoveries)
    forget_discoveries()
    basic._ANSIBLE_ARGS = json.dumps(payload).encode("utf-8")  # pylint: disable=protected-access
    if "_ANSIBLE_PROFILE" in saved:
        basic._ANSIBLE_PROFILE = "legacy"  # pylint: disable=protected-access
    out, err = io.StringIO(), io.StringIO()
    rc = 0
    try:
        with _patched_environ(build_env(env)), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                module.main()
            except SystemExit as exc:
                rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        for name, value in saved.items():
            setattr(basic, name, value)
        _internal.is_controller = was_controller
    return ModuleResult(rc=rc, result=_parse_module_output(out.getvalue()), stdout=out.getvalue(),
                        stderr=err.getvalue(), command=[dotted, "(in-process)"])
