"""SFT warm-up on expert demonstrations (DESIGN.md 3.6, ``trainer.sft``).

Demonstrations come from the same rollout as RL: pure expert episodes, plus *recovery* episodes
in which a share of the actions are random and every visited state is still labelled with the
expert's re-planned action (``info["expert_action"]``), so the model learns to get back on track
after a mistake (as in DAgger-style data collection). The loss is cross-entropy on the action
tokens only (the prompt is context), with the end-of-turn token as the last target.

*Label noise* (``trainer.sft.label_noise``): at that share of the steps the demonstrator takes a
random admissible action and records it as the label, so the model imitates an imperfect
demonstrator (behaviour cloning of an epsilon-greedy expert). Unlike recovery detours, whose
labels stay the expert's, the noise is learned; it is the same in every task, which is the kind
of flaw reinforcement learning can remove in a way that carries to unseen tasks.

*Goal relabelling* (``trainer.sft.relabel``): an environment that implements
``relabel_goals(limit)`` (the household world does) returns, for the current state, other goals
with the expert's action for each; every one becomes an extra demonstration of the same prompt
with the task text replaced. Relabelling with the expert as labeller gives counterfactual pairs
(the same place, one goal object listed there and one not) that a shortcut from "where is the
task's object usually found" cannot fit, only reading the observation can.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import jinja2
import torch

from agentrl.errors import UserError
from agentrl.policies.base import Generation, PolicyInput, SamplingParams
from agentrl.policies.hf import chat_ids
from agentrl.prompting import PromptBuilder
from agentrl.rollout import RolloutEngine
from agentrl.trainer.actor import response_hidden_states
from agentrl.types import Task

__all__ = ["Demonstration", "DemonstrationPolicy", "collect_demonstrations", "sft_epoch",
           "target_ids"]


@dataclass
class Demonstration:
    """One labelled state: the prompt messages and the expert's action."""

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None
    action: str


class DemonstrationPolicy:
    """Records (prompt, label) pairs and plays the expert; with probability ``epsilon`` plays a
    random admissible action instead (the label stays the expert's: a recovery detour), and with
    probability ``label_noise`` plays a random admissible action and records it as the label."""

    name = "demonstrations"

    def __init__(self, epsilon: float, seed: int, target: str = "{{ action }}",
                 label_noise: float = 0.0) -> None:
        self.epsilon = epsilon
        self.label_noise = label_noise
        self.target = target_template(target)
        self.rng = random.Random(seed)
        self.demos: list[Demonstration] = []
        #: relabelled demonstrations by kind (see ``collect_demonstrations(relabel=...)``)
        self.relabelled: dict[str, int] = {}
        #: demonstrations whose label is a random action (``label_noise``)
        self.noisy = 0

    def act(self, inputs: list[PolicyInput], sampling: SamplingParams) -> list[Generation]:
        out = []
        for item in inputs:
            label = item.info.get("expert_action")
            if not isinstance(label, str):
                raise UserError("SFT needs an environment with info['expert_action']; disable "
                                "trainer.sft for this environment")
            thought = item.info.get("expert_thought") or ""
            admissible = item.info.get("admissible_actions")
            noisy = bool(admissible) and self.label_noise > 0 \
                and self.rng.random() < self.label_noise
            if noisy:  # the random action played is the label
                label, thought = self.rng.choice(admissible), ""
                self.noisy += 1
            self.demos.append(Demonstration(item.messages, item.tools,
                                            self.target.render(action=label, thought=thought)))
            for rel in () if noisy else item.info.get(RELABELS_KEY, ()):
                old, new = rel["instruction"], rel["relabelled"]
                messages = [{**m, "content": m["content"].replace(old, new)}
                            if isinstance(m.get("content"), str) else m for m in item.messages]
                self.demos.append(Demonstration(
                    messages, item.tools, self.target.render(action=rel["expert_action"],
                                                             thought=rel.get("thought") or "")))
                kind = str(rel.get("kind", "relabelled"))
                self.relabelled[kind] = self.relabelled.get(kind, 0) + 1
            if not noisy and admissible and self.rng.random() < self.epsilon:
                out.append(Generation(text=self.rng.choice(admissible)))
            else:
                out.append(Generation(text=label))
        return out


RELABELS_KEY = "goal_relabels"


def target_template(source: str) -> jinja2.Template:
    """``trainer.sft.target`` compiled; a one-line error for a bad template."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    try:
        template = env.from_string(source)
        template.render(action="", thought="")
    except jinja2.TemplateSyntaxError as exc:
        raise UserError(f"trainer.sft.target: template syntax error: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        raise UserError(f"trainer.sft.target uses an unknown variable: {exc.message}; "
                        "available: action, thought") from None
    return template


class _Relabelling(gym.Wrapper):  # type: ignore[type-arg]
    """Adds ``info[RELABELS_KEY]`` = ``env.relabel_goals(limit)`` after every reset and step."""

    def __init__(self, env: gym.Env[str, str], limit: int) -> None:
        super().__init__(env)
        self.limit = limit

    def reset(self, **kwargs: Any) -> tuple[str, dict[str, Any]]:
        obs, info = self.env.reset(**kwargs)
        return obs, {**info, RELABELS_KEY: self.env.unwrapped.relabel_goals(self.limit)}

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        if not (terminated or truncated):
            info = {**info, RELABELS_KEY: self.env.unwrapped.relabel_goals(self.limit)}
        return obs, reward, terminated, truncated, info


def collect_demonstrations(env_factory: Callable[[], gym.Env[str, str]], builder: PromptBuilder,
                           tasks: Sequence[Task], *, env_id: str, recovery_fraction: float,
                           epsilon: float = 0.3, seed: int = 0, relabel: int = 0,
                           target: str = "{{ action }}", label_noise: float = 0.0,
                           progress: bool = True,
                           counts: dict[str, int] | None = None) -> list[Demonstration]:
    """Expert demonstrations for ``tasks``; a ``recovery_fraction`` of them with random detours.

    ``target`` is the SFT target template (``trainer.sft.target``: ``action`` and ``thought``).
    ``relabel`` > 0 adds up to that many goal-relabelled copies of each state the environment
    offers them for (``env.relabel_goals``; see the module docstring); ``counts``, when given,
    receives how many of each kind were added. ``label_noise`` is the share of steps labelled
    with the random action the demonstrator took (see the module docstring)."""
    factory = env_factory
    if relabel > 0:
        probe = env_factory()
        try:
            if not callable(getattr(probe.unwrapped, "relabel_goals", None)):
                raise UserError(f"trainer.sft.relabel needs an environment with "
                                f"relabel_goals(); {env_id} has none: set trainer.sft.relabel: 0")
        finally:
            probe.close()

        def factory() -> gym.Env[str, str]:
            return _Relabelling(env_factory(), relabel)

    n_recovery = round(len(tasks) * recovery_fraction)
    demos: list[Demonstration] = []
    for eps, chunk, offset in ((0.0, tasks[n_recovery:], n_recovery),
                               (epsilon, tasks[:n_recovery], 0)):
        if not chunk:
            continue
        policy = DemonstrationPolicy(eps, seed + offset, target, label_noise)
        with RolloutEngine(factory, policy, builder, env_id=env_id,
                           progress=progress) as engine:
            engine.run(chunk, seeds=[seed + offset + i for i in range(len(chunk))])
        demos.extend(policy.demos)
        if counts is not None:
            for kind, n in policy.relabelled.items():
                counts[kind] = counts.get(kind, 0) + n
    return demos


def target_ids(tokenizer: Any, action: str) -> list[int]:
    """The token ids SFT trains on for ``action``: its text, then the end-of-turn token."""
    return tokenizer(action, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]


def demo_tensors(tokenizer: Any, demos: Sequence[Demonstration]
                 ) -> list[tuple[list[int], list[int]]]:
    """(prompt ids, target ids) per demonstration; targets end with the end-of-turn token."""
    return [(chat_ids(tokenizer, d.messages, d.tools), target_ids(tokenizer, d.action))
            for d in demos]


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
              rng: random.Random, max_grad_norm: float = 1.0, prompt_weight: float = 0.0,
              on_batch: Callable[[float], None] | None = None) -> float:
    """One pass of cross-entropy on target tokens; returns the mean target-token loss.

    ``prompt_weight`` > 0 adds next-token prediction on the prompt's tokens too, weighted per
    token relative to a target token (the loss is normalised by the weighted token count):
    a language-modelling signal on every position, which a model trained from scratch gets
    nowhere else. The returned loss stays the target tokens' alone."""
    device = next(model.parameters()).device
    model.train()
    total, count = 0.0, 0
    for batch_rows in length_grouped_batches(data, batch_size, rng):
        rows = [data[i] for i in batch_rows]
        width = max(len(p) + len(t) for p, t in rows)
        ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
        attn = torch.zeros((len(rows), width), dtype=torch.long)
        labels = torch.full((len(rows), width), -100, dtype=torch.long)
        weights = torch.zeros((len(rows), width))
        response = torch.zeros((len(rows), width), dtype=torch.bool)
        for i, (p, t) in enumerate(rows):
            seq = p + t
            ids[i, : len(seq)] = torch.tensor(seq)
            attn[i, : len(seq)] = 1
            if prompt_weight > 0:
                labels[i, 1: len(p)] = torch.tensor(p[1:])
                weights[i, 1: len(p)] = prompt_weight
            labels[i, len(p): len(seq)] = torch.tensor(t)
            weights[i, len(p): len(seq)] = 1.0
            response[i, len(p): len(seq)] = True
        ids, attn, labels = ids.to(device), attn.to(device), labels.to(device)
        target = labels[:, 1:]  # (B, T-1)
        mask = target != -100
        hidden = response_hidden_states(model, ids, attn)[:, :-1][mask]  # (N, H)
        logits = model.get_output_embeddings()(hidden).float()  # (N, V): target positions only
        token_loss = torch.nn.functional.cross_entropy(logits, target[mask], reduction="none")
        w = weights[:, 1:].to(device)[mask]
        loss = (token_loss * w).sum() / w.sum() if prompt_weight > 0 else token_loss.mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
        is_target = response[:, 1:].to(device)[mask]
        n = int(is_target.sum())
        value = float(token_loss.detach()[is_target].mean()) if n else 0.0
        total += value * n
        count += n
        if on_batch is not None:
            on_batch(value)
    return total / max(count, 1)
