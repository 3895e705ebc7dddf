"""The quickstart's learning result: held-out success of the SFT-only model vs. after RL, 3 seeds.

Runs ``agentrl train configs/quickstart.yaml seed=S`` exactly as the README does (one process
per seed, one after the other so each has the machine's CPUs), times it, and reads the run's
``final_eval.json``. The acceptance bar (issue #10): the whole run <= 15 minutes on a 2-core
CPU, and held-out test success after RL >= SFT-only + 0.20 (absolute), on the sampled
(temperature 1, the training distribution) decoding; greedy numbers are reported next to it.

    python -m benchmarks.quickstart [--seeds 0 1 2] [--config FILE] [KEY=VALUE ...]

Writes ``benchmarks/results/quickstart.json`` (per seed: minutes, SFT and final success with
95% intervals, sampled and greedy, and pass@k when each task is sampled ``eval.samples`` times;
means; machine info) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from agentrl.evaluation import wilson_interval

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "quickstart.json"
TARGET_MINUTES = 15.0
TARGET_GAIN = 0.20


def run_seed(config: str, seed: int, out: Path, overrides: list[str]) -> dict[str, Any]:
    """One quickstart run; returns its timing and the final evaluation rows."""
    cmd = [sys.executable, "-m", "agentrl", "train", config, f"seed={seed}",
           f"output.dir={out}", *overrides]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    minutes = (time.perf_counter() - start) / 60
    if proc.returncode != 0:
        raise SystemExit(f"seed {seed} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    rows = json.loads((out / "final_eval.json").read_text())
    result: dict[str, Any] = {"seed": seed, "minutes": minutes, "run_dir": str(out)}
    for key, row in rows.items():
        model, split, decoding = key.split("/")
        n = int(row["episodes"])
        result[f"{model}_{decoding}"] = row["success"]
        # the trainer's interval counts tasks as clusters when each is sampled several times
        result[f"{model}_{decoding}_ci"] = list(row.get("ci95") or wilson_interval(
            round(row["success"] * n), n))
        result[f"{model}_{decoding}_samples"] = int(row.get("samples", 1))
        if "pass_at_k" in row:
            result[f"{model}_{decoding}_pass_at_k"] = row["pass_at_k"]
        result["episodes"] = int(row.get("tasks", n))  # tasks per cell
        result["split"] = split
    for decoding in ("sampled", "greedy"):
        result[f"gain_{decoding}"] = result[f"final_{decoding}"] - result[f"sft_{decoding}"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/quickstart.yaml")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--runs", default="runs/bench-quickstart",
                        help="parent directory of the per-seed run directories")
    parser.add_argument("overrides", nargs="*", help="KEY=VALUE config overrides")
    args = parser.parse_args()
    from rich.console import Console
    from rich.table import Table

    console = Console()
    seeds = []
    for seed in args.seeds:
        console.print(f"seed {seed}: agentrl train {args.config} seed={seed} ...")
        res = run_seed(args.config, seed, ROOT / args.runs / f"seed{seed}", args.overrides)
        console.print(f"  {res['minutes']:.1f} min, sampled {res['sft_sampled']:.2f} -> "
                      f"{res['final_sampled']:.2f}, greedy {res['sft_greedy']:.2f} -> "
                      f"{res['final_greedy']:.2f}")
        seeds.append(res)
    summary: dict[str, Any] = {
        "config": args.config, "overrides": args.overrides, "seeds": seeds,
        "target_minutes": TARGET_MINUTES, "target_gain": TARGET_GAIN,
        "date": datetime.now(timezone.utc).isoformat(), "python": platform.python_version(),
        "machine": platform.machine(), "cpus": os.cpu_count(),
    }
    for key in ("minutes", "sft_sampled", "final_sampled", "gain_sampled", "sft_greedy",
                "final_greedy", "gain_greedy"):
        values = [s[key] for s in seeds]
        summary[f"{key}_mean"] = statistics.mean(values)
        summary[f"{key}_min"] = min(values)
        summary[f"{key}_max"] = max(values)
    summary["meets_time"] = all(s["minutes"] <= TARGET_MINUTES for s in seeds)
    summary["meets_gain_every_seed"] = all(s["gain_sampled"] >= TARGET_GAIN for s in seeds)
    summary["meets_gain_mean"] = summary["gain_sampled_mean"] >= TARGET_GAIN
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2))

    table = Table(title=f"quickstart, held-out {seeds[0]['split']} success "
                        f"({seeds[0]['episodes']} tasks per cell, sampled "
                        f"{seeds[0].get('sft_sampled_samples', 1)} times each)")
    for col in ("seed", "minutes", "SFT sampled", "RL sampled", "gain", "SFT greedy",
                "RL greedy", "gain"):
        table.add_column(col)
    for s in seeds:
        table.add_row(str(s["seed"]), f"{s['minutes']:.1f}", f"{s['sft_sampled']:.2f}",
                      f"{s['final_sampled']:.2f}", f"{s['gain_sampled']:+.2f}",
                      f"{s['sft_greedy']:.2f}", f"{s['final_greedy']:.2f}",
                      f"{s['gain_greedy']:+.2f}")
    console.print(table)
    console.print(f"mean gain (sampled) {summary['gain_sampled_mean']:+.3f} "
                  f"(target >= {TARGET_GAIN}); every seed <= {TARGET_MINUTES} min: "
                  f"{summary['meets_time']} -> {RESULTS}")


if __name__ == "__main__":
    main()
