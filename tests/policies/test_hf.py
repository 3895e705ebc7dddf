"""The hf policy with a real tiny transformer: exact ids and log-probs, batching, stops."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from agentrl.errors import UserError
from agentrl.policies import PolicyInput, SamplingParams, make_policy
from agentrl.policies.hf import HFPolicy, chat_ids, sequence_logprobs


def _inputs(n: int) -> list[PolicyInput]:
    return [PolicyInput(messages=[{"role": "system", "content": "Play."},
                                  {"role": "user", "content": "guess 32 " * (k + 1)}])
            for k in range(n)]


@pytest.mark.parametrize("temperature", [1.0, 0.6, 0.0])
def test_recorded_logprobs_equal_teacher_forced_logprobs(tiny_model: Any, tiny_tokenizer: Any,
                                                         temperature: float) -> None:
    policy = HFPolicy(tiny_model, tiny_tokenizer, device="cpu")
    gens = policy.act(_inputs(3), SamplingParams(temperature=temperature, max_new_tokens=10,
                                                 seed=3))
    assert [len(g.response_ids) for g in gens] == [len(g.logprobs) for g in gens]
    ref = sequence_logprobs(tiny_model, [g.prompt_ids for g in gens],
                            [g.response_ids for g in gens], temperature=temperature,
                            pad_id=policy.pad_id)
    for g, r in zip(gens, ref, strict=True):
        assert g.logprobs == pytest.approx(r, abs=1e-4)
    # prompts are the tokenizer's own chat template, and the text decodes from the ids
    for g, item in zip(gens, _inputs(3), strict=True):
        assert g.prompt_ids == chat_ids(tiny_tokenizer, item.messages)
        ids = [t for t in g.response_ids if t not in policy.eos_ids]
        assert g.text == tiny_tokenizer.decode(ids, skip_special_tokens=True)


def test_greedy_batched_equals_one_by_one(tiny_model: Any, tiny_tokenizer: Any) -> None:
    policy = HFPolicy(tiny_model, tiny_tokenizer, device="cpu")
    greedy = SamplingParams(temperature=0.0, max_new_tokens=8)
    batched = policy.act(_inputs(3), greedy)
    alone = [policy.act([item], greedy)[0] for item in _inputs(3)]
    assert [g.response_ids for g in batched] == [g.response_ids for g in alone]
    for a, b in zip(batched, alone, strict=True):
        assert a.logprobs == pytest.approx(b.logprobs, abs=1e-4)


def test_same_seed_repeats_and_entropies_are_recorded(tiny_model: Any,
                                                      tiny_tokenizer: Any) -> None:
    a = HFPolicy(tiny_model, tiny_tokenizer, device="cpu").act(
        _inputs(2), SamplingParams(max_new_tokens=6, seed=11))
    b = HFPolicy(tiny_model, tiny_tokenizer, device="cpu").act(
        _inputs(2), SamplingParams(max_new_tokens=6, seed=11))
    assert [g.response_ids for g in a] == [g.response_ids for g in b]
    vocab = len(tiny_tokenizer)
    import math

    for g in a:
        assert all(0.0 <= e <= math.log(vocab) + 1e-4 for e in g.entropies)


class _NoLogitsToKeep(torch.nn.Module):
    """A causal LM whose forward does not take ``logits_to_keep`` (an older or custom model)."""

    def __init__(self, model: Any) -> None:
        super().__init__()
        self.inner = model
        self.config = model.config
        self.generation_config = model.generation_config

    def forward(self, input_ids: Any, attention_mask: Any = None, position_ids: Any = None,
                past_key_values: Any = None, use_cache: bool = False) -> Any:
        return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                          position_ids=position_ids, past_key_values=past_key_values,
                          use_cache=use_cache)


def test_prefill_projects_only_the_last_position(tiny_model: Any, tiny_tokenizer: Any) -> None:
    rows: list[int] = []
    hook = tiny_model.get_output_embeddings().register_forward_hook(
        lambda _m, args, _out: rows.append(args[0].shape[1]))
    try:
        sampling = SamplingParams(max_new_tokens=6, seed=5)
        fast = HFPolicy(tiny_model, tiny_tokenizer, device="cpu").act(_inputs(3), sampling)
        assert rows and set(rows) == {1}  # prefill and every decoding step: one position
        rows.clear()
        full = HFPolicy(_NoLogitsToKeep(tiny_model), tiny_tokenizer,
                        device="cpu").act(_inputs(3), sampling)
    finally:
        hook.remove()
    assert max(rows) > 1  # without the argument the whole prompt goes through the projection
    assert [g.response_ids for g in fast] == [g.response_ids for g in full]
    for a, b in zip(fast, full, strict=True):
        assert a.logprobs == pytest.approx(b.logprobs, abs=1e-5)


def test_stop_strings_and_max_tokens(tiny_model: Any, tiny_tokenizer: Any) -> None:
    policy = HFPolicy(tiny_model, tiny_tokenizer, device="cpu")
    free = policy.act(_inputs(1), SamplingParams(temperature=0.0, max_new_tokens=12))[0]
    assert len(free.response_ids) <= 12
    stop_at = free.text[2:4]  # some text the greedy continuation is known to produce
    if stop_at.strip():
        cut = policy.act(_inputs(1), SamplingParams(temperature=0.0, max_new_tokens=12,
                                                    stop=[stop_at]))[0]
        assert cut.text.endswith(stop_at) and len(cut.response_ids) <= len(free.response_ids)


def test_checkpoint_round_trip_through_make_policy(tmp_path: Path, tiny_model: Any,
                                                  tiny_tokenizer: Any) -> None:
    tiny_model.save_pretrained(tmp_path)
    tiny_tokenizer.save_pretrained(tmp_path)
    policy = make_policy(f"hf:{tmp_path}", device="cpu")
    greedy = SamplingParams(temperature=0.0, max_new_tokens=5)
    loaded = policy.act(_inputs(1), greedy)[0]
    direct = HFPolicy(tiny_model, tiny_tokenizer, device="cpu").act(_inputs(1), greedy)[0]
    assert loaded.response_ids == direct.response_ids


def test_bad_policy_specs_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="unknown policy 'gpt:x'"):
        make_policy("gpt:x")
    with pytest.raises(UserError, match="the hf policy needs a model"):
        make_policy("hf")
    with pytest.raises(UserError, match=r"no checkpoint at .*missing"):
        make_policy(f"hf:{tmp_path / 'missing'}", device="cpu")
