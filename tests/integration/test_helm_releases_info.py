# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""llmops.kserve.helm_releases_info run by ansible against the local cluster, with the real helm binary.

Releases of a tiny chart installed by llmops.kserve.helm_releases, then read back in one module call: the results
have the shape of a kubernetes.core.helm_info loop (item.name, status with revision, chart, status, values) and a
release that does not exist has no status, so the filters of roles/model_deploy (helm_revisions, ownership) read it.
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402  pylint: disable=wrong-import-position
from test_helm_releases import chart, namespace, releases, run_module  # noqa: E402,F401  pylint: disable=unused-import,wrong-import-position


def run_info(kubeconfig, helm_bin, tmp_path, args):
    env = dict(os.environ, K8S_AUTH_KUBECONFIG=kubeconfig, ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-local"))
    return harness.module_result(harness.run_module("llmops.kserve.helm_releases_info", dict(args, binary_path=helm_bin),
                                                    env=env))


def test_reads_every_release_in_one_call(kubeconfig, helm_bin, namespace, chart, tmp_path):  # noqa: F811
    ok, result = run_module(kubeconfig, helm_bin, tmp_path,
                            {"release_namespace": namespace, "releases": releases(chart, ["r1", "r2"])})
    assert ok, result
    ok, again = run_module(kubeconfig, helm_bin, tmp_path,
                           {"release_namespace": namespace, "releases": releases(chart, ["r2"], greeting="hi")})
    assert ok and again["results"][0]["revision"] == 2, again

    ok, info = run_info(kubeconfig, helm_bin, tmp_path, {"release_namespace": namespace,
                                                         "names": ["r1", "missing", "r2", "r"]})
    assert ok and info["changed"] is False, info
    assert [r["item"]["name"] for r in info["results"]] == ["r1", "missing", "r2", "r"]
    r1, missing, r2, prefix = info["results"]
    assert "status" not in missing and "status" not in prefix, info  # "r" is no release (the filter is anchored)
    assert int(r1["status"]["revision"]) == 1 and int(r2["status"]["revision"]) == 2
    assert r1["status"]["status"] == r2["status"]["status"] == "deployed"
    assert r1["status"]["chart"] == "tiny-0.1.0"
    assert r1["status"]["values"] == {"greeting": "hello", "labels": {"app": "r1"}}
    assert r2["status"]["values"]["greeting"] == "hi"


def test_no_names_and_bad_input(kubeconfig, helm_bin, namespace, tmp_path):  # noqa: F811
    ok, info = run_info(kubeconfig, helm_bin, tmp_path, {"release_namespace": namespace, "names": []})
    assert ok and info["results"] == [], info
    ok, info = run_info(kubeconfig, helm_bin, tmp_path, {"release_namespace": namespace, "names": ["a"],
                                                         "concurrency": 0})
    assert not ok and "concurrency must be 1 or more, got 0" in info["msg"], info


def test_render_mode_renders_every_release_and_applies_nothing(kubeconfig, helm_bin, namespace, chart, tmp_path):  # noqa: F811
    """llmops.kserve.helm_releases render=true (the preflight's one call for every model): helm template per release,
    a release whose chart cannot be rendered is a result with its error, not a module failure; nothing is applied."""
    spec = {"release_namespace": namespace, "render": True, "concurrency": 2,
            "releases": releases(chart, ["r1", "r2"]) + [{"name": "broken", "chart_ref": str(tmp_path / "no-such-chart")}]}
    ok, result = run_module(kubeconfig, helm_bin, tmp_path, spec)
    assert ok and result["changed"] is False, result
    assert result["failed_releases"] == ["broken"]
    r1, r2, broken = result["results"]
    assert "name: r1" in r1["manifest"] and "greeting: \"hello\"" in r1["manifest"] and not r1["error"], r1
    assert "name: r2" in r2["manifest"]
    assert broken["manifest"] == "" and "no-such-chart" in broken["error"], broken
    ok, info = run_info(kubeconfig, helm_bin, tmp_path, {"release_namespace": namespace, "names": ["r1", "r2"]})
    assert ok and all("status" not in r for r in info["results"]), "render mode installed a release"
