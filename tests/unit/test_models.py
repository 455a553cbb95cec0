"""Unit tests of the model list logic (plugins/module_utils/models.py)."""
from __future__ import annotations

import pytest

from ansible_collections.llmops.kserve.plugins.module_utils import models as m

PLATFORMS = ["xeon", "gaudi", "gaudi3", "nvidia", "cpu-tiny"]


def good(**kw):
    entry = {"name": "llama", "model_id": "meta-llama/Llama-3.1-8B-Instruct", "platform": "nvidia"}
    entry.update(kw)
    return entry


def test_valid_list_has_no_problems():
    assert m.model_problems([good(), good(name="qwen", platform="xeon", profile="cpu-tiny")], PLATFORMS) == []


@pytest.mark.parametrize("entry, words", [
    # cpu-tiny is a profile (values-cpu-tiny.yaml of xeon) in the platform catalog, not a platform
    (good(platform="tpu"), ["platform='tpu'", "known platforms: gaudi, gaudi3, nvidia, xeon"]),
    (good(platform="cpu-tiny"), ["platform='cpu-tiny'", "known platforms: gaudi, gaudi3, nvidia, xeon"]),
    (good(platform="nvidia", profile="cpu-tiny"), ["profile='cpu-tiny' is a values file of platform 'xeon'",
                                                   "platform='nvidia'", "profiles of 'nvidia': nvidia"]),
    (good(profile="gaudi9"), ["profile='gaudi9'", "known: cpu-tiny, gaudi, gaudi3, nvidia, xeon"]),
    (good(name="a" * 46), ["name='" + "a" * 46 + "'", "at most 45 characters"]),
    (good(name="Bad_Name"), ["name='Bad_Name'", "DNS label"]),
    (good(deployment_mode="Serverfull"), ["deployment_mode='Serverfull'", "Knative, Standard"]),
    (good(replicas=-1), ["replicas=-1"]),
    (good(replicas="2"), ["replicas='2'"]),
    (good(colour="red"), ["unknown key(s) colour"]),
    (good(model_id="not a repo"), ["model_id='not a repo'"]),
    (good(values={"model": {"env": {"X": "hf_abcdefghijklmnopqrstu"}}}), ["looks like a Hugging Face token"]),
    (good(state="gone"), ["state='gone'"]),
])
def test_bad_entries_name_field_value_and_allowed(entry, words):
    problems = m.model_problems([entry], PLATFORMS)
    assert len(problems) == 1, problems
    for word in words:
        assert word in problems[0]


def test_duplicate_names_reported_once_with_both_positions():
    problems = m.model_problems([good(), good()], PLATFORMS)
    assert problems == ["models[1] (llama): name='llama' is used twice (also models[0]); each model needs its own name"]


def test_every_problem_listed_at_once():
    problems = m.model_problems([good(platform="tpu"), good(name="x", deployment_mode="nope")], PLATFORMS)
    assert len(problems) == 2


def test_absent_entry_needs_only_a_name():
    assert m.model_problems([{"name": "old", "state": "absent"}], PLATFORMS) == []


def test_chart_values_mapping():
    values = m.model_chart_values(good(revision="abc123", replicas=2, tensor_parallel_size=4, deployment_mode="Serverless",
                                       values={"predictor": {"maxReplicas": 5}, "model": {"maxModelLen": 8192}}))
    assert values == {
        "platform": "nvidia", "deploymentMode": "Knative",
        "model": {"id": "meta-llama/Llama-3.1-8B-Instruct", "revision": "abc123",
                  "tensorParallelSize": 4, "maxModelLen": 8192},
        "predictor": {"minReplicas": 2, "maxReplicas": 5},
    }
    assert m.model_profile(good()) == "nvidia"
    assert m.model_profile(good(profile="cpu-tiny")) == "cpu-tiny"


@pytest.mark.parametrize("revision", ["main", "v1.0", "0123456789abcdef0123456789abcdef01234567"])
def test_revision_accepted(revision):
    assert m.model_problems([good(revision=revision)], PLATFORMS) == []
    assert m.model_chart_values(good(revision=revision))["model"]["revision"] == revision


@pytest.mark.parametrize("revision", ["refs/pr/1", "main:x", "-x", "", 7])
def test_bad_revision_names_field_and_value(revision):
    problems = m.model_problems([good(revision=revision)], PLATFORMS)
    assert len(problems) == 1 and "revision=%r" % (revision,) in problems[0] and "40-hex" in problems[0], problems


def isvc(name, ready=None, url=None, platform="xeon", mode="Standard"):
    obj = {"metadata": {"name": name, "namespace": "ns", "labels": {"llmops.kserve/platform": platform},
                        "annotations": {"serving.kserve.io/deploymentMode": mode}}}
    if ready is not None:
        obj["status"] = {"url": url, "conditions": [
            {"type": "PredictorReady", "status": "True"},
            {"type": "Ready", "status": "True" if ready else "False", "reason": "MinimumReplicasUnavailable",
             "message": "0/1 replicas available"}]}
    return obj


def test_readiness_names_what_is_not_ready():
    result = m.model_readiness([isvc("a", True, "http://a"), isvc("b", False), isvc("c")], ["a", "b", "c", "d"])
    assert result["ready"] == ["a"]
    reasons = {r["name"]: r["reason"] for r in result["not_ready"]}
    assert reasons["b"] == "Ready=False (0/1 replicas available)"
    assert "KServe controller" in reasons["c"]
    assert reasons["d"] == "no InferenceService yet"


def failed_to_load(name, message="Storage initialization failed: 401 Unauthorized"):
    obj = isvc(name, False)
    obj["status"]["modelStatus"] = {"transitionStatus": "BlockedByFailedLoad",
                                    "states": {"targetModelState": "FailedToLoad"},
                                    "lastFailureInfo": {"reason": "ModelLoadFailed", "message": message, "exitCode": 1}}
    return obj


def test_readiness_reports_what_kserve_says_cannot_load():
    loading = isvc("b", False)
    loading["status"]["modelStatus"] = {"transitionStatus": "InProgress", "states": {"targetModelState": "Loading"}}
    result = m.model_readiness([isvc("a", True), loading, failed_to_load("c")], ["a", "b", "c"])
    assert result["ready"] == ["a"]
    assert [r["name"] for r in result["not_ready"]] == ["b", "c"]
    assert result["failed"] == [{"name": "c", "reason": "BlockedByFailedLoad (ModelLoadFailed, exit code 1): "
                                                        "Storage initialization failed: 401 Unauthorized"}]
    assert m.model_readiness([loading], ["b"])["failed"] == []


def test_summary_row_shows_a_failed_load():
    rows = m.model_rows([failed_to_load("c", "line one\nline two")])
    assert rows[0]["status"] == "BlockedByFailedLoad (ModelLoadFailed, exit code 1): line one line two"


def test_summary_rows_and_table():
    rows = m.model_rows([isvc("b", False), isvc("a", True, "http://a.ns.example.com", "nvidia", "Knative")])
    assert [r["model"] for r in rows] == ["a", "b"]
    lines = m.format_table(rows)
    assert lines[0].split() == ["MODEL", "PLATFORM", "MODE", "URL", "STATUS"]
    assert lines[1].split() == ["a", "nvidia", "Knative", "http://a.ns.example.com", "Ready"]
    assert lines[2].split() == ["b", "xeon", "Standard", "-", "NotReady"]


def test_capacity_request_from_rendered_chart():
    rendered = [
        {"kind": "NetworkPolicy"},
        {"kind": "InferenceService", "spec": {"predictor": {
            "minReplicas": 2, "nodeSelector": {"nvidia.com/gpu.present": "true"},
            "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
            "model": {"resources": {"requests": {"cpu": "16", "memory": "256Gi"},
                                    "limits": {"nvidia.com/gpu": "4", "memory": "256Gi"}}}}}},
    ]
    req = m.model_capacity_request(rendered, "llama")
    assert req == {"name": "llama", "resource": "nvidia.com/gpu", "count": "4", "replicas": 2,
                   "node_selector": {"nvidia.com/gpu.present": "true"},
                   "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
                   "resources": {"cpu": "16", "memory": "256Gi"}}
    cpu_only = m.model_capacity_request([{"kind": "InferenceService", "spec": {"predictor": {
        "model": {"resources": {"requests": {"cpu": "2", "memory": "4Gi"}}}}}}], "tiny")
    assert (cpu_only["resource"], cpu_only["count"], cpu_only["resources"], cpu_only["replicas"]) == ("cpu", "2", {"memory": "4Gi"}, 1)
    assert m.model_capacity_request([{"kind": "Service"}], "x") is None
