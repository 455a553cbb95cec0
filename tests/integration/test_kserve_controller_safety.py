# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hack/kserve_controller.py (KServe's real controller manager as a host process) touches only what it made.

- An API server that is not the local cluster of hack/cluster.py is refused before any request: a kubeconfig whose
  server is a recording HTTP listener on 127.0.0.1 (standing in for "some other cluster") gets no request from
  ``start`` or ``stop``; the local cluster's address with another certificate authority is refused too.
- A webhook configuration of one of KServe's names that the harness did not create (no harness marker) is never
  replaced: ``start`` fails naming it before the manager starts, and the configuration is left as it was.
- ``stop`` removes KServe's finalizer only from InferenceServices where the harness's manager added it (the API
  server's managedFields name the field manager that set it): one the manager finalized loses it, one whose
  finalizer someone else set keeps it.

The harness runs for real against the local cluster (its own state directory and ports, so that a harness of the
e2e session is not disturbed); the tests fail when one of KServe's webhook configurations is already there.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

import harness

SCRIPT = harness.ROOT / "hack" / "kserve_controller.py"
FIXTURE_CONFIG = harness.ROOT / "tests" / "fixtures" / "inferenceservice-config.yaml"
FINALIZER = "inferenceservice.finalizers"
MARKER = "llmops.kserve/webhook-harness"
WEBHOOK_CONFIGS = [("mutatingwebhookconfigurations", "inferenceservice.serving.kserve.io")] + [
    ("validatingwebhookconfigurations", f"{kind}.serving.kserve.io")
    for kind in ("clusterservingruntime", "inferencegraph", "inferenceservice", "servingruntime", "trainedmodel")]


def _port(variable: str, default: int) -> str:
    """The harness's port of this cluster slot + 5: free of the harness an e2e session may run."""
    return str(int(os.environ.get(variable, default)) + 5)


@pytest.fixture(scope="module")
def harness_env(kubeconfig, kubectl_bin, tmp_path_factory) -> dict[str, str]:
    harness.tool("kserve-manager")
    present = [f"{kind}/{name}" for kind, name in WEBHOOK_CONFIGS
               if harness.kubectl(kubectl_bin, kubeconfig, "get", kind, name, "-o", "name").returncode == 0]
    if present:
        pytest.fail(f"KServe's webhook configurations are on this cluster ({', '.join(present)}): a KServe install or "
                    "a controller harness runs here; these tests need the cluster without them")
    return dict(os.environ, LLMOPS_KUBECONFIG=kubeconfig,
                LLMOPS_KSERVE_STATE_DIR=str(tmp_path_factory.mktemp("kserve-controller")),
                LLMOPS_KSERVE_WEBHOOK_PORT=_port("LLMOPS_KSERVE_WEBHOOK_PORT", 29443),
                LLMOPS_KSERVE_METRICS_PORT=_port("LLMOPS_KSERVE_METRICS_PORT", 29080),
                LLMOPS_KSERVE_HEALTH_PORT=_port("LLMOPS_KSERVE_HEALTH_PORT", 29081))


def run_harness(env: dict, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


# ------------------------------------------------------------------------------------ another API server


class _Recorder(BaseHTTPRequestHandler):
    def _record(self):
        self.server.requests.append(f"{self.command} {self.path}")
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _record

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture()
def elsewhere(tmp_path):
    """A kubeconfig whose API server is a listener that records every request (another cluster, as far as the
    harness can tell), and the list of requests it got."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    path = tmp_path / "elsewhere.kubeconfig"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "elsewhere",
        "clusters": [{"name": "elsewhere", "cluster": {"server": f"http://127.0.0.1:{server.server_address[1]}"}}],
        "contexts": [{"name": "elsewhere", "context": {"cluster": "elsewhere", "user": "someone"}}],
        "users": [{"name": "someone", "user": {"token": "not-a-real-token"}}]}))
    yield path, server.requests
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("command", [["start", "--namespace", "kserve"], ["stop"]])
def test_another_api_server_is_refused_before_any_request(harness_env, elsewhere, command):
    kubeconfig, requests = elsewhere
    proc = run_harness(dict(harness_env, LLMOPS_KUBECONFIG=str(kubeconfig)), *command, timeout=120)
    assert proc.returncode != 0, proc.stderr
    assert "not the local cluster" in proc.stderr and "http://127.0.0.1:" in proc.stderr, proc.stderr
    assert requests == [], f"the harness sent requests to another API server: {requests}"


def test_local_address_with_another_ca_is_refused(harness_env, kubeconfig, kubectl_bin, tmp_path):
    view = json.loads(harness.kubectl(kubectl_bin, kubeconfig, "config", "view", "--minify", "--flatten", "--raw",
                                      "-o", "json").stdout)
    other_ca = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, 'hack'); import kserve_controller "
                               "as k; import base64; print(base64.b64encode(k.make_certs_cryptography()[0]).decode())"],
                              cwd=harness.ROOT, capture_output=True, text=True, timeout=60, check=True).stdout.strip()
    view["clusters"][0]["cluster"]["certificate-authority-data"] = other_ca
    path = tmp_path / "other-ca.kubeconfig"
    path.write_text(yaml.safe_dump(view))
    proc = run_harness(dict(harness_env, LLMOPS_KUBECONFIG=str(path)), "stop", timeout=120)
    assert proc.returncode != 0, proc.stderr
    assert "certificate authority" in proc.stderr and "not the local cluster" in proc.stderr, proc.stderr


# ------------------------------------------------------------------------------- someone else's webhook


def test_webhook_configuration_of_someone_else_is_never_replaced(harness_env, kubeconfig, kubectl_bin):
    namespace = f"llmops-harness-{secrets.token_hex(3)}"
    name = "trainedmodel.serving.kserve.io"
    theirs = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
              "metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "someone-else"}},
              "webhooks": [{"name": "trainedmodel.someone-else.example", "admissionReviewVersions": ["v1"],
                            "sideEffects": "None", "failurePolicy": "Ignore",
                            "clientConfig": {"service": {"namespace": "elsewhere", "name": "their-webhook"}},
                            "rules": [{"apiGroups": ["serving.kserve.io"], "apiVersions": ["v1alpha1"],
                                       "operations": ["CREATE"], "resources": ["trainedmodels"]}]}]}
    created = harness.kubectl(kubectl_bin, kubeconfig, "create", "-f", "-", input_text=json.dumps(theirs))
    assert created.returncode == 0, created.stderr
    try:
        before = json.loads(harness.kubectl(kubectl_bin, kubeconfig, "get", "validatingwebhookconfiguration", name,
                                            "-o", "json").stdout)
        proc = run_harness(harness_env, "start", "--namespace", namespace, "--config", str(FIXTURE_CONFIG))
        assert proc.returncode != 0, proc.stderr
        assert f"ValidatingWebhookConfiguration {name}" in proc.stderr and "not created by" in proc.stderr, proc.stderr
        after = json.loads(harness.kubectl(kubectl_bin, kubeconfig, "get", "validatingwebhookconfiguration", name,
                                           "-o", "json").stdout)
        assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
        assert after["webhooks"] == before["webhooks"] and MARKER not in (after["metadata"].get("annotations") or {})
        assert run_harness(harness_env, "status").returncode != 0, "a manager runs although start was refused"
        for kind, other in WEBHOOK_CONFIGS:
            if other != name:
                assert harness.kubectl(kubectl_bin, kubeconfig, "get", kind, other).returncode != 0, (kind, other)
        assert harness.kubectl(kubectl_bin, kubeconfig, "get", "namespace", namespace).returncode != 0, \
            "start was refused but made its namespace"
    finally:
        run_harness(harness_env, "stop")
        harness.kubectl(kubectl_bin, kubeconfig, "delete", "validatingwebhookconfiguration", name, "--ignore-not-found")
        harness.delete_namespace(kubectl_bin, kubeconfig, namespace)


# -------------------------------------------------------------------------------------------- finalizers


def _isvc(namespace: str, name: str, finalizers=None) -> str:
    meta = {"name": name, "namespace": namespace}
    if finalizers:
        meta["finalizers"] = finalizers
    return json.dumps({"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "metadata": meta,
                       "spec": {"predictor": {"model": {"modelFormat": {"name": "huggingface"},
                                                        "storageUri": "hf://llmops/harness-test"}}}})


def _finalizers(kubectl_bin, kubeconfig, namespace, name) -> list[str]:
    proc = harness.kubectl(kubectl_bin, kubeconfig, "get", "inferenceservice", name, "-n", namespace, "-o", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["metadata"].get("finalizers") or []


def test_stop_removes_only_the_finalizers_its_manager_added(harness_env, kubeconfig, kubectl_bin):
    config_ns = f"llmops-harness-{secrets.token_hex(3)}"
    namespace = f"llmops-harness-isvc-{secrets.token_hex(3)}"
    try:
        started = run_harness(harness_env, "start", "--namespace", config_ns, "--config", str(FIXTURE_CONFIG))
        assert started.returncode == 0, started.stderr[-4000:]
        assert harness.kubectl(kubectl_bin, kubeconfig, "create", "namespace", namespace).returncode == 0
        # someone else's finalizer (set by kubectl at creation), and one the manager adds when it reconciles
        for name, finalizers in (("theirs", [FINALIZER]), ("ours", None)):
            proc = harness.kubectl(kubectl_bin, kubeconfig, "create", "-f", "-", input_text=_isvc(namespace, name, finalizers))
            assert proc.returncode == 0, proc.stderr
        deadline = time.monotonic() + 60
        while FINALIZER not in _finalizers(kubectl_bin, kubeconfig, namespace, "ours"):
            assert time.monotonic() < deadline, "the manager did not finalize the InferenceService within 60 s"
            time.sleep(0.5)
        stopped = run_harness(harness_env, "stop")
        assert stopped.returncode == 0, stopped.stderr[-4000:]
        assert FINALIZER not in _finalizers(kubectl_bin, kubeconfig, namespace, "ours"), stopped.stderr
        assert _finalizers(kubectl_bin, kubeconfig, namespace, "theirs") == [FINALIZER], stopped.stderr
        removed = [line for line in stopped.stderr.splitlines() if f"removed {FINALIZER}" in line]
        assert removed and f"{namespace}/ours" in removed[0] and f"{namespace}/theirs" not in removed[0], stopped.stderr
    finally:
        run_harness(harness_env, "stop")
        harness.kubectl(kubectl_bin, kubeconfig, "patch", "inferenceservice", "theirs", "-n", namespace, "--type=merge",
                        "-p", '{"metadata": {"finalizers": null}}')
        for name in (namespace, config_ns):
            harness.delete_namespace(kubectl_bin, kubeconfig, name)
