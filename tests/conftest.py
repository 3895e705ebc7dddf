"""Shared fixtures: a real tiny transformers model and tokenizer, built from a config."""

from __future__ import annotations

from typing import Any

import pytest

CORPUS = [
    "I am thinking of a number between 1 and 64.",
    "Say 'guess N' and I will tell you higher or lower.",
    "guess 32", "guess 16", "guess 48", "32 is too low: higher.", "48 is too high: lower.",
    "You are at 0. The goal is at 3.", "left", "right", "Nothing happens.",
    "Task: Observation: Action: Admissible actions:",
]


@pytest.fixture(scope="session")
def tiny_tokenizer() -> Any:
    from agentrl.models import build_tokenizer

    return build_tokenizer(CORPUS * 20, vocab_size=400)


@pytest.fixture(scope="session")
def tiny_model(tiny_tokenizer: Any) -> Any:
    from agentrl.models import build_tiny_model

    return build_tiny_model(tiny_tokenizer, hidden_size=32, num_layers=2, num_heads=4,
                            num_kv_heads=2, intermediate_size=64, seed=0)
