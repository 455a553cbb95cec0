# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Integration tests of roles/cert_manager and roles/knative_serving against the local cluster.

The charts come from the local OCI registry (hack/test_charts_stack.py builds and pushes them: cert-manager with CRDs
generated from cert-manager's Go API types by controller-gen, the knative-operator fixture with hand-written CRDs)
and are installed through the same code path as from quay.io / a Knative chart mirror: kubernetes.core.helm with an
oci:// reference. On the kwok cluster nothing reconciles a KnativeServing, so tests/simulation/kwok_stage.py runs a
kwok Stage that reports it Ready (the operator's part), only while the knative tests that need it run.

Each role is run with ansible-playbook (tests/integration/playbooks/stack_*.yml), in order: bad input fails before any
change naming the field, --check on a clean cluster creates nothing, converge (releases, CRDs Established, controllers
Available, configuration as chosen, every image through the mirror), idempotence (0 changed), --check after converge
predicts no change, installs from the other chart sources, something else's install is left alone, uninstall leaves
nothing of ours. The cluster is shared: only the cert-manager, knative-operator and knative-serving namespaces (and
the CRDs and webhook configurations of these projects) are touched.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

import harness

ROOT = harness.ROOT
HELM = harness.helm_path()  # the env fixture fails when helm or kubectl is missing
KUBECTL = str(harness.BIN / "kubectl")
PLAYBOOKS = ROOT / "tests" / "integration" / "playbooks"
SIMULATION = ROOT / "tests" / "simulation"
MIRROR = "mirror.example.com:5000"
MANAGED = "app.kubernetes.io/managed-by"
# Seconds for one kubectl/helm call of the test itself: CI runs many API servers on 2 busy cores.
KUBECTL_TIMEOUT = 300
# Without client-side validation kubectl downloads no OpenAPI document (/openapi/v2 timed out on an overloaded API
# server in CI); the API server still validates every object against its schema, and server-side apply needs no
# OpenAPI on the client either (a client-side apply patch of an existing object would).
APPLY = ("apply", "--server-side", "--validate=false")

CM_CRDS = sorted(["certificates.cert-manager.io", "certificaterequests.cert-manager.io", "issuers.cert-manager.io",
                  "clusterissuers.cert-manager.io", "challenges.acme.cert-manager.io", "orders.acme.cert-manager.io"])
CM_DEPLOYMENTS = ["cert-manager", "cert-manager-cainjector", "cert-manager-webhook"]
KN_CRDS = ["knativeeventings.operator.knative.dev", "knativeservings.operator.knative.dev"]
KN_FEATURES = ["kubernetes.podspec-nodeselector", "kubernetes.podspec-affinity", "kubernetes.podspec-tolerations",
               "kubernetes.podspec-persistent-volume-claim", "kubernetes.podspec-persistent-volume-write",
               "kubernetes.podspec-securitycontext", "kubernetes.podspec-init-containers"]


def _load_simulation():
    spec = importlib.util.spec_from_file_location("llmops_kwok_stage", SIMULATION / "kwok_stage.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def env(kubeconfig, helm_bin, kubectl_bin) -> dict[str, str]:  # noqa: ARG001 (fails when kubectl is missing)
    return harness.ansible_env(kubeconfig, helm_bin)


@pytest.fixture(scope="module")
def charts(registry_url) -> dict[str, str]:
    """Build the test charts and push them to the local registry; {chart name: oci:// reference without tag}."""
    proc = subprocess.run([sys.executable, str(ROOT / "hack" / "test_charts_stack.py"), "--registry", registry_url],
                          capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, f"hack/test_charts_stack.py failed:\n{proc.stderr[-3000:]}"
    refs = {}
    for line in proc.stdout.split():
        ref = line.rpartition(":")[0]
        refs[ref.rsplit("/", 1)[-1]] = ref
    assert set(refs) == {"cert-manager", "knative-operator", "keda"}, proc.stdout
    return refs


@pytest.fixture(scope="module")
def kube(kubeconfig):
    """kube('get', 'ns', 'x') -> parsed JSON, or None when the object does not exist."""
    def _get(*args: str):
        proc = subprocess.run([KUBECTL, "--kubeconfig", str(kubeconfig), *args, "-o", "json"], capture_output=True,
                              text=True, timeout=KUBECTL_TIMEOUT, check=False)
        if proc.returncode != 0:
            if "NotFound" in proc.stderr or "not found" in proc.stderr:
                return None
            raise AssertionError(proc.stderr)
        return json.loads(proc.stdout) if proc.stdout.strip() else None  # nothing found with --ignore-not-found
    return _get


@pytest.fixture(scope="module")
def kubectl(kubeconfig):
    def _run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([KUBECTL, "--kubeconfig", str(kubeconfig), *args], capture_output=True, text=True,
                              timeout=KUBECTL_TIMEOUT, check=False)
        assert not check or proc.returncode == 0, proc.stderr
        return proc
    return _run


@pytest.fixture(scope="module")
def cm_vars(charts) -> dict:
    return {"cert_manager_chart_oci_url": charts["cert-manager"], "cert_manager_chart_plain_http": True,
            "cert_manager_image_registry": MIRROR, "cert_manager_helm_binary": HELM, "cert_manager_wait_timeout": 300}


@pytest.fixture(scope="module")
def kn_vars(charts) -> dict:
    return {"knative_serving_operator_chart_source": "oci", "knative_serving_operator_chart_oci_url": charts["knative-operator"],
            "knative_serving_operator_chart_plain_http": True, "knative_serving_image_registry": MIRROR,
            "knative_serving_helm_binary": HELM, "knative_serving_wait_timeout": 300}


@pytest.fixture(scope="module")
def play(env):
    def _play(playbook: str, extra: dict, *args: str) -> harness.PlaybookRun:
        return harness.run_playbook(str(PLAYBOOKS / playbook), "-e", json.dumps(extra), *args, env=env,
                                    timeout=600).with_recap()
    return _play


@pytest.fixture(scope="module", autouse=True)
def clean_cluster(play, kubectl, kube, env):
    """Start without anything of ours (or simulated) and leave nothing behind. The roles' uninstall runs only for what
    is left (the tests end with their own uninstalls; an uninstall on a clean cluster is a playbook run for nothing)."""
    def _clean() -> None:
        kubectl("delete", "--ignore-not-found", "--wait=true",
                *(arg for path in ("foreign-cert-manager.yaml", "foreign-knative-serving.yaml",
                                   "knative-serving-leftovers.yaml") for arg in ("-f", str(SIMULATION / path))),
                check=False)
        if nothing_of_ours(kube, env, ["cert-manager"], CM_CRDS, ["cert-manager-webhook"]):
            cm = play("stack_cert_manager.yml", {"cert_manager_state": "absent", "cert_manager_remove_crds": True,
                                                 "cert_manager_helm_binary": HELM})
            assert cm.rc == 0, cm
        if nothing_of_ours(kube, env, ["knative-operator", "knative-serving"], KN_CRDS, []):
            kn = play("stack_knative_serving.yml", {"knative_serving_state": "absent", "knative_serving_remove_crds": True,
                                                    "knative_serving_helm_binary": HELM, "knative_serving_wait_timeout": 120})
            assert kn.rc == 0, kn
    _clean()
    yield
    _clean()


@pytest.fixture(scope="module")
def simulation(kubeconfig):
    """The kwok Stage that plays the Knative Operator (reports KnativeServing Ready)."""
    sim_module = _load_simulation()
    with sim_module.KnativeServingSimulation(str(kubeconfig), harness.tool("kwok"), KUBECTL) as sim:
        yield sim


# --------------------------------------------------------------------------------------------------- helpers
def helm_releases(env, namespace: str | None) -> list[dict]:
    """The releases of namespace (None: of every namespace), in any state."""
    where = ["-n", namespace] if namespace else ["-A"]
    proc = subprocess.run([HELM, "list", *where, "-a", "-o", "json"], env=env, capture_output=True, text=True,
                          timeout=KUBECTL_TIMEOUT, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def condition(obj: dict, kind: str) -> str | None:
    for cond in obj.get("status", {}).get("conditions", []):
        if cond.get("type") == kind:
            return cond.get("status")
    return None


WEBHOOK_KINDS = ("validatingwebhookconfiguration", "mutatingwebhookconfiguration")


def nothing_of_ours(kube, env, namespaces: list[str], crds: list[str], webhooks: list[str]) -> list[str]:
    """What is left of an install: namespaces, releases, CRDs, webhook configurations (one kubectl and one helm call)."""
    refs = ([f"namespace/{ns}" for ns in namespaces] + [f"crd/{name}" for name in crds]
            + [f"{kind}/{name}" for kind in WEBHOOK_KINDS for name in webhooks])
    found = kube("get", *refs, "--ignore-not-found") if refs else None
    items = [] if not found else found["items"] if found["kind"] == "List" else [found]
    label = {"Namespace": "namespace", "CustomResourceDefinition": "crd",
             "ValidatingWebhookConfiguration": WEBHOOK_KINDS[0], "MutatingWebhookConfiguration": WEBHOOK_KINDS[1]}
    left = [f"{label[item['kind']]} {item['metadata']['name']}" for item in items]
    left += [f"release {r['namespace']}/{r['name']}" for r in helm_releases(env, None) if r["namespace"] in namespaces]
    return left


# =========================================================================================== cert-manager
# One playbook run per case; problems that do not mask each other share a run (each is named in the one failure).
@pytest.mark.parametrize(("extra", "expected"), [
    ({"cert_manager_version": "v1.99.0", "cert_manager_chart_source": "local",
      "cert_manager_chart_path": "/nonexistent/cert-manager-v1.17.4.tgz"},
     ["cert_manager_version: 'v1.99.0' is not a known version; known versions: v1.17.2, v1.17.3, v1.17.4",
      "cert_manager_chart_path: '/nonexistent/cert-manager-v1.17.4.tgz' does not exist",
      "cert-manager preflight: 2 problem(s), nothing was changed"]),
    ({"cert_manager_image_registry": "https://mirror.example.com", "cert_manager_chart_oci_url": "quay.io/jetstack/cert-manager",
      "cert_manager_namespace": "Cert_Manager"},
     ["cert_manager_image_registry: 'https://mirror.example.com' is not a registry host[:port][/path]",
      "cert_manager_chart_oci_url: 'quay.io/jetstack/cert-manager' must start with oci://",
      "cert_manager_namespace: 'Cert_Manager' is not a valid namespace name",
      "cert-manager preflight: 3 problem(s), nothing was changed"]),
    ({"cert_manager_chart_source": "s3"}, ["cert_manager_chart_source", "s3", "oci, repo, local"]),
], ids=["unknown-version-and-missing-local-chart", "three-problems-at-once", "unknown-chart-source"])
def test_cert_manager_bad_input_fails_before_any_change(play, cm_vars, kube, env, extra, expected):
    check_refused(play("stack_cert_manager.yml", {**cm_vars, **extra}), expected)
    assert kube("get", "namespace", "cert-manager") is None
    assert helm_releases(env, "cert-manager") == []


def test_cert_manager_check_mode_creates_nothing(play, cm_vars, kube, env):
    run = play("stack_cert_manager.yml", cm_vars, "--check")
    assert run.rc == 0 and run.changed >= 2, run  # namespace + release would be created
    assert "would be installed" in run.text
    assert nothing_of_ours(kube, env, ["cert-manager"], CM_CRDS, ["cert-manager-webhook"]) == []


def test_cert_manager_converge(play, cm_vars, kube, env):
    run = play("stack_cert_manager.yml", cm_vars)
    assert run.rc == 0 and run.changed >= 2, run
    releases = helm_releases(env, "cert-manager")
    assert [(r["name"], r["status"], r["chart"]) for r in releases] == [("cert-manager", "deployed", "cert-manager-v1.17.4")]
    namespace = kube("get", "namespace", "cert-manager")
    assert namespace["metadata"]["labels"][MANAGED] == "llmops-kserve"
    for name in CM_CRDS:
        crd = kube("get", "crd", name)
        assert condition(crd, "Established") == "True", name
        assert crd["metadata"]["labels"]["app.kubernetes.io/part-of"] == "llmops-kserve", name
        assert crd["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep", name
    assert kube("get", "crd", "clusterissuers.cert-manager.io")["spec"]["scope"] == "Cluster"
    images = []
    for name in CM_DEPLOYMENTS:
        deployment = kube("get", "deployment", name, "-n", "cert-manager")
        assert condition(deployment, "Available") == "True", name
        images += [c["image"] for c in deployment["spec"]["template"]["spec"]["containers"]]
        images += [a.split("=", 1)[1] for c in deployment["spec"]["template"]["spec"]["containers"]
                   for a in c.get("args", []) if a.startswith("--acme-http01-solver-image=")]
    values = json.loads(subprocess.run([HELM, "get", "values", "cert-manager", "-n", "cert-manager", "-o", "json"], env=env,
                                       capture_output=True, text=True, timeout=KUBECTL_TIMEOUT, check=True).stdout)
    images.append(f"{values['startupapicheck']['image']['repository']}:v1.17.4")
    assert sorted(images) == sorted(f"{MIRROR}/jetstack/cert-manager-{c}:v1.17.4"
                                    for c in ("controller", "cainjector", "webhook", "acmesolver", "startupapicheck"))
    assert values["crds"] == {"enabled": True, "keep": True}
    for kind in WEBHOOK_KINDS:
        assert kube("get", kind, "cert-manager-webhook") is not None


def test_cert_manager_idempotent(play, cm_vars):
    run = play("stack_cert_manager.yml", cm_vars)
    assert run.rc == 0 and run.changed == 0, run


def test_cert_manager_check_mode_after_converge_predicts_no_change(play, cm_vars):
    run = play("stack_cert_manager.yml", cm_vars, "--check")
    assert run.rc == 0 and run.changed == 0, run


def test_cert_manager_local_chart_is_the_same_release(play, cm_vars, env):
    """The air-gapped source: the packaged chart file gives the same release (no change, same code path)."""
    tgz = ROOT / "build" / "test-charts" / "cert-manager-v1.17.4.tgz"
    assert tgz.is_file()
    local = {**cm_vars, "cert_manager_chart_source": "local", "cert_manager_chart_path": str(tgz)}
    run = play("stack_cert_manager.yml", local)
    assert run.rc == 0 and run.changed == 0, run
    assert helm_releases(env, "cert-manager")[0]["revision"] == "1"


def test_cert_manager_values_change_upgrades(play, cm_vars, kube, env):
    run = play("stack_cert_manager.yml", {**cm_vars, "cert_manager_values": {"webhook": {"replicaCount": 2}}})
    assert run.rc == 0 and run.changed == 1, run
    assert kube("get", "deployment", "cert-manager-webhook", "-n", "cert-manager")["spec"]["replicas"] == 2
    back = play("stack_cert_manager.yml", cm_vars)
    assert back.rc == 0 and back.changed == 1, back
    assert helm_releases(env, "cert-manager")[0]["revision"] == "3"


def test_cert_manager_uninstall_keeps_crds_unless_asked(play, kube, env):
    run = play("stack_cert_manager.yml", {"cert_manager_state": "absent", "cert_manager_helm_binary": HELM})
    assert run.rc == 0 and run.changed >= 2, run
    assert "CRDs kept" in run.text
    assert nothing_of_ours(kube, env, ["cert-manager"], [], ["cert-manager-webhook"]) == []
    assert all(kube("get", "crd", name) is not None for name in CM_CRDS)

    again = play("stack_cert_manager.yml", {"cert_manager_state": "absent", "cert_manager_remove_crds": True,
                                            "cert_manager_helm_binary": HELM})
    assert again.rc == 0 and again.changed == 1, again  # the CRD removal loop
    assert nothing_of_ours(kube, env, ["cert-manager"], CM_CRDS, ["cert-manager-webhook"]) == []

    idle = play("stack_cert_manager.yml", {"cert_manager_state": "absent", "cert_manager_remove_crds": True,
                                           "cert_manager_helm_binary": HELM})
    assert idle.rc == 0 and idle.changed == 0, idle


def check_refused(run: harness.PlaybookRun, expected: list[str]) -> None:
    """The run failed in one task (the preflight) with no change, naming each of expected."""
    assert run.rc != 0 and run.failed == 1 and run.changed == 0, run
    for text in expected:
        assert text in run.text, f"{text!r} not in the output: {run}"


def check_left_alone(play, playbook: str, variables: dict, skip_flag: str, *refusal: str) -> None:
    """Someone else's install: with ``skip_flag: false`` the role refuses, naming it, before any change; by default
    it leaves it as it is (0 changed)."""
    strict = play(playbook, {**variables, skip_flag: False})
    assert strict.rc != 0 and strict.changed == 0, strict
    for text in refusal:
        assert text in strict.text
    run = play(playbook, variables)
    assert run.rc == 0 and run.changed == 0, run
    assert "not installing it, leaving it as it is" in run.text


def test_cert_manager_leaves_someone_elses_install_alone(play, cm_vars, kube, kubectl, env):
    kubectl(*APPLY, "-f", str(SIMULATION / "foreign-cert-manager.yaml"))
    try:
        check_left_alone(play, "stack_cert_manager.yml", cm_vars, "cert_manager_skip_if_present",
                         "cert_manager_skip_if_present: false, but cert-manager is already installed by something else",
                         "owner: security/someone-elses-cert-manager")
        assert kube("get", "namespace", "cert-manager") is None and helm_releases(env, "cert-manager") == []

        removal = play("stack_cert_manager.yml", {"cert_manager_state": "absent", "cert_manager_remove_crds": True,
                                                  "cert_manager_helm_binary": HELM})
        assert removal.rc == 0 and removal.changed == 0, removal
        assert kube("get", "crd", "certificates.cert-manager.io") is not None
        assert kube("get", "validatingwebhookconfiguration", "cert-manager-webhook") is not None
    finally:
        kubectl("delete", "--ignore-not-found", "--wait=true", "-f", str(SIMULATION / "foreign-cert-manager.yaml"))


# =========================================================================================== Knative Serving
@pytest.mark.parametrize(("extra", "expected"), [
    ({"knative_serving_version": "1.99.0", "knative_serving_ingress": "istio"},
     ["knative_serving_version: '1.99.0' is not a known version; known versions: 1.21.0, 1.21.1",
      "knative_serving_ingress: istio, but Istio is not installed (missing CRD gateways.networking.istio.io, "
      "CRD virtualservices.networking.istio.io, namespace istio-system)",
      "Knative Serving preflight: 2 problem(s), nothing was changed"]),
    ({"knative_serving_ingress": "nginx"}, ["knative_serving_ingress", "nginx", "kourier, istio"]),
    ({"knative_serving_domain": "Example..com", "knative_serving_features": {"kubernetes.podspec-affinity": "on"}},
     ["knative_serving_domain: 'Example..com' is not a valid DNS domain",
      "knative_serving_features: 'kubernetes.podspec-affinity' is 'on'; allowed: enabled, disabled, allowed",
      "Knative Serving preflight: 2 problem(s), nothing was changed"]),
], ids=["unknown-version-and-istio-not-present", "unknown-ingress", "bad-domain-and-feature"])
def test_knative_bad_input_fails_before_any_change(play, kn_vars, kube, env, extra, expected):
    check_refused(play("stack_knative_serving.yml", {**kn_vars, **extra}), expected)
    assert nothing_of_ours(kube, env, ["knative-operator", "knative-serving"], KN_CRDS, []) == []


def test_preflight_lists_every_problem_of_both_roles_at_once(play, cm_vars, kn_vars, kube, env):
    """The install playbook's contract: all preflights first, one failure with the whole list."""
    run = play("stack_preflight.yml", {**cm_vars, **kn_vars, "cert_manager_version": "v0.1.0",
                                       "knative_serving_ingress": "istio", "knative_serving_version": "0.1"})
    assert run.rc != 0 and run.changed == 0, run
    assert "Preflight: 3 problem(s)" in run.text
    for text in ("cert_manager_version: 'v0.1.0' is not a known version",
                 "knative_serving_version: '0.1' is not a known version",
                 "knative_serving_ingress: istio, but Istio is not installed"):
        assert text in run.text, run
    assert nothing_of_ours(kube, env, ["cert-manager", "knative-operator", "knative-serving"], CM_CRDS + KN_CRDS, []) == []


def test_knative_check_mode_creates_nothing(play, kn_vars, kube, env):
    run = play("stack_knative_serving.yml", kn_vars, "--check")
    assert run.rc == 0 and run.changed >= 3, run  # namespaces, release, KnativeServing
    assert "Would create KnativeServing knative-serving/knative-serving" in run.text
    assert nothing_of_ours(kube, env, ["knative-operator", "knative-serving"], KN_CRDS, []) == []


def test_knative_not_ready_fails_naming_what_is_not_ready(play, kn_vars, kubectl):
    """Without the simulated operator the KnativeServing never gets Ready: the role says what is missing."""
    run = play("stack_knative_serving.yml", {**kn_vars, "knative_serving_wait_timeout": 5})
    assert run.rc != 0 and run.failed == 1, run
    assert ("KnativeServing knative-serving/knative-serving is not Ready after 5s: no status reported "
            "(is the Knative Operator running? Deployment knative-operator/knative-operator)") in run.text
    status = {"status": {"conditions": [
        {"type": "Ready", "status": "False", "reason": "NotReady", "message": "Waiting on deployments: activator"},
        {"type": "DeploymentsAvailable", "status": "False", "reason": "NotReady", "message": "Waiting on deployments: activator"},
        {"type": "InstallSucceeded", "status": "True"}]}}
    kubectl("patch", "knativeserving", "knative-serving", "-n", "knative-serving", "--subresource=status", "--type=merge",
            "-p", json.dumps(status))
    again = play("stack_knative_serving.yml", {**kn_vars, "knative_serving_wait_timeout": 5})
    assert again.rc != 0 and again.changed == 0, again
    assert ("not Ready after 5s: Ready=False (NotReady: Waiting on deployments: activator); "
            "DeploymentsAvailable=False (NotReady: Waiting on deployments: activator)") in again.text


def test_knative_converge(play, kn_vars, kube, env, simulation):
    run = play("stack_knative_serving.yml", kn_vars)
    assert run.rc == 0, f"{run}\n--- simulation log:\n{simulation.log_tail()}"
    assert "Knative Serving 1.21.1 is Ready" in run.text
    releases = helm_releases(env, "knative-operator")
    assert [(r["name"], r["status"], r["chart"]) for r in releases] == [("knative-operator", "deployed", "knative-operator-v1.21.1")]
    for ns in ("knative-operator", "knative-serving"):
        assert kube("get", "namespace", ns)["metadata"]["labels"][MANAGED] == "llmops-kserve"
    for name in KN_CRDS:
        assert condition(kube("get", "crd", name), "Established") == "True", name
    for name, image in (("knative-operator", "operator"), ("operator-webhook", "webhook")):
        deployment = kube("get", "deployment", name, "-n", "knative-operator")
        assert condition(deployment, "Available") == "True", name
        assert deployment["metadata"]["annotations"]["llmops.kserve/managed-by"] == "llmops-kserve"
        assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == \
            f"{MIRROR}/knative-releases/knative.dev/operator/cmd/{image}:v1.21.1"
    cr = kube("get", "knativeserving", "knative-serving", "-n", "knative-serving")
    assert cr["metadata"]["labels"][MANAGED] == "llmops-kserve"
    assert condition(cr, "Ready") == "True"
    spec = cr["spec"]
    assert spec["version"] == "1.21.1"
    assert all(spec["config"]["features"][flag] == "enabled" for flag in KN_FEATURES), spec["config"]["features"]
    assert spec["config"]["domain"] == {"example.com": ""}
    assert spec["config"]["network"] == {"ingress-class": "kourier.ingress.networking.knative.dev"}
    assert spec["ingress"]["kourier"] == {"enabled": True} and spec["ingress"]["istio"] == {"enabled": False}
    overrides = spec["registry"]["override"]
    assert {"activator", "autoscaler", "controller", "webhook", "autoscaler-hpa", "queue-proxy", "migrate", "cleanup",
            "net-kourier-controller/controller", "3scale-kourier-gateway/kourier-gateway"} == set(overrides)
    assert all(image.startswith(f"{MIRROR}/") for image in overrides.values()), overrides
    assert overrides["3scale-kourier-gateway/kourier-gateway"] == f"{MIRROR}/envoyproxy/envoy:v1.36-latest"
    assert spec["config"]["deployment"]["queue-sidecar-image"] == overrides["queue-proxy"]


def test_knative_idempotent(play, kn_vars, simulation):
    run = play("stack_knative_serving.yml", kn_vars)
    assert run.rc == 0 and run.changed == 0, run
    check = play("stack_knative_serving.yml", kn_vars, "--check")
    assert check.rc == 0 and check.changed == 0, check


def test_knative_config_change_is_applied_server_side(play, kn_vars, kube, simulation):
    """A new domain replaces the old one (server-side apply owns the fields), without touching the release."""
    run = play("stack_knative_serving.yml", {**kn_vars, "knative_serving_domain": "models.example.org",
                                             "knative_serving_config": {"autoscaler": {"enable-scale-to-zero": "true"}}})
    assert run.rc == 0 and run.changed == 1, run
    spec = kube("get", "knativeserving", "knative-serving", "-n", "knative-serving")["spec"]
    assert spec["config"]["domain"] == {"models.example.org": ""}
    assert spec["config"]["autoscaler"] == {"enable-scale-to-zero": "true"}
    back = play("stack_knative_serving.yml", kn_vars)
    assert back.rc == 0 and back.changed == 1, back
    assert kube("get", "knativeserving", "knative-serving", "-n", "knative-serving")["spec"]["config"]["domain"] == {"example.com": ""}


def test_knative_uninstall_leaves_nothing_of_ours(play, kubectl, kube, env, simulation):
    # What a real operator leaves behind after installing Serving: one of its CRDs and a webhook configuration.
    kubectl(*APPLY, "-f", str(SIMULATION / "knative-serving-leftovers.yaml"))
    run = play("stack_knative_serving.yml", {"knative_serving_state": "absent", "knative_serving_remove_crds": True,
                                             "knative_serving_helm_binary": HELM, "knative_serving_wait_timeout": 120})
    assert run.rc == 0 and run.changed >= 5, run
    assert nothing_of_ours(kube, env, ["knative-operator", "knative-serving"],
                           KN_CRDS + ["images.caching.internal.knative.dev"], ["validation.webhook.serving.knative.dev"]) == []
    idle = play("stack_knative_serving.yml", {"knative_serving_state": "absent", "knative_serving_remove_crds": True,
                                              "knative_serving_helm_binary": HELM})
    assert idle.rc == 0 and idle.changed == 0, idle


def test_knative_leaves_someone_elses_install_alone(play, kn_vars, kubectl, kube, env):
    kubectl(*APPLY, "-f", str(SIMULATION / "foreign-knative-serving.yaml"))
    try:
        check_left_alone(play, "stack_knative_serving.yml", kn_vars, "knative_serving_skip_if_present",
                         "knative_serving_skip_if_present: false, but Knative Serving is already installed by something "
                         "else (Knative Serving controller installed from manifests in namespace(s) knative-serving)")
        assert kube("get", "namespace", "knative-operator") is None

        removal = play("stack_knative_serving.yml", {"knative_serving_state": "absent", "knative_serving_helm_binary": HELM})
        assert removal.rc == 0 and removal.changed == 0, removal
        assert kube("get", "namespace", "knative-serving") is not None
        assert kube("get", "deployment", "controller", "-n", "knative-serving") is not None
    finally:
        kubectl("delete", "--ignore-not-found", "--wait=true", "-f", str(SIMULATION / "foreign-knative-serving.yaml"))
