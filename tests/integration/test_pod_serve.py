# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hack/pod_serve.py against the local cluster's API server and the real vLLM CPU build (serving venv).

The Pod is built from what our charts render for the cpu-tiny profile on the llmops-vllm-xeon runtime, merged
the way KServe v0.20 merges a runtime and an InferenceService (runtime args + isvc args, `{{.Name}}` filled, the
model volume `kserve-provision-location` mounted at /mnt/models). It is bound to a node kwok does not manage
(`host-runner-*`, no `kwok.x-k8s.io/node` annotation; this test keeps its Ready heartbeat), so only the runner
writes its status. The model volume is filled with the tiny generated Llama (hack/tiny_model.py) before the
runner starts: that stands for the storage initializer (run for real from the Pod spec by hack/pod_runner.py,
tested in tests/e2e/test_gated_download.py). Proven here: vLLM starts from that argument list, the Pod's own
startup/readiness probes pass against its own loopback port, the runner writes Ready to the API server, and a chat
completion returns tokens; a flag vLLM does not know ends the Pod in Failed with vLLM's message; an image without
a host program fails with UnmappedImage.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

import harness

ROOT = harness.ROOT
sys.path.insert(0, str(ROOT / "hack"))
sys.path.insert(0, str(ROOT / "tests" / "unit"))
import pod_runner  # noqa: E402  pylint: disable=wrong-import-position
import pod_serve  # noqa: E402  pylint: disable=wrong-import-position
from test_vllm_args import isvc, kserve_container, runtime_containers  # noqa: E402  pylint: disable=wrong-import-position

NODE = "host-runner-0"


@pytest.fixture(scope="module")
def api(kubeconfig):
    return pod_runner.core_api(kubeconfig)


@pytest.fixture(scope="module")
def node(api):
    """host-runner-0: a node kwok does not manage, kept Ready by a heartbeat while the tests run."""
    from kubernetes.client.rest import ApiException
    body = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": NODE, "labels": {
        "kubernetes.io/hostname": NODE, "kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux",
        "feature.node.kubernetes.io/cpu-model.vendor_id": "Intel", "llmops.kserve/host-runner": "true"}}}
    created = False
    try:
        api.create_node(body)
        created = True
    except ApiException as exc:
        if exc.status != 409:
            raise
    stop = threading.Event()

    def beat():
        while not stop.is_set():
            ts = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            api.patch_node_status(NODE, {"status": {
                "capacity": {"cpu": "2", "memory": "16Gi", "pods": "10"},
                "allocatable": {"cpu": "2", "memory": "16Gi", "pods": "10"},
                "conditions": [{"type": "Ready", "status": "True", "reason": "HostRunner", "lastHeartbeatTime": ts,
                                "lastTransitionTime": ts, "message": "hack/pod_serve.py test heartbeat"}]}})
            stop.wait(10)

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    yield NODE
    stop.set()
    thread.join(timeout=15)
    if created:
        api.delete_node(NODE)


@pytest.fixture()
def namespace(api):
    name = f"pod-serve-{uuid.uuid4().hex[:6]}"
    api.create_namespace({"metadata": {"name": name}})
    yield name
    api.delete_namespace(name)


@pytest.fixture(scope="module")
def tiny_model() -> Path:
    return harness.tiny_model()


def predictor_pod(namespace: str, node: str, extra_args=(), image=None) -> dict:
    """The predictor Pod of the cpu-tiny model on llmops-vllm-xeon, as KServe v0.20 would build it."""
    runtime = runtime_containers()["llmops-vllm-xeon"]
    doc = isvc("cpu-tiny", "Standard")
    model = doc["spec"]["predictor"]["model"]
    merged = kserve_container(runtime, {**model, "args": list(model["args"]) + list(extra_args)}, doc["metadata"]["name"])
    container = {
        "name": "kserve-container",
        "image": image or runtime["image"],
        "command": merged["command"],
        "args": merged["args"],
        "env": [{"name": k, "value": v} for k, v in merged["env"].items() if v != "<valueFrom>"],
        "ports": runtime["ports"],
        "startupProbe": runtime["startupProbe"],
        "readinessProbe": runtime["readinessProbe"],
        "volumeMounts": [*runtime.get("volumeMounts", []),
                         {"name": "kserve-provision-location", "mountPath": "/mnt/models", "readOnly": True}],
    }
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"{doc['metadata']['name']}-predictor-0", "namespace": namespace},
            "spec": {"nodeName": node, "containers": [container],
                     "volumes": [{"name": "devshm", "emptyDir": {"medium": "Memory"}},
                                 {"name": "kserve-provision-location", "emptyDir": {}}]}}


def start(api, tmp_path, pod: dict, model: Path | None) -> pod_serve.PodServer:
    created = json.loads(api.create_namespaced_pod(pod["metadata"]["namespace"], pod, _preload_content=False).data)
    runner = pod_runner.PodRunner(created, api=api, work_dir=tmp_path / "runner")
    if model is not None:
        target = runner.volume_dir("kserve-provision-location")
        shutil.copytree(model, target, dirs_exist_ok=True)
    return pod_serve.PodServer(runner)


def pod_status(api, pod: dict) -> dict:
    return json.loads(api.read_namespaced_pod(pod["metadata"]["name"], pod["metadata"]["namespace"],
                                              _preload_content=False).data)["status"]


def test_vllm_serves_a_chat_completion_from_the_rendered_pod(api, node, namespace, tiny_model, tmp_path):
    pod = predictor_pod(namespace, node)
    server = start(api, tmp_path, pod, tiny_model)
    try:
        assert server.start(), server.message
        argv = server.statuses["kserve-container"]["argv"]
        assert argv[1:3] == ["-m", "vllm.entrypoints.openai.api_server"]
        assert "--host=127.0.0.1" in argv and "--max-num-batched-tokens=8192" in argv
        assert server.wait_ready(timeout=600), server.message
        status = pod_status(api, pod)
        assert status["phase"] == "Running"
        assert {c["type"]: c["status"] for c in status["conditions"]}["Ready"] == "True"
        assert status["containerStatuses"][0]["ready"] is True
        port = server.ports["kserve-container"][8080]
        name = pod["spec"]["containers"][0]["args"]
        served = [a.split("=", 1)[1] for a in name if a.startswith("--served-model-name=")][-1]
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/chat/completions", method="POST",
            headers={"Content-Type": "application/json"},
            data=json.dumps({"model": served, "messages": [{"role": "user", "content": "Hello"}],
                             "max_tokens": 8}).encode())
        with urllib.request.urlopen(request, timeout=120) as resp:
            body = json.loads(resp.read())
        assert resp.status == 200
        assert body["usage"]["completion_tokens"] > 0 and body["choices"][0]["message"]["content"]
    finally:
        server.stop()
    assert all(p.poll() is not None for p in server.procs.values())


def test_unknown_flag_fails_the_pod_with_vllms_message(api, node, namespace, tiny_model, tmp_path):
    pod = predictor_pod(namespace, node, extra_args=["--no-such-flag=1"])
    server = start(api, tmp_path, pod, tiny_model)
    try:
        assert server.start()
        assert not server.wait_ready(timeout=300)
    finally:
        server.stop()
    status = pod_status(api, pod)
    assert status["phase"] == "Failed"
    terminated = status["containerStatuses"][0]["state"]["terminated"]
    assert terminated["exitCode"] != 0
    assert "unrecognized arguments: --no-such-flag=1" in terminated["message"]
    assert "unrecognized arguments: --no-such-flag=1" in status["message"]


def test_image_without_host_program_fails_with_unmapped_image(api, node, namespace, tmp_path):
    pod = predictor_pod(namespace, node, image="docker.io/vllm/vllm-openai:v0.32.0")  # the CUDA image
    server = start(api, tmp_path, pod, None)
    assert not server.start()
    status = pod_status(api, pod)
    assert status["phase"] == "Failed" and status["reason"] == "UnmappedImage"
    assert status["containerStatuses"][0]["state"]["waiting"]["reason"] == "UnmappedImage"
    assert not server.procs


def test_rewrite_listen_maps_the_port_and_binds_loopback():
    argv = ["py", "-m", "x", "--port=8080", "--host", "0.0.0.0", "--model=/m", "--port", "8080"]
    out = pod_serve.rewrite_listen(argv, 3, {"port_flag": "--port", "host_flag": "--host"}, {8080: 41234})
    assert out == ["py", "-m", "x", "--port=41234", "--model=/m", "--port", "41234", "--host=127.0.0.1"]
    assert yaml  # the image table is YAML (pod_serve reads its `listen` field)


def test_host_agent_registers_its_node_and_serves_the_pods_scheduled_there(api, namespace, kubeconfig, tmp_path):
    """The agent (CLI) registers a node kwok leaves alone; the scheduler binds a Pod to it by nodeSelector; the
    agent writes the Pod's status (here: an image without a host program -> Failed, UnmappedImage) and completes
    a deletion as a kubelet would (the Pod disappears)."""
    agent_node = f"host-runner-t{uuid.uuid4().hex[:4]}"
    proc = subprocess.Popen([sys.executable, str(ROOT / "hack" / "pod_serve.py"), "agent", "--node", agent_node,
                             "--kubeconfig", kubeconfig, "--work-dir", str(tmp_path / "agent")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            nodes = {n.metadata.name: n for n in api.list_node().items}
            if agent_node in nodes and any(c.type == "Ready" and c.status == "True"
                                           for c in nodes[agent_node].status.conditions or []):
                break
            assert time.monotonic() < deadline, "agent did not register a Ready node"
            time.sleep(1)
        assert "kwok.x-k8s.io/node" not in (nodes[agent_node].metadata.annotations or {})
        assert nodes[agent_node].metadata.labels["llmops.kserve/host-runner"] == "true"
        pod = predictor_pod(namespace, None, image="docker.io/vllm/vllm-openai:v0.32.0")
        del pod["spec"]["nodeName"]
        pod["spec"]["nodeSelector"] = {"kubernetes.io/hostname": agent_node}
        api.create_namespaced_pod(namespace, pod)
        deadline = time.monotonic() + 120
        while True:
            status = pod_status(api, pod)
            if status.get("phase") == "Failed":
                break
            assert time.monotonic() < deadline, status
            time.sleep(1)
        assert status["reason"] == "UnmappedImage"
        got = json.loads(api.read_namespaced_pod(pod["metadata"]["name"], namespace, _preload_content=False).data)
        assert got["spec"]["nodeName"] == agent_node  # bound by the scheduler, not by the test
        api.delete_namespaced_pod(pod["metadata"]["name"], namespace)
        deadline = time.monotonic() + 60
        while any(p.metadata.name == pod["metadata"]["name"] for p in api.list_namespaced_pod(namespace).items):
            assert time.monotonic() < deadline, "the agent did not complete the Pod's deletion"
            time.sleep(1)
    finally:
        harness.stop_process(proc)
        api.delete_node(agent_node)
