# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""KServe's real controller manager and admission webhooks (hack/kserve_controller.py) against the local cluster.

KServe v0.20.0's own code defaults and validates what we create (its webhooks, called by the API server over TLS),
reconciles InferenceServices into Deployments, Services, HPAs and Ingresses, and reports Ready from the Deployment
that the real kube-controller-manager rolls out. The one simulated part is the pods: kwok marks them Running/Ready
without running any container (no image is pulled, no model is loaded, no request is served).

- the webhook configurations mirror KServe's chart and point at the host process;
- KServe's validators reject what KServe rejects (so the acceptance checks below are not vacuous) and its
  defaulter mutates what it mutates;
- a minimal ClusterServingRuntime + InferenceService becomes a Deployment with Ready pods and the InferenceService
  reports Ready=True with a URL; deleting it runs KServe's finalizer and garbage-collects what it owned;
- our runtime catalog (charts/kserve-runtimes) is admitted as a whole by KServe's priority rules;
- our model chart (charts/kserve-model), installed with Helm for every platform file, becomes Ready.
  An object of ours that KServe rejects becomes a parametrized case here.

Fixtures kubeconfig, kubectl_bin, helm_bin come from conftest.py; kserve_controller from kserve_controller_fixture.
"""
from __future__ import annotations

import json
import secrets
import subprocess
import time
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent

ROOT = HERE.parents[1]
MODEL_CHART = ROOT / "charts" / "kserve-model"
RUNTIMES_CHART = ROOT / "charts" / "kserve-runtimes"
PLATFORM_FILES = ["xeon", "gaudi", "gaudi3", "nvidia", "cpu-tiny"]
READY_TIMEOUT = 120
WEBHOOK_CONFIGS = {
    # KServe v0.20.0 chart: configuration name -> {webhook name: path}
    ("mutatingwebhookconfigurations", "inferenceservice.serving.kserve.io"): {
        "inferenceservice.kserve-webhook-server.defaulter": "/mutate-serving-kserve-io-v1beta1-inferenceservice",
        "inferenceservice.kserve-webhook-server.pod-mutator": "/mutate-pods",
    },
    ("validatingwebhookconfigurations", "inferenceservice.serving.kserve.io"): {
        "inferenceservice.kserve-webhook-server.validator": "/validate-serving-kserve-io-v1beta1-inferenceservice",
    },
    ("validatingwebhookconfigurations", "servingruntime.serving.kserve.io"): {
        "servingruntime.kserve-webhook-server.validator": "/validate-serving-kserve-io-v1alpha1-servingruntime",
    },
    ("validatingwebhookconfigurations", "clusterservingruntime.serving.kserve.io"): {
        "clusterservingruntime.kserve-webhook-server.validator":
            "/validate-serving-kserve-io-v1alpha1-clusterservingruntime",
    },
    ("validatingwebhookconfigurations", "trainedmodel.serving.kserve.io"): {
        "trainedmodel.kserve-webhook-server.validator": "/validate-serving-kserve-io-v1alpha1-trainedmodel",
    },
    ("validatingwebhookconfigurations", "inferencegraph.serving.kserve.io"): {
        "inferencegraph.kserve-webhook-server.validator": "/validate-serving-kserve-io-v1alpha1-inferencegraph",
    },
}


def _run(args: list[str], stdin: str | None = None, timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=timeout, check=False)


class Kube:
    def __init__(self, kubeconfig: str, kubectl_bin: str, helm_bin: str):
        self.kubectl_base = [kubectl_bin, "--kubeconfig", kubeconfig]
        self.helm_base = [helm_bin, "--kubeconfig", kubeconfig]

    def kubectl(self, *args: str, stdin: str | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
        return _run([*self.kubectl_base, *args], stdin=stdin, timeout=timeout)

    def helm(self, *args: str) -> subprocess.CompletedProcess:
        return _run([*self.helm_base, *args], timeout=300)

    def ok(self, *args: str, stdin: str | None = None) -> str:
        proc = self.kubectl(*args, stdin=stdin)
        assert proc.returncode == 0, f"kubectl {' '.join(args)}: {proc.stderr}"
        return proc.stdout

    def get(self, *args: str) -> dict:
        return json.loads(self.ok("get", *args, "-o", "json"))

    def create(self, obj: dict) -> subprocess.CompletedProcess:
        return self.kubectl("create", "-f", "-", stdin=json.dumps(obj))


def condition(obj: dict, kind: str) -> str | None:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return cond.get("status")
    return None


def wait_isvc_ready(kube: Kube, namespace: str, name: str, controller, timeout: float = READY_TIMEOUT) -> dict:
    deadline = time.time() + timeout
    isvc: dict = {}
    while time.time() < deadline:
        isvc = kube.get("inferenceservices.serving.kserve.io", name, "-n", namespace)
        if condition(isvc, "Ready") == "True":
            return isvc
        time.sleep(0.5)
    events = kube.kubectl("get", "events", "-n", namespace, "--sort-by=.lastTimestamp").stdout[-3000:]
    pytest.fail(f"InferenceService {namespace}/{name} not Ready within {timeout:.0f}s; status: "
                f"{json.dumps(isvc.get('status'), indent=1)[:3000]}\nevents:\n{events}\n"
                f"controller log:\n{controller.log_tail()}")


def runtime(name: str, **container_extra) -> dict:
    """A minimal vLLM-like ClusterServingRuntime (OpenAI server on port 8080, Knative-valid port name)."""
    container = {
        "name": "kserve-container",
        "image": "docker.io/vllm/vllm-openai-cpu:v0.11.0",
        "args": ["--port=8080", "--model=/mnt/models", "--served-model-name={{.Name}}"],
        "ports": [{"containerPort": 8080, "name": "http1", "protocol": "TCP"}],
        "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}},
        **container_extra,
    }
    return {
        "apiVersion": "serving.kserve.io/v1alpha1", "kind": "ClusterServingRuntime",
        "metadata": {"name": name},
        "spec": {"supportedModelFormats": [{"name": "huggingface", "version": "1", "autoSelect": False}],
                 "containers": [container]},
    }


def isvc(name: str, namespace: str, runtime_name: str, annotations: dict | None = None) -> dict:
    return {
        "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
        "metadata": {"name": name, "namespace": namespace,
                     "annotations": annotations or {"serving.kserve.io/deploymentMode": "Standard"}},
        "spec": {"predictor": {"model": {"modelFormat": {"name": "huggingface", "version": "1"},
                                         "runtime": runtime_name,
                                         "storageUri": "hf://Qwen/Qwen2.5-0.5B-Instruct"}}},
    }


@pytest.fixture(scope="module")
def kube(kubeconfig, kubectl_bin, helm_bin):  # the tool fixtures fail, naming `make tools`, when one is missing
    return Kube(kubeconfig, kubectl_bin, helm_bin)


@pytest.fixture(scope="module")
def suffix():
    return secrets.token_hex(3)


@pytest.fixture(scope="module")
def namespace(kube, kserve_controller, suffix):
    name = f"llmops-kctl-{suffix}"
    kube.ok("create", "namespace", name)
    yield name
    # while the controller runs, so KServe's finalizers are processed
    kube.kubectl("delete", "namespace", name, "--wait=true", "--timeout=120s", timeout=150)


@pytest.fixture(scope="module")
def minimal_runtime(kube, kserve_controller, suffix):
    name = f"llmops-kctl-{suffix}"
    proc = kube.create(runtime(name))
    assert proc.returncode == 0, proc.stderr
    yield name
    kube.kubectl("delete", "clusterservingruntimes.serving.kserve.io", name, "--ignore-not-found")


def test_webhook_configurations_point_at_the_host_process(kube, kserve_controller):
    for (kind, config_name), expected in WEBHOOK_CONFIGS.items():
        config = kube.get(kind, config_name)
        hooks = {h["name"]: h for h in config["webhooks"]}
        assert set(hooks) == set(expected), f"{kind}/{config_name}: {sorted(hooks)}"
        for hook_name, path in expected.items():
            client = hooks[hook_name]["clientConfig"]
            assert client["url"] == kserve_controller.webhook_url + path
            assert client["url"].startswith("https://127.0.0.1:")
            assert client.get("caBundle"), f"{hook_name} has no caBundle"
            assert hooks[hook_name]["failurePolicy"] == "Fail"
    mutating = kube.get("mutatingwebhookconfigurations", "inferenceservice.serving.kserve.io")["webhooks"]
    pod_mutator = next(h for h in mutating if h["name"] == "inferenceservice.kserve-webhook-server.pod-mutator")
    assert pod_mutator["objectSelector"]["matchExpressions"] == [
        {"key": "serving.kserve.io/inferenceservice", "operator": "Exists"}]


def test_validator_rejects_an_invalid_inferenceservice(kube, namespace, minimal_runtime):
    # The annotation is free-form for the CRD schema: only KServe's validating webhook can refuse it.
    bad = isvc("bad-autoscaler", namespace, minimal_runtime,
               {"serving.kserve.io/deploymentMode": "Standard", "serving.kserve.io/autoscalerClass": "bogus"})
    proc = kube.create(bad)
    assert proc.returncode != 0
    assert 'admission webhook "inferenceservice.kserve-webhook-server.validator" denied the request' in proc.stderr
    assert "[bogus] is not a supported autoscaler class type" in proc.stderr


def test_validator_rejects_an_invalid_runtime(kube, kserve_controller, suffix):
    bad = runtime(f"llmops-kctl-bad-{suffix}", env=[{"name": "PYTHONPATH", "value": "/opt/evil"}])
    proc = kube.create(bad)
    if proc.returncode == 0:  # not refused: do not leave it behind
        kube.kubectl("delete", "clusterservingruntimes.serving.kserve.io", bad["metadata"]["name"])
    assert proc.returncode != 0
    assert 'admission webhook "clusterservingruntime.kserve-webhook-server.validator" denied' in proc.stderr
    assert "setting PYTHONPATH in container \"kserve-container\" is not allowed" in proc.stderr


def test_defaulter_normalizes_the_legacy_deployment_mode(kube, namespace, minimal_runtime):
    legacy = isvc("legacy-mode", namespace, minimal_runtime, {"serving.kserve.io/deploymentMode": "RawDeployment"})
    out = kube.ok("create", "--dry-run=server", "-o", "json", "-f", "-", stdin=json.dumps(legacy))
    assert json.loads(out)["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Standard"


def test_minimal_inferenceservice_becomes_ready(kube, namespace, minimal_runtime, kserve_controller,
                                                record_property):
    name = "tiny"
    t0 = time.time()
    proc = kube.create(isvc(name, namespace, minimal_runtime))
    assert proc.returncode == 0, proc.stderr
    ready = wait_isvc_ready(kube, namespace, name, kserve_controller)
    record_property("isvc_create_to_ready_s", round(time.time() - t0, 2))
    record_property("manager_rss_mib", round(kserve_controller.rss_mib(), 1))

    status = ready["status"]
    assert status["url"] == f"http://{name}-{namespace}.example.com"
    assert status["address"]["url"] == f"http://{name}-predictor.{namespace}.svc.cluster.local"
    assert status["deploymentMode"] == "Standard"
    assert status["clusterServingRuntimeName"] == minimal_runtime
    assert condition(ready, "PredictorReady") == "True"
    assert condition(ready, "IngressReady") == "True"
    assert "inferenceservice.finalizers" in ready["metadata"]["finalizers"]

    deployment = kube.get("deployment", f"{name}-predictor", "-n", namespace)
    owner = deployment["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner.get("controller")) == ("InferenceService", name, True)
    assert deployment["status"].get("availableReplicas") == 1
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "docker.io/vllm/vllm-openai-cpu:v0.11.0"
    assert f"--served-model-name={name}" in container["args"]  # KServe filled in {{.Name}}

    pods = kube.get("pods", "-n", namespace, "-l", f"serving.kserve.io/inferenceservice={name}")["items"]
    assert pods, "no predictor pod"
    for pod in pods:
        assert condition(pod, "Ready") == "True"
        # the pod mutator (webhook) injected KServe's storage initializer for the hf:// URI
        init = [c["name"] for c in pod["spec"].get("initContainers", [])]
        assert "storage-initializer" in init, init
    service = kube.get("service", f"{name}-predictor", "-n", namespace)
    assert service["spec"]["clusterIP"]
    ingress = kube.get("ingress", name, "-n", namespace)
    assert {r["host"] for r in ingress["spec"]["rules"]} == {
        f"{name}-{namespace}.example.com", f"{name}-predictor-{namespace}.example.com"}


def test_deleting_the_inferenceservice_runs_kserve_finalizer(kube, namespace, minimal_runtime, kserve_controller):
    name = "short-lived"
    assert kube.create(isvc(name, namespace, minimal_runtime)).returncode == 0
    wait_isvc_ready(kube, namespace, name, kserve_controller)
    kube.ok("delete", "inferenceservices.serving.kserve.io", name, "-n", namespace, "--wait=true", "--timeout=60s")
    deadline = time.time() + 60
    while time.time() < deadline:
        if kube.kubectl("get", "deployment", f"{name}-predictor", "-n", namespace).returncode != 0:
            break
        time.sleep(0.5)
    else:
        pytest.fail("the predictor Deployment was not garbage-collected after the InferenceService was deleted")


@pytest.fixture(scope="module")
def catalog(kube, kserve_controller):
    """Every ClusterServingRuntime of charts/kserve-runtimes, through KServe's validating webhook. Runtimes already
    in the cluster (a role run earlier) are kept; the ones created here are deleted afterwards."""
    proc = kube.helm("template", "llmops-runtimes", str(RUNTIMES_CHART), "--kube-version", "v1.34.4")
    assert proc.returncode == 0, proc.stderr
    runtimes = [doc for doc in yaml.safe_load_all(proc.stdout) if doc and doc.get("kind") == "ClusterServingRuntime"]
    assert runtimes
    created = []
    for obj in runtimes:
        name = obj["metadata"]["name"]
        if kube.kubectl("get", "clusterservingruntimes.serving.kserve.io", name, "-o", "name").returncode != 0:
            proc = kube.create(obj)
            assert proc.returncode == 0, f"KServe rejected our runtime {name}: {proc.stderr}"
            created.append(name)
    yield runtimes
    for name in created:
        kube.kubectl("delete", "clusterservingruntimes.serving.kserve.io", name, "--ignore-not-found")


def test_runtime_catalog_is_admitted_as_a_whole(kube, catalog):
    # With the whole catalog in the cluster, an update of each entry is validated against all the others
    # (KServe refuses two auto-selectable runtimes with the same priority for one model format).
    for obj in catalog:
        proc = kube.kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=llmops-kctl-test",
                            "--dry-run=server", "-f", "-", stdin=json.dumps(obj))
        assert proc.returncode == 0, f"KServe rejected our runtime {obj['metadata']['name']}: {proc.stderr}"
    # ... which is a real check: a copy of an entry under another name collides on its priority.
    first = next(o for o in catalog if any(f.get("autoSelect") and f.get("priority") is not None
                                           for f in o["spec"]["supportedModelFormats"]))
    copy = json.loads(json.dumps(first))
    copy["metadata"] = {"name": f"{first['metadata']['name']}-copy"}
    proc = kube.kubectl("create", "--dry-run=server", "-f", "-", stdin=json.dumps(copy))
    assert proc.returncode != 0
    assert "same priority assigned for the model format" in proc.stderr


@pytest.mark.parametrize("platform", PLATFORM_FILES)
def test_model_chart_becomes_ready(kube, namespace, catalog, kserve_controller, platform):
    release = f"m-{platform}"
    if kube.kubectl("get", "secret", "hf-token", "-n", namespace).returncode != 0:
        # a placeholder token (nothing runs): the chart references the Secret by secretKeyRef
        kube.ok("create", "secret", "generic", "hf-token", "-n", namespace, "--from-literal=HF_TOKEN=placeholder")
    proc = kube.helm("install", release, str(MODEL_CHART), "--namespace", namespace,
                     "-f", str(MODEL_CHART / f"values-{platform}.yaml"),
                     "--set", "deploymentMode=Standard", "--set", "model.id=Qwen/Qwen2.5-0.5B-Instruct")
    assert proc.returncode == 0, f"helm install ({platform}): {proc.stderr}"
    try:
        ready = wait_isvc_ready(kube, namespace, release, kserve_controller)
        runtime_name = ready["status"]["clusterServingRuntimeName"]
        assert runtime_name in {o["metadata"]["name"] for o in catalog}
        deployment = kube.get("deployment", f"{release}-predictor", "-n", namespace)
        runtime_obj = next(o for o in catalog if o["metadata"]["name"] == runtime_name)
        image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image == runtime_obj["spec"]["containers"][0]["image"]
        pods = kube.get("pods", "-n", namespace, "-l", f"serving.kserve.io/inferenceservice={release}")["items"]
        assert pods and all(condition(p, "Ready") == "True" and p["spec"].get("nodeName") for p in pods)
    finally:
        kube.helm("uninstall", release, "--namespace", namespace, "--wait", "--timeout", "120s")
