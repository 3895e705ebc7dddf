"""The text-environment contract (DESIGN.md section 3.1).

An agentrl environment is a :class:`gymnasium.Env` whose observations and actions are strings:

- ``reset(seed=None, options=None) -> (observation, info)``; ``options["task_id"]`` picks a task
  and ``seed`` makes the episode reproducible: the same ``(task_id, seed)`` and the same actions
  give the same observations, rewards and infos.
- ``step(action) -> (observation, reward, terminated, truncated, info)``; ``action`` is the raw
  model text. A malformed action never raises: it yields an observation that says what was
  wrong, ``info["valid"] = False``, and the episode goes on.
- ``tasks(split) -> list[Task]`` for ``split`` in ``{"train", "valid", "test"}`` (environments
  may offer more, e.g. ``test_unseen``).
- ``close()`` is idempotent.

Standard ``info`` keys are listed in :data:`INFO_KEYS`. :class:`TextEnv` is a convenience base
(text spaces, idempotent ``close``, the ``max_turns`` attribute); an environment only has to be a
``gymnasium.Env`` with a ``tasks`` method, so nothing heavier than gymnasium is required.
"""

from __future__ import annotations

import random
from typing import Any, SupportsFloat

import gymnasium as gym

from agentrl.types import Task

__all__ = ["INFO_KEYS", "TextEnv", "TextSpace", "TurnLimit"]

#: Standard ``info`` keys and the types the checker enforces when an environment reports them.
INFO_KEYS: dict[str, str] = {
    "valid": "bool: the action parsed and was admissible",
    "state_key": "str: canonical, history-free key of the state after this observation (GiGPO)",
    "admissible_actions": "list[str]: the actions the environment accepts now",
    "milestones": "list[str]: subgoals reached so far",
    "milestones_total": "int: number of subgoals of the task",
    "reward_components": "dict[str, float]: named parts of this step's reward",
    "success": "bool: the task was solved (final step)",
    "score": "float in [0, 1]: graded result (final step)",
    "tools": "list[dict]: OpenAI function schemas (tool-calling environments, on reset)",
    "expert_action": "str: the oracle's next action, where an expert exists",
    "task_id": "str: the task being played",
    "task_type": "str: the task's type, for per-type metrics",
}


class TextSpace(gym.Space[str]):
    """The space of all strings (observations and actions of text environments).

    ``gymnasium.spaces.Text`` restricts the character set; model output is arbitrary Unicode.
    """

    def __init__(self, max_length: int | None = None, seed: int | None = None) -> None:
        self.max_length = max_length
        self._rng = random.Random(seed)
        super().__init__(shape=None, dtype=None, seed=seed)

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        length = self._rng.randint(0, min(self.max_length or 32, 32))
        alphabet = "abcdefghijklmnopqrstuvwxyz 0123456789[]{}\"':,.-_"
        return "".join(self._rng.choice(alphabet) for _ in range(length))

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and (self.max_length is None or len(x) <= self.max_length)

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "TextSpace()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TextSpace) and other.max_length == self.max_length


class TextEnv(gym.Env[str, str]):
    """Optional base class for text environments.

    Subclasses implement :meth:`reset`, :meth:`step` and :meth:`tasks`. ``max_turns`` is the
    environment's own default turn limit; the registry enforces the limit of the registration
    (or of ``make(..., max_turns=N)``) with :class:`TurnLimit`.
    """

    metadata: dict[str, Any] = {"render_modes": ["ansi"]}  # noqa: RUF012 (gymnasium convention)
    observation_space = TextSpace()
    action_space = TextSpace()
    max_turns: int | None = None
    _closed: bool = False

    def tasks(self, split: str = "train") -> list[Task]:
        """Return the task set of ``split``; task ids are stable and disjoint across splits."""
        raise NotImplementedError

    def close(self) -> None:
        """Release resources. Safe to call more than once."""
        self._closed = True


class TurnLimit(gym.Wrapper[str, str, str, str]):
    """Truncates an episode after ``max_turns`` steps (``truncated=True``).

    Unlike ``gymnasium.wrappers.TimeLimit`` it forwards the text-environment API (``tasks`` and
    any public attribute of the wrapped environment), so ``make(...)`` returns an object that can
    be used like the environment itself.
    """

    def __init__(self, env: gym.Env[str, str], max_turns: int) -> None:
        super().__init__(env)
        if max_turns < 1:
            raise ValueError(f"max_turns must be >= 1, got {max_turns}")
        self.max_turns = max_turns
        self._turns = 0

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        self._turns = 0
        return self.env.reset(seed=seed, options=options)

    def step(self, action: str) -> tuple[str, SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._turns += 1
        if self._turns >= self.max_turns and not terminated:
            truncated = True
        return obs, reward, terminated, truncated, info

    @property
    def turns(self) -> int:
        """Steps taken in the current episode."""
        return self._turns

    def tasks(self, split: str = "train") -> list[Task]:
        return self.env.unwrapped.tasks(split)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.env, name)
