# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of plugins/module_utils/rollout.py (pure logic of roles/model_rollout) and of model_rollouts with a
canary. The cluster side (KServe's real controller reconciling the canaries) is tests/e2e/test_canary.py."""

from __future__ import annotations

import json

import pytest

from ansible_collections.llmops.kserve.plugins.module_utils.capacity import compute_capacity, normalize_requests, place
from ansible_collections.llmops.kserve.plugins.module_utils.models import model_capacity_request, model_rollouts
from ansible_collections.llmops.kserve.plugins.module_utils.rollout import (
    RolloutError,
    canary_capacity_requests,
    rollout_gate,
    rollout_rows,
    rollout_values,
)

BASE = {"platform": "xeon", "deploymentMode": "Standard", "model": {"id": "Qwen/Qwen2.5-0.5B-Instruct"},
        "predictor": {"minReplicas": 2, "maxReplicas": 2}}
CANARY = {"name": "v2", "revision": "abc"}


def started(percent=10):
    return rollout_values(BASE, "start", CANARY, percent=percent)["values"]


def test_start_adds_one_canary_at_the_first_step():
    result = rollout_values(BASE, "start", CANARY)
    assert result["changed"] and result["percent"] == 10
    assert result["values"]["canaries"] == [{"name": "v2", "trafficPercent": 10, "model": {"revision": "abc"}}]
    assert "canaries" not in BASE, "the input is not modified"


def test_start_again_is_unchanged_and_keeps_the_stepped_percent():
    values = rollout_values(started(), "step")["values"]
    again = rollout_values(values, "start", CANARY)
    assert not again["changed"] and again["percent"] == 50


def test_overrides_become_chart_keys():
    canary = {"name": "v3", "model_id": "Qwen/Qwen2.5-1.5B-Instruct", "args": ["--enable-prefix-caching"],
              "runtime": "llmops-vllm-xeon", "image": "vllm/vllm-openai-cpu:v0.33.0", "replicas": "1",
              "resources": {"requests": {"cpu": "3"}}}
    entry = rollout_values(BASE, "start", canary)["values"]["canaries"][0]
    assert entry == {"name": "v3", "trafficPercent": 10, "replicas": 1, "resources": {"requests": {"cpu": "3"}},
                     "model": {"id": "Qwen/Qwen2.5-1.5B-Instruct", "extraArgs": ["--enable-prefix-caching"]},
                     "runtime": {"name": "llmops-vllm-xeon", "image": "vllm/vllm-openai-cpu:v0.33.0"}}


def test_steps_follow_the_schedule_then_stop_at_the_last():
    values = started()
    seen = []
    for _step in range(4):
        result = rollout_values(values, "step", schedule="10,50,100")
        values = result["values"]
        seen.append((result["percent"], result["changed"]))
    assert seen == [(50, True), (100, True), (100, False), (100, False)]


def test_step_changes_only_the_percent():
    before = started()
    after = rollout_values(before, "step", percent="30")["values"]
    assert after["canaries"][0] == dict(before["canaries"][0], trafficPercent=30)
    assert {k: v for k, v in after.items() if k != "canaries"} == {k: v for k, v in before.items() if k != "canaries"}


def test_promote_writes_the_canary_as_the_main_predictor_and_is_idempotent():
    values = rollout_values(BASE, "start", {"name": "v2", "model_id": "Qwen/Qwen2.5-1.5B-Instruct", "image": "x:1"})["values"]
    result = rollout_values(values, "promote")
    new = result["values"]
    assert result["changed"] and new["canaries"] == []
    assert new["predictor"] == {"minReplicas": 2, "maxReplicas": 2, "name": "v2"}
    assert new["model"] == {"id": "Qwen/Qwen2.5-1.5B-Instruct", "revision": ""}
    assert new["runtime"] == {"image": "x:1"}
    assert result["inventory"] == {"model_id": "Qwen/Qwen2.5-1.5B-Instruct",
                                   "values": {"predictor": {"name": "v2"}, "runtime": {"image": "x:1"}}}
    again = rollout_values(new, "promote", {"name": "v2"})
    assert not again["changed"]


def test_abort_removes_the_canary_and_is_idempotent():
    result = rollout_values(started(), "abort")
    assert result["changed"] and result["values"]["canaries"] == []
    assert {k: v for k, v in result["values"].items() if k != "canaries"} == BASE
    assert not rollout_values(result["values"], "abort")["changed"]


BAD = {
    "percent over 100": (lambda: rollout_values(BASE, "start", CANARY, percent=120), "model_rollout_percent=120 is outside 0-100"),
    "schedule over 100": (lambda: rollout_values(BASE, "start", CANARY, schedule=[10, 150]), "model_rollout_schedule[1]=150"),
    "schedule not increasing": (lambda: rollout_values(BASE, "start", CANARY, schedule=[50, 10]), "must increase"),
    "promote with no canary": (lambda: rollout_values(BASE, "promote", model="qwen"), "model qwen has no canary to promote"),
    "step with no canary": (lambda: rollout_values(BASE, "step"), "has no canary to step"),
    "Knative mode": (lambda: rollout_values(dict(BASE, deploymentMode="Knative"), "start", CANARY, model="q"),
                     "model q runs in deploymentMode Knative"),
    "second canary": (lambda: rollout_values(started(), "start", {"name": "v3", "revision": "x"}), "already has canary 'v2'"),
    "no name": (lambda: rollout_values(BASE, "start", {"revision": "x"}), "model_rollout_canary.name is required"),
    "bad name": (lambda: rollout_values(BASE, "start", {"name": "V_2", "revision": "x"}), "model_rollout_canary.name='V_2'"),
    "unknown key": (lambda: rollout_values(BASE, "start", {"name": "v2", "modelid": "x"}), "unknown key(s) modelid"),
    "changes nothing": (lambda: rollout_values(BASE, "start", {"name": "v2"}), "changes nothing"),
    "bad action": (lambda: rollout_values(BASE, "restart"), "model_rollout_action='restart'"),
    "main name reused": (lambda: rollout_values(dict(BASE, predictor={"name": "v2", "minReplicas": 1}), "start", CANARY),
                         "is the main predictor's name"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_names_the_field(case):
    call, needle = BAD[case]
    with pytest.raises(RolloutError) as err:
        call()
    assert needle in str(err.value)


def isvc_with_canary(cpu="2", gpus=None, percent=50, replicas=None):
    resources = {"requests": {"cpu": cpu, "memory": "4Gi"}, "limits": {"cpu": cpu, "memory": "4Gi"}}
    if gpus:
        resources["requests"]["nvidia.com/gpu"] = str(gpus)
        resources["limits"]["nvidia.com/gpu"] = str(gpus)
    canary_pred = {"name": "v2", "model": {"storageUri": "hf://q:abc", "resources": resources}}
    if replicas:
        canary_pred["minReplicas"] = replicas
    return {"metadata": {"name": "q", "namespace": "ns"},
            "spec": {"predictor": {"minReplicas": 4, "maxReplicas": 4, "nodeSelector": {"gpu": "yes"},
                                   "model": {"storageUri": "hf://q", "resources": {"requests": {"cpu": "2"}}}},
                     "canary": [{"trafficPercent": percent, "predictor": canary_pred}]},
            "status": {"canaryStatuses": [{"name": "v2", "ready": True, "trafficPercent": percent}]}}


def test_canary_capacity_request_uses_kserve_replica_count_and_the_canary_resources():
    [request] = canary_capacity_requests(isvc_with_canary(gpus=8, percent=50), model_capacity_request)
    assert request["replicas"] == 2  # ceil(4 x 50 / 100)
    assert request["resource"] == "nvidia.com/gpu" and str(request["count"]) == "8"
    assert request["node_selector"] == {"gpu": "yes"}
    assert "inferenceservice" not in request, "counted on top of the running model"
    [fixed] = canary_capacity_requests(isvc_with_canary(percent=10, replicas=1), model_capacity_request)
    assert fixed["replicas"] == 1
    assert canary_capacity_requests(isvc_with_canary(percent=0), model_capacity_request) == []


def node(name, gpus):
    return {"metadata": {"name": name, "labels": {"gpu": "yes"}},
            "spec": {}, "status": {"allocatable": {"cpu": "64", "memory": "512Gi", "nvidia.com/gpu": str(gpus)},
                                   "conditions": [{"type": "Ready", "status": "True"}]}}


def pod(name, node_name, gpus, isvc="q"):
    return {"metadata": {"name": name, "namespace": "ns", "labels": {"serving.kserve.io/inferenceservice": isvc}},
            "spec": {"nodeName": node_name, "containers": [{"name": "c", "resources": {"requests": {"nvidia.com/gpu": str(gpus)}}}]},
            "status": {"phase": "Running"}}


def test_tp8_canary_on_a_full_cluster_does_not_fit_on_top_of_the_running_model():
    """Two 8-GPU nodes, the running model holds 4 GPUs on each: a TP-8 canary fits nowhere (it would on the same
    nodes without the model): the canary is counted on top of the running model, nothing of it is freed."""
    capacity = compute_capacity([node("n1", 8), node("n2", 8)], [pod("q-1", "n1", 4), pod("q-2", "n2", 4)])
    [request] = canary_capacity_requests(isvc_with_canary(gpus=8, percent=25), model_capacity_request)
    placed = place(capacity, normalize_requests([request]))
    assert not placed["requests"][0]["fits"], placed
    empty = compute_capacity([node("n1", 8), node("n2", 8)], [])
    assert place(empty, normalize_requests([request]))["requests"][0]["fits"], "it fits where the model is not running"
    [small] = canary_capacity_requests(isvc_with_canary(gpus=4, percent=25), model_capacity_request)
    assert place(capacity, normalize_requests([small]))["requests"][0]["fits"]


def test_rows_show_every_predictor_with_its_traffic_and_ready_replicas():
    isvc = isvc_with_canary(percent=10)
    deployments = [{"metadata": {"name": "q-predictor", "uid": "u1"}, "spec": {"replicas": 3}, "status": {"readyReplicas": 3}},
                   {"metadata": {"name": "q-v2-predictor", "uid": "u2"}, "spec": {"replicas": 1}, "status": {}}]
    rows = rollout_rows(isvc, deployments)
    assert [(r["predictor"], r["role"], r["traffic"], r["ready"], r["revision"]) for r in rows] == [
        ("q-predictor", "main", "90%", "3/3", "hf://q"), ("q-v2-predictor", "canary", "10%", "0/1", "hf://q:abc")]


def answer(*values):
    return {"status": "success", "data": {"resultType": "vector",
                                          "result": [{"metric": {}, "value": [0, str(v)]} for v in values]}}


def test_gate_passes_and_fails_on_thresholds_and_never_on_no_data():
    ok = rollout_gate([{"name": "errors", "canary": answer(0.001), "max": 0.01},
                       {"name": "p95", "canary": answer(1.1), "main": answer(1.0), "max_ratio": 1.2}])
    assert ok["passed"]
    slow = rollout_gate([{"name": "p95", "canary": answer(2.0), "main": answer(1.0), "max_ratio": 1.2}])
    assert not slow["passed"] and "1.2 x main 1" in slow["results"][0]["why"]
    empty = rollout_gate([{"name": "errors", "canary": answer(), "max": 0.01}])
    assert not empty["passed"] and "no data" in empty["results"][0]["why"]
    nan = rollout_gate([{"name": "errors", "canary": answer("NaN"), "max": 0.01}])
    assert not nan["passed"]
    with pytest.raises(RolloutError):
        rollout_gate([{"name": "x", "canary": {"status": "error", "error": "bad query"}}])


def test_model_rollouts_checks_a_canary_deployment_against_its_own_checksum():
    isvc = {"metadata": {"name": "q", "annotations": {"llmops.kserve/pod-checksum": "main"}},
            "spec": {"canary": [{"predictor": {"name": "v2", "annotations": {"llmops.kserve/pod-checksum": "canary"}}}]}}

    def deployment(name, checksum):
        return {"metadata": {"name": name, "generation": 1,
                             "labels": {"serving.kserve.io/inferenceservice": "q", "component": "predictor"}},
                "spec": {"replicas": 1, "template": {"metadata": {"annotations": {"llmops.kserve/pod-checksum": checksum}}}},
                "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1}}
    assert model_rollouts([deployment("q-predictor", "main"), deployment("q-v2-predictor", "canary")], [isvc], ["q"])["ready"] == ["q"]
    stale = model_rollouts([deployment("q-predictor", "main"), deployment("q-v2-predictor", "old")], [isvc], ["q"])
    assert stale["ready"] == [] and "q-v2-predictor" in json.dumps(stale["not_ready"])
