"""The main job on the local cluster: preflight gate, deploy three models on three platforms, idempotence, check
mode, upgrade of one release, uninstall of one model; bad input fails before any release exists; the token never
shows in any output. InferenceServices become Ready through KServe's real controller (no simulation)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))

from hf_server import BAD_TOKEN, GOOD_TOKEN, NO_GATED_TOKEN, FakeHub  # noqa: E402  pylint: disable=wrong-import-position

NAMESPACE = "llmops-e2e"
MODELS = [
    {"name": "tiny-xeon", "model_id": "Qwen/Qwen2.5-0.5B-Instruct", "platform": "xeon", "profile": "cpu-tiny",
     "deployment_mode": "Standard", "replicas": 1},
    {"name": "llama-gaudi", "model_id": "meta-llama/Llama-3.1-8B-Instruct", "platform": "gaudi",
     "deployment_mode": "Standard", "replicas": 1, "tensor_parallel_size": 1},
    {"name": "private-nvidia", "model_id": "llmops/private-model", "platform": "nvidia",
     "deployment_mode": "Standard", "replicas": 1, "tensor_parallel_size": 2},
]


@pytest.fixture(scope="module")
def hub():
    with FakeHub() as server:
        yield server


@pytest.fixture(scope="module")
def runtimes(playbooks, kserve_controller, kubectl_bin, kubeconfig):  # noqa: ARG001 (its webhooks validate the runtimes)
    """The runtime catalog registered, and the models' namespace absent (a clean start, and a clean end)."""
    def drop_namespace():
        subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig, "delete", "namespace", NAMESPACE, "--ignore-not-found",
                        "--timeout=120s"], capture_output=True, text=True, timeout=180, check=False)
    drop_namespace()
    rc, out, _changed = playbooks.run("playbooks/register_runtimes.yml")
    assert rc == 0, out[-4000:]
    yield
    drop_namespace()


def write_vars(tmp_path: Path, models, **extra) -> str:
    path = tmp_path / "models.yml"
    path.write_text(yaml.safe_dump({"llmops_models": models, "llmops_models_namespace": NAMESPACE, **extra}))
    return f"@{path}"


def releases(kubectl_bin, kubeconfig) -> dict[str, int]:
    """Helm releases in the namespace -> latest revision (from Helm's release Secrets)."""
    proc = subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig, "get", "secrets", "-n", NAMESPACE, "-l", "owner=helm",
                           "-o", "json"], capture_output=True, text=True, timeout=60, check=False)
    if proc.returncode != 0:
        return {}
    result: dict[str, int] = {}
    for item in json.loads(proc.stdout)["items"]:
        labels = item["metadata"]["labels"]
        result[labels["name"]] = max(result.get(labels["name"], 0), int(labels["version"]))
    return result


def env_for(hub, token: str | None = GOOD_TOKEN) -> dict:
    env = {"HF_ENDPOINT": hub.endpoint}
    if token:
        env["HF_TOKEN"] = token
    return env


def occupy_one_gpu_per_node(kubectl_bin, kubeconfig) -> str:
    """A pod holding 1 GPU on each H100 node: 7 free on each, 14 in total, so TP 8 fits nowhere."""
    ns = "llmops-e2e-gpu-hog"
    manifests = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}]
    for node in ("nvidia-h100-1", "nvidia-h100-2"):
        manifests.append({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"hog-{node}", "namespace": ns},
                          "spec": {"nodeName": node, "tolerations": [{"operator": "Exists"}],
                                   "containers": [{"name": "c", "image": "busybox",
                                                   "resources": {"requests": {"nvidia.com/gpu": "1"},
                                                                 "limits": {"nvidia.com/gpu": "1"}}}]}})
    proc = subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig, "apply", "-f", "-"],
                          input=yaml.safe_dump_all(manifests), capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return ns


BAD_INPUTS = {
    "unknown platform": ([dict(MODELS[0], platform="tpu")], GOOD_TOKEN, "platform='tpu' is unknown"),
    "two models with the same name": ([MODELS[0], dict(MODELS[1], name="tiny-xeon")], GOOD_TOKEN, "is used twice"),
    "missing token": ([MODELS[1]], None, "token"),
    "bad token": ([MODELS[1]], BAD_TOKEN, "Hugging Face token"),
    "gated model without access": ([MODELS[1]], NO_GATED_TOKEN, "meta-llama/Llama-3.1-8B-Instruct"),
    "TP-8 with no node holding 8 free GPUs": (
        [dict(MODELS[2], name="big-nvidia", model_id="meta-llama/Llama-3.1-8B-Instruct", tensor_parallel_size=8)],
        GOOD_TOKEN, "does not fit"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_fails_before_any_release(case, playbooks, runtimes, hub, tmp_path, kubectl_bin, kubeconfig):  # noqa: ARG001
    models, token, expected = BAD_INPUTS[case]
    hog = occupy_one_gpu_per_node(kubectl_bin, kubeconfig) if "TP-8" in case else None
    try:
        rc, out, _changed = playbooks.run("playbooks/deploy_models.yml", "-e", write_vars(tmp_path, models),
                                          env=env_for(hub, token))
    finally:
        if hog:
            subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig, "delete", "namespace", hog, "--wait=false"],
                           capture_output=True, timeout=60, check=False)
    assert rc != 0, out[-3000:]
    assert expected in out, out[-3000:]
    assert releases(kubectl_bin, kubeconfig) == {}, "a release exists although the input was bad"


def test_deploy_three_models_on_three_platforms(playbooks, runtimes, hub, tmp_path, kubectl_bin, kubeconfig, kube_json):  # noqa: ARG001
    rc, out, changed = playbooks.run("playbooks/deploy_models.yml", "-e", write_vars(tmp_path, MODELS), env=env_for(hub))
    assert rc == 0, out[-6000:]
    assert changed > 0
    assert set(releases(kubectl_bin, kubeconfig)) == {m["name"] for m in MODELS}
    isvcs = {i["metadata"]["name"]: i for i in kube_json("get", "inferenceservices", "-n", NAMESPACE)["items"]}
    for model in MODELS:
        isvc = isvcs[model["name"]]
        ready = [c for c in isvc["status"]["conditions"] if c["type"] == "Ready"]
        assert ready and ready[0]["status"] == "True", isvc["status"]
        assert isvc["status"]["url"]
        assert isvc["spec"]["predictor"]["model"]["runtime"] == f"llmops-vllm-{model['platform']}"
    # the summary table: one row per model, Ready, with its URL
    for model in MODELS:
        assert any(model["name"] in line and "Ready" in line and "http" in line for line in out.splitlines()), out[-3000:]
    # the token reached the Secret, through the API
    secret = kube_json("get", "secret", "hf-token", "-n", NAMESPACE)
    assert set(secret["data"]) == {"HF_TOKEN"}


def test_rerun_changes_nothing(playbooks, runtimes, hub, tmp_path):  # noqa: ARG001
    rc, out, changed = playbooks.run("playbooks/deploy_models.yml", "-e", write_vars(tmp_path, MODELS), env=env_for(hub))
    assert rc == 0, out[-4000:]
    assert changed == 0, out[-6000:]


def test_check_mode_creates_nothing(playbooks, runtimes, hub, tmp_path, kubectl_bin, kubeconfig):  # noqa: ARG001
    before = releases(kubectl_bin, kubeconfig)
    extra = dict(MODELS[0], name="tiny-extra")
    rc, out, changed = playbooks.run("playbooks/deploy_models.yml", "--check", "-e", write_vars(tmp_path, MODELS + [extra]),
                                     env=env_for(hub))
    assert rc == 0, out[-4000:]
    assert changed > 0, "check mode must predict the new release"
    assert releases(kubectl_bin, kubeconfig) == before


def test_changing_one_model_upgrades_only_its_release(playbooks, runtimes, hub, tmp_path, kubectl_bin, kubeconfig, kube_json):  # noqa: ARG001
    before = releases(kubectl_bin, kubeconfig)
    models = [dict(MODELS[0], replicas=2, max_replicas=2)] + MODELS[1:]
    rc, out, _changed = playbooks.run("playbooks/deploy_models.yml", "-e", write_vars(tmp_path, models), env=env_for(hub))
    assert rc == 0, out[-4000:]
    after = releases(kubectl_bin, kubeconfig)
    assert after["tiny-xeon"] == before["tiny-xeon"] + 1
    assert {k: v for k, v in after.items() if k != "tiny-xeon"} == {k: v for k, v in before.items() if k != "tiny-xeon"}
    isvc = kube_json("get", "inferenceservice", "tiny-xeon", "-n", NAMESPACE)
    assert isvc["spec"]["predictor"]["minReplicas"] == 2


def test_list_models(playbooks, runtimes):  # noqa: ARG001
    rc, out, changed = playbooks.run("playbooks/list_models.yml", "-e", f"llmops_models_namespace={NAMESPACE}")
    assert rc == 0, out[-3000:]
    assert changed == 0
    for model in MODELS:
        assert model["name"] in out


def test_uninstall_one_model(playbooks, runtimes, kubectl_bin, kubeconfig):  # noqa: ARG001
    rc, out, _changed = playbooks.run("playbooks/uninstall_models.yml", "-e", "llmops_model_name=llama-gaudi",
                                      "-e", f"llmops_models_namespace={NAMESPACE}")
    assert rc == 0, out[-3000:]
    assert set(releases(kubectl_bin, kubeconfig)) == {"tiny-xeon", "private-nvidia"}


def test_uninstall_the_rest(playbooks, runtimes, tmp_path, kubectl_bin, kubeconfig):  # noqa: ARG001
    rc, out, _changed = playbooks.run("playbooks/uninstall_models.yml", "-e", write_vars(tmp_path, MODELS))
    assert rc == 0, out[-3000:]
    assert releases(kubectl_bin, kubeconfig) == {}


def test_token_never_in_any_output(playbooks):
    assert playbooks.outputs, "no playbook ran"
    for output in playbooks.outputs:
        for token in (GOOD_TOKEN, BAD_TOKEN, NO_GATED_TOKEN):
            assert token not in output
