# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render tests of the kserve-model chart's canaries (KServe v0.20 ``spec.canary[]``, Standard mode), no cluster.

``helm template`` with the chart's values.schema.json: the canary entries KServe gets, the bad values refused with a
message naming the field, and the promotion contract: the main predictor rendered from a canary's values
(``predictor.name`` = the canary's name, its overrides as the main values) equals the canary's predictor and carries
the same pod checksum, so KServe keeps the canary's pod template when it becomes the main predictor (the e2e test
tests/e2e/test_canary.py checks the same with KServe's real controller: same Deployment UID, no new ReplicaSet).
"""

from __future__ import annotations

import subprocess

import pytest
import yaml

from test_model_chart import CHART, HELM, KUBE_VERSION, needs_helm, values_file

CANARY = ["canaries[0].name=v2", "canaries[0].trafficPercent=10"]


def template(sets=(), files=("cpu-tiny",), set_strings=(), release="m1"):
    args = [HELM, "template", release, str(CHART), "--namespace", "models", "--kube-version", KUBE_VERSION]
    for name in files:
        args += ["-f", values_file(name)]
    for item in sets:
        args += ["--set", item]
    for item in set_strings:
        args += ["--set-string", item]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def objects(sets=(), **kwargs):
    proc = template(sets, **kwargs)
    assert proc.returncode == 0, proc.stderr
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def isvc(sets=(), **kwargs):
    return next(o for o in objects(sets, **kwargs) if o["kind"] == "InferenceService")


@needs_helm
def test_no_canary_renders_no_canary_field():
    spec = isvc()["spec"]
    assert "canary" not in spec and "name" not in spec["predictor"]


@needs_helm
def test_canary_entry_with_overrides():
    sets = CANARY + ["canaries[0].model.revision=0123456789abcdef0123456789abcdef01234567",
                     "canaries[0].runtime.image=vllm/vllm-openai-cpu:v0.33.0",
                     "canaries[0].model.extraArgs[0]=--enable-prefix-caching",
                     "canaries[0].resources.requests.cpu=3", "canaries[0].resources.limits.cpu=3",
                     "canaries[0].replicas=1"]
    obj = isvc(sets)
    main, canaries = obj["spec"]["predictor"], obj["spec"]["canary"]
    assert len(canaries) == 1 and canaries[0]["trafficPercent"] == 10
    pred = canaries[0]["predictor"]
    assert pred["name"] == "v2"
    assert pred["minReplicas"] == 1
    for field in ("maxReplicas", "scaleMetric", "scaleTarget", "canaryTrafficPercent"):
        assert field not in pred, f"KServe refuses {field} on a canary"
    model = pred["model"]
    assert model["storageUri"] == "hf://Qwen/Qwen2.5-0.5B-Instruct:0123456789abcdef0123456789abcdef01234567"
    assert model["image"] == "vllm/vllm-openai-cpu:v0.33.0"
    assert model["args"][-1] == "--enable-prefix-caching"
    assert model["resources"]["requests"]["cpu"] == "3" and model["resources"]["limits"]["cpu"] == "3"
    # the main predictor is unchanged
    assert main["model"]["storageUri"] == "hf://Qwen/Qwen2.5-0.5B-Instruct" and "image" not in main["model"]
    assert obj["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Standard"
    # the canary's Pods carry their own checksum (predictor annotations win in KServe's merge)
    assert pred["annotations"]["llmops.kserve/pod-checksum"] != obj["metadata"]["annotations"]["llmops.kserve/pod-checksum"]


@needs_helm
def test_canary_with_another_model_drops_the_main_revision():
    pred = isvc(CANARY + ["model.revision=main", "canaries[0].model.id=Qwen/Qwen2.5-1.5B-Instruct"])["spec"]["canary"][0]["predictor"]
    assert pred["model"]["storageUri"] == "hf://Qwen/Qwen2.5-1.5B-Instruct"
    assert pred["annotations"]["llmops.kserve/model-id"] == "Qwen/Qwen2.5-1.5B-Instruct"
    assert pred["labels"]["llmops.kserve/model"] == "Qwen--Qwen2.5-1.5B-Instruct"


@needs_helm
def test_two_canaries_and_dark_launch():
    sets = CANARY + ["canaries[1].name=v3", "canaries[1].trafficPercent=0", "canaries[1].model.revision=v3"]
    canaries = isvc(sets)["spec"]["canary"]
    assert [(c["predictor"]["name"], c["trafficPercent"]) for c in canaries] == [("v2", 10), ("v3", 0)]


PROMOTIONS = {
    "revision": ["model.revision=abc"],
    "model, image, args and resources": [
        "model.id=Qwen/Qwen2.5-1.5B-Instruct", "runtime.image=vllm/vllm-openai-cpu:v0.33.0",
        "model.extraArgs[0]=--enable-prefix-caching", "resources.requests.cpu=3", "resources.limits.cpu=3",
        "resources.requests.memory=4Gi", "resources.limits.memory=4Gi"],
}


@needs_helm
@pytest.mark.parametrize("case", list(PROMOTIONS))
def test_promoted_main_predictor_equals_the_canary(case):
    """What rollout_model.yml's promote writes (the canary's overrides as the main values, predictor.name) renders
    the canary's own predictor: KServe then finds the pod template it already runs (no restart)."""
    overrides = PROMOTIONS[case]
    canary_sets = CANARY + ["canaries[0]." + s for s in overrides]
    before = isvc(canary_sets)
    after = isvc(["predictor.name=v2", *overrides])
    canary = before["spec"]["canary"][0]["predictor"]
    main = after["spec"]["predictor"]
    assert after["metadata"]["annotations"]["llmops.kserve/pod-checksum"] == canary["annotations"]["llmops.kserve/pod-checksum"]
    assert after["metadata"]["annotations"]["llmops.kserve/model-id"] == canary["annotations"]["llmops.kserve/model-id"]
    for key in set(main) | set(canary):
        if key in ("minReplicas", "maxReplicas", "annotations"):
            continue
        assert main.get(key) == canary.get(key), key
    assert main["name"] == "v2" and "canary" not in after["spec"]


@needs_helm
def test_routes_follow_the_promoted_predictor_name():
    sets = ["predictor.name=v2", "routing.domain=example.com", "ingress.enabled=true", "httpRoute.enabled=true",
            "httpRoute.parentRefs[0].name=gw", "apisixRoute.enabled=true"]
    docs = objects(sets)
    text = yaml.safe_dump_all(docs)
    assert "m1-v2-predictor" in text and "m1-predictor." not in text
    route = next(d for d in docs if d["kind"] == "HTTPRoute")
    assert route["spec"]["rules"][0]["backendRefs"][0]["name"] == "m1-v2-predictor"


@needs_helm
def test_httproute_splits_requests_by_the_canary_percent():
    sets = CANARY + ["canaries[0].model.revision=abc", "routing.domain=example.com", "httpRoute.enabled=true",
                     "httpRoute.parentRefs[0].name=gw"]
    route = next(d for d in objects(sets) if d["kind"] == "HTTPRoute")
    assert [(b["name"], b["weight"]) for b in route["spec"]["rules"][0]["backendRefs"]] == [
        ("m1-predictor", 90), ("m1-v2-predictor", 10)]


BAD = {
    "percent over 100": (CANARY[:1] + ["canaries[0].trafficPercent=101"], ["/canaries/0/trafficPercent", "maximum"]),
    "negative percent": (CANARY[:1] + ["canaries[0].trafficPercent=-1"], ["/canaries/0/trafficPercent", "minimum"]),
    "sum over 100": (CANARY[:1] + ["canaries[0].trafficPercent=60", "canaries[1].name=v3", "canaries[1].trafficPercent=50"],
                     ["trafficPercent values add up to 110", "at most 100"]),
    "duplicate name": (CANARY + ["canaries[1].name=v2", "canaries[1].trafficPercent=5"], ["canaries[1].name=\"v2\" is used twice"]),
    "name not DNS-safe": (["canaries[0].name=V_2", "canaries[0].trafficPercent=5"], ["/canaries/0/name", "does not match pattern"]),
    "name of the main predictor": (CANARY + ["predictor.name=v2"], ["canaries[0].name=\"v2\" is the main predictor's name"]),
    "name too long for the Deployment": (CANARY[1:] + ["canaries[0].name=abcdefghijklmnopqrst", "fullnameOverride=" + "a" * 40],
                                         ["longer than 63 characters", "canaries[0].name"]),
    "missing percent": (["canaries[0].name=v2"], ["/canaries/0", "trafficPercent"]),
    "unknown override": (CANARY + ["canaries[0].model.dtype=half"], ["/canaries/0/model", "'dtype' not allowed"]),
    "canary in Knative mode": (CANARY + ["deploymentMode=Knative"], ["/canaries", "need deploymentMode Standard"]),
    "canary in Serverless mode": (CANARY + ["deploymentMode=Serverless"], ["/canaries", "need deploymentMode Standard"]),
    "replicas above the main": (CANARY + ["canaries[0].replicas=2"], ["canaries[0].replicas=2", "predictor.minReplicas=1"]),
    "canaryTrafficPercent in Standard mode": (["predictor.canaryTrafficPercent=10"],
                                              ["predictor.canaryTrafficPercent=10 is Knative-only", "canaries"]),
    "predictor name in Knative mode": (["predictor.name=v2", "deploymentMode=Knative"], ["predictor.name=\"v2\"", "Standard"]),
    "with the model cache": (CANARY + ["modelCache.enabled=true"], ["canaries", "modelCache.enabled=true"]),
    "revision with a storageUri main": (CANARY + ["model.storageUri=s3://b/m", "canaries[0].model.revision=x"],
                                        ["canaries[0].model", "model.storageUri=\"s3://b/m\""]),
}


@needs_helm
@pytest.mark.parametrize("case", list(BAD))
def test_bad_canary_values_fail_naming_the_field(case):
    sets, needles = BAD[case]
    proc = template(sets)
    assert proc.returncode != 0, f"{case}: rendered although it should fail"
    for needle in needles:
        assert needle in proc.stderr, f"{case}: {needle!r} not in {proc.stderr!r}"


@needs_helm
def test_knative_check_holds_without_the_schema():
    proc = template(CANARY + ["deploymentMode=Knative"], set_strings=())
    assert proc.returncode != 0
    args = [HELM, "template", "m1", str(CHART), "-f", values_file("cpu-tiny"), "--skip-schema-validation",
            "--set", "deploymentMode=Knative", *sum((["--set", s] for s in CANARY), [])]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode != 0 and "canaries: KServe's spec.canary needs deploymentMode Standard" in proc.stderr
