#!/usr/bin/env bash
# `make demo`: the main job end to end on the built-in local cluster.
#   local cluster up -> charts into the local OCI registry -> install the stack (playbooks/install.yml)
#   -> KServe's real controller as a host process -> playbooks/site.yml (runtimes, preflight, deploy, summary)
#   -> hack/serve_demo.py: one model really served on the host-runner node, a chat completion printed
# The cluster stays up afterwards: `make cluster-status`, `make cluster-down`.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export LLMOPS_CACHE=${LLMOPS_CACHE:-$HOME/.cache/llmops-kserve}
export PATH="$ROOT/.venv/bin:$LLMOPS_CACHE/bin:$PATH"
export ANSIBLE_CONFIG="$ROOT/ansible.cfg"
# the demo model is public and this machine has no route to the Hub: preflight says HF was not verified
export HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-1}
step() { printf '\n=== [%s] %s ===\n' "$(date +%H:%M:%S)" "$*"; }

step "local cluster"
python hack/cluster.py up
K8S_AUTH_KUBECONFIG=$(python hack/cluster.py kubeconfig | tail -n1)
export K8S_AUTH_KUBECONFIG

step "charts into the local OCI registry (stand-ins for quay.io / ghcr.io, real CRDs from controller-gen)"
python hack/test_charts_stack.py
python hack/test_charts.py

step "install the serving stack (cert-manager, KServe in Standard mode)"
ansible-playbook -i inventory/local playbooks/install.yml

step "KServe's controller manager (host process, webhooks on 127.0.0.1)"
python hack/kserve_controller.py start

step "site.yml: stack (no-op) -> runtimes -> preflight -> deploy -> summary"
ansible-playbook -i inventory/local playbooks/site.yml

step "real serving: a gated tiny Llama on host-runner-0 (storage initializer + vLLM run from the Pod KServe built), one chat completion"
python hack/serve_demo.py

step "done"
echo "kubeconfig: $K8S_AUTH_KUBECONFIG"
echo "try: kubectl --kubeconfig $K8S_AUTH_KUBECONFIG get inferenceservices -A"
echo "     ansible-playbook -i inventory/local playbooks/list_models.yml"
echo "stop: make cluster-down (python hack/kserve_controller.py stop first to release finalizers)"
