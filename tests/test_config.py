"""Config loading: defaults, overrides, and one-line errors naming the key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentrl.config import RunConfig, apply_overrides, dump_config, load_config, parse_config
from agentrl.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(text)
    return path


def test_minimal_config_fills_defaults(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, "env:\n  id: example/GuessNumber-v0\n"))
    assert cfg.name == "run"
    assert cfg.rollout.group_size == 8 and cfg.rollout.history_window == 2
    assert cfg.credit.estimator.name == "grpo" and cfg.credit.shapers == []
    assert cfg.trainer.backend == "local" and cfg.model.preset == "tiny"
    assert cfg.env.splits.test == "test"


def test_overrides_take_yaml_values(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, "env:\n  id: example/GuessNumber-v0\n"), [
        "trainer.lr=3e-4", "rollout.projection=true", "eval.splits=[test, valid]",
        "credit.estimator.name=gigpo", "credit.estimator.gamma=0.9", "env.kwargs.high=32",
        "model.path=Qwen/Qwen2.5-1.5B-Instruct"])
    assert cfg.trainer.lr == 3e-4 and cfg.rollout.projection is True
    assert cfg.eval.splits == ["test", "valid"]
    assert cfg.credit.estimator.name == "gigpo" and cfg.credit.estimator.params == {"gamma": 0.9}
    assert cfg.env.kwargs == {"high": 32}
    assert cfg.model.path == "Qwen/Qwen2.5-1.5B-Instruct" and cfg.model.preset is None


def test_component_params_and_list_overrides() -> None:
    data = {"env": {"id": "x/Y-v0"}, "credit": {"shapers": [
        {"name": "gated", "priority": ["outcome", "format"], "thresholds": {"outcome": 1.0}},
        {"name": "milestone", "weight": 0.5}]}}
    apply_overrides(data, ["credit.shapers.1.weight=0.25"])
    cfg = parse_config(data)
    assert cfg.credit.shapers[0].params == {"priority": ["outcome", "format"],
                                            "thresholds": {"outcome": 1.0}}
    assert cfg.credit.shapers[1].params == {"weight": 0.25}


@pytest.mark.parametrize(("text", "overrides", "message"), [
    ("env:\n  id: a/B-v0\ntrainer:\n  lrr: 1\n", [],
     "unknown key 'trainer.lrr' (did you mean 'trainer.lr'?)"),
    ("env:\n  id: a/B-v0\nrollout:\n  group_size: many\n", [],
     "'rollout.group_size': input should be a valid integer"),
    ("trainer:\n  lr: 0.1\n", [], "missing required key 'env'"),
    ("env: {}\n", [], "missing required key 'env.id'"),
    ("env:\n  id: a/B-v0\n  splits:\n    tset: x\n", [],
     "unknown key 'env.splits.tset' (did you mean 'env.splits.test'?)"),
    ("env:\n  id: a/B-v0\n", ["rollout.temprature=0.5"],
     "unknown key 'rollout.temprature' (did you mean 'rollout.temperature'?)"),
    ("env:\n  id: a/B-v0\n", ["trainer.backend=ray"],
     "'trainer.backend': input should be 'local' or 'verl'"),
    ("env:\n  id: a/B-v0\n", ["rollout.group_size=0"],
     "'rollout.group_size': input should be greater than or equal to 1, got 0"),
    ("env:\n  id: a/B-v0\n", ["trainer.lr"], "override 'trainer.lr' must look like key.sub=value"),
    ("env:\n  id: a/B-v0\nmodel:\n  path: p\n  preset: tiny\n", [],
     "'model': set either model.path or model.preset, not both"),
    ("env:\n  id: a/B-v0\nmodel:\n  path: p\n", ["policy.backend=openai",
                                                 "rollout.constrain=true"],
     "'rollout.constrain': policy.backend=openai cannot constrain decoding"),
    ("env:\n  id: a/B-v0\nmodel:\n  path: p\n", ["trainer.backend=verl",
                                                 "rollout.constrain=true"],
     "'rollout.constrain': the verl bridge samples with verl's own rollout"),
    ("env:\n  id: [a\n", [], "run.yaml:3:1: invalid YAML"),
    ("- just\n- a list\n", [], "the top level must be a mapping"),
    ("env:\n  id: a/B-v0\ncredit:\n  shapers: [{weight: 1}]\n", [],
     "missing required key 'credit.shapers.0.name'"),
])
def test_malformed_configs_give_one_line_with_the_key_path(
        tmp_path: Path, text: str, overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_config(_write(tmp_path, text), overrides)
    msg = str(exc.value)
    assert message in msg
    assert "\n" not in msg


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match=r"config file 'nope\.yaml' not found"):
        load_config("nope.yaml")


def test_dump_round_trips(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, "env:\n  id: a/B-v0\ncredit:\n  estimator: "
                                       "{name: gigpo, gamma: 0.95}\n"))
    again = load_config(_write(tmp_path, dump_config(cfg)))
    assert again == cfg
    assert isinstance(again, RunConfig)


def test_every_shipped_config_validates() -> None:
    configs = sorted((ROOT / "configs").glob("**/*.yaml"))
    runs = [p for p in configs if "models" not in p.parts and "suites" not in p.parts]
    assert runs, "configs/ has no run configs"
    for path in runs:
        load_config(path)
