"""The main job on the local cluster: preflight gate, deploy three models on three platforms, idempotence, check
mode, upgrade of one release, uninstall of one model; bad input fails before any release exists; the token is the
hf-token Secret's value and shows in no playbook output (every playbook runs at -vvv), Kubernetes event or Helm release.

KServe's real controller and webhooks default, validate and reconcile the InferenceServices into Deployments; the
pods' readiness is simulated: kwok marks them Running/Ready without running any container (no image is pulled, no
weights are downloaded, no request is served). The Hugging Face Hub is the local stand-in tests/integration/hf_server.py."""
from __future__ import annotations

import base64
import gzip
import json
import re
import subprocess

import pytest
import yaml

import harness
from hf_server import BAD_TOKEN, GOOD_TOKEN, NO_GATED_TOKEN

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
def runtimes(playbooks, kserve_controller, kubectl_bin, kubeconfig):  # noqa: ARG001 (its webhooks validate the runtimes)
    """The runtime catalog registered, and the models' namespace absent (a clean start, and a clean end)."""
    harness.delete_namespace(kubectl_bin, kubeconfig, NAMESPACE)
    playbooks.register_runtimes()
    yield
    harness.delete_namespace(kubectl_bin, kubeconfig, NAMESPACE)


def write_vars(tmp_path, models, **extra) -> str:
    return harness.write_vars(tmp_path, models, NAMESPACE, **extra)


def releases(kubectl_bin, kubeconfig) -> dict[str, int]:
    return harness.helm_releases(kubectl_bin, kubeconfig, NAMESPACE)


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
    # the token reached the Secret, through the API, and the Secret's value IS the token
    secret = kube_json("get", "secret", "hf-token", "-n", NAMESPACE)
    assert set(secret["data"]) == {"HF_TOKEN"}
    assert base64.b64decode(secret["data"]["HF_TOKEN"]).decode() == GOOD_TOKEN


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


TOKENS = (GOOD_TOKEN, BAD_TOKEN, NO_GATED_TOKEN)


def _token_forms(token: str) -> tuple[str, ...]:
    """The token as text and as a Secret's data field carries it (base64)."""
    return (token, base64.b64encode(token.encode()).decode())


def helm_release_documents(kubectl_bin, kubeconfig) -> dict[str, str]:
    """Every Helm release Secret of the cluster (sh.helm.release.v1.*), decoded: base64 -> base64 -> gzip -> JSON."""
    proc = subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig, "get", "secrets", "--all-namespaces", "-l", "owner=helm",
                           "-o", "json"], capture_output=True, text=True, timeout=120, check=True)
    releases_found = {}
    for item in json.loads(proc.stdout)["items"]:
        meta = item["metadata"]
        assert meta["name"].startswith("sh.helm.release.v1."), meta["name"]
        raw = base64.b64decode(base64.b64decode(item["data"]["release"]))
        document = json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
        releases_found[f"{meta['namespace']}/{meta['name']}"] = json.dumps(document)
    return releases_found


def all_events(kubectl_bin, kubeconfig) -> str:
    proc = subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig, "get", "events", "--all-namespaces", "-o", "json"],
                          capture_output=True, text=True, timeout=120, check=True)
    return proc.stdout


def test_token_only_in_its_secret(playbooks, runtimes, kubectl_bin, kubeconfig, kube_json):  # noqa: ARG001
    """While the models are deployed: the token is the hf-token Secret's value, and nowhere in any Helm release
    (chart values, manifests, hooks; every revision, every namespace) nor in any Kubernetes event."""
    secret = kube_json("get", "secret", "hf-token", "-n", NAMESPACE)
    assert base64.b64decode(secret["data"]["HF_TOKEN"]).decode() == GOOD_TOKEN
    documents = helm_release_documents(kubectl_bin, kubeconfig)
    # the decoding works: the model releases are there, with the Secret named in their values and manifests
    models = [name for name in documents if name.startswith(f"{NAMESPACE}/sh.helm.release.v1.")]
    assert len(models) >= len(MODELS), sorted(documents)
    assert all('"secretName": "hf-token"' in documents[name] for name in models)
    assert any("kind: InferenceService" in documents[name] for name in models)
    events = all_events(kubectl_bin, kubeconfig)
    for token in TOKENS:
        for form in _token_forms(token):
            leaked = [name for name, text in documents.items() if form in text]
            assert not leaked, f"a token is in the Helm release(s) {leaked}"
            assert form not in events, "a token is in a Kubernetes event"


def test_uninstall_one_model(playbooks, runtimes, kubectl_bin, kubeconfig):  # noqa: ARG001
    rc, out, _changed = playbooks.run("playbooks/uninstall_models.yml", "-e", "llmops_model_name=llama-gaudi",
                                      "-e", f"llmops_models_namespace={NAMESPACE}")
    assert rc == 0, out[-3000:]
    assert set(releases(kubectl_bin, kubeconfig)) == {"tiny-xeon", "private-nvidia"}


def test_uninstall_the_rest(playbooks, runtimes, tmp_path, kubectl_bin, kubeconfig):  # noqa: ARG001
    rc, out, _changed = playbooks.run("playbooks/uninstall_models.yml", "-e", write_vars(tmp_path, MODELS))
    assert rc == 0, out[-3000:]
    assert releases(kubectl_bin, kubeconfig) == {}


def test_token_never_in_any_output(playbooks, kubectl_bin, kubeconfig):
    """Every playbook of this session ran at -vvv (tests/e2e/conftest.py), where each task prints its arguments and
    results: none printed a token, nor did any Kubernetes event or remaining Helm release."""
    assert playbooks.outputs, "no playbook ran"
    if playbooks.verbosity < 3:
        # Not a missing tool: someone chose LLMOPS_E2E_VERBOSITY < 3 for the session (default 3), and at that
        # verbosity successful tasks print no arguments or results, so there is nothing to grep.
        pytest.skip(f"the playbooks ran at verbosity {playbooks.verbosity} (LLMOPS_E2E_VERBOSITY): a grep proves little")
    # the outputs are verbose: module results of successful tasks are in them (what default verbosity hides)
    # (ansible.cfg prints results as YAML: "invocation:" / "module_args:" under each ok task)
    ran_modules = [o for o in playbooks.outputs if "AnsiballZ_" in o]
    assert ran_modules, "no playbook output shows a module run: they are not verbose"
    assert all("> EXEC /bin/sh" in o and re.search(r"^\s+module_args:", o, re.M) for o in ran_modules), \
        "a playbook output lacks -vvv detail (module arguments of ok tasks)"
    for index, output in enumerate(playbooks.outputs):
        for token in TOKENS:
            for form in _token_forms(token):
                assert form not in output, f"a token is in the output of playbook run #{index}"
    events = all_events(kubectl_bin, kubeconfig)
    documents = helm_release_documents(kubectl_bin, kubeconfig)
    for token in TOKENS:
        for form in _token_forms(token):
            assert form not in events, "a token is in a Kubernetes event"
            assert not [name for name, text in documents.items() if form in text], "a token is in a Helm release"
