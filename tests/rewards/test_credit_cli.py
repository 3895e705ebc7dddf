"""``agentrl credit`` end to end on a random batch, checked against an independent loop-based
implementation (``_credit_reference``), plus config, override and error handling."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import typer
from _credit_builders import make_episode
from _credit_reference import gigpo as ref_gigpo
from _credit_reference import grpo as ref_grpo
from _credit_reference import rloo as ref_rloo
from typer.testing import CliRunner

from agentrl.commands.credit import register
from agentrl.errors import ConfigError, EpisodeFormatError
from agentrl.rewards.config import load_credit_section
from agentrl.types import read_episodes, write_episodes


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """agentrl (test harness)."""

    register(app)
    return app


def random_batch(seed: int = 0, groups: int = 6):
    rng = random.Random(seed)
    eps = []
    for g in range(groups):
        for e in range(rng.randint(1, 5)):
            n = rng.randint(1, 6)
            rewards = [round(rng.uniform(-1, 1), 3) if rng.random() < 0.5 else 0.0
                       for _ in range(n)]
            keys = [f"room{rng.randint(0, 3)}" for _ in range(n)]
            valid = [rng.random() < 0.8 for _ in range(n)]
            eps.append(make_episode(f"g{g}e{e}", f"g{g}", rewards, keys, valid=valid))
    return eps


def run(tmp_path: Path, args: list[str], episodes=None):
    src = tmp_path / "in.jsonl"
    if episodes is not None:
        write_episodes(src, episodes)
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli(), ["credit", str(src), "-o", str(out), *args])
    return result, out


def columns(episodes, field):
    return [[getattr(s, field) for s in ep.steps] for ep in episodes]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cli_gigpo_matches_the_independent_implementation(tmp_path, seed):
    eps = random_batch(seed)
    result, out = run(tmp_path, ["credit.estimator.name=gigpo", "credit.estimator.gamma=0.9",
                                 "credit.estimator.omega=0.7"], eps)
    assert result.exit_code == 0, result.output
    got = list(read_episodes(out))
    rewards = columns(eps, "reward")
    want = ref_gigpo(rewards, [e.group_id for e in eps], columns(eps, "state_key"),
                     gamma=0.9, omega=0.7)
    for g_ep, w in zip(got, want, strict=True):
        assert [s.advantage for s in g_ep.steps] == pytest.approx(w, abs=1e-5)
        assert [s.shaped_reward for s in g_ep.steps] == [s.reward for s in g_ep.steps]
    assert "non-trivial" in result.output and "advantage" in result.output


def test_cli_config_file_with_shaper_and_rloo_and_grpo(tmp_path):
    eps = random_batch(5)
    cfg = tmp_path / "run.yaml"
    cfg.write_text("model: {path: x}\ncredit:\n  shapers: [{name: invalid_penalty, coef: 0.2}]\n"
                   "  estimator: {name: grpo, norm_std: false}\n")
    penalised = [[s.reward - (0.2 if not s.valid else 0.0) for s in ep.steps] for ep in eps]
    groups = [e.group_id for e in eps]

    result, out = run(tmp_path, ["--config", str(cfg)], eps)
    assert result.exit_code == 0, result.output
    got = list(read_episodes(out))
    want = ref_grpo(penalised, groups, norm_std=False)
    for g_ep, w, pen in zip(got, want, penalised, strict=True):
        assert [s.advantage for s in g_ep.steps] == pytest.approx([w] * len(g_ep.steps), abs=1e-5)
        assert [s.shaped_reward for s in g_ep.steps] == pytest.approx(pen, abs=1e-9)

    result, out = run(tmp_path, ["--config", str(cfg), "credit.estimator={name: rloo}"])
    assert result.exit_code == 0, result.output
    want = ref_rloo(penalised, groups)
    for g_ep, w in zip(read_episodes(out), want, strict=True):
        assert g_ep.steps[0].advantage == pytest.approx(w, abs=1e-5)


def test_cli_summary_json(tmp_path):
    eps = [make_episode("a", "g", [1.0, 0.0], ["s", "t"]), make_episode("b", "g", [0.0], ["s"])]
    summary = tmp_path / "summary.json"
    result, _ = run(tmp_path, ["--summary-json", str(summary), "credit.estimator.name=gigpo"],
                    eps)
    assert result.exit_code == 0, result.output
    data = json.loads(summary.read_text())
    assert data["steps"] == 3 and data["step_groups"] == 2
    assert data["nontrivial_step_fraction"] == pytest.approx(2 / 3)
    assert sum(data["histogram_counts"]) == 3
    assert data["groups"][0]["episodes"] == 2 and data["groups"][0]["return_mean"] == 0.5


def test_cli_bad_record_names_line_and_field(tmp_path):
    src = tmp_path / "in.jsonl"
    write_episodes(src, random_batch(0, groups=1))
    lines = src.read_text().splitlines()
    bad = json.loads(lines[0])
    bad["steps"][0]["reward"] = "high"
    src.write_text("\n".join([lines[0], json.dumps(bad), *lines[1:]]) + "\n")
    result, _ = run(tmp_path, [])
    assert isinstance(result.exception, EpisodeFormatError)
    assert "in.jsonl:2:" in str(result.exception) and "reward" in str(result.exception)


def test_cli_missing_values_for_gae_name_the_line(tmp_path):
    eps = random_batch(0, groups=1)
    for ep in eps:
        for s in ep.steps:
            s.extra["value"] = 0.0
    del eps[-1].steps[-1].extra["value"]
    result, _ = run(tmp_path, ["credit.estimator.name=gae"], eps)
    assert isinstance(result.exception, EpisodeFormatError)
    msg = str(result.exception)
    assert f"in.jsonl:{len(eps)}:" in msg and "value head" in msg


def test_cli_rejects_unknown_params_with_did_you_mean(tmp_path):
    result, _ = run(tmp_path, ["credit.estimator.name=gigpo", "credit.estimator.gamme=0.9"],
                    random_batch(0, 1))
    assert isinstance(result.exception, ConfigError)
    assert "unknown parameter 'gamme'" in str(result.exception)
    assert "did you mean 'gamma'" in str(result.exception)


# ------------------------------------------------------------------ config section + overrides


def test_overrides_build_and_edit_the_section(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("credit:\n  shapers: [{name: gated, priority: [outcome]}]\n"
                   "  estimator: {name: gigpo}\n")
    section = load_credit_section(cfg, ["credit.estimator.gamma=0.9",
                                        "credit.shapers.0.thresholds={outcome: 1}",
                                        "credit.shapers.1={name: milestone, weight: 0.5}",
                                        "credit.estimator.norm_std=false"])
    assert section == {"shapers": [{"name": "gated", "priority": ["outcome"],
                                    "thresholds": {"outcome": 1}},
                                   {"name": "milestone", "weight": 0.5}],
                       "estimator": {"name": "gigpo", "gamma": 0.9, "norm_std": False}}
    assert load_credit_section(None, ["credit.estimator.name=rloo"]) == {
        "shapers": [], "estimator": {"name": "rloo"}}


@pytest.mark.parametrize("override, message", [
    ("trainer.lr=1", "only takes credit"),
    ("credit.estimatr.name=x", "only the keys shapers and estimator"),
    ("credit.shapers.x.name=gated", "index it with a number"),
    ("credit.shapers.3.name=gated", "has 0 entries"),
    ("credit.estimator.name", "must look like"),
])
def test_bad_overrides_are_one_line_config_errors(override, message):
    with pytest.raises(ConfigError, match=message):
        load_credit_section(None, [override])


def test_bad_config_files(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("credit:\n  estimator: {name: grpo\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_credit_section(cfg)
    cfg.write_text("credit:\n  shaper: []\n")
    with pytest.raises(ConfigError, match=r"unknown key credit\.shaper"):
        load_credit_section(cfg)
    with pytest.raises(ConfigError, match="no such config file"):
        load_credit_section(tmp_path / "nope.yaml")


def test_cli_lists_components_and_needs_files_otherwise(tmp_path):
    result = CliRunner().invoke(cli(), ["credit", "--list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in ("gigpo", "similarity_threshold", "gated", "priority", "spa", "toolrl"):
        assert name in result.output
    result = CliRunner().invoke(cli(), ["credit"])
    assert "needs an episodes file" in str(result.exception)
