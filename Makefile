# llmops.kserve — developer entry points. `make demo` and `make test` work on a fresh machine
# (Python 3.11 + Go; everything else is installed/built by `make tools`).
SHELL := /bin/bash
ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
LLMOPS_CACHE ?= $(HOME)/.cache/llmops-kserve
export LLMOPS_CACHE
export PATH := $(VENV)/bin:$(LLMOPS_CACHE)/bin:$(PATH)
export ANSIBLE_CONFIG := $(ROOT)/ansible.cfg
COLLECTION_LINK := build/collections/ansible_collections/llmops/kserve

.PHONY: help tools venv go-tools serving-venv storage-venv collection cluster-up cluster-down cluster-status kubeconfig \
        lint sanity unit integration e2e molecule test demo demo-tools bench build publish-charts clean versions

help:
	@echo "make demo            local cluster + full site playbook (tiny CPU model) + summary"
	@echo "make test            everything CI runs: lint, sanity, unit, chart and cluster tests"
	@echo "make tools           venv + Go-built cluster tools (cached in $(LLMOPS_CACHE))"
	@echo "make cluster-up|cluster-down|cluster-status|kubeconfig"
	@echo "make versions        every pin beside the newest version its registry serves (reads only; not in make test)"

# venv first; then the serving and storage venvs (downloads) in the background while the Go tools compile
tools: collection
	@hack/bootstrap.sh all

venv:
	@hack/bootstrap.sh venv

go-tools:
	@hack/bootstrap.sh go

# vLLM CPU build for the test harness (real serving, vLLM's own argument parser); cached in $(LLMOPS_CACHE)/venvs.
serving-venv:
	@hack/bootstrap.sh serving

# KServe's storage initializer (kserve-storage) for hack/pod_runner.py; cached in $(LLMOPS_CACHE)/tools.
storage-venv:
	@hack/bootstrap.sh storage

collection:
	@mkdir -p $(dir $(COLLECTION_LINK)) && ln -sfn ../../../.. $(COLLECTION_LINK)

cluster-up: tools
	@$(PY) hack/cluster.py up

cluster-down:
	@python3 hack/cluster.py down

cluster-status:
	@python3 hack/cluster.py status

kubeconfig:
	@python3 hack/cluster.py kubeconfig

lint: tools
	@hack/test.sh lint

sanity: tools
	@hack/test.sh sanity

unit: tools
	@hack/test.sh unit

integration: tools
	@hack/test.sh integration

e2e: tools
	@hack/test.sh e2e

molecule: tools
	@hack/test.sh molecule

test: tools
	@hack/test.sh all

# only the tools the demo runs (`make tools` adds the test-only ones: helm-docs, promql-check, localmodel controller)
demo-tools: collection
	@hack/bootstrap.sh demo-tools
demo: demo-tools
	@hack/demo.sh

bench: tools
	@hack/test.sh bench

# Every pin (requirements*.txt, hack/tools/*/go.mod, hack/kubernetes-versions, the roles' charts and images) beside
# the newest version PyPI / the Go module proxy serve. Changes no file; not part of `make test`.
versions:
	@python3 hack/versions.py

build: tools
	@mkdir -p out && ansible-galaxy collection build --force --output-path out .

# Push charts/kserve-model and charts/kserve-runtimes (version = the collection's) to an OCI registry, e.g.
#   make publish-charts REGISTRY=oci://registry.example.com/llmops/charts   (PLAIN_HTTP=true for an HTTP registry;
#   a loopback registry such as the local cluster's uses plain HTTP by default)
publish-charts:
	@test -n "$(REGISTRY)" || { echo "usage: make publish-charts REGISTRY=oci://host[:port]/path [PLAIN_HTTP=true|false]" >&2; exit 2; }
	@$(PY) hack/publish_charts.py --registry "$(REGISTRY)" --plain-http "$(or $(PLAIN_HTTP),auto)"

clean:
	@python3 hack/cluster.py down || true
	@rm -rf build out .pytest_cache tests/output
