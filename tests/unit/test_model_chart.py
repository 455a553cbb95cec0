# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render tests of charts/kserve-model (no cluster).

`helm lint --strict` per values file, `helm template` for every platform x deployment mode with the
key fields asserted, and the bad inputs the chart must refuse (schema and template checks), each with
a message naming the field. Helm comes from $HELM_BIN or $LLMOPS_CACHE/bin/helm (tests/harness.py); the
tests that need it fail when it is absent (`make tools`). The schema tests at the end run with Python's
jsonschema (requirements-dev.txt) and need no helm.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

import harness

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "kserve-model"
KUBE_VERSION = "1.34.4"
NAMESPACE = "models"
RELEASE = "m1"
TOKEN = "hf_abcdefghijklmnopQRSTUV123456"
TOKEN_RE = re.compile(r"\bhf_[A-Za-z0-9]{10,}")

PLATFORM_FILES = ["xeon", "gaudi", "gaudi3", "nvidia", "cpu-tiny"]
MODES = ["Knative", "Standard"]

# What each values file must produce (the contract with the cluster's nodes and runtimes).
INTEL = {"feature.node.kubernetes.io/cpu-model.vendor_id": "Intel"}


def _expect(platform: str, model: str, tp: int, requests: dict, device=None, node_selector=None, env=(),
            token=True) -> dict:
    """A row of EXPECTED: the device's resource is also the toleration key; no device: Intel CPU nodes."""
    return {"platform": platform, "model": model, "tp": tp, "requests": requests, "device": device,
            "node_selector": node_selector or INTEL, "toleration_key": device[0] if device else None,
            "env": set(env), "token": token}


EXPECTED = {
    "xeon": _expect("xeon", "meta-llama/Llama-3.1-8B-Instruct", 1, {"cpu": "32", "memory": "128Gi"},
                    env={"VLLM_CPU_KVCACHE_SPACE"}),
    "gaudi": _expect("gaudi", "meta-llama/Llama-3.1-8B-Instruct", 1, {"memory": "128Gi", "hugepages-2Mi": "8Gi"},
                     ("habana.ai/gaudi", "1"), {"habana.ai/gaudi.generation": "2"}, {"PT_HPU_ENABLE_LAZY_COLLECTIVES"}),
    "gaudi3": _expect("gaudi3", "meta-llama/Llama-3.3-70B-Instruct", 4, {"memory": "256Gi", "hugepages-2Mi": "16Gi"},
                      ("habana.ai/gaudi", "4"), {"habana.ai/gaudi.generation": "3"}, {"PT_HPU_ENABLE_LAZY_COLLECTIVES"}),
    "nvidia": _expect("nvidia", "meta-llama/Llama-3.1-70B-Instruct", 4, {"memory": "256Gi"}, ("nvidia.com/gpu", "4"),
                      {"nvidia.com/gpu.present": "true"}),
    "cpu-tiny": _expect("xeon", "Qwen/Qwen2.5-0.5B-Instruct", 1, {"cpu": "2", "memory": "4Gi"},
                        env={"VLLM_CPU_KVCACHE_SPACE"}, token=False),
}
DEVICE_RESOURCES = {"habana.ai/gaudi", "nvidia.com/gpu"}


HELM = harness.helm_path()
# the helm_bin fixture (tests/unit/conftest.py) fails the test, naming `make tools`, when helm is missing
needs_helm = pytest.mark.usefixtures("helm_bin")


def values_file(name: str) -> str:
    return str(CHART / f"values-{name}.yaml")


def helm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([HELM, *args], capture_output=True, text=True, timeout=120, check=False)


def template_proc(files=(), sets=(), set_strings=(), release=RELEASE, namespace=NAMESPACE, extra=(), chart=CHART):
    args = ["template", release, str(chart), "--namespace", namespace, "--kube-version", KUBE_VERSION]
    for f in files:
        args += ["-f", f]
    for s in sets:
        args += ["--set", s]
    for s in set_strings:
        args += ["--set-string", s]
    args += list(extra)
    return helm(*args)


def render(files=(), sets=(), **kwargs) -> list[dict]:
    proc = template_proc(files, sets, **kwargs)
    assert proc.returncode == 0, proc.stderr
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def by_kind(docs: list[dict], kind: str) -> list[dict]:
    return [d for d in docs if d["kind"] == kind]


def isvc_of(docs: list[dict]) -> dict:
    found = by_kind(docs, "InferenceService")
    assert len(found) == 1, [d["kind"] for d in docs]
    return found[0]


def env_map(container: dict) -> dict:
    return {e["name"]: e for e in container.get("env", [])}


# --- helm lint --------------------------------------------------------------------------------


@needs_helm
@pytest.mark.parametrize("platform", PLATFORM_FILES)
def test_lint_strict(platform):
    proc = helm("lint", "--strict", str(CHART), "-f", values_file(platform))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[WARNING]" not in proc.stdout and "[ERROR]" not in proc.stdout, proc.stdout


@needs_helm
def test_lint_without_model_id_names_the_field():
    proc = helm("lint", "--strict", str(CHART))
    assert proc.returncode != 0
    assert "/model" in proc.stdout + proc.stderr and "'id'" in proc.stdout + proc.stderr


def test_templates_are_not_yaml_files():
    """ansible-test sanity parses every .yaml/.yml file of the collection; Go templates must not be among them."""
    offenders = [str(p.relative_to(CHART)) for p in (CHART / "templates").rglob("*") if p.suffix in (".yaml", ".yml")]
    assert offenders == []


# --- render per platform x mode -----------------------------------------------------------------


@needs_helm
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("platform", PLATFORM_FILES)
def test_render_platform_mode(platform, mode):
    exp = EXPECTED[platform]
    proc = template_proc([values_file(platform)], [f"deploymentMode={mode}"])
    assert proc.returncode == 0, proc.stderr
    assert not TOKEN_RE.search(proc.stdout)
    docs = [d for d in yaml.safe_load_all(proc.stdout) if d]
    isvc = isvc_of(docs)

    assert isvc["apiVersion"] == "serving.kserve.io/v1beta1"
    meta = isvc["metadata"]
    assert meta["name"] == RELEASE and meta["namespace"] == NAMESPACE
    assert meta["annotations"]["serving.kserve.io/deploymentMode"] == mode
    assert meta["annotations"]["llmops.kserve/model-id"] == exp["model"]
    labels = meta["labels"]
    assert labels["app.kubernetes.io/instance"] == RELEASE
    assert labels["app.kubernetes.io/name"] == "kserve-model"
    assert labels["app.kubernetes.io/managed-by"] == "Helm"
    assert labels["app.kubernetes.io/part-of"] == "llmops-kserve"
    assert labels["llmops.kserve/platform"] == exp["platform"]
    assert labels["llmops.kserve/model"] == exp["model"].replace("/", "--")

    pred = isvc["spec"]["predictor"]
    model = pred["model"]
    assert model["modelFormat"] == {"name": "huggingface"}
    assert model["runtime"] == f"llmops-vllm-{exp['platform']}"
    assert model["storageUri"] == f"hf://{exp['model']}"
    args = model["args"]
    assert f"--served-model-name={RELEASE}" in args
    assert f"--tensor-parallel-size={exp['tp']}" in args
    assert any(a.startswith("--max-model-len=") for a in args)
    assert "--dtype=bfloat16" in args

    # Resources: the platform's requests, and devices == tensor-parallel size on accelerators.
    res = model["resources"]
    for key, value in exp["requests"].items():
        assert res["requests"][key] == value, key
    if exp["device"]:
        name, count = exp["device"]
        assert res["requests"][name] == count and res["limits"][name] == count
    else:
        assert not DEVICE_RESOURCES & (set(res["requests"]) | set(res.get("limits", {})))
    if "hugepages-2Mi" in res["requests"]:
        assert res["limits"]["hugepages-2Mi"] == res["requests"]["hugepages-2Mi"]

    # Scheduling.
    for key, value in exp["node_selector"].items():
        assert pred["nodeSelector"][key] == value
    tolerations = pred.get("tolerations", [])
    if exp["toleration_key"]:
        assert any(t["key"] == exp["toleration_key"] and t["effect"] == "NoSchedule" for t in tolerations)
    else:
        assert tolerations == []

    # Environment: the token only by reference, platform variables present.
    env = env_map(model)
    if exp["token"]:
        assert env["HF_TOKEN"] == {
            "name": "HF_TOKEN",
            "valueFrom": {"secretKeyRef": {"name": "hf-token", "key": "HF_TOKEN"}},
        }
    else:
        assert "HF_TOKEN" not in env
    assert all("value" not in e for e in model.get("env", []) if e["name"] == "HF_TOKEN")
    assert exp["env"] <= set(env)

    # Mode-specific settings.
    if mode == "Knative":
        assert pred["annotations"]["serving.knative.dev/progress-deadline"] == "30m"
        assert "serving.kserve.io/autoscalerClass" not in meta["annotations"]
    else:
        assert meta["annotations"]["serving.kserve.io/autoscalerClass"] == "none"
        assert "annotations" not in pred
    assert pred["minReplicas"] == 1 and pred["maxReplicas"] == 1

    # Defaults: only the InferenceService, the NetworkPolicy and the test hook; every name from the release.
    assert sorted(d["kind"] for d in docs) == ["InferenceService", "NetworkPolicy", "Pod"]
    for doc in docs:
        assert doc["metadata"]["name"].startswith(RELEASE), doc["metadata"]["name"]
        assert doc["metadata"]["namespace"] == NAMESPACE


@needs_helm
@pytest.mark.parametrize(("old", "new"), [("Serverless", "Knative"), ("RawDeployment", "Standard")])
def test_old_mode_names_map_to_new(old, new):
    isvc = isvc_of(render([values_file("cpu-tiny")], [f"deploymentMode={old}"]))
    assert isvc["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == new


@needs_helm
def test_hf_flavour_and_explicit_runtime():
    docs = render([values_file("nvidia")], ["runtime.flavour=hf"])
    model = isvc_of(docs)["spec"]["predictor"]["model"]
    assert model["runtime"] == "llmops-hf-nvidia"
    assert f"--model_name={RELEASE}" in model["args"]
    pod = by_kind(docs, "Pod")[0]
    assert env_map(pod["spec"]["containers"][0])["URL"]["value"] == (
        f"http://{RELEASE}-predictor.{NAMESPACE}.svc.cluster.local/openai/v1/models"
    )
    model = isvc_of(render([values_file("nvidia")], ["runtime.name=my-runtime"]))["spec"]["predictor"]["model"]
    assert model["runtime"] == "my-runtime"


@needs_helm
@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("hf://Qwen/Qwen2.5-0.5B-Instruct", "hf://Qwen/Qwen2.5-0.5B-Instruct"),
        ("pvc://models/qwen", "pvc://models/qwen"),
        ("s3://bucket/qwen", "s3://bucket/qwen"),
        ("oci://registry.example.com/models/qwen:1", "oci://registry.example.com/models/qwen:1"),
    ],
)
def test_storage_uri_schemes(uri, expected):
    isvc = isvc_of(render([values_file("cpu-tiny")], [f"model.storageUri={uri}"]))
    assert isvc["spec"]["predictor"]["model"]["storageUri"] == expected


@needs_helm
def test_autoscaling_and_canary_knative():
    sets = [
        "deploymentMode=Knative",
        "predictor.scaleToZero=true",
        "predictor.maxReplicas=4",
        "predictor.scaleMetric=concurrency",
        "predictor.scaleTarget=8",
        "predictor.canaryTrafficPercent=10",
        "predictor.containerConcurrency=16",
        "predictor.timeoutSeconds=600",
    ]
    pred = isvc_of(render([values_file("cpu-tiny")], sets))["spec"]["predictor"]
    assert pred["minReplicas"] == 0 and pred["maxReplicas"] == 4
    assert pred["scaleMetric"] == "concurrency" and pred["scaleTarget"] == 8
    assert pred["canaryTrafficPercent"] == 10
    assert pred["containerConcurrency"] == 16 and pred["timeout"] == 600


@needs_helm
def test_standard_mode_hpa_when_replicas_differ():
    sets = ["predictor.minReplicas=1", "predictor.maxReplicas=3", "predictor.scaleMetric=cpu", "predictor.scaleTarget=70"]
    isvc = isvc_of(render([values_file("cpu-tiny")], sets))
    assert "serving.kserve.io/autoscalerClass" not in isvc["metadata"]["annotations"]
    assert isvc["spec"]["predictor"]["scaleMetric"] == "cpu"


@needs_helm
def test_device_count_can_exceed_tensor_parallel_size():
    model = isvc_of(render([values_file("nvidia")], ["accelerator.count=8"]))["spec"]["predictor"]["model"]
    assert model["resources"]["limits"]["nvidia.com/gpu"] == "8"
    assert "--tensor-parallel-size=4" in model["args"]


@needs_helm
def test_mig_profile_is_data_only():
    model = isvc_of(render([values_file("nvidia")], ["accelerator.resourceName=nvidia.com/mig-3g.40gb", "model.tensorParallelSize=1"]))[
        "spec"]["predictor"]["model"]
    assert model["resources"]["requests"]["nvidia.com/mig-3g.40gb"] == "1"
    assert "nvidia.com/gpu" not in model["resources"]["requests"]


@needs_helm
def test_shm_size_replaces_the_runtime_shm_and_host_ipc_in_standard_mode():
    pred = isvc_of(render([values_file("gaudi3")], ["predictor.shmSize=64Gi", "predictor.hostIPC=true"]))["spec"]["predictor"]
    # Same volume name and mount path as the runtimes' /dev/shm, so KServe's merge replaces it.
    assert {"name": "devshm", "emptyDir": {"medium": "Memory", "sizeLimit": "64Gi"}} in pred["volumes"]
    assert pred["model"]["volumeMounts"] == [{"name": "devshm", "mountPath": "/dev/shm"}]
    assert pred["hostIPC"] is True
    pred = isvc_of(render([values_file("gaudi3")]))["spec"]["predictor"]
    assert "volumes" not in pred and "volumeMounts" not in pred["model"] and "hostIPC" not in pred


@needs_helm
def test_all_optional_resources():
    sets = [
        "modelCache.enabled=true",
        "routing.domain=models.example.com",
        "ingress.enabled=true",
        "ingress.className=nginx",
        "ingress.tls.enabled=true",
        "httpRoute.enabled=true",
        "httpRoute.parentRefs[0].name=inference-gateway",
        "httpRoute.parentRefs[0].namespace=gateway-system",
        "httpRoute.controllerNamespace=envoy-gateway-system",
        "apisixRoute.enabled=true",
        "metrics.serviceMonitor.enabled=true",
        "metrics.prometheusRule.enabled=true",
    ]
    docs = render([values_file("gaudi")], sets)
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == sorted([
        "ApisixRoute", "HTTPRoute", "InferenceService", "Ingress", "Job", "NetworkPolicy",
        "PersistentVolumeClaim", "Pod", "PrometheusRule", "Service", "ServiceMonitor",
    ])
    for doc in docs:
        assert doc["metadata"]["name"].startswith(RELEASE)
        assert doc["metadata"]["labels"]["app.kubernetes.io/instance"] == RELEASE

    host = f"{RELEASE}-{NAMESPACE}.models.example.com"
    assert by_kind(docs, "Ingress")[0]["spec"]["rules"][0]["host"] == host
    assert by_kind(docs, "HTTPRoute")[0]["spec"]["hostnames"] == [host]
    assert by_kind(docs, "HTTPRoute")[0]["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert by_kind(docs, "ApisixRoute")[0]["spec"]["http"][0]["match"]["hosts"] == [host]
    assert by_kind(docs, "ApisixRoute")[0]["apiVersion"] == "apisix.apache.org/v2"

    # Model cache: the InferenceService reads the PVC; only the download Job holds the token reference.
    claim = by_kind(docs, "PersistentVolumeClaim")[0]["metadata"]["name"]
    pred = isvc_of(docs)["spec"]["predictor"]
    assert pred["model"]["storageUri"] == f"pvc://{claim}/meta-llama--Llama-3.1-8B-Instruct"
    assert "HF_TOKEN" not in env_map(pred["model"])
    assert pred["initContainers"][0]["name"] == "wait-for-model-cache"
    job = by_kind(docs, "Job")[0]
    download = job["spec"]["template"]["spec"]["initContainers"][0]
    assert download["args"] == ["hf://meta-llama/Llama-3.1-8B-Instruct", "/mnt/model-cache/meta-llama--Llama-3.1-8B-Instruct"]
    assert env_map(download)["HF_TOKEN"]["valueFrom"]["secretKeyRef"] == {"name": "hf-token", "key": "HF_TOKEN"}
    marker = job["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    assert env_map(pred["initContainers"][0])["MARKER"]["value"] == marker

    # Monitoring: the ServiceMonitor selects the chart's metrics Service; rules cover the three signals.
    svc = by_kind(docs, "Service")[0]
    assert svc["spec"]["selector"] == {"serving.kserve.io/inferenceservice": RELEASE, "component": "predictor"}
    sm = by_kind(docs, "ServiceMonitor")[0]
    assert all(svc["metadata"]["labels"][k] == v for k, v in sm["spec"]["selector"]["matchLabels"].items())
    exprs = " ".join(r["expr"] for g in by_kind(docs, "PrometheusRule")[0]["spec"]["groups"] for r in g["rules"])
    for metric in ("vllm:e2e_request_latency_seconds_bucket", "http_requests_total", "vllm:num_requests_waiting"):
        assert metric in exprs
    assert f'llmops_kserve_model="{RELEASE}"' in exprs and 'service=' not in exprs
    assert sm["spec"]["endpoints"][0]["relabelings"] == [
        {"action": "replace", "targetLabel": "llmops_kserve_model", "replacement": RELEASE}]

    # The NetworkPolicy lets in the controllers of the enabled routes and Prometheus.
    np = by_kind(docs, "NetworkPolicy")[0]
    allowed = {p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
               for p in np["spec"]["ingress"][0]["from"] if "namespaceSelector" in p}
    assert {"ingress-nginx", "envoy-gateway-system", "apisix", "monitoring", "knative-serving"} <= allowed


@needs_helm
def test_network_policy_denies_all_when_nothing_allowed():
    docs = render([values_file("cpu-tiny")], ["networkPolicy.allowSameNamespace=false", "networkPolicy.allowedNamespaces=null"])
    np = by_kind(docs, "NetworkPolicy")[0]
    assert np["spec"]["ingress"] == []
    assert np["spec"]["podSelector"]["matchLabels"] == {"serving.kserve.io/inferenceservice": RELEASE, "component": "predictor"}
    assert not by_kind(render([values_file("cpu-tiny")], ["networkPolicy.enabled=false"]), "NetworkPolicy")


@needs_helm
def test_two_releases_never_clash():
    sets = ["routing.domain=models.example.com", "ingress.enabled=true", "modelCache.enabled=true",
            "metrics.serviceMonitor.enabled=true"]
    a = render([values_file("cpu-tiny")], sets, release="model-a")
    b = render([values_file("cpu-tiny")], sets, release="model-b")
    names_a = {(d["kind"], d["metadata"]["name"]) for d in a}
    names_b = {(d["kind"], d["metadata"]["name"]) for d in b}
    assert names_a and not names_a & names_b
    hosts = [by_kind(x, "Ingress")[0]["spec"]["rules"][0]["host"] for x in (a, b)]
    assert hosts[0] != hosts[1]
    served = [isvc_of(x)["spec"]["predictor"]["model"]["args"][0] for x in (a, b)]
    assert served == ["--served-model-name=model-a", "--served-model-name=model-b"]
    # The same release name in two namespaces gets two hosts too.
    c = render([values_file("cpu-tiny")], sets, release="model-a", namespace="other")
    assert by_kind(c, "Ingress")[0]["spec"]["rules"][0]["host"] != hosts[0]


@needs_helm
def test_test_hook_queries_models():
    pod = by_kind(render([values_file("cpu-tiny")]), "Pod")[0]
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    env = env_map(pod["spec"]["containers"][0])
    assert env["URL"]["value"] == f"http://{RELEASE}-predictor.{NAMESPACE}.svc.cluster.local/v1/models"
    assert env["MODEL"]["value"] == RELEASE
    assert not by_kind(render([values_file("cpu-tiny")], ["test.enabled=false"]), "Pod")


@needs_helm
def test_notes_print_how_to_call_the_model(tmp_path):
    # NOTES.txt is a template like the others: a throw-away copy of the chart includes it in a ConfigMap.
    chart = tmp_path / "kserve-model"
    shutil.copytree(CHART, chart)
    (chart / "templates" / "zz-notes.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n"
        '  notes: {{ include (print $.Template.BasePath "/NOTES.txt") . | quote }}\n'
    )
    docs = render([values_file("cpu-tiny")], extra=["--show-only", "templates/zz-notes.yaml"], chart=chart)
    notes = docs[0]["data"]["notes"]
    assert f"http://{RELEASE}-predictor.{NAMESPACE}.svc.cluster.local/v1/chat/completions" in notes
    assert f'"model": "{RELEASE}"' in notes
    assert f"port-forward service/{RELEASE}-predictor" in notes
    assert f"helm test {RELEASE} -n {NAMESPACE}" in notes
    docs = render([values_file("nvidia")], ["deploymentMode=Knative", "runtime.flavour=hf"],
                  extra=["--show-only", "templates/zz-notes.yaml"], chart=chart)
    notes = docs[0]["data"]["notes"]
    assert "/openai/v1/models" in notes and "jsonpath='{.status.url}'" in notes
    assert "Secret hf-token" in notes


# --- bad values ---------------------------------------------------------------------------------

BAD_VALUES = {
    "unknown key": (["modle.id=x"], [], ["additional properties 'modle' not allowed"]),
    "unknown nested key": (["predictor.replicas=2"], [], ["/predictor", "'replicas' not allowed"]),
    "wrong type": ([], ["model.tensorParallelSize=two"], ["/model/tensorParallelSize", "want integer"]),
    "wrong type bool": ([], ["hfToken.enabled=yes"], ["/hfToken/enabled", "want boolean"]),
    "bad mode": (["deploymentMode=Serverful"], [], ["/deploymentMode", "'Knative', 'Standard'"]),
    "bad platform": (["platform=tpu"], [], ["/platform", "'xeon'"]),
    "bad dtype": (["model.dtype=int3"], [], ["/model/dtype", "'bfloat16'"]),
    "bad storage scheme": (["model.storageUri=ftp://x/y"], [], ["/model/storageUri", "does not match pattern"]),
    "canary over 100": (["predictor.canaryTrafficPercent=120"], [], ["/predictor/canaryTrafficPercent", "maximum"]),
    "null model id": (["model.id=null"], [], ["/model/id", "want string"]),
    "tp larger than devices": (
        ["accelerator.count=2"], [], ["model.tensorParallelSize=4", "accelerator.count=2", "nvidia.com/gpu"]),
    "tp larger than devices via tp": (
        ["model.tensorParallelSize=8", "accelerator.count=4"], [], ["model.tensorParallelSize=8", "accelerator.count=4"]),
    "scale to zero with Standard": (
        ["predictor.scaleToZero=true", "deploymentMode=Standard"], [], ["predictor.scaleToZero", "Knative"]),
    "scale to zero with RawDeployment": (
        ["predictor.scaleToZero=true", "deploymentMode=RawDeployment"], [], ["predictor.scaleToZero", "Knative"]),
    "knative-only metric in Standard": (["predictor.scaleMetric=rps"], [], ["predictor.scaleMetric", "Knative-only"]),
    "hostIPC with Knative": (["predictor.hostIPC=true", "deploymentMode=Knative"], [], ["predictor.hostIPC", "Knative"]),
    "max below min": (["predictor.minReplicas=3", "predictor.maxReplicas=2"], [], ["predictor.maxReplicas=2", "minReplicas=3"]),
    "token env name": ([], ["model.env.HF_TOKEN=abc"], ["model.env.HF_TOKEN", "hfToken.secretName"]),
    "rules without monitor": (["metrics.prometheusRule.enabled=true"], [], ["metrics.prometheusRule.enabled", "serviceMonitor"]),
    "route without host": (["ingress.enabled=true"], [], ["ingress.host", "routing.domain"]),
    "httproute without gateway": (
        ["httpRoute.enabled=true", "routing.domain=example.com"], [], ["httpRoute.parentRefs"]),
    "cache from a pvc": (
        ["modelCache.enabled=true", "model.storageUri=pvc://claim/path"], [], ["modelCache.enabled", "model.storageUri"]),
    "bad name override": (["fullnameOverride=Bad_Name"], [], ["/fullnameOverride"]),
}


@needs_helm
@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_bad_values_fail_naming_the_field(case):
    sets, set_strings, needles = BAD_VALUES[case]
    proc = template_proc([values_file("nvidia")], sets, set_strings=set_strings)
    assert proc.returncode != 0, f"{case}: rendered although it should fail"
    for needle in needles:
        assert needle in proc.stderr, f"{case}: {needle!r} not in {proc.stderr!r}"


TOKEN_FIELDS = [
    ("model.extraArgs[0]", f"--hf-token={TOKEN}", "/model/extraArgs/0"),
    ("model.env.MY_VAR", TOKEN, "/model/env/MY_VAR"),
    ("model.id", TOKEN, "/model/id"),
    ("model.servedName", TOKEN, "/model/servedName"),
    ("model.storageUri", f"hf://{TOKEN}", None),
    ("hfToken.secretName", TOKEN, "/hfToken/secretName"),
    ("hfToken.secretKey", TOKEN, "/hfToken/secretKey"),
    ("predictor.podAnnotations.note", f"Bearer {TOKEN}", "/predictor/podAnnotations/note"),
    ("predictor.nodeSelector.x", TOKEN, "/predictor/nodeSelector/x"),
    ("commonLabels.team", TOKEN, "/commonLabels/team"),
    ("annotations.token", TOKEN, "/annotations/token"),
    ("ingress.annotations.auth", TOKEN, "/ingress/annotations/auth"),
    ("predictor.affinity.nodeAffinity.note", TOKEN, "/predictor/affinity/nodeAffinity/note"),
    ("model.securityContext.seccompProfile.localhostProfile", TOKEN, "/model/securityContext/seccompProfile/localhostProfile"),
    ("resources.requests.cpu", TOKEN, "/resources/requests/cpu"),
]


@needs_helm
@pytest.mark.parametrize(("key", "value", "path"), TOKEN_FIELDS, ids=[f[0] for f in TOKEN_FIELDS])
def test_token_in_values_is_rejected_and_never_echoed(key, value, path):
    proc = template_proc([values_file("xeon")], set_strings=[f"{key}={value}"])
    assert proc.returncode != 0, f"{key}: a token was accepted"
    out = proc.stdout + proc.stderr
    assert TOKEN not in out, "the error message leaks the token"
    assert "hfToken.secretName" in proc.stderr and "Secret" in proc.stderr
    if path:
        assert path in proc.stderr


@needs_helm
def test_token_refused_even_without_schema_validation():
    proc = template_proc([values_file("xeon")], set_strings=[f"model.env.MY_VAR={TOKEN}"], extra=["--skip-schema-validation"])
    assert proc.returncode != 0
    assert TOKEN not in proc.stdout + proc.stderr
    assert "hfToken.secretName" in proc.stderr


@needs_helm
@pytest.mark.parametrize("name", ["a" * 46, "9model", "model.v1"])
def test_release_names_kserve_cannot_use_are_refused(name):
    proc = template_proc([values_file("cpu-tiny")], release=name)
    assert proc.returncode != 0
    assert name in proc.stderr and "45 characters" in proc.stderr


# --- what a launcher cannot reach: privileged, hostPath, capabilities beyond the runtime's -----------------------
# AWX surveys and extra variables end in these values (issue 13 item 5). The runtime entries of charts/kserve-runtimes
# declare the capabilities their containers add; a model may add only those of its runtime, never more.

ESCALATIONS = {
    "privileged": ({"model": {"securityContext": {"privileged": True}}}, ["/model/securityContext/privileged"]),
    "privilege escalation": ({"model": {"securityContext": {"allowPrivilegeEscalation": True}}},
                             ["/model/securityContext/allowPrivilegeEscalation"]),
    "capability not declared by any runtime": ({"model": {"securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}},
                                               ["/model/securityContext/capabilities/add/0", "SYS_NICE"]),
    "NET_ADMIN": ({"model": {"securityContext": {"capabilities": {"add": ["NET_ADMIN"]}}}},
                  ["/model/securityContext/capabilities/add/0"]),
    "SELinux type (spc_t is privileged)": ({"model": {"securityContext": {"seLinuxOptions": {"type": "spc_t"}}}},
                                           ["/model/securityContext", "seLinuxOptions"]),
    "unmasked /proc": ({"model": {"securityContext": {"procMount": "Unmasked"}}}, ["/model/securityContext", "procMount"]),
    "unconfined seccomp": ({"model": {"securityContext": {"seccompProfile": {"type": "Unconfined"}}}},
                           ["/model/securityContext/seccompProfile/type"]),
    "hostPath volume on the predictor": (
        {"predictor": {"volumes": [{"name": "root", "hostPath": {"path": "/"}}]}}, ["/predictor", "'volumes' not allowed"]),
    "hostPath mount in the model container": (
        {"model": {"volumeMounts": [{"name": "root", "mountPath": "/host"}]}}, ["/model", "'volumeMounts' not allowed"]),
    "host network": ({"predictor": {"hostNetwork": True}}, ["/predictor", "'hostNetwork' not allowed"]),
    "host PID": ({"predictor": {"hostPID": True}}, ["/predictor", "'hostPID' not allowed"]),
}


@needs_helm
@pytest.mark.parametrize("case", sorted(ESCALATIONS))
def test_values_that_escalate_are_refused(case, tmp_path):
    """helm template refuses every way a values file (or a survey answer) could escalate the model's pod."""
    values, needles = ESCALATIONS[case]
    extra = tmp_path / "values.yaml"
    extra.write_text(yaml.safe_dump(values))
    proc = template_proc([values_file("xeon"), str(extra)])
    assert proc.returncode != 0, f"{case}: rendered although it should be refused"
    for needle in needles:
        assert needle in proc.stderr, f"{case}: {needle!r} not in {proc.stderr!r}"


@needs_helm
@pytest.mark.parametrize(("platform", "sets", "runtime"), [
    ("nvidia", [], "llmops-vllm-nvidia"),
    ("xeon", ["runtime.flavour=hf"], "llmops-hf-xeon"),
    ("xeon", ["runtime.name=my-runtime"], "my-runtime"),
])
def test_capability_the_runtime_does_not_declare_is_refused(platform, sets, runtime, tmp_path):
    """SYS_NICE is declared by the vLLM runtimes of Xeon and Gaudi only: on any other runtime a model cannot add it."""
    extra = tmp_path / "values.yaml"
    extra.write_text(yaml.safe_dump({"model": {"securityContext": {"capabilities": {"add": ["SYS_NICE"]}}}}))
    proc = template_proc([values_file(platform), str(extra)], sets)
    assert proc.returncode != 0, f"{runtime}: SYS_NICE was accepted"
    assert (f'model.securityContext.capabilities.add: "SYS_NICE" is not declared by runtime {runtime} (it declares: none)'
            in proc.stderr), proc.stderr


@needs_helm
@pytest.mark.parametrize("platform", ["xeon", "gaudi", "gaudi3"])
def test_capability_the_runtime_declares_and_hardening_are_accepted(platform, tmp_path):
    extra = tmp_path / "values.yaml"
    context = {"capabilities": {"add": ["SYS_NICE"], "drop": ["ALL"]}, "privileged": False,
               "allowPrivilegeEscalation": False, "runAsNonRoot": True, "readOnlyRootFilesystem": False,
               "seccompProfile": {"type": "RuntimeDefault"}}
    extra.write_text(yaml.safe_dump({"model": {"securityContext": context}}))
    isvc = isvc_of(render([values_file(platform), str(extra)]))
    assert isvc["spec"]["predictor"]["model"]["securityContext"] == context


def test_declared_capabilities_match_the_runtime_catalog():
    """The model chart's list of what each runtime declares is the kserve-runtimes catalog's, entry by entry."""
    catalog = yaml.safe_load((ROOT / "charts" / "kserve-runtimes" / "values.yaml").read_text())["catalog"]
    declared = {name: sorted(((entry.get("securityContext") or {}).get("capabilities") or {}).get("add") or [])
                for name, entry in catalog.items()}
    helpers = (CHART / "templates" / "_helpers.tpl").read_text()
    line = re.search(r"\$declaredCaps := dict (.*?) -}}", helpers).group(1)
    in_chart = {name: sorted(caps.split()) for name, caps in
                ((m[0], m[1].replace('"', "")) for m in re.findall(r'"([^"]+)" \(list ([^)]*)\)', line))}
    assert in_chart == {name: caps for name, caps in declared.items() if caps}, (in_chart, declared)
    schema = json.loads((CHART / "values.schema.json").read_text())
    enum = schema["properties"]["model"]["properties"]["securityContext"]["properties"]["capabilities"]["properties"]["add"]
    assert sorted(enum["items"]["enum"]) == sorted({cap for caps in declared.values() for cap in caps})


# --- schema with Python's jsonschema (no helm needed) -------------------------------------------


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


@pytest.fixture(scope="module")
def validator():
    import jsonschema  # pylint: disable=import-outside-toplevel  # in requirements-dev.txt: never skipped
    schema = json.loads((CHART / "values.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def _values(platform: str, **over) -> dict:
    base = yaml.safe_load((CHART / "values.yaml").read_text())
    merged = _merge(base, yaml.safe_load(Path(values_file(platform)).read_text()))
    return _merge(merged, over)


@pytest.mark.parametrize("platform", PLATFORM_FILES)
def test_schema_accepts_platform_files(validator, platform):
    errors = [e.message for e in validator.iter_errors(_values(platform))]
    assert errors == []


def test_schema_rejects_unknown_key_and_token(validator):
    bad = _values("xeon", extra=1, model={"extraArgs": [f"--x={TOKEN}"]})
    errors = {tuple(e.absolute_path): e.message for e in validator.iter_errors(bad)}
    assert "'extra' was unexpected" in errors[()]
    assert "hfToken.secretName" in errors[("model", "extraArgs", 0)]
    assert TOKEN not in " ".join(errors.values())


def test_schema_token_check_is_anywhere(validator):
    """Every string field in the schema refuses a token: walk values.yaml and try each string leaf."""
    base = _values("xeon")

    def leaves(node, path=()):
        if isinstance(node, dict):
            for k, v in node.items():
                yield from leaves(v, (*path, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from leaves(v, (*path, i))
        elif isinstance(node, str):
            yield path

    def put(node, path, value):
        node = copy.deepcopy(node)
        cur = node
        for p in path[:-1]:
            cur = cur[p]
        cur[path[-1]] = value
        return node

    paths = list(leaves(base))
    assert len(paths) > 30
    accepted = [p for p in paths if not list(validator.iter_errors(put(base, p, TOKEN)))]
    assert accepted == []


# --- download credentials and revision (KServe's storage initializer) ------------------------------------------

STORAGE_SECRET_ANNOTATIONS = ("serving.kserve.io/storageSecretName", "serving.kserve.io/secretName")
SHA = "0123456789abcdef0123456789abcdef01234567"


@needs_helm
@pytest.mark.parametrize("mode", MODES)
def test_storage_initializer_gets_the_token_secret_by_annotation(mode):
    """KServe's pod webhook gives the storage-initializer init container HF_TOKEN only from the Secret named by the
    storage secret annotation (or the ServiceAccount's Secrets), never from the model container's env: the chart
    names the hf-token Secret under both annotation names KServe ships (manifests / Helm chart defaults)."""
    isvc = isvc_of(render([values_file("nvidia")], [f"deploymentMode={mode}", "hfToken.secretName=my-hf"]))
    annotations = isvc["metadata"]["annotations"]
    for key in STORAGE_SECRET_ANNOTATIONS:
        assert annotations[key] == "my-hf"
    assert isvc["spec"]["predictor"]["model"]["storageUri"].startswith("hf://")
    # the model container keeps its own reference (by name: the token is never in the manifest)
    ref = env_map(isvc["spec"]["predictor"]["model"])["HF_TOKEN"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "my-hf", "key": "HF_TOKEN"}


@needs_helm
@pytest.mark.parametrize("sets", [
    ["hfToken.enabled=false"],
    ["model.storageUri=s3://bucket/model"],       # the annotated Secret would replace the ServiceAccount's s3 Secrets
    ["modelCache.enabled=true"],                  # the predictor reads the PVC; the download Job has its own env
    ["--set-json", "hfToken.storageSecretNameAnnotations=[]"],
], ids=["no token", "s3 source", "model cache", "annotations off"])
def test_no_storage_secret_annotation_when_not_downloading_from_the_hub_with_a_token(sets):
    extra = sets if sets[0] == "--set-json" else []
    isvc = isvc_of(render([values_file("nvidia")], [] if extra else sets, extra=extra))
    assert not set(STORAGE_SECRET_ANNOTATIONS) & set(isvc["metadata"]["annotations"])


@needs_helm
def test_user_annotation_of_the_same_name_wins():
    isvc = isvc_of(render([values_file("nvidia")], ["annotations.serving\\.kserve\\.io/secretName=other"]))
    assert isvc["metadata"]["annotations"]["serving.kserve.io/secretName"] == "other"
    assert isvc["metadata"]["annotations"]["serving.kserve.io/storageSecretName"] == "hf-token"


@needs_helm
@pytest.mark.parametrize("revision", [SHA, "main", "v1.0"])
def test_model_revision_becomes_the_storage_uri(revision):
    isvc = isvc_of(render([values_file("nvidia")], [f"model.revision={revision}"]))
    model_id = yaml.safe_load(Path(values_file("nvidia")).read_text())["model"]["id"]
    assert isvc["spec"]["predictor"]["model"]["storageUri"] == f"hf://{model_id}:{revision}"


@needs_helm
def test_model_revision_is_downloaded_by_the_cache_job():
    docs = render([values_file("nvidia")], [f"model.revision={SHA}", "modelCache.enabled=true"])
    job = by_kind(docs, "Job")[0]
    assert job["spec"]["template"]["spec"]["initContainers"][0]["args"][0].endswith(f":{SHA}")


@needs_helm
@pytest.mark.parametrize(("sets", "needles"), [
    ([f"model.revision={SHA}", "model.storageUri=hf://a/b"], ["model.revision", "model.storageUri", "hf://a/b"]),
    (["model.revision=refs/pr/1"], ["/model/revision", "does not match pattern"]),
    (["model.revision=main:x"], ["/model/revision"]),
    (["hfToken.secretKey=token"], ["hfToken.secretKey=\"token\"", "HF_TOKEN", "storageSecretNameAnnotations"]),
], ids=["revision and uri", "revision with slash", "revision with colon", "secret key not HF_TOKEN"])
def test_bad_revision_and_secret_key_fail_naming_the_field(sets, needles):
    proc = template_proc([values_file("nvidia")], sets)
    assert proc.returncode != 0
    for needle in needles:
        assert needle in proc.stderr, (needle, proc.stderr)


@needs_helm
def test_other_secret_key_is_fine_when_the_service_account_brings_credentials():
    isvc = isvc_of(render([values_file("nvidia")], ["hfToken.secretKey=token"],
                          extra=["--set-json", "hfToken.storageSecretNameAnnotations=[]"]))
    assert env_map(isvc["spec"]["predictor"]["model"])["HF_TOKEN"]["valueFrom"]["secretKeyRef"]["key"] == "token"


@needs_helm
def test_platform_files_derive_the_source_from_the_model_id():
    """No values file pins a storageUri: an inventory entry's model_id (and revision) decide what is downloaded."""
    for platform in PLATFORM_FILES:
        isvc = isvc_of(render([values_file(platform)], ["model.id=acme/other-model", "model.revision=v2"]))
        assert isvc["spec"]["predictor"]["model"]["storageUri"] == "hf://acme/other-model:v2", platform
