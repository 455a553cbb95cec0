# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""llmops.kserve.accelerator_capacity_info run by ansible against the local cluster (kwok nodes).

Pods that consume GPUs are created for real (bound with nodeName; kwok marks them Running), then the
module is run through ``ansible localhost -m`` with K8S_AUTH_KUBECONFIG, the same way a playbook
would run it. The ``kubeconfig`` fixture comes from tests/integration/conftest.py (it fails when the
cluster is not up). Each test works in its own namespace and deletes what it created.
"""

from __future__ import annotations

import os
import secrets
import time

import pytest

import harness

GPU = "nvidia.com/gpu"
H100 = ("nvidia-h100-1", "nvidia-h100-2")
GPU_TOLERATION = {"key": GPU, "operator": "Exists", "effect": "NoSchedule"}
TEST_RESOURCE = "llmops.kserve/captest"


@pytest.fixture()
def core(kubeconfig):
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel
    api_client = config.new_client_from_config(config_file=kubeconfig)
    yield client.CoreV1Api(api_client)
    api_client.close()


@pytest.fixture()
def namespace(core):
    name = "llmops-captest-" + secrets.token_hex(3)
    core.create_namespace({"metadata": {"name": name, "labels": {"llmops.kserve/test": "capacity"}}})
    yield name
    for pod in core.list_namespaced_pod(name).items:
        core.delete_namespaced_pod(pod.metadata.name, name, grace_period_seconds=0)
    core.delete_namespace(name)


@pytest.fixture()
def temp_nodes(core):
    created = []

    def make(name, unschedulable=False, taints=None):
        body = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name, "labels": {"llmops.kserve/test": "capacity", "kubernetes.io/hostname": name},
                         "annotations": {"kwok.x-k8s.io/node": "fake"}},
            "spec": {"unschedulable": unschedulable, "taints": taints or []},
            "status": {"allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110", TEST_RESOURCE: "8"},
                       "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110", TEST_RESOURCE: "8"}},
        }
        core.create_node(body)
        created.append(name)
        return name

    yield make
    for name in created:
        core.delete_node(name)


def make_pod(core, namespace, name, node, gpus, init_gpus=None, sidecar_gpus=None):
    spec = {
        "nodeName": node,
        "tolerations": [GPU_TOLERATION],
        "containers": [{"name": "main", "image": "registry.invalid/fake:1",
                        "resources": {"requests": {GPU: str(gpus), "cpu": "1"},
                                      "limits": {GPU: str(gpus)}}}],
    }
    init = []
    if sidecar_gpus:
        init.append({"name": "sidecar", "image": "registry.invalid/fake:1", "restartPolicy": "Always",
                     "resources": {"limits": {GPU: str(sidecar_gpus)}}})
    if init_gpus:
        init.append({"name": "init", "image": "registry.invalid/fake:1",
                     "resources": {"limits": {GPU: str(init_gpus)}}})
    if init:
        spec["initContainers"] = init
    core.create_namespaced_pod(namespace, {"metadata": {"name": name}, "spec": spec})


def run_module(kubeconfig, args, check=False):
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("K8S_AUTH_"))
    env.update(K8S_AUTH_KUBECONFIG=kubeconfig)
    return harness.module_result(harness.run_module("llmops.kserve.accelerator_capacity_info", args,
                                                    *(["--check"] if check else []), env=env))


def free_gpus(result):
    return dict((n["name"], n["free"].get(GPU)) for n in result["nodes"] if GPU in n["allocatable"])


def test_free_gpus_and_tensor_parallel_needs_one_node(kubeconfig, core, namespace):
    ok, before = run_module(kubeconfig, {"report_nodes": "accelerators"})
    assert ok, before
    base = free_gpus(before)
    for node in H100:
        assert base.get(node, 0) >= 7, "%s has only %s GPUs free before the test: another workload holds them" % (
            node, base.get(node))
    # Leave exactly 4 GPUs free on each H100 node. On nvidia-h100-1 part of it comes from a pod whose init
    # container asks for more than its app container (1 app + 1 sidecar, init 2 next to the sidecar -> 3).
    make_pod(core, namespace, "plain-1", H100[0], base[H100[0]] - 4 - 3)
    make_pod(core, namespace, "init-sidecar", H100[0], 1, init_gpus=2, sidecar_gpus=1)
    make_pod(core, namespace, "plain-2", H100[1], base[H100[1]] - 4)

    ok, result = run_module(kubeconfig, {
        "report_nodes": "accelerators",
        "requests": [
            {"name": "llama-70b-tp8", "resource": GPU, "tensor_parallel": 8, "tolerations": [GPU_TOLERATION]},
        ],
    })
    assert ok, result
    assert result["changed"] is False
    free = free_gpus(result)
    assert free[H100[0]] == 4 and free[H100[1]] == 4
    node1 = [n for n in result["nodes"] if n["name"] == H100[0]][0]
    assert node1["pods"] >= 2
    request = result["requests"][0]
    assert result["fits"] is False and request["fits"] is False
    assert request["free_on_eligible_nodes"] == 8
    assert request["max_free_on_one_node"] == 4
    assert "fits in total but not on one node" in request["reason"]

    # the same 8 GPUs as two TP-4 replicas fit, one per node; TP-4 x 3 replicas does not
    ok, result = run_module(kubeconfig, {"report_nodes": "none", "requests": [
        {"name": "tp4x2", "resource": GPU, "count": 4, "replicas": 2, "tolerations": [GPU_TOLERATION]},
    ]})
    assert ok and result["fits"] is True
    assert sorted(result["requests"][0]["placements"]) == sorted(H100)
    ok, result = run_module(kubeconfig, {"report_nodes": "none", "requests": [
        {"name": "tp4x3", "resource": GPU, "count": 4, "replicas": 3, "tolerations": [GPU_TOLERATION]},
    ]}, check=True)
    assert ok and result["fits"] is False
    assert result["requests"][0]["unplaced_replicas"] == 1


def test_untolerated_taint_and_cordon_exclude_and_name_nodes(kubeconfig, temp_nodes):
    suffix = secrets.token_hex(3)
    cordoned = temp_nodes("captest-%s-cordoned" % suffix, unschedulable=True)
    tainted = temp_nodes("captest-%s-tainted" % suffix,
                         taints=[{"key": "llmops.kserve/captest", "value": suffix, "effect": "NoSchedule"}])
    track = ["cpu", "memory", "pods", GPU, TEST_RESOURCE]
    deadline = time.time() + 60
    while True:  # kwok marks new nodes Ready within a few seconds
        ok, result = run_module(kubeconfig, {"track_resources": track, "check_dra": False, "requests": [
            {"name": "needs-test-device", "resource": TEST_RESOURCE, "count": 1},
            {"name": "gpu-without-toleration", "resource": GPU, "count": 1},
            {"name": "xeon", "resource": "cpu", "count": 4,
             "node_selector": {"feature.node.kubernetes.io/cpu-cpuid.AMXBF16": "true"}},
        ]})
        assert ok, result
        states = dict((n["name"], n["ready"]) for n in result["nodes"])
        if (states.get(cordoned) and states.get(tainted)) or time.time() > deadline:
            break
        time.sleep(2)
    test_req, gpu_req, xeon_req = result["requests"]

    reasons = dict((e["name"], e["reason"]) for e in test_req["excluded_nodes"])
    assert test_req["fits"] is False
    assert reasons[cordoned].startswith("cordoned")
    assert "taint llmops.kserve/captest=%s:NoSchedule not tolerated" % suffix in reasons[tainted]
    assert test_req["reason"].startswith("no eligible node")
    assert cordoned in test_req["reason"] and tainted in test_req["reason"]

    reasons = dict((e["name"], e["reason"]) for e in gpu_req["excluded_nodes"])
    assert gpu_req["fits"] is False
    for node in H100:
        assert "taint nvidia.com/gpu=present:NoSchedule not tolerated" in reasons[node]

    excluded = dict((e["name"], e["reason"]) for e in result["excluded_nodes"])
    assert "xeon-cordoned" in excluded and cordoned in excluded
    assert "xeon-cordoned" in [e["name"] for e in xeon_req["excluded_nodes"]]
    assert xeon_req["fits"] is True
    assert xeon_req["placements"][0] in ("xeon-1", "xeon-2", "gaudi2-1", "gaudi3-1")


def test_pending_pods_are_not_counted_against_nodes(kubeconfig, core, namespace):
    # 64 GPUs fit nowhere: the scheduler leaves the pod Pending without a node
    core.create_namespaced_pod(namespace, {"metadata": {"name": "too-big"}, "spec": {
        "tolerations": [GPU_TOLERATION],
        "containers": [{"name": "main", "image": "registry.invalid/fake:1",
                        "resources": {"limits": {GPU: "64"}}}]}})
    ok, result = run_module(kubeconfig, {"report_nodes": "accelerators"})
    assert ok
    assert result["pending_pods"] >= 1
    assert all(n["free"].get(GPU, 0) >= 0 for n in result["nodes"])


def test_bad_input_and_bad_connection(kubeconfig, tmp_path):
    ok, result = run_module(kubeconfig, {"requests": [{"name": "x", "resource": GPU, "count": "eight"}]})
    assert not ok
    assert "requests[0] (x).count: 'eight' is not a Kubernetes quantity" in result["msg"]
    ok, result = run_module(kubeconfig, {"requests": [{"name": "x", "resource": GPU, "replicas": 0}]})
    assert not ok and "replicas: 0 must be an integer >= 1" in result["msg"]
    missing = str(tmp_path / "no-such-kubeconfig")
    ok, result = run_module(kubeconfig, {"kubeconfig": missing})
    assert not ok
    assert result["msg"].startswith("could not connect to the cluster: ")


def test_dra_devices_are_reported_as_not_counted(kubeconfig, core):
    from kubernetes import client as k8s  # pylint: disable=import-outside-toplevel
    custom = k8s.CustomObjectsApi(core.api_client)
    name = "captest-" + secrets.token_hex(3)
    driver = "gpu.captest.llmops.example.com"
    body = {"apiVersion": "resource.k8s.io/v1", "kind": "ResourceSlice",
            "metadata": {"name": name, "labels": {"llmops.kserve/test": "capacity"}},
            "spec": {"driver": driver, "nodeName": H100[0],
                     "pool": {"name": name, "generation": 1, "resourceSliceCount": 1},
                     "devices": [{"name": "gpu-0"}, {"name": "gpu-1"}]}}
    custom.create_cluster_custom_object("resource.k8s.io", "v1", "resourceslices", body)
    try:
        ok, result = run_module(kubeconfig, {"report_nodes": "none"})
        assert ok, result
        dra = result["dra"]
        assert dra["api_available"] is True
        assert dra["resource_slices"] >= 1 and dra["devices"] >= 2
        assert driver in dra["drivers"] and H100[0] in dra["nodes"]
        assert dra["counted"] is False
        assert "were NOT counted" in dra["message"] and driver in dra["message"]
    finally:
        custom.delete_cluster_custom_object("resource.k8s.io", "v1", "resourceslices", name)
    ok, result = run_module(kubeconfig, {"report_nodes": "none", "check_dra": False})
    assert ok and result["dra"] is None


def make_predictor_pod(core, namespace, isvc, node, gpus):
    """A pod shaped like KServe's predictor pods: the InferenceService label and the model in kserve-container."""
    core.create_namespaced_pod(namespace, {
        "metadata": {"name": "%s-predictor-0" % isvc, "labels": {"serving.kserve.io/inferenceservice": isvc,
                                                                 "component": "predictor"}},
        "spec": {"nodeName": node, "tolerations": [GPU_TOLERATION],
                 "containers": [{"name": "kserve-container", "image": "registry.invalid/fake:1",
                                 "resources": {"requests": {GPU: str(gpus), "cpu": "1"}, "limits": {GPU: str(gpus)}}}]}})


def test_own_inferenceservice_pods_on_a_full_cluster(kubeconfig, core, namespace):
    """Re-applying models that hold every free GPU fits; scaling one up, or surging a changed request, does not."""
    ok, before = run_module(kubeconfig, {"report_nodes": "accelerators"})
    assert ok, before
    base = free_gpus(before)
    for node in H100:
        assert base.get(node, 0) >= 2, "%s has only %s GPUs free before the test" % (node, base.get(node))
    make_predictor_pod(core, namespace, "model-a", H100[0], base[H100[0]])
    make_predictor_pod(core, namespace, "model-b", H100[1], base[H100[1]])

    def req(name, gpus, **extra):
        return dict({"name": name, "resource": GPU, "count": gpus, "tolerations": [GPU_TOLERATION],
                     "resources": {"cpu": "1"}, "inferenceservice": name, "namespace": namespace}, **extra)

    both = [req("model-a", base[H100[0]]), req("model-b", base[H100[1]])]
    ok, result = run_module(kubeconfig, {"report_nodes": "accelerators", "requests": both})
    assert ok, result
    assert free_gpus(result)[H100[0]] == 0 and free_gpus(result)[H100[1]] == 0
    assert result["fits"] is True, result["requests"]
    assert [r["rollout"] for r in result["requests"]] == ["unchanged", "unchanged"]
    assert [r["running_pods"] for r in result["requests"]] == [1, 1]
    assert result["requests"][0]["placements"] == [H100[0]]

    # the same pods belong to nobody the request names: refused (what every re-run got before)
    ok, result = run_module(kubeconfig, {"report_nodes": "none", "requests": [
        dict(both[0], inferenceservice=None, namespace=None)]})
    assert ok and result["fits"] is False and result["requests"][0]["rollout"] == "install"

    # one more replica: the running one keeps its GPUs, the new one finds none
    ok, result = run_module(kubeconfig, {"report_nodes": "none", "requests": [req("model-a", base[H100[0]], replicas=2),
                                                                              both[1]]})
    assert ok and result["fits"] is False
    scaled = result["requests"][0]
    assert scaled["rollout"] == "scale" and scaled["unplaced_replicas"] == 1
    assert "%s 0, %s 0" % H100 in scaled["reason"]

    # a changed request: RollingUpdate (KServe's default) needs room beside the old pod; Recreate frees it first
    ok, result = run_module(kubeconfig, {"report_nodes": "none", "requests": [req("model-a", 1), both[1]]})
    assert ok and result["fits"] is False
    surge = result["requests"][0]
    assert surge["rollout"] == "surge" and surge["surge_pods"] == 1
    assert "the rolling update needs 1 nvidia.com/gpu more" in surge["reason"]
    ok, result = run_module(kubeconfig, {"report_nodes": "none", "requests": [
        req("model-a", 1, strategy={"type": "Recreate"}), both[1]]})
    assert ok and result["fits"] is True and result["requests"][0]["rollout"] == "recreate"
    ok, result = run_module(kubeconfig, {"report_nodes": "none", "requests": [
        req("model-a", 1, strategy={"maxSurge": 0, "maxUnavailable": 1}), both[1]]})
    assert ok and result["fits"] is True and result["requests"][0]["rollout"] == "surge"

    # bad input names the field
    ok, result = run_module(kubeconfig, {"requests": [dict(req("model-a", 1), namespace=None)]})
    assert not ok and "requests[0] (model-a).namespace: None must be the namespace" in result["msg"]
    ok, result = run_module(kubeconfig, {"requests": [req("model-a", 1, strategy={"max_surge": "lots"})]})
    assert not ok and "strategy.max_surge: 'lots' must be a whole number >= 0 or a percentage" in result["msg"]
    ok, result = run_module(kubeconfig, {"requests": [req("model-a", 1, strategy={"type": "BlueGreen"})]})
    assert not ok and "BlueGreen" in result["msg"]
