"""Final-answer matching: the ``outcome`` of a ToolUse episode.

Modes (a task's ``match`` field; ``auto`` picks one from the reference answer's JSON type):

- ``numeric`` (reference is a number): the prediction is a number, or a string holding exactly
  one number (thousands separators and units around it are ignored, ``"$1,234.50"`` reads as
  1234.5); correct when ``|pred - ref| <= 1e-6 + 1e-4 * |ref|``.
- ``text`` (reference is a string): equal after normalisation: case-folded, punctuation turned
  into spaces, the articles a/an/the dropped, whitespace collapsed.
- ``list`` (reference is a list): a JSON array, or a string split on commas, semicolons and
  " and "; same length, and each element matches its reference element (``auto`` per element).
- ``exact``: the canonical JSON of prediction and reference are equal.
"""

from __future__ import annotations

import math
import re
from typing import Any

from agentrl.environments.tools.protocol import canonical

__all__ = ["MATCH_MODES", "answer_matches"]

MATCH_MODES = ("auto", "numeric", "text", "list", "exact")
REL_TOL, ABS_TOL = 1e-4, 1e-6

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_ARTICLES = {"a", "an", "the"}
_SPLIT = re.compile(r"\s*(?:[,;]|\band\b)\s*")


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    found = _NUMBER.findall(_THOUSANDS.sub("", value))
    if len(found) != 1:
        return None
    try:
        number = float(found[0])
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _normalise_text(value: Any) -> str:
    text = value if isinstance(value, str) else canonical(value)
    words = re.sub(r"[^\w]+", " ", text.casefold()).split()
    return " ".join(w for w in words if w not in _ARTICLES)


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [part for part in _SPLIT.split(_THOUSANDS.sub("", value.strip())) if part]
    return [value]


def answer_matches(pred: Any, ref: Any, mode: str = "auto") -> bool:
    """Is ``pred`` (the model's ``final_answer``) a correct answer for ``ref``?

    >>> answer_matches("$1,234.50", 1234.5), answer_matches("nairobi.", "Nairobi")
    (True, True)
    >>> answer_matches("Monday, Wednesday", ["Monday", "Wednesday"])
    True
    """
    if mode == "auto":
        if isinstance(ref, list):
            mode = "list"
        elif isinstance(ref, (int, float)) and not isinstance(ref, bool):
            mode = "numeric"
        elif isinstance(ref, str):
            mode = "text"
        else:
            mode = "exact"
    if mode == "numeric":
        number, target = _as_number(pred), _as_number(ref)
        return (number is not None and target is not None
                and abs(number - target) <= ABS_TOL + REL_TOL * abs(target))
    if mode == "text":
        return _normalise_text(pred) == _normalise_text(ref) and bool(_normalise_text(ref))
    if mode == "list":
        items, refs = _as_list(pred), _as_list(ref)
        if len(items) != len(refs):
            return False
        return all(answer_matches(p, r) for p, r in zip(items, refs, strict=True))
    return canonical(pred) == canonical(ref)
