# Developer entry points. Everything installs into .venv from the package index.
PYTHON ?= python3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
BUILD := $(CURDIR)/.build
COLL := $(BUILD)/ansible_collections/crosscluster/link
STATE ?= $(CURDIR)/.state/demo

export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(BUILD)
export ANSIBLE_ROLES_PATH := $(CURDIR)/roles
export ANSIBLE_NOCOWS := 1
export PYTHONPATH := $(BUILD):$(CURDIR)

# The test gates' seeded native CoreDNS reloads a changed Corefile every 2 s, not the
# installers' 30 s +- 15 s (tests/kube/seed.py); make demo keeps the default.
test unit integration molecule lab-test: export XCL_KUBE_DNS_RELOAD ?= 2s

.PHONY: setup components test demo lint sanity unit integration molecule build clean lab lab-test lab-packages

setup: $(STAMP) $(COLL)

# The upstream components the tests run (etcd, kube-apiserver, kube-controller-manager,
# CoreDNS), built from pinned Go modules into ~/.cache/crosscluster-link: the first run on
# a machine builds them (minutes, one progress line each), later runs find them cached.
components: setup
	$(BIN)/python -m tests.kube.build

$(STAMP): requirements-dev.txt requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(COLL):
	mkdir -p $(dir $(COLL))
	ln -sfn $(CURDIR) $(COLL)

# The gates are independent (each starts its own emulators on free ports), so they run
# side by side; -O keeps each gate's output together. The two long ones (molecule, then
# integration) start first; lint, sanity, unit and the datapath lab share the third slot.
# As root (CI) strongSwan and FRR are installed first (apt-get, when missing): the lab needs
# them, and so do the unit tests that load the onprem_vpn role's files into charon and vtysh.
# A failing molecule scenario leaves the excerpt it printed in .build/failed/; they are
# printed again at the very end, so the last lines of a failed run say what failed.
FAILED := $(BUILD)/failed
test: setup components
	@if [ "$$(id -u)" = 0 ]; then $(MAKE) --no-print-directory lab-packages; fi
	@rm -rf $(FAILED)
	@$(MAKE) --no-print-directory -j 3 -O molecule integration lint sanity unit lab-test; rc=$$?; \
	if [ $$rc -ne 0 ] && [ -d $(FAILED) ]; then echo "=== what failed (again, from $(FAILED)) ==="; cat $(FAILED)/*; fi; \
	exit $$rc

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/antsibull-changelog lint
	cd $(COLL) && $(BIN)/ansible-lint --profile production

# ansible-test wants the physical working directory inside ansible_collections/, so it
# runs on a copy of the files git would commit (tracked and untracked-not-ignored).
# A fresh git index in the copy lets ansible-test list exactly those files.
# SANITY_ARGS narrows the run, e.g. SANITY_ARGS="--test validate-modules".
SANITY_ARGS ?=
sanity: setup
	$(BIN)/python tests/sanity_bootstrap.py
	dir=$$(mktemp -d $(BUILD)/sanity.XXXXXX) || exit 1; \
	coll=$$dir/ansible_collections/crosscluster/link; mkdir -p $$coll; \
	git ls-files -co --exclude-standard -z | xargs -0 -I{} sh -c 'test ! -e "{}" || echo "{}"' \
	  | tar -T - -cf - | tar -xf - -C $$coll; \
	(cd $$coll && git init -q && git add -A && \
	 $(BIN)/ansible-test sanity --venv --python 3.11 --color no $(SANITY_ARGS)); \
	rc=$$?; rm -rf $$dir; exit $$rc

unit: setup components
	$(BIN)/python -m pytest -q tests/unit tests/emulators tests/kube

# Four parts side by side, each with its own emulators (much of it waits on real CoreDNS
# reloads, tunnel polls and playbook start-up rather than the CPU): the end-to-end link cycle;
# the AWS and GCP module targets (on the cloud emulators alone: no Kubernetes cluster); the
# multi-cluster meshes and prune (cloud emulators alone); and the rest (the TGW peering prune
# mesh among them: the shortest part otherwise). The rest runs in two steps: first what needs
# Kubernetes clusters (KUBE_REST), then the rest without them, so three idle control planes
# (about 2 s of CPU a minute each) do not run beside the TGW prune mesh on a saturated machine.
E2E := tests/integration/test_link_clusters.py
CLOUD_TARGETS := $(addprefix tests/integration/test_targets.py::,test_cloud_target test_peering_target_with_a_window)
MESHES := $(wildcard tests/integration/test_link_mesh*.py) tests/integration/test_link_prune.py
KUBE_REST := tests/integration/test_bad_input.py tests/integration/test_targets.py
integration: setup components
	mkdir -p $(BUILD)
	$(BIN)/python -m pytest -q --durations=8 $(E2E) > $(BUILD)/integration-e2e.log 2>&1 & e2e=$$!; \
	$(BIN)/python -m pytest -q --durations=8 $(CLOUD_TARGETS) > $(BUILD)/integration-cloud.log 2>&1 & cloud=$$!; \
	$(BIN)/python -m pytest -q --durations=8 $(MESHES) > $(BUILD)/integration-meshes.log 2>&1 & meshes=$$!; \
	$(BIN)/python -m pytest -q --durations=8 $(addprefix --deselect=,$(CLOUD_TARGETS)) $(KUBE_REST); kube_rest=$$?; \
	$(BIN)/python -m pytest -q --durations=8 --ignore=$(E2E) $(addprefix --ignore=,$(MESHES) $(KUBE_REST)) tests/integration; \
	rest=$$?; test $$kube_rest -eq 0 || rest=$$kube_rest; \
	wait $$cloud; cloud_rc=$$?; echo "--- $(CLOUD_TARGETS) ---"; cat $(BUILD)/integration-cloud.log; \
	wait $$meshes; meshes_rc=$$?; echo "--- $(MESHES) ---"; cat $(BUILD)/integration-meshes.log; \
	wait $$e2e; e2e_rc=$$?; echo "--- $(E2E) ---"; cat $(BUILD)/integration-e2e.log; \
	test $$rest -eq 0 && test $$cloud_rc -eq 0 && test $$meshes_rc -eq 0 && test $$e2e_rc -eq 0

# Every role's molecule scenarios (extensions/molecule/<scenario>/molecule.yml), against
# the emulators each scenario starts and stops itself on free ports: two run at a time,
# each into its own log; a failing scenario prints its failed tasks and the log's end.
# `molecule reset` first: scenarios without create/destroy steps would otherwise skip
# prepare on a second run.
MOLECULE_SCENARIOS ?= $(notdir $(patsubst %/,%,$(dir $(wildcard extensions/molecule/*/molecule.yml))))
MOLECULE_JOBS ?= 2
molecule: setup components
	mkdir -p $(BUILD)/molecule
	printf '%s\n' $(MOLECULE_SCENARIOS) | xargs -P $(MOLECULE_JOBS) -I{} sh -c \
	  'start=$$(date +%s); $(BIN)/molecule reset -s {} > $(BUILD)/molecule/{}.log 2>&1; \
	   if $(BIN)/molecule test -s {} >> $(BUILD)/molecule/{}.log 2>&1; then echo "molecule {}: passed in $$(( $$(date +%s) - start )) s"; \
	   else mkdir -p $(FAILED); \
	        { echo "molecule {}: FAILED after $$(( $$(date +%s) - start )) s"; grep -E -A 25 "fatal: |FAILED!|ERROR!|CRITICAL" $(BUILD)/molecule/{}.log | head -n 150; } \
	          | tee $(FAILED)/molecule-{}.txt; \
	        echo "--- last lines of $(BUILD)/molecule/{}.log ---"; tail -n 40 $(BUILD)/molecule/{}.log; exit 1; fi'

# As root the demo also runs the datapath lab over the linked clouds (installing its
# packages with apt-get when missing): tunnels, BGP, pod-to-pod, path MTU, failover and
# resolve-and-connect.
demo: setup components
	@if [ "$$(id -u)" = 0 ]; then $(MAKE) --no-print-directory lab-packages; fi
	$(BIN)/python -m tests.demo --state-dir $(STATE) $$([ "$$(id -u)" = 0 ] && echo --lab)

# The datapath lab (docs/lab.md): start and link the emulated clouds as the demo does,
# realise every VPN endpoint from the emulators' own state with strongSwan and FRR in network
# namespaces, check tunnels, BGP, pod-to-pod traffic, path MTU, failover and
# resolve-and-connect, print the summary and remove it all (also on failure or interrupt).
# Needs root; installs the packages with apt-get when they are missing.
LAB_STATE ?= $(CURDIR)/.state/lab
LAB_ARGS ?= --failover
LAB_PACKAGES := strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-standard-plugins frr iputils-ping
lab: setup components lab-packages
	$(BIN)/python -m tests.lab --state-dir $(LAB_STATE) --link $(LAB_ARGS)

# The lab's pytest (part of make test): all up with verify_link passing on the fed-back state,
# a wrong PSK and a wrong peer ASN (one run, different tunnels) take exactly their tunnel and
# session down and verify_link names each with its cause, failover, and an interrupted lab that leaves nothing behind.
lab-test: setup components lab-packages
	XCL_LAB_REQUIRED=1 $(BIN)/python -m pytest -q --durations=5 tests/lab

lab-packages:
	@if [ "$$(id -u)" != 0 ]; then echo "lab: needs root (network namespaces, strongSwan, FRR)"; exit 1; fi
	@missing=""; for p in $(LAB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "lab: installing$$missing with apt-get (progress below)"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y$$missing; \
	else echo "lab: packages present ($(LAB_PACKAGES))"; fi

# Figures for the link workflow on the emulated clouds with the real clouds' waits, scaled
# (not a test: nothing is asserted, the targets are reported). Writes docs/benchmarks.md and
# docs/benchmarks/<date>.json; see that page for how to read it. The mesh with DNS runs real
# control planes (components). BENCH_ARGS, e.g. "--sizes 2 --dns-sizes '' --scale 0.05".
BENCH_ARGS ?=
.PHONY: bench
bench: setup components
	$(BIN)/python -m tests.perf --state-dir $(CURDIR)/.state/bench --out docs/benchmarks.md $(BENCH_ARGS)

build: setup
	$(BIN)/ansible-galaxy collection build --force --output-path $(BUILD)

clean:
	-$(BIN)/python -m tests.emulators down --state-dir $(STATE) 2>/dev/null
	rm -rf $(VENV) $(BUILD) .state tests/output .pytest_cache .ruff_cache .hypothesis
