# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kubernetes versions CI runs (hack/kubernetes-versions) are the range every document and check claims.

hack/kubernetes-versions lists the versions of the local cluster (each runs the e2e suite in `make test`); the
wrapper modules build exactly those versions and their etcd; the kserve role's preflight range (kubernetes_min ..
kubernetes_tested_max), the README's supported-versions table, the role README and the chart requirements say the
same span. hack/cluster.py picks the version by LLMOPS_K8S_VERSION and refuses an unknown one, naming the allowed
values. hack/versions.py (`make versions`) compares pins with the registries; here with fixed version lists (no
network).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "hack"))
import versions  # noqa: E402  (hack/versions.py)


def ci_versions() -> list[tuple[str, str, str, str]]:
    lines = (ROOT / "hack" / "kubernetes-versions").read_text(encoding="utf-8").splitlines()
    return [tuple(line.split()[:4]) for line in lines if line.strip() and not line.lstrip().startswith("#")]


def minor(version: str) -> str:
    return ".".join(version.lstrip("v").split(".")[:2])


def key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.lstrip("v").split("."))


def test_versions_file_names_two_versions_built_by_their_modules():
    rows = ci_versions()
    assert len(rows) >= 2, "CI runs the newest and the oldest supported minor"
    newest = max(rows, key=lambda r: key(r[0]))
    oldest = min(rows, key=lambda r: key(r[0]))
    assert rows[0] in (newest, oldest)  # the first line is the default cluster
    for version, module, etcd, etcd_module in rows:
        gomod = (ROOT / "hack" / "tools" / module / "go.mod").read_text(encoding="utf-8")
        assert re.search(rf"^require k8s\.io/kubernetes {re.escape(version)}$", gomod, re.M), module
        assert f"k8s.io/api => k8s.io/api v0.{version.split('.', 1)[1]}" in gomod, f"{module}: staging modules"
        etcd_mod = (ROOT / "hack" / "tools" / etcd_module / "go.mod").read_text(encoding="utf-8")
        assert re.search(rf"^require go\.etcd\.io/etcd/server/v3 {re.escape(etcd)}$", etcd_mod, re.M), etcd_module


def test_supported_range_is_the_tested_range():
    rows = ci_versions()
    oldest = min((r[0] for r in rows), key=key)
    newest = max((r[0] for r in rows), key=key)
    defaults = yaml.safe_load((ROOT / "roles" / "kserve" / "defaults" / "main.yml").read_text(encoding="utf-8"))
    for version, entry in defaults["kserve_compat"].items():
        assert str(entry["kubernetes_min"]) == minor(oldest), version
        assert str(entry["kubernetes_tested_max"]) == minor(newest), version
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| Kubernetes |"))
    assert f"{minor(oldest)} – {minor(newest)}" in row, row
    for version in (r[0] for r in rows):
        assert version.lstrip("v") in row, row
    assert not re.search(r"1\.3[0-3]", row), row
    role_readme = (ROOT / "roles" / "kserve" / "README.md").read_text(encoding="utf-8")
    assert f"| **v0.20.0** (default) | {minor(oldest)} – {minor(newest)} |" in role_readme
    chart = yaml.safe_load((ROOT / "charts" / "kserve-model" / "Chart.yaml").read_text(encoding="utf-8"))
    assert chart["kubeVersion"] == f">={minor(oldest)}.0-0"
    kwokctl = (ROOT / "hack" / "cluster" / "kwokctl.yaml").read_text(encoding="utf-8")
    assert f"kubeVersion: {rows[0][0]}\n" in kwokctl  # cluster.py swaps it for LLMOPS_K8S_VERSION's


def cluster_py(*args: str, version: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "LLMOPS_K8S_VERSION"}
    if version is not None:
        env["LLMOPS_K8S_VERSION"] = version
    return subprocess.run([sys.executable, str(ROOT / "hack" / "cluster.py"), *args], env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def test_cluster_picks_the_version_by_env():
    rows = ci_versions()
    assert cluster_py("version", version=None).stdout.strip() == rows[0][0]
    for version in (r[0] for r in rows):
        for spelling in (version, version.lstrip("v"), minor(version), "v" + minor(version)):
            proc = cluster_py("version", version=spelling)
            assert proc.returncode == 0 and proc.stdout.strip() == version, (spelling, proc.stderr)
        proc = cluster_py("bin-dir", version=version)
        assert proc.stdout.strip().endswith(f"/k8s/{version}/bin")


@pytest.mark.parametrize("bad", ["1.30", "v1.3", "1.37.1", "latest"])
def test_cluster_refuses_an_untested_version(bad):
    proc = cluster_py("version", version=bad)
    assert proc.returncode == 1
    assert f"LLMOPS_K8S_VERSION={bad!r}" in proc.stderr
    for version in (r[0] for r in ci_versions()):
        assert version in proc.stderr  # what is allowed


@pytest.mark.parametrize("pinned,served,newest,behind", [
    ("v1.17.4", ["v1.21.0", "v1.21.2"], "v1.21.2", "4 minors behind"),
    ("v3.6.16", ["v3.6.16", "v3.7.3", "v3.8.0-alpha.0"], "v3.7.3", "1 minor behind"),
    ("3.21.4", ["3.21.3", "3.21.4", "3.22.0"], "3.22.0", "1 minor behind"),
    ("0.2.8", ["0.2.8", "0.2.9", "0.2.11"], "0.2.11", "3 patches behind"),
    ("78.1.1", ["78.1.1", "84.2.1"], "84.2.1", "6 majors behind"),
    ("v0.8.0", ["v0.7.0", "v0.8.0"], "v0.8.0", "up to date"),
    ("1.21.1", ["1.21.0"], "1.21.0", "up to date (the registry lists no newer version)"),
    ("1.0.0", [], "", "no version listed"),
])
def test_versions_distance(pinned, served, newest, behind):
    assert versions.distance(pinned, served) == (newest, behind)


def test_versions_reads_every_pin_and_reports_without_network(monkeypatch, capsys):
    served = {"https://pypi.org/pypi/ansible-core/json": b'{"releases": {"2.19.14": [{}], "2.20.1": [{}]}}',
              "https://proxy.test/k8s.io/kubernetes/@v/list": b"v1.34.4\nv1.37.2\nv1.38.0-beta.0\n"}

    def fake_fetch(url, timeout, accept=""):
        if url in served:
            return served[url]
        raise versions.urllib.error.HTTPError(url, 403, "not available", {}, None)

    monkeypatch.setattr(versions, "fetch", fake_fetch)
    monkeypatch.setenv("GOPROXY", "https://proxy.test,direct")
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    monkeypatch.setattr(versions, "pip_index", lambda: "")
    assert versions.main([]) == 0
    out = capsys.readouterr().out
    assert re.search(r"python\s+ansible-core\s+2\.19\.14\s+2\.20\.1\s+1 minor behind\s+requirements-dev\.txt", out)
    assert re.search(r"kubernetes-v1\.37 \(k8s\.io/kubernetes\)\s+v1\.37\.2\s+v1\.37\.2\s+up to date", out)
    assert re.search(r"kubernetes-v1\.34 \(k8s\.io/kubernetes\)\s+v1\.34\.4\s+v1\.37\.2\s+3 minors behind", out)
    assert "helm (helm.sh/helm/v3)" in out and "not listed by the registry (HTTP 403)" in out
    assert "cert-manager chart and images" in out and "Knative Serving (images)" in out
    # it reads only: no write call in the tool
    source = (ROOT / "hack" / "versions.py").read_text(encoding="utf-8")
    assert not re.search(r"write_text|\.write\(|open\([^)]*['\"][wa]", source)
