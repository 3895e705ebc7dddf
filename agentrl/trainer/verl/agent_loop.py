"""The ``agentrl`` agent loop: plays one agentrl episode through verl's generation server.

verl runs one agent loop per (task row, session): ``rollout.n`` sessions of a row share its
``uid`` and form one episode group (same task, same seed). Each turn:

1. agentrl's :class:`~agentrl.prompting.PromptBuilder` renders the step's prompt (system + task +
   the last ``rollout.history_window`` steps + observation) with the tokenizer's chat template,
   or, in ``prompt.mode: chat``, continues the exact ids of the previous turn;
2. ``server_manager.generate(prompt_ids=...)`` samples the action token-in/token-out from verl's
   vLLM/SGLang server (the generated ids are never re-tokenised);
3. the environment steps on the decoded text in a worker thread (with the configured timeout).

It returns one :class:`AgentLoopOutput` per agent step (verl's multi-output agent loops, v1
trainer), like verl-agent's step-wise samples (Feng et al., GiGPO, arXiv 2505.10978): prompt =
that step's prompt ids, response = its action ids (response mask all ones, the rollout's
log-probs), and in ``extra_fields`` the step's agentrl record (:func:`.credit.row_fields`: reward,
reward components, milestones, state key, validity, episode id and group, step index) that the
``agentrl`` trainer turns into advantages. The final output's ``reward_score`` is the episode's
outcome (what verl's validation metrics average); per-step rewards never travel through
``reward_score``, which verl copies onto every output of a session.

An environment that raises or times out ends only its own episode (``Episode.error``), as in the
local rollout; a reset failure yields no outputs (verl then drops the session).
"""

from __future__ import annotations

import asyncio
import functools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import gymnasium as gym
from omegaconf import OmegaConf
from verl.experimental.agent_loop.agent_loop import (
    AgentLoopBase,
    AgentLoopMetrics,
    AgentLoopOutput,
    register,
)

from agentrl.components import build_env_factory, build_prompt_builder
from agentrl.config import RunConfig, parse_config
from agentrl.errors import ConfigError
from agentrl.policies.hf import chat_ids
from agentrl.rollout import _episode_metrics, is_admissible, project_action
from agentrl.types import Episode, Step

from .credit import row_fields
from .translate import AGENT_LOOP_NAME

__all__ = ["AgentrlAgentLoop", "run_config_of"]

#: info keys copied into ``Step.info`` (as the local rollout does)
STEP_INFO_KEYS = ("milestones_total", "score", "success", "error", "outcome_class")


@functools.lru_cache(maxsize=8)
def _parse(text: str) -> RunConfig:
    return parse_config(json.loads(text), "verl config section 'agentrl'")


def run_config_of(trainer_config: Any) -> RunConfig:
    """The agentrl run config carried in verl's config (section ``agentrl``), parsed once."""
    section = trainer_config.get("agentrl") if hasattr(trainer_config, "get") else None
    if section is None:
        raise ConfigError("verl's config has no 'agentrl' section; launch verl through "
                          "`agentrl train CONFIG` (trainer.backend: verl)")
    data = OmegaConf.to_container(section, resolve=True) if OmegaConf.is_config(section) \
        else section
    return _parse(json.dumps(data, sort_keys=True))


@dataclass
class _Turn:
    """One generated action and what verl needs to train on it."""

    prompt_ids: list[int]
    response_ids: list[int]
    text: str
    action: str
    projected: bool
    truncated_prompt: bool
    generation: Any  # verl's TokenOutput
    generate_s: float

    def output(self, env_s: float) -> AgentLoopOutput:
        """The step's verl sample: prompt ids, response ids (all trained), rollout log-probs."""
        out = self.generation
        logprobs = list(out.log_probs)[: len(self.response_ids)] if out.log_probs else None
        metrics = AgentLoopMetrics(generate_sequences=self.generate_s, tool_calls=env_s,
                                   num_preempted=out.num_preempted
                                   if out.num_preempted is not None else -1)
        return AgentLoopOutput(
            prompt_ids=self.prompt_ids, response_ids=self.response_ids,
            response_mask=[1] * len(self.response_ids), response_logprobs=logprobs,
            num_turns=2, metrics=metrics,
            extra_fields={**dict(out.extra_fields or {}), "turn_scores": [], "tool_rewards": []})


class _EnvPool:
    """Idle environments per process, reused across episodes (building one can be costly)."""

    def __init__(self) -> None:
        self._idle: dict[str, list[gym.Env[str, str]]] = {}
        self._factories: dict[str, Callable[[], gym.Env[str, str]]] = {}
        self._lock = threading.Lock()

    def acquire(self, cfg: RunConfig) -> tuple[str, gym.Env[str, str]]:
        key = json.dumps([cfg.env.id, cfg.env.kwargs, cfg.rollout.max_turns], sort_keys=True)
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if idle:
                return key, idle.pop()
            factory = self._factories.setdefault(key, build_env_factory(cfg))
        return key, factory()

    def release(self, key: str, env: gym.Env[str, str]) -> None:
        with self._lock:
            self._idle.setdefault(key, []).append(env)


_ENVS = _EnvPool()


def _seed_of(extra: dict[str, Any], global_steps: int) -> int:
    """Training rows are replayed with a new seed each iteration; validation seeds are fixed."""
    seed = int(extra.get("seed", 0))
    if extra.get("split") == "train":
        seed = (seed * 1_000_003 + int(global_steps)) % 2**31
    return seed


@register(AGENT_LOOP_NAME)
class AgentrlAgentLoop(AgentLoopBase):
    """One agentrl episode per call of :meth:`run`, one output per agent step."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.run_config = run_config_of(self.config)
        self.builder = build_prompt_builder(self.run_config, SimpleNamespace(
            tokenizer=self.tokenizer))
        self.response_length = int(self.rollout_config.response_length)
        eos = getattr(self.tokenizer, "eos_token_id", None)
        self.eos_ids = {eos} if isinstance(eos, int) else set()

    # -- one episode ----------------------------------------------------------------------------
    async def run(self, sampling_params: dict[str, Any], **kwargs: Any) -> list[AgentLoopOutput]:
        cfg = self.run_config
        extra = dict(kwargs.get("extra_info") or {})
        uid = str(kwargs.get("uid", uuid4().hex))
        session = kwargs.get("session_id", uuid4().hex[:8])
        seed = _seed_of(extra, int(kwargs.get("global_steps", 0) or 0))
        episode = Episode(episode_id=f"{uid}_{session}", group_id=uid,
                          task_id=str(extra["task_id"]), env=cfg.env.id, seed=seed,
                          task_type=extra.get("task_type") or None)
        # building an environment can block (game generation, sandboxes): off the event loop
        key, env = await asyncio.get_running_loop().run_in_executor(None, _ENVS.acquire, cfg)
        healthy = False
        try:
            outputs, healthy = await self._play(env, episode, extra, sampling_params)
        finally:
            if healthy:
                _ENVS.release(key, env)
            else:  # a failed environment is never reused
                await self._call(env.close, timeout=cfg.rollout.step_timeout_s, quiet=True)
        return outputs

    async def _play(self, env: gym.Env[str, str], episode: Episode, extra: dict[str, Any],
                    sampling_params: dict[str, Any]) -> tuple[list[AgentLoopOutput], bool]:
        """Reset, then act and step until the episode ends; returns (outputs, env healthy)."""
        cfg = self.run_config
        timeout = cfg.rollout.step_timeout_s
        try:
            obs, info = await self._call(env.reset, seed=episode.seed,
                                         options={"task_id": episode.task_id}, timeout=timeout)
        except Exception as exc:
            episode.error = f"reset raised: {type(exc).__name__}: {exc}"[:500]
            return [], False
        conv = self.builder.start(extra.get("instruction"), obs)
        params = dict(sampling_params)
        params["max_tokens"] = min(cfg.policy.max_new_tokens, self.response_length)
        if cfg.policy.stop:
            params["stop"] = list(cfg.policy.stop)
        outputs: list[AgentLoopOutput] = []
        started = time.monotonic()
        terminated = truncated = False
        while not (terminated or truncated):
            turn = await self._act(conv, obs, info, params)
            t0 = time.perf_counter()
            try:
                next_obs, reward, terminated, truncated, next_info = await self._call(
                    env.step, turn.action, timeout=timeout)
            except Exception as exc:
                kind = "timed out" if isinstance(exc, (TimeoutError, asyncio.TimeoutError)) \
                    else "raised"
                episode.error = (f"step {episode.num_steps} {kind}: "
                                 f"{type(exc).__name__}: {exc}")[:500]
                self._finish(episode, False, True, {})
                return self._with_records(outputs, episode), False
            episode.steps.append(_make_step(obs, info, float(reward), next_info, turn))
            outputs.append(turn.output(time.perf_counter() - t0))
            self.builder.record(conv, obs, turn.action, turn.prompt_ids, turn.response_ids)
            obs, info = next_obs, next_info
            if not (terminated or truncated) and (time.monotonic() - started
                                                  > cfg.rollout.episode_timeout_s):
                episode.error = f"step {episode.num_steps} timed out: episode exceeded " \
                                f"{cfg.rollout.episode_timeout_s:g} s"
                self._finish(episode, False, True, info)
                return self._with_records(outputs, episode), False
        self._finish(episode, bool(terminated), bool(truncated), info)
        return self._with_records(outputs, episode), True

    async def _act(self, conv: Any, obs: str, info: dict[str, Any],
                   params: dict[str, Any]) -> _Turn:
        """One generation: agentrl's prompt ids in, the server's token ids out, decoded."""
        prompt_ids, truncated_prompt = await self._prompt_ids(conv, obs, info)
        t0 = time.perf_counter()
        out = await self.server_manager.generate(uuid4().hex, prompt_ids=prompt_ids,
                                                 sampling_params=params)
        response_ids = [int(i) for i in out.token_ids][: self.response_length]
        if not response_ids:
            raise RuntimeError("the generation server returned no tokens for a step")
        text = self._decode(response_ids)
        action, projected = self.builder.parse_action(text), False  # prompt.action_pattern
        admissible = info.get("admissible_actions")
        if self.run_config.rollout.projection and admissible \
                and not is_admissible(action, admissible):
            nearest = project_action(action, admissible,
                                     keep_names=self.run_config.rollout.projection_keep_names)
            action, projected = nearest, nearest != action
        return _Turn(prompt_ids=prompt_ids, response_ids=response_ids, text=text, action=action,
                     projected=projected, truncated_prompt=truncated_prompt, generation=out,
                     generate_s=time.perf_counter() - t0)

    # -- pieces ---------------------------------------------------------------------------------
    async def _prompt_ids(self, conv: Any, obs: str, info: dict[str, Any]
                          ) -> tuple[list[int], bool]:
        """The step's prompt ids (agentrl's builder; cut from the left past max_prompt_length)."""
        messages, ids = self.builder.render(conv, obs, info)
        tools = info.get("tools")
        if tools:
            conv.tools = tools
        tools = tools or conv.tools
        if ids is None:
            ids = await asyncio.get_running_loop().run_in_executor(
                None, functools.partial(chat_ids, self.tokenizer, messages, tools))
        capped = self._cap_text_prompt_length(list(ids))
        return capped, len(capped) < len(ids)

    def _decode(self, response_ids: list[int]) -> str:
        """The action text, as the hf policy decodes it (no special tokens, cut after a stop)."""
        text = self.tokenizer.decode([t for t in response_ids if t not in self.eos_ids],
                                     skip_special_tokens=True)
        cut = len(text)
        for s in self.run_config.policy.stop:
            idx = text.find(s)
            if idx >= 0:
                cut = min(cut, idx + len(s))
        return text[:cut]

    async def _call(self, fn: Callable[..., Any], *args: Any, timeout: float,
                    quiet: bool = False, **kwargs: Any) -> Any:
        """Run a blocking environment call in a worker thread, with a timeout."""
        future = asyncio.get_running_loop().run_in_executor(
            None, functools.partial(fn, *args, **kwargs))
        try:
            return await asyncio.wait_for(future, timeout=timeout)
        except Exception:
            if quiet:  # closing an environment that already failed its episode
                return None
            raise

    @staticmethod
    def _finish(episode: Episode, terminated: bool, truncated: bool,
                info: dict[str, Any]) -> None:
        episode.terminated, episode.truncated = terminated, truncated and not terminated
        episode.success = bool(info.get("success", False)) and episode.error is None
        episode.outcome = (float(info["score"]) if "score" in info else float(episode.success)) \
            if episode.error is None else 0.0
        if info.get("error") and episode.error is None:
            episode.error = str(info["error"])[:500]
        episode.metrics = _episode_metrics(episode)
        env_metrics = info.get("metrics")
        if isinstance(env_metrics, dict):
            episode.metrics.update({k: float(v) for k, v in env_metrics.items()
                                    if isinstance(v, (int, float)) and not isinstance(v, bool)})
        if episode.error:
            episode.metrics["error"] = 1.0

    @staticmethod
    def _with_records(outputs: list[AgentLoopOutput],
                      episode: Episode) -> list[AgentLoopOutput]:
        """Attach each step's agentrl record; the last output carries the episode's outcome."""
        summary = {"success": float(episode.success), "outcome": float(episode.outcome),
                   "steps": float(episode.num_steps)}
        for t, output in enumerate(outputs):
            output.extra_fields.update(row_fields(episode, t))
            output.extra_fields["reward_extra_info"] = dict(summary)
        if outputs:
            outputs[-1].reward_score = float(episode.outcome)
        return outputs


def _make_step(observation: str, before: dict[str, Any], reward: float, info: dict[str, Any],
               turn: _Turn) -> Step:
    """The step record, with the same fields the local rollout records."""
    step_info = {k: info[k] for k in STEP_INFO_KEYS if k in info}
    if isinstance(before.get("expert_action"), str):
        step_info["expert_action"] = before["expert_action"]
    extra: dict[str, Any] = {}
    if turn.projected:
        extra["projected"] = True
    if turn.projected or turn.action != turn.text:  # projected, or parsed out of a format
        extra["raw_action"] = turn.text
    if turn.truncated_prompt:
        extra["prompt_truncated"] = True
    return Step(observation=observation, action=turn.action, reward=reward,
                valid=bool(info.get("valid", True)),
                state_key=str(before.get("state_key", observation)),
                milestones=list(info.get("milestones", [])),
                reward_components={k: float(v)
                                   for k, v in info.get("reward_components", {}).items()},
                info=step_info, extra=extra)
