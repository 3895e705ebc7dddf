"""The doctest-sized examples in the estimator and shaper docstrings are run, so they stay true."""

from __future__ import annotations

import doctest

import pytest

from agentrl.rewards.estimators import grpo, rloo
from agentrl.rewards.shapers import gated


@pytest.mark.parametrize("module", [grpo, rloo, gated])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
