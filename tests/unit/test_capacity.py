# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/capacity.py (pure math, no cluster)."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

# conftest.py made the collection importable (tests/harness.py)
from ansible_collections.llmops.kserve.plugins.module_utils import capacity as cap  # noqa: E402

GPU = "nvidia.com/gpu"
GAUDI = "habana.ai/gaudi"
GPU_TAINT = {"key": GPU, "value": "present", "effect": "NoSchedule"}
GPU_TOLERATION = {"key": GPU, "operator": "Exists", "effect": "NoSchedule"}


def node(name, allocatable, labels=None, taints=None, unschedulable=False, ready="True"):
    spec = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    conditions = [] if ready is None else [{"type": "Ready", "status": ready, "reason": "KubeletReady"}]
    return {"metadata": {"name": name, "labels": labels or {}}, "spec": spec,
            "status": {"allocatable": allocatable, "conditions": conditions}}


def gpu_node(name, gpus=8, **kwargs):
    return node(name, {"cpu": "192", "memory": "2Ti", "pods": "110", GPU: str(gpus)},
                labels={"nvidia.com/gpu.present": "true"}, taints=[GPU_TAINT], **kwargs)


def container(requests=None, limits=None, **extra):
    resources = {}
    if requests is not None:
        resources["requests"] = requests
    if limits is not None:
        resources["limits"] = limits
    item = {"name": "c", "resources": resources}
    item.update(extra)
    return item


def pod(node_name, containers, init=None, phase="Running", overhead=None, name="p", pod_resources=None):
    spec = {"containers": containers}
    if node_name:
        spec["nodeName"] = node_name
    if init:
        spec["initContainers"] = init
    if overhead:
        spec["overhead"] = overhead
    if pod_resources:
        spec["resources"] = pod_resources
    return {"metadata": {"name": name, "namespace": "ns"}, "spec": spec, "status": {"phase": phase}}


# ----------------------------------------------------------------------------------------------
# quantities
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("8", Fraction(8)),
    ("500m", Fraction(1, 2)),
    ("1.5", Fraction(3, 2)),
    ("64Gi", 64 * 2 ** 30),
    ("1Ki", 1024),
    ("2Mi", 2 * 2 ** 20),
    ("1Ti", 2 ** 40),
    ("1Ei", 2 ** 60),
    ("1k", 1000),
    ("1M", 10 ** 6),
    ("1.5G", 1500 * 10 ** 6),
    ("2T", 2 * 10 ** 12),
    ("1P", 10 ** 15),
    ("1E", 10 ** 18),
    ("1e3", 1000),
    ("1E3", 1000),
    ("12e-3", Fraction(12, 1000)),
    ("100n", Fraction(100, 10 ** 9)),
    ("10u", Fraction(10, 10 ** 6)),
    (".5", Fraction(1, 2)),
    ("+3", 3),
    ("-2", -2),
    (4, 4),
    (0.25, Fraction(1, 4)),
])
def test_parse_quantity(text, expected):
    assert cap.parse_quantity(text) == expected


@pytest.mark.parametrize("bad", ["", "abc", "1Gb", "1.2.3", "Gi", "1 Gi", "1gi", "--1", None, True, [], "1e"])
def test_parse_quantity_rejects(bad):
    with pytest.raises(cap.CapacityError) as err:
        cap.parse_quantity(bad, "requests[0].count")
    assert "requests[0].count" in str(err.value)
    assert repr(bad) in str(err.value)


def test_units_round_up_like_kubernetes():
    assert cap.to_units("cpu", "100m") == 100
    assert cap.to_units("cpu", "0.0001") == 1  # MilliValue rounds up
    assert cap.to_units("cpu", "2") == 2000
    assert cap.to_units("memory", "1.5") == 2  # Value rounds up
    assert cap.to_units("memory", "1Gi") == 2 ** 30
    assert cap.to_display("cpu", 2500) == 2.5
    assert cap.to_display("cpu", 2000) == 2
    assert cap.to_display(GPU, 3) == 3


# ----------------------------------------------------------------------------------------------
# pod request rules
# ----------------------------------------------------------------------------------------------
def test_sum_of_app_containers():
    p = pod("n", [container({"cpu": "1", "memory": "1Gi"}), container({"cpu": "500m", GPU: "2"})])
    assert cap.pod_requests(p) == {"cpu": 1500, "memory": 2 ** 30, GPU: 2}


def test_limits_stand_in_for_missing_requests():
    p = pod("n", [container(limits={GPU: "4", "cpu": "2"}, requests={"cpu": "1"})])
    assert cap.pod_requests(p) == {"cpu": 1000, GPU: 4}


def test_init_container_larger_than_app_wins():
    p = pod("n", [container({"cpu": "1", GPU: "1"})], init=[container({"cpu": "4", GPU: "2"})])
    assert cap.pod_requests(p) == {"cpu": 4000, GPU: 2}


def test_init_container_smaller_than_app_ignored():
    p = pod("n", [container({"cpu": "4"})], init=[container({"cpu": "1"}), container({"cpu": "2"})])
    assert cap.pod_requests(p) == {"cpu": 4000}


def test_sidecars_add_to_app_and_to_later_init_containers():
    # sidecar (1 cpu) starts first, then a regular init (3 cpu) runs next to it -> 4; app 2 + sidecar 1 = 3.
    p = pod("n", [container({"cpu": "2"})],
            init=[container({"cpu": "1"}, restartPolicy="Always"), container({"cpu": "3"})])
    assert cap.pod_requests(p)["cpu"] == 4000
    # the same regular init container BEFORE the sidecar does not overlap with it -> max(3, 2 + 1) = 3.
    p = pod("n", [container({"cpu": "2"})],
            init=[container({"cpu": "3"}), container({"cpu": "1"}, restartPolicy="Always")])
    assert cap.pod_requests(p)["cpu"] == 3000


def test_sidecars_accumulate():
    p = pod("n", [container({"memory": "1Gi"})],
            init=[container({"memory": "1Gi"}, restartPolicy="Always"),
                  container({"memory": "1Gi"}, restartPolicy="Always"),
                  container({"memory": "2Gi"})])
    # app: 1 + 1 + 1 = 3Gi; last init: 2 sidecars + 2Gi = 4Gi -> 4Gi
    assert cap.pod_requests(p)["memory"] == 4 * 2 ** 30


def test_overhead_is_added():
    p = pod("n", [container({"cpu": "1", "memory": "1Gi"})], overhead={"cpu": "250m", "memory": "120Mi"})
    assert cap.pod_requests(p) == {"cpu": 1250, "memory": 2 ** 30 + 120 * 2 ** 20}


def test_pod_level_requests_replace_cpu_memory_only():
    p = pod("n", [container({"cpu": "1", GPU: "1"}), container({"cpu": "1"})],
            pod_resources={"requests": {"cpu": "4"}})
    assert cap.pod_requests(p) == {"cpu": 4000, GPU: 1}


def test_untracked_resources_are_ignored():
    p = pod("n", [container({"cpu": "1", "example.com/foo": "3", "ephemeral-storage": "1Gi"})])
    assert cap.pod_requests(p) == {"cpu": 1000}
    assert cap.pod_requests(p, ["cpu", "example.com/*"]) == {"cpu": 1000, "example.com/foo": 3}


# ----------------------------------------------------------------------------------------------
# per node capacity
# ----------------------------------------------------------------------------------------------
def test_compute_capacity_free_per_node():
    nodes = [gpu_node("g1"), gpu_node("g2"), node("x1", {"cpu": "96", "memory": "384Gi", "pods": "110"})]
    pods = [
        pod("g1", [container({GPU: "4", "cpu": "8"})]),
        pod("g1", [container({GPU: "2"})]),
        pod("g1", [container({GPU: "2"})], phase="Succeeded"),  # terminal: not counted
        pod("g2", [container({GPU: "8"})], phase="Failed"),  # terminal: not counted
        pod("g2", [container({GPU: "1"})], phase="Pending"),  # bound but pending: counted
        pod(None, [container({GPU: "8"})], phase="Pending"),  # not bound: pending only
        pod("gone", [container({GPU: "1"})]),  # unknown node
        pod("x1", [container({"cpu": "1500m", "memory": "1Gi"})]),
    ]
    result = cap.compute_capacity(nodes, pods)
    g1 = result["nodes"]["g1"]
    assert g1["free"][GPU] == 2
    assert g1["requested"] == {GPU: 6, "cpu": 8000, "pods": 2}
    assert result["nodes"]["g2"]["free"][GPU] == 7
    assert result["nodes"]["x1"]["free"]["cpu"] == 94500
    assert result["nodes"]["x1"]["free"]["memory"] == 383 * 2 ** 30
    assert result["nodes"]["x1"]["free"]["pods"] == 109
    assert result["pending_pods"] == 1
    assert result["pods_on_unknown_nodes"] == 1
    assert result["pods_counted"] == 4


def test_mig_gaudi_hugepages_tracked():
    nodes = [
        node("mig", {"cpu": "128", "memory": "1Ti", "nvidia.com/mig-1g.10gb": "14", "nvidia.com/mig-3g.40gb": "2"}),
        node("gaudi", {"cpu": "152", "memory": "1Ti", GAUDI: "8", "hugepages-2Mi": "64Gi"}),
    ]
    pods = [pod("mig", [container({"nvidia.com/mig-3g.40gb": "1"})]),
            pod("gaudi", [container({GAUDI: "2", "hugepages-2Mi": "8Gi"})])]
    result = cap.compute_capacity(nodes, pods)
    assert result["nodes"]["mig"]["free"]["nvidia.com/mig-3g.40gb"] == 1
    assert result["nodes"]["mig"]["free"]["nvidia.com/mig-1g.10gb"] == 14
    assert result["nodes"]["gaudi"]["free"][GAUDI] == 6
    assert result["nodes"]["gaudi"]["free"]["hugepages-2Mi"] == 56 * 2 ** 30
    report = cap.node_report(result, only_with=[GPU, "nvidia.com/mig-*"])
    assert [n["name"] for n in report] == ["mig"]


def test_bad_quantity_in_pod_names_the_pod():
    nodes = [gpu_node("g1")]
    with pytest.raises(cap.CapacityError) as err:
        cap.compute_capacity(nodes, [pod("g1", [container({GPU: "two"})], name="broken")])
    assert "ns/broken" in str(err.value) and "'two'" in str(err.value)


# ----------------------------------------------------------------------------------------------
# taints, readiness, selectors
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("toleration, tolerated", [
    ({"key": GPU, "operator": "Exists"}, True),
    ({"key": GPU, "operator": "Exists", "effect": "NoSchedule"}, True),
    ({"key": GPU, "operator": "Exists", "effect": "NoExecute"}, False),
    ({"key": GPU, "operator": "Equal", "value": "present"}, True),
    ({"key": GPU, "value": "present"}, True),
    ({"key": GPU, "operator": "Equal", "value": "other"}, False),
    ({"key": "other", "operator": "Exists"}, False),
    ({"operator": "Exists"}, True),
])
def test_tolerates(toleration, tolerated):
    assert cap.tolerates(toleration, GPU_TAINT) is tolerated


def test_prefer_no_schedule_taints_do_not_exclude():
    taints = [{"key": "a", "effect": "PreferNoSchedule"}, GPU_TAINT]
    assert cap.untolerated_taints(taints, [GPU_TOLERATION]) == []
    assert cap.untolerated_taints(taints, []) == [GPU_TAINT]


def test_readiness():
    assert cap.node_ready(gpu_node("a"))[0] is True
    ready, reason = cap.node_ready(gpu_node("a", ready="False"))
    assert ready is False and "NotReady" in reason
    assert cap.node_ready(gpu_node("a", ready=None))[0] is False


# ----------------------------------------------------------------------------------------------
# requests and placement
# ----------------------------------------------------------------------------------------------
def _plan(nodes, pods, requests):
    capacity = cap.compute_capacity(nodes, pods)
    return cap.place(capacity, cap.normalize_requests(requests))


def test_tensor_parallel_fits_in_total_but_not_on_one_node():
    nodes = [gpu_node("g1"), gpu_node("g2")]
    pods = [pod("g1", [container({GPU: "4"})]), pod("g2", [container({GPU: "4"})])]
    plan = _plan(nodes, pods, [{"name": "llama70b", "resource": GPU, "tensor_parallel": 8,
                                "tolerations": [GPU_TOLERATION]}])
    req = plan["requests"][0]
    assert plan["fits"] is False
    assert req["fits"] is False
    assert req["free_on_eligible_nodes"] == 8
    assert req["max_free_on_one_node"] == 4
    assert "fits in total but not on one node" in req["reason"]
    # TP 4 fits, one replica per node
    plan = _plan(nodes, pods, [{"name": "m", "resource": GPU, "count": 4, "replicas": 2,
                                "tolerations": [GPU_TOLERATION]}])
    assert plan["fits"] is True
    assert sorted(plan["requests"][0]["placements"]) == ["g1", "g2"]


def test_untolerated_taint_cordon_notready_selector_exclude_and_name():
    nodes = [gpu_node("tainted"), gpu_node("cordoned", unschedulable=True), gpu_node("down", ready="False"),
             node("plain", {"cpu": "8", GPU: "8"}, labels={"zone": "b"})]
    plan = _plan(nodes, [], [{"name": "m", "resource": GPU, "count": 8, "node_selector": {"zone": "a"}}])
    req = plan["requests"][0]
    assert req["fits"] is False
    reasons = dict((e["name"], e["reason"]) for e in req["excluded_nodes"])
    assert "taint nvidia.com/gpu=present:NoSchedule not tolerated" in reasons["tainted"]
    assert "cordoned" in reasons["cordoned"]
    assert "NotReady" in reasons["down"]
    assert "node selector zone=a does not match" in reasons["plain"]
    assert req["reason"].startswith("no eligible node")
    assert "tainted" in req["reason"]
    # with the toleration, only the tainted node is usable
    plan = _plan(nodes, [], [{"name": "m", "resource": GPU, "count": 8, "tolerations": [GPU_TOLERATION]}])
    assert plan["requests"][0]["placements"] == ["tainted"]


def test_requests_are_placed_together_best_fit_largest_first():
    nodes = [gpu_node("a"), gpu_node("b")]
    pods = [pod("a", [container({GPU: "6"})])]  # a: 2 free, b: 8 free
    requests = [
        {"name": "small", "resource": GPU, "count": 2, "tolerations": [GPU_TOLERATION]},
        {"name": "big", "resource": GPU, "count": 8, "tolerations": [GPU_TOLERATION]},
    ]
    plan = _plan(nodes, pods, requests)
    by_name = dict((r["name"], r) for r in plan["requests"])
    assert plan["fits"] is True
    assert by_name["big"]["placements"] == ["b"]
    assert by_name["small"]["placements"] == ["a"]  # best fit: the node with the least left over


def test_request_that_fits_alone_but_not_together():
    nodes = [gpu_node("a")]
    requests = [
        {"name": "one", "resource": GPU, "count": 8, "tolerations": [GPU_TOLERATION]},
        {"name": "two", "resource": GPU, "count": 4, "tolerations": [GPU_TOLERATION]},
    ]
    plan = _plan(nodes, [], requests)
    by_name = dict((r["name"], r) for r in plan["requests"])
    assert by_name["one"]["fits"] is True
    assert by_name["two"]["fits"] is False
    assert "together with the other requests" in by_name["two"]["reason"]
    assert plan["fits"] is False


def test_not_enough_in_total():
    nodes = [gpu_node("a"), gpu_node("b")]
    plan = _plan(nodes, [], [{"name": "m", "resource": GPU, "count": 8, "replicas": 3,
                              "tolerations": [GPU_TOLERATION]}])
    req = plan["requests"][0]
    assert req["unplaced_replicas"] == 1 and len(req["placements"]) == 2
    assert "only 16 nvidia.com/gpu free" in req["reason"]


def test_other_resources_must_fit_on_the_same_node():
    nodes = [node("g", {"cpu": "16", "memory": "64Gi", GAUDI: "8", "hugepages-2Mi": "8Gi"})]
    plan = _plan(nodes, [], [{"name": "m", "resource": GAUDI, "count": 1,
                              "resources": {"cpu": "8", "memory": "32Gi", "hugepages-2Mi": "16Gi"}}])
    req = plan["requests"][0]
    assert req["fits"] is False
    assert "16Gi hugepages-2Mi" in req["reason"]
    plan = _plan(nodes, [], [{"name": "m", "resource": GAUDI, "count": 1, "replicas": 2,
                              "resources": {"cpu": "8", "memory": "32Gi", "hugepages-2Mi": "4Gi"}}])
    assert plan["fits"] is True


def test_pod_slots_count():
    nodes = [node("x", {"cpu": "96", "pods": "1"})]
    plan = _plan(nodes, [pod("x", [container({"cpu": "1"})])], [{"name": "m", "resource": "cpu", "count": "1"}])
    assert plan["fits"] is False


def test_cpu_request_on_xeon_nodes():
    nodes = [node("x1", {"cpu": "96", "memory": "384Gi", "pods": "110"}),
             node("x2", {"cpu": "96", "memory": "384Gi", "pods": "110"}, unschedulable=True)]
    pods = [pod("x1", [container({"cpu": "90"})])]
    plan = _plan(nodes, pods, [{"name": "m", "resource": "cpu", "count": "16", "resources": {"memory": "64Gi"}}])
    req = plan["requests"][0]
    assert req["fits"] is False
    assert req["max_free_on_one_node"] == 6
    assert [e["name"] for e in req["excluded_nodes"]] == ["x2"]


def test_no_node_offers_resource():
    plan = _plan([gpu_node("a")], [], [{"name": "m", "resource": "amd.com/gpu", "count": 1}])
    assert plan["requests"][0]["reason"] == "no node offers amd.com/gpu"


def test_empty_requests_fit():
    assert _plan([gpu_node("a")], [], [])["fits"] is True


@pytest.mark.parametrize("requests, fragment", [
    ([{"resource": GPU}], "requests[0].name"),
    ([{"name": "a", "resource": GPU}, {"name": "a", "resource": GPU}], "used twice"),
    ([{"name": "a"}], "requests[0] (a).resource"),
    ([{"name": "a", "resource": GPU, "count": 0}], "must be greater than 0"),
    ([{"name": "a", "resource": GPU, "count": "1.5"}], "whole number"),
    ([{"name": "a", "resource": GPU, "count": "many"}], "'many' is not a Kubernetes quantity"),
    ([{"name": "a", "resource": GPU, "replicas": 0}], "replicas: 0 must be an integer >= 1"),
    ([{"name": "a", "resource": GPU, "count": 4, "tensor_parallel": 8}], "disagree"),
    ([{"name": "a", "resource": GPU, "colour": "red"}], "unknown key(s) colour"),
    ([{"name": "a", "resource": GPU, "tolerations": [{"operator": "Equal"}]}], "empty key needs operator Exists"),
    ([{"name": "a", "resource": GPU, "tolerations": [{"key": "k", "operator": "In"}]}], "must be Equal or Exists"),
    ([{"name": "a", "resource": GPU, "resources": {"memory": "lots"}}], "resources.memory: 'lots'"),
    ("nope", "is not a list"),
])
def test_bad_requests(requests, fragment):
    with pytest.raises(cap.CapacityError) as err:
        cap.normalize_requests(requests)
    assert fragment in str(err.value)


def test_totals_and_report():
    nodes = [gpu_node("a"), gpu_node("b", unschedulable=True)]
    capacity = cap.compute_capacity(nodes, [pod("a", [container({GPU: "3", "cpu": "500m"})])])
    tot = cap.totals(capacity)
    assert tot[GPU] == {"allocatable": 16, "requested": 3, "free": 13, "free_schedulable": 5}
    report = cap.node_report(capacity)
    assert report[0]["requested"]["cpu"] == 0.5
    assert report[1]["excluded_reason"].startswith("cordoned")
    assert report[0]["taints"] == ["nvidia.com/gpu=present:NoSchedule"]


# ----------------------------------------------------------------------------------------------
# cluster.py reading logic, with a stand-in for kubernetes.core's client (pages of plain JSON)
# ----------------------------------------------------------------------------------------------
class _Response:
    def __init__(self, body):
        self.data = json.dumps(body).encode()


class _ApiError(Exception):
    def __init__(self, status):
        super().__init__("status %s" % status)
        self.status = status


class _Dynamic:
    def __init__(self, routes):
        self.routes = routes
        self.calls = []

    def request(self, method, path, serialize=True, **query):
        assert method == "get" and serialize is False
        self.calls.append((path, query))
        route = self.routes[path]
        if isinstance(route, Exception):
            raise route
        if isinstance(route, dict):  # a single object, e.g. an APIGroup
            return _Response(route)
        pages = route
        index = int(query.get("_continue") or 0)
        items = pages[index]
        meta = {"continue": str(index + 1)} if index + 1 < len(pages) else {}
        return _Response({"items": items, "metadata": meta})


class _Client:
    def __init__(self, routes):
        self.client = _Dynamic(routes)


def _cluster():
    from ansible_collections.llmops.kserve.plugins.module_utils import cluster  # pylint: disable=import-outside-toplevel
    return cluster


def test_read_capacity_pages_pods_with_phase_filter_and_reports_dra():
    cluster = _cluster()
    routes = {
        "/api/v1/nodes": [[gpu_node("g1")], [gpu_node("g2")]],
        "/api/v1/pods": [[pod("g1", [container({GPU: "3"})])], [pod("g2", [container({GPU: "1"})])]],
        "/apis/resource.k8s.io": {"kind": "APIGroup", "preferredVersion": {"groupVersion": "resource.k8s.io/v1"}},
        "/apis/resource.k8s.io/v1/resourceslices": [[{"spec": {"driver": "gpu.example.com", "nodeName": "g1",
                                                               "devices": [{"name": "gpu-0"}, {"name": "gpu-1"}]}}]],
    }
    client = _Client(routes)
    result = cluster.read_capacity(client, page_size=1)
    assert result["nodes"]["g1"]["free"][GPU] == 5
    assert result["nodes"]["g2"]["free"][GPU] == 7
    pod_calls = [q for p, q in client.client.calls if p == "/api/v1/pods"]
    assert len(pod_calls) == 2 and pod_calls[1]["_continue"] == "1"
    assert all(q["field_selector"] == "status.phase!=Succeeded,status.phase!=Failed" for q in pod_calls)
    assert all(q["limit"] == 1 for q in pod_calls)
    dra = result["dra"]
    assert dra["api_available"] and dra["devices"] == 2 and dra["drivers"] == ["gpu.example.com"]
    assert dra["counted"] is False and "NOT counted" in dra["message"]


def test_read_errors_name_what_failed_and_missing_dra_api_is_fine():
    cluster = _cluster()
    client = _Client({"/api/v1/nodes": _ApiError(403)})
    with pytest.raises(cluster.ClusterReadError) as err:
        cluster.read_capacity(client)
    assert "could not list nodes (/api/v1/nodes): 403" in str(err.value)
    client = _Client({"/apis/resource.k8s.io": _ApiError(404)})
    dra = cluster.detect_dra(client)
    assert dra["api_available"] is False and "not served" in dra["message"]


# ----------------------------------------------------------------------------------------------
# re-runs and upgrades: the pods of a request's own InferenceService (issue 13, item 2)
# ----------------------------------------------------------------------------------------------
def isvc_pod(node_name, isvc, gpus=8, namespace="models", name=None, cpu="16"):
    """A predictor pod as KServe makes it: labelled with its InferenceService, model container kserve-container."""
    resources = {"requests": {GPU: str(gpus), "cpu": cpu}, "limits": {GPU: str(gpus)}}
    return {"metadata": {"name": name or "%s-predictor-%s" % (isvc, node_name), "namespace": namespace,
                         "labels": {cap.ISVC_LABEL: isvc, "component": "predictor"}},
            "spec": {"nodeName": node_name, "tolerations": [GPU_TOLERATION],
                     "initContainers": [container({"cpu": "100m", "memory": "100Mi"}, name="storage-initializer")],
                     "containers": [dict(container(**resources), name="kserve-container"),
                                    container({"cpu": "100m"}, name="agent")]},
            "status": {"phase": "Running"}}


def model_request(name, gpus=8, replicas=1, isvc=True, namespace="models", strategy=None, cpu="16"):
    request = {"name": name, "resource": GPU, "count": gpus, "replicas": replicas, "tolerations": [GPU_TOLERATION],
               "resources": {"cpu": cpu}}
    if isvc:
        request.update(inferenceservice=name, namespace=namespace)
    if strategy is not None:
        request["strategy"] = strategy
    return request


FULL = [gpu_node("nvidia-h100-1"), gpu_node("nvidia-h100-2")]
FULL_PODS = [isvc_pod("nvidia-h100-1", "model-a"), isvc_pod("nvidia-h100-2", "model-b")]


def test_compute_capacity_records_pods_per_inferenceservice():
    capacity = cap.compute_capacity(FULL, FULL_PODS + [pod("nvidia-h100-1", [container({"cpu": "1"})], name="plain")])
    owned = capacity["inferenceservices"]
    assert sorted(owned) == [("models", "model-a"), ("models", "model-b")]
    rec = owned[("models", "model-a")][0]
    assert rec["node"] == "nvidia-h100-1" and rec["pod"] == "models/model-a-predictor-nvidia-h100-1"
    assert rec["model_container"] == {GPU: 8, "cpu": 16000}
    assert rec["requests"][GPU] == 8 and rec["requests"]["cpu"] == 16100  # + the agent sidecar container
    # still counted against the node: the cluster is full
    assert capacity["nodes"]["nvidia-h100-1"]["free"][GPU] == 0


def test_rerun_on_a_full_cluster_fits_when_the_own_pods_are_excluded():
    """Two TP-8 models hold every GPU; re-applying both unchanged fits (it did not before: all pods counted)."""
    plan = _plan(FULL, FULL_PODS, [model_request("model-a"), model_request("model-b")])
    assert plan["fits"] is True, plan
    by_name = dict((r["name"], r) for r in plan["requests"])
    assert by_name["model-a"]["rollout"] == "unchanged" and by_name["model-a"]["running_pods"] == 1
    assert by_name["model-a"]["placements"] == ["nvidia-h100-1"]
    assert by_name["model-b"]["placements"] == ["nvidia-h100-2"]
    assert "rollout unchanged" in by_name["model-a"]["reason"]
    # without naming the InferenceService the pods are someone else's: no room
    plan = _plan(FULL, FULL_PODS, [model_request("model-a", isvc=False)])
    assert plan["fits"] is False
    assert plan["requests"][0]["rollout"] == "install"


def test_only_pods_of_the_same_inferenceservice_in_the_same_namespace_are_excluded():
    pods = [isvc_pod("nvidia-h100-1", "model-a", namespace="other"), isvc_pod("nvidia-h100-2", "model-b")]
    plan = _plan(FULL, pods, [model_request("model-a")])
    req = plan["requests"][0]
    assert req["fits"] is False and req["rollout"] == "install"
    assert "nvidia-h100-1 0, nvidia-h100-2 0" in req["reason"]


def test_scale_up_on_a_full_cluster_is_refused_naming_the_nodes():
    plan = _plan(FULL, FULL_PODS, [model_request("model-a", replicas=2), model_request("model-b")])
    by_name = dict((r["name"], r) for r in plan["requests"])
    a = by_name["model-a"]
    assert a["fits"] is False and a["rollout"] == "scale"
    assert a["placements"] == ["nvidia-h100-1"] and a["unplaced_replicas"] == 1
    assert "needs 8 nvidia.com/gpu on ONE node per replica" in a["reason"]
    assert "free nvidia.com/gpu per eligible node: nvidia-h100-1 0, nvidia-h100-2 0" in a["reason"]
    assert "1 replica(s) added" in a["reason"]
    assert by_name["model-b"]["fits"] is True


def test_scale_down_keeps_the_freed_devices_for_itself():
    pods = [isvc_pod("nvidia-h100-1", "model-a"), isvc_pod("nvidia-h100-2", "model-a")]
    plan = _plan(FULL, pods, [model_request("model-a", replicas=1), model_request("model-c")])
    by_name = dict((r["name"], r) for r in plan["requests"])
    assert by_name["model-a"]["fits"] is True and by_name["model-a"]["rollout"] == "scale"
    assert by_name["model-a"]["placements"] == ["nvidia-h100-1"]
    assert by_name["model-c"]["fits"] is False  # conservative: the scale-down's devices are not promised


def test_third_tp8_model_is_refused_naming_the_nodes():
    plan = _plan(FULL, FULL_PODS, [model_request("model-a"), model_request("model-b"), model_request("model-c")])
    by_name = dict((r["name"], r) for r in plan["requests"])
    assert by_name["model-a"]["fits"] and by_name["model-b"]["fits"]
    c = by_name["model-c"]
    assert c["fits"] is False and c["rollout"] == "install"
    assert "nvidia-h100-1 0, nvidia-h100-2 0" in c["reason"]


def test_changed_request_with_surge_needs_room_beside_the_old_pods():
    """TP 8 -> 4 under KServe's default RollingUpdate (25%/25% of 1 replica = surge 1, unavailable 0)."""
    plan = _plan(FULL, FULL_PODS, [model_request("model-a", gpus=4), model_request("model-b")])
    a = dict((r["name"], r) for r in plan["requests"])["model-a"]
    assert a["rollout"] == "surge" and a["surge_pods"] == 1 and a["fits"] is False
    assert "the rolling update needs 4 nvidia.com/gpu more" in a["reason"]
    assert "beside 1 running pod(s)" in a["reason"]
    assert "nvidia-h100-1 0, nvidia-h100-2 0" in a["reason"]
    assert "maxSurge 25%, maxUnavailable 25%" in a["reason"]
    # with room for the surge pod beside the old one it fits
    roomy = [gpu_node("nvidia-h100-1", gpus=12), gpu_node("nvidia-h100-2")]
    plan = _plan(roomy, FULL_PODS, [model_request("model-a", gpus=4), model_request("model-b")])
    assert plan["fits"] is True


def test_changed_request_with_recreate_frees_the_old_pods_first():
    plan = _plan(FULL, FULL_PODS, [model_request("model-a", gpus=4, strategy={"type": "Recreate"}),
                                   model_request("model-b")])
    a = dict((r["name"], r) for r in plan["requests"])["model-a"]
    assert a["fits"] is True and a["rollout"] == "recreate"
    assert a["placements"] == ["nvidia-h100-1"]
    assert "rollout recreate" in a["reason"]
    # the final state still has to fit: TP 8 -> 16 does not, whatever the strategy
    plan = _plan(FULL, FULL_PODS, [model_request("model-a", gpus=16, strategy={"type": "Recreate"})])
    assert plan["fits"] is False


def test_surge_with_max_unavailable_frees_old_pods_first():
    """4 replicas, maxSurge 0 / maxUnavailable 1: one old pod goes first, so no extra room is needed."""
    nodes = [gpu_node("n%d" % i) for i in range(4)]
    pods = [isvc_pod("n%d" % i, "m") for i in range(4)]
    plan = _plan(nodes, pods, [model_request("m", gpus=4, replicas=4,
                                             strategy={"type": "RollingUpdate", "maxSurge": 0, "maxUnavailable": 1})])
    assert plan["fits"] is True and plan["requests"][0]["surge_pods"] == 0
    plan = _plan(nodes, pods, [model_request("m", gpus=4, replicas=4,
                                             strategy={"max_surge": "25%", "max_unavailable": "25%"})])
    req = plan["requests"][0]
    assert req["surge_pods"] == 1 and req["fits"] is True  # the freed old pod's node takes the surge pod


@pytest.mark.parametrize("surge, unavailable, replicas, expected", [
    ("25%", "25%", 1, (1, 0)),
    ("25%", "25%", 4, (1, 1)),
    ("25%", "25%", 5, (2, 1)),
    ("100%", 0, 3, (3, 0)),
    (0, 0, 2, (0, 1)),
    ("0%", "0%", 8, (0, 1)),
    (2, "50%", 3, (2, 1)),
])
def test_resolve_fenceposts_like_the_deployment_controller(surge, unavailable, replicas, expected):
    assert cap.resolve_fenceposts(surge, unavailable, replicas) == expected


def test_a_pod_without_a_kserve_container_counts_as_changed():
    bare = pod("nvidia-h100-1", [container({GPU: "8"}, limits={GPU: "8"})], name="x")
    bare["metadata"]["labels"] = {cap.ISVC_LABEL: "model-a"}
    bare["metadata"]["namespace"] = "models"
    plan = _plan(FULL, [bare], [model_request("model-a", strategy={"type": "Recreate"})])
    assert plan["requests"][0]["rollout"] == "recreate" and plan["fits"] is True


@pytest.mark.parametrize("request_extra, fragment", [
    ({"inferenceservice": "a"}, "requests[0] (a).namespace: None must be the namespace"),
    ({"namespace": "ns"}, "namespace: 'ns' is only used with inferenceservice"),
    ({"inferenceservice": 3, "namespace": "ns"}, "inferenceservice: 3 must be the name"),
    ({"strategy": "Recreate"}, "strategy: 'Recreate' must be a dict"),
    ({"strategy": {"type": "BlueGreen"}}, "strategy.type: 'BlueGreen' must be RollingUpdate or Recreate"),
    ({"strategy": {"type": "Recreate", "max_surge": 1}}, "max_surge only apply to type RollingUpdate"),
    ({"strategy": {"max_surge": "lots"}}, "strategy.max_surge: 'lots' must be a whole number >= 0 or a percentage"),
    ({"strategy": {"maxUnavailable": -1}}, "strategy.max_unavailable: -1"),
    ({"strategy": {"rollingUpdate": {}}}, "unknown key 'rollingUpdate'"),
])
def test_bad_rollout_inputs(request_extra, fragment):
    with pytest.raises(cap.CapacityError) as err:
        cap.normalize_requests([dict({"name": "a", "resource": GPU}, **request_extra)])
    assert fragment in str(err.value)


def test_one_inferenceservice_named_by_two_requests_is_refused():
    with pytest.raises(cap.CapacityError) as err:
        cap.normalize_requests([model_request("a"), dict(model_request("b"), inferenceservice="a")])
    assert "models/a is also named by request a" in str(err.value)


def test_untracked_resources_of_a_request_do_not_make_it_a_change():
    """ephemeral-storage is not tracked by default: the running pod's record has none, the request may ask some."""
    request = dict(model_request("model-a"), resources={"cpu": "16", "ephemeral-storage": "10Gi"})
    plan = _plan(FULL, FULL_PODS, [request])
    assert plan["requests"][0]["rollout"] == "unchanged" and plan["fits"] is True
