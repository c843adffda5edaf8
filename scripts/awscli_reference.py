#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the scailabs.scaivault collection
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Record what the AWS CLI answers to asm_inventory's query tests (tests/integration/awscli_reference/).

    .venv/bin/python scripts/awscli_reference.py [--awscli-python PATH]

tests/integration/test_asm_inventory.py compares the module's ``query`` answers with these files, so the
tests never install the AWS CLI. Run this after changing a scope or expression (SCOPES there) or the
estate (seed_estate): it starts the local servers, seeds the estate, runs ``aws secretsmanager
list-secrets --query`` per scope (cli_timestamp_format = iso8601, as AWS CLI v2 prints), normalizes what
differs between runs (dates, ARN suffixes, version ids; ``normalized`` there) and writes one JSON per scope.

The AWS CLI v1 (PyPI ``awscli``) pins botocore, so it lives in its own virtualenv: --awscli-python names
its python, else build/awscli-venv is created with pip.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests"))

from harness.servers import Servers  # noqa: E402  pylint: disable=wrong-import-position,import-error


def awscli_python(given):
    if given:
        return given
    venv = os.path.join(REPO, "build", "awscli-venv")
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", "awscli"], check=True)
    return python


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--awscli-python", help="python of a virtualenv with awscli installed")
    args = parser.parse_args()
    python = awscli_python(args.awscli_python)
    version = subprocess.run([python, "-m", "awscli", "--version"], capture_output=True, text=True, check=True)
    cli_version = (version.stdout or version.stderr).split()[0]

    from integration import test_asm_inventory as queries  # pylint: disable=import-outside-toplevel,import-error

    with tempfile.TemporaryDirectory(prefix="awscli-reference-") as tmp:
        config = os.path.join(tmp, "aws-config")
        with open(config, "w") as handle:
            handle.write("[default]\ncli_timestamp_format = iso8601\n")
        with Servers(state_dir=os.path.join(tmp, "servers")) as servers:
            servers.reset_all()
            queries.seed_estate(servers.asm_url)
            env = servers.subprocess_env(extra={"AWS_CONFIG_FILE": config})
            os.makedirs(queries.REFERENCE_DIR, exist_ok=True)
            for scope in queries.SCOPES:
                done = subprocess.run([python, "-m", "awscli"] + queries.cli_command(scope, servers.asm_url),
                                      capture_output=True, text=True, env=env, check=True, timeout=300)
                recorded = {"generated_by": "scripts/awscli_reference.py", "awscli": cli_version,
                            "query": queries._combined(queries.SCOPES[scope][3]),  # pylint: disable=protected-access
                            "answer": queries.normalized(json.loads(done.stdout))}
                path = queries.REFERENCE_DIR / ("%s.json" % scope)
                path.write_text(json.dumps(recorded, indent=1, sort_keys=False) + "\n")
                print("wrote %s" % os.path.relpath(str(path), REPO))
    return 0


if __name__ == "__main__":
    sys.exit(main())
