"""End-to-end tests: the stack installed by our playbooks, KServe's real controller, the model lifecycle.

Session order: the local cluster (fixtures in tests/cluster_fixtures.py) -> `serving_stack` (autouse: test charts
pushed to the local OCI registry, playbooks/install.yml with inventory/local) -> `kserve_controller` (KServe's
controller manager as a host process, configured by the inferenceservice-config our kserve role wrote) -> tests.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from cluster_fixtures import BIN, helm_bin, kube_json, kubeconfig, kubectl_bin, registry_url  # noqa: E402,F401  pylint: disable=unused-import
from kserve_controller_fixture import kserve_controller  # noqa: E402,F401  pylint: disable=unused-import

RECAP = re.compile(r"localhost\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


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
        full_env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), K8S_AUTH_KUBECONFIG=self.kubeconfig,
                        ANSIBLE_FORCE_COLOR="0", PATH=f"{ROOT / '.venv' / 'bin'}:{BIN}:{os.environ['PATH']}")
        for key in ("HF_TOKEN", "HF_ENDPOINT", "HF_HUB_OFFLINE"):
            full_env.pop(key, None)
        full_env.update(env or {})
        verbose = ["-" + "v" * self.verbosity] if self.verbosity > 0 else []
        proc = subprocess.run([str(ROOT / ".venv" / "bin" / "ansible-playbook"), *verbose, "-i", inventory, playbook, *args],
                              cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=timeout, check=False)
        output = proc.stdout + proc.stderr
        self.outputs.append(output)
        recaps = RECAP.findall(output)
        changed = sum(int(r[1]) for r in recaps)
        return proc.returncode, output, changed


@pytest.fixture(scope="session")
def playbooks(kubeconfig) -> Playbooks:
    return Playbooks(kubeconfig)


@pytest.fixture(scope="session", autouse=True)
def serving_stack(kubeconfig, playbooks):
    """cert-manager + KServe (Standard mode) installed by playbooks/install.yml from charts in the local registry."""
    for script in ("test_charts_stack.py", "test_charts.py"):
        proc = subprocess.run([sys.executable, str(ROOT / "hack" / script)], capture_output=True, text=True,
                              timeout=900, check=False, cwd=ROOT)
        if proc.returncode != 0:
            pytest.fail(f"hack/{script} failed:\n{proc.stderr[-3000:]}")
    rc, out, _changed = playbooks.run("playbooks/install.yml")
    if rc != 0:
        pytest.fail(f"playbooks/install.yml failed:\n{out[-5000:]}")
    yield
    rc, out, _changed = playbooks.run("playbooks/uninstall.yml", "-e", "uninstall_force=true")
    if rc != 0:
        pytest.fail(f"playbooks/uninstall.yml failed:\n{out[-5000:]}")
