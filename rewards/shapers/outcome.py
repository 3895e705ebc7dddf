"""Outcome reward: the sparse terminal reward of outcome-supervised agent RL (as in GRPO/GiGPO
training on ALFWorld/WebShop, REFERENCES.md; verl-agent pays ``10 x won``).

Formula, for an episode of T steps with outcome o (``Episode.outcome``)::

    r'_t = r_t * 1[keep_step_rewards] + scale * o * 1[t == T - 1]

By default the shaper *replaces* the step rewards by the outcome on the last step, for
environments whose per-step rewards are not meant to be optimised directly.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from ..batch import StepBatch
from ..registry import CreditParams, register_shaper

__all__ = ["OutcomeParams", "outcome"]


class OutcomeParams(CreditParams):
    """Parameters of ``outcome``."""

    scale: float = Field(1.0, description="reward per unit of outcome (verl-agent uses 10)")
    keep_step_rewards: bool = Field(False, description="add the outcome to the incoming step "
                                    "rewards instead of replacing them")


@register_shaper("outcome", OutcomeParams)
def outcome(batch: StepBatch, rewards: np.ndarray, params: OutcomeParams) -> np.ndarray:
    """Episode outcome x scale on the last step (optionally on top of the step rewards)."""
    if "outcome" in batch.arrays:
        outcomes = np.asarray(batch.arrays["outcome"], np.float64)  # (E,)
    else:
        outcomes = np.array([ep.outcome for ep in batch.episodes], np.float64)
    out = rewards.copy() if params.keep_step_rewards else np.zeros_like(rewards)
    last = batch.is_last
    out[last] += params.scale * outcomes[batch.episode_index[last]]
    return out
