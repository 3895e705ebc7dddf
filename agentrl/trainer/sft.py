"""SFT warm-up on expert demonstrations (DESIGN.md 3.6, ``trainer.sft``).

Demonstrations come from the same rollout as RL: pure expert episodes, plus *recovery* episodes
in which a share of the actions are random and every visited state is still labelled with the
expert's re-planned action (``info["expert_action"]``), so the model learns to get back on track
after a mistake (as in DAgger-style data collection). The loss is cross-entropy on the action
tokens only (the prompt is context), with the end-of-turn token as the last target.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import torch

from agentrl.errors import UserError
from agentrl.policies.base import Generation, PolicyInput, SamplingParams
from agentrl.policies.hf import chat_ids
from agentrl.prompting import PromptBuilder
from agentrl.rollout import RolloutEngine
from agentrl.trainer.actor import response_hidden_states
from agentrl.types import Task

__all__ = ["Demonstration", "DemonstrationPolicy", "collect_demonstrations", "sft_epoch"]


@dataclass
class Demonstration:
    """One labelled state: the prompt messages and the expert's action."""

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None
    action: str


class DemonstrationPolicy:
    """Records (prompt, expert action) pairs; plays the expert, or a random admissible action
    with probability ``epsilon``."""

    name = "demonstrations"

    def __init__(self, epsilon: float, seed: int) -> None:
        self.epsilon = epsilon
        self.rng = random.Random(seed)
        self.demos: list[Demonstration] = []

    def act(self, inputs: list[PolicyInput], sampling: SamplingParams) -> list[Generation]:
        out = []
        for item in inputs:
            label = item.info.get("expert_action")
            if not isinstance(label, str):
                raise UserError("SFT needs an environment with info['expert_action']; disable "
                                "trainer.sft for this environment")
            self.demos.append(Demonstration(item.messages, item.tools, label))
            admissible = item.info.get("admissible_actions")
            if admissible and self.rng.random() < self.epsilon:
                out.append(Generation(text=self.rng.choice(admissible)))
            else:
                out.append(Generation(text=label))
        return out


def collect_demonstrations(env_factory: Callable[[], gym.Env[str, str]], builder: PromptBuilder,
                           tasks: Sequence[Task], *, env_id: str, recovery_fraction: float,
                           epsilon: float = 0.3, seed: int = 0,
                           progress: bool = True) -> list[Demonstration]:
    """Expert demonstrations for ``tasks``; a ``recovery_fraction`` of them with random detours."""
    n_recovery = round(len(tasks) * recovery_fraction)
    demos: list[Demonstration] = []
    for eps, chunk, offset in ((0.0, tasks[n_recovery:], n_recovery),
                               (epsilon, tasks[:n_recovery], 0)):
        if not chunk:
            continue
        policy = DemonstrationPolicy(eps, seed + offset)
        with RolloutEngine(env_factory, policy, builder, env_id=env_id,
                           progress=progress) as engine:
            engine.run(chunk, seeds=[seed + offset + i for i in range(len(chunk))])
        demos.extend(policy.demos)
    return demos


def demo_tensors(tokenizer: Any, demos: Sequence[Demonstration]
                 ) -> list[tuple[list[int], list[int]]]:
    """(prompt ids, target ids) per demonstration; targets end with the end-of-turn token."""
    eos = tokenizer.eos_token_id
    out = []
    for d in demos:
        prompt = chat_ids(tokenizer, d.messages, d.tools)
        target = tokenizer(d.action, add_special_tokens=False)["input_ids"] + [eos]
        out.append((prompt, target))
    return out


def length_grouped_batches(data: Sequence[tuple[list[int], list[int]]], batch_size: int,
                           rng: random.Random, group: int = 8) -> list[list[int]]:
    """Shuffled batches of similar length (less padding): shuffle, sort windows of
    ``group`` batches by length, cut into batches, shuffle the batch order."""
    order = list(range(len(data)))
    rng.shuffle(order)
    batches = []
    window = batch_size * group
    for start in range(0, len(order), window):
        chunk = sorted(order[start:start + window], key=lambda i: len(data[i][0]) + len(data[i][1]))
        batches.extend(chunk[j:j + batch_size] for j in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def sft_epoch(model: Any, optimizer: torch.optim.Optimizer,
              data: Sequence[tuple[list[int], list[int]]], *, batch_size: int, pad_id: int,
              rng: random.Random, max_grad_norm: float = 1.0,
              on_batch: Callable[[float], None] | None = None) -> float:
    """One pass of cross-entropy on target tokens; returns the mean token loss."""
    device = next(model.parameters()).device
    model.train()
    total, count = 0.0, 0
    for batch_rows in length_grouped_batches(data, batch_size, rng):
        rows = [data[i] for i in batch_rows]
        width = max(len(p) + len(t) for p, t in rows)
        ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
        attn = torch.zeros((len(rows), width), dtype=torch.long)
        labels = torch.full((len(rows), width), -100, dtype=torch.long)
        for i, (p, t) in enumerate(rows):
            seq = p + t
            ids[i, : len(seq)] = torch.tensor(seq)
            attn[i, : len(seq)] = 1
            labels[i, len(p): len(seq)] = torch.tensor(t)
        ids, attn, labels = ids.to(device), attn.to(device), labels.to(device)
        target = labels[:, 1:]  # (B, T-1)
        mask = target != -100
        hidden = response_hidden_states(model, ids, attn)[:, :-1][mask]  # (N, H)
        logits = model.get_output_embeddings()(hidden).float()  # (N, V): target positions only
        loss = torch.nn.functional.cross_entropy(logits, target[mask])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
        n = int((target != -100).sum())
        value = float(loss.detach())
        total += value * n
        count += n
        if on_batch is not None:
            on_batch(value)
    return total / max(count, 1)
