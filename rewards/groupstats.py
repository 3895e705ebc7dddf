"""Vectorised statistics over groups and episodes, shared by the estimators.

Conventions (REFERENCES.md, "Notation"): std is the unbiased sample std (as ``torch.std``),
eps = 1e-6, and a group with a single member has mean 0 and std 1 (so a lone episode's GRPO
advantage is R / (1 + eps)).
"""

from __future__ import annotations

import numpy as np

__all__ = ["EPS", "discounted_returns", "episode_returns", "group_mean_std",
           "normalize_in_groups"]

EPS = 1e-6


def group_mean_std(values: np.ndarray, groups: np.ndarray,
                   num_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, unbiased std and member count of ``values`` (M,) per group id ``groups`` (M,).

    Returns three (num_groups,) arrays. One-member groups get mean 0 and std 1; empty groups
    mean 0, std 1, count 0. Two passes (mean, then squared deviations) for numerical stability.
    """
    count = np.bincount(groups, minlength=num_groups).astype(np.float64)
    total = np.bincount(groups, weights=values, minlength=num_groups)
    mean = np.divide(total, count, out=np.zeros(num_groups), where=count > 0)
    dev = values - mean[groups]
    sq = np.bincount(groups, weights=dev * dev, minlength=num_groups)
    var = np.divide(sq, count - 1.0, out=np.ones(num_groups), where=count > 1)
    std = np.sqrt(var)
    single = count <= 1
    mean[single] = 0.0
    std[single] = 1.0
    return mean, std, count


def normalize_in_groups(values: np.ndarray, groups: np.ndarray, num_groups: int, *,
                        norm_std: bool = True, eps: float = EPS) -> np.ndarray:
    """(values - mean_g) / (std_g + eps) per group (``norm_std=False``: values - mean_g)."""
    mean, std, _ = group_mean_std(values, groups, num_groups)
    out = values - mean[groups]
    if norm_std:
        out /= std[groups] + eps
    return out


def episode_returns(rewards: np.ndarray, episode_index: np.ndarray,
                    num_episodes: int) -> np.ndarray:
    """(E,) undiscounted return R_i = sum_t r_{i,t} of each episode (0 for an empty one)."""
    return np.bincount(episode_index, weights=rewards, minlength=num_episodes)


def discounted_returns(x: np.ndarray, episode_start: np.ndarray, episode_length: np.ndarray,
                       factor: float) -> np.ndarray:
    """(N,) reverse discounted sums y_t = x_t + factor * y_{t+1} inside each episode.

    ``x`` is flat with the steps of one episode contiguous (``StepBatch`` layout). The loop runs
    over step *positions* (max episode length iterations), each one a numpy operation over all
    episodes that are that long, so the cost is O(N) array work plus O(T_max) Python overhead
    and no power of ``factor`` is ever formed (stable for any length).
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.array(x, dtype=np.float64, copy=True)
    if out.size == 0 or factor == 0.0:
        return out
    order = np.argsort(-episode_length, kind="stable")
    starts = episode_start[order]
    lengths = episode_length[order]
    # alive[p] = number of episodes (in `order`) longer than p
    max_len = int(lengths[0])
    alive = np.searchsorted(-lengths, -np.arange(1, max_len + 1), side="right")
    for p in range(max_len - 2, -1, -1):
        # episodes longer than p + 1 have a step p + 1 to bootstrap from
        idx = starts[: alive[p + 1]] + p
        out[idx] += factor * out[idx + 1]
    return out
