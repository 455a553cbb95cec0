# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""llmops.kserve.model_sizing_info run by ansible, config.json from the local Hub look-alike."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import hf_server  # noqa: E402
from test_hf_token_info import _assert_no_token, _env  # noqa: E402


@pytest.fixture()
def hub():
    with hf_server.FakeHub() as server:
        yield server


def run_sizing(hub, tmp_path, args, token=hf_server.GOOD_TOKEN, **env):
    proc = harness.run_module("llmops.kserve.model_sizing_info", args, "-vvv", env=_env(hub, tmp_path, token, **env),
                              timeout=180)
    _assert_no_token(proc.stdout + proc.stderr)
    return harness.module_result(proc)


def test_from_hub_with_safetensors_parameters(hub, tmp_path):
    ok, result = run_sizing(hub, tmp_path, {"model": "meta-llama/Llama-3.1-8B-Instruct", "max_model_len": 8192,
                                            "concurrency": 16})
    assert ok and result["changed"] is False
    assert result["model"]["config_source"] == "hub"
    assert result["model"]["parameters"] == 8030261248
    assert result["model"]["parameters_source"] == "hub safetensors metadata"
    assert result["kv_cache_bytes"] == 16 * 1024 ** 3
    assert [p["tensor_parallel_size"] for p in result["platforms"]] == [1, 1, 1, 1]
    assert hub.state.count("resolve") >= 1


def test_inline_config_does_not_contact_the_hub(hub, tmp_path):
    config = dict(hf_server.LLAMA_8B_CONFIG, hidden_size=8192, intermediate_size=28672, num_hidden_layers=80,
                  num_attention_heads=64)
    ok, result = run_sizing(hub, tmp_path, {"config": config, "max_model_len": 8192, "concurrency": 8,
                                            "platforms": ["nvidia", "gaudi"]})
    assert ok
    assert result["model"]["parameters"] == 70553706496
    assert [(p["platform"], p["tensor_parallel_size"]) for p in result["platforms"]] == [("nvidia", 4), ("gaudi", 2)]
    assert [r for r in hub.state.requests if r[0] != "other"] == []


def test_gated_without_access_fails_clearly(hub, tmp_path):
    ok, result = run_sizing(hub, tmp_path, {"model": "meta-llama/Llama-3.1-8B-Instruct"},
                            token=hf_server.NO_GATED_TOKEN)
    assert not ok
    assert "could not read config.json of meta-llama/Llama-3.1-8B-Instruct: gated" in result["msg"]


def test_offline_without_cache_fails_clearly(hub, tmp_path):
    ok, result = run_sizing(hub, tmp_path, {"model": "Qwen/Qwen2.5-0.5B-Instruct"}, HF_HUB_OFFLINE="1")
    assert not ok
    assert "offline mode is on and config.json of Qwen/Qwen2.5-0.5B-Instruct is not in the local" in result["msg"]
    assert hub.state.requests == []


@pytest.mark.parametrize("args, fragment", [
    ({"concurrency": 2}, "one of the following is required: model, config"),
    ({"model": "bad id"}, "model: 'bad id' is not a valid Hugging Face repo id"),
    ({"config": {"hidden_size": 1}}, "num_hidden_layers, num_attention_heads missing"),
    ({"config": hf_server.QWEN_05B_CONFIG, "platforms": ["tpu"]}, "platforms: 'tpu' is not a known platform"),
    ({"config": hf_server.QWEN_05B_CONFIG, "parameters": "huge"}, "parameters: 'huge' is not a parameter count"),
])
def test_bad_input(hub, tmp_path, args, fragment):
    ok, result = run_sizing(hub, tmp_path, args)
    assert not ok
    assert fragment in result["msg"]
