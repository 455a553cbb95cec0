# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/sizing.py against published model sizes."""

from __future__ import annotations


import pytest

# conftest.py made the collection importable (tests/harness.py)
from ansible_collections.llmops.kserve.plugins.module_utils import sizing  # noqa: E402

GIB = 1024 ** 3


def llama(hidden, inter, layers, heads, kv, vocab, **extra):
    config = {"model_type": "llama", "hidden_size": hidden, "intermediate_size": inter, "num_hidden_layers": layers,
              "num_attention_heads": heads, "num_key_value_heads": kv, "vocab_size": vocab,
              "max_position_embeddings": 131072, "tie_word_embeddings": False, "hidden_act": "silu",
              "torch_dtype": "bfloat16"}
    config.update(extra)
    return config


# Configs as published in each model's config.json; counts as published on the model pages / safetensors index.
LLAMA_31_8B = llama(4096, 14336, 32, 32, 8, 128256)
LLAMA_31_70B = llama(8192, 28672, 80, 64, 8, 128256)
LLAMA_2_7B = llama(4096, 11008, 32, 32, 32, 32000, max_position_embeddings=4096, torch_dtype="float16")
MISTRAL_7B = dict(llama(4096, 14336, 32, 32, 8, 32000), model_type="mistral", max_position_embeddings=32768)
MIXTRAL_8X7B = dict(llama(4096, 14336, 32, 32, 8, 32000), model_type="mixtral", num_local_experts=8,
                    num_experts_per_tok=2, max_position_embeddings=32768)
QWEN25_7B = {"model_type": "qwen2", "hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28,
             "num_attention_heads": 28, "num_key_value_heads": 4, "vocab_size": 152064,
             "max_position_embeddings": 32768, "tie_word_embeddings": False, "hidden_act": "silu",
             "torch_dtype": "bfloat16"}
QWEN25_05B = {"model_type": "qwen2", "hidden_size": 896, "intermediate_size": 4864, "num_hidden_layers": 24,
              "num_attention_heads": 14, "num_key_value_heads": 2, "vocab_size": 151936,
              "max_position_embeddings": 32768, "tie_word_embeddings": True, "hidden_act": "silu",
              "torch_dtype": "bfloat16"}
QWEN3_8B = {"model_type": "qwen3", "hidden_size": 4096, "intermediate_size": 12288, "num_hidden_layers": 36,
            "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 151936,
            "max_position_embeddings": 40960, "tie_word_embeddings": False, "attention_bias": False,
            "hidden_act": "silu", "torch_dtype": "bfloat16"}


@pytest.mark.parametrize("config, published", [
    (LLAMA_31_8B, 8030261248),
    (LLAMA_31_70B, 70553706496),
    (LLAMA_2_7B, 6738415616),
    (MISTRAL_7B, 7241732096),
    (MIXTRAL_8X7B, 46702792704),
    (QWEN25_7B, 7615616512),
    (QWEN25_05B, 494032768),
    (QWEN3_8B, 8190735360),
], ids=["llama-3.1-8b", "llama-3.1-70b", "llama-2-7b", "mistral-7b", "mixtral-8x7b", "qwen2.5-7b", "qwen2.5-0.5b",
        "qwen3-8b"])
def test_parameter_estimate_matches_published_sizes(config, published):
    assert sizing.estimate_parameters(config) == published


def test_llama_8b_weights_and_kv_cache():
    result = sizing.size_model(LLAMA_31_8B, max_model_len=8192, concurrency=16)
    # 8.03B x 2 bytes = 16.06 GB = 14.96 GiB
    assert result["weights_bytes"] == 8030261248 * 2
    assert result["weights_gib"] == 14.96
    # 2 x 32 layers x 8 KV heads x 128 x 2 bytes = 128 KiB per token
    assert result["kv_cache_bytes_per_token"] == 131072
    assert result["kv_cache_bytes"] == 131072 * 8192 * 16 == 16 * GIB
    tp = dict((p["platform"], p["tensor_parallel_size"]) for p in result["platforms"])
    assert tp == {"nvidia": 1, "gaudi": 1, "gaudi3": 1, "xeon": 1}
    assert result["model"]["parameters_source"] == "estimated from config"
    assert result["max_model_len_source"] == "option"


def test_llama_70b_needs_tp_per_platform():
    result = sizing.size_model(LLAMA_31_70B, max_model_len=8192, concurrency=8)
    # 70.55B x 2 = 141.1 GB = 131.42 GiB of weights, 2.5 GiB of KV per 8k sequence x 8 = 20 GiB
    assert result["weights_gib"] == 131.42
    assert result["kv_cache_gib"] == 20.0
    by = dict((p["platform"], p) for p in result["platforms"])
    assert by["nvidia"]["tensor_parallel_size"] == 4  # 2 x 72 GiB usable < 153.4; 4 x 72 fits
    assert by["gaudi"]["tensor_parallel_size"] == 2  # 2 x 86.4 = 172.8 >= 131.4 + 20 + 2 x 1
    assert by["gaudi3"]["tensor_parallel_size"] == 2
    assert by["xeon"]["fits"] is True and by["xeon"]["tensor_parallel_size"] == 1
    assert by["xeon"]["vllm_cpu_kvcache_space_gib"] == 20
    # ceil(131.42 weights + 20 KV + 1 runtime + 4.51 activation peak at the default 8192 batched tokens)
    assert by["xeon"]["memory_request_gib"] == 157


def test_does_not_fit_on_one_node_says_how_many_devices():
    big = llama(16384, 53248, 126, 128, 8, 128256)  # Llama 3.1 405B
    assert sizing.estimate_parameters(big) == 405853388800
    result = sizing.size_model(big, max_model_len=8192, concurrency=1, platforms=["nvidia"])
    entry = result["platforms"][0]
    assert entry["fits"] is False
    assert entry["tensor_parallel_size"] is None
    assert "does not fit on one node" in entry["reason"]
    assert "would need about 16 devices" in entry["reason"]
    # fp8 weights fit 8 x H100
    result = sizing.size_model(big, dtype="fp8", max_model_len=8192, platforms=["nvidia"])
    assert result["platforms"][0]["tensor_parallel_size"] == 8


def test_tp_must_divide_attention_heads():
    # 28 heads (Qwen2.5-7B): TP 8 is not allowed, so a model needing > 4 devices does not fit on 8x80 GiB
    result = sizing.size_model(QWEN25_7B, max_model_len=32768, concurrency=200, platforms=["nvidia"])
    entry = result["platforms"][0]
    assert entry["fits"] is False
    assert "at TP 4" in entry["reason"]  # TP 8 was never tried: 28 heads are not divisible by 8
    result = sizing.size_model(QWEN25_7B, max_model_len=32768, concurrency=100, platforms=["nvidia"])
    entry = result["platforms"][0]
    assert entry["tensor_parallel_size"] == 4
    assert entry["fits"] is True
    result = sizing.size_model(QWEN25_7B, max_model_len=32768, concurrency=30, platforms=["nvidia"])
    assert result["platforms"][0]["tensor_parallel_size"] == 1


def test_kv_heads_replicate_when_fewer_than_tp():
    dims = sizing.model_dims(QWEN25_05B)  # 2 KV heads
    assert sizing.kv_bytes_per_token(dims, 2, 1) == 2 * 24 * 2 * 64 * 2
    assert sizing.kv_bytes_per_token(dims, 2, 2) == 2 * 24 * 1 * 64 * 2
    assert sizing.kv_bytes_per_token(dims, 2, 4) == 2 * 24 * 1 * 64 * 2  # replicated, not split further


def test_quantised_checkpoint_and_dtype_override():
    awq = dict(LLAMA_31_8B, quantization_config={"quant_method": "awq", "bits": 4, "group_size": 128})
    result = sizing.size_model(awq, max_model_len=4096)
    assert result["model"]["dtype"] == "int4"
    assert result["weights_bytes"] == 8030261248 // 2
    assert result["model"]["kv_cache_dtype"] == "bfloat16"
    fp8 = dict(LLAMA_31_8B, quantization_config={"quant_method": "fp8"})
    assert sizing.size_model(fp8, max_model_len=4096)["model"]["dtype"] == "fp8"
    result = sizing.size_model(LLAMA_31_8B, dtype="float32", kv_cache_dtype="fp8", max_model_len=1000)
    assert result["weights_bytes"] == 8030261248 * 4
    assert result["kv_cache_bytes"] == 2 * 32 * 8 * 128 * 1 * 1000


def test_default_max_model_len_from_config_and_parameters_override():
    result = sizing.size_model(LLAMA_2_7B, parameters="7B")
    assert result["max_model_len"] == 4096
    assert result["max_model_len_source"] == "config.max_position_embeddings"
    assert result["model"]["parameters"] == 7000000000
    assert result["model"]["dtype"] == "float16"
    # 2 x 32 x 32 x 128 x 2 bytes = 512 KiB per token (Llama 2 has no GQA)
    assert result["kv_cache_bytes"] == 524288 * 4096


def test_mla_kv_cache_is_latent():
    deepseek = {"model_type": "deepseek_v3", "hidden_size": 7168, "num_hidden_layers": 61, "num_attention_heads": 128,
                "num_key_value_heads": 128, "kv_lora_rank": 512, "qk_rope_head_dim": 64, "qk_nope_head_dim": 128,
                "v_head_dim": 128, "q_lora_rank": 1536, "vocab_size": 129280, "intermediate_size": 18432,
                "moe_intermediate_size": 2048, "n_routed_experts": 256, "n_shared_experts": 1,
                "first_k_dense_replace": 3, "torch_dtype": "bfloat16", "max_position_embeddings": 163840}
    dims = sizing.model_dims(deepseek)
    assert sizing.kv_bytes_per_token(dims, 2, 8) == 61 * (512 + 64) * 2
    # 671B published (without the 14B multi-token-prediction layer)
    assert abs(sizing.estimate_parameters(deepseek) - 671e9) / 671e9 < 0.01


def test_multimodal_text_config_and_overrides():
    config = {"model_type": "mistral3", "architectures": ["Mistral3ForConditionalGeneration"],
              "text_config": dict(MISTRAL_7B), "vision_config": {"hidden_size": 1024}}
    dims = sizing.model_dims(config)
    assert dims["layers"] == 32 and dims["kv_heads"] == 8
    result = sizing.size_model(LLAMA_31_8B, max_model_len=1024, platforms=["nvidia"],
                               device_memory_gib={"nvidia": 141}, devices_per_node={"nvidia": 4})
    assert result["platforms"][0]["device_memory_gib"] == 141.0
    assert result["platforms"][0]["devices_per_node"] == 4


@pytest.mark.parametrize("kwargs, fragment", [
    ({"config": {"hidden_size": 4096}}, "num_hidden_layers, num_attention_heads missing"),
    ({"config": "x"}, "is not a dict"),
    ({"config": dict(LLAMA_31_8B, num_hidden_layers=-1)}, "config.num_hidden_layers: -1 must be a positive integer"),
    ({"config": dict(LLAMA_31_8B, num_key_value_heads=5)}, "does not divide"),
    ({"parameters": "lots"}, "parameters: 'lots' is not a parameter count"),
    ({"parameters": 0}, "must be greater than 0"),
    ({"dtype": "float12"}, "dtype: 'float12' is not a supported dtype"),
    ({"kv_cache_dtype": "int3"}, "kv_cache_dtype: 'int3'"),
    ({"max_model_len": 0}, "max_model_len: 0 must be an integer >= 1"),
    ({"concurrency": 0}, "concurrency: 0 must be an integer >= 1"),
    ({"memory_utilization": 1.5}, "memory_utilization: 1.5"),
    ({"runtime_overhead_gib": -1}, "runtime_overhead_gib: -1"),
    ({"platforms": ["tpu"]}, "platforms: 'tpu' is not a known platform"),
    ({"device_memory_gib": {"tpu": 16}}, "device_memory_gib: unknown platform 'tpu'"),
    ({"device_memory_gib": {"nvidia": "big"}}, "device_memory_gib.nvidia: 'big' must be a positive number"),
    ({"devices_per_node": {"nvidia": 2.5}}, "devices_per_node.nvidia: 2.5 must be a positive integer"),
    ({"host_memory_gib": 0}, "host_memory_gib: 0"),
])
def test_bad_input(kwargs, fragment):
    args = {"config": LLAMA_31_8B, "max_model_len": 4096}
    args.update(kwargs)
    with pytest.raises(sizing.SizingError) as err:
        sizing.size_model(**args)
    assert fragment in str(err.value)


def test_parse_parameters_suffixes():
    assert sizing.parse_parameters("8B") == 8 * 10 ** 9
    assert sizing.parse_parameters("70.6B") == 70600000000
    assert sizing.parse_parameters("494M") == 494000000
    assert sizing.parse_parameters("7e9") == 7 * 10 ** 9
    assert sizing.parse_parameters(8030261248) == 8030261248


# --- activation peak: follows max_num_batched_tokens and the model's width -------------------------
# Prefill activation peaks measured on an H200 (bf16, facts.md): tokens -> GiB.
MEASURED_PEAKS = {
    "llama-3.1-8b": (LLAMA_31_8B, {2048: 0.51, 4096: 0.99, 8192: 1.94, 16384: 3.85}),
    "mixtral-8x7b": (llama(4096, 14336, 32, 32, 8, 32000, model_type="mixtral", num_local_experts=8,
                           num_experts_per_tok=2), {2048: 0.78, 4096: 1.57, 8192: 3.13, 16384: 6.26}),
}


@pytest.mark.parametrize("name", sorted(MEASURED_PEAKS))
def test_activation_peak_matches_the_measured_table(name):
    config, peaks = MEASURED_PEAKS[name]
    dims = sizing.model_dims(config)
    for tokens, measured in peaks.items():
        got = sizing.activation_bytes(dims, tokens, 2.0) / sizing.GIB
        assert abs(got - measured) / measured < 0.1, (name, tokens, got, measured)


def test_overhead_grows_with_max_num_batched_tokens():
    small = sizing.size_model(LLAMA_31_8B, max_model_len=8192, platforms=["nvidia"], max_num_batched_tokens=2048)
    large = sizing.size_model(LLAMA_31_8B, max_model_len=8192, platforms=["nvidia"], max_num_batched_tokens=16384)
    s, l = small["platforms"][0], large["platforms"][0]
    assert small["max_num_batched_tokens"] == 2048 and s["max_num_batched_tokens"] == 2048
    assert s["activation_gib_per_device"] == pytest.approx(0.5, abs=0.02)
    assert l["activation_gib_per_device"] == pytest.approx(4.01, abs=0.02)
    assert s["overhead_gib_per_device"] == pytest.approx(1.0 + s["activation_gib_per_device"], abs=0.01)
    assert l["required_gib_per_device"] - s["required_gib_per_device"] == pytest.approx(3.51, abs=0.02)


def test_wider_model_has_a_larger_activation_peak():
    narrow = sizing.activation_bytes(sizing.model_dims(LLAMA_31_8B), 4096, 2.0)
    wide = sizing.activation_bytes(sizing.model_dims(LLAMA_31_70B), 4096, 2.0)
    assert wide > 2 * narrow


def test_batched_tokens_decide_whether_it_fits():
    # Llama-3.1-8B on one 24 GiB device at 0.9: 14.96 GiB weights + 1 GiB KV (8k) + 1 GiB runtime leaves
    # ~4.6 GiB: 2048 batched tokens (0.5 GiB) fit, 32768 (8 GiB) do not.
    kw = dict(max_model_len=8192, platforms=["nvidia"], device_memory_gib={"nvidia": 24}, devices_per_node={"nvidia": 1})
    assert sizing.size_model(LLAMA_31_8B, max_num_batched_tokens=2048, **kw)["platforms"][0]["fits"] is True
    assert sizing.size_model(LLAMA_31_8B, max_num_batched_tokens=32768, **kw)["platforms"][0]["fits"] is False


def test_activation_peak_is_split_by_tensor_parallel():
    dims = sizing.model_dims(LLAMA_31_70B)
    one = sizing.activation_bytes(dims, 8192, 2.0, 1)
    four = sizing.activation_bytes(dims, 8192, 2.0, 4)
    assert four == pytest.approx(one / 4, rel=0.01)


@pytest.mark.parametrize("bad", [0, -1, True, "8k", 1.5])
def test_bad_max_num_batched_tokens_names_the_field(bad):
    with pytest.raises(sizing.SizingError, match="max_num_batched_tokens"):
        sizing.size_model(LLAMA_31_8B, max_model_len=4096, max_num_batched_tokens=bad)
