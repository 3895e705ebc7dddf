"""GRPO: group-relative episode advantage (Shao et al., DeepSeekMath, arXiv 2402.03300;
``norm_std: false`` is Dr.GRPO, Liu et al., arXiv 2503.20783). REFERENCES.md, "GRPO".

Formula, for episode i of group g with return R_i = sum_t r_{i,t}::

    A_i = (R_i - mean_g R) / (std_g R + eps)        (norm_std: true, default)
    A_i =  R_i - mean_g R                           (norm_std: false)

std is the unbiased sample std, eps = 1e-6, a one-episode group has mean 0 and std 1, and an
episode without steps counts in its group with R = 0. The episode's advantage is broadcast to
all its steps (and, by the trainer, to their tokens).

>>> import numpy as np
>>> from agentrl.rewards.batch import StepBatch
>>> b = StepBatch.from_arrays([1, 2], [0, 0], np.array([1.0, 0.0, 0.0]))
>>> np.round(grpo(b, b.rewards, GRPOParams()), 4).tolist()   # R = (1, 0): mean .5, std .7071
[0.7071, -0.7071, -0.7071]
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from ..batch import StepBatch
from ..groupstats import EPS, episode_returns, normalize_in_groups
from ..registry import CreditParams, register_estimator

__all__ = ["GRPOParams", "grpo", "grpo_episode_advantages"]


class GRPOParams(CreditParams):
    """Parameters of ``grpo``."""

    norm_std: bool = Field(True, description="divide by the group's std (false: Dr.GRPO, "
                           "mean-centred only; keeps low-variance groups from being blown up)")
    eps: float = Field(EPS, ge=0, description="added to the std before dividing")


def grpo_episode_advantages(returns: np.ndarray, episode_group: np.ndarray, num_groups: int, *,
                            norm_std: bool = True, eps: float = EPS) -> np.ndarray:
    """(E,) GRPO advantage of each episode from its return (E,) and group id (E,)."""
    return normalize_in_groups(np.asarray(returns, np.float64), episode_group, num_groups,
                               norm_std=norm_std, eps=eps)


@register_estimator("grpo", GRPOParams)
def grpo(batch: StepBatch, rewards: np.ndarray, params: GRPOParams) -> np.ndarray:
    """GRPO episode advantage, broadcast to every step (N,)."""
    returns = episode_returns(rewards, batch.episode_index, batch.num_episodes)
    adv = grpo_episode_advantages(returns, batch.episode_group, batch.num_groups,
                                  norm_std=params.norm_std, eps=params.eps)
    return adv[batch.episode_index]
