"""Decoding constrained to the admissible actions (``rollout.constrain``).

The model samples an action token by token, but at each position only the tokens that continue
one of the admissible actions are allowed: a prefix tree over the actions' canonical token ids
(the tokenizer's ids of the action text followed by the end-of-turn token, exactly the targets
SFT trains on). The sampling distribution at each position is the model's softmax renormalised
over the allowed tokens, and the recorded log-probs are those of this distribution. The allowed
token ids of every position are recorded with the step, so the trainer recomputes the same
renormalised log-probs (``agentrl.trainer.actor``) and PPO's ratio stays exact.

This is action masking for a language policy: every sampled action is valid, and the credit
goes to the object the model chose rather than to text that projection rewrites (compare GLAM,
Carta et al., "Grounding Large Language Models in Interactive Environments with Online
Reinforcement Learning", ICML 2023, which scores every admissible action; here one sampling
pass with a mask costs no more than free decoding).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

__all__ = ["ActionTrie", "blocked_mask", "sparse_allowed"]

_END = -1  # key of the action text stored at the node after the action's last token


class ActionTrie:
    """Prefix tree over the token ids of a set of actions.

    Args:
        actions: the allowed action texts (duplicates and empty strings are ignored).
        token_ids: the canonical ids of each action, same order (each ends with end-of-turn).
    """

    def __init__(self, actions: Sequence[str], token_ids: Sequence[Sequence[int]]) -> None:
        self.root: dict[int, Any] = {}
        for text, ids in zip(actions, token_ids, strict=True):
            if not text or not ids:
                continue
            node = self.root
            for tok in ids:
                node = node.setdefault(int(tok), {})
            node.setdefault(_END, text)

    @classmethod
    def build(cls, tokenizer: Any, actions: Sequence[str], end_id: int) -> ActionTrie:
        """The trie of ``actions`` tokenised as SFT targets: ``ids(text) + [end_id]``."""
        texts = [a for a in dict.fromkeys(actions) if isinstance(a, str) and a]
        ids = tokenizer(texts, add_special_tokens=False)["input_ids"] if texts else []
        return cls(texts, [[*i, end_id] for i in ids])

    @staticmethod
    def next_tokens(node: dict[int, Any]) -> list[int]:
        """The token ids that continue from ``node`` (sorted; [] once an action is complete).
        Decoding walks the tree node by node from :attr:`root`, one child per sampled token."""
        return sorted(k for k in node if k != _END)

    def _node(self, prefix: Sequence[int]) -> dict[int, Any] | None:
        node = self.root
        for tok in prefix:
            node = node.get(int(tok))
            if node is None:
                return None
        return node

    def allowed(self, prefix: Sequence[int]) -> list[int]:
        """The token ids that continue ``prefix`` towards some action (sorted; [] when the
        prefix is complete or leaves the tree)."""
        node = self._node(prefix)
        return self.next_tokens(node) if node else []

    def action(self, ids: Sequence[int]) -> str | None:
        """The action whose complete token ids are ``ids``, else None."""
        node = self._node(ids)
        return node.get(_END) if node else None

    def __bool__(self) -> bool:
        return bool(self.root)


def sparse_allowed(positions: Sequence[Sequence[int] | None]
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """The allowed token sets of ``positions`` (None: unconstrained) as tensors: which positions
    are constrained (N,) bool, and the allowed (position, token id) pairs (M, 2) long."""
    flags = [allow is not None for allow in positions]
    pairs = [(n, int(tok)) for n, allow in enumerate(positions) if allow is not None
             for tok in allow]
    return (torch.tensor(flags, dtype=torch.bool),
            torch.tensor(pairs, dtype=torch.long).reshape(-1, 2))


def blocked_mask(constrained: torch.Tensor, allowed_index: torch.Tensor, vocab: int
                 ) -> torch.Tensor:
    """(N, vocab) bool, True for the tokens a constrained position may not take (the logits to
    set to -inf); unconstrained positions block nothing. The one mask both sampling
    (``policies.hf``) and the trainer's log-probs (``trainer.actor``) use."""
    blocked = constrained[:, None].expand(-1, vocab).clone()
    blocked[allowed_index[:, 0], allowed_index[:, 1]] = False
    return blocked
