"""The built-in tools: OpenAI function schemas, argument checking and real execution.

Every tool is described by an OpenAI function schema (``{"type": "function", "function": {"name",
"description", "parameters"}}``, the form chat templates take as ``tools=``) and executed by the
environment itself:

=================  ==========================================================================
``calculator``     arithmetic with a safe parser (:mod:`.calculator`, no ``eval``)
``convert_units``  length, mass, volume, time and temperature (:mod:`.units`)
``date_add``       date plus days / months / years, month ends clamped (:mod:`.dates`)
``date_diff``      days between two dates
``weekday``        weekday of a date
``sql_query``      read-only SQL over the shop database (:mod:`.database`)
``lookup``         the local knowledge base (:mod:`.knowledge`)
``final_answer``   ends the episode with the answer
=================  ==========================================================================

Arguments are checked against the schema (a JSON-Schema subset: ``type``, ``enum``,
``required``, no unknown keys) before a tool runs; a violation or a tool failure becomes an
error result, never an exception.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agentrl.environments.tools import calculator, dates, knowledge, units
from agentrl.environments.tools.database import MAX_ROWS, SCHEMA_TEXT, QueryError, ShopDatabase

__all__ = ["BUILTIN_SCHEMAS", "FINAL_ANSWER", "TOOL_NAMES", "ToolResult", "Toolbox",
           "check_arguments", "function_schema"]

FINAL_ANSWER = "final_answer"


def function_schema(name: str, description: str, properties: dict[str, Any],
                    required: list[str]) -> dict[str, Any]:
    """An OpenAI function-tool schema."""
    return {"type": "function", "function": {
        "name": name, "description": description,
        "parameters": {"type": "object", "properties": properties, "required": required},
    }}


def _date(description: str) -> dict[str, Any]:
    return {"type": "string", "description": f"{description} (YYYY-MM-DD)"}


BUILTIN_SCHEMAS: dict[str, dict[str, Any]] = {
    "calculator": function_schema(
        "calculator", "Evaluate an arithmetic expression with + - * / // % ^, parentheses and "
        "sqrt, abs, round, floor, ceil, min, max, log.",
        {"expression": {"type": "string", "description": "e.g. '12.5 * 3 * 1.08'"}},
        ["expression"]),
    "convert_units": function_schema(
        "convert_units", "Convert a quantity between units of length, mass, volume, time or "
        "temperature; the result is rounded to 4 decimals.",
        {"value": {"type": "number"},
         "from_unit": {"type": "string", "enum": list(units.UNITS)},
         "to_unit": {"type": "string", "enum": list(units.UNITS)}},
        ["value", "from_unit", "to_unit"]),
    "date_add": function_schema(
        "date_add", "Add years, months (day clamped to the month's end), then days to a date.",
        {"date": _date("start date"), "days": {"type": "integer"},
         "months": {"type": "integer"}, "years": {"type": "integer"}},
        ["date"]),
    "date_diff": function_schema(
        "date_diff", "Number of days from start to end (negative if end is earlier).",
        {"start": _date("start date"), "end": _date("end date")}, ["start", "end"]),
    "weekday": function_schema(
        "weekday", "The day of the week of a date.", {"date": _date("the date")}, ["date"]),
    "sql_query": function_schema(
        "sql_query", f"Run one read-only SQLite SELECT on the shop database: {SCHEMA_TEXT}. "
        f"Returns columns and at most {MAX_ROWS} rows.",
        {"query": {"type": "string", "description": "one SELECT statement"}}, ["query"]),
    "lookup": function_schema(
        "lookup", "Look up a topic in the knowledge base: a country, a chemical element, a "
        "mountain or a shop product category.",
        {"topic": {"type": "string", "description": "e.g. 'Kenya', 'oxygen', 'K2', 'books'"}},
        ["topic"]),
    FINAL_ANSWER: function_schema(
        FINAL_ANSWER, "Give the final answer to the question; this ends the episode.",
        {"answer": {"type": ["string", "number", "array"],
                    "description": "the answer; several values separated by commas"}},
        ["answer"]),
}
#: built-in tool names, in a stable order
TOOL_NAMES: tuple[str, ...] = tuple(BUILTIN_SCHEMAS)

_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
    and math.isfinite(v),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}


def check_arguments(parameters: dict[str, Any], arguments: dict[str, Any]) -> str | None:
    """Check ``arguments`` against a JSON-Schema ``parameters`` object; the problem, or None."""
    properties: dict[str, Any] = parameters.get("properties") or {}
    for key in parameters.get("required") or []:
        if key not in arguments:
            return f"missing required argument {key!r}"
    if parameters.get("additionalProperties", False) is not True:
        unknown = [k for k in arguments if k not in properties]
        if unknown:
            return (f"unknown argument {unknown[0]!r} (expected: "
                    f"{', '.join(properties) or 'none'})")
    for key, value in arguments.items():
        spec = properties.get(key) or {}
        kinds = spec.get("type")
        kinds = [kinds] if isinstance(kinds, str) else list(kinds or [])
        known = [k for k in kinds if k in _TYPE_CHECKS]
        if known and not any(_TYPE_CHECKS[k](value) for k in known):
            return f"argument {key!r} must be {' or '.join(known)}, got {_json_type(value)}"
        if "enum" in spec and value not in spec["enum"]:
            return f"argument {key!r} must be one of {', '.join(map(str, spec['enum']))}"
    return None


def _json_type(value: Any) -> str:
    for name in ("boolean", "integer", "number", "string", "array", "object", "null"):
        if _TYPE_CHECKS[name](value):
            return name
    return type(value).__name__


@dataclass(frozen=True)
class ToolResult:
    """The outcome of one call: ``value`` when ``ok``, else ``error``."""

    name: str | None
    ok: bool
    value: Any = None
    error: str | None = None


#: exceptions that mean "the call was wrong", reported to the agent as an error result
_TOOL_ERRORS = (calculator.CalculatorError, units.UnitError, dates.DateError, QueryError,
                knowledge.UnknownTopicError)


class Toolbox:
    """Executes built-in tools (owning the SQLite connection) and recorded custom tools."""

    def __init__(self) -> None:
        self._db: ShopDatabase | None = None
        self._runners: dict[str, Callable[[dict[str, Any]], Any]] = {
            "calculator": lambda a: calculator.evaluate(a["expression"]),
            "convert_units": lambda a: units.convert(a["value"], a["from_unit"], a["to_unit"]),
            "date_add": lambda a: dates.add(a["date"], int(a.get("days", 0)),
                                            int(a.get("months", 0)), int(a.get("years", 0))),
            "date_diff": lambda a: dates.diff(a["start"], a["end"]),
            "weekday": lambda a: dates.weekday(a["date"]),
            "sql_query": lambda a: self.database.query(a["query"]),
            "lookup": lambda a: knowledge.lookup(a["topic"]),
        }

    @property
    def database(self) -> ShopDatabase:
        """The shop database, built on first use."""
        if self._db is None:
            self._db = ShopDatabase()
        return self._db

    def run_builtin(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        """Check ``arguments`` and run the built-in tool ``name`` (not ``final_answer``)."""
        problem = check_arguments(BUILTIN_SCHEMAS[name]["function"]["parameters"], arguments)
        if problem is not None:
            return ToolResult(name, False, error=f"{name}: {problem}")
        try:
            return ToolResult(name, True, self._runners[name](arguments))
        except _TOOL_ERRORS as exc:
            return ToolResult(name, False, error=f"{name}: {exc}")

    def close(self) -> None:
        """Close the database connection (idempotent)."""
        if self._db is not None:
            self._db.close()
            self._db = None
