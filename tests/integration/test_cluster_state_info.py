# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""llmops.kserve.cluster_state_info run by ansible against the local cluster's API server.

Several reads in one module call: an object by name, a list by namespace and label, a kind whose CRD is not
installed (served false, no failure), an object that does not exist (no objects), and an API error (a label selector
the API server cannot parse, 400) that fails the module naming the entry, or is returned when the entry ignores errors.
Waits (reads[].wait_condition) against a CRD the API server establishes, and a name that never appears (the module
fails at wait_timeout naming it).
"""

from __future__ import annotations

import json
import os
import sys
import uuid

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402  pylint: disable=wrong-import-position

MODULE = "llmops.kserve.cluster_state_info"


def run(kubeconfig, tmp_path, reads, **options):
    env = dict(os.environ, K8S_AUTH_KUBECONFIG=kubeconfig, ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-local"))
    return harness.module_result(harness.run_module(MODULE, {"reads": reads, **options}, env=env))


@pytest.fixture(scope="module")
def configmaps(kubeconfig, kubectl_bin):
    namespace = f"state-info-{uuid.uuid4().hex[:6]}"

    def ok(*args):
        proc = harness.kubectl(kubectl_bin, kubeconfig, *args)
        assert proc.returncode == 0, proc.stderr

    ok("create", "namespace", namespace)
    for name, label in (("a", "x"), ("b", "x"), ("c", "y")):
        ok("create", "configmap", name, "-n", namespace)
        ok("label", "configmap", name, "-n", namespace, f"group={label}")
    yield namespace
    harness.delete_namespace(kubectl_bin, kubeconfig, namespace)


def test_several_reads_in_one_call(kubeconfig, configmaps, tmp_path):
    ok, result = run(kubeconfig, tmp_path, [
        {"key": "one", "kind": "ConfigMap", "name": "a", "namespace": configmaps},
        {"key": "labelled", "kind": "ConfigMap", "namespace": configmaps, "label_selectors": ["group=x"]},
        {"key": "missing", "kind": "ConfigMap", "name": "nope", "namespace": configmaps},
        {"key": "no_crd", "api_version": "keda.sh/v1alpha1", "kind": "ScaledObject"},
        {"key": "crd", "api_version": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
         "name": "no-such.example.com"},
        {"key": "hidden", "kind": "ConfigMap", "name": "a", "namespace": configmaps,
         "hidden_fields": ["metadata.labels", "metadata.creationTimestamp", "no.such.field"]},
    ])
    assert ok and result["changed"] is False, result
    resources, served = result["resources"], result["served"]
    assert [o["metadata"]["name"] for o in resources["one"]] == ["a"]
    assert sorted(o["metadata"]["name"] for o in resources["labelled"]) == ["a", "b"]
    assert resources["missing"] == [] and served["missing"] is True
    assert resources["no_crd"] == [] and served["no_crd"] is False
    assert resources["crd"] == [] and served["crd"] is True
    # hidden_fields drops those paths (a missing one is ignored) and nothing else
    assert resources["one"][0]["metadata"]["labels"] == {"group": "x"} and "creationTimestamp" in resources["one"][0]["metadata"]
    hidden = resources["hidden"][0]["metadata"]
    assert hidden["name"] == "a" and "labels" not in hidden and "creationTimestamp" not in hidden, hidden
    assert result["errors"] == {}


def test_an_api_error_fails_naming_the_entry_unless_ignored(kubeconfig, tmp_path):
    bad = {"key": "bad", "kind": "ConfigMap", "namespace": "default", "label_selectors": ["a b = = c"]}
    ok, result = run(kubeconfig, tmp_path, [bad])
    assert not ok and result["msg"].startswith("reads[bad] (v1 ConfigMap): 400"), result
    ok, result = run(kubeconfig, tmp_path, [dict(bad, ignore_errors=True), {"key": "ns", "kind": "Namespace",
                                                                            "name": "default"}])
    assert ok and "bad" in result["errors"] and result["resources"]["bad"] == [], result
    assert [o["metadata"]["name"] for o in result["resources"]["ns"]] == ["default"]


def test_duplicate_keys_are_refused(kubeconfig, tmp_path):
    ok, result = run(kubeconfig, tmp_path, [{"key": "k", "kind": "Namespace"}, {"key": "k", "kind": "ConfigMap"}])
    assert not ok and result["msg"] == "reads: key k appears more than once; allowed: one entry per key", result


CRD = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
       "metadata": {"name": "widgets.state-info.example.com"},
       "spec": {"group": "state-info.example.com", "scope": "Namespaced",
                "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                "versions": [{"name": "v1", "served": True, "storage": True,
                              "schema": {"openAPIV3Schema": {"type": "object"}}}]}}


def test_waits_for_a_condition_and_names_what_never_comes(kubeconfig, kubectl_bin, tmp_path):
    created = harness.kubectl(kubectl_bin, kubeconfig, "create", "-f", "-", input_text=json.dumps(CRD))
    assert created.returncode == 0, created.stderr
    try:
        entry = {"key": "crds", "api_version": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                 "names": [CRD["metadata"]["name"]], "wait_condition": {"type": "Established"},
                 "hidden_fields": ["spec"]}
        ok, result = run(kubeconfig, tmp_path, [entry], wait_timeout=60)
        assert ok, result
        [crd] = result["resources"]["crds"]
        assert "spec" not in crd and any(c["type"] == "Established" and c["status"] == "True"
                                         for c in crd["status"]["conditions"]), crd
        ok, result = run(kubeconfig, tmp_path, [dict(entry, names=[CRD["metadata"]["name"], "nope.example.com"])],
                         wait_timeout=2)
        assert not ok and result["msg"] == (
            "not ready after 2s: reads[crds] (apiextensions.k8s.io/v1 CustomResourceDefinition): Established=True not "
            "reported by nope.example.com (missing)"), result
    finally:
        harness.kubectl(kubectl_bin, kubeconfig, "delete", "crd", CRD["metadata"]["name"], "--wait=false")
