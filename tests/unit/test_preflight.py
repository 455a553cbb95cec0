# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kserve role's cluster checks, moved from Jinja into Python (plugins/module_utils/preflight.py, filters
kserve_cluster_problems and kserve_takeover of plugins/filter/inputs.py): one sentence per problem, with the way out;
a cluster with nothing in the way gives none. The inputs are what roles/kserve/tasks/preflight.yml passes."""
from __future__ import annotations

import pytest

from ansible_collections.llmops.kserve.plugins.filter.inputs import FilterModule
from ansible_collections.llmops.kserve.plugins.module_utils import preflight

FILTERS = FilterModule().filters()
COMPAT = {"kubernetes_min": "1.32", "knative_serving": "1.21", "cert_manager": "1.17"}
CRD = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
       "metadata": {"name": "inferenceservices.serving.kserve.io"}}


def cluster_inputs(**overrides):
    v = {
        "cluster": {"version": {"server": {"kubernetes": {"gitVersion": "v1.34.4"}}},
                    "apis": {"v1": {}, "cert-manager.io/v1": {}, "serving.knative.dev/v1": {}}},
        "inputs_valid": True, "compat": COMPAT, "version": "v0.20.0", "deployment_mode": "Standard",
        "mode": "Standard", "require_cert_manager": True, "allow_version_skew": False, "plain_http": False,
        "components": {}, "versions": {}, "record": {}, "namespace": "kserve",
        "crd_render": {"rc": 0, "stdout": "..."}, "crd_chart": {"ref": "oci://r/kserve/charts/kserve-crd", "version": "v0.20.0"},
        "crds": [CRD],
    }
    v.update(overrides)
    return v


def problems(**overrides):
    return FILTERS["kserve_cluster_problems"](cluster_inputs(**overrides))


def test_nothing_in_the_way():
    assert problems() == []
    # a pre-release or build suffix of the server version is dropped before comparing
    assert problems(cluster=dict(cluster_inputs()["cluster"], version={"server": {"kubernetes": {"gitVersion": "v1.32.0-kwok+1"}}})) == []


def test_unreadable_cluster_is_the_only_problem():
    assert problems(cluster={"msg": "connection refused"}, inputs_valid=False) == [
        "cannot read the cluster (connection refused); check the kubeconfig (kserve_kubeconfig / K8S_AUTH_KUBECONFIG) "
        "and that the API server is reachable"]
    assert problems(cluster={})[0].startswith("cannot read the cluster (no answer)")


def test_invalid_inputs_skip_the_cluster_checks():
    assert problems(inputs_valid=False, compat={}, crd_render={"skipped": True}, crds=[]) == []
    assert problems(inputs_valid="false", crds=[]) == []


@pytest.mark.parametrize("overrides, expected", [
    ({"compat": dict(COMPAT, kubernetes_min="1.99")},
     "Kubernetes 1.34.4 is not supported by KServe v0.20.0 (needs Kubernetes >= 1.99, kserve_compat); upgrade the cluster "
     "or pick another kserve_version"),
    ({"cluster": {"version": {"server": {"kubernetes": {"gitVersion": "v1.34.4"}}}, "apis": {}}},
     "cert-manager is not installed (the cluster serves no cert-manager.io/v1 API) and is not part of this run; KServe "
     "v0.20.0 needs it for its webhook certificate: set install_cert_manager=true or install cert-manager 1.17 first"),
    ({"cluster": {"version": {"server": {"kubernetes": {"gitVersion": "v1.34.4"}}}, "apis": {"cert-manager.io/v1": {}}},
      "mode": "Knative", "deployment_mode": "Serverless"},
     "kserve_deployment_mode Serverless needs Knative Serving, which is not installed (no serving.knative.dev/v1 API) "
     "and not part of this run: set install_knative=true, or choose kserve_deployment_mode=Standard"),
    ({"mode": "Knative", "versions": {"knative_serving": "v1.19.2"}},
     "Knative Serving 1.19.2 is not the version KServe v0.20.0 is tested with (1.21.x); pin knative_serving_version "
     "accordingly or set kserve_allow_version_skew=true"),
    ({"versions": {"cert_manager": "v1.16.5"}},
     "cert-manager 1.16.5 is older than the version KServe v0.20.0 is tested with (1.17); pin cert_manager_version "
     "accordingly or set kserve_allow_version_skew=true"),
    ({"record": {"version": "v0.21.0"}},
     "KServe v0.21.0 is installed in namespace kserve; downgrading to v0.20.0 is not supported (uninstall first, or "
     "keep kserve_version=v0.21.0)"),
    ({"crds": []}, "chart kserve-crd from oci://r/kserve/charts/kserve-crd renders no CustomResourceDefinition"),
    ({"crd_render": {"rc": 1, "stderr": "Error:  not\n found", "msg": "ignored"}},
     "cannot render chart kserve-crd from oci://r/kserve/charts/kserve-crd version v0.20.0: Error: not found"),
    ({"crd_render": {"rc": 1, "stderr": "", "msg": "no helm"}, "crd_chart": {"ref": "/charts/kserve-crd", "version": ""}},
     "cannot render chart kserve-crd from /charts/kserve-crd: no helm"),
    ({"crd_render": {"rc": 1, "stderr": "Get: http: server gave HTTP response to HTTPS client"}},
     "cannot render chart kserve-crd from oci://r/kserve/charts/kserve-crd version v0.20.0: Get: http: server gave HTTP "
     "response to HTTPS client (a plain-HTTP registry needs kserve_plain_http=true)"),
])
def test_each_problem(overrides, expected):
    assert problems(**overrides) == [expected]


@pytest.mark.parametrize("overrides", [
    # what this run installs counts as present; string booleans as from -e
    {"cluster": {"version": {"server": {"kubernetes": {"gitVersion": "v1.34.4"}}}, "apis": {}},
     "components": {"cert_manager": True, "knative_serving": "true"}, "mode": "Knative"},
    {"cluster": {"version": {"server": {"kubernetes": {"gitVersion": "v1.34.4"}}}, "apis": {}}, "require_cert_manager": "no"},
    {"mode": "Knative", "versions": {"knative_serving": "v1.19.2", "cert_manager": "1.16"}, "allow_version_skew": "yes"},
    {"mode": "Standard", "versions": {"knative_serving": "v1.19.2", "cert_manager": "v1.18.0"}},
    {"record": {"version": "v0.20.0"}},
    {"record": {"version": "v0.19.0"}},
    {"crd_render": {"rc": 1, "stderr": "server gave HTTP response to HTTPS client"}, "plain_http": "true", "crds": []},
])
def test_not_a_problem(overrides):
    result = problems(**overrides)
    assert all("plain-HTTP" not in p for p in result) and (result == [] or "crd_render" in overrides), result


def test_render_error_is_truncated_like_jinja():
    words = " ".join(["word"] * 200)
    message = problems(crd_render={"rc": 1, "stderr": words})[0]
    detail = message.split(": ", 1)[1]
    assert detail.endswith("...") and len(detail) <= 400 and detail == preflight.truncate(words)
    assert preflight.truncate("x" * 405) == "x" * 405
    assert preflight.truncate("x" * 406) == "x" * 397 + "..."


FOREIGN_CRD = {"metadata": {"name": "inferenceservices.serving.kserve.io",
                            "annotations": {"meta.helm.sh/release-name": "kserve-crd", "meta.helm.sh/release-namespace": "other"}}}
BARE_CRD = {"metadata": {"name": "servingruntimes.serving.kserve.io", "annotations": None}}


def takeover_inputs(**overrides):
    v = {"adopt": False, "record": {}, "release": {}, "release_query": {"status": {}}, "release_name": "kserve",
         "namespace": "kserve", "record_name": "llmops-kserve-install", "crds": [],
         "managed_by_key": "app.kubernetes.io/managed-by", "managed_by": "llmops-kserve"}
    v.update(overrides)
    return FILTERS["kserve_takeover"](v)


WHAT = ("Helm release kserve/kserve (chart kserve-resources-v0.20.0, status deployed) is not named by the install record "
        "kserve/llmops-kserve-install of llmops.kserve; CRDs without the label app.kubernetes.io/managed-by=llmops-kserve: "
        "inferenceservices.serving.kserve.io (Helm release other/kserve-crd), servingruntimes.serving.kserve.io "
        "(no Helm release)")
FOREIGN = {"release": {"chart": "kserve-resources-v0.20.0", "status": "deployed"}, "crds": [FOREIGN_CRD, BARE_CRD]}


def test_nothing_to_take_over():
    assert takeover_inputs() == {"problems": [], "note": ""}
    # our own release (named by the install record) is not someone else's
    assert takeover_inputs(release={"chart": "c", "status": "deployed"}, record={"release": "kserve"}) == {"problems": [], "note": ""}


@pytest.mark.parametrize("adopt", [False, "false", "no", "0"])
def test_someone_elses_kserve_is_refused(adopt):
    assert takeover_inputs(adopt=adopt, **FOREIGN) == {"problems": [
        "kserve_adopt: false, but KServe is already installed by something else (%s); remove it, or set kserve_adopt: true "
        "to take it over (this collection then upgrades that release and labels those CRDs as its own, and a later "
        "uninstall removes the release, and the CRDs with kserve_remove_crds)" % WHAT], "note": ""}


@pytest.mark.parametrize("adopt", [True, "true", "yes", "1"])
def test_someone_elses_kserve_is_taken_over_with_adopt(adopt):
    assert takeover_inputs(adopt=adopt, **FOREIGN) == {"problems": [], "note": "Taking over (kserve_adopt: true): " + WHAT}


def test_bad_adopt_and_helm_failure():
    assert takeover_inputs(adopt="maybe", release_query={"failed": True, "msg": "no helm"}, **FOREIGN)["problems"] == [
        "kserve_helm_binary: cannot query Helm releases (no helm)",
        'kserve_adopt: must be true or false (or yes/no), got "maybe"']


@pytest.mark.parametrize("value, expected", [
    (True, True), (False, False), ("True", True), ("yes", True), ("on", True), ("1", True), ("t", True), ("y", True),
    (1, True), (1.0, True), ("false", False), ("no", False), ("0", False), (0, False), ("", False), ("maybe", False),
])
def test_to_bool_reads_like_ansible(value, expected):
    assert preflight.to_bool(value) is expected


def cluster(git_version="v1.34.4", **extra):
    return dict({"version": {"server": {"kubernetes": {"gitVersion": git_version}}}}, **extra)


MATRIX = {"v1.17.2": {"kubernetes_min": "1.29", "kubernetes_tested_max": "1.33"}, "v1.18.0": {"kubernetes_min": "1.31"}}


def stack(role, **v):
    return FILTERS["stack_cluster_check"](dict({"cluster": cluster(), "version": "v1.17.2", "compat_matrix": MATRIX}, **v), role)


def test_stack_cluster_check():
    assert stack("knative_serving") == {"problems": [], "notes": [], "reachable": True}
    assert stack("cert_manager") == {"problems": [], "reachable": True, "notes": [
        "cert-manager v1.17.2 was tested up to Kubernetes 1.33; the cluster runs 1.34.4"]}
    assert stack("cert_manager", cluster=cluster("v1.33.9-kwok")) == {"problems": [], "notes": [], "reachable": True}
    assert stack("cert_manager", cluster=cluster("v1.28.0"))["problems"] == [
        "cert_manager_version: cert-manager v1.17.2 needs Kubernetes >= 1.29, the cluster runs 1.28.0"]
    assert stack("knative_serving", cluster=cluster("v1.30.1"), version="v1.18.0")["problems"] == [
        "knative_serving_version: Knative Serving v1.18.0 needs Kubernetes >= 1.31, the cluster runs 1.30.1"]
    # an unknown version or a matrix that is not a mapping: no Kubernetes requirement (the input check reports it)
    assert stack("knative_serving", version="v9", compat_matrix=None)["problems"] == []


def test_stack_cluster_unreachable():
    assert stack("knative_serving", cluster={"failed": True, "msg": "connection refused"}) == {
        "problems": ["knative-serving: cannot reach the Kubernetes API (connection refused)"], "notes": [], "reachable": False}
    assert stack("cert_manager", cluster={})["problems"] == ["cert-manager: cannot reach the Kubernetes API (no version reported)"]
    failed = stack("cert_manager", cluster=cluster(failed=True, msg="x"))
    assert not failed["reachable"] and failed["problems"] == ["cert-manager: cannot reach the Kubernetes API (x)"]


def test_unlabelled():
    objects = [{"metadata": {"namespace": "a", "name": "ours", "labels": {"app.kubernetes.io/managed-by": "llmops-kserve"}}},
               {"metadata": {"namespace": "b", "name": "theirs", "labels": {"app.kubernetes.io/managed-by": "helm"}}},
               {"metadata": {"namespace": "c", "name": "bare", "labels": None}}]
    assert FILTERS["unlabelled"](objects, "app.kubernetes.io/managed-by", "llmops-kserve") == ["b/theirs", "c/bare"]
    assert FILTERS["unlabelled"]([], "k", "v") == []


def presence(role, **v):
    return FILTERS["stack_presence_problems"](dict({"release_query": {"status": {}}, "what": "", "skip_if_present": False},
                                                   **v), role)


def test_stack_presence_nothing_in_the_way():
    assert presence("cert_manager", namespaces=[{}], namespace_field="cert_manager_namespace") == []
    assert presence("knative_serving", what="Helm release x/y", skip_if_present="true",
                    namespaces=[{"metadata": {"name": "knative-serving"}, "status": {"phase": "Active"}}]) == []


def test_stack_presence_problems():
    terminating = {"metadata": {"name": "cert-manager"}, "status": {"phase": "Terminating"}}
    assert presence("cert_manager", release_query={"failed": True, "msg": "no helm"}, what="Helm release cm/cm",
                    namespaces=[terminating], namespace_field="cert_manager_namespace") == [
        "cert_manager_helm_binary: cannot query Helm releases (no helm)",
        "cert_manager_skip_if_present: false, but cert-manager is already installed by something else (Helm release cm/cm); "
        "remove it, or set cert_manager_skip_if_present: true to use it as it is",
        "cert_manager_namespace: namespace 'cert-manager' is being deleted; wait until it is gone"]
    assert presence("knative_serving", what="KnativeServing without our label: a/b", skip_if_present="no",
                    namespaces=[dict(terminating, metadata={"name": "knative-operator"}), dict(terminating, metadata={"name": "ks"})]) == [
        "knative_serving_skip_if_present: false, but Knative Serving is already installed by something else (KnativeServing "
        "without our label: a/b); remove it, or set knative_serving_skip_if_present: true to use it as it is",
        "namespace 'knative-operator' is being deleted; wait until it is gone",
        "namespace 'ks' is being deleted; wait until it is gone"]


def test_service_webhooks():
    def hook(name, namespace, ca=""):
        return {"clientConfig": {"service": {"name": name, "namespace": namespace}, "caBundle": ca}}
    results = [
        {"item": "ValidatingWebhookConfiguration", "resources": [
            {"kind": "ValidatingWebhookConfiguration", "metadata": {"name": "inferenceservice.serving.kserve.io"},
             "webhooks": [hook("kserve-webhook-server-service", "kserve", "Q0E="), hook("kserve-webhook-server-service", "kserve", "Q0E=")]},
            {"kind": "ValidatingWebhookConfiguration", "metadata": {"name": "other"},
             "webhooks": [hook("kserve-webhook-server-service", "elsewhere"), {"clientConfig": {"url": "https://x"}}]}]},
        {"item": "MutatingWebhookConfiguration", "resources": [
            {"kind": "MutatingWebhookConfiguration", "metadata": {"name": "inferenceservice.serving.kserve.io"},
             "webhooks": [hook("kserve-webhook-server-service", "kserve"), hook("kserve-webhook-server-service", "kserve", "Q0E=")]},
            {"kind": "MutatingWebhookConfiguration", "metadata": {"name": "none"}, "webhooks": None}]},
        {"item": "skipped", "skipped": True},
    ]
    service = ("kserve-webhook-server-service", "kserve")
    assert FILTERS["service_webhooks"](results, *service) == [
        {"kind": "ValidatingWebhookConfiguration", "name": "inferenceservice.serving.kserve.io"},
        {"kind": "MutatingWebhookConfiguration", "name": "inferenceservice.serving.kserve.io"}]
    assert FILTERS["service_webhooks"](results, *service, "hook") == [
        "ValidatingWebhookConfiguration inferenceservice.serving.kserve.io (caBundle set)",
        "MutatingWebhookConfiguration inferenceservice.serving.kserve.io (caBundle NOT injected yet)",
        "MutatingWebhookConfiguration inferenceservice.serving.kserve.io (caBundle set)"]
    assert FILTERS["service_webhooks"]([], *service) == []
