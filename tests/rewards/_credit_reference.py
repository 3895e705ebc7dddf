"""An independent, loop-based implementation of the estimator formulas of REFERENCES.md, written
straight from the text (plain Python, no numpy, no agentrl.rewards code), to check the
vectorised library against."""

from __future__ import annotations

import math
from collections import defaultdict

EPS = 1e-6


def mean_std(xs: list[float]) -> tuple[float, float]:
    if len(xs) == 1:
        return 0.0, 1.0
    m = sum(xs) / len(xs)
    return m, math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def grpo(episodes: list[list[float]], groups: list[str], norm_std: bool = True) -> list[float]:
    """Per-episode advantage from per-episode step rewards."""
    returns = [sum(r) for r in episodes]
    by_group: dict[str, list[float]] = defaultdict(list)
    for g, ret in zip(groups, returns, strict=True):
        by_group[g].append(ret)
    out = []
    for g, ret in zip(groups, returns, strict=True):
        m, s = mean_std(by_group[g])
        out.append((ret - m) / (s + EPS) if norm_std else ret - m)
    return out


def rloo(episodes: list[list[float]], groups: list[str]) -> list[float]:
    returns = [sum(r) for r in episodes]
    out = []
    for i, (g, ret) in enumerate(zip(groups, returns, strict=True)):
        others = [returns[j] for j in range(len(returns)) if j != i and groups[j] == g]
        out.append(ret - (sum(others) / len(others) if others else 0.0))
    return out


def gigpo(episodes: list[list[float]], groups: list[str], keys: list[list[str]],
          gamma: float = 0.95, omega: float = 1.0, norm_std: bool = True) -> list[list[float]]:
    """Per-step advantage (list per episode)."""
    episode_adv = grpo(episodes, groups, norm_std)
    step_returns = []
    for rewards in episodes:
        rets = [0.0] * len(rewards)
        running = 0.0
        for t in range(len(rewards) - 1, -1, -1):
            running = rewards[t] + gamma * running
            rets[t] = running
        step_returns.append(rets)
    members: dict[tuple[str, str], list[float]] = defaultdict(list)
    for i, g in enumerate(groups):
        for t, k in enumerate(keys[i]):
            members[(g, k)].append(step_returns[i][t])
    out = []
    for i, g in enumerate(groups):
        row = []
        for t, k in enumerate(keys[i]):
            vals = members[(g, k)]
            if len(vals) == 1:
                step_adv = 0.0
            else:
                m = sum(vals) / len(vals)
                s = math.sqrt(sum((v - m) ** 2 for v in vals) / (len(vals) - 1))
                step_adv = (step_returns[i][t] - m) / (s + EPS) if norm_std else \
                    step_returns[i][t] - m
            row.append(episode_adv[i] + omega * step_adv)
        out.append(row)
    return out
