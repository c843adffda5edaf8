#!/usr/bin/env bash
# make conformance: check a ScaiVault tenant against everything the collection relies on, and print the table
# (item | what the tenant did | what the collection will do).
#
#   scripts/conformance.sh [extra ansible-playbook args]
#
# Against SCAIVAULT_URL with SCAIVAULT_TOKEN (or SCAIVAULT_CLIENT_ID/_SECRET, SCAIVAULT_TENANT_ID) when set, else
# against a local dev server started for the run (its contract: SCAIVAULT_DEV_CONTRACT=default|alt|alt:a,b).
# CONFORMANCE_READ_ONLY=1: read-only checks (nothing written, no secret value read); otherwise the checks also
# write under scaivault-preflight/<random> and remove what they wrote. Runs `ansible-playbook
# scailabs.scaivault.preflight` as an installed collection would; exits non-zero when a scope or a capability the
# runbook needs is missing (named on stderr). Log: reports/conformance.log (CONFORMANCE_LOG=...).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PY=${PYTHON:-$REPO/.venv/bin/python}
case "$PY" in /*) ;; *) PY="$PWD/$PY" ;; esac
BIN=$(dirname "$PY")
LOG=${CONFORMANCE_LOG:-$REPO/reports/conformance.log}
STATE=""

# shellcheck disable=SC2329  # invoked by the EXIT trap
stop_servers() {
    if [ -n "$STATE" ]; then
        "$PY" "$REPO/tests/harness/servers.py" down --state-dir "$STATE" >/dev/null 2>&1 || true
        rm -rf "$STATE"
    fi
}
trap stop_servers EXIT
trap 'exit 130' INT TERM

export ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-$("$PY" "$REPO/tests/harness/servers.py" layout)}
if [ -z "${SCAIVAULT_URL:-}" ]; then
    STATE=$(mktemp -d "${TMPDIR:-/tmp}/scaivault-conformance.XXXXXX")
    env -u SCAIVAULT_DEV_PORT -u ASM_DEV_PORT "$PY" "$REPO/tests/harness/servers.py" up --state-dir "$STATE" >/dev/null
    # shellcheck disable=SC1091
    . "$STATE/env"
    echo "conformance: no SCAIVAULT_URL set: a local dev server at $SCAIVAULT_URL (contract ${SCAIVAULT_DEV_CONTRACT:-default})"
else
    echo "conformance: $SCAIVAULT_URL"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/scaivault-conformance-cfg.XXXXXX")
printf '[defaults]\n' > "$WORK/ansible.cfg"
export ANSIBLE_CONFIG="$WORK/ansible.cfg"   # nothing from ./ansible.cfg or ~/.ansible.cfg
export ANSIBLE_PYTHON_INTERPRETER="$PY" ANSIBLE_NOCOLOR=1 ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_RETRY_FILES_ENABLED=0
export ANSIBLE_INVENTORY_UNPARSED_WARNING=0
read_only=false
case "${CONFORMANCE_READ_ONLY:-}" in 1|true|yes) read_only=true ;; esac

mkdir -p "$(dirname "$LOG")"
rc=0
(cd "$WORK" && "$PY" "$BIN/ansible-playbook" scailabs.scaivault.preflight -e preflight_read_only="$read_only" "$@") \
    >"$LOG" 2>&1 || rc=$?
rm -rf "$WORK"

# The table and the verdict the playbook printed, without Ansible's JSON quoting.
"$PY" - "$LOG" "$rc" <<'PYEOF'
import json, re, sys
text, rc = open(sys.argv[1], encoding="utf-8").read(), int(sys.argv[2])
for block in re.findall(r'TASK \[[^\]]*Show what the tenant did[^\]]*\].*?\n(?:ok: \[[^\]]+\] => )(\{.*?\n\})', text, re.S):
    for line in json.loads(block)["msg"]:
        print("  " + line)
found = re.findall(r'"msg": "(ScaiVault preflight (?:passed|failed)[^"]*)"', text)
for message in found:
    print(("conformance: " if "passed" in message else "conformance: FAILED: ") + message, file=sys.stderr if "failed" in message else sys.stdout)
if rc and not found:
    errors = [line for line in text.splitlines() if line.startswith(("fatal", "[ERROR]", "ERROR!"))]
    print("conformance: FAILED (rc %d):\n%s" % (rc, "\n".join(errors[-10:]) or "see the log"), file=sys.stderr)
PYEOF
echo "conformance: log $LOG"
exit "$rc"
