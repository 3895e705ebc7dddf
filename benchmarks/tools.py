"""Speed of ``agentrl/ToolUse-v0`` with the expert policy, and expert / random-text scores.

Plays the expert (``info["expert_action"]``) through the registered environment on tasks of
every split, so each step parses the Hermes calls, runs the real tools (SQLite queries
included), scores ToolRL's format and correctness, and re-plans the expert action. Resets are
included in the time; task generation is timed separately (it happens once per process).
Then plays random text ("hello" and friends) for the zero-score baseline.

Run: ``python -m benchmarks.tools [--episodes N]``; prints a table and writes
``benchmarks/results/tools.json``. The CPU may be shared with other work while it runs; both
wall-clock and process CPU time are reported, and steps/s uses CPU time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import agentrl
from agentrl.environments.tools.generator import _generate, generate_tasks

RESULTS = Path(__file__).parent / "results" / "tools.json"
ENV_ID = "agentrl/ToolUse-v0"
SPLITS = ("train", "valid", "test")
RANDOM_TEXT = ("hello", "I think the answer is 42.", "<tool_call>", "final_answer(42)",
               '{"name": "calculator", "arguments": {"expression": "1+1"}}')


def time_generation() -> dict[str, float]:
    """Seconds (CPU) to generate each split from scratch."""
    _generate.cache_clear()
    out = {}
    for split in SPLITS:
        cpu = time.process_time()
        n = len(generate_tasks(split))
        out[split] = {"tasks": n, "cpu_s": round(time.process_time() - cpu, 3)}
    return out


def play_expert(episodes: int) -> dict[str, Any]:
    """Expert steps/s and scores over ``episodes`` episodes spread over the three splits."""
    env = agentrl.make(ENV_ID)
    tasks = [t for split in SPLITS for t in env.tasks(split)]
    rng = random.Random(0)
    picked = rng.sample(tasks, episodes)
    steps = 0
    wins: dict[str, list[int]] = defaultdict(list)
    turns: dict[str, list[int]] = defaultdict(list)
    toolrl_sum, max_toolrl_turns = 0.0, 0
    wall, cpu = time.perf_counter(), time.process_time()
    for task in picked:
        _, info = env.reset(options={"task_id": task.task_id})
        n = 0
        while True:
            _, _, term, trunc, info = env.step(info["expert_action"])
            n += 1
            comps = info["reward_components"]
            toolrl_sum += comps["format"] + comps["correct"]
            max_toolrl_turns += comps["format"] + comps["correct"] == 4.0
            if term or trunc:
                break
        steps += n
        wins[task.task_type or ""].append(int(info.get("success", False)))
        turns[task.task_type or ""].append(n)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    env.close()
    total = sum(len(v) for v in wins.values())
    return {
        "episodes": total, "steps": steps, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
        "steps_per_s_cpu": round(steps / cpu), "steps_per_s_wall": round(steps / wall),
        "episodes_per_s_cpu": round(total / cpu, 1),
        "success": round(sum(sum(v) for v in wins.values()) / total, 4),
        "success_by_type": {t: round(sum(v) / len(v), 4) for t, v in sorted(wins.items())},
        "turns_by_type": {t: round(sum(v) / len(v), 2) for t, v in sorted(turns.items())},
        "mean_toolrl_per_turn": round(toolrl_sum / steps, 4),
        "turns_at_max_toolrl": round(max_toolrl_turns / steps, 4),
    }


def play_random_text(episodes: int) -> dict[str, Any]:
    """Random text for whole episodes: outcome, success and mean ToolRL reward per turn."""
    env = agentrl.make(ENV_ID)
    rng = random.Random(1)
    tasks = env.tasks("test")
    outcome, successes, steps, toolrl, valid = 0.0, 0, 0, 0.0, 0
    for task in rng.sample(tasks, episodes):
        env.reset(options={"task_id": task.task_id})
        while True:
            _, reward, term, trunc, info = env.step(rng.choice(RANDOM_TEXT))
            steps += 1
            outcome += float(reward)
            valid += info["valid"]
            toolrl += info["reward_components"]["format"] + info["reward_components"]["correct"]
            if term or trunc:
                successes += int(info.get("success", False))
                break
    env.close()
    return {"episodes": episodes, "steps": steps, "outcome_sum": outcome,
            "success": successes / episodes, "valid_steps": valid,
            "mean_toolrl_per_turn": round(toolrl / steps, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1500, help="expert episodes")
    parser.add_argument("--random-episodes", type=int, default=200, help="random-text episodes")
    args = parser.parse_args()
    console = Console()
    console.print("generating the task sets ...")
    generation = time_generation()
    console.print(f"playing the expert on {args.episodes} episodes ...")
    expert = play_expert(args.episodes)
    console.print(f"playing random text on {args.random_episodes} episodes ...")
    random_text = play_random_text(args.random_episodes)

    table = Table(title=f"{ENV_ID} (CPU shared with other work)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for split, g in generation.items():
        table.add_row(f"generate {split} ({g['tasks']} tasks), CPU s", f"{g['cpu_s']:.2f}")
    table.add_row("expert steps/s (CPU time)", str(expert["steps_per_s_cpu"]))
    table.add_row("expert steps/s (wall clock)", str(expert["steps_per_s_wall"]))
    table.add_row("expert success", f"{expert['success']:.2%}")
    for kind, rate in expert["success_by_type"].items():
        table.add_row(f"  {kind} (mean turns {expert['turns_by_type'][kind]})", f"{rate:.2%}")
    table.add_row("expert mean ToolRL reward per turn (max 4)",
                  f"{expert['mean_toolrl_per_turn']:.3f}")
    table.add_row("random text: outcome / success",
                  f"{random_text['outcome_sum']:.0f} / {random_text['success']:.0%}")
    table.add_row("random text: mean ToolRL reward per turn",
                  f"{random_text['mean_toolrl_per_turn']:.3f}")
    console.print(table)

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "env": ENV_ID,
        "note": "CPU shared with other engineers' jobs while measuring; steps/s uses CPU time",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "generation": generation, "expert": expert, "random_text": random_text,
    }, indent=2) + "\n")
    console.print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
