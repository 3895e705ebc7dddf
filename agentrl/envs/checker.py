"""Conformance checker for text environments (``agentrl check-env ID``).

Runs an environment through the contract of DESIGN.md section 3.1 and reports one line per check:

- ``api``: ``reset``/``step`` return the documented types; standard ``info`` keys have their types.
- ``tasks``: ``tasks(split)`` for train/valid/test returns non-empty lists of stable, unique task
  ids, disjoint across splits; ``reset(options={"task_id": ...})`` accepts them.
- ``determinism``: the same ``(task_id, seed)`` and the same actions give identical observations,
  rewards, flags and infos, on two separately built instances.
- ``malformed_actions``: random and malformed actions (empty, huge, control characters, Unicode,
  JSON garbage) never raise; clearly malformed ones report ``valid = False`` when the
  environment reports validity.
- ``truncation``: an episode ends, ``truncated``, at ``max_turns``.
- ``random_agent``: episodes of random (admissible, where listed) actions run to the end.
- ``expert``: where ``info["expert_action"]`` exists, following it reaches ``success`` on a
  sample of tasks of every split.
- ``close``: ``close()`` twice is fine.
"""

from __future__ import annotations

import contextlib
import json
import math
import numbers
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from agentrl.types import SPLITS

__all__ = ["CheckReport", "CheckResult", "check_env"]

#: Actions no environment should accept as valid.
MALFORMED_ACTIONS: tuple[str, ...] = (
    "",
    "   \n\t  ",
    "x" * 100_000,
    "\x00\x01\x02\x1b[31m",
    '{"name": [',
    "]]]}}}{{{",
)
#: Further odd inputs that must not crash an environment (validity is up to the environment).
ODD_ACTIONS: tuple[str, ...] = (
    "你好，世界 🙂 ñ é ß",
    "null",
    "None",
    "[]",
    '{"name": "final_answer", "arguments": {"answer": 1e309}}',
    "<tool_call>{not json}</tool_call>",
    "click[]",
    "search[",
    "go to",
    "take from",
    "-1",
    "\\",
    "'; DROP TABLE tasks; --",
    "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
)


class CheckFailure(Exception):
    """A contract violation found by a check."""


@dataclass
class CheckResult:
    """Outcome of one named check."""

    name: str
    passed: bool
    detail: str = ""
    skipped: bool = False

    @property
    def status(self) -> str:
        return "skip" if self.skipped else ("pass" if self.passed else "FAIL")


@dataclass
class CheckReport:
    """All check results for one environment."""

    env_id: str
    results: list[CheckResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r.passed or r.skipped for r in self.results)

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if not (r.passed or r.skipped)]

    def __getitem__(self, name: str) -> CheckResult:
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(name)

    def lines(self) -> list[str]:
        return [f"{r.status:4}  {r.name}: {r.detail}" for r in self.results]


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

_INFO_TYPES: dict[str, Callable[[Any], bool]] = {
    "valid": lambda v: isinstance(v, bool),
    "state_key": lambda v: isinstance(v, str),
    "admissible_actions": lambda v: isinstance(v, list) and all(isinstance(a, str) for a in v),
    "milestones": lambda v: isinstance(v, list) and all(isinstance(a, str) for a in v),
    "milestones_total": lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
    "reward_components": lambda v: isinstance(v, dict) and all(
        isinstance(k, str) and _is_number(x) for k, x in v.items()),
    "success": lambda v: isinstance(v, bool),
    "score": lambda v: _is_number(v) and 0.0 <= float(v) <= 1.0,
    "tools": lambda v: isinstance(v, list) and all(isinstance(t, dict) for t in v),
    "expert_action": lambda v: isinstance(v, str),
    "task_id": lambda v: isinstance(v, str),
    "task_type": lambda v: v is None or isinstance(v, str),
}


def _is_number(v: Any) -> bool:
    return (isinstance(v, numbers.Real) and not isinstance(v, bool)
            and math.isfinite(float(v)))


def _check_info(info: Any, where: str) -> None:
    if not isinstance(info, dict):
        raise CheckFailure(f"{where}: info must be a dict, got {type(info).__name__}")
    for key, ok in _INFO_TYPES.items():
        if key in info and not ok(info[key]):
            raise CheckFailure(f"{where}: info[{key!r}] has the wrong type or range: "
                               f"{_short(info[key])}")


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_reset(out: Any, where: str) -> tuple[str, dict[str, Any]]:
    if not (isinstance(out, tuple) and len(out) == 2):
        raise CheckFailure(f"{where}: reset must return (observation, info), got {_short(out)}")
    obs, info = out
    if not isinstance(obs, str):
        raise CheckFailure(f"{where}: observation must be str, got {type(obs).__name__}")
    _check_info(info, where)
    return obs, info


def _check_step(out: Any, where: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
    if not (isinstance(out, tuple) and len(out) == 5):
        raise CheckFailure(f"{where}: step must return (observation, reward, terminated, "
                           f"truncated, info), got {_short(out)}")
    obs, reward, terminated, truncated, info = out
    if not isinstance(obs, str):
        raise CheckFailure(f"{where}: observation must be str, got {type(obs).__name__}")
    if not _is_number(reward):
        raise CheckFailure(f"{where}: reward must be a finite number, got {_short(reward)}")
    for name, flag in (("terminated", terminated), ("truncated", truncated)):
        if not isinstance(flag, bool):
            raise CheckFailure(f"{where}: {name} must be bool, got {type(flag).__name__}")
    _check_info(info, where)
    return obs, float(reward), terminated, truncated, info


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr, ensure_ascii=False)


class _Session:
    """Builds fresh environments (when checking an id) or reuses one instance."""

    def __init__(self, factory: Callable[[], gym.Env[str, str]], fresh: bool) -> None:
        self.factory = factory
        self.fresh = fresh
        self._shared: gym.Env[str, str] | None = None
        self._opened: list[gym.Env[str, str]] = []

    def env(self) -> gym.Env[str, str]:
        if not self.fresh:
            if self._shared is None:
                self._shared = self.factory()
            return self._shared
        env = self.factory()
        self._opened.append(env)
        return env

    def close_all(self) -> None:
        for env in self._opened:
            with contextlib.suppress(Exception):  # closing is checked on its own
                env.close()
        self._opened.clear()


def _tasks(env: gym.Env[str, str], split: str) -> list[Any]:
    tasks_fn = getattr(env, "tasks", None)
    if tasks_fn is None:
        raise CheckFailure("the environment has no tasks(split) method")
    tasks = tasks_fn(split)
    if not isinstance(tasks, list):
        raise CheckFailure(f"tasks({split!r}) must return a list, got {type(tasks).__name__}")
    return tasks


def _task_ids(env: gym.Env[str, str], split: str) -> list[str]:
    ids = []
    for i, task in enumerate(_tasks(env, split)):
        task_id = getattr(task, "task_id", None)
        if not isinstance(task_id, str) or not task_id:
            raise CheckFailure(f"tasks({split!r})[{i}] has no string task_id")
        ids.append(task_id)
    return ids


def _pick_action(info: dict[str, Any], rng: random.Random) -> str:
    admissible = info.get("admissible_actions")
    if admissible:
        return rng.choice(admissible)
    pool = MALFORMED_ACTIONS[:2] + ODD_ACTIONS + ("look", "help", "submit", "inventory")
    return rng.choice(pool)


def _max_turns(env: gym.Env[str, str]) -> int | None:
    value = getattr(env, "max_turns", None)
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None


# ---------------------------------------------------------------------------------------------
# checks
# ---------------------------------------------------------------------------------------------


def _check_api(s: _Session, ids: dict[str, list[str]]) -> str:
    env = s.env()
    if not isinstance(env, gym.Env):
        raise CheckFailure(f"not a gymnasium.Env: {type(env).__name__}")
    obs, info = _check_reset(env.reset(seed=0), "reset()")
    if not obs:
        raise CheckFailure("reset(): the first observation is empty")
    _check_step(env.step(_pick_action(info, random.Random(0))), "step()")
    return f"reset -> (str, dict), step -> 5-tuple; info keys: {', '.join(sorted(info)) or '-'}"


def _check_tasks(s: _Session, ids: dict[str, list[str]]) -> str:
    env = s.env()
    seen: dict[str, str] = {}
    for split in SPLITS:
        split_ids = _task_ids(env, split)
        if not split_ids:
            raise CheckFailure(f"tasks({split!r}) is empty")
        dup = [t for t in set(split_ids) if split_ids.count(t) > 1] if len(set(split_ids)) != len(
            split_ids) else []
        if dup:
            raise CheckFailure(f"tasks({split!r}) repeats task id {dup[0]!r}")
        if _task_ids(env, split) != split_ids:
            raise CheckFailure(f"tasks({split!r}) is not stable: a second call gave other ids")
        for t in split_ids:
            if t in seen:
                raise CheckFailure(f"task id {t!r} is in both {seen[t]!r} and {split!r}")
            seen[t] = split
        ids[split] = split_ids
    for split in SPLITS:
        task_id = ids[split][0]
        _, info = _check_reset(env.reset(seed=0, options={"task_id": task_id}),
                               f"reset(options={{'task_id': {task_id!r}}})")
        if "task_id" in info and info["task_id"] != task_id:
            raise CheckFailure(f"reset with task_id {task_id!r} played {info['task_id']!r}")
    return ", ".join(f"{sp}: {len(ids[sp])}" for sp in SPLITS)


def _trace(env: gym.Env[str, str], task_id: str, seed: int, actions: list[str] | None,
           n_steps: int) -> tuple[list[str], list[str]]:
    """Play one episode; replay ``actions`` if given, else choose them. Returns (trace, actions)."""
    rng = random.Random(seed)
    obs, info = _check_reset(env.reset(seed=seed, options={"task_id": task_id}), "reset")
    trace = [_canonical(["reset", obs, info])]
    chosen: list[str] = []
    for t in range(n_steps if actions is None else len(actions)):
        action = _pick_action(info, rng) if actions is None else actions[t]
        chosen.append(action)
        obs, reward, term, trunc, info = _check_step(env.step(action), f"step {t}")
        trace.append(_canonical([obs, reward, term, trunc, info]))
        if term or trunc:
            break
    return trace, chosen


def _check_determinism(s: _Session, ids: dict[str, list[str]]) -> str:
    picks = [(sp, ids[sp][i % len(ids[sp])]) for i, sp in enumerate(SPLITS)]
    total = 0
    for i, (_, task_id) in enumerate(picks):
        seed = 1000 + i
        env_a = s.env()
        limit = min(_max_turns(env_a) or 30, 30)
        trace_a, actions = _trace(env_a, task_id, seed, None, limit)
        env_b = s.env()
        trace_b, _ = _trace(env_b, task_id, seed, actions, limit)
        for t, (a, b) in enumerate(zip(trace_a, trace_b, strict=False)):
            if a != b:
                what = "reset" if t == 0 else f"step {t - 1} (action {_short(actions[t - 1], 40)})"
                raise CheckFailure(f"task {task_id!r} seed {seed}: {what} differs between two "
                                   f"runs: {_short(a, 60)} vs {_short(b, 60)}")
        if len(trace_a) != len(trace_b):
            raise CheckFailure(f"task {task_id!r} seed {seed}: episode lengths differ")
        total += len(actions)
    kind = "two fresh instances" if s.fresh else "one instance, replayed"
    return f"{len(picks)} tasks, {total} steps identical ({kind})"


def _check_malformed(s: _Session, ids: dict[str, list[str]], n_actions: int) -> str:
    env = s.env()
    rng = random.Random(7)
    task_ids = ids.get("train") or [None]
    obs, info = _check_reset(env.reset(seed=0, options={"task_id": task_ids[0]}), "reset")
    space_sampler = getattr(getattr(env, "action_space", None), "sample", None)
    invalid_reported = 0
    fixed = list(MALFORMED_ACTIONS) + list(ODD_ACTIONS)
    for n in range(n_actions):
        if n < len(fixed):
            action = fixed[n]
        elif n % 3 == 0 and space_sampler is not None:
            action = space_sampler()
            if not isinstance(action, str):
                action = str(action)
        elif n % 3 == 1:
            action = _pick_action(info, rng) + rng.choice(["", " ???", "]]", "\n\n", " 🙂"])
        else:
            length = rng.choice([1, 5, 40, 400])
            action = "".join(chr(rng.choice([rng.randint(32, 126), rng.randint(0x80, 0x2FFF)]))
                             for _ in range(length))
        where = f"action #{n} {_short(action, 40)}"
        try:
            obs, _, term, trunc, info = _check_step(env.step(action), where)
        except CheckFailure:
            raise
        except Exception as exc:
            raise CheckFailure(f"{where} raised {type(exc).__name__}: {exc}") from exc
        if action in MALFORMED_ACTIONS and "valid" in info:
            if info["valid"] is not False:
                raise CheckFailure(f"{where}: a malformed action was reported valid")
            if not obs.strip():
                raise CheckFailure(f"{where}: a malformed action got an empty observation; "
                                   "say what was wrong")
            invalid_reported += 1
        if term or trunc:
            task_id = task_ids[(n + 1) % len(task_ids)]
            obs, info = _check_reset(env.reset(seed=n, options={"task_id": task_id}), "reset")
    return f"{n_actions} actions, no exception; {invalid_reported} malformed flagged invalid"


def _check_truncation(s: _Session, ids: dict[str, list[str]]) -> str:
    env = s.env()
    limit = _max_turns(env)
    if limit is None:
        raise CheckFailure("no turn limit: register the environment with max_turns=N")
    env.reset(seed=0, options={"task_id": ids["train"][0]})
    for t in range(1, limit + 1):
        _, _, term, trunc, _ = _check_step(env.step(""), f"step {t - 1}")
        if term:
            return f"ended (terminated) after {t} invalid actions, before max_turns={limit}"
        if trunc:
            if t != limit:
                return f"truncated after {t} invalid actions (max_turns={limit})"
            return f"truncated at max_turns={limit}"
    raise CheckFailure(f"episode still running after max_turns={limit} steps")


def _run_policy(env: gym.Env[str, str], task_id: str, seed: int,
                choose: Callable[[dict[str, Any]], str]) -> tuple[bool, int, float]:
    _, info = _check_reset(env.reset(seed=seed, options={"task_id": task_id}), "reset")
    limit = _max_turns(env) or 1000
    total = 0.0
    for t in range(limit + 1):
        _, reward, term, trunc, info = _check_step(env.step(choose(info)), f"step {t}")
        total += reward
        if term or trunc:
            return bool(info.get("success", False)), t + 1, total
    raise CheckFailure(f"task {task_id!r}: the episode did not end within {limit + 1} steps")


def _check_random_agent(s: _Session, ids: dict[str, list[str]], episodes: int) -> str:
    env = s.env()
    rng = random.Random(3)
    tasks = ids["train"]
    wins, steps = 0, 0
    for i in range(episodes):
        won, n, _ = _run_policy(env, tasks[i % len(tasks)], i, lambda info: _pick_action(info, rng))
        wins += won
        steps += n
    return f"{episodes} episodes ran to the end, {wins} successes, {steps / episodes:.1f} steps avg"


def _check_expert(s: _Session, ids: dict[str, list[str]], per_split: int) -> CheckResult:
    env = s.env()
    _, info = env.reset(seed=0, options={"task_id": ids["train"][0]})
    if "expert_action" not in info:
        return CheckResult("expert", True, "no expert_action in info", skipped=True)
    solved, tried, failed = 0, 0, []

    def expert(info: dict[str, Any]) -> str:
        action = info.get("expert_action")
        if not isinstance(action, str):
            raise CheckFailure("expert_action missing mid-episode")
        return action

    for split in SPLITS:
        for task_id in _spread(ids[split], per_split):
            won, _, _ = _run_policy(env, task_id, 0, expert)
            tried += 1
            solved += won
            if not won:
                failed.append(task_id)
    if failed:
        raise CheckFailure(f"the expert failed {len(failed)}/{tried} tasks, e.g. {failed[0]!r}")
    return CheckResult("expert", True, f"expert solved {solved}/{tried} sampled tasks")


def _spread(items: list[str], n: int) -> list[str]:
    if len(items) <= n:
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def _check_close(s: _Session, ids: dict[str, list[str]]) -> str:
    env = s.env()
    env.close()
    env.close()
    return "close() twice is fine"


# ---------------------------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------------------------


def check_env(env_or_id: str | gym.Env[str, str], *, n_random: int = 200,
              expert_tasks: int = 3, random_episodes: int = 3,
              make_kwargs: dict[str, Any] | None = None,
              checks: Iterable[str] | None = None) -> CheckReport:
    """Check an environment (an instance, or a registered id) against the contract.

    Args:
        env_or_id: a registered id (fresh instances are built for each check, which also
            exercises construction) or an environment instance (reused; closed at the end).
        n_random: number of random and malformed actions for ``malformed_actions``.
        expert_tasks: tasks per split the expert must solve.
        random_episodes: episodes the random agent plays to the end.
        make_kwargs: constructor overrides when ``env_or_id`` is an id.
        checks: names of the checks to run (default: all).

    Returns:
        A :class:`CheckReport`; ``report.passed`` is False when any check failed.
    """
    if isinstance(env_or_id, str):
        from agentrl.envs.registry import make

        env_id = env_or_id
        kwargs = dict(make_kwargs or {})
        session = _Session(lambda: make(env_id, **kwargs), fresh=True)
    else:
        instance = env_or_id
        env_id = getattr(instance.unwrapped, "spec_id", None) or type(instance.unwrapped).__name__
        session = _Session(lambda: instance, fresh=False)

    ids: dict[str, list[str]] = {}
    plan: list[tuple[str, Callable[[], str | CheckResult]]] = [
        ("api", lambda: _check_api(session, ids)),
        ("tasks", lambda: _check_tasks(session, ids)),
        ("determinism", lambda: _check_determinism(session, ids)),
        ("malformed_actions", lambda: _check_malformed(session, ids, n_random)),
        ("truncation", lambda: _check_truncation(session, ids)),
        ("random_agent", lambda: _check_random_agent(session, ids, random_episodes)),
        ("expert", lambda: _check_expert(session, ids, expert_tasks)),
        ("close", lambda: _check_close(session, ids)),
    ]
    wanted = set(checks) if checks is not None else None
    report = CheckReport(env_id)
    needs_tasks = {"determinism", "malformed_actions", "truncation", "random_agent", "expert"}
    try:
        for name, run in plan:
            if wanted is not None and name not in wanted and name != "tasks":
                continue
            if name in needs_tasks and not all(sp in ids for sp in SPLITS):
                report.results.append(CheckResult(name, False, "not run: the tasks check failed",
                                                  skipped=False))
                continue
            try:
                out = run()
            except CheckFailure as exc:
                report.results.append(CheckResult(name, False, str(exc)))
            except Exception as exc:
                detail = f"raised {type(exc).__name__}: {_short(str(exc), 200)}"
                report.results.append(CheckResult(name, False, detail))
            else:
                report.results.append(out if isinstance(out, CheckResult)
                                      else CheckResult(name, True, out))
    finally:
        session.close_all()
        if not session.fresh:
            with contextlib.suppress(Exception):
                env_or_id.close()  # type: ignore[union-attr]
    return report
