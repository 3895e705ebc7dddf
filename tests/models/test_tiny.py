"""The tiny preset: a tokenizer trained on environment text, a real Qwen2 model, and plain
transformers round trips."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transformers import AutoModelForCausalLM, AutoTokenizer

from agentrl.policies.hf import chat_ids

TEXTS = ["You arrive at countertop 1.", "go to desk 12", "ünïcode 🙂", "'s 're\n\n  x"]


def test_checkpoint_reloads_with_auto_classes_into_identical_ids(
        tmp_path: Path, tiny_model: Any, tiny_tokenizer: Any) -> None:
    tiny_model.save_pretrained(tmp_path)
    tiny_tokenizer.save_pretrained(tmp_path)
    tok = AutoTokenizer.from_pretrained(tmp_path)
    model = AutoModelForCausalLM.from_pretrained(tmp_path)
    for text in TEXTS:
        messages = [{"role": "system", "content": "S"}, {"role": "user", "content": text}]
        assert chat_ids(tok, messages) == chat_ids(tiny_tokenizer, messages)
        assert tok.decode(tiny_tokenizer(text)["input_ids"]) == text  # byte level: lossless
    assert (tok.eos_token_id, tok.pad_token_id) == (tiny_tokenizer.eos_token_id,
                                                    tiny_tokenizer.pad_token_id)
    assert model.config.model_type == "qwen2"
    assert sum(p.numel() for p in model.parameters()) == sum(
        p.numel() for p in tiny_model.parameters())


def test_tools_are_rendered_into_the_system_turn(tiny_tokenizer: Any) -> None:
    tools = [{"type": "function", "function": {"name": "calculator", "parameters": {}}}]
    text = tiny_tokenizer.apply_chat_template(
        [{"role": "system", "content": "S"}, {"role": "user", "content": "2+2?"}], tools=tools,
        tokenize=False, add_generation_prompt=True)
    assert text == ('<|im_start|>system\nS\nTools:\n{"type": "function", "function": '
                    '{"name": "calculator", "parameters": {}}}<|im_end|>\n'
                    "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n")


def test_preset_sets_initial_scale_and_rope_base(tmp_path: Path, tiny_tokenizer: Any) -> None:
    """``initializer_range`` and ``rope_theta`` of a preset reach the model and its saved
    config (a larger initial scale makes the randomly initialised weights larger)."""
    from agentrl.models import build_tiny_model

    small = build_tiny_model(tiny_tokenizer, hidden_size=32, num_heads=4, num_kv_heads=2)
    large = build_tiny_model(tiny_tokenizer, hidden_size=32, num_heads=4, num_kv_heads=2,
                             initializer_range=0.1, rope_theta=1e6)
    q_small = small.model.layers[0].self_attn.q_proj.weight.std().item()
    q_large = large.model.layers[0].self_attn.q_proj.weight.std().item()
    assert abs(q_small - 0.02) < 0.005 and abs(q_large - 0.1) < 0.02
    large.save_pretrained(tmp_path)
    config = AutoModelForCausalLM.from_pretrained(tmp_path).config
    assert config.initializer_range == 0.1
    assert config.rope_parameters["rope_theta"] == 1e6
