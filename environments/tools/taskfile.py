"""Bring-your-own tasks for ``agentrl/ToolUse-v0``: a JSONL file, one task per line.

``make("agentrl/ToolUse-v0", task_file="my_tasks.jsonl")`` replaces the generated tasks. A line::

    {"id": "order-7-weekday", "split": "test",
     "question": "On what day of the week was order 7 placed?",
     "tools": ["sql_query", "weekday", "calculator"],
     "calls": [{"name": "sql_query",
                "arguments": {"query": "SELECT order_date FROM orders WHERE id = 7"}},
               {"name": "weekday", "arguments": {"date": "${0.rows.0.0}"}}],
     "answer": "Thursday"}

Fields: ``question`` (required); ``answer`` (required: string, number or list); ``tools``
(built-in tool names and/or OpenAI function schemas of your own tools; default: the tools of
``calls``; ``final_answer`` is always added); ``calls`` (the ground-truth calls in order,
default none; arguments may reference earlier results as ``${i.path}``); ``id`` (default
``<file stem>-<line>``); ``split`` (train/valid/test, default train); ``match``
(auto/numeric/text/list/exact, default auto); ``type`` (single/parallel/multi-step/direct,
default inferred from the calls).

Built-in tools are executed for real, when the file is loaded too: a ground-truth call that
fails is reported. A tool of your own is not executable: each of its ground-truth calls must
carry the ``result`` the environment returns when the agent makes that call. Any problem
raises :class:`TaskFileError` naming the file and line.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from agentrl.environments.tools.answers import MATCH_MODES
from agentrl.environments.tools.protocol import FINAL_ANSWER
from agentrl.environments.tools.tasks import (
    TASK_TYPES,
    ResultReferenceError,
    dependencies,
    resolve,
    task_type,
)
from agentrl.environments.tools.toolbox import BUILTIN_SCHEMAS, Toolbox, check_arguments
from agentrl.errors import UserError
from agentrl.types import SPLITS, Task

__all__ = ["TaskFileError", "load_task_file"]

_KEYS = ("id", "split", "type", "question", "tools", "calls", "answer", "match")
_NAME = re.compile(r"^[A-Za-z_][\w.-]{0,63}$")


class TaskFileError(UserError, ValueError):
    """A task file is malformed; the message names the file, the line and the fix."""


class _Problem(Exception):
    """A problem on one line (wrapped into :class:`TaskFileError` with the location)."""


def _schema(entry: dict[str, Any], where: str) -> dict[str, Any]:
    fn = entry.get("function") if entry.get("type") == "function" else entry
    if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
        raise _Problem(f"{where} must be an OpenAI function schema with a \"name\" "
                       '(e.g. {"type": "function", "function": {"name": ..., "parameters": ...}})')
    name = fn["name"]
    if not _NAME.match(name):
        raise _Problem(f"{where}: tool name {name!r} must be an identifier")
    if name in BUILTIN_SCHEMAS:
        raise _Problem(f"{where}: {name!r} is a built-in tool; list it by name instead of a "
                       "schema")
    params = fn.get("parameters", {"type": "object", "properties": {}})
    if not isinstance(params, dict) or params.get("type", "object") != "object" or not \
            isinstance(params.get("properties", {}), dict):
        raise _Problem(f"{where}: \"parameters\" of {name!r} must be a JSON schema of type "
                       "object with \"properties\"")
    return {"type": "function", "function": {
        "name": name, "description": str(fn.get("description", "")), "parameters": params}}


def _tools(raw: Any, calls: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    if raw is None:
        raw = list(dict.fromkeys(c["name"] for c in calls))
    if not isinstance(raw, list):
        raise _Problem('"tools" must be a list of tool names and/or function schemas')
    names: list[str] = []
    custom: list[dict[str, Any]] = []
    for i, entry in enumerate(raw):
        if isinstance(entry, str):
            if entry not in BUILTIN_SCHEMAS:
                raise _Problem(f"tools[{i}]: {entry!r} is not a built-in tool (built-in: "
                               f"{', '.join(BUILTIN_SCHEMAS)}); give a function schema for "
                               "your own tools")
            name = entry
        elif isinstance(entry, dict):
            schema = _schema(entry, f"tools[{i}]")
            custom.append(schema)
            name = schema["function"]["name"]
        else:
            raise _Problem(f"tools[{i}] must be a tool name or a function schema")
        if name in names:
            raise _Problem(f"tools[{i}]: tool {name!r} is listed twice")
        if name != FINAL_ANSWER:
            names.append(name)
    return [*names, FINAL_ANSWER], custom


def _calls(raw: Any) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _Problem('"calls" must be a list of {"name": ..., "arguments": {...}}')
    calls = []
    for i, call in enumerate(raw):
        if not isinstance(call, dict) or not isinstance(call.get("name"), str) or \
                not isinstance(call.get("arguments", {}), dict):
            raise _Problem(f'calls[{i}] must be {{"name": "...", "arguments": {{...}}}}')
        extra = sorted(set(call) - {"name", "arguments", "result"})
        if extra:
            raise _Problem(f"calls[{i}] has unknown key {extra[0]!r} (allowed: name, arguments, "
                           "result)")
        if call["name"] == FINAL_ANSWER:
            raise _Problem(f"calls[{i}]: do not list final_answer; give the \"answer\" field")
        late = [d for d in dependencies(call.get("arguments", {})) if d >= i]
        if late:
            raise _Problem(f"calls[{i}] references ${{{late[0]}...}}; a call may only use the "
                           "results of calls before it")
        calls.append({"name": call["name"], "arguments": call.get("arguments", {}),
                      **({"result": call["result"]} if "result" in call else {})})
    return calls


def _replay(calls: list[dict[str, Any]], custom: dict[str, dict[str, Any]],
            toolbox: Toolbox) -> None:
    """Run the ground-truth calls once, so a broken task fails at load, not mid-training."""
    results: dict[int, Any] = {}
    for i, call in enumerate(calls):
        try:
            arguments = resolve(call["arguments"], results)
        except ResultReferenceError as exc:
            raise _Problem(f"calls[{i}]: {exc}") from None
        if call["name"] in custom:
            if "result" not in call:
                raise _Problem(f"calls[{i}]: {call['name']!r} is your own tool, so the call "
                               "needs the \"result\" the environment should return")
            problem = check_arguments(custom[call["name"]]["function"]["parameters"], arguments)
            if problem is not None:
                raise _Problem(f"calls[{i}]: {problem}")
            results[i] = call["result"]
            continue
        if "result" in call:
            raise _Problem(f"calls[{i}]: {call['name']!r} is built in and computes its result; "
                           "remove \"result\"")
        out = toolbox.run_builtin(call["name"], arguments)
        if not out.ok:
            raise _Problem(f"calls[{i}] fails: {out.error}")
        results[i] = out.value


def _parse_line(data: Any, default_id: str, toolbox: Toolbox) -> Task:
    """Validate one decoded line and build its :class:`Task` (raises ``_Problem``)."""
    if not isinstance(data, dict):
        raise _Problem("a line must be a JSON object with at least \"question\" and \"answer\"")
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise _Problem(f"unknown field {unknown[0]!r} (allowed: {', '.join(_KEYS)})")
    question = data.get("question")
    if not isinstance(question, str) or not question.strip():
        raise _Problem('"question" must be a non-empty string')
    if "answer" not in data or not isinstance(data["answer"], (str, int, float, list)) or \
            isinstance(data["answer"], bool):
        raise _Problem('"answer" is required: a string, a number or a list')
    task_id = data.get("id", default_id)
    if not isinstance(task_id, (str, int)) or isinstance(task_id, bool) or str(task_id) == "":
        raise _Problem('"id" must be a non-empty string')
    split = data.get("split", "train")
    if split not in SPLITS:
        raise _Problem(f'"split" must be one of {", ".join(SPLITS)}, got {split!r}')
    match = data.get("match", "auto")
    if match not in MATCH_MODES:
        raise _Problem(f'"match" must be one of {", ".join(MATCH_MODES)}, got {match!r}')
    calls = _calls(data.get("calls"))
    names, custom = _tools(data.get("tools"), calls)
    for i, call in enumerate(calls):
        if call["name"] not in names:
            raise _Problem(f"calls[{i}] uses {call['name']!r}, which \"tools\" does not offer")
    _replay(calls, {s["function"]["name"]: s for s in custom}, toolbox)
    kind = data.get("type", task_type(calls))
    if kind not in TASK_TYPES:
        raise _Problem(f'"type" must be one of {", ".join(TASK_TYPES)}, got {kind!r}')
    payload: dict[str, Any] = {"tools": names, "calls": calls, "answer": data["answer"],
                               "match": match}
    if custom:
        payload["custom_tools"] = custom
    return Task(task_id=str(task_id), split=split, task_type=kind, instruction=question.strip(),
                data=payload)


def load_task_file(path: str | os.PathLike[str]) -> list[Task]:
    """Load and validate a JSONL task file; raises :class:`TaskFileError` on the first problem."""
    path = Path(path)
    if not path.is_file():
        raise TaskFileError(f"{path}: no such task file")
    tasks: list[Task] = []
    first_line: dict[str, int] = {}
    toolbox = Toolbox()
    try:
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    try:
                        data = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise _Problem(f"not valid JSON ({exc.msg} at column {exc.colno})") \
                            from None
                    task = _parse_line(data, f"{path.stem}-{lineno}", toolbox)
                except _Problem as exc:
                    raise TaskFileError(f"{path}:{lineno}: {exc}") from None
                if task.task_id in first_line:
                    raise TaskFileError(f"{path}:{lineno}: task id {task.task_id!r} is already "
                                        f"used on line {first_line[task.task_id]}; ids must be "
                                        "unique")
                first_line[task.task_id] = lineno
                tasks.append(task)
    except UnicodeDecodeError as exc:
        raise TaskFileError(f"{path}: not UTF-8 text ({exc.reason})") from None
    finally:
        toolbox.close()
    if not tasks:
        raise TaskFileError(f"{path}: the file holds no tasks (one JSON object per line)")
    return tasks
