"""Gated weights really download: the token reaches KServe's storage initializer, and its real code uses it.

One `deploy_models.yml` run (the inventory path users take) deploys two releases of the gated repo of the local Hub
stand-in (tests/integration/hf_server.py, ``llmops-test/gated-tiny``), pinned by ``revision`` to its older commit
(40-hex SHA): ``gated`` with the chart's defaults, and ``gated-no-annotation`` with
``hfToken.storageSecretNameAnnotations: []``, which renders what the chart rendered before the fix (no storage
secret annotation). Then, for the predictor Pods that KServe's real pod webhook produced (the controller of the e2e
session):

* the ``storage-initializer`` init container of ``gated`` has ``HF_TOKEN`` from the ``hf-token`` Secret
  (``secretKeyRef``), and its argument is ``hf://llmops-test/gated-tiny:<commit>``;
* that init container's program runs on the host, as the Pod spec says (hack/pod_runner.py: KServe's
  ``initializer-entrypoint`` with ``kserve-storage==0.20.0`` from PyPI; env with the Secret read through the API;
  ``HF_ENDPOINT`` added as the one test override, pointing at the stand-in): the files of that commit land in
  the model volume's directory;
* with a bad token in the Secret, and for the pod without the annotation (no token at all), the same program
  fails with KServe's own error (exit code 1, "HuggingFace authentication failed").

What is simulated: kwok marks the pods Ready without running them; the storage initializer runs as a host process
(not in its image), and the Hub is the local stand-in.
"""
from __future__ import annotations

import base64
import json
import sys

import pytest

import harness
from hf_server import BAD_TOKEN, GATED_TINY, GATED_TINY_MAIN_COMMIT, GATED_TINY_OLD_COMMIT, GOOD_TOKEN

sys.path.insert(0, str(harness.ROOT / "hack"))
import pod_runner  # noqa: E402  pylint: disable=wrong-import-position

NAMESPACE = "llmops-e2e-gated"
GOOD = "gated"
NO_ANNOTATION = "gated-no-annotation"
MODELS = [
    {"name": GOOD, "model_id": GATED_TINY, "revision": GATED_TINY_OLD_COMMIT, "platform": "xeon",
     "profile": "cpu-tiny", "deployment_mode": "Standard", "replicas": 1,
     "values": {"hfToken": {"enabled": True}}},
    {"name": NO_ANNOTATION, "model_id": GATED_TINY, "revision": GATED_TINY_OLD_COMMIT, "platform": "xeon",
     "profile": "cpu-tiny", "deployment_mode": "Standard", "replicas": 1,
     "values": {"hfToken": {"enabled": True, "storageSecretNameAnnotations": []}}},
]
INIT = "storage-initializer"
MODEL_VOLUME = "kserve-provision-location"


kubectl = harness.kubectl


@pytest.fixture(scope="module")
def deployed(playbooks, kserve_controller, hub, kubectl_bin, kubeconfig, tmp_path_factory):  # noqa: ARG001
    """The two releases deployed by deploy_models.yml (runtimes registered first when missing); namespace dropped after."""
    harness.delete_namespace(kubectl_bin, kubeconfig, NAMESPACE)
    playbooks.register_runtimes(only_if_missing=True)
    rc, out, _changed = playbooks.run("playbooks/deploy_models.yml", "-e",
                                      harness.write_vars(tmp_path_factory.mktemp("gated"), MODELS, NAMESPACE),
                                      env={"HF_ENDPOINT": hub.endpoint, "HF_TOKEN": GOOD_TOKEN})
    assert rc == 0, out[-6000:]
    yield
    harness.delete_namespace(kubectl_bin, kubeconfig, NAMESPACE)


@pytest.fixture(scope="module")
def api(kubeconfig):
    return pod_runner.core_api(kubeconfig)


def predictor_pod(api, name: str) -> dict:
    pods = pod_runner.find_pods(api, NAMESPACE, f"serving.kserve.io/inferenceservice={name}")
    assert pods, f"no predictor pod of {name}"
    return pods[0]


def init_container(pod: dict) -> dict:
    found = [c for c in pod["spec"].get("initContainers") or [] if c["name"] == INIT]
    assert found, f"KServe's webhook added no {INIT} to {pod['metadata']['name']}"
    return found[0]


def run_init(api, pod, tmp_path, hub):
    runner = pod_runner.PodRunner(pod, api=api, work_dir=tmp_path, env_overrides={"HF_ENDPOINT": hub.endpoint})
    results = runner.run_init_containers(timeout=300)
    return runner, {r.name: r for r in results}


def test_unmapped_image_is_refused_with_a_reason(tmp_path, kserve_controller):  # noqa: ARG001
    """First in the file: its setup holds the session's stack install, so the next setup times this module alone."""
    pod = {"metadata": {"name": "p", "namespace": "ns"},
           "spec": {"initContainers": [{"name": "x", "image": "example.com/unknown:1"}], "containers": []}}
    results = pod_runner.PodRunner(pod, work_dir=tmp_path).run_init_containers()
    assert results[0].exit_code is None and results[0].reason == "UnmappedImage"
    assert "example.com/unknown:1" in results[0].message and "pod_runner_images.yaml" in results[0].message


def test_isvc_names_the_secret_under_the_configured_annotation(deployed, kube_json, kserve_controller):  # noqa: ARG001
    config = kube_json("get", "configmap", "inferenceservice-config", "-n", kserve_controller.namespace)
    annotation = json.loads(config["data"]["credentials"])["storageSecretNameAnnotation"]
    isvc = kube_json("get", "inferenceservice", GOOD, "-n", NAMESPACE)
    assert isvc["metadata"]["annotations"].get(annotation) == "hf-token", isvc["metadata"]["annotations"]
    # the inventory's revision reached the chart as model.revision, and the chart made the storageUri of it
    assert isvc["spec"]["predictor"]["model"]["storageUri"] == f"hf://{GATED_TINY}:{GATED_TINY_OLD_COMMIT}"


def test_webhook_gives_the_storage_initializer_the_token_secret(deployed, api):  # noqa: ARG001
    pod = predictor_pod(api, GOOD)
    init = init_container(pod)
    env = {e["name"]: e for e in init.get("env") or []}
    assert "HF_TOKEN" in env, f"{INIT} has no HF_TOKEN: {sorted(env)}"
    assert env["HF_TOKEN"]["valueFrom"]["secretKeyRef"] == {"name": "hf-token", "key": "HF_TOKEN"}
    assert "value" not in env["HF_TOKEN"]
    assert init["args"][0] == f"hf://{GATED_TINY}:{GATED_TINY_OLD_COMMIT}"
    # what the old chart produced: no annotation, no token for the initializer
    bare = init_container(predictor_pod(api, NO_ANNOTATION))
    assert "HF_TOKEN" not in {e["name"] for e in bare.get("env") or []}


def test_storage_initializer_downloads_the_pinned_commit_with_the_token(deployed, api, hub, tmp_path):  # noqa: ARG001
    pod = predictor_pod(api, GOOD)
    start = len(hub.state.downloads)
    runner, results = run_init(api, pod, tmp_path, hub)
    result = results[INIT]
    assert result.ok, f"{result.reason} {result.message}\n" + "\n".join(result.log_tail)
    assert result.overridden_env == ["HF_ENDPOINT"]
    target = runner.volume_dir(MODEL_VOLUME)
    files = sorted(p.name for p in target.iterdir() if p.is_file())
    # the older commit has no generation_config.json; main has one
    assert files == ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"], files
    assert json.loads((target / "config.json").read_text())["llmops_generation"] == 1
    served = hub.state.downloads[start:]
    assert served and {commit for _repo, commit, _f, _m in served} == {GATED_TINY_OLD_COMMIT}
    assert GATED_TINY_MAIN_COMMIT not in json.dumps(served)
    assert GOOD_TOKEN not in "\n".join(result.log_tail)


def test_storage_initializer_fails_with_kserve_error_on_a_bad_token(deployed, api, hub, tmp_path, kubectl_bin,
                                                                     kubeconfig):  # noqa: ARG001
    pod = predictor_pod(api, GOOD)
    good = base64.b64encode(GOOD_TOKEN.encode()).decode()
    bad = base64.b64encode(BAD_TOKEN.encode()).decode()
    patch = json.dumps({"data": {"HF_TOKEN": bad}})
    assert kubectl(kubectl_bin, kubeconfig, "patch", "secret", "hf-token", "-n", NAMESPACE, "-p", patch).returncode == 0
    try:
        runner, results = run_init(api, pod, tmp_path, hub)
    finally:
        kubectl(kubectl_bin, kubeconfig, "patch", "secret", "hf-token", "-n", NAMESPACE, "-p",
                json.dumps({"data": {"HF_TOKEN": good}}))
    result = results[INIT]
    log = "\n".join(result.log_tail)
    assert result.exit_code == 1, log
    assert "Storage initialization failed" in log and "401" in log, log
    assert not (runner.volume_dir(MODEL_VOLUME) / "config.json").exists()
    assert BAD_TOKEN not in log


def test_storage_initializer_without_the_annotation_fails_on_the_gated_repo(deployed, api, hub, tmp_path):  # noqa: ARG001
    """The pod the old chart produced (no storage secret annotation): KServe's initializer gets no token."""
    runner, results = run_init(api, predictor_pod(api, NO_ANNOTATION), tmp_path, hub)
    result = results[INIT]
    log = "\n".join(result.log_tail)
    assert result.exit_code == 1, log
    assert "HuggingFace authentication failed" in log and "gated" in log, log
    assert not (runner.volume_dir(MODEL_VOLUME) / "config.json").exists()


def test_missing_secret_key_fails_before_the_program_runs(deployed, api, hub, tmp_path):  # noqa: ARG001
    """Like the kubelet: a secretKeyRef to a key the Secret lacks is CreateContainerConfigError; nothing runs."""
    pod = predictor_pod(api, GOOD)
    for container in pod["spec"]["initContainers"]:
        for item in container.get("env") or []:
            if item["name"] == "HF_TOKEN":
                item["valueFrom"]["secretKeyRef"]["key"] = "NO_SUCH_KEY"
    _runner, results = run_init(api, pod, tmp_path, hub)
    result = results[INIT]
    assert result.exit_code is None and result.reason == "CreateContainerConfigError", result
    assert "NO_SUCH_KEY" in result.message
