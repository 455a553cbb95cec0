#!/usr/bin/env python
# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a tiny random-weight Llama that vLLM's CPU build can load and serve (test harness, not product).

    <serving venv>/bin/python hack/tiny_model.py [OUT_DIR] [--seed N]

Runs with the serving venv's Python (torch, transformers, tokenizers; see `hack/bootstrap.sh serving`).
Without OUT_DIR the model is cached in $LLMOPS_CACHE/models/tiny-llama-<key> (key = hash of this file,
the seed and the transformers version) and written only once; the directory is printed on the last line.

What it writes (a normal Hugging Face checkout: config.json, generation_config.json, model.safetensors,
tokenizer.json, tokenizer_config.json, chat template):
- LlamaForCausalLM, hidden 256, 2 layers, 4 heads of head_dim 64 (vLLM's CPU attention kernels refuse
  head_dim 16), 2 KV heads, bf16, random weights from `torch.manual_seed(seed)`: same seed, same bytes.
- A byte-level BPE tokenizer without merges: one token per byte (256) plus the special tokens, so every
  text encodes and every generated id decodes. The model answers gibberish; it exists so that a real
  server loads real files and answers a real chat completion.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

HIDDEN = 256
LAYERS = 2
HEADS = 4
KV_HEADS = 2
HEAD_DIM = HIDDEN // HEADS  # 64
INTERMEDIATE = 512
MAX_POSITIONS = 32768  # above every --max-model-len our values files set (cpu-tiny: 4096)
SPECIAL_TOKENS = ["<|begin_of_text|>", "<|end_of_text|>", "<|im_start|>", "<|im_end|>"]
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def build_tokenizer():
    """Byte-level BPE with the 256 byte symbols as its whole vocabulary (no merges, no training)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    byte_symbols = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {symbol: i for i, symbol in enumerate(byte_symbols)}
    for token in SPECIAL_TOKENS:
        vocab[token] = len(vocab)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(SPECIAL_TOKENS)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|begin_of_text|>",
        eos_token="<|im_end|>",
        pad_token="<|end_of_text|>",
        model_max_length=MAX_POSITIONS,
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def write_model(out: Path, seed: int) -> None:
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    tokenizer = build_tokenizer()
    vocab_size = len(tokenizer)
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=HIDDEN,
        intermediate_size=INTERMEDIATE,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        num_key_value_heads=KV_HEADS,
        head_dim=HEAD_DIM,
        max_position_embeddings=MAX_POSITIONS,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
        dtype="bfloat16",
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config).to(torch.bfloat16).eval()
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    model.save_pretrained(tmp, safe_serialization=True)
    GenerationConfig(
        bos_token_id=config.bos_token_id, eos_token_id=config.eos_token_id, pad_token_id=config.pad_token_id
    ).save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / ".complete").write_text(json.dumps({"seed": seed}) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


def cache_key(seed: int) -> str:
    import transformers

    h = hashlib.sha256(Path(__file__).read_bytes())
    h.update(f"seed={seed} transformers={transformers.__version__}".encode())
    return h.hexdigest()[:12]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("out", nargs="?", help="output directory (default: cached under $LLMOPS_CACHE/models)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.out:
        out = Path(args.out).resolve()
    else:
        cache = Path(os.environ.get("LLMOPS_CACHE", Path.home() / ".cache" / "llmops-kserve"))
        out = cache / "models" / f"tiny-llama-{cache_key(args.seed)}"
        if (out / ".complete").is_file():
            print(out)
            return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    write_model(out, args.seed)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
