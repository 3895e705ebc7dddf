"""Plots of the benchmark results (PNG, matplotlib's Agg canvas; no pyplot, no display).

- ``learning_<comparison>.png``: training-rollout success per iteration against cumulative
  environment steps, one line per method and seed, with the SFT start's held-out success
  (sampled) as a dashed line; for the tool-use comparison a second panel shows the dense
  (format + correct) reward per training episode.
- ``learning_success.png``: held-out test success (sampled and greedy, pooled over seeds) with
  95% Wilson intervals, per comparison.
- ``model_speed.png``: tiny-model generation tokens/s per batch size and trainer samples/s,
  median with min-max whiskers.
- ``env_speed.png``: environment steps/s of the environment benchmarks.
- ``rl_curve.png``: the latest long RL run of ``rl_curve.json``: training-rollout success per
  iteration (and its 8-iteration mean) and held-out success of the kept checkpoints with 95%
  intervals, against the episode groups played.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["moving_average", "plot_all", "plot_env_speed", "plot_learning",
           "plot_model_speed", "plot_rl_curve"]

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
          "#7f7f7f"]


def _figure(width: float, height: float, cols: int = 1) -> tuple[Any, list[Any]]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, cols, i + 1) for i in range(cols)]
    return fig, axes


def _legend(ax: Any) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path)
    return path


def plot_learning(result: dict[str, Any], out_dir: Path) -> list[Path]:
    """Learning curves per comparison and the held-out success bars of a ``learning.json``."""
    from benchmarks.learning import dense_total

    paths = []
    runs = result.get("runs", {})
    quick = " (quick toy run)" if result.get("quick") else ""
    for comp in result.get("comparisons", []):
        setup_runs = runs.get(comp["setup"], {})
        dense = comp["setup"] == "tools"
        fig, axes = _figure(11 if dense else 7, 4.2, 2 if dense else 1)
        for i, row in enumerate(comp["rows"]):
            color = COLORS[i % len(COLORS)]
            if row.get("missing"):
                continue
            if row["method"] == "sft":
                axes[0].axhline(row["sampled"]["success"], color=color, ls="--",
                                label=f"{row['label']} (held-out, T=1)")
                continue
            for j, run in enumerate(setup_runs.get(row["method"], {}).values()):
                curve = run.get("curve", [])
                if not curve:
                    continue
                xs = [r["cum_env_steps"] for r in curve]
                label = row["label"] if j == 0 else None
                axes[0].plot(xs, [r["success"] for r in curve], color=color, marker="o",
                             ms=3, alpha=0.8, label=label)
                if dense:
                    axes[1].plot(xs, [dense_total(r) for r in curve], color=color, marker="o",
                                 ms=3, alpha=0.8, label=label)
        axes[0].set_xlabel("environment steps (cumulative)")
        axes[0].set_ylabel("training-rollout success")
        axes[0].set_ylim(-0.02, 1.02)
        axes[0].set_title(f"{comp['title']}{quick}", fontsize=9)
        _legend(axes[0])
        if dense:
            axes[1].set_xlabel("environment steps (cumulative)")
            axes[1].set_ylabel("dense reward per episode (format + correct)")
            axes[1].set_title("dense rewards during training", fontsize=9)
            _legend(axes[1])
        paths.append(_save(fig, out_dir / f"learning_{comp['name']}.png"))
    comps = [c for c in result.get("comparisons", []) if any(not r.get("missing")
                                                             for r in c["rows"])]
    if comps:
        fig, axes = _figure(4.5 * len(comps), 4.2, len(comps))
        for ax, comp in zip(axes, comps, strict=True):
            rows = [r for r in comp["rows"] if not r.get("missing")]
            for k, decoding in enumerate(("sampled", "greedy")):
                xs = [i + (k - 0.5) * 0.38 for i in range(len(rows))]
                ys = [r[decoding]["success"] for r in rows]
                err = [[y - r[decoding]["ci"][0] for y, r in zip(ys, rows, strict=True)],
                       [r[decoding]["ci"][1] - y for y, r in zip(ys, rows, strict=True)]]
                ax.bar(xs, ys, width=0.38, yerr=err, capsize=3, color=COLORS[k],
                       label="T=1" if decoding == "sampled" else "greedy")
            ax.set_xticks(range(len(rows)))
            ax.set_xticklabels([r["label"] for r in rows], rotation=30, ha="right", fontsize=7)
            ax.set_ylabel("held-out test success (95% CI)")
            ax.set_ylim(0, 1.05)
            ax.set_title(f"{comp['title']}{quick}", fontsize=8)
            ax.legend(fontsize=7)
        paths.append(_save(fig, out_dir / "learning_success.png"))
    return paths


def plot_model_speed(result: dict[str, Any], out_dir: Path) -> Path:
    """Generation tokens/s per batch size and trainer samples/s (median, min-max whiskers),
    one bar per torch thread count."""
    fig, axes = _figure(10, 3.8, 2)
    runs = result["runs"]
    width = 0.8 / max(len(runs), 1)

    def bars(ax: Any, names: Sequence[str], per_run: Sequence[Sequence[dict[str, Any]]],
             ylabel: str) -> None:
        for k, (run, stats) in enumerate(zip(runs, per_run, strict=True)):
            med = [s["median"] for s in stats]
            err = [[m - s["min"] for m, s in zip(med, stats, strict=True)],
                   [s["max"] - m for m, s in zip(med, stats, strict=True)]]
            xs = [i + (k - (len(runs) - 1) / 2) * width for i in range(len(names))]
            ax.bar(xs, med, width=width, yerr=err, capsize=3, color=COLORS[k % len(COLORS)],
                   label=f"{run['threads']} thread(s)")
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, fontsize=8)
        ax.set_ylabel(ylabel)
        _legend(ax)

    batches = list(runs[0]["generation"]["batches"])
    bars(axes[0], [f"batch {b}" for b in batches],
         [[r["generation"]["batches"][b]["tokens_per_s"] for b in batches] for r in runs],
         "generated tokens/s")
    axes[0].set_title("tiny model generation (HFPolicy, KV cache)", fontsize=9)
    bars(axes[1], ["log-prob pass", "PPO update"],
         [[r["trainer"]["logprob_pass_samples_per_s"], r["trainer"]["update_samples_per_s"]]
          for r in runs], "step samples/s")
    axes[1].set_title(f"trainer, minibatch {runs[0]['trainer']['minibatch_size']}", fontsize=9)
    return _save(fig, out_dir / "model_speed.png")


def env_speeds(results: dict[str, dict[str, Any]]) -> list[tuple[str, float]]:
    """(label, wall-clock env steps/s) of the environment benchmarks found in ``results``."""
    out: list[tuple[str, float]] = []
    hh = results.get("household", {}).get("speed", {}).get("full info", {})
    if "steps_per_s_wall_median" in hh:
        out.append(("household", float(hh["steps_per_s_wall_median"])))
    tw = results.get("textworld", {}).get("steps_per_s", {})
    if "random_agent" in tw:
        out.append(("textworld", float(tw["random_agent"])))
    for row in results.get("webshop", {}).get("results", []):
        out.append((f"webshop {row['num_products'] // 1000}k",
                    float(row["default_cache"]["mixed_steps_per_s"])))
    tools = results.get("tools", {}).get("expert", {})
    if "steps_per_s_wall" in tools:
        out.append(("tools", float(tools["steps_per_s_wall"])))
    for backend, entry in results.get("swe", {}).get("backends", {}).items():
        if "steps_per_s" in entry:
            out.append((f"swe {backend}", float(entry["steps_per_s"])))
    return out


def plot_env_speed(results: dict[str, dict[str, Any]], out_dir: Path) -> Path | None:
    """Bar chart (log scale) of the environments' steps/s."""
    speeds = env_speeds(results)
    if not speeds:
        return None
    fig, axes = _figure(8, 3.8)
    ax = axes[0]
    ax.bar(range(len(speeds)), [v for _, v in speeds], color=COLORS[0])
    ax.set_yscale("log")
    ax.set_xticks(range(len(speeds)))
    ax.set_xticklabels([k for k, _ in speeds], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("environment steps/s (wall clock)")
    ax.set_title("environment speed (scripted agents)", fontsize=9)
    return _save(fig, out_dir / "env_speed.png")


def moving_average(values: Sequence[float], window: int) -> list[float]:
    """Trailing mean over up to ``window`` values."""
    out = []
    for i in range(len(values)):
        chunk = values[max(0, i - window + 1): i + 1]
        out.append(sum(chunk) / len(chunk))
    return out


def plot_rl_curve(result: dict[str, Any], out_dir: Path) -> Path:
    """``rl_curve.png`` from the latest run of an ``rl_curve.json``."""
    run = result["runs"][-1]
    fig, (ax,) = _figure(7.5, 4.2)
    groups = run["groups_per_iteration"]
    train = run["training"]
    xs = [(r["iteration"] + 1) * groups for r in train]
    ys = [r["success"] for r in train]
    ax.plot(xs, ys, color="#bbbbbb", lw=0.8, label="training rollout (one iteration)")
    ax.plot(xs, moving_average(ys, 8), color=COLORS[0], lw=1.6,
            label="training rollout (mean of 8 iterations)")
    held = run["held_out"]
    hy = [p["success"] for p in held]
    err = [[y - p["ci"][0] for y, p in zip(hy, held, strict=True)],
           [p["ci"][1] - y for y, p in zip(hy, held, strict=True)]]
    ax.errorbar([p["groups"] for p in held], hy, yerr=err, color=COLORS[1], marker="o",
                capsize=3, label=f"held-out {run['split']} ({run['episodes']} tasks x "
                                 f"{run['k']}, 95% CI)")
    ax.axvline(192, color=COLORS[2], ls="--", lw=1, label="the quickstart's RL (192 groups)")
    ax.set_xlabel("episode groups played (one task x group_size episodes)")
    ax.set_ylabel("success")
    ax.set_ylim(0, max(0.6, max(ys + [p["ci"][1] for p in held]) + 0.05))
    ax.set_title("RL from the SFT model: success against groups played", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    return _save(fig, out_dir / "rl_curve.png")


def plot_all(results_dir: Path) -> list[Path]:
    """Every plot that the JSON files in ``results_dir`` allow; returns the files written."""
    results: dict[str, dict[str, Any]] = {}
    for path in sorted(results_dir.glob("*.json")):
        try:
            results[path.stem] = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
    paths: list[Path] = []
    jobs: list[tuple[str, Any]] = [
        ("learning", lambda: plot_learning(results["learning"], results_dir)),
        ("model_speed", lambda: [plot_model_speed(results["model_speed"], results_dir)]),
        ("", lambda: [p for p in [plot_env_speed(results, results_dir)] if p is not None]),
        ("rl_curve", lambda: [plot_rl_curve(results["rl_curve"], results_dir)]),
    ]
    for name, job in jobs:
        if name and name not in results:
            continue
        try:
            paths += job()
        except (KeyError, TypeError, ValueError, IndexError) as exc:  # an older file format
            warnings.warn(f"no plot for {name or 'env speed'}: {type(exc).__name__}: {exc}",
                          stacklevel=2)
    return paths
