"""deploy_models.yml applies N models in one module call (llmops.kserve.helm_releases, bounded concurrency) and reads
their releases in one call (llmops.kserve.helm_releases_info), with KServe's real controller and real Helm.

Checked from the play's own task results (ansible.posix.json callback): one apply task with one result per release
(revision, first install), no per-model kubernetes.core.helm / helm_info loop; a re-run changes nothing; --check
--diff names only the changed model, shows its values before and after, and applies nothing. Pods become Ready
because kwok marks scheduled Pods Ready (nothing runs).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent / "integration"))

from cluster_fixtures import BIN  # noqa: E402  pylint: disable=wrong-import-position
from hf_server import GOOD_TOKEN, FakeHub  # noqa: E402  pylint: disable=wrong-import-position

NAMESPACE = "llmops-e2e-concurrent"
NAMES = ["conc-a", "conc-b", "conc-c", "conc-d"]
APPLY = "llmops.kserve.helm_releases"


def model(name, **values):
    return {"name": name, "model_id": "Qwen/Qwen2.5-0.5B-Instruct", "platform": "xeon", "profile": "cpu-tiny",
            "deployment_mode": "Standard", "replicas": 1, **({"values": values} if values else {})}


@pytest.fixture(scope="module")
def hub():
    with FakeHub() as server:
        yield server


@pytest.fixture(scope="module")
def clean_namespace(playbooks, kserve_controller, kubectl_bin, kubeconfig):  # noqa: ARG001 (its webhooks run)
    def drop():
        subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig, "delete", "namespace", NAMESPACE, "--ignore-not-found",
                        "--timeout=120s"], capture_output=True, text=True, timeout=180, check=False)
    drop()
    rc, out, _changed = playbooks.run("playbooks/register_runtimes.yml")
    assert rc == 0, out[-4000:]
    yield
    drop()


def deploy_json(kubeconfig, hub, tmp_path, models, *extra):
    """deploy_models.yml with the JSON callback: (rc, {action: [task results]}, stats of localhost)."""
    path = tmp_path / "models.yml"
    path.write_text(yaml.safe_dump({"llmops_models": models, "llmops_models_namespace": NAMESPACE,
                                    "model_deploy_concurrency": 4, "model_deploy_wait_interval": 2}))
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), K8S_AUTH_KUBECONFIG=kubeconfig,
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_FORCE_COLOR="0", HF_ENDPOINT=hub.endpoint,
               HF_TOKEN=GOOD_TOKEN, PATH=f"{ROOT / '.venv' / 'bin'}:{BIN}:{os.environ['PATH']}")
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "ansible-playbook"), "-i", "inventory/local",
                           "playbooks/deploy_models.yml", "-e", f"@{path}", *extra], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    assert GOOD_TOKEN not in proc.stdout + proc.stderr
    report = json.loads(proc.stdout[proc.stdout.index("{"):])
    by_action: dict[str, list] = {}
    for play in report["plays"]:
        for task in play["tasks"]:
            result = task["hosts"].get("localhost")
            if result:
                # the preflight renders with the same module (render=true): the apply is the model_deploy task
                action = result.get("action")
                if action == APPLY and "Apply one Helm release per model" not in task["task"]["name"]:
                    action = "render"
                by_action.setdefault(action, []).append(result)
    return proc.returncode, by_action, report["stats"]["localhost"], proc.stdout[-4000:] + proc.stderr[-2000:]


def helm_list(helm_bin, kubeconfig):
    out = subprocess.run([helm_bin, "--kubeconfig", kubeconfig, "list", "-n", NAMESPACE, "-o", "json"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return {r["name"]: int(r["revision"]) for r in json.loads(out)}


def test_n_models_in_one_apply_and_one_read(clean_namespace, hub, tmp_path, kubeconfig, helm_bin, kube_json):  # noqa: ARG001
    models = [model(n) for n in NAMES]
    rc, tasks, stats, out = deploy_json(kubeconfig, hub, tmp_path, models)
    assert rc == 0, out
    assert "kubernetes.core.helm_info" not in tasks and "kubernetes.core.helm" not in tasks, \
        "the releases are read or applied one module call per model"
    [applied] = tasks[APPLY]
    assert "results" in applied and [r["name"] for r in applied["results"]] == NAMES, applied
    assert all(r["changed"] and r["first_install"] and r["revision"] == 1 and not r["error"]
               for r in applied["results"]), applied
    # the ownership read happened once for all models, and so did the preflight's render
    assert len(tasks["llmops.kserve.helm_releases_info"]) == 1
    assert "kubernetes.core.helm_template" not in tasks
    [rendered] = tasks["render"]
    assert [r["name"] for r in rendered["results"]] == NAMES and all("kind: InferenceService" in r["manifest"]
                                                                     for r in rendered["results"]), rendered
    assert helm_list(helm_bin, kubeconfig) == dict.fromkeys(NAMES, 1)
    for name in NAMES:
        isvc = kube_json("get", "inferenceservice", name, "-n", NAMESPACE)
        assert any(c["type"] == "Ready" and c["status"] == "True" for c in isvc["status"]["conditions"]), isvc

    rc, tasks, stats, out = deploy_json(kubeconfig, hub, tmp_path, models)
    assert rc == 0 and stats["changed"] == 0, out
    assert not any(r["changed"] for r in tasks[APPLY][0]["results"])

    changed = [model(NAMES[0], model={"maxModelLen": 2048})] + models[1:]
    rc, tasks, stats, out = deploy_json(kubeconfig, hub, tmp_path, changed, "--check", "--diff")
    assert rc == 0, out
    [predicted] = tasks[APPLY]
    assert [r["name"] for r in predicted["results"] if r["changed"]] == [NAMES[0]], predicted
    diff = predicted["results"][0]["diff"]
    assert diff["after"]["model"]["maxModelLen"] == 2048 and diff["before"]["model"].get("maxModelLen") != 2048
    assert helm_list(helm_bin, kubeconfig) == dict.fromkeys(NAMES, 1), "--check applied a release"
