"""The benchmark runner's summary and the learning benchmark's bookkeeping, on small real inputs;
and a smoke run of ``python -m benchmarks --quick --only model_speed``."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agentrl.config import load_config
from agentrl.evaluation import wilson_interval
from agentrl.types import Episode, Step
from benchmarks import __main__ as runner
from benchmarks import learning
from benchmarks.model_speed import machine_info, spread

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


# ---------------------------------------------------------------------------------------------
# learning: budget accounting
# ---------------------------------------------------------------------------------------------
def test_run_to_budget_stops_once_the_budget_is_reached() -> None:
    steps = [30, 25, 40, 10]
    calls: list[int] = []

    def iteration(i: int) -> int:
        calls.append(i)
        return steps[i]

    assert learning.run_to_budget(iteration, 50, 100) == (2, 55)  # overshoot recorded
    assert calls == [0, 1]
    assert learning.run_to_budget(lambda i: 25, 50, 100) == (2, 50)  # exactly the budget
    assert learning.run_to_budget(lambda i: 10, 1000, 3) == (3, 30)  # iteration cap
    assert learning.run_to_budget(lambda i: 10, 0, 3) == (0, 0)


def test_run_to_budget_rejects_an_iteration_without_steps() -> None:
    with pytest.raises(RuntimeError, match="no environment steps"):
        learning.run_to_budget(lambda i: 0, 10, 5)


def _episode(n_steps: int, success: bool, comps: dict[str, float], gid: str = "g") -> Episode:
    steps = [Step(observation=f"o{t}", action=f"a{t}", reward=0.0, reward_components=dict(comps),
                  shaped_reward=0.5) for t in range(n_steps)]
    if success:
        steps[-1].reward = 1.0
    return Episode(episode_id=f"e{n_steps}{success}", group_id=gid, task_id="t", env="x",
                   steps=steps, success=success, outcome=float(success))


def test_iteration_record_counts_env_steps_success_and_components() -> None:
    eps = [_episode(3, True, {"format": 1.0, "correct": -1.0}),
           _episode(5, False, {"format": 1.0, "correct": 3.0})]
    rec = learning.iteration_record(eps)
    assert rec["env_steps"] == 8
    assert rec["episodes"] == 2
    assert rec["success"] == 0.5
    assert rec["env_return"] == 0.5
    assert rec["shaped_return"] == pytest.approx(0.5 * 8 / 2)
    assert rec["components"] == {"correct": (-3 + 15) / 2, "format": 4.0}
    assert rec["components_total"] == {"correct": 12.0, "format": 8.0}
    assert learning.dense_total(rec) == pytest.approx(10.0)


# ---------------------------------------------------------------------------------------------
# learning: confidence intervals and verdicts
# ---------------------------------------------------------------------------------------------
def test_success_stats_and_pooling_use_wilson_intervals() -> None:
    a, b = learning.success_stats(30, 100), learning.success_stats(40, 100)
    assert a["ci"] == list(wilson_interval(30, 100))
    pooled = learning.pool([a, b])
    assert (pooled["successes"], pooled["episodes"]) == (70, 200)
    assert pooled["success"] == 0.35
    assert pooled["ci"] == list(wilson_interval(70, 200))
    assert pooled["seed_success"] == [0.3, 0.4]
    assert pooled["mean"] == pytest.approx(0.35)
    assert pooled["seed_std"] == pytest.approx(0.0707, abs=1e-4)
    lo, hi = learning.success_stats(50, 50)["ci"]
    assert (round(lo, 3), hi) == (0.929, 1.0)


@pytest.mark.parametrize(("k1", "n1", "k2", "n2", "expected"), [
    # Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10
    (56, 70, 48, 80, (0.0524, 0.3339)),
    (9, 10, 3, 10, (0.1705, 0.8090)),
    (5, 56, 0, 29, (-0.0381, 0.1926)),
])
def test_difference_interval_matches_newcombe(k1: int, n1: int, k2: int, n2: int,
                                              expected: tuple[float, float]) -> None:
    d, lo, hi = learning.difference_interval(k1, n1, k2, n2)
    assert d == pytest.approx(k1 / n1 - k2 / n2)
    assert (round(lo, 4), round(hi, 4)) == expected


def _pooled(*rates: tuple[int, int]) -> dict[str, Any]:
    return learning.pool([learning.success_stats(k, n) for k, n in rates])


def test_verdict_says_yes_only_when_the_difference_is_significant() -> None:
    win = learning.verdict(_pooled((60, 100), (55, 100)), _pooled((30, 100), (35, 100)))
    assert win["beats"] and win["text"].startswith("yes: +0.250")
    assert win["seeds_better"] == 2 and "better on 2/2 seeds" in win["text"]
    close = learning.verdict(_pooled((33, 100)), _pooled((30, 100)))
    assert not close["beats"]
    assert close["text"].startswith("no: +0.030") and "not significant" in close["text"]
    worse = learning.verdict(_pooled((20, 100)), _pooled((30, 100)))
    assert not worse["beats"] and worse["text"].startswith("no: -0.100")
    assert "not significant" not in worse["text"]


def _seed_run(seed: int, sampled: int, greedy: int, n: int = 100, steps: int = 2000,
              curve: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"seed": seed, "env_steps": steps, "iterations": 3, "curve": curve or [],
            "eval": {"sampled": learning.success_stats(sampled, n),
                     "greedy": learning.success_stats(greedy, n)}}


def test_summarize_and_tables_report_which_method_beats_its_baseline() -> None:
    runs = {"household": {
        "sft": {"0": _seed_run(0, 20, 25, steps=0), "1": _seed_run(1, 22, 20, steps=0)},
        "grpo": {"0": _seed_run(0, 30, 30), "1": _seed_run(1, 28, 31)},
        "gigpo": {"0": _seed_run(0, 31, 35), "1": _seed_run(1, 29, 30)},
        "rloo": {"0": _seed_run(0, 50, 50), "1": _seed_run(1, 52, 49)},
    }}
    comp = learning.COMPARISONS["household-estimators"]
    [summary] = learning.summarize(runs, [comp])
    rows = {r["method"]: r for r in summary["rows"]}
    assert rows["ppo-gae"]["missing"]
    assert rows["grpo"]["sampled"]["successes"] == 58
    assert rows["gigpo"]["beats"]["grpo"]["sampled"]["beats"] is False  # +0.01: not significant
    assert rows["rloo"]["beats"]["grpo"]["sampled"]["beats"] is True
    assert rows["gigpo"]["beats"]["sft"]["sampled"]["beats"] is True  # 60/200 vs 42/200
    assert "grpo" not in rows["grpo"]["beats"]
    md = learning.markdown_tables({"settings": {"seeds": [0, 1], "test_episodes": 100,
                                                "budgets": {"household": 2000}},
                                   "comparisons": [summary]})
    assert "beats GRPO? (T=1)" in md
    gigpo_line = next(line for line in md.splitlines() if line.startswith("| GiGPO |"))
    assert "no: +0.010" in gigpo_line and "not significant" in gigpo_line
    assert "| PPO (GAE, critic) | not run |" in md
    assert "(baseline)" in md


def test_reward_hacking_signature_from_dense_totals() -> None:
    def rec(success: float, fmt: float, correct: float) -> dict[str, Any]:
        return {"success": success, "episodes": 8,
                "components": {"format": fmt, "correct": correct, "outcome": success}}

    rising = [rec(0.5, 1.0, 0.0), rec(0.4, 2.0, 0.5), rec(0.3, 3.0, 1.0), rec(0.2, 4.0, 2.0)]
    runs = [_seed_run(0, 10, 10, curve=rising)]
    sft = learning.success_stats(30, 100)
    out = learning.reward_hacking(runs, sft)
    assert out["dense_per_episode_first"] == 1.0 and out["dense_per_episode_last"] == 6.0
    assert out["train_success_first"] == 0.5 and out["train_success_last"] == 0.2
    assert out["dense_total_over_training"] == pytest.approx(8 * (1 + 2.5 + 4 + 6))
    assert out["hacked"] is True
    honest = learning.reward_hacking([_seed_run(0, 40, 40, curve=rising)], sft)
    assert honest["hacked"] is False and honest["outcome_below_sft"] is False
    # 29/100 against SFT's 30/100 is noise, not a fall: no hacking verdict
    noise = learning.reward_hacking([_seed_run(0, 29, 29, curve=rising)], sft)
    assert noise["dense_rises"] is True and noise["outcome_below_sft"] is False
    assert noise["hacked"] is False
    assert noise["outcome_vs_sft"]["diff"] == pytest.approx(-0.01)
    assert noise["outcome_vs_sft"]["ci"][0] < 0 < noise["outcome_vs_sft"]["ci"][1]


def test_method_overrides_give_valid_configs() -> None:
    setup = learning.SETUPS["household"]
    base = load_config(ROOT / setup.config)
    shapers = [{"name": s.name, **s.params} for s in base.credit.shapers]
    for method in setup.methods.values():
        cfg = load_config(ROOT / setup.config, method.credit_overrides(shapers))
        if method.estimator:
            assert cfg.credit.estimator.name == method.estimator["name"]
    spa = load_config(ROOT / setup.config,
                      setup.methods["gigpo+spa"].credit_overrides(shapers))
    assert [s.name for s in spa.credit.shapers] == ["spa", *(s["name"] for s in shapers)]
    milestone = load_config(ROOT / setup.config,
                            setup.methods["gigpo+milestone"].credit_overrides(shapers))
    assert [s.name for s in milestone.credit.shapers][-1] == "milestone"
    tools = learning.SETUPS["tools"]
    ungated = load_config(ROOT / tools.config,
                          tools.methods["ungated"].credit_overrides(["ignored"]))
    assert [s.name for s in ungated.credit.shapers] == ["gated"]
    assert ungated.credit.shapers[0].params["ungated"] is True
    assert "ungated" not in load_config(
        ROOT / tools.config, tools.methods["gated"].credit_overrides([])).credit.shapers[0].params


def test_estimate_grows_with_budget_seeds_and_evaluation() -> None:
    plan = {"household": {"sft_episodes": 300, "sft_epochs": 6, "budget": 2000,
                          "test_episodes": 100, "methods": ["grpo", "gigpo+spa"]}}
    one = learning.estimate_minutes(plan, 1)
    assert one["total"] == one["household"] > 5  # SFT alone is 5 minutes
    assert learning.estimate_minutes(plan, 3)["total"] == pytest.approx(3 * one["total"])
    bigger = {"household": {**plan["household"], "budget": 4000}}
    assert learning.estimate_minutes(bigger, 1)["total"] > one["total"]


def test_parallel_units_run_the_long_setups_first_and_balance_the_workers(tmp_path: Path
                                                                        ) -> None:
    plan = learning.Plan(seeds=[0, 1, 2], comparisons=list(learning.COMPARISONS.values()),
                         budgets={"household": 2000, "tools": 400}, test_episodes=100,
                         max_iterations=5, runs_dir=tmp_path)
    units = learning.parallel_units(plan, {"household": 15.0, "tools": 23.0})
    assert units == [("tools", 0), ("tools", 1), ("tools", 2),
                     ("household", 0), ("household", 1), ("household", 2)]
    workers, wall = learning.schedule([23, 23, 23, 15, 15, 15], 2)
    assert workers == [0, 1, 0, 1, 1, 0] and wall == 61
    # seeds round robin (the old split: seeds 0 and 2 in one process) would take 76 minutes
    assert learning.schedule([23 + 15, 23 + 15, 23 + 15], 2)[1] == 76
    assert learning.schedule([5, 5], 1) == ([0, 0], 10)
    estimate = learning.wall_estimate(plan, 2)
    assert estimate["total"] < estimate["household"] + estimate["tools"]
    assert learning.wall_estimate(plan, 1)["total"] == pytest.approx(
        estimate["household"] + estimate["tools"])


# ---------------------------------------------------------------------------------------------
# runner: selection, headline numbers, summary
# ---------------------------------------------------------------------------------------------
def test_select_keeps_registry_order_and_rejects_unknown_names() -> None:
    assert [b.name for b in runner.select(["learning", "household"], None)] == [
        "household", "learning"]
    names = [b.name for b in runner.select(None, ["sandboxes", "swe"])]
    assert "sandboxes" not in names and names[-1] == "learning"
    assert {"webshop", "model_speed", "quickstart"} <= set(names)
    with pytest.raises(SystemExit, match="unknown benchmark 'nope'"):
        runner.select(["nope"], None)


@pytest.mark.parametrize("path", sorted(RESULTS.glob("*.json")), ids=lambda p: p.stem)
def test_headline_extractors_read_the_committed_results(path: Path) -> None:
    data = json.loads(path.read_text())
    if path.stem in runner.HEADLINES:
        rows = runner.HEADLINES[path.stem](data)  # raises if the format drifted
        assert rows and all(isinstance(m, str) and isinstance(v, str) for m, v in rows)
    assert runner.headlines(path.stem, data)


def test_generic_headlines_for_unknown_files() -> None:
    rows = runner.generic_headlines({"a": {"steps_per_s": 12.5, "ok": True},
                                     "machine": {"cpus": 2}, "n": 3})
    assert rows == [("a.steps_per_s", "12.5"), ("n", "3")]


def test_write_summary_lists_statuses_headlines_and_failures(tmp_path: Path) -> None:
    for name in ("rollout", "credit"):
        shutil.copy(RESULTS / f"{name}.json", tmp_path / f"{name}.json")
    (tmp_path / "custom.json").write_text(json.dumps({"speed": {"steps_per_s": 7.0}}))
    (tmp_path / "broken.json").write_text("{not json")
    statuses = {
        "rollout": {"name": "rollout", "kind": "speed", "status": "ok", "returncode": 0,
                    "seconds": 12.3, "log": "logs/rollout.log"},
        "webshop": {"name": "webshop", "kind": "speed", "status": "failed", "returncode": 1,
                    "seconds": 3.0, "log": "logs/webshop.log"},
    }
    path = runner.write_summary(tmp_path, statuses, machine_info(), invocation="test")
    text = path.read_text()
    assert text.startswith("# Benchmark summary")
    assert "CPUs" in text and "torch" in text and "Load average" in text
    assert "| webshop | speed | **FAILED** (exit 1) |" in text
    assert "1 benchmark(s) did not finish: webshop" in text
    overhead = json.loads((RESULTS / "rollout.json").read_text())["overhead_ms_per_step_median"]
    assert runner._f(overhead) in text
    assert "GiGPO math" in text
    assert "| custom |" in text and "speed.steps_per_s | 7" in text
    assert "| broken |" in text and "unreadable" in text
    assert "_runs" not in text


def test_run_one_reports_a_failing_benchmark(tmp_path: Path) -> None:
    bench = runner.Bench("does_not_exist", "speed", "a module that is not there")
    status = runner.run_one(bench, tmp_path, quick=True, timeout=60)
    assert status["status"] == "failed" and status["returncode"] != 0
    assert "ModuleNotFoundError" in (tmp_path / status["log"]).read_text()


def test_merge_keeps_the_setups_not_run_again(tmp_path: Path) -> None:
    """``--merge``: re-running the tool-use comparison alone keeps the household results of the
    existing file, with their budgets and comparisons; different seeds are refused."""
    household = {m: {"0": _seed_run(0, 20 + i, 20, steps=0 if m == "sft" else 2000)}
                 for i, m in enumerate(learning.SETUPS["household"].methods)}
    old_plan = learning.Plan(seeds=[0], comparisons=list(learning.COMPARISONS.values()),
                             budgets={"household": 2000, "tools": 400}, test_episodes=100,
                             max_iterations=5, runs_dir=tmp_path)
    old_runs = {"household": household,
                "tools": {m: {"0": _seed_run(0, 0, 0)} for m in ("sft", "gated", "ungated")}}
    previous = learning.build_result(old_plan, old_runs, [], {"total": 1.0}, 0.0)
    path = tmp_path / "learning.json"
    path.write_text(json.dumps(previous))

    plan = learning.Plan(seeds=[0], comparisons=[learning.COMPARISONS["tools-gated"]],
                         budgets={"household": 10, "tools": 800}, test_episodes=100,
                         max_iterations=5, runs_dir=tmp_path)
    loaded = learning._previous_result(path, plan)
    assert isinstance(loaded, dict)
    new_runs = {"tools": {m: {"0": _seed_run(0, 10 * i, 5)}
                          for i, m in enumerate(("sft", "gated", "ungated"))}}
    merged_plan, runs = learning.merge_previous(plan, new_runs, loaded)
    assert [c.name for c in merged_plan.comparisons] == list(learning.COMPARISONS)
    assert merged_plan.budgets == {"household": 2000, "tools": 800}
    assert runs["household"] == json.loads(json.dumps(household))
    assert runs["tools"] is new_runs["tools"]
    result = learning.build_result(merged_plan, runs, [], {"total": 1.0}, 0.0)
    tools = next(c for c in result["comparisons"] if c["name"] == "tools-gated")
    assert {r["method"]: r["sampled"]["successes"] for r in tools["rows"]} == {
        "sft": 0, "gated": 10, "ungated": 20}
    assert len(result["comparisons"]) == 3
    # seeds that finished out of order (parallel units) are reported in seed order
    shuffled = {"tools": {m: {"2": _seed_run(2, 30, 5), "0": _seed_run(0, 10, 5)}
                          for m in ("sft", "gated", "ungated")}}
    ordered = learning.build_result(plan, shuffled, [], {"total": 1.0}, 0.0)
    assert list(ordered["runs"]["tools"]["gated"]) == ["0", "2"]
    assert ordered["comparisons"][0]["rows"][0]["sampled"]["seed_success"] == [0.1, 0.3]

    other_seeds = learning.Plan(seeds=[0, 1], comparisons=plan.comparisons,
                                budgets=plan.budgets, test_episodes=100, max_iterations=5,
                                runs_dir=tmp_path)
    error = learning._previous_result(path, other_seeds)
    assert isinstance(error, str) and "seeds [0]" in error
    assert "does not exist" in str(learning._previous_result(tmp_path / "none.json", plan))


def test_report_rebuilds_the_tables_from_the_result_file(tmp_path: Path) -> None:
    """``--report`` runs nothing: the summaries, learning.md and the plots are recomputed from
    the runs stored in learning.json; a missing or foreign file is a one-line error."""
    plan = learning.Plan(seeds=[0], comparisons=[learning.COMPARISONS["tools-gated"]],
                         budgets={"tools": 400}, test_episodes=100, max_iterations=5,
                         runs_dir=tmp_path)
    runs = {"tools": {"sft": {"0": _seed_run(0, 20, 20, steps=0)},
                      "gated": {"0": _seed_run(0, 45, 40)},
                      "ungated": {"0": _seed_run(0, 25, 20)}}}
    result = learning.build_result(plan, runs, [], {"total": 1.0}, 0.0)
    result["comparisons"] = []  # as if written by an older version of the report
    path = tmp_path / "learning.json"
    path.write_text(json.dumps(result))
    learning.main(["--report", "--out", str(path)])
    rebuilt = json.loads(path.read_text())
    assert rebuilt["runs"] == json.loads(json.dumps(runs))
    rows = {r["method"]: r for r in rebuilt["comparisons"][0]["rows"]}
    assert rows["gated"]["sampled"]["successes"] == 45
    md = path.with_suffix(".md").read_text()
    gated = next(line for line in md.splitlines() if line.startswith("| G-RA (gated) | 2000"))
    assert "yes: +0.200" in gated
    with pytest.raises(SystemExit):
        learning.main(["--report", "--out", str(tmp_path / "none.json")])
    (tmp_path / "other.json").write_text("{}")
    assert "not a learning benchmark result" in str(learning.report(tmp_path / "other.json"))


def test_plots_of_a_learning_result(tmp_path: Path) -> None:
    from benchmarks.plots import plot_learning

    curve = [{"cum_env_steps": 100 * (i + 1), "success": 0.1 * i, "episodes": 8,
              "components": {"format": 1.0 + i, "correct": 0.0}} for i in range(3)]
    runs = {"tools": {"sft": {"0": _seed_run(0, 20, 20, steps=0)},
                      "gated": {"0": _seed_run(0, 30, 25, curve=curve)},
                      "ungated": {"0": _seed_run(0, 25, 25, curve=curve)}}}
    comps = learning.summarize(runs, [learning.COMPARISONS["tools-gated"]])
    paths = plot_learning({"runs": runs, "comparisons": comps}, tmp_path)
    assert {p.name for p in paths} == {"learning_tools-gated.png", "learning_success.png"}
    assert all(p.stat().st_size > 1000 for p in paths)


def test_spread_of_samples() -> None:
    s = spread([3.0, 1.0, 2.0, 4.0])
    assert s["samples"] == [3.0, 1.0, 2.0, 4.0]
    assert (s["median"], s["min"], s["max"]) == (2.5, 1.0, 4.0)
    assert s["iqr"] == [1.75, 3.25]
    assert spread([5.0])["iqr"] == [5.0, 5.0]


# ---------------------------------------------------------------------------------------------
# smoke: the runner end to end on the fastest benchmark
# ---------------------------------------------------------------------------------------------
def test_quick_model_speed_through_the_runner(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--only",
                           "model_speed", "--results", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=280)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    result = json.loads((tmp_path / "model_speed.json").read_text())
    assert result["quick"] is True
    assert [run["threads"] for run in result["runs"]] == [1]
    for run in result["runs"]:
        for batch in run["generation"]["batches"].values():
            assert len(batch["tokens_per_s"]["samples"]) == 2
            assert batch["tokens_per_s"]["median"] > 0
        assert run["trainer"]["update_samples_per_s"]["median"] > 0
    summary = (tmp_path / "SUMMARY.md").read_text()
    assert "| model_speed | speed | ok |" in summary
    assert "Quick run" in summary and "1 thread: generation tokens/s" in summary
    assert (tmp_path / "model_speed.png").is_file()
    status = json.loads((tmp_path / runner.STATUS_FILE).read_text())
    assert status["model_speed"]["status"] == "ok"


@pytest.mark.slow
def test_learning_seeds_in_parallel_processes_are_merged(tmp_path: Path) -> None:
    out = tmp_path / "learning.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks.learning", "--quick", "--seeds", "0",
                           "1", "--jobs", "2", "--comparisons", "tools-gated", "--out", str(out),
                           "--runs", str(tmp_path / "runs")],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["settings"]["seeds"] == [0, 1]
    assert result["failures"] == []
    for method in ("sft", "gated", "ungated"):
        assert sorted(result["runs"]["tools"][method]) == ["0", "1"]
    # one pooled row per method over both seeds (2 x 6 quick test episodes)
    rows = result["comparisons"][0]["rows"]
    assert {r["method"] for r in rows} == {"sft", "gated", "ungated"}
    assert all(r["sampled"]["episodes"] == 12 for r in rows)
    assert not list(tmp_path.glob("learning.part*"))  # the partial results are merged away


# ---------------------------------------------------------------------------------------------
# take_probe: the household diagnostic of issue #10
# ---------------------------------------------------------------------------------------------
def test_take_probe_buckets_real_expert_states() -> None:
    from benchmarks import take_probe

    cfg = load_config(ROOT / "configs" / "quickstart.yaml", [])
    labelled = take_probe.labelled_states(cfg, "test", 12)
    counts = {name: sum(b == name for _, b in labelled) for name in take_probe.BUCKETS}
    assert counts[take_probe.TAKEN] > 0 and counts[take_probe.OTHERS] > 0
    assert counts[take_probe.NOTHING] > 0
    for demo, name in labelled:
        # the searching expert takes only what is listed, and only the task's object
        if name in (take_probe.OTHERS, take_probe.NOTHING):
            assert not demo.action.startswith("take"), (name, demo.action)
        if demo.action.startswith("take"):
            assert name == take_probe.TAKEN


def test_take_probe_sums_the_take_tokens_of_the_next_token_distribution(tmp_path: Path) -> None:
    import torch

    from agentrl.models import build_tiny_model, build_tokenizer
    from agentrl.policies.hf import chat_ids
    from benchmarks import take_probe

    cfg = load_config(ROOT / "configs" / "quickstart.yaml", [])
    labelled = take_probe.labelled_states(cfg, "test", 4)
    texts = [m["content"] for d, _ in labelled for m in d.messages]
    texts += [d.action for d, _ in labelled]
    tokenizer = build_tokenizer(texts * 3, vocab_size=600)
    model = build_tiny_model(tokenizer, hidden_size=32, num_layers=1, num_heads=2,
                             num_kv_heads=1, intermediate_size=64, seed=0)
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    row = take_probe.probe(str(tmp_path), labelled)
    ids = take_probe.take_token_ids(tokenizer)
    assert [tokenizer.decode([i]).strip() for i in ids] == ["take"] * len(ids)
    for name in take_probe.BUCKETS:
        members = [d for d, b in labelled if b == name]
        assert row[name]["states"] == len(members)
        if members:  # recompute the bucket's mean by hand
            with torch.no_grad():
                ps = [float(model(torch.tensor([chat_ids(tokenizer, d.messages, d.tools)]))
                            .logits[0, -1].softmax(-1)[ids].sum()) for d in members]
            assert row[name]["p_take"] == pytest.approx(sum(ps) / len(ps), rel=1e-5)
    assert row["gap"] == pytest.approx(row[take_probe.TAKEN]["p_take"]
                                       - row[take_probe.OTHERS]["p_take"])


# recall_probe: synthetic lookups behind the household's take decision (issue #10)
def test_recall_probe_examples_and_a_short_run(tmp_path: Path) -> None:
    import random

    from benchmarks import recall_probe

    member = recall_probe.examples("member", 400, random.Random(0))
    answers = [d.action for d in member]
    assert set(answers) == {"yes", "no"} and 0.4 < answers.count("yes") / 400 < 0.6
    for d in member[:50]:
        task, observation = d.messages[1]["content"].split("\n")[:2]
        goal = task.split("put some ")[1].split(" on desk")[0]
        listed = re.findall(r"a ([a-z]+) \d", observation.split("you see ")[1])
        assert (goal in listed) == (d.action == "yes"), (task, observation)
    copy = recall_probe.examples("copy", 20, random.Random(1))
    assert all(d.action in d.messages[1]["content"].split("\n")[0] for d in copy)

    preset = tmp_path / "micro.json"
    preset.write_text(json.dumps({"vocab_size": 600, "hidden_size": 32, "num_layers": 1,
                                  "num_heads": 2, "num_kv_heads": 1, "intermediate_size": 64}))
    result = recall_probe.run(str(preset), "member", n_train=64, n_test=20, epochs=2, lr=1e-3,
                              init=0.1, batch_size=32)
    assert result["initializer_range"] == 0.1 and len(result["curve"]) == 2
    assert result["batch_size"] == 32 and result["train_examples"] == 64
    (line, value), = runner.headlines("recall_probe", {"runs": [result]})
    assert "64 prompts, batch 32" in line and float(value) == pytest.approx(
        result["curve"][-1]["test_accuracy"], abs=1e-3)
    assert all(0.0 <= p["test_accuracy"] <= 1.0 and p["loss"] > 0 for p in result["curve"])
    with pytest.raises(SystemExit, match="unknown preset"):
        recall_probe.run("no-such-preset", "copy", n_train=4, n_test=2, epochs=1, lr=1e-3,
                         init=None)


# gradient_signal: how much of the RL gradient is shared across tasks (issue #10)
def test_noise_scale_recovers_the_mean_and_the_covariance_of_synthetic_gradients() -> None:
    import torch

    from benchmarks import gradient_signal

    gen = torch.Generator().manual_seed(0)
    mean = torch.zeros(50)
    mean[:5] = 1.0  # |G|^2 = 5
    draws = mean + 2.0 * torch.randn(4000, 50, generator=gen)  # tr(Sigma) = 50 * 4 = 200
    row = gradient_signal.noise_scale(draws)
    assert row["G2"] == pytest.approx(5.0, rel=0.1)
    assert row["trace_sigma"] == pytest.approx(200.0, rel=0.05)
    assert row["b_noise"] == pytest.approx(40.0, rel=0.15)
    assert row["b_noise_low"] < row["b_noise"] < row["b_noise_high"]
    # the jackknife standard error matches the spread of G2 over repeated draws of 32 units
    estimates, errors = [], []
    for _ in range(200):
        small = gradient_signal.noise_scale(mean + 2.0 * torch.randn(32, 50, generator=gen))
        estimates.append(small["G2"])
        errors.append(small["G2_se"])
    spread = torch.tensor(estimates).std().item()  # about 2.1 for these draws
    assert sum(errors) / len(errors) == pytest.approx(spread, rel=0.25)
    assert gradient_signal.noise_scale(torch.zeros(3, 4))["b_noise"] == float("inf")
    pair = gradient_signal.noise_scale(torch.tensor([[1.0, 0.0], [1.0, 1.0]]))  # G2 1, trace 0.5
    assert math.isnan(pair["G2_se"]) and math.isnan(pair["b_noise_low"])
    assert pair["b_noise"] == pytest.approx(0.5)
    assert gradient_signal._noise_cell(pair) == "0"  # no interval from two groups
    assert gradient_signal._noise_cell({**row, "b_noise_low": None}) == f"{row['b_noise']:.0f}"
    with pytest.raises(ValueError, match="at least two"):
        gradient_signal.noise_scale(torch.ones(1, 4))
    assert gradient_signal.cosine(torch.tensor([1.0, 0.0]), torch.tensor([1.0, 1.0])) == \
        pytest.approx(2 ** -0.5)
    safe = gradient_signal.json_safe({"rl": {"b_noise": float("inf"), "G2": 0.5}, "x": [1.0]})
    assert json.loads(json.dumps(safe)) == {"rl": {"b_noise": None, "G2": 0.5}, "x": [1.0]}


def test_gradient_signal_on_real_household_rollouts(tmp_path: Path) -> None:
    import torch

    from agentrl.models import build_tiny_model, build_tokenizer
    from benchmarks import gradient_signal, take_probe

    cfg = load_config(ROOT / "configs" / "quickstart.yaml",
                      ["rollout.groups_per_batch=2", "rollout.group_size=2",
                       "rollout.max_turns=4", "policy.max_new_tokens=8"])
    labelled = take_probe.labelled_states(cfg, "train", 3)
    texts = [m["content"] for d, _ in labelled for m in d.messages] + [d.action
                                                                       for d, _ in labelled]
    tokenizer = build_tokenizer(texts * 3, vocab_size=600)
    model = build_tiny_model(tokenizer, hidden_size=32, num_layers=1, num_heads=2,
                             num_kv_heads=1, intermediate_size=64, seed=0)
    model_dir = tmp_path / "model"
    model.save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    cfg = cfg.model_copy(update={"model": cfg.model.model_copy(
        update={"path": str(model_dir), "preset": None})})

    probe = gradient_signal.GradientProbe(cfg, str(tmp_path / "run"))
    episodes = probe.rollout(0, sampling_seed=3)
    rng = torch.Generator().manual_seed(1)
    for ep in episodes:  # a random model rarely succeeds: give every step an advantage
        for step in ep.steps:
            step.advantage = float(torch.randn(1, generator=rng))
    first = probe.group_gradients(episodes)
    probe.rollout(0, sampling_seed=4)
    repeat = probe.rollout(0, sampling_seed=3)  # the policy reseeds when the seed changes
    assert [s.action for e in repeat for s in e.steps] == \
        [s.action for e in episodes for s in e.steps]
    again = probe.group_gradients(repeat)
    assert len(first) == 2 and first.keys() == again.keys()
    from agentrl.trainer.samples import step_samples

    for key, group in first.items():
        grads = group["grads"]
        assert group["episodes"] == 2
        # the split is a partition of the steps: its two parts add up to the gradient of all
        members = [ep for ep in episodes if ep.group_id.endswith("-" + key.split(":")[0])]
        whole = probe._gradient(step_samples(members), True)
        assert grads["rl"].norm() > 0
        assert torch.allclose(grads["rl_split"] + grads["rl_rest"], whole, atol=1e-5)
        assert torch.allclose(grads["rl"], whole, atol=1e-5)
        assert grads["imitation"] is not None and grads["imitation"].norm() > 0
        # the same tasks, layouts and sampling seed: the same episodes and gradients
        assert gradient_signal.cosine(grads["imitation"], again[key]["grads"]["imitation"]) \
            == pytest.approx(1.0, abs=1e-5)

    report = gradient_signal.measure(cfg, str(model_dir))
    assert report["groups"] == 2 and report["episodes_per_group"] == 2
    for kind in ("rl", "imitation"):
        row = report[kind]
        for key in ("cos_same_task", "cos_other_task", "cos_iteration_same_tasks",
                    "cos_iteration_other_tasks"):
            assert -1.0 <= row[key] <= 1.0, (kind, key)
        assert row["trace_sigma"] >= 0 and row["b_noise"] > 0
    assert report["imitation"]["trace_sigma"] > 0
    assert 0.0 <= report["success"]["A"] <= 1.0
    assert -1.0 <= report["cos_rl_imitation_iteration"] <= 1.0


# rl_curve: held-out success of a run's start model and kept checkpoints (issue #10)
RL_CURVE_RUN = """
seed: 1
env: {{id: test/Walk-v0}}
model: {{preset: {preset}}}
rollout: {{group_size: 2, groups_per_batch: 3, history_window: 1}}
policy: {{max_new_tokens: 3}}
credit: {{estimator: {{name: grpo}}}}
trainer:
  iterations: 2
  minibatch_size: 16
  checkpoint_every: 1
  keep_checkpoints: 3
  sft: {{enabled: true, episodes: 6, epochs: 1, batch_size: 16}}
eval: {{episodes: 2, every: 0, final: false}}
output: {{dir: {out}}}
"""


def test_rl_curve_evaluates_the_start_and_every_kept_checkpoint(tmp_path: Path) -> None:
    import agentrl
    from agentrl.errors import UserError
    from agentrl.trainer.local import LocalTrainer
    from benchmarks import plots, rl_curve

    agentrl.register(id="test/Walk-v0", entry_point="tests.envs.toy_envs:Walk", max_turns=6)
    preset = tmp_path / "micro.json"
    preset.write_text(json.dumps({"vocab_size": 300, "hidden_size": 32, "num_layers": 1,
                                  "num_heads": 2, "num_kv_heads": 1, "intermediate_size": 64}))
    config = tmp_path / "run.yaml"
    run_dir = tmp_path / "run"
    config.write_text(RL_CURVE_RUN.format(preset=preset, out=run_dir))
    LocalTrainer(load_config(config), progress=False, log=lambda *_: None).fit()

    assert [i for i, _ in rl_curve.checkpoints(run_dir)] == [0, 1]
    run = rl_curve.measure(run_dir, k=2, episodes=3)
    held = run["held_out"]
    assert [p["iteration"] for p in held] == [-1, 0, 1]
    assert [p["groups"] for p in held] == [0, 3, 6]  # 3 groups per iteration
    assert held[0]["model"].endswith("run/sft")
    for p in held:
        assert p["ci"][0] <= p["success"] <= p["ci"][1]
        assert p["success"] <= p["pass_at_k"] <= 1.0
    assert [r["iteration"] for r in run["training"]] == [0, 1]
    assert all(0.0 <= r["success"] <= 1.0 for r in run["training"])
    png = plots.plot_rl_curve({"runs": [run]}, tmp_path)
    assert png == tmp_path / "rl_curve.png" and png.read_bytes()[:4] == b"\x89PNG"
    assert plots.moving_average([1.0, 0.0, 0.5, 0.5], 2) == [1.0, 0.5, 0.25, 0.5]

    empty = tmp_path / "empty"
    shutil.copytree(run_dir, empty, ignore=shutil.ignore_patterns("checkpoints"))
    with pytest.raises(UserError, match="no checkpoints"):
        rl_curve.measure(empty, k=1, episodes=1)
    with pytest.raises(UserError, match=r"no metrics\.jsonl"):
        rl_curve.training_curve(tmp_path)


def test_append_runs_keeps_earlier_runs_and_relative_paths_stay_portable(tmp_path: Path) -> None:
    from benchmarks import ROOT, append_runs, relative_path

    out = tmp_path / "sub" / "probe.json"
    assert append_runs(out, [{"a": 1}]) == [{"a": 1}]
    assert append_runs(out, [{"b": 2}, {"c": 3}]) == [{"a": 1}, {"b": 2}, {"c": 3}]
    assert json.loads(out.read_text()) == {"runs": [{"a": 1}, {"b": 2}, {"c": 3}]}
    assert relative_path(str(ROOT / "configs" / "quickstart.yaml")) == "configs/quickstart.yaml"
    assert relative_path(str(tmp_path)) == str(tmp_path)


# ---------------------------------------------------------------------------------------------
# usual_place: what RL learns in the quickstart's household world (issue #10)
# ---------------------------------------------------------------------------------------------
def test_usual_place_counts_the_first_move_against_the_usual_kind(tmp_path: Path) -> None:
    from agentrl.environments.household.catalog import OBJECTS
    from agentrl.environments.household.tasks import make_spec, task_list
    from benchmarks import usual_place

    tasks = task_list("test", 40)
    with_home = [t.task_id for t in tasks if usual_place.usual_kind(t.task_id)]
    without = [t.task_id for t in tasks if usual_place.usual_kind(t.task_id) is None]
    assert len(with_home) >= 2 and without
    a, b = with_home[:2]
    home_a = usual_place.usual_kind(a)
    spec_b = make_spec("test", int(b.rsplit("/", 1)[1]))
    assert home_a == OBJECTS[make_spec("test", int(a.rsplit("/", 1)[1])).obj].receptacles[0]
    other_b = next(k for k, _ in spec_b.layout if k != usual_place.usual_kind(b))

    def episode(task_id: str, actions: list[str], success: bool) -> dict[str, Any]:
        return {"task_id": task_id, "success": success,
                "steps": [{"action": x} for x in actions]}

    episodes = [
        episode(a, ["open drawer 1", f"go to {home_a} 1", "go to shelf 2"], True),
        episode(b, [f"go to {other_b} 2", "look"], False),
        episode(without[0], [f"go to {other_b} 1"], True),  # nothing to choose: not counted
        episode(a, ["look"], False),  # never moved: not counted
    ]
    stats = usual_place.first_move_stats(episodes)
    assert stats == {"episodes": 4, "success": 0.5, "counted": 2, "first_move_usual": 0.5,
                     "success_after_usual": 1.0, "success_after_other": 0.0}

    folder = tmp_path / "eval" / "hf-model"
    folder.mkdir(parents=True)
    (folder / "episodes.jsonl").write_text("".join(json.dumps(e) + "\n" for e in episodes))
    (folder / "results.json").write_text(json.dumps({"policy": "hf:model"}))
    out = tmp_path / "usual_place.json"
    usual_place.main([str(tmp_path / "eval"), "--out", str(out)])
    rows = json.loads(out.read_text())["runs"]
    assert rows == [{"policy": "hf:model", **stats}]
    with pytest.raises(SystemExit, match=r"no episodes\.jsonl here or in its folders"):
        usual_place.main([str(tmp_path / "missing"), "--out", str(out)])


def test_summary_dates_come_from_the_results_not_the_file_time(tmp_path: Path) -> None:
    """A fresh clone gives every results file the clone's mtime: the summary's 'written' is the
    date the file records (or its last run's), and the mtime only for files that record none
    and are not committed."""
    import os

    path = tmp_path / "x.json"
    path.write_text("{}")
    os.utime(path, (1_700_000_000, 1_700_000_000))  # 2023-11-14 22:13 UTC
    assert runner.written_at(path, {"date": "2026-12-05T18:39:06.3+00:00"}) == "2026-12-05 18:39"
    assert runner.written_at(path, {"runs": [{"date": "2026-01-02T03:04:05"},
                                             {"date": "2026-12-04T19:52:27+01:00"}]}) == (
        "2026-12-04 18:52")
    assert runner.written_at(path, {"date": "not a date"}) == "2023-11-14 22:13"
    assert runner.written_at(path, [1, 2]) == "2023-11-14 22:13"
    committed = RESULTS / "credit.json"  # records no date; tracked by git
    expected = subprocess.run(["git", "log", "-1", "--format=%cI", "--", committed.name],
                              cwd=committed.parent, capture_output=True, text=True).stdout.strip()
    if expected and not subprocess.run(["git", "status", "--porcelain", "--", committed.name],
                                       cwd=committed.parent, capture_output=True,
                                       text=True).stdout.strip():
        from datetime import datetime, timezone
        assert runner.written_at(committed, json.loads(committed.read_text())) == (
            datetime.fromisoformat(expected).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M"))
