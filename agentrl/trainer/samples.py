"""Training samples: one per agent step, built from the exact ids the model consumed/generated.

A step sample is ``prompt_ids + response_ids`` with a mask on the response tokens, the step's
advantage, and the weight ``1 / steps`` of its episode (for ``episode-mean`` aggregation). Steps
without token ids (scripted policies) are not trainable and are skipped. Steps decoded under
``rollout.constrain`` carry the allowed token ids of each response position, and the batch
carries them as a sparse mask, so the actor's log-probs are those of the same renormalised
distribution the rollout sampled from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from agentrl.policies.constrain import sparse_allowed
from agentrl.types import Episode

__all__ = ["PackedBatch", "StepSample", "pack", "step_samples"]


@dataclass
class StepSample:
    prompt_ids: list[int]
    response_ids: list[int]
    advantage: float
    weight: float
    old_logprobs: list[float] | None = None
    ref_logprobs: list[float] | None = None
    value_target: float | None = None
    episode_index: int = 0
    step_index: int = 0
    #: constrained decoding: allowed token ids per response position (see policies.constrain)
    allowed: list[list[int]] | None = None


@dataclass
class PackedBatch:
    """Right-padded tensors for a list of samples."""

    input_ids: torch.Tensor  # (B, T)
    attention_mask: torch.Tensor  # (B, T)
    response_mask: torch.Tensor  # (B, T - 1): 1 where position t predicts a response token
    last_prompt_index: torch.Tensor  # (B,): position of each prompt's last token
    advantages: torch.Tensor  # (B,)
    weights: torch.Tensor  # (B,)
    #: constrained decoding, over the N response positions in row-major order: which positions
    #: are constrained (N,) bool, and the allowed (position, token id) pairs (M, 2)
    constrained: torch.Tensor | None = None
    allowed_index: torch.Tensor | None = None

    def to(self, device: torch.device) -> PackedBatch:
        return PackedBatch(*(t.to(device) if t is not None else None for t in (
            self.input_ids, self.attention_mask, self.response_mask, self.last_prompt_index,
            self.advantages, self.weights, self.constrained, self.allowed_index)))


def step_samples(episodes: Sequence[Episode]) -> list[StepSample]:
    """One sample per model-generated step (advantages must already be filled)."""
    out = []
    for e, ep in enumerate(episodes):
        trainable = [s for s in ep.steps if s.response_ids]
        for t, step in enumerate(ep.steps):
            if not step.response_ids or step.prompt_ids is None:
                continue
            if step.advantage is None:
                raise ValueError(f"episode {ep.episode_id} step {t} has no advantage; run credit "
                                 "assignment before building training samples")
            value = step.extra.get("value")
            out.append(StepSample(
                prompt_ids=step.prompt_ids, response_ids=step.response_ids,
                advantage=float(step.advantage), weight=1.0 / len(trainable),
                old_logprobs=step.logprobs,
                value_target=(float(step.advantage) + float(value)) if value is not None
                else None, episode_index=e, step_index=t,
                allowed=step.extra.get("allowed_ids")))
    return out


def pack(samples: Sequence[StepSample], pad_id: int) -> PackedBatch:
    """Right-pad ``prompt + response`` of each sample into one batch."""
    lengths = [len(s.prompt_ids) + len(s.response_ids) for s in samples]
    width = max(lengths)
    b = len(samples)
    input_ids = torch.full((b, width), pad_id, dtype=torch.long)
    attention = torch.zeros((b, width), dtype=torch.long)
    response = torch.zeros((b, width - 1), dtype=torch.float32)
    last_prompt = torch.zeros(b, dtype=torch.long)
    for i, s in enumerate(samples):
        p, r = len(s.prompt_ids), len(s.response_ids)
        input_ids[i, : p + r] = torch.tensor(s.prompt_ids + s.response_ids, dtype=torch.long)
        attention[i, : p + r] = 1
        response[i, p - 1: p - 1 + r] = 1.0  # logits at p-1.. predict the response tokens
        last_prompt[i] = p - 1
    constrained, allowed_index = _allowed_mask(samples)
    return PackedBatch(input_ids, attention, response, last_prompt,
                       torch.tensor([s.advantage for s in samples], dtype=torch.float32),
                       torch.tensor([s.weight for s in samples], dtype=torch.float32),
                       constrained, allowed_index)


def _allowed_mask(samples: Sequence[StepSample]
                  ) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """The sparse mask of constrained samples over the flattened response positions."""
    if not any(s.allowed for s in samples):
        return None, None
    positions: list[list[int] | None] = []
    for s in samples:
        r = len(s.response_ids)
        if s.allowed and len(s.allowed) != r:
            raise ValueError(f"step sample has {len(s.allowed)} allowed-token sets for {r} "
                             "response tokens")
        positions.extend(s.allowed if s.allowed else [None] * r)
    return sparse_allowed(positions)
