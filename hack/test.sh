#!/usr/bin/env bash
# The whole test suite, step by step; `make test` runs `hack/test.sh all`.
# Steps: lint, sanity, unit (pytest, incl. helm chart render tests), cluster (fresh local control plane),
# molecule (roles: converge, idempotence, check mode, verify), integration (pytest against the cluster).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export LLMOPS_CACHE=${LLMOPS_CACHE:-$HOME/.cache/llmops-kserve}
export PATH="$ROOT/.venv/bin:$LLMOPS_CACHE/bin:$PATH"
export ANSIBLE_CONFIG="$ROOT/ansible.cfg"
export ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
mkdir -p tests/output
step() { printf '\n=== [%s] %s ===\n' "$(date +%H:%M:%S)" "$*"; }
declare -a TIMES=()
timed() { local name=$1 t0=$SECONDS; shift; "$@"; TIMES+=("$name: $((SECONDS - t0)) s"); }

lint() {
  step "platform catalog copies (hack/gen_contracts.py --check)"
  python hack/gen_contracts.py --check
  step "yamllint"
  yamllint -s .
  step "ansible-lint (production profile)"
  ansible-lint --profile production --offline
  step "conventions: module_defaults, antsibull-changelog (hack/conventions.sh)"
  hack/conventions.sh
  step "helm lint --strict"
  local chart values
  for chart in charts/*/ tests/charts/*/; do
    [ -f "$chart/Chart.yaml" ] || continue
    if compgen -G "${chart}values-*.yaml" >/dev/null; then
      # a chart with platform values files needs one of them (kserve-model requires model.id)
      for values in "$chart"values-*.yaml; do
        helm lint --strict "$chart" -f "$values"
      done
    else
      helm lint --strict "$chart"
    fi
  done
}

# The ansible-core range galaxy.yml / meta/runtime.yml claim (requires_ansible >=2.16): the pin of requirements-dev.txt
# is the newest ansible-core that runs on Python 3.11 (2.20 needs 3.12); ANSIBLE_CORE_OLDEST the oldest of the claim.
ANSIBLE_CORE_OLDEST=2.16.19

# sanity_in VENV PIN [ansible-test args]: ansible-test sanity (empty ignore files) of the collection with ansible-core
# PIN in VENV (made when missing or on another version), in build/sanity (build/sanity-<VENV suffix> for another).
sanity_in() {
  local venv=$ROOT/$1 pin=$2 base=$ROOT/build/sanity
  shift 2
  [ "$venv" = "$ROOT/.venv-sanity" ] || base=$ROOT/build/sanity-${venv##*/.venv-sanity-}
  local dest=$base/ansible_collections/llmops/kserve
  rm -rf "$base" && mkdir -p "$dest"
  # the collection's tracked and new (not ignored) files, as a clean clone has them
  git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} cp --parents {} "$dest"/ 2>/dev/null || true
  # ansible-test --venv would download get-pip from its CI host (unreachable here), so sanity runs --local in a
  # dedicated venv where ansible-test installs its own pinned sanity requirements from PyPI.
  if ! "$venv/bin/pip" freeze 2>/dev/null | grep -qx "$pin"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
    "$venv/bin/pip" install -q "$pin"
  fi
  # kubernetes.core (a dependency) beside the collection, from the ansible package in .venv
  cp -r "$ROOT"/.venv/lib/python3*/site-packages/ansible_collections/kubernetes "$base/ansible_collections/"
  local pipver
  pipver=$(grep -ohP "pip='\K[0-9.]+" "$venv"/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py | head -n1)
  mkdir -p "$HOME/.ansible/test/cache"
  cp "$ROOT/hack/ansible_test_get_pip.py" "$HOME/.ansible/test/cache/get_pip_${pipver//./_}.py"
  (cd "$dest" && git init -q . && git add -A && \
     PATH="$venv/bin:$PATH" ansible-test sanity --local --requirements --python 3.11 --color no "$@")
}

# unit_oldest: tests/unit with ansible-core ANSIBLE_CORE_OLDEST (its own venv: the runtime requirements, pytest,
# ansible-builder; kubernetes.core, awx.awx and ansible.posix copied from .venv's ansible package).
unit_oldest() {
  local venv=$ROOT/.venv-sanity-${ANSIBLE_CORE_OLDEST%.*}-units cols=$ROOT/build/units-$ANSIBLE_CORE_OLDEST
  local pin="ansible-core==$ANSIBLE_CORE_OLDEST"
  if ! "$venv/bin/pip" freeze 2>/dev/null | grep -qx "$pin"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
    "$venv/bin/pip" install -q "$pin" -r requirements.txt "$(grep -E '^pytest==' requirements-dev.txt)" \
      "$(grep -E '^ansible-builder==' requirements-dev.txt)"
  fi
  rm -rf "$cols" && mkdir -p "$cols/ansible_collections/ansible"
  cp -r "$ROOT"/.venv/lib/python3*/site-packages/ansible_collections/{kubernetes,awx} "$cols/ansible_collections/"
  cp -r "$ROOT"/.venv/lib/python3*/site-packages/ansible_collections/ansible/posix "$cols/ansible_collections/ansible/"
  VIRTUAL_ENV=$venv PATH="$venv/bin:$PATH" PYTHONPATH=$cols ANSIBLE_COLLECTIONS_PATH="$ROOT/build/collections:$cols" \
    "$venv/bin/python" -m pytest -q -p no:cacheprovider --junitxml="tests/output/unit-$ANSIBLE_CORE_OLDEST.xml" tests/unit
}

sanity() {
  step "ansible-test sanity (empty ignore files)"
  sanity_in .venv-sanity "$(grep -E '^ansible-core==' "$ROOT/requirements-dev.txt")"
  # On the oldest: every test but the style checkers (pylint, pep8, shebang, Python 2 boilerplate), whose rules
  # change with each ansible-core; they run on the pinned one above.
  step "ansible-test sanity on ansible-core $ANSIBLE_CORE_OLDEST (oldest of requires_ansible)"
  sanity_in ".venv-sanity-${ANSIBLE_CORE_OLDEST%.*}" "ansible-core==$ANSIBLE_CORE_OLDEST" --skip-test pylint --skip-test pep8 \
    --skip-test shebang --skip-test metaclass-boilerplate --skip-test future-import-boilerplate
  step "pytest tests/unit on ansible-core $ANSIBLE_CORE_OLDEST"
  unit_oldest
}

unit() {
  step "pytest tests/unit"
  python -m pytest -q -p no:cacheprovider --durations=15 --junitxml=tests/output/unit.xml tests/unit
}

cluster() {
  step "local control plane (fresh)"
  python hack/cluster.py down
  python hack/cluster.py up
}

molecule_all() {
  local scenario
  for scenario in molecule/*/; do
    scenario=$(basename "$scenario")
    [ "$scenario" = kind ] && continue   # needs Docker: for users, not run here
    step "molecule test -s $scenario (local cluster)"
    K8S_AUTH_KUBECONFIG=$(python hack/cluster.py kubeconfig | tail -n1) molecule test -s "$scenario"
  done
}

integration() {
  step "pytest tests/integration (local cluster)"
  K8S_AUTH_KUBECONFIG=$(python hack/cluster.py kubeconfig | tail -n1) \
    python -m pytest -q -p no:cacheprovider --durations=15 --junitxml=tests/output/integration.xml tests/integration
}

e2e() {
  step "pytest tests/e2e (stack from our playbooks, KServe's real controller, model lifecycle)"
  K8S_AUTH_KUBECONFIG=$(python hack/cluster.py kubeconfig | tail -n1) \
    python -m pytest -q -p no:cacheprovider --durations=15 --junitxml=tests/output/e2e.xml tests/e2e
}

# e2e_k8s VERSION [SLOT]: tests/e2e on a fresh cluster of Kubernetes VERSION (a line of hack/kubernetes-versions,
# as v1.34.4 or 1.34) in hack/isolated-env.sh slot SLOT (default 7), torn down at the end. hack/lanes.py runs the
# same as its e2e-k8s-<version> lane (LLMOPS_E2E_EXTRA_K8S).
e2e_k8s() {
  local version=${1:?usage: hack/test.sh e2e_k8s VERSION [SLOT]} slot=${2:-7}
  (
    export LLMOPS_CACHE_BASE=${LLMOPS_CACHE_BASE:-$LLMOPS_CACHE}
    source "$ROOT/hack/isolated-env.sh" "$slot"
    export LLMOPS_K8S_VERSION=$version PATH="$LLMOPS_CACHE/bin:$PATH"
    "$ROOT/hack/bootstrap.sh" k8s "$version"   # built on first use (make tools builds the default version only)
    step "pytest tests/e2e on Kubernetes $(python hack/cluster.py version) (fresh cluster, slot $slot)"
    trap 'python hack/kserve_controller.py stop >/dev/null 2>&1; python hack/cluster.py down >/dev/null 2>&1 || true' EXIT
    python hack/cluster.py down
    python hack/cluster.py up
    K8S_AUTH_KUBECONFIG=$(python hack/cluster.py kubeconfig | tail -n1) \
      python -m pytest -q -p no:cacheprovider --durations=15 --junitxml="tests/output/e2e-k8s-$version.xml" tests/e2e
  )
}

all() {
  # lint/sanity/unit, molecule + integration (two clusters, one queue) and e2e (its own cluster) run side by side:
  # hack/lanes.py (each lane's output in tests/output/logs/, a summary per job on the console)
  local rc=0 t0=$SECONDS
  python hack/lanes.py || rc=$?
  TIMES+=("all lanes (wall): $((SECONDS - t0)) s")
  step "timings"
  printf '  %s\n' "${TIMES[@]}"
  step "slowest 15 tests of this run (all pytest suites)"
  python hack/slowest_tests.py 15 tests/output/unit.xml tests/output/junit/*.xml || true
  return "$rc"
}

case "${1:-all}" in
  lint) lint ;;
  sanity) sanity ;;
  unit) unit ;;
  cluster) cluster ;;
  molecule) molecule_all ;;
  integration) integration ;;
  e2e) e2e ;;
  e2e_k8s) e2e_k8s "${2:-}" "${3:-}" ;;
  all) all ;;
  bench)
    for b in bench/*.py; do step "$b"; python "$b"; done ;;
  *) echo "usage: $0 [lint|sanity|unit|cluster|molecule|integration|e2e|e2e_k8s VERSION [SLOT]|all|bench]" >&2; exit 2 ;;
esac
