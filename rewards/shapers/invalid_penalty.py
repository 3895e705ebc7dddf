"""Invalid-action penalty (verl-agent's ``invalid_action_penalty``, used with GiGPO, Feng et al.,
arXiv 2505.10978; REFERENCES.md "verl-agent defaults": 0.1).

Formula: r'_t = r_t - coef * 1[valid_t is false], added on top of the incoming reward. With
``projected: true`` a step whose generated text was not admissible and was mapped onto the
nearest admissible action by the rollout's action projection (``Step.extra["projected"]``) counts
as invalid too: the environment accepted the projected action, but the model did not produce a
valid one, which is what verl-agent's penalty punishes (its projection flags such actions).
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
    projected: bool = Field(False, description="also penalise steps whose action the rollout "
                                               "projected onto an admissible one")


@register_shaper("invalid_penalty", InvalidPenaltyParams)
def invalid_penalty(batch: StepBatch, rewards: np.ndarray,
                    params: InvalidPenaltyParams) -> np.ndarray:
    """Subtract ``coef`` from steps whose action was invalid (``Step.valid`` false) or, with
    ``projected``, projected onto an admissible action."""
    invalid = ~batch.valid
    if params.projected:
        invalid = invalid | (batch.step_extra(
            "projected", lambda s: bool(s.extra.get("projected")), fix="") > 0)
    return rewards - params.coef * invalid.astype(np.float64)
