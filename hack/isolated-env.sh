#!/usr/bin/env bash
# Source to run a second (third, ...) local cluster beside the default one, e.g. for parallel development:
#   source hack/isolated-env.sh 2      # slot 1..9: own cache dir (sharing the built tools), ports and names
# Then `make cluster-up`, `hack/test.sh e2e` etc. use that cluster only.
slot=${1:?usage: source hack/isolated-env.sh SLOT (1..9)}
base=${LLMOPS_CACHE_BASE:-$HOME/.cache/llmops-kserve}
export LLMOPS_CACHE=$HOME/.cache/llmops-kserve-slot$slot
mkdir -p "$LLMOPS_CACHE"
ln -sfn "$base/bin" "$LLMOPS_CACHE/bin"
ln -sfn "$base/tools" "$LLMOPS_CACHE/tools"
mkdir -p "$base/k8s" && ln -sfn "$base/k8s" "$LLMOPS_CACHE/k8s"   # per-version control planes (LLMOPS_K8S_VERSION)
mkdir -p "$base/venvs" && ln -sfn "$base/venvs" "$LLMOPS_CACHE/venvs"
export LLMOPS_CLUSTER_NAME=llmops-slot$slot
export LLMOPS_APISERVER_PORT=$((36443 + slot * 10))
export LLMOPS_REGISTRY=127.0.0.1:$((35000 + slot * 10))
export LLMOPS_REGISTRY_PORT=$((35000 + slot * 10))
export LLMOPS_KSERVE_WEBHOOK_PORT=$((29443 + slot * 10))
export LLMOPS_KSERVE_METRICS_PORT=$((29080 + slot * 10 + 1000))
export LLMOPS_KSERVE_HEALTH_PORT=$((29081 + slot * 10 + 1000))
echo "isolated local cluster slot $slot: cache $LLMOPS_CACHE, apiserver :$LLMOPS_APISERVER_PORT, registry $LLMOPS_REGISTRY"
