"""Prompt builder: window prompts, chat mode token-in/token-out, and the token-exact check."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest

from agentrl.errors import UserError
from agentrl.policies import PolicyInput, SamplingParams
from agentrl.policies.hf import HFPolicy, chat_ids
from agentrl.prompting import PromptBuilder, TokenMismatchError


def test_window_prompt_keeps_task_and_last_k_steps() -> None:
    builder = PromptBuilder(history_window=2)
    conv = builder.start("find the number")
    for t in range(4):
        builder.record(conv, f"obs {t}", f"act {t}")
    messages, ids = builder.render(conv, "obs 4", {"admissible_actions": ["left", "right"]})
    assert ids is None
    user = messages[1]["content"]
    assert user == ("Task: find the number\nYour last 2 step(s):\n"
                    "Observation: obs 2\nAction: act 2\nObservation: obs 3\nAction: act 3\n"
                    "Observation: obs 4\nAdmissible actions: left, right\nAction:")
    assert messages[0]["role"] == "system"


def test_templates_come_from_config_and_errors_are_one_line() -> None:
    builder = PromptBuilder(system="S", user="{{ observation }}|{{ step }}", history_window=0)
    conv = builder.start("t")
    assert builder.render(conv, "o", {})[0] == [{"role": "system", "content": "S"},
                                                {"role": "user", "content": "o|0"}]
    with pytest.raises(UserError, match="unknown variable"):
        PromptBuilder(user="{{ nope }}").render(conv, "o", {})
    with pytest.raises(UserError, match="syntax error at line 1"):
        PromptBuilder(user="{% if %}")


def _chat_episode(builder: PromptBuilder, policy: HFPolicy, steps: int) -> list[list[int]]:
    conv = builder.start("guess the number")
    consumed = []
    for t in range(steps):
        messages, ids = builder.render(conv, f"observation {t}", {})
        gen = policy.act([PolicyInput(messages=messages, prompt_ids=ids)],
                         SamplingParams(max_new_tokens=6, seed=t))[0]
        consumed.append(gen.prompt_ids)
        builder.record(conv, f"observation {t}", gen.text, gen.prompt_ids, gen.response_ids)
    return consumed


def test_chat_mode_is_token_in_token_out(tiny_model: Any, tiny_tokenizer: Any) -> None:
    policy = HFPolicy(tiny_model, tiny_tokenizer, device="cpu")
    builder = PromptBuilder(mode="chat", tokenizer=tiny_tokenizer)
    consumed = _chat_episode(builder, policy, 4)
    # each prompt extends the previous prompt + the exact generated ids
    for prev, nxt in itertools.pairwise(consumed):
        assert nxt[: len(prev)] == prev
        assert len(nxt) > len(prev)


def test_token_exact_check_catches_a_template_that_is_not_append_only(
        tiny_model: Any, tiny_tokenizer: Any) -> None:
    tok = copy.deepcopy(tiny_tokenizer)
    # rewrites history: earlier assistant turns are dropped once a new user turn arrives
    tok.chat_template = (
        "{% for m in messages %}{% if m['role'] != 'assistant' or loop.last %}"
        "{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}"
        "{% endif %}{% endfor %}{% if add_generation_prompt %}"
        "{{ '<|im_start|>assistant\\n' }}{% endif %}")
    policy = HFPolicy(tiny_model, tok, device="cpu")
    builder = PromptBuilder(mode="chat", tokenizer=tok)
    with pytest.raises(TokenMismatchError, match=r"token-exact check failed at token \d+"):
        _chat_episode(builder, policy, 3)


def test_check_reports_the_first_differing_position(tiny_tokenizer: Any) -> None:
    builder = PromptBuilder(tokenizer=tiny_tokenizer)
    rendered = chat_ids(tiny_tokenizer, [{"role": "user", "content": "guess 32"}])
    builder.check(rendered, rendered)
    other = chat_ids(tiny_tokenizer, [{"role": "user", "content": "guess 48"}])
    first = next(i for i, (a, b) in enumerate(zip(rendered, other, strict=False)) if a != b)
    with pytest.raises(TokenMismatchError, match=f"at token {first}:"):
        builder.check(other, rendered)


def test_task_from_observation_keeps_the_first_observation_in_every_prompt() -> None:
    room = "A room with a cabinet 1 and a fridge 1.\n\nYour task is to: cool an egg."
    builder = PromptBuilder(history_window=1, task_from="observation")
    conv = builder.start("cool an egg.", room)
    first = builder.render(conv, room, {})[0][1]["content"]
    assert first.count("A room with a cabinet 1") == 1  # not repeated as task and observation
    assert first == f"Observation: {room}\nAction:"
    for t in range(3):
        builder.record(conv, f"obs {t}" if t else room, f"act {t}")
    user = builder.render(conv, "obs 3", {})[0][1]["content"]
    assert user.startswith(f"Task: {room}\nYour last 1 step(s):\nObservation: obs 2\n")
    # the default keeps the instruction, and falls back to the observation without one
    assert PromptBuilder().start("cool an egg.", room).task == "cool an egg."
    assert PromptBuilder().start(None, room).task == room
    with pytest.raises(UserError, match="task_from 'room' is unknown"):
        PromptBuilder(task_from="room")
