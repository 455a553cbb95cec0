# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SIMULATION for the tests (not part of the collection): play the Knative Operator's part on the kwok test cluster.

No container runs on the test cluster, so nothing reconciles a KnativeServing. ``KnativeServingSimulation`` runs a
dedicated kwok controller (the cluster's own ``kwok`` binary) whose only configuration is the Stage in
``knativeserving-ready-stage.yaml`` (labelled ``llmops.kserve/simulation: "true"``): it reports every KnativeServing
Ready, as a healthy operator does. It manages no node (a node label selector nothing matches), so the cluster's own
kwok controller keeps doing that.

Why not a Stage object applied to the cluster: kwokctl's Stage CRD (``options.enableCRDs: [Stage]``) turns off the
built-in node and pod stages of the whole cluster (kwokctl then writes no default stages, see
sigs.k8s.io/kwok@v0.8.0 pkg/kwokctl/runtime/cluster.go), and a kwok controller can only watch a custom resource
whose CRD exists when its stage controller starts; a Stage in the cluster's kwok configuration would stop the
cluster's kwok controller from starting at all (the KnativeServing CRD does not exist then). The knative-operator
chart creates that CRD during the role run, so a watcher thread starts the simulator once the CRD is Established and
served (OpenAPI published) and stops it when the CRD is deleted (uninstall).
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAGE_FILE = HERE / "knativeserving-ready-stage.yaml"
CRD_NAME = "knativeservings.operator.knative.dev"
GROUP_VERSION_PATH = "apis/operator.knative.dev/v1beta1"
# A label no node carries: the simulator's kwok controller must manage no node.
NO_NODE_SELECTOR = "llmops.kserve/simulation-manages-no-node=true"


class KnativeServingSimulation:
    """Context manager: while active, a KnativeServing reaches Ready within a few seconds of being created."""

    def __init__(self, kubeconfig: str, kwok_bin: str, kubectl_bin: str, poll: float = 1.0):
        self.kubeconfig = kubeconfig
        self.kwok_bin = kwok_bin
        self.kubectl_bin = kubectl_bin
        self.poll = poll
        self.starts = 0
        self._proc: subprocess.Popen | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="knativeserving-simulation", daemon=True)
        self._log = tempfile.NamedTemporaryFile(prefix="llmops-kwok-simulation-", suffix=".log", delete=False)  # noqa: SIM115

    # -- helpers ------------------------------------------------------------------------------------------------
    def _kubectl(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([self.kubectl_bin, "--kubeconfig", self.kubeconfig, *args], capture_output=True, text=True,
                              timeout=60, check=False)

    def _crd_established(self) -> bool | None:
        """True/False, or None when the API server did not answer (an overloaded one: keep the simulator as it is)."""
        crd = self._kubectl("get", "crd", CRD_NAME, "--ignore-not-found", "-o", "jsonpath={.status.conditions}")
        if crd.returncode != 0:
            return None
        conditions = json.loads(crd.stdout or "[]")
        return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)

    def _crd_served(self) -> bool:
        paths = self._kubectl("get", "--raw", "/openapi/v3")
        return paths.returncode == 0 and GROUP_VERSION_PATH in json.loads(paths.stdout).get("paths", {})

    def _start(self) -> None:
        self._proc = subprocess.Popen(  # noqa: S603 (argument list, binaries of the local cluster)
            [self.kwok_bin, "--kubeconfig", self.kubeconfig, "--config", str(STAGE_FILE),
             f"--manage-nodes-with-label-selector={NO_NODE_SELECTOR}"],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.starts += 1

    def _halt(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
            self._proc = None

    def _run(self) -> None:
        # One kubectl call per poll while the simulator runs (is the CRD still there?); the OpenAPI check only before
        # a start.
        while not self._stop.is_set():
            try:
                established = self._crd_established()
                running = self._proc is not None and self._proc.poll() is None
                if established and not running and self._crd_served():
                    self._halt()
                    self._start()
                elif established is False and self._proc is not None:
                    self._halt()
            except (subprocess.TimeoutExpired, json.JSONDecodeError):
                pass
            self._stop.wait(self.poll)

    # -- context manager ------------------------------------------------------------------------------------------
    def __enter__(self) -> "KnativeServingSimulation":
        if not Path(self.kwok_bin).is_file():
            raise FileNotFoundError(f"kwok binary not found at {self.kwok_bin} (run `make tools`)")
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self._halt()
        self._log.close()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(Path(self._log.name).read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    @property
    def log_path(self) -> str:
        return self._log.name


def default_bins() -> tuple[str, str]:
    cache = Path(os.environ.get("LLMOPS_CACHE", Path.home() / ".cache" / "llmops-kserve"))
    return str(cache / "bin" / "kwok"), str(cache / "bin" / "kubectl")
