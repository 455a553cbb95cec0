# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The no-op path of playbooks/install.yml (issue 19, item 3), on the local cluster.

KServe (Standard mode, the test charts of the local registry, hack/test_charts.py) is installed once in a namespace
of this module; then:

- a re-run changes nothing and does not wait: the controller rollout and the webhook probe are skipped, because the
  run changed nothing and the install record says that this same install completed (it is written complete only
  after those waits passed); the first install did wait;
- a KServe CRD whose content digest (annotation llmops.kserve/manifest-sha256, set by this collection) no longer
  matches the chart is applied again, and the run then waits;
- an install record without the version (a run that stopped before its waits passed) makes the next run wait.

No KServe controller runs here: kwok marks the controller's pod Ready. What decides these tests is what the API server
holds (CRDs, annotations, the install record) and which tasks the playbook ran.
"""
from __future__ import annotations

import json
import subprocess
import uuid

import pytest

import harness

WAIT_TASK = "Wait until the controller Deployment is Available"
PROBE_TASK = "Submit a server-side dry-run InferenceService"
DIGEST = "llmops.kserve/manifest-sha256"
CRD = "trainedmodels.serving.kserve.io"


def kubectl(kubectl_bin, kubeconfig, *args) -> subprocess.CompletedProcess:
    return subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig, *args], capture_output=True, text=True, timeout=120,
                          check=False)


def ran(run: harness.PlaybookRun, task: str) -> bool:
    """True when the task ran (its TASK header is printed and not followed by a skip)."""
    out = run.output
    start = out.find(f": {task}]")
    if start < 0:
        return False
    body = out[start:out.find("TASK [", start + 1) if out.find("TASK [", start + 1) > 0 else len(out)]
    return "skipping:" not in body


@pytest.fixture(scope="module")
def install(kubeconfig, helm_bin, registry_url, kubectl_bin):
    harness.test_charts("test_charts.py", "--registry", registry_url.rstrip("/") + "/kserve/charts", "--versions", "v0.20.0")
    env = harness.ansible_env(kubeconfig, helm_bin)
    namespace = f"kserve-noop-{uuid.uuid4().hex[:6]}"
    variables = {
        "install_cert_manager": False, "install_knative": False, "kserve_deployment_mode": "Standard",
        "kserve_namespace": namespace, "kserve_chart_repo": registry_url.rstrip("/") + "/kserve/charts",
        "kserve_plain_http": True, "kserve_require_cert_manager": False,
        "kserve_chart_values": {"kserve": {"createSharedResources": False, "inferenceServiceConfig": {"enabled": True}}},
    }

    def play() -> harness.PlaybookRun:
        return harness.run_playbook("playbooks/install.yml", "-e", json.dumps(variables), env=env, timeout=900)

    try:
        first = play()
        assert first.rc == 0, repr(first)
        yield play, first, namespace
    finally:
        removal = harness.run_playbook("playbooks/uninstall.yml", "-e", json.dumps(
            {"uninstall_cert_manager": False, "uninstall_knative": False, "kserve_namespace": namespace}),
            env=env, timeout=900)
        assert removal.rc == 0, repr(removal)


def test_rerun_changes_nothing_and_waits_for_nothing(install):
    play, first, _namespace = install
    assert ran(first, WAIT_TASK) and ran(first, PROBE_TASK), "the install itself must wait for the controller"
    again = play()
    assert again.rc == 0 and again.changed_total == 0, repr(again)
    assert not ran(again, WAIT_TASK) and not ran(again, PROBE_TASK), repr(again)


def test_crd_with_another_digest_is_applied_again(install, kubeconfig, kubectl_bin):
    play, _first, _namespace = install
    proc = kubectl(kubectl_bin, kubeconfig, "annotate", "crd", CRD, f"{DIGEST}=stale", "--overwrite")
    assert proc.returncode == 0, proc.stderr
    run = play()
    assert run.rc == 0 and run.changed_total >= 1, repr(run)
    assert ran(run, WAIT_TASK), "a run that applied a CRD waits"
    crd = json.loads(kubectl(kubectl_bin, kubeconfig, "get", "crd", CRD, "-o", "json").stdout)
    assert crd["metadata"]["annotations"][DIGEST] not in ("", "stale")


def test_incomplete_install_record_waits_again(install, kubeconfig, kubectl_bin):
    play, _first, namespace = install
    proc = kubectl(kubectl_bin, kubeconfig, "-n", namespace, "patch", "configmap", "llmops-kserve-install", "--type",
                   "json", "-p", json.dumps([{"op": "remove", "path": "/data/version"}]))
    assert proc.returncode == 0, proc.stderr
    run = play()
    assert run.rc == 0, repr(run)
    assert ran(run, WAIT_TASK) and ran(run, PROBE_TASK), repr(run)
    record = json.loads(kubectl(kubectl_bin, kubeconfig, "-n", namespace, "get", "configmap", "llmops-kserve-install",
                                "-o", "json").stdout)
    assert record["data"]["version"] == "v0.20.0"
