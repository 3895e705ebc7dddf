"""``agentrl credit``: credit assignment over a saved episodes file (DESIGN.md 3.5, 3.8).

    agentrl credit EPISODES.jsonl -o OUT.jsonl [--config FILE] [credit.estimator.name=gigpo ...]

Reads the episodes, runs the configured shapers and estimator (``agentrl.rewards``), writes the
same episodes with every step's ``shaped_reward`` and ``advantage`` filled, and prints a summary.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from agentrl.errors import UserError
from agentrl.types import read_episodes, write_episodes

MAX_GROUP_ROWS = 12
BAR_WIDTH = 40


def _episode_lines(path: Path) -> list[str]:
    """``file:line`` of every episode record (the non-blank lines, as read_episodes reads)."""
    with open(path, encoding="utf-8") as fh:
        return [f"{path}:{n}" for n, line in enumerate(fh, start=1) if line.strip()]


def credit_command(
    episodes: Path | None = typer.Argument(  # noqa: B008
        None, help="episodes file (JSONL, one episode per line)"),
    overrides: list[str] | None = typer.Argument(  # noqa: B008
        None, help="overrides such as credit.estimator.name=gigpo credit.estimator.gamma=0.95"),
    output: Path | None = typer.Option(None, "--output", "-o", help="where to write the "  # noqa: B008
                                       "episodes with shaped_reward and advantage filled"),
    config: Path | None = typer.Option(None, "--config", "-c", help="YAML run config whose "  # noqa: B008
                                       "credit: section to use (default: grpo, no shapers)"),
    summary_json: Path | None = typer.Option(None, "--summary-json", help="also write the "  # noqa: B008
                                             "summary as JSON here"),
    list_components: bool = typer.Option(False, "--list", help="list the registered shapers "
                                         "and estimators with their parameters, then exit"),
) -> None:
    """Fill shaped_reward and advantage of every step of EPISODES and print a summary."""
    from agentrl.rewards import build_credit
    from agentrl.rewards.config import load_credit_section
    from agentrl.rewards.summary import summarize

    console = Console()
    if list_components:
        _print_components(console)
        return
    if episodes is None or output is None:
        raise UserError("agentrl credit needs an episodes file and -o OUT.jsonl, e.g. "
                        "agentrl credit episodes.jsonl -o credited.jsonl")
    section = load_credit_section(config, overrides or [])
    credit = build_credit(section.get("shapers"), section.get("estimator"))
    if output.resolve() == episodes.resolve():
        raise UserError(f"--output {output} is the input file; write to a new file")
    with console.status(f"reading {episodes}"):
        batch = list(read_episodes(episodes))
        sources = _episode_lines(episodes)
    with console.status(f"credit: {credit.describe()}"):
        result = credit.apply(batch, sources=sources)
    with console.status(f"writing {output}"):
        write_episodes(output, batch)
    _, est_params, _ = credit.estimator  # type: ignore[misc]
    threshold = getattr(est_params, "similarity_threshold", None)
    summary = summarize(result, similarity_threshold=threshold)
    if summary_json is not None:
        summary_json.parent.mkdir(parents=True, exist_ok=True)
        summary_json.write_text(json.dumps(summary.to_dict(), indent=2))
    _print_summary(console, credit.describe(), summary, output)


def _print_summary(console: Console, pipeline: str, s: object, output: Path) -> None:
    from agentrl.rewards.summary import CreditSummary

    assert isinstance(s, CreditSummary)
    console.print(f"[bold]credit[/bold] {pipeline}")
    console.print(f"{s.episodes} episodes, {s.steps} steps, {len(s.groups)} groups -> {output}")
    table = Table("group", "eps", "steps", "R mean", "R std", "success", "A mean", "A std")
    for g in s.groups[:MAX_GROUP_ROWS]:
        success = "-" if g["success_rate"] is None else f"{g['success_rate']:.2f}"
        table.add_row(str(g["group_id"]), str(g["episodes"]), str(g["steps"]),
                      f"{g['return_mean']:.4f}", f"{g['return_std']:.4f}", success,
                      f"{g['advantage_mean']:+.4f}", f"{g['advantage_std']:.4f}")
    if len(s.groups) > MAX_GROUP_ROWS:
        table.add_row(f"... {len(s.groups) - MAX_GROUP_ROWS} more", *[""] * 7)
    console.print(table)
    console.print(f"GiGPO anchor-state step groups: {s.step_groups}; steps in non-trivial "
                  f"groups (size >= 2): {100 * s.nontrivial_step_fraction:.1f}%")
    console.print(f"advantage: mean {s.advantage_mean:+.4f}, std {s.advantage_std:.4f}")
    peak = max(s.histogram_counts, default=0) or 1
    for lo, hi, c in zip(s.histogram_edges, s.histogram_edges[1:], s.histogram_counts,
                         strict=False):
        bar = "#" * round(BAR_WIDTH * c / peak)
        console.print(f"  [{lo:+9.4f}, {hi:+9.4f}) {c:8d} {bar}", highlight=False)


def _print_components(console: Console) -> None:
    from agentrl.rewards import registered_estimators, registered_shapers

    kinds = (("shapers", registered_shapers()), ("estimators", registered_estimators()))
    for title, specs in kinds:
        table = Table("name", "parameter", "default", "meaning", title=title, title_justify="left")
        for name, spec in specs.items():
            rows = spec.params.model_fields.items()
            if not rows:
                table.add_row(name, "-", "", spec.doc)
            for i, (param, info) in enumerate(rows):
                default = "required" if info.is_required() else repr(info.get_default(
                    call_default_factory=True))
                table.add_row(name if i == 0 else "", param, default, info.description or "")
            table.add_section()
        console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``agentrl credit`` to the CLI."""
    app.command("credit", help="Credit assignment over an episodes file: fill shaped_reward "
                "and advantage.")(credit_command)
