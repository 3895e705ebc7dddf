"""``agentrl/ToolUse-v0``: multi-turn tool calling with real tools and ToolRL rewards.

An episode is one question. Each turn the agent writes Hermes-style ``<tool_call>`` blocks
(:mod:`.protocol`); the environment runs the calls with real tools (:mod:`.toolbox`) and answers
with one ``<tool_response>`` block per call. Calling ``final_answer`` ends the episode;
``max_turns`` truncates it.

Rewards (``info["reward_components"]``, on every step, since every turn is expected to make a
call; the answer is a call too):

- ``format``: ToolRL's R_format in {0, 1} (:func:`.toolrl.format_score`);
- ``correct``: ToolRL's R_correct in [-3, 3] (:func:`.toolrl.correctness_score`) against the
  calls the expert would make from the state before the turn;
- ``outcome``: on the turn that calls ``final_answer``: 1.0 when the answer matches
  (:mod:`.answers`), else 0.0.

The step's scalar ``reward`` is ``outcome`` (0 on other turns), so sparse-reward training works
as is; the ``toolrl`` shaper of ``agentrl.rewards`` adds ``format + correct``. Reference:
Qian et al., "ToolRL: Reward is All Tool Learning Needs", arXiv 2504.13958.

``info`` also carries ``state_key`` (task id + a digest of the multiset of tool results obtained
so far), ``milestones`` (``"i:name"`` for each ground-truth call made with the right arguments,
``"answer"`` once the correct answer is given), ``expert_action`` (the ground-truth calls still
missing whose inputs are available, with references resolved against the real results, then the
answer) and, on reset, ``tools`` (the OpenAI schemas of the task's tools).
"""

from __future__ import annotations

import copy
import hashlib
import os
from dataclasses import dataclass, field
from typing import Any, SupportsFloat

from agentrl.environments.tools.answers import answer_matches
from agentrl.environments.tools.generator import DEFAULT_SIZES, SEED, generate_tasks
from agentrl.environments.tools.protocol import (
    FINAL_ANSWER,
    ParsedTurn,
    canonical,
    format_calls,
    parse_turn,
    tool_response,
)
from agentrl.environments.tools.tasks import dependencies, resolve
from agentrl.environments.tools.toolbox import (
    BUILTIN_SCHEMAS,
    Toolbox,
    ToolResult,
    check_arguments,
)
from agentrl.environments.tools.toolrl import Call, correctness_score, format_score, values_equal
from agentrl.envs.base import TextEnv
from agentrl.errors import UserError
from agentrl.types import SPLITS, Task

__all__ = ["ToolUseEnv"]

MAX_TURNS = 8
#: tools whose calls also count as the ground-truth call when they return the same result
#: (the same number or rows computed with another expression or query)
SEMANTIC_TOOLS = frozenset({"calculator", "sql_query"})
_CLIP = 200
_NO_CALL = ("error: no <tool_call> block found. Call a tool as <tool_call>{\"name\": ..., "
            "\"arguments\": {...}}</tool_call>, or answer with the final_answer tool.")


def _clip(text: str, limit: int = _CLIP) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class _Episode:
    """The state of one episode."""

    task: Task
    tools: dict[str, dict[str, Any]]
    deps: list[set[int]]
    results: dict[int, Any] = field(default_factory=dict)  # ground-truth call -> its result
    obtained: list[str] = field(default_factory=list)  # canonical (name, result) of each success
    gt_cache: dict[int, Any] = field(default_factory=dict)
    answered: bool = False
    correct: bool = False

    @property
    def calls(self) -> list[dict[str, Any]]:
        return self.task.data["calls"]


class ToolUseEnv(TextEnv):
    """Tool-calling environment (see the module docstring)."""

    max_turns = MAX_TURNS

    def __init__(self, task_file: str | os.PathLike[str] | None = None, split: str = "train",
                 sizes: dict[str, int] | None = None, seed: int = SEED,
                 show_tools: bool = False) -> None:
        """
        Args:
            task_file: a bring-your-own JSONL task file (see :mod:`.taskfile`) that replaces
                the generated tasks.
            split: the split ``reset`` draws from when ``options`` names no task.
            sizes: generated tasks per split (default train 6000, valid 2000, test 2000).
            seed: generation seed; the default gives the published task sets.
            show_tools: also list the tools and the protocol in the first observation, for
                policies whose chat template does not render ``info["tools"]``.
        """
        if split not in SPLITS:
            raise UserError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
        for key, n in (sizes or {}).items():
            if key not in SPLITS or not isinstance(n, int) or isinstance(n, bool) or n < 1:
                raise UserError(f"sizes must map splits ({', '.join(SPLITS)}) to positive task "
                                f"counts, got {key!r}: {n!r}")
        self.split = split
        self.sizes = {**DEFAULT_SIZES, **(sizes or {})}
        self.seed = seed
        self.show_tools = show_tools
        self._file_tasks: dict[str, list[Task]] | None = None
        if task_file is not None:
            from agentrl.environments.tools.taskfile import load_task_file

            loaded = load_task_file(task_file)
            self._file_tasks = {sp: [t for t in loaded if t.split == sp] for sp in SPLITS}
        self._index: dict[str, dict[str, Task]] = {}
        self._toolbox = Toolbox()
        self._episode: _Episode | None = None

    # ------------------------------------------------------------------ tasks

    def tasks(self, split: str = "train") -> list[Task]:
        """The tasks of ``split``: generated, or those of the task file."""
        if self._file_tasks is not None:
            return list(self._file_tasks.get(split, []))
        return generate_tasks(split, self.sizes, self.seed)

    def _task(self, task_id: str) -> Task:
        if self._file_tasks is not None:
            splits = list(self._file_tasks)
        else:
            parts = task_id.split("-")
            splits = [parts[1]] if len(parts) == 3 and parts[1] in SPLITS else list(SPLITS)
        for split in splits:
            if split not in self._index:
                self._index[split] = {t.task_id: t for t in self.tasks(split)}
            if task_id in self._index[split]:
                return self._index[split][task_id]
        raise UserError(f"unknown task id {task_id!r} for agentrl/ToolUse-v0; ids look like "
                        "'tools-train-00042' (see env.tasks(split))")

    # ------------------------------------------------------------------ gym API

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        task_id = (options or {}).get("task_id")
        if task_id is None:
            pool = self.tasks(self.split)
            if not pool:
                raise UserError(f"no tasks in split {self.split!r}")
            task = pool[int(self.np_random.integers(len(pool)))]
        else:
            task = self._task(str(task_id))
        custom = {s["function"]["name"]: s for s in task.data.get("custom_tools", [])}
        tools = {name: custom.get(name) or BUILTIN_SCHEMAS[name] for name in task.data["tools"]}
        self._episode = _Episode(task=task, tools=tools,
                                 deps=[dependencies(c["arguments"]) for c in task.data["calls"]])
        info = self._info(self._episode)
        info["tools"] = copy.deepcopy(list(tools.values()))  # callers may edit their copy
        return self._first_observation(task, tools), info

    def step(self, action: str) -> tuple[str, SupportsFloat, bool, bool, dict[str, Any]]:
        ep = self._episode
        if ep is None:
            raise RuntimeError("call reset() before step()")
        if ep.answered:
            info = self._info(ep)
            info.update(valid=False, reward_components={})
            return "error: the episode is over; call reset()", 0.0, True, False, info
        turn = parse_turn(action if isinstance(action, str) else str(action))
        expected = self._expected(ep)
        predicted: list[Call] | None = None
        if turn.all_parsed or not turn.calls:  # no block at all scores as an empty prediction
            predicted = [(c.name or "", c.arguments or {}) for c in turn.calls]
        components = {
            "format": format_score(turn),
            "correct": correctness_score(predicted, expected, self._value_match(ep)),
        }
        observation, valid = self._execute(ep, turn)
        reward = 0.0
        if ep.answered:
            components["outcome"] = reward = 1.0 if ep.correct else 0.0
        info = self._info(ep)
        info.update(valid=valid, reward_components=components)
        if ep.answered:
            info.update(success=ep.correct, score=reward)
        return observation, reward, ep.answered, False, info

    def close(self) -> None:
        """Release the database connection; safe to call twice."""
        self._toolbox.close()
        super().close()

    # ------------------------------------------------------------------ internals

    def _first_observation(self, task: Task, tools: dict[str, dict[str, Any]]) -> str:
        if not self.show_tools:
            return task.instruction
        lines = [task.instruction, "", "Tools:"]
        for name, schema in tools.items():
            params = schema["function"].get("parameters", {}).get("properties", {})
            about = schema["function"].get("description", "")
            lines.append(f"- {name}({', '.join(params)}): {about}")
        lines.append('Call tools as <tool_call>{"name": ..., "arguments": {...}}</tool_call>; '
                     "answer with final_answer.")
        return "\n".join(lines)

    def _ready(self, ep: _Episode) -> list[int]:
        return [i for i in range(len(ep.calls))
                if i not in ep.results and ep.deps[i] <= ep.results.keys()]

    def _expected(self, ep: _Episode) -> list[Call]:
        ready = self._ready(ep)
        if ready:
            return [(ep.calls[i]["name"], resolve(ep.calls[i]["arguments"], ep.results))
                    for i in ready]
        return [(FINAL_ANSWER, {"answer": ep.task.data["answer"]})]

    def _value_match(self, ep: _Episode) -> Any:
        ref, mode = ep.task.data["answer"], ep.task.data.get("match", "auto")

        def match(name: str, key: str, gt: Any, pred: Any) -> bool:
            if name == FINAL_ANSWER and key == "answer":
                return answer_matches(pred, ref, mode)
            return values_equal(gt, pred)

        return match

    def _execute(self, ep: _Episode, turn: ParsedTurn) -> tuple[str, bool]:
        if not turn.calls:
            return _NO_CALL, False
        responses: list[str] = []
        valid = True
        for call in turn.calls:
            if not call.ok:
                responses.append(tool_response(_clip(call.name or "") or None,
                                               error=_clip(call.error or "")))
                valid = False
                continue
            result = self._run(ep, call.name or "", call.arguments or {})
            if not result.ok:
                responses.append(tool_response(_clip(call.name or ""), error=_clip(
                    result.error or "")))
                valid = False
                continue
            responses.append(tool_response(result.name, result=result.value))
            if result.name != FINAL_ANSWER:
                ep.obtained.append(canonical([result.name, result.value]))
                self._credit(ep, result.name or "", call.arguments or {}, result.value)
        return "\n".join(responses), valid

    def _run(self, ep: _Episode, name: str, arguments: dict[str, Any]) -> ToolResult:
        if name not in ep.tools:
            return ToolResult(name, False, error=f"unknown tool {_clip(name, 60)!r}; this task "
                              f"offers: {', '.join(ep.tools)}")
        if name == FINAL_ANSWER:
            problem = check_arguments(ep.tools[name]["function"]["parameters"], arguments)
            if problem is not None:
                return ToolResult(name, False, error=f"{name}: {problem}")
            if ep.answered:
                return ToolResult(name, False, error="final_answer was already called")
            ep.answered = True
            ep.correct = answer_matches(arguments["answer"], ep.task.data["answer"],
                                        ep.task.data.get("match", "auto"))
            return ToolResult(name, True, "answer received")
        if name in BUILTIN_SCHEMAS and ep.tools[name] is BUILTIN_SCHEMAS[name]:
            return self._toolbox.run_builtin(name, arguments)
        problem = check_arguments(ep.tools[name]["function"].get("parameters") or {}, arguments)
        if problem is not None:
            return ToolResult(name, False, error=f"{name}: {problem}")
        for i, call in enumerate(ep.calls):
            if ep.deps[i] <= ep.results.keys() and call["name"] == name and "result" in call \
                    and values_equal(
                    resolve(call["arguments"], ep.results), arguments):
                return ToolResult(name, True, call["result"])
        return ToolResult(name, False, error=f"{name}: no recorded result for these arguments "
                          "(this task file records results for its ground-truth calls only)")

    def _gt_result(self, ep: _Episode, i: int) -> Any:
        if i not in ep.gt_cache:
            call = ep.calls[i]
            out = self._toolbox.run_builtin(call["name"], resolve(call["arguments"], ep.results))
            ep.gt_cache[i] = out.value if out.ok else None
        return ep.gt_cache[i]

    def _credit(self, ep: _Episode, name: str, arguments: dict[str, Any], value: Any) -> None:
        for i in self._ready(ep):
            call = ep.calls[i]
            if call["name"] != name:
                continue
            if values_equal(resolve(call["arguments"], ep.results), arguments) or (
                    name in SEMANTIC_TOOLS and "result" not in call
                    and values_equal(self._gt_result(ep, i), value)):
                ep.results[i] = value
                return

    def _state_key(self, ep: _Episode) -> str:
        digest = hashlib.sha1(canonical(sorted(ep.obtained)).encode()).hexdigest()[:12]
        return f"{ep.task.task_id}|{len(ep.obtained)}|{digest}"

    def _info(self, ep: _Episode) -> dict[str, Any]:
        milestones = [f"{i}:{ep.calls[i]['name']}" for i in sorted(ep.results)]
        if ep.correct:
            milestones.append("answer")
        info: dict[str, Any] = {
            "task_id": ep.task.task_id,
            "task_type": ep.task.task_type,
            "state_key": self._state_key(ep),
            "milestones": milestones,
            "milestones_total": len(ep.calls) + 1,
        }
        if not ep.answered:
            info["expert_action"] = format_calls(self._expected(ep))
        return info
