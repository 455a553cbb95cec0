"""The collection tarball holds the product only.

`ansible-galaxy collection build` (the command `make build` and a release run) packages the working tree minus
galaxy.yml's `build_ignore`. This builds it from the checkout and checks what a user gets: every top-level entry is
a product path (plugins, roles, playbooks, charts, meta, docs, README, changelogs, the execution environment and
what it installs, awx/, the license, the example inventories), no test harness (tests/, hack/, bench/, molecule/,
Makefile, lint and developer configuration), no fixture chart (the stand-ins of cert-manager, the Knative Operator
and KServe in tests/charts are named and versioned like the real upstream charts), and the product is complete.
"""
from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_GALAXY = ROOT / ".venv" / "bin" / "ansible-galaxy"
# Top-level entries a tarball may hold (docs/ and changelogs/ once they exist).
PRODUCT = {"plugins", "roles", "playbooks", "charts", "meta", "docs", "changelogs", "awx", "inventory",
           "README.md", "CHANGELOG.md", "COPYING", "execution-environment.yml", "requirements.txt",
           "requirements.yml", "bindep.txt", "MANIFEST.json", "FILES.json"}
HARNESS = ("tests/", "hack/", "bench/", "molecule/", "build/", "out/", "inventory/local/", "Makefile", "ansible.cfg",
           "requirements-dev.txt", ".yamllint", ".ansible-lint", ".gitignore", ".ci/", ".venv/", ".venv-sanity/",
           ".git/")
OUR_CHARTS = {"charts/kserve-model/Chart.yaml", "charts/kserve-runtimes/Chart.yaml"}


@pytest.fixture(scope="module")
def tarball(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("collection-build")
    proc = subprocess.run([str(ANSIBLE_GALAXY), "collection", "build", "--output-path", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (path,) = out.glob("llmops-kserve-*.tar.gz")
    print(f"\n{path.name}: {path.stat().st_size} bytes")
    return path


@pytest.fixture(scope="module")
def members(tarball) -> list[str]:
    with tarfile.open(tarball) as tar:
        return [m.name + ("/" if m.isdir() else "") for m in tar.getmembers()]


def test_top_level_entries_are_product_only(members):
    top = {name.split("/")[0] for name in members}
    assert top - PRODUCT == set(), f"the tarball holds non-product entries: {sorted(top - PRODUCT)}"


def test_no_harness_paths(members):
    leaked = [name for name in members if name.startswith(HARNESS) or name.rstrip("/") in {h.rstrip("/") for h in HARNESS}]
    assert leaked == [], f"test harness in the tarball: {leaked[:20]}"


def test_no_fixture_charts(members):
    charts = {name for name in members if name.endswith("Chart.yaml")}
    assert charts == OUR_CHARTS, f"charts in the tarball other than ours: {sorted(charts - OUR_CHARTS)}"


def test_product_complete(members):
    names = set(members)
    wanted = ["README.md", "COPYING", "meta/runtime.yml", "playbooks/site.yml", "playbooks/specs/site.yml",
              "awx/configure.yml", "charts/kserve-model/values.schema.json", "charts/kserve-model/values-nvidia.yaml",
              "charts/kserve-runtimes/values.yaml", "inventory/nvidia/group_vars/all/main.yml"]
    wanted += [str(p.relative_to(ROOT)) for p in (ROOT / "plugins" / "modules").glob("*.py")]
    wanted += [f"roles/{p.name}/tasks/main.yml" for p in (ROOT / "roles").iterdir() if (p / "tasks" / "main.yml").is_file()]
    missing = [w for w in wanted if w not in names]
    assert missing == [], f"product files missing from the tarball: {missing}"


def test_execution_environment_inputs_in_tarball(members):
    """What execution-environment.yml installs (requirements, bindep, build files) ships with it."""
    ee = yaml.safe_load((ROOT / "execution-environment.yml").read_text())
    deps = ee["dependencies"]
    wanted = [deps["python"], deps["galaxy"], deps["system"]]
    wanted += [f["src"] for f in ee.get("additional_build_files", []) if f["src"] != "galaxy.yml"]
    names = {name.rstrip("/") for name in members}
    assert [w for w in wanted if w not in names] == []


def test_no_placeholder_urls(tarball):
    """MANIFEST.json carries no placeholder URL (example.invalid): a URL galaxy.yml gives must be a real one."""
    import json
    with tarfile.open(tarball) as tar:
        info = json.load(tar.extractfile("MANIFEST.json"))["collection_info"]
    bad = {k: info.get(k) for k in ("repository", "documentation", "homepage", "issues") if "example.invalid" in str(info.get(k))}
    assert bad == {}


def test_charts_versioned_with_the_collection():
    """make publish-charts pushes our charts under the collection's version (roles pin it for oci:// refs)."""
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    for chart in sorted(OUR_CHARTS):
        assert yaml.safe_load((ROOT / chart).read_text())["version"] == version, chart
