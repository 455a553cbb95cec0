# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kserve role's Kubernetes range (kserve_compat: kubernetes_min .. kubernetes_tested_max) on the real cluster.

playbooks/install.yml against the local cluster (a real kube-apiserver of one of hack/kubernetes-versions): below
kubernetes_min the preflight fails before any change (test_kserve_role_bad_input.py); above kubernetes_tested_max
it only warns. The defaults are exactly the range CI tests (tests/unit/test_kubernetes_versions.py).
"""
from __future__ import annotations

import json
import subprocess

from test_kserve_role_bad_input import (  # noqa: F401  # pylint: disable=unused-import
    charts,
    check_failed_without_change,
    env,
    install,
    namespace,
    snapshot,
)


def server_minor(kubectl_bin, kubeconfig) -> str:
    out = subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig, "get", "--raw", "/version"], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    return ".".join(json.loads(out)["gitVersion"].lstrip("v").split(".")[:2])


def test_newer_than_tested_warns_and_below_min_fails(env, charts, kubeconfig, kubectl_bin, namespace):  # noqa: F811
    """tested_max one minor below the cluster's: a warning naming it; kubernetes_min above the cluster's stops the
    run (so nothing is installed), and both messages are in the same run's output (one playbook run: ~40 s idle,
    ~110 s under load)."""
    major, minor = server_minor(kubectl_bin, kubeconfig).split(".")
    below = f"{major}.{int(minor) - 1}"
    compat = {"v0.20.0": {"kubernetes_min": "1.99", "kubernetes_tested_max": below, "knative_serving": "1.21",
                          "cert_manager": "1.17", "images": {"rbac_proxy": "quay.io/brancz/kube-rbac-proxy:v0.18.0"}}}
    before = snapshot(kubectl_bin, kubeconfig, namespace)
    proc = install(env, charts, namespace, {"kserve_compat": compat})
    check_failed_without_change(proc, before, snapshot(kubectl_bin, kubeconfig, namespace),
                                "is not supported by KServe v0.20.0 (needs Kubernetes >= 1.99")
    output = " ".join((proc.stdout + proc.stderr).split())  # the callback wraps long messages
    assert f"is newer than the newest minor llmops.kserve is tested on ({below}, kserve_compat" in output, output[-3000:]
