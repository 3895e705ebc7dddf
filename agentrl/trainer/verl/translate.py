"""Translate an agentrl run config into a verl 0.9 hydra config and the command that launches it.

The result is one YAML file: verl's own ``ppo_trainer.yaml`` (found on the hydra search path
``pkg://verl.trainer.config``) with agentrl's values on top, plus an ``agentrl`` section holding
the resolved agentrl config, which the agent loop and the trainer read inside verl's Ray workers.
It is run with ``python -m verl.trainer.main_ppo --config-path DIR --config-name agentrl_verl``,
so verl's own entry point, config schema and checks apply. Nothing here imports verl.

Mapping (agentrl -> verl):

=================================  ===========================================================
``model.path`` / ``tokenizer``     ``actor_rollout_ref.model.path`` / ``tokenizer_path``
``rollout.group_size``             ``actor_rollout_ref.rollout.n`` (one GRPO/GiGPO group per
                                   dataset row: the n sessions share task and seed)
``rollout.groups_per_batch``       ``data.train_batch_size`` (tasks per iteration)
``rollout.temperature``,           ``actor_rollout_ref.rollout.temperature``, ``top_p``,
``policy.top_p``, ``policy.top_k`` ``top_k`` (0 -> -1)
``policy.max_new_tokens``          ``data.max_response_length`` (one action)
``trainer.verl.max_prompt_length`` ``data.max_prompt_length`` (one step's prompt)
``trainer.lr``, ``lr_schedule``,   ``actor.optim.lr``, ``lr_scheduler_type``,
``warmup_iterations``              ``lr_warmup_steps`` (weight decay 0, as the local trainer)
``trainer.ppo_epochs``             ``actor.ppo_epochs``
``trainer.minibatch_size``         ``actor.ppo_mini_batch_size`` = ceil(minibatch / group_size):
                                   verl counts mini-batches in prompts and multiplies by ``n``
``trainer.clip_ratio``             ``actor.clip_ratio``, ``clip_ratio_low``, ``clip_ratio_high``
``trainer.clip_ratio_c``           ``actor.clip_ratio_c`` (verl always dual-clips: null -> 1e9)
``trainer.kl_coef``, ``kl_type``   ``actor.use_kl_loss`` (coef > 0), ``kl_loss_coef``,
                                   ``kl_loss_type`` (k1 -> kl, low_var_kl -> low_var_kl)
``trainer.entropy_coef``           ``actor.entropy_coeff``
``trainer.max_grad_norm``          ``actor.grad_clip``
``trainer.loss_agg``               ``actor.loss_agg_mode``; ``episode-mean`` runs as
                                   ``seq-mean-token-mean`` with each step's advantage weighted
                                   by its episode's share (see :mod:`.credit`)
``trainer.iterations``             ``trainer.total_training_steps``
``trainer.checkpoint_every``,      ``trainer.save_freq``, ``max_actor_ckpt_to_keep``
``keep_checkpoints``
``eval.every``, ``eval.episodes``, ``trainer.test_freq``, the validation rows, and
``eval.temperature``,              ``rollout.val_kwargs`` (``n``: ``eval.samples`` when
``eval.samples``                   sampling, else 1)
``credit.estimator``               ``algorithm.adv_estimator`` = ``agentrl_grpo`` /
                                   ``agentrl_rloo`` (registered); every estimator and shaper is
                                   then computed by the ``agentrl`` trainer from per-step fields
``trainer.verl.*``                 GPUs, nodes, rollout engine, TP, memory, offload, loggers
=================================  ===========================================================

Micro-batches use verl's dynamic batch size: each GPU packs up to ``micro_batch_size_per_gpu``
full-length step samples worth of tokens per forward pass (step samples vary a lot in length).
"""

from __future__ import annotations

import math
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from agentrl.config import RunConfig
from agentrl.errors import ConfigError

__all__ = [
    "AGENT_LOOP_NAME",
    "CONFIG_NAME",
    "PLUGIN_MODULE",
    "TRAINER_NAME",
    "VerlPaths",
    "build_verl_config",
    "check_supported",
    "launch_command",
    "render_yaml",
    "verl_paths",
]

#: what verl imports in every process (``VERL_USE_EXTERNAL_MODULES``) to find agentrl's parts
PLUGIN_MODULE = "agentrl.trainer.verl.plugin"
#: registry names of the agent loop and the v1 trainer
AGENT_LOOP_NAME = "agentrl"
TRAINER_NAME = "agentrl"
CONFIG_NAME = "agentrl_verl"

#: agentrl estimators with a group-index-only counterpart registered in verl's registry
GROUP_ESTIMATORS = {"grpo": "agentrl_grpo", "rloo": "agentrl_rloo"}
KL_TYPES = {"k1": "kl", "low_var_kl": "low_var_kl"}
LOSS_AGG = {"token-mean": "token-mean", "seq-mean-token-mean": "seq-mean-token-mean",
            "episode-mean": "seq-mean-token-mean"}
#: shapers that need the policy model in the trainer process (not provided on verl yet)
MODEL_SHAPERS = ("spa",)


@dataclass(frozen=True)
class VerlPaths:
    """Where a verl run keeps its files (all under ``<output.dir>/verl``)."""

    dir: Path
    config_file: Path
    train_file: Path
    val_file: Path
    checkpoints: Path


def verl_paths(cfg: RunConfig) -> VerlPaths:
    """The run's verl files; absolute, because Ray workers do not share the driver's cwd."""
    run_dir = Path(cfg.output.dir).expanduser().resolve()
    base = run_dir / "verl"
    return VerlPaths(dir=base, config_file=base / f"{CONFIG_NAME}.yaml",
                     train_file=base / "train.parquet", val_file=base / "valid.parquet",
                     checkpoints=run_dir / "checkpoints")


def check_supported(cfg: RunConfig) -> None:
    """Fail with one line when the config asks for something the verl bridge cannot do."""
    if not cfg.model.path:
        raise ConfigError("'model.path': trainer.backend=verl needs a Hugging Face checkpoint "
                          "(e.g. model.path=Qwen/Qwen2.5-1.5B-Instruct); the tiny preset is for "
                          "the local CPU backend")
    if cfg.trainer.sft.enabled:
        raise ConfigError("'trainer.sft.enabled': the SFT warm-up runs only on the local backend; "
                          "run it there first and point model.path at its checkpoint, or set "
                          "trainer.sft.enabled=false")
    if cfg.trainer.negative_advantage_weight != 1.0:
        raise ConfigError("'trainer.negative_advantage_weight': verl's policy loss has no "
                          "weight for negative advantages; set it to 1 for trainer.backend=verl "
                          "or train on the local backend")
    for i, shaper in enumerate(cfg.credit.shapers):
        if shaper.name in MODEL_SHAPERS:
            raise ConfigError(f"'credit.shapers.{i}': the {shaper.name} shaper trains a model "
                              "on the policy inside the trainer process, which the verl bridge "
                              "does not provide yet; use it with trainer.backend=local")


def build_verl_config(cfg: RunConfig) -> dict[str, Any]:
    """The verl hydra config (as a mapping, ``defaults`` first) for ``cfg``."""
    check_supported(cfg)
    v, t, r = cfg.trainer.verl, cfg.trainer, cfg.rollout
    paths = verl_paths(cfg)
    est = cfg.credit.estimator
    token_budget = v.micro_batch_size_per_gpu * (v.max_prompt_length + cfg.policy.max_new_tokens)
    top_k = cfg.policy.top_k or -1
    last_eval = cfg.eval.every if cfg.eval.every > 0 else (t.iterations if cfg.eval.final else -1)
    actor: dict[str, Any] = {
        "optim": {"lr": t.lr, "weight_decay": 0.0, "lr_scheduler_type": t.lr_schedule,
                  "lr_warmup_steps": t.warmup_iterations or -1},
        "ppo_mini_batch_size": max(1, math.ceil(t.minibatch_size / r.group_size)),
        "ppo_micro_batch_size_per_gpu": v.micro_batch_size_per_gpu,
        "use_dynamic_bsz": True,
        "ppo_max_token_len_per_gpu": token_budget,
        "ppo_epochs": t.ppo_epochs,
        "clip_ratio": t.clip_ratio, "clip_ratio_low": t.clip_ratio,
        "clip_ratio_high": t.clip_ratio,
        "clip_ratio_c": t.clip_ratio_c if t.clip_ratio_c is not None else 1e9,
        "loss_agg_mode": LOSS_AGG[t.loss_agg],
        "entropy_coeff": t.entropy_coef,
        "use_kl_loss": t.kl_coef > 0, "kl_loss_coef": t.kl_coef,
        "kl_loss_type": KL_TYPES[t.kl_type],
        "grad_clip": t.max_grad_norm,
        "data_loader_seed": cfg.seed,
        "fsdp_config": {"param_offload": v.param_offload, "optimizer_offload": v.param_offload},
    }
    model: dict[str, Any] = {"path": cfg.model.path, "use_remove_padding": True,
                             "enable_gradient_checkpointing": v.gradient_checkpointing}
    if cfg.model.tokenizer:
        model["tokenizer_path"] = cfg.model.tokenizer
    rollout = {
        "name": v.rollout_engine, "n": r.group_size, "temperature": r.temperature,
        "top_p": cfg.policy.top_p, "top_k": top_k, "seed": cfg.seed,
        "tensor_model_parallel_size": v.tensor_parallel_size,
        "gpu_memory_utilization": v.gpu_memory_utilization,
        "log_prob_micro_batch_size_per_gpu": v.micro_batch_size_per_gpu,
        "log_prob_max_token_len_per_gpu": token_budget,
        "calculate_log_probs": True,
        "agent": {"num_workers": v.agent_workers, "default_agent_loop": AGENT_LOOP_NAME},
        "val_kwargs": {"temperature": cfg.eval.temperature,
                       "do_sample": cfg.eval.temperature > 0,
                       "n": cfg.eval.samples if cfg.eval.temperature > 0 else 1,
                       "top_p": cfg.policy.top_p, "top_k": top_k},
    }
    params = est.params
    algorithm = {
        "adv_estimator": GROUP_ESTIMATORS.get(est.name, "agentrl_grpo"),
        "norm_adv_by_std_in_grpo": bool(params.get("norm_std", True)),
        "gamma": float(params.get("gamma", 1.0)), "lam": float(params.get("lam", 1.0)),
        "use_kl_in_reward": False,
    }
    critic: dict[str, Any] = {"enable": est.name == "gae"}
    if est.name == "gae":  # verl's critic model supplies the per-step values
        critic.update(model={"path": cfg.model.path, "use_remove_padding": True,
                             "enable_gradient_checkpointing": v.gradient_checkpointing},
                      ppo_micro_batch_size_per_gpu=v.micro_batch_size_per_gpu,
                      use_dynamic_bsz=True, ppo_max_token_len_per_gpu=token_budget)
    return {
        "hydra": {"searchpath": ["pkg://verl.trainer.config"],
                  "run": {"dir": str(paths.dir / "hydra")}},
        "defaults": ["ppo_trainer", "_self_"],
        "data": {"train_files": str(paths.train_file), "val_files": str(paths.val_file),
                 "train_batch_size": r.groups_per_batch, "max_prompt_length": v.max_prompt_length,
                 "max_response_length": cfg.policy.max_new_tokens, "return_raw_chat": True,
                 "shuffle": True, "seed": cfg.seed},
        "actor_rollout_ref": {
            "hybrid_engine": True, "model": model, "actor": actor,
            "ref": {"log_prob_micro_batch_size_per_gpu": v.micro_batch_size_per_gpu,
                    "log_prob_max_token_len_per_gpu": token_budget,
                    "fsdp_config": {"param_offload": v.ref_param_offload}},
            "rollout": rollout,
        },
        "critic": critic,
        "algorithm": algorithm,
        "trainer": {
            "use_v1": True, "v1": {"trainer_mode": TRAINER_NAME},
            "total_training_steps": t.iterations, "total_epochs": max(1, t.iterations),
            "n_gpus_per_node": v.n_gpus_per_node, "nnodes": v.nnodes,
            "project_name": v.project_name, "experiment_name": cfg.name or "run",
            "logger": list(v.loggers), "default_local_dir": str(paths.checkpoints),
            "save_freq": t.checkpoint_every, "max_actor_ckpt_to_keep": t.keep_checkpoints,
            "test_freq": last_eval, "val_before_train": cfg.eval.final, "critic_warmup": 0,
            "device": "cuda",
        },
        "ray_kwargs": {"ray_init": {"runtime_env": {"env_vars": {
            "VERL_USE_EXTERNAL_MODULES": PLUGIN_MODULE, "TOKENIZERS_PARALLELISM": "false"}}}},
        "agentrl": _escape_interpolations(cfg.model_dump(mode="json")),
    }


def _escape_interpolations(value: Any) -> Any:
    """Escape ``${`` in strings so OmegaConf keeps agentrl's values (e.g. Jinja prompts) as text."""
    if isinstance(value, str):
        return value.replace("${", "\\${")
    if isinstance(value, dict):
        return {k: _escape_interpolations(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escape_interpolations(v) for v in value]
    return value


def render_yaml(config: dict[str, Any]) -> str:
    """The config file's text (keys in the order built: hydra, defaults, then sections)."""
    header = ("# verl 0.9 config written by `agentrl train` (trainer.backend: verl).\n"
              "# Launch: python -m verl.trainer.main_ppo --config-path <this dir> "
              f"--config-name {CONFIG_NAME}\n")
    return header + yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=100)


def launch_command(cfg: RunConfig, python: str | None = None) -> list[str]:
    """The command that runs verl's PPO entry point on the written config."""
    paths = verl_paths(cfg)
    return [python or sys.executable, "-m", "verl.trainer.main_ppo",
            "--config-path", str(paths.dir), "--config-name", CONFIG_NAME,
            *cfg.trainer.verl.overrides]


def format_command(command: list[str]) -> str:
    """A shell-ready rendering of ``command`` with the plugin variable it needs."""
    return f"VERL_USE_EXTERNAL_MODULES={PLUGIN_MODULE} " + shlex.join(command)
