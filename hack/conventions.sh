#!/usr/bin/env bash
# Ecosystem conventions checked by `make lint` (hack/test.sh lint): module_defaults instead of per-task connection
# arguments, antsibull-changelog fragments and the generated CHANGELOG.md. Run from the repository root with the
# project venv on PATH. Prints what is wrong and exits non-zero.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

conn_defaults() {
  echo "-- connection arguments come from module_defaults (meta/runtime.yml action_groups), not from each task"
  python3 hack/check_module_defaults.py
}

changelog() {
  echo "-- antsibull-changelog lint; CHANGELOG.md is generated from changelogs/changelog.yaml"
  antsibull-changelog lint
  antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
  local tmp
  tmp=$(mktemp -d)
  cp -r galaxy.yml changelogs "$tmp"/
  (cd "$tmp" && antsibull-changelog generate --is-collection yes >/dev/null)
  if ! diff -u CHANGELOG.md "$tmp/CHANGELOG.md"; then
    echo "CHANGELOG.md is not what antsibull-changelog generates from changelogs/changelog.yaml: run antsibull-changelog generate" >&2
    rm -rf "$tmp"; return 1
  fi
  rm -rf "$tmp"
}

case "${1:-all}" in
  all) conn_defaults; changelog ;;
  *) "$1" ;;
esac
