#!/usr/bin/env bash
# make docs: the collection's HTML docs site with antsibull-docs + Sphinx, offline.
#
#   scripts/docs.sh            env: PYTHON (default .venv/bin/python), DOCS_DIR (default build/docs)
#
# antsibull-docs sphinx-init writes a Sphinx project for scailabs.scaivault as found through the layout
# root (tests/harness/servers.py layout, the same as every make target); its build.sh renders every
# module, the lookup and the roles (meta/argument_specs.yml) to RST with `antsibull-docs collection`
# and builds HTML. Intersphinx is switched off: its inventories would be downloaded from the web.
# Result: $DOCS_DIR/build/html/index.html. Everything comes from PyPI (requirements-dev.txt).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PY=${PYTHON:-$REPO/.venv/bin/python}
case "$PY" in /*) ;; *) PY="$PWD/$PY" ;; esac
BIN=$(dirname "$PY")
[ -x "$BIN/antsibull-docs" ] || { echo "docs: $BIN/antsibull-docs not found (run make venv)" >&2; exit 2; }
COLL_ROOT=${SCAIVAULT_COLL_ROOT:-$("$PY" "$REPO/tests/harness/servers.py" layout)}
DOCS_DIR=${DOCS_DIR:-$REPO/build/docs}
VERSION=$("$PY" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["version"])' "$REPO/galaxy.yml")

export ANSIBLE_COLLECTIONS_PATH=$COLL_ROOT
export PATH="$BIN:$PATH"
rm -rf "$DOCS_DIR"
mkdir -p "$DOCS_DIR"
chmod 700 "$DOCS_DIR"   # antsibull-docs refuses a directory others may write to
"$BIN/antsibull-docs" sphinx-init --use-current --lenient --fail-on-error --dest-dir "$DOCS_DIR" \
    --project "scailabs.scaivault" --copyright "Contributors to the scailabs.scaivault collection" \
    --title "scailabs.scaivault $VERSION" --html-short-title "scailabs.scaivault" \
    --collection-version "$VERSION" scailabs.scaivault >/dev/null
# No intersphinx: Sphinx would fetch its inventories from docs.python.org and docs.ansible.com.
printf '\n# scripts/docs.sh: offline build\nintersphinx_mapping = {}\n' >> "$DOCS_DIR/conf.py"
"$DOCS_DIR/build.sh" >"$DOCS_DIR/build.log" 2>&1 || { tail -40 "$DOCS_DIR/build.log" >&2; echo "docs: FAILED (log $DOCS_DIR/build.log)" >&2; exit 1; }
pages=$(find "$DOCS_DIR/build/html" -name '*.html' | wc -l)
echo "docs: $pages pages in $DOCS_DIR/build/html (index.html); log $DOCS_DIR/build.log"
