"""``agentrl eval`` and :mod:`agentrl.evaluation`: hand-computed metrics, real rollouts of the
built-in environments, the side-by-side layout, suites, and the CLI's user errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from agentrl.config import RunConfig, parse_config
from agentrl.errors import UserError
from agentrl.evaluation import (
    Benchmark,
    clustered_interval,
    default_temperature,
    evaluate,
    evaluate_benchmarks,
    known_suites,
    load_suite,
    mean_pass_at_k,
    pass_at_k,
    policy_slug,
    summarize_episodes,
    wilson_interval,
)
from agentrl.types import Episode, Step, read_episodes

ROOT = Path(__file__).resolve().parents[1]
HOUSEHOLD = "agentrl/Household-v0"
REQUIRED_KEYS = {"env", "split", "policy", "episodes", "success_rate", "success_ci",
                 "mean_score", "mean_steps", "invalid_rate", "per_type"}


def agentrl(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "agentrl", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=300)


def _episode(group: str, success: bool, *, task_type: str | None = "a", valid: list[bool] | None
             = None, tokens: list[int] | None = None, outcome: float | None = None,
             metrics: dict[str, Any] | None = None, last_info: dict[str, Any] | None = None,
             milestones: list[str] | None = None) -> Episode:
    valid = valid if valid is not None else [True]
    steps = [Step(observation="o", action="a", valid=v,
                  response_ids=list(range(tokens[i])) if tokens else None)
             for i, v in enumerate(valid)]
    steps[-1].info = dict(last_info or {})
    steps[-1].milestones = list(milestones or [])
    return Episode(episode_id=f"{group}-{len(valid)}-{success}", group_id=group, task_id=group,
                   env="test/Env-v0", seed=0, steps=steps, success=success,
                   outcome=float(success) if outcome is None else outcome,
                   metrics=dict(metrics or {}), task_type=task_type)


# ---------------------------------------------------------------------------------------------
# metric math, checked against numbers computed by hand
# ---------------------------------------------------------------------------------------------


def test_wilson_interval_matches_hand_computed_values() -> None:
    # 5/10, z=1.96: centre 0.5, half = 1.96/1.38416 * sqrt(0.025 + 3.8416/400) = 0.26341
    assert wilson_interval(5, 10, z=1.96) == pytest.approx((0.23659, 0.76341), abs=1e-5)
    # 8/10: centre = (0.8 + 0.19208)/1.38416 = 0.716737, half = 1.416021 * 0.160012 = 0.226580
    assert wilson_interval(8, 10, z=1.96) == pytest.approx((0.49016, 0.94332), abs=1e-5)
    # 0/n and n/n: the bounds are z^2/(n+z^2) and n/(n+z^2) = 3.8416/13.8416 and 10/13.8416
    assert wilson_interval(0, 10, z=1.96) == pytest.approx((0.0, 0.27754), abs=1e-5)
    assert wilson_interval(10, 10, z=1.96) == pytest.approx((0.72246, 1.0), abs=1e-5)
    # the default z is the exact 97.5% quantile 1.95996...
    assert wilson_interval(5, 10) == pytest.approx((0.23659, 0.76341), abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def test_pass_at_k_matches_hand_computed_values() -> None:
    assert pass_at_k(5, 2, 2) == pytest.approx(1 - 3 / 10)      # C(3,2)/C(5,2) = 3/10
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)            # pass@1 is c/n
    assert pass_at_k(10, 3, 5) == pytest.approx(1 - 21 / 252)   # C(7,5)/C(10,5)
    assert pass_at_k(4, 0, 2) == 0.0
    assert pass_at_k(4, 3, 2) == 1.0                            # n - c < k
    assert mean_pass_at_k([(5, 2), (5, 0)], 2) == pytest.approx(0.35)
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 4)


def test_summarize_episodes_pass_at_k_over_groups() -> None:
    # task A: 1 of 3 samples succeed, task B: 2 of 3.
    eps = [_episode("A", s) for s in (True, False, False)] + \
          [_episode("B", s) for s in (True, True, False)]
    res = summarize_episodes(eps)
    # pass@1 = (1/3 + 2/3)/2; pass@2 = (1 - C(2,2)/C(3,2) + 1)/2 = (2/3 + 1)/2; pass@3 = 1
    assert res["pass_at"] == pytest.approx({"1": 0.5, "2": 5 / 6, "3": 1.0})
    assert res["pass_at_k"] == pytest.approx(1.0)
    assert res["tasks"] == 2 and res["episodes"] == 6 and res["successes"] == 3
    assert res["success_ci"] == pytest.approx(list(wilson_interval(3, 6)))


def test_clustered_interval_widens_by_the_design_effect() -> None:
    # 4 tasks x 4 samples, 8 successes: p = 0.5; residuals c - p*n = 2, 0, -2, 0, so
    # SE^2 = 8 / (4 * 3 * 4^2) = 1/24 and n_eff = 0.25 * 24 = 6 episodes' worth of information
    rows = [(4, 4), (4, 2), (4, 0), (4, 2)]
    assert clustered_interval(rows) == pytest.approx(wilson_interval(3, 6))
    assert clustered_interval(rows)[0] < wilson_interval(8, 16)[0]  # wider than 16 episodes
    # all-or-nothing tasks carry one episode of information each; independent-looking ones all
    assert clustered_interval([(4, 4), (4, 0)] * 3) == pytest.approx(wilson_interval(3, 6))
    assert clustered_interval([(4, 2)] * 6) == pytest.approx(wilson_interval(12, 24))
    # one episode per task, and all-same outcomes, are the plain Wilson interval
    assert clustered_interval([(1, 1), (1, 0), (1, 0)]) == wilson_interval(1, 3)
    assert clustered_interval([(3, 0), (3, 0)]) == wilson_interval(0, 6)
    with pytest.raises(ValueError):
        clustered_interval([(2, 3)])


def test_summarize_episodes_rates_tokens_types_and_env_metrics() -> None:
    eps = [
        _episode("A", True, task_type="pick", valid=[True, False, True], tokens=[3, 4, 5],
                 metrics={"steps": 3.0, "resolved": 1.0}, last_info={"outcome_class": "solved",
                                                                   "milestones_total": 2},
                 milestones=["m1", "m2"]),
        _episode("B", False, task_type="pick", valid=[False], tokens=[7], outcome=0.25,
                 metrics={"resolved": 0.0, "modified": 1.0},
                 last_info={"outcome_class": "wrong", "milestones_total": 4}, milestones=["m1"]),
        _episode("C", False, task_type=None, valid=[True, True]),
    ]
    res = summarize_episodes(eps)
    assert res["success_rate"] == pytest.approx(1 / 3)
    assert res["mean_score"] == pytest.approx((1.0 + 0.25 + 0.0) / 3)
    assert res["mean_steps"] == pytest.approx(2.0)
    assert res["invalid_rate"] == pytest.approx(2 / 6)          # pooled over all steps
    assert res["tokens_per_episode"] == pytest.approx((12 + 7 + 0) / 3)
    assert res["per_type"]["pick"]["episodes"] == 2
    assert res["per_type"]["pick"]["successes"] == 1
    assert res["per_type"]["pick"]["invalid_rate"] == pytest.approx(2 / 4)
    assert res["per_type"]["untyped"]["episodes"] == 1
    # the standard "steps" metric is not environment-specific; the others are averaged over the
    # episodes that report them
    assert res["env_metrics"] == pytest.approx({"modified": 1.0, "resolved": 0.5})
    assert res["outcome_classes"] == pytest.approx({"solved": 1 / 3, "wrong": 1 / 3})
    assert res["milestone_rate"] == pytest.approx((1.0 + 0.25) / 2)


def test_defaults_and_slugs() -> None:
    assert default_temperature(1) == 0.0
    assert default_temperature(4) == 1.0
    assert default_temperature(1, configured=0.7) == 0.7
    assert default_temperature(4, configured=0.0) == 1.0
    assert policy_slug("expert") == "expert"
    assert policy_slug("hf:runs/quick start") == "hf-runs-quick-start"
    assert policy_slug("openai:gpt-4o@http://127.0.0.1:8000/v1") == \
        "openai-gpt-4o-http-127.0.0.1-8000-v1"


# ---------------------------------------------------------------------------------------------
# real rollouts
# ---------------------------------------------------------------------------------------------


def test_household_expert_vs_random_side_by_side(tmp_path: Path) -> None:
    """The Must-show, through the real CLI: expert >= 0.99, random far lower, one table."""
    out = agentrl("eval", "--env", HOUSEHOLD, "--split", "test", "--policy", "expert",
                  "--policy", "random", "-n", "20", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    expert = json.loads((tmp_path / "expert" / "results.json").read_text())
    random_ = json.loads((tmp_path / "random" / "results.json").read_text())
    for res in (expert, random_):
        assert set(res) >= REQUIRED_KEYS
        assert res["env"] == HOUSEHOLD and res["split"] == "test" and res["episodes"] == 20
        lo, hi = res["success_ci"]
        assert lo <= res["success_rate"] <= hi
    assert expert["success_rate"] >= 0.99
    assert random_["success_rate"] <= 0.2
    assert expert["success_rate"] - random_["success_rate"] >= 0.8
    assert random_["mean_score"] < expert["mean_score"]
    assert expert["tokens_per_episode"] == 0.0  # scripted policies generate no tokens

    # identical tasks and seeds, in the results and in the episode files
    assert expert["task_ids"] == random_["task_ids"] and expert["seeds"] == random_["seeds"]
    keys = [[(e.task_id, e.seed, e.group_id) for e in read_episodes(tmp_path / p /
                                                                    "episodes.jsonl")]
            for p in ("expert", "random")]
    assert len(keys[0]) == 20 and keys[0] == keys[1]

    # per-type counts are those of the first 20 test tasks
    from agentrl import make

    env = make(HOUSEHOLD)
    expected = Counter(t.task_type for t in env.tasks("test")[:20])
    env.close()
    assert {t: v["episodes"] for t, v in expert["per_type"].items()} == dict(expected)
    assert sum(v["successes"] for v in expert["per_type"].values()) == 20

    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [r["policy"] for r in summary["runs"]] == ["expert", "random"]
    # one side-by-side table with both policies as columns
    header = next(line for line in out.stdout.splitlines() if "metric" in line)
    assert "expert" in header and "random" in header
    assert out.stdout.count("success rate") == 1


def test_evaluate_api_single_policy_writes_results_and_episodes(tmp_path: Path) -> None:
    res = evaluate(HOUSEHOLD, "expert", "test_unseen", n=6, out_dir=tmp_path)
    data = json.loads((tmp_path / "results.json").read_text())
    assert data == json.loads(json.dumps(res))
    assert set(data) >= REQUIRED_KEYS and data["split"] == "test_unseen"
    assert data["success_rate"] == 1.0 and data["max_turns"] == 30
    episodes = list(read_episodes(tmp_path / "episodes.jsonl"))
    assert len(episodes) == 6 and all(e.success for e in episodes)
    assert [e.seed for e in episodes] == list(range(6)) == data["seeds"]
    assert not (tmp_path / "summary.json").exists()


def test_k_samples_per_task_share_task_and_seed(tmp_path: Path) -> None:
    res = evaluate(HOUSEHOLD, "random", "test", n=4, k=3, max_turns=5, seed=10, out_dir=tmp_path)
    assert res["episodes"] == 12 and res["tasks"] == 4 and res["temperature"] == 1.0
    assert set(res["pass_at"]) == {"1", "2", "3"} and res["max_turns"] == 5
    groups: dict[str, set[tuple[str, int | None]]] = {}
    for e in read_episodes(tmp_path / "episodes.jsonl"):
        groups.setdefault(e.group_id, set()).add((e.task_id, e.seed))
        assert e.num_steps <= 5
    assert len(groups) == 4 and all(len(v) == 1 for v in groups.values())
    assert sorted(seed for v in groups.values() for _, seed in v) == [10, 11, 12, 13]


def _short_actions() -> RunConfig:
    """A config whose policy settings (8 new tokens per action) keep the tiny model fast."""
    return parse_config({"env": {"id": "example/GuessNumber-v0"},
                         "policy": {"backend": "expert", "max_new_tokens": 8}})


def test_model_policy_counts_generated_tokens(tmp_path: Path, tiny_model: Any,
                                               tiny_tokenizer: Any) -> None:
    ckpt = tmp_path / "ckpt"
    tiny_model.save_pretrained(ckpt)
    tiny_tokenizer.save_pretrained(ckpt)
    res = evaluate("example/GuessNumber-v0", f"hf:{ckpt}", "test", n=2, k=2, max_turns=2,
                   config=_short_actions(), out_dir=tmp_path / "out")
    episodes = list(read_episodes(tmp_path / "out" / "episodes.jsonl"))
    tokens = [sum(len(s.response_ids or []) for s in e.steps) for e in episodes]
    assert all(t > 0 for t in tokens)
    assert res["tokens_per_episode"] == pytest.approx(sum(tokens) / len(tokens))
    assert res["prompt_tokens_per_episode"] > 0
    assert res["temperature"] == 1.0 and set(res["pass_at"]) == {"1", "2"}
    assert max(len(s.response_ids or []) for e in episodes for s in e.steps) <= 8


def test_constrained_evaluation_plays_only_admissible_actions(tmp_path: Path, tiny_model: Any,
                                                              tiny_tokenizer: Any) -> None:
    """``constrain=True`` (``agentrl eval --constrain``): even a random tiny model plays only
    admissible actions, and each step records its allowed token sets."""
    ckpt = tmp_path / "ckpt"
    tiny_model.save_pretrained(ckpt)
    tiny_tokenizer.save_pretrained(ckpt)
    cfg = parse_config({"env": {"id": HOUSEHOLD},
                        "policy": {"backend": "expert", "max_new_tokens": 64}})
    res = evaluate(HOUSEHOLD, f"hf:{ckpt}", "test", n=2, max_turns=3, constrain=True,
                   config=cfg, out_dir=tmp_path / "out")
    assert res["constrain"] is True and res["invalid_rate"] == 0.0
    steps = [s for e in read_episodes(tmp_path / "out" / "episodes.jsonl") for s in e.steps]
    assert len(steps) == 6 and all(s.valid for s in steps)
    assert all(len(s.extra["allowed_ids"]) == len(s.response_ids or []) for s in steps)
    free = evaluate(HOUSEHOLD, f"hf:{ckpt}", "test", n=2, max_turns=3, config=cfg)
    assert free["constrain"] is False and free["invalid_rate"] > 0.5


def test_config_file_supplies_env_policy_and_eval_section(tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text("seed: 3\nenv:\n  id: example/GuessNumber-v0\npolicy:\n  backend: expert\n"
                      "eval:\n  splits: [test, valid]\n  episodes: 5\n")
    out = agentrl("eval", "--config", str(config), "--out", str(tmp_path / "out"))
    assert out.returncode == 0, out.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert [(r["split"], r["policy"], r["episodes"]) for r in summary["runs"]] == \
        [("test", "expert", 5), ("valid", "expert", 5)]
    assert summary["runs"][0]["seeds"] == [3, 4, 5, 6, 7]
    assert (tmp_path / "out" / "GuessNumber-v0-valid" / "results.json").is_file()


# ---------------------------------------------------------------------------------------------
# suites
# ---------------------------------------------------------------------------------------------


def test_builtin_suites_load() -> None:
    suites = known_suites()
    for name in ("household-test", "household-unseen", "textworld-simple", "webshop-test",
                 "tools-test"):
        assert name in suites
        (bench,) = load_suite(name)
        assert bench.name == name and bench.episodes >= 1
    assert load_suite("household-unseen")[0].split == "test_unseen"
    assert len(load_suite("standard")) == 5


def test_suite_run_through_the_cli(tmp_path: Path) -> None:
    out = agentrl("eval", "--suite", "household-test", "--policy", "expert", "-n", "5",
                  "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    res = json.loads((tmp_path / "results.json").read_text())
    assert res["benchmark"] == "household-test" and res["episodes"] == 5
    assert res["success_rate"] == 1.0


def test_multi_benchmark_suite_layout_and_one_table(tmp_path: Path) -> None:
    suite = tmp_path / "mini.yaml"
    suite.write_text("description: two environments\nbenchmarks:\n"
                     "  - {name: hh, env: agentrl/Household-v0, split: test, episodes: 4}\n"
                     "  - {name: guess, env: example/GuessNumber-v0, episodes: 3,\n"
                     "     kwargs: {high: 8}}\n")
    benches = load_suite(str(suite))
    assert [b.name for b in benches] == ["hh", "guess"] and benches[1].kwargs == {"high": 8}
    summary = evaluate_benchmarks(benches, ["expert", "random"], out_dir=tmp_path / "out")
    assert [(r["benchmark"], r["policy"]) for r in summary["runs"]] == [
        ("hh", "expert"), ("hh", "random"), ("guess", "expert"), ("guess", "random")]
    for bench in ("hh", "guess"):
        for pol in ("expert", "random"):
            assert (tmp_path / "out" / bench / pol / "results.json").is_file()
    assert summary["runs"][2]["kwargs"] == {"high": 8}

    out = agentrl("eval", "--suite", str(suite), "--policy", "expert", "--out",
                  str(tmp_path / "cli"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("benchmark results") == 1
    assert "hh" in out.stdout and "guess" in out.stdout


def test_bad_suite_files_are_user_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("env: agentrl/Household-v0\nsplt: test\n")
    with pytest.raises(UserError, match="unknown key 'splt'"):
        load_suite(str(bad))
    bad.write_text("benchmarks:\n  - {env: agentrl/Household-v0, episodes: 0}\n")
    with pytest.raises(UserError, match="'episodes' must be a positive integer"):
        load_suite(str(bad))
    dup = [Benchmark("x", HOUSEHOLD), Benchmark("x", HOUSEHOLD, split="valid")]
    with pytest.raises(UserError, match="two benchmarks are named 'x'"):
        evaluate_benchmarks(dup, ["expert"])


# ---------------------------------------------------------------------------------------------
# user errors through the real CLI: exit code 2, one line on stderr
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "needle"), [
    (["--env", "agentrl/Houshold-v0", "--policy", "expert"], "unknown environment"),
    (["--env", HOUSEHOLD, "--policy", "gpt:x"], "unknown policy 'gpt:x'"),
    (["--env", HOUSEHOLD, "--policy", "expert", "--split", "tset"], "split 'tset'"),
    (["--env", "example/GuessNumber-v0", "--policy", "expert", "--split", "tset"],
     "has no split 'tset'"),
    (["--env", HOUSEHOLD, "--policy", "expert", "--k", "0"], "--k must be a positive"),
    (["--suite", "household-tset", "--policy", "expert"], "known suites: "),
    (["--policy", "expert"], "give --env ID"),
    (["--env", HOUSEHOLD], "give a policy with --policy"),
    (["--env", HOUSEHOLD, "--policy", "expert", "--kwarg", "oops"], "name=value"),
    (["--env", HOUSEHOLD, "--policy", "expert", "--kwarg", "bogus=1"], "bogus"),
    (["--env", HOUSEHOLD, "--policy", "openai:m@http://127.0.0.1:9", "--constrain"],
     "cannot constrain decoding"),
])
def test_user_errors_are_one_line_with_exit_code_2(tmp_path: Path, args: list[str],
                                                   needle: str) -> None:
    out = agentrl("eval", *args, "--out", str(tmp_path / "out"))
    assert out.returncode == 2, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("error: ") and needle in lines[0]
    assert "Traceback" not in out.stderr + out.stdout


def test_unknown_suite_lists_the_known_ones() -> None:
    with pytest.raises(UserError) as info:
        load_suite("nope")
    for name in ("household-test", "household-unseen", "textworld-simple", "webshop-test",
                 "tools-test"):
        assert name in str(info.value)


def test_served_model_matches_local_checkpoint_side_by_side(tmp_path: Path, tiny_model: Any,
                                                             tiny_tokenizer: Any) -> None:
    """hf:PATH and openai:MODEL@URL (the same weights behind `agentrl serve`) give the same
    greedy episodes on the same tasks and seeds."""
    from agentrl.policies.hf import HFPolicy
    from agentrl.serve import ChatServer

    ckpt = tmp_path / "ckpt"
    tiny_model.save_pretrained(ckpt)
    tiny_tokenizer.save_pretrained(ckpt)
    with ChatServer(HFPolicy(tiny_model, tiny_tokenizer, device="cpu"), "tiny") as server:
        summary = evaluate("example/GuessNumber-v0", [f"hf:{ckpt}", f"openai:tiny@{server.url}"],
                           "test", n=2, max_turns=2, config=_short_actions(),
                           out_dir=tmp_path / "out")
    local, served = summary["runs"]
    assert local["temperature"] == served["temperature"] == 0.0
    assert local["tokens_per_episode"] == served["tokens_per_episode"] > 0
    actions = [[[s.action for s in e.steps] for e in read_episodes(
        tmp_path / "out" / r["policy_slug"] / "episodes.jsonl")] for r in (local, served)]
    assert actions[0] == actions[1]
