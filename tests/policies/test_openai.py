"""The openai policy against a real local OpenAI-compatible server serving the tiny model."""

from __future__ import annotations

from typing import Any

import pytest

import agentrl
from agentrl.errors import UserError
from agentrl.policies import PolicyInput, SamplingParams, make_policy
from agentrl.policies.hf import HFPolicy
from agentrl.prompting import PromptBuilder
from agentrl.rollout import RolloutEngine
from agentrl.serve import ChatServer


@pytest.fixture(scope="module")
def server(tiny_model: Any, tiny_tokenizer: Any) -> Any:
    with ChatServer(HFPolicy(tiny_model, tiny_tokenizer, device="cpu"), "tiny",
                    api_key="sekret") as srv:
        yield srv


def _messages() -> list[dict[str, str]]:
    return [{"role": "system", "content": "Play."}, {"role": "user", "content": "guess 32"}]


def test_openai_policy_matches_local_generation(server: Any, tiny_model: Any,
                                                tiny_tokenizer: Any) -> None:
    remote = make_policy(f"openai:tiny@{server.url}", api_key="sekret")
    greedy = SamplingParams(temperature=0.0, max_new_tokens=8)
    got = remote.act([PolicyInput(messages=_messages())] * 2, greedy)
    want = HFPolicy(tiny_model, tiny_tokenizer, device="cpu").act(
        [PolicyInput(messages=_messages())], greedy)[0]
    for gen in got:
        assert gen.text == want.text
        assert gen.response_ids == want.response_ids and gen.prompt_ids == want.prompt_ids
        assert gen.logprobs == pytest.approx(want.logprobs, abs=1e-4)


def test_openai_rollout_with_token_check(server: Any, tiny_tokenizer: Any) -> None:
    remote = make_policy(f"openai:tiny@{server.url}", api_key="sekret")
    builder = PromptBuilder(tokenizer=tiny_tokenizer, show_admissible=False)
    env_id = "example/GuessNumber-v0"
    with RolloutEngine(lambda: agentrl.make(env_id, max_turns=2), remote, builder,
                       env_id=env_id, group_size=2,
                       sampling=SamplingParams(max_new_tokens=5, seed=1)) as engine:
        episodes = engine.run(agentrl.make(env_id).tasks("test")[:1])
    assert [e.num_steps for e in episodes] == [2, 2]
    assert all(s.response_ids and s.logprobs for e in episodes for s in e.steps)


def test_auth_unreachable_and_unknown_model_are_one_line_errors(server: Any) -> None:
    item = [PolicyInput(messages=_messages())]
    params = SamplingParams(max_new_tokens=2)
    with pytest.raises(UserError, match="rejected the API key"):
        make_policy(f"openai:tiny@{server.url}", api_key="wrong").act(item, params)
    with pytest.raises(UserError, match="model 'other' not found"):
        make_policy(f"openai:other@{server.url}", api_key="sekret").act(item, params)
    with pytest.raises(UserError, match=r"cannot reach http://127\.0\.0\.1:9/v1"):
        make_policy("openai:tiny@http://127.0.0.1:9/v1", max_retries=0).act(item, params)
    with pytest.raises(UserError, match="needs MODEL@URL"):
        make_policy("openai:tiny")
