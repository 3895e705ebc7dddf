"""The local trainer end to end on CPU: SFT, PPO iterations, checkpoints, exact resume."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import torch

import agentrl
from agentrl.config import load_config
from agentrl.errors import UserError
from agentrl.trainer import LocalTrainer
from agentrl.trainer.losses import (
    aggregate,
    kl_penalty,
    ppo_clip_loss,
    scale_negative_advantages,
)

CONFIG = """
seed: 3
env:
  id: test/Walk-v0
model:
  preset: {preset}
rollout:
  group_size: 4
  groups_per_batch: 3
  history_window: 1
policy:
  max_new_tokens: 3
credit:
  estimator: {{name: {estimator}}}
trainer:
  iterations: {iterations}
  minibatch_size: 16
  checkpoint_every: 1
  keep_checkpoints: 3
  kl_coef: 0.01
  sft:
    enabled: true
    episodes: 12
    epochs: 2
    batch_size: 16
eval:
  episodes: 2
  every: 0
  final: {final}
output:
  dir: {out}
"""


@pytest.fixture(autouse=True)
def _walk() -> None:
    agentrl.register(id="test/Walk-v0", entry_point="tests.envs.toy_envs:Walk", max_turns=6)


def _config(tmp_path: Path, name: str, iterations: int, estimator: str = "grpo",
            final: bool = True) -> Any:
    preset = tmp_path / "micro.json"
    preset.write_text(json.dumps({"vocab_size": 300, "hidden_size": 32, "num_layers": 1,
                                  "num_heads": 2, "num_kv_heads": 1, "intermediate_size": 64}))
    path = tmp_path / f"{name}.yaml"
    path.write_text(CONFIG.format(preset=preset, iterations=iterations, estimator=estimator,
                                  out=tmp_path / name, final=str(final).lower()))
    return load_config(path)


def _params(path: Path) -> dict[str, torch.Tensor]:
    from transformers import AutoModelForCausalLM

    return dict(AutoModelForCausalLM.from_pretrained(path).state_dict())


def test_smoke_training_checkpoints_and_exact_resume(tmp_path: Path) -> None:
    full = LocalTrainer(_config(tmp_path, "full", 2), progress=False, log=lambda *_: None)
    results = full.fit()
    run = tmp_path / "full"
    metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    rl = [m for m in metrics if "iteration" in m]
    assert [m["iteration"] for m in rl] == [0, 1]
    for m in rl:
        for key in ("pg_loss", "entropy", "grad_norm", "kl", "clipfrac"):
            assert torch.isfinite(torch.tensor(m[key])), key
        assert m["samples"] > 0 and m["episodes"] == 12.0
        # the rollout sampled from the model the update starts from (float rounding only)
        assert m["rollout_logprob_gap_max"] < 1e-4
    assert {"sft/test/greedy", "final/test/sampled"} <= set(results)
    row = results["final/test/sampled"]
    assert row["tasks"] == 2 and row["samples"] == 1
    assert row["ci95"][0] <= row["success"] <= row["ci95"][1]
    # checkpoints load with plain transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    ckpt = run / "checkpoints" / "iter_000001"
    assert (run / "checkpoints" / "latest").read_text() == "iter_000001"
    AutoModelForCausalLM.from_pretrained(ckpt)
    assert AutoTokenizer.from_pretrained(ckpt).chat_template
    assert (run / "config.yaml").exists() and (run / "versions.json").exists()
    assert list((run / "tensorboard").iterdir())

    # stop after iteration 0, resume, and land on the same parameters as the full run
    LocalTrainer(_config(tmp_path, "part", 1, final=False), progress=False,
                 log=lambda *_: None).fit()
    resumed_cfg = _config(tmp_path, "part", 2, final=False)
    LocalTrainer(resumed_cfg, resume=True, progress=False, log=lambda *_: None).fit()
    a, b = _params(ckpt), _params(tmp_path / "part" / "checkpoints" / "iter_000001")
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_gae_uses_a_value_head(tmp_path: Path) -> None:
    trainer = LocalTrainer(_config(tmp_path, "gae", 1, estimator="gae", final=False),
                           progress=False,
                           log=lambda *_: None)
    assert trainer.actor.value_head is not None
    episodes = trainer.rollout(0)
    trainer.assign_credit(episodes)
    assert all("value" in s.extra for e in episodes for s in e.steps)
    stats = trainer.update(episodes, 0)
    assert stats["value_loss"] >= 0.0


def test_ppo_loss_numbers() -> None:
    logp = torch.log(torch.tensor([[0.5, 0.5], [0.2, 0.9]]))
    old = torch.log(torch.tensor([[0.25, 0.5], [0.2, 0.3]]))
    adv = torch.tensor([1.0, -1.0])
    loss, clipped = ppo_clip_loss(logp, old, adv, clip=0.2)
    # ratios: [2, 1], [1, 3]; A=+1 clips 2 -> 1.2; A=-1 keeps the larger loss 3
    assert loss.flatten().tolist() == pytest.approx([-1.2, -1.0, 1.0, 3.0])
    assert clipped.tolist() == [[1.0, 0.0], [0.0, 0.0]]
    # dual clip at 2.5: the A=-1 token with ratio 3 is capped at 2.5; the others are unchanged
    dual, dual_clipped = ppo_clip_loss(logp, old, adv, clip=0.2, clip_c=2.5)
    assert dual.flatten().tolist() == pytest.approx([-1.2, -1.0, 1.0, 2.5])
    assert dual_clipped.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    # the cap stops the gradient through the capped ratio
    logp_var = logp.clone().requires_grad_(True)
    ppo_clip_loss(logp_var, old, adv, clip=0.2, clip_c=2.5)[0].sum().backward()
    assert logp_var.grad is not None and float(logp_var.grad[1, 1]) == 0.0
    mask = torch.tensor([[1.0, 1.0], [1.0, 0.0]])
    assert float(aggregate(loss, mask, "token-mean")) == pytest.approx((-1.2 - 1.0 + 1.0) / 3)
    assert float(aggregate(loss, mask, "seq-mean-token-mean")) == pytest.approx(
        ((-1.2 - 1.0) / 2 + 1.0) / 2)
    w = torch.tensor([0.5, 1.0])
    assert float(aggregate(loss, mask, "episode-mean", w)) == pytest.approx(
        (0.5 * -1.1 + 1.0 * 1.0) / 1.5)
    ref = torch.log(torch.tensor([[0.5, 0.25], [0.2, 0.9]]))
    k3 = kl_penalty(logp, ref, "low_var_kl")
    assert float(k3[0, 0]) == pytest.approx(0.0) and float(k3.min()) >= 0.0
    assert float(kl_penalty(logp, ref, "k1")[0, 1]) == pytest.approx(0.6931471805599453)


def test_negative_advantage_weight_scales_only_the_negative_part() -> None:
    """``trainer.negative_advantage_weight``: negative advantages are scaled, positive and zero
    ones kept; at 0 a below-average action gets no gradient at all, at 1 nothing changes."""
    adv = torch.tensor([1.5, -2.0, 0.0, -0.5])
    assert scale_negative_advantages(adv, 1.0) is adv
    assert scale_negative_advantages(adv, 0.25).tolist() == pytest.approx([1.5, -0.5, 0.0, -0.125])
    assert scale_negative_advantages(adv, 0.0).tolist() == pytest.approx([1.5, 0.0, 0.0, 0.0])
    logp = torch.log(torch.tensor([[0.5], [0.4], [0.3], [0.2]])).requires_grad_(True)
    old = logp.detach().clone()
    loss, _ = ppo_clip_loss(logp, old, scale_negative_advantages(adv, 0.0), clip=0.2)
    loss.sum().backward()
    assert logp.grad is not None
    assert logp.grad.flatten().tolist() == pytest.approx([-1.5, 0.0, 0.0, 0.0])


def test_lora_trains_adapters_only_and_resumes_exactly(tmp_path: Path) -> None:
    """model.lora: base weights stay frozen, checkpoints hold the merged model (plain
    transformers loads it) plus the adapter, and --resume puts the adapter back exactly."""
    lora = ["model.lora.r=4", "model.lora.alpha=8"]

    def cfg(name: str, iterations: int) -> Any:
        _config(tmp_path, name, iterations, final=False)  # writes NAME.yaml
        return load_config(tmp_path / f"{name}.yaml", lora)

    full = LocalTrainer(cfg("lora", 2), progress=False, log=lambda *_: None)
    trainable = {n for n, p in full.actor.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n for n in trainable)
    frozen_before = {n: p.detach().clone() for n, p in full.model.named_parameters()
                     if "base_layer" in n}
    full.fit()
    for n, p in full.model.named_parameters():
        if n in frozen_before:
            assert torch.equal(p, frozen_before[n]), n
    ckpt = tmp_path / "lora" / "checkpoints" / "iter_000001"
    assert (ckpt / "adapter" / "adapter_config.json").exists()
    merged = _params(ckpt)
    assert not any("lora" in k for k in merged)
    sft = _params(tmp_path / "lora" / "sft")
    changed = [k for k in merged if not torch.equal(merged[k], sft[k])]
    assert changed, "the merged checkpoint must differ from the base weights"

    LocalTrainer(cfg("lora_part", 1), progress=False, log=lambda *_: None).fit()
    LocalTrainer(cfg("lora_part", 2), resume=True, progress=False, log=lambda *_: None).fit()
    resumed = _params(tmp_path / "lora_part" / "checkpoints" / "iter_000001")
    for key in merged:
        assert torch.equal(merged[key], resumed[key]), key


def test_bf16_autocast_runs_rollout_and_update(tmp_path: Path) -> None:
    """model.dtype=bfloat16: float32 master weights, forward passes under bf16 autocast (the
    GPU default; CPU autocast exercises the same code path here)."""
    _config(tmp_path, "bf16", 1, final=False)
    cfg = load_config(tmp_path / "bf16.yaml", ["model.dtype=bfloat16"])
    trainer = LocalTrainer(cfg, progress=False, log=lambda *_: None)
    assert trainer.amp_dtype == torch.bfloat16
    episodes = trainer.rollout(0)
    trainer.assign_credit(episodes)
    stats = trainer.update(episodes, 0)
    assert torch.isfinite(torch.tensor(stats["pg_loss"])) and stats["samples"] > 0
    assert all(p.dtype == torch.float32 for p in trainer.model.parameters())


def test_constrained_rollout_logprobs_are_what_the_trainer_recomputes(tmp_path: Path) -> None:
    """``rollout.constrain``: every action is admissible, each step records its allowed token
    sets, and the trainer's recomputed (masked) log-probs equal the rollout's, so PPO's ratio
    is exact; an update on them is finite."""
    from agentrl.trainer.samples import step_samples

    _config(tmp_path, "constrain", 1, final=False)
    trainer = LocalTrainer(load_config(tmp_path / "constrain.yaml",
                                       ["rollout.constrain=true", "trainer.sft.epochs=1",
                                        "trainer.minibatch_size=1000", "trainer.ppo_epochs=1"]),
                           progress=False, log=lambda *_: None)
    episodes = trainer.rollout(0)
    steps = [s for e in episodes for s in e.steps]
    assert steps and all(s.action in ("left", "right") and s.valid for s in steps)
    assert all(len(s.extra["allowed_ids"]) == len(s.response_ids) for s in steps)
    trainer.assign_credit(episodes)
    samples = step_samples(episodes)
    recorded = [list(s.old_logprobs or []) for s in samples]
    trainer._old_and_ref_logprobs(samples, trainer.cfg.rollout.temperature)
    for s, rec in zip(samples, recorded, strict=True):
        assert s.old_logprobs == pytest.approx(rec, abs=1e-4)
    # the first token chooses between "left" and "right": a real choice with a real log-prob
    assert any(s.old_logprobs and s.old_logprobs[0] < -1e-3 for s in samples)
    stats = trainer.update(episodes, 0)  # one minibatch: the ratio is measured before the step
    assert math.isfinite(stats["pg_loss"]) and math.isfinite(stats["grad_norm"])
    assert stats["ratio_max"] == pytest.approx(1.0, abs=1e-4) and stats["grad_norm"] > 0


def test_skip_zero_advantage_leaves_out_samples_without_gradient(tmp_path: Path) -> None:
    _config(tmp_path, "skip", 1, final=False)
    overrides = ["trainer.kl_coef=0", "trainer.entropy_coef=0", "trainer.skip_zero_advantage=true"]
    trainer = LocalTrainer(load_config(tmp_path / "skip.yaml", overrides), progress=False,
                           log=lambda *_: None)
    episodes = trainer.rollout(0)
    trainer.assign_credit(episodes)
    steps = [s for e in episodes for s in e.steps if s.response_ids]
    for i, e in enumerate(episodes):  # the first 6 as if their groups had all failed alike
        for s in e.steps:
            s.advantage = 0.0 if i < 6 else (1.0 if i % 2 else -1.0)
    zero = sum(1 for s in steps if s.advantage == 0.0)
    assert 0 < zero < len(steps)
    stats = trainer.update(episodes, 0)
    assert stats["samples_skipped"] == zero and stats["samples"] == len(steps) - zero
    # nothing left: no optimiser step at all, the parameters stay as they were
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    for s in steps:
        s.advantage = 0.0
    stats = trainer.update(episodes, 1)
    assert stats == {"samples": 0.0, "samples_skipped": float(len(steps))}
    assert all(torch.equal(before[k], v) for k, v in trainer.model.state_dict().items())
    # with an entropy bonus every sample has a gradient, so none is skipped
    trainer.cfg.trainer.entropy_coef = 0.01
    assert trainer.update(episodes, 2)["samples_skipped"] == 0


def test_sampled_evaluation_plays_eval_samples_episodes_per_task(tmp_path: Path) -> None:
    trainer = LocalTrainer(_config(tmp_path, "samples", 0, final=False), progress=False,
                           log=lambda *_: None)
    trainer.cfg.eval.samples = 3
    sampled = trainer.evaluate("test", prefix="e", temperature=1.0, episodes=4)
    assert sampled["e_episodes"] == 12.0 and sampled["e_tasks"] == 4.0
    assert sampled["e_samples_per_task"] == 3.0
    assert sampled["e_success"] <= sampled["e_pass_at_k"] <= 1.0
    assert sampled["e_ci_lo"] <= sampled["e_success"] <= sampled["e_ci_hi"]
    greedy = trainer.evaluate("test", prefix="e", temperature=0.0, episodes=4)
    assert greedy["e_episodes"] == 4.0 and greedy["e_samples_per_task"] == 1.0
    assert "e_pass_at_k" not in greedy


def test_minibatches_group_by_length_use_every_sample_once_with_less_padding(
        tmp_path: Path) -> None:
    import random

    from agentrl.trainer.samples import StepSample

    trainer = LocalTrainer(_config(tmp_path, "mb", 0, final=False), progress=False,
                           log=lambda *_: None)
    lengths = random.Random(0).choices(range(40, 300), k=500)
    samples = [StepSample(list(range(n)), [1, 2], 1.0, 1.0) for n in lengths]

    def padded(batches: list[list[StepSample]]) -> int:
        return sum(len(b) * max(len(s.prompt_ids) for s in b) for b in batches)

    grouped = trainer._minibatches(samples, random.Random(1))
    trainer.cfg.trainer.group_by_length = False
    shuffled = trainer._minibatches(samples, random.Random(1))
    for batches in (grouped, shuffled):
        assert sorted(id(s) for b in batches for s in b) == sorted(id(s) for s in samples)
        assert max(len(b) for b in batches) == 16  # trainer.minibatch_size
    useful = sum(lengths)
    # random minibatches of 16 pad to near the longest of 40..300; grouped ones barely pad
    assert padded(shuffled) > 1.4 * useful
    assert padded(grouped) < 1.1 * useful


def test_tiny_tokenizer_learns_the_tool_schemas_of_tool_prompts() -> None:
    """The tool schemas the chat template writes into every tool prompt are part of the tiny
    tokenizer's training text, so a prompt of the real tool environment costs far fewer tokens
    than with a tokenizer that never saw them."""
    from agentrl.models import build_tokenizer
    from agentrl.prompting import PromptBuilder
    from agentrl.trainer.local import _build_preset
    from agentrl.trainer.sft import collect_demonstrations

    def factory() -> Any:
        return agentrl.make("agentrl/ToolUse-v0", sizes={"train": 40, "valid": 5, "test": 5})

    tasks = factory().tasks("train")[:40]
    demos = collect_demonstrations(factory, PromptBuilder(history_window=2), tasks,
                                   env_id="agentrl/ToolUse-v0", recovery_fraction=0.0,
                                   progress=False)
    assert demos and all(d.tools for d in demos)
    _, with_tools = _build_preset("tiny", demos, seed=0)
    without = build_tokenizer([m["content"] for d in demos for m in d.messages]
                              + [d.action for d in demos])

    def mean_len(tok: Any) -> float:
        lens = [len(tok(tok.apply_chat_template(d.messages, tools=d.tools, tokenize=False,
                                                add_generation_prompt=True))["input_ids"])
                for d in demos]
        return sum(lens) / len(lens)

    short, long = mean_len(with_tools), mean_len(without)
    assert short < 0.75 * long, (short, long)
    # the same text either way: nothing is lost by the shorter encoding
    d = demos[0]
    text = with_tools.apply_chat_template(d.messages, tools=d.tools, tokenize=False)
    assert with_tools.decode(with_tools(text)["input_ids"]) == text


def test_sft_targets_follow_the_template_and_relabelled_goals_are_added() -> None:
    """``trainer.sft.target`` renders the expert's thought and action; ``trainer.sft.relabel``
    adds copies of states under other goal objects, with the task text replaced."""
    from agentrl.prompting import PromptBuilder
    from agentrl.trainer.sft import collect_demonstrations

    def factory() -> Any:
        return agentrl.make("agentrl/Household-v0", expert_mode="search")

    tasks = factory().unwrapped.tasks("train")[:30]
    target = "{% if thought %}<think>{{ thought }}</think>{% endif %}{{ action }}"
    plain = collect_demonstrations(factory, PromptBuilder(history_window=2), tasks,
                                   env_id="agentrl/Household-v0", recovery_fraction=0.0,
                                   progress=False)
    counts: dict[str, int] = {}
    demos = collect_demonstrations(factory, PromptBuilder(history_window=2), tasks,
                                   env_id="agentrl/Household-v0", recovery_fraction=0.0,
                                   target=target, relabel=2, counts=counts, progress=False)
    assert counts["positive"] >= 10 and counts["negative"] >= 10, counts
    assert len(demos) == len(plain) + sum(counts.values())
    thoughts = [d for d in demos if d.action.startswith("<think>")]
    assert len(thoughts) >= 40
    for d in thoughts:
        obj, answer = d.action[7:d.action.index("</think>")].rsplit(" ", 1)
        action = d.action.split("</think>", 1)[1]
        assert answer in ("yes", "no")
        if answer == "no":
            assert not action.startswith("take"), d.action
        assert obj in d.messages[-1]["content"].split("Observation:")[0]  # the task line
    originals = {d.action for d in plain}
    assert {d.action.split("</think>")[-1] for d in demos} >= originals
    with pytest.raises(UserError, match=r"trainer\.sft\.target uses an unknown variable"):
        collect_demonstrations(factory, PromptBuilder(), tasks[:1], env_id="x",
                               recovery_fraction=0.0, target="{{ nope }}", progress=False)
    with pytest.raises(UserError, match="needs an environment with relabel_goals"):
        collect_demonstrations(lambda: agentrl.make("agentrl/ToolUse-v0"), PromptBuilder(),
                               tasks[:1], env_id="agentrl/ToolUse-v0", recovery_fraction=0.0,
                               relabel=1, progress=False)


def test_sft_label_noise_labels_a_share_of_steps_with_the_random_action_taken() -> None:
    """``trainer.sft.label_noise``: at that share of the steps the demonstrator plays a random
    admissible action and the demonstration's label is that action, not the expert's (recovery
    detours keep the expert's label); 0 leaves every label the expert's."""
    from agentrl.policies.base import PolicyInput, SamplingParams
    from agentrl.prompting import PromptBuilder
    from agentrl.trainer.sft import DemonstrationPolicy, collect_demonstrations

    admissible = ["go to a", "go to b", "go to c", "look"]
    inputs = [PolicyInput(messages=[{"role": "user", "content": "x"}],
                          info={"expert_action": "look", "admissible_actions": admissible})
              for _ in range(4000)]
    for noise, epsilon in ((0.4, 0.0), (0.4, 0.5), (0.0, 0.5)):
        policy = DemonstrationPolicy(epsilon, seed=0, label_noise=noise)
        played = [g.text for g in policy.act(inputs, SamplingParams())]
        labels = [d.action for d in policy.demos]
        off_label = sum(a != "look" for a in labels) / len(labels)
        assert off_label == pytest.approx(noise * 3 / 4, abs=0.03), (noise, epsilon, off_label)
        assert policy.noisy == pytest.approx(noise * len(inputs), rel=0.1, abs=1)
        # a noisy label is the action played; a detour plays a random action, labels the expert's
        assert all(p == lab for p, lab in zip(played, labels, strict=True) if lab != "look")
        detours = sum(p != lab for p, lab in zip(played, labels, strict=True))
        assert detours / len(inputs) == pytest.approx((1 - noise) * epsilon * 3 / 4, abs=0.03)

    def factory() -> Any:
        return agentrl.make("agentrl/Household-v0", expert_mode="search")

    tasks = factory().unwrapped.tasks("train")[:20]
    clean = collect_demonstrations(factory, PromptBuilder(history_window=2), tasks,
                                   env_id="agentrl/Household-v0", recovery_fraction=0.0,
                                   progress=False)
    noisy = collect_demonstrations(factory, PromptBuilder(history_window=2), tasks,
                                   env_id="agentrl/Household-v0", recovery_fraction=0.0,
                                   label_noise=0.3, progress=False)
    # random steps lengthen the episodes, and their labels are actions the expert never takes
    assert len(noisy) > 1.2 * len(clean), (len(noisy), len(clean))
    expert_verbs = {d.action.split()[0] for d in clean}
    assert {d.action.split()[0] for d in noisy} - expert_verbs


def test_sft_prompt_loss_weight_trains_the_prompt_tokens_too() -> None:
    """``trainer.sft.prompt_loss_weight`` adds next-token loss on the prompt: the prompt's
    tokens get likelier than without it, and the reported loss is still the targets' alone."""
    import copy
    import random

    from agentrl.models import build_tiny_model, build_tokenizer
    from agentrl.trainer.actor import response_hidden_states
    from agentrl.trainer.sft import sft_epoch

    texts = [f"You arrive at shelf {i}. On the shelf {i}, you see a mug {i % 3}." for i in range(9)]
    tok = build_tokenizer(texts * 10, vocab_size=300)
    data = [(tok(t)["input_ids"], tok(f"take mug {i % 3}")["input_ids"] + [tok.eos_token_id])
            for i, t in enumerate(texts)]
    base = build_tiny_model(tok, hidden_size=32, num_heads=4, num_kv_heads=2, seed=0)

    def prompt_nll(model: Any) -> float:
        model.eval()
        total = 0.0
        with torch.no_grad():
            for p, _ in data:
                ids = torch.tensor([p])
                hidden = response_hidden_states(model, ids, torch.ones_like(ids))
                logits = model.get_output_embeddings()(hidden)[0, :-1]
                total += float(torch.nn.functional.cross_entropy(logits, ids[0, 1:]))
        return total / len(data)

    results = {}
    for weight in (0.0, 1.0):
        model = copy.deepcopy(base)
        opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
        rng = random.Random(0)
        losses = [sft_epoch(model, opt, data, batch_size=3, pad_id=tok.pad_token_id, rng=rng,
                            prompt_weight=weight) for _ in range(15)]
        assert all(math.isfinite(x) for x in losses) and losses[-1] < losses[0]
        results[weight] = prompt_nll(model)
    assert results[1.0] < 0.5 * results[0.0], results


def test_vllm_rollouts_without_vllm_fail_before_sft(tmp_path: Path) -> None:
    """``policy.backend: vllm`` without vLLM installed: a one-line error before any work (the
    backend itself is tested on a real engine in tests/policies/test_vllm.py)."""
    import importlib.util

    from agentrl.errors import MissingDependencyError

    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vLLM is installed here")
    cfg = _config(tmp_path, "vllm", 1)
    cfg.policy.backend = "vllm"
    with pytest.raises(MissingDependencyError, match="pip install 'agentrl\\[vllm\\]'"):
        LocalTrainer(cfg, progress=False, log=lambda *_: None)
    assert not (tmp_path / "vllm" / "sft").exists()
