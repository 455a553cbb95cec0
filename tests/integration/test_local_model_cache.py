"""KServe's node-local model cache (LocalModelCache / LocalModelNodeGroup, KServe v0.20) against the local cluster.

What runs for real: the kube-apiserver with KServe's localmodel CRDs (generated from KServe's Go types by the session
``kubeconfig`` fixture), KServe's controller manager and its InferenceService webhook (``kserve_controller``
fixture), and KServe's own localmodel controller (``cmd/localmodel`` of the pinned module, built by
``hack/bootstrap.sh localmodel`` as ``$LLMOPS_CACHE/bin/kserve-localmodel``) as a host process. What is proven:

- our chart's LocalModelCache and InferenceService and the kserve role's LocalModelNodeGroup pass a strict
  server-side dry run (fieldValidation=Strict);
- with localModel enabled in inferenceservice-config, KServe's webhook matches our InferenceService's storageUri with
  our LocalModelCache (it labels the InferenceService with the cache and names the node group's PVC);
- KServe's localmodel controller reconciles our LocalModelCache: a LocalModelNode per node of the group (the kwok
  Xeon nodes the group's PV node affinity selects) listing our model, the download PV/PVC in the job namespace and the
  PV/PVC the predictor mounts in the model's namespace.

What is not: KServe's node agent (``cmd/localmodelnode``: one per node, a DaemonSet writing into the node's
``/mnt/models``, a path compiled into it) is not run, so no download Job is created and nothing is downloaded; kwok
nodes have no disks.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import harness

sys.path.insert(0, str(harness.ROOT / "tests" / "e2e"))
sys.path.insert(0, str(harness.ROOT / "hack"))
from kserve_controller_fixture import kserve_controller  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import
import kserve_controller as kc_harness  # noqa: E402  pylint: disable=wrong-import-position

harness.import_collection()
from ansible_collections.llmops.kserve.plugins.module_utils import local_model as lm  # noqa: E402  pylint: disable=wrong-import-position

CACHE = Path(os.environ.get("LLMOPS_CACHE", Path.home() / ".cache" / "llmops-kserve"))
LOCALMODEL_BIN = Path(os.environ.get("KSERVE_LOCALMODEL_BIN", CACHE / "bin" / "kserve-localmodel"))
CHART = harness.ROOT / "charts" / "kserve-model"
NS = "llmops-lmc-test"
JOB_NS = "llmops-lmc-jobs"
GROUP = "llmops-lmc-xeon"
RELEASE = "lmc"
CACHE_NAME = f"{RELEASE}-{NS}"
XEON_NODES = ["xeon-1", "xeon-2"]
LOCALMODEL_LABEL = "internal.serving.kserve.io/localmodel"
PVC_ANNOTATION = "internal.serving.kserve.io/localmodel-pvc-name"


def kubectl(kubeconfig, *args, stdin=None, check=True, timeout=60):
    proc = subprocess.run([harness.kubectl_bin(), "--kubeconfig", kubeconfig, *args], input=stdin, capture_output=True,
                          text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)}: {proc.stderr[-2000:]}")
    return proc


def get(kubeconfig, *args):
    proc = kubectl(kubeconfig, "get", *args, "-o", "json", check=False)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def wait_for(what, fn, timeout=60.0):
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}; last: {value!r}")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def node_group_definition():
    return {"name": GROUP, "storage_limit": "50Gi",
            "persistent_volume_spec": {
                "capacity": {"storage": "50Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": "llmops-lmc",
                "persistentVolumeReclaimPolicy": "Delete", "hostPath": {"path": "/mnt/models", "type": ""},
                "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                    {"key": "kubernetes.io/hostname", "operator": "In", "values": XEON_NODES}]}]}}},
            "persistent_volume_claim_spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "llmops-lmc",
                                             "resources": {"requests": {"storage": "50Gi"}}}}


def render_chart(size="2Gi"):
    proc = subprocess.run([harness.helm_bin(), "template", RELEASE, str(CHART), "-n", NS,
                           "-f", str(CHART / "values-cpu-tiny.yaml"), "--set", "model.id=Qwen/Qwen2.5-0.5B-Instruct",
                           "--set", "hfToken.enabled=false",
                           "--set", "localModelCache.enabled=true", "--set", f"localModelCache.modelSize={size}",
                           "--set", f"localModelCache.nodeGroups={{{GROUP}}}"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def role_steps(kubeconfig, tmp: Path, enabled=True, groups=None, rendered=(), check=False):
    """tests/integration/playbooks/local_model_cache.yml: the kserve role's local model cache steps and the preflight
    role's node storage check; returns (run, kserve problems, preflight problems)."""
    extra = {"kserve_local_model_enabled": enabled, "kserve_local_model_job_namespace": JOB_NS,
             "kserve_local_model_node_groups": [node_group_definition()] if groups is None else groups,
             "kserve_namespace": os.environ.get("LLMOPS_KSERVE_NAMESPACE", "kserve"),
             "lmc_rendered": [{"name": name, "manifest": manifest} for name, manifest in rendered],
             "lmc_out": str(tmp / "lmc-out.json")}
    out_path = tmp / "lmc-out.json"
    if out_path.exists():
        out_path.unlink()
    path = tmp / "lmc-vars.json"
    path.write_text(json.dumps(extra), encoding="utf-8")
    run = harness.run_playbook("tests/integration/playbooks/local_model_cache.yml", "-e", f"@{path}",
                               *(["--check"] if check else []), env=harness.ansible_env(kubeconfig, harness.helm_bin()))
    out = json.loads(out_path.read_text(encoding="utf-8")) if out_path.exists() else {}
    return run, out.get("kserve"), out.get("preflight")


@pytest.fixture(scope="module")
def local_model(kubeconfig, kserve_controller, tmp_path_factory):  # noqa: F811  pylint: disable=redefined-outer-name
    """localModel enabled in inferenceservice-config (restored afterwards), our node group, the chart's objects, and
    KServe's localmodel controller running; everything removed at the end."""
    assert LOCALMODEL_BIN.exists(), f"{LOCALMODEL_BIN} is missing: run `hack/bootstrap.sh localmodel` (make tools)"
    for name in lm.CRDS:
        crd = get(kubeconfig, "crd", name)
        assert crd, f"CRD {name} is not installed"
        assert any(c["type"] == "Established" and c["status"] == "True" for c in crd["status"]["conditions"])
    config_ns = kserve_controller.namespace
    original = get(kubeconfig, "configmap", "inferenceservice-config", "-n", config_ns)["data"]
    for ns in (NS, JOB_NS):
        kubectl(kubeconfig, "create", "namespace", ns)
    manifest = render_chart()
    docs = [d for d in yaml.safe_load_all(manifest) if d]
    tmp = tmp_path_factory.mktemp("lmc")
    # the kserve role's steps: localModel in inferenceservice-config, the LocalModelNodeGroup; the preflight passes
    run, kserve_problems, preflight_problems = role_steps(kubeconfig, tmp, rendered=[(RELEASE, manifest)])
    assert run.rc == 0 and kserve_problems is None and preflight_problems == [], run.output[-4000:]
    group = lm.node_group_objects([node_group_definition()], {"app.kubernetes.io/managed-by": "llmops-kserve"})[0]
    state = CACHE / "localmodel-test"
    certs = state / "k8s-webhook-server" / "serving-certs"
    certs.mkdir(parents=True, exist_ok=True)
    _ca, cert, key = kc_harness.make_certs_cryptography()
    (certs / "tls.crt").write_bytes(cert)
    (certs / "tls.key").write_bytes(key)
    os.chmod(certs / "tls.key", 0o600)
    log_path = state / "localmodel.log"
    env = dict(os.environ, KUBECONFIG=kubeconfig, POD_NAMESPACE=config_ns, TMPDIR=str(state))
    proc = None
    try:
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([str(LOCALMODEL_BIN), f"--metrics-addr=127.0.0.1:{free_port()}",  # pylint: disable=consider-using-with
                                     f"--health-probe-addr=127.0.0.1:{free_port()}", f"--webhook-port={free_port()}"],
                                    stdout=log, stderr=subprocess.STDOUT, env=env)
        yield {"docs": docs, "group": group, "proc": proc, "log": log_path, "tmp": tmp, "first_run": run}
    finally:
        kubectl(kubeconfig, "delete", "inferenceservice", "--all", "-n", NS, "--wait=true", check=False, timeout=120)
        # deleted while the controller runs: it removes the model from the LocalModelNodes and drops its finalizer
        kubectl(kubeconfig, "delete", "localmodelcache", CACHE_NAME, "--ignore-not-found", "--wait=true",
                check=False, timeout=120)
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        kubectl(kubeconfig, "patch", "localmodelcache", CACHE_NAME, "--type", "merge", "-p",
                '{"metadata":{"finalizers":null}}', check=False)
        kubectl(kubeconfig, "delete", "localmodelnodegroup", GROUP, "--ignore-not-found", check=False)
        for node in XEON_NODES:
            kubectl(kubeconfig, "delete", "localmodelnode", node, "--ignore-not-found", check=False)
        for ns in (NS, JOB_NS):
            kubectl(kubeconfig, "delete", "namespace", ns, "--ignore-not-found", "--wait=false", check=False)
        pvs = get(kubeconfig, "pv") or {"items": []}
        for pv in pvs["items"]:
            if pv["spec"].get("storageClassName") == "llmops-lmc":
                kubectl(kubeconfig, "delete", "pv", pv["metadata"]["name"], "--wait=false", check=False)
        # the entries the role corrected, back to what they were
        kubectl(kubeconfig, "patch", "configmap", "inferenceservice-config", "-n", config_ns, "--type", "merge",
                "-p", json.dumps({"data": original}), check=False)


def test_objects_pass_strict_server_dry_run(kubeconfig, local_model):
    """Our LocalModelCache, InferenceService and LocalModelNodeGroup against KServe's CRD schemas, unknown fields
    refused (kubectl --validate=strict sends fieldValidation=Strict); a field KServe does not know is refused."""
    objs = [local_model["group"]] + [d for d in local_model["docs"] if d["kind"] in ("LocalModelCache", "InferenceService")]
    assert sorted(o["kind"] for o in objs) == ["InferenceService", "LocalModelCache", "LocalModelNodeGroup"]
    proc = kubectl(kubeconfig, "apply", "--server-side", "--dry-run=server", "--validate=strict", "-n", NS,
                   "--field-manager=llmops-test", "-f", "-", stdin=yaml.safe_dump_all(objs), check=False)
    assert proc.returncode == 0, proc.stderr
    bad = dict(local_model["group"], spec=dict(local_model["group"]["spec"], storageLimits="1Gi"))
    proc = kubectl(kubeconfig, "apply", "--server-side", "--dry-run=server", "--validate=strict",
                   "--field-manager=llmops-test", "-f", "-", stdin=yaml.safe_dump(bad), check=False)
    assert proc.returncode != 0 and "storageLimits" in proc.stderr, proc.stderr


def test_kserve_serves_from_the_cache_and_its_controller_reconciles_it(kubeconfig, local_model):
    docs = local_model["docs"]
    cache = next(d for d in docs if d["kind"] == "LocalModelCache")
    isvc = next(d for d in docs if d["kind"] == "InferenceService")
    kubectl(kubeconfig, "apply", "--server-side", "--field-manager=llmops-test", "-f", "-",
            stdin=yaml.safe_dump_all([local_model["group"], cache]))
    isvc["metadata"]["namespace"] = NS
    kubectl(kubeconfig, "apply", "--server-side", "--field-manager=llmops-test", "-f", "-", stdin=yaml.safe_dump(isvc))

    # KServe's InferenceService webhook matched storageUri hf://... with our cache and picked the first node group
    live = get(kubeconfig, "inferenceservice", isvc["metadata"]["name"], "-n", NS)
    assert live["metadata"]["labels"].get(LOCALMODEL_LABEL) == CACHE_NAME, live["metadata"]
    assert live["metadata"]["annotations"].get(PVC_ANNOTATION) == f"{CACHE_NAME}-{GROUP}"
    assert live["spec"]["predictor"]["model"]["storageUri"] == "hf://Qwen/Qwen2.5-0.5B-Instruct"

    proc = local_model["proc"]

    def nodes():
        assert proc.poll() is None, Path(local_model["log"]).read_text(encoding="utf-8")[-3000:]
        found = {}
        for node in XEON_NODES:
            obj = get(kubeconfig, "localmodelnode", node)
            if obj:
                found[node] = [(m["modelName"], m["sourceModelUri"]) for m in obj["spec"].get("localModels", [])]
        return found if len(found) == len(XEON_NODES) else None

    found = wait_for("LocalModelNodes of the Xeon nodes", nodes, timeout=90)
    assert all(models == [(CACHE_NAME, "hf://Qwen/Qwen2.5-0.5B-Instruct")] for models in found.values()), found
    # only the nodes the group's PV node affinity selects
    assert get(kubeconfig, "localmodelnode", "gaudi2-1") is None
    live_cache = get(kubeconfig, "localmodelcache", CACHE_NAME)
    assert "localmodel.kserve.io/finalizer" in live_cache["metadata"].get("finalizers", []), live_cache["metadata"]
    # the download PVC in the job namespace and the one the predictor mounts in the model's namespace
    wait_for("the download PVC", lambda: get(kubeconfig, "pvc", f"{CACHE_NAME}-{GROUP}", "-n", JOB_NS))
    pvc = wait_for("the predictor's PVC", lambda: get(kubeconfig, "pvc", f"{CACHE_NAME}-{GROUP}", "-n", NS))
    assert pvc["spec"]["resources"]["requests"]["storage"] == "50Gi"


def test_role_steps_idempotent_check_mode_and_preflight_storage(kubeconfig, local_model):
    """The first run (fixture) changed the ConfigMap and created the node group; a second run and --check change
    nothing. The second run's preflight gets the same chart with modelSize 60Gi on the 50Gi node group: its check
    names the model, the field, the value and what is allowed."""
    first = local_model["first_run"]
    assert first.recaps and first.recaps[-1][1] == 2, first.output[-3000:]
    run, _kserve, problems = role_steps(kubeconfig, local_model["tmp"], rendered=[("big", render_chart("60Gi"))])
    assert run.rc == 0 and run.recaps[-1][1] == 0, run.output[-4000:]
    assert problems == [
        "model big: localModelCache.modelSize=60Gi does not fit LocalModelNodeGroup llmops-lmc-xeon: its "
        "spec.storageLimit is 50Gi; allowed: a modelSize of at most 50Gi, or a node group with more storage",
        "model big: localModelCache.modelSize=60Gi does not fit LocalModelNodeGroup llmops-lmc-xeon: its "
        "spec.persistentVolumeClaimSpec.resources.requests.storage is 50Gi; allowed: a modelSize of at most 50Gi, or "
        "a node group with more storage"], problems
    run, _kserve, problems = role_steps(kubeconfig, local_model["tmp"], check=True)
    assert run.rc == 0 and problems == [] and run.recaps[-1][1] == 0, run.output[-4000:]
    config = get(kubeconfig, "configmap", "inferenceservice-config", "-n",
                 os.environ.get("LLMOPS_KSERVE_NAMESPACE", "kserve"))
    local = json.loads(config["data"]["localModel"])
    assert local["enabled"] is True and local["jobNamespace"] == JOB_NS
    group = get(kubeconfig, "localmodelnodegroup", GROUP)
    assert group["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "llmops-kserve"
    assert group["spec"]["storageLimit"] == "50Gi"


def test_role_refuses_bad_input_and_foreign_node_groups_before_any_change(kubeconfig, local_model):
    foreign = dict(local_model["group"], metadata={"name": "llmops-lmc-foreign"})
    kubectl(kubeconfig, "apply", "--server-side", "--field-manager=someone-else", "-f", "-", stdin=yaml.safe_dump(foreign))
    try:
        groups = [dict(node_group_definition(), name="llmops-lmc-foreign"),
                  dict(node_group_definition(), name="llmops-lmc-other", storage_limit="lots")]
        run, problems, _preflight = role_steps(kubeconfig, local_model["tmp"], enabled="maybe", groups=groups)
        assert run.rc != 0 and run.recaps[-1][1] == 0, run.output[-4000:]
        assert "kserve_local_model_enabled=maybe is not a boolean; allowed: true, false" in problems, problems
        assert "kserve_local_model_node_groups[1]: storage_limit='lots' is not allowed: the node storage for cached " \
               "models as a Kubernetes quantity, e.g. 500Gi" in problems, problems
        assert any("LocalModelNodeGroup(s) llmops-lmc-foreign exist without the label" in p and "kserve_adopt=true" in p
                   for p in problems), problems
        live = get(kubeconfig, "localmodelnodegroup", "llmops-lmc-foreign")
        assert "app.kubernetes.io/managed-by" not in live["metadata"].get("labels", {})
        assert get(kubeconfig, "localmodelnodegroup", "llmops-lmc-other") is None
    finally:
        kubectl(kubeconfig, "delete", "localmodelnodegroup", "llmops-lmc-foreign", "--ignore-not-found", check=False)
