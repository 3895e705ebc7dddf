"""Gated reward accumulation, G-RA ("Stabilizing Long-term Multi-turn Reinforcement Learning with
Gated Rewards", arXiv 2508.10548). REFERENCES.md, "Gated reward accumulation".

Reward components (``Step.reward_components``, e.g. ``outcome``, ``format``, ``exec``) are ranked
by ``priority``, highest first. For each episode, component k's total over the episode is
compared with its threshold delta_k; component k is *counted* only while every higher-priority
component met its threshold::

    total_{i,k} = sum_t c_{i,t,k}
    open_{i,0}  = 1,   open_{i,k} = open_{i,k-1} * 1[total_{i,k-1} >= delta_{k-1}]
    r'_{i,t}    = sum_k open_{i,k} * c_{i,t,k}

With two levels this is the paper's R = r_high + 1[r_high >= delta] * sum_t r_low_t. A component
without a threshold never closes the gate below it; components not listed in ``priority`` are
ignored; a step missing a component counts it as 0. ``ungated: true`` is the paper's D-RA
baseline (plain sum of the listed components), kept for comparisons: it is the variant that gets
reward-hacked (total reward rises while the outcome falls).

The shaper *replaces* the incoming per-step reward by r' (the components already are the reward).

Outcome classes for SWE (the paper publishes no numbers; agentrl's choice, for environments that
report an ``outcome`` component): no submit 0, empty patch 0.25, patch fails tests 0.5, patch
passes tests 1; with ``thresholds: {outcome: 0.5}`` the gate opens once a non-empty patch is
submitted, as in the paper.

>>> import numpy as np
>>> comps = np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 1.0], [0.0, 1.0]])   # (outcome, format)
>>> gated_rewards(comps, np.array([0, 0, 1, 1]), 2, np.array([1.0, -np.inf])).tolist()
[0.0, 0.0, 2.0, 1.0]
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from ..batch import StepBatch
from ..registry import CreditParams, register_shaper

__all__ = ["GatedParams", "gated", "gated_rewards"]


class GatedParams(CreditParams):
    """Parameters of ``gated``."""

    priority: list[str] = Field(min_length=1, description="reward component names, highest "
                                "priority first; only these are accumulated")
    thresholds: dict[str, float] = Field(default_factory=dict, description="episode total a "
                                         "component must reach for lower ones to count")
    ungated: bool = Field(False, description="D-RA baseline: sum the components, no gates")

    @model_validator(mode="after")
    def _thresholds_are_ranked(self) -> GatedParams:
        stray = [k for k in self.thresholds if k not in self.priority]
        if stray:
            raise ValueError(f"thresholds names {stray[0]!r}, which is not in priority "
                             f"{self.priority}; add it to priority or remove the threshold")
        if len(set(self.priority)) != len(self.priority):
            raise ValueError(f"priority lists a component twice: {self.priority}")
        return self


def gated_rewards(components: np.ndarray, episode_index: np.ndarray, num_episodes: int,
                  thresholds: np.ndarray, *, ungated: bool = False) -> np.ndarray:
    """(N,) G-RA rewards from components (N, K) in priority order and thresholds (K,)
    (``-inf`` = no gate)."""
    k = components.shape[1]
    if ungated or k == 0:
        return components.sum(axis=1)
    totals = np.stack([np.bincount(episode_index, weights=components[:, j],
                                   minlength=num_episodes) for j in range(k)], axis=1)  # (E, K)
    passes = totals >= thresholds[None, :]
    gate = np.ones_like(passes)
    gate[:, 1:] = np.cumprod(passes[:, :-1], axis=1).astype(bool)
    return (components * gate[episode_index]).sum(axis=1)


@register_shaper("gated", GatedParams)
def gated(batch: StepBatch, rewards: np.ndarray, params: GatedParams) -> np.ndarray:
    """G-RA: lower-priority components count only while higher ones meet their thresholds."""
    comps = batch.components(params.priority)
    thresholds = np.array([params.thresholds.get(c, -np.inf) for c in params.priority])
    return gated_rewards(comps, batch.episode_index, batch.num_episodes, thresholds,
                         ungated=params.ungated)
