"""The batched multi-turn rollout: one loop for training, evaluation and data collection.

For ``len(tasks)`` groups of ``group_size`` episodes (same task and seed inside a group) it runs,
turn by turn:

1. one batched ``policy.act`` over the episodes still running (finished ones stop generating);
2. the environment steps of those episodes, concurrently in a thread pool (sandboxed
   environments block on I/O), each with a timeout;
3. a :class:`~agentrl.types.Step` per episode with the exact prompt/response ids and log-probs.

An environment that raises or hangs ends only its own episode, with the error in
``Episode.error``; the batch goes on. Optional action projection maps an inadmissible action onto
the most similar admissible one (``step.extra["projected"]``, raw text in
``step.extra["raw_action"]``).
"""

from __future__ import annotations

import concurrent.futures as cf
import difflib
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from agentrl.errors import UserError
from agentrl.policies.base import Generation, Policy, PolicyInput, SamplingParams
from agentrl.prompting import PromptBuilder
from agentrl.types import Episode, Step, Task

__all__ = ["RolloutEngine", "is_admissible", "project_action"]

#: info keys copied into ``Step.info`` (the rest are stored in dedicated fields or are bulky)
_STEP_INFO_KEYS = ("milestones_total", "score", "success", "error", "outcome_class")


#: a named thing in an action, as the household world spells it: "bowl 1", "sinkbasin 2"
_NAMED = re.compile(r"([a-z]+) \d+")


def project_action(action: str, admissible: Sequence[str], *, keep_names: bool = False) -> str:
    """The admissible action most similar to ``action`` (difflib ratio, case-insensitive).

    With ``keep_names``, only admissible actions that name every kind of object or receptacle
    ``action`` names (``bowl`` in "take bowl 1 from sinkbasin 1"; the number may differ) are
    candidates, and ``action`` comes back unchanged when none is: a model that asks for a bowl
    that is not there gets the environment's "nothing happens" rather than the kettle next to
    it. Actions without numbered names (TextWorld's, tool calls) are matched against every
    admissible action either way.
    """
    text = action.strip().lower()
    if keep_names:
        wanted = set(_NAMED.findall(text))
        if wanted:
            admissible = [a for a in admissible if wanted <= set(_NAMED.findall(a.lower()))]
            if not admissible:
                return action
    best, best_score = admissible[0], -1.0
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(text)
    for candidate in admissible:
        matcher.set_seq1(candidate.lower())
        # the quick ratios are upper bounds of ratio() (same formula, more matches counted):
        # a candidate whose bound does not beat the best so far cannot win, so the full
        # comparison (the projection's cost) is skipped without changing the result
        if matcher.real_quick_ratio() <= best_score or matcher.quick_ratio() <= best_score:
            continue
        score = matcher.ratio()
        if score > best_score:
            best, best_score = candidate, score
    return best


def is_admissible(action: str, admissible: Sequence[str]) -> bool:
    """Whether ``action`` is one of ``admissible`` or fills one of its templates.

    An entry with a ``<placeholder>`` (e.g. WebShop's ``search[<query>]``) admits any action that
    starts with the text before ``<`` and ends with the text after ``>``.
    """
    if action in admissible:
        return True
    for entry in admissible:
        if _is_template(entry):
            open_at, close_at = entry.find("<"), entry.rfind(">")
            head, tail = entry[:open_at], entry[close_at + 1:]
            if (len(action) > len(head) + len(tail) and action.startswith(head)
                    and action.endswith(tail)):
                return True
    return False


def _is_template(entry: str) -> bool:
    """An admissible entry with a ``<placeholder>``, such as WebShop's ``search[<query>]``."""
    return 0 <= entry.find("<") < entry.rfind(">")


@dataclass
class _Live:
    """One running episode."""

    episode: Episode
    env: gym.Env[str, str] | None
    task: Task
    seed: int
    observation: str = ""
    info: dict[str, Any] = field(default_factory=dict)
    conv: Any = None
    started: float = 0.0
    done: bool = False


class RolloutEngine:
    """Runs groups of episodes of one environment with one policy.

    Args:
        env_factory: builds a fresh environment (e.g. ``lambda: agentrl.make(env_id)``);
            instances are reused across episodes and batches.
        policy: any :class:`~agentrl.policies.base.Policy`.
        builder: the prompt builder.
        env_id: recorded in every episode.
        group_size: episodes per task (G).
        sampling: sampling parameters of ``policy.act``.
        max_turns: extra turn limit on top of the environment's own.
        num_workers: threads stepping environments concurrently.
        step_timeout_s / episode_timeout_s: limits; exceeding one ends that episode with an error.
        projection: map inadmissible actions onto the nearest admissible action.
        projection_keep_names: project only onto actions naming the same kinds of objects
            (see :func:`project_action`).
        vary_hidden: episode k of a group resets with ``seed + k`` and
            ``options["vary_hidden"]``: same task, hidden state drawn per episode where the
            environment supports it.
        constrain: give the policy the admissible actions as ``choices``, so that a model
            policy decodes only admissible actions (:mod:`agentrl.policies.constrain`); the
            allowed token ids of each position go to ``step.extra["allowed_ids"]``.
        progress: show a rich progress bar.
    """

    def __init__(self, env_factory: Callable[[], gym.Env[str, str]], policy: Policy,
                 builder: PromptBuilder, *, env_id: str, group_size: int = 1,
                 sampling: SamplingParams | None = None, max_turns: int | None = None,
                 num_workers: int = 8, step_timeout_s: float = 60.0,
                 episode_timeout_s: float = 1800.0, projection: bool = False,
                 projection_keep_names: bool = False, constrain: bool = False,
                 vary_hidden: bool = False, progress: bool = False) -> None:
        if constrain and getattr(policy, "ignores_choices", False):
            raise UserError(f"policy {policy.name} cannot constrain decoding to the admissible "
                            "actions; use an hf policy or set rollout.constrain=false")
        self.env_factory = env_factory
        self.policy = policy
        self.builder = builder
        self.env_id = env_id
        self.group_size = group_size
        self.sampling = sampling or SamplingParams()
        self.max_turns = max_turns
        self.step_timeout_s = step_timeout_s
        self.episode_timeout_s = episode_timeout_s
        self.projection = projection
        self.projection_keep_names = projection_keep_names
        self.constrain = constrain
        self.vary_hidden = vary_hidden
        self.progress = progress
        self._idle: list[gym.Env[str, str]] = []
        self._pool = cf.ThreadPoolExecutor(max_workers=max(1, num_workers),
                                           thread_name_prefix="agentrl-env")
        self._check_policy_ids = (builder.check_tokens and builder.tokenizer is not None
                                  and getattr(policy, "tokenizer", None) is not builder.tokenizer)

    # -- public ---------------------------------------------------------------------------------
    def run(self, tasks: Sequence[Task], seeds: Sequence[int] | None = None,
            batch_id: str | None = None) -> list[Episode]:
        """Play ``group_size`` episodes of each task (with its seed); returns all episodes."""
        seeds = list(seeds) if seeds is not None else list(range(len(tasks)))
        if len(seeds) != len(tasks):
            raise ValueError("tasks and seeds must have the same length")
        batch_id = batch_id or uuid.uuid4().hex[:8]
        lives = [self._new_live(task, seed, f"{batch_id}-g{g}", k)
                 for g, (task, seed) in enumerate(zip(tasks, seeds, strict=True))
                 for k in range(self.group_size)]
        with self._progress(len(lives)) as bar:
            self._reset_all(lives)
            bar.advance(sum(lv.done for lv in lives))
            while True:
                active = [lv for lv in lives if not lv.done]
                if not active:
                    break
                generations = self._act(active)
                finished = self._step_all(active, generations)
                bar.advance(finished, successes=sum(lv.episode.success for lv in lives))
        return [lv.episode for lv in lives]

    def close(self) -> None:
        """Close the idle environments and the thread pool."""
        for env in self._idle:
            env.close()
        self._idle.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> RolloutEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- stages ---------------------------------------------------------------------------------
    def _new_live(self, task: Task, seed: int, group_id: str, k: int) -> _Live:
        if self.vary_hidden:
            seed += k
        episode = Episode(episode_id=f"{group_id}-e{k}", group_id=group_id, task_id=task.task_id,
                          env=self.env_id, seed=seed, task_type=task.task_type)
        env = self._idle.pop() if self._idle else self.env_factory()
        return _Live(episode=episode, env=env, task=task, seed=seed)

    def _reset_all(self, lives: list[_Live]) -> None:
        def reset(lv: _Live) -> tuple[str, dict[str, Any]]:
            assert lv.env is not None
            options: dict[str, Any] = {"task_id": lv.task.task_id}
            if self.vary_hidden:
                options["vary_hidden"] = True
            return lv.env.reset(seed=lv.seed, options=options)

        futures = {self._pool.submit(reset, lv): lv for lv in lives}
        for future, lv in futures.items():
            lv.started = time.monotonic()
            try:
                lv.observation, lv.info = future.result(timeout=self.step_timeout_s)
            except Exception as exc:
                self._fail(lv, "reset", exc)
                continue
            lv.conv = self.builder.start(lv.task.instruction, lv.observation)

    def _act(self, active: list[_Live]) -> list[Generation]:
        inputs = []
        for lv in active:
            messages, prompt_ids = self.builder.render(lv.conv, lv.observation, lv.info)
            inputs.append(PolicyInput(messages=messages, info=lv.info, tools=_tools(lv),
                                      prompt_ids=prompt_ids,
                                      choices=_choices(lv.info) if self.constrain else None))
        generations = self.policy.act(inputs, self.sampling)
        if len(generations) != len(inputs):
            raise RuntimeError(f"policy {self.policy.name} returned {len(generations)} "
                               f"generations for {len(inputs)} inputs")
        if self._check_policy_ids:
            from agentrl.policies.hf import chat_ids

            for item, gen in zip(inputs, generations, strict=True):
                if gen.prompt_ids is not None and item.prompt_ids is None:
                    self.builder.check(gen.prompt_ids,
                                       chat_ids(self.builder.tokenizer, item.messages, item.tools))
        return generations

    def _step_all(self, active: list[_Live], generations: list[Generation]) -> int:
        actions = []
        for lv, gen in zip(active, generations, strict=True):
            action, projected = self.builder.parse_action(gen.text), False
            admissible = lv.info.get("admissible_actions")
            if self.projection and admissible and not is_admissible(action, admissible):
                nearest = project_action(action, admissible,
                                         keep_names=self.projection_keep_names)
                action, projected = nearest, nearest != action
            actions.append((action, projected))

        def step(lv: _Live, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
            assert lv.env is not None
            return lv.env.step(action)

        futures = [self._pool.submit(step, lv, action) for lv, (action, _) in zip(
            active, actions, strict=True)]
        finished = 0
        for lv, gen, (action, projected), future in zip(active, generations, actions, futures,
                                                        strict=True):
            try:
                obs, reward, terminated, truncated, info = future.result(
                    timeout=self.step_timeout_s)
            except Exception as exc:
                self._fail(lv, f"step {lv.episode.num_steps}", exc)
                finished += 1
                continue
            lv.episode.steps.append(self._make_step(lv, gen, action, projected, float(reward),
                                                    info))
            self.builder.record(lv.conv, lv.observation, action, gen.prompt_ids, gen.response_ids)
            lv.observation, lv.info = obs, info
            turns = lv.episode.num_steps
            if self.max_turns is not None and turns >= self.max_turns and not terminated:
                truncated = True
            if not (terminated or truncated) and (time.monotonic() - lv.started
                                                  > self.episode_timeout_s):
                self._fail(lv, f"step {turns}",
                           TimeoutError(f"episode exceeded {self.episode_timeout_s:g} s"))
                finished += 1
                continue
            if terminated or truncated:
                self._finish(lv, terminated, truncated, info)
                finished += 1
        return finished

    # -- records --------------------------------------------------------------------------------
    def _make_step(self, lv: _Live, gen: Generation, action: str, projected: bool,
                   reward: float, info: dict[str, Any]) -> Step:
        before = lv.info
        step_info = {k: info[k] for k in _STEP_INFO_KEYS if k in info}
        if isinstance(before.get("expert_action"), str):
            step_info["expert_action"] = before["expert_action"]
        extra: dict[str, Any] = {}
        if projected:
            extra["projected"] = True
        if projected or action != gen.text:  # projected, or parsed out of a formatted reply
            extra["raw_action"] = gen.text
        if gen.entropies is not None:
            extra["entropies"] = gen.entropies
        if gen.allowed is not None:
            extra["allowed_ids"] = gen.allowed
        return Step(
            observation=lv.observation, action=action, reward=reward,
            valid=bool(info.get("valid", True)),
            state_key=str(before.get("state_key", lv.observation)),
            milestones=list(info.get("milestones", [])),
            reward_components={k: float(v) for k, v in info.get("reward_components", {}).items()},
            info=step_info, prompt_ids=gen.prompt_ids, response_ids=gen.response_ids,
            logprobs=gen.logprobs, extra=extra,
        )

    def _finish(self, lv: _Live, terminated: bool, truncated: bool,
                info: dict[str, Any]) -> None:
        ep = lv.episode
        ep.terminated, ep.truncated = terminated, truncated and not terminated
        ep.success = bool(info.get("success", False))
        ep.outcome = float(info["score"]) if "score" in info else float(ep.success)
        if info.get("error"):  # an engine failure the environment reported rather than raised
            ep.error = str(info["error"])[:500]
        ep.metrics = _episode_metrics(ep)
        env_metrics = info.get("metrics")
        if isinstance(env_metrics, dict):  # environment-specific episode metrics (e.g. SWE rates)
            ep.metrics.update({k: float(v) for k, v in env_metrics.items()
                               if isinstance(v, (int, float)) and not isinstance(v, bool)})
        if ep.error:
            ep.metrics["error"] = 1.0
        lv.done = True
        if lv.env is not None:
            self._idle.append(lv.env)
            lv.env = None

    def _fail(self, lv: _Live, where: str, exc: BaseException) -> None:
        ep = lv.episode
        kind = "timed out" if isinstance(exc, (cf.TimeoutError, TimeoutError)) else "raised"
        ep.error = f"{where} {kind}: {type(exc).__name__}: {exc}"[:500]
        ep.truncated, ep.terminated, ep.success, ep.outcome = True, False, False, 0.0
        ep.metrics = {**_episode_metrics(ep), "error": 1.0}
        lv.done = True
        env, lv.env = lv.env, None
        if env is not None:  # a failed environment is never reused
            self._pool.submit(_close_quietly, env)

    def _progress(self, total: int) -> _Bar:
        return _Bar(total, enabled=self.progress)


def _choices(info: dict[str, Any]) -> list[str] | None:
    """The admissible actions as decoding choices; None (free decoding) when there are none or
    one is a template such as WebShop's ``search[<query>]``, whose text cannot be enumerated."""
    admissible = info.get("admissible_actions")
    if not admissible or not all(isinstance(a, str) for a in admissible):
        return None
    if any(_is_template(a) for a in admissible):
        return None
    return list(admissible)


def _tools(lv: _Live) -> list[dict[str, Any]] | None:
    tools = lv.info.get("tools")
    if tools:
        lv.conv.tools = tools  # reset's info carries the schemas; keep them for later steps
        return tools
    return getattr(lv.conv, "tools", None)


def _close_quietly(env: gym.Env[str, str]) -> None:
    try:
        env.close()
    except Exception:  # the episode already records the failure that made us drop this env
        return


def _episode_metrics(ep: Episode) -> dict[str, float]:
    steps = ep.steps
    n = len(steps)
    metrics = {"steps": float(n), "return": ep.total_reward,
               "invalid_rate": (sum(not s.valid for s in steps) / n) if n else 0.0}
    if n and any(s.response_ids is not None for s in steps):
        metrics["response_tokens"] = float(sum(len(s.response_ids or []) for s in steps))
    projected = sum(bool(s.extra.get("projected")) for s in steps)
    if projected:
        metrics["projected_rate"] = projected / n
    return metrics


class _Bar:
    """A rich progress bar over episodes (a no-op when disabled)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled
        self.done = 0
        self.start = time.monotonic()
        self._progress: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> _Bar:
        if self.enabled:
            self._progress = Progress(
                TextColumn("rollout"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]} ep/s  success {task.fields[success]}"),
                TimeElapsedColumn(), transient=True)
            self._progress.start()
            self._task = self._progress.add_task("rollout", total=self.total, rate="-",
                                                 success="-")
        return self

    def advance(self, n: int, successes: int | None = None) -> None:
        self.done += n
        if self._progress is None:
            return
        rate = self.done / max(time.monotonic() - self.start, 1e-9)
        fields: dict[str, Any] = {"rate": f"{rate:.1f}"}
        if successes is not None and self.done:
            fields["success"] = f"{successes}/{self.done}"
        self._progress.update(self._task, advance=n, **fields)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
