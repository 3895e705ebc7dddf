"""Learning benchmark: which credit-assignment methods learn, on this CPU, with the tiny model.

Every method of a seed starts from the *same* SFT checkpoint and gets the *same* budget of
environment steps; held-out test success is measured on the same tasks with the same sampling
seeds, sampled (temperature 1, the training distribution) and greedy, with 95% Wilson intervals.

Comparisons (``--comparisons``):

- ``household-estimators``: SFT only vs GRPO (Shao et al. 2024, "DeepSeekMath", arXiv
  2402.03300), RLOO (Ahmadian et al. 2024, "Back to Basics", arXiv 2402.14740), GiGPO (Feng et
  al. 2025, arXiv 2505.10978) and PPO with a critic and GAE (Schulman et al. 2016, arXiv
  1506.02438) on ``agentrl/Household-v0``. Question: does GiGPO beat GRPO?
- ``household-shaping``: GiGPO alone vs GiGPO with milestone shaping (potential-based, MiRA,
  arXiv 2603.19685) vs GiGPO with SPA stepwise progress rewards (Wang et al. 2025, arXiv
  2505.20732). The plain GiGPO runs are shared with the first comparison.
- ``tools-gated``: G-RA gated reward accumulation vs its ungated D-RA baseline ("Stabilizing
  Long-term Multi-turn RL with Gated Rewards", arXiv 2508.10548) on ``agentrl/ToolUse-v0``,
  whose turns report dense ToolRL rewards (``format``, ``correct``; Qian et al. 2025, arXiv
  2504.13958) next to the sparse ``outcome`` in ``reward_components``. The training episodes'
  dense-reward totals are recorded per iteration next to their success, to show whether the
  ungated sum gets hacked (dense reward rises while the outcome does not).

Protocol, per environment and seed:

1. SFT once: a ``LocalTrainer`` with ``trainer.iterations=0`` and SFT on writes ``RUN/sft``
   (demonstrations, tokenizer and tiny model as in the quickstart); it is evaluated as the
   "SFT only" row.
2. Every RL method starts from ``model.path=RUN/sft`` with SFT off and runs the trainer's stages
   (rollout -> credit -> update) one iteration at a time until its cumulative environment steps
   reach the budget (``--budget-steps``, ``--tools-budget-steps``); the last iteration may
   overshoot it, and the steps actually used are recorded.
3. The final model is evaluated on the first ``--test-episodes`` test tasks (task i with seed i,
   one episode each), sampled and greedy.

Everything else comes from the base configs (``configs/quickstart.yaml``, ``configs/tools.yaml``):
the learning rate, group size, PPO settings and the household shapers; the household runs use
4 tasks per iteration (``Setup.overrides``) instead of the quickstart's 16, so that a budget
spans a few iterations, and keep the plain PPO clip of the recorded results (no dual clip). The
method only changes ``credit`` (see :data:`SETUPS`).

Statistics: per method, the success pooled over seeds with its Wilson interval (Wilson 1927);
the seeds replay the same test tasks, so pooled episodes are correlated and the pooled interval
is somewhat too narrow; per-seed rates are listed too. "Beats X?" compares pooled success with
Newcombe's hybrid score interval for a difference of proportions (Newcombe 1998, Statistics in
Medicine 17:873-890, method 10): "yes" only when the interval's lower end is above 0.

Time (2-core CPU, from the stage times of the 2026-12-04 runs, see :data:`ESTIMATE`;
:func:`wall_estimate` computes it for any settings, ``--estimate`` prints it): per seed about
15 min for the household (SFT ~5.5 min, 6 RL methods of 2-3 iterations ~5.5 min, 7 models x 2
decodings ~3.5 min) and 23 min for tool use (SFT of 400 episodes x 20 epochs ~17.5 min). The
defaults (3 seeds, 2,000 household / 400 tool env steps per method, 100 test tasks) come to
about 114 minutes in one process and 61 with ``--jobs 2``: every (setup, seed) pair runs in its
own process of one torch thread, at most two at a time, the tool-use ones first
(:func:`schedule`). SFT and evaluation are fixed costs that take most of it, so the RL budgets
are small (2-3 iterations per household method); ``--budget-steps 10000 --tools-budget-steps
2000`` gives the methods room to differ. Runs use one torch thread (``--threads``): on a
shared CPU that was 5x faster than one thread per core.

    python -m benchmarks.learning [--seeds 0 1 2] [--jobs 2] [--budget-steps 2000] [--quick]

Writes ``benchmarks/results/learning.json`` (settings, per method and seed: env steps,
iterations, learning curve, held-out successes; pooled means, intervals and verdicts),
``learning.md`` (the tables) and ``learning_*.png`` (curves, success bars).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from agentrl.evaluation import wilson_interval
from agentrl.types import Episode

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "learning.json"

#: Seconds per run process with one torch thread, two such processes sharing the 2-core CPU
#: (``--jobs 2``), measured in the 2026-12-04 run (``runs[...]["seconds"]`` of learning.json):
#: household SFT 300 episodes x 8 epochs ~325 s; GiGPO ~0.018 s per env step (4 x 8 episodes,
#: ~850 steps per iteration); 100 test episodes ~15 s per decoding. Tool use, from the
#: 2026-12-04 re-run of ``tools-gated`` (prompts of ~520 tokens since the tokenizer learns the
#: tool schemas, 64-token actions): SFT 400 episodes x 20 epochs 1,014-1,085 s; 0.15-0.18 s per
#: env step; 100 test episodes 17-40 s per decoding (a model that fails uses all its turns).
ESTIMATE = {
    "household": {"sft_s_per_episode_epoch": 325 / (300 * 8), "rl_s_per_step": 0.018,
                  "eval_s_per_episode": 0.15},
    "tools": {"sft_s_per_episode_epoch": 1050 / (400 * 20), "rl_s_per_step": 0.17,
              "eval_s_per_episode": 0.26},
}
#: Seconds per trained or evaluated model for loading, environment setup and the first batch.
ESTIMATE_FIXED_S_PER_MODEL = 10.0
#: Cost of an RL env step relative to plain GiGPO/GRPO (SPA trains a progress estimator, a copy
#: of the policy, for 2 epochs on every batch; GAE adds a value pass).
METHOD_COST = {"gigpo+spa": 3.0, "ppo-gae": 1.2}


# =============================================================================================
# methods and comparisons
# =============================================================================================
@dataclass(frozen=True)
class Method:
    """One training recipe: an estimator and shapers on top of the base config's.

    ``estimator`` replaces the config's estimator (None: keep it); ``shapers_before`` and
    ``shapers_after`` are put around the config's shapers (``replace_shapers`` drops those).
    ``rl=False`` is the SFT-only model.
    """

    name: str
    label: str
    estimator: dict[str, Any] | None = None
    shapers_before: tuple[dict[str, Any], ...] = ()
    shapers_after: tuple[dict[str, Any], ...] = ()
    replace_shapers: bool = False
    rl: bool = True

    def describe(self) -> dict[str, Any]:
        """The method as JSON: label, estimator and the shapers around the config's."""
        return {"label": self.label, "rl": self.rl, "estimator": self.estimator or "config's",
                "shapers": [*self.shapers_before,
                            *([] if self.replace_shapers else ["<config's shapers>"]),
                            *self.shapers_after]}

    def credit_overrides(self, base_shapers: Sequence[dict[str, Any]]) -> list[str]:
        """``key=value`` config overrides for this method (JSON values are YAML flow)."""
        if not self.rl:
            return []
        out = []
        if self.estimator is not None:
            out.append(f"credit.estimator={json.dumps(self.estimator)}")
        middle = [] if self.replace_shapers else list(base_shapers)
        shapers = [*self.shapers_before, *middle, *self.shapers_after]
        if self.shapers_before or self.shapers_after or self.replace_shapers:
            out.append(f"credit.shapers={json.dumps(shapers)}")
        return out


@dataclass(frozen=True)
class Setup:
    """An environment with its base config and its methods."""

    name: str
    config: str
    methods: dict[str, Method]
    quick_overrides: tuple[str, ...] = ()
    #: config overrides of every run of this setup (the benchmark's own batch shape)
    overrides: tuple[str, ...] = ()


GATED = {"name": "gated", "priority": ["outcome", "format", "correct"],
         "thresholds": {"outcome": 1.0}}

SETUPS: dict[str, Setup] = {
    "household": Setup(
        name="household", config="configs/quickstart.yaml",
        # the quickstart's 16 tasks per iteration (~3,300 env steps) would give every method a
        # single iteration of the budget; 4 tasks x 8 episodes (~850 steps) give 2-3. PPO stays
        # without the dual clip that became the default after these results were measured
        # (drop that override to measure today's defaults)
        overrides=("rollout.groups_per_batch=4", "trainer.clip_ratio_c=null"),
        methods={m.name: m for m in (
            Method("sft", "SFT only", rl=False),
            Method("grpo", "GRPO", {"name": "grpo", "norm_std": True}),
            Method("rloo", "RLOO", {"name": "rloo"}),
            Method("gigpo", "GiGPO", {"name": "gigpo", "gamma": 0.95, "omega": 1.0,
                                      "norm_std": True}),
            Method("ppo-gae", "PPO (GAE, critic)", {"name": "gae", "gamma": 0.95, "lam": 0.95}),
            Method("gigpo+milestone", "GiGPO + milestone shaping",
                   {"name": "gigpo", "gamma": 0.95, "omega": 1.0, "norm_std": True},
                   shapers_after=({"name": "milestone", "weight": 1.0, "gamma": 1.0},)),
            # SPA replaces the incoming reward, so it goes first and the config's shapers
            # (the invalid-action penalty) apply on top of its progress rewards
            Method("gigpo+spa", "GiGPO + SPA progress rewards",
                   {"name": "gigpo", "gamma": 0.95, "omega": 1.0, "norm_std": True},
                   shapers_before=({"name": "spa", "alpha": 0.5},)),
        )},
        quick_overrides=("trainer.sft.episodes=16", "trainer.sft.epochs=1",
                         "rollout.groups_per_batch=2", "rollout.group_size=4",
                         "rollout.max_turns=6")),
    "tools": Setup(
        name="tools", config="configs/tools.yaml",
        overrides=("trainer.clip_ratio_c=null",),  # as measured, before dual clip (see above)
        methods={m.name: m for m in (
            Method("sft", "SFT only", rl=False),
            Method("gated", "G-RA (gated)", shapers_after=(GATED,), replace_shapers=True),
            Method("ungated", "D-RA (ungated)", shapers_after=({**GATED, "ungated": True},),
                   replace_shapers=True),
        )},
        quick_overrides=("trainer.sft.episodes=16", "trainer.sft.epochs=1",
                         "rollout.groups_per_batch=2", "rollout.group_size=4",
                         "rollout.max_turns=4", "policy.max_new_tokens=32")),
}


@dataclass(frozen=True)
class Comparison:
    """A table: methods of one setup, each compared with the ``baselines``."""

    name: str
    title: str
    question: str
    setup: str
    methods: tuple[str, ...]
    baselines: tuple[str, ...]


COMPARISONS: dict[str, Comparison] = {c.name: c for c in (
    Comparison("household-estimators", "Household: advantage estimators",
               "Does GiGPO beat GRPO? Does RL beat SFT alone?", "household",
               ("sft", "grpo", "rloo", "gigpo", "ppo-gae"), ("sft", "grpo")),
    Comparison("household-shaping", "Household: reward shaping on top of GiGPO",
               "Do milestone or SPA rewards help GiGPO?", "household",
               ("sft", "gigpo", "gigpo+milestone", "gigpo+spa"), ("sft", "gigpo")),
    Comparison("tools-gated", "Tool use: gated (G-RA) vs ungated (D-RA) dense rewards",
               "Does the ungated sum of dense rewards get hacked? Does G-RA beat D-RA?",
               "tools", ("sft", "gated", "ungated"), ("sft", "ungated")),
)}


# =============================================================================================
# bookkeeping (pure functions)
# =============================================================================================
def run_to_budget(iteration: Callable[[int], int], budget: int, max_iterations: int
                  ) -> tuple[int, int]:
    """Call ``iteration(i)`` for i = 0, 1, ... until the env steps it returns add up to at least
    ``budget`` (or ``max_iterations`` ran). Returns (iterations run, env steps used)."""
    used = done = 0
    while used < budget and done < max_iterations:
        steps = int(iteration(done))
        if steps <= 0:
            raise RuntimeError(f"iteration {done} used no environment steps; the budget would "
                               "never be reached")
        used += steps
        done += 1
    return done, used


def iteration_record(episodes: Sequence[Episode]) -> dict[str, Any]:
    """Per-iteration numbers of a batch of training episodes: env steps, success, returns and
    the per-episode totals of every reward component (``Step.reward_components``)."""
    n = max(len(episodes), 1)
    components: dict[str, float] = {}
    for ep in episodes:
        for step in ep.steps:
            for key, value in step.reward_components.items():
                components[key] = components.get(key, 0.0) + float(value)
    shaped = sum(float(s.shaped_reward or 0.0) for ep in episodes for s in ep.steps)
    return {
        "env_steps": sum(ep.num_steps for ep in episodes),
        "episodes": len(episodes),
        "success": sum(bool(ep.success) for ep in episodes) / n,
        "env_return": sum(ep.total_reward for ep in episodes) / n,
        "shaped_return": shaped / n,
        "components": {k: v / n for k, v in sorted(components.items())},
        "components_total": dict(sorted(components.items())),
    }


def success_stats(successes: int, episodes: int) -> dict[str, Any]:
    """Success rate with its 95% Wilson interval."""
    lo, hi = wilson_interval(successes, episodes) if episodes else (0.0, 1.0)
    return {"successes": successes, "episodes": episodes,
            "success": successes / episodes if episodes else 0.0, "ci": [lo, hi]}


def pool(per_seed: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Pool per-seed ``success_stats`` (sums of counts) and describe the spread over seeds."""
    k = sum(int(r["successes"]) for r in per_seed)
    n = sum(int(r["episodes"]) for r in per_seed)
    rates = [float(r["success"]) for r in per_seed]
    out = success_stats(k, n)
    out["seed_success"] = rates
    out["mean"] = statistics.fmean(rates) if rates else 0.0
    out["seed_std"] = statistics.stdev(rates) if len(rates) > 1 else 0.0
    return out


def difference_interval(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float, float]:
    """p1 - p2 and its 95% interval, Newcombe's hybrid score method from Wilson intervals."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1)
    l2, u2 = wilson_interval(k2, n2)
    d = p1 - p2
    return (d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
            d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))


def verdict(method: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    """Does ``method`` beat ``baseline`` (pooled ``success_stats``)? "yes" only when the 95%
    interval of the difference lies above 0; a higher but not significant rate is a "no"."""
    d, lo, hi = difference_interval(method["successes"], method["episodes"],
                                    baseline["successes"], baseline["episodes"])
    seeds = list(zip(method.get("seed_success", []), baseline.get("seed_success", []),
                     strict=False))
    better = sum(a > b for a, b in seeds)
    beats = lo > 0
    if beats:
        text = f"yes: {d:+.3f} [{lo:+.3f}, {hi:+.3f}]"
    elif d > 0:
        text = f"no: {d:+.3f} [{lo:+.3f}, {hi:+.3f}], not significant"
    else:
        text = f"no: {d:+.3f} [{lo:+.3f}, {hi:+.3f}]"
    if seeds:
        text += f"; better on {better}/{len(seeds)} seeds"
    return {"beats": beats, "diff": d, "ci": [lo, hi], "seeds_better": better,
            "seeds": len(seeds), "text": text}


def window_means(curve: Sequence[dict[str, Any]], key: Callable[[dict[str, Any]], float]
                 ) -> tuple[float, float]:
    """Mean of ``key`` over the first and over the last quarter (>= 1) of the iterations."""
    if not curve:
        return math.nan, math.nan
    w = max(1, len(curve) // 4)
    return (statistics.fmean(key(r) for r in curve[:w]),
            statistics.fmean(key(r) for r in curve[-w:]))


def dense_total(record: dict[str, Any], names: Sequence[str] = ("format", "correct")) -> float:
    """Per-episode total of the dense reward components of an iteration record."""
    return sum(float(record["components"].get(n, 0.0)) for n in names)


def reward_hacking(runs: Sequence[dict[str, Any]], sft: dict[str, Any] | None) -> dict[str, Any]:
    """Dense-reward totals over training and the hacking signature for one method's seeds:
    dense reward per training episode rises (last vs first quarter of iterations) while the
    held-out outcome (sampled, pooled over seeds) ends significantly below the SFT start (the
    95% Newcombe interval of the difference lies below 0; a lower rate within noise is not
    called hacking)."""
    firsts, lasts, succ_first, succ_last, totals = [], [], [], [], []
    for run in runs:
        curve = run.get("curve", [])
        if not curve:
            continue
        a, b = window_means(curve, dense_total)
        firsts.append(a)
        lasts.append(b)
        s0, s1 = window_means(curve, lambda r: float(r["success"]))
        succ_first.append(s0)
        succ_last.append(s1)
        totals.append(sum(dense_total(r) * r["episodes"] for r in curve))
    if not firsts:
        return {}
    out = {"dense_per_episode_first": statistics.fmean(firsts),
           "dense_per_episode_last": statistics.fmean(lasts),
           "train_success_first": statistics.fmean(succ_first),
           "train_success_last": statistics.fmean(succ_last),
           "dense_total_over_training": statistics.fmean(totals)}
    out["dense_rises"] = out["dense_per_episode_last"] > out["dense_per_episode_first"]
    pooled = pool([r["eval"]["sampled"] for r in runs if "eval" in r])
    out["test_success_sampled"] = pooled["success"]
    if sft is not None:
        d, lo, hi = difference_interval(pooled["successes"], pooled["episodes"],
                                        sft["successes"], sft["episodes"])
        out["outcome_vs_sft"] = {"diff": d, "ci": [lo, hi]}
        out["outcome_below_sft"] = hi < 0
        out["hacked"] = bool(out["dense_rises"] and out["outcome_below_sft"])
    return out


def summarize(runs: dict[str, dict[str, dict[str, Any]]],
              comparisons: Sequence[Comparison]) -> list[dict[str, Any]]:
    """Per comparison: per method pooled success (sampled, greedy), env steps, iterations, and
    verdicts against each baseline. ``runs[setup][method][seed]`` are the per-seed results."""
    out = []
    for comp in comparisons:
        setup_runs = runs.get(comp.setup, {})
        pooled: dict[str, dict[str, Any]] = {}
        rows = []
        for name in comp.methods:
            seed_runs = [r for r in setup_runs.get(name, {}).values() if "eval" in r]
            if not seed_runs:
                rows.append({"method": name, "label": SETUPS[comp.setup].methods[name].label,
                             "missing": True})
                continue
            row: dict[str, Any] = {"method": name,
                                   "label": SETUPS[comp.setup].methods[name].label,
                                   "seeds": [r["seed"] for r in seed_runs]}
            for decoding in ("sampled", "greedy"):
                row[decoding] = pool([r["eval"][decoding] for r in seed_runs])
            row["env_steps_mean"] = statistics.fmean(r.get("env_steps", 0) for r in seed_runs)
            row["iterations_mean"] = statistics.fmean(r.get("iterations", 0) for r in seed_runs)
            pooled[name] = row
            rows.append(row)
        for row in rows:
            if row.get("missing"):
                continue
            row["beats"] = {}
            for base in comp.baselines:
                if base == row["method"] or base not in pooled:
                    continue
                if not SETUPS[comp.setup].methods[row["method"]].rl:
                    continue  # the SFT start is a baseline, not a contender
                row["beats"][base] = {d: verdict(row[d], pooled[base][d])
                                      for d in ("sampled", "greedy")}
            if comp.setup == "tools" and row["method"] != "sft":
                sft = pooled.get("sft", {}).get("sampled")
                row["dense"] = reward_hacking(list(setup_runs[row["method"]].values()), sft)
        out.append({"name": comp.name, "title": comp.title, "question": comp.question,
                    "setup": comp.setup, "baselines": list(comp.baselines), "rows": rows})
    return out


def estimate_minutes(setups: dict[str, dict[str, Any]], seeds: int) -> dict[str, float]:
    """Minutes on a quiet 2-core CPU for the planned runs, from :data:`ESTIMATE`.

    ``setups[name]`` holds ``sft_episodes``, ``sft_epochs``, ``budget``, ``test_episodes`` and
    ``methods`` (the RL method names run for that setup)."""
    out: dict[str, float] = {}
    for name, plan in setups.items():
        c = ESTIMATE[name]
        sft = plan["sft_episodes"] * plan["sft_epochs"] * c["sft_s_per_episode_epoch"]
        rl = sum(plan["budget"] * c["rl_s_per_step"] * METHOD_COST.get(m, 1.0)
                 for m in plan["methods"])
        models = len(plan["methods"]) + 1
        evals = models * 2 * plan["test_episodes"] * c["eval_s_per_episode"]
        fixed = models * ESTIMATE_FIXED_S_PER_MODEL
        out[name] = seeds * (sft + rl + evals + fixed) / 60
    out["total"] = sum(out.values())
    return out


# =============================================================================================
# markdown
# =============================================================================================
def _pct(stats: dict[str, Any]) -> str:
    lo, hi = stats["ci"]
    return f"{stats['success']:.3f} [{lo:.3f}, {hi:.3f}] ({stats['successes']}/{stats['episodes']})"


def _seeds(stats: dict[str, Any]) -> str:
    return " / ".join(f"{r:.2f}" for r in stats["seed_success"])


def markdown_tables(result: dict[str, Any]) -> str:
    """The comparisons of a ``learning.json`` as markdown tables."""
    s = result.get("settings", {})
    lines = []
    if result.get("quick"):
        lines += ["**Quick (toy-scale) run: these numbers only show that the pipeline works; "
                  "they say nothing about the methods.**", ""]
    lines += [f"Seeds {s.get('seeds')}; {s.get('test_episodes')} held-out test tasks per model "
              f"and decoding (pooled over seeds: n = seeds x tasks); env-step budget per RL "
              f"method: household {s.get('budgets', {}).get('household')}, tool use "
              f"{s.get('budgets', {}).get('tools')}. Success: pooled rate [95% Wilson CI] "
              "(successes/episodes); per seed: sampled rate of each seed. \"Beats X?\": "
              "difference of pooled sampled (T=1) success with its 95% Newcombe interval; "
              "'yes' only if the interval excludes 0.", ""]
    for comp in result.get("comparisons", []):
        lines += [f"#### {comp['title']}", "", f"{comp['question']}", ""]
        head = ["method", "env steps", "iterations", "test success T=1", "per seed T=1",
                "test success greedy"]
        head += [f"beats {SETUPS[comp['setup']].methods[b].label}? (T=1)"
                 for b in comp["baselines"]]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for row in comp["rows"]:
            if row.get("missing"):
                lines.append(f"| {row['label']} | " + " | ".join(
                    ["not run"] + [""] * (len(head) - 2)) + " |")
                continue
            cells = [row["label"], f"{row['env_steps_mean']:.0f}",
                     f"{row['iterations_mean']:.1f}", _pct(row["sampled"]),
                     _seeds(row["sampled"]), _pct(row["greedy"])]
            for b in comp["baselines"]:
                v = row.get("beats", {}).get(b)
                cells.append("(baseline)" if b == row["method"] else
                             (v["sampled"]["text"] if v else "—"))
            lines.append("| " + " | ".join(cells) + " |")
        dense_rows = [r for r in comp["rows"] if r.get("dense")]
        if dense_rows:
            lines += ["", "Dense rewards over training (per training episode, format + correct; "
                      "first vs last quarter of the iterations, mean over seeds):", "",
                      "| method | dense reward first → last | dense total over training | "
                      "train success first → last | test success T=1 | hacked? |",
                      "|---|---|---|---|---|---|"]
            for r in dense_rows:
                d = r["dense"]
                hacked = d.get("hacked")
                vs = d.get("outcome_vs_sft")
                diff = (f": {vs['diff']:+.3f} [{vs['ci'][0]:+.3f}, {vs['ci'][1]:+.3f}]"
                        if vs else "")
                why = (f"yes: dense reward rose while test success fell below SFT{diff}"
                       if hacked else
                       "no" + ("" if hacked is None else
                               f" (dense {'rose' if d['dense_rises'] else 'did not rise'}, "
                               "test success "
                               f"{'below' if d['outcome_below_sft'] else 'not significantly below'}"
                               f" SFT{diff})"))
                lines.append(
                    f"| {r['label']} | {d['dense_per_episode_first']:.2f} → "
                    f"{d['dense_per_episode_last']:.2f} | {d['dense_total_over_training']:.1f} | "
                    f"{d['train_success_first']:.2f} → {d['train_success_last']:.2f} | "
                    f"{d['test_success_sampled']:.3f} | {why} |")
        lines.append("")
    return "\n".join(lines)


# =============================================================================================
# running
# =============================================================================================
def _say(msg: str) -> None:
    print(f"[learning {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _quiet(*_args: Any, **_kwargs: Any) -> None:
    return None


def _new_trainer(plan: Plan, cfg: Any) -> Any:
    """A quiet ``LocalTrainer``; ``plan.threads`` overrides the torch CPU threads it sets."""
    import torch

    from agentrl.trainer import LocalTrainer

    if plan.threads:  # for SFT, which runs inside the constructor
        torch.set_num_threads(plan.threads)
    trainer = LocalTrainer(cfg, progress=False, log=_quiet)
    if plan.threads:  # the trainer's policy set one thread per core
        torch.set_num_threads(plan.threads)
    return trainer


def _close(trainer: Any) -> None:
    """Release a trainer's environments and TensorBoard writer before the next one starts."""
    for obj in (getattr(trainer, "engine", None), getattr(trainer, "_tb", None)):
        if obj is not None:
            obj.close()


def evaluate(trainer: Any, episodes: int) -> dict[str, Any]:
    """Held-out test success of the trainer's current model, sampled (T=1) and greedy."""
    split = trainer.cfg.env.splits.test
    out: dict[str, Any] = {"split": split}
    for label, temperature in (("sampled", 1.0), ("greedy", 0.0)):
        stats = trainer.evaluate(split, prefix="e", temperature=temperature, episodes=episodes)
        n = int(stats["e_episodes"])
        out[label] = success_stats(round(stats["e_success"] * n), n)
    return out


@dataclass
class Plan:
    """Settings of a benchmark run (from the command line)."""

    seeds: list[int]
    comparisons: list[Comparison]
    budgets: dict[str, int]
    test_episodes: int
    max_iterations: int
    runs_dir: Path
    quick: bool = False
    overrides: dict[str, list[str]] = field(default_factory=dict)
    threads: int | None = None

    def methods(self, setup: str) -> list[str]:
        """Method names of ``setup`` needed by the selected comparisons, in a stable order."""
        wanted = {m for c in self.comparisons if c.setup == setup for m in c.methods}
        return [m for m in SETUPS[setup].methods if m in wanted]

    def setups(self) -> list[str]:
        return [s for s in SETUPS if self.methods(s)]


def base_overrides(plan: Plan, setup: Setup, seed: int, out: Path) -> list[str]:
    extra = list(setup.quick_overrides) if plan.quick else []
    return [f"seed={seed}", f"output.dir={out}", "eval.final=false", "eval.every=0",
            *setup.overrides, *extra, *plan.overrides.get(setup.name, [])]


def run_sft(plan: Plan, setup: Setup, seed: int) -> dict[str, Any]:
    """SFT once for (setup, seed); evaluate it; return its directory and results."""
    from agentrl.config import load_config

    out = plan.runs_dir / setup.name / f"seed{seed}"
    cfg = load_config(ROOT / setup.config, [*base_overrides(plan, setup, seed, out),
                                            "trainer.iterations=0", "trainer.sft.enabled=true"])
    t0 = time.perf_counter()
    trainer = _new_trainer(plan, cfg)  # SFT runs in the constructor
    t1 = time.perf_counter()
    result = {"seed": seed, "sft_dir": str(trainer.sft_dir), "iterations": 0, "env_steps": 0,
              "sft_episodes": cfg.trainer.sft.episodes, "sft_epochs": cfg.trainer.sft.epochs,
              "eval": evaluate(trainer, plan.test_episodes)}
    result["seconds"] = {"sft": t1 - t0, "eval": time.perf_counter() - t1}
    _close(trainer)
    return result


def run_method(plan: Plan, setup: Setup, method: Method, seed: int, sft_dir: str
               ) -> dict[str, Any]:
    """RL from the seed's SFT checkpoint until the env-step budget is used; then evaluate."""
    from agentrl.config import load_config

    out = plan.runs_dir / setup.name / f"seed{seed}" / method.name
    base = load_config(ROOT / setup.config, base_overrides(plan, setup, seed, out))
    base_shapers = [{"name": s.name, **s.params} for s in base.credit.shapers]
    overrides = [*base_overrides(plan, setup, seed, out), f"model.path={sft_dir}",
                 "model.preset=null", "trainer.sft.enabled=false",
                 f"trainer.iterations={plan.max_iterations}",
                 *method.credit_overrides(base_shapers)]
    cfg = load_config(ROOT / setup.config, overrides)
    budget = plan.budgets[setup.name]
    t0 = time.perf_counter()
    trainer = _new_trainer(plan, cfg)
    curve: list[dict[str, Any]] = []
    used = 0

    def iteration(it: int) -> int:
        nonlocal used
        episodes, metrics = trainer.iteration(it)
        record = iteration_record(episodes)
        used += record["env_steps"]
        record.update(iteration=it, cum_env_steps=used,
                      **{k: metrics.get(k) for k in ("adv_std", "pg_loss", "entropy",
                                                     "time_rollout_s", "time_credit_s",
                                                     "time_update_s")})
        curve.append(record)
        _say(f"{setup.name} seed {seed} {method.name}: iteration {it}, env steps "
             f"{used}/{budget}, train success {record['success']:.2f}")
        return int(record["env_steps"])

    iterations, used = run_to_budget(iteration, budget, plan.max_iterations)
    (out / "curve.jsonl").write_text("".join(json.dumps(r) + "\n" for r in curve))
    if iterations:  # the evaluated model, loadable with AutoModelForCausalLM
        trainer.checkpoint(iterations - 1)
    t1 = time.perf_counter()
    result = {"seed": seed, "method": method.name, "budget": budget, "env_steps": used,
              "iterations": iterations, "run_dir": str(out), "overrides": overrides,
              "curve": curve, "eval": evaluate(trainer, plan.test_episodes)}
    result["seconds"] = {"train": t1 - t0, "eval": time.perf_counter() - t1}
    _close(trainer)
    return result


def run(plan: Plan, on_result: Callable[[dict[str, Any]], None] | None = None
        ) -> tuple[dict[str, dict[str, dict[str, Any]]], list[str]]:
    """All runs of the plan, seed-major (a partial result is useful if the run is stopped).
    Returns ``runs[setup][method][str(seed)]`` and the failures."""
    runs: dict[str, dict[str, dict[str, Any]]] = {s: {} for s in plan.setups()}
    failures: list[str] = []
    for seed in plan.seeds:
        for setup_name in plan.setups():
            setup = SETUPS[setup_name]
            _say(f"{setup_name} seed {seed}: SFT")
            try:
                sft = run_sft(plan, setup, seed)
            except Exception as exc:  # a failed run is reported; the others still run
                failures.append(f"{setup_name}/sft/seed{seed}: {type(exc).__name__}: {exc}")
                _say(f"FAILED {failures[-1]}")
                continue
            runs[setup_name].setdefault("sft", {})[str(seed)] = sft
            _say(f"{setup_name} seed {seed}: SFT test success sampled "
                 f"{sft['eval']['sampled']['success']:.3f}, greedy "
                 f"{sft['eval']['greedy']['success']:.3f}")
            if on_result:
                on_result(runs)
            for name in plan.methods(setup_name):
                method = setup.methods[name]
                if not method.rl:
                    continue
                try:
                    res = run_method(plan, setup, method, seed, sft["sft_dir"])
                except Exception as exc:
                    failures.append(f"{setup_name}/{name}/seed{seed}: "
                                    f"{type(exc).__name__}: {exc}")
                    _say(f"FAILED {failures[-1]}")
                    continue
                finally:
                    gc.collect()
                runs[setup_name].setdefault(name, {})[str(seed)] = res
                _say(f"{setup_name} seed {seed} {name}: {res['iterations']} iterations, "
                     f"{res['env_steps']} env steps, test success sampled "
                     f"{res['eval']['sampled']['success']:.3f}, greedy "
                     f"{res['eval']['greedy']['success']:.3f}")
                if on_result:
                    on_result(runs)
    return runs, failures


def ordered_by_seed(runs: dict[str, dict[str, dict[str, Any]]]
                    ) -> dict[str, dict[str, dict[str, Any]]]:
    """``runs[setup][method]`` with the seeds in numeric order (parallel units finish in any
    order; the per-seed columns and curves follow this order)."""
    return {setup: {method: dict(sorted(by_seed.items(), key=lambda kv: int(kv[0])))
                    for method, by_seed in methods.items()}
            for setup, methods in runs.items()}


def build_result(plan: Plan, runs: dict[str, dict[str, dict[str, Any]]], failures: list[str],
                 estimate: dict[str, float], started: float) -> dict[str, Any]:
    from benchmarks.model_speed import machine_info

    runs = ordered_by_seed(runs)
    return {
        "benchmark": "learning",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "quick": plan.quick,
        "settings": {"seeds": plan.seeds, "test_episodes": plan.test_episodes,
                     "budgets": plan.budgets, "max_iterations": plan.max_iterations,
                     "threads": plan.threads or "one per core (trainer default)",
                     "configs": {s: SETUPS[s].config for s in plan.setups()},
                     "extra_overrides": plan.overrides,
                     "comparisons": [c.name for c in plan.comparisons],
                     "methods": {s: {m: SETUPS[s].methods[m].describe()
                                     for m in plan.methods(s)} for s in plan.setups()}},
        "estimate_minutes_quiet_machine": estimate,
        "wall_minutes": (time.perf_counter() - started) / 60,
        "machine": machine_info(),
        "failures": failures,
        "comparisons": summarize(runs, plan.comparisons),
        "runs": runs,
    }


def write_outputs(result: dict[str, Any], path: Path) -> None:
    """learning.json, learning.md and the plots next to it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    path.with_suffix(".md").write_text(markdown_tables(result))
    try:
        from benchmarks.plots import plot_learning

        plot_learning(result, path.parent)
    except Exception as exc:  # plots are a convenience; the numbers are in the JSON
        _say(f"plots failed: {type(exc).__name__}: {exc}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=None,
                        help="seeds to run (default 0 1 2; with --quick, 0)")
    parser.add_argument("--comparisons", nargs="+", default=list(COMPARISONS),
                        choices=list(COMPARISONS))
    parser.add_argument("--budget-steps", type=int, default=2000,
                        help="env steps per household RL method")
    parser.add_argument("--tools-budget-steps", type=int, default=400,
                        help="env steps per tool-use RL method")
    parser.add_argument("--test-episodes", type=int, default=100,
                        help="held-out test tasks per model and decoding")
    parser.add_argument("--max-iterations", type=int, default=500,
                        help="safety cap on RL iterations per method")
    parser.add_argument("--runs", default="runs/bench-learning",
                        help="parent directory of the run directories")
    parser.add_argument("--set", action="append", default=[], metavar="SETUP:KEY=VALUE",
                        help="extra config override for a setup, e.g. household:trainer.lr=3e-4")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads of every run (0: the trainer's default, one per "
                             "core); 1 is the default because on a CPU shared with other jobs it "
                             "was 5x faster than 2 (quick run: 2.0 vs 10.4 min at load ~3.5)")
    parser.add_argument("--quick", action="store_true",
                        help="toy scale (1 seed, tiny SFT, 1 iteration, 6 test tasks): checks "
                             "that everything runs, in a few minutes")
    parser.add_argument("--jobs", type=int, default=1,
                        help="run every (setup, seed) pair in its own process, this many at a "
                             "time (one torch thread each by default), and merge their results; "
                             "2 on a 2-core CPU about halves the wall time")
    parser.add_argument("--out", default=str(RESULTS),
                        help="result JSON (learning.md and the plots go next to it)")
    parser.add_argument("--estimate", action="store_true",
                        help="print the time estimate and exit")
    parser.add_argument("--merge", action="store_true",
                        help="keep the results of the setups not run now from the existing "
                             "--out file (same seeds and test episodes), e.g. to re-run the "
                             "tool-use comparison alone")
    parser.add_argument("--report", action="store_true",
                        help="run nothing: rebuild the verdicts, learning.md and the plots from "
                             "the existing --out file")
    args = parser.parse_args(argv)
    if args.report:
        message = report(Path(args.out))
        if message:
            parser.error(message)
        return
    if args.jobs < 1:
        parser.error(f"--jobs must be >= 1, got {args.jobs}")
    extra: dict[str, list[str]] = {}
    for item in args.set:
        setup, sep, override = item.partition(":")
        if not sep or setup not in SETUPS:
            parser.error(f"--set {item!r}: use SETUP:KEY=VALUE with SETUP in {list(SETUPS)}")
        extra.setdefault(setup, []).append(override)
    if args.quick:
        plan = Plan(seeds=args.seeds or [0],
                    comparisons=[COMPARISONS[c] for c in args.comparisons],
                    budgets={"household": 40, "tools": 20}, test_episodes=6, max_iterations=2,
                    runs_dir=ROOT / args.runs, quick=True, overrides=extra,
                    threads=args.threads or None)
    else:
        plan = Plan(seeds=args.seeds or [0, 1, 2],
                    comparisons=[COMPARISONS[c] for c in args.comparisons],
                    budgets={"household": args.budget_steps, "tools": args.tools_budget_steps},
                    test_episodes=args.test_episodes, max_iterations=args.max_iterations,
                    runs_dir=ROOT / args.runs, overrides=extra,
                    threads=args.threads or None)
    previous = _previous_result(Path(args.out), plan) if args.merge else None
    if isinstance(previous, str):
        parser.error(previous)
    jobs = min(args.jobs, len(plan.seeds) * len(plan.setups()))
    per_seed = estimate_minutes(_estimate_inputs(plan), 1)
    units = parallel_units(plan, per_seed)
    estimate = wall_estimate(plan, jobs, per_seed)
    _say("estimated minutes on a quiet 2-core CPU: " + ", ".join(
        f"{k} {v:.0f}" for k, v in estimate.items() if k != "total")
        + (f" (one process); wall with --jobs {jobs}: " if jobs > 1 else "; total ")
        + f"{estimate['total']:.0f}")
    if args.estimate:
        return
    started = time.perf_counter()
    path = Path(args.out)
    if jobs > 1:
        runs, failures = run_parallel(args, plan, jobs, path, units)
    else:
        def checkpoint(runs: dict[str, dict[str, dict[str, Any]]]) -> None:
            # with --merge the kept setups are written too, so stopping loses none of them
            kept_plan, all_runs = (merge_previous(plan, runs, previous) if previous is not None
                                   else (plan, runs))
            write_outputs(build_result(kept_plan, all_runs, [], estimate, started), path)

        runs, failures = run(plan, on_result=checkpoint)
    if previous is not None:
        plan, runs = merge_previous(plan, runs, previous)
    result = build_result(plan, runs, failures, estimate, started)
    if previous is not None:
        result["merged"] = {"kept_setups": sorted(set(plan.setups()) - set(args_setups(args))),
                            "from_date": previous["date"],
                            "from_wall_minutes": previous["wall_minutes"]}
    write_outputs(result, path)
    from rich.console import Console
    from rich.markdown import Markdown

    Console().print(Markdown(markdown_tables(result)))
    _say(f"{result['wall_minutes']:.1f} min (estimate {estimate['total']:.0f} min on a quiet "
         f"machine) -> {path}")
    if failures:
        _say(f"{len(failures)} run(s) failed:\n  " + "\n  ".join(failures))
        sys.exit(1)


def report(path: Path) -> str | None:
    """Recompute the summaries of an existing result file (e.g. after a change to how verdicts
    are worded) and rewrite it, learning.md and the plots; the runs are kept as they are.
    Returns a one-line error instead when the file cannot be used."""
    if not path.is_file():
        return f"--report: {path} does not exist; run the benchmark first"
    try:
        result = json.loads(path.read_text())
        names = result["settings"]["comparisons"]
        runs = result["runs"]
    except (ValueError, KeyError, TypeError) as exc:
        return f"--report: {path} is not a learning benchmark result ({exc})"
    unknown = [n for n in names if n not in COMPARISONS]
    if unknown:
        return f"--report: {path} names unknown comparisons {unknown}; known: {list(COMPARISONS)}"
    result["runs"] = runs = ordered_by_seed(runs)
    result["comparisons"] = summarize(runs, [COMPARISONS[n] for n in names])
    write_outputs(result, path)
    _say(f"rebuilt {path.with_suffix('.md')} and the plots from {path}")
    return None


def args_setups(args: argparse.Namespace) -> list[str]:
    """The setups the comparisons named on the command line run."""
    return sorted({COMPARISONS[c].setup for c in args.comparisons})


def _previous_result(path: Path, plan: Plan) -> dict[str, Any] | str:
    """The result file that ``--merge`` adds to, or a one-line error."""
    if not path.is_file():
        return f"--merge: {path} does not exist; run without --merge first"
    previous = json.loads(path.read_text())
    settings = previous.get("settings", {})
    for key, ours in (("seeds", plan.seeds), ("test_episodes", plan.test_episodes)):
        if settings.get(key) != ours:
            return (f"--merge: {path} has {key} {settings.get(key)}, this run {ours}; "
                    f"use the same {key} (or run every comparison without --merge)")
    if bool(previous.get("quick")) != plan.quick:
        return f"--merge: {path} and this run differ in --quick"
    return previous


def merge_previous(plan: Plan, runs: dict[str, dict[str, dict[str, Any]]],
                   previous: dict[str, Any]
                   ) -> tuple[Plan, dict[str, dict[str, dict[str, Any]]]]:
    """Add to this run the setups of ``previous`` that it did not run (their runs, budgets and
    comparisons). A comparison of a setup run now but not asked for is dropped: its methods
    would start from a different SFT checkpoint than the new ones."""
    ran = set(plan.setups())
    kept = {setup: methods for setup, methods in previous["runs"].items() if setup not in ran}
    names = {c.name for c in plan.comparisons} | {
        name for name in previous["settings"]["comparisons"]
        if name in COMPARISONS and COMPARISONS[name].setup in kept}
    budgets = dict(plan.budgets)
    budgets.update({s: previous["settings"]["budgets"][s] for s in kept})
    merged = Plan(seeds=plan.seeds, comparisons=[c for n, c in COMPARISONS.items() if n in names],
                  budgets=budgets, test_episodes=plan.test_episodes,
                  max_iterations=plan.max_iterations, runs_dir=plan.runs_dir, quick=plan.quick,
                  overrides=plan.overrides, threads=plan.threads)
    return merged, {**kept, **runs}


def schedule(costs: Sequence[float], jobs: int) -> tuple[list[int], float]:
    """List scheduling in the given order: each unit goes to the worker that is free first.
    Returns the worker of every unit and the makespan (the wall time, in the units of
    ``costs``). :func:`run_parallel` hands out its units in the same order, longest first."""
    free = [0.0] * jobs
    workers = []
    for cost in costs:
        k = min(range(jobs), key=lambda j: free[j])
        workers.append(k)
        free[k] += cost
    return workers, max(free, default=0.0)


def parallel_units(plan: Plan, minutes_per_seed: dict[str, float]) -> list[tuple[str, int]]:
    """The (setup, seed) units of a parallel run, the most expensive setups first (so that the
    long ones do not end up last on one worker), seeds in order within a setup."""
    return sorted(((setup, seed) for setup in plan.setups() for seed in plan.seeds),
                  key=lambda u: (-minutes_per_seed.get(u[0], 0.0), plan.seeds.index(u[1])))


def run_parallel(args: argparse.Namespace, plan: Plan, jobs: int, path: Path,
                 units: Sequence[tuple[str, int]]
                 ) -> tuple[dict[str, dict[str, dict[str, Any]]], list[str]]:
    """Run every (setup, seed) unit in its own child process, at most ``jobs`` at a time, in
    the order of ``units`` (:func:`parallel_units`: the longest setups first; each child writes
    ``<out>.part-SETUP-SEED.json``), then merge their runs and failures. Every run is independent
    of the others (own run directory, seeded from its seed), so the numbers are those of a
    sequential run; only the wall time changes."""
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    parts = {u: path.with_name(f"{path.stem}.part-{u[0]}-{u[1]}.json") for u in units}

    def child(k: int, unit: tuple[str, int]) -> int:
        setup, seed = unit
        _say(f"{setup} seed {seed} -> {parts[unit].name} ({k + 1} of {len(units)})")
        argv = [sys.executable, "-m", "benchmarks.learning", "--seeds", str(seed),
                "--comparisons", *(c.name for c in plan.comparisons if c.setup == setup),
                "--budget-steps", str(args.budget_steps),
                "--tools-budget-steps", str(args.tools_budget_steps),
                "--test-episodes", str(args.test_episodes),
                "--max-iterations", str(args.max_iterations), "--runs", args.runs,
                "--threads", str(args.threads), "--out", str(parts[unit]),
                *(f"--set={item}" for item in args.set), *(["--quick"] if args.quick else [])]
        return subprocess.run(argv, cwd=ROOT).returncode

    # the pool starts queued units in order as workers free up: the list scheduling of schedule()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        codes = dict(zip(units, pool.map(child, range(len(units)), units), strict=True))
    runs: dict[str, dict[str, dict[str, Any]]] = {s: {} for s in plan.setups()}
    failures: list[str] = []
    for unit in units:
        part = parts[unit]
        if not part.is_file():
            failures.append(f"{part.name}: the process exited with {codes.get(unit)} and "
                            "wrote nothing")
            continue
        data = json.loads(part.read_text())
        failures.extend(data["failures"])
        for setup, methods in data["runs"].items():
            for method, by_seed in methods.items():
                runs.setdefault(setup, {}).setdefault(method, {}).update(by_seed)
        for leftover in part.parent.glob(f"{part.stem}*"):  # .json, .md, plots
            leftover.unlink()
    return runs, failures


def wall_estimate(plan: Plan, jobs: int, per_seed: dict[str, float] | None = None
                  ) -> dict[str, float]:
    """Minutes per setup (all seeds, one process) and ``total``: the wall time with ``jobs``
    parallel processes, by :func:`schedule` over the units :func:`run_parallel` runs.
    ``per_seed``: the minutes of one seed per setup (``estimate_minutes(..., 1)``), when known."""
    per_seed = per_seed if per_seed is not None else estimate_minutes(_estimate_inputs(plan), 1)
    out = {name: minutes * len(plan.seeds) for name, minutes in per_seed.items()
           if name != "total"}
    out["total"] = sum(out.values())
    if jobs > 1:
        units = parallel_units(plan, per_seed)
        out["total"] = schedule([per_seed[setup] for setup, _ in units], jobs)[1]
    return out


def _estimate_inputs(plan: Plan) -> dict[str, dict[str, Any]]:
    from agentrl.config import load_config

    out = {}
    for name in plan.setups():
        setup = SETUPS[name]
        cfg = load_config(ROOT / setup.config, base_overrides(plan, setup, 0, plan.runs_dir))
        out[name] = {"sft_episodes": cfg.trainer.sft.episodes,
                     "sft_epochs": cfg.trainer.sft.epochs, "budget": plan.budgets[name],
                     "test_episodes": plan.test_episodes,
                     "methods": [m for m in plan.methods(name) if setup.methods[m].rl]}
    return out


if __name__ == "__main__":
    main()
