"""EMPG: entropy-modulated policy gradients (Wang et al., "Harnessing Uncertainty:
Entropy-Modulated Policy Gradients for Long-Horizon LLM Agents", arXiv 2509.09265).
REFERENCES.md, "EMPG". A modifier on top of another estimator (``base``, default grpo).

Formula, over all N steps of the batch, with A_t the base estimator's advantage::

    H_t   = mean token entropy of step t (recorded at rollout)
    Hn_t  = (H_t - min H) / (max H - min H + eps)                 batch min-max normalised
    g_t   = exp(-k Hn_t) / mean_batch exp(-k Hn)                   self-calibrating scale
    f_t   = exp(-k' Hn_{t+1})  (0 on an episode's last step)       future-clarity bonus
    A'_t  = g_t A_t + zeta f_t
    A''_t = A'_t - mean_batch A'                                   final advantage

Defaults k = k' = 1, zeta = 0.1, eps = 1e-6. Where the entropies come from: per-token entropies
``step.extra["entropies"]`` (list of floats, their mean is H_t), or a step's mean entropy
``step.extra["entropy"]``, or ``StepBatch.arrays["entropy"]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field, field_validator

from agentrl.types import Step

from ..batch import StepBatch
from ..groupstats import EPS
from ..registry import (
    CreditContext,
    CreditParams,
    check_estimator_entry,
    register_estimator,
    resolve_estimator,
)

__all__ = ["EMPG", "EMPGParams", "empg_modulate", "step_entropies"]


class EMPGParams(CreditParams):
    """Parameters of ``empg``."""

    base: dict[str, Any] = Field(default_factory=lambda: {"name": "grpo"},
                                 description="the estimator whose advantages are modulated, "
                                 "as {name: ..., <params>} (grpo or gigpo in the paper)")
    k: float = Field(1.0, description="sharpness of the self-calibrating scale g")
    k_next: float = Field(1.0, description="sharpness k' of the future-clarity bonus")
    zeta: float = Field(0.1, description="weight of the future-clarity bonus")
    eps: float = Field(EPS, ge=0, description="guards the min-max normalisation")

    @field_validator("base")
    @classmethod
    def _base_is_an_estimator(cls, base: dict[str, Any]) -> dict[str, Any]:
        check_estimator_entry(base, "credit.estimator.base")  # raises a one-line ConfigError
        return base


def _read_entropy(step: Step) -> Any:
    tokens = step.extra.get("entropies")
    if isinstance(tokens, list) and tokens:
        return float(np.mean(np.asarray(tokens, dtype=np.float64)))
    scalar = step.extra.get("entropy")
    return None if scalar is None else float(scalar)


def step_entropies(batch: StepBatch) -> np.ndarray:
    """(N,) mean token entropy of each step."""
    return batch.step_extra(
        "entropy", _read_entropy,
        fix="empg needs per-token entropies in step.extra['entropies'] (or a step mean in "
            "step.extra['entropy']); record them at rollout")


def empg_modulate(batch: StepBatch, advantages: np.ndarray, entropies: np.ndarray, *,
                  k: float = 1.0, k_next: float = 1.0, zeta: float = 0.1,
                  eps: float = EPS) -> np.ndarray:
    """(N,) EMPG advantages from base advantages (N,) and step entropies (N,)."""
    if advantages.size == 0:
        return advantages.copy()
    h = np.asarray(entropies, np.float64)
    hn = (h - h.min()) / (h.max() - h.min() + eps)
    scale = np.exp(-k * hn)
    scale /= scale.mean()
    bonus = np.zeros_like(hn)
    not_last = ~batch.is_last
    bonus[not_last] = np.exp(-k_next * hn[1:][not_last[:-1]])
    modulated = scale * np.asarray(advantages, np.float64) + zeta * bonus
    return modulated - modulated.mean()


@register_estimator("empg", EMPGParams, stateful=True)
class EMPG:
    """EMPG modifier: entropy-scaled base advantages plus a future-clarity bonus."""

    def __init__(self, params: EMPGParams, context: CreditContext) -> None:
        self.params = params
        self.base = resolve_estimator(params.base, context, "credit.estimator.base")

    def __call__(self, batch: StepBatch, rewards: np.ndarray) -> np.ndarray:
        base = np.asarray(self.base(batch, rewards), np.float64)
        p = self.params
        return empg_modulate(batch, base, step_entropies(batch), k=p.k, k_next=p.k_next,
                             zeta=p.zeta, eps=p.eps)
