"""Held-out success over a long RL run: does more RL keep paying? (issue #10)

The quickstart plays 192 episode groups of RL in its 15 minutes and gains +0.03 to +0.09 on
held-out tasks. This benchmark answers whether that is a compute limit (more groups would keep
adding) or a plateau: it evaluates a run's starting model and every kept checkpoint on the same
held-out tasks and seeds (``k`` sampled episodes per task, as ``agentrl eval -k``), reads the
training-rollout success of every iteration from the run's ``metrics.jsonl``, and saves both
with a plot against the number of episode groups played.

Train the run first, keeping the checkpoints to evaluate, e.g. 96 iterations from a
quickstart SFT model (about 65 min on one thread of this 2-core CPU)::

    agentrl train configs/quickstart.yaml model.path=runs/quickstart/sft model.preset=null \\
        trainer.sft.enabled=false trainer.iterations=96 trainer.skip_zero_advantage=true \\
        trainer.checkpoint_every=12 trainer.keep_checkpoints=8 output.dir=runs/long
    python -m benchmarks.rl_curve runs/long [--start runs/quickstart/sft] [-k 4]

Appends the run to ``benchmarks/results/rl_curve.json`` and writes ``rl_curve.png`` beside it.
"""

from __future__ import annotations

import argparse
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from agentrl.config import RunConfig, load_config
from agentrl.errors import UserError
from agentrl.evaluation import evaluate
from benchmarks.take_probe import relative_path

RESULTS = Path(__file__).parent / "results" / "rl_curve.json"
_ITER = re.compile(r"iter_(\d+)$")


def checkpoints(run_dir: Path) -> list[tuple[int, Path]]:
    """``(iteration, directory)`` of the run's kept checkpoints that hold a model, in order."""
    found = []
    for path in (run_dir / "checkpoints").glob("iter_*"):
        match = _ITER.search(path.name)
        if match and (path / "config.json").is_file():
            found.append((int(match.group(1)), path))
    return sorted(found)


def start_model(run_dir: Path, cfg: RunConfig, given: str | None) -> Path:
    """The model RL started from: ``given``, else the run's SFT model, else its ``model.path``."""
    if given:
        return Path(given)
    if (run_dir / "sft" / "config.json").is_file():
        return run_dir / "sft"
    if cfg.model.path and (Path(cfg.model.path) / "config.json").is_file():
        return Path(cfg.model.path)
    raise UserError(f"{run_dir}: no SFT model in the run and model.path is not a local model; "
                    "pass the starting model with --start DIR")


def training_curve(run_dir: Path) -> list[dict[str, float]]:
    """Per iteration: training-rollout success and per-token entropy (``metrics.jsonl``)."""
    path = run_dir / "metrics.jsonl"
    if not path.is_file():
        raise UserError(f"{run_dir}: no metrics.jsonl; pass a run directory of `agentrl train`")
    rows = []
    for line in path.read_text().splitlines():
        row = json.loads(line)
        if "iteration" in row and "success" in row:
            rows.append({"iteration": int(row["iteration"]), "success": float(row["success"]),
                         "entropy": float(row.get("entropy", float("nan")))})
    return rows


def measure(run_dir: Path, start: str | None = None, k: int = 4, episodes: int = 100,
            split: str = "test") -> dict[str, Any]:
    """Evaluate the starting model and the kept checkpoints on identical tasks and seeds."""
    cfg = load_config(run_dir / "config.yaml")
    models = [(-1, start_model(run_dir, cfg, start)), *checkpoints(run_dir)]
    if len(models) < 2:
        raise UserError(f"{run_dir}: no checkpoints with a model under checkpoints/; train with "
                        "trainer.checkpoint_every and trainer.keep_checkpoints set")
    summary = evaluate(cfg.env.id, [f"hf:{path}" for _, path in models], split, episodes, k,
                       config=cfg, progress=True)
    groups = cfg.rollout.groups_per_batch
    points = []
    for (iteration, path), res in zip(models, summary["runs"], strict=True):
        points.append({
            "iteration": iteration, "groups": (iteration + 1) * groups,
            "model": relative_path(str(path)), "success": res["success_rate"],
            "ci": res["success_ci"], "pass_at_k": res["pass_at_k"],
        })
    return {"run": relative_path(str(run_dir)), "split": split, "episodes": episodes, "k": k,
            "groups_per_iteration": groups, "group_size": cfg.rollout.group_size,
            "held_out": points, "training": training_curve(run_dir)}


def moving_average(values: list[float], window: int) -> list[float]:
    """Trailing mean over up to ``window`` values."""
    out = []
    for i in range(len(values)):
        chunk = values[max(0, i - window + 1): i + 1]
        out.append(sum(chunk) / len(chunk))
    return out


def plot(run: dict[str, Any], path: Path) -> Path:
    """Training-rollout success (per iteration and its 8-iteration mean) and held-out success
    with 95% intervals, against the episode groups played."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 4.2))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    groups = run["groups_per_iteration"]
    train = run["training"]
    xs = [(r["iteration"] + 1) * groups for r in train]
    ys = [r["success"] for r in train]
    ax.plot(xs, ys, color="#bbbbbb", lw=0.8, label="training rollout (one iteration)")
    ax.plot(xs, moving_average(ys, 8), color="#4c72b0", lw=1.6,
            label="training rollout (mean of 8 iterations)")
    held = run["held_out"]
    hx = [p["groups"] for p in held]
    hy = [p["success"] for p in held]
    err = [[y - p["ci"][0] for y, p in zip(hy, held, strict=True)],
           [p["ci"][1] - y for y, p in zip(hy, held, strict=True)]]
    ax.errorbar(hx, hy, yerr=err, color="#dd8452", marker="o", capsize=3,
                label=f"held-out {run['split']} ({run['episodes']} tasks x {run['k']}, 95% CI)")
    ax.axvline(192, color="#55a868", ls="--", lw=1, label="the quickstart's RL (192 groups)")
    ax.set_xlabel("episode groups played (one task x group_size episodes)")
    ax.set_ylabel("success")
    ax.set_ylim(0, max(0.6, max(ys + [p["ci"][1] for p in held]) + 0.05))
    ax.set_title("RL from the SFT model: success against groups played", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    return path


def _table(run: dict[str, Any]) -> Table:
    table = Table(title=f"{run['run']}: held-out {run['split']} success ({run['episodes']} tasks "
                        f"x {run['k']} sampled)")
    for col in ("iteration", "groups", "success", "95% CI", f"pass@{run['k']}",
                "training success (8-iteration mean)"):
        table.add_column(col, justify="right")
    train = {r["iteration"]: r["success"] for r in run["training"]}
    for p in run["held_out"]:
        window = [train[i] for i in range(p["iteration"] - 7, p["iteration"] + 1) if i in train]
        table.add_row("start" if p["iteration"] < 0 else str(p["iteration"]), str(p["groups"]),
                      f"{p['success']:.3f}", f"[{p['ci'][0]:.3f}, {p['ci'][1]:.3f}]",
                      f"{p['pass_at_k']:.2f}",
                      f"{sum(window) / len(window):.3f}" if window else "-")
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir", help="run directory of `agentrl train` with kept checkpoints")
    ap.add_argument("--start", help="the model RL started from (default: RUN/sft, else the "
                                    "run's model.path)")
    ap.add_argument("-k", type=int, default=4, help="sampled episodes per task (default 4)")
    ap.add_argument("--episodes", type=int, default=100, help="held-out tasks (default 100)")
    ap.add_argument("--label", default="", help="what the run measures (kept in the results)")
    ap.add_argument("--out", default=str(RESULTS),
                    help="results file (JSON); each run is appended; the plot goes beside it")
    args = ap.parse_args()
    try:
        run = measure(Path(args.run_dir), args.start, args.k, args.episodes)
    except UserError as exc:
        raise SystemExit(f"error: {exc}") from None
    run = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
           "label": args.label, **run}
    Console(width=150).print(_table(run))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    runs = json.loads(out.read_text()).get("runs", []) if out.is_file() else []
    runs.append(run)
    out.write_text(json.dumps({"runs": runs}, indent=2) + "\n")
    png = plot(run, out.with_suffix(".png"))
    print(f"results: {out} (run {len(runs)}); plot: {png}")


if __name__ == "__main__":
    main()
