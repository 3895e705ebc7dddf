"""The policy contract (DESIGN.md section 3.4).

``Policy.act(inputs, sampling) -> list[Generation]``: one generation per input, in order. An
input carries the chat messages built by the prompt builder, the tool schemas of tool-calling
environments, and the environment's current ``info`` (which scripted policies read: the expert
follows ``info["expert_action"]``, the random policy samples ``info["admissible_actions"]``).

A :class:`Generation` of a model policy carries the exact token ids the model consumed
(``prompt_ids``) and generated (``response_ids``) and the log-probabilities of the generated
tokens under the sampling distribution (``logprobs``); training samples are built from these ids,
never from re-tokenised text.

An input's ``choices`` (``rollout.constrain``) are the actions a model policy may decode; a
backend that cannot restrict its sampling sets the class attribute ``ignores_choices = True``
and a constrained rollout refuses it instead of silently sampling free text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = ["Generation", "Policy", "PolicyInput", "SamplingParams"]


@dataclass
class SamplingParams:
    """How to sample one action.

    ``temperature=0`` is greedy decoding. ``top_k=0`` and ``top_p=1`` leave the distribution
    untouched, which is what the trainer's log-probs describe; anything else makes the rollout
    slightly off-policy (recorded log-probs are those of the temperature-scaled distribution).
    """

    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    max_new_tokens: int = 64
    stop: list[str] = field(default_factory=list)
    seed: int | None = None


@dataclass
class PolicyInput:
    """What a policy sees at one step of one episode."""

    messages: list[dict[str, Any]]
    info: dict[str, Any] = field(default_factory=dict)
    tools: list[dict[str, Any]] | None = None
    #: exact prompt ids built incrementally by the prompt builder (chat mode); when set, a model
    #: policy consumes these instead of rendering ``messages``
    prompt_ids: list[int] | None = None
    #: the actions the policy may choose from (``rollout.constrain``): a model policy that
    #: supports it decodes only token sequences of these actions (see ``policies.constrain``)
    choices: list[str] | None = None


@dataclass
class Generation:
    """One generated action. Token fields are None for policies without a tokenizer."""

    text: str
    prompt_ids: list[int] | None = None
    response_ids: list[int] | None = None
    logprobs: list[float] | None = None
    #: per-token entropies of the sampling distribution (for EMPG), when the backend has them
    entropies: list[float] | None = None
    #: constrained decoding: the token ids allowed at each generated position (the sampling
    #: distribution is the softmax renormalised over them; the trainer applies the same mask)
    allowed: list[list[int]] | None = None


@runtime_checkable
class Policy(Protocol):
    """Anything that turns a batch of policy inputs into generations."""

    name: str

    def act(self, inputs: list[PolicyInput], sampling: SamplingParams) -> list[Generation]:
        """Return one :class:`Generation` per input, in order."""
        ...
