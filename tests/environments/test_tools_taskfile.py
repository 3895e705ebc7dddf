"""Bring-your-own JSONL tasks: loading, playing (built-in and recorded tools), line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentrl.environments.tools.env import ToolUseEnv
from agentrl.environments.tools.taskfile import TaskFileError, load_task_file
from agentrl.envs import make
from agentrl.errors import UserError

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather of a city.",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string"}, "unit": {"type": "string", "enum": ["C", "F"]}},
        "required": ["city"]}}}

GOOD = [
    {"id": "weekday-7", "split": "test", "question": "On what day of the week was order 7 placed?",
     "tools": ["sql_query", "weekday", "calculator"],
     "calls": [{"name": "sql_query",
                "arguments": {"query": "SELECT order_date FROM orders WHERE id = 7"}},
               {"name": "weekday", "arguments": {"date": "${0.rows.0.0}"}}],
     "answer": "Thursday"},
    {"question": "How warm is it in Oslo, in Fahrenheit?", "tools": [WEATHER, "convert_units"],
     "calls": [{"name": "get_weather", "arguments": {"city": "Oslo", "unit": "C"},
                "result": {"temp": 12}},
               {"name": "convert_units",
                "arguments": {"value": "${0.temp}", "from_unit": "C", "to_unit": "F"}}],
     "answer": 53.6},
    {"question": "What is 2 + 2?", "answer": 4, "split": "valid"},
]


def call(name: str, **arguments: Any) -> str:
    return f"<tool_call>{json.dumps({'name': name, 'arguments': arguments})}</tool_call>"


def write(tmp_path: Path, lines: list[Any]) -> Path:
    path = tmp_path / "tasks.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def test_load_and_play(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    tasks = load_task_file(path)
    assert [t.task_id for t in tasks] == ["weekday-7", "tasks-2", "tasks-3"]
    assert [t.task_type for t in tasks] == ["multi-step", "multi-step", "direct"]
    assert [t.split for t in tasks] == ["test", "train", "valid"]
    assert tasks[1].data["tools"] == ["get_weather", "convert_units", "final_answer"]

    env = make("agentrl/ToolUse-v0", task_file=str(path))
    assert [t.task_id for t in env.tasks("test")] == ["weekday-7"]
    for task in tasks:
        _, info = env.reset(options={"task_id": task.task_id})
        names = [s["function"]["name"] for s in info["tools"]]
        assert names == task.data["tools"]
        while True:
            obs, reward, term, trunc, info = env.step(info["expert_action"])
            assert info["valid"] and info["reward_components"]["correct"] == 3.0, obs
            if term or trunc:
                break
        assert info["success"] and reward == 1.0


def test_recorded_tool_answers_only_its_ground_truth_call(tmp_path: Path) -> None:
    env = ToolUseEnv(task_file=write(tmp_path, GOOD))
    env.reset(options={"task_id": "tasks-2"})
    obs, *_, info = env.step(call("get_weather", city="Bergen", unit="C"))
    assert "no recorded result" in obs and info["valid"] is False
    obs, *_, info = env.step(call("get_weather", city="Oslo", unit="K"))
    assert "must be one of C, F" in obs
    obs, *_, info = env.step(call("get_weather", city="Oslo", unit="C"))
    assert '"temp": 12' in obs and info["milestones"] == ["0:get_weather"]
    obs, *_, info = env.step(info["expert_action"])
    assert '"result": 53.6' in obs


@pytest.mark.parametrize(("line", "message"), [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ({"answer": 1}, '"question" must be a non-empty string'),
    ({"question": "q"}, '"answer" is required'),
    ({"question": "q", "answer": True}, '"answer" is required'),
    ({"question": "q", "answer": 1, "colour": "red"}, "unknown field 'colour'"),
    ({"question": "q", "answer": 1, "split": "dev"}, '"split" must be one of'),
    ({"question": "q", "answer": 1, "match": "fuzzy"}, '"match" must be one of'),
    ({"question": "q", "answer": 1, "type": "weird"}, '"type" must be one of'),
    ({"question": "q", "answer": 1, "tools": ["teleport"]}, "not a built-in tool"),
    ({"question": "q", "answer": 1, "tools": [{"description": "x"}]}, "OpenAI function schema"),
    ({"question": "q", "answer": 1, "tools": ["lookup", "lookup"]}, "listed twice"),
    ({"question": "q", "answer": 1,
      "tools": [{"type": "function", "function": {"name": "calculator"}}]}, "is a built-in"),
    ({"question": "q", "answer": 1, "tools": ["lookup"],
      "calls": [{"name": "calculator", "arguments": {"expression": "1"}}]}, "does not offer"),
    ({"question": "q", "answer": 1, "calls": [{"name": "calculator",
                                              "arguments": {"expression": "1/0"}}]},
     "calls[0] fails: calculator: division by zero"),
    ({"question": "q", "answer": 1, "calls": [{"name": "calculator", "arguments": {}}]},
     "missing required argument 'expression'"),
    ({"question": "q", "answer": 1, "calls": [{"name": "lookup", "arguments": {
        "topic": "${0.capital}"}}]}, "only use the results of calls before it"),
    ({"question": "q", "answer": 1, "calls": [
        {"name": "lookup", "arguments": {"topic": "Kenya"}},
        {"name": "lookup", "arguments": {"topic": "${0.mayor}"}}]}, "'mayor' is not in"),
    ({"question": "q", "answer": 1, "tools": [WEATHER],
      "calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]}, 'needs the "result"'),
    ({"question": "q", "answer": 1, "tools": [WEATHER],
      "calls": [{"name": "get_weather", "arguments": {"town": "Oslo"}, "result": 1}]},
     "missing required argument 'city'"),
    ({"question": "q", "answer": 1, "calls": [{"name": "calculator", "arguments": {
        "expression": "1"}, "result": 1}]}, 'remove "result"'),
    ({"question": "q", "answer": 1, "calls": [{"name": "final_answer", "arguments": {}}]},
     "do not list final_answer"),
])
def test_malformed_line_is_reported_with_its_line_number(tmp_path: Path, line: Any,
                                                         message: str) -> None:
    path = write(tmp_path, [GOOD[0], "", line])
    with pytest.raises(TaskFileError) as exc:
        load_task_file(path)
    text = str(exc.value)
    assert text.startswith(f"{path}:3: ") and message in text, text
    assert "\n" not in text
    assert isinstance(exc.value, UserError)


def test_file_level_errors(tmp_path: Path) -> None:
    with pytest.raises(TaskFileError, match="no such task file"):
        load_task_file(tmp_path / "missing.jsonl")
    with pytest.raises(TaskFileError, match="holds no tasks"):
        load_task_file(write(tmp_path, [""]))
    dup = write(tmp_path, [{"id": "a", "question": "q", "answer": 1},
                           {"id": "a", "question": "r", "answer": 2}])
    with pytest.raises(TaskFileError, match=r":2: task id 'a' is already used on line 1"):
        load_task_file(dup)
    binary = tmp_path / "bin.jsonl"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(TaskFileError, match="not UTF-8"):
        load_task_file(binary)


def test_shipped_example_file_is_solved_by_the_expert() -> None:
    path = Path(__file__).parents[2] / "environments" / "tools" / "example_tasks.jsonl"
    env = make("agentrl/ToolUse-v0", task_file=str(path))
    tasks = env.tasks("test")
    assert [t.task_type for t in tasks] == ["multi-step", "parallel", "multi-step", "direct"]
    for task in tasks:
        _, info = env.reset(options={"task_id": task.task_id})
        for _ in range(8):
            _, reward, term, _, info = env.step(info["expert_action"])
            if term:
                break
        assert info["success"] and reward == 1.0


def test_bad_constructor_arguments() -> None:
    with pytest.raises(UserError, match="split must be one of"):
        ToolUseEnv(split="dev")
    with pytest.raises(UserError, match="sizes must map splits"):
        ToolUseEnv(sizes={"tran": 10})
    small = ToolUseEnv(sizes={"train": 30, "valid": 10, "test": 10})
    assert [t.instruction for t in small.tasks("train")] == [
        t.instruction for t in ToolUseEnv().tasks("train")[:30]]  # smaller sets are prefixes


@pytest.mark.parametrize(("match", "ref", "good", "bad"), [
    ("exact", 4, 4, "4"),
    ("numeric", 0.5, "about 0.50 kg", "1/2 = 0.5"),  # the bad one holds three numbers
    ("text", "New Delhi", "new  delhi!", "Delhi"),
    ("list", ["Lima", "Accra"], "lima; ACCRA", "Accra, Lima"),
])
def test_match_modes(tmp_path: Path, match: str, ref: Any, good: Any, bad: Any) -> None:
    path = write(tmp_path, [{"id": "m", "question": "q", "answer": ref, "match": match}])
    env = ToolUseEnv(task_file=path)
    _, info = env.reset(options={"task_id": "m"})
    assert json.loads(info["expert_action"][11:-12])["arguments"]["answer"] == ref
    *_, info = env.step(info["expert_action"])
    assert info["success"] is True
    for pred, expected in ((good, True), (bad, False)):
        env.reset(options={"task_id": "m"})
        *_, info = env.step(call("final_answer", answer=pred))
        assert info["success"] is expected, (pred, match)
