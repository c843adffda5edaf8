#!/usr/bin/env bash
# make demo: the whole ASM -> ScaiVault runbook on local servers, twice.
#
#   scripts/demo.sh [extra ansible-playbook args]     env: PYTHON (default .venv/bin/python)
#
# 1. starts the ScaiVault dev server and the ASM stand-in (own state dir, free ports),
# 2. seeds ~60 ASM secrets of every kind in us-east-1 and eu-west-1 (tests/demo/seed_demo.py),
# 3. runs playbooks/demo.yml (migrate.yml: inventory, federation, migrate, rotation, verify, consumers; a billing
#    app reading with the ASM fallback as its own identity; then cleanup.yml with the references guard) with
#    tests/demo/inventory, and prints the per-region summary,
# 4. runs it again, checks that nothing changed (changed=0 on every host) and prints the cutover status per
#    region as the second run's consumers phase sees it (the app's reads of run 1 included),
# and always stops the servers (EXIT trap). Reports: reports/demo/ (DEMO_REPORT_DIR=...); full logs there too.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PY=${PYTHON:-$REPO/.venv/bin/python}
case "$PY" in /*) ;; *) PY="$PWD/$PY" ;; esac  # we cd below; keep the venv symlink as is
BIN=$(dirname "$PY")
STATE=$(mktemp -d "${TMPDIR:-/tmp}/scaivault-demo.XXXXXX")
PLAYBOOK=${DEMO_PLAYBOOK:-$REPO/playbooks/demo.yml}
INVENTORY=${DEMO_INVENTORY:-$REPO/tests/demo/inventory}
REPORT_DIR=${DEMO_REPORT_DIR:-$REPO/reports/demo}
started=$(date +%s)

# shellcheck disable=SC2329  # invoked by the EXIT trap
stop_servers() {
    "$PY" "$REPO/tests/harness/servers.py" down --state-dir "$STATE" >/dev/null 2>&1 || true
    if [ "${KEEP_DEMO_STATE:-}" = "" ]; then rm -rf "$STATE"; else echo "demo: state kept in $STATE"; fi
}
trap stop_servers EXIT
trap 'exit 130' INT TERM

[ -f "$PLAYBOOK" ] || { echo "demo: $PLAYBOOK does not exist" >&2; exit 2; }
export ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-$("$PY" "$REPO/tests/harness/servers.py" layout)}

env -u SCAIVAULT_DEV_PORT -u ASM_DEV_PORT "$PY" "$REPO/tests/harness/servers.py" up --state-dir "$STATE" >/dev/null
# shellcheck disable=SC1091
. "$STATE/env"
export ANSIBLE_PYTHON_INTERPRETER="$PY"
export ANSIBLE_NOCOLOR="${ANSIBLE_NOCOLOR:-1}"
export ANSIBLE_PIPELINING=1
export ANSIBLE_FORKS=${ANSIBLE_FORKS:-10}
printf '[defaults]\n' > "$STATE/ansible.cfg"
export ANSIBLE_CONFIG="$STATE/ansible.cfg"   # nothing from ./ansible.cfg or ~/.ansible.cfg
export ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_RETRY_FILES_ENABLED=0
# The option A webhook's signing secret: random per demo, never printed.
DEMO_WEBHOOK_SECRET=$("$PY" -c 'import secrets; print(secrets.token_hex(24))')
export DEMO_WEBHOOK_SECRET
echo "demo: servers up (ScaiVault $SCAIVAULT_URL, ASM stand-in $AWS_ENDPOINT_URL)"
# The billing app's own ScaiVault identity (sa:billing-app, secrets:read), so the audit tells it from the migration.
DEMO_CONSUMER_TOKEN="skt_demo_app_$("$PY" -c 'import secrets; print(secrets.token_hex(16))')"
"$PY" - "$SCAIVAULT_URL" "$SCAIVAULT_TOKEN" "$DEMO_CONSUMER_TOKEN" <<'PYEOF'
import json, sys, urllib.request
url, admin, token = sys.argv[1:]
body = json.dumps({"token": token, "identity_id": "sa:billing-app", "scopes": ["secrets:read"]}).encode()
request = urllib.request.Request(url + "/_dev/tokens", data=body, method="POST", headers={
    "Authorization": "Bearer " + admin, "Content-Type": "application/json"})
urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=15).read()
PYEOF
export DEMO_CONSUMER_TOKEN

(cd "$REPO" && "$PY" tests/demo/seed_demo.py --asm-url "$AWS_ENDPOINT_URL")
rm -rf "$REPORT_DIR"
mkdir -p "$REPORT_DIR"

# run N LOG: the playbook against the local servers; progress lines on screen, everything in LOG.
run() {
    local log=$1; shift
    (cd "$REPO" && "$PY" "$BIN/ansible-playbook" -i "$INVENTORY" "$PLAYBOOK" \
        -e scaivault_report_dir="$REPORT_DIR" -e scaivault_batch_size=20 "$@") >"$log" 2>&1
}

# The summary tables the playbooks print, without Ansible's JSON quoting.
show_summary() {
    "$PY" - "$1" <<'PYEOF'
import json, re, sys
text = open(sys.argv[1], encoding="utf-8").read()
for block in re.findall(r'TASK \[Show the summary\].*?\n(?:ok: \[[^\]]+\] => )(\{.*?\n\})', text, re.S):
    for line in json.loads(block)["msg"]:
        print("  " + line)
    print()
PYEOF
}

recap() { sed -n '/^PLAY RECAP/,$p' "$1" | sed -n 's/^\([^ ].*: ok=.*\)$/  \1/p'; }

# The consumers lines of the migrate summary, per region: references left and the cutover status.
show_cutover() {
    "$PY" - "$1" <<'PYEOF'
import json, re, sys
text = open(sys.argv[1], encoding="utf-8").read()
blocks = re.findall(r'TASK \[Show the summary\].*?\n(?:ok: \[[^\]]+\] => )(\{.*?\n\})', text, re.S)
region = None
for line in (json.loads(blocks[0])["msg"] if blocks else []):
    if line[:1] not in ("", " ") and not line.startswith(("ScaiVault", "region ")):
        region = line.split()[0]
    elif line.strip().startswith(("consumers:", "in transition:", "not started:")):
        print("  %-10s %s" % (region if line.strip().startswith("consumers:") else "", line.strip()))
PYEOF
}

rc=0
echo "demo: run 1 - inventory, federation, migrate (batches of 20), rotation A/B, verify, guarded cleanup"
t0=$(date +%s)
run "$REPORT_DIR/run1.log" "$@" || rc=$?
echo "demo: run 1 finished in $(( $(date +%s) - t0 ))s (rc $rc); log $REPORT_DIR/run1.log"
# The migrate phase's batches (the rotation phase re-migrates its few secrets in a batch of its own).
grep -E '^(ok|changed): .*=> \(item=.* batch [0-9]+/[0-9]+' "$REPORT_DIR/run1.log" | sed 's/^changed: /  /; s/^ok: /  /' || true
echo
show_summary "$REPORT_DIR/run1.log"
# Run 2 rewrites the summaries; keep the first run's too.
for name in migrate-summary cleanup-summary; do
    for ext in md json; do
        [ ! -f "$REPORT_DIR/$name.$ext" ] || cp "$REPORT_DIR/$name.$ext" "$REPORT_DIR/run1-$name.$ext"
    done
done
recap "$REPORT_DIR/run1.log"
if [ "$rc" -ne 0 ]; then
    grep -E '^(fatal|\[ERROR\])' "$REPORT_DIR/run1.log" | cut -c1-400 >&2 || true
fi

if [ "$rc" -eq 0 ]; then
    echo
    echo "demo: run 2 - the same again; it must change nothing"
    t0=$(date +%s)
    run "$REPORT_DIR/run2.log" "$@" || rc=$?
    echo "demo: run 2 finished in $(( $(date +%s) - t0 ))s (rc $rc); log $REPORT_DIR/run2.log"
    recap "$REPORT_DIR/run2.log"
    echo "demo: cutover per region after the billing app's reads (consumers phase of run 2)"
    show_cutover "$REPORT_DIR/run2.log"
    changed=$(sed -n '/^PLAY RECAP/,$p' "$REPORT_DIR/run2.log" | sed -n 's/.* changed=\([0-9]*\) .*/\1/p' | awk '{s+=$1} END {print s+0}')
    if [ "$rc" -eq 0 ] && [ "$changed" -eq 0 ]; then
        echo "demo: run 2 reported no changes (changed=0 on every host)"
    else
        echo "demo: run 2 changed $changed task(s) or failed (rc $rc):" >&2
        grep -B3 -E '^changed:' "$REPORT_DIR/run2.log" | grep '^TASK' >&2 || true
        [ "$rc" -ne 0 ] || rc=1
    fi
fi

elapsed=$(( $(date +%s) - started ))
echo "demo: reports in $REPORT_DIR (run1-migrate-summary.md, run1-cleanup-summary.md, per region JSON + Markdown,"
echo "      consumers-<host>.patch: the suggested patch for tests/demo/consumers)"
if [ "$rc" -eq 0 ]; then
    echo "demo: OK in ${elapsed}s (servers stopped)"
else
    echo "demo: FAILED (rc $rc) after ${elapsed}s (servers stopped)" >&2
fi
exit "$rc"
