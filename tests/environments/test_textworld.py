"""Tests of ``agentrl/TextWorld-v0`` on real TextWorld games.

Games are generated with ``tw-make`` once into the pytest cache (``.pytest_cache``), so only the
first run pays for generation (about 5 s per game on one core); later runs reuse them.
"""

from __future__ import annotations

import random
import shutil
import sys
from pathlib import Path

import pytest

from agentrl.environments.textworld.games import (
    ChallengeSpec,
    GameFileError,
    discover_games,
    verify_story_file,
)
from agentrl.environments.textworld.parsing import clean_feedback, parse_command
from agentrl.envs import check_env, make
from agentrl.errors import MissingDependencyError, UserError

ENV_ID = "agentrl/TextWorld-v0"
# Small games: fast to generate, walkthroughs of 3-6 commands, few admissible commands.
SMALL = {"challenges": ["tw-coin_collector:level=10", "tw-treasure_hunter:level=10"],
         "n_train": 2, "n_valid": 1, "n_test": 1, "progress": False}
SIMPLE = {"challenges": ["tw-simple:rewards=dense,goal=detailed"], "n_train": 1, "n_valid": 0,
          "n_test": 0, "progress": False}


@pytest.fixture(scope="session")
def cache_dir(request: pytest.FixtureRequest) -> Path:
    """Generated games shared by all tests (and kept across sessions in the pytest cache)."""
    path = Path(request.config.cache.mkdir("agentrl-textworld-games"))
    make(ENV_ID, cache_dir=str(path), **SMALL).close()
    make(ENV_ID, cache_dir=str(path), **SIMPLE).close()
    return path


@pytest.fixture
def env(cache_dir: Path):
    env = make(ENV_ID, cache_dir=str(cache_dir), **SMALL)
    yield env
    env.close()


@pytest.fixture
def simple_env(cache_dir: Path):
    env = make(ENV_ID, cache_dir=str(cache_dir), **SIMPLE)
    yield env
    env.close()


def play(env, task_id: str, choose, seed: int = 0, max_steps: int = 100):
    """Play one episode; returns (steps, final info, total reward, observations)."""
    obs, info = env.reset(seed=seed, options={"task_id": task_id})
    total, observations = 0.0, [obs]
    for t in range(max_steps):
        obs, reward, term, trunc, info = env.step(choose(info))
        total += reward
        observations.append(obs)
        if term or trunc:
            return t + 1, info, total, observations
    raise AssertionError(f"{task_id}: episode did not end in {max_steps} steps")


def expert(info: dict) -> str:
    return info["expert_action"]


# ------------------------------------------------------------------------------ contract


def test_check_env_passes(cache_dir: Path) -> None:
    report = check_env(ENV_ID, make_kwargs={"cache_dir": str(cache_dir), **SMALL})
    assert report.passed, "\n".join(report.lines())
    assert report["expert"].detail == "expert solved 7/7 sampled tasks"
    assert report["truncation"].detail == "truncated at max_turns=50"


def test_registered_with_turn_limit(env) -> None:
    assert env.max_turns == 50
    assert env.unwrapped.spec_id == ENV_ID


def test_splits_are_disjoint_and_seeded(env, cache_dir: Path) -> None:
    ids = {split: [t.task_id for t in env.tasks(split)] for split in ("train", "valid", "test")}
    assert [len(ids[s]) for s in ("train", "valid", "test")] == [4, 2, 2]
    assert not set(ids["train"]) & set(ids["valid"])
    assert not set(ids["train"]) & set(ids["test"])
    assert not set(ids["valid"]) & set(ids["test"])
    assert ids["train"] == [
        "tw-coin_collector:level=10/train-0", "tw-coin_collector:level=10/train-1",
        "tw-treasure_hunter:level=10/train-0", "tw-treasure_hunter:level=10/train-1"]
    assert ids["test"] == ["tw-coin_collector:level=10/test-200000",
                           "tw-treasure_hunter:level=10/test-200000"]
    task = env.tasks("valid")[0]
    assert task.task_type == "tw-coin_collector:level=10"
    assert task.instruction  # the game's objective text
    assert Path(task.data["game_file"]).parent == cache_dir / "tw-coin_collector__level-10"
    # Different seeds give different games: the story files differ.
    files = [Path(t.data["game_file"]).read_bytes() for t in env.tasks("train")[:2]]
    assert files[0] != files[1]


def test_cache_is_reused(cache_dir: Path) -> None:
    story = cache_dir / "tw-coin_collector__level-10" / "train-0.z8"
    before = story.stat().st_mtime_ns
    env = make(ENV_ID, cache_dir=str(cache_dir), **SMALL)
    env.close()
    assert story.stat().st_mtime_ns == before


def test_generation_is_deterministic_per_seed(cache_dir: Path, tmp_path: Path) -> None:
    make(ENV_ID, cache_dir=str(tmp_path), challenges=["tw-treasure_hunter:level=10"], n_train=1,
         n_valid=0, n_test=0, progress=False).close()
    fresh = tmp_path / "tw-treasure_hunter__level-10" / "train-0.z8"
    cached = cache_dir / "tw-treasure_hunter__level-10" / "train-0.z8"
    assert fresh.read_bytes() == cached.read_bytes()


# ------------------------------------------------------------------------------ playing


def test_expert_solves_every_task_and_random_solves_few(env) -> None:
    tasks = [t.task_id for s in ("train", "valid", "test") for t in env.tasks(s)]
    expert_wins = [play(env, t, expert)[1]["success"] for t in tasks]
    assert sum(expert_wins) == len(tasks) == 8
    rng = random.Random(0)
    random_wins = 0
    for i in range(16):
        _steps, info, _, _ = play(env, tasks[i % len(tasks)], lambda inf: rng.choice(
            inf["admissible_actions"]), max_steps=env.max_turns)
        random_wins += info["success"]
    assert random_wins < 16 // 2


def test_dense_rewards_and_milestones(simple_env) -> None:
    task = simple_env.tasks("train")[0].task_id
    steps, info, total, _ = play(simple_env, task, expert)
    assert info["success"] is True and info["won"] is True
    assert info["score"] == 1.0
    assert total == pytest.approx(1.0)
    n = info["max_score"]
    assert n >= 5 and info["milestones_total"] == n
    assert len(info["milestones"]) == n
    assert info["milestones"][0].startswith(f"score 1/{n}: ")
    assert n <= steps <= n + 3  # most walkthrough commands score a point in dense games


def test_reward_per_step_is_score_increment(simple_env) -> None:
    task = simple_env.tasks("train")[0].task_id
    _obs, info = simple_env.reset(seed=0, options={"task_id": task})
    n = info["max_score"]
    while True:
        before = info["game_score"]
        _obs, reward, term, _trunc, info = simple_env.step(info["expert_action"])
        assert reward == pytest.approx((info["game_score"] - before) / n)
        assert info["reward_components"] == {"progress": reward}
        if term:
            break


def test_sparse_reward(cache_dir: Path) -> None:
    env = make(ENV_ID, cache_dir=str(cache_dir), reward="sparse", **SIMPLE)
    rewards = []
    _obs, info = env.reset(seed=0, options={"task_id": env.tasks("train")[0].task_id})
    term = False
    while not term:
        _obs, reward, term, _, info = env.step(info["expert_action"])
        rewards.append(reward)
    assert rewards[-1] == 1.0 and sum(rewards) == 1.0
    env.close()


def test_expert_replans_after_detour(simple_env) -> None:
    task = simple_env.tasks("train")[0].task_id
    _obs, info = simple_env.reset(seed=0, options={"task_id": task})
    plan = info["expert_action"]
    # Follow the plan for two steps, then undo progress by wandering and dropping things.
    for _ in range(2):
        _obs, _, _, _, info = simple_env.step(info["expert_action"])
    rng = random.Random(1)
    for _ in range(6):
        detours = [a for a in info["admissible_actions"]
                   if a.startswith(("drop", "close", "go", "examine"))]
        _obs, _, term, _, info = simple_env.step(rng.choice(detours))
        assert not term
    assert info["expert_action"] in info["admissible_actions"]
    steps = 0
    while True:
        _obs, _, term, _trunc, info = simple_env.step(info["expert_action"])
        steps += 1
        if term:
            break
        assert steps < 40
    assert info["success"] is True
    assert plan  # the walkthrough existed at reset


def test_same_seed_same_episode_on_fresh_instances(cache_dir: Path) -> None:
    traces = []
    for _ in range(2):
        env = make(ENV_ID, cache_dir=str(cache_dir), **SMALL)
        rng = random.Random(5)
        task = env.tasks("test")[1].task_id
        obs, info = env.reset(seed=3, options={"task_id": task})
        trace = [(obs, info["state_key"])]
        for _ in range(12):
            obs, r, term, trunc, info = env.step(rng.choice(info["admissible_actions"] + ["xyz"]))
            trace.append((obs, r, term, trunc, info["state_key"], info["valid"]))
            if term:
                break
        traces.append(trace)
        env.close()
    assert traces[0] == traces[1]
    assert len(traces[0]) > 3


def test_state_key_is_history_free(env) -> None:
    task = "tw-coin_collector:level=10/train-0"
    _obs, info = env.reset(seed=0, options={"task_id": task})
    start = info["state_key"]
    first = info["expert_action"]
    assert first.startswith("go ")
    back = {"north": "south", "south": "north", "east": "west", "west": "east"}[first[3:]]
    for action in ("look", "inventory", "dance wildly", ""):
        *_, info = env.step(action)
        assert info["state_key"] == start
    *_, info = env.step(first)
    moved = info["state_key"]
    assert moved != start
    *_, info = env.step(f"go {back}")
    assert info["state_key"] == start
    *_, info = env.step(first)
    assert info["state_key"] == moved


# ------------------------------------------------------------------------------ bad actions


@pytest.mark.parametrize("action", [
    "", "   \n", "x" * 100_000, "\x00\x01\x02\x1b[31m", '{"name": [', "quit", "restart", "save",
    "RESTORE", "undo", "verbose", "script", "dance", "go east then go west",
    "take coin. go north", "你好 🙂",
])
def test_malformed_commands_are_invalid_and_harmless(env, action: str) -> None:
    task = "tw-coin_collector:level=10/train-0"
    obs, info = env.reset(seed=0, options={"task_id": task})
    key, admissible = info["state_key"], info["admissible_actions"]
    obs, reward, term, trunc, info = env.step(action)
    assert info["valid"] is False
    assert obs.strip()
    assert (reward, term, trunc) == (0.0, False, False)
    assert info["state_key"] == key and info["admissible_actions"] == admissible
    # The episode goes on: the expert still wins from here.
    _steps, info, _, _ = play_on(env, info)
    assert info["success"] is True


def play_on(env, info, max_steps: int = 30):
    for t in range(max_steps):
        obs, reward, term, trunc, info = env.step(info["expert_action"])
        if term or trunc:
            return t + 1, info, reward, obs
    raise AssertionError("did not finish")


def test_admissible_command_is_valid_even_with_noise(env) -> None:
    _obs, info = env.reset(seed=0, options={"task_id": "tw-treasure_hunter:level=10/train-0"})
    action = info["expert_action"]
    *_, info = env.step(f"  {action.upper()}!  ")
    assert info["valid"] is True


def test_parse_command() -> None:
    assert parse_command("  Open the CHEST!! ").command == "open the chest"
    assert parse_command("go east then go west").command == "go east go west"
    assert parse_command("take key; go north").command == "take key go north"
    assert parse_command("café").command == "cafe"
    assert parse_command("\x00\x01").command is None
    assert parse_command("quit").problem is not None
    assert parse_command("q").command is None
    assert parse_command("a" * 121).command is None
    assert parse_command("a" * 120).command == "a" * 120


def test_clean_feedback_strips_interface() -> None:
    raw = "\nYou open the box.\n\n>" + " " * 80 + "-= Kitchen =-1/2"
    assert clean_feedback(raw) == "You open the box."
    end = ("\nYou win.\n\n*** The End ***\n\nYou scored 1 out of a possible 1, in 2 turns.\n\n\n"
           "Would you like to RESTART, RESTORE a saved game, QUIT or UNDO the last command?\n>  x")
    assert clean_feedback(end) == ("You win.\n\n*** The End ***\n\nYou scored 1 out of a "
                                   "possible 1, in 2 turns.")


def test_step_after_the_end(env) -> None:
    _steps, info, _, _ = play(env, "tw-treasure_hunter:level=10/valid-100000", expert)
    obs, reward, term, _trunc, info = env.step("look")
    assert (reward, term, info["valid"]) == (0.0, True, False)
    assert "reset" in obs


# ------------------------------------------------------------------------------ failures


def test_engine_crash_ends_episode_and_env_recovers(env) -> None:
    task = "tw-coin_collector:level=10/train-1"
    _obs, info = env.reset(seed=0, options={"task_id": task})
    engine = env.unwrapped._tw

    def crash(command: str):
        raise RuntimeError("interpreter died")

    engine.step = crash
    _obs, reward, term, trunc, info = env.step(info["expert_action"])
    assert (reward, term, trunc) == (0.0, False, True)
    assert info["error"] == "TextWorld engine error: RuntimeError: interpreter died"
    assert info["success"] is False and "expert_action" not in info
    assert env.unwrapped._tw is None  # the broken interpreter was dropped
    _steps, info, _, _ = play(env, task, expert)
    assert info["success"] is True


def copy_game(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, dst)
    shutil.copy(src.with_suffix(".json"), dst.with_suffix(".json"))
    return dst


def test_corrupt_story_file_is_a_one_line_error(cache_dir: Path, tmp_path: Path) -> None:
    good = cache_dir / "tw-treasure_hunter__level-10" / "train-0.z8"
    bad = copy_game(good, tmp_path / "games" / "train" / "broken.z8")
    bad.write_bytes(good.read_bytes()[:5000])  # truncated: Frotz would exit() on it
    env = make(ENV_ID, games_dir=str(tmp_path / "games"), cache_dir=str(tmp_path / "cache"))
    with pytest.raises(GameFileError) as err:
        env.reset(options={"task_id": env.tasks("train")[0].task_id})
    message = str(err.value)
    assert str(bad) in message and "\n" not in message and "tw-make" in message
    data = bytearray(good.read_bytes())
    data[1000] ^= 0xFF  # one flipped byte: the checksum catches it
    bad.write_bytes(bytes(data))
    with pytest.raises(GameFileError, match="checksum"):
        env.reset(options={"task_id": env.tasks("train")[0].task_id})
    with pytest.raises(RuntimeError, match="call reset"):
        env.step("look")  # no half-loaded game is left behind
    bad.write_bytes(b"not a game at all" * 100)
    with pytest.raises(GameFileError, match="not a Z-machine story file"):
        verify_story_file(bad)
    env.close()


def test_corrupt_json_is_a_one_line_error(cache_dir: Path, tmp_path: Path) -> None:
    good = cache_dir / "tw-treasure_hunter__level-10" / "train-0.z8"
    story = copy_game(good, tmp_path / "games" / "g.z8")
    story.with_suffix(".json").write_text('{"version": 1, "world": [')
    with pytest.raises(GameFileError) as err:
        env = make(ENV_ID, games_dir=str(tmp_path / "games"), cache_dir=str(tmp_path / "c"))
        task = next(t for s in ("train", "valid", "test") for t in env.tasks(s))
        env.reset(options={"task_id": task.task_id})
    assert str(story.with_suffix(".json")) in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_files_are_one_line_errors(cache_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(GameFileError, match="does not exist"):
        make(ENV_ID, games_dir=str(tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(GameFileError, match=r"holds no \.z8"):
        make(ENV_ID, games_dir=str(tmp_path / "empty"))
    good = cache_dir / "tw-treasure_hunter__level-10" / "train-0.z8"
    story = copy_game(good, tmp_path / "games" / "g.z8")
    story.with_suffix(".json").unlink()
    with pytest.raises(GameFileError, match=r"g\.json is missing"):
        make(ENV_ID, games_dir=str(tmp_path / "games"))
    # A cached game deleted after the environment was built: reported at reset.
    local = tmp_path / "cache"
    shutil.copytree(cache_dir, local)
    env = make(ENV_ID, cache_dir=str(local), **SMALL)
    (local / "tw-coin_collector__level-10" / "valid-100000.z8").unlink()
    with pytest.raises(GameFileError, match=r"valid-100000\.z8"):
        env.reset(options={"task_id": "tw-coin_collector:level=10/valid-100000"})
    env.close()


def test_bad_settings_are_user_errors(cache_dir: Path) -> None:
    with pytest.raises(UserError, match="must look like"):
        ChallengeSpec.parse("coin_collector")
    with pytest.raises(UserError, match="reward must be one of"):
        make(ENV_ID, cache_dir=str(cache_dir), reward="shaped", **SMALL)
    env = make(ENV_ID, cache_dir=str(cache_dir), **SMALL)
    with pytest.raises(UserError, match="unknown TextWorld task id"):
        env.reset(options={"task_id": "no-such-game"})
    env.close()


def test_tw_make_failure_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"tw-make failed for tw-coin_collector:level=999"):
        make(ENV_ID, cache_dir=str(tmp_path), challenges=["tw-coin_collector:level=999"],
             n_train=1, n_valid=0, n_test=0, progress=False)


def test_missing_textworld_package_names_the_install_command(monkeypatch) -> None:
    for name in [m for m in sys.modules if m == "textworld" or m.startswith("textworld.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.delitem(sys.modules, "agentrl.environments.textworld.env", raising=False)
    monkeypatch.setitem(sys.modules, "textworld", None)
    with pytest.raises(MissingDependencyError, match="pip install"):
        make(ENV_ID)


def test_challenge_spec_arguments() -> None:
    spec = ChallengeSpec.parse("tw-cooking:recipe=2,take=1,go=6,open,cut")
    assert str(spec) == "tw-cooking:recipe=2,take=1,go=6,open,cut"
    assert spec.tw_make_args("valid", 7) == [
        "tw-cooking", "--recipe", "2", "--take", "1", "--go", "6", "--open", "--cut",
        "--split", "valid", "--seed", "7"]
    assert ChallengeSpec.parse("tw-simple:rewards=dense").tw_make_args("test", 1)[-3:] == [
        "--test", "--seed", "1"]


# ------------------------------------------------------------------------------ user games


def test_user_games_dir_split_by_folder(cache_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "mygames"
    src = cache_dir / "tw-treasure_hunter__level-10"
    copy_game(src / "train-0.z8", root / "train" / "a.z8")
    copy_game(src / "train-1.z8", root / "train" / "b.z8")
    copy_game(src / "valid-100000.z8", root / "valid" / "c.z8")
    copy_game(src / "test-200000.z8", root / "test" / "d.z8")
    env = make(ENV_ID, games_dir=str(root), cache_dir=str(tmp_path / "cache"))
    assert [t.task_id for t in env.tasks("train")] == ["mygames/train/a", "mygames/train/b"]
    assert [t.task_id for t in env.tasks("test")] == ["mygames/test/d"]
    assert env.tasks("valid")[0].task_type == "tw-treasure_hunter"
    report = check_env(env, checks=["expert", "determinism"])
    assert report.passed, "\n".join(report.lines())


def test_user_games_dir_split_by_hash(cache_dir: Path, tmp_path: Path) -> None:
    src = cache_dir / "tw-coin_collector__level-10"
    for i, story in enumerate(sorted(src.glob("*.z8"))):
        copy_game(story, tmp_path / "flat" / f"game{i}.z8")
    entries = discover_games(tmp_path / "flat", tmp_path / "cache")
    assert len(entries) == 4
    again = discover_games(tmp_path / "flat", tmp_path / "cache")
    assert [(e.task_id, e.split) for e in entries] == [(e.task_id, e.split) for e in again]
    assert {e.split for e in entries} <= {"train", "valid", "test"}


def test_glulx_game_with_json_is_recompiled(cache_dir: Path, tmp_path: Path) -> None:
    src = cache_dir / "tw-treasure_hunter__level-10" / "train-0.json"
    root = tmp_path / "old" / "train"
    root.mkdir(parents=True)
    shutil.copy(src, root / "legacy.json")
    (root / "legacy.ulx").write_bytes(b"Glul" + b"\x00" * 60)  # only the json is used
    env = make(ENV_ID, games_dir=str(tmp_path / "old"), cache_dir=str(tmp_path / "cache"),
               progress=False)
    task = env.tasks("train")[0]
    assert task.task_id == "old/train/legacy"
    assert Path(task.data["game_file"]).suffix == ".z8"
    _steps, info, _, _ = play(env, task.task_id, expert)
    assert info["success"] is True
    env.close()


def test_closed_interpreter_behind_the_env_is_a_recorded_crash(env) -> None:
    task = "tw-treasure_hunter:level=10/train-1"
    _obs, info = env.reset(seed=0, options={"task_id": task})
    env.unwrapped._tw.close()  # the textworld env loses its interpreter mid-episode
    obs, reward, term, trunc, info = env.step(info["expert_action"])
    assert (reward, term, trunc, info["success"]) == (0.0, False, True, False)
    assert info["error"].startswith("TextWorld engine error: AttributeError")
    assert "crashed" in obs
    _steps, info, _, _ = play(env, task, expert)
    assert info["success"] is True


# ------------------------------------------------------------------------------ with the core


def test_rollout_engine_with_expert_and_random_policies(cache_dir: Path) -> None:
    from agentrl.policies.scripted import ExpertPolicy, RandomPolicy
    from agentrl.prompting import PromptBuilder
    from agentrl.rollout import RolloutEngine

    def factory():
        return make(ENV_ID, cache_dir=str(cache_dir), **SMALL)

    tasks = factory().tasks("test") + factory().tasks("valid")
    results = {}
    for name, policy in (("expert", ExpertPolicy()), ("random", RandomPolicy(seed=0))):
        with RolloutEngine(factory, policy, PromptBuilder(), env_id=ENV_ID, group_size=2,
                           num_workers=2) as engine:
            episodes = engine.run(tasks, seeds=[0] * len(tasks))
        assert len(episodes) == 8
        assert all(ep.error is None for ep in episodes)
        results[name] = sum(ep.success for ep in episodes)
        if name == "expert":
            for ep in episodes:
                assert ep.steps[-1].info["score"] == 1.0
                assert all(s.valid for s in ep.steps)
                assert len({s.state_key for s in ep.steps}) == len(ep.steps)
    assert results["expert"] == 8
    assert results["random"] <= 4


@pytest.mark.slow
def test_cooking_game_expert_wins_and_eating_the_ingredient_loses(cache_dir: Path) -> None:
    env = make(ENV_ID, cache_dir=str(cache_dir), challenges=["tw-cooking:recipe=1,take=1,go=1"],
               n_train=1, n_valid=0, n_test=0, progress=False)
    task = env.tasks("train")[0]
    assert task.task_type == "tw-cooking:recipe=1,take=1,go=1"
    _steps, info, total, _ = play(env, task.task_id, expert)
    assert info["success"] is True and total == pytest.approx(1.0)
    # Take the ingredient as the expert would, then eat it: the recipe can no longer be made.
    _obs, info = env.reset(seed=0, options={"task_id": task.task_id})
    for _ in range(10):
        eat = [a for a in info["admissible_actions"] if a.startswith("eat ")]
        if eat:
            break
        *_, info = env.step(info["expert_action"])
    assert eat
    _obs, reward, term, trunc, info = env.step(eat[0])
    assert (term, trunc, info["success"], info["lost"]) == (True, False, False, True)
    assert reward <= 0.0
    assert "expert_action" not in info
    env.close()
