"""The batched multi-turn rollout over real environments and a real tiny model."""

from __future__ import annotations

import time
from typing import Any

import pytest

import agentrl
from agentrl.policies import SamplingParams, make_policy
from agentrl.policies.hf import HFPolicy
from agentrl.prompting import PromptBuilder
from agentrl.rollout import RolloutEngine, project_action
from agentrl.types import Episode, read_episodes, write_episodes
from tests.envs.toy_envs import Walk

GUESS = "example/GuessNumber-v0"


class ExplodingWalk(Walk):
    """Raises on its third step for odd task indices."""

    def step(self, action: str) -> Any:
        index = int(self.task_id.split("-")[1])
        if index % 2 and getattr(self, "_n", 0) >= 2:
            raise RuntimeError("simulated environment crash")
        self._n = getattr(self, "_n", 0) + 1
        return super().step(action)

    def reset(self, **kwargs: Any) -> Any:
        self._n = 0
        return super().reset(**kwargs)


class HangingWalk(Walk):
    def step(self, action: str) -> Any:
        if self.task_id == "walk-1":
            time.sleep(1.0)
        return super().step(action)


def _engine(env_factory: Any, policy: Any, **kwargs: Any) -> RolloutEngine:
    builder = kwargs.pop("builder", PromptBuilder())
    return RolloutEngine(env_factory, policy, builder, env_id=kwargs.pop("env_id", "test"),
                         **kwargs)


def test_expert_groups_share_task_and_seed_and_succeed() -> None:
    tasks = agentrl.make(GUESS).tasks("test")[:3]
    with _engine(lambda: agentrl.make(GUESS), make_policy("expert"), env_id=GUESS,
                 group_size=4) as engine:
        episodes = engine.run(tasks, seeds=[5, 6, 7], batch_id="b")
    assert len(episodes) == 12
    groups: dict[str, list[Episode]] = {}
    for ep in episodes:
        groups.setdefault(ep.group_id, []).append(ep)
    assert sorted(groups) == ["b-g0", "b-g1", "b-g2"]
    for members in groups.values():
        assert len({(e.task_id, e.seed) for e in members}) == 1
        assert len({tuple(s.action for s in e.steps) for e in members}) == 1  # deterministic
    assert all(e.success and e.terminated and not e.truncated for e in episodes)
    assert all(e.outcome == 1.0 and e.metrics["return"] == 1.0 for e in episodes)
    first = episodes[0].steps[0]
    assert first.state_key == "lo=1 hi=64 done=False"  # the state the agent acted from
    assert first.info["expert_action"] == first.action


def test_tiny_model_rollout_records_exact_tokens(tiny_model: Any, tiny_tokenizer: Any,
                                                 tmp_path: Any) -> None:
    policy = HFPolicy(tiny_model, tiny_tokenizer, device="cpu")
    builder = PromptBuilder(tokenizer=tiny_tokenizer, history_window=1, show_admissible=False)
    tasks = agentrl.make(GUESS, max_turns=4).tasks("train")[:2]
    with _engine(lambda: agentrl.make(GUESS, max_turns=4), policy, builder=builder,
                 env_id=GUESS, group_size=2,
                 sampling=SamplingParams(max_new_tokens=6, seed=0)) as engine:
        episodes = engine.run(tasks)
    assert [e.num_steps for e in episodes] == [4, 4, 4, 4]  # random model: truncated
    assert all(e.truncated and not e.terminated for e in episodes)
    for ep in episodes:
        for step in ep.steps:
            ids = [t for t in step.response_ids if t not in policy.eos_ids]
            assert tiny_tokenizer.decode(ids, skip_special_tokens=True) == step.action
            assert len(step.logprobs) == len(step.response_ids) == len(step.extra["entropies"])
            assert step.valid is False  # gibberish is not a guess
    # the records survive a JSONL round trip exactly
    write_episodes(tmp_path / "eps.jsonl", episodes)
    assert list(read_episodes(tmp_path / "eps.jsonl")) == episodes


def test_finished_episodes_stop_generating() -> None:
    calls: list[int] = []
    expert = make_policy("expert")

    class Counting:
        name = "counting"

        def act(self, inputs: Any, sampling: Any) -> Any:
            calls.append(len(inputs))
            return expert.act(inputs, sampling)

    agentrl.register(id="test/Walk-v0", entry_point="tests.envs.toy_envs:Walk", max_turns=8)
    tasks = agentrl.make("test/Walk-v0").tasks("train")[:4]
    with _engine(lambda: agentrl.make("test/Walk-v0"), Counting()) as engine:
        episodes = engine.run(tasks)
    lengths = sorted(e.num_steps for e in episodes)
    # one batched call per turn, over the episodes still running only
    assert calls == [sum(n > t for n in lengths) for t in range(max(lengths))]
    assert sum(calls) == sum(lengths)


def test_environment_crash_and_hang_end_only_their_episode() -> None:
    tasks = Walk(num_tasks=4).tasks("train")
    with _engine(ExplodingWalk, make_policy("random", seed=1), max_turns=6) as engine:
        episodes = engine.run(tasks)
    crashed = [e for e in episodes if e.error]
    assert {e.task_id for e in crashed} == {"walk-1", "walk-3"}
    for ep in crashed:
        assert ep.error.startswith("step 2 raised: RuntimeError: simulated environment crash")
        assert ep.num_steps == 2 and ep.metrics["error"] == 1.0 and not ep.success
    assert all(e.error is None and e.num_steps >= 1 for e in episodes if e not in crashed)

    with _engine(HangingWalk, make_policy("expert"), step_timeout_s=0.2) as engine:
        episodes = engine.run(Walk(num_tasks=3).tasks("train"))
    hung = [e for e in episodes if e.error]
    assert [e.task_id for e in hung] == ["walk-1"]
    assert "timed out" in hung[0].error
    assert sum(e.success for e in episodes) == 2


def test_action_projection_maps_onto_admissible_actions() -> None:
    assert project_action("go to the desk 1", ["go to desk 1", "go to bed 1", "look"]) == \
        "go to desk 1"

    class Typo:
        name = "typo"

        def act(self, inputs: Any, sampling: Any) -> Any:
            from agentrl.policies import Generation

            return [Generation(text=item.info["expert_action"].upper() + "!") for item in inputs]

    tasks = Walk(num_tasks=2).tasks("train")
    with _engine(lambda: Walk(num_tasks=2), Typo(), projection=True, max_turns=8) as engine:
        episodes = engine.run(tasks)
    assert all(e.success for e in episodes)
    step = episodes[0].steps[0]
    assert step.extra["projected"] is True and step.extra["raw_action"] == "RIGHT!"
    assert step.action == "right" and episodes[0].metrics["projected_rate"] == 1.0


def test_action_pattern_parses_the_action_out_of_a_formatted_reply() -> None:
    """With ``prompt.action_pattern`` the environment gets the action inside the format; the
    step records it and keeps the whole reply; a reply outside the format goes as it is."""

    class Thinker:
        name = "thinker"

        def act(self, inputs: Any, sampling: Any) -> Any:
            from agentrl.policies import Generation

            self.calls = getattr(self, "calls", 0) + 1
            out = []
            for item in inputs:
                action = item.info["expert_action"]
                out.append(Generation(text=f"<think>{action} it is</think> {action}"
                                      if self.calls % 2 else action))
            return out

    builder = PromptBuilder(action_pattern=r"(?:<think>.*?</think>)?\s*(.*)")
    tasks = Walk(num_tasks=2).tasks("train")
    with _engine(lambda: Walk(num_tasks=2), Thinker(), builder=builder, max_turns=8) as engine:
        episodes = engine.run(tasks)
    assert all(e.success for e in episodes)
    steps = [s for e in episodes for s in e.steps]
    formatted = [s for s in steps if "raw_action" in s.extra]
    assert formatted and all(s.action == "right" and not s.extra.get("projected")
                             and s.extra["raw_action"] == "<think>right it is</think> right"
                             for s in formatted)
    assert len(formatted) < len(steps)  # the plain replies went through unchanged
    assert builder.parse_action("no format here") == "no format here"
    strict = PromptBuilder(action_pattern=r"<action>(.*?)</action>")
    assert strict.parse_action("hmm <action> go north </action> ok") == "go north"
    assert strict.parse_action("go north") == "go north"  # the environment judges it


def test_action_pattern_errors_are_one_line() -> None:
    from agentrl.config import load_config
    from agentrl.errors import UserError

    for bad, why in (("(unclosed", "not a regular expression"),
                     ("<action>.*</action>", "needs a group")):
        with pytest.raises(UserError, match=why):
            PromptBuilder(action_pattern=bad)
        with pytest.raises(UserError, match=f"action_pattern.*{why}") as err:
            load_config("configs/quickstart.yaml", [f"prompt.action_pattern={bad}"])
        assert "\n" not in str(err.value)


def test_projection_pruning_picks_what_comparing_every_candidate_picks() -> None:
    """On household states, model-like actions (admissible ones with a word swapped, cut short
    or reversed) project onto exactly the action a full comparison of every candidate picks."""
    from benchmarks.rollout import full_projection, projection_cases

    cases = projection_cases(n_tasks=6, per_state=25)
    assert len(cases) >= 600
    for action, admissible in cases:
        assert project_action(action, admissible) == full_projection(action, admissible), action


def test_projection_can_keep_the_objects_the_model_named() -> None:
    here = ["take kettle 1 from sinkbasin 1", "take bowl 2 from sinkbasin 1", "go to fridge 1"]
    assert project_action("take bowl 1 from sinkbasin 1", here, keep_names=True) == \
        "take bowl 2 from sinkbasin 1"  # same kind of object, another number: still projected
    no_bowl = [a for a in here if "bowl" not in a]
    assert project_action("take bowl 1 from sinkbasin 1", no_bowl) == \
        "take kettle 1 from sinkbasin 1"
    assert project_action("take bowl 1 from sinkbasin 1", no_bowl, keep_names=True) == \
        "take bowl 1 from sinkbasin 1"
    assert project_action("go to the fridge", no_bowl, keep_names=True) == "go to fridge 1"

    class AsksForAUnicorn:
        name = "unicorn"

        def act(self, inputs: Any, sampling: Any) -> Any:
            from agentrl.policies import Generation

            return [Generation(text="take unicorn 1 from countertop 1") for _ in inputs]

    env_id = "agentrl/Household-v0"
    tasks = agentrl.make(env_id).tasks("test")[:2]
    steps = {}
    for keep in (False, True):
        with _engine(lambda: agentrl.make(env_id), AsksForAUnicorn(), env_id=env_id,
                     projection=True, projection_keep_names=keep, max_turns=3) as engine:
            steps[keep] = [s for e in engine.run(tasks) for s in e.steps]
    assert len(steps[True]) == 6 and all(s.extra["projected"] for s in steps[False])
    assert not any(s.extra.get("projected") for s in steps[True])
    assert all(s.action == "take unicorn 1 from countertop 1" and not s.valid
               for s in steps[True])


def test_templates_in_admissible_actions_are_not_projected() -> None:
    from agentrl.rollout import is_admissible

    admissible = ["search[<query>]", "click[item 1]"]
    assert is_admissible("search[red shoes]", admissible)
    assert is_admissible("click[item 1]", admissible)
    assert not is_admissible("search[]", admissible)
    assert not is_admissible("buy now", admissible)


def test_tiny_model_plays_household_and_tool_environments(tiny_model: Any,
                                                         tiny_tokenizer: Any) -> None:
    """The full loop with a real model on two built-in environments (a random model: the
    point is the plumbing: prompts with tool schemas, batching, records)."""
    policy = HFPolicy(tiny_model, tiny_tokenizer, device="cpu")
    for env_id, projection in (("agentrl/Household-v0", True), ("agentrl/ToolUse-v0", False)):
        builder = PromptBuilder(tokenizer=tiny_tokenizer, history_window=1)
        tasks = agentrl.make(env_id).tasks("test")[:2]
        with _engine(lambda env_id=env_id: agentrl.make(env_id, max_turns=2), policy,
                     builder=builder, env_id=env_id, group_size=2, projection=projection,
                     sampling=SamplingParams(max_new_tokens=8, seed=0)) as engine:
            episodes = engine.run(tasks, seeds=[0, 1])
        assert len(episodes) == 4 and all(e.num_steps == 2 for e in episodes), env_id
        assert all(e.error is None for e in episodes)
        for ep in episodes:
            for step in ep.steps:
                assert step.prompt_ids and step.response_ids and step.logprobs
        if env_id == "agentrl/ToolUse-v0":
            # the task's tool schemas reach the chat template in every step's prompt
            text = tiny_tokenizer.decode(episodes[0].steps[1].prompt_ids)
            assert "Tools:" in text and '"name": "final_answer"' in text
            assert all(not s.valid for e in episodes for s in e.steps)  # gibberish, no calls
        else:
            assert all(s.extra.get("projected") for e in episodes for s in e.steps)


def test_random_policy_draws_fresh_actions_each_turn() -> None:
    from agentrl.policies import PolicyInput

    policy = make_policy("random", seed=0)
    item = [PolicyInput(messages=[], info={"admissible_actions": [str(i) for i in range(100)]})]
    params = SamplingParams(seed=5)
    draws = [policy.act(item, params)[0].text for _ in range(10)]
    assert len(set(draws)) > 5  # not the same draw every turn
    again = make_policy("random", seed=0)
    assert [again.act(item, params)[0].text for _ in range(10)] == draws  # but reproducible


def test_constrained_rollout_refuses_a_policy_that_ignores_choices() -> None:
    from agentrl.errors import UserError
    from agentrl.policies.openai_compat import OpenAIPolicy

    class Served(OpenAIPolicy):
        def __init__(self) -> None:  # no client: the refusal comes before any request
            pass

    with pytest.raises(UserError, match="policy openai cannot constrain decoding"):
        RolloutEngine(lambda: Walk(), Served(), PromptBuilder(), env_id="test/Walk-v0",
                      constrain=True)
    # scripted policies act admissibly anyway: accepted
    with RolloutEngine(lambda: Walk(), make_policy("expert"), PromptBuilder(),
                       env_id="test/Walk-v0", constrain=True) as engine:
        episodes = engine.run(Walk().tasks("train")[:2])
    assert all(e.success for e in episodes)


def test_vary_hidden_gives_each_episode_of_a_group_its_own_seed() -> None:
    """rollout.vary_hidden: same task, seeds seed + k and options['vary_hidden'], so the
    household's objects lie elsewhere in each episode while the group stays one task."""
    env_id = "agentrl/Household-v0"
    factory = lambda: agentrl.make(env_id, expert_mode="search")  # noqa: E731
    tasks = factory().tasks("train")[:2]
    with _engine(factory, make_policy("expert"), env_id=env_id, group_size=4,
                 vary_hidden=True) as engine:
        episodes = engine.run(tasks, seeds=[10, 50], batch_id="v")
    assert [e.seed for e in episodes] == [10, 11, 12, 13, 50, 51, 52, 53]
    assert [e.group_id for e in episodes] == ["v-g0"] * 4 + ["v-g1"] * 4
    assert all(e.success for e in episodes)
    for g in range(2):
        group = episodes[4 * g:4 * g + 4]
        assert len({e.task_id for e in group}) == 1
        assert len({e.steps[0].state_key for e in group}) == 1  # one observed start
        assert len({tuple(s.action for s in e.steps) for e in group}) >= 2  # searched apart
    with _engine(factory, make_policy("expert"), env_id=env_id, group_size=4) as engine:
        shared = engine.run(tasks, seeds=[10, 50], batch_id="s")
    assert [e.seed for e in shared] == [10] * 4 + [50] * 4
    assert len({tuple(s.action for s in e.steps) for e in shared[:4]}) == 1
