"""Property tests: any text is a safe action, and ToolRL scores stay in their ranges."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from agentrl.environments.tools.env import ToolUseEnv
from agentrl.environments.tools.protocol import parse_turn
from agentrl.environments.tools.toolrl import correctness_score

ENV = ToolUseEnv()
NAMES = st.sampled_from(["calculator", "lookup", "weekday", "final_answer", "nope"])
VALUES = st.one_of(st.integers(-5, 5), st.text(max_size=5), st.booleans(), st.none(),
                   st.floats(allow_nan=False, allow_infinity=False, width=32))
ARGS = st.dictionaries(st.sampled_from(["a", "b", "expression", "topic", "answer"]), VALUES,
                       max_size=3)
CALLS = st.lists(st.tuples(NAMES, ARGS), max_size=3)


def _block(name: str, args: dict) -> str:
    return f"<tool_call>{json.dumps({'name': name, 'arguments': args})}</tool_call>"


@settings(max_examples=150, deadline=None)
@given(pred=CALLS, gt=st.lists(st.tuples(NAMES, ARGS), min_size=1, max_size=3))
def test_correctness_in_range_and_max_only_for_equal(pred: list, gt: list) -> None:
    score = correctness_score(pred, gt)
    assert -3.0 <= score <= 3.0
    assert correctness_score(list(reversed(gt)), gt) == 3.0


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=300))
def test_any_text_is_a_safe_action(text: str) -> None:
    ENV.reset(options={"task_id": "tools-train-00010"})
    obs, reward, _term, trunc, info = ENV.step(text)
    assert isinstance(obs, str) and obs and reward == 0.0 and not trunc
    comps = info["reward_components"]
    assert comps["format"] in (0.0, 1.0) and -3.0 <= comps["correct"] <= 3.0
    if "<tool_call>" not in text:
        assert info["valid"] is False and comps == {"format": 0.0, "correct": -3.0}


@settings(max_examples=100, deadline=None)
@given(calls=st.lists(st.tuples(NAMES, ARGS), min_size=1, max_size=3),
       noise=st.sampled_from(["", "thinking...\n", " "]))
def test_generated_calls_parse_back(calls: list, noise: str) -> None:
    text = noise + "\n".join(_block(n, a) for n, a in calls)
    turn = parse_turn(text)
    assert [(c.name, c.arguments) for c in turn.calls] == calls
    has_final = any(n == "final_answer" for n, _ in calls)
    assert turn.well_formed == (not has_final or len(calls) == 1)
    ENV.reset(options={"task_id": "tools-train-00010"})
    obs, _, _term, _, _info = ENV.step(text)
    assert obs.count("<tool_response>") == len(calls)
