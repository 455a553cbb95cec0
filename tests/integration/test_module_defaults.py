"""The cluster connection reaches every Kubernetes and Helm task through module_defaults (meta/runtime.yml
action_groups), with nothing to fall back on: no K8S_AUTH_* / KUBECONFIG in the environment and an empty HOME (no
~/.kube/config); the kubeconfig is a copy of the local cluster's at a non-default path.

Runs tests/integration/playbooks/connection_defaults.yml in check mode (reads the cluster, changes nothing): kubernetes.core
and llmops.kserve modules directly, then the cert_manager and knative_serving preflights (tasks_from, as
playbooks/install.yml runs them), the preflight role and the serving_runtimes role (detection + Helm in check mode).
"""
from __future__ import annotations

import shutil

import pytest

import harness

PLAYBOOK = "tests/integration/playbooks/connection_defaults.yml"


@pytest.fixture(scope="module")
def isolated(kubeconfig, tmp_path_factory):
    """(environment without any kubeconfig to fall back on, path of a copy of the cluster's kubeconfig)"""
    base = tmp_path_factory.mktemp("connection")
    (base / "home").mkdir()
    (base / "elsewhere").mkdir()
    path = base / "elsewhere" / "cluster.conf"
    shutil.copyfile(kubeconfig, path)
    env = harness.ansible_env(helm=harness.helm_bin(), drop=("K8S_AUTH_", "KUBECONFIG"), HOME=str(base / "home"))
    return env, str(path)


def run(isolated, mode: str) -> harness.PlaybookRun:
    env, path = isolated
    return harness.run_playbook(PLAYBOOK, "--check", "-e", f"cluster_kubeconfig={path}", "-e", f"connection_mode={mode}",
                                env=env)


@pytest.mark.parametrize("mode", ["play", "role"])
def test_connection_reaches_every_task(isolated, mode):
    """play: one group/llmops.kserve.kubernetes default in the play; role: only each role's <role>_kubeconfig."""
    result = run(isolated, mode)
    assert result.rc == 0 and result.failed == 0, result
    assert "No role recorded a connection problem" in result.output, result


def test_without_a_connection_the_same_tasks_fail(isolated):
    """The negative control: the same playbook with neither proves that the environment leaves nothing to fall back on."""
    result = run(isolated, "none")
    assert result.rc != 0, result
    assert "No configuration found" in result.text or "cannot reach" in result.text, result
