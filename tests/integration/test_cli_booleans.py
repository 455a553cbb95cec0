# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Booleans from the command line, and the preflight reporting a missing Hugging Face token.

`ansible-playbook -e name=value` always gives a string, and ansible-core 2.19 refuses a string in a conditional
("Conditionals must have a boolean result"). Every boolean the playbooks accept (their specs in playbooks/specs/ and
the role variables of roles/*/meta/argument_specs.yml that decide a `when:`) must work as `true/false/yes/no` given
that way. Each test runs the real playbook with `ansible-playbook -e flag=<word>` against the local cluster (the
kube-apiserver of hack/cluster.py with KServe's CRDs; no KServe controller runs here), on the cheapest path that
reaches the flag, and checks the behaviour the flag asks for, not only the absence of the error. The words vary
from test to test (true, false, yes, no) so that each is used, with one playbook run per case.

The Hub is never contacted (HF_HUB_OFFLINE=1, no HF_ENDPOINT), so these runs need no network.
"""
from __future__ import annotations

import json
import re
import subprocess
import uuid

import pytest
import yaml

import harness

ROOT = harness.ROOT
BROKEN = "Conditionals must have a boolean result"
OFF = ["false", "no"]
PREFLIGHT_CHECKS = ["preflight_check_stack", "preflight_check_runtimes", "preflight_check_hf", "preflight_check_capacity",
                    "preflight_check_values"]
PUBLIC_MODEL = {"name": "tiny", "model_id": "Qwen/Qwen2.5-0.5B-Instruct", "platform": "xeon", "profile": "cpu-tiny",
                "deployment_mode": "Standard", "replicas": 1}
GATED_MODEL = {"name": "llama-gaudi", "model_id": "meta-llama/Llama-3.1-8B-Instruct", "platform": "gaudi",
               "deployment_mode": "Standard", "replicas": 1, "tensor_parallel_size": 1}


@pytest.fixture(scope="module")
def env(kubeconfig, helm_bin) -> dict[str, str]:
    return harness.ansible_env(kubeconfig, helm_bin, HF_HUB_OFFLINE="1", drop=(
        "HF_TOKEN", "HF_ENDPOINT", "ALLOW_BROKEN_CONDITIONALS", "ANSIBLE_ALLOW_BROKEN_CONDITIONALS"))


@pytest.fixture()
def namespace(kubectl_bin, kubeconfig):
    """A namespace name no run may create (checked after each test)."""
    name = f"llmops-bool-{uuid.uuid4().hex[:8]}"
    yield name
    found = subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig, "get", "namespace", name, "-o", "name"],
                           capture_output=True, text=True, timeout=60, check=False)
    assert found.stdout.strip() == "", f"namespace {name} was created"


def run(env, playbook: str, *extra: str, models=None, namespace: str | None = None) -> tuple[int, str, int]:
    """ansible-playbook PLAYBOOK [-e @vars] -e k=v ... -> (rc, output, changed in the PLAY RECAP)."""
    args = []
    if models is not None or namespace:
        args += ["-e", json.dumps({"llmops_models": models or [], "llmops_models_namespace": namespace or "llmops-models"})]
    for item in extra:
        args += ["-e", item]
    run_ = harness.run_playbook(playbook, *args, env=env, timeout=600)
    return run_.rc, run_.output, run_.changed_total


def assert_no_broken_conditional(output: str):
    assert BROKEN not in output, output[-4000:]


# --------------------------------------------------------------------------- preflight.yml (roles/preflight)


@pytest.mark.parametrize("word", OFF)
def test_preflight_checks_off_as_strings(env, namespace, word):
    """-e preflight_check_*=false|no: every check is skipped, the (public) model passes, nothing changes."""
    rc, out, changed = run(env, "playbooks/preflight.yml", *[f"{flag}={word}" for flag in PREFLIGHT_CHECKS],
                           models=[PUBLIC_MODEL], namespace=namespace)
    assert_no_broken_conditional(out)
    assert rc == 0, out[-4000:]
    assert "Preflight passed for 1 model(s): tiny" in out, out[-4000:]
    for task in ("Record stack problems", "Render every model's chart", "Check the Hugging Face token"):
        assert task not in out, f"{task!r} ran although its check was switched off:\n{out[-4000:]}"
    # nothing left to read: the one cluster read is skipped
    assert re.search(r"TASK \[llmops\.kserve\.preflight : Read the cluster state the checks use \(one call\)\] \**\n"
                     r"skipping: \[localhost\]", out), out[-4000:]
    assert changed == 0


@pytest.mark.parametrize(("on", "off"), [("yes", "false")])
def test_preflight_stack_check_on_controller_off_as_strings(env, namespace, on, off):
    """-e preflight_check_stack=true|yes runs the stack check; preflight_require_controller=false|no skips the controller."""
    rc, out, changed = run(env, "playbooks/preflight.yml", f"preflight_check_stack={on}", f"preflight_require_controller={off}",
                           *[f"{flag}={off}" for flag in PREFLIGHT_CHECKS if flag != "preflight_check_stack"],
                           models=[PUBLIC_MODEL], namespace=namespace)
    assert_no_broken_conditional(out)
    assert rc == 0, out[-4000:]
    assert "TASK [llmops.kserve.preflight : Record stack problems]" in out, out[-4000:]  # the stack check ran
    assert "KServe controller Deployment" not in out, out[-4000:]  # and did not ask for the controller
    assert "Preflight passed for 1 model(s): tiny" in out and changed == 0


@pytest.mark.parametrize("word", ["false"])
def test_preflight_fail_off_as_string(env, namespace, word):
    """-e preflight_fail=false|no: the problems are only reported (preflight_problems), the play does not fail."""
    rc, out, changed = run(env, "playbooks/preflight.yml", f"preflight_fail={word}",
                           *[f"{flag}=no" for flag in PREFLIGHT_CHECKS], models=[GATED_MODEL], namespace=namespace)
    assert_no_broken_conditional(out)
    assert rc == 0, out[-4000:]
    assert "Preflight passed for" not in out, "a model that needs a token passed without one"
    assert changed == 0


# --------------------------------------------------------------------------- deploy_models.yml


@pytest.mark.parametrize("word", ["no"])
def test_deploy_without_preflight_as_string(env, namespace, word):
    """-e llmops_preflight=false|no skips the gate; the deploy role's own validation still refuses before any change."""
    rc, out, changed = run(env, "playbooks/deploy_models.yml", f"llmops_preflight={word}", models=[GATED_MODEL],
                           namespace=namespace)
    assert_no_broken_conditional(out)
    assert rc != 0, out[-4000:]
    assert "TASK [llmops.kserve.preflight :" not in out, out[-4000:]
    assert "HF token missing: models llama-gaudi need a Hugging Face token" in out, out[-4000:]
    assert changed == 0


def test_missing_token_is_a_preflight_problem(env, namespace):
    """No HF_TOKEN (Hub offline, other checks off with real booleans): the preflight refuses, the deploy never starts.

    Before, the preflight printed "Preflight passed" (offline it could not ask the Hub) and model_deploy's own
    validation refused the same list afterwards.
    """
    flags = {flag: False for flag in ("preflight_check_stack", "preflight_check_runtimes", "preflight_check_capacity")}
    rc, out, changed = run(env, "playbooks/deploy_models.yml", json.dumps(flags), models=[PUBLIC_MODEL, GATED_MODEL],
                           namespace=namespace)
    assert rc != 0, out[-4000:]
    assert "Preflight passed for" not in out, out[-4000:]
    assert "Preflight found 1 problem(s); nothing was changed" in out, out[-4000:]
    assert "HF token missing: models llama-gaudi need a Hugging Face token; set HF_TOKEN" in out, out[-4000:]
    assert "The model list has" not in out, "the deploy role ran although the preflight should have stopped the play"
    assert changed == 0


def test_missing_token_reported_with_every_other_problem(env, namespace):
    """All checks on: the missing token is one line of the same report as the other problems (here a rejected value)."""
    bad = dict(PUBLIC_MODEL, name="tiny-bad", values={"predictor": {"scaleToZero": True}})  # Knative-only in Standard
    rc, out, changed = run(env, "playbooks/deploy_models.yml", models=[GATED_MODEL, bad], namespace=namespace)
    assert rc != 0, out[-4000:]
    assert "Preflight passed for" not in out, out[-4000:]
    report = out[out.index("Preflight found"):]
    assert "HF token missing: models llama-gaudi need a Hugging Face token" in report, out[-4000:]
    assert "values of model tiny-bad rejected by the kserve-model chart" in report, out[-4000:]
    assert "The model list has" not in out
    assert changed == 0


# --------------------------------------------------------------------------- uninstall_models.yml (roles/model_deploy)


@pytest.mark.parametrize("word", ["no"])
def test_model_deploy_summary_off_as_string(env, namespace, word):
    """-e model_deploy_summary=false|no: no summary table (removing a model that is not there changes nothing)."""
    rc, out, changed = run(env, "playbooks/uninstall_models.yml", "llmops_model_name=not-there",
                           f"model_deploy_summary={word}", namespace=namespace)
    assert_no_broken_conditional(out)
    assert rc == 0, out[-4000:]
    assert "Read the InferenceServices of our releases" not in out, out[-4000:]  # summary.yml was not included
    assert changed == 0


# --------------------------------------------------------------------------- install.yml / uninstall.yml


@pytest.mark.parametrize("word", ["no"])
def test_install_switches_off_as_strings(env, word):
    """-e install_cert_manager/install_knative/install_kserve/install_keda=false|no: nothing to install, nothing changes."""
    rc, out, changed = run(env, "playbooks/install.yml", f"install_cert_manager={word}", f"install_knative={word}",
                           f"install_kserve={word}", f"install_keda={word}")
    assert_no_broken_conditional(out)
    assert rc == 0, out[-4000:]
    for task in ("Preflight of cert-manager", "Preflight of Knative Serving", "Preflight of KServe", "Preflight of KEDA",
                 "Install cert-manager", "Install Knative Serving", "Install KServe",
                 "Install KEDA (autoscaling class keda; off unless install_keda=true)"):
        assert re.search(rf"TASK \[{re.escape(task)}\] \**\nskipping: \[localhost\]", out), \
            f"{task!r} was not skipped:\n{out[-4000:]}"
    assert changed == 0


@pytest.mark.parametrize(("on", "off"), [("true", "no")])
def test_kserve_booleans_as_strings_pass_validation(env, on, off):
    """The kserve role's own validation takes yes/no strings; a bad namespace is then the only problem reported."""
    rc, out, changed = run(env, "playbooks/install.yml", f"install_cert_manager={off}", f"install_knative={off}",
                           f"install_kserve={on}", "kserve_namespace=Bad_NS", f"kserve_plain_http={on}",
                           f"kserve_force={off}", f"kserve_remove_crds={off}", f"kserve_allow_version_skew={off}",
                           f"kserve_require_cert_manager={off}")
    assert_no_broken_conditional(out)
    assert rc != 0, out[-4000:]
    assert "kserve_namespace: 'Bad_NS' is not a valid namespace name" in out, out[-4000:]
    assert "must be true or false" not in out, out[-4000:]
    assert "nothing was changed" in out and changed == 0


@pytest.mark.parametrize("word", ["false"])
def test_uninstall_switches_off_as_strings(env, word):
    """-e uninstall_*=false|no: nothing is removed."""
    rc, out, changed = run(env, "playbooks/uninstall.yml", f"uninstall_kserve={word}", f"uninstall_knative={word}",
                           f"uninstall_cert_manager={word}", f"uninstall_force={word}", f"uninstall_remove_crds={word}",
                           f"uninstall_keda={word}")
    assert_no_broken_conditional(out)
    assert rc == 0, out[-4000:]
    for task in ("Uninstall KServe", "Uninstall Knative Serving", "Uninstall cert-manager",
                 "Uninstall KEDA (only a release this collection installed)"):
        assert re.search(rf"TASK \[{re.escape(task)}\] \**\nskipping: \[localhost\]", out), \
            f"{task!r} was not skipped:\n{out[-4000:]}"
    assert changed == 0


def test_every_playbook_boolean_is_covered():
    """Each bool option of playbooks/specs/*.yml and each role bool read by a condition is exercised above."""
    covered = set(PREFLIGHT_CHECKS) | {
        "preflight_require_controller", "preflight_fail", "llmops_preflight", "model_deploy_summary",
        "install_cert_manager", "install_knative", "install_kserve", "kserve_plain_http", "kserve_force",
        "kserve_remove_crds", "kserve_allow_version_skew", "kserve_require_cert_manager", "uninstall_kserve",
        "uninstall_knative", "uninstall_cert_manager", "uninstall_force", "uninstall_remove_crds",
        "install_keda", "uninstall_keda",
        # install_knative_force: read only through `| bool` in playbooks/install.yml with install_knative (tested off)
        "install_knative_force",
    }
    spec_bools = set()
    for spec in (ROOT / "playbooks" / "specs").glob("*.yml"):
        options = yaml.safe_load(spec.read_text())["argument_specs"]["main"]["options"]
        spec_bools |= {name for name, option in options.items() if option.get("type") == "bool"}
    assert spec_bools - covered == set(), f"playbook booleans without a CLI test: {sorted(spec_bools - covered)}"
