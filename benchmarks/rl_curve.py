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

Appends the run to ``benchmarks/results/rl_curve.json`` and draws its latest run in
``rl_curve.png`` beside it (``python -m benchmarks --summary-only`` redraws it).
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
from benchmarks import append_runs, relative_path
from benchmarks.plots import plot_rl_curve

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
    runs = append_runs(out, [run])
    png = plot_rl_curve({"runs": runs}, out.parent)
    print(f"results: {out} (run {len(runs)}); plot: {png}")


if __name__ == "__main__":
    main()
