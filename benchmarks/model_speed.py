"""Speed of the tiny model on this CPU: generation tokens/s and trainer samples/s.

The model and data are the quickstart's: expert demonstrations of ``agentrl/Household-v0``
rendered with the quickstart's prompt settings (``configs/quickstart.yaml``: history window 2,
no admissible-action list), a byte-level BPE tokenizer trained on them
(:func:`agentrl.models.build_tokenizer`) and the Qwen2-architecture model of
``configs/models/tiny.json`` (:func:`agentrl.models.build_tiny_model`), randomly initialised.

- **generation**: :meth:`agentrl.policies.hf.HFPolicy.generate_ids` (the rollout's path: one
  left-padded batch, explicit KV cache, temperature 1) on batches of real step prompts, with the
  quickstart's ``max_new_tokens``; tokens/s counts generated tokens, the prompt prefill is inside
  the time. An untrained model rarely samples the end-of-turn token, so nearly every response
  runs to ``max_new_tokens``; actions/s is reported next to it.
- **constrained generation** (``rollout.constrain``): the same, with each prompt's decoding
  restricted to 30 actions (its own expert action and 29 other distinct demonstration actions,
  about the size of a household admissible list): tokens/s and actions/s, to compare with free
  generation; the trainer numbers are measured on constrained samples too (``*_constrained``:
  the allowed-token mask in the log-prob pass and the update).
- **trainer**: the local trainer's update on packed step samples (:mod:`agentrl.trainer.samples`)
  through :class:`agentrl.trainer.actor.Actor`: the no-grad log-prob pass that recomputes the
  old log-probs, and a PPO-clip step (forward, :func:`~agentrl.trainer.losses.ppo_clip_loss`,
  episode-mean aggregation, backward, gradient clipping, AdamW) per minibatch of
  ``trainer.minibatch_size`` samples.

Everything is measured with 1 torch thread and with one per core (``--threads``): on a CPU
shared with other processes, intra-op threads that wait for each other can make the multi-thread
numbers far worse than the single-thread ones. Each measurement is repeated (``--repeats``)
after one warm-up; the JSON keeps every raw sample, the median and the spread (min, max,
interquartile range). The load average before and after is recorded.

    python -m benchmarks.model_speed [--repeats 5] [--batch-sizes 1 8 32] [--threads 1 2]
                                     [--quick]

Writes ``benchmarks/results/model_speed.json``.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import random
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "model_speed.json"


def machine_info() -> dict[str, Any]:
    """CPU, memory, load and library versions, for every results file and the summary."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        memory_gb = round(pages * size / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    versions: dict[str, str] = {"python": platform.python_version()}
    for name in ("agentrl", "torch", "transformers", "numpy", "tokenizers"):
        try:
            module = __import__(name)
            versions[name] = str(getattr(module, "__version__", "?"))
        except ImportError:
            versions[name] = "not installed"
    return {"cpu": cpu, "cpus": os.cpu_count(), "memory_gb": memory_gb,
            "platform": platform.platform(), "load_average": list(os.getloadavg()),
            "versions": versions}


def spread(samples: Sequence[float]) -> dict[str, Any]:
    """Raw samples with their median, min, max and interquartile range."""
    ordered = sorted(samples)
    if len(ordered) >= 2:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        q1 = q3 = ordered[0]
    return {"samples": list(samples), "median": statistics.median(ordered), "min": ordered[0],
            "max": ordered[-1], "iqr": [q1, q3]}


def timed_samples(fn: Callable[[int], float], repeats: int) -> list[float]:
    """``fn(r)`` returns the work done in repeat r (tokens, samples); one untimed warm-up, then
    ``repeats`` rates (work per wall-clock second)."""
    fn(-1)
    out = []
    for r in range(repeats):
        start = time.perf_counter()
        work = fn(r)
        out.append(work / (time.perf_counter() - start))
    return out


def build_fixture(config: str, episodes: int, seed: int = 0) -> dict[str, Any]:
    """Tokenizer, tiny model and (prompt ids, action ids) pairs from expert demonstrations."""
    import torch

    from agentrl.components import build_env_factory, split_tasks
    from agentrl.config import load_config
    from agentrl.models import build_tiny_model, build_tokenizer
    from agentrl.prompting import PromptBuilder
    from agentrl.trainer.sft import collect_demonstrations, demo_tensors

    cfg = load_config(ROOT / config)
    factory = build_env_factory(cfg)
    tasks = split_tasks(factory, cfg.env.id, cfg.env.splits.train)
    rng = random.Random(seed)
    picked = [tasks[rng.randrange(len(tasks))] for _ in range(episodes)]
    builder = PromptBuilder(system=cfg.prompt.system, user=cfg.prompt.user,
                            history_window=cfg.rollout.history_window,
                            show_admissible=cfg.prompt.show_admissible)
    demos = collect_demonstrations(factory, builder, picked, env_id=cfg.env.id,
                                   recovery_fraction=cfg.trainer.sft.recovery_fraction,
                                   seed=seed, progress=False)
    spec = json.loads((ROOT / "configs" / "models" / "tiny.json").read_text())
    texts = [m["content"] for d in demos for m in d.messages] + [d.action for d in demos]
    tokenizer = build_tokenizer(texts, vocab_size=int(spec.pop("vocab_size", 2000)))
    model = build_tiny_model(tokenizer, seed=seed, **spec)
    torch.manual_seed(seed)
    pairs = demo_tensors(tokenizer, demos)
    actions = sorted({d.action for d in demos})
    choices = []
    for d in demos:  # 30 choices per prompt: its own action and 29 others
        others = [a for a in actions if a != d.action]
        choices.append([d.action, *rng.sample(others, min(29, len(others)))])
    return {"cfg": cfg, "tokenizer": tokenizer, "model": model, "pairs": pairs,
            "choices": choices, "spec": spec, "demos": len(demos)}


def bench_generation(fixture: dict[str, Any], batch_sizes: Sequence[int], repeats: int,
                     max_new_tokens: int, constrained: bool = False) -> dict[str, Any]:
    """Generated tokens/s and actions/s of ``HFPolicy.generate_ids`` per batch size (with
    ``constrained``, each prompt decodes only its ``fixture["choices"]``; building the prefix
    trees is inside the time)."""
    from agentrl.policies.base import SamplingParams
    from agentrl.policies.hf import HFPolicy

    policy = HFPolicy(fixture["model"], fixture["tokenizer"], device="cpu",
                      num_threads=fixture.get("threads"))
    prompts = [p for p, _ in fixture["pairs"]]
    out: dict[str, Any] = {"max_new_tokens": max_new_tokens, "temperature": 1.0,
                           "batches": {}}
    for b in batch_sizes:
        tokens: list[int] = []
        batch_prompts: list[int] = []

        def run(r: int, b: int = b, tokens: list[int] = tokens,
                batch_prompts: list[int] = batch_prompts) -> float:
            start = (max(r, 0) * b) % len(prompts)
            batch = [prompts[(start + i) % len(prompts)] for i in range(b)]
            sampling = SamplingParams(temperature=1.0, max_new_tokens=max_new_tokens,
                                      seed=1000 + r)
            tries = None
            if constrained:
                tries = [policy.trie(fixture["choices"][(start + i) % len(prompts)])
                         for i in range(b)]
            ids, _, _ = policy.generate_ids(batch, sampling, tries=tries)
            n = sum(len(x) for x in ids)
            if r >= 0:
                tokens.append(n)
                batch_prompts.append(sum(len(p) for p in batch) // b)
            return float(n)

        rates = timed_samples(run, repeats)
        per_action = [rate * b / max(t, 1) for rate, t in zip(rates, tokens, strict=True)]
        out["batches"][str(b)] = {
            "batch_size": b, "tokens_per_s": spread(rates), "actions_per_s": spread(per_action),
            "generated_tokens": tokens, "mean_prompt_tokens": statistics.fmean(batch_prompts)}
    return out


def bench_trainer(fixture: dict[str, Any], minibatches: int, repeats: int,
                  minibatch_size: int, constrained: bool = False) -> dict[str, Any]:
    """Samples/s of the old-log-prob pass and of PPO-clip update steps on packed samples
    (with ``constrained``, each sample carries the allowed-token sets of its choices)."""
    import torch

    from agentrl.trainer.actor import Actor
    from agentrl.trainer.losses import aggregate, ppo_clip_loss
    from agentrl.trainer.samples import StepSample, pack

    cfg = fixture["cfg"]
    t = cfg.trainer
    pad = fixture["tokenizer"].pad_token_id
    actor = Actor(fixture["model"])
    optimizer = torch.optim.AdamW(actor.parameters(), lr=t.lr, weight_decay=0.0)
    rng = random.Random(0)
    samples = [StepSample(prompt_ids=p, response_ids=r, advantage=rng.choice((-1.0, 1.0)),
                          weight=1.0 / 6) for p, r in fixture["pairs"]]
    if constrained:
        from agentrl.policies.constrain import ActionTrie

        tokenizer = fixture["tokenizer"]
        for s, choices in zip(samples, fixture["choices"], strict=True):
            trie = ActionTrie.build(tokenizer, choices, tokenizer.eos_token_id)
            s.allowed = [trie.allowed(s.response_ids[:j]) for j in range(len(s.response_ids))]
    size = minibatch_size

    def minibatch(r: int, i: int) -> list[StepSample]:
        start = ((max(r, 0) * minibatches + i) * size) % len(samples)
        return [samples[(start + j) % len(samples)] for j in range(size)]

    def logprob_pass(r: int) -> float:
        actor.eval()
        with torch.no_grad():
            for i in range(minibatches):
                actor(pack(minibatch(r, i), pad), cfg.rollout.temperature)
        return float(minibatches * size)

    def update(r: int) -> float:
        actor.train()
        for i in range(minibatches):
            batch = pack(minibatch(r, i), pad)
            optimizer.zero_grad(set_to_none=True)
            logp, _, _ = actor(batch, cfg.rollout.temperature)
            loss_tok, _ = ppo_clip_loss(logp, logp.detach(), batch.advantages, t.clip_ratio)
            loss = aggregate(loss_tok, batch.response_mask, t.loss_agg, batch.weights)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(actor.parameters(), t.max_grad_norm)
            optimizer.step()
        return float(minibatches * size)

    lengths = [len(s.prompt_ids) + len(s.response_ids) for s in samples]
    return {"minibatch_size": size, "minibatches_per_sample": minibatches,
            "mean_sample_tokens": statistics.fmean(lengths),
            "mean_response_tokens": statistics.fmean(len(s.response_ids) for s in samples),
            "logprob_pass_samples_per_s": spread(timed_samples(logprob_pass, repeats)),
            "update_samples_per_s": spread(timed_samples(update, repeats))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/quickstart.yaml")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 32],
                        help="generation batch sizes (32 = the quickstart's 4 x 8 rollout)")
    parser.add_argument("--minibatches", type=int, default=4,
                        help="trainer minibatches per timed sample")
    parser.add_argument("--episodes", type=int, default=60, help="demonstration episodes")
    parser.add_argument("--max-new-tokens", type=int, default=None,
                        help="tokens per action (default: the config's policy.max_new_tokens)")
    parser.add_argument("--minibatch-size", type=int, default=None,
                        help="step samples per update (default: trainer.minibatch_size)")
    parser.add_argument("--threads", type=int, nargs="+", default=None,
                        help="torch CPU thread counts to measure (default: 1 and all cores; "
                             "on a shared CPU one thread can be much faster)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 2 repeats, batches 1 and 4, minibatch 16, 8 tokens, "
                             "1 thread")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.batch_sizes, args.minibatches, args.episodes = 2, [1, 4], 1, 4
        args.max_new_tokens, args.minibatch_size = 8, 16
        args.threads = args.threads or [1]
    import torch
    from rich.console import Console
    from rich.table import Table

    machine = machine_info()
    fixture = build_fixture(args.config, args.episodes)
    cfg = fixture["cfg"]
    threads = args.threads or sorted({1, os.cpu_count() or 1})
    runs = []
    for n in threads:
        torch.set_num_threads(n)
        generation = bench_generation({**fixture, "threads": n}, args.batch_sizes, args.repeats,
                                      args.max_new_tokens or cfg.policy.max_new_tokens)
        constrained = bench_generation({**fixture, "threads": n}, args.batch_sizes,
                                       args.repeats,
                                       args.max_new_tokens or cfg.policy.max_new_tokens,
                                       constrained=True)
        # the update changes the weights: train a copy, so every thread count sees one model
        size = args.minibatch_size or cfg.trainer.minibatch_size
        trainer = bench_trainer({**fixture, "model": copy.deepcopy(fixture["model"])},
                                args.minibatches, args.repeats, size)
        masked = bench_trainer({**fixture, "model": copy.deepcopy(fixture["model"])},
                               args.minibatches, args.repeats, size, constrained=True)
        trainer["logprob_pass_samples_per_s_constrained"] = masked["logprob_pass_samples_per_s"]
        trainer["update_samples_per_s_constrained"] = masked["update_samples_per_s"]
        runs.append({"threads": n, "generation": generation,
                     "generation_constrained": constrained, "trainer": trainer})
    params = sum(p.numel() for p in fixture["model"].parameters())
    result = {
        "benchmark": "model_speed",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model": {"preset": "configs/models/tiny.json", **fixture["spec"],
                  "vocab_size": len(fixture["tokenizer"]), "parameters": params},
        "config": args.config, "quick": args.quick, "repeats": args.repeats,
        "demonstration_states": fixture["demos"], "runs": runs,
        "machine": machine, "load_average_after": list(os.getloadavg()),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")

    table = Table(title=f"tiny model ({params / 1e6:.2f} M parameters), "
                        f"{machine['cpus']} CPUs, load {machine['load_average'][0]:.1f}")
    for col in ("measurement", "median", "min - max", "IQR"):
        table.add_column(col)
    rows = []
    for run in runs:
        t = f"{run['threads']} thread{'s' if run['threads'] > 1 else ''}"
        rows += [(f"{t}: generation, batch {b['batch_size']}: tokens/s", b["tokens_per_s"])
                 for b in run["generation"]["batches"].values()]
        for b in run["generation_constrained"]["batches"].values():
            rows += [(f"{t}: constrained generation, batch {b['batch_size']}: tokens/s",
                      b["tokens_per_s"]),
                     (f"{t}: constrained generation, batch {b['batch_size']}: actions/s",
                      b["actions_per_s"])]
        rows += [(f"{t}: trainer log-prob pass samples/s",
                  run["trainer"]["logprob_pass_samples_per_s"]),
                 (f"{t}: trainer PPO update samples/s", run["trainer"]["update_samples_per_s"]),
                 (f"{t}: trainer log-prob pass samples/s, constrained",
                  run["trainer"]["logprob_pass_samples_per_s_constrained"]),
                 (f"{t}: trainer PPO update samples/s, constrained",
                  run["trainer"]["update_samples_per_s_constrained"])]
    for name, s in rows:
        table.add_row(name, f"{s['median']:.1f}", f"{s['min']:.1f} - {s['max']:.1f}",
                      f"{s['iqr'][0]:.1f} - {s['iqr'][1]:.1f}")
    Console().print(table)
    print(f"saved {RESULTS}")


if __name__ == "__main__":
    main()
