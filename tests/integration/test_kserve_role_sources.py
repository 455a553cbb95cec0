# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""roles/kserve with the air-gapped sources: charts from a local directory of packages and an image mirror.

Installs KServe (Standard mode) from build/test-charts/*.tgz (hack/test_charts.py) with kserve_image_registry set,
in a namespace of its own, and checks that every image the controller runs and every image
inferenceservice-config names goes through the mirror; then a second run changes nothing, and playbooks/uninstall.yml
removes the release and the namespace it created (CRDs kept).
"""
from __future__ import annotations

import json
import subprocess
import uuid

import pytest

import harness

CHART_DIR = harness.ROOT / "build" / "test-charts"
MIRROR = "mirror.example.com:5000/airgap"


@pytest.fixture(scope="module")
def env(kubeconfig, helm_bin) -> dict[str, str]:
    harness.test_charts("test_charts.py", "--no-push", "--versions", "v0.20.0")
    return harness.ansible_env(kubeconfig, helm_bin)


def playbook(env, name: str, variables: dict) -> tuple[harness.PlaybookRun, tuple[int, ...]]:
    run = harness.run_playbook(name, "-e", json.dumps(variables), env=env, timeout=900)
    return run, run.recap


def get(kubectl_bin, kubeconfig, *args) -> dict:
    proc = subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig, *args, "-o", "json"], capture_output=True, text=True,
                          timeout=120, check=False)
    return json.loads(proc.stdout) if proc.returncode == 0 else {}


def test_local_charts_and_mirror(env, kubeconfig, kubectl_bin):
    namespace = f"kserve-airgap-{uuid.uuid4().hex[:6]}"
    variables = {
        "install_cert_manager": False,
        "install_knative": False,
        "kserve_deployment_mode": "RawDeployment",  # the pre-0.16 name of Standard
        "kserve_namespace": namespace,
        "kserve_chart_source": "local",
        "kserve_chart_dir": str(CHART_DIR),
        "kserve_image_registry": MIRROR,
        "kserve_ingress": {"domain": "models.example.org", "ingress_class_name": "nginx"},
        # The test does not depend on cert-manager being installed on the shared cluster right now.
        "kserve_require_cert_manager": False,
        "kserve_chart_values": {"kserve": {"createSharedResources": False, "inferenceServiceConfig": {"enabled": True}}},
    }
    removal = {"uninstall_cert_manager": False, "uninstall_knative": False, "kserve_namespace": namespace}
    try:
        proc, (_ok, changed, _unreachable, failed) = playbook(env, "playbooks/install.yml", variables)
        assert proc.returncode == 0 and failed == 0, (proc.stdout + proc.stderr)[-4000:]
        assert changed > 0

        deployment = get(kubectl_bin, kubeconfig, "-n", namespace, "get", "deployment", "kserve-controller-manager")
        images = [c["image"] for c in deployment["spec"]["template"]["spec"]["containers"]]
        assert sorted(images) == sorted([f"{MIRROR}/brancz/kube-rbac-proxy:v0.18.0", f"{MIRROR}/kserve/kserve-controller:v0.20.0"])
        assert any(c["type"] == "Available" and c["status"] == "True" for c in deployment["status"]["conditions"])

        data = get(kubectl_bin, kubeconfig, "-n", namespace, "get", "configmap", "inferenceservice-config")["data"]
        assert json.loads(data["deploy"])["defaultDeploymentMode"] == "Standard"
        assert json.loads(data["storageInitializer"])["image"] == f"{MIRROR}/kserve/storage-initializer:v0.20.0"
        for key in ("agent", "logger", "batcher", "router"):
            assert json.loads(data[key])["image"].startswith(MIRROR + "/kserve/"), (key, data[key])
        ingress = json.loads(data["ingress"])
        assert ingress["ingressDomain"] == "models.example.org" and ingress["ingressClassName"] == "nginx"

        ns = get(kubectl_bin, kubeconfig, "get", "namespace", namespace)
        assert ns["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "llmops-kserve"
        record = get(kubectl_bin, kubeconfig, "-n", namespace, "get", "configmap", "llmops-kserve-install")["data"]
        assert record["version"] == "v0.20.0" and record["chart"].endswith("kserve-resources-v0.20.0.tgz")
        assert all(image.startswith(MIRROR + "/") for image in record["images"].split(","))

        proc, (_ok, changed, _unreachable, failed) = playbook(env, "playbooks/install.yml", variables)
        assert proc.returncode == 0 and changed == 0, (proc.stdout + proc.stderr)[-4000:]
    finally:
        proc, (_ok, _changed, _unreachable, failed) = playbook(env, "playbooks/uninstall.yml", removal)
    assert proc.returncode == 0 and failed == 0, (proc.stdout + proc.stderr)[-4000:]
    assert get(kubectl_bin, kubeconfig, "get", "namespace", namespace) == {}
    assert get(kubectl_bin, kubeconfig, "get", "crd", "inferenceservices.serving.kserve.io"), "CRDs must be kept"
