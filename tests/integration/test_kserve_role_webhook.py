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
import subprocess
import uuid

import pytest

import harness


@pytest.fixture(scope="module")
def env(kubeconfig, helm_bin, registry_url) -> dict[str, str]:
    harness.test_charts("test_charts.py", "--registry", registry_url.rstrip("/") + "/kserve/charts", "--versions", "v0.20.0")
    return harness.ansible_env(kubeconfig, helm_bin)


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
        proc = harness.run_playbook("playbooks/install.yml", "-e", json.dumps(variables), env=env, timeout=900)
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
        removal = harness.run_playbook("playbooks/uninstall.yml", "-e", json.dumps(
            {"uninstall_cert_manager": False, "uninstall_knative": False, "kserve_namespace": namespace}),
            env=env, timeout=900)
    assert removal.returncode == 0, (removal.stdout + removal.stderr)[-4000:]
    assert webhook_configs(kubectl_bin, kubeconfig, namespace) == []
    gone = subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig, "get", "namespace", namespace], capture_output=True,
                          text=True, timeout=60, check=False)
    assert gone.returncode != 0, "the namespace the role created must be deleted"
