"""A number-guessing text game written as a third-party agentrl environment.

The agent guesses a hidden integer in ``[1, high]`` with ``guess K``; the game answers
"higher" or "lower". Reward 1.0 for finding the number. Binary search is the expert.
"""

from __future__ import annotations

import random
import re
from typing import Any

from agentrl.envs import TextEnv
from agentrl.types import Task

_GUESS = re.compile(r"^\s*guess\s+(-?\d{1,9})\s*$", re.IGNORECASE)
_SPLIT_OFFSET = {"train": 0, "valid": 1_000_000, "test": 2_000_000}


class GuessNumberEnv(TextEnv):
    """Guess the hidden number in as few turns as possible."""

    def __init__(self, num_tasks: int = 100, high: int = 64) -> None:
        self.num_tasks = num_tasks
        self.high = high
        self._secret = 0
        self._lo, self._hi = 1, high
        self._done = True
        self._task_id = ""

    # -- task set ---------------------------------------------------------------------------
    def tasks(self, split: str = "train") -> list[Task]:
        if split not in _SPLIT_OFFSET:
            raise ValueError(f"unknown split {split!r}; use one of {list(_SPLIT_OFFSET)}")
        return [Task(task_id=f"{split}-{i}", split=split, task_type="guess",
                     instruction=f"Find the hidden number between 1 and {self.high}.",
                     data={"index": _SPLIT_OFFSET[split] + i})
                for i in range(self.num_tasks)]

    # -- episode ----------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        task_id = (options or {}).get("task_id") or "train-0"
        split, _, index = task_id.rpartition("-")
        if split not in _SPLIT_OFFSET or not index.isdigit():
            raise ValueError(f"unknown task_id {task_id!r}")
        rng = random.Random(_SPLIT_OFFSET[split] + int(index))
        self._secret = rng.randint(1, self.high)
        self._lo, self._hi = 1, self.high
        self._done = False
        self._task_id = task_id
        obs = (f"I am thinking of a number between 1 and {self.high}. "
               "Say 'guess N' and I will tell you higher or lower.")
        return obs, self._info(valid=True)

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        match = _GUESS.match(action[:100])
        if self._done or match is None:
            why = "The game is over." if self._done else "I did not understand. Say 'guess N'."
            return why, 0.0, self._done, False, self._info(valid=False)
        guess = int(match.group(1))
        if guess == self._secret:
            self._done = True
            return f"Yes! It was {guess}.", 1.0, True, False, self._info(valid=True)
        if guess < self._secret:
            self._lo = max(self._lo, guess + 1)
            return f"{guess} is too low: higher.", 0.0, False, False, self._info(valid=True)
        self._hi = min(self._hi, guess - 1)
        return f"{guess} is too high: lower.", 0.0, False, False, self._info(valid=True)

    def _info(self, valid: bool) -> dict[str, Any]:
        info: dict[str, Any] = {
            "valid": valid,
            "task_id": self._task_id,
            "state_key": f"lo={self._lo} hi={self._hi} done={self._done}",
            "admissible_actions": [f"guess {k}" for k in range(self._lo, self._hi + 1)],
            "success": self._done,
            "score": 1.0 if self._done else 0.0,
        }
        if not self._done:
            info["expert_action"] = f"guess {(self._lo + self._hi) // 2}"
        return info
