# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Integration test of roles/keda against the local cluster.

The chart comes from the local OCI registry: hack/test_charts_stack.py builds the stand-in tests/charts/keda with
KEDA's CRDs generated from KEDA's Go module (hack/gen_keda_crds.py) and pushes it as <registry>/kedacore/charts/keda;
the role installs it through the same code path as from oci://ghcr.io/kedacore/charts/keda (kubernetes.core.helm).
kwok marks the stand-in's pods Ready; KEDA's operator never runs here.

In order: bad input fails before any change naming the variable, --check on a clean cluster creates nothing, converge
(release with our marker, CRDs Established, namespace labelled as ours), idempotence (0 changed), --check after
converge predicts no change, a second install into another namespace sees KEDA's CRDs of the first release and leaves
them alone, uninstall removes the release, its CRDs and our namespace, and a second uninstall changes nothing. Only the
namespaces keda / keda-other and KEDA's CRDs are touched.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

import harness

ROOT = harness.ROOT
PLAYBOOK = ROOT / "tests" / "integration" / "playbooks" / "stack_keda.yml"
CRDS = ["scaledobjects.keda.sh", "scaledjobs.keda.sh", "triggerauthentications.keda.sh",
        "clustertriggerauthentications.keda.sh"]


@pytest.fixture(scope="module")
def env(kubeconfig, helm_bin, kubectl_bin) -> dict[str, str]:  # noqa: ARG001 (fails when kubectl is missing)
    return harness.ansible_env(kubeconfig, helm_bin)


@pytest.fixture(scope="module")
def kube(kubeconfig, kubectl_bin):
    """kube('get', 'ns', 'x') -> parsed JSON, or None when it does not exist."""
    def _get(*args: str):
        proc = harness.kubectl(kubectl_bin, kubeconfig, "get", *args, "-o", "json", timeout=60)
        if proc.returncode != 0:
            assert "NotFound" in proc.stderr or "not found" in proc.stderr, proc.stderr
            return None
        return json.loads(proc.stdout)
    return _get


@pytest.fixture(scope="module")
def keda_vars(registry_url, helm_bin) -> dict:
    proc = subprocess.run([sys.executable, str(ROOT / "hack" / "test_charts_stack.py"), "--registry", registry_url],
                          capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, f"hack/test_charts_stack.py failed:\n{proc.stderr[-3000:]}"
    refs = [line.rpartition(":")[0] for line in proc.stdout.split() if "/kedacore/charts/keda:" in line]
    assert len(refs) == 1, proc.stdout
    return {"keda_chart_oci_url": refs[0], "keda_chart_plain_http": True, "keda_helm_binary": helm_bin,
            # the role's default: CI runs this beside six other clusters on 2 cores, where 120 s was not always enough
            "keda_wait_timeout": 300}


@pytest.fixture(scope="module")
def play(env, keda_vars, kube):
    def _play(extra: dict, *args: str) -> harness.PlaybookRun:
        return harness.run_playbook(str(PLAYBOOK), "-e", json.dumps(dict(keda_vars, **extra)), *args, env=env,
                                    timeout=900).with_recap()
    assert kube("crd", "scaledobjects.keda.sh") is None, "KEDA's CRD is already installed: this test needs a cluster without KEDA"
    yield _play
    _play({"keda_state": "absent"})


def changed(run: harness.PlaybookRun) -> int:
    return sum(recap[1] for recap in run.recaps)


def test_bad_input_fails_before_any_change(play, kube):
    run = play({"keda_version": "v9.9.9", "keda_namespace": "Bad_NS"})
    assert run.rc != 0
    assert "KEDA preflight: 2 problem(s), nothing was changed" in run.text, run.output[-3000:]
    assert "keda_version: 'v9.9.9' is not in keda_compat_matrix; known: v2.18.3" in run.text
    assert "keda_namespace: 'Bad_NS' is not a DNS label" in run.text
    # a value outside the role's choices is refused by its argument spec, naming the allowed values
    run = play({"keda_chart_source": "git"})
    assert run.rc != 0 and "value of keda_chart_source must be one of: oci, local, got: git" in run.text
    assert kube("namespace", "keda") is None and changed(run) == 0


def test_check_mode_on_a_clean_cluster_creates_nothing(play, kube):
    run = play({}, "--check")
    assert run.rc == 0, run.output[-3000:]
    assert kube("namespace", "keda") is None and kube("crd", "scaledobjects.keda.sh") is None


def test_install_is_idempotent_and_check_mode_predicts_no_change(play, kube):
    first = play({})
    assert first.rc == 0, first.output[-3000:]
    assert changed(first) > 0
    namespace = kube("namespace", "keda")
    assert namespace["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "llmops-kserve"
    for name in CRDS:
        crd = kube("crd", name)
        assert crd["metadata"]["labels"]["app.kubernetes.io/part-of"] == "llmops-kserve", name
        assert {c["type"]: c["status"] for c in crd["status"]["conditions"]}["Established"] == "True"
    assert kube("deployment", "keda-operator", "-n", "keda") is not None
    again = play({})
    assert again.rc == 0 and changed(again) == 0, again.output[-3000:]
    checked = play({}, "--check")
    assert checked.rc == 0 and changed(checked) == 0, checked.output[-3000:]


def test_keda_of_someone_else_is_left_alone(play, kube):
    """Seen from another namespace, the installed KEDA is someone else's: reported, nothing installed."""
    run = play({"keda_namespace": "keda-other"})
    assert run.rc == 0, run.output[-3000:]
    assert "KEDA is installed by something else (CRD scaledobjects.keda.sh, from keda/keda): left alone" in run.text
    assert kube("namespace", "keda-other") is None and changed(run) == 0
    gone = play({"keda_state": "absent", "keda_namespace": "keda-other"})
    assert gone.rc == 0 and changed(gone) == 0
    assert kube("crd", "scaledobjects.keda.sh") is not None


def test_uninstall_removes_only_what_we_installed(play, kube):
    run = play({"keda_state": "absent"})
    assert run.rc == 0, run.output[-3000:]
    assert "Removed the KEDA release keda/keda (and its CRDs)." in run.text
    assert kube("namespace", "keda") is None or kube("namespace", "keda")["status"]["phase"] == "Terminating"
    assert all(kube("crd", name) is None for name in CRDS)
    again = play({"keda_state": "absent"})
    assert again.rc == 0 and changed(again) == 0
