"""Episode builders shared by the credit-assignment tests."""

from __future__ import annotations

from typing import Any

from agentrl.types import Episode, Step


def make_episode(episode_id: str, group_id: str, rewards: list[float],
                 keys: list[str] | None = None, **step_fields: list[Any]) -> Episode:
    """An episode whose step t has reward rewards[t], state_key keys[t] (default: unique) and
    any other Step field given as a per-step list (e.g. valid=[True, False])."""
    steps = []
    for t, r in enumerate(rewards):
        fields: dict[str, Any] = {k: v[t] for k, v in step_fields.items()}
        key = keys[t] if keys is not None else f"{episode_id}/{t}"
        steps.append(Step(observation=f"obs {key}", action=f"act {t}", reward=r,
                          state_key=key, **fields))
    return Episode(episode_id=episode_id, group_id=group_id, task_id=group_id, env="test/Env-v0",
                   steps=steps)
