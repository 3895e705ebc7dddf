"""The trained model: a causal LM plus an optional value head (for GAE / PPO with a critic).

``forward`` returns, for a :class:`~agentrl.trainer.samples.PackedBatch`, the log-probs of the
taken tokens and the entropies under ``softmax(logits / T)`` -- the distribution the rollout
sampled from -- and, with a value head, one value per step sample read at its last prompt token.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from agentrl.trainer.samples import PackedBatch

__all__ = ["Actor"]


class Actor(nn.Module):
    """A causal LM with an optional scalar value head."""

    def __init__(self, model: Any, value_head: bool = False) -> None:
        super().__init__()
        self.model = model
        hidden = model.config.hidden_size
        self.value_head = nn.Linear(hidden, 1) if value_head else None
        if self.value_head is not None:
            nn.init.zeros_(self.value_head.weight)
            nn.init.zeros_(self.value_head.bias)

    def forward(self, batch: PackedBatch, temperature: float = 1.0
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Returns (logp (B, T-1), entropy (B, T-1), values (B,) or None)."""
        out = self.model(input_ids=batch.input_ids, attention_mask=batch.attention_mask,
                         output_hidden_states=self.value_head is not None)
        logits = out.logits[:, :-1].float() / (temperature if temperature > 0 else 1.0)
        logp_all = torch.log_softmax(logits, dim=-1)  # (B, T-1, V)
        logp = logp_all.gather(-1, batch.input_ids[:, 1:, None]).squeeze(-1)  # (B, T-1)
        entropy = -(logp_all.exp() * logp_all).sum(-1)  # (B, T-1)
        values = None
        if self.value_head is not None:
            hidden = out.hidden_states[-1]  # (B, T, H)
            idx = batch.last_prompt_index[:, None, None].expand(-1, 1, hidden.shape[-1])
            values = self.value_head(hidden.gather(1, idx).squeeze(1).float()).squeeze(-1)
        return logp, entropy, values
