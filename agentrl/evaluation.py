"""Evaluation: the metrics of a set of episodes, benchmark suites, and ``evaluate`` (DESIGN.md 1).

Evaluation is rollout without training: the same environments, the same
:class:`~agentrl.rollout.RolloutEngine` and the same policies as ``agentrl train``. The first ``n``
tasks of a split are played ``k`` times each (one GRPO-style group per task, task ``i`` with seed
``seed + i``), so every policy of a comparison sees identical tasks and seeds.

Metrics (all computed by pure functions over :class:`~agentrl.types.Episode` records):

- **success rate** with a 95% **Wilson score interval** (Wilson, 1927, JASA 22:209-212). For ``s``
  successes in ``n`` episodes, ``p = s/n`` and ``z`` the normal quantile::

      centre = (p + z^2 / (2n)) / (1 + z^2/n)
      half   = z / (1 + z^2/n) * sqrt(p (1 - p) / n + z^2 / (4 n^2))

  Unlike the normal ("Wald") interval it stays inside [0, 1] and is not degenerate at 0 or n
  successes, which is where agent evaluations often are. With ``k > 1`` samples per task the
  episodes of a task are correlated, so the interval is taken at the effective sample size of
  the design effect (:func:`clustered_interval`; the plain Wilson interval when ``k = 1``).
- **pass@k** with the unbiased estimator of Chen et al. (2021), "Evaluating Large Language Models
  Trained on Code", arXiv 2107.03374: a task sampled ``n`` times with ``c`` successes has
  ``pass@k = 1 - C(n - c, k) / C(n, k)`` (the probability that ``k`` samples drawn without
  replacement from the ``n`` contain a success), averaged over tasks. It is reported for every
  ``j`` in {1, 2, 4, ..., k} with ``k`` the samples per task; ``pass@1`` equals the success rate.
- **mean score** (the episode's ``outcome``: the environment's graded ``score`` in [0, 1], or
  success as 0/1), **mean steps**, **invalid-action rate** (steps with ``valid=False`` over all
  steps), **tokens per episode** (generated tokens, ``len(response_ids)`` summed over the steps;
  0 for scripted policies), a **per-task-type** breakdown, and environment-specific metrics: the
  mean of every numeric ``Episode.metrics`` entry beyond the standard ones, the distribution of the
  final step's ``info["outcome_class"]`` and the fraction of milestones reached.

Benchmark suites are YAML files in ``configs/suites/`` (see :func:`load_suite`).
"""

from __future__ import annotations

import math
import re
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from agentrl.config import RunConfig
from agentrl.errors import UserError
from agentrl.types import Episode, EpisodeWriter, Task

__all__ = [
    "Z95",
    "Benchmark",
    "clustered_interval",
    "evaluate",
    "evaluate_benchmarks",
    "known_suites",
    "load_suite",
    "mean_pass_at_k",
    "pass_at_k",
    "policy_slug",
    "summarize_episodes",
    "task_counts",
    "wilson_interval",
]

#: Two-sided 95% normal quantile, ``NormalDist().inv_cdf(0.975)``.
Z95 = statistics.NormalDist().inv_cdf(0.975)

#: ``Episode.metrics`` keys the rollout engine writes for every episode; anything else is
#: environment-specific and averaged into ``env_metrics``.
STANDARD_METRICS = frozenset({"steps", "return", "invalid_rate", "response_tokens",
                              "projected_rate", "error"})

#: ``configs/suites/`` of this checkout.
SUITES_DIR = Path(__file__).resolve().parents[1] / "configs" / "suites"

RESULTS_FILE = "results.json"
EPISODES_FILE = "episodes.jsonl"
SUMMARY_FILE = "summary.json"


# =============================================================================================
# metric math (pure)
# =============================================================================================


def wilson_interval(successes: int, n: int, *, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (``successes`` out of ``n``).

    >>> lo, hi = wilson_interval(5, 10, z=1.96)
    >>> round(lo, 4), round(hi, 4)
    (0.2366, 0.7634)

    ``n == 0`` gives the uninformative ``(0.0, 1.0)``.
    """
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")
    if n == 0:
        return 0.0, 1.0
    return _wilson(successes / n, n, z)


def clustered_interval(per_task: Sequence[tuple[int, int]], *, z: float = Z95
                       ) -> tuple[float, float]:
    """Interval of the success rate of tasks played several times each, ``(n, c)`` per task.

    The episodes of one task are correlated (the same world), so a binomial interval over all
    episodes is too narrow. This takes the Wilson interval at the *effective* sample size
    ``n_eff = p (1 - p) / SE^2`` (Kish's design effect; L. Kish, *Survey Sampling*, 1965), where
    ``p = sum(c) / sum(n)`` and ``SE`` is the standard error of that ratio over tasks as
    clusters, ``SE^2 = sum((c_i - p n_i)^2) / (T (T - 1) nbar^2)`` for ``T`` tasks of mean size
    ``nbar``. ``n_eff`` is kept between ``T`` (every task all-or-nothing) and ``sum(n)``
    (independent episodes). One episode per task gives the plain Wilson interval.

    >>> clustered_interval([(1, 1)] * 5 + [(1, 0)] * 5) == wilson_interval(5, 10)
    True
    >>> lo, hi = clustered_interval([(4, 4)] * 5 + [(4, 0)] * 5)  # all-or-nothing tasks
    >>> (round(lo, 4), round(hi, 4)) == tuple(round(x, 4) for x in wilson_interval(5, 10))
    True
    """
    rows = [(n, c) for n, c in per_task if n > 0]
    total = sum(n for n, _ in rows)
    hits = sum(c for _, c in rows)
    if not 0 <= hits <= total:
        raise ValueError(f"need 0 <= successes <= episodes per task, got {per_task}")
    tasks = len(rows)
    if tasks < 2 or all(n == 1 for n, _ in rows) or hits in (0, total):
        return wilson_interval(hits, total, z=z)
    p = hits / total
    nbar = total / tasks
    var = sum((c - p * n) ** 2 for n, c in rows) / (tasks * (tasks - 1) * nbar * nbar)
    n_eff = float(total) if var <= 0 else min(float(total), max(float(tasks),
                                                                  p * (1 - p) / var))
    return _wilson(p, n_eff, z)


def _wilson(p: float, n: float, z: float) -> tuple[float, float]:
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1.0 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one task sampled ``n`` times with ``c`` successes (Chen et al. 2021).

    ``1 - C(n - c, k) / C(n, k)``, computed with exact integers.

    >>> pass_at_k(5, 2, 2)
    0.7
    """
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:  # every k-subset contains a success
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def mean_pass_at_k(samples: Iterable[tuple[int, int]], k: int) -> float:
    """pass@k averaged over tasks; ``samples`` holds ``(n, c)`` per task (each ``n >= k``)."""
    values = [pass_at_k(n, c, k) for n, c in samples]
    if not values:
        raise ValueError("pass@k of no tasks")
    return sum(values) / len(values)


def _pass_ks(k: int) -> list[int]:
    """1, 2, 4, ... up to and including ``k``."""
    out, j = [], 1
    while j < k:
        out.append(j)
        j *= 2
    return [*out, k]


def _mean(values: Sequence[float]) -> float:
    return float(sum(values) / len(values)) if values else 0.0


def _core_metrics(episodes: Sequence[Episode], z: float) -> dict[str, Any]:
    """Success, score, steps, validity and tokens of ``episodes`` (shared by all breakdowns)."""
    n = len(episodes)
    successes = sum(bool(e.success) for e in episodes)
    lo, hi = clustered_interval(task_counts(episodes), z=z)
    steps = [s for e in episodes for s in e.steps]
    return {
        "episodes": n,
        "successes": successes,
        "success_rate": successes / n if n else 0.0,
        "success_ci": [lo, hi],
        "mean_score": _mean([float(e.outcome) for e in episodes]),
        "mean_steps": _mean([e.num_steps for e in episodes]),
        "invalid_rate": (sum(not s.valid for s in steps) / len(steps)) if steps else 0.0,
    }


def task_counts(episodes: Iterable[Episode]) -> list[tuple[int, int]]:
    """``(episodes, successes)`` per task (episodes of one task share a ``group_id``)."""
    per_group: dict[str, list[bool]] = defaultdict(list)
    for e in episodes:
        per_group[e.group_id].append(bool(e.success))
    return [(len(v), sum(v)) for v in per_group.values()]


def _pass_at(episodes: Sequence[Episode]) -> dict[str, float]:
    """pass@j for j in 1, 2, 4, ..., k with k the smallest number of samples of a task."""
    samples = task_counts(episodes)
    if not samples:
        return {}
    k = min(n for n, _ in samples)
    return {str(j): mean_pass_at_k(samples, j) for j in _pass_ks(k)}


def _env_metrics(episodes: Sequence[Episode]) -> dict[str, float]:
    """Mean of each environment-specific numeric ``Episode.metrics`` entry (over the episodes
    that report it), e.g. an SWE environment's ``resolved`` or ``modified``."""
    values: dict[str, list[float]] = defaultdict(list)
    for e in episodes:
        for key, value in e.metrics.items():
            if key in STANDARD_METRICS:
                continue
            if isinstance(value, (int, float)) and math.isfinite(float(value)):
                values[key].append(float(value))
    return {key: _mean(v) for key, v in sorted(values.items())}


def _outcome_classes(episodes: Sequence[Episode]) -> dict[str, float]:
    """Share of episodes per final ``info["outcome_class"]`` (only when an environment sets it)."""
    classes = Counter(str(e.steps[-1].info["outcome_class"]) for e in episodes
                      if e.steps and "outcome_class" in e.steps[-1].info)
    if not classes:
        return {}
    return {name: count / len(episodes) for name, count in sorted(classes.items())}


def _milestone_rate(episodes: Sequence[Episode]) -> float | None:
    """Mean fraction of the task's milestones reached, over episodes whose environment reports
    ``milestones_total``; None when none does."""
    fractions = []
    for e in episodes:
        if not e.steps:
            continue
        last = e.steps[-1]
        total = last.info.get("milestones_total")
        if isinstance(total, (int, float)) and total > 0:
            fractions.append(min(1.0, len(last.milestones) / float(total)))
    return _mean(fractions) if fractions else None


def summarize_episodes(episodes: Sequence[Episode], *, z: float = Z95) -> dict[str, Any]:
    """All evaluation metrics of ``episodes`` as a JSON-ready dict.

    Keys: ``episodes``, ``tasks``, ``successes``, ``success_rate``, ``success_ci`` ([lo, hi],
    Wilson; over tasks as clusters when they are sampled several times), ``mean_score``,
    ``mean_steps``, ``invalid_rate``, ``mean_return``,
    ``tokens_per_episode``, ``prompt_tokens_per_episode``, ``truncated_rate``, ``errors``,
    ``pass_at`` ({"1": ..., "2": ..., "k": ...}), ``pass_at_k`` (pass@k at the largest k),
    ``per_type`` (the core metrics per task type, ``"untyped"`` when an environment has none),
    ``env_metrics``, ``outcome_classes`` and ``milestone_rate`` (None when not reported).
    Episodes of one task share a ``group_id`` (as the rollout engine writes them).
    """
    eps = list(episodes)
    out = _core_metrics(eps, z)
    n = len(eps)
    steps = [s for e in eps for s in e.steps]
    out["tasks"] = len({e.group_id for e in eps})
    out["mean_return"] = _mean([e.total_reward for e in eps])
    out["tokens_per_episode"] = _mean([sum(len(s.response_ids or []) for s in e.steps)
                                       for e in eps])
    out["prompt_tokens_per_episode"] = _mean([sum(len(s.prompt_ids or []) for s in e.steps)
                                              for e in eps])
    out["projected_rate"] = (sum(bool(s.extra.get("projected")) for s in steps) / len(steps)
                             if steps else 0.0)
    out["truncated_rate"] = sum(bool(e.truncated) for e in eps) / n if n else 0.0
    out["errors"] = sum(e.error is not None for e in eps)
    out["pass_at"] = _pass_at(eps)
    out["pass_at_k"] = out["pass_at"][max(out["pass_at"], key=int)] if out["pass_at"] else 0.0
    by_type: dict[str, list[Episode]] = defaultdict(list)
    for e in eps:
        by_type[e.task_type or "untyped"].append(e)
    out["per_type"] = {t: {**_core_metrics(v, z), "tasks": len({e.group_id for e in v})}
                       for t, v in sorted(by_type.items())}
    out["env_metrics"] = _env_metrics(eps)
    out["outcome_classes"] = _outcome_classes(eps)
    out["milestone_rate"] = _milestone_rate(eps)
    return out


# =============================================================================================
# benchmarks and suites
# =============================================================================================


@dataclass
class Benchmark:
    """One evaluation target: ``episodes`` tasks of ``split`` of environment ``env``.

    ``kwargs`` are constructor overrides passed to ``agentrl.make``; ``max_turns`` (optional)
    replaces the environment's turn limit.
    """

    name: str
    env: str
    split: str = "test"
    episodes: int = 100
    kwargs: dict[str, Any] = field(default_factory=dict)
    max_turns: int | None = None


_BENCHMARK_KEYS = {"name", "env", "split", "episodes", "kwargs", "max_turns"}


def known_suites(directory: Path | None = None) -> dict[str, Path]:
    """Suite name -> file, for every ``*.yaml`` in ``configs/suites/``."""
    folder = directory or SUITES_DIR
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))}


def load_suite(name: str, directory: Path | None = None) -> list[Benchmark]:
    """The benchmarks of suite ``name`` (a name from ``configs/suites/`` or a YAML file path).

    A suite file is either one benchmark::

        env: agentrl/Household-v0
        split: test
        episodes: 200
        kwargs: {}            # constructor overrides (optional)
        max_turns: 30         # optional

    or a list of them under ``benchmarks:`` (each with a ``name``; default: ``<suite>-<i>``),
    plus an optional ``description``.
    """
    from agentrl.config import read_yaml

    suites = known_suites(directory)
    path = suites.get(name)
    if path is None:
        candidate = Path(name)
        if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
            path = candidate
        else:
            known = ", ".join(suites) or "none"
            raise UserError(f"unknown suite {name!r}; known suites: {known} "
                            f"(or give a suite YAML file)")
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise UserError(f"suite {path}: the top level must be a mapping with 'env' or "
                        "'benchmarks'")
    if "benchmarks" in data:
        entries = data["benchmarks"]
        if not isinstance(entries, list) or not entries:
            raise UserError(f"suite {path}: 'benchmarks' must be a non-empty list")
    else:
        entries = [{k: v for k, v in data.items() if k != "description"}]
    return [_benchmark(entry, path, i, len(entries)) for i, entry in enumerate(entries)]


def _benchmark(entry: Any, path: Path, index: int, count: int) -> Benchmark:
    where = f"suite {path}, benchmark {index + 1}"
    if not isinstance(entry, dict):
        raise UserError(f"{where}: must be a mapping with env, split, episodes, kwargs")
    unknown = sorted(set(entry) - _BENCHMARK_KEYS)
    if unknown:
        raise UserError(f"{where}: unknown key {unknown[0]!r} (valid keys: "
                        f"{', '.join(sorted(_BENCHMARK_KEYS))})")
    if not isinstance(entry.get("env"), str):
        raise UserError(f"{where}: 'env' must be an environment id, e.g. agentrl/Household-v0")
    episodes = entry.get("episodes", 100)
    if not isinstance(episodes, int) or isinstance(episodes, bool) or episodes < 1:
        raise UserError(f"{where}: 'episodes' must be a positive integer, got {episodes!r}")
    kwargs = entry.get("kwargs") or {}
    if not isinstance(kwargs, dict):
        raise UserError(f"{where}: 'kwargs' must be a mapping of constructor arguments")
    max_turns = entry.get("max_turns")
    if max_turns is not None and (not isinstance(max_turns, int) or max_turns < 1):
        raise UserError(f"{where}: 'max_turns' must be a positive integer, got {max_turns!r}")
    default_name = path.stem if count == 1 else f"{path.stem}-{index + 1}"
    return Benchmark(name=str(entry.get("name") or default_name), env=entry["env"],
                     split=str(entry.get("split", "test")), episodes=episodes, kwargs=kwargs,
                     max_turns=max_turns)


# =============================================================================================
# running
# =============================================================================================


def policy_slug(spec: str) -> str:
    """A folder name for a policy spec: ``hf:runs/q`` -> ``hf-runs-q``."""
    slug = re.sub(r"[^A-Za-z0-9._]+", "-", spec).strip("-.")
    return slug[:80] or "policy"


def default_temperature(k: int, configured: float | None = None) -> float:
    """Sampling temperature when none is given: the config's ``eval.temperature`` if positive,
    else 1.0 for ``k > 1`` samples per task (they must differ) and greedy (0.0) for one."""
    if configured is not None and configured > 0:
        return configured
    return 1.0 if k > 1 else 0.0


def _run_config(base: RunConfig | None, bench: Benchmark, *, seed: int | None,
                max_turns: int | None, projection: bool | None,
                constrain: bool | None = None) -> RunConfig:
    """The :class:`~agentrl.config.RunConfig` of one benchmark: ``base`` (a config whose policy,
    prompt and rollout settings apply) with the benchmark's environment."""
    from agentrl.config import parse_config

    data: dict[str, Any] = base.model_dump(mode="json") if base is not None else {}
    env = data.get("env", {})
    same_env = base is not None and base.env.id == bench.env
    data["env"] = {**env, "id": bench.env,
                   "kwargs": {**(env.get("kwargs", {}) if same_env else {}), **bench.kwargs}}
    rollout = data.setdefault("rollout", {})
    if max_turns is not None or bench.max_turns is not None:
        rollout["max_turns"] = max_turns if max_turns is not None else bench.max_turns
    if projection is not None:
        rollout["projection"] = projection
    if constrain is not None:
        rollout["constrain"] = constrain
    if seed is not None:
        data["seed"] = seed
    if base is None:  # the policy comes from its spec; a scripted backend here keeps the
        data.setdefault("policy", {})["backend"] = "expert"  # config's model checks out of it
    return parse_config(data, f"eval of {bench.name}")


class _Plan(NamedTuple):
    """One benchmark, resolved: its run config, its tasks and the effective turn limit."""

    bench: Benchmark
    cfg: RunConfig
    tasks: list[Task]
    turn_limit: int | None


def _task_pool(cfg: RunConfig, split: str) -> tuple[list[Task], int | None]:
    """The tasks of ``split`` and the environment's effective turn limit."""
    from agentrl.components import build_env_factory, split_tasks_and_turn_limit

    return split_tasks_and_turn_limit(build_env_factory(cfg), cfg.env.id, split)


def _check_k(k: int) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise UserError(f"--k must be a positive integer (samples per task), got {k!r}")


def evaluate_benchmarks(benchmarks: Sequence[Benchmark], policies: Sequence[str], *,
                        k: int = 1, temperature: float | None = None,
                        max_turns: int | None = None, projection: bool | None = None,
                        constrain: bool | None = None,
                        seed: int | None = None, config: RunConfig | None = None,
                        out_dir: str | Path | None = None, batch_size: int = 32,
                        progress: bool = False,
                        log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Evaluate every policy on every benchmark; identical tasks and seeds for all policies.

    Args:
        benchmarks: what to evaluate on (the first ``episodes`` tasks of each split).
        policies: policy specs (``expert``, ``random``, ``hf:PATH``, ``vllm:PATH``,
            ``openai:MODEL@URL``); each is loaded once.
        k: samples per task (a group of ``k`` episodes with the same task and seed).
        temperature: sampling temperature; default :func:`default_temperature`.
        max_turns / projection / constrain / seed: override the config's
            ``rollout.max_turns``, ``rollout.projection``, ``rollout.constrain`` and ``seed``
            (default: 0).
        config: a :class:`~agentrl.config.RunConfig` whose policy, prompt and rollout settings
            apply (its environment kwargs too, for a benchmark on the same environment).
        out_dir: if given, results are written there: one folder per benchmark (when there are
            several) and per policy (when there are several), each with ``results.json`` and
            ``episodes.jsonl``, plus ``summary.json`` when there is more than one run.
        batch_size: tasks rolled out at once (each task holds ``k`` live environments).

    Returns ``{"runs": [results, ...], "benchmarks": [...], "policies": [...]}`` with one
    results dict (see :func:`summarize_episodes`, plus the run's settings) per (benchmark,
    policy), benchmark-major.
    """
    from agentrl.components import build_policy

    _check_k(k)
    if not benchmarks or not policies:
        raise UserError("nothing to evaluate: give at least one benchmark and one policy")
    if max_turns is not None and max_turns < 1:
        raise UserError(f"--max-turns must be a positive integer, got {max_turns}")
    if batch_size < 1:
        raise UserError(f"batch size must be >= 1, got {batch_size}")
    names = [b.name for b in benchmarks]
    if len(set(names)) != len(names):
        dup = next(name for name in names if names.count(name) > 1)
        raise UserError(f"two benchmarks are named {dup!r}; give each a distinct name")
    say = log or (lambda _msg: None)
    root = Path(out_dir) if out_dir is not None else None
    slugs = _unique_slugs(policies)
    base_seed = seed if seed is not None else (config.seed if config is not None else 0)
    temp = temperature if temperature is not None else default_temperature(
        k, config.eval.temperature if config is not None else None)
    if temp < 0:
        raise UserError(f"temperature must be >= 0, got {temp}")

    # resolve every benchmark's config and tasks first: user errors surface before any model loads
    plans: list[_Plan] = []
    for bench in benchmarks:
        cfg = _run_config(config, bench, seed=base_seed, max_turns=max_turns,
                          projection=projection, constrain=constrain)
        pool, turn_limit = _task_pool(cfg, bench.split)
        n = min(bench.episodes, len(pool))
        if n < bench.episodes:
            say(f"{bench.name}: split {bench.split!r} of {bench.env} has {len(pool)} tasks; "
                f"evaluating all {n}")
        plans.append(_Plan(bench, cfg, pool[:n], turn_limit))

    if any(plan.cfg.rollout.constrain for plan in plans):
        for spec in policies:
            if spec.split(":", 1)[0] in ("openai", "vllm"):
                raise UserError(f"policy {spec!r} cannot constrain decoding to the admissible "
                                "actions; use an hf:PATH policy or --no-constrain")
    results: dict[tuple[int, int], dict[str, Any]] = {}
    for p, (spec, slug) in enumerate(zip(policies, slugs, strict=True)):
        agent = build_policy(plans[0].cfg, spec)
        for b, (bench, cfg, tasks, turn_limit) in enumerate(plans):
            seeds = [base_seed + i for i in range(len(tasks))]
            folder = None
            if root is not None:
                folder = root
                if len(plans) > 1:
                    folder = folder / bench.name
                if len(policies) > 1:
                    folder = folder / slug
            say(f"{bench.name}: {spec} on {len(tasks)} tasks x {k}")
            start = time.perf_counter()
            episodes = _rollout(cfg, agent, tasks, seeds, k=k, temperature=temp,
                                batch_size=batch_size, progress=progress, folder=folder,
                                batch_prefix=bench.split)
            res = {"benchmark": bench.name, "env": bench.env, "split": bench.split,
                   "policy": spec, "policy_slug": slug, "k": k, "temperature": temp,
                   "seed": base_seed, "max_turns": turn_limit,
                   "projection": cfg.rollout.projection,
                   "constrain": cfg.rollout.constrain, "kwargs": cfg.env.kwargs,
                   **summarize_episodes(episodes),
                   "task_ids": [t.task_id for t in tasks], "seeds": seeds,
                   "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                   "wall_s": round(time.perf_counter() - start, 3)}
            if folder is not None:
                res["dir"] = str(folder)
                res["episodes_file"] = str(folder / EPISODES_FILE)
                _write_json(folder / RESULTS_FILE, res)
            results[(b, p)] = res
    runs = [results[(b, p)] for b in range(len(plans)) for p in range(len(policies))]
    summary = {"benchmarks": [plan.bench.name for plan in plans], "policies": list(policies),
               "k": k, "temperature": temp, "seed": base_seed, "runs": runs}
    if root is not None and len(runs) > 1:
        _write_json(root / SUMMARY_FILE, summary)
    return summary


def _rollout(cfg: RunConfig, agent: Any, tasks: list[Task], seeds: list[int], *, k: int,
             temperature: float, batch_size: int, progress: bool, folder: Path | None,
             batch_prefix: str) -> list[Episode]:
    """Play ``k`` episodes per task in batches of ``batch_size`` tasks, writing as it goes."""
    from agentrl.components import build_rollout

    episodes: list[Episode] = []
    writer = EpisodeWriter(folder / EPISODES_FILE, append=False) if folder is not None else None
    try:
        with build_rollout(cfg, agent, group_size=k, temperature=temperature,
                           progress=progress) as engine:
            for start in range(0, len(tasks), batch_size):
                batch = engine.run(tasks[start:start + batch_size],
                                   seeds[start:start + batch_size],
                                   batch_id=f"{batch_prefix}-{start}")
                episodes.extend(batch)
                if writer is not None:
                    writer.write_all(batch)
    finally:
        if writer is not None:
            writer.close()
    return episodes


def evaluate(env_id: str, policy: str | Sequence[str] = "expert", split: str = "test",
             n: int = 100, k: int = 1, *, temperature: float | None = None,
             max_turns: int | None = None, projection: bool | None = None,
             constrain: bool | None = None,
             kwargs: dict[str, Any] | None = None, seed: int | None = None,
             config: RunConfig | None = None,
             out_dir: str | Path | None = None, progress: bool = False) -> dict[str, Any]:
    """Evaluate one policy (or several, side by side) on the first ``n`` tasks of ``split``.

    >>> res = evaluate("agentrl/Household-v0", "expert", "test", n=4)  # doctest: +SKIP
    >>> res["success_rate"], res["success_ci"]                          # doctest: +SKIP

    Returns the results dict of the policy (keys of :func:`summarize_episodes` plus ``env``,
    ``split``, ``policy``, ``k``, ``temperature``, ``task_ids``, ``seeds``, ...); with several
    policies, the summary of :func:`evaluate_benchmarks` (``runs`` in policy order). With
    ``out_dir`` the files of :func:`evaluate_benchmarks` are written.
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise UserError(f"the number of tasks must be a positive integer, got {n!r}")
    policies = [policy] if isinstance(policy, str) else list(policy)
    bench = Benchmark(name=f"{env_id.rpartition('/')[2]}-{split}", env=env_id, split=split,
                      episodes=n, kwargs=dict(kwargs or {}))
    summary = evaluate_benchmarks([bench], policies, k=k, temperature=temperature,
                                  max_turns=max_turns, projection=projection,
                                  constrain=constrain, seed=seed,
                                  config=config, out_dir=out_dir, progress=progress)
    return summary["runs"][0] if len(policies) == 1 else summary


def _unique_slugs(policies: Sequence[str]) -> list[str]:
    seen: Counter[str] = Counter()
    out = []
    for spec in policies:
        slug = policy_slug(spec)
        seen[slug] += 1
        out.append(slug if seen[slug] == 1 else f"{slug}-{seen[slug]}")
    return out


def _write_json(path: Path, data: dict[str, Any]) -> None:
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    tmp.replace(path)
