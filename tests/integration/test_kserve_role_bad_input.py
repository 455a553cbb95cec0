# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input to playbooks/install.yml (roles/kserve): each fails with a clear message before any change.

Every case runs the real playbook against the local cluster, in a namespace of its own, and then checks that
nothing was created or changed: the namespace does not exist, no Helm release is in it, and KServe's CRDs kept their
resourceVersion (the preflight renders the CRD chart but applies nothing).
"""
from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = str(Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "ansible-playbook")
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
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "hack" / "test_charts.py"), "--registry", repo,
                           "--versions", "v0.20.0"], capture_output=True, text=True, timeout=1200, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return repo


@pytest.fixture(scope="module")
def env(kubeconfig, helm_bin) -> dict[str, str]:
    if not Path(helm_bin).is_file():
        pytest.skip(f"helm is not built ({helm_bin}); run `make tools`")
    link = ROOT / "build" / "collections" / "ansible_collections" / "llmops" / "kserve"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(Path("..") / ".." / ".." / "..")
    environ = dict(os.environ)
    environ.update(K8S_AUTH_KUBECONFIG=str(kubeconfig), KUBECONFIG=str(kubeconfig), ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
                   ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                   PATH=os.pathsep.join([str(Path(helm_bin).parent), environ.get("PATH", "")]))
    return environ


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


def install(env, charts, namespace, extra: dict, playbook="playbooks/install.yml") -> subprocess.CompletedProcess:
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
    return subprocess.run([ANSIBLE_PLAYBOOK, playbook, "-e", json.dumps(variables)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


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


def test_unknown_version(env, charts, kubeconfig, kubectl_bin, namespace):
    before = snapshot(kubectl_bin, kubeconfig, namespace)
    proc = install(env, charts, namespace, {"kserve_version": "v0.99.0"})
    check_failed_without_change(proc, before, snapshot(kubectl_bin, kubeconfig, namespace),
                                "kserve_version: unknown version 'v0.99.0'; known versions: v0.19.0, v0.20.0")


def test_unsupported_kubernetes(env, charts, kubeconfig, kubectl_bin, namespace):
    """The cluster runs Kubernetes 1.34: a matrix entry that needs 1.99 must stop the install."""
    compat = {"v0.20.0": {"kubernetes_min": "1.99", "knative_serving": "1.21", "cert_manager": "1.17",
                          "images": {"rbac_proxy": "quay.io/brancz/kube-rbac-proxy:v0.18.0"}}}
    before = snapshot(kubectl_bin, kubeconfig, namespace)
    proc = install(env, charts, namespace, {"kserve_compat": compat})
    check_failed_without_change(proc, before, snapshot(kubectl_bin, kubeconfig, namespace),
                                "is not supported by KServe v0.20.0 (needs Kubernetes >= 1.99")


def test_unknown_mode(env, charts, kubeconfig, kubectl_bin, namespace):
    before = snapshot(kubectl_bin, kubeconfig, namespace)
    proc = install(env, charts, namespace, {"kserve_deployment_mode": "Serverles"})
    check_failed_without_change(proc, before, snapshot(kubectl_bin, kubeconfig, namespace),
                                "kserve_deployment_mode: unknown mode 'Serverles'; allowed: Knative, Standard")


def test_every_problem_in_one_report(env, charts, kubeconfig, kubectl_bin, namespace):
    before = snapshot(kubectl_bin, kubeconfig, namespace)
    proc = install(env, charts, namespace, {"kserve_version": "v0.99.0", "kserve_deployment_mode": "Fast",
                                            "kserve_image_registry": "https://mirror.example.com",
                                            "kserve_ingress": {"url_scheme": "ftp"}})
    check_failed_without_change(proc, before, snapshot(kubectl_bin, kubeconfig, namespace),
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
        pytest.skip("Knative Serving is installed on the test cluster right now")
    before = snapshot(kubectl_bin, kubeconfig, namespace)
    proc = install(env, charts, namespace, {"kserve_deployment_mode": "Serverless"})
    check_failed_without_change(proc, before, snapshot(kubectl_bin, kubeconfig, namespace),
                                "kserve_deployment_mode Serverless needs Knative Serving",
                                "choose kserve_deployment_mode=Standard")


def test_chart_not_in_registry(env, charts, kubeconfig, kubectl_bin, namespace):
    """A version the registry does not hold fails at preflight (rendering), naming the chart and the version."""
    compat = {"v0.19.9": {"kubernetes_min": "1.32", "knative_serving": "1.21", "cert_manager": "1.17",
                          "images": {"rbac_proxy": "quay.io/brancz/kube-rbac-proxy:v0.18.0"}}}
    before = snapshot(kubectl_bin, kubeconfig, namespace)
    proc = install(env, charts, namespace, {"kserve_compat": compat, "kserve_version": "v0.19.9"})
    check_failed_without_change(proc, before, snapshot(kubectl_bin, kubeconfig, namespace),
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
