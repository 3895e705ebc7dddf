"""Build the run's components from a validated config: environment factory, policy, prompt
builder, rollout engine. One place, used by ``rollout``, ``eval`` and ``train``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym

from agentrl.config import RunConfig
from agentrl.envs import make, spec
from agentrl.errors import UserError
from agentrl.policies import Policy, SamplingParams, make_policy
from agentrl.prompting import PromptBuilder
from agentrl.rollout import RolloutEngine
from agentrl.types import Task

__all__ = [
    "build_env_factory",
    "build_policy",
    "build_prompt_builder",
    "build_rollout",
    "split_tasks",
    "split_tasks_and_turn_limit",
]


def build_env_factory(cfg: RunConfig) -> Callable[[], gym.Env[str, str]]:
    """A zero-argument factory of the configured environment (validated once here)."""
    spec(cfg.env.id)
    kwargs = dict(cfg.env.kwargs)
    if cfg.rollout.max_turns is not None:
        kwargs["max_turns"] = cfg.rollout.max_turns
    return lambda: make(cfg.env.id, **kwargs)


def split_tasks(env_factory: Callable[[], gym.Env[str, str]], env_id: str,
                split: str) -> list[Task]:
    """The tasks of ``split``; an unknown or empty split is a one-line user error."""
    return split_tasks_and_turn_limit(env_factory, env_id, split)[0]


def split_tasks_and_turn_limit(env_factory: Callable[[], gym.Env[str, str]], env_id: str,
                               split: str) -> tuple[list[Task], int | None]:
    """The tasks of ``split`` and the environment's effective turn limit (one instance built)."""
    env = env_factory()
    try:
        turn_limit = getattr(env.unwrapped, "max_turns", None)
        lister = getattr(env, "tasks", None)
        if lister is None:
            raise UserError(f"{env_id} has no task sets (no tasks(split) method)")
        try:
            tasks = list(lister(split))
        except UserError:
            raise
        except (KeyError, ValueError) as exc:
            raise UserError(f"{env_id} has no split {split!r} ({exc})") from None
    finally:
        env.close()
    if not tasks:
        raise UserError(f"{env_id} has no tasks in split {split!r}")
    return tasks, turn_limit if isinstance(turn_limit, int) else None


def policy_spec(cfg: RunConfig) -> str:
    """The policy spec string implied by the config (``expert``, ``hf:PATH``, ...)."""
    backend = cfg.policy.backend
    if backend in ("expert", "random"):
        return backend
    if cfg.model.path:
        return f"{backend}:{cfg.model.path}"
    raise UserError(f"policy.backend={backend} with model.preset={cfg.model.preset!r} needs a "
                    "trained checkpoint: train one with `agentrl train`, then set model.path to "
                    "its run directory, or pass --policy expert|random|hf:PATH")


def build_policy(cfg: RunConfig, override: str | None = None) -> Policy:
    """The configured policy, or the one named by ``override`` (a spec string)."""
    spec_str = override or policy_spec(cfg)
    options: dict[str, Any] = {}
    name = spec_str.partition(":")[0]
    if name == "hf":
        options = {"device": cfg.trainer.device, "dtype": cfg.model.dtype}
    elif name == "vllm":  # policy.options: vLLM engine arguments
        options = {"dtype": cfg.model.dtype, "seed": cfg.seed, **cfg.policy.options}
    elif name == "random":
        options = {"seed": cfg.seed}
    return make_policy(spec_str, **options)


def build_prompt_builder(cfg: RunConfig, policy: Policy | None = None, *,
                         tokenizer: Any = None) -> PromptBuilder:
    """The prompt builder of ``cfg``, with the tokenizer of ``policy`` (or ``tokenizer``) when
    there is one (text-only builders, e.g. for demonstrations, need none)."""
    p = cfg.prompt
    if tokenizer is None:
        tokenizer = getattr(policy, "tokenizer", None)
    return PromptBuilder(system=p.system, user=p.user, history_window=cfg.rollout.history_window,
                         mode=p.mode, show_admissible=p.show_admissible, tokenizer=tokenizer,
                         check_tokens=p.check_tokens, task_from=p.task_from,
                         action_pattern=p.action_pattern)


def sampling_params(cfg: RunConfig, *, temperature: float | None = None,
                    seed: int | None = None) -> SamplingParams:
    pol = cfg.policy
    return SamplingParams(temperature=cfg.rollout.temperature if temperature is None
                          else temperature, top_p=pol.top_p, top_k=pol.top_k,
                          max_new_tokens=pol.max_new_tokens, stop=list(pol.stop), seed=seed)


def build_rollout(cfg: RunConfig, policy: Policy, *, group_size: int | None = None,
                  temperature: float | None = None, progress: bool = True) -> RolloutEngine:
    """A rollout engine for the configured environment and the given policy."""
    r = cfg.rollout
    return RolloutEngine(
        build_env_factory(cfg), policy, build_prompt_builder(cfg, policy), env_id=cfg.env.id,
        group_size=group_size or r.group_size,
        sampling=sampling_params(cfg, temperature=temperature, seed=cfg.seed),
        max_turns=r.max_turns, step_timeout_s=r.step_timeout_s,
        episode_timeout_s=r.episode_timeout_s, projection=r.projection,
        projection_keep_names=r.projection_keep_names, constrain=r.constrain, progress=progress)
