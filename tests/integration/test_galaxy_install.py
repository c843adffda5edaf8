# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection as a user gets it: a built tarball, installed into an empty path, run with nothing else.

1. ``ansible-galaxy collection build`` makes the tarball from this tree (galaxy.yml's build_ignore applies);
   no shipped document or Ansible file may point at a repository path the tarball does not contain.
2. ``ansible-galaxy collection install --offline`` puts it into a temporary collections path.
3. A venv holding only ansible-core, boto3, httpx and jmespath (tests/integration/runtime_venv.py) runs
   ``ansible-playbook scailabs.scaivault.migrate -i <installed>/playbooks/inventories/example
   --tags inventory,migrate`` against the local servers, with ANSIBLE_COLLECTIONS_PATH = that temporary path
   only, no PYTHONPATH, no source tree anywhere in reach.
4. ScaiVault is read back over its API: the seeded ASM secrets of both regions are there.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tarfile
from pathlib import Path

from integration import runtime_venv
from integration.secret_helpers import Vault

REPO = Path(__file__).resolve().parents[2]
# Top-level directories of the repository: a relative path into one of them, in a shipped text file, must
# name something the tarball holds.
REPO_DIRS = ("tests", "scripts", "docs", "playbooks", "roles", "awx", "meta", "plugins", "changelogs", "LICENSES")
PATH_REFERENCE = re.compile(r"(?<![\w/.:~-])((?:%s)/[\w./-]*[\w/])" % "|".join(REPO_DIRS))
SEEDED = {
    ("us-east-1", "prod/billing/stripe"): {"publishable_key": "pk_galaxy", "secret_key": "galaxy-value-1"},
    ("us-east-1", "prod/orders/api-token"): {"token": "galaxy-value-2"},
    ("eu-west-1", "prod/billing/stripe"): {"secret_key": "galaxy-value-3"},
    ("eu-west-1", "prod/eu/gdpr/export-key"): {"key": "galaxy-value-4"},
}
MIGRATED = {
    "environments/production/billing/stripe": SEEDED[("us-east-1", "prod/billing/stripe")],
    "environments/production/orders/api-token": SEEDED[("us-east-1", "prod/orders/api-token")],
    "environments/production-eu/billing/stripe": SEEDED[("eu-west-1", "prod/billing/stripe")],
    "environments/production-eu/gdpr/export-key": SEEDED[("eu-west-1", "prod/eu/gdpr/export-key")],
}


def run(cmd, env, cwd, timeout=600):
    proc = subprocess.run([str(c) for c in cmd], env=env, cwd=str(cwd), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, check=False)
    assert proc.returncode == 0, "%s failed (%d):\n%s\n%s" % (
        cmd[0], proc.returncode, proc.stdout[-6000:], proc.stderr[-3000:])
    return proc


def user_env(servers, collections, workdir, bindir):
    """A user's shell: the runtime venv first on PATH, the servers' settings, nothing of the source tree."""
    env = servers.subprocess_env()
    for name in ("PYTHONPATH", "ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_COLLECTIONS_PATHS", "SCAIVAULT_COLL_ROOT",
                 "ANSIBLE_CONFIG", "VIRTUAL_ENV"):
        env.pop(name, None)
    (workdir / "ansible.cfg").write_text("[defaults]\n")
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_CONFIG=str(workdir / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_RETRY_FILES_ENABLED="0", HOME=str(workdir),
               PATH=os.pathsep.join([str(bindir), "/usr/bin", "/bin"]))
    return env


def unshipped_references(members):
    """[(file, path)] of relative repository paths named in shipped text files that the tarball lacks.

    A path may be relative to a subdirectory (a role's ``meta/argument_specs.yml``). Naming a file of the
    source repository is fine when the text says so: "in the source repository" close to the path.
    """
    shipped = set(members)
    for name in members:
        parts = name.split("/")
        shipped.update("/".join(parts[:i]) for i in range(1, len(parts)))
    missing = []
    for name, text in members.items():
        if text is None:
            continue
        for match in PATH_REFERENCE.finditer(text):
            ref = match.group(1).rstrip("/.")
            if ref in shipped or any(item.endswith("/" + ref) for item in shipped):
                continue
            if "source repositor" in text[max(0, match.start() - 200):match.end() + 200]:
                continue
            missing.append((name, ref))
    return missing


def test_built_tarball_installs_and_runs_the_runbook(dev_server, scaivault_http, asm_client_factory, tmp_path):
    python = runtime_venv.ensure()
    bindir = python.parent
    collections, workdir, dist = tmp_path / "collections", tmp_path / "work", tmp_path / "dist"
    for folder in (collections, workdir, dist):
        folder.mkdir()
    env = user_env(dev_server, collections, workdir, bindir)

    # Only the four runtime packages (and their own dependencies) are in the venv.
    installed = json.loads(run([python, "-m", "pip", "list", "--format", "json"], env, workdir).stdout)
    installed = {item["name"].lower() for item in installed}
    assert {"ansible-core", "boto3", "httpx", "jmespath"} <= installed
    assert not installed & {"pytest", "moto", "ansible-lint", "antsibull-docs", "trustme"}

    # 1. Build: what is shipped, and that it stands on its own.
    run([bindir / "ansible-galaxy", "collection", "build", "--output-path", dist, REPO], env, workdir)
    tarball = next(dist.glob("scailabs-scaivault-*.tar.gz"))
    with tarfile.open(tarball) as archive:
        members = {}
        for member in archive.getmembers():
            if member.isfile():
                text = None
                if member.name.endswith((".md", ".yml", ".yaml", ".j2", ".txt")):
                    text = archive.extractfile(member).read().decode("utf-8")
                members[member.name] = text
    for required in ("README.md", "CHANGELOG.md", "changelogs/changelog.yaml", "requirements.txt", "meta/runtime.yml",
                     "playbooks/migrate.yml", "playbooks/inventories/example/hosts.yml", "roles/migrate/README.md"):
        assert required in members, "%s is not shipped" % required
    assert not [name for name in members if name.startswith(("tests/", "scripts/", ".venv", "build/"))
                or name in ("Makefile", "requirements-dev.txt", "docs/development.md", "playbooks/demo.yml")]
    assert unshipped_references(members) == []
    readme = members["README.md"]
    assert "ansible-galaxy collection install scailabs.scaivault" in readme
    assert "ansible-playbook scailabs.scaivault.migrate" in readme

    # 2. Install into an empty path, offline.
    run([bindir / "ansible-galaxy", "collection", "install", "--offline", "-p", collections, tarball], env, workdir)
    installed_root = collections / "ansible_collections" / "scailabs" / "scaivault"
    listing = run([bindir / "ansible-galaxy", "collection", "list", "scailabs.scaivault", "--format", "json"],
                  env, workdir).stdout
    assert list(json.loads(listing)) == [str(collections / "ansible_collections")]

    # 3. The runbook, by its collection name, with the inventory the collection ships.
    for (region, name), value in SEEDED.items():
        asm_client_factory(region).create_secret(Name=name, SecretString=json.dumps(value))
    proc = run([bindir / "ansible-playbook", "scailabs.scaivault.migrate",
                "-i", installed_root / "playbooks" / "inventories" / "example", "--tags", "inventory,migrate"],
               env, workdir)
    assert re.search(r"prod-us-east-1\s+: ok=\d+\s+changed=[1-9]", proc.stdout), proc.stdout[-3000:]
    assert re.search(r"prod-eu-west-1\s+: ok=\d+\s+changed=[1-9]", proc.stdout), proc.stdout[-3000:]
    assert "failed=0" in proc.stdout and "failed=1" not in proc.stdout
    assert (workdir / "reports" / "migrate-summary.json").exists()
    assert "galaxy-value" not in proc.stdout

    # 4. ScaiVault holds what ASM held, read over its API.
    vault = Vault(scaivault_http, dev_server)
    for path, data in MIGRATED.items():
        stored = vault.get(path)
        assert stored is not None and stored["data"] == data, path
