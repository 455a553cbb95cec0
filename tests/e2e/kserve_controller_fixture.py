# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pytest plugin: session fixture ``kserve_controller`` — KServe's real controller manager (built from the pinned
KServe module by hack/bootstrap.sh) running as a host process against the local cluster, its admission webhooks
registered with the API server (hack/kserve_controller.py).

Register it in tests/integration/conftest.py with ``pytest_plugins = ["kserve_controller_fixture"]`` (the
directory is on sys.path under pytest's default import mode), or import the fixture into a test module.

- If a manager is already running and healthy (``make test`` may start one for the whole run), it is reused and
  left running.
- Otherwise the fixture starts one and stops it at the end of the session (``stop`` removes the webhook
  configurations it created, the process and the finalizers its manager added, and fails when a port stays bound).
- Configuration: the ``inferenceservice-config`` ConfigMap in ``$LLMOPS_KSERVE_NAMESPACE`` (default ``kserve``) —
  the one the kserve role writes. When the namespace has none, tests/fixtures/inferenceservice-config.yaml
  (KServe's chart defaults, Standard mode) is applied.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import harness

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "hack" / "kserve_controller.py"
FIXTURE_CONFIG = ROOT / "tests" / "fixtures" / "inferenceservice-config.yaml"
STATE_DIR = Path(os.environ.get("LLMOPS_KSERVE_STATE_DIR", harness.CACHE / "kserve-controller"))


@dataclass
class KServeController:
    namespace: str
    webhook_url: str
    log_file: Path
    started_here: bool

    @property
    def pid(self) -> int:
        return int((STATE_DIR / "manager.pid").read_text(encoding="utf-8").strip())

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _script(*args: str, kubeconfig: str, timeout: int = 240) -> subprocess.CompletedProcess:
    env = dict(os.environ, LLMOPS_KUBECONFIG=kubeconfig)
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout,
                          env=env, check=False)


@pytest.fixture(scope="session")
def kserve_controller(kubeconfig, kubectl_bin):
    """KServe's controller manager and webhooks, live against the local cluster for the session."""
    if _script("status", kubeconfig=kubeconfig).returncode == 0:
        state = json.loads((STATE_DIR / "state.json").read_text(encoding="utf-8"))
        yield KServeController(state["namespace"], state["webhook_url"], STATE_DIR / "manager.log", False)
        return
    namespace = os.environ.get("LLMOPS_KSERVE_NAMESPACE", "kserve")
    has_config = subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig, "get", "configmap", "inferenceservice-config",
                                 "-n", namespace, "-o", "name"], capture_output=True, text=True, timeout=60,
                                check=False).returncode == 0
    args = ["start", "--namespace", namespace]
    if not has_config:
        args += ["--config", str(FIXTURE_CONFIG)]
    started = _script(*args, kubeconfig=kubeconfig)
    if started.returncode != 0:
        pytest.fail(f"KServe controller did not start:\n{started.stderr[-4000:]}")
    state = json.loads((STATE_DIR / "state.json").read_text(encoding="utf-8"))
    yield KServeController(namespace, state["webhook_url"], STATE_DIR / "manager.log", True)
    stopped = _script("stop", kubeconfig=kubeconfig)
    if stopped.returncode != 0:
        pytest.fail(f"KServe controller did not stop cleanly:\n{stopped.stderr[-4000:]}")
