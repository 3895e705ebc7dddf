"""Speed and baselines of ``agentrl/TextWorld-v0`` on the default generated game set.

Measures, on every task of every split (default: 6 train / 3 valid / 3 test games of tw-simple,
tw-coin_collector level 10 and tw-treasure_hunter level 10):

- *steps/s* of the environment under a random agent (uniform over the admissible commands) and
  under the expert (``info["expert_action"]``); then the random agents' commands are replayed,
  episode by episode, on the bare ``textworld.gym`` environment and on this one, interleaved so
  both see the same CPU load, to show the wrapper's overhead (command parsing, state key,
  milestones);
- *resets/s*, for a repeated game and for a switch to another game (which reloads the game);
- the *success rate* of the expert and of the random agent, per challenge (50 turns).

Run ``python -m benchmarks.textworld [--episodes N]``; it prints a table and saves
``benchmarks/results/textworld.json``. Games come from the cache (``$AGENTRL_TEXTWORLD_CACHE`` or
``~/.cache/agentrl/textworld``), generated on first use. ``--generation`` also times generating
the default set from scratch into a temporary folder. The CPU is shared with other engineers'
work while this runs, so the timings are lower bounds of what the machine can do.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

from agentrl.envs import make

RESULTS = Path(__file__).parent / "results" / "textworld.json"
ENV_ID = "agentrl/TextWorld-v0"


def run_episode(env: Any, task_id: str, seed: int, policy: str,
                rng: random.Random) -> tuple[bool, list[str], float]:
    """One episode; returns (success, commands sent, seconds spent in step)."""
    _, info = env.reset(seed=seed, options={"task_id": task_id})
    commands: list[str] = []
    spent = 0.0
    while True:
        action = (info["expert_action"] if policy == "expert"
                  else rng.choice(info["admissible_actions"]))
        commands.append(action)
        start = time.perf_counter()
        _, _, term, trunc, info = env.step(action)
        spent += time.perf_counter() - start
        if term or trunc:
            return bool(info["success"]), commands, spent


def replay_steps(game_file: str, task_id: str, episodes: list[list[str]],
                 env: Any) -> dict[str, tuple[int, float]]:
    """Replay the same command lists on the bare textworld gym env (same requested infos) and
    on ``env``, game by game, so both see the same CPU load; returns (steps, step seconds)."""
    import textworld
    from textworld.gym.envs import TextworldGymEnv

    infos = textworld.EnvInfos(admissible_commands=True, policy_commands=True, score=True,
                               max_score=True, won=True, lost=True, facts=True, objective=True)
    bare = TextworldGymEnv([game_file], request_infos=infos)
    out = {"bare": [0, 0.0], "agentrl": [0, 0.0]}
    for commands in episodes:
        bare.reset()
        env.reset(seed=0, options={"task_id": task_id})
        for name, step in (("bare", lambda c: bare.step(c)[2]),
                           ("agentrl", lambda c: any(env.step(c)[2:4]))):
            for command in commands:
                start = time.perf_counter()
                done = step(command)
                out[name][1] += time.perf_counter() - start
                out[name][0] += 1
                if done:
                    break
    bare.close()
    return {k: (int(v[0]), float(v[1])) for k, v in out.items()}


def time_resets(env: Any, task_ids: list[str], repeats: int) -> dict[str, float]:
    """Resets per second: the same game again, and alternating between two games."""
    env.reset(seed=0, options={"task_id": task_ids[0]})
    start = time.perf_counter()
    for i in range(repeats):
        env.reset(seed=i, options={"task_id": task_ids[0]})
    same = repeats / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(repeats):
        env.reset(seed=i, options={"task_id": task_ids[i % 2]})
    switch = repeats / (time.perf_counter() - start)
    return {"same_game_resets_per_s": round(same, 1), "switch_game_resets_per_s": round(switch, 1)}


def time_generation(workers: int | None) -> dict[str, float]:
    """Seconds to generate the default game set from scratch."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        env = make(ENV_ID, cache_dir=tmp)
        seconds = time.perf_counter() - start
        n = sum(len(env.tasks(s)) for s in ("train", "valid", "test"))
        env.close()
    return {"games": n, "seconds": round(seconds, 1), "seconds_per_game": round(seconds / n, 2),
            "workers": workers or min(4, os.cpu_count() or 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=5,
                        help="random-agent episodes per task (the expert plays each task once)")
    parser.add_argument("--generation", action="store_true",
                        help="also time generating the default game set from scratch")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", module="jericho")

    env = make(ENV_ID)
    tasks = [t for split in ("train", "valid", "test") for t in env.tasks(split)]
    rng = random.Random(0)
    per_type: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    step_time = {"random": [0, 0.0], "expert": [0, 0.0]}
    replays: dict[tuple[str, str], list[list[str]]] = defaultdict(list)
    for task in tasks:
        won, commands, spent = run_episode(env, task.task_id, 0, "expert", rng)
        per_type[task.task_type]["expert"].append(won)
        step_time["expert"][0] += len(commands)
        step_time["expert"][1] += spent
        for ep in range(args.episodes):
            won, commands, spent = run_episode(env, task.task_id, ep, "random", rng)
            per_type[task.task_type]["random"].append(won)
            step_time["random"][0] += len(commands)
            step_time["random"][1] += spent
            replays[(task.data["game_file"], task.task_id)].append(commands)
    replayed = {"bare": [0, 0.0], "agentrl": [0, 0.0]}
    for (game, task_id), eps in replays.items():
        for name, (n, spent) in replay_steps(game, task_id, eps, env).items():
            replayed[name][0] += n
            replayed[name][1] += spent
    resets = time_resets(env, [tasks[0].task_id, tasks[-1].task_id], repeats=20)
    env.close()

    result: dict[str, Any] = {
        "env": ENV_ID,
        "games": {split: len([t for t in tasks if t.split == split])
                  for split in ("train", "valid", "test")},
        "steps_per_s": {
            "random_agent": round(step_time["random"][0] / step_time["random"][1], 1),
            "expert": round(step_time["expert"][0] / step_time["expert"][1], 1),
            "replay_agentrl": round(replayed["agentrl"][0] / replayed["agentrl"][1], 1),
            "replay_bare_textworld_gym": round(replayed["bare"][0] / replayed["bare"][1], 1),
        },
        "random_agent_steps": step_time["random"][0],
        **resets,
        "success_rate": {
            task_type: {policy: round(sum(v) / len(v), 3) for policy, v in runs.items()}
            for task_type, runs in per_type.items()},
        "success_rate_overall": {
            policy: round(sum(sum(r[policy]) for r in per_type.values())
                          / sum(len(r[policy]) for r in per_type.values()), 3)
            for policy in ("expert", "random")},
        "max_turns": 50,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs "
                   "shared with other engineers' jobs while measuring (numbers are lower bounds)",
        "python": platform.python_version(),
    }
    if args.generation:
        result["generation"] = time_generation(None)

    print(f"{ENV_ID}: {sum(result['games'].values())} games {result['games']}")
    for name, value in result["steps_per_s"].items():
        print(f"  steps/s {name:34s} {value:8.1f}")
    print(f"  resets/s same game {resets['same_game_resets_per_s']:.1f}, "
          f"switching games {resets['switch_game_resets_per_s']:.1f}")
    for task_type, rates in result["success_rate"].items():
        print(f"  success {task_type:40s} expert {rates['expert']:.2f}  "
              f"random {rates['random']:.2f}")
    overall = result["success_rate_overall"]
    print(f"  success overall{'':33s} expert {overall['expert']:.2f}  "
          f"random {overall['random']:.2f}")
    if "generation" in result:
        gen = result["generation"]
        print(f"  generation: {gen['games']} games in {gen['seconds']} s "
              f"({gen['seconds_per_game']} s/game, {gen['workers']} workers)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"saved {RESULTS}")


if __name__ == "__main__":
    main()
