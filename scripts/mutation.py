#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mutation testing of plugins/module_utils with the fast unit tests (make mutation).

    python scripts/mutation.py [--scope GLOB ...] [--jobs N] [--timeout SECONDS] [--report FILE]

mutmut (PyPI, tests/mutation-requirements.txt) mutates a scratch copy of the collection laid out as
``build/mutation/ws/ansible_collections/scailabs/scaivault``: mutmut names a mutant after the file's
path from its working directory, which must equal the module's import name
(``ansible_collections.scailabs.scaivault.plugins.module_utils...``) for the mutant to switch on.
The working tree is never touched, so other work (and other test runs) go on meanwhile.

Each mutant runs only the unit tests that call the mutated function (mutmut's own per-function map),
forked from one pytest process: tests/unit only (no servers, no network), ``-p no:xdist``.

--scope limits the mutated files (globs below plugins/module_utils, e.g. ``_common/*``; default: all).
--resume (MUTATION_RESUME=1) goes on with a run that --timeout stopped: the same copy, only the mutants not yet
checked, so a whole run of one commit can be finished over several sittings.
The score, the survivors and the time taken are printed and written to --report (Markdown); exit 0
whatever the score (tests/MUTATION.md records the last full result and explains every survivor).
"""

import argparse
import ast
import fcntl
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import tokenize

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.dirname(os.path.abspath(sys.executable))
WORK = os.path.join(REPO, "build", "mutation")
COLLECTION = os.path.join("ansible_collections", "scailabs", "scaivault")
MUTATED = COLLECTION + "/plugins/module_utils"
SKIPPED = (".git", ".venv", "build", "reports", ".dev", ".pytest_cache", "mutants", "__pycache__", ".ansible",
           "tests/output")

# test_layers' listing of module_utils is deselected: mutmut keeps its .meta files beside the mutated sources.
# A unit test takes well under a second; 60 s (not pytest.ini's 600 s) ends a mutant that deadlocks a threaded path
# sooner - mutmut's own limit is CPU time, which a deadlocked process does not use.
SETUP_CFG = """[mutmut]
source_paths={mutated}
{only}also_copy=
    ansible_collections
pytest_add_cli_args=-p no:xdist -p no:cacheprovider -q -o addopts= -o timeout=60
    --deselect={collection}/tests/unit/plugins/module_utils/test_layers.py::test_module_utils_holds_only_the_layers_and_the_module_base
pytest_add_cli_args_test_selection={collection}/tests/unit
"""


def tree_commit():
    """The commit the copy was made from (with "+changes" when the tree had uncommitted edits), for the report."""
    def git(*args):
        return subprocess.run(["git"] + list(args), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, check=False).stdout.strip()
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    # Untracked files count: copy_tree copies them too (ignored ones stay out of both).
    return commit + ("+changes" if git("status", "--porcelain") else "")


def copy_tree(workspace):
    """The collection as it is now (tracked or not, build output left out) under the workspace."""
    target = os.path.join(workspace, COLLECTION)

    def ignore(directory, names):
        relative = os.path.relpath(directory, REPO)
        return [name for name in names
                if name in SKIPPED or os.path.normpath(os.path.join(relative, name)) in SKIPPED]

    shutil.copytree(REPO, target, ignore=ignore, symlinks=True)


def mutmut_env():
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    env.pop("SCAIVAULT_COLL_ROOT", None)  # the copy sits in a real ansible_collections tree: tests use it
    env.pop("CI", None)  # unit tests do not skip; the CI skip guard has nothing to do here
    return env


def mutmut(workspace, args, check=False, **kwargs):
    return subprocess.run([os.path.join(BIN, "mutmut")] + args, cwd=workspace, env=mutmut_env(), check=check, **kwargs)


def survivors(workspace):
    """[(mutant name, status)] of every mutant not killed."""
    answer = mutmut(workspace, ["results"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    found = []
    for line in answer.stdout.splitlines():
        name, _sep, status = line.strip().rpartition(": ")
        if name.startswith("ansible_collections.") and status:
            found.append((name[len("ansible_collections.scailabs.scaivault."):], status))
    return found


def mutant_kinds(workspace):
    """{mutant name: "text" or "logic"}: "text" when the mutant changes nothing but string literals (a message,
    a label) - read from the mutated sources mutmut writes (functions ``<mangled>__mutmut_<n>`` beside
    ``<mangled>__mutmut_orig``)."""
    kinds = {}
    root = os.path.join(workspace, "mutants")
    for directory, _dirs, files in os.walk(os.path.join(root, MUTATED)):
        for filename in files:
            if not filename.endswith(".py"):
                continue
            path = os.path.join(directory, filename)
            module = os.path.relpath(path, root)[:-3].replace(os.sep, ".")
            with open(path) as handle:
                source = handle.read()
            functions = {}
            source_lines = source.splitlines(True)
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and "__mutmut_" in node.name:
                    functions[node.name] = _shape("".join(source_lines[node.lineno - 1:node.end_lineno]))
            for name, shape in functions.items():
                base, _sep, number = name.rpartition("__mutmut_")
                original = functions.get(base + "__mutmut_orig")
                if number == "orig" or original is None:
                    continue
                key = module[len("ansible_collections.scailabs.scaivault."):] + "." + name
                kinds[key] = "text" if shape[0] == original[0] and shape[1] != original[1] else "logic"
    return kinds


def _shape(code):
    """(the tokens with every string literal blanked, the string literals)."""
    tokens, strings = [], []
    try:
        for token in tokenize.generate_tokens(io.StringIO(textwrap.dedent(code)).readline):
            if token.type == tokenize.STRING:
                tokens.append("<str>")
                strings.append(token.string)
            elif token.type == tokenize.NAME and token.string.startswith(("x_", "x\u01c1")):
                tokens.append("<name>")  # the function's own (numbered) name
            elif token.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                tokens.append(token.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return (code, [])
    return (tokens, strings)


def diff_of(workspace, name):
    answer = mutmut(workspace, ["show", "ansible_collections.scailabs.scaivault." + name], stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT, text=True)
    return [line for line in answer.stdout.splitlines() if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))]


def _truthy(text):
    return (text or "").strip().lower() in ("1", "true", "yes", "on")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--scope", action="append", default=[],
                        help="glob below plugins/module_utils (repeatable), e.g. _common/* or _plan/secret.py")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("MUTATION_JOBS", "2")))
    parser.add_argument("--timeout", type=int, default=int(os.environ.get("MUTATION_TIMEOUT", "5400")),
                        help="stop mutmut after this many seconds (the result so far is still reported)")
    parser.add_argument("--report", default=os.path.join(REPO, "reports", "mutation.md"))
    parser.add_argument("--diffs", action="store_true", help="print each survivor's diff")
    parser.add_argument("--workspace", default="ws", help="name of the scratch copy under build/mutation (kept after the run)")
    parser.add_argument("--report-only", action="store_true", help="write the report of the last run in --workspace again")
    parser.add_argument("--resume", action="store_true", default=_truthy(os.environ.get("MUTATION_RESUME")),
                        help="go on with the unchecked mutants of the run in --workspace (its copy of the tree and "
                             "its scope are kept as they were, so the result stays the result of one commit)")
    args = parser.parse_args()

    workspace = os.path.join(WORK, args.workspace)
    if args.report_only or args.resume:
        if not os.path.exists(os.path.join(workspace, "mutants")):
            print("mutation: no run in %s; start one without --resume" % workspace, file=sys.stderr)
            return 1
        stored = workspace_scope(workspace)
        if args.scope and sorted(args.scope) != sorted(stored):
            print("mutation: the run in %s has the scope %s, not %s; resume it without a scope (or with its own)"
                  % (workspace, stored or "all of module_utils", args.scope), file=sys.stderr)
            return 1
        args.scope = stored
    if args.report_only:
        return report(args, workspace, 0.0, True, resumed=False)
    os.makedirs(workspace, exist_ok=True)
    # One mutmut per workspace: two would write the same mutants/*.meta at once.
    with open(os.path.join(WORK, args.workspace + ".lock"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            print("mutation: another make mutation is running in %s" % workspace, file=sys.stderr)
            return 1
        if not args.resume:
            prepare(workspace, args.scope)
        return run_mutmut(args, workspace)


def prepare(workspace, scope):
    """A fresh copy of the tree, its commit and its scope, and mutmut's configuration."""
    shutil.rmtree(workspace, ignore_errors=True)
    os.makedirs(workspace)
    copy_tree(workspace)
    with open(os.path.join(workspace, "COMMIT"), "w") as handle:
        handle.write(tree_commit() + "\n")
    with open(os.path.join(workspace, "SCOPE.json"), "w") as handle:
        json.dump(list(scope), handle)
    only = ""
    if scope:
        only = "only_mutate=\n" + "".join("    %s/%s\n" % (MUTATED, item) for item in scope)
    with open(os.path.join(workspace, "setup.cfg"), "w") as handle:
        handle.write(SETUP_CFG.format(mutated=MUTATED, collection=COLLECTION, only=only))


def run_mutmut(args, workspace):
    started = time.time()
    log_path = os.path.join(WORK, args.workspace + "-mutmut-run.log")
    # mutmut keeps every verdict in mutants/*.meta and, run again, checks only the mutants still without one.
    with open(log_path, "a" if args.resume else "w") as log:
        sitting_starts = log.tell()
        # Its own process group: at --timeout, and when this script is interrupted (Ctrl-C, a TERM from make),
        # mutmut and the workers it forked stop together instead of going on as orphans.
        with subprocess.Popen([os.path.join(BIN, "mutmut"), "run", "--max-children", str(args.jobs)], cwd=workspace,
                              env=mutmut_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True) as run:
            previous_term = signal.signal(signal.SIGTERM, _raise_interrupt)
            try:
                code, finished = run.wait(timeout=args.timeout), True
            except subprocess.TimeoutExpired:
                _stop(run)
                code, finished = None, False
            except BaseException:
                _stop(run)
                raise
            finally:
                signal.signal(signal.SIGTERM, previous_term)
    elapsed = time.time() - started
    if finished:
        print("mutation: mutmut exited %s" % code)
    with open(log_path, errors="replace") as log:
        log.seek(sitting_starts)
        if "failed to collect stats" in log.read():
            # The unmutated unit tests failed inside the workspace: nothing was measured.
            print("mutation: the unit tests failed in the mutation workspace before any mutant ran; see %s" % log_path,
                  file=sys.stderr)
            return 1
    return report(args, workspace, elapsed, finished, resumed=args.resume)


def _raise_interrupt(_signum, _frame):
    raise KeyboardInterrupt


def _stop(run):
    """mutmut and its workers (one process group): TERM, then KILL what is left."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(run.pid, sig)
        except ProcessLookupError:
            break
        if sig == signal.SIGTERM:
            time.sleep(5)
    run.wait()


def _workspace_note(workspace, name, default):
    """What prepare() wrote into the workspace (its commit, its scope); ``default`` for a workspace from before."""
    try:
        with open(os.path.join(workspace, name)) as handle:
            return json.load(handle) if name.endswith(".json") else handle.read().strip()
    except (OSError, ValueError):
        return default


def workspace_scope(workspace):
    return _workspace_note(workspace, "SCOPE.json", [])


def workspace_commit(workspace):
    return _workspace_note(workspace, "COMMIT", "unknown (a workspace from before COMMIT was recorded)")


def report(args, workspace, elapsed, finished, resumed):
    """Score, survivors by function and kind, written to --report and printed."""
    mutmut(workspace, ["export-cicd-stats"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stats_file = os.path.join(workspace, "mutants", "mutmut-cicd-stats.json")
    if not os.path.exists(stats_file):
        print("mutation: mutmut produced no result; see %s" % os.path.join(WORK, args.workspace + "-mutmut-run.log"),
              file=sys.stderr)
        return 1
    with open(stats_file) as handle:
        stats = json.load(handle)
    left = survivors(workspace)
    # Mutants no test reaches ("no tests") count as not killed; a run stopped at --timeout leaves some unchecked.
    tried = sum(stats.get(key, 0) for key in ("killed", "survived", "no_tests", "suspicious", "timeout", "segfault"))
    unchecked = stats["total"] - stats["skipped"] - tried
    killed = stats["killed"] + stats["timeout"] + stats["segfault"]  # a mutant that hangs or crashes the tests is caught
    score = 100.0 * killed / tried if tried else 0.0
    lines = ["# Mutation testing: plugins/module_utils%s" % ((" (" + ", ".join(args.scope) + ")") if args.scope else ""),
             "",
             "mutmut over tests/unit, %d jobs, %s in %d s%s, the tree at commit %s." % (
                 args.jobs, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), elapsed,  # elapsed 0: --report-only
                 ("" if finished else " (stopped at --timeout %d s: partial)" % args.timeout)
                 + (" (this sitting; the run was resumed)" if resumed else ""),
                 workspace_commit(workspace)),
             "",
             "| mutants | checked | killed | survived | timeout | no tests | score |",
             "|---|---|---|---|---|---|---|",
             "| %d | %d | %d | %d | %d | %d | %.1f%% |" % (
                 stats["total"], tried, stats["killed"], stats["survived"], stats["timeout"], stats["no_tests"], score),
             "" if not unchecked else "%d mutants were not checked (the run stopped first); the score is over the "
                                      "checked ones." % unchecked,
             "", "## Not killed (%d)" % len(left), ""]
    kinds = mutant_kinds(workspace)
    by_function = {}
    for name, status in left:
        function = name.rpartition("__mutmut_")[0]
        kind = "no tests" if status == "no tests" else kinds.get(name, "logic") if status == "survived" else status
        counts = by_function.setdefault(function, {})
        counts[kind] = counts.get(kind, 0) + 1
    text_only = sum(counts.get("text", 0) for counts in by_function.values())
    lines[-2] = "## Not killed (%d: %d change only a string literal, %d have no unit test at all)" % (
        len(left), text_only, sum(counts.get("no tests", 0) for counts in by_function.values()))
    lines.append("| function | text | logic | no tests | other |")
    lines.append("|---|---|---|---|---|")
    for function, counts in sorted(by_function.items(), key=lambda item: -sum(item[1].values())):
        other = sum(count for kind, count in counts.items() if kind not in ("text", "logic", "no tests"))
        cells = (function.replace("\u01c1", "."), counts.get("text", 0), counts.get("logic", 0),
                 counts.get("no tests", 0), other)
        lines.append("| `%s` | %s | %s | %s | %s |" % cells)
    lines.extend(["", "### Every mutant not killed", ""])
    for name, status in left:
        kind = kinds.get(name, "") if status == "survived" else ""
        lines.append("- `%s`: %s%s" % (name, status, " (%s)" % kind if kind else ""))
        if args.diffs:
            lines.extend("      " + line for line in diff_of(workspace, name))
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(args.report), exist_ok=True)
    with open(args.report, "w") as handle:
        handle.write(text)
    print(text)
    print("mutation: score %.1f%% (%d of %d tried killed), %d not killed; report %s" % (
        score, killed, tried, len(left), args.report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
