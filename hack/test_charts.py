#!/usr/bin/env python
"""Build the KServe test charts and push them to the local OCI registry.

    hack/test_charts.py [--registry oci://127.0.0.1:35000/kserve/charts] [--versions v0.20.0,v0.19.0] [--no-push]

ghcr.io cannot be reached from the test machines, so the tests install KServe from charts this project builds,
pushed to the local registry, through the same code path users get from oci://ghcr.io/kserve/charts:

- ``kserve-crd`` <version>: the chart shell in tests/charts/kserve-crd plus the CRDs of that KServe version,
  generated from KServe's Go API types with controller-gen (hack/gen_crds.py; wrapper module per version), keeping
  the CRDs KServe's own kserve-crd chart ships;
- ``kserve-resources`` <version>: our fixture of the controller chart (tests/charts/kserve-resources).

Packages land in build/test-charts/ as ``<chart>-<version>.tgz`` (also the layout of ``kserve_chart_dir`` for the
role's air-gapped ``local`` source). Prints the registry location on its last line. Every external command runs
with an argument list.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("LLMOPS_CACHE", Path.home() / ".cache" / "llmops-kserve"))
OUT = ROOT / "build" / "test-charts"
CHARTS = ROOT / "tests" / "charts"
DEFAULT_REGISTRY = f"oci://{os.environ.get('LLMOPS_REGISTRY', '127.0.0.1:35000')}/kserve/charts"

# KServe version -> the Go wrapper module whose go.mod pins it (hack/gen_crds.py --module).
MODULES = {
    "v0.20.0": ROOT / "hack" / "tools" / "kserve",
    "v0.19.0": ROOT / "hack" / "tools" / "kserve-v0.19",
}
# The CRDs KServe's kserve-crd chart carries (the LLMInferenceService and LocalModel CRDs have charts of their own).
CRD_CHART_FILES = (
    "serving.kserve.io_clusterservingruntimes.yaml",
    "serving.kserve.io_clusterstoragecontainers.yaml",
    "serving.kserve.io_inferencegraphs.yaml",
    "serving.kserve.io_inferenceservices.yaml",
    "serving.kserve.io_servingruntimes.yaml",
    "serving.kserve.io_trainedmodels.yaml",
)


def helm_bin() -> str:
    candidate = os.environ.get("HELM_BIN") or str(CACHE / "bin" / "helm")
    if Path(candidate).exists():
        return candidate
    found = shutil.which("helm")
    if not found:
        raise SystemExit(f"helm not found (HELM_BIN, {CACHE / 'bin' / 'helm'}, PATH): run `make tools`")
    return found


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=kwargs.pop("timeout", 900), check=False,
                          **kwargs)
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(args)}\n{proc.stdout[-2000:]}{proc.stderr[-4000:]}")
    return proc


def generate_crds(version: str) -> Path:
    module = MODULES[version]
    proc = run([sys.executable, str(ROOT / "hack" / "gen_crds.py"), "--module", str(module)])
    crd_dir = Path(proc.stdout.strip().splitlines()[-1])
    missing = [name for name in CRD_CHART_FILES if not (crd_dir / name).is_file()]
    if missing:
        raise SystemExit(f"controller-gen output {crd_dir} lacks {', '.join(missing)}")
    return crd_dir


def build_crd_chart(helm: str, version: str, work: Path) -> Path:
    crd_dir = generate_crds(version)
    chart = work / f"kserve-crd-{version}" / "kserve-crd"
    shutil.rmtree(chart.parent, ignore_errors=True)
    shutil.copytree(CHARTS / "kserve-crd", chart)
    for name in CRD_CHART_FILES:
        # The generated YAML is plain data (no "{{"), so Helm renders it as it is.
        text = (crd_dir / name).read_text(encoding="utf-8")
        if "{{" in text:
            raise SystemExit(f"{crd_dir / name} contains '{{{{': it would be read as a Helm template")
        (chart / "templates" / name).write_text(text, encoding="utf-8")
    return package(helm, chart, version)


def build_resources_chart(helm: str, version: str, work: Path) -> Path:
    chart = work / f"kserve-resources-{version}" / "kserve-resources"
    shutil.rmtree(chart.parent, ignore_errors=True)
    shutil.copytree(CHARTS / "kserve-resources", chart)
    return package(helm, chart, version)


def package(helm: str, chart: Path, version: str) -> Path:
    meta = yaml.safe_load((chart / "Chart.yaml").read_text(encoding="utf-8"))
    if meta.get("annotations", {}).get("llmops.kserve/test-fixture") != "true":
        raise SystemExit(f"{chart}/Chart.yaml lacks the annotation llmops.kserve/test-fixture: \"true\"")
    run([helm, "lint", "--strict", str(chart)])
    OUT.mkdir(parents=True, exist_ok=True)
    run([helm, "package", str(chart), "--version", version, "--app-version", version, "--destination", str(OUT)])
    tgz = OUT / f"{meta['name']}-{version}.tgz"
    if not tgz.is_file():
        raise SystemExit(f"helm package did not write {tgz}")
    return tgz


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--registry", default=os.environ.get("LLMOPS_TEST_CHART_REGISTRY", DEFAULT_REGISTRY),
                        help="oci:// location the charts are pushed to (plain HTTP)")
    parser.add_argument("--versions", default=",".join(MODULES), help="comma-separated KServe versions")
    parser.add_argument("--no-push", action="store_true", help="only build the packages")
    args = parser.parse_args()
    versions = [v.strip() for v in args.versions.split(",") if v.strip()]
    unknown = [v for v in versions if v not in MODULES]
    if unknown:
        raise SystemExit(f"--versions: unknown {', '.join(unknown)}; known: {', '.join(MODULES)}")
    if not args.registry.startswith("oci://"):
        raise SystemExit(f"--registry must be an oci:// location, got {args.registry!r}")
    helm = helm_bin()
    work = ROOT / "build" / "test-charts-src"
    packages = []
    for version in versions:
        packages.append(build_crd_chart(helm, version, work))
        packages.append(build_resources_chart(helm, version, work))
    for tgz in packages:
        print(f"[test-charts] built {tgz.relative_to(ROOT)}", flush=True)
        if not args.no_push:
            run([helm, "push", str(tgz), args.registry, "--plain-http"], timeout=300)
            print(f"[test-charts] pushed {tgz.name} to {args.registry}", flush=True)
    print(args.registry if not args.no_push else OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
