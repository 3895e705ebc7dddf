"""Decoding constrained to the admissible actions: only admissible actions come out, their
recorded log-probs are those of the renormalised distribution (a proper distribution over the
choices), and the trainer's actor recomputes exactly the same numbers."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch

from agentrl.policies import PolicyInput, SamplingParams
from agentrl.policies.constrain import ActionTrie
from agentrl.policies.hf import HFPolicy
from agentrl.trainer.actor import Actor
from agentrl.trainer.samples import StepSample, pack

CHOICES = ["guess 32", "guess 16", "guess 48", "left", "right"]


def _input(choices: list[str] | None = CHOICES) -> PolicyInput:
    return PolicyInput(messages=[{"role": "system", "content": "Play."},
                                 {"role": "user", "content": "32 is too low: higher."}],
                       choices=choices)


def test_trie_allows_exactly_the_continuations_of_the_actions() -> None:
    trie = ActionTrie(["go to cabinet 1", "go to cabinet 10", "look"],
                      [[5, 6, 7, 0], [5, 6, 7, 8, 0], [9, 0]])
    assert trie.allowed([]) == [5, 9]
    assert trie.allowed([5, 6, 7]) == [0, 8]  # "cabinet 1" ends here or goes on to "10"
    assert trie.allowed([5, 6, 7, 0]) == []  # complete
    assert trie.allowed([5, 1]) == []  # left the tree
    assert trie.action([5, 6, 7, 0]) == "go to cabinet 1"
    assert trie.action([5, 6, 7, 8, 0]) == "go to cabinet 10"
    assert trie.action([5, 6, 7]) is None
    assert not ActionTrie([], [])


@pytest.mark.parametrize("temperature", [1.0, 0.0])
def test_only_admissible_actions_with_their_canonical_ids(tiny_model: Any, tiny_tokenizer: Any,
                                                          temperature: float) -> None:
    policy = HFPolicy(tiny_model, tiny_tokenizer, device="cpu")
    eos = tiny_tokenizer.eos_token_id
    gens = policy.act([_input() for _ in range(24)],
                      SamplingParams(temperature=temperature, max_new_tokens=12, seed=5))
    for g in gens:
        assert g.text in CHOICES
        ids = tiny_tokenizer(g.text, add_special_tokens=False)["input_ids"]
        assert g.response_ids == [*ids, eos]  # exactly what SFT trains on
        assert g.allowed is not None and len(g.allowed) == len(g.response_ids)
        assert all(tok in allow for tok, allow in zip(g.response_ids, g.allowed, strict=True))
        assert all(lp <= 1e-6 for lp in g.logprobs)
    if temperature == 1.0:  # the random model spreads its mass: several choices come out
        assert len({g.text for g in gens}) >= 2
    # free decoding of the same random model almost never produces an admissible action
    free = policy.act([_input(None) for _ in range(24)],
                      SamplingParams(temperature=1.0, max_new_tokens=12, seed=5))
    assert all(g.allowed is None for g in free)
    assert sum(g.text in CHOICES for g in free) <= 2


def test_choice_probabilities_sum_to_one_and_match_the_actor(tiny_model: Any,
                                                             tiny_tokenizer: Any) -> None:
    """Teacher-force every choice through the trainer's actor with its allowed sets: the
    probabilities of the 5 choices sum to 1, and a sampled action's recorded log-probs equal
    the actor's (so PPO's ratio starts at exactly 1)."""
    policy = HFPolicy(tiny_model, tiny_tokenizer, device="cpu")
    item = _input()
    prompt = policy.encode(item)
    trie = policy.trie(CHOICES)
    assert trie is not None
    samples = []
    for choice in CHOICES:
        ids = [*tiny_tokenizer(choice, add_special_tokens=False)["input_ids"],
               tiny_tokenizer.eos_token_id]
        allowed = [trie.allowed(ids[:j]) for j in range(len(ids))]
        samples.append(StepSample(prompt, ids, 0.0, 1.0, allowed=allowed))
    actor = Actor(tiny_model)
    batch = pack(samples, policy.pad_id)
    with torch.no_grad():
        logp, entropy, _ = actor(batch)
    mask = batch.response_mask.bool()
    seq_logp = [float(logp[i][mask[i]].sum()) for i in range(len(samples))]
    assert sum(math.exp(x) for x in seq_logp) == pytest.approx(1.0, abs=1e-5)
    assert bool((entropy[mask] >= 0).all()) and math.isfinite(float(entropy.sum()))

    gens = policy.act([item] * 8, SamplingParams(temperature=1.0, max_new_tokens=12, seed=2))
    for g in gens:
        k = CHOICES.index(g.text)
        assert g.allowed == samples[k].allowed
        assert g.logprobs == pytest.approx(logp[k][mask[k]].tolist(), abs=1e-4)
        assert sum(g.logprobs) == pytest.approx(seq_logp[k], abs=1e-4)


def test_pack_marks_only_the_constrained_samples(tiny_tokenizer: Any) -> None:
    free = StepSample([1, 2, 3], [4, 5], 0.0, 1.0)
    constrained = StepSample([1, 2], [6, 7, 8], 0.0, 1.0, allowed=[[6, 9], [7], [8, 2]])
    batch = pack([free, constrained], pad_id=0)
    assert batch.constrained is not None and batch.allowed_index is not None
    assert batch.constrained.tolist() == [False, False, True, True, True]
    assert batch.allowed_index.tolist() == [[2, 6], [2, 9], [3, 7], [4, 8], [4, 2]]
    assert pack([free], pad_id=0).constrained is None
    with pytest.raises(ValueError, match="allowed-token sets"):
        pack([StepSample([1], [2, 3], 0.0, 1.0, allowed=[[2]])], pad_id=0)
