"""The checker passes a correct environment and fails each broken one on the right check."""

from __future__ import annotations

import pytest

import agentrl
from agentrl.envs import TurnLimit, check_env, make
from tests.envs import toy_envs

MOD = "tests.envs.toy_envs"


def _register(name: str, max_turns: int | None = 8) -> str:
    env_id = f"test/{name}-v0"
    agentrl.register(id=env_id, entry_point=f"{MOD}:{name}", max_turns=max_turns)
    return env_id


def test_correct_env_passes_every_check() -> None:
    report = check_env(_register("Walk"))
    assert report.passed, report.lines()
    assert [r.name for r in report.results] == [
        "api", "tasks", "determinism", "malformed_actions", "truncation", "random_agent",
        "expert", "close"]
    assert report["expert"].detail == "expert solved 9/9 sampled tasks"
    assert report["tasks"].detail == "train: 20, valid: 20, test: 20"
    assert report["truncation"].detail == "truncated at max_turns=8"
    assert "200 actions" in report["malformed_actions"].detail


def test_checker_accepts_an_instance() -> None:
    report = check_env(TurnLimit(toy_envs.Walk(), 5), n_random=50)
    assert report.passed, report.lines()
    assert "one instance" in report["determinism"].detail
    # an environment that has a max_turns attribute but does not enforce it is caught
    unlimited = toy_envs.Walk()
    unlimited.max_turns = 5
    assert [r.name for r in check_env(unlimited, n_random=50).failures][:1] == ["truncation"]


@pytest.mark.parametrize(("name", "failing", "needle"), [
    ("NonDeterministic", "determinism", "differs between two runs"),
    ("CrashesOnGarbage", "malformed_actions", "raised JSONDecodeError"),
    ("AcceptsEverything", "malformed_actions", "reported valid"),
    ("BadTypes", "api", "reward must be a finite number"),
    ("OverlappingSplits", "tasks", "in both 'train' and 'valid'"),
    ("WrongExpert", "expert", "the expert failed 9/9 tasks"),
    ("CloseTwiceRaises", "close", "already closed"),
    ("BadInfo", "api", "info['score']"),
])
def test_broken_env_fails_the_named_check(name: str, failing: str, needle: str) -> None:
    report = check_env(_register(name))
    assert not report.passed
    failed = {r.name for r in report.failures}
    assert failing in failed, report.lines()
    assert needle in report[failing].detail, report[failing].detail


def test_missing_turn_limit_fails_truncation() -> None:
    report = check_env(_register("NoTurnLimit", max_turns=None))
    assert [r.name for r in report.failures] == ["truncation"]
    assert "no turn limit" in report["truncation"].detail


def test_make_applies_turn_limit_and_forwards_api() -> None:
    env = make(_register("Walk", max_turns=3))
    assert env.max_turns == 3
    assert len(env.tasks("test")) == 20
    env.reset(seed=0, options={"task_id": "walk-200"})
    flags = [env.step("nonsense")[3] for _ in range(3)]
    assert flags == [False, False, True]
    override = make("test/Walk-v0", max_turns=5, num_tasks=7)
    assert override.max_turns == 5 and len(override.tasks("train")) == 7
