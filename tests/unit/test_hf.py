# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/hf.py.

Input parsing and error mapping are pure; the Hub calls run the real huggingface_hub client against
the local fake Hub (tests/integration/hf_server.py) on 127.0.0.1.
"""

from __future__ import annotations

import sys

import pytest

import harness

sys.path.insert(0, str(harness.ROOT / "tests" / "integration"))  # conftest.py made the collection importable

import hf_server  # noqa: E402
from ansible_collections.llmops.kserve.plugins.module_utils import hf  # noqa: E402

GATED = "meta-llama/Llama-3.1-8B-Instruct"
PUBLIC = "Qwen/Qwen2.5-0.5B-Instruct"


@pytest.fixture()
def hub(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with hf_server.FakeHub() as server:
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        yield server


@pytest.fixture()
def cache_dir(tmp_path):
    return str(tmp_path / "hub-cache")


def client(hub, token=hf_server.GOOD_TOKEN, retries=3, sleeps=None, cache=None):
    return hf.HubClient(endpoint=hub.endpoint, token=token, timeout=5, retries=retries, backoff=0.5,
                        sleep=(sleeps.append if sleeps is not None else lambda _s: None), cache_dir=cache)


# ----------------------------------------------------------------------------------------------
# pure parsing
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("item, expected", [
    ("org/name", ("org/name", None)),
    ("org/name@v1.0", ("org/name", "v1.0")),
    ("org/name@refs/pr/1", ("org/name", "refs/pr/1")),
    ({"repo_id": "org/name", "revision": "main"}, ("org/name", "main")),
    ({"repo_id": " org/name "}, ("org/name", None)),
])
def test_parse_model_ref(item, expected):
    assert hf.parse_model_ref(item) == expected


@pytest.mark.parametrize("item, fragment", [
    ("justname", "exactly one '/'"),
    ("a/b/c", "exactly one '/'"),
    ("org/na me", "not a valid Hugging Face repo id"),
    ("org/name@", "revision '' of org/name is empty"),
    ({"repo_id": "org/name", "branch": "x"}, "unknown key(s) branch"),
    ({"revision": "main"}, "repo_id is missing"),
    (42, "neither a string"),
])
def test_parse_model_ref_rejects(item, fragment):
    with pytest.raises(hf.HubInputError) as err:
        hf.parse_model_ref(item, field="models[3]")
    assert "models[3]" in str(err.value)
    assert fragment in str(err.value)


def test_endpoint_and_offline_env():
    assert hf.normalize_endpoint(None) == "https://huggingface.co"
    assert hf.normalize_endpoint("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"
    with pytest.raises(hf.HubInputError, match="endpoint: 'ftp://x' is not a URL"):
        hf.normalize_endpoint("ftp://x")
    assert hf.env_offline({"HF_HUB_OFFLINE": "1"}) is True
    assert hf.env_offline({"HF_HUB_OFFLINE": "yes"}) is True
    assert hf.env_offline({"TRANSFORMERS_OFFLINE": "true"}) is True
    assert hf.env_offline({"HF_HUB_OFFLINE": "0"}) is False
    assert hf.env_offline({}) is False


def test_client_rejects_bad_numbers(hub):
    with pytest.raises(hf.HubInputError, match="retries: -1"):
        hf.HubClient(endpoint=hub.endpoint, retries=-1)
    with pytest.raises(hf.HubInputError, match="timeout: 0"):
        hf.HubClient(endpoint=hub.endpoint, timeout=0)
    with pytest.raises(hf.HubInputError, match="retry_backoff: -1"):
        hf.HubClient(endpoint=hub.endpoint, backoff=-1)


def test_offline_result_contacts_nothing():
    result = hf.offline_result("http://127.0.0.1:1", [("org/name", None)], True, "HF_HUB_OFFLINE")
    assert result["offline"] is True and result["token_state"] == "offline"
    assert result["models"][0]["checked"] is False
    assert "offline" in result["models"][0]["reason"]
    assert result["all_accessible"] is False


# ----------------------------------------------------------------------------------------------
# against the fake Hub through the real huggingface_hub client
# ----------------------------------------------------------------------------------------------
def test_good_token_account_and_models(hub):
    c = client(hub)
    result = hf.check_hub(c, [(GATED, None), (PUBLIC, "main"), ("llmops/private-model", None)])
    assert result["token_valid"] is True
    assert result["account"]["name"] == "alice"
    assert result["account"]["orgs"] == ["acme", "llmops"]
    assert result["account"]["token_role"] == "read"
    assert hf_server.GOOD_TOKEN not in repr(result)
    gated, public, private = result["models"]
    assert (gated["exists"], gated["gated"], gated["private"], gated["accessible"]) == (True, "manual", False, True)
    assert (public["gated"], public["accessible"]) == (False, True)
    assert (private["private"], private["accessible"]) == (True, True)
    assert result["all_accessible"] is True
    assert hub.state.count("whoami") == 1


def test_whoami_is_called_once_per_run(hub):
    c = client(hub)
    c.whoami()
    c.whoami()
    hf.check_hub(c, [(PUBLIC, None)])
    assert hub.state.count("whoami") == 1


def test_gated_without_access(hub):
    result = hf.check_hub(client(hub, token=hf_server.NO_GATED_TOKEN), [(GATED, None)])
    model = result["models"][0]
    assert result["account"]["name"] == "bob"
    assert model["exists"] is True and model["gated"] == "manual"
    assert model["accessible"] is False and model["state"] == "gated"
    assert "'bob' has not been granted access" in model["reason"]
    assert GATED in model["reason"]


def test_private_and_missing_repos(hub):
    result = hf.check_hub(client(hub, token=hf_server.NO_GATED_TOKEN),
                          [("acme/secret-model", None), ("nobody/nothing", None)])
    for model in result["models"]:
        assert model["exists"] is False and model["accessible"] is False
        assert model["state"] == "not_found"
        assert "private and the account 'bob' has no access" in model["reason"]


def test_anonymous(hub):
    result = hf.check_hub(client(hub, token=None), [(PUBLIC, None), (GATED, None), ("acme/secret-model", None)])
    assert result["token_provided"] is False and result["token_state"] == "missing"
    public, gated, private = result["models"]
    assert public["accessible"] is True and "without a token" in public["reason"]
    assert gated["state"] == "gated" and "no token was given" in gated["reason"]
    assert private["state"] == "not_found" and "no token was given" in private["reason"]
    assert hub.state.count("whoami") == 0


def test_bad_token(hub):
    result = hf.check_hub(client(hub, token=hf_server.BAD_TOKEN), [(PUBLIC, None)])
    assert result["token_valid"] is False and result["token_state"] == "invalid"
    assert "401" in result["token_reason"]
    assert result["models"][0]["checked"] is False
    assert result["models"][0]["state"] == "token_invalid"
    assert hub.state.count("model_info") == 0  # no pointless calls with a rejected token


def test_revision_not_found(hub):
    model = hf.check_hub(client(hub), [(PUBLIC, "no-such-branch")])["models"][0]
    assert model["state"] == "revision_not_found"
    assert model["exists"] is True and model["accessible"] is False
    assert "revision 'no-such-branch' does not exist" in model["reason"]


def test_429_is_retried_with_exponential_backoff(hub):
    sleeps = []
    hub.state.fail("whoami", 2, 429)
    hub.state.fail("model_info", 1, 503)
    c = client(hub, sleeps=sleeps)
    result = hf.check_hub(c, [(PUBLIC, None)])
    assert result["token_valid"] is True
    assert result["models"][0]["accessible"] is True
    assert result["retries_used"] == 3
    # Retry-After: 0 from the server wins for 429; 503 without it waits backoff x 2^0
    assert sleeps == [0.0, 0.0, 0.5]
    assert hub.state.count("whoami") == 3


def test_backoff_grows_without_retry_after(hub):
    sleeps = []
    c = client(hub, sleeps=sleeps, retries=3)
    hub.state.fail("model_info", 3, 502)
    assert c.check_model(PUBLIC)["accessible"] is True
    assert sleeps == [0.5, 1.0, 2.0]


def test_429_after_retries_is_a_plain_reason(hub):
    hub.state.fail("whoami", 10, 429)
    hub.state.fail("model_info", 10, 429)
    result = hf.check_hub(client(hub, retries=2), [(PUBLIC, None)])
    assert result["token_state"] == "rate_limited"
    assert "rate limited by the Hub (429) after 2 retries" in result["token_reason"]
    assert result["models"][0]["state"] == "rate_limited"
    assert hub.state.count("whoami") == 3


def test_unreachable_endpoint(hub):
    c = hf.HubClient(endpoint="http://127.0.0.1:9", token=hf_server.GOOD_TOKEN, timeout=2, retries=1,
                     backoff=0, sleep=lambda _s: None)
    result = hf.check_hub(c, [(PUBLIC, None)])
    assert result["token_state"] == "unreachable"
    assert "could not reach http://127.0.0.1:9" in result["token_reason"]


def test_library_offline_mode_is_a_clear_answer(hub, monkeypatch):
    from huggingface_hub import constants  # pylint: disable=import-outside-toplevel
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    result = hf.check_hub(client(hub), [(PUBLIC, None)])
    assert result["offline"] is True
    assert result["token_state"] == "offline"
    assert result["models"][0]["state"] == "offline"
    assert hub.state.requests == []


def test_fetch_config_and_safetensors_parameters(hub, cache_dir):
    c = client(hub, cache=cache_dir)
    config = c.fetch_config(GATED)
    assert config["num_key_value_heads"] == 8
    assert c.safetensors_parameters(GATED) == 8030261248
    assert c.safetensors_parameters("llmops/private-model") is None
    # now cached: readable with local_files_only (offline)
    assert c.fetch_config(GATED, local_files_only=True)["hidden_size"] == 4096


def test_fetch_config_gated_without_access_raises_mapped_error(hub, cache_dir):
    c = client(hub, token=hf_server.NO_GATED_TOKEN, cache=cache_dir)
    c.whoami()
    with pytest.raises(Exception) as err:
        c.fetch_config(GATED)
    state, reason = c.describe_error(err.value, what="config.json download", repo_id=GATED)
    assert state == "gated"
    assert "'bob'" in reason
