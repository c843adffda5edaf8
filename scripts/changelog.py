#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write CHANGELOG.md with antsibull-changelog (make changelog).

    python scripts/changelog.py [--check]

Released versions live in changelogs/changelog.yaml; changes not released yet are fragments in
changelogs/fragments/. When galaxy.yml's version is released, this is `antsibull-changelog generate`.
When it is not (the usual state between releases), antsibull-changelog renders it as a release in a
scratch copy of the collection - the real changelog.yaml and the fragments are left alone - and the
version's heading says "(unreleased)". At release time run `antsibull-changelog release` instead: it
moves the fragments into changelog.yaml and writes the same file without the marker.

--check: exit 1 when CHANGELOG.md differs from what would be written (nothing is written).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.dirname(os.path.abspath(sys.executable))
COPIED = ("plugins", "roles", "meta", "galaxy.yml", "changelogs")


def antsibull(args, cwd, collections_path):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path, PATH=BIN + os.pathsep + os.environ["PATH"])
    subprocess.run([os.path.join(BIN, "antsibull-changelog")] + args, cwd=cwd, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def render():
    with open(os.path.join(REPO, "galaxy.yml")) as handle:
        version = str(yaml.safe_load(handle)["version"])
    with open(os.path.join(REPO, "changelogs", "changelog.yaml")) as handle:
        released = version in ((yaml.safe_load(handle) or {}).get("releases") or {})
    scratch = tempfile.mkdtemp(prefix="scaivault-changelog-")
    try:
        root = os.path.join(scratch, "ansible_collections", "scailabs", "scaivault")
        os.makedirs(root)
        # Real copies: antsibull-changelog finds no plugin behind a symlinked directory.
        for name in COPIED:
            source = os.path.join(REPO, name)
            if os.path.isdir(source):
                shutil.copytree(source, os.path.join(root, name), ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, os.path.join(root, name))
        if released:
            antsibull(["generate"], root, scratch)
        else:
            antsibull(["release", "--version", version, "--date", "1970-01-01"], root, scratch)
        with open(os.path.join(root, "CHANGELOG.md")) as handle:
            text = handle.read()
    finally:
        shutil.rmtree(scratch)
    if not released:
        escaped = re.escape(version.replace(".", "\\."))
        text = re.sub(r"(?m)^(## v%s)$" % escaped, r"\1 \\(unreleased\\)", text)
        text = re.sub(r'(<a href="#v[^"]*">v%s)(</a>)' % escaped, r"\1 \\(unreleased\\)\2", text)
    return text


def main(argv):
    text = render()
    path = os.path.join(REPO, "CHANGELOG.md")
    current = open(path).read() if os.path.exists(path) else None
    if "--check" in argv:
        if current != text:
            print("CHANGELOG.md is not what antsibull-changelog writes from changelogs/: run make changelog",
                  file=sys.stderr)
            return 1
        return 0
    if current != text:
        with open(path, "w") as handle:
            handle.write(text)
        print("wrote CHANGELOG.md")
    else:
        print("CHANGELOG.md is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
