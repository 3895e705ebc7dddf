"""Steps per second of ``agentrl/Household-v0`` on one core, and expert / random success rates.

Runs a random agent (uniform over ``info["admissible_actions"]``, resetting to the next train
task when an episode ends) through the registered environment with its default settings, so
every step computes the full ``info`` (admissible commands, exact state key, milestones and the
re-planned ``expert_action``). Resets and world generation are included in the time. Four
settings: every episode a new task (a new world each reset: the worst case), the same without
``expert_action``, 8 episodes per task (as GRPO groups play it: the world is built once and
cloned), and the first with the searching expert (``expert_mode="search"``, re-planned every
step, uncached). Then plays the oracle expert, the searching expert and the random agent on
every split for success rates and lengths.

Run: ``python -m benchmarks.household [--steps N] [--repeats N] [--tasks N]``; prints a table
and writes ``benchmarks/results/household.json``. The CPU may be shared with other work then;
both wall-clock and process CPU time are reported, each as the best and the median of several
runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import track
from rich.table import Table

import agentrl
from agentrl.environments.household import SPLITS, TASK_TYPES

RESULTS = Path(__file__).parent / "results" / "household.json"


def measure_speed(steps: int, expert: bool = True, repeats: int = 1,
                  group: int = 1, expert_mode: str = "oracle") -> dict[str, Any]:
    """Random-agent steps/s (resets included) over ``steps`` steps, best and median of
    ``repeats`` runs (the best is the least disturbed by other processes, as in ``timeit``).

    ``group`` episodes are played per task before moving to the next (1: every episode is a
    new task and builds a new world; 8: like GRPO groups of 8)."""
    env = agentrl.make("agentrl/Household-v0", expert=expert, expert_mode=expert_mode)
    tasks = env.tasks("train")
    runs = []
    for _ in range(repeats):
        rng = random.Random(0)
        episodes = 0
        _, info = env.reset(options={"task_id": tasks[0].task_id})
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(steps):
            _, _, term, trunc, info = env.step(rng.choice(info["admissible_actions"]))
            if term or trunc:
                episodes += 1
                task = tasks[(episodes // group) % len(tasks)]
                _, info = env.reset(options={"task_id": task.task_id})
        runs.append((steps / (time.process_time() - cpu), steps / (time.perf_counter() - wall)))
    cpu_rates = sorted(r[0] for r in runs)
    wall_rates = sorted(r[1] for r in runs)
    return {"steps": steps, "repeats": repeats, "episodes_per_run": episodes,
            "episodes_per_task": group,
            "steps_per_s_cpu_best": round(cpu_rates[-1]),
            "steps_per_s_cpu_median": round(cpu_rates[len(runs) // 2]),
            "steps_per_s_wall_best": round(wall_rates[-1]),
            "steps_per_s_wall_median": round(wall_rates[len(runs) // 2])}


def play(policy: str, split: str, n: int, seed: int = 0) -> dict[str, Any]:
    """Success rate and mean length of ``policy`` (expert, search_expert or random) on ``n``
    tasks of a split."""
    mode = "search" if policy == "search_expert" else "oracle"
    env = agentrl.make("agentrl/Household-v0", expert_mode=mode)
    rng = random.Random(seed)
    by_type: dict[str, list[int]] = {t: [] for t in TASK_TYPES}
    lengths = []
    for task in env.tasks(split)[:n]:
        _, info = env.reset(options={"task_id": task.task_id})
        t, done = 0, False
        while not done:
            action = (info["expert_action"] if policy != "random"
                      else rng.choice(info["admissible_actions"]))
            _, _, term, trunc, info = env.step(action)
            t += 1
            done = term or trunc
        by_type[task.task_type or ""].append(int(info["success"]))
        if info["success"]:
            lengths.append(t)
    wins = sum(sum(v) for v in by_type.values())
    total = sum(len(v) for v in by_type.values())
    return {"success": round(wins / total, 4), "episodes": total,
            "mean_steps_solved": round(sum(lengths) / max(len(lengths), 1), 2),
            "by_type": {t: round(sum(v) / len(v), 4) for t, v in by_type.items() if v}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000, help="steps per speed run")
    parser.add_argument("--repeats", type=int, default=5, help="speed runs (best and median)")
    parser.add_argument("--tasks", type=int, default=1000, help="tasks per split for rates")
    args = parser.parse_args()
    console = Console()

    load_before = round(os.getloadavg()[0], 2)
    t0 = time.perf_counter()
    listing = {s: len(agentrl.make("agentrl/Household-v0").tasks(s)) for s in SPLITS}
    listing_s = time.perf_counter() - t0

    speed = {}
    settings = [("full info", True, 1, "oracle"), ("no expert_action", False, 1, "oracle"),
                ("full info, groups of 8", True, 8, "oracle"),
                ("full info, searching expert", True, 1, "search")]
    for label, expert, group, mode in track(settings, description="speed", console=console):
        speed[label] = measure_speed(args.steps, expert, args.repeats, group, mode)
    rates: dict[str, dict[str, Any]] = {}
    for policy in ("expert", "search_expert", "random"):
        for split in track(SPLITS, description=policy, console=console):
            rates[f"{policy}/{split}"] = play(policy, split, args.tasks)

    table = Table(title="agentrl/Household-v0")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for label, s in speed.items():
        for clock in ("cpu", "wall"):
            table.add_row(f"steps/s, random agent, {label}, {clock} time: best / median",
                          f"{s[f'steps_per_s_{clock}_best']:,} / "
                          f"{s[f'steps_per_s_{clock}_median']:,}")
    for key, r in rates.items():
        table.add_row(f"{key} success ({r['episodes']} tasks), mean steps when solved",
                      f"{r['success']:.1%}, {r['mean_steps_solved']}")
    table.add_row("listing all splits (s)", f"{listing_s:.2f}")
    console.print(table)

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "env": "agentrl/Household-v0",
        "speed": speed,
        "rates": rates,
        "task_listing_s": round(listing_s, 3),
        "split_sizes": listing,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "processor": platform.processor() or platform.machine()},
        "load_average_1m_before_after": [load_before, round(os.getloadavg()[0], 2)],
        "note": "one process on one core; the machine's 2 cores were shared with other jobs "
                "while measuring (see load average), so all rates are lower bounds",
    }, indent=2) + "\n")
    console.print(f"saved {RESULTS}")


if __name__ == "__main__":
    main()
