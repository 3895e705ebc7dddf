"""Rollout framework overhead per agent step, with the scripted expert policy.

overhead per step = (rollout wall time - time to replay the same episodes' resets and steps
serially on bare environments - time inside policy.act) / steps.
Target: <= 1 ms per step on the household world.

The expert's actions are admissible, so the run above never projects; the cost of action
projection (``rollout.projection``, which the quickstart's tiny model depends on) is measured
apart, on household states and model-like actions (an admissible action with one word swapped,
cut short or reversed): ``project_action`` against comparing every candidate's difflib ratio,
checking that both pick the same action.

    python -m benchmarks.rollout [--env agentrl/Household-v0] [--tasks 64] [--group-size 8]
"""

from __future__ import annotations

import argparse
import difflib
import json
import platform
import random
import statistics
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import agentrl
from agentrl.policies import make_policy
from agentrl.prompting import PromptBuilder
from agentrl.rollout import RolloutEngine, project_action

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


#: words a model-like action may have swapped in
_WORDS = ["take", "go", "to", "from", "in/on", "mug", "pot", "cabinet", "3", "the", "fridge"]


def full_projection(action: str, admissible: list[str]) -> str:
    """Projection by comparing every candidate (no pruning): the first best difflib ratio."""
    text = action.strip().lower()
    scores = [difflib.SequenceMatcher(None, c.lower(), text, autojunk=False).ratio()
              for c in admissible]
    return admissible[scores.index(max(scores))]


def projection_cases(n_tasks: int, per_state: int, seed: int = 0
                     ) -> list[tuple[str, list[str]]]:
    """(model-like action, admissible actions) pairs from random walks in household test
    tasks: up to 8 states per task, ``per_state`` actions per state."""
    rng = random.Random(seed)
    env = agentrl.make("agentrl/Household-v0")
    cases = []
    for task in env.unwrapped.tasks("test")[:n_tasks]:
        _, info = env.reset(options={"task": task})
        for _ in range(8):
            admissible = list(info["admissible_actions"])
            for _ in range(per_state):
                tokens = rng.choice(admissible).split()
                i = rng.randrange(len(tokens))
                kind = rng.randrange(3)
                if kind == 0:
                    tokens[i] = rng.choice(_WORDS)
                elif kind == 1:
                    tokens = tokens[:i + 1]
                else:
                    tokens[i] = tokens[i][::-1]
                cases.append((" ".join(tokens), admissible))
            _, _, done, _, info = env.step(rng.choice(admissible))
            if done:
                break
    return cases


def measure_projection(n_tasks: int = 20, per_state: int = 25, repeats: int = 3
                       ) -> dict[str, Any]:
    """Milliseconds per projection, ``project_action`` and the full comparison (best of
    ``repeats``), and how many of the cases the two project differently (must be 0)."""
    cases = projection_cases(n_tasks, per_state)
    times: dict[str, float] = {}
    for name, fn in (("project_action", project_action), ("full_comparison", full_projection)):
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            for action, admissible in cases:
                fn(action, admissible)
            best = min(best, time.perf_counter() - start)
        times[name] = best / len(cases) * 1e3
    differ = sum(project_action(a, adm) != full_projection(a, adm) for a, adm in cases)
    out = {"cases": len(cases),
           "candidates_mean": statistics.mean(len(adm) for _, adm in cases),
           "ms_per_projection": times["project_action"],
           "ms_per_projection_full_comparison": times["full_comparison"],
           "speedup": times["full_comparison"] / times["project_action"],
           "choices_differing": differ}
    print(f"projection: {out['ms_per_projection']:.3f} ms (full comparison "
          f"{out['ms_per_projection_full_comparison']:.3f} ms) over {len(cases)} cases, "
          f"{differ} choices differ")
    return out


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
    if "agentrl/Household-v0" in agentrl.registry():
        result["projection"] = measure_projection(repeats=args.repeats)
    result.update(date=datetime.now(timezone.utc).isoformat(), python=platform.python_version(),
                  machine=platform.machine(), cpus=__import__("os").cpu_count(),
                  agentrl=agentrl.__version__)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    print(f"median overhead {result['overhead_ms_per_step_median']:.3f} ms/step "
          f"(target <= 1 ms) -> {RESULTS}")


if __name__ == "__main__":
    main()
