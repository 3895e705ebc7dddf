"""RLOO: REINFORCE leave-one-out baseline (Ahmadian et al., "Back to Basics", arXiv 2402.14740;
Kool et al. 2019). REFERENCES.md, "RLOO".

Formula, for episode i of a group g of n episodes with returns R::

    A_i = R_i - mean_{j != i} R_j = R_i - (sum_g R - R_i) / (n - 1)

A one-episode group has no other member; its baseline is taken as 0 (A_i = R_i), matching the
"mean 0" convention of the other estimators. Broadcast to every step of the episode.

>>> import numpy as np
>>> from agentrl.rewards.batch import StepBatch
>>> b = StepBatch.from_arrays([1, 1, 1], [0, 0, 0], np.array([3.0, 0.0, 0.0]))
>>> rloo(b, b.rewards, RLOOParams()).tolist()
[3.0, -1.5, -1.5]
"""

from __future__ import annotations

import numpy as np

from ..batch import StepBatch
from ..groupstats import episode_returns
from ..registry import CreditParams, register_estimator

__all__ = ["RLOOParams", "rloo", "rloo_episode_advantages"]


class RLOOParams(CreditParams):
    """``rloo`` has no parameters."""


def rloo_episode_advantages(returns: np.ndarray, episode_group: np.ndarray,
                            num_groups: int) -> np.ndarray:
    """(E,) leave-one-out advantage of each episode from returns (E,) and group ids (E,)."""
    returns = np.asarray(returns, np.float64)
    count = np.bincount(episode_group, minlength=num_groups).astype(np.float64)
    total = np.bincount(episode_group, weights=returns, minlength=num_groups)
    n = count[episode_group]
    others = total[episode_group] - returns
    baseline = np.divide(others, n - 1.0, out=np.zeros_like(returns), where=n > 1)
    return returns - baseline


@register_estimator("rloo", RLOOParams)
def rloo(batch: StepBatch, rewards: np.ndarray, params: RLOOParams) -> np.ndarray:
    """RLOO episode advantage, broadcast to every step (N,)."""
    returns = episode_returns(rewards, batch.episode_index, batch.num_episodes)
    return rloo_episode_advantages(returns, batch.episode_group,
                                   batch.num_groups)[batch.episode_index]
