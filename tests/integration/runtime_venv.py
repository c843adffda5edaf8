#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A venv with ONLY what a user of the collection installs: ansible-core, boto3, httpx, jmespath.

    python tests/integration/runtime_venv.py [PATH]      create or refresh it (make venv does)

Default PATH: <repo>/.venv/runtime (make venv builds it there). The versions, of these packages and of
everything they need, are the ones of the development venv (the one running this script), so nothing new
is resolved; pip installs them through its ordinary index (PyPI). The galaxy-install test
(test_galaxy_install.py) runs an installed tarball with it, and the integration tests run the modules with
it (playbook_runner.module_python): anything the collection needs beyond these four packages (and their
own dependencies) fails there.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import PackageNotFoundError, requires, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
DEFAULT = REPO / ".venv" / "runtime"
PACKAGES = ("ansible-core", "boto3", "botocore", "httpx", "jmespath")  # botocore pinned with boto3


def pins() -> list:
    """The runtime packages and everything they need, at the development venv's versions (nothing resolved anew)."""
    found, todo = {}, list(PACKAGES)
    while todo:
        name = todo.pop()
        key = canonicalize_name(name)
        if key in found:
            continue
        try:
            found[key] = version(name)
        except PackageNotFoundError:
            continue  # an optional dependency the development venv does not have either
        for text in requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return ["%s==%s" % item for item in sorted(found.items())]


def _stamp_text() -> str:
    return "python %d.%d.%d\n" % sys.version_info[:3] + "\n".join(pins()) + "\n"


def ensure(path: Path = DEFAULT) -> Path:
    """The venv at ``path``, (re)built when the pins changed; returns its python."""
    python = built(path)
    if python:
        return python
    python = path / "bin" / "python"
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(path)], check=True)
    # --no-compile: the .pyc of what is imported is written on first use (make unexports PYTHONDONTWRITEBYTECODE),
    # not of all of botocore and ansible-core up front.
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
                   + pins(),
                   check=True)
    (path / ".installed").write_text(_stamp_text())
    return python


def built(path: Path = DEFAULT):
    """The venv's python when it is built with this Python and the development venv's pins, else None (never builds
    it)."""
    python, stamp = path / "bin" / "python", path / ".installed"
    try:
        current = stamp.read_text() == _stamp_text()
    except OSError:
        return None
    return python if current and python.exists() else None


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    print("runtime venv: %s (%s)" % (ensure(target).parent.parent, ", ".join(pins())))
