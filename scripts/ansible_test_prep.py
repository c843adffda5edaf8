#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every ansible-test run of this repository needs first (scripts/ansible_test.sh: sanity, units, integration).

    python scripts/ansible_test_prep.py get-pip PYVER     write the get-pip stand-in (below)
    python scripts/ansible_test_prep.py mirror SRC DEST   copy the working tree to DEST, a real
                                                          .../ansible_collections/scailabs/scaivault

get-pip: ansible-test bootstraps pip in each venv it creates with get-pip-<ver>.py downloaded from
ci-files.testing.ansible.com, a host we never contact. Its cache file is looked up first, so we put a
stand-in there: ensurepip, then a normal `pip install` of the same arguments (from PyPI through pip).
The pip version comes from the installed ansible-test.

mirror: ansible-test locates the collection from os.getcwd(), which resolves symlinks, so it must run in
a real .../ansible_collections/scailabs/scaivault directory. The files git would list (tracked +
untracked, not ignored) are mirrored there; files no longer in the tree are removed, tests/output kept.
"""

import os
import re
import shutil
import subprocess
import sys

MARKER = "# scailabs.scaivault get-pip stand-in"
SHIM = MARKER + '''
"""Stand-in for get-pip.py: ensurepip, then pip install with the given arguments."""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"],
                      stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet"] + args)
'''
SKIP_DIRS = {".git", ".venv", ".dev", "reports", ".pytest_cache", "__pycache__", ".ansible", ".tox", "build"}


def pip_version(pyver):
    try:
        from ansible_test._internal.python_requirements import get_venv_packages

        class _Python:
            version = pyver

        return get_venv_packages(_Python())["pip"]
    except Exception:  # pylint: disable=broad-except  # internal API moved: read the default from the source
        import ansible_test
        src = open(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")).read()
        return re.search(r"pip=['\"]([0-9.]+)['\"]", src).group(1)


def get_pip(pyver):
    version = pip_version(pyver)
    # The same name ansible_test/_util/target/setup/requirements.py looks for.
    path = os.path.expanduser("~/.ansible/test/cache/get_pip_%s.py" % version.replace(".", "_"))
    existing = open(path).read() if os.path.exists(path) else None
    if existing is None or (existing.startswith(MARKER) and existing != SHIM):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        # make test runs sanity and ansible-test side by side: each writer its own temporary file.
        tmp = "%s.%d.tmp" % (path, os.getpid())
        with open(tmp, "w") as handle:
            handle.write(SHIM)
        os.replace(tmp, path)
        print("ansible-test: get-pip %s stand-in written to %s" % (version, path))


def tree_files(src):
    try:
        out = subprocess.run(["git", "-C", src, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             check=True, capture_output=True).stdout
        return {f for f in out.decode().split("\0") if f and os.path.lexists(os.path.join(src, f))}
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: take everything but local state
        files = set()
        for root, dirs, names in os.walk(src):
            rel = os.path.relpath(root, src)
            dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not (rel == "tests" and d == "output")]
            files.update(os.path.normpath(os.path.join(rel, n)) for n in names if not n.endswith((".pyc", ".pyo")))
        return files


def mirror(src, dest):
    files = tree_files(src)
    os.makedirs(dest, exist_ok=True)
    output = os.path.join("tests", "output")
    for root, _dirs, names in os.walk(dest, topdown=False):
        rel = os.path.relpath(root, dest)
        if rel == output or rel.startswith(output + os.sep):
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
        elif not os.path.exists(d) or os.path.getmtime(d) != os.path.getmtime(s) or \
                os.path.getsize(d) != os.path.getsize(s):
            shutil.copy2(s, d)
    print("ansible-test: %d files mirrored to %s" % (len(files), dest))


def main(argv):
    if len(argv) == 2 and argv[0] == "get-pip":
        get_pip(argv[1])
    elif len(argv) == 3 and argv[0] == "mirror":
        mirror(argv[1], argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
