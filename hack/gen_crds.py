#!/usr/bin/env python
"""Generate KServe's CRDs from its Go API types with controller-gen, then apply the same edits KServe's
own `make manifests` applies (so they validate like the released CRDs).

    hack/gen_crds.py [--module hack/tools/kserve] [--out DIR]

Prints the output directory on its last line. Cached by the wrapper module's go.sum: a second run is instant.
Nothing is copied out of the Go module cache: the YAML is generated here from the Go types.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("LLMOPS_CACHE", Path.home() / ".cache" / "llmops-kserve"))


def module_version(module_dir: Path) -> str:
    text = (module_dir / "go.mod").read_text(encoding="utf-8")
    match = re.search(r"^require github\.com/kserve/kserve (v\S+)", text, re.M)
    if not match:
        raise SystemExit(f"{module_dir}/go.mod does not require github.com/kserve/kserve")
    return match.group(1)


def _walk(node, fn):
    """Apply fn to every dict in a nested structure."""
    if isinstance(node, dict):
        fn(node)
        for value in node.values():
            _walk(value, fn)
    elif isinstance(node, list):
        for value in node:
            _walk(value, fn)


def _schema(crd: dict, version_index: int = 0) -> dict:
    return crd["spec"]["versions"][version_index]["schema"]["openAPIV3Schema"]


def _set_protocol_default(spec_props: dict) -> None:
    def fn(node: dict) -> None:
        if "protocol" in node and isinstance(node["protocol"], dict) and "type" in node["protocol"]:
            node["protocol"]["default"] = "TCP"
    _walk(spec_props, fn)


def fix_inferenceservice(crd: dict) -> None:
    spec = _schema(crd)["properties"]["spec"]["properties"]
    for component in spec.values():
        props = component.get("properties", {})
        # the framework specs' `name` must be optional
        for child in props.values():
            if isinstance(child, dict):
                child.pop("required", None)
        # ephemeralContainers dropped to keep the CRD small
        props.pop("ephemeralContainers", None)
        # Knative does not allow a port on probes
        for child in list(props.values()) + [props.get("containers", {}).get("items", {})]:
            if not isinstance(child, dict):
                continue
            for probe in ("readinessProbe", "livenessProbe"):
                probe_props = child.get("properties", {}).get(probe, {}).get("properties", {})
                for handler in ("httpGet", "tcpSocket"):
                    if handler in probe_props:
                        probe_props[handler].pop("required", None)
    _set_protocol_default(spec)


def fix_runtime(crd: dict) -> None:
    _set_protocol_default(_schema(crd)["properties"]["spec"]["properties"])


def fix_llmisvc(crd: dict) -> None:
    for index, _version in enumerate(crd["spec"]["versions"]):
        spec = _schema(crd, index)["properties"]["spec"]["properties"]
        for path in (("worker",), ("template",), ("prefill", "template"), ("prefill", "worker"),
                     ("router", "scheduler", "template")):
            node = spec
            for key in path[:-1]:
                node = node.get(key, {}).get("properties", {})
            node.get(path[-1], {}).pop("required", None)


FIXES = {
    "serving.kserve.io_inferenceservices.yaml": fix_inferenceservice,
    "serving.kserve.io_servingruntimes.yaml": fix_runtime,
    "serving.kserve.io_clusterservingruntimes.yaml": fix_runtime,
    "serving.kserve.io_llminferenceservices.yaml": fix_llmisvc,
    "serving.kserve.io_llminferenceserviceconfigs.yaml": fix_llmisvc,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--module", default=str(ROOT / "hack" / "tools" / "kserve"))
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    module_dir = Path(args.module).resolve()
    version = module_version(module_dir)
    digest = hashlib.sha256((module_dir / "go.sum").read_bytes() + Path(__file__).read_bytes()).hexdigest()[:12]
    out = Path(args.out) if args.out else CACHE / "crds" / f"kserve-{version}-{digest}"
    if (out / ".complete").exists():
        print(out)
        return 0
    out.mkdir(parents=True, exist_ok=True)
    controller_gen = CACHE / "bin" / "controller-gen"
    if not controller_gen.exists():
        raise SystemExit(f"{controller_gen} is missing: run `make tools`")
    print(f"[gen-crds] controller-gen on github.com/kserve/kserve@{version} (pkg/apis/serving/...)", flush=True)
    env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-mod=readonly")
    subprocess.run([str(controller_gen), "crd:maxDescLen=0", "paths=github.com/kserve/kserve/pkg/apis/serving/...",
                    f"output:crd:dir={out}"], cwd=module_dir, env=env, check=True, timeout=900)
    for path in sorted(out.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        fix = FIXES.get(path.name)
        if fix:
            fix(crd)
        crd.setdefault("metadata", {}).setdefault("annotations", {})["serving.kserve.io/version"] = version
        crd["metadata"]["annotations"]["llmops.kserve/generated"] = out.name
        crd["metadata"].setdefault("labels", {})["app.kubernetes.io/part-of"] = "kserve"
        path.write_text(yaml.safe_dump(crd, sort_keys=False, width=1000), encoding="utf-8")
    (out / ".complete").write_text(version)
    print(f"[gen-crds] {len(list(out.glob('*.yaml')))} CRDs for KServe {version}", flush=True)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
