#!/usr/bin/env python
"""Build the test charts of the serving stack's first two layers and push them to the local OCI registry.

    hack/test_charts_stack.py [--no-push] [--registry oci://127.0.0.1:35000]

The cluster's registry cannot reach quay.io or knative.github.io, so the tests of roles/cert_manager and
roles/knative_serving install these charts from the local registry, through the same code path (kubernetes.core.helm
with an oci:// chart reference) users get from the real registries:

* ``cert-manager`` (tests/charts/cert-manager) at the version pinned in roles/cert_manager/defaults/main.yml, pushed
  as ``<registry>/jetstack/charts/cert-manager`` (upstream: ``oci://quay.io/jetstack/charts/cert-manager``). Its six
  CRDs are GENERATED here from cert-manager's Go API types with controller-gen (wrapper module
  hack/tools/cert-manager, ``paths=github.com/cert-manager/cert-manager/pkg/apis/...``). cert-manager keeps the CRD
  envelope (scope, status subresource, short names, categories) in hand-written files that its build patches with
  controller-gen's schemapatch; the Go types carry no markers for them, so the same envelope facts are applied below
  (``ENVELOPE``).
* ``knative-operator`` (tests/charts/knative-operator) at the operator chart version pinned in
  roles/knative_serving/defaults/main.yml, pushed as ``<registry>/knative/charts/knative-operator``. Knative writes
  the operator's CRDs by hand (no Go-generated CRDs exist), so the chart carries hand-written fixture CRDs.
* ``keda`` (tests/charts/keda) at the chart version pinned in roles/keda/defaults/main.yml, pushed as
  ``<registry>/kedacore/charts/keda`` (upstream: ``oci://ghcr.io/kedacore/charts/keda``). Its CRDs are GENERATED from
  KEDA's Go API types with controller-gen (hack/gen_keda_crds.py, wrapper module hack/tools/keda) and rendered when
  ``crds.install`` is true, as in KEDA's chart. Nothing of KEDA runs on the kwok cluster (its pods are only marked
  Ready).

Both charts are fixtures (annotation ``llmops.kserve/test-fixture: "true"``); the packages land in build/test-charts/.
Prints one ``oci://...:<version>`` line per pushed chart. External commands run with argument lists and timeouts.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_charts import helm_bin  # noqa: E402  pylint: disable=wrong-import-position
from gen_keda_crds import generate as generate_keda_crds  # noqa: E402  pylint: disable=wrong-import-position
# (one helm lookup for hack/: test_charts.helm_bin)

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("LLMOPS_CACHE", Path.home() / ".cache" / "llmops-kserve"))
BIN = CACHE / "bin"
BUILD = ROOT / "build" / "test-charts"
CERT_MANAGER_MODULE = ROOT / "hack" / "tools" / "cert-manager"

# Envelope facts of cert-manager's CRDs that its Go types do not carry (see the module docstring).
ENVELOPE = {
    "certificates.cert-manager.io": {"scope": "Namespaced", "shortNames": ["cert", "certs"]},
    "certificaterequests.cert-manager.io": {"scope": "Namespaced", "shortNames": ["cr", "crs"]},
    "issuers.cert-manager.io": {"scope": "Namespaced", "shortNames": []},
    "clusterissuers.cert-manager.io": {"scope": "Cluster", "shortNames": []},
    "challenges.acme.cert-manager.io": {"scope": "Namespaced", "shortNames": []},
    "orders.acme.cert-manager.io": {"scope": "Namespaced", "shortNames": []},
}


class BuildError(Exception):
    pass


def log(msg: str) -> None:
    print(f"[test-charts-stack] {msg}", file=sys.stderr, flush=True)


def run(args: list[str], cwd: Path | None = None, env: dict | None = None, timeout: float = 300) -> str:
    try:
        proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BuildError(f"timed out after {timeout:.0f}s: {' '.join(args[:3])} ...") from exc
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-20:])
        raise BuildError(f"{' '.join(args[:4])} ... failed (rc={proc.returncode}):\n{tail}")
    return proc.stdout


def role_defaults(role: str) -> dict:
    return yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text(encoding="utf-8"))


def pinned_versions() -> dict[str, str]:
    """Chart versions the roles install by default (the single place versions are pinned)."""
    cm = role_defaults("cert_manager")
    cm_entry = cm["cert_manager_compat_matrix"][cm["cert_manager_version"]]
    kn = role_defaults("knative_serving")
    kn_entry = kn["knative_serving_compat_matrix"][str(kn["knative_serving_version"])]
    return {
        "cert-manager": str(cm_entry["chart_version"]),
        "cert-manager-app": str(cm["cert_manager_version"]),
        "knative-operator": str(kn_entry["operator_chart_version"]),
        "knative-operator-app": str(kn_entry["operator_chart_version"]).lstrip("v"),
        "keda": str(role_defaults("keda")["keda_compat_matrix"][role_defaults("keda")["keda_version"]]["chart_version"]),
    }


def module_version(module_dir: Path) -> str:
    for line in (module_dir / "go.mod").read_text(encoding="utf-8").splitlines():
        if line.startswith("require github.com/cert-manager/cert-manager "):
            return line.split()[-1]
    raise BuildError(f"{module_dir}/go.mod does not require github.com/cert-manager/cert-manager")


def generate_cert_manager_crds(expected_version: str) -> Path:
    """Run controller-gen on cert-manager's API packages; return the directory of the fixed-up CRDs (cached)."""
    version = module_version(CERT_MANAGER_MODULE)
    if version != expected_version:
        raise BuildError(f"hack/tools/cert-manager requires cert-manager {version} but the role pins {expected_version}: "
                         "update the wrapper module (go.mod) to the pinned version")
    digest = hashlib.sha256((CERT_MANAGER_MODULE / "go.sum").read_bytes() + Path(__file__).read_bytes()).hexdigest()[:12]
    out = CACHE / "crds" / f"cert-manager-{version}-{digest}"
    if (out / ".complete").exists():
        return out
    controller_gen = BIN / "controller-gen"
    if not controller_gen.is_file():
        raise BuildError(f"{controller_gen} is missing: run `make tools`")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    log(f"controller-gen on github.com/cert-manager/cert-manager@{version} (pkg/apis/...)")
    env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-mod=readonly")
    run([str(controller_gen), "crd:maxDescLen=0", "paths=github.com/cert-manager/cert-manager/pkg/apis/...",
         f"output:crd:dir={out}"], cwd=CERT_MANAGER_MODULE, env=env, timeout=900)
    names = set()
    for path in sorted(out.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        name = crd["metadata"]["name"]
        if name not in ENVELOPE:
            raise BuildError(f"controller-gen produced an unexpected CRD {name}; known: {sorted(ENVELOPE)}")
        names.add(name)
        envelope = ENVELOPE[name]
        crd["spec"]["scope"] = envelope["scope"]
        crd["spec"]["names"]["categories"] = ["cert-manager"]
        if envelope["shortNames"]:
            crd["spec"]["names"]["shortNames"] = envelope["shortNames"]
        for version_entry in crd["spec"]["versions"]:
            version_entry["subresources"] = {"status": {}}
        crd["metadata"].setdefault("annotations", {})["llmops.kserve/generated-from"] = (
            f"github.com/cert-manager/cert-manager@{version}/pkg/apis (controller-gen)")
        path.write_text(yaml.safe_dump(crd, sort_keys=False, width=1000), encoding="utf-8")
    missing = sorted(set(ENVELOPE) - names)
    if missing:
        raise BuildError(f"controller-gen did not produce the CRDs {missing}")
    (out / ".complete").write_text(version, encoding="utf-8")
    log(f"{len(names)} cert-manager CRDs generated in {out}")
    return out


def crd_template(crd: dict) -> str:
    """One CRD as a chart template: rendered when crds.enabled, kept on uninstall when crds.keep (real chart's rules)."""
    spec = yaml.safe_dump(crd["spec"], sort_keys=False, width=1000)
    if "{{" in spec or "}}" in spec:
        raise BuildError(f"CRD {crd['metadata']['name']} contains template delimiters")
    annotations = "".join(f"    {key}: {yaml.safe_dump(value, default_style=chr(34)).strip()}\n"
                          for key, value in sorted(crd["metadata"].get("annotations", {}).items()))
    body = "".join(f"  {line}\n" for line in spec.splitlines())
    return (
        '{{- if include "cert-manager.crdsEnabled" . }}\n'
        "apiVersion: apiextensions.k8s.io/v1\n"
        "kind: CustomResourceDefinition\n"
        "metadata:\n"
        f"  name: {crd['metadata']['name']}\n"
        "  labels:\n"
        '    {{- include "cert-manager.labels" . | nindent 4 }}\n'
        "    app.kubernetes.io/name: cert-manager\n"
        "  annotations:\n"
        f"{annotations}"
        "    {{- if .Values.crds.keep }}\n"
        "    helm.sh/resource-policy: keep\n"
        "    {{- end }}\n"
        "spec:\n"
        f"{body}"
        "{{- end }}\n"
    )


def keda_crd_template(crd: dict) -> str:
    """One KEDA CRD as a chart template, rendered when crds.install (KEDA's chart's rule), with additionalLabels."""
    spec = yaml.safe_dump(crd["spec"], sort_keys=False, width=1000)
    if "{{" in spec or "}}" in spec:
        raise BuildError(f"CRD {crd['metadata']['name']} contains template delimiters")
    annotations = "".join(f"    {key}: {yaml.safe_dump(value, default_style=chr(34)).strip()}\n"
                          for key, value in sorted(crd["metadata"].get("annotations", {}).items()))
    body = "".join(f"  {line}\n" for line in spec.splitlines())
    return ("{{- if .Values.crds.install }}\n"
            "apiVersion: apiextensions.k8s.io/v1\n"
            "kind: CustomResourceDefinition\n"
            "metadata:\n"
            f"  name: {crd['metadata']['name']}\n"
            "  labels:\n"
            '    {{- include "keda.labels" . | nindent 4 }}\n'
            "    app.kubernetes.io/name: keda-operator\n"
            "  annotations:\n"
            f"{annotations}"
            "spec:\n"
            f"{body}"
            "{{- end }}\n")


def stage_chart(name: str) -> Path:
    src = ROOT / "tests" / "charts" / name
    dest = BUILD / name
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(src, dest)
    return dest


def package(helm: str, chart_dir: Path, version: str, app_version: str) -> Path:
    run([helm, "lint", "--strict", str(chart_dir)])
    run([helm, "package", str(chart_dir), "--version", version, "--app-version", app_version,
         "--destination", str(BUILD)])
    tgz = BUILD / f"{chart_dir.name}-{version}.tgz"
    if not tgz.is_file():
        raise BuildError(f"helm package did not produce {tgz}")
    return tgz


def default_registry() -> str:
    out = run([sys.executable, str(ROOT / "hack" / "cluster.py"), "registry-url"], timeout=30)
    return out.strip().splitlines()[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-push", action="store_true", help="package only (build/test-charts/)")
    parser.add_argument("--registry", default=None, help="oci:// URL of the registry (default: the local cluster's)")
    args = parser.parse_args()
    try:
        helm = helm_bin()
        versions = pinned_versions()
        BUILD.mkdir(parents=True, exist_ok=True)

        crd_dir = generate_cert_manager_crds(versions["cert-manager-app"])
        cm_dir = stage_chart("cert-manager")
        docs = [crd_template(yaml.safe_load(p.read_text(encoding="utf-8"))) for p in sorted(crd_dir.glob("*.yaml"))]
        (cm_dir / "templates" / "crds.tpl").write_text("---\n".join(docs), encoding="utf-8")
        packages = [
            (package(helm, cm_dir, versions["cert-manager"], versions["cert-manager-app"]), "jetstack/charts",
             "cert-manager", versions["cert-manager"]),
            (package(helm, stage_chart("knative-operator"), versions["knative-operator"],
                     versions["knative-operator-app"]), "knative/charts", "knative-operator", versions["knative-operator"]),
        ]
        keda_dir = stage_chart("keda")
        keda_crds = generate_keda_crds(ROOT / "hack" / "tools" / "keda")
        (keda_dir / "templates" / "crds.tpl").write_text("---\n".join(
            keda_crd_template(yaml.safe_load(p.read_text(encoding="utf-8"))) for p in sorted(keda_crds.glob("*.yaml"))),
            encoding="utf-8")
        packages.append((package(helm, keda_dir, versions["keda"], versions["keda"]), "kedacore/charts", "keda",
                         versions["keda"]))
        if args.no_push:
            for package_entry in packages:
                print(package_entry[0])
            return 0
        registry = (args.registry or default_registry()).rstrip("/")
        if not registry.startswith("oci://"):
            raise BuildError(f"--registry must be an oci:// URL, got {registry!r}")
        for tgz, repo_path, name, version in packages:
            run([helm, "push", "--plain-http", str(tgz), f"{registry}/{repo_path}"], timeout=120)
            print(f"{registry}/{repo_path}/{name}:{version}")
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
