"""The trained model: a causal LM plus an optional value head (for GAE / PPO with a critic).

``forward`` returns, for a :class:`~agentrl.trainer.samples.PackedBatch`, the log-probs of the
taken tokens and the entropies under ``softmax(logits / T)`` -- the distribution the rollout
sampled from, renormalised over the allowed tokens for steps decoded under ``rollout.constrain``
-- and, with a value head, one value per step sample read at its last prompt token.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from agentrl.policies.constrain import blocked_mask
from agentrl.policies.hf import masked_plogp
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
        """Returns (logp (B, T-1), entropy (B, T-1), values (B,) or None).

        Only the response positions go through the output projection and the softmax: with
        prompts of hundreds of tokens and actions of a few, that is most of the work saved.
        Entries off the response mask are 0.
        """
        hidden = response_hidden_states(self.model, batch.input_ids, batch.attention_mask)
        mask = batch.response_mask.bool()  # (B, T-1)
        selected = hidden[:, :-1][mask]  # (N, H): states that predict response tokens
        logits = self.model.get_output_embeddings()(selected).float()  # (N, V)
        logits = logits / (temperature if temperature > 0 else 1.0)
        if batch.constrained is not None and batch.allowed_index is not None:
            blocked = blocked_mask(batch.constrained, batch.allowed_index, logits.shape[-1])
            logits = logits.masked_fill(blocked, float("-inf"))
        logp_all = torch.log_softmax(logits, dim=-1)
        targets = batch.input_ids[:, 1:][mask]  # (N,)
        token_logp = logp_all.gather(-1, targets[:, None]).squeeze(-1)  # (N,)
        token_entropy = -masked_plogp(logp_all).sum(-1)  # (N,)
        logp = torch.zeros(mask.shape, dtype=token_logp.dtype, device=token_logp.device)
        entropy = torch.zeros_like(logp)
        logp = logp.masked_scatter(mask, token_logp)
        entropy = entropy.masked_scatter(mask, token_entropy)
        values = None
        if self.value_head is not None:
            idx = batch.last_prompt_index[:, None, None].expand(-1, 1, hidden.shape[-1])
            values = self.value_head(hidden.gather(1, idx).squeeze(1).float()).squeeze(-1)
        return logp, entropy, values


def response_hidden_states(model: Any, input_ids: torch.Tensor,
                           attention_mask: torch.Tensor) -> torch.Tensor:
    """(B, T, H) final hidden states of a causal LM, without computing logits."""
    backbone = getattr(model, model.base_model_prefix, None) or model.base_model
    return backbone(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
