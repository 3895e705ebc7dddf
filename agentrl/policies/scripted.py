"""Scripted policies: ``expert`` (follows ``info["expert_action"]``) and ``random``.

They need no model and run at environment speed; they drive tests, collect SFT demonstrations and
give eval baselines.
"""

from __future__ import annotations

import random
from typing import Any

from agentrl.errors import UserError
from agentrl.policies.base import Generation, PolicyInput, SamplingParams

__all__ = ["ExpertPolicy", "RandomPolicy"]


class ExpertPolicy:
    """Plays the environment's oracle action (``info["expert_action"]``)."""

    name = "expert"

    def __init__(self, arg: str | None = None, **options: Any) -> None:
        if arg:
            raise UserError(f"the expert policy takes no argument (got {arg!r})")

    def act(self, inputs: list[PolicyInput], sampling: SamplingParams) -> list[Generation]:
        out = []
        for item in inputs:
            action = item.info.get("expert_action")
            if not isinstance(action, str):
                raise UserError("the expert policy needs info['expert_action'], which this "
                                "environment does not provide; use another policy")
            out.append(Generation(text=action))
        return out


class RandomPolicy:
    """Picks uniformly among ``info["admissible_actions"]`` (or fixed fallbacks)."""

    name = "random"
    FALLBACK = ("look", "help", "inventory")

    def __init__(self, arg: str | None = None, *, seed: int = 0, **options: Any) -> None:
        self.rng = random.Random(int(arg) if arg and arg.isdigit() else seed)
        self._seed: int | None = None

    def act(self, inputs: list[PolicyInput], sampling: SamplingParams) -> list[Generation]:
        if sampling.seed is not None and sampling.seed != self._seed:
            self.rng.seed(sampling.seed)  # reseed only when the seed changes: fresh draws each turn
            self._seed = sampling.seed
        return [Generation(text=self.rng.choice(item.info.get("admissible_actions")
                                                or list(self.FALLBACK))) for item in inputs]
