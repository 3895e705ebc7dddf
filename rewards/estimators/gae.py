"""GAE: generalised advantage estimation over per-step rewards and learned values (Schulman et
al., "High-Dimensional Continuous Control Using Generalized Advantage Estimation", arXiv
1506.02438), as used by PPO with a critic. REFERENCES.md, "GAE / PPO".

Formula, for step t of an episode with T steps, rewards r_t and values V_t::

    delta_t = r_t + gamma * V_{t+1} - V_t
    A_t     = delta_t + gamma * lam * A_{t+1},        A_T = 0

V_T, the value after the last step, is 0 for a terminated episode; for a truncated one it is
``episode.extra["bootstrap_value"]`` when the rollout recorded it, else 0.

Where the values come from: one float per step, ``step.extra["value"]``, written by the trainer's
value head (its prediction at the step's last prompt token), or ``StepBatch.arrays["value"]``.
The value target of the critic is A_t + V_t. Defaults gamma = 1, lam = 1 (verl's; episodes are
short in steps and the reward is mostly terminal).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from agentrl.types import Step

from ..batch import StepBatch
from ..groupstats import discounted_returns
from ..registry import CreditParams, register_estimator

__all__ = ["GAEParams", "gae", "gae_advantages", "step_values"]

VALUE_KEY = "value"


class GAEParams(CreditParams):
    """Parameters of ``gae``."""

    gamma: float = Field(1.0, ge=0, le=1, description="discount of future rewards")
    lam: float = Field(1.0, ge=0, le=1, description="GAE lambda: 1 = Monte-Carlo advantage "
                       "(unbiased, high variance), 0 = one-step TD (biased, low variance)")


def _read_value(step: Step) -> Any:
    return step.extra.get(VALUE_KEY)


def step_values(batch: StepBatch) -> np.ndarray:
    """(N,) per-step values from ``arrays["value"]`` or ``step.extra["value"]``."""
    return batch.step_extra(
        VALUE_KEY, _read_value,
        fix="the gae estimator needs per-step values in step.extra['value']; enable the trainer's "
            "value head (or pick a critic-free estimator such as grpo or gigpo)")


def bootstrap_values(batch: StepBatch) -> np.ndarray:
    """(E,) value after each episode's last step: 0 unless truncated with a recorded value
    (``arrays["bootstrap_value"]`` for an arrays-only batch)."""
    if "bootstrap_value" in batch.arrays:
        return np.asarray(batch.arrays["bootstrap_value"], np.float64)
    if not batch.episodes:  # an arrays-only batch without bootstrap values: all terminal
        return np.zeros(batch.num_episodes)
    return np.array([float(ep.extra.get("bootstrap_value", 0.0))
                     if ep.truncated and not ep.terminated else 0.0
                     for ep in batch.episodes], dtype=np.float64)


def gae_advantages(batch: StepBatch, rewards: np.ndarray, values: np.ndarray,
                   last_values: np.ndarray, *, gamma: float, lam: float) -> np.ndarray:
    """(N,) GAE advantages from rewards (N,), values (N,) and the value after each episode (E,)."""
    next_values = np.empty_like(values)
    next_values[:-1] = values[1:]
    last = batch.is_last
    next_values[last] = last_values[batch.episode_index[last]]
    delta = np.asarray(rewards, np.float64) + gamma * next_values - values
    return discounted_returns(delta, batch.episode_start, batch.episode_length, gamma * lam)


@register_estimator("gae", GAEParams)
def gae(batch: StepBatch, rewards: np.ndarray, params: GAEParams) -> np.ndarray:
    """GAE(gamma, lambda) per step from ``step.extra["value"]``."""
    if batch.num_steps == 0:
        return np.zeros(0)
    return gae_advantages(batch, rewards, step_values(batch), bootstrap_values(batch),
                          gamma=params.gamma, lam=params.lam)
