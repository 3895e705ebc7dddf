"""The local trainer: one process, PyTorch, CPU or one GPU (DESIGN.md 3.6).

Each iteration reads top to bottom as named stages::

    episodes = rollout(iteration)      # groups of G episodes per task, current policy
    credit(episodes)                   # shapers -> estimator: per-step advantages
    update(episodes)                   # PPO-clip epochs over step samples
    evaluate(...)                      # every eval.every iterations, held-out split
    checkpoint(iteration)              # every trainer.checkpoint_every iterations

Before RL, an optional SFT warm-up trains on expert demonstrations (``trainer.sft``). With
``model.preset: tiny`` the tokenizer is trained on those demonstrations and the model is built
from ``configs/models/<preset>.json``: nothing is downloaded. Every random choice (tasks, seeds,
sampling noise, minibatch order) is derived from ``(seed, iteration)``, and checkpoints store the
optimizer, scheduler and RNG states, so ``--resume`` continues exactly.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import platform
import random
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from agentrl.components import (
    build_env_factory,
    build_policy,
    build_prompt_builder,
    sampling_params,
    split_tasks,
)
from agentrl.config import RunConfig, dump_config
from agentrl.errors import UserError
from agentrl.evaluation import clustered_interval, mean_pass_at_k, task_counts
from agentrl.policies.hf import HFPolicy, check_model_path, pick_device
from agentrl.prompting import PromptBuilder
from agentrl.rollout import RolloutEngine
from agentrl.trainer.actor import Actor
from agentrl.trainer.checkpoint import (
    latest_checkpoint,
    load_trainer_state,
    save_checkpoint,
    set_rng_state,
)
from agentrl.trainer.losses import (
    aggregate,
    kl_penalty,
    ppo_clip_loss,
    scale_negative_advantages,
)
from agentrl.trainer.samples import StepSample, pack, step_samples
from agentrl.trainer.sft import (
    collect_demonstrations,
    demo_tensors,
    length_grouped_batches,
    sft_epoch,
)
from agentrl.types import Episode, EpisodeWriter, Task

__all__ = ["LocalTrainer"]

REPO_CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "models"


class LocalTrainer:
    """Runs a config with ``trainer.backend: local``."""

    def __init__(self, cfg: RunConfig, *, resume: bool = False, progress: bool = True,
                 log: Any = print) -> None:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # our own progress bars report the run
        self.cfg = cfg
        self.progress = progress
        self.log = log
        self.run_dir = Path(cfg.output.dir)
        self.device = pick_device(cfg.trainer.device)
        torch.manual_seed(cfg.seed)
        random.seed(cfg.seed)
        if cfg.policy.backend == "vllm":  # before SFT: a missing vLLM or a bad option fails now
            from agentrl.policies.vllm_backend import check_engine_options

            check_engine_options(cfg.policy.options)
        self.env_factory = build_env_factory(cfg)
        self.train_tasks: list[Task] = split_tasks(self.env_factory, cfg.env.id,
                                                   cfg.env.splits.train)
        self.start_iteration = 0
        self.sft_dir: Path | None = None
        self.amp_dtype = _amp_dtype(cfg.model.dtype, self.device)
        self.peft: Any = None  # the peft wrapper when LoRA is on (self.model is its base model)
        self.lora_base: str | None = None  # the frozen weights the adapters sit on
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._tb = _tensorboard(self.run_dir / "tensorboard")
        state: dict[str, Any] | None = None
        if resume:
            ckpt = latest_checkpoint(self.run_dir)
            if ckpt is None:
                raise UserError(f"nothing to resume in {self.run_dir}: no checkpoints/latest")
            state = load_trainer_state(ckpt)
            self.lora_base = state.get("lora_base")
            self.model, self.tokenizer = _load_hf(self.lora_base or str(ckpt), self.device)
            self.start_iteration = int(state["iteration"]) + 1
            self.sft_dir = Path(state["sft_dir"]) if state.get("sft_dir") else None
        else:
            self._write_run_files()
            self.model, self.tokenizer = self._build_model()
        self.actor = Actor(self.model, value_head=cfg.credit.estimator.name == "gae")
        self.actor.to(self.device)
        self.policy = HFPolicy(self.model, self.tokenizer, device=str(self.device))
        self.builder = build_prompt_builder(cfg, self.policy)
        self.credit = _build_credit(cfg, self.model, self.tokenizer, self.device)
        self.reference = None
        if cfg.trainer.kl_coef > 0:  # the frozen policy RL starts from (the SFT model)
            if resume:
                self.reference, _ = _load_hf(str(self.run_dir / "reference"), self.device)
            else:
                self.reference = copy.deepcopy(self.model)
                self.reference.save_pretrained(self.run_dir / "reference")
            self.reference.eval().requires_grad_(False)
        if cfg.model.lora.r > 0:
            self._apply_lora(ckpt / "adapter" if state is not None else None)
        trainable = [p for p in self.actor.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(trainable, lr=cfg.trainer.lr, weight_decay=0.0)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, self._lr_factor)
        if state is not None:
            self.optimizer.load_state_dict(state["optimizer"])
            self.scheduler.load_state_dict(state["scheduler"])
            if self.actor.value_head is not None and state.get("value_head") is not None:
                self.actor.value_head.load_state_dict(state["value_head"])
            set_rng_state(state["rng"])
        # what samples the rollouts: the trainer's own model, or a vLLM engine that gets the
        # trainer's weights before every rollout (policy.backend: vllm)
        self.rollout_policy: Any = self.policy
        if cfg.policy.backend == "vllm":
            self.log("rollouts: a vLLM engine, sent the trainer's weights before each rollout")
            self.rollout_policy = build_policy(cfg, f"vllm:{self._model_dir()}")
        self.engine = RolloutEngine(
            self.env_factory, self.rollout_policy, self.builder, env_id=cfg.env.id,
            group_size=cfg.rollout.group_size, sampling=sampling_params(cfg),
            max_turns=cfg.rollout.max_turns, step_timeout_s=cfg.rollout.step_timeout_s,
            episode_timeout_s=cfg.rollout.episode_timeout_s, projection=cfg.rollout.projection,
            vary_hidden=cfg.rollout.vary_hidden,
            projection_keep_names=cfg.rollout.projection_keep_names,
            constrain=cfg.rollout.constrain, progress=False)

    # =========================================================================================
    # the run
    # =========================================================================================
    def fit(self) -> dict[str, Any]:
        """Train for ``trainer.iterations`` RL iterations; returns the final evaluation."""
        cfg = self.cfg
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        last: dict[str, Any] = {}
        with Progress(TextColumn("RL"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[status]}"), TimeRemainingColumn(),
                      disable=not self.progress) as bar:
            task = bar.add_task("rl", total=cfg.trainer.iterations,
                                completed=self.start_iteration, status="")
            for it in range(self.start_iteration, cfg.trainer.iterations):
                episodes, metrics = self.iteration(it)
                if cfg.eval.every and (it + 1) % cfg.eval.every == 0:
                    metrics.update(self.evaluate(cfg.env.splits.valid, prefix="eval_valid"))
                self._log_metrics(metrics)
                if (it + 1) % cfg.trainer.checkpoint_every == 0 or it + 1 == cfg.trainer.iterations:
                    self._save_episodes(it, episodes)
                    self.checkpoint(it)
                last = metrics
                bar.update(task, advance=1, status=f"success {metrics['success']:.2f} "
                                                   f"reward {metrics['reward']:.2f}")
        final = self.final_evaluation() if cfg.eval.final else {}
        final["last_iteration"] = last
        from agentrl.report import write_report

        self.log(f"report: {write_report(self.run_dir)}")
        return final

    # =========================================================================================
    # stages
    # =========================================================================================
    def iteration(self, iteration: int) -> tuple[list[Episode], dict[str, Any]]:
        """One RL iteration without evaluation, logging or checkpoints: rollout -> credit ->
        update, then one step of the LR schedule. Returns the episodes and the iteration's
        metrics (rollout statistics, advantage and update statistics, seconds per stage, the
        learning rate used). ``fit`` calls it; so can code that drives training itself (the
        learning benchmark stops at an environment-step budget)."""
        t0 = time.perf_counter()
        episodes = self.rollout(iteration)
        t1 = time.perf_counter()
        credit_stats = self.assign_credit(episodes)
        t2 = time.perf_counter()
        update_stats = self.update(episodes, iteration)
        t3 = time.perf_counter()
        metrics = {"iteration": iteration, **_rollout_stats(episodes), **credit_stats,
                   **update_stats, "time_rollout_s": t1 - t0, "time_credit_s": t2 - t1,
                   "time_update_s": t3 - t2, "lr": self.scheduler.get_last_lr()[0]}
        self.scheduler.step()
        return episodes, metrics

    def rollout(self, iteration: int, sampling_seed: int | None = None) -> list[Episode]:
        """Stage 1: ``groups_per_batch`` tasks x ``group_size`` episodes with the current model.
        The tasks and their seeds depend on ``iteration`` alone; the sampling seed is
        ``seed + iteration`` unless given (a diagnostic replays an iteration's tasks)."""
        rng = random.Random(self.cfg.seed * 1_000_003 + iteration)
        tasks = [self.train_tasks[rng.randrange(len(self.train_tasks))]
                 for _ in range(self.cfg.rollout.groups_per_batch)]
        seeds = [rng.randrange(2**31) for _ in tasks]
        seed = self.cfg.seed + iteration if sampling_seed is None else sampling_seed
        self.engine.sampling = replace(self.engine.sampling, seed=seed)
        if self.rollout_policy is not self.policy:  # on-policy: the engine gets the weights
            self.rollout_policy.load_weights(self.model.named_parameters())
        self.model.eval()
        with self._autocast():
            return self.engine.run(tasks, seeds, batch_id=f"it{iteration}")

    def assign_credit(self, episodes: list[Episode]) -> dict[str, float]:
        """Stage 2: shapers and estimator fill ``shaped_reward`` and ``advantage``."""
        if self.actor.value_head is not None:
            self._record_values(episodes)
        result = self.credit.apply(episodes)
        adv = result.advantages
        return {"adv_mean": float(adv.mean()) if adv.size else 0.0,
                "adv_std": float(adv.std()) if adv.size else 0.0,
                "adv_abs_max": float(abs(adv).max()) if adv.size else 0.0,
                "shaped_reward_mean": float(result.shaped_rewards.mean()) if adv.size else 0.0}

    def update(self, episodes: list[Episode], iteration: int) -> dict[str, float]:
        """Stage 3: PPO-clip over step samples, ``ppo_epochs`` passes in minibatches."""
        t = self.cfg.trainer
        samples = step_samples(episodes)
        total = len(samples)
        if (t.skip_zero_advantage and t.entropy_coef == 0 and self.reference is None
                and self.actor.value_head is None):
            samples = [s for s in samples if s.advantage != 0.0]
        if not samples:
            return {"samples": 0.0, "samples_skipped": float(total)}
        temperature = self.cfg.rollout.temperature
        pad = self.policy.pad_id
        gap = self._old_and_ref_logprobs(samples, temperature)
        rng = random.Random(self.cfg.seed * 7_919 + iteration)
        stats: dict[str, list[float]] = {k: [] for k in (
            "pg_loss", "kl", "entropy", "clipfrac", "grad_norm", "value_loss", "ratio_max")}
        tokens = 0
        start = time.perf_counter()
        self.actor.train()
        for _ in range(t.ppo_epochs):
            for mb in self._minibatches(samples, rng):
                self.optimizer.zero_grad(set_to_none=True)
                micro = max(1, math.ceil(len(mb) / t.grad_accum_steps))
                for m_start in range(0, len(mb), micro):
                    chunk = mb[m_start:m_start + micro]
                    batch = pack(chunk, pad).to(self.device)
                    with self._autocast():
                        logp, entropy, values = self.actor(batch, temperature)
                    mask = batch.response_mask
                    old = _aligned(chunk, "old_logprobs", mask)
                    adv = scale_negative_advantages(batch.advantages,
                                                    t.negative_advantage_weight)
                    loss_tok, clipped = ppo_clip_loss(logp, old, adv, t.clip_ratio,
                                                      t.clip_ratio_c)
                    pg_loss = aggregate(loss_tok, mask, t.loss_agg, batch.weights)
                    ent = aggregate(entropy, mask, t.loss_agg, batch.weights)
                    loss = pg_loss - t.entropy_coef * ent
                    if self.reference is not None:
                        ref = _aligned(chunk, "ref_logprobs", mask)
                        kl = aggregate(kl_penalty(logp, ref, t.kl_type), mask, t.loss_agg,
                                       batch.weights)
                        loss = loss + t.kl_coef * kl
                        stats["kl"].append(float(kl.detach()))
                    if values is not None:
                        target = torch.tensor([s.value_target or 0.0 for s in chunk],
                                              device=self.device)
                        v_loss = torch.mean((values - target) ** 2)
                        loss = loss + t.value_coef * v_loss
                        stats["value_loss"].append(float(v_loss.detach()))
                    (loss * len(chunk) / len(mb)).backward()
                    stats["pg_loss"].append(float(pg_loss.detach()))
                    stats["entropy"].append(float(ent.detach()))
                    stats["clipfrac"].append(float((clipped * mask).sum() / mask.sum()))
                    ratio = torch.exp((logp.detach() - old) * mask)
                    stats["ratio_max"].append(float(ratio.max()))
                    tokens += int(mask.sum())
                norm = torch.nn.utils.clip_grad_norm_(
                    [p for p in self.actor.parameters() if p.requires_grad], t.max_grad_norm)
                stats["grad_norm"].append(float(norm))
                self.optimizer.step()
        elapsed = time.perf_counter() - start
        out = {k: sum(v) / len(v) for k, v in stats.items() if v}
        out["ratio_max"] = max(stats["ratio_max"])
        out.update(samples=float(len(samples)), samples_skipped=float(total - len(samples)),
                   tokens_per_s=tokens / max(elapsed, 1e-9), **gap)
        for key in ("pg_loss", "grad_norm"):
            if not math.isfinite(out[key]):
                raise FloatingPointError(f"non-finite {key} at iteration {iteration}: lower "
                                         "trainer.lr or check the rewards")
        return out

    def evaluate(self, split: str, *, prefix: str = "eval", model: Any = None,
                 temperature: float | None = None, episodes: int | None = None
                 ) -> dict[str, float]:
        """Stage 4: success on the first ``eval.episodes`` tasks of ``split``: one episode each,
        or ``eval.samples`` each when sampling (temperature > 0). Besides the rollout statistics
        it returns ``tasks``, ``samples_per_task``, the 95% interval ``ci_lo``/``ci_hi`` (tasks
        as clusters, :func:`~agentrl.evaluation.clustered_interval`) and, with several samples,
        ``pass_at_k``."""
        cfg = self.cfg
        tasks = split_tasks(self.env_factory, cfg.env.id, split)
        n = min(episodes or cfg.eval.episodes, len(tasks))
        temp = cfg.eval.temperature if temperature is None else temperature
        policy = self.policy if model is None else HFPolicy(model, self.tokenizer,
                                                            device=str(self.device))
        builder = build_prompt_builder(cfg, tokenizer=self.tokenizer)
        sampling = sampling_params(cfg, temperature=temp, seed=cfg.seed + 99_991)
        samples = cfg.eval.samples if temp > 0 else 1
        (model or self.model).eval()
        with self._autocast(), RolloutEngine(
                self.env_factory, policy, builder, env_id=cfg.env.id, sampling=sampling,
                group_size=samples,
                max_turns=cfg.rollout.max_turns, projection=cfg.rollout.projection,
                projection_keep_names=cfg.rollout.projection_keep_names,
                constrain=cfg.rollout.constrain) as engine:
            eps = engine.run(tasks[:n], seeds=list(range(n)), batch_id=f"{prefix}")
        stats = _rollout_stats(eps)
        per_task = task_counts(eps)
        stats["ci_lo"], stats["ci_hi"] = clustered_interval(per_task)
        stats["tasks"], stats["samples_per_task"] = float(len(per_task)), float(samples)
        if samples > 1:
            stats["pass_at_k"] = mean_pass_at_k(per_task, samples)
        return {f"{prefix}_{k}": v for k, v in stats.items()}

    def checkpoint(self, iteration: int) -> Path:
        """Stage 5: model, tokenizer, optimizer, scheduler, RNG states (atomic, keep last N)."""
        state = {"optimizer": self.optimizer.state_dict(),
                 "scheduler": self.scheduler.state_dict(),
                 "value_head": (self.actor.value_head.state_dict()
                                if self.actor.value_head is not None else None),
                 "sft_dir": str(self.sft_dir) if self.sft_dir else None,
                 "lora_base": self.lora_base}
        if self.peft is None:
            return save_checkpoint(self.run_dir, iteration, self.model, self.tokenizer, state,
                                   self.cfg.trainer.keep_checkpoints)
        # LoRA: the checkpoint holds the merged model (plain transformers loads it) and the
        # adapter itself, which --resume puts back on the frozen base weights
        merged = copy.deepcopy(self.peft).merge_and_unload()
        return save_checkpoint(self.run_dir, iteration, merged, self.tokenizer, state,
                               self.cfg.trainer.keep_checkpoints,
                               extra=lambda tmp: self.peft.save_pretrained(tmp / "adapter"))

    def final_evaluation(self) -> dict[str, Any]:
        """Held-out success of the SFT-only model and of the final model, sampled and greedy."""
        cfg = self.cfg
        rows: dict[str, Any] = {}
        candidates: list[tuple[str, Any]] = [("final", None)]
        if self.sft_dir is not None and self.sft_dir.is_dir():
            sft_model, _ = _load_hf(str(self.sft_dir), self.device)
            candidates.insert(0, ("sft", sft_model))
        for split in cfg.eval.splits:
            for name, model in candidates:
                for label, temp in (("sampled", 1.0), ("greedy", 0.0)):
                    stats = self.evaluate(split, prefix="e", model=model, temperature=temp)
                    row = rows[f"{name}/{split}/{label}"] = {
                        "success": stats["e_success"], "reward": stats["e_reward"],
                        "steps": stats["e_steps"], "episodes": stats["e_episodes"],
                        "tasks": stats["e_tasks"], "samples": stats["e_samples_per_task"],
                        "ci95": [stats["e_ci_lo"], stats["e_ci_hi"]]}
                    if "e_pass_at_k" in stats:
                        row["pass_at_k"] = stats["e_pass_at_k"]
        (self.run_dir / "final_eval.json").write_text(json.dumps(rows, indent=2))
        return rows

    # =========================================================================================
    # plumbing
    # =========================================================================================
    def _build_model(self) -> tuple[Any, Any]:
        cfg = self.cfg
        if cfg.model.path:
            model, tokenizer = _load_hf(cfg.model.path, self.device, cfg.model.tokenizer)
            demos = None
        else:
            demos = self._demonstrations()
            model, tokenizer = _build_preset(cfg.model.preset or "tiny", demos, cfg.seed)
        model.to(self.device)
        if cfg.trainer.sft.enabled:
            if demos is None:
                demos = self._demonstrations()
            self._sft(model, tokenizer, demos)
        return model, tokenizer

    def _model_dir(self) -> str:
        """A Hugging Face directory with the model's architecture and tokenizer, for an engine
        that loads from disk (the weights themselves are sent before each rollout)."""
        if self.sft_dir is not None:
            return str(self.sft_dir)
        if self.cfg.model.path and not self.cfg.model.tokenizer:
            return self.cfg.model.path
        path = self.run_dir / "rollout_model"  # (a separate tokenizer is saved beside it)
        self.model.save_pretrained(path)
        self.tokenizer.save_pretrained(path)
        return str(path)

    def close(self) -> None:
        """Stop the rollout engine's processes, if it has any (``policy.backend: vllm``)."""
        close = getattr(self.rollout_policy, "close", None)
        if self.rollout_policy is not self.policy and close is not None:
            close()

    def _demonstrations(self) -> list[Any]:
        cfg = self.cfg
        n = cfg.trainer.sft.episodes
        if n == 0:
            raise UserError("model.preset needs demonstrations to build its tokenizer: set "
                            "trainer.sft.episodes > 0")
        rng = random.Random(cfg.seed + 17)
        tasks = [self.train_tasks[rng.randrange(len(self.train_tasks))] for _ in range(n)]
        text_builder = PromptBuilder(system=cfg.prompt.system, user=cfg.prompt.user,
                                     history_window=cfg.rollout.history_window,
                                     show_admissible=cfg.prompt.show_admissible,
                                     task_from=cfg.prompt.task_from,
                                     action_pattern=cfg.prompt.action_pattern)
        noise = cfg.trainer.sft.label_noise
        self.log(f"collecting {n} demonstration episodes "
                 f"({cfg.trainer.sft.recovery_fraction:.0%} with recovery detours"
                 + (f", {noise:.0%} of steps labelled with a random action" if noise else "")
                 + ")")
        counts: dict[str, int] = {}
        demos = collect_demonstrations(self.env_factory, text_builder, tasks, env_id=cfg.env.id,
                                       recovery_fraction=cfg.trainer.sft.recovery_fraction,
                                       seed=cfg.seed, relabel=cfg.trainer.sft.relabel,
                                       target=cfg.trainer.sft.target, label_noise=noise,
                                       progress=self.progress, counts=counts)
        if counts:
            self.log("goal-relabelled demonstrations: " + ", ".join(
                f"{n} {kind}" for kind, n in sorted(counts.items())) + f" of {len(demos)}")
        return demos

    def _sft(self, model: Any, tokenizer: Any, demos: list[Any]) -> None:
        s = self.cfg.trainer.sft
        data = demo_tensors(tokenizer, demos)
        optimizer = torch.optim.AdamW(model.parameters(), lr=s.lr)
        rng = random.Random(self.cfg.seed + 23)
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        for epoch in range(s.epochs):
            with self._autocast():
                loss = sft_epoch(model, optimizer, data, batch_size=s.batch_size, pad_id=pad,
                                 rng=rng, prompt_weight=s.prompt_loss_weight)
            self.log(f"SFT epoch {epoch + 1}/{s.epochs}: {len(data)} samples, loss {loss:.4f}")
            self._log_metrics({"sft_epoch": epoch, "sft_loss": loss})
        self.sft_dir = self.run_dir / "sft"
        model.save_pretrained(self.sft_dir)
        tokenizer.save_pretrained(self.sft_dir)

    def _minibatches(self, samples: list[StepSample], rng: random.Random
                     ) -> list[list[StepSample]]:
        """One epoch's minibatches: shuffled, or (``trainer.group_by_length``) of similar
        length, as SFT's batches, since padding to the longest prompt costs most of the time."""
        size = self.cfg.trainer.minibatch_size
        if self.cfg.trainer.group_by_length:
            data = [(s.prompt_ids, s.response_ids) for s in samples]
            return [[samples[i] for i in b]
                    for b in length_grouped_batches(data, size, rng)]
        order = list(range(len(samples)))
        rng.shuffle(order)
        return [[samples[i] for i in order[k:k + size]] for k in range(0, len(order), size)]

    @torch.no_grad()
    def _old_and_ref_logprobs(self, samples: list[StepSample], temperature: float
                              ) -> dict[str, float]:
        """Recompute old log-probs with the pre-update model (and the reference's), in place.
        Returns how far the log-probs the rollout recorded are from them (mean and max
        absolute difference per token): float rounding when the rollout was on-policy, more
        when the sampler's weights or distribution differ from the trainer's."""
        gaps: list[float] = []
        self.actor.eval()
        pad = self.policy.pad_id
        size = self.cfg.trainer.minibatch_size
        # sorted by length, so that each chunk pads little (the results go back per sample)
        by_length = sorted(samples, key=lambda s: len(s.prompt_ids) + len(s.response_ids))
        for start in range(0, len(by_length), size):
            chunk = by_length[start:start + size]
            batch = pack(chunk, pad).to(self.device)
            with self._autocast():
                logp, _, _ = self.actor(batch, temperature)
                ref = None
                if self.reference is not None:
                    ref, _, _ = Actor(self.reference)(batch, temperature)
            for i, s in enumerate(chunk):
                idx = batch.response_mask[i].nonzero().squeeze(-1)
                recomputed = logp[i, idx].tolist()
                if s.old_logprobs:  # what the rollout recorded: on-policy means equal
                    gaps.extend(abs(a - b) for a, b in zip(s.old_logprobs, recomputed,
                                                           strict=False))
                s.old_logprobs = recomputed
                if ref is not None:
                    s.ref_logprobs = ref[i, idx].tolist()
        if not gaps:
            return {}
        return {"rollout_logprob_gap_mean": sum(gaps) / len(gaps),
                "rollout_logprob_gap_max": max(gaps)}

    @torch.no_grad()
    def _record_values(self, episodes: list[Episode]) -> None:
        pad = self.policy.pad_id
        steps = [s for ep in episodes for s in ep.steps if s.response_ids and s.prompt_ids]
        for start in range(0, len(steps), self.cfg.trainer.minibatch_size):
            chunk = steps[start:start + self.cfg.trainer.minibatch_size]
            samples = [StepSample(s.prompt_ids or [], s.response_ids or [], 0.0, 1.0)
                       for s in chunk]
            _, _, values = self.actor(pack(samples, pad).to(self.device))
            assert values is not None
            for step, v in zip(chunk, values.tolist(), strict=True):
                step.extra["value"] = v

    def _autocast(self) -> Any:
        """Mixed precision (``model.dtype``): float32 weights, forward passes in bf16/fp16."""
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype)

    def _apply_lora(self, adapter: Path | None) -> None:
        """Wrap the policy in LoRA adapters (peft); base weights are frozen. ``adapter``: a
        saved adapter to continue from (resume)."""
        try:
            from peft import LoraConfig, PeftModel, get_peft_model
        except ModuleNotFoundError:
            raise UserError("model.lora needs peft: pip install 'agentrl[lora]' "
                            "(or set model.lora.r=0)") from None
        lora = self.cfg.model.lora
        if self.lora_base is None:  # a fresh run: the adapters sit on the model as built
            if self.sft_dir is not None:
                self.lora_base = str(self.sft_dir)
            elif self.cfg.model.path:
                self.lora_base = self.cfg.model.path
            else:
                raise UserError("model.lora needs saved base weights: set model.path or "
                                "enable trainer.sft")
        if adapter is not None:
            self.peft = PeftModel.from_pretrained(self.model, str(adapter), is_trainable=True)
        else:
            target = lora.target_modules
            config = LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                                target_modules=target, task_type="CAUSAL_LM")
            try:
                self.peft = get_peft_model(self.model, config)
            except ValueError as exc:
                raise UserError(f"model.lora.target_modules: {exc}") from None
        self.model = self.peft.get_base_model()  # the adapters are injected in place
        self.model.to(self.device)
        self.actor.model = self.model
        self.policy.model = self.model

    def _lr_factor(self, iteration: int) -> float:
        t = self.cfg.trainer
        if t.warmup_iterations and iteration < t.warmup_iterations:
            return (iteration + 1) / t.warmup_iterations
        if t.lr_schedule == "cosine" and t.iterations > 0:
            progress = min(1.0, iteration / max(1, t.iterations))
            return 0.5 * (1.0 + math.cos(math.pi * progress))
        return 1.0

    def _write_run_files(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "config.yaml").write_text(dump_config(self.cfg))
        import transformers

        import agentrl

        versions = {"agentrl": agentrl.__version__, "torch": torch.__version__,
                    "transformers": transformers.__version__,
                    "python": platform.python_version(), "platform": platform.platform()}
        (self.run_dir / "versions.json").write_text(json.dumps(versions, indent=2))
        metrics = self.run_dir / "metrics.jsonl"
        if metrics.exists():
            metrics.unlink()

    def _log_metrics(self, metrics: dict[str, Any]) -> None:
        with open(self.run_dir / "metrics.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(metrics) + "\n")
        if self._tb is not None and "iteration" in metrics:
            for key, value in metrics.items():
                if isinstance(value, (int, float)) and key != "iteration":
                    self._tb.add_scalar(key, value, metrics["iteration"])
            self._tb.flush()

    def _save_episodes(self, iteration: int, episodes: list[Episode]) -> None:
        with EpisodeWriter(self.run_dir / "episodes" / f"iter_{iteration:06d}.jsonl",
                           append=False) as writer:
            writer.write_all(episodes)


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _aligned(samples: list[StepSample], attr: str, mask: torch.Tensor) -> torch.Tensor:
    """(B, L) tensor with each sample's per-token values placed on its response positions."""
    out = torch.zeros_like(mask)
    for i, s in enumerate(samples):
        values = getattr(s, attr)
        idx = mask[i].nonzero().squeeze(-1)
        out[i, idx] = torch.tensor(values, dtype=out.dtype, device=out.device)
    return out


def _rollout_stats(episodes: list[Episode]) -> dict[str, float]:
    n = max(len(episodes), 1)
    steps = [s for e in episodes for s in e.steps]
    return {
        "success": sum(e.success for e in episodes) / n,
        "reward": sum(e.total_reward for e in episodes) / n,
        "steps": sum(e.num_steps for e in episodes) / n,
        "invalid_rate": (sum(not s.valid for s in steps) / len(steps)) if steps else 0.0,
        "errors": float(sum(e.error is not None for e in episodes)),
        "episodes": float(len(episodes)),
    }


def _load_hf(path: str, device: torch.device, tokenizer_path: str | None = None
             ) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    check_model_path(path)
    try:
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_path or path)
        model = AutoModelForCausalLM.from_pretrained(path)
    except OSError as exc:
        raise UserError(f"cannot load model {path!r}: {str(exc).splitlines()[0]}") from None
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model.to(device), tokenizer


def _build_preset(preset: str, demos: list[Any], seed: int) -> tuple[Any, Any]:
    from agentrl.models import build_tiny_model, build_tokenizer

    path = Path(preset) if preset.endswith(".json") else REPO_CONFIGS / f"{preset}.json"
    if not path.is_file():
        known = sorted(p.stem for p in REPO_CONFIGS.glob("*.json"))
        raise UserError(f"unknown model.preset {preset!r}; known: {', '.join(known) or 'none'} "
                        f"(or a path to a .json preset)")
    spec = json.loads(path.read_text())
    texts = [m["content"] for d in demos for m in d.messages] + [d.action for d in demos]
    # the tool schemas that the chat template writes into every prompt of a tool environment:
    # trained on, they take ~40% fewer tokens (ToolUse-v0 prompts: 861 -> 521 on average)
    texts += sorted({json.dumps(tool) for d in demos for tool in (d.tools or [])})
    tokenizer = build_tokenizer(texts, vocab_size=int(spec.pop("vocab_size", 2000)))
    model = build_tiny_model(tokenizer, seed=seed, **spec)
    return model, tokenizer


def _build_credit(cfg: RunConfig, model: Any, tokenizer: Any, device: torch.device) -> Any:
    """The credit pipeline; model-based shapers (SPA) get a copy of the policy as backbone."""
    from agentrl.rewards import CreditContext, build_credit

    context = CreditContext(policy_model=model, tokenizer=tokenizer, device=str(device))
    return build_credit([{"name": s.name, **s.params} for s in cfg.credit.shapers],
                        {"name": cfg.credit.estimator.name, **cfg.credit.estimator.params},
                        context=context)


def _amp_dtype(name: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for ``model.dtype`` (None: plain float32)."""
    if name == "auto":
        return torch.bfloat16 if device.type == "cuda" else None
    return {"float32": None, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]


def _tensorboard(path: Path) -> Any:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ModuleNotFoundError:  # tensorboard is a declared dependency; say so if it is missing
        raise UserError("TensorBoard logging needs the tensorboard package: "
                        "pip install tensorboard") from None
    return SummaryWriter(str(path))
