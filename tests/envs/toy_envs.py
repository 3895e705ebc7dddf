"""A small correct text environment and deliberately broken variants, for checker tests."""

from __future__ import annotations

import json
import random
from typing import Any

from agentrl.envs import TextEnv
from agentrl.types import Task

SPLITS = {"train": 0, "valid": 100, "test": 200}


class Walk(TextEnv):
    """Walk right from cell 0 to a goal cell; `left`/`right` are the only commands."""

    def __init__(self, num_tasks: int = 20, length: int = 4) -> None:
        self.num_tasks = num_tasks
        self.length = length
        self.pos = 0
        self.goal = 0
        self.task_id = ""

    def tasks(self, split: str = "train") -> list[Task]:
        base = SPLITS[split]
        return [Task(task_id=f"walk-{base + i}", split=split, task_type="walk")
                for i in range(self.num_tasks)]

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        self.task_id = (options or {}).get("task_id", "walk-0")
        index = int(self.task_id.split("-")[1])
        self.goal = 1 + random.Random(index).randrange(self.length)
        self.pos = 0
        return f"You are at 0. The goal is at {self.goal}.", self._info(True)

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        cmd = action.strip().lower()
        if cmd not in ("left", "right"):
            return "Nothing happens.", 0.0, False, False, self._info(False)
        self.pos += 1 if cmd == "right" else -1
        done = self.pos == self.goal
        return f"You are at {self.pos}.", float(done), done, False, self._info(True, done)

    def _info(self, valid: bool, done: bool = False) -> dict[str, Any]:
        expert = "right" if self.pos < self.goal else "left"
        return {"valid": valid, "state_key": f"{self.pos}/{self.goal}",
                "admissible_actions": ["left", "right"], "expert_action": expert,
                "success": done, "task_id": self.task_id}


class NonDeterministic(Walk):
    """Observations depend on unseeded global randomness."""

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        obs, r, term, trunc, info = super().step(action)
        return obs + f" wind {random.random():.6f}", r, term, trunc, info


class CrashesOnGarbage(Walk):
    """Parses every action as JSON: raises on malformed text."""

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if action.startswith("{"):
            json.loads(action)
        return super().step(action)


class AcceptsEverything(Walk):
    """Reports every action as valid, even an empty one."""

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        obs, r, term, trunc, info = super().step(action)
        info["valid"] = True
        return obs, r, term, trunc, info


class BadTypes(Walk):
    """Returns the reward as a string."""

    def step(self, action: str) -> tuple[str, Any, bool, bool, dict[str, Any]]:
        obs, r, term, trunc, info = super().step(action)
        return obs, str(r), term, trunc, info


class OverlappingSplits(Walk):
    """The valid split repeats train's task ids."""

    def tasks(self, split: str = "train") -> list[Task]:
        return super().tasks("train" if split == "valid" else split)


class WrongExpert(Walk):
    """The expert always says `left`."""

    def _info(self, valid: bool, done: bool = False) -> dict[str, Any]:
        info = super()._info(valid, done)
        info["expert_action"] = "left"
        return info


class CloseTwiceRaises(Walk):
    """close() fails the second time."""

    closed = False

    def close(self) -> None:
        if self.closed:
            raise RuntimeError("already closed")
        self.closed = True


class NoTurnLimit(Walk):
    """Registered without max_turns and has none of its own."""

    max_turns = None


class BadInfo(Walk):
    """Reports a score outside [0, 1]."""

    def _info(self, valid: bool, done: bool = False) -> dict[str, Any]:
        info = super()._info(valid, done)
        info["score"] = 3.0
        return info
