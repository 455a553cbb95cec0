# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Model memory sizing on plain dicts (no I/O).

From a Hugging Face ``config.json`` (and optionally a known parameter count):

* weight bytes   = parameters x bytes per parameter (dtype, or the quantisation's bits / 8)
* KV-cache bytes = 2 x layers x kv_heads x head_dim x kv bytes x max_model_len x concurrency
  (MLA models such as DeepSeek V2/V3 cache one latent per token instead:
  layers x (kv_lora_rank + qk_rope_head_dim) x kv bytes x tokens)
* per platform: the smallest power-of-two tensor-parallel size whose per-device share fits in
  ``device memory x memory_utilization`` (with an overhead per device: the activation peak of vLLM's
  profiling prefill, which grows with ``max_num_batched_tokens`` and the model's width, plus a fixed
  ``runtime_overhead_gib`` for CUDA graphs / HPU graphs and the runtime), no larger than the devices of
  one node, and dividing the number of attention heads (what vLLM requires). KV heads are split across
  devices, or replicated when there are fewer KV heads than devices.
* activation peak = max_num_batched_tokens x (KV bytes of one token + ACTIVATION_BYTES_PER_MLP_UNIT x
  experts per token x MLP intermediate size) / tensor parallel, fitted to prefill peaks measured on an
  H200 (bf16; Llama-3.1-8B, Qwen3-8B, Mixtral-8x7B, Gemma-3-27B at 2k-16k tokens: all 16 within -6% and
  +14%; e.g. Llama-3.1-8B 0.99 GiB measured, 1.00 GiB here at 4096 tokens). vLLM sizes its profiling
  run by ``max_num_batched_tokens``; the chart passes the same number to vLLM.

When the parameter count is not given it is estimated from the architecture (embeddings, attention
with GQA/MQA/MLA, gated or plain MLP, MoE experts, norms); the estimate matches the published sizes
of Llama, Mistral, Mixtral and Qwen models exactly.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import math
import re

from ansible_collections.llmops.kserve.plugins.module_utils.catalog import PLATFORMS as CATALOG_PLATFORMS

GIB = 1024 ** 3
# Bytes of transient MLP activations per token per unit of intermediate size, at 16-bit activations
# (gate/up projection output, activation, product). Fitted, with the KV term, to facts.md's measured peaks.
ACTIVATION_BYTES_PER_MLP_UNIT = 9.2
# vLLM's default on H100/H200 for the OpenAI server (2048 on smaller GPUs and on CPU): the chart's default too.
DEFAULT_MAX_NUM_BATCHED_TOKENS = 8192

DTYPE_BYTES = {
    "float32": 4.0,
    "float16": 2.0,
    "bfloat16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "int4": 0.5,
}
DTYPE_ALIASES = {
    "fp32": "float32", "float": "float32", "torch.float32": "float32",
    "fp16": "float16", "half": "float16", "torch.float16": "float16",
    "bf16": "bfloat16", "torch.bfloat16": "bfloat16",
    "float8": "fp8", "fp8_e4m3": "fp8", "fp8_e5m2": "fp8", "float8_e4m3fn": "fp8", "float8_e5m2": "fp8",
    "e4m3": "fp8", "e5m2": "fp8",
    "uint8": "int8",
    "4bit": "int4", "nf4": "int4", "fp4": "int4", "mxfp4": "int4",
}

# Device memory per platform, from the platform catalog (module_utils/catalog.py; adding a platform is one entry there).
PLATFORMS = dict((name, dict((key, entry[key]) for key in ("device", "resource", "device_memory_gib", "devices_per_node")))
                 for name, entry in CATALOG_PLATFORMS.items())

DEFAULT_HOST_MEMORY_GIB = 384.0

GATED_MLP_TYPES = frozenset((
    "llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "gemma", "gemma2", "gemma3",
    "gemma3_text", "phi3", "granite", "granitemoe", "olmo", "olmo2", "deepseek_v2", "deepseek_v3", "cohere",
    "internlm2", "baichuan", "yi", "exaone", "starcoder2_gated", "llama4", "llama4_text", "minicpm", "glm",
))
PLAIN_MLP_TYPES = frozenset(("gpt2", "gpt_neox", "gptj", "opt", "falcon", "bloom", "starcoder2", "gpt_bigcode",
                             "phi", "mpt"))
QKV_BIAS_TYPES = frozenset(("qwen2", "qwen2_moe", "qwen2_vl"))
QK_NORM_TYPES = frozenset(("qwen3", "qwen3_moe", "olmo2", "gemma3", "gemma3_text"))
_PARAM_RE = re.compile(r"^\s*(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*([kKmMbBtT]?)\s*$")
_PARAM_SUFFIX = {"": 1, "k": 10 ** 3, "m": 10 ** 6, "b": 10 ** 9, "t": 10 ** 12}


class SizingError(ValueError):
    """Bad input (the message names the field, the bad value and what is allowed)."""


def canonical_dtype(value, field="dtype"):
    """'bf16' / 'torch.bfloat16' / 'bfloat16' -> 'bfloat16'; raises SizingError for unknown names."""
    if value is None:
        return None
    name = str(value).strip().lower()
    name = DTYPE_ALIASES.get(name, name)
    if name not in DTYPE_BYTES:
        raise SizingError("%s: %r is not a supported dtype; use one of %s" % (
            field, value, ", ".join(sorted(DTYPE_BYTES))))
    return name


def parse_parameters(value, field="parameters"):
    """8030261248, '8B', '70.6B', '494M', '7e9' -> int."""
    if isinstance(value, bool) or value is None:
        raise SizingError("%s: %r is not a parameter count; use a number or e.g. '8B', '494M'" % (field, value))
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        match = _PARAM_RE.match(str(value))
        if not match:
            raise SizingError("%s: %r is not a parameter count; use a number or e.g. '8B', '70.6B', '494M', '7e9'"
                              % (field, value))
        number = float(match.group(1)) * _PARAM_SUFFIX[match.group(2).lower()]
    if number <= 0 or math.isnan(number) or math.isinf(number):
        raise SizingError("%s: %r must be greater than 0" % (field, value))
    return int(round(number))


def _first(config, *keys):
    for key in keys:
        value = config.get(key)
        if value is not None:
            return value
    return None


def _positive_int(config, value, field):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 or int(value) != value:
        raise SizingError("config.%s: %r must be a positive integer" % (field, value))
    return int(value)


def flatten_config(config):
    """Multimodal configs keep the language model under text_config / llm_config: use that."""
    if not isinstance(config, dict):
        raise SizingError("config: %r is not a dict (the model's config.json)" % (config,))
    for key in ("text_config", "llm_config", "language_config"):
        inner = config.get(key)
        if isinstance(inner, dict) and "num_hidden_layers" not in config:
            merged = dict(config)
            merged.update(inner)
            return merged
    return config


def model_dims(config):
    """Architecture numbers the sizing needs, with clear errors for missing ones."""
    cfg = flatten_config(config)
    layers = _first(cfg, "num_hidden_layers", "n_layer", "num_layers", "n_layers")
    hidden = _first(cfg, "hidden_size", "n_embd", "d_model")
    heads = _first(cfg, "num_attention_heads", "n_head", "num_heads")
    missing = [name for name, value in (("num_hidden_layers", layers), ("hidden_size", hidden),
                                        ("num_attention_heads", heads)) if value is None]
    if missing:
        raise SizingError("config: %s missing; expected a transformers config.json with num_hidden_layers, "
                          "hidden_size, num_attention_heads (and num_key_value_heads for GQA)" % ", ".join(missing))
    layers = _positive_int(cfg, layers, "num_hidden_layers")
    hidden = _positive_int(cfg, hidden, "hidden_size")
    heads = _positive_int(cfg, heads, "num_attention_heads")
    kv_heads = _first(cfg, "num_key_value_heads", "num_kv_heads", "n_head_kv", "multi_query_group_num")
    if kv_heads is None:
        kv_heads = 1 if cfg.get("multi_query") else heads
    kv_heads = _positive_int(cfg, kv_heads, "num_key_value_heads")
    if heads % kv_heads:
        raise SizingError("config.num_key_value_heads: %r does not divide num_attention_heads %r" % (kv_heads, heads))
    head_dim = cfg.get("head_dim")
    if head_dim is None:
        if hidden % heads:
            raise SizingError("config: hidden_size %r is not a multiple of num_attention_heads %r; give head_dim"
                              % (hidden, heads))
        head_dim = hidden // heads
    head_dim = _positive_int(cfg, head_dim, "head_dim")
    model_type = str(cfg.get("model_type") or "")
    experts = _first(cfg, "num_local_experts", "num_experts", "n_routed_experts") or 0
    dims = {
        "model_type": model_type,
        "architectures": list(cfg.get("architectures") or []),
        "layers": layers,
        "hidden_size": hidden,
        "attention_heads": heads,
        "kv_heads": kv_heads,
        "head_dim": head_dim,
        "vocab_size": _first(cfg, "vocab_size", "padded_vocab_size"),
        "intermediate_size": _first(cfg, "intermediate_size", "n_inner", "ffn_dim", "ffn_hidden_size"),
        "tie_word_embeddings": bool(cfg.get("tie_word_embeddings", False)),
        "max_position_embeddings": _first(cfg, "max_position_embeddings", "n_positions", "max_sequence_length",
                                          "seq_length", "model_max_length"),
        "experts": int(experts or 0),
        "experts_per_token": _first(cfg, "num_experts_per_tok", "moe_topk", "num_selected_experts",
                                    "experts_per_token"),
        "moe_intermediate_size": cfg.get("moe_intermediate_size"),
        "kv_lora_rank": cfg.get("kv_lora_rank"),
        "qk_rope_head_dim": cfg.get("qk_rope_head_dim"),
        "dtype": _config_dtype(config, cfg),
        "quantization": _quantization(cfg),
    }
    return dims


def _config_dtype(config, cfg):
    raw = _first(cfg, "torch_dtype", "dtype") or _first(config, "torch_dtype", "dtype")
    try:
        return canonical_dtype(raw) if raw else None
    except SizingError:
        return None


def _quantization(cfg):
    quant = cfg.get("quantization_config")
    if not isinstance(quant, dict):
        return None
    method = str(quant.get("quant_method") or "").lower()
    bits = quant.get("bits") or quant.get("w_bit") or quant.get("weight_bits")
    if quant.get("load_in_4bit"):
        bits = 4
    elif quant.get("load_in_8bit"):
        bits = 8
    if bits is None and method in ("fp8", "fbgemm_fp8", "modelopt"):
        bits = 8
    if bits is None and method == "mxfp4":
        bits = 4
    if bits is None:
        groups = quant.get("config_groups") or {}
        for group in groups.values() if isinstance(groups, dict) else ():
            weights = (group or {}).get("weights") or {}
            if weights.get("num_bits"):
                bits = weights["num_bits"]
                break
    return {"method": method or None, "bits": int(bits) if bits else None}


def _is_gated(cfg, dims):
    if dims["model_type"] in PLAIN_MLP_TYPES:
        return False
    if dims["model_type"] in GATED_MLP_TYPES:
        return True
    act = str(cfg.get("hidden_act") or cfg.get("activation_function") or "").lower()
    return act in ("silu", "swish", "swiglu", "geglu", "gelu_pytorch_tanh") or not act


def estimate_parameters(config):
    """Parameter count from the architecture (decoder-only transformers)."""
    cfg = flatten_config(config)
    dims = model_dims(config)
    hidden = dims["hidden_size"]
    heads = dims["attention_heads"]
    kv_heads = dims["kv_heads"]
    head_dim = dims["head_dim"]
    vocab = dims["vocab_size"]
    if vocab is None:
        raise SizingError("config: vocab_size missing; cannot estimate the parameter count (give parameters)")
    inter = dims["intermediate_size"] or 4 * hidden
    model_type = dims["model_type"]

    embed = vocab * hidden
    lm_head = 0 if dims["tie_word_embeddings"] else vocab * hidden

    if dims["kv_lora_rank"]:  # MLA (DeepSeek V2/V3)
        rope = cfg.get("qk_rope_head_dim") or 0
        nope = cfg.get("qk_nope_head_dim") or 0
        v_dim = cfg.get("v_head_dim") or head_dim
        q_rank = cfg.get("q_lora_rank")
        kv_rank = dims["kv_lora_rank"]
        if q_rank:
            q = hidden * q_rank + q_rank + q_rank * heads * (nope + rope)
        else:
            q = hidden * heads * (nope + rope)
        attn = q + hidden * (kv_rank + rope) + kv_rank + kv_rank * heads * (nope + v_dim) + heads * v_dim * hidden
    else:
        attn = hidden * heads * head_dim + 2 * hidden * kv_heads * head_dim + heads * head_dim * hidden
        if cfg.get("attention_bias") or model_type in QKV_BIAS_TYPES:
            attn += heads * head_dim + 2 * kv_heads * head_dim
            if cfg.get("attention_bias") and model_type not in QKV_BIAS_TYPES:
                attn += hidden  # o_proj bias
        if model_type in QK_NORM_TYPES:
            attn += 2 * head_dim

    factor = 3 if _is_gated(cfg, dims) else 2
    dense_mlp = factor * hidden * inter
    experts = dims["experts"]
    if experts:
        moe_inter = cfg.get("moe_intermediate_size") or inter
        moe_mlp = experts * factor * hidden * moe_inter + hidden * experts
        shared = cfg.get("n_shared_experts") or 0
        if shared:
            moe_mlp += shared * factor * hidden * moe_inter
        shared_inter = cfg.get("shared_expert_intermediate_size")
        if shared_inter:
            moe_mlp += factor * hidden * shared_inter + hidden
        dense_layers = int(cfg.get("first_k_dense_replace") or 0)
        mlp_total = dense_layers * dense_mlp + (dims["layers"] - dense_layers) * moe_mlp
    else:
        mlp_total = dims["layers"] * dense_mlp
    norms = dims["layers"] * 2 * hidden + hidden
    return int(embed + lm_head + dims["layers"] * attn + mlp_total + norms)


def weight_bytes_per_param(dims, dtype=None):
    """(bytes per parameter, dtype name used)."""
    if dtype:
        name = canonical_dtype(dtype)
        return DTYPE_BYTES[name], name
    quant = dims.get("quantization")
    if quant and quant.get("bits"):
        bits = quant["bits"]
        name = {4: "int4", 8: "fp8" if quant.get("method") in ("fp8", "fbgemm_fp8", "modelopt") else "int8",
                16: "bfloat16"}.get(bits, "int%d" % bits)
        return bits / 8.0, name
    name = dims.get("dtype") or "bfloat16"
    return DTYPE_BYTES[name], name


def kv_bytes_per_token(dims, kv_bytes, tensor_parallel=1):
    """KV-cache bytes one token takes on ONE device at a tensor-parallel size."""
    if dims.get("kv_lora_rank"):
        return int(dims["layers"] * (dims["kv_lora_rank"] + (dims.get("qk_rope_head_dim") or 0)) * kv_bytes)
    heads_per_device = max(1, int(math.ceil(dims["kv_heads"] / float(tensor_parallel))))
    return int(2 * dims["layers"] * heads_per_device * dims["head_dim"] * kv_bytes)


def activation_bytes(dims, max_num_batched_tokens, kv_bytes, tensor_parallel=1, act_bytes=2.0):
    """Activation peak of one prefill of max_num_batched_tokens tokens on ONE device (see module doc)."""
    inter = dims.get("intermediate_size") or 4 * dims["hidden_size"]
    top_k = 1
    if dims.get("experts"):
        inter = dims.get("moe_intermediate_size") or inter
        top_k = int(dims.get("experts_per_token") or 2)
    mlp = ACTIVATION_BYTES_PER_MLP_UNIT * (act_bytes / 2.0) * top_k * inter / float(tensor_parallel)
    return int(max_num_batched_tokens * (kv_bytes_per_token(dims, kv_bytes, tensor_parallel) + mlp))


def _gib(value):
    return round(value / float(GIB), 2)


def _pow2_upto(limit):
    tp = 1
    while tp <= limit:
        yield tp
        tp *= 2


def size_platform(name, entry, dims, weights, kv_bytes, max_model_len, concurrency, memory_utilization,
                  overhead_gib, max_num_batched_tokens=DEFAULT_MAX_NUM_BATCHED_TOKENS, act_bytes=2.0):
    """TP size and devices for one platform entry ({device, resource, device_memory_gib, devices_per_node})."""
    device_gib = float(entry["device_memory_gib"])
    per_node = int(entry["devices_per_node"])
    usable = device_gib * GIB * memory_utilization

    def overhead_at(tp):
        return overhead_gib * GIB + activation_bytes(dims, max_num_batched_tokens, kv_bytes, tp, act_bytes)

    overhead = overhead_at(1)
    tokens = max_model_len * concurrency
    result = {
        "platform": name,
        "device": entry.get("device"),
        "resource": entry.get("resource"),
        "device_memory_gib": device_gib,
        "usable_gib_per_device": _gib(usable),
        "devices_per_node": per_node,
        "fits": False,
        "tensor_parallel_size": None,
        "devices": None,
        "weights_gib_per_device": None,
        "kv_cache_gib_per_device": None,
        "overhead_gib_per_device": _gib(overhead),
        "activation_gib_per_device": _gib(overhead - overhead_gib * GIB),
        "max_num_batched_tokens": max_num_batched_tokens,
        "required_gib_per_device": None,
        "headroom_gib_per_device": None,
        "max_concurrency": None,
        "reason": None,
    }
    skipped = []
    last = None
    for tp in _pow2_upto(per_node):
        if dims["attention_heads"] % tp:
            skipped.append(tp)
            continue
        per_token = kv_bytes_per_token(dims, kv_bytes, tp)
        weights_dev = weights / float(tp)
        kv_dev = per_token * tokens
        overhead = overhead_at(tp)
        need = weights_dev + kv_dev + overhead
        last = (tp, weights_dev, kv_dev, need, overhead)
        if need <= usable:
            left = usable - weights_dev - overhead
            result.update(
                overhead_gib_per_device=_gib(overhead), activation_gib_per_device=_gib(overhead - overhead_gib * GIB),
                fits=True, tensor_parallel_size=tp, devices=tp,
                weights_gib_per_device=_gib(weights_dev), kv_cache_gib_per_device=_gib(kv_dev),
                required_gib_per_device=_gib(need), headroom_gib_per_device=_gib(usable - need),
                max_concurrency=int(left // (per_token * max_model_len)) if per_token else None,
            )
            result["reason"] = ("fits with tensor parallel %d: %.2f GiB per device needed of %.2f GiB usable "
                                "(%.0f%% of %.0f GiB)" % (tp, need / GIB, usable / GIB, memory_utilization * 100,
                                                          device_gib))
            if skipped:
                result["reason"] += "; TP %s skipped (num_attention_heads %d not divisible)" % (
                    ", ".join(str(s) for s in skipped), dims["attention_heads"])
            return result
    # Does not fit on one node: say how many devices it would take, ignoring the node limit.
    needed = None
    tp = per_node * 2
    while tp <= 4096:
        per_token = kv_bytes_per_token(dims, kv_bytes, tp)
        if weights / float(tp) + per_token * tokens + overhead_at(tp) <= usable:
            needed = tp
            break
        tp *= 2
    if last is None:
        result["reason"] = ("no tensor-parallel size up to %d divides num_attention_heads %d"
                            % (per_node, dims["attention_heads"]))
        return result
    tp, weights_dev, kv_dev, need, overhead = last
    result.update(overhead_gib_per_device=_gib(overhead), activation_gib_per_device=_gib(overhead - overhead_gib * GIB),
                  weights_gib_per_device=_gib(weights_dev), kv_cache_gib_per_device=_gib(kv_dev),
                  required_gib_per_device=_gib(need), headroom_gib_per_device=_gib(usable - need))
    if weights_dev + overhead > usable:
        why = "the weights alone (%.2f GiB per device at TP %d) exceed %.2f GiB usable" % (
            weights_dev / GIB, tp, usable / GIB)
    else:
        why = ("weights %.2f GiB + KV cache %.2f GiB (max_model_len %d x concurrency %d) per device at TP %d exceed "
               "%.2f GiB usable; lower max_model_len or concurrency" % (weights_dev / GIB, kv_dev / GIB,
                                                                        max_model_len, concurrency, tp, usable / GIB))
    result["reason"] = "does not fit on one node (%d x %s): %s%s" % (
        per_node, entry.get("device"), why,
        "; would need about %d devices (pipeline parallel across nodes)" % needed if needed else "")
    return result


def platform_table(device_memory_gib=None, devices_per_node=None, host_memory_gib=DEFAULT_HOST_MEMORY_GIB):
    """The platform table with overrides applied ({platform: GiB}, {platform: count})."""
    table = dict((name, dict(entry)) for name, entry in PLATFORMS.items())
    table["xeon"]["device_memory_gib"] = host_memory_gib
    for field, overrides, key, kind in (("device_memory_gib", device_memory_gib, "device_memory_gib", float),
                                        ("devices_per_node", devices_per_node, "devices_per_node", int)):
        for name, value in (overrides or {}).items():
            if name not in table:
                raise SizingError("%s: unknown platform %r; known platforms: %s" % (
                    field, name, ", ".join(sorted(table))))
            try:
                number = kind(value)
            except (TypeError, ValueError):
                number = None
            if isinstance(value, bool) or number is None or number <= 0 or (kind is int and number != value):
                raise SizingError("%s.%s: %r must be a positive %s" % (
                    field, name, value, "integer" if kind is int else "number"))
            table[name][key] = number
    return table


def size_model(config, parameters=None, dtype=None, kv_cache_dtype=None, max_model_len=None, concurrency=1,
               platforms=None, memory_utilization=0.9, runtime_overhead_gib=1.0, device_memory_gib=None,
               devices_per_node=None, host_memory_gib=DEFAULT_HOST_MEMORY_GIB, parameters_source=None,
               max_num_batched_tokens=DEFAULT_MAX_NUM_BATCHED_TOKENS):
    """The whole answer: model numbers, weight and KV memory, and per platform TP/devices."""
    if (isinstance(max_num_batched_tokens, bool) or not isinstance(max_num_batched_tokens, int)
            or max_num_batched_tokens < 1):
        raise SizingError("max_num_batched_tokens: %r must be an integer >= 1 (vLLM's --max-num-batched-tokens, "
                          "tokens of one prefill batch)" % (max_num_batched_tokens,))
    if not 0 < memory_utilization <= 1:
        raise SizingError("memory_utilization: %r must be greater than 0 and at most 1 (vLLM's "
                          "--gpu-memory-utilization, default 0.9)" % (memory_utilization,))
    if runtime_overhead_gib < 0:
        raise SizingError("runtime_overhead_gib: %r must not be negative" % (runtime_overhead_gib,))
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise SizingError("concurrency: %r must be an integer >= 1 (sequences of max_model_len served at once)"
                          % (concurrency,))
    if host_memory_gib is None or host_memory_gib <= 0:
        raise SizingError("host_memory_gib: %r must be a positive number of GiB" % (host_memory_gib,))
    dims = model_dims(config)
    if max_model_len is None:
        max_model_len = dims["max_position_embeddings"]
        if max_model_len is None:
            raise SizingError("max_model_len: not given and config has no max_position_embeddings; give max_model_len")
        max_len_source = "config.max_position_embeddings"
    else:
        max_len_source = "option"
    if isinstance(max_model_len, bool) or not isinstance(max_model_len, int) or max_model_len < 1:
        raise SizingError("max_model_len: %r must be an integer >= 1 (tokens)" % (max_model_len,))
    table = platform_table(device_memory_gib, devices_per_node, host_memory_gib)
    names = list(platforms) if platforms else list(table)
    for name in names:
        if name not in table:
            raise SizingError("platforms: %r is not a known platform; known: %s" % (name, ", ".join(sorted(table))))

    if parameters is None:
        params = estimate_parameters(config)
        parameters_source = "estimated from config"
    else:
        params = parse_parameters(parameters)
        parameters_source = parameters_source or "option"
    bpp, weight_dtype = weight_bytes_per_param(dims, dtype)
    if kv_cache_dtype in (None, "auto"):
        # vLLM's "auto": the model's activation dtype (a quantised checkpoint still computes in 16 bit).
        float_types = ("float32", "float16", "bfloat16")
        if dtype and weight_dtype in float_types:
            kv_name = weight_dtype
        elif dims.get("dtype") in float_types:
            kv_name = dims["dtype"]
        else:
            kv_name = "bfloat16"
    else:
        kv_name = canonical_dtype(kv_cache_dtype, "kv_cache_dtype")
    kv_bytes = DTYPE_BYTES[kv_name]
    weights = params * bpp
    per_token_total = kv_bytes_per_token(dims, kv_bytes, 1)
    kv_total = per_token_total * max_model_len * concurrency

    act_bytes = 4.0 if weight_dtype == "float32" else 2.0
    results = [size_platform(name, table[name], dims, weights, kv_bytes, max_model_len, concurrency,
                             memory_utilization, runtime_overhead_gib, max_num_batched_tokens, act_bytes)
               for name in names]
    activation_total = activation_bytes(dims, max_num_batched_tokens, kv_bytes, 1, act_bytes)
    for item in results:
        if item["platform"] == "xeon" or item["resource"] == "cpu":
            item["vllm_cpu_kvcache_space_gib"] = int(math.ceil(kv_total / float(GIB)))
            item["memory_request_gib"] = int(math.ceil((weights + kv_total + activation_total) / float(GIB)
                                                       + runtime_overhead_gib))
    return {
        "model": {
            "model_type": dims["model_type"],
            "architectures": dims["architectures"],
            "parameters": params,
            "parameters_source": parameters_source,
            "dtype": weight_dtype,
            "bytes_per_parameter": bpp,
            "kv_cache_dtype": kv_name,
            "layers": dims["layers"],
            "hidden_size": dims["hidden_size"],
            "attention_heads": dims["attention_heads"],
            "kv_heads": dims["kv_heads"],
            "head_dim": dims["head_dim"],
            "mla_kv_lora_rank": dims["kv_lora_rank"],
            "quantization": dims["quantization"],
        },
        "max_model_len": max_model_len,
        "max_model_len_source": max_len_source,
        "concurrency": concurrency,
        "memory_utilization": memory_utilization,
        "max_num_batched_tokens": max_num_batched_tokens,
        "weights_bytes": int(weights),
        "weights_gib": _gib(weights),
        "kv_cache_bytes_per_token": per_token_total,
        "kv_cache_bytes": int(kv_total),
        "kv_cache_gib": _gib(kv_total),
        "total_gib": _gib(weights + kv_total),
        "platforms": results,
        "fits_any": any(r["fits"] for r in results),
    }
