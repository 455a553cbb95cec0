# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of llmops.kserve.accelerator_capacity_info. Targets: <= 5 s and <= 500 MiB.

    python bench/capacity_bench.py                      # (a) pure computation, 5,000 nodes / 100,000 pods
    python bench/capacity_bench.py --cluster KUBECONFIG # (b) also the local cluster, 1,000 nodes / 10,000 pods

(a) generates nodes and pods in memory (Xeon, Gaudi, H100 and MIG nodes; pods with several containers,
    init containers, sidecars and overhead), then times compute_capacity + place (a set of requests,
    tensor parallel included) + node report + totals, exactly what the module runs after reading.
(b) creates 1,000 kwok nodes and 10,000 pods bound to them with nodeName in namespace llmops-bench
    (server-side, in parallel threads), then times, in a fresh process, what the module does: one
    paged list of nodes, one of pods, DRA check, and the computation through kubernetes.core's client;
    and the whole ``ansible localhost -m llmops.kserve.accelerator_capacity_info`` run. Everything it
    created is deleted at the end (also on failure).

Time is wall-clock; memory is the peak RSS of the measuring process (VmHWM), so it includes the
interpreter, the libraries and, for (a), the generated input itself; for the whole ansible run it is
the largest ru_maxrss among the ansible processes (controller, worker, module); (a) also reports the peak of what
the computation allocates (tracemalloc, in a second, untimed pass). Ratios are measured / target
(below 1.0 meets the target).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, "build", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "llmops", "kserve")
if not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(os.path.relpath(ROOT, os.path.dirname(LINK)), LINK)
sys.path.insert(0, COLLECTIONS)

from ansible_collections.llmops.kserve.plugins.module_utils import capacity as cap  # noqa: E402

TARGET_SECONDS = 5.0
TARGET_MIB = 500.0
GPU = "nvidia.com/gpu"
GAUDI = "habana.ai/gaudi"
BENCH_NS = "llmops-bench"
BENCH_LABEL = "llmops.kserve/bench"
GPU_TOLERATION = {"key": GPU, "operator": "Exists", "effect": "NoSchedule"}
REQUESTS = [
    {"name": "llama-405b-fp8", "resource": GPU, "tensor_parallel": 8, "replicas": 4, "tolerations": [GPU_TOLERATION]},
    {"name": "llama-70b", "resource": GPU, "count": 4, "replicas": 20, "tolerations": [GPU_TOLERATION]},
    {"name": "qwen-gaudi", "resource": GAUDI, "count": 2, "replicas": 20,
     "resources": {"cpu": "16", "memory": "64Gi", "hugepages-2Mi": "8Gi"}},
    {"name": "mig-small", "resource": "nvidia.com/mig-1g.10gb", "count": 1, "replicas": 30,
     "tolerations": [GPU_TOLERATION]},
    {"name": "xeon-tiny", "resource": "cpu", "count": "16", "replicas": 50, "resources": {"memory": "64Gi"},
     "node_selector": {"feature.node.kubernetes.io/cpu-cpuid.AMXBF16": "true"}},
]


def peak_rss_mib():
    """Peak RSS of this process: VmHWM (per address space, so a fresh exec does not inherit the
    parent's peak the way ru_maxrss does), else ru_maxrss."""
    try:
        with open("/proc/self/status", "r", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def current_rss_mib():
    with open("/proc/self/statm", "r", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2.0 ** 20


# ----------------------------------------------------------------------------------------------
# generated data
# ----------------------------------------------------------------------------------------------
def node_kinds(count):
    """Mix of platforms: 25% H100, 15% Gaudi (2 and 3), 5% MIG, rest Xeon; 1% cordoned, 1% NotReady."""
    for index in range(count):
        bucket = index % 100
        if bucket < 25:
            kind = "nvidia"
        elif bucket < 40:
            kind = "gaudi"
        elif bucket < 45:
            kind = "mig"
        else:
            kind = "xeon"
        yield index, kind


def make_node(name, kind, index, kwok=False):
    labels = {"kubernetes.io/hostname": name, BENCH_LABEL: "true"}
    taints = []
    if kind == "nvidia":
        allocatable = {"cpu": "192", "memory": "2Ti", "pods": "110", GPU: "8"}
        labels["nvidia.com/gpu.present"] = "true"
        taints.append({"key": GPU, "value": "present", "effect": "NoSchedule"})
    elif kind == "gaudi":
        allocatable = {"cpu": "152", "memory": "1Ti", "pods": "110", GAUDI: "8", "hugepages-2Mi": "64Gi"}
        labels["habana.ai/gaudi.present"] = "true"
    elif kind == "mig":
        allocatable = {"cpu": "128", "memory": "1Ti", "pods": "110", "nvidia.com/mig-1g.10gb": "14",
                       "nvidia.com/mig-3g.40gb": "2"}
        taints.append({"key": GPU, "value": "present", "effect": "NoSchedule"})
    else:
        allocatable = {"cpu": "96", "memory": "384Gi", "pods": "110"}
        labels["feature.node.kubernetes.io/cpu-cpuid.AMXBF16"] = "true"
    node = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": labels},
            "spec": {"taints": taints, "unschedulable": index % 100 == 99},
            "status": {"allocatable": allocatable, "capacity": dict(allocatable),
                       "conditions": [{"type": "Ready", "status": "False" if index % 100 == 98 else "True",
                                       "reason": "KubeletReady"}]}}
    if kwok:
        node["metadata"]["annotations"] = {"kwok.x-k8s.io/node": "fake"}
        del node["status"]["conditions"]  # kwok owns the conditions of its nodes
    return node


def device_pods(kind, node_index):
    """How many pods of a node hold devices: leaves some room, and every 4th accelerator node idle."""
    if node_index % 4 == 0:
        return 0
    return {"nvidia": 6, "gaudi": 5, "mig": 10}.get(kind, 0)


def make_pod(name, node_name, kind, rng, phase="Running", with_device=True):
    cpu = rng.choice(("100m", "250m", "500m", "1", "2", "4"))
    mem = rng.choice(("128Mi", "256Mi", "1Gi", "2Gi", "4Gi"))
    main = {"name": "main", "image": "registry.invalid/fake:1",
            "resources": {"requests": {"cpu": cpu, "memory": mem}, "limits": {"memory": mem}}}
    if not with_device:
        pass
    elif kind == "nvidia":
        main["resources"]["limits"][GPU] = "1"
    elif kind == "gaudi":
        main["resources"]["limits"][GAUDI] = "1"
        main["resources"]["limits"]["hugepages-2Mi"] = "2Gi"
        main["resources"]["requests"]["hugepages-2Mi"] = "2Gi"
    elif kind == "mig":
        main["resources"]["limits"]["nvidia.com/mig-1g.10gb"] = "1"
    spec = {"nodeName": node_name, "containers": [main], "tolerations": [GPU_TOLERATION]}
    roll = rng.random()
    if roll < 0.3:
        spec["containers"].append({"name": "proxy", "image": "registry.invalid/fake:1",
                                   "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}}})
    if roll < 0.2:
        spec["initContainers"] = [
            {"name": "sidecar", "image": "registry.invalid/fake:1", "restartPolicy": "Always",
             "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}},
            {"name": "storage-initializer", "image": "registry.invalid/fake:1",
             "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}},
        ]
    if roll > 0.95:
        spec["overhead"] = {"cpu": "250m", "memory": "120Mi"}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": BENCH_NS},
            "spec": spec, "status": {"phase": phase}}


def generate(nodes, pods, seed=7):
    rng = random.Random(seed)
    node_list = []
    kinds = []
    for index, kind in node_kinds(nodes):
        node_list.append(make_node("bench-node-%05d" % index, kind, index))
        kinds.append(kind)
    pod_list = []
    for index in range(pods):
        target = index % nodes
        phase = "Succeeded" if index % 50 == 0 else "Running"
        slot = index // nodes
        pod_list.append(make_pod("bench-pod-%06d" % index, node_list[target]["metadata"]["name"], kinds[target], rng,
                                 phase, with_device=slot < device_pods(kinds[target], target)))
    return node_list, pod_list


# ----------------------------------------------------------------------------------------------
# (a) pure computation
# ----------------------------------------------------------------------------------------------
def compute_all(nodes, pods):
    capacity = cap.compute_capacity(nodes, pods)
    plan = cap.place(capacity, cap.normalize_requests(REQUESTS))
    report = cap.node_report(capacity)
    tot = cap.totals(capacity)
    return capacity, plan, report, tot


def bench_pure(nodes, pods):
    t0 = time.perf_counter()
    node_list, pod_list = generate(nodes, pods)
    gen_s = time.perf_counter() - t0
    gc.collect()
    rss_input = current_rss_mib()
    t0 = time.perf_counter()
    capacity, plan, report, _tot = compute_all(node_list, pod_list)
    elapsed = time.perf_counter() - t0
    peak = peak_rss_mib()
    pods_counted, report_nodes = capacity["pods_counted"], len(report)
    del capacity, report, _tot
    gc.collect()
    # Second pass under tracemalloc: what the computation itself allocates at its peak (not timed).
    tracemalloc.start()
    compute_all(node_list, pod_list)
    traced_peak = tracemalloc.get_traced_memory()[1] / 2.0 ** 20
    tracemalloc.stop()
    return {
        "nodes": nodes, "pods": pods, "generate_s": round(gen_s, 2), "seconds": round(elapsed, 3),
        "peak_rss_mib": round(peak, 1), "rss_with_input_mib": round(rss_input, 1),
        "computation_traced_peak_mib": round(traced_peak, 1),
        "pods_counted": pods_counted, "fits": plan["fits"],
        "placed": dict((r["name"], "%d/%d" % (len(r["placements"]), r["replicas"])) for r in plan["requests"]),
        "report_nodes": report_nodes,
    }


# ----------------------------------------------------------------------------------------------
# (b) local cluster
# ----------------------------------------------------------------------------------------------
_NODE_API = []


def node_api():
    return _NODE_API[0]


def _api(kubeconfig):
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel
    api_client = config.new_client_from_config(config_file=kubeconfig)
    api_client.rest_client.pool_manager.connection_pool_kw["maxsize"] = 32
    _NODE_API.append(client.NodeV1Api(api_client))
    return client.CoreV1Api(api_client)


def _parallel(func, items, workers=16):
    errors = []

    def call(item):
        try:
            func(item)
        except Exception as exc:  # pylint: disable=broad-except
            if getattr(exc, "status", None) != 409:  # already exists: fine on a re-run
                errors.append(exc)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(call, items))
    if errors:
        raise RuntimeError("%d create calls failed, first: %s" % (len(errors), errors[0]))


def setup_cluster(core, nodes, pods):
    rng = random.Random(11)
    deadline = time.time() + 600
    while time.time() < deadline:  # a previous run's namespace may still be terminating
        try:
            if core.read_namespace(BENCH_NS).status.phase != "Terminating":
                break
        except Exception as exc:  # pylint: disable=broad-except
            if getattr(exc, "status", None) == 404:
                break
            raise
        time.sleep(5)
    t0 = time.perf_counter()
    try:
        core.create_namespace({"metadata": {"name": BENCH_NS, "labels": {BENCH_LABEL: "true"}}})
    except Exception as exc:  # pylint: disable=broad-except
        if getattr(exc, "status", None) != 409:
            raise
    try:
        node_api().create_runtime_class({"metadata": {"name": BENCH_NS, "labels": {BENCH_LABEL: "true"}},
                                         "handler": "runc",
                                         "overhead": {"podFixed": {"cpu": "250m", "memory": "120Mi"}}})
    except Exception as exc:  # pylint: disable=broad-except
        if getattr(exc, "status", None) != 409:
            raise
    node_objs = [make_node("bench-kwok-%04d" % i, kind, i, kwok=True) for i, kind in node_kinds(nodes)]
    _parallel(lambda n: core.create_node(n, _preload_content=False), node_objs)
    t_nodes = time.perf_counter() - t0
    kinds = [n["metadata"]["name"] for n in node_objs]
    kind_of = dict((n["metadata"]["name"], k) for n, (_i, k) in zip(node_objs, node_kinds(nodes)))
    pod_objs = []
    for index in range(pods):
        node_name = kinds[index % nodes]
        with_device = index // nodes < device_pods(kind_of[node_name], index % nodes)
        body = make_pod("bench-pod-%05d" % index, node_name, kind_of[node_name], rng, with_device=with_device)
        del body["status"]
        if body["spec"].pop("overhead", None):
            body["spec"]["runtimeClassName"] = BENCH_NS  # the API server sets the overhead from it
        pod_objs.append(body)
    t1 = time.perf_counter()
    _parallel(lambda p: core.create_namespaced_pod(BENCH_NS, p, _preload_content=False), pod_objs)
    del pod_objs[:]
    print("    created %d nodes in %.1f s and %d pods in %.1f s" % (nodes, t_nodes, pods, time.perf_counter() - t1),
          flush=True)
    return {"create_nodes_s": round(t_nodes, 1), "create_pods_s": round(time.perf_counter() - t1, 1)}


def cleanup_cluster(core):
    t0 = time.perf_counter()
    try:
        core.delete_collection_namespaced_pod(BENCH_NS, grace_period_seconds=0, _preload_content=False)
    except Exception:  # pylint: disable=broad-except
        pass
    try:
        core.delete_namespace(BENCH_NS, _preload_content=False)
    except Exception:  # pylint: disable=broad-except
        pass
    try:
        core.delete_collection_node(label_selector=BENCH_LABEL + "=true", _preload_content=False)
    except Exception:  # pylint: disable=broad-except
        pass
    try:
        node_api().delete_runtime_class(BENCH_NS, _preload_content=False)
    except Exception:  # pylint: disable=broad-except
        pass
    return round(time.perf_counter() - t0, 1)


def measure_cluster(kubeconfig, page_size):
    """Run in a fresh process: what the module does after argument parsing, through kubernetes.core."""
    # pylint: disable=import-outside-toplevel
    from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
    from ansible_collections.llmops.kserve.plugins.module_utils.cluster import read_capacity
    t0 = time.perf_counter()
    client = get_api_client(kubeconfig=kubeconfig)
    capacity = read_capacity(client, page_size=page_size)
    t_read = time.perf_counter() - t0
    plan = cap.place(capacity, cap.normalize_requests(REQUESTS))
    report = cap.node_report(capacity)
    cap.totals(capacity)
    elapsed = time.perf_counter() - t0
    return {"seconds": round(elapsed, 3), "read_and_aggregate_s": round(t_read, 3),
            "peak_rss_mib": round(peak_rss_mib(), 1), "nodes": len(report), "pods_counted": capacity["pods_counted"],
            "fits": plan["fits"]}


def run_module(kubeconfig):
    """The whole `ansible localhost -m` run (controller + module process)."""
    env = dict(os.environ, K8S_AUTH_KUBECONFIG=kubeconfig, ANSIBLE_CALLBACK_RESULT_FORMAT="json")
    args = {"requests": REQUESTS, "report_nodes": "accelerators"}
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible"), "localhost", "-m",
           "llmops.kserve.accelerator_capacity_info", "-a", json.dumps(args)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    marker = "localhost | SUCCESS => "
    index = proc.stdout.find(marker)
    if index < 0:
        raise RuntimeError("module run failed:\n%s\n%s" % (proc.stdout[-3000:], proc.stderr[-3000:]))
    result = json.JSONDecoder().raw_decode(proc.stdout[index + len(marker):])[0]
    return {"seconds": round(elapsed, 3), "peak_rss_mib_largest_child": round(peak / 1024.0, 1),
            "pods_counted": result["pods_counted"], "fits": result["fits"]}


def wait_for_pods(core, pods, timeout=600):
    """Until every bench pod is Running (kwok sets them Running); counts them page by page."""
    deadline = time.time() + timeout
    running = 0
    while time.time() < deadline:
        running = 0
        token = None
        while True:
            kwargs = {"field_selector": "status.phase=Running", "limit": 5000, "_preload_content": False}
            if token:
                kwargs["_continue"] = token
            body = json.loads(core.list_namespaced_pod(BENCH_NS, **kwargs).data)
            running += len(body.get("items") or ())
            token = (body.get("metadata") or {}).get("continue")
            if not token:
                break
        if running >= pods:
            return running
        time.sleep(5)
    return running


def ratio_line(label, seconds, mib):
    return "%-58s time %7.3f s (ratio %.3f)   memory %7.1f MiB (ratio %.3f)" % (
        label, seconds, seconds / TARGET_SECONDS, mib, mib / TARGET_MIB)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--pods", type=int, default=100000)
    parser.add_argument("--cluster", metavar="KUBECONFIG", help="also run (b) against this cluster")
    parser.add_argument("--cluster-nodes", type=int, default=1000)
    parser.add_argument("--cluster-pods", type=int, default=10000)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="(b) do not delete the bench nodes and pods")
    parser.add_argument("--measure-cluster", metavar="KUBECONFIG", help=argparse.SUPPRESS)
    parser.add_argument("--pure-only-json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--run-module", metavar="KUBECONFIG", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.measure_cluster:
        sys.stdout.write(json.dumps(measure_cluster(args.measure_cluster, args.page_size)) + "\n")
        return 0
    if args.run_module:
        sys.stdout.write(json.dumps(run_module(args.run_module)) + "\n")
        return 0
    if args.pure_only_json:
        sys.stdout.write(json.dumps(bench_pure(args.nodes, args.pods)) + "\n")
        return 0

    # (a) in a fresh process so that its peak RSS is its own
    proc = subprocess.run([sys.executable, __file__, "--pure-only-json", "--nodes", str(args.nodes),
                           "--pods", str(args.pods)], capture_output=True, text=True, timeout=600, check=True)
    pure = json.loads(proc.stdout.strip().splitlines()[-1])
    print("(a) pure computation: %d nodes, %d pods (generated in %.1f s; pods counted %d; placed %s)" % (
        pure["nodes"], pure["pods"], pure["generate_s"], pure["pods_counted"], pure["placed"]))
    print(ratio_line("    compute+place+report, peak RSS incl. generated input", pure["seconds"],
                     pure["peak_rss_mib"]))
    print(ratio_line("    compute+place+report, its own allocations (tracemalloc)", pure["seconds"],
                     pure["computation_traced_peak_mib"]))

    if not args.cluster:
        return 0
    core = _api(args.cluster)
    try:
        print("(b) local cluster: creating %d kwok nodes and %d pods in %s ..." % (
            args.cluster_nodes, args.cluster_pods, BENCH_NS), flush=True)
        created = setup_cluster(core, args.cluster_nodes, args.cluster_pods)
        running = wait_for_pods(core, args.cluster_pods)
        print("    created nodes in %.1f s, pods in %.1f s; %d pods Running" % (
            created["create_nodes_s"], created["create_pods_s"], running), flush=True)
        proc = subprocess.run([sys.executable, __file__, "--measure-cluster", args.cluster, "--page-size",
                               str(args.page_size)], capture_output=True, text=True, timeout=600, check=False)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-3000:])
        measured = json.loads(proc.stdout.strip().splitlines()[-1])
        print("    read (one paged list of nodes and of pods, DRA check) + compute: %d nodes, %d pods counted" % (
            measured["nodes"], measured["pods_counted"]))
        print(ratio_line("    module logic via kubernetes.core client (fresh process)", measured["seconds"],
                         measured["peak_rss_mib"]))
        # from a small fresh process: a child's ru_maxrss starts at its parent's RSS at fork time
        proc = subprocess.run([sys.executable, __file__, "--run-module", args.cluster], capture_output=True, text=True,
                              timeout=900, check=False)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-3000:])
        module = json.loads(proc.stdout.strip().splitlines()[-1])
        print(ratio_line("    whole `ansible localhost -m` run (largest process)", module["seconds"],
                         module["peak_rss_mib_largest_child"]))
    finally:
        if not args.keep:
            print("    cleanup took %.1f s" % cleanup_cluster(core))
    return 0


if __name__ == "__main__":
    sys.exit(main())
