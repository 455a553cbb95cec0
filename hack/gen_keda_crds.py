#!/usr/bin/env python
"""Generate KEDA's CRDs (ScaledObject, ScaledJob, TriggerAuthentication, ClusterTriggerAuthentication) from its Go
API types with controller-gen, from the pinned wrapper module hack/tools/keda (the KEDA version roles/kserve installs,
``kserve_keda_version``; KServe v0.20 itself builds against KEDA's v1alpha1 types of the same minor).

    hack/gen_keda_crds.py [--module hack/tools/keda] [--out DIR]

Prints progress and the output directory on its last line. Cached by the wrapper module's go.sum and this file: a
second run is instant. The options are KEDA's own (its Makefile's ``manifests`` target: crdVersions=v1,
generateEmbeddedObjectMeta=true), descriptions dropped (maxDescLen=0) to keep the CRDs small. Nothing is copied out
of the Go module cache: the YAML is generated here from the Go types.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("LLMOPS_CACHE", Path.home() / ".cache" / "llmops-kserve"))
MODULE = "github.com/kedacore/keda/v2"
EXPECTED = {"scaledobjects.keda.sh", "scaledjobs.keda.sh", "triggerauthentications.keda.sh",
            "clustertriggerauthentications.keda.sh"}


def module_version(module_dir: Path) -> str:
    text = (module_dir / "go.mod").read_text(encoding="utf-8")
    match = re.search(r"^require " + re.escape(MODULE) + r" (v\S+)", text, re.M)
    if not match:
        raise SystemExit(f"{module_dir}/go.mod does not require {MODULE}")
    return match.group(1)


def generate(module_dir: Path, out: Path | None = None) -> Path:
    """Return the directory of the generated CRDs (generating them when the cache has none)."""
    version = module_version(module_dir)
    digest = hashlib.sha256((module_dir / "go.sum").read_bytes() + Path(__file__).read_bytes()).hexdigest()[:12]
    out = out or CACHE / "crds" / f"keda-{version}-{digest}"
    if (out / ".complete").exists():
        return out
    controller_gen = CACHE / "bin" / "controller-gen"
    if not controller_gen.exists():
        raise SystemExit(f"{controller_gen} is missing: run `make tools`")
    print(f"[gen-keda-crds] controller-gen on {MODULE}@{version} (apis/keda/v1alpha1)", file=sys.stderr, flush=True)
    start = time.monotonic()
    tmp = out.with_name(out.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-mod=readonly")
    subprocess.run([str(controller_gen), "crd:crdVersions=v1,generateEmbeddedObjectMeta=true,maxDescLen=0",
                    f"paths={MODULE}/apis/keda/v1alpha1", f"output:crd:dir={tmp}"],
                   cwd=module_dir, env=env, check=True, timeout=900)
    names = set()
    for path in sorted(tmp.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        if crd["metadata"]["name"] == "withtriggers.keda.sh":
            path.unlink()  # a duck type of KEDA's code, not a CRD KEDA installs (its Makefile deletes it too)
            continue
        names.add(crd["metadata"]["name"])
        crd["metadata"].setdefault("labels", {})["app.kubernetes.io/part-of"] = "keda-operator"
        annotations = crd["metadata"].setdefault("annotations", {})
        annotations["llmops.kserve/generated-from"] = f"{MODULE}@{version}/apis/keda/v1alpha1 (controller-gen)"
        annotations["llmops.kserve/generated"] = out.name
        path.write_text(yaml.safe_dump(crd, sort_keys=False, width=1000), encoding="utf-8")
    if names != EXPECTED:
        raise SystemExit(f"controller-gen produced {sorted(names)}, expected {sorted(EXPECTED)}")
    (tmp / ".complete").write_text(version)
    if out.exists():
        raise SystemExit(f"{out} exists without .complete: remove it and run again")
    tmp.rename(out)
    print(f"[gen-keda-crds] {len(names)} CRDs for KEDA {version} in {time.monotonic() - start:.0f} s", file=sys.stderr, flush=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--module", default=str(ROOT / "hack" / "tools" / "keda"))
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    print(generate(Path(args.module).resolve(), Path(args.out) if args.out else None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
