"""Progressive rollout with KServe v0.20 canaries (spec.canary, Standard mode): playbooks/rollout_model.yml against
KServe's real controller and webhooks on the local cluster.

One model (2 replicas of the cpu-tiny profile) is deployed once for the module with playbooks/deploy_models.yml,
then: bad inputs fail before any change (the release keeps its revision); start -> Deployment
<model>-v2-predictor appears and becomes Ready, KServe reports the split in status.canaryStatuses; step changes only
the percent; promote -> the main predictor serves the canary's spec in the same Deployment (same UID, same
ReplicaSet: no Pod restarted) and the old <model>-predictor is gone; abort -> the canary's Deployment is gone and the
main one untouched. Every action is run twice (the second changes nothing) and in check mode.

What is real: KServe's controller, webhooks and reconciler, the kube-apiserver, the Deployment controller, Helm.
What is simulated: kwok marks the Pods Running/Ready without running any container (no vLLM serves, no weights are
downloaded); the Hugging Face Hub is tests/integration/hf_server.py. The metric gate is evaluated against a small
stand-in HTTP server on 127.0.0.1 that answers Prometheus' /api/v1/query API shape with fixed per-query values (it
is NOT a real Prometheus: building Prometheus from its Go module does not fit this project's CI budget), with a
passing and a failing case.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

import harness

NAMESPACE = "llmops-e2e-canary"
MODEL = {"name": "canary-m", "model_id": "Qwen/Qwen2.5-0.5B-Instruct", "platform": "xeon", "profile": "cpu-tiny",
         "deployment_mode": "Standard", "replicas": 2}
KNATIVE_MODEL = dict(MODEL, name="kn-model", deployment_mode="Knative")


class StandInPrometheus:
    """Answers GET /api/v1/query like Prometheus' HTTP API (a vector with one sample) from fixed values: the query's
    metric (http_requests_total -> "error", vllm:e2e_request_latency_seconds -> "p95") and whose Pods it selects
    ("canary" when the pod regex names the canary's Deployment, else "main"). Not a real Prometheus."""

    def __init__(self, canary: str):
        self.canary = canary
        self.values = {("error", "canary"): 0.0, ("error", "main"): 0.0, ("p95", "canary"): 1.0, ("p95", "main"): 1.0}
        self.queries: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                parts = urlsplit(self.path)
                query = parse_qs(parts.query).get("query", [""])[0]
                if parts.path != "/api/v1/query" or not query:
                    self.send_response(400)
                    self.end_headers()
                    return
                outer.queries.append(query)
                kind = "p95" if "vllm:e2e_request_latency_seconds" in query else "error"
                who = "canary" if f"-{outer.canary}-predictor-" in query else "main"
                body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
                    {"metric": {}, "value": [1700000000, str(outer.values[(kind, who)])]}]}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def vars_file(tmp_path_factory):
    return harness.write_vars(tmp_path_factory.mktemp("canary"), [MODEL, KNATIVE_MODEL], NAMESPACE)


@pytest.fixture(scope="module")
def deployed(playbooks, kserve_controller, kubectl_bin, kubeconfig, hub, tmp_path_factory):  # noqa: ARG001
    """The runtimes registered and MODEL deployed (only it: the Knative entry is for the bad-input case)."""
    harness.delete_namespace(kubectl_bin, kubeconfig, NAMESPACE)
    playbooks.register_runtimes(only_if_missing=True)
    only = harness.write_vars(tmp_path_factory.mktemp("canary-deploy"), [MODEL], NAMESPACE)
    rc, out, _changed = playbooks.run("playbooks/deploy_models.yml", "-e", only, env={"HF_ENDPOINT": hub.endpoint})
    assert rc == 0, out[-5000:]
    yield
    harness.delete_namespace(kubectl_bin, kubeconfig, NAMESPACE)


@pytest.fixture(scope="module")
def prometheus():
    server = StandInPrometheus("v2")
    yield server
    server.close()


def rollout(playbooks, vars_file, action, *extra, check=False):
    args = ["-e", vars_file, "-e", f"llmops_rollout_model={MODEL['name']}", "-e", f"llmops_rollout_action={action}", *extra]
    if check:
        args.append("--check")
    return playbooks.run("playbooks/rollout_model.yml", *args)


def release_revision(kubectl_bin, kubeconfig) -> int:
    return harness.helm_releases(kubectl_bin, kubeconfig, NAMESPACE)[MODEL["name"]]


def deployments(kube_json) -> dict[str, dict]:
    items = kube_json("get", "deployments", "-n", NAMESPACE, "-l",
                      f"serving.kserve.io/inferenceservice={MODEL['name']},component=predictor")["items"]
    return {d["metadata"]["name"]: d for d in items}


def replicasets(kube_json, deployment: str) -> set[str]:
    items = kube_json("get", "replicasets", "-n", NAMESPACE)["items"]
    return {r["metadata"]["name"] for r in items
            if any(o.get("name") == deployment for o in r["metadata"].get("ownerReferences", []))}


def isvc(kube_json) -> dict:
    return kube_json("get", "inferenceservice", MODEL["name"], "-n", NAMESPACE)


MAIN = f"{MODEL['name']}-predictor"
CANARY = f"{MODEL['name']}-v2-predictor"
BAD = {
    "unknown model": (["-e", "llmops_rollout_model=nope", "-e", "llmops_rollout_canary_name=v2",
                       "-e", "llmops_rollout_canary_revision=v2"], "model_rollout_model=\"nope\" is not a model of the inventory"),
    "percent over 100": (["-e", "llmops_rollout_canary_name=v2", "-e", "llmops_rollout_canary_revision=v2",
                          "-e", "llmops_rollout_percent=120"], "model_rollout_percent=120 is outside 0-100"),
    "canary in Knative mode": (["-e", "llmops_rollout_model=kn-model", "-e", "llmops_rollout_canary_name=v2",
                                "-e", "llmops_rollout_canary_revision=v2"], "need Standard mode"),
    "canary that does not fit on top of the model": (
        ["-e", "llmops_rollout_canary_name=big", "-e", json.dumps({"llmops_rollout_canary": {
            "resources": {"requests": {"cpu": "500", "memory": "4Gi"}, "limits": {"cpu": "500", "memory": "4Gi"}}}}),
         "-e", "llmops_rollout_canary_revision=v2"], "does not fit on top of the running model"),
}


@pytest.mark.parametrize("case", list(BAD) + ["promote with no canary"])
def test_bad_input_fails_before_any_change(case, playbooks, deployed, vars_file, kubectl_bin, kubeconfig, kube_json):  # noqa: ARG001
    before = release_revision(kubectl_bin, kubeconfig)
    if case == "promote with no canary":
        rc, out, _changed = rollout(playbooks, vars_file, "promote")
        expected = "model canary-m has no canary to promote"
    else:
        extra, expected = BAD[case]
        rc, out, _changed = rollout(playbooks, vars_file, "start", *extra)
    assert rc != 0, out[-3000:]
    assert expected in out, out[-3000:]
    assert "Nothing was changed" in out
    assert release_revision(kubectl_bin, kubeconfig) == before
    assert set(deployments(kube_json)) == {MAIN}


def test_start_creates_the_canary_deployment(playbooks, deployed, vars_file, kube_json):  # noqa: ARG001
    main_uid = deployments(kube_json)[MAIN]["metadata"]["uid"]
    rc, out, changed = rollout(playbooks, vars_file, "start", "-e", "llmops_rollout_canary_name=v2",
                               "-e", "llmops_rollout_canary_revision=v2", check=True)
    assert rc == 0 and changed > 0, out[-3000:]
    assert set(deployments(kube_json)) == {MAIN}, "check mode created the canary"
    rc, out, changed = rollout(playbooks, vars_file, "start", "-e", "llmops_rollout_canary_name=v2",
                               "-e", "llmops_rollout_canary_revision=v2")
    assert rc == 0 and changed > 0, out[-5000:]
    deps = deployments(kube_json)
    assert set(deps) == {MAIN, CANARY}
    canary = deps[CANARY]
    assert canary["status"].get("readyReplicas") == canary["spec"]["replicas"] == 1  # ceil(2 x 10 / 100)
    assert deps[MAIN]["metadata"]["uid"] == main_uid and deps[MAIN]["spec"]["replicas"] == 1  # 2 - 1 (KServe)
    sources = {k: v for k, v in canary["spec"]["template"]["metadata"]["annotations"].items()
               if k.endswith("/storage-initializer-sourceuri")}
    assert list(sources.values()) == ["hf://Qwen/Qwen2.5-0.5B-Instruct:v2"], sources
    status = isvc(kube_json)["status"]
    assert [(c["name"], c["ready"], c["trafficPercent"]) for c in status["canaryStatuses"]] == [("v2", True, 10)]
    # the one-table status
    assert any(CANARY in line and "canary" in line and "10%" in line and "1/1" in line for line in out.splitlines()), out[-3000:]
    assert any(MAIN in line and "main" in line and "90%" in line for line in out.splitlines())
    rc, out, changed = rollout(playbooks, vars_file, "start", "-e", "llmops_rollout_canary_name=v2",
                               "-e", "llmops_rollout_canary_revision=v2")
    assert rc == 0 and changed == 0, out[-4000:]


def test_step_changes_only_the_percent(playbooks, deployed, vars_file, kube_json):  # noqa: ARG001
    before = isvc(kube_json)
    canary_before = deployments(kube_json)[CANARY]
    rc, out, changed = rollout(playbooks, vars_file, "step")
    assert rc == 0 and changed > 0, out[-5000:]
    assert "WARNING: the metric gate was SKIPPED" in out
    after = isvc(kube_json)
    assert [c["trafficPercent"] for c in after["spec"]["canary"]] == [50]
    assert [dict(c, trafficPercent=0) for c in after["spec"]["canary"]] == [dict(c, trafficPercent=0) for c in before["spec"]["canary"]]
    assert after["spec"]["predictor"] == before["spec"]["predictor"]
    assert [(c["name"], c["trafficPercent"]) for c in after["status"]["canaryStatuses"]] == [("v2", 50)]
    canary_after = deployments(kube_json)[CANARY]
    assert canary_after["metadata"]["uid"] == canary_before["metadata"]["uid"]
    assert canary_after["spec"]["template"] == canary_before["spec"]["template"]


def test_failing_gate_holds_the_traffic(playbooks, deployed, vars_file, kube_json, prometheus):  # noqa: ARG001
    prometheus.values[("p95", "canary")] = 3.0  # 3 x the main predictor's p95
    try:
        rc, out, _changed = rollout(playbooks, vars_file, "step", "-e", f"llmops_rollout_prometheus_url={prometheus.url}")
    finally:
        prometheus.values[("p95", "canary")] = 1.0
    assert rc != 0, out[-3000:]
    assert "The metric gate failed" in out and "p95 latency" in out and "traffic stays at 50%" in out, out[-3000:]
    assert [c["trafficPercent"] for c in isvc(kube_json)["spec"]["canary"]] == [50]
    assert any("vllm:e2e_request_latency_seconds_bucket" in q and "canary-m-v2-predictor-" in q for q in prometheus.queries)
    assert any("http_requests_total" in q and 'status=~"5.."' in q for q in prometheus.queries)


def test_passing_gate_steps_on(playbooks, deployed, vars_file, kube_json, prometheus):  # noqa: ARG001
    rc, out, changed = rollout(playbooks, vars_file, "step", "-e", f"llmops_rollout_prometheus_url={prometheus.url}")
    assert rc == 0 and changed > 0, out[-5000:]
    assert [c["trafficPercent"] for c in isvc(kube_json)["spec"]["canary"]] == [100]
    rc, out, changed = rollout(playbooks, vars_file, "step", "-e", f"llmops_rollout_prometheus_url={prometheus.url}")
    assert rc == 0 and changed == 0 and "at the last step (100%)" in out, out[-4000:]


def test_promote_keeps_the_canary_deployment(playbooks, deployed, vars_file, kube_json, prometheus):  # noqa: ARG001
    canary_before = deployments(kube_json)[CANARY]
    sets_before = replicasets(kube_json, CANARY)
    rc, out, changed = rollout(playbooks, vars_file, "promote", "-e", f"llmops_rollout_prometheus_url={prometheus.url}",
                               check=True)
    assert rc == 0 and changed > 0, out[-4000:]
    assert "canary" in isvc(kube_json)["spec"], "check mode promoted"
    rc, out, changed = rollout(playbooks, vars_file, "promote", "-e", f"llmops_rollout_prometheus_url={prometheus.url}")
    assert rc == 0 and changed > 0, out[-5000:]
    spec = isvc(kube_json)["spec"]
    assert "canary" not in spec and spec["predictor"]["name"] == "v2"
    assert spec["predictor"]["model"]["storageUri"].endswith(":v2")
    deps = deployments(kube_json)
    assert set(deps) == {CANARY}, "the old main Deployment is still there"
    promoted = deps[CANARY]
    assert promoted["metadata"]["uid"] == canary_before["metadata"]["uid"], "the Deployment was recreated"
    assert promoted["spec"]["template"] == canary_before["spec"]["template"], "the pod template changed (Pods restart)"
    assert replicasets(kube_json, CANARY) == sets_before, "a new ReplicaSet means restarted Pods"
    assert promoted["spec"]["replicas"] == 2 and promoted["status"].get("readyReplicas") == 2
    assert "revision" in out and "predictor" in out and '"name": "v2"' in out  # the inventory hint
    rc, out, changed = rollout(playbooks, vars_file, "promote", "-e", "llmops_rollout_canary_name=v2")
    assert rc == 0 and changed == 0, out[-4000:]


def test_abort_removes_the_canary_and_leaves_the_main_untouched(playbooks, deployed, vars_file, kube_json):  # noqa: ARG001
    rc, out, _changed = rollout(playbooks, vars_file, "start", "-e", "llmops_rollout_canary_name=v3",
                                "-e", "llmops_rollout_canary_revision=v3")
    assert rc == 0, out[-5000:]
    v3 = f"{MODEL['name']}-v3-predictor"
    main_before = deployments(kube_json)[CANARY]
    assert v3 in deployments(kube_json)
    rc, out, changed = rollout(playbooks, vars_file, "abort")
    assert rc == 0 and changed > 0, out[-5000:]
    deps = deployments(kube_json)
    assert set(deps) == {CANARY}
    assert deps[CANARY]["metadata"]["uid"] == main_before["metadata"]["uid"]
    assert deps[CANARY]["spec"]["template"] == main_before["spec"]["template"]
    assert deps[CANARY]["spec"]["replicas"] == 2
    assert "canary" not in isvc(kube_json)["spec"]
    rc, out, changed = rollout(playbooks, vars_file, "abort")
    assert rc == 0 and changed == 0, out[-4000:]
    rc, out, changed = rollout(playbooks, vars_file, "status")
    assert rc == 0 and changed == 0 and "no canary running" in out
