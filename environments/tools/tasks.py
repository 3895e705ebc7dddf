"""Tasks of ``agentrl/ToolUse-v0``: ground-truth calls that may use earlier results.

A task's ``data`` holds the tools offered (``tools``: built-in names, always ending with
``final_answer``; bring-your-own tasks may add ``custom_tools`` schemas), the ground-truth calls
in order (``calls``: ``{"name", "arguments"}``), the reference ``answer`` and the answer
``match`` mode (:mod:`.answers`).

**References.** An argument of a later call may use the result of an earlier one: a string
``"${i.path}"`` stands for the value at ``path`` (dot-separated keys and list indices) in the
result of ground-truth call ``i``. A string that is exactly one reference takes the value with
its JSON type (``"${1.return_days}"`` -> ``30``); inside a longer string the value is written
as text (``"${0.rows.0.0} * 3"`` -> ``"12.5 * 3"``). In an episode the references resolve
against the results the agent actually obtained, so the expert can take over mid-episode. A
call's dependencies are the calls it references; calls whose dependencies are met are made in
parallel, in one turn.

Task types: ``single`` (one call), ``parallel`` (several independent calls, one turn),
``multi-step`` (a call needs an earlier result), ``direct`` (no call; bring-your-own only).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from agentrl.environments.tools.protocol import canonical

__all__ = ["TASK_TYPES", "ResultReferenceError", "dependencies", "resolve", "task_type"]

TASK_TYPES = ("single", "parallel", "multi-step", "direct")
REF = re.compile(r"\$\{(\d+)((?:\.[^.}]+)*)\}")


class ResultReferenceError(ValueError):
    """A ``${i.path}`` reference names a missing call or a path not in its result."""


def _follow(value: Any, path: str, ref: str) -> Any:
    for part in [p for p in path.split(".") if p]:
        if isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(
                part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise ResultReferenceError(f"{ref}: {part!r} is not in {canonical(value)[:80]}")
    return value


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else canonical(value)


def resolve(value: Any, results: Mapping[int, Any]) -> Any:
    """Replace ``${i.path}`` references in ``value`` using ``results`` (call index -> result)."""
    if isinstance(value, str):
        def lookup(m: re.Match[str]) -> Any:
            index = int(m.group(1))
            if index not in results:
                raise ResultReferenceError(f"{m.group(0)}: call {index} has no result yet")
            return _follow(results[index], m.group(2), m.group(0))

        whole = REF.fullmatch(value)
        if whole:
            return lookup(whole)
        return REF.sub(lambda m: _as_text(lookup(m)), value)
    if isinstance(value, dict):
        return {k: resolve(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, results) for v in value]
    return value


def dependencies(value: Any) -> set[int]:
    """Indices of the calls referenced anywhere in ``value``."""
    if isinstance(value, str):
        return {int(m.group(1)) for m in REF.finditer(value)}
    if isinstance(value, dict):
        return set().union(*(dependencies(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(dependencies(v) for v in value)) if value else set()
    return set()


def task_type(calls: list[dict[str, Any]]) -> str:
    """``direct``, ``single``, ``parallel`` or ``multi-step`` from the calls' dependencies."""
    if not calls:
        return "direct"
    if any(dependencies(c.get("arguments", {})) for c in calls):
        return "multi-step"
    return "single" if len(calls) == 1 else "parallel"
