"""ToolRL's correctness and format scores on hand-computed cases (arXiv 2504.13958)."""

from __future__ import annotations

import pytest

from agentrl.environments.tools.protocol import parse_turn
from agentrl.environments.tools.toolrl import (
    correctness_score,
    format_score,
    multiset_jaccard,
    values_equal,
)

GT = [("get_weather", {"city": "Paris", "unit": "C"})]  # S_max = 1 + (1 + 2) = 4


def test_multiset_jaccard_counts_repeats() -> None:
    assert multiset_jaccard(["f", "f", "g"], ["f", "h"]) == pytest.approx(1 / 4)
    assert multiset_jaccard(["f", "f"], ["f"]) == pytest.approx(1 / 2)
    assert multiset_jaccard([], []) == 1.0
    assert multiset_jaccard({"a": 5, "b": 1}, ["a", "b"]) == 1.0  # a dict counts its keys once


def test_exact_match_scores_plus_three() -> None:
    assert correctness_score([("get_weather", {"unit": "C", "city": "Paris"})], GT) == 3.0


def test_unparseable_and_empty_score_minus_three() -> None:
    assert correctness_score(None, GT) == -3.0
    assert correctness_score([], GT) == -3.0  # J(names) = 0, nothing matched


def test_wrong_tool_name_scores_minus_three() -> None:
    assert correctness_score([("search", {"city": "Paris", "unit": "C"})], GT) == -3.0


def test_one_wrong_value() -> None:
    # S = J(names) 1 + J(keys) 1 + 1 matching value = 3 -> 6 * 3 / 4 - 3 = 1.5
    assert correctness_score([("get_weather", {"city": "Rome", "unit": "C"})], GT) == 1.5


def test_missing_key() -> None:
    # S = 1 + J({city}, {city, unit}) 0.5 + 1 value = 2.5 -> 6 * 2.5 / 4 - 3 = 0.75
    assert correctness_score([("get_weather", {"city": "Paris"})], GT) == pytest.approx(0.75)


def test_extra_key() -> None:
    # S = 1 + J 2/3 + 2 values = 11/3 -> 6 * 11/3 / 4 - 3 = 2.5
    pred = [("get_weather", {"city": "Paris", "unit": "C", "days": 3})]
    assert correctness_score(pred, GT) == pytest.approx(2.5)


def test_parallel_call_missing() -> None:
    gt = [("f", {"a": 1}), ("g", {"b": 2})]  # S_max = 1 + 2 + 2 = 5
    # S = J({f}, {f, g}) 0.5 + f: 1 + 1 + g: 0 = 2.5 -> 6 * 2.5 / 5 - 3 = 0
    assert correctness_score([("f", {"a": 1})], gt) == pytest.approx(0.0)
    assert correctness_score([("g", {"b": 2}), ("f", {"a": 1})], gt) == 3.0


def test_extra_call_is_penalised_by_name_jaccard() -> None:
    gt = [("f", {"a": 1})]  # S_max = 3
    # S = J({f, f}, {f}) 0.5 + best f call 2 = 2.5 -> 6 * 2.5 / 3 - 3 = 2
    assert correctness_score([("f", {"a": 1}), ("f", {"a": 2})], gt) == pytest.approx(2.0)


def test_no_parameter_call() -> None:
    assert correctness_score([("now", {})], [("now", {})]) == 3.0


def test_value_equality_is_json_exact() -> None:
    assert values_equal(3, 3.0)
    assert not values_equal(True, 1)
    assert not values_equal("3", 3)
    assert correctness_score([("f", {"a": 2.0})], [("f", {"a": 2})]) == 3.0


def test_custom_value_match() -> None:
    def lenient(name: str, key: str, gt: object, pred: object) -> bool:
        return str(gt).lower() == str(pred).lower()

    assert correctness_score([("f", {"a": "PARIS"})], [("f", {"a": "paris"})], lenient) == 3.0


@pytest.mark.parametrize(("text", "expected"), [
    ('<tool_call>{"name": "f", "arguments": {}}</tool_call>', 1.0),
    ('Let me think.\n<tool_call>{"name": "f", "arguments": {"a": 1}}</tool_call>\n'
     '<tool_call>{"name": "g", "arguments": {}}</tool_call>\n', 1.0),
    ('<tool_call>{"name": "f", "arguments": {}}</tool_call> trailing text', 0.0),
    ('<tool_call>{"name": "f", "arguments": {}}', 0.0),
    ('<tool_call>{"name": "f"}</tool_call>', 0.0),
    ('<tool_call>{"name": "f", "arguments": {}, "id": 1}</tool_call>', 0.0),
    ("<tool_call>{not json}</tool_call>", 0.0),
    ('<tool_response>{}</tool_response><tool_call>{"name": "f", "arguments": {}}</tool_call>',
     0.0),
    ('<tool_call>{"name": "final_answer", "arguments": {"answer": 1}}</tool_call>'
     '<tool_call>{"name": "f", "arguments": {}}</tool_call>', 0.0),
    ("hello", 0.0),
    ("", 0.0),
])
def test_format_score(text: str, expected: float) -> None:
    assert format_score(parse_turn(text)) == expected
