"""``agentrl eval``: evaluate policies with the training rollout (DESIGN.md 1, 3.8).

::

    agentrl eval --env agentrl/Household-v0 --split test --policy expert -n 50 --out DIR
    agentrl eval --env agentrl/Household-v0 --policy expert --policy random -n 50   # side by side
    agentrl eval --config configs/quickstart.yaml --policy hf:runs/quickstart --k 4
    agentrl eval --suite household-test --policy expert

Plays the first ``-n`` tasks of the split ``--k`` times each, with the same task ids and seeds
for every policy, then writes ``results.json`` + ``episodes.jsonl`` (one folder per policy and
per benchmark when there are several, plus ``summary.json``) and prints one table. The metrics
are defined in :mod:`agentrl.evaluation`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table

from agentrl.errors import UserError

console = Console()


def eval_command(
    env: Annotated[str | None, typer.Option("--env", "-e", help="Environment id (see `agentrl "
                                                                "envs`).")] = None,
    split: Annotated[str | None, typer.Option(help="Task split (default: test, or the "
                                                   "config's eval.splits).")] = None,
    policy: Annotated[list[str] | None, typer.Option(
        "--policy", "-p", help="Policy spec: expert, random, hf:PATH, vllm:PATH, "
                               "openai:MODEL@URL. Repeat to compare policies side by side on "
                               "identical tasks and seeds.")] = None,
    episodes: Annotated[int | None, typer.Option(
        "--episodes", "-n", help="Tasks to play: the first N of the split (default: 100, the "
                                 "config's eval.episodes, or the suite's).")] = None,
    k: Annotated[int, typer.Option("--k", "-k", help="Samples per task; k > 1 reports pass@k "
                                                     "(unbiased estimator).")] = 1,
    temperature: Annotated[float | None, typer.Option(
        help="Sampling temperature (default: 1.0 when k > 1, else greedy 0.0).")] = None,
    max_turns: Annotated[int | None, typer.Option(help="Turn limit (default: the "
                                                       "environment's).")] = None,
    projection: Annotated[bool | None, typer.Option(
        "--projection/--no-projection", help="Map inadmissible actions onto the nearest "
                                             "admissible one (default: the config's, or off).")
    ] = None,
    constrain: Annotated[bool | None, typer.Option(
        "--constrain/--no-constrain", help="hf policies decode only admissible actions "
                                           "(default: the config's rollout.constrain, or off).")
    ] = None,
    kwarg: Annotated[list[str] | None, typer.Option(
        "--kwarg", help="Environment constructor override name=value (value parsed as YAML); "
                        "repeatable.")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", "-c", help="Run config: its env, prompt, policy and rollout settings and its "
                               "eval: section (splits, episodes, temperature).")] = None,
    suite: Annotated[str | None, typer.Option(
        help="Benchmark suite from configs/suites/ (or a suite YAML file) instead of "
             "--env.")] = None,
    list_suites: Annotated[bool, typer.Option("--list-suites", help="List the benchmark suites "
                                                                    "and exit.")] = False,
    seed: Annotated[int | None, typer.Option(help="Seed of task 0 (task i gets seed+i); "
                                                  "default: the config's seed or 0.")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output directory (default: "
                                                                 "runs/eval/<timestamp>).")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Tasks rolled out at once.")] = 32,
) -> None:
    """Evaluate policies on an environment split or a benchmark suite: success with a 95%
    Wilson interval, score, steps, invalid actions, tokens, pass@k, per task type."""
    from agentrl import evaluation as ev

    if list_suites:
        _print_suites()
        return
    cfg = _load_config(config)
    benchmarks = _benchmarks(cfg, env, split, episodes, suite, _parse_kwargs(kwarg or []))
    policies = list(policy or [])
    if not policies:
        if cfg is None:
            raise UserError("give a policy with --policy expert|random|hf:PATH|vllm:PATH|"
                            "openai:MODEL@URL (repeat it to compare policies)")
        from agentrl.components import policy_spec

        policies = [policy_spec(cfg)]
    if k < 1:
        raise UserError(f"--k must be a positive integer (samples per task), got {k}")
    out_dir = out or Path("runs") / "eval" / time.strftime("%Y%m%d-%H%M%S")
    summary = ev.evaluate_benchmarks(
        benchmarks, policies, k=k, temperature=temperature, max_turns=max_turns,
        projection=projection, constrain=constrain, seed=seed, config=cfg, out_dir=out_dir,
        batch_size=batch_size,
        progress=console.is_terminal,
        log=lambda msg: console.print(f"[dim]{msg}[/dim]", highlight=False))
    runs = summary["runs"]
    if len(summary["benchmarks"]) == 1:
        console.print(side_by_side_table(runs))
    else:
        console.print(suite_table(runs))
    where = out_dir / (ev.SUMMARY_FILE if len(runs) > 1 else ev.RESULTS_FILE)
    console.print(f"results: {where}", highlight=False)


# ---------------------------------------------------------------------------------------------
# arguments
# ---------------------------------------------------------------------------------------------


def _load_config(path: Path | None) -> Any:
    if path is None:
        return None
    from agentrl.config import load_config

    return load_config(path)


def _parse_kwargs(items: list[str]) -> dict[str, Any]:
    """``name=value`` pairs (values parsed as YAML, so ``3``, ``true``, ``[a, b]`` work)."""
    out: dict[str, Any] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise UserError(f"--kwarg {item!r} must look like name=value, e.g. --kwarg "
                            "test_size=50")
        try:
            out[name] = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            out[name] = raw
    return out


def _benchmarks(cfg: Any, env: str | None, split: str | None, episodes: int | None,
                suite: str | None, kwargs: dict[str, Any]) -> list[Any]:
    """What to evaluate on: a suite, ``--env`` + ``--split``, or the config's env and splits."""
    from agentrl.evaluation import Benchmark, load_suite

    if episodes is not None and episodes < 1:
        raise UserError(f"-n must be a positive number of tasks, got {episodes}")
    if suite is not None:
        if env is not None or split is not None:
            raise UserError("--suite names its own environments and splits; drop --env/--split")
        benches = load_suite(suite)
        for bench in benches:
            bench.kwargs = {**bench.kwargs, **kwargs}
            if episodes is not None:
                bench.episodes = episodes
        return benches
    env_id = env or (cfg.env.id if cfg is not None else None)
    if env_id is None:
        raise UserError("give --env ID (see `agentrl envs`), --config FILE or --suite NAME "
                        "(see --list-suites)")
    splits = [split] if split else (list(cfg.eval.splits) if cfg is not None else ["test"])
    n = episodes or (cfg.eval.episodes if cfg is not None else 100)
    short = env_id.rpartition("/")[2]
    return [Benchmark(name=f"{short}-{s}", env=env_id, split=s, episodes=n, kwargs=dict(kwargs))
            for s in splits]


# ---------------------------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------------------------


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _ci(res: dict[str, Any]) -> str:
    lo, hi = res["success_ci"]
    return f"[{lo:.3f}, {hi:.3f}]"


def side_by_side_table(runs: list[dict[str, Any]]) -> Table:
    """One column per policy, one row per metric, then success per task type."""
    first = runs[0]
    title = (f"{first['env']} / {first['split']}: {first['tasks']} tasks x {first['k']} "
             f"(temperature {first['temperature']:g})")
    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    for res in runs:
        table.add_column(res["policy"], justify="right")

    def row(label: str, fmt: Any) -> None:
        table.add_row(label, *[fmt(res) for res in runs])

    row("episodes", lambda r: str(r["episodes"]))
    row("success rate", lambda r: f"{r['success_rate']:.3f} ({r['successes']}/{r['episodes']})")
    row("95% CI (Wilson)", _ci)
    row("mean score", lambda r: _rate(r["mean_score"]))
    row("mean steps", lambda r: f"{r['mean_steps']:.2f}")
    row("invalid-action rate", lambda r: _rate(r["invalid_rate"]))
    row("tokens / episode", lambda r: f"{r['tokens_per_episode']:.1f}")
    if any(r["milestone_rate"] is not None for r in runs):
        row("milestones reached", lambda r: _rate(r["milestone_rate"]))
    if first["k"] > 1:
        for j in first["pass_at"]:
            row(f"pass@{j}", lambda r, j=j: _rate(r["pass_at"].get(j)))
    if any(r["projected_rate"] for r in runs):
        row("projected actions", lambda r: _rate(r["projected_rate"]))
    if any(r["errors"] for r in runs):
        row("episodes with errors", lambda r: str(r["errors"]))
    for key in sorted({key for r in runs for key in r["env_metrics"]}):
        row(key, lambda r, key=key: _rate(r["env_metrics"].get(key)))
    for key in sorted({key for r in runs for key in r["outcome_classes"]}):
        row(f"outcome: {key}", lambda r, key=key: _rate(r["outcome_classes"].get(key, 0.0)))
    types = sorted({t for r in runs for t in r["per_type"]})
    if len(types) > 1 or (types and types[0] != "untyped"):
        table.add_section()
        for t in types:
            def fmt(r: dict[str, Any], t: str = t) -> str:
                cell = r["per_type"].get(t)
                if cell is None:
                    return "-"
                return f"{cell['success_rate']:.3f} ({cell['successes']}/{cell['episodes']})"
            row(f"success: {t}", fmt)
    return table


def suite_table(runs: list[dict[str, Any]]) -> Table:
    """One row per (benchmark, policy)."""
    pass_k = max(r["k"] for r in runs) > 1
    table = Table(title="benchmark results", title_justify="left")
    for col in ("benchmark", "env / split", "policy", "tasks x k", "success", "95% CI",
                "score", "steps", "invalid", "tokens/ep", *(["pass@k"] if pass_k else [])):
        table.add_column(col, justify="left" if col in ("benchmark", "env / split", "policy")
                         else "right")
    previous = None
    for r in runs:
        if previous is not None and r["benchmark"] != previous:
            table.add_section()
        previous = r["benchmark"]
        cells = [r["benchmark"], f"{r['env']} / {r['split']}", r["policy"],
                 f"{r['tasks']} x {r['k']}", f"{r['success_rate']:.3f}", _ci(r),
                 _rate(r["mean_score"]), f"{r['mean_steps']:.2f}", _rate(r["invalid_rate"]),
                 f"{r['tokens_per_episode']:.1f}"]
        if pass_k:
            cells.append(_rate(r["pass_at_k"]))
        table.add_row(*cells)
    return table


def _print_suites() -> None:
    from agentrl.evaluation import known_suites, load_suite

    table = Table("suite", "benchmark", "env", "split", "episodes", "kwargs",
                  title="benchmark suites (configs/suites/)", title_justify="left")
    for name in known_suites():
        for i, bench in enumerate(load_suite(name)):
            table.add_row(name if i == 0 else "", bench.name, bench.env, bench.split,
                          str(bench.episodes), ", ".join(f"{k}={v}" for k, v in
                                                         bench.kwargs.items()))
        table.add_section()
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``agentrl eval`` to the CLI."""
    app.command("eval", help="Evaluate policies on an environment split or a benchmark suite "
                "(success with 95% CI, score, steps, invalid actions, tokens, pass@k, per "
                "task type).")(eval_command)
