# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""charts/kserve-model against the local cluster, whose API server serves KServe's real CRDs.

- every platform values file x deployment mode renders to objects the API server accepts
  (`kubectl create --dry-run=server --validate=strict`: the CRD's OpenAPI schema, with unknown
  fields refused instead of pruned);
- the same check refuses a broken InferenceService, so the validation above is not vacuous;
- two models installed as two releases in one namespace do not clash, and a third release that
  would take a name already used is refused by Helm.

Fixtures kubeconfig, kubectl_bin and helm_bin come from tests/integration/conftest.py.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "kserve-model"
PLATFORM_FILES = ["xeon", "gaudi", "gaudi3", "nvidia", "cpu-tiny"]
MODES = ["Knative", "Standard"]
# Optional templates whose kinds come from CRDs: enabled in the dry run only where the cluster has the CRD.
OPTIONAL_CRDS = {
    "servicemonitors.monitoring.coreos.com": ["metrics.serviceMonitor.enabled=true"],
    "prometheusrules.monitoring.coreos.com": ["metrics.prometheusRule.enabled=true"],
    "httproutes.gateway.networking.k8s.io": [
        "httpRoute.enabled=true",
        "httpRoute.parentRefs[0].name=inference-gateway",
        "httpRoute.parentRefs[0].namespace=gateway-system",
    ],
    "apisixroutes.apisix.apache.org": ["apisixRoute.enabled=true"],
}


def _run(args: list[str], stdin: str | None = None, timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=timeout, check=False)


def values_file(name: str) -> str:
    return str(CHART / f"values-{name}.yaml")


@pytest.fixture(scope="module")
def kube(kubeconfig, kubectl_bin, helm_bin):
    # kubectl_bin and helm_bin fail the test when the tool is missing (tests/harness.py)
    class Kube:
        def kubectl(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
            return _run([kubectl_bin, "--kubeconfig", kubeconfig, *args], stdin=stdin)

        def helm(self, *args: str) -> subprocess.CompletedProcess:
            return _run([helm_bin, "--kubeconfig", kubeconfig, *args], timeout=300)

        def has_crd(self, name: str) -> bool:
            return self.kubectl("get", "crd", name, "-o", "name").returncode == 0

    kube = Kube()
    proc = kube.kubectl("version", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    # `helm template` renders offline: give it the cluster's version (the chart requires >= 1.32).
    kube.version = json.loads(proc.stdout)["serverVersion"]["gitVersion"].split("-")[0]
    return kube


@pytest.fixture(scope="module")
def namespace(kube):
    name = f"llmops-chart-{secrets.token_hex(3)}"
    proc = kube.kubectl("create", "namespace", name)
    assert proc.returncode == 0, proc.stderr
    yield name
    kube.kubectl("delete", "namespace", name, "--wait=false")


@pytest.fixture(scope="module")
def isvc_crd(kube):
    proc = kube.kubectl("get", "crd", "inferenceservices.serving.kserve.io", "-o", "json")
    assert proc.returncode == 0, f"KServe's InferenceService CRD is not installed: {proc.stderr}"
    crd = json.loads(proc.stdout)
    assert any(v["name"] == "v1beta1" and v["served"] for v in crd["spec"]["versions"])
    return crd


def render(kube, namespace: str, platform: str, sets: list[str], release: str = "m1") -> str:
    args = ["template", release, str(CHART), "--namespace", namespace, "--kube-version", kube.version,
            "-f", values_file(platform)]
    for s in sets:
        args += ["--set", s]
    proc = kube.helm(*args)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def server_dry_run(kube, namespace: str, manifest: str) -> subprocess.CompletedProcess:
    return kube.kubectl("create", "--dry-run=server", "--validate=strict", "--namespace", namespace, "-f", "-", stdin=manifest)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("platform", PLATFORM_FILES)
def test_server_side_dry_run(kube, namespace, isvc_crd, platform, mode):
    manifest = render(kube, namespace, platform, [f"deploymentMode={mode}"])
    proc = server_dry_run(kube, namespace, manifest)
    assert proc.returncode == 0, proc.stderr
    assert "inferenceservice.serving.kserve.io/m1 created (server dry run)" in proc.stdout
    assert "networkpolicy.networking.k8s.io/m1 created (server dry run)" in proc.stdout


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("platform", PLATFORM_FILES)
def test_server_side_dry_run_with_optional_resources(kube, namespace, isvc_crd, platform, mode):
    sets = [
        f"deploymentMode={mode}",
        "modelCache.enabled=true",
        "predictor.shmSize=8Gi",
        "routing.domain=models.example.test",
        "ingress.enabled=true",
        "ingress.tls.enabled=true",
    ]
    expected = {"inferenceservice.serving.kserve.io/m1", "persistentvolumeclaim/m1-model-cache",
                "ingress.networking.k8s.io/m1", "networkpolicy.networking.k8s.io/m1"}
    for crd, extra in OPTIONAL_CRDS.items():
        if kube.has_crd(crd):
            sets += extra
    if any(s.startswith("metrics.serviceMonitor") for s in sets):
        expected.add("service/m1-metrics")
    manifest = render(kube, namespace, platform, sets)
    proc = server_dry_run(kube, namespace, manifest)
    assert proc.returncode == 0, proc.stderr
    created = {line.split(" ")[0] for line in proc.stdout.splitlines() if line.endswith("created (server dry run)")}
    assert expected <= created, created
    assert any(name.startswith("job.batch/m1-download-") for name in created)


def test_server_side_validation_is_not_vacuous(kube, namespace, isvc_crd):
    docs = [d for d in yaml.safe_load_all(render(kube, namespace, "nvidia", [])) if d]
    isvc = next(d for d in docs if d["kind"] == "InferenceService")
    isvc["spec"]["predictor"]["model"]["tensorParallel"] = 4  # not a field of the CRD
    proc = server_dry_run(kube, namespace, yaml.safe_dump(isvc))
    assert proc.returncode != 0 and "unknown field" in proc.stderr, proc.stderr
    del isvc["spec"]["predictor"]["model"]["tensorParallel"]
    isvc["spec"]["predictor"]["minReplicas"] = "one"
    proc = server_dry_run(kube, namespace, yaml.safe_dump(isvc))
    assert proc.returncode != 0 and "spec.predictor.minReplicas" in proc.stderr, proc.stderr


def _manifest_objects(kube, release: str, namespace: str) -> set[tuple[str, str]]:
    proc = kube.helm("get", "manifest", release, "--namespace", namespace)
    assert proc.returncode == 0, proc.stderr
    return {(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(proc.stdout) if d}


def test_two_models_in_one_namespace_do_not_clash(kube, namespace, isvc_crd):
    releases = ["model-a", "model-b"]
    # Same values for both on purpose: only the release may tell them apart.
    sets = [
        "routing.domain=models.example.test",
        "ingress.enabled=true",
        "modelCache.enabled=true",
        "modelCache.keepOnUninstall=false",
    ]
    installed: list[str] = []
    try:
        for release in releases:
            args = ["install", release, str(CHART), "--namespace", namespace, "-f", values_file("cpu-tiny")]
            for s in sets:
                args += ["--set", s]
            proc = kube.helm(*args)
            assert proc.returncode == 0, proc.stderr
            installed.append(release)
            assert f"curl http://{release}-predictor.{namespace}.svc.cluster.local/v1/models" in proc.stdout

        objects = {r: _manifest_objects(kube, r, namespace) for r in releases}
        assert objects["model-a"] and not objects["model-a"] & objects["model-b"]

        proc = kube.kubectl("get", "inferenceservices", "--namespace", namespace, "-o", "json")
        assert proc.returncode == 0, proc.stderr
        items = {i["metadata"]["name"]: i for i in json.loads(proc.stdout)["items"]}
        assert set(releases) <= set(items)
        for release in releases:
            isvc = items[release]
            assert isvc["metadata"]["labels"]["app.kubernetes.io/instance"] == release
            assert f"--served-model-name={release}" in isvc["spec"]["predictor"]["model"]["args"]
        proc = kube.kubectl("get", "ingresses", "--namespace", namespace, "-o", "json")
        hosts = [r["host"] for i in json.loads(proc.stdout)["items"] for r in i["spec"]["rules"]]
        assert len(hosts) == len(set(hosts)) == 2

        # A third release that would reuse model-a's names is refused, not merged into model-a.
        proc = kube.helm("install", "model-c", str(CHART), "--namespace", namespace, "-f", values_file("cpu-tiny"),
                         "--set", "fullnameOverride=model-a")
        installed.append("model-c")
        assert proc.returncode != 0
        assert "model-a" in proc.stderr and "exists" in proc.stderr, proc.stderr
        proc = kube.kubectl("get", "inferenceservice", "model-a", "--namespace", namespace,
                            "-o", "jsonpath={.metadata.annotations.meta\\.helm\\.sh/release-name}")
        assert proc.stdout == "model-a"
    finally:
        for release in installed:
            kube.helm("uninstall", release, "--namespace", namespace, "--wait", "--timeout", "120s")

    kinds = "inferenceservices,ingresses,networkpolicies,jobs,persistentvolumeclaims"
    for release in releases:
        deadline = time.monotonic() + 90
        while True:
            proc = kube.kubectl("get", kinds, "--namespace", namespace,
                                "-l", f"app.kubernetes.io/instance={release}", "-o", "name")
            assert proc.returncode == 0, proc.stderr
            if not proc.stdout.strip() or time.monotonic() > deadline:
                break
            time.sleep(3)
        assert proc.stdout.strip() == "", f"{release} left objects behind: {proc.stdout}"
