"""Numbers that describe a credit pass, printed by ``agentrl credit``.

Per episode group: episodes, steps, mean and (unbiased) std of the shaped return, success rate
and the mean / std of the step advantages; over the batch: the fraction of steps that sit in a
non-trivial GiGPO anchor-state step group (two or more steps of a group acting from the same
state: the steps GiGPO's step advantage can say something about) and a histogram of the
advantages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .estimators.gigpo import anchor_step_groups
from .groupstats import episode_returns
from .registry import CreditResult

__all__ = ["CreditSummary", "summarize"]


@dataclass
class CreditSummary:
    """Summary of one credit pass (``to_dict`` for JSON)."""

    episodes: int
    steps: int
    groups: list[dict[str, Any]] = field(default_factory=list)
    step_groups: int = 0
    nontrivial_step_fraction: float = 0.0
    histogram_edges: list[float] = field(default_factory=list)
    histogram_counts: list[int] = field(default_factory=list)
    advantage_mean: float = 0.0
    advantage_std: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def summarize(result: CreditResult, *, similarity_threshold: float | None = None,
              bins: int = 10) -> CreditSummary:
    """Summarise ``result``; ``similarity_threshold`` as the gigpo estimator's, if any."""
    b = result.batch
    adv = result.advantages
    summary = CreditSummary(episodes=b.num_episodes, steps=b.num_steps)
    if b.num_steps == 0:
        return summary
    returns = episode_returns(result.shaped_rewards, b.episode_index, b.num_episodes)
    success = np.array([float(ep.success) for ep in b.episodes]) if b.episodes else None
    step_count = np.bincount(b.step_group, minlength=b.num_groups)
    adv_sum = np.bincount(b.step_group, weights=adv, minlength=b.num_groups)
    adv_sq = np.bincount(b.step_group, weights=adv * adv, minlength=b.num_groups)
    for g in range(b.num_groups):
        members = np.flatnonzero(b.episode_group == g)
        r = returns[members]
        n = int(step_count[g])
        mean_adv = adv_sum[g] / n if n else 0.0
        var_adv = adv_sq[g] / n - mean_adv ** 2 if n else 0.0
        summary.groups.append({
            "group_id": b.group_ids[g] if g < len(b.group_ids) else str(g),
            "episodes": len(members),
            "steps": n,
            "return_mean": float(r.mean()),
            "return_std": float(r.std(ddof=1)) if len(r) > 1 else 0.0,
            "success_rate": float(success[members].mean()) if success is not None else None,
            "advantage_mean": float(mean_adv),
            "advantage_std": float(np.sqrt(max(var_adv, 0.0))),
        })
    ids, num = anchor_step_groups(b, similarity_threshold)
    sizes = np.bincount(ids, minlength=num)
    summary.step_groups = int(num)
    summary.nontrivial_step_fraction = float(np.mean(sizes[ids] > 1))
    counts, edges = np.histogram(adv, bins=bins)
    summary.histogram_edges = edges.tolist()
    summary.histogram_counts = counts.tolist()
    summary.advantage_mean = float(adv.mean())
    summary.advantage_std = float(adv.std())
    return summary
