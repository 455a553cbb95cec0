# Copyright: (c) 2026, llmops.kserve contributors
# Apache License 2.0 (see LICENSE)
"""roles/kserve does not return before KServe's admission webhook answers, and uninstall leaves no webhook behind.

The test controller chart can render webhook configurations (fixture.webhooks.enabled, scoped to its own namespace)
that point at kserve-webhook-server-service; on the kwok cluster nothing listens behind it, exactly the "webhook not
ready" failure users meet right after an install. The role must fail after kserve_wait_timeout with a message that
names the webhook configurations and their CA bundle state; playbooks/uninstall.yml must then remove them.
"""
from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = str(Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "ansible-playbook")


@pytest.fixture(scope="module")
def env(kubeconfig, helm_bin, registry_url) -> dict[str, str]:
    if not Path(helm_bin).is_file():
        pytest.skip(f"helm is not built ({helm_bin}); run `make tools`")
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "hack" / "test_charts.py"), "--registry",
                           registry_url.rstrip("/") + "/kserve/charts", "--versions", "v0.20.0"],
                          capture_output=True, text=True, timeout=1200, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    link = ROOT / "build" / "collections" / "ansible_collections" / "llmops" / "kserve"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(Path("..") / ".." / ".." / "..")
    environ = dict(os.environ)
    environ.update(K8S_AUTH_KUBECONFIG=str(kubeconfig), KUBECONFIG=str(kubeconfig), ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
                   ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                   PATH=os.pathsep.join([str(Path(helm_bin).parent), environ.get("PATH", "")]))
    return environ


def webhook_configs(kubectl_bin, kubeconfig, namespace) -> list[str]:
    names = []
    for kind in ("validatingwebhookconfigurations", "mutatingwebhookconfigurations"):
        proc = subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig, "get", kind, "-o", "json"], capture_output=True,
                              text=True, timeout=60, check=True)
        for item in json.loads(proc.stdout)["items"]:
            for hook in item.get("webhooks") or []:
                service = (hook.get("clientConfig") or {}).get("service") or {}
                if service.get("namespace") == namespace and service.get("name") == "kserve-webhook-server-service":
                    names.append(f"{item['kind']}/{item['metadata']['name']}")
    return sorted(set(names))


def test_webhook_that_never_answers(env, registry_url, kubeconfig, kubectl_bin):
    namespace = f"kserve-hook-{uuid.uuid4().hex[:6]}"
    variables = {
        "install_cert_manager": False,
        "install_knative": False,
        "kserve_deployment_mode": "Standard",
        "kserve_namespace": namespace,
        "kserve_chart_repo": registry_url.rstrip("/") + "/kserve/charts",
        "kserve_plain_http": True,
        "kserve_wait_timeout": 30,
        "kserve_require_cert_manager": False,
        "kserve_chart_values": {"kserve": {"createSharedResources": False, "inferenceServiceConfig": {"enabled": True}},
                                "fixture": {"webhooks": {"enabled": True}}},
    }
    try:
        proc = subprocess.run([ANSIBLE_PLAYBOOK, "playbooks/install.yml", "-e", json.dumps(variables)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=900, check=False)
        output = proc.stdout + proc.stderr
        assert proc.returncode != 0, output[-4000:]
        assert "admission webhook did not answer within 30 s" in output, output[-4000:]
        assert f"inferenceservice.serving.kserve.io-{namespace}" in output, output[-4000:]
        assert "caBundle NOT injected yet" in output, output[-4000:]
        assert webhook_configs(kubectl_bin, kubeconfig, namespace) == [
            f"MutatingWebhookConfiguration/inferenceservice.serving.kserve.io-{namespace}",
            f"ValidatingWebhookConfiguration/inferenceservice.serving.kserve.io-{namespace}",
        ]
    finally:
        removal = subprocess.run([ANSIBLE_PLAYBOOK, "playbooks/uninstall.yml", "-e", json.dumps(
            {"uninstall_cert_manager": False, "uninstall_knative": False, "kserve_namespace": namespace})],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert removal.returncode == 0, (removal.stdout + removal.stderr)[-4000:]
    assert webhook_configs(kubectl_bin, kubeconfig, namespace) == []
    gone = subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig, "get", "namespace", namespace], capture_output=True,
                          text=True, timeout=60, check=False)
    assert gone.returncode != 0, "the namespace the role created must be deleted"
