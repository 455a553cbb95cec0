"""End-to-end tests: the stack installed by our playbooks, KServe's real controller, the model lifecycle.

Session order: the local cluster (fixtures in tests/cluster_fixtures.py) -> `serving_stack` (autouse: test charts
pushed to the local OCI registry, playbooks/install.yml with inventory/local) -> `kserve_controller` (KServe's
controller manager as a host process, configured by the inferenceservice-config our kserve role wrote) -> tests.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "integration"))

import harness  # noqa: E402  pylint: disable=wrong-import-position
from hf_server import FakeHub  # noqa: E402  pylint: disable=wrong-import-position
from cluster_fixtures import helm_bin, kube_json, kubeconfig, kubectl_bin, registry_url  # noqa: E402,F401  pylint: disable=unused-import
from kserve_controller_fixture import kserve_controller  # noqa: E402,F401  pylint: disable=unused-import


class Playbooks:
    """Runs our playbooks like a user does (ansible-playbook, argument lists) and keeps every output.

    Every run is verbose (-vvv by default; LLMOPS_E2E_VERBOSITY=0..4 changes it): at default verbosity a task that
    succeeds prints nothing of its arguments or results, so a token that leaked into them would never be seen.
    test_lifecycle.py greps all these outputs for the token.
    """

    def __init__(self, kubeconfig_path: str, verbosity: int | None = None):
        self.kubeconfig = kubeconfig_path
        self.verbosity = int(os.environ.get("LLMOPS_E2E_VERBOSITY", "3")) if verbosity is None else verbosity
        self.outputs: list[str] = []

    def run(self, playbook: str, *args: str, env: dict | None = None, inventory: str = "inventory/local",
            timeout: int = 900) -> tuple[int, str, int]:
        """Returns (rc, output, changed count from the PLAY RECAP)."""
        full_env = harness.ansible_env(self.kubeconfig, harness.helm_bin(),
                                       drop=("HF_TOKEN", "HF_ENDPOINT", "HF_HUB_OFFLINE"), **(env or {}))
        verbose = ["-" + "v" * self.verbosity] if self.verbosity > 0 else []
        run = harness.run_playbook(playbook, *verbose, "-i", inventory, *args, env=full_env, timeout=timeout)
        self.outputs.append(run.output)
        return run.rc, run.output, run.changed_total

    def register_runtimes(self, only_if_missing: bool = False) -> None:
        """playbooks/register_runtimes.yml (only_if_missing: only when llmops-vllm-xeon is not registered yet)."""
        if only_if_missing and harness.kubectl(harness.kubectl_bin(), self.kubeconfig, "get", "clusterservingruntime",
                                               "llmops-vllm-xeon").returncode == 0:
            return
        rc, out, _changed = self.run("playbooks/register_runtimes.yml")
        assert rc == 0, out[-4000:]


@pytest.fixture(scope="module")
def hub():
    """The local Hugging Face Hub stand-in (tests/integration/hf_server.py) for a test module."""
    with FakeHub() as server:
        yield server


@pytest.fixture(scope="session")
def playbooks(kubeconfig) -> Playbooks:
    return Playbooks(kubeconfig)


@pytest.fixture(scope="session", autouse=True)
def serving_stack(kubeconfig, playbooks):
    """cert-manager + KServe (Standard mode) installed by playbooks/install.yml from charts in the local registry."""
    for script in ("test_charts_stack.py", "test_charts.py"):
        harness.test_charts(script, timeout=900)
    rc, out, _changed = playbooks.run("playbooks/install.yml")
    if rc != 0:
        pytest.fail(f"playbooks/install.yml failed:\n{out[-5000:]}")
    yield
    rc, out, _changed = playbooks.run("playbooks/uninstall.yml", "-e", "uninstall_force=true")
    if rc != 0:
        pytest.fail(f"playbooks/uninstall.yml failed:\n{out[-5000:]}")
