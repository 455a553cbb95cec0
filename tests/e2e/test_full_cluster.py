"""Re-run and upgrade on a full cluster (issue 13, item 2), through playbooks/deploy_models.yml and KServe's real
controller: two TP-8 NVIDIA models fill both H100 nodes (hack/cluster/nodes.yaml: 8 nvidia.com/gpu each). The
predictor pods are made by KServe's controller from the InferenceServices, bound by the real scheduler and marked
Running/Ready by kwok (no image runs); the preflight's accelerator_capacity_info reads them through the API.

- re-running the same inventory changes nothing and is not refused (the models' own pods are not counted against
  them; before, every running pod was, and the re-run was refused);
- one more replica of one model is refused by the preflight, naming the nodes and their free GPUs (a replica-only
  change scales the Deployment: the running pod keeps its 8 GPUs and the new one needs 8 more); so is a third TP-8
  model (both in one run);
- a changed request (TP 8 -> 4) is refused: KServe's default RollingUpdate (maxSurge 25% of 1 replica = 1 pod)
  starts the new pod beside the old one, which holds its GPUs until the new one is Ready (the test checks that the
  Deployments KServe made have that strategy).
Works in its own namespace and removes its releases at the end (other e2e modules share the cluster).
"""
from __future__ import annotations

import pytest

import harness
from hf_server import GOOD_TOKEN

NAMESPACE = "llmops-e2e-full"
H100 = ("nvidia-h100-1", "nvidia-h100-2")
TP8 = {"model_id": "meta-llama/Llama-3.1-8B-Instruct", "platform": "nvidia", "deployment_mode": "Standard",
       "replicas": 1, "tensor_parallel_size": 8}
MODELS = [dict(TP8, name="full-a"), dict(TP8, name="full-b")]
NODES_FULL = "free nvidia.com/gpu per eligible node: nvidia-h100-1 0, nvidia-h100-2 0"


def releases(kubectl_bin, kubeconfig) -> dict[str, int]:
    return harness.helm_releases(kubectl_bin, kubeconfig, NAMESPACE)


def write_vars(tmp_path, models) -> str:
    return harness.write_vars(tmp_path, models, NAMESPACE)


@pytest.fixture(scope="module")
def full_cluster(playbooks, kserve_controller, hub, kubectl_bin, kubeconfig, tmp_path_factory):  # noqa: ARG001
    """Both H100 nodes filled by two TP-8 models deployed by deploy_models.yml; removed again at the end."""
    harness.delete_namespace(kubectl_bin, kubeconfig, NAMESPACE)
    playbooks.register_runtimes()
    env = {"HF_ENDPOINT": hub.endpoint, "HF_TOKEN": GOOD_TOKEN}
    vars_file = write_vars(tmp_path_factory.mktemp("full"), MODELS)
    rc, out, _changed = playbooks.run("playbooks/deploy_models.yml", "-e", vars_file, env=env)
    try:
        assert rc == 0, out[-6000:]
        yield env
    finally:
        rc, out, _changed = playbooks.run("playbooks/uninstall_models.yml", "-e", vars_file)
        harness.delete_namespace(kubectl_bin, kubeconfig, NAMESPACE)
        assert rc == 0, out[-3000:]
        assert releases(kubectl_bin, kubeconfig) == {}


def test_two_tp8_models_fill_both_h100_nodes(full_cluster, kube_json):  # noqa: ARG001
    pods = kube_json("get", "pods", "-n", NAMESPACE, "-l", "serving.kserve.io/inferenceservice")["items"]
    placed = {}
    for pod in pods:
        if pod["status"].get("phase") in ("Succeeded", "Failed"):
            continue
        gpus = sum(int(c["resources"].get("requests", {}).get("nvidia.com/gpu", 0)) for c in pod["spec"]["containers"])
        placed[pod["metadata"]["labels"]["serving.kserve.io/inferenceservice"]] = (pod["spec"].get("nodeName"), gpus)
    assert sorted(placed) == ["full-a", "full-b"], placed
    assert sorted(node for node, _gpus in placed.values()) == sorted(H100), placed
    assert all(gpus == 8 for _node, gpus in placed.values()), placed
    # the Deployments KServe made roll as the preflight assumes (our chart sets no deploymentStrategy)
    for deployment in kube_json("get", "deployments", "-n", NAMESPACE, "-l", "serving.kserve.io/inferenceservice")["items"]:
        assert deployment["spec"]["strategy"] == {"type": "RollingUpdate",
                                                  "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}


def test_rerun_on_a_full_cluster_changes_nothing(full_cluster, playbooks, tmp_path, kubectl_bin, kubeconfig):
    before = releases(kubectl_bin, kubeconfig)
    rc, out, changed = playbooks.run("playbooks/deploy_models.yml", "-e", write_vars(tmp_path, MODELS), env=full_cluster)
    assert rc == 0, out[-6000:]
    assert changed == 0, out[-6000:]
    assert "Preflight passed" in out
    assert "full-a: unchanged: fits" in flat(out) and "full-b: unchanged: fits" in flat(out), out[-6000:]
    assert releases(kubectl_bin, kubeconfig) == before


def flat(out: str) -> str:
    """The output with whitespace collapsed (the YAML result format folds long lines)."""
    return " ".join(out.split())


def problem_of(out: str, model: str) -> str:
    """The preflight report's capacity problem of one model (up to the next problem)."""
    text = flat(out)
    start = text.find("capacity: model %s " % model)
    assert start >= 0, out[-6000:]
    end = text.find("capacity: model ", start + 1)
    return text[start:end if end > 0 else start + 3000]


def _refused(playbooks, tmp_path, env, models, kubectl_bin, kubeconfig) -> str:
    before = releases(kubectl_bin, kubeconfig)
    rc, out, _changed = playbooks.run("playbooks/deploy_models.yml", "-e", write_vars(tmp_path, models), env=env)
    assert rc != 0, out[-6000:]
    assert "Preflight found" in out and "nothing was changed" in out, out[-6000:]
    assert releases(kubectl_bin, kubeconfig) == before
    return out


def test_one_more_replica_or_a_third_model_is_refused_naming_the_nodes(full_cluster, playbooks, tmp_path,
                                                                       kubectl_bin, kubeconfig):
    """One preflight run: full-a scaled to 2 replicas (the running pod keeps its 8 GPUs, the new one needs 8 more)
    and a new TP-8 model full-c; both refused, each naming the nodes and their free GPUs; full-b is fine."""
    models = [dict(MODELS[0], replicas=2), MODELS[1], dict(TP8, name="full-c")]
    out = _refused(playbooks, tmp_path, full_cluster, models, kubectl_bin, kubeconfig)
    scaled = problem_of(out, "full-a")
    assert NODES_FULL in scaled and "needs 8 nvidia.com/gpu on ONE node per replica" in scaled
    assert "rollout scale" in scaled and "1 replica(s) added" in scaled
    third = problem_of(out, "full-c")
    assert NODES_FULL in third and "rollout install" in third
    assert "capacity: model full-b" not in flat(out)
    assert "full-b: unchanged: fits" in flat(out)


def test_changed_request_is_refused_for_the_rolling_update_surge(full_cluster, playbooks, tmp_path, kubectl_bin,
                                                                 kubeconfig):
    models = [dict(MODELS[0], tensor_parallel_size=4), MODELS[1]]
    out = _refused(playbooks, tmp_path, full_cluster, models, kubectl_bin, kubeconfig)
    problem = problem_of(out, "full-a")
    assert "the rolling update needs 4 nvidia.com/gpu more" in problem
    assert "rollout surge" in problem and "maxSurge 25%, maxUnavailable 25%" in problem
    assert NODES_FULL in problem
