"""GiGPO: group-in-group policy optimisation (Feng et al., NeurIPS 2025, arXiv 2505.10978).
REFERENCES.md, "GiGPO". Critic-free; a GRPO episode advantage plus a step-level advantage over
*anchor states*: the steps of one episode group that act from the same state.

Formula, for step t of episode i in episode group g::

    R_i        = sum_t r_{i,t}                                      episode return
    A^E_i      = (R_i - mean_g R) / (std_g R + eps)                  one return per episode
    R_{i,t}    = sum_{k >= t} gamma^(k - t) r_{i,k}                  discounted step return
    S(i,t)     = {(j, u) in g : state_key_{j,u} == state_key_{i,t}}  anchor-state step group
    A^S_{i,t}  = (R_{i,t} - mean_S R) / (std_S R + eps)              0 if |S| == 1
    A_{i,t}    = A^E_i + omega * A^S_{i,t}

Defaults gamma = 0.95, omega = 1, eps = 1e-6; std is unbiased; a one-episode group has mean 0
and std 1. ``norm_std: false`` drops both divisions (mean-centring only).

Departures and options:

- ``episode_stats: steps`` is the released code's variant (verl-agent ``core_gigpo.py``): the
  episode statistics are taken over step rows, each step carrying its episode's return, so long
  episodes weigh more (a group with a single row has mean 0, std 1). The paper's
  ``episode_stats: episodes`` is the default.
- ``similarity_threshold`` (off by default; the paper's similarity mode uses 0.95) clusters the
  distinct state keys of each episode group greedily, in order of first appearance: a key joins
  the first earlier cluster whose first key has ``difflib.SequenceMatcher(None, first,
  key).ratio() >= threshold``, else it starts a new cluster. Exact matching (the default) needs
  no Python loop.
- The anchor key of a step is ``Step.state_key``, or its observation text when the environment
  gave no key (DESIGN.md 3.1).
"""

from __future__ import annotations

import difflib
from typing import Literal

import numpy as np
from pydantic import Field

from ..batch import StepBatch
from ..groupstats import (
    EPS,
    discounted_returns,
    episode_returns,
    group_mean_std,
    normalize_in_groups,
)
from ..registry import CreditParams, register_estimator

__all__ = ["GiGPOParams", "anchor_step_groups", "gigpo", "gigpo_advantages"]


class GiGPOParams(CreditParams):
    """Parameters of ``gigpo``."""

    gamma: float = Field(0.95, ge=0, le=1, description="discount of the step returns R_{i,t}")
    omega: float = Field(1.0, description="weight of the step advantage A^S")
    norm_std: bool = Field(True, description="divide by the std in both the episode and the "
                           "step advantage (false: mean-centring only)")
    episode_stats: Literal["episodes", "steps"] = Field(
        "episodes", description="statistics of A^E over one return per episode (paper) or over "
        "step rows (released code; long episodes weigh more)")
    similarity_threshold: float | None = Field(
        None, gt=0, le=1, description="cluster state keys of a group whose difflib ratio reaches "
        "this (paper's similarity mode: 0.95); null = exact matching")
    eps: float = Field(EPS, ge=0, description="added to the std before dividing")


def _cluster_similar(batch: StepBatch, key: np.ndarray, num_states: int,
                     threshold: float) -> np.ndarray:
    """Map each step's (group, state) key to its similarity cluster (greedy, per group)."""
    if len(batch.state_keys) < num_states:
        raise ValueError("similarity_threshold needs the state key strings (a batch built from "
                         "episodes)")
    uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    cluster_of = np.empty(len(uniq), dtype=np.int64)
    order = np.argsort(first, kind="stable")  # first appearance
    reps: dict[int, list[tuple[str, int]]] = {}
    for u in order.tolist():
        group, state = divmod(int(uniq[u]), num_states)
        text = batch.state_keys[state]
        members = reps.setdefault(group, [])
        for rep_text, rep_id in members:
            m = difflib.SequenceMatcher(None, rep_text, text)
            if (m.real_quick_ratio() >= threshold and m.quick_ratio() >= threshold
                    and m.ratio() >= threshold):
                cluster_of[u] = rep_id
                break
        else:
            cluster_of[u] = u
            members.append((text, u))
    return cluster_of[inverse.reshape(-1)]


def anchor_step_groups(batch: StepBatch,
                       similarity_threshold: float | None = None) -> tuple[np.ndarray, int]:
    """(N,) anchor-state step-group id of every step and the number of step groups.

    Steps share a step group when they are in the same episode group and have the same state key
    (or, with ``similarity_threshold``, keys in the same similarity cluster).
    """
    num_states = max(int(batch.state_index.max()) + 1, 1) if batch.num_steps else 1
    key = batch.step_group * num_states + batch.state_index  # (N,) int64
    if similarity_threshold is not None and similarity_threshold < 1.0:
        key = _cluster_similar(batch, key, num_states, similarity_threshold)
    uniq, ids = np.unique(key, return_inverse=True)
    return ids.reshape(-1).astype(np.int64), len(uniq)


def gigpo_advantages(batch: StepBatch, rewards: np.ndarray, *, gamma: float = 0.95,
                     omega: float = 1.0, norm_std: bool = True,
                     episode_stats: str = "episodes", similarity_threshold: float | None = None,
                     eps: float = EPS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GiGPO over a batch: returns (A, A^E, A^S), each (N,) per step."""
    rewards = np.asarray(rewards, np.float64)
    ep = batch.episode_index
    returns = episode_returns(rewards, ep, batch.num_episodes)  # (E,)
    if episode_stats == "episodes":
        adv_episode = normalize_in_groups(returns, batch.episode_group, batch.num_groups,
                                          norm_std=norm_std, eps=eps)[ep]
    elif episode_stats == "steps":
        adv_episode = normalize_in_groups(returns[ep], batch.step_group, batch.num_groups,
                                          norm_std=norm_std, eps=eps)
    else:
        raise ValueError(f"episode_stats must be 'episodes' or 'steps', got {episode_stats!r}")
    step_returns = discounted_returns(rewards, batch.episode_start, batch.episode_length, gamma)
    groups, num = anchor_step_groups(batch, similarity_threshold)
    mean, std, count = group_mean_std(step_returns, groups, num)
    adv_step = step_returns - mean[groups]
    if norm_std:
        adv_step /= std[groups] + eps
    adv_step[count[groups] <= 1] = 0.0
    return adv_episode + omega * adv_step, adv_episode, adv_step


@register_estimator("gigpo", GiGPOParams)
def gigpo(batch: StepBatch, rewards: np.ndarray, params: GiGPOParams) -> np.ndarray:
    """GiGPO: episode advantage + omega x anchor-state step advantage (N,)."""
    return gigpo_advantages(batch, rewards, gamma=params.gamma, omega=params.omega,
                            norm_std=params.norm_std, episode_stats=params.episode_stats,
                            similarity_threshold=params.similarity_threshold, eps=params.eps)[0]
