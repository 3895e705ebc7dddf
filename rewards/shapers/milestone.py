"""Milestone rewards: potential-based shaping on subgoal progress (MiRA, "A Subgoal-driven
Framework for Improving Long-Horizon LLM Agents", arXiv 2603.19685; potential-based shaping:
Ng, Harada and Russell, ICML 1999). REFERENCES.md, "Milestone rewards".

Formula, for step t of an episode (t = 0..T-1), with the incoming reward r_t::

    Phi_0     = 0
    Phi_{t+1} = |milestones reached after step t| / milestones_total
    r'_t      = r_t + weight * (gamma * Phi_{t+1} - Phi_t)

Defaults weight = 1, gamma = 1. With gamma = 1 the bonus telescopes: sum_t r'_t - sum_t r_t =
weight * Phi_T, and, being potential-based, it leaves the optimal policy unchanged.

Where the numbers come from: ``Step.milestones`` lists the subgoals reached so far *after* the
step (the environment's ``info["milestones"]``; distinct names are counted);
``milestones_total`` is the ``total`` parameter if set, else the episode's last
``step.info["milestones_total"]`` (where the rollout stores the environment's info key), else
``episode.metrics["milestones_total"]`` (a top-level ``milestones_total`` key of a step or an
episode record is read too).

``potential: critic`` is for environments without milestones: a potential critic is regressed,
on the batch itself, from each step's observation (hashed word uni- and bigrams, ridge regression
with ``critic_l2``) onto its episode's ``outcome``; then Phi(s_t) = critic(observation_t) for
t < T and Phi_T = 0 (the terminal state has zero potential), and r'_t is the same formula.
"""

from __future__ import annotations

import itertools
import zlib
from typing import Literal

import numpy as np
from pydantic import Field

from agentrl.errors import EpisodeFormatError
from agentrl.types import Episode

from ..batch import StepBatch
from ..registry import CreditParams, register_shaper

__all__ = ["MilestoneParams", "fit_potential_critic", "milestone", "milestone_progress",
           "potential_shaping"]


class MilestoneParams(CreditParams):
    """Parameters of ``milestone``."""

    weight: float = Field(1.0, description="scale of the shaping term")
    gamma: float = Field(1.0, ge=0, le=1, description="discount in gamma * Phi' - Phi; keep it "
                         "equal to the estimator's discount for exact policy invariance")
    total: int | None = Field(None, gt=0, description="milestones per task; null = read "
                              "milestones_total from the episodes")
    potential: Literal["milestones", "critic"] = Field(
        "milestones", description="milestone fraction, or a critic learned from observations "
        "(for environments that report no milestones)")
    critic_features: int = Field(4096, gt=0, description="hashed feature dimension of the critic")
    critic_l2: float = Field(1.0, gt=0, description="ridge penalty of the critic")


def _episode_total(ep: Episode, override: int | None) -> int | None:
    if override is not None:
        return override
    for step in reversed(ep.steps):
        total = step.info.get("milestones_total", step.extra.get("milestones_total"))
        if total is not None:
            return int(total)
    total = ep.metrics.get("milestones_total", ep.extra.get("milestones_total"))
    return None if total is None else int(total)


def milestone_progress(batch: StepBatch, total: int | None = None) -> np.ndarray:
    """(N,) Phi_{t+1}: fraction of milestones reached after each step."""
    out = np.zeros(batch.num_steps)
    seen_total = False
    for e, ep in enumerate(batch.episodes):
        tot = _episode_total(ep, total)
        start = int(batch.episode_start[e])
        counts = [len(set(s.milestones)) for s in ep.steps]
        if tot is None or tot <= 0:
            if any(counts):
                raise EpisodeFormatError(
                    f"{batch.locate_episode(e)} reports milestones but no milestones_total; set "
                    "it in step.info['milestones_total'] or give the milestone shaper 'total'")
            continue
        seen_total = True
        out[start:start + len(counts)] = np.asarray(counts, np.float64) / tot
    if batch.num_steps and not seen_total:
        raise EpisodeFormatError(
            "the milestone shaper found no milestones_total in any episode; this environment "
            "may not report milestones: set 'total', or use 'potential: critic'")
    return out


def potential_shaping(batch: StepBatch, rewards: np.ndarray, phi_before: np.ndarray,
                      phi_after: np.ndarray, *, weight: float, gamma: float) -> np.ndarray:
    """(N,) r_t + weight * (gamma * Phi_{t+1} - Phi_t) from Phi_t (N,) and Phi_{t+1} (N,)."""
    return rewards + weight * (gamma * phi_after - phi_before)


def _previous(batch: StepBatch, after: np.ndarray) -> np.ndarray:
    """Phi_t from Phi_{t+1}: shift by one inside each episode, 0 at the first step."""
    before = np.zeros_like(after)
    before[1:] = after[:-1]
    before[batch.step_index == 0] = 0.0
    return before


def _hashed_features(texts: list[str], dim: int) -> np.ndarray:
    x = np.zeros((len(texts), dim + 1))
    x[:, dim] = 1.0  # bias
    for row, text in enumerate(texts):
        words = text.lower().split()
        grams = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
        for g in grams:
            x[row, zlib.crc32(g.encode()) % dim] += 1.0
        norm = np.linalg.norm(x[row, :dim])
        if norm > 0:
            x[row, :dim] /= norm
    return x


def fit_potential_critic(texts: list[str], targets: np.ndarray, *, dim: int = 4096,
                         l2: float = 1.0) -> np.ndarray:
    """Ridge-regress ``targets`` (M,) on hashed n-gram features of ``texts``; return the fitted
    values (M,). Solved in the dual (M x M) when M < features, else in the primal."""
    x = _hashed_features(texts, dim)
    y = np.asarray(targets, np.float64)
    if len(texts) <= dim:
        alpha = np.linalg.solve(x @ x.T + l2 * np.eye(len(texts)), y)
        return x @ (x.T @ alpha)
    w = np.linalg.solve(x.T @ x + l2 * np.eye(dim + 1), x.T @ y)
    return x @ w


@register_shaper("milestone", MilestoneParams)
def milestone(batch: StepBatch, rewards: np.ndarray, params: MilestoneParams) -> np.ndarray:
    """Potential-based milestone shaping: r + weight * (gamma * Phi' - Phi)."""
    if params.potential == "milestones":
        after = milestone_progress(batch, params.total)
        before = _previous(batch, after)
    else:
        texts = [s.observation for s in batch.steps()]
        outcomes = np.array([ep.outcome for ep in batch.episodes], np.float64)
        before = fit_potential_critic(texts, outcomes[batch.episode_index],
                                      dim=params.critic_features, l2=params.critic_l2)
        after = np.zeros_like(before)
        after[:-1] = before[1:]
        after[batch.is_last] = 0.0
    return potential_shaping(batch, rewards, before, after, weight=params.weight,
                             gamma=params.gamma)
