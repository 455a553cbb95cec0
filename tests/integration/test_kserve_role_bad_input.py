# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input to playbooks/install.yml (roles/kserve): each fails with a clear message before any change.

Every case runs the real playbook against the local cluster, in a namespace of its own, and then checks that
nothing was created or changed: the namespace does not exist, no Helm release is in it, and KServe's CRDs kept their
resourceVersion (the preflight renders the CRD chart but applies nothing).
"""
from __future__ import annotations

import json
import subprocess
import uuid

import pytest

import harness

CRDS = [
    "clusterservingruntimes.serving.kserve.io",
    "clusterstoragecontainers.serving.kserve.io",
    "inferencegraphs.serving.kserve.io",
    "inferenceservices.serving.kserve.io",
    "servingruntimes.serving.kserve.io",
    "trainedmodels.serving.kserve.io",
]


@pytest.fixture(scope="module")
def charts(registry_url) -> str:
    """Push the KServe test charts; the bad-input runs must fail on the input, not on a missing chart."""
    repo = registry_url.rstrip("/") + "/kserve/charts"
    harness.test_charts("test_charts.py", "--registry", repo, "--versions", "v0.20.0")
    return repo


@pytest.fixture(scope="module")
def env(kubeconfig, helm_bin) -> dict[str, str]:
    return harness.ansible_env(kubeconfig, helm_bin)


def snapshot(kubectl_bin, kubeconfig, namespace) -> dict:
    """What a run could have changed: the namespace, the releases in it, the CRDs' resourceVersions."""
    kubectl = [kubectl_bin, "--kubeconfig", kubeconfig]
    ns = subprocess.run([*kubectl, "get", "namespace", namespace, "-o", "name"], capture_output=True, text=True,
                        timeout=60, check=False)
    crds = subprocess.run([*kubectl, "get", "crd", *CRDS, "--ignore-not-found", "-o",
                           "jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion}{'\\n'}{end}"],
                          capture_output=True, text=True, timeout=120, check=True)
    secrets = subprocess.run([*kubectl, "get", "secrets", "-n", namespace, "-l", "owner=helm", "-o", "name"],
                             capture_output=True, text=True, timeout=60, check=False)
    return {"namespace": ns.stdout.strip(), "crds": crds.stdout.strip(), "releases": secrets.stdout.strip()}


def install(env, charts, namespace, extra: dict, playbook="playbooks/install.yml") -> harness.PlaybookRun:
    variables = {
        "install_cert_manager": False,
        "install_knative": False,
        "kserve_deployment_mode": "Standard",
        "kserve_namespace": namespace,
        "kserve_chart_repo": charts,
        "kserve_plain_http": True,
        "kserve_require_cert_manager": False,
    }
    variables.update(extra)
    return harness.run_playbook(playbook, "-e", json.dumps(variables), env=env, timeout=600)


@pytest.fixture()
def namespace() -> str:
    return f"kserve-bad-{uuid.uuid4().hex[:8]}"


def check_failed_without_change(proc, before, after, *expected):
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output[-4000:]
    assert "nothing was changed" in output, output[-4000:]
    for text in expected:
        assert text in output, f"{text!r} not in:\n{output[-4000:]}"
    assert after == before, f"the cluster changed: {before} -> {after}"
    assert after["namespace"] == "" and after["releases"] == ""


def refused(env, charts, kubectl_bin, kubeconfig, namespace, extra: dict, *expected: str) -> None:
    """install.yml with ``extra`` fails naming each of ``expected`` and changes nothing."""
    before = snapshot(kubectl_bin, kubeconfig, namespace)
    proc = install(env, charts, namespace, extra)
    check_failed_without_change(proc, before, snapshot(kubectl_bin, kubeconfig, namespace), *expected)


def test_unknown_version(env, charts, kubeconfig, kubectl_bin, namespace):
    refused(env, charts, kubectl_bin, kubeconfig, namespace, {"kserve_version": "v0.99.0"},
            "kserve_version: unknown version 'v0.99.0'; known versions: v0.19.0, v0.20.0")


def test_unsupported_kubernetes(env, charts, kubeconfig, kubectl_bin, namespace):
    """The cluster runs Kubernetes 1.34: a matrix entry that needs 1.99 must stop the install."""
    compat = {"v0.20.0": {"kubernetes_min": "1.99", "knative_serving": "1.21", "cert_manager": "1.17",
                          "images": {"rbac_proxy": "quay.io/brancz/kube-rbac-proxy:v0.18.0"}}}
    refused(env, charts, kubectl_bin, kubeconfig, namespace, {"kserve_compat": compat},
            "is not supported by KServe v0.20.0 (needs Kubernetes >= 1.99")


def test_unknown_mode(env, charts, kubeconfig, kubectl_bin, namespace):
    refused(env, charts, kubectl_bin, kubeconfig, namespace, {"kserve_deployment_mode": "Serverles"},
            "kserve_deployment_mode: unknown mode 'Serverles'; allowed: Knative, Standard")


def test_every_problem_in_one_report(env, charts, kubeconfig, kubectl_bin, namespace):
    bad = {"kserve_version": "v0.99.0", "kserve_deployment_mode": "Fast", "kserve_image_registry": "https://mirror.example.com",
           "kserve_ingress": {"url_scheme": "ftp"}}
    refused(env, charts, kubectl_bin, kubeconfig, namespace, bad,
            "4 preflight problem(s), nothing was changed",
            "kserve_version: unknown version 'v0.99.0'",
            "kserve_deployment_mode: unknown mode 'Fast'",
            "kserve_image_registry: 'https://mirror.example.com' is not a registry host[:port][/path]",
            "kserve_ingress.url_scheme: unknown scheme 'ftp'; allowed: http, https")


def test_knative_mode_without_knative(env, charts, kubeconfig, kubectl_bin, namespace):
    """Knative mode with install_knative=false on a cluster without Knative Serving: refused, with the way out."""
    served = subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig, "api-versions"], capture_output=True, text=True,
                            timeout=60, check=True).stdout.split()
    if "serving.knative.dev/v1" in served:
        # Not a missing tool: the refusal under test exists only on a cluster without Knative Serving, and the shared
        # test cluster may hold Knative's CRDs (tests/integration/test_stack_roles.py installs them).
        pytest.skip("Knative Serving is installed on the test cluster right now")
    refused(env, charts, kubectl_bin, kubeconfig, namespace, {"kserve_deployment_mode": "Serverless"},
            "kserve_deployment_mode Serverless needs Knative Serving",
            "choose kserve_deployment_mode=Standard")


def test_chart_not_in_registry(env, charts, kubeconfig, kubectl_bin, namespace):
    """A version the registry does not hold fails at preflight (rendering), naming the chart and the version."""
    compat = {"v0.19.9": {"kubernetes_min": "1.32", "knative_serving": "1.21", "cert_manager": "1.17",
                          "images": {"rbac_proxy": "quay.io/brancz/kube-rbac-proxy:v0.18.0"}}}
    refused(env, charts, kubectl_bin, kubeconfig, namespace, {"kserve_compat": compat, "kserve_version": "v0.19.9"},
            f"cannot render chart kserve-crd from {charts}/kserve-crd version v0.19.9")


def test_role_alone_rejects_unknown_mode(env, charts, kubeconfig, kubectl_bin, namespace, tmp_path):
    """Used on its own (outside install.yml) the role checks its arguments first."""
    playbook = tmp_path / "kserve.yml"
    playbook.write_text(
        "- hosts: localhost\n  connection: local\n  gather_facts: false\n"
        "  roles:\n    - role: llmops.kserve.kserve\n", encoding="utf-8")
    before = snapshot(kubectl_bin, kubeconfig, namespace)
    proc = install(env, charts, namespace, {"kserve_deployment_mode": "Turbo"}, playbook=str(playbook))
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output[-4000:]
    assert "kserve_deployment_mode" in output and "Turbo" in output, output[-4000:]
    assert "Knative, Standard, Serverless, RawDeployment" in output, output[-4000:]
    assert snapshot(kubectl_bin, kubeconfig, namespace) == before
