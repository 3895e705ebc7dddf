"""The action protocol: Hermes/Qwen-style ``<tool_call>`` blocks in, ``<tool_response>`` out.

A turn is the raw model text. Each call is one block holding a JSON object with exactly the
keys ``name`` (string) and ``arguments`` (object)::

    I need the price first.
    <tool_call>{"name": "sql_query", "arguments": {"query": "SELECT price FROM products"}}
    </tool_call>

(one line in practice; JSON may span lines).

Several blocks per turn are calls made in parallel. The answer is a call too:
``<tool_call>{"name": "final_answer", "arguments": {"answer": "42"}}</tool_call>``.

A turn is *well formed* (ToolRL's format reward, see :mod:`.toolrl`) when it holds at least one
block, every block parses, nothing but whitespace follows or separates the blocks, the free text
before them imitates no protocol tag, and ``final_answer``, if called, is the turn's only call.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CLOSE",
    "OPEN",
    "ParsedCall",
    "ParsedTurn",
    "canonical",
    "format_calls",
    "parse_turn",
    "tool_response",
]

OPEN, CLOSE = "<tool_call>", "</tool_call>"
FINAL_ANSWER = "final_answer"
_PROTOCOL_TAGS = re.compile(r"</?tool_(?:call|response)>")


@dataclass(frozen=True)
class ParsedCall:
    """One ``<tool_call>`` block: ``name`` and ``arguments`` when it parsed, else ``error``."""

    name: str | None = None
    arguments: dict[str, Any] | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class ParsedTurn:
    """All blocks of one turn and whether the turn follows the template."""

    calls: list[ParsedCall] = field(default_factory=list)
    well_formed: bool = False
    problem: str | None = None

    @property
    def all_parsed(self) -> bool:
        return bool(self.calls) and all(c.ok for c in self.calls)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _parse_block(content: str) -> ParsedCall:
    try:
        data = json.loads(content, parse_constant=_reject_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc) or "too deep"
        return ParsedCall(error=f"the tool call is not valid JSON ({reason})")
    if not isinstance(data, dict):
        return ParsedCall(error='a tool call must be a JSON object {"name": ..., "arguments": '
                                "{...}}")
    name, arguments = data.get("name"), data.get("arguments")
    if not isinstance(name, str) or not name:
        return ParsedCall(error='a tool call needs a "name" string')
    if not isinstance(arguments, dict):
        return ParsedCall(name=name, error=f'tool call {name!r} needs an "arguments" object')
    extra = sorted(set(data) - {"name", "arguments"})
    if extra:
        return ParsedCall(name=name, error=f"tool call {name!r} has unexpected key {extra[0]!r}; "
                                           'use only "name" and "arguments"')
    return ParsedCall(name=name, arguments=arguments)


def parse_turn(text: str) -> ParsedTurn:
    """Split a turn into its tool calls and check the template (never raises)."""
    turn = ParsedTurn()
    problems: list[str] = []
    start = text.find(OPEN)
    prefix = text if start < 0 else text[:start]
    if _PROTOCOL_TAGS.search(prefix):
        problems.append("stray protocol tag before the first <tool_call>")
    while start >= 0:
        body_start = start + len(OPEN)
        end = text.find(CLOSE, body_start)
        if end < 0:
            turn.calls.append(ParsedCall(error="a <tool_call> block is not closed with "
                                               "</tool_call>"))
            break
        body = text[body_start:end]
        if OPEN in body:
            turn.calls.append(ParsedCall(error="a <tool_call> block opens inside another"))
        else:
            turn.calls.append(_parse_block(body))
        start = text.find(OPEN, end + len(CLOSE))
        between = text[end + len(CLOSE): start if start >= 0 else len(text)]
        if between.strip():
            problems.append("text after a </tool_call> block")
    if not turn.calls:
        problems.append("no <tool_call> block")
    elif not turn.all_parsed:
        problems.append("a tool call does not parse")
    names = [c.name for c in turn.calls if c.ok]
    if FINAL_ANSWER in names and len(turn.calls) > 1:
        problems.append("final_answer must be the only call of its turn")
    turn.well_formed = not problems
    turn.problem = problems[0] if problems else None
    return turn


def _normalise(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    return value


def canonical(value: Any) -> str:
    """Compact, key-sorted JSON with whole floats written as ints (``3.0`` -> ``3``)."""
    return json.dumps(_normalise(value), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "), ensure_ascii=False)


def format_calls(calls: list[tuple[str, dict[str, Any]]]) -> str:
    """Write calls as ``<tool_call>`` blocks, one per line (the expert's action)."""
    return "\n".join(f"{OPEN}{_compact({'name': n, 'arguments': a})}{CLOSE}" for n, a in calls)


def tool_response(name: str | None, *, result: Any = None, error: str | None = None) -> str:
    """One ``<tool_response>`` block: ``{"name", "result"}`` or ``{"name", "error"}``."""
    body: dict[str, Any] = {"name": name}
    if error is not None:
        body["error"] = error
    else:
        body["result"] = result
    return f"<tool_response>{_compact(body)}</tool_response>"
