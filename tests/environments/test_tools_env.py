"""agentrl/ToolUse-v0 end to end: the checker, the expert, random text, rewards, error paths."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from agentrl.environments.tools.env import ToolUseEnv
from agentrl.environments.tools.toolbox import BUILTIN_SCHEMAS
from agentrl.envs import check_env, make
from agentrl.errors import UserError

ENV_ID = "agentrl/ToolUse-v0"


def call(name: str, **arguments: Any) -> str:
    return f"<tool_call>{json.dumps({'name': name, 'arguments': arguments})}</tool_call>"


def answer(value: Any) -> str:
    return call("final_answer", answer=value)


@pytest.fixture(scope="module")
def env() -> Iterator[Any]:
    e = make(ENV_ID)
    yield e
    e.close()


def _find(env: Any, split: str, pred: Any) -> str:
    return next(t.task_id for t in env.tasks(split) if pred(t))


def _spread(items: list[Any], n: int) -> list[Any]:
    return [items[int(i * len(items) / n)] for i in range(n)]


def test_check_env_passes() -> None:
    report = check_env(ENV_ID)
    assert report.passed, "\n".join(report.lines())
    assert "expert solved 9/9" in report["expert"].detail


def test_task_sets() -> None:
    env = ToolUseEnv()
    sizes = {sp: len(env.tasks(sp)) for sp in ("train", "valid", "test")}
    assert sizes == {"train": 6000, "valid": 2000, "test": 2000}
    questions = [t.instruction for sp in sizes for t in env.tasks(sp)]
    assert len(set(questions)) == len(questions)  # splits disjoint, no duplicates
    for sp in sizes:
        types = Counter(t.task_type for t in env.tasks(sp))
        assert set(types) == {"single", "parallel", "multi-step"}
        assert min(types.values()) >= 0.15 * sizes[sp]
    for t in env.tasks("valid")[:200]:
        names = t.data["tools"]
        needed = {c["name"] for c in t.data["calls"]}
        assert names[-1] == "final_answer" and needed <= set(names)
        assert len(names) - 1 - len(needed) >= 1  # at least one distractor
    assert ToolUseEnv().tasks("test")[17] == env.tasks("test")[17]  # stable


def test_expert_full_success_and_max_toolrl_reward(env: Any) -> None:
    episodes, by_type = 0, Counter()
    for split in ("train", "valid", "test"):
        for task in _spread(env.tasks(split), 60):
            obs, info = env.reset(seed=0, options={"task_id": task.task_id})
            assert info["tools"][-1]["function"]["name"] == "final_answer"
            total, steps = 0.0, 0
            while True:
                obs, reward, term, trunc, info = env.step(info["expert_action"])
                steps += 1
                comps = info["reward_components"]
                assert info["valid"] and comps["format"] == 1.0 and comps["correct"] == 3.0, obs
                total += reward
                if term or trunc:
                    break
            assert term and info["success"] is True and total == 1.0
            assert comps["outcome"] == 1.0 and "answer" in info["milestones"]
            assert len(info["milestones"]) == info["milestones_total"]
            expected_steps = {"single": 2, "parallel": 2}.get(task.task_type)
            if expected_steps is not None:
                assert steps == expected_steps
            episodes += 1
            by_type[task.task_type] += 1
    assert episodes == 180 and set(by_type) == {"single", "parallel", "multi-step"}


def test_random_text_scores_zero(env: Any) -> None:
    for task in _spread(env.tasks("train"), 10):
        env.reset(seed=1, options={"task_id": task.task_id})
        total, term, trunc, turns = 0.0, False, False, 0
        while not (term or trunc):
            obs, reward, term, trunc, info = env.step("hello")
            turns += 1
            total += reward
            assert info["valid"] is False and "no <tool_call> block" in obs
            assert info["reward_components"] == {"format": 0.0, "correct": -3.0}
        assert total == 0.0 and trunc and not term and turns == 8
        assert not info.get("success", False) and info["milestones"] == []


def test_wrong_answer_scores_zero(env: Any) -> None:
    task_id = _find(env, "train", lambda t: t.task_type == "single"
                    and t.data["calls"][0]["name"] == "calculator")
    _, info = env.reset(options={"task_id": task_id})
    _, _, _, _, info = env.step(info["expert_action"])
    _obs, reward, term, _, info = env.step(answer("-123456789"))
    assert term and reward == 0.0 and info["success"] is False and info["score"] == 0.0
    assert info["reward_components"]["outcome"] == 0.0
    # S = J(names) 1 + J(keys) 1 + 0 values = 2 of S_max 3 -> 6 * 2 / 3 - 3 = 1
    assert info["reward_components"]["correct"] == pytest.approx(1.0)
    assert "answer" not in info["milestones"]


def test_answer_matching_numeric_tolerance_and_text(env: Any) -> None:
    task_id = "tools-train-00003"  # 8 Lawn Chairs with 10% tax: 1626.504
    env.reset(options={"task_id": task_id})
    env.step(call("sql_query", query="SELECT price FROM products WHERE name = 'Lawn Chair'"))
    env.step(call("calculator", expression="184.83 * 8 * 1.1"))
    _, reward, term, _, info = env.step(answer("$1,626.50"))
    assert term and reward == 1.0 and info["reward_components"]["correct"] == 3.0
    capital = _find(env, "train", lambda t: "capital of" in t.instruction
                    and t.task_type == "single")
    _, info = env.reset(options={"task_id": capital})
    env.step(info["expert_action"])
    ref = env.tasks("train")[int(capital.split("-")[-1])].data["answer"]
    _, reward, *_ = env.step(answer(f"  {ref.upper()}. "))
    assert reward == 1.0


def test_parallel_calls_in_one_turn_and_partial_credit(env: Any) -> None:
    task_id = _find(env, "train", lambda t: t.instruction.startswith("What days of the week"))
    task = env.unwrapped._task(task_id)
    d0, d1 = (c["arguments"]["date"] for c in task.data["calls"])
    _, info = env.reset(options={"task_id": task_id})
    _, _, _, _, info = env.step(call("weekday", date=d0))
    # one of two same-name parallel calls: S = J({w}, {w, w}) 1/2 + best match for call 0
    # (1 + 1) + best match for call 1 (1 + 0) = 3.5 of S_max 5 -> 6 * 3.5 / 5 - 3 = 1.2
    assert info["reward_components"]["correct"] == pytest.approx(1.2)
    assert info["milestones"] == ["0:weekday"]
    assert info["expert_action"] == call("weekday", date=d1)
    _, _, _, _, info = env.step(info["expert_action"])
    assert info["reward_components"]["correct"] == 3.0
    _obs, reward, term, _, info = env.step(info["expert_action"])
    assert term and reward == 1.0 and info["success"]


def test_multi_step_chain_uses_real_results_and_expert_takes_over(env: Any) -> None:
    task_id = _find(env, "train", lambda t: "category's return policy" in t.instruction)
    task = env.unwrapped._task(task_id)
    _, info = env.reset(options={"task_id": task_id})
    assert "${" not in info["expert_action"]
    # a wasted turn first: an unrelated real call
    obs, _, _, _, info = env.step(call("lookup", topic="Kenya"))
    assert info["valid"] and info["milestones"] == []
    assert info["reward_components"]["correct"] == -3.0
    obs, *_, info = env.step(info["expert_action"])
    row = json.loads(obs[len("<tool_response>"):-len("</tool_response>")])["result"]["rows"][0]
    # the next call's argument is the category the SQL query really returned
    assert json.loads(info["expert_action"][11:-12])["arguments"] == {"topic": row[1]}
    obs, *_, info = env.step(info["expert_action"])
    days = json.loads(obs[15:-16])["result"]["return_days"]
    nxt = json.loads(info["expert_action"][11:-12])
    assert nxt == {"name": "date_add", "arguments": {"date": row[0], "days": days}}
    obs, *_, info = env.step(info["expert_action"])
    _, reward, term, _, info = env.step(info["expert_action"])
    assert term and reward == 1.0
    assert info["milestones"] == ["0:sql_query", "1:lookup", "2:date_add", "answer"]
    assert task.data["answer"] == json.loads(obs[15:-16])["result"]


def test_equivalent_expression_reaches_the_milestone(env: Any) -> None:
    task_id = "tools-train-00003"
    env.reset(options={"task_id": task_id})
    env.step(call("sql_query", query="SELECT price FROM products WHERE id = 20"))  # same rows
    _obs, *_, info = env.step(call("calculator", expression="1.1 * (8 * 184.83)"))
    assert info["milestones"] == ["0:sql_query", "1:calculator"]
    assert info["reward_components"]["correct"] == pytest.approx(1.0)  # name+key, value differs
    assert "final_answer" in info["expert_action"]


def test_state_key_is_task_plus_multiset_of_results(env: Any) -> None:
    task_id = "tools-train-00003"
    _, info = env.reset(options={"task_id": task_id})
    start = info["state_key"]
    assert start.startswith(task_id + "|0|")
    a = call("lookup", topic="Kenya")
    b = call("weekday", date="2024-02-29")
    *_, info_bad = env.step("not a call")
    assert info_bad["state_key"] == start  # failures do not change the state
    *_, info_ab = env.step(a + "\n" + b)
    env.reset(options={"task_id": task_id})
    env.step(b)
    *_, info_ba = env.step(a)
    assert info_ab["state_key"] == info_ba["state_key"] != start  # order does not matter
    other = "tools-train-00004"
    _, info = env.reset(options={"task_id": other})
    assert info["state_key"].startswith(other + "|0|")


ERROR_CASES = [
    ("<tool_call>{not json}</tool_call>", "not valid JSON", -3.0),
    ('<tool_call>{"name": "calculator", "arguments": {"expression": "1+1"}}', "not closed", -3.0),
    ("<tool_call>[1, 2]</tool_call>", "must be a JSON object", -3.0),
    ('<tool_call>{"name": "calculator"}</tool_call>', 'needs an \\"arguments\\" object', -3.0),
    ('<tool_call>{"name": "x", "arguments": {"a": 1e999}}</tool_call>', "not valid JSON", -3.0),
    (call("teleport", to="moon"), "unknown tool 'teleport'", None),
    (call("calculator"), "missing required argument 'expression'", None),
    (call("calculator", expression=12), "must be string, got integer", None),
    (call("calculator", expression="1+1", precision=2), "unknown argument 'precision'", None),
    (call("calculator", expression="1/0"), "division by zero", None),
    (call("calculator", expression="__import__('os')"), "unexpected character", None),
    (call("final_answer"), "missing required argument 'answer'", None),
    (call("final_answer", answer={"x": 1}), "must be string or number or array", None),
]


@pytest.mark.parametrize(("action", "message", "correct"), ERROR_CASES)
def test_error_paths(env: Any, action: str, message: str, correct: float | None) -> None:
    env.reset(options={"task_id": "tools-train-00003"})  # offers calculator, not teleport
    obs, reward, term, trunc, info = env.step(action)
    assert message in obs and '"error"' in obs and obs.startswith("<tool_response>")
    assert info["valid"] is False and reward == 0.0 and not term and not trunc
    if correct is not None:
        assert info["reward_components"] == {"format": 0.0, "correct": correct}
    assert info["milestones"] == [] and "expert_action" in info


def test_tool_errors_from_each_tool(env: Any) -> None:
    env.reset(options={"task_id": "tools-train-00003"})
    env.unwrapped._episode.tools.update(BUILTIN_SCHEMAS)  # offer every built-in tool here
    for action, message in [
        (call("sql_query", query="DROP TABLE orders"), "read-only"),
        (call("sql_query", query="SELECT * FROM nowhere"), "no such table"),
        (call("date_add", date="2023-02-29", days=1), "not a valid date"),
        (call("date_diff", start="yesterday", end="2024-01-01"), "not an ISO date"),
        (call("convert_units", value=1, from_unit="m", to_unit="kg"), "cannot convert"),
        (call("convert_units", value="1", from_unit="m", to_unit="km"), "must be number"),
        (call("lookup", topic="Atlantis"), "no entry for 'Atlantis'"),
        (call("date_add", date="2024-01-01", days=1.5), "must be integer"),
    ]:
        obs, _, term, _, info = env.step(action)
        assert message in obs and info["valid"] is False and not term, (action, obs)


def test_tool_not_offered_by_the_task(env: Any) -> None:
    task_id = _find(env, "train", lambda t: "lookup" not in t.data["tools"])
    env.reset(options={"task_id": task_id})
    obs, *_, info = env.step(call("lookup", topic="Kenya"))
    assert "unknown tool 'lookup'; this task offers" in obs and info["valid"] is False


def test_mixed_turn_runs_the_good_calls(env: Any) -> None:
    env.reset(options={"task_id": "tools-train-00003"})
    good = call("sql_query", query="SELECT price FROM products WHERE name = 'Lawn Chair'")
    obs, *_, info = env.step(good + "\n<tool_call>{oops}</tool_call>")
    lines = obs.split("\n")
    assert len(lines) == 2 and "184.83" in lines[0] and "not valid JSON" in lines[1]
    assert info["valid"] is False and info["milestones"] == ["0:sql_query"]
    assert info["reward_components"] == {"format": 0.0, "correct": -3.0}


def test_huge_and_odd_actions_are_handled(env: Any) -> None:
    env.reset(options={"task_id": "tools-train-00003"})
    for action in ["x" * 100_000, "[" * 50_000, "<tool_call>" + "[" * 50_000 + "</tool_call>",
                   call("lookup", topic="y" * 10_000), "\x00\x01", "", "你好"]:
        obs, *_, info = env.step(action)
        assert info["valid"] is False and len(obs) < 1000


def test_step_after_the_answer_and_before_reset() -> None:
    env = ToolUseEnv()
    with pytest.raises(RuntimeError, match="reset"):
        env.step("hello")
    env.reset(options={"task_id": "tools-valid-00000"})
    env.step(answer("whatever"))
    obs, reward, term, _, info = env.step(answer("again"))
    assert term and reward == 0.0 and info["valid"] is False and "over" in obs
    env.close()
    env.close()


def test_reset_without_task_id_is_seeded() -> None:
    a = ToolUseEnv(split="valid")
    b = ToolUseEnv(split="valid")
    ids_a = [a.reset(seed=s)[1]["task_id"] for s in range(5)]
    assert ids_a == [b.reset(seed=s)[1]["task_id"] for s in range(5)]
    assert all(i.startswith("tools-valid-") for i in ids_a) and len(set(ids_a)) > 1
    with pytest.raises(UserError, match="unknown task id"):
        a.reset(options={"task_id": "tools-train-99999"})


def test_show_tools_lists_the_protocol() -> None:
    env = ToolUseEnv(show_tools=True)
    obs, _info = env.reset(options={"task_id": "tools-train-00003"})
    assert obs.startswith("What do 8 units of the Lawn Chair cost")
    assert "- sql_query(query):" in obs and "<tool_call>" in obs


def test_env_can_be_stepped_and_closed_from_other_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    env = make(ENV_ID)
    _, info = env.reset(options={"task_id": "tools-train-00003"})  # an SQL task
    with ThreadPoolExecutor(max_workers=2) as pool:
        while True:
            out = pool.submit(env.step, info["expert_action"]).result()
            info = out[4]
            if out[2]:
                break
        assert info["success"]
        pool.submit(env.close).result()
    env.close()


@pytest.mark.slow
def test_expert_solves_every_task_with_max_reward() -> None:
    env = make(ENV_ID)
    for split in ("train", "valid", "test"):
        for task in env.tasks(split):
            _, info = env.reset(options={"task_id": task.task_id})
            while True:
                _, reward, term, trunc, info = env.step(info["expert_action"])
                comps = info["reward_components"]
                assert comps["format"] + comps["correct"] == 4.0, task.task_id
                if term or trunc:
                    break
            assert term and info["success"] and reward == 1.0, task.task_id


def test_tool_schemas_render_in_a_chat_template(env: Any, tiny_tokenizer: Any) -> None:
    from agentrl.policies.hf import chat_ids

    obs, info = env.reset(options={"task_id": "tools-train-00003"})
    messages = [{"role": "user", "content": obs}]
    with_tools = chat_ids(tiny_tokenizer, messages, info["tools"])
    assert len(with_tools) > len(chat_ids(tiny_tokenizer, messages))
    text = tiny_tokenizer.decode(with_tools)
    for schema in info["tools"]:
        assert f'"name": "{schema["function"]["name"]}"' in text
