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
