# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nothing removes or takes over what this collection did not create (issue 13, item 3), on the local cluster.

Releases and CRDs of "someone else" are installed beforehand with the plain helm binary (argument lists), then our
playbooks run against them:

- playbooks/uninstall_models.yml refuses a release that is not a kserve-model release deployed by model_deploy (a
  release named ``kserve`` of another chart, a kserve-model release installed by hand), changes nothing and says
  why; a release that does not exist is nothing to do;
- model_deploy never labels a namespace it did not create, labels one it creates, and removes the hf-token Secret
  with the last model of the namespace (and not before);
- the kserve role's preflight refuses a Helm release ``kserve`` and KServe-chart CRDs it did not install, unless
  kserve_adopt (given as a string from -e); with kserve_adopt=true it installs over them, and uninstall then removes
  the adopted release.

No model runs here (wait disabled, no KServe controller): these tests decide on Helm releases, labels and Secrets,
which the API server and Helm hold exactly as on a real cluster. The CRD of the kserve-crd stand-in chart has a
unique name, so the shared KServe CRDs of the test cluster are never touched.
"""
from __future__ import annotations

import base64
import json
import secrets
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml

import harness

ROOT = harness.ROOT
MODEL_CHART = ROOT / "charts" / "kserve-model"
RESOURCES_CHART = ROOT / "tests" / "charts" / "kserve-resources"
MANAGED_BY = "app.kubernetes.io/managed-by"
TINY = {"name": "", "model_id": "Qwen/Qwen2.5-0.5B-Instruct", "platform": "xeon", "profile": "cpu-tiny",
        "deployment_mode": "Standard", "replicas": 1}


def _run(args: list[str], timeout: int = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False, env=env, cwd=ROOT)


@pytest.fixture(scope="module")
def tools(kubeconfig, kubectl_bin, helm_bin):
    """Runs helm, kubectl and our playbooks against the local cluster."""
    environ = harness.ansible_env(kubeconfig, helm_bin, drop=("HF_TOKEN", "HF_ENDPOINT", "HF_HUB_OFFLINE"))

    class Tools:
        def helm(self, *args: str) -> subprocess.CompletedProcess:
            return _run([helm_bin, "--kubeconfig", kubeconfig, *args])

        def kubectl(self, *args: str) -> subprocess.CompletedProcess:
            return _run([kubectl_bin, "--kubeconfig", kubeconfig, *args])

        def get(self, *args: str) -> dict:
            proc = self.kubectl("get", *args, "-o", "json")
            return json.loads(proc.stdout) if proc.returncode == 0 else {}

        def playbook(self, name: str, *args: str, extra_env: dict | None = None) -> tuple[int, str, int]:
            """(rc, output, changed) of ansible-playbook <name> <args>."""
            run = harness.run_playbook(name, *args, env={**environ, **(extra_env or {})}, timeout=900)
            # whitespace normalised: the YAML callback folds long messages over several lines
            return run.rc, run.text, run.recaps[0][1] if run.recaps else -1

        def release(self, name: str, namespace: str) -> dict:
            """helm status of a release as a dict ({} when there is none)."""
            proc = self.helm("status", name, "-n", namespace, "-o", "json")
            return json.loads(proc.stdout) if proc.returncode == 0 else {}

    return Tools()


@pytest.fixture()
def namespace(tools):
    """A fresh namespace name; whatever a test left in it is removed afterwards."""
    name = f"own-{uuid.uuid4().hex[:8]}"
    yield name
    proc = tools.helm("list", "-n", name, "-a", "-q")
    for release in proc.stdout.split():
        tools.helm("uninstall", release, "-n", name, "--wait")
    tools.kubectl("delete", "namespace", name, "--ignore-not-found", "--wait=false")


def tiny_chart(directory: Path, name: str, templates: dict[str, dict]) -> Path:
    """A minimal chart (Chart.yaml + the given template objects) written under ``directory``."""
    chart = directory / name
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(yaml.safe_dump({"apiVersion": "v2", "name": name, "version": "0.20.0",
                                                      "description": "someone else's chart (test_ownership.py)"}))
    for file_name, obj in templates.items():
        (chart / "templates" / file_name).write_text(yaml.safe_dump(obj))
    return chart


def configmap_chart(directory: Path, name: str) -> Path:
    return tiny_chart(directory, name, {"configmap.yaml": {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "{{ .Release.Name }}-data"}, "data": {"owner": "someone else"}}})


def models_vars(path: Path, namespace: str, names: list[str], **extra) -> str:
    path.write_text(json.dumps({"llmops_models": [dict(TINY, name=name) for name in names],
                                "llmops_models_namespace": namespace, "llmops_preflight": False,
                                "model_deploy_wait_timeout": 0, **extra}))
    return f"@{path}"


# --- uninstall_models.yml ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["another-chart-named-kserve", "kserve-model-by-hand"])
def test_uninstall_models_refuses_a_release_it_did_not_deploy(case, tools, namespace, tmp_path):
    if case == "another-chart-named-kserve":
        # what llmops_model_name=kserve llmops_models_namespace=kserve would hit: the KServe controller's release
        release, chart, why = "kserve", configmap_chart(tmp_path, "kserve-resources"), "not a model (chart kserve-model)"
        install = ["install", release, str(chart)]
    else:
        release, chart, why = "by-hand", MODEL_CHART, "was not deployed by llmops.kserve"
        install = ["install", release, str(chart), "-f", str(MODEL_CHART / "values-cpu-tiny.yaml")]
    proc = tools.helm(*install, "-n", namespace, "--create-namespace")
    assert proc.returncode == 0, proc.stderr
    before = tools.release(release, namespace)

    rc, out, changed = tools.playbook("playbooks/uninstall_models.yml", "-e", f"llmops_model_name={release}",
                                      "-e", f"llmops_models_namespace={namespace}")
    assert rc != 0, out[-3000:]
    assert "Refusing to remove" in out and f"release {namespace}/{release}" in out and why in out, out[-3000:]
    assert "Nothing was changed" in out and changed == 0, out[-3000:]
    after = tools.release(release, namespace)
    assert after.get("info", {}).get("status") == "deployed" and after["version"] == before["version"]

    # deploying a model of that name would take the release over (helm upgrade): refused the same way
    rc, out, changed = tools.playbook("playbooks/deploy_models.yml", "-e", models_vars(tmp_path / "v.json", namespace, [release]))
    assert rc != 0 and "Refusing to deploy over" in out and why in out and changed == 0, out[-3000:]
    assert tools.release(release, namespace)["version"] == before["version"]


def test_uninstall_models_of_a_missing_release_is_nothing_to_do(tools, namespace):
    tools.kubectl("create", "namespace", namespace)
    rc, out, changed = tools.playbook("playbooks/uninstall_models.yml", "-e", "llmops_model_name=not-there",
                                      "-e", f"llmops_models_namespace={namespace}")
    assert rc == 0 and changed == 0, out[-3000:]
    assert "nothing to remove" in out


# --- model_deploy: namespace and token Secret ----------------------------------------------------------------------

def test_existing_namespace_is_never_labelled_and_the_secret_goes_with_the_last_model(tools, namespace, tmp_path):
    proc = tools.kubectl("create", "namespace", namespace)
    assert proc.returncode == 0, proc.stderr
    token = "hf_" + secrets.token_hex(16)
    extra = models_vars(tmp_path / "v.json", namespace, ["tiny-a", "tiny-b"])
    rc, out, _changed = tools.playbook("playbooks/deploy_models.yml", "-e", extra, extra_env={"HF_TOKEN": token})
    assert rc == 0, out[-4000:]
    assert token not in out
    labels = tools.get("namespace", namespace)["metadata"].get("labels") or {}
    assert MANAGED_BY not in labels, f"an existing namespace was labelled as ours: {labels}"
    secret = tools.get("-n", namespace, "secret", "hf-token")
    assert secret["metadata"]["labels"][MANAGED_BY] == "llmops-kserve"
    assert base64.b64decode(secret["data"]["HF_TOKEN"]).decode() == token

    rc, out, _changed = tools.playbook("playbooks/uninstall_models.yml", "-e", "llmops_model_name=tiny-a",
                                       "-e", f"llmops_models_namespace={namespace}")
    assert rc == 0, out[-3000:]
    assert tools.release("tiny-a", namespace) == {} and tools.release("tiny-b", namespace)
    assert tools.get("-n", namespace, "secret", "hf-token"), "the Secret went while a model still uses it"

    rc, out, _changed = tools.playbook("playbooks/uninstall_models.yml", "-e", "llmops_model_name=tiny-b",
                                       "-e", f"llmops_models_namespace={namespace}")
    assert rc == 0, out[-3000:]
    assert tools.release("tiny-b", namespace) == {}
    assert tools.get("-n", namespace, "secret", "hf-token") == {}, "the Secret outlived the last model of the namespace"
    assert tools.get("namespace", namespace), "the namespace we did not create was deleted"


def test_created_namespace_is_labelled_and_a_foreign_secret_is_kept(tools, namespace, tmp_path):
    extra = models_vars(tmp_path / "v.json", namespace, ["tiny-c"])
    rc, out, _changed = tools.playbook("playbooks/deploy_models.yml", "-e", extra)
    assert rc == 0, out[-4000:]
    assert tools.get("namespace", namespace)["metadata"]["labels"][MANAGED_BY] == "llmops-kserve"
    # the mark that lets uninstall tell this release from someone else's
    values = json.loads(tools.helm("get", "values", "tiny-c", "-n", namespace, "-o", "json").stdout)
    assert values["commonLabels"]["llmops.kserve/managed-by"] == "llmops-kserve"
    isvc = tools.get("-n", namespace, "inferenceservice", "tiny-c")
    assert isvc["metadata"]["labels"]["llmops.kserve/managed-by"] == "llmops-kserve"
    # a re-run (the namespace, the ownership check and the mark included) changes nothing
    extra = models_vars(tmp_path / "v.json", namespace, ["tiny-c"])
    rc, out, changed = tools.playbook("playbooks/deploy_models.yml", "-e", extra)
    assert rc == 0 and changed == 0, out[-4000:]
    # a Secret of the same name that someone else created (no labels of ours) is not ours to delete
    proc = tools.kubectl("-n", namespace, "create", "secret", "generic", "hf-token", "--from-literal=HF_TOKEN=theirs")
    assert proc.returncode == 0, proc.stderr
    extra = models_vars(tmp_path / "v.json", namespace, ["tiny-c"])
    rc, out, _changed = tools.playbook("playbooks/uninstall_models.yml", "-e", extra)
    assert rc == 0, out[-3000:]
    assert tools.release("tiny-c", namespace) == {}
    assert tools.get("-n", namespace, "secret", "hf-token"), "a Secret we did not create was deleted"


# --- kserve role: someone else's KServe ----------------------------------------------------------------------------

@pytest.fixture()
def foreign_kserve(tools, namespace, tmp_path):
    """A KServe 'installed by someone else' with plain Helm: release kserve-crd (a stand-in kserve-crd chart whose CRD
    has a unique name) and release kserve, in ``namespace``. Returns (chart_dir, crd_name)."""
    group = f"own{uuid.uuid4().hex[:8]}.llmops.test"
    crd_name = f"widgets.{group}"
    charts = tmp_path / "charts"
    tiny_chart(charts, "kserve-crd", {"crd.yaml": {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": crd_name},
        "spec": {"group": group, "scope": "Namespaced",
                 "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
                 "versions": [{"name": "v1", "served": True, "storage": True,
                               "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]}}})
    (charts / "kserve-resources").symlink_to(RESOURCES_CHART)
    for release, chart in (("kserve-crd", charts / "kserve-crd"), ("kserve", configmap_chart(tmp_path, "their-kserve"))):
        proc = tools.helm("install", release, str(chart), "-n", namespace, "--create-namespace")
        assert proc.returncode == 0, proc.stderr
    yield charts, crd_name
    tools.kubectl("delete", "crd", crd_name, "--ignore-not-found", "--wait=false")


def install_args(namespace: str, charts: Path, *extra: str) -> list[str]:
    variables = {
        "install_cert_manager": False, "install_knative": False, "kserve_deployment_mode": "Standard",
        "kserve_namespace": namespace, "kserve_chart_source": "local", "kserve_chart_dir": str(charts),
        "kserve_require_cert_manager": False,
        "kserve_chart_values": {"kserve": {"createSharedResources": False, "inferenceServiceConfig": {"enabled": True}}},
    }
    return ["-e", json.dumps(variables), *extra]


def test_kserve_preflight_refuses_someone_elses_kserve_unless_adopted(tools, namespace, foreign_kserve):
    charts, crd_name = foreign_kserve
    for adopt in ([], ["-e", "kserve_adopt=false"]):
        rc, out, changed = tools.playbook("playbooks/install.yml", *install_args(namespace, charts, *adopt))
        assert rc != 0, out[-4000:]
        assert "kserve_adopt: false, but KServe is already installed by something else" in out, out[-4000:]
        assert f"Helm release {namespace}/kserve (chart their-kserve-0.20.0" in out, out[-4000:]
        assert f"{crd_name} (Helm release {namespace}/kserve-crd)" in out, out[-4000:]
        assert changed == 0, out[-4000:]
    # nothing was changed: their release untouched, their CRD not labelled ours, no install record
    assert tools.release("kserve", namespace)["version"] == 1
    assert (tools.get("crd", crd_name)["metadata"].get("labels") or {}).get(MANAGED_BY) == "Helm"
    assert tools.get("-n", namespace, "configmap", "llmops-kserve-install") == {}

    # kserve_adopt=true (a string, from -e): taken over deliberately; uninstall then removes the adopted release
    rc, out, _changed = tools.playbook("playbooks/install.yml", *install_args(namespace, charts, "-e", "kserve_adopt=true"))
    assert rc == 0, out[-4000:]
    assert "Taking over (kserve_adopt: true)" in out
    assert tools.release("kserve", namespace)["version"] == 2
    assert tools.get("crd", crd_name)["metadata"]["labels"][MANAGED_BY] == "llmops-kserve"
    assert tools.get("-n", namespace, "configmap", "llmops-kserve-install")["data"]["release"] == "kserve"
    rc, out, _changed = tools.playbook("playbooks/uninstall.yml", "-e", json.dumps({
        "uninstall_cert_manager": False, "uninstall_knative": False, "kserve_namespace": namespace,
        # InferenceServices of other tests may still be terminating on the shared cluster; none is in this namespace
        "uninstall_force": True}))
    assert rc == 0, out[-4000:]
    assert tools.release("kserve", namespace) == {}
