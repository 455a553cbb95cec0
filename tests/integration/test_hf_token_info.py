# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""llmops.kserve.hf_token_info run by ansible against a local Hub look-alike (127.0.0.1).

The module runs for real (``ansible localhost -m ...`` / ``ansible-playbook``), with the real
huggingface_hub client, HF_ENDPOINT pointing at tests/integration/hf_server.py. Every run's
stdout and stderr (with -vvv) are searched for the token values: they must never appear.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import hf_server  # noqa: E402

ALL_TOKENS = (hf_server.GOOD_TOKEN, hf_server.NO_GATED_TOKEN, hf_server.BAD_TOKEN)
GATED = "meta-llama/Llama-3.1-8B-Instruct"
PUBLIC = "Qwen/Qwen2.5-0.5B-Instruct"


@pytest.fixture()
def hub():
    with hf_server.FakeHub() as server:
        yield server


def _env(hub, tmp_path, token=hf_server.GOOD_TOKEN, **extra):
    env = dict((k, v) for k, v in os.environ.items()
               if not k.startswith(("HF_", "K8S_AUTH_")) and k not in ("TRANSFORMERS_OFFLINE",))
    env.update(
        HF_ENDPOINT=hub.endpoint,
        HF_HOME=str(tmp_path / "hf-home"),
        ANSIBLE_CALLBACK_RESULT_FORMAT="json",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-local"),
        ANSIBLE_REMOTE_TEMP=str(tmp_path / "ansible-remote"),
    )
    if token is not None:
        env["HF_TOKEN"] = token
    env.update(extra)
    return env


def _assert_no_token(text):
    for token in ALL_TOKENS:
        assert token not in text, "a Hugging Face token leaked into the ansible output"


def run_module(hub, tmp_path, args, token=hf_server.GOOD_TOKEN, check=False, verbose=True, **env):
    """Run the module with `ansible localhost -m`; return (ok, result dict)."""
    flags = (["-vvv"] if verbose else []) + (["--check"] if check else [])
    proc = harness.run_module("llmops.kserve.hf_token_info", args, *flags, env=_env(hub, tmp_path, token, **env),
                              timeout=180)
    _assert_no_token(proc.stdout + proc.stderr)
    ok, result = harness.module_result(proc)
    assert (proc.returncode == 0) is ok, proc.stdout + proc.stderr
    return ok, result


def test_good_token_reports_account_and_each_model(hub, tmp_path):
    ok, result = run_module(hub, tmp_path, {"models": [
        GATED, PUBLIC + "@main", {"repo_id": "llmops/private-model"}, "acme/secret-model", "nobody/nothing",
        PUBLIC + "@no-such-branch"]})
    assert ok and result["changed"] is False
    assert result["token_valid"] is True and result["token_state"] == "valid"
    assert result["account"]["name"] == "alice"
    assert result["account"]["orgs"] == ["acme", "llmops"]
    gated, public, private, secret, missing, bad_rev = result["models"]
    assert (gated["exists"], gated["private"], gated["gated"], gated["accessible"]) == (True, False, "manual", True)
    assert (public["revision"], public["accessible"], public["gated"]) == ("main", True, False)
    assert (private["private"], private["accessible"]) == (True, True)
    for model in (secret, missing):
        assert (model["exists"], model["accessible"], model["state"]) == (False, False, "not_found")
        assert "has no access" in model["reason"]
    assert bad_rev["state"] == "revision_not_found"
    assert result["all_accessible"] is False
    assert result["invocation"]["module_args"]["token"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert hub.state.count("whoami") == 1  # once per run


def test_user_without_gated_access(hub, tmp_path):
    ok, result = run_module(hub, tmp_path, {"models": [GATED, PUBLIC]}, token=hf_server.NO_GATED_TOKEN)
    assert ok
    assert result["account"]["name"] == "bob"
    gated, public = result["models"]
    assert gated["state"] == "gated" and gated["accessible"] is False and gated["exists"] is True
    assert "'bob' has not been granted access" in gated["reason"]
    assert public["accessible"] is True
    assert result["all_accessible"] is False


def test_bad_token_is_reported_not_raised(hub, tmp_path):
    ok, result = run_module(hub, tmp_path, {"models": [PUBLIC]}, token=hf_server.BAD_TOKEN)
    assert ok
    assert result["token_valid"] is False and result["token_state"] == "invalid"
    assert "rejected" in result["token_reason"]
    assert result["models"][0]["checked"] is False
    assert result["account"] is None


def test_no_token_checks_anonymously(hub, tmp_path):
    ok, result = run_module(hub, tmp_path, {"models": [PUBLIC, GATED]}, token=None)
    assert ok
    assert result["token_provided"] is False and result["token_state"] == "missing"
    assert result["models"][0]["accessible"] is True
    assert result["models"][1]["state"] == "gated"
    assert hub.state.count("whoami") == 0


def test_rate_limit_is_retried(hub, tmp_path):
    hub.state.fail("whoami", 2, 429)
    hub.state.fail("auth_check", 1, 429)
    ok, result = run_module(hub, tmp_path, {"models": [PUBLIC], "retries": 3, "retry_backoff": 0.05})
    assert ok
    assert result["token_valid"] is True
    assert result["models"][0]["accessible"] is True
    assert result["retries_used"] == 3
    assert hub.state.count("whoami") == 3


def test_rate_limit_exhausted_gives_plain_reason(hub, tmp_path):
    hub.state.fail("whoami", 5, 429)
    ok, result = run_module(hub, tmp_path, {"models": [], "retries": 1, "retry_backoff": 0})
    assert ok
    assert result["token_state"] == "rate_limited"
    assert "429" in result["token_reason"] and "after 1 retries" in result["token_reason"]


def test_hf_hub_offline_env_gives_offline_answer(hub, tmp_path):
    ok, result = run_module(hub, tmp_path, {"models": [PUBLIC]}, HF_HUB_OFFLINE="1")
    assert ok
    assert result["offline"] is True
    assert result["token_state"] == "offline"
    assert result["models"][0]["state"] == "offline"
    assert "offline" in result["models"][0]["reason"]
    assert hub.state.requests == []


def test_offline_option(hub, tmp_path):
    ok, result = run_module(hub, tmp_path, {"models": [PUBLIC], "offline": True}, verbose=False)
    assert ok and result["offline"] is True
    assert "offline option" in result["token_reason"]
    assert hub.state.requests == []


def test_check_mode_runs_the_same_checks(hub, tmp_path):
    ok, result = run_module(hub, tmp_path, {"models": [GATED]}, check=True)
    assert ok and result["changed"] is False
    assert result["models"][0]["accessible"] is True


@pytest.mark.parametrize("args, fragment", [
    ({"models": ["not-a-repo-id"]}, "models[0]: 'not-a-repo-id' is not a valid Hugging Face repo id"),
    ({"models": [PUBLIC, {"repo_id": PUBLIC, "tag": "x"}]}, "models[1]: unknown key(s) tag"),
    ({"models": [], "endpoint": "ftp://mirror"}, "endpoint: 'ftp://mirror' is not a URL"),
    ({"models": [], "retries": -2}, "retries: -2 is negative"),
])
def test_bad_input_fails_with_clear_message(hub, tmp_path, args, fragment):
    ok, result = run_module(hub, tmp_path, args, verbose=False)
    assert not ok
    assert fragment in result["msg"]


def test_token_option_from_playbook_is_never_shown(hub, tmp_path):
    """token given as a module option (from a variable), run with -vvv: the value stays hidden."""
    playbook = tmp_path / "check.yml"
    playbook.write_text(
        "- name: Check the token\n"
        "  hosts: localhost\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - name: Check\n"
        "      llmops.kserve.hf_token_info:\n"
        "        token: \"{{ lookup('ansible.builtin.env', 'MY_SECRET_HF') }}\"\n"
        "        models: [" + GATED + "]\n"
        "      register: hf\n"
        "    - name: Show\n"
        "      ansible.builtin.debug:\n"
        "        var: hf\n"
        "    - name: Gate\n"
        "      ansible.builtin.assert:\n"
        "        that: [hf.token_valid, hf.all_accessible, \"hf.account.name == 'alice'\"]\n"
    )
    env = _env(hub, tmp_path, token=None, MY_SECRET_HF=hf_server.GOOD_TOKEN)
    run = harness.run_playbook(str(playbook), "-vvv", env=env, timeout=180)
    _assert_no_token(run.output)
    assert run.rc == 0, run.output
    assert "alice" in run.stdout
