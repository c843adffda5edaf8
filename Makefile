# scailabs.scaivault: developer and CI entry points.  `make help` lists them.
#
# A fresh machine needs Python >= 3.11 with pip (and make, git, bash); every target installs
# what it needs into .venv itself. CI runs `.ci/run` = `make test`.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.NOTPARALLEL:
MAKEFLAGS += --no-print-directory

# Python caches bytecode for every process make starts, even where the environment sets PYTHONDONTWRITEBYTECODE (as
# this machine's does): otherwise each ansible-playbook, each module run and each server compiles ansible-core,
# botocore and the collection from source again. The venvs are installed without bytecode (pip --no-compile, about
# 20 s less on a fresh clone); the first import writes what a run uses, into .venv and the (git-ignored) __pycache__.
unexport PYTHONDONTWRITEBYTECODE

REPO      := $(CURDIR)
VENV      ?= .venv
VPY       := $(VENV)/bin/python
STAMP     := $(VENV)/.installed
REPORTS   ?= reports
STATE_DIR ?= .dev
REQS      := requirements.txt requirements-dev.txt

# Interpreter used to create .venv: python3.11, else python3 if it is 3.11 or newer.
BOOTSTRAP_PYTHON ?= $(shell for c in python3.11 python3; do \
	  if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; \
	  then command -v $$c; break; fi; done)

# <tmp>/scailabs-scaivault-<sha256 of the repo path>/ansible_collections/scailabs/scaivault -> repo
# (same default as tests/conftest.py; override with SCAIVAULT_COLL_ROOT=...)
SCAIVAULT_COLL_ROOT ?= $(shell $(or $(BOOTSTRAP_PYTHON),python3) tests/harness/servers.py layout --dry-run 2>/dev/null)
COLL_ROOT := $(SCAIVAULT_COLL_ROOT)
export SCAIVAULT_COLL_ROOT
export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT)
export PYTHONPATH := $(COLL_ROOT)$(if $(PYTHONPATH),:$(PYTHONPATH))
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1

# pytest: xdist workers for the server-backed suites (each worker owns its own servers).
NPROC   := $(shell getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
WORKERS ?= $(shell n=$(NPROC); [ $$n -gt 4 ] && n=4; [ $$n -lt 1 ] && n=1; echo $$n)
CONTRACT_WORKERS    ?= $(WORKERS)
# The integration tests are CPU-bound on the 2-core CI machine: one worker more than cores measured no faster there
# (406 s and 434 s against 398 s with 2 workers; every test ran about 1.4 times slower). The alt phase runs the demo
# beside its tests.
INTEGRATION_WORKERS ?= $(WORKERS)
ALT_WORKERS ?= $(WORKERS)
PYTEST_ARGS ?=
PYTEST := $(VPY) -m pytest -ra

# `make test` runs these in order and stops at the first failure (cheap checks first).
# Phases joined by + run side by side, as lanes; phases joined by , run one after the other within their lane (each
# writes its output to $(REPORTS)/phase-<name>.log, printed when the group ends). sanity and ansible-test use one
# core each, so they start together: measured on the 2-core CI machine, lanes unit,sanity,lint and
# runtime,ansible-test,contract take about 135 s where the pairs lint+sanity then ansible-test+contract took 180 s
# (and all four at once 156 s against 69 + 69 s).
TEST_PHASES ?= unit,sanity,lint+runtime,ansible-test,contract integration alt

# A venv with only the collection's runtime packages (tests/integration/test_galaxy_install.py runs the
# installed tarball with it).
RUNTIME_VENV  := $(VENV)/runtime
RUNTIME_STAMP := $(RUNTIME_VENV)/.installed
# What `make dev-up` writes as ANSIBLE_COLLECTIONS_PATH into .dev/env: layout (this source tree), none, or a path.
DEV_COLLECTIONS_PATH ?= layout

.PHONY: help venv dev-venv runtime layout .layout unit contract integration alt conformance reliability-full sanity lint ansible-test ansible-test-units ansible-test-integration docs changelog test demo dev-up dev-down dev-status bench bench-fleet mutation coverage clean distclean

help:
	@echo "make venv         create/refresh .venv (requirements.txt + requirements-dev.txt)"
	@echo "make test         venv, then $(TEST_PHASES); summary at the end"
	@echo "make unit | contract | integration | sanity | lint | ansible-test    one phase (PYTEST_ARGS=... for pytest)"
	@echo "make ansible-test-units | ansible-test-integration   ansible-test units / integration targets (local servers)"
	@echo "make docs         HTML docs site (antsibull-docs + Sphinx) -> build/docs/build/html/index.html"
	@echo "make changelog    CHANGELOG.md from changelogs/ (antsibull-changelog; unreleased fragments as a preview)"
	@echo "make reliability-full   fault matrix etc. with RELIABILITY_FULL_N=5000 secrets -> $(REPORTS)/reliability-full.md"
	@echo "make alt          the demo twice + the integration tests of $(words $(ALT_TESTS)) files against a dev server playing"
	@echo "                  the alternative of every [assumed] API shape (SCAIVAULT_DEV_CONTRACT=alt; tests/devserver/contract.py)"
	@echo "make conformance  check a ScaiVault tenant (SCAIVAULT_URL/SCAIVAULT_TOKEN, else a local dev server) and print"
	@echo "                  what the collection will do per contract item (CONFORMANCE_READ_ONLY=1: write nothing)"
	@echo "make demo         start local servers, run playbooks/demo.yml, stop the servers"
	@echo "make dev-up       start the dev server + ASM stand-in in the background (source $(STATE_DIR)/env;"
	@echo "                  it sets ANSIBLE_COLLECTIONS_PATH to this source tree unless DEV_COLLECTIONS_PATH=none)"
	@echo "make dev-down     stop them"
	@echo "make bench        benchmarks (tests/bench/run.py)"
	@echo "make bench-fleet  migrate.yml over 1/4/12 regions x 5 secrets: first run, re-run, tasks per region (tests/bench/fleet.py)"
	@echo "make mutation     mutmut over plugins/module_utils with tests/unit: score + survivors -> $(REPORTS)/mutation.md"
	@echo "                  (MUTATION_SCOPE='_common/* _plan/secret.py' to narrow; tests/MUTATION.md: last result)"
	@echo "make coverage     line coverage of plugins/ by tests/unit + tests/integration -> $(REPORTS)/coverage.txt (>= 90%)"
	@echo "make layout       create $(COLL_ROOT)/ansible_collections/scailabs/scaivault"
	@echo "make clean        remove reports, caches and the layout dir; distclean also removes .venv"

# -- environment -----------------------------------------------------------------------------
venv: $(STAMP) $(RUNTIME_STAMP)
	@:

# make test: the dev venv first, the runtime venv in a lane beside the checks (TEST_PHASES).
dev-venv: $(STAMP)
	@:

runtime: $(RUNTIME_STAMP)
	@:

$(RUNTIME_STAMP): $(STAMP)
	@$(VPY) tests/integration/runtime_venv.py $(RUNTIME_VENV) >/dev/null

# Re-installs only when a requirements file changed (or the venv's python is gone).
$(STAMP): $(REQS)
	@if [ -z "$(BOOTSTRAP_PYTHON)" ]; then echo "venv: need python3.11 (or python3 >= 3.11) on PATH" >&2; exit 1; fi
	@if ! $(VPY) -c 'import sys' >/dev/null 2>&1; then \
	  echo "venv: creating $(VENV) with $(BOOTSTRAP_PYTHON)"; rm -rf $(VENV); \
	  $(BOOTSTRAP_PYTHON) -m venv $(VENV) || { echo "venv: '$(BOOTSTRAP_PYTHON) -m venv' failed;" \
	    "on Debian/Ubuntu install the python3.11-venv package" >&2; rm -rf $(VENV); exit 1; }; fi
	@echo "venv: installing $(REQS)"
	@$(VPY) -m pip install --quiet --no-compile $(addprefix -r ,$(REQS))
	@touch $@

layout:
	@$(or $(BOOTSTRAP_PYTHON),python3) tests/harness/servers.py layout --root "$(COLL_ROOT)"

# Quiet variant the phases depend on.
.layout:
	@$(or $(BOOTSTRAP_PYTHON),python3) tests/harness/servers.py layout --root "$(COLL_ROOT)" >/dev/null

# -- test phases -----------------------------------------------------------------------------
# $(call pytest,dir,report-name,extra args): a missing test directory, or a run that collects
# no test (pytest exit code 5, e.g. every file gone or a PYTEST_ARGS=-k that matches nothing),
# fails the phase: a phase with nothing to run has lost its tests.
define pytest
	@mkdir -p $(REPORTS)
	@if [ ! -d $(1) ]; then echo "$(2): FAILED: test directory $(1) does not exist" >&2; exit 1; fi; \
	rc=0; $(PYTEST) $(1) --junitxml=$(REPORTS)/$(2).xml -o junit_family=xunit2 $(3) $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "$(2): FAILED: pytest collected no tests from $(1) $(3) $(PYTEST_ARGS)" >&2; fi; \
	exit $$rc
endef

xdist = $(if $(filter-out 0 1,$(1)),-n $(1) --dist loadfile,-p no:xdist)

unit: $(STAMP) .layout
	$(call pytest,tests/unit,unit,-p no:xdist)

contract: $(STAMP) .layout
	$(call pytest,tests/contract,contract,$(call xdist,$(CONTRACT_WORKERS)) --durations=5)

integration: $(STAMP) $(RUNTIME_STAMP) .layout
	$(call pytest,tests/integration,integration,tests/reliability $(call xdist,$(INTEGRATION_WORKERS)) --durations=10)

# The alternative of every [assumed] API shape at once (tests/devserver/contract.py, docs/scaivault-contract.md):
# the demo twice (the second run changes nothing), in the background, while pytest runs the integration tests of
# the modules those shapes touch (tests/integration/test_contract_fallbacks.py picks its contracts itself and runs
# in the integration phase).
ALT_TESTS ?= tests/integration/test_asm_migrate.py tests/integration/test_scaivault_secret.py \
	tests/integration/test_scaivault_secret_info.py tests/integration/test_lookup_secret.py \
	tests/integration/test_scaivault_federation.py tests/integration/test_rotation_policy_webhook_audit_cleanup_modules.py
alt: export SCAIVAULT_DEV_CONTRACT = alt
alt: $(STAMP) .layout
	@mkdir -p $(REPORTS); demo_log=$(REPORTS)/demo-alt.log; \
	PYTHON=$(abspath $(VPY)) DEMO_REPORT_DIR=$(abspath $(REPORTS))/demo-alt scripts/demo.sh >$$demo_log 2>&1 & demo=$$!; \
	rc=0; $(PYTEST) $(ALT_TESTS) --junitxml=$(REPORTS)/alt.xml -o junit_family=xunit2 \
	  $(call xdist,$(ALT_WORKERS)) --durations=5 $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "alt: FAILED: pytest collected no tests from $(ALT_TESTS) $(PYTEST_ARGS)" >&2; fi; \
	drc=0; wait $$demo || drc=$$?; echo; cat $$demo_log; \
	if [ $$drc -ne 0 ]; then echo "alt: FAILED: the demo under SCAIVAULT_DEV_CONTRACT=alt (log $$demo_log)" >&2; \
	  [ $$rc -ne 0 ] || rc=$$drc; fi; \
	exit $$rc

conformance: $(STAMP) .layout
	@PYTHON=$(abspath $(VPY)) scripts/conformance.sh

# Reliability figures at a larger size (make test runs tests/reliability with N=1000 in its integration phase);
# the table goes to $(REPORTS)/reliability-full.md.
RELIABILITY_FULL_N ?= 5000
reliability-full: export RELIABILITY_N = $(RELIABILITY_FULL_N)
reliability-full: export RELIABILITY_FULL = 1
reliability-full: export RELIABILITY_REPORT_DIR = $(abspath $(REPORTS))
reliability-full: $(STAMP) .layout
	$(call pytest,tests/reliability,reliability-full,$(call xdist,$(INTEGRATION_WORKERS)) --durations=10)

sanity: $(STAMP) .layout
	@PYTHON=$(abspath $(VPY)) scripts/sanity.sh

lint: $(STAMP) .layout
	@PYTHON=$(abspath $(VPY)) scripts/lint.sh

# ansible-test units (--local: this .venv) and the integration targets of tests/integration/targets
# (ansible-test integration --venv against freshly started local servers), as collection CI runs them.
ansible-test: ansible-test-units ansible-test-integration
	@:

ansible-test-units: $(STAMP) .layout
	@PYTHON=$(abspath $(VPY)) scripts/ansible_test.sh units

ansible-test-integration: $(STAMP) .layout
	@PYTHON=$(abspath $(VPY)) scripts/ansible_test.sh integration

docs: $(STAMP) .layout
	@PYTHON=$(abspath $(VPY)) scripts/docs.sh

changelog: $(STAMP)
	@$(VPY) scripts/changelog.py

# Runs every phase in order (a+b: side by side), stops at the first failure, then prints one line per phase and,
# as the very last line, the pytest-style total (sanity and lint count as one test each).
test:
	@mkdir -p $(REPORTS); rm -f $(REPORTS)/*.xml $(REPORTS)/phases.tsv $(REPORTS)/phase-*.log; \
	start=$$(date +%s); rc=0; \
	for group in dev-venv $(TEST_PHASES); do \
	  case $$group in \
	  *+*|*,*) echo; echo ">>> make $$group (lanes side by side)"; pids=; \
	    for lane in $$(echo $$group | tr '+' ' '); do \
	      ( for phase in $$(echo $$lane | tr ',' ' '); do \
	          t0=$$(date +%s); prc=0; $(MAKE) $$phase >$(REPORTS)/phase-$$phase.log 2>&1 || prc=$$?; \
	          printf '%s\t%s\t%s\n' $$phase $$prc $$(( $$(date +%s) - t0 )) >> $(REPORTS)/phases.tsv; \
	          [ $$prc -eq 0 ] || exit $$prc; \
	        done ) & \
	      pids="$$pids $$!"; \
	    done; \
	    for pid in $$pids; do wait $$pid || rc=1; done; \
	    for phase in $$(echo $$group | tr '+,' '  '); do \
	      [ -f $(REPORTS)/phase-$$phase.log ] || continue; echo; echo ">>> make $$phase"; cat $(REPORTS)/phase-$$phase.log; \
	    done ;; \
	  *) t0=$$(date +%s); echo; echo ">>> make $$group"; prc=0; \
	    $(MAKE) $$group || prc=$$?; \
	    printf '%s\t%s\t%s\n' $$group $$prc $$(( $$(date +%s) - t0 )) >> $(REPORTS)/phases.tsv; \
	    [ $$prc -eq 0 ] || rc=$$prc ;; \
	  esac; \
	  [ $$rc -eq 0 ] || break; \
	done; \
	$(or $(BOOTSTRAP_PYTHON),python3) -c "$$TEST_SUMMARY_PY" $(REPORTS) $$(( $$(date +%s) - start )) dev-venv $$(echo $(TEST_PHASES) | tr '+,' '  '); \
	exit $$rc

define TEST_SUMMARY_PY
import os, sys, xml.etree.ElementTree as ET
reports, elapsed, phases = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
ran = {}
for line in open(os.path.join(reports, "phases.tsv")):
    name, rc, secs = line.rstrip("\n").split("\t")
    ran[name] = (int(rc), int(secs))
tot = dict(failed=0, passed=0, skipped=0, errors=0)
print("\nmake test summary")
for name in phases:
    if name not in ran:
        print("  %-12s %-7s" % (name, "not run"))
        continue
    rc, secs = ran[name]
    detail = ""
    xml = os.path.join(reports, name + ".xml")
    if os.path.exists(xml):
        root = ET.parse(xml).getroot()
        suites = [root] if root.tag == "testsuite" else list(root)
        n = {k: sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped")}
        passed = n["tests"] - n["failures"] - n["errors"] - n["skipped"]
        tot["passed"] += passed; tot["failed"] += n["failures"]; tot["errors"] += n["errors"]; tot["skipped"] += n["skipped"]
        detail = "%d passed, %d failed, %d errors, %d skipped" % (passed, n["failures"], n["errors"], n["skipped"])
    elif name in ("sanity", "lint", "ansible-test"):
        tot["passed" if rc == 0 else "failed"] += 1
        detail = {"sanity": "ansible-test sanity",
                  "lint": "ansible-lint --profile production, antsibull-changelog lint, antsibull-docs lint",
                  "ansible-test": "ansible-test units + integration targets"}[name]
    elif rc != 0:
        tot["errors"] += 1
    print("  %-12s %-7s %5ds  %s" % (name, "ok" if rc == 0 else "FAILED", secs, detail))
parts = ["%d %s" % (tot[k], "error" if k == "errors" and tot[k] == 1 else k) for k in ("failed", "passed", "skipped", "errors") if tot[k]]
when = "%ds" % elapsed if elapsed < 60 else "%ds (%d:%02d:%02d)" % (elapsed, elapsed // 3600, elapsed // 60 % 60, elapsed % 60)
text = " %s in %s " % (", ".join(parts) or "no tests ran", when)
print(text.center(80, "="))
endef
export TEST_SUMMARY_PY

# -- servers, demo, benchmarks ---------------------------------------------------------------
demo: $(STAMP) .layout
	@PYTHON=$(abspath $(VPY)) scripts/demo.sh

dev-up: $(STAMP) .layout
	@$(VPY) tests/harness/servers.py up --state-dir $(STATE_DIR) --collections-path "$(DEV_COLLECTIONS_PATH)"

dev-down:
	@$(or $(BOOTSTRAP_PYTHON),python3) tests/harness/servers.py down --state-dir $(STATE_DIR)

dev-status:
	@$(or $(BOOTSTRAP_PYTHON),python3) tests/harness/servers.py status --state-dir $(STATE_DIR)

bench: $(STAMP) .layout
	@if [ ! -f tests/bench/run.py ]; then echo "bench: FAILED: tests/bench/run.py does not exist" >&2; exit 1; fi
	@$(VPY) tests/bench/run.py

# playbooks/migrate.yml over 1, 4 and 12 regions x 5 secrets: first run, unchanged re-run, tasks per region.
bench-fleet: $(STAMP) $(RUNTIME_STAMP) .layout
	@$(VPY) tests/bench/fleet.py $(BENCH_FLEET_ARGS)

# -- test quality (not part of make test: too slow) -------------------------------------------
# Mutation testing (scripts/mutation.py; mutmut from tests/quality-requirements.txt) and line coverage
# (scripts/coverage.py). The tools install into .venv on first use.
QUALITY_STAMP := $(VENV)/.quality-installed
MUTATION_SCOPE ?=
MUTATION_JOBS ?= $(NPROC)

$(QUALITY_STAMP): $(STAMP) tests/quality-requirements.txt
	@$(VPY) -m pip install --quiet -r tests/quality-requirements.txt
	@touch $@

mutation: $(QUALITY_STAMP)
	@$(VPY) scripts/mutation.py --jobs $(MUTATION_JOBS) --report $(REPORTS)/mutation.md $(foreach s,$(MUTATION_SCOPE),--scope '$(s)')

coverage: $(QUALITY_STAMP) .layout
	@$(VPY) scripts/coverage.py $(PYTEST_ARGS)

# -- cleanup ---------------------------------------------------------------------------------
clean:
	@$(or $(BOOTSTRAP_PYTHON),python3) tests/harness/servers.py down --state-dir $(STATE_DIR) >/dev/null 2>&1 || true
	rm -rf $(REPORTS) .pytest_cache tests/output .ansible $(STATE_DIR) build
	@if [ -n "$(COLL_ROOT)" ]; then \
	  rm -rf "$(COLL_ROOT)/sanity" "$(COLL_ROOT)/ansible-test"; rm -f "$(COLL_ROOT)/ansible_collections/scailabs/scaivault"; \
	  rmdir -p "$(COLL_ROOT)/ansible_collections/scailabs" 2>/dev/null || true; fi
	@find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
