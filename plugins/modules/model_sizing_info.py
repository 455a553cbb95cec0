#!/usr/bin/python
# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r"""
---
module: model_sizing_info
short_description: Memory, tensor-parallel size and devices an LLM needs per platform
version_added: "0.1.0"
description:
  - Reads a model's C(config.json) (from the Hugging Face Hub through C(huggingface_hub), or given inline in
    O(config)) and works out the parameter count, dtype, layers and KV heads.
  - Computes the weight memory (parameters x bytes per parameter) and the KV-cache memory
    (2 x layers x KV heads x head dim x bytes x O(max_model_len) x O(concurrency)).
  - For each platform (one table - V(nvidia) H100 80 GiB, V(gaudi) Gaudi 2 96 GiB, V(gaudi3) Gaudi 3 128 GiB,
    V(xeon) host memory O(host_memory_gib)), returns the smallest power-of-two tensor-parallel size whose
    per-device share fits in the device memory x O(memory_utilization), no larger than the devices of one node
    and dividing the number of attention heads, and the devices needed.
  - The parameter count comes from O(parameters), else from the safetensors metadata the Hub reports, else it is
    estimated from the architecture (exact for Llama, Mistral, Mixtral and Qwen families).
  - Read-only; supports check mode. Downloading C(config.json) stores it in the Hugging Face cache of the
    controller (E(HF_HOME)), so that offline runs can use it later.
author:
  - llmops.kserve contributors (@llmops)
extends_documentation_fragment:
  - llmops.kserve.hf_hub
options:
  model:
    description:
      - Hub repo id, V(org/name) or V(org/name@revision). Required unless O(config) is given.
    type: str
  revision:
    description: Branch, tag or commit of O(model) (instead of the C(@revision) suffix).
    type: str
  config:
    description:
      - The model's C(config.json) as a dict. When given, the Hub is not contacted.
    type: dict
  parameters:
    description:
      - Parameter count, as a number or with a suffix (V(8B), V(70.6B), V(494M)). Overrides the Hub and the estimate.
    type: raw
  dtype:
    description:
      - Weight dtype. V(auto) takes the quantisation of the checkpoint (bits / 8), else C(torch_dtype) of the
        config, else bfloat16.
    type: str
    default: auto
    choices: [auto, float32, float16, bfloat16, fp8, int8, int4]
  kv_cache_dtype:
    description:
      - KV-cache dtype. V(auto) uses the model's 16-bit compute dtype (vLLM's default).
    type: str
    default: auto
    choices: [auto, float32, float16, bfloat16, fp8]
  max_model_len:
    description:
      - Tokens per sequence the KV cache is sized for. Default - C(max_position_embeddings) of the config
        (what vLLM uses when C(--max-model-len) is not set).
    type: int
  concurrency:
    description: Sequences of O(max_model_len) tokens served at once (vLLM C(--max-num-seqs) at full length).
    type: int
    default: 1
  platforms:
    description:
      - Platforms to size for, names from the platform catalog C(module_utils/catalog.py) (V(xeon), V(gaudi),
        V(gaudi3), V(nvidia)); adding a platform is one entry there.
    type: list
    elements: str
    default: [xeon, gaudi, gaudi3, nvidia]  # catalog: platform_names
  memory_utilization:
    description:
      - Share of each device's memory the server may use (vLLM C(--gpu-memory-utilization)); the rest is headroom.
    type: float
    default: 0.9
  runtime_overhead_gib:
    description:
      - Fixed GiB per device for CUDA/HPU graphs and the runtime, on top of weights, KV cache and the activation
        peak (which follows O(max_num_batched_tokens) and the model's width; returned as activation_gib_per_device).
    type: float
    default: 1.0
  max_num_batched_tokens:
    description:
      - Tokens of one prefill batch (vLLM C(--max-num-batched-tokens)); vLLM profiles its activation peak with a
        batch of this size, so the per-device overhead grows with it (about 1 GiB per 4096 tokens for an 8B Llama,
        fitted to peaks measured on an H200). The kserve-model chart passes the same value to vLLM
        (C(model.maxNumBatchedTokens), default 8192, vLLM's own default on H100/H200).
    type: int
    default: 8192
  device_memory_gib:
    description:
      - 'Override the device memory of platforms, for example V({"nvidia": 141}) for H200.'
    type: dict
    default: {}
  devices_per_node:
    description:
      - Override the devices per node of platforms (default 8 for nvidia, gaudi and gaudi3; 1 for xeon).
    type: dict
    default: {}
  host_memory_gib:
    description:
      - Memory of a Xeon host available to the model server (the V(xeon) platform's "device").
    type: float
    default: 384.0
attributes:
  check_mode:
    support: full
    description: The module only reads.
notes:
  - Quantised checkpoints are sized at their bits per weight for all parameters; embeddings kept in 16 bit make
    the real size slightly larger.
  - Sliding-window attention and prefix caching are not taken into account (the KV estimate is an upper bound).
seealso:
  - module: llmops.kserve.hf_token_info
  - module: llmops.kserve.accelerator_capacity_info
"""

EXAMPLES = r"""
- name: Size Llama 3.1 8B for 8k tokens x 16 sequences on every platform
  llmops.kserve.model_sizing_info:
    model: meta-llama/Llama-3.1-8B-Instruct
    max_model_len: 8192
    concurrency: 16
  register: sizing

- name: Show the tensor-parallel size per platform
  ansible.builtin.debug:
    msg: "{{ sizing.platforms | items2dict(key_name='platform', value_name='tensor_parallel_size') }}"

- name: Size from an inline config (no Hub), H200 instead of H100
  llmops.kserve.model_sizing_info:
    config:
      model_type: llama
      hidden_size: 8192
      intermediate_size: 28672
      num_hidden_layers: 80
      num_attention_heads: 64
      num_key_value_heads: 8
      vocab_size: 128256
      max_position_embeddings: 131072
      torch_dtype: bfloat16
    max_model_len: 32768
    concurrency: 4
    platforms: [nvidia, gaudi3]
    device_memory_gib:
      nvidia: 141
"""

RETURN = r"""
model:
  description: What was read or derived about the model.
  returned: always
  type: dict
  contains:
    repo_id:
      description: Hub repo id, null for an inline config.
      type: str
      sample: meta-llama/Llama-3.1-8B-Instruct
    revision:
      description: Revision asked for.
      type: str
      sample: null
    config_source:
      description: V(inline), V(hub) or V(cache) (offline, from the Hugging Face cache).
      type: str
      sample: hub
    model_type:
      description: C(model_type) of the config.
      type: str
      sample: llama
    architectures:
      description: C(architectures) of the config.
      type: list
      elements: str
      sample: [LlamaForCausalLM]
    parameters:
      description: Parameter count used.
      type: int
      sample: 8030261248
    parameters_source:
      description: V(option), V(hub safetensors metadata) or V(estimated from config).
      type: str
      sample: hub safetensors metadata
    dtype:
      description: Weight dtype used.
      type: str
      sample: bfloat16
    bytes_per_parameter:
      description: Bytes per weight.
      type: float
      sample: 2.0
    kv_cache_dtype:
      description: KV-cache dtype used.
      type: str
      sample: bfloat16
    layers:
      description: Hidden layers.
      type: int
      sample: 32
    hidden_size:
      description: Hidden size.
      type: int
      sample: 4096
    attention_heads:
      description: Attention (query) heads.
      type: int
      sample: 32
    kv_heads:
      description: Key/value heads (GQA).
      type: int
      sample: 8
    head_dim:
      description: Dimension of one head.
      type: int
      sample: 128
    mla_kv_lora_rank:
      description: Latent KV rank of MLA models (DeepSeek), else null.
      type: int
      sample: null
    quantization:
      description: Quantisation method and bits found in the config, else null.
      type: dict
      sample: null
max_model_len:
  description: Tokens per sequence used.
  returned: always
  type: int
  sample: 8192
max_model_len_source:
  description: V(option) or V(config.max_position_embeddings).
  returned: always
  type: str
  sample: option
concurrency:
  description: Sequences at once used.
  returned: always
  type: int
  sample: 16
memory_utilization:
  description: Share of device memory used.
  returned: always
  type: float
  sample: 0.9
max_num_batched_tokens:
  description: Tokens of one prefill batch the activation peak was sized for (vLLM C(--max-num-batched-tokens)).
  returned: always
  type: int
  sample: 8192
weights_bytes:
  description: Weight memory in bytes.
  returned: always
  type: int
  sample: 16060522496
weights_gib:
  description: Weight memory in GiB.
  returned: always
  type: float
  sample: 14.96
kv_cache_bytes_per_token:
  description: KV-cache bytes per token (all layers, all KV heads).
  returned: always
  type: int
  sample: 131072
kv_cache_bytes:
  description: KV-cache bytes for max_model_len x concurrency.
  returned: always
  type: int
  sample: 17179869184
kv_cache_gib:
  description: KV-cache GiB for max_model_len x concurrency.
  returned: always
  type: float
  sample: 16.0
total_gib:
  description: Weights + KV cache, GiB.
  returned: always
  type: float
  sample: 30.96
fits_any:
  description: Whether the model fits on one node of at least one platform.
  returned: always
  type: bool
  sample: true
platforms:
  description: One entry per platform asked for.
  returned: always
  type: list
  elements: dict
  contains:
    platform:
      description: Platform name.
      type: str
      sample: nvidia
    device:
      description: Device the table assumes.
      type: str
      sample: NVIDIA H100 80GB
    resource:
      description: Kubernetes resource to request.
      type: str
      sample: nvidia.com/gpu
    device_memory_gib:
      description: Memory of one device (host memory for xeon).
      type: float
      sample: 80.0
    usable_gib_per_device:
      description: device_memory_gib x memory_utilization.
      type: float
      sample: 72.0
    devices_per_node:
      description: Devices of one node (the cap on tensor parallel).
      type: int
      sample: 8
    fits:
      description: Whether a tensor-parallel size within one node fits.
      type: bool
      sample: true
    tensor_parallel_size:
      description: Smallest fitting power of two (null when nothing fits).
      type: int
      sample: 1
    devices:
      description: Devices to request per replica.
      type: int
      sample: 1
    weights_gib_per_device:
      description: Weight share per device.
      type: float
      sample: 14.96
    kv_cache_gib_per_device:
      description: KV-cache share per device.
      type: float
      sample: 16.0
    overhead_gib_per_device:
      description: runtime_overhead_gib + activation_gib_per_device at this tensor-parallel size.
      type: float
      sample: 3.01
    activation_gib_per_device:
      description:
        - Activation peak of a prefill of max_num_batched_tokens tokens on one device (KV of those tokens plus
          the MLP's transient tensors), split by the tensor-parallel size.
      type: float
      sample: 2.01
    max_num_batched_tokens:
      description: The max_num_batched_tokens the overhead was computed for.
      type: int
      sample: 8192
    required_gib_per_device:
      description: Weights + KV cache + overhead per device.
      type: float
      sample: 31.96
    headroom_gib_per_device:
      description: Usable minus required (negative when it does not fit).
      type: float
      sample: 40.04
    max_concurrency:
      description: Sequences of max_model_len that fit in the memory left for KV cache at this TP size.
      type: int
      sample: 56
    vllm_cpu_kvcache_space_gib:
      description: For xeon, a value for E(VLLM_CPU_KVCACHE_SPACE) (GiB of KV cache).
      type: int
      sample: 16
    memory_request_gib:
      description: For xeon, memory to request for the model server pod (weights + KV cache + overhead).
      type: int
      sample: 33
    reason:
      description: The answer in plain words.
      type: str
      sample: "fits with tensor parallel 1: 31.96 GiB per device needed of 72.00 GiB usable (90% of 80 GiB)"
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.llmops.kserve.plugins.module_utils.hf import (
    HAS_HF,
    HF_IMPORT_ERROR,
    HubClient,
    HubInputError,
    env_offline,
    hub_argument_spec,
    normalize_endpoint,
    parse_model_ref,
)
from ansible_collections.llmops.kserve.plugins.module_utils.sizing import PLATFORMS, SizingError, size_model


def argument_spec():
    spec = hub_argument_spec()
    spec.update(
        model=dict(type="str"),
        revision=dict(type="str"),
        config=dict(type="dict"),
        parameters=dict(type="raw"),
        dtype=dict(type="str", default="auto", choices=["auto", "float32", "float16", "bfloat16", "fp8", "int8",
                                                        "int4"]),
        kv_cache_dtype=dict(type="str", default="auto", choices=["auto", "float32", "float16", "bfloat16", "fp8"]),
        max_model_len=dict(type="int"),
        concurrency=dict(type="int", default=1),
        platforms=dict(type="list", elements="str", default=list(PLATFORMS)),
        memory_utilization=dict(type="float", default=0.9),
        runtime_overhead_gib=dict(type="float", default=1.0),
        max_num_batched_tokens=dict(type="int", default=8192, no_log=False),  # tokens of a batch, not a secret
        device_memory_gib=dict(type="dict", default={}),
        devices_per_node=dict(type="dict", default={}),
        host_memory_gib=dict(type="float", default=384.0),
    )
    return spec


def _fetch(module, repo_id, revision):
    """(config, parameters or None, parameters_source, config_source) from the Hub or the HF cache."""
    params = module.params
    if not HAS_HF:
        module.fail_json(msg=missing_required_lib("huggingface_hub"), exception=HF_IMPORT_ERROR)
    offline = params["offline"] or env_offline()
    try:
        client = HubClient(endpoint=params["endpoint"], token=params["token"], timeout=params["timeout"],
                           retries=params["retries"], backoff=params["retry_backoff"])
    except HubInputError as exc:
        module.fail_json(msg=str(exc))
    try:
        config = client.fetch_config(repo_id, revision, local_files_only=offline)
    except Exception as exc:  # pylint: disable=broad-except
        if offline:
            module.fail_json(msg="offline mode is on and config.json of %s is not in the local Hugging Face cache; "
                                 "give the config inline (option config) or run once online" % repo_id)
        _state, reason = client.describe_error(exc, what="config.json download", repo_id=repo_id, revision=revision)
        module.fail_json(msg="could not read config.json of %s: %s" % (repo_id, reason))
    if not isinstance(config, dict):
        module.fail_json(msg="config.json of %s is not a JSON object" % repo_id)
    parameters = None
    if params["parameters"] is None and not offline:
        try:
            parameters = client.safetensors_parameters(repo_id, revision)
        except Exception:  # pylint: disable=broad-except
            parameters = None  # fall back to the estimate from the config
    return config, parameters, "hub safetensors metadata" if parameters else None, "cache" if offline else "hub"


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_one_of=[("model", "config")])
    params = module.params
    repo_id = revision = None
    try:
        normalize_endpoint(params["endpoint"])
        if params["model"]:
            repo_id, revision = parse_model_ref(params["model"], field="model")
            if params["revision"]:
                if revision and revision != params["revision"]:
                    module.fail_json(msg="model: revision %r in %r and option revision %r disagree; give one"
                                         % (revision, params["model"], params["revision"]))
                revision = params["revision"]
    except HubInputError as exc:
        module.fail_json(msg=str(exc))

    parameters = params["parameters"]
    parameters_source = "option" if parameters is not None else None
    if params["config"] is not None:
        config, config_source = params["config"], "inline"
    else:
        config, hub_parameters, hub_source, config_source = _fetch(module, repo_id, revision)
        if parameters is None and hub_parameters:
            parameters, parameters_source = hub_parameters, hub_source

    try:
        result = size_model(
            config,
            parameters=parameters,
            parameters_source=parameters_source,
            dtype=None if params["dtype"] == "auto" else params["dtype"],
            kv_cache_dtype=params["kv_cache_dtype"],
            max_model_len=params["max_model_len"],
            concurrency=params["concurrency"],
            platforms=params["platforms"],
            memory_utilization=params["memory_utilization"],
            runtime_overhead_gib=params["runtime_overhead_gib"],
            max_num_batched_tokens=params["max_num_batched_tokens"],
            device_memory_gib=params["device_memory_gib"],
            devices_per_node=params["devices_per_node"],
            host_memory_gib=params["host_memory_gib"],
        )
    except SizingError as exc:
        module.fail_json(msg=str(exc))
    result["model"].update(repo_id=repo_id, revision=revision, config_source=config_source)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
