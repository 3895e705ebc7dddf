"""Rollout framework overhead per agent step, with the scripted expert policy.

overhead per step = (rollout wall time - time to replay the same episodes' resets and steps
serially on bare environments - time inside policy.act) / steps.
Target: <= 1 ms per step on the household world.

    python -m benchmarks.rollout [--env agentrl/Household-v0] [--tasks 64] [--group-size 8]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import agentrl
from agentrl.policies import make_policy
from agentrl.prompting import PromptBuilder
from agentrl.rollout import RolloutEngine

RESULTS = Path(__file__).parent / "results" / "rollout.json"


def replay_seconds(env_id: str, episodes: list[Any]) -> float:
    """Wall time of the same resets and steps on bare environments, without the framework."""
    env = agentrl.make(env_id)
    start = time.perf_counter()
    for ep in episodes:
        env.reset(seed=ep.seed, options={"task_id": ep.task_id})
        for step in ep.steps:
            env.step(step.action)
    return time.perf_counter() - start


class TimedPolicy:
    def __init__(self, policy: Any) -> None:
        self.policy, self.name, self.total = policy, policy.name, 0.0

    def act(self, inputs: Any, sampling: Any) -> Any:
        t = time.perf_counter()
        try:
            return self.policy.act(inputs, sampling)
        finally:
            self.total += time.perf_counter() - t


def measure(env_id: str, n_tasks: int, group_size: int, repeats: int) -> dict[str, Any]:
    tasks = agentrl.make(env_id).tasks("train")[:n_tasks]
    samples = []
    for r in range(repeats):
        policy = TimedPolicy(make_policy("expert"))
        engine = RolloutEngine(lambda: agentrl.make(env_id), policy, PromptBuilder(),
                               env_id=env_id, group_size=group_size)
        start = time.perf_counter()
        episodes = engine.run(tasks, seeds=list(range(len(tasks))))
        wall = time.perf_counter() - start
        engine.close()
        steps = sum(e.num_steps for e in episodes)
        env_s = replay_seconds(env_id, episodes)
        overhead = (wall - env_s - policy.total) / steps
        samples.append({"wall_s": wall, "env_s": env_s, "policy_s": policy.total,
                        "steps": steps, "overhead_ms_per_step": overhead * 1e3,
                        "success": sum(e.success for e in episodes) / len(episodes)})
        print(f"run {r}: {steps} steps in {wall:.3f} s (env {env_s:.3f} s), "
              f"overhead {overhead * 1e3:.3f} ms/step")
    per_step = [s["overhead_ms_per_step"] for s in samples]
    return {"env": env_id, "tasks": len(tasks), "group_size": group_size, "samples": samples,
            "overhead_ms_per_step_median": statistics.median(per_step),
            "overhead_ms_per_step_min": min(per_step), "overhead_ms_per_step_max": max(per_step),
            "target_ms_per_step": 1.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default=None)
    parser.add_argument("--tasks", type=int, default=64)
    parser.add_argument("--group-size", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    env_id = args.env or ("agentrl/Household-v0" if "agentrl/Household-v0" in agentrl.registry()
                          else "example/GuessNumber-v0")
    result = measure(env_id, args.tasks, args.group_size, args.repeats)
    result.update(date=datetime.now(timezone.utc).isoformat(), python=platform.python_version(),
                  machine=platform.machine(), cpus=__import__("os").cpu_count(),
                  agentrl=agentrl.__version__)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    print(f"median overhead {result['overhead_ms_per_step_median']:.3f} ms/step "
          f"(target <= 1 ms) -> {RESULTS}")


if __name__ == "__main__":
    main()
