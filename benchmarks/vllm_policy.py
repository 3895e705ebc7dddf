"""The ``vllm`` policy against ``hf`` on this machine: generation speed, the time to send the
trainer's weights, and how far the recorded log-probs are from the trainer's.

The model and prompts are the quickstart's, as in :mod:`benchmarks.model_speed`: step prompts of
expert demonstrations on ``agentrl/Household-v0`` with the quickstart's prompt settings, a
byte-level BPE tokenizer trained on them and the randomly initialised tiny Qwen2 model of
``configs/models/tiny.json``, saved as a Hugging Face directory for vLLM.

- **generation**: ``act`` on batches of real step prompts (given as token ids, as the rollout
  does), temperature 1, the quickstart's ``max_new_tokens``; tokens/s counts generated tokens,
  the prompt prefill is inside the time. ``hf`` runs with one torch thread per core; vLLM's CPU
  engine binds its own threads to the cores and runs in a process of its own.
- **weight sync**: :meth:`agentrl.policies.vllm_backend.VLLMPolicy.load_weights` with the whole
  model (what the local trainer sends before every rollout with ``policy.backend: vllm``).
- **log-prob gap**: the largest and mean difference per generated token between what vLLM
  recorded and :func:`agentrl.policies.hf.sequence_logprobs` (the trainer's recomputation),
  before and after a weight sync.

It needs vLLM, which lives in its own virtualenv (``bash scripts/setup-vllm.sh``)::

    .venv-vllm/bin/python -m benchmarks.vllm_policy [--repeats 5] [--batch-sizes 16 128]

Writes (appends a run to) ``benchmarks/results/vllm_policy.json``.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks import append_runs
from benchmarks.model_speed import build_fixture, machine_info, spread, timed_samples

RESULTS = Path(__file__).parent / "results" / "vllm_policy.json"


def _generation(policy: Any, prompts: list[list[int]], batch: int, repeats: int,
                max_new_tokens: int) -> dict[str, Any]:
    from agentrl.policies import PolicyInput, SamplingParams

    tokens: list[int] = []

    def run(r: int) -> float:
        start = (max(r, 0) * batch) % len(prompts)
        inputs = [PolicyInput(messages=[], prompt_ids=prompts[(start + i) % len(prompts)])
                  for i in range(batch)]
        gens = policy.act(inputs, SamplingParams(max_new_tokens=max_new_tokens, seed=1000 + r))
        n = sum(len(g.response_ids) for g in gens)
        if r >= 0:
            tokens.append(n)
        return float(n)

    rates = timed_samples(run, repeats)
    actions = [rate * batch / max(t, 1) for rate, t in zip(rates, tokens, strict=True)]
    return {"batch_size": batch, "tokens_per_s": spread(rates),
            "actions_per_s": spread(actions), "generated_tokens": tokens}


def _gap(policy: Any, model: Any, prompts: list[list[int]], max_new_tokens: int
         ) -> dict[str, float]:
    from agentrl.policies import PolicyInput, SamplingParams
    from agentrl.policies.hf import sequence_logprobs

    gens = policy.act([PolicyInput(messages=[], prompt_ids=p) for p in prompts],
                      SamplingParams(max_new_tokens=max_new_tokens, seed=7))
    ref = sequence_logprobs(model, [g.prompt_ids for g in gens], [g.response_ids for g in gens])
    gaps = [abs(a - b) for g, r in zip(gens, ref, strict=True)
            for a, b in zip(g.logprobs, r, strict=True)]
    return {"max": max(gaps), "mean": statistics.fmean(gaps), "tokens": len(gaps)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/quickstart.yaml")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[16, 128],
                        help="generation batch sizes (128 = a quickstart iteration's 16 x 8)")
    parser.add_argument("--episodes", type=int, default=60, help="demonstration episodes")
    args = parser.parse_args(argv)
    import torch
    from rich.console import Console
    from rich.table import Table

    from agentrl.policies import make_policy
    from agentrl.policies.hf import HFPolicy

    console = Console()
    machine = machine_info()
    fixture = build_fixture(args.config, args.episodes)
    model, tokenizer = fixture["model"], fixture["tokenizer"]
    max_new = fixture["cfg"].policy.max_new_tokens
    prompts = [p for p, _ in fixture["pairs"]]
    threads = os.cpu_count() or 1
    run: dict[str, Any] = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine,
        "model": fixture["spec"], "prompts": len(prompts), "max_new_tokens": max_new,
        "repeats": args.repeats, "hf_threads": threads}
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        start = time.perf_counter()
        vllm = make_policy(f"vllm:{tmp}", enforce_eager=True)
        run["vllm_start_s"] = time.perf_counter() - start
        try:
            import vllm as vllm_module

            run["vllm_version"] = vllm_module.__version__
            hf = HFPolicy(model, tokenizer, device="cpu", num_threads=threads)
            run["generation"] = {
                name: [_generation(policy, prompts, b, args.repeats, max_new)
                       for b in args.batch_sizes]
                for name, policy in (("hf", hf), ("vllm", vllm))}
            run["logprob_gap"] = _gap(vllm, model, prompts[:128], max_new)
            trained = copy.deepcopy(model)
            torch.manual_seed(0)
            with torch.no_grad():
                for p in trained.parameters():
                    p.add_(torch.randn_like(p) * 0.05)
            syncs = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                vllm.load_weights(trained.named_parameters())
                syncs.append(time.perf_counter() - start)
            run["weight_sync_s"] = spread(syncs)
            run["parameters"] = sum(p.numel() for p in trained.parameters())
            run["logprob_gap_after_sync"] = _gap(vllm, trained, prompts[:128], max_new)
        finally:
            vllm.close()
    append_runs(RESULTS, [run])

    table = Table(title=f"vllm vs hf on {machine['cpu']} ({machine['cpus']} cores)")
    for col in ("policy", "batch", "tokens/s (median)", "actions/s (median)"):
        table.add_column(col)
    for name, rows in run["generation"].items():
        for row in rows:
            table.add_row(name, str(row["batch_size"]),
                          f"{row['tokens_per_s']['median']:.0f}",
                          f"{row['actions_per_s']['median']:.1f}")
    console.print(table)
    console.print(f"vLLM engine start {run['vllm_start_s']:.1f} s; weight sync "
                  f"{run['weight_sync_s']['median'] * 1000:.0f} ms for {run['parameters']:,} "
                  f"parameters; log-prob gap to the trainer max "
                  f"{run['logprob_gap']['max']:.1e} (after a sync "
                  f"{run['logprob_gap_after_sync']['max']:.1e})")
    console.print(f"results: {RESULTS}")


if __name__ == "__main__":
    main()
