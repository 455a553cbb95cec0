"""What a failed deploy leaves behind, with KServe's real controller (tests/e2e/conftest.py) and real Helm.

- A model that passes the preflight but never becomes Ready on its first install (a required node affinity that no
  node matches: the preflight's capacity check reads node selectors, not affinity, so it passes) is uninstalled:
  no release, InferenceService or Pod is left.
- The same change as an upgrade of a Ready model, made with a newer chart version, is rolled back with
  `helm rollback` to the recorded revision: chart version AND values of that revision, and the model is Ready (its
  predictor Deployment fully rolled back) when the run fails. KServe itself keeps the InferenceService Ready while
  the old Pod serves, so the role checks the Deployment's rollout (tests/unit/test_rollouts.py).
- A Helm error on model N (a NetworkPolicy of the same name that Helm did not create is in the namespace: Helm
  refuses to take it over; the preflight renders the chart without looking at such objects and passes) rolls back
  model 1..N-1 (upgraded) and uninstalls the models installed by the same run, including those applied after N;
  the object that was in the way is left untouched.

Pods become Ready because kwok marks scheduled Pods Ready (nothing runs); a Pod no node can take stays Pending, as
it would on a real cluster. Waits are short (model_deploy_wait_timeout) so that the failures come quickly.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

import harness
from hf_server import GOOD_TOKEN

ROOT = harness.ROOT

NAMESPACE = "llmops-e2e-fail"
TINY = {"name": "tiny-a", "model_id": "Qwen/Qwen2.5-0.5B-Instruct", "platform": "xeon", "profile": "cpu-tiny",
        "deployment_mode": "Standard", "replicas": 1}
# required node affinity on a label no node has: the Pod stays Pending
NO_NODE_KEY = "llmops.test/no-such-node"
NO_NODE = {"predictor": {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
    "nodeSelectorTerms": [{"matchExpressions": [{"key": NO_NODE_KEY, "operator": "In", "values": ["yes"]}]}]}}}}}
FAST = ("-e", "model_deploy_wait_timeout=15", "-e", "model_deploy_wait_interval=3")
ISVC_LABEL = "serving.kserve.io/inferenceservice"


@pytest.fixture(scope="module")
def clean_namespace(playbooks, kserve_controller, kubectl_bin, kubeconfig):  # noqa: ARG001 (its webhooks run)
    harness.delete_namespace(kubectl_bin, kubeconfig, NAMESPACE)
    playbooks.register_runtimes()
    yield
    harness.delete_namespace(kubectl_bin, kubeconfig, NAMESPACE)


@pytest.fixture()
def helm_json(helm_bin, kubeconfig):
    def _run(*args):
        proc = subprocess.run([helm_bin, "--kubeconfig", kubeconfig, "-n", NAMESPACE, *args, "-o", "json"],
                              capture_output=True, text=True, timeout=60, check=False)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout or "null")
    return _run


def deploy(playbooks, hub, tmp_path, models, *extra):
    return playbooks.run("playbooks/deploy_models.yml", "-e", harness.write_vars(tmp_path, models, NAMESPACE), *extra,
                         env={"HF_ENDPOINT": hub.endpoint, "HF_TOKEN": GOOD_TOKEN})


def releases(helm_json) -> set[str]:
    return {r["name"] for r in helm_json("list", "--all")}


def ready(kube_json, name) -> bool:
    isvc = kube_json("get", "inferenceservice", name, "-n", NAMESPACE)
    return any(c["type"] == "Ready" and c["status"] == "True" for c in isvc.get("status", {}).get("conditions", []))


def newer_chart(tmp_path) -> tuple[Path, str]:
    """A copy of charts/kserve-model with a higher version: the chart an upgrade brings."""
    chart = tmp_path / "kserve-model"
    shutil.copytree(ROOT / "charts" / "kserve-model", chart)
    meta = chart / "Chart.yaml"
    text = meta.read_text()
    version = yaml.safe_load(text)["version"] + "-upgrade.1"
    meta.write_text(re.sub(r"(?m)^version: .*$", f"version: {version}", text))
    return chart, version


def test_first_install_that_never_becomes_ready_is_uninstalled(playbooks, clean_namespace, hub, tmp_path,  # noqa: ARG001
                                                               helm_json, kube_json):
    model = dict(TINY, name="never-ready", values=NO_NODE)
    rc, out, _changed = deploy(playbooks, hub, tmp_path, [model], *FAST)
    assert rc != 0, out[-4000:]
    assert "Preflight passed for 1 model(s): never-ready" in out, out[-4000:]
    assert "never-ready" not in releases(helm_json), "the first install that never became Ready is left"
    assert kube_json("get", "inferenceservices", "-n", NAMESPACE)["items"] == []
    assert kube_json("get", "pods", "-n", NAMESPACE, "-l", f"{ISVC_LABEL}=never-ready")["items"] == [], \
        "a Pod of the uninstalled model is left (it would hold its accelerators)"
    assert "never-ready not Ready after 15 s" in out, out[-4000:]
    assert "never-ready: uninstalled (first install" in out, out[-4000:]


def test_failed_upgrade_is_rolled_back_to_the_recorded_chart_and_values(playbooks, clean_namespace, hub, tmp_path,  # noqa: ARG001
                                                                         helm_json, kube_json):
    rc, out, _changed = deploy(playbooks, hub, tmp_path, [TINY])
    assert rc == 0, out[-4000:]
    good = helm_json("history", TINY["name"])[-1]
    good_values = helm_json("get", "values", TINY["name"], "--revision", str(good["revision"]))
    assert good["status"] == "deployed"

    chart, version = newer_chart(tmp_path)
    rc, out, _changed = deploy(playbooks, hub, tmp_path, [dict(TINY, values=NO_NODE)], *FAST,
                               "-e", f"model_deploy_chart_ref={chart}")
    assert rc != 0, "the upgrade never rolled out, yet the run succeeded:\n" + out[-4000:]
    assert f"{TINY['name']} not Ready after 15 s" in out, out[-4000:]
    assert "rolls out" in out, out[-4000:]

    history = helm_json("history", TINY["name"])
    upgrade, now = history[-2], history[-1]
    assert upgrade["chart"] == f"kserve-model-{version}", history  # the upgrade happened, with the newer chart
    assert now["description"] == f"Rollback to {good['revision']}", history
    assert now["status"] == "deployed"
    assert now["chart"] == good["chart"], "rolled back onto another chart than the recorded revision's"
    assert helm_json("get", "values", TINY["name"]) == good_values
    assert f"{TINY['name']}: rolled back from revision {upgrade['revision']}" in out and "Ready again" in out, out[-4000:]

    # the model serves from the previous spec again: Ready, rollout finished, nothing Pending
    assert ready(kube_json, TINY["name"])
    isvc = kube_json("get", "inferenceservice", TINY["name"], "-n", NAMESPACE)
    assert NO_NODE_KEY not in json.dumps(isvc["spec"])
    deployments = kube_json("get", "deployments", "-n", NAMESPACE, "-l", f"{ISVC_LABEL}={TINY['name']}")["items"]
    assert len(deployments) == 1
    status = deployments[0]["status"]
    assert status.get("replicas") == status.get("updatedReplicas") == status.get("availableReplicas") == 1, status
    assert NO_NODE_KEY not in json.dumps(deployments[0]["spec"]["template"])
    pods = kube_json("get", "pods", "-n", NAMESPACE, "-l", f"{ISVC_LABEL}={TINY['name']}")["items"]
    assert [p["status"]["phase"] for p in pods if not p["metadata"].get("deletionTimestamp")] == ["Running"], pods


def test_helm_error_on_one_model_undoes_the_others(playbooks, clean_namespace, hub, tmp_path, helm_json, kube_json,  # noqa: ARG001
                                                    kubectl_bin, kubeconfig):
    rc, out, _changed = deploy(playbooks, hub, tmp_path, [TINY])
    assert rc == 0, out[-4000:]
    good = helm_json("history", TINY["name"])[-1]
    good_values = helm_json("get", "values", TINY["name"])
    # someone else's object with the name the chart gives tiny-b's NetworkPolicy
    foreign = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
               "metadata": {"name": "tiny-b", "namespace": NAMESPACE, "labels": {"owner": "someone-else"}},
               "spec": {"podSelector": {"matchLabels": {"app": "someone-else"}}, "policyTypes": ["Ingress"]}}
    proc = subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig, "apply", "-f", "-"], input=json.dumps(foreign),
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr

    models = [
        dict(TINY, values={"model": {"maxModelLen": 2048}}),  # 1: an upgrade
        dict(TINY, name="tiny-b"),                            # 2: Helm refuses to take over the NetworkPolicy
        dict(TINY, name="tiny-c"),                            # 3: a first install after the error
    ]
    rc, out, _changed = deploy(playbooks, hub, tmp_path, models, *FAST)
    assert rc != 0, out[-4000:]

    history = helm_json("history", TINY["name"])
    assert history[-2]["revision"] == good["revision"] + 1  # tiny-a was upgraded by this run ...
    assert history[-1]["description"] == f"Rollback to {good['revision']}", history  # ... and rolled back
    assert history[-1]["chart"] == good["chart"]
    assert helm_json("get", "values", TINY["name"]) == good_values
    assert ready(kube_json, TINY["name"])
    assert releases(helm_json) == {TINY["name"]}, "tiny-b or tiny-c is left"
    assert "Helm error on model tiny-b" in out and "invalid ownership metadata" in out, out[-4000:]
    assert "tiny-c: uninstalled (first install" in out, out[-4000:]
    assert kube_json("get", "pods", "-n", NAMESPACE, "-l", f"{ISVC_LABEL}=tiny-c")["items"] == []
    # the object that was in the way is untouched (not adopted, not deleted)
    policy = kube_json("get", "networkpolicy", "tiny-b", "-n", NAMESPACE)
    assert policy["metadata"]["labels"] == {"owner": "someone-else"}
    assert "meta.helm.sh/release-name" not in (policy["metadata"].get("annotations") or {})
