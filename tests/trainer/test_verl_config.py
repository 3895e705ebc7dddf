"""The generated verl config is accepted by verl's own schema, and every recipe dry-runs.

verl's hydra config (``ppo_trainer.yaml`` from the installed verl) is composed with the file
``agentrl train`` writes, then verl's validators and config dataclasses are instantiated on CPU,
the model section against a real (tiny, local) Hugging Face checkpoint.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

import tests.trainer.verl_guard  # noqa: F401  (skips or fails this module without verl)

with warnings.catch_warnings():  # verl announces each optional engine it cannot import
    warnings.simplefilter("ignore")
    from typer.testing import CliRunner
    from verl.utils.config import omega_conf_to_dataclass
    from verl.workers.config import FSDPActorConfig, FSDPCriticConfig, HFModelConfig, RolloutConfig

    from agentrl.cli import app, main
    from agentrl.config import RunConfig, load_config
    from agentrl.errors import ConfigError
    from agentrl.trainer.verl import schema
    from agentrl.trainer.verl.agent_loop import run_config_of
    from agentrl.trainer.verl.translate import build_verl_config, render_yaml

pytestmark = pytest.mark.filterwarnings("ignore:.*engine is not available:UserWarning")
ROOT = Path(__file__).resolve().parents[2]
RECIPES = sorted((ROOT / "configs" / "recipes").glob("*.yaml"))


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real Qwen2-architecture checkpoint (random weights) with its tokenizer, saved locally."""
    from agentrl.models import build_tiny_model, build_tokenizer

    tokenizer = build_tokenizer(["go to countertop 1", "Observation: Action:"] * 20,
                                vocab_size=300)
    model = build_tiny_model(tokenizer, hidden_size=32, num_layers=2, num_heads=4,
                             num_kv_heads=2, intermediate_size=64, seed=0)
    path = tmp_path_factory.mktemp("tiny-ckpt")
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def composed(cfg: RunConfig, tmp_path: Path) -> Any:
    path = tmp_path / "agentrl_verl.yaml"
    path.write_text(render_yaml(build_verl_config(cfg)), encoding="utf-8")
    return schema.compose(path, cfg.trainer.verl.overrides)


def test_household_recipe_instantiates_verls_dataclasses(tiny_checkpoint: Path,
                                                         tmp_path: Path) -> None:
    cfg = load_config(ROOT / "configs/recipes/household-gigpo.yaml",
                      [f"model.path={tiny_checkpoint}", "eval.samples=4"])
    conf = composed(cfg, tmp_path)
    schema.check(conf, instantiate_model=True)  # validate_config + registries + dataclasses

    actor = omega_conf_to_dataclass(conf.actor_rollout_ref.actor)
    rollout = omega_conf_to_dataclass(conf.actor_rollout_ref.rollout)
    model = omega_conf_to_dataclass(conf.actor_rollout_ref.model)
    algo = omega_conf_to_dataclass(conf.algorithm)
    assert isinstance(actor, FSDPActorConfig) and isinstance(rollout, RolloutConfig)
    assert isinstance(model, HFModelConfig) and model.tokenizer is not None
    # the agentrl values arrived where verl reads them
    assert rollout.n == 8 and rollout.name == "vllm" and rollout.temperature == 1.0
    assert rollout.tensor_model_parallel_size == 2 and rollout.gpu_memory_utilization == 0.6
    assert rollout.prompt_length == 2048 and rollout.response_length == 512
    assert rollout.agent.default_agent_loop == "agentrl" and rollout.calculate_log_probs
    assert rollout.val_kwargs.temperature == 0.4 and rollout.val_kwargs.do_sample
    assert rollout.val_kwargs.n == 4  # eval.samples episodes per validation task
    assert actor.optim.lr == 1e-6 and actor.optim.weight_decay == 0.0
    assert actor.ppo_mini_batch_size == 32  # 256 step samples / 8 per group
    assert actor.ppo_epochs == 1 and actor.entropy_coeff == 0.001
    assert actor.clip_ratio_low == actor.clip_ratio_high == 0.2 and actor.clip_ratio_c == 3.0
    assert actor.use_kl_loss and actor.kl_loss_coef == 0.01 and actor.kl_loss_type == "low_var_kl"
    assert actor.loss_agg_mode == "token-mean" and actor.use_dynamic_bsz
    assert algo.adv_estimator == "agentrl_grpo" and algo.gamma == 0.95
    assert conf.data.train_batch_size == 16 and conf.trainer.total_training_steps == 150
    assert conf.trainer.v1.trainer_mode == "agentrl" and conf.trainer.use_v1
    assert conf.trainer.n_gpus_per_node == 2 and conf.trainer.nnodes == 1
    assert conf.actor_rollout_ref.ref.fsdp_config.param_offload is True
    env_vars = conf.ray_kwargs.ray_init.runtime_env.env_vars
    assert env_vars.VERL_USE_EXTERNAL_MODULES == "agentrl.trainer.verl.plugin"
    # the agentrl section survives hydra and is what the workers parse
    assert run_config_of(conf).model_dump() == cfg.model_dump()


def test_gae_enables_verls_critic(tiny_checkpoint: Path, tmp_path: Path) -> None:
    cfg = load_config(ROOT / "configs/recipes/household-gigpo.yaml",
                      [f"model.path={tiny_checkpoint}", "credit.estimator={name: gae, lam: 0.9}",
                       "trainer.loss_agg=episode-mean", "trainer.kl_coef=0",
                       "trainer.verl.nnodes=4", "trainer.verl.n_gpus_per_node=8",
                       "trainer.verl.rollout_engine=sglang",
                       "trainer.verl.overrides=[trainer.save_freq=3]"])
    conf = composed(cfg, tmp_path)
    schema.check(conf, instantiate_model=True)
    critic = omega_conf_to_dataclass(conf.critic)
    assert isinstance(critic, FSDPCriticConfig) and conf.critic.enable
    assert conf.critic.model.path == str(tiny_checkpoint)
    assert conf.actor_rollout_ref.actor.loss_agg_mode == "seq-mean-token-mean"
    assert not conf.actor_rollout_ref.actor.use_kl_loss
    assert conf.trainer.nnodes == 4 and conf.trainer.n_gpus_per_node == 8
    assert conf.actor_rollout_ref.rollout.name == "sglang"
    assert conf.trainer.save_freq == 3  # extra overrides win


def test_task_rows_load_in_verls_dataset(tiny_checkpoint: Path, tmp_path: Path) -> None:
    from transformers import AutoTokenizer
    from verl.trainer.ppo.utils import create_rl_dataset

    from agentrl.trainer.verl.data import write_task_files

    cfg = load_config(ROOT / "configs/recipes/household-gigpo.yaml",
                      [f"model.path={tiny_checkpoint}", f"output.dir={tmp_path / 'run'}",
                       "eval.episodes=5"])
    train_file, n_train, val_file, n_val = write_task_files(cfg)
    assert (n_train, n_val) == (4000, 5)
    conf = composed(cfg, tmp_path)
    assert (conf.data.train_files, conf.data.val_files) == (str(train_file), str(val_file))
    tokenizer = AutoTokenizer.from_pretrained(tiny_checkpoint)
    dataset = create_rl_dataset(conf.data.train_files, conf.data, tokenizer, None)
    assert len(dataset) == 4000
    row = dataset[3]
    assert row["agent_name"] == "agentrl" and row["data_source"] == "agentrl/Household-v0"
    assert row["extra_info"]["task_id"] == "household/train/3"
    assert row["extra_info"]["split"] == "train" and row["index"] == 3
    assert row["raw_prompt"][0]["role"] == "user"
    val = create_rl_dataset(conf.data.val_files, conf.data, tokenizer, None, is_train=False)
    assert [val[i]["extra_info"]["seed"] for i in range(5)] == [0, 1, 2, 3, 4]


def test_templates_with_dollar_braces_survive_omegaconf(tmp_path: Path) -> None:
    cfg = load_config(ROOT / "configs/recipes/tools-toolrl-grpo.yaml",
                      ["prompt.user='Pay ${price} for {{ task }}: {{ observation }}'"])
    conf = composed(cfg, tmp_path)
    assert run_config_of(conf).prompt.user == "Pay ${price} for {{ task }}: {{ observation }}"


@pytest.mark.parametrize(("override", "message"), [
    ("model.path=null", "needs a Hugging Face checkpoint"),
    ("trainer.sft.enabled=true", "SFT warm-up runs only on the local backend"),
    ("credit.shapers=[{name: spa}]", "the spa shaper trains a model"),
    ("trainer.negative_advantage_weight=0.5", "no weight for negative advantages"),
])
def test_unsupported_combinations_are_one_line_errors(override: str, message: str) -> None:
    cfg = load_config(ROOT / "configs/recipes/household-gigpo.yaml", [override])
    with pytest.raises(ConfigError, match=message):
        build_verl_config(cfg)


def test_bad_override_is_reported_by_verls_schema(tmp_path: Path) -> None:
    cfg = load_config(ROOT / "configs/recipes/household-gigpo.yaml",
                      ["trainer.verl.overrides=[trainer.no_such_key=1]"])
    with pytest.raises(ConfigError, match="could not compose"):
        composed(cfg, tmp_path)


# ---------------------------------------------------------------------------------------------
# agentrl train RECIPE --dry-run
# ---------------------------------------------------------------------------------------------


def test_there_is_a_recipe_per_environment() -> None:
    envs = {load_config(p).env.id for p in RECIPES}
    assert envs == {"agentrl/Household-v0", "agentrl/TextWorld-v0", "agentrl/WebShop-v0",
                    "agentrl/ToolUse-v0", "agentrl/SWE-v0"}


@pytest.mark.parametrize("recipe", RECIPES, ids=[p.stem for p in RECIPES])
def test_recipe_dry_run(recipe: Path, tmp_path: Path) -> None:
    cfg = load_config(recipe)
    assert cfg.trainer.backend == "verl" and cfg.model.path == "Qwen/Qwen2.5-1.5B-Instruct"
    result = CliRunner().invoke(app, ["train", str(recipe), "--dry-run",
                                      f"output.dir={tmp_path / 'run'}"])
    assert result.exit_code == 0, result.output
    printed = yaml.safe_load(result.stdout)  # the whole output is valid YAML
    assert printed["defaults"] == ["ppo_trainer", "_self_"]
    assert printed["actor_rollout_ref"]["rollout"]["n"] == cfg.rollout.group_size
    assert printed["agentrl"]["credit"] == cfg.model_dump(mode="json")["credit"]
    assert "-m verl.trainer.main_ppo --config-path" in result.stdout
    assert "VERL_USE_EXTERNAL_MODULES=agentrl.trainer.verl.plugin" in result.stdout
    assert "composed and validated this config" in result.stdout
    assert not (tmp_path / "run").exists()  # a dry run writes nothing


def test_7b_override_dry_runs() -> None:
    result = CliRunner().invoke(app, [
        "train", str(ROOT / "configs/recipes/household-gigpo.yaml"), "--dry-run",
        "model.path=Qwen/Qwen2.5-7B-Instruct", "trainer.verl.n_gpus_per_node=8",
        "trainer.verl.micro_batch_size_per_gpu=16"])
    assert result.exit_code == 0, result.output
    assert "path: Qwen/Qwen2.5-7B-Instruct" in result.stdout


def test_local_backend_dry_run_prints_the_resolved_config() -> None:
    result = CliRunner().invoke(app, ["train", str(ROOT / "configs/quickstart.yaml"),
                                      "--dry-run", "trainer.lr=3e-4"])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["trainer"]["lr"] == 3e-4


def test_missing_verl_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from agentrl.errors import MissingDependencyError
    from agentrl.trainer.verl import require_verl

    monkeypatch.setitem(sys.modules, "verl", None)  # as if the extra were not installed
    with pytest.raises(MissingDependencyError) as error:
        require_verl()
    assert str(error.value) == ("trainer.backend=verl needs the verl extra: "
                                "pip install -e '.[verl]' (missing module 'verl')")
    with pytest.raises(SystemExit) as exit_info:
        main(["train", str(ROOT / "configs/recipes/household-gigpo.yaml"), "--dry-run"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert err.startswith("error: trainer.backend=verl needs the verl extra: pip install -e")
