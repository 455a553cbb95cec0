# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""llmops.kserve.helm_releases run by ansible against the local cluster, with the real helm binary.

Releases of a tiny chart (one ConfigMap) in a namespace of their own: concurrent install, idempotent re-run,
check and diff mode, and one bad release that fails without stopping the others (the results say which ones were
applied, so that the deploy role can roll them back).
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import pytest

import harness

ROOT = harness.ROOT
ANSIBLE = str(harness.VENV_BIN / "ansible")  # for test_helm_releases_info.py (harness.run_module is the way)

CHART = """apiVersion: v2
name: tiny
version: 0.1.0
"""
TEMPLATE = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}
  labels: {{ .Values.labels | toJson }}
data:
  greeting: {{ .Values.greeting | quote }}
"""


@pytest.fixture()
def chart(tmp_path):
    path = tmp_path / "tiny"
    (path / "templates").mkdir(parents=True)
    (path / "Chart.yaml").write_text(CHART)
    (path / "values.yaml").write_text("greeting: hello\nlabels: {}\n")
    (path / "templates" / "cm.yaml").write_text(TEMPLATE)
    return str(path)


@pytest.fixture()
def namespace(kubeconfig, kubectl_bin, helm_bin):
    name = "helm-releases-" + uuid.uuid4().hex[:6]
    subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig, "create", "namespace", name], check=True,
                   capture_output=True, timeout=60)
    yield name
    subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig, "delete", "namespace", name, "--wait=false"],
                   capture_output=True, timeout=60, check=False)


def run_module(kubeconfig, helm_bin, tmp_path, args, *flags):
    env = dict(os.environ, K8S_AUTH_KUBECONFIG=kubeconfig, ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-local"))
    return harness.module_result(harness.run_module("llmops.kserve.helm_releases", dict(args, binary_path=helm_bin),
                                                    *flags, env=env))


def releases(chart, names, greeting="hello"):
    return [{"name": n, "chart_ref": chart, "values": {"greeting": greeting, "labels": {"app": n}}} for n in names]


def helm_revisions(helm_bin, kubeconfig, namespace):
    out = subprocess.run([helm_bin, "list", "-n", namespace, "-o", "json", "--kubeconfig", kubeconfig],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return {r["name"]: int(r["revision"]) for r in json.loads(out)}


def test_concurrent_install_rerun_check_and_diff(kubeconfig, helm_bin, namespace, chart, tmp_path):
    names = ["a", "b", "c", "d", "e"]
    spec = {"release_namespace": namespace, "concurrency": 3, "releases": releases(chart, names)}
    ok, result = run_module(kubeconfig, helm_bin, tmp_path, spec)
    assert ok and result["changed"] is True, result
    assert [r["name"] for r in result["results"]] == names
    assert all(r["first_install"] and r["revision"] == 1 and r["changed"] for r in result["results"]), result
    assert helm_revisions(helm_bin, kubeconfig, namespace) == dict.fromkeys(names, 1)

    ok, again = run_module(kubeconfig, helm_bin, tmp_path, spec)
    assert ok and again["changed"] is False, again
    assert all(not r["changed"] and r["revision"] == 1 for r in again["results"])

    changed = dict(spec, releases=releases(chart, ["a"], greeting="hi") + releases(chart, names[1:]))
    ok, predicted = run_module(kubeconfig, helm_bin, tmp_path, changed, "--check", "--diff")
    assert ok and predicted["changed"] is True
    assert [r["name"] for r in predicted["results"] if r["changed"]] == ["a"]
    assert predicted["results"][0]["diff"]["before"]["greeting"] == "hello"
    assert predicted["results"][0]["diff"]["after"]["greeting"] == "hi"
    assert helm_revisions(helm_bin, kubeconfig, namespace)["a"] == 1, "check mode must not upgrade"

    ok, applied = run_module(kubeconfig, helm_bin, tmp_path, changed)
    assert ok and [r["name"] for r in applied["results"] if r["changed"]] == ["a"]
    assert applied["results"][0]["previous_revision"] == 1 and applied["results"][0]["revision"] == 2


def test_one_bad_release_does_not_stop_the_others(kubeconfig, helm_bin, namespace, chart, tmp_path):
    good = releases(chart, ["good-1", "good-2"])
    # a label value the API server refuses: helm fails for this release only
    bad = {"name": "bad", "chart_ref": chart, "values": {"greeting": "x", "labels": {"app": "not a valid label!"}}}
    ok, result = run_module(kubeconfig, helm_bin, tmp_path,
                            {"release_namespace": namespace, "concurrency": 2, "releases": [good[0], bad, good[1]]})
    assert not ok
    assert result["failed_releases"] == ["bad"]
    by_name = {r["name"]: r for r in result["results"]}
    assert by_name["good-1"]["changed"] and by_name["good-1"]["revision"] == 1 and not by_name["good-1"]["error"]
    assert by_name["good-2"]["changed"] and by_name["good-2"]["revision"] == 1
    assert "bad" in result["msg"] and by_name["bad"]["error"]
    assert set(helm_revisions(helm_bin, kubeconfig, namespace)) >= {"good-1", "good-2"}


def test_bad_input_fails_before_any_change(kubeconfig, helm_bin, namespace, chart, tmp_path):
    spec = {"release_namespace": namespace, "releases": releases(chart, ["x", "x"])}
    ok, result = run_module(kubeconfig, helm_bin, tmp_path, spec)
    assert not ok and "repeated: {0}/x".format(namespace) in result["msg"]
    assert helm_revisions(helm_bin, kubeconfig, namespace) == {}
