"""Every config shipped in configs/ validates, and the CPU ones train one iteration."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentrl.cli import app
from agentrl.config import load_config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
RUN_CONFIGS = sorted(p for p in CONFIGS.rglob("*.yaml")
                     if "suites" not in p.parts and "models" not in p.parts)
CPU_CONFIGS = sorted(p for p in CONFIGS.glob("*.yaml"))

# one short iteration: a few demonstrations, one group, short episodes, one eval episode; every
# sample goes into the update (two 4-step episodes often tie, and a config that skips
# zero-advantage samples would then skip the update this test is here to run)
SMOKE = ["trainer.iterations=1", "trainer.sft.episodes=6", "trainer.sft.epochs=1",
         "rollout.group_size=2", "rollout.groups_per_batch=1", "rollout.max_turns=4",
         "eval.episodes=1", "trainer.checkpoint_every=1", "trainer.skip_zero_advantage=false"]

# environments whose smoke run needs more than seconds or a container engine
MARKS = {"textworld": [pytest.mark.slow], "swe": [pytest.mark.docker, pytest.mark.slow]}


def test_configs_exist() -> None:
    names = {p.stem for p in CPU_CONFIGS}
    assert {"quickstart", "textworld", "webshop", "tools", "swe"} <= names
    assert len(RUN_CONFIGS) > len(CPU_CONFIGS)  # plus the GPU recipes


@pytest.mark.parametrize("path", RUN_CONFIGS, ids=lambda p: str(p.relative_to(CONFIGS)))
def test_every_config_validates(path: Path) -> None:
    result = CliRunner().invoke(app, ["config", "validate", str(path)])
    assert result.exit_code == 0, result.output
    cfg = load_config(path)
    assert cfg.env.id.startswith("agentrl/")


@pytest.mark.parametrize("path", [pytest.param(p, marks=MARKS.get(p.stem, []), id=p.stem)
                                  for p in CPU_CONFIGS])
def test_cpu_config_trains_one_iteration(path: Path, tmp_path: Path) -> None:
    from agentrl.trainer import LocalTrainer

    cfg = load_config(path, [*SMOKE, f"output.dir={tmp_path / 'run'}"])
    assert cfg.trainer.backend == "local" and cfg.model.preset == "tiny"
    results = LocalTrainer(cfg, progress=False, log=lambda *_: None).fit()
    last = results["last_iteration"]
    assert last["iteration"] == 0 and last["episodes"] == 2.0
    assert last["samples"] > 0 and abs(last["pg_loss"]) < 1e3
    assert {"sft/test/sampled", "final/test/greedy"} <= set(results)
    assert (tmp_path / "run" / "checkpoints" / "iter_000000" / "config.json").exists()
    shutil.rmtree(tmp_path / "run")
