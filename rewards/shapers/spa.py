"""SPA-RL: stepwise progress attribution (Wang et al., "SPA-RL: Reinforcing LLM Agents via
Stepwise Progress Attribution", arXiv 2505.20732). REFERENCES.md, "SPA-RL".

A *progress estimator* -- a transformers causal-LM backbone (by default a copy of the policy)
plus a linear head on the hidden state of each step's last token -- predicts a contribution c_t
per step. It is trained so that an episode's contributions add up to its outcome::

    c_t   = w^T h_t + b,      h_t = last-layer hidden state of step t's last token
    loss  = mean_episodes (sum_t c_t - R)^2                 R = episode outcome
    r'_t  = c_t + alpha * g_t                               g_t = 1[step t was valid]

alpha = 0.5. The shaper *replaces* the incoming reward by r'_t (``target: return`` regresses onto
the sum of the incoming per-step rewards instead of ``Episode.outcome``). This is the paper's
version; the released code's leave-one-out overwrite of c_t and its (T-1-t) factor are not used.

A step's input is its exact ``prompt_ids + response_ids`` when the rollout recorded them, else
the tokenised ``observation + "\\n" + action``; inputs are cut to their last ``max_tokens``.
Departure from the paper: its estimator reads the whole trajectory up to step t; here it reads
the step's own training sample (prompt = bounded history, response = action; DESIGN.md 3.6), so
long episodes do not grow the estimator's context.

The estimator is trained (``epochs`` passes, AdamW, ``batch_episodes`` episodes per update) on
the first batch it sees and then retrained on every ``retrain_every``-th fresh batch (0: only
the first); it keeps its weights and optimiser between batches.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import Field

from agentrl.errors import ConfigError, EpisodeFormatError

from ..batch import StepBatch
from ..registry import CreditContext, CreditParams, register_shaper

__all__ = ["SPA", "ProgressEstimator", "SPAParams", "step_token_ids"]


class SPAParams(CreditParams):
    """Parameters of ``spa``."""

    model: str | None = Field(None, description="Hugging Face path of the backbone causal LM; "
                              "null = a copy of the policy's model (inside the trainer)")
    tokenizer: str | None = Field(None, description="tokenizer path (default: model's); only "
                                  "needed for steps without recorded token ids")
    alpha: float = Field(0.5, description="weight of the grounding (valid action) reward")
    target: Literal["outcome", "return"] = Field(
        "outcome", description="regress onto Episode.outcome, or onto the episode's sum of "
        "incoming rewards")
    lr: float = Field(1e-4, gt=0, description="AdamW learning rate of the estimator")
    epochs: int = Field(2, ge=0, description="passes over each training batch")
    batch_episodes: int = Field(8, gt=0, description="episodes per gradient update")
    max_tokens: int = Field(512, gt=0, description="keep the last max_tokens tokens of a step")
    retrain_every: int = Field(1, ge=0, description="retrain on every k-th batch (0: only on "
                               "the first)")
    train_backbone: bool = Field(True, description="fine-tune the backbone too (paper), or "
                                 "only the linear head (cheaper)")
    seed: int = Field(0, description="seed of the head's initialisation and the shuffling")


def step_token_ids(batch: StepBatch, tokenizer: Any, max_tokens: int) -> list[list[int]]:
    """Token ids of every step: recorded ``prompt_ids + response_ids``, else tokenised text."""
    out: list[list[int]] = []
    for i, step in enumerate(batch.steps()):
        if step.prompt_ids is not None and step.response_ids is not None:
            ids = list(step.prompt_ids) + list(step.response_ids)
        elif tokenizer is None:
            raise EpisodeFormatError(f"{batch.locate(i)} has no prompt_ids/response_ids and the "
                                     "spa shaper has no tokenizer: set its 'tokenizer' or "
                                     "'model'")
        else:
            ids = list(tokenizer(f"{step.observation}\n{step.action}")["input_ids"])
        if not ids:
            raise EpisodeFormatError(f"{batch.locate(i)} has no tokens")
        out.append(ids[-max_tokens:])
    return out


def _torch() -> Any:
    import torch

    return torch


class ProgressEstimator:
    """Backbone + linear head predicting one contribution per step (a plain torch module pair).

    ``contributions(ids)`` returns c_t for a list of token-id lists; ``fit`` regresses per-episode
    sums onto targets; ``mse`` evaluates that loss without training.
    """

    def __init__(self, backbone: Any, *, seed: int = 0, device: str | None = None,
                 train_backbone: bool = True) -> None:
        torch = _torch()
        self.device = (torch.device(device) if device is not None
                       else next(backbone.parameters()).device)
        self.backbone = backbone.to(self.device)
        config = backbone.config
        text = config.get_text_config() if hasattr(config, "get_text_config") else config
        gen = torch.Generator().manual_seed(seed)
        head = torch.nn.Linear(text.hidden_size, 1)
        with torch.no_grad():
            head.weight.copy_(torch.randn(head.weight.shape, generator=gen) * 0.01)
            head.bias.zero_()
        self.head = head.to(self.device)
        self.train_backbone = train_backbone
        for p in self.backbone.parameters():
            p.requires_grad_(train_backbone)
        params = list(self.head.parameters())
        if train_backbone:
            params += list(self.backbone.parameters())
        self._params = params
        self.optimizer: Any = None
        self.seed = seed

    def _forward(self, ids: Sequence[list[int]]) -> Any:
        torch = _torch()
        lengths = torch.tensor([len(x) for x in ids], device=self.device)
        width = int(lengths.max())
        input_ids = torch.zeros((len(ids), width), dtype=torch.long, device=self.device)
        mask = torch.zeros((len(ids), width), dtype=torch.long, device=self.device)
        for row, x in enumerate(ids):
            input_ids[row, : len(x)] = torch.tensor(x, dtype=torch.long)
            mask[row, : len(x)] = 1
        out = self.backbone(input_ids=input_ids, attention_mask=mask, output_hidden_states=True)
        hidden = out.hidden_states[-1]  # (S, L, H)
        last = hidden[torch.arange(len(ids), device=self.device), lengths - 1]  # (S, H)
        return self.head(last).squeeze(-1)  # (S,)

    def contributions(self, ids: Sequence[list[int]], chunk: int = 64) -> np.ndarray:
        """(S,) predicted contribution c_t of each step."""
        torch = _torch()
        self.backbone.eval()
        outs = []
        with torch.no_grad():
            for i in range(0, len(ids), chunk):
                outs.append(self._forward(ids[i:i + chunk]).double().cpu().numpy())
        return np.concatenate(outs) if outs else np.zeros(0)

    def mse(self, ids: Sequence[list[int]], episode_index: np.ndarray,
            targets: np.ndarray) -> float:
        """mean_episodes (sum_t c_t - R)^2 over the episodes of ``targets`` (E,)."""
        c = self.contributions(ids)
        sums = np.bincount(episode_index, weights=c, minlength=len(targets))
        return float(np.mean((sums - targets) ** 2))

    def fit(self, ids: Sequence[list[int]], episode_index: np.ndarray, targets: np.ndarray, *,
            epochs: int, lr: float, batch_episodes: int) -> list[float]:
        """Train on episodes (steps ``ids`` with episode ids (S,), targets (E,)); returns the
        mean loss of each epoch."""
        torch = _torch()
        if self.optimizer is None:
            self.optimizer = torch.optim.AdamW(self._params, lr=lr, weight_decay=0.0)
        if self.train_backbone:
            self.backbone.train()
        rng = np.random.default_rng(self.seed)
        steps_of: list[list[int]] = [[] for _ in range(len(targets))]
        for s, e in enumerate(episode_index.tolist()):
            steps_of[e].append(s)
        episodes = [e for e in range(len(targets)) if steps_of[e]]
        history = []
        for _ in range(epochs):
            order = rng.permutation(episodes)
            losses = []
            for i in range(0, len(order), batch_episodes):
                chosen = order[i:i + batch_episodes]
                rows = [s for e in chosen for s in steps_of[e]]
                owner = torch.tensor([k for k, e in enumerate(chosen) for _ in steps_of[e]],
                                     device=self.device)
                c = self._forward([ids[s] for s in rows])  # (S,)
                sums = torch.zeros(len(chosen), device=self.device, dtype=c.dtype)
                sums = sums.index_add(0, owner, c)  # (B,)
                target = torch.tensor(targets[chosen], device=self.device, dtype=c.dtype)
                loss = torch.mean((sums - target) ** 2)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                losses.append(float(loss.detach()))
            history.append(float(np.mean(losses)) if losses else 0.0)
        self.backbone.eval()
        return history


def _load_backbone(params: SPAParams, context: CreditContext) -> tuple[Any, Any]:
    if params.model is None:
        if context.policy_model is None:
            raise ConfigError("the spa shaper needs a backbone: set its 'model' to a Hugging Face "
                              "model path, or run it inside the trainer (a copy of the policy)")
        return copy.deepcopy(context.policy_model), context.tokenizer
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        model = AutoModelForCausalLM.from_pretrained(params.model)
        tokenizer = AutoTokenizer.from_pretrained(params.tokenizer or params.model)
    except OSError as exc:
        raise ConfigError(f"spa: cannot load model {params.model!r} ({exc}); give a local "
                          "Hugging Face model folder") from None
    return model, tokenizer


@register_shaper("spa", SPAParams, stateful=True)
class SPA:
    """SPA-RL: learned per-step progress c_t plus alpha x grounding (valid action)."""

    def __init__(self, params: SPAParams, context: CreditContext) -> None:
        self.params = params
        backbone, self.tokenizer = _load_backbone(params, context)
        if params.tokenizer is not None and params.model is None:
            from transformers import AutoTokenizer

            self.tokenizer = AutoTokenizer.from_pretrained(params.tokenizer)
        self.estimator = ProgressEstimator(backbone, seed=params.seed, device=context.device,
                                           train_backbone=params.train_backbone)
        self.calls = 0
        self.history: list[list[float]] = []

    def targets(self, batch: StepBatch, rewards: np.ndarray) -> np.ndarray:
        """(E,) regression target of each episode."""
        if self.params.target == "return":
            return np.bincount(batch.episode_index, weights=rewards,
                               minlength=batch.num_episodes)
        return np.array([ep.outcome for ep in batch.episodes], np.float64)

    def __call__(self, batch: StepBatch, rewards: np.ndarray) -> np.ndarray:
        if batch.num_steps == 0:
            return rewards.copy()
        p = self.params
        ids = step_token_ids(batch, self.tokenizer, p.max_tokens)
        every = p.retrain_every
        if self.calls == 0 or (every > 0 and self.calls % every == 0):
            self.history.append(self.estimator.fit(
                ids, batch.episode_index, self.targets(batch, rewards), epochs=p.epochs,
                lr=p.lr, batch_episodes=p.batch_episodes))
        self.calls += 1
        c = self.estimator.contributions(ids)
        return c + p.alpha * batch.valid.astype(np.float64)
