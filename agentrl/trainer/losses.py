"""PPO-clip policy loss, KL penalties, entropy and loss aggregation: pure tensor functions.

Shapes: ``B`` step samples (one agent step each: prompt = bounded history, response = the
action), ``L`` token positions. ``mask`` is 1 on response tokens.

- PPO-clip (Schulman et al., 2017, arXiv 1707.06347), token level:
  ``ratio = exp(logp - old_logp)``; ``loss = max(-A ratio, -A clip(ratio, 1-eps, 1+eps))``,
  with the step's advantage ``A`` broadcast to its response tokens (DESIGN.md 3.5).
  Dual clip (Ye et al., 2020, "Mastering Complex Control in MOBA Games with Deep Reinforcement
  Learning", arXiv 1912.09729; verl's ``clip_ratio_c``, default 3): for ``A < 0`` the loss is
  also capped at ``-A c``, so a token whose probability grew far beyond the rollout's (a
  ratio of 100 happens for tokens sampled from the tail) cannot dominate the gradient.
- KL to a frozen reference: ``k1 = logp - ref_logp``; ``low_var_kl`` (Schulman's k3, as in verl
  and GRPO): ``exp(ref - logp) - (ref - logp) - 1`` (non-negative, unbiased, low variance).
- Aggregation (how token losses become one number; matters because failed episodes are longer):
  ``token-mean`` over all response tokens; ``seq-mean-token-mean`` mean over samples of each
  sample's token mean; ``episode-mean`` like the latter but each episode's steps share weight 1,
  so long episodes do not dominate.
"""

from __future__ import annotations

import torch

__all__ = ["aggregate", "kl_penalty", "ppo_clip_loss", "scale_negative_advantages"]


def ppo_clip_loss(logp: torch.Tensor, old_logp: torch.Tensor, advantages: torch.Tensor,
                  clip: float, clip_c: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token clipped surrogate loss and clip indicator.

    Args:
        logp, old_logp: (B, L) log-probs of the taken tokens under the current / rollout policy.
        advantages: (B,) one advantage per step sample.
        clip: epsilon of the clip range.
        clip_c: dual-clip bound (> 1) on the ratio's effect where the advantage is negative;
            ``None`` for plain PPO-clip.

    Returns:
        (loss (B, L), clipped (B, L) as float 0/1: 1 where either clip set the loss).
    """
    ratio = torch.exp(logp - old_logp)  # (B, L)
    adv = advantages[:, None]  # (B, 1)
    unclipped = -adv * ratio
    clipped = -adv * torch.clamp(ratio, 1.0 - clip, 1.0 + clip)
    loss = torch.maximum(unclipped, clipped)
    was_clipped = clipped > unclipped
    if clip_c is not None:
        cap = -adv * clip_c  # (B, 1); binds only where A < 0 and ratio > clip_c
        capped = (adv < 0) & (loss > cap)
        loss = torch.where(capped, cap.expand_as(loss), loss)
        was_clipped = was_clipped | capped
    return loss, was_clipped.float()


def scale_negative_advantages(advantages: torch.Tensor, weight: float) -> torch.Tensor:
    """Advantages with the negative ones multiplied by ``weight``.

    A policy-gradient step splits into positive-sample reinforcement (raise the probability of
    actions better than average) and negative-sample reinforcement (lower that of the worse);
    Zhu et al. (2025, "The Surprising Effectiveness of Negative Reinforcement in LLM
    Reasoning", arXiv 2506.01347) weight the two parts separately. ``weight`` 0 keeps only the
    positive part, which makes the update a reward-weighted imitation of the better actions
    (as in filtered behaviour cloning, RAFT: Dong et al. 2023, arXiv 2304.06767); 1 is plain
    PPO (``trainer.negative_advantage_weight``).
    """
    if weight == 1.0:
        return advantages
    return torch.where(advantages < 0, advantages * weight, advantages)


def kl_penalty(logp: torch.Tensor, ref_logp: torch.Tensor, kind: str) -> torch.Tensor:
    """(B, L) per-token KL estimate between the current policy and the reference."""
    if kind == "k1":
        return logp - ref_logp
    if kind == "low_var_kl":
        diff = torch.clamp(ref_logp - logp, -20.0, 20.0)
        return torch.exp(diff) - diff - 1.0
    raise ValueError(f"unknown KL estimator {kind!r}; use k1 or low_var_kl")


def aggregate(values: torch.Tensor, mask: torch.Tensor, mode: str,
              sample_weights: torch.Tensor | None = None) -> torch.Tensor:
    """Reduce (B, L) token values to a scalar.

    Args:
        values: (B, L) per-token values (loss, KL, entropy).
        mask: (B, L) 1 on response tokens.
        mode: ``token-mean``, ``seq-mean-token-mean`` or ``episode-mean``.
        sample_weights: (B,) weights for ``episode-mean`` (1 / steps of the sample's episode).
    """
    mask = mask.to(values.dtype)
    if mode == "token-mean":
        return (values * mask).sum() / mask.sum().clamp(min=1.0)
    per_sample = (values * mask).sum(-1) / mask.sum(-1).clamp(min=1.0)  # (B,)
    if mode == "seq-mean-token-mean":
        return per_sample.mean()
    if mode == "episode-mean":
        if sample_weights is None:
            raise ValueError("episode-mean aggregation needs sample_weights")
        return (per_sample * sample_weights).sum() / sample_weights.sum().clamp(min=1e-12)
    raise ValueError(f"unknown loss aggregation {mode!r}")
