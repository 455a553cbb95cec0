# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Two bootstraps of one Kubernetes version at once, as `make test`'s two lanes of an extra version run them.

CI failed a whole lane once because both lanes ran ``hack/bootstrap.sh k8s VERSION`` at the same moment and one of
them removed a link (etcd's ``server``) that the other was reading. This runs the real hack/bootstrap.sh three times
at once from two isolated-env slots (their own cache dirs, sharing tools/ and k8s/ through links, as
hack/isolated-env.sh makes them), with a stand-in ``go`` on PATH (the only stand-in: it writes one file per
package instead of compiling, slowly enough that the runs overlap), first on a cold cache, then on a warm one.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FAKE_GO = """#!/usr/bin/env bash
# stand-in for go: `go env GOVERSION`, and `go build ... -o DIR/ PKG...` writes DIR/<binary name of PKG>
set -eu
if [ "$1" = env ]; then echo go1.26.0; exit 0; fi
echo "$$" >> "$FAKE_GO_LOG"
out=""
prev=""
for a in "$@"; do
  if [ "$prev" = "-o" ]; then out=$a; fi
  prev=$a
done
sleep 1
for a in "$@"; do
  case "$a" in
    k8s.io/*|go.etcd.io/*)
      name=${a##*/}
      case "$name" in v[0-9]*) name=$(basename "$(dirname "$a")") ;; esac
      echo "binary $a" > "$out$name" ;;
  esac
done
"""


def slot_env(base: Path, slot: int, path: str, log: Path) -> dict[str, str]:
    """The environment hack/isolated-env.sh SLOT makes (own cache dir; tools/ and k8s/ shared with the base)."""
    cache = base.parent / f"{base.name}-slot{slot}"
    cache.mkdir(exist_ok=True)
    for shared in ("tools", "k8s", "bin"):
        (base / shared).mkdir(parents=True, exist_ok=True)
        link = cache / shared
        if not link.is_symlink():
            link.symlink_to(base / shared)
    return {**os.environ, "PATH": path, "LLMOPS_CACHE": str(cache), "FAKE_GO_LOG": str(log)}


def run_three_at_once(base: Path, path: str, log: Path, version: str) -> list[subprocess.CompletedProcess]:
    procs = [subprocess.Popen([str(ROOT / "hack" / "bootstrap.sh"), "k8s", version], cwd=ROOT,
                              env=slot_env(base, slot, path, log), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
             for slot in (7, 5, 7)]
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=120), p.stdout.read()) for p in procs]


def test_concurrent_bootstraps_of_one_version_build_once_and_link_the_same(tmp_path: Path) -> None:
    bindir = tmp_path / "fakebin"
    bindir.mkdir()
    (bindir / "go").write_text(FAKE_GO, encoding="utf-8")
    (bindir / "go").chmod(0o755)
    path = f"{bindir}:{os.environ['PATH']}"
    log = tmp_path / "go-builds.log"
    log.touch()
    base = tmp_path / "cache"
    version = next(line.split()[0] for line in (ROOT / "hack" / "kubernetes-versions").read_text().splitlines()
                   if line.strip() and not line.startswith("#"))
    kbin = base / "k8s" / version / "bin"
    wanted = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"]

    cold = run_three_at_once(base, path, log, version)
    for result in cold:
        assert result.returncode == 0, result.stdout
    assert sum("another bootstrap is building or linking it" in r.stdout for r in cold) >= 1, \
        [r.stdout for r in cold]
    # one build per cache dir (kubernetes, etcd), not one per run
    assert len(log.read_text().split()) == 2, log.read_text()
    assert sorted(p.name for p in kbin.iterdir()) == wanted  # etcd's `server` is linked as etcd, no `server` left
    links = {p.name: os.readlink(p) for p in kbin.iterdir()}
    for name, target in links.items():
        assert Path(target).is_file() and Path(target) == Path(target).resolve(), (name, target)
    assert Path(links["etcd"]).name == "server"
    stamps = {p.name: p.lstat().st_mtime_ns for p in kbin.iterdir()}

    warm = run_three_at_once(base, path, log, version)
    for result in warm:
        assert result.returncode == 0, result.stdout
        assert "building" not in result.stdout.replace("is building or linking", ""), result.stdout
    assert len(log.read_text().split()) == 2  # nothing built again
    # a cached run from any slot leaves every link as it was (a running cluster's binaries never disappear)
    assert {p.name: p.lstat().st_mtime_ns for p in kbin.iterdir()} == stamps
    assert {p.name: os.readlink(p) for p in kbin.iterdir()} == links
