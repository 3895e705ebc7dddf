"""ToolRL rewards (Qian et al., "ToolRL: Reward is All Tool Learning Needs", arXiv 2504.13958).
REFERENCES.md, "ToolRL".

The tool environment scores every turn the paper's way and reports it in
``Step.reward_components``: ``format`` in {0, 1} (the response follows the template), ``correct``
in [-3, 3] (tool calls against the ground truth: -3 unparseable, +3 exact, else
6 S / S_max - 3), and ``outcome`` on the answering turn (answer correctness). This shaper turns
them into the step reward, *replacing* the incoming one::

    r'_t = w_format * format_t + w_correct * correct_t + w_outcome * outcome_t

Defaults w_format = w_correct = w_outcome = 1, so a tool-call turn gets the paper's
R = R_format + R_correct in [-3, 4], and the answering turn adds its outcome. A component a step
does not report counts 0.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from ..batch import StepBatch
from ..registry import CreditParams, register_shaper

__all__ = ["ToolRLParams", "toolrl"]

COMPONENTS = ("format", "correct", "outcome")


class ToolRLParams(CreditParams):
    """Parameters of ``toolrl``."""

    w_format: float = Field(1.0, description="weight of the format reward (0/1)")
    w_correct: float = Field(1.0, description="weight of the tool-call correctness [-3, 3]")
    w_outcome: float = Field(1.0, description="weight of the answer's correctness (final turn)")


@register_shaper("toolrl", ToolRLParams)
def toolrl(batch: StepBatch, rewards: np.ndarray, params: ToolRLParams) -> np.ndarray:
    """ToolRL: w_format * format + w_correct * correct + w_outcome * outcome per step."""
    comps = batch.components(COMPONENTS)  # (N, 3)
    return comps @ np.array([params.w_format, params.w_correct, params.w_outcome])
