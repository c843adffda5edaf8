#!/usr/bin/env bash
# ansible-lint --profile production over the roles, playbooks and collection metadata; before it,
# antsibull-changelog lint (changelogs/) and antsibull-docs lint-collection-docs --plugin-docs.
# Configuration: .ansible-lint (offline: true, so it never fetches from Galaxy).
#
#   scripts/lint.sh [extra ansible-lint args]       env: PYTHON (default .venv/bin/python)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PY=${PYTHON:-$REPO/.venv/bin/python}
case "$PY" in /*) ;; *) PY="$PWD/$PY" ;; esac  # we cd below; keep the venv symlink as is
ANSIBLE_LINT=$(dirname "$PY")/ansible-lint
[ -x "$ANSIBLE_LINT" ] || { echo "lint: $ANSIBLE_LINT not found (run make venv)" >&2; exit 2; }
cd "$REPO"

# Keep ansible-lint (and the ansible-core it drives) inside this repo's collection: the
# layout root comes first, nothing from ~/.ansible/collections can shadow our content, and
# no version check or Galaxy call goes out.
COLL_ROOT=${SCAIVAULT_COLL_ROOT:-$("$PY" "$REPO/tests/harness/servers.py" layout)}
export ANSIBLE_COLLECTIONS_PATH="$COLL_ROOT"
export ANSIBLE_LINT_SKIP_VERSION_CHECK=1
export ANSIBLE_GALAXY_SERVER_LIST=""
export NO_COLOR=1
# ansible-lint warns when it has to add its own bin directory to PATH.
BIN=$(dirname "$PY")
PATH="$BIN:$PATH"
export PATH

# Changelog fragments and changelog.yaml (antsibull-changelog), then the docs as antsibull-docs (the docs
# site's builder) reads them: every module, plugin and role, with references between options checked.
"$BIN/antsibull-changelog" lint
"$BIN/antsibull-changelog" lint-changelog-yaml changelogs/changelog.yaml
"$BIN/antsibull-docs" lint-collection-docs --plugin-docs "$COLL_ROOT/ansible_collections/scailabs/scaivault"
echo "lint: antsibull-changelog and antsibull-docs passed"

exec "$PY" "$ANSIBLE_LINT" --profile production --offline "$@"
