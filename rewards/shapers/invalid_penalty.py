"""Invalid-action penalty (verl-agent's ``invalid_action_penalty``, used with GiGPO, Feng et al.,
arXiv 2505.10978; REFERENCES.md "verl-agent defaults": 0.1).

Formula: r'_t = r_t - coef * 1[valid_t is false], added on top of the incoming reward.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from ..batch import StepBatch
from ..registry import CreditParams, register_shaper

__all__ = ["InvalidPenaltyParams", "invalid_penalty"]


class InvalidPenaltyParams(CreditParams):
    """Parameters of ``invalid_penalty``."""

    coef: float = Field(0.1, description="subtracted from the reward of every invalid step")


@register_shaper("invalid_penalty", InvalidPenaltyParams)
def invalid_penalty(batch: StepBatch, rewards: np.ndarray,
                    params: InvalidPenaltyParams) -> np.ndarray:
    """Subtract ``coef`` from steps whose action was invalid (``Step.valid`` false)."""
    return rewards - params.coef * (~batch.valid).astype(np.float64)
