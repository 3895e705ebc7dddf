"""ToolRL's per-turn reward: format and tool-call correctness.

Source: Qian et al., "ToolRL: Reward is All Tool Learning Needs", arXiv 2504.13958 (code:
qiancheng0/ToolRL). The reward of a turn is ``R = R_format + R_correct`` in ``[-3, 4]``:

- ``R_format`` in ``{0, 1}``: 1 when the turn follows the required template. Here the template
  is the Hermes one of :mod:`.protocol` (optional reasoning text, then one or more well-formed
  ``<tool_call>`` blocks and nothing after them; ``final_answer`` alone in its turn).
- ``R_correct`` in ``[-3, 3]``, comparing the predicted calls P with the ground-truth calls G of
  the turn:

  * ``-3`` when the calls do not parse (no block, or a block that is not valid JSON);
  * ``+3`` when P equals G as a multiset of (name, arguments);
  * otherwise ``6 * S / S_max - 3`` with::

        S     = J(names(P), names(G))
                + sum over g in G of  max over p in P with p.name == g.name of
                      [ J(keys(p), keys(g)) + #{k in keys(g): p[k] == g[k]} ]     (0 if none)
        S_max = 1 + sum over g in G of (1 + |keys(g)|)

    where ``J(A, B) = |A ∩ B| / (|A| + |B| - |A ∩ B|)`` is the multiset Jaccard index
    (``J = 1`` for two empty multisets) and each ground-truth call takes its best same-name
    predicted call independently.

In agentrl's multi-turn setting the ground truth G of a turn is what the expert would call from
the current state: the ground-truth calls whose inputs are available and that were not made
yet, or ``final_answer`` with the reference answer once every call is made. The answer's value
is compared with the task's answer matcher (numeric tolerance, normalised text) instead of
strict equality; every other argument value is compared exactly (``3 == 3.0``, ``True != 1``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

from agentrl.environments.tools.protocol import ParsedTurn, canonical

__all__ = ["MAX_CORRECT", "MIN_CORRECT", "Call", "correctness_score", "format_score",
           "multiset_jaccard", "values_equal"]

MAX_CORRECT = 3.0
MIN_CORRECT = -3.0

#: a tool call as (name, arguments)
Call = tuple[str, dict[str, Any]]
#: (tool name, argument key, ground-truth value, predicted value) -> do they match?
ValueMatch = Callable[[str, str, Any, Any], bool]


def multiset_jaccard(a: Iterable[Hashable], b: Iterable[Hashable]) -> float:
    """``|A ∩ B| / (|A| + |B| - |A ∩ B|)`` over multisets; 1.0 when both are empty.

    >>> multiset_jaccard(["f", "f", "g"], ["f", "h"])
    0.25
    """
    ca, cb = Counter(list(a)), Counter(list(b))  # list(): a dict counts its keys once
    inter = sum((ca & cb).values())
    union = sum(ca.values()) + sum(cb.values()) - inter
    return 1.0 if union == 0 else inter / union


def values_equal(gt: Any, pred: Any) -> bool:
    """Exact JSON equality where ``3 == 3.0`` but booleans are not numbers."""
    if isinstance(gt, bool) or isinstance(pred, bool):
        return isinstance(gt, bool) and isinstance(pred, bool) and gt == pred
    return canonical(gt) == canonical(pred)


def _call_score(pred: Call, gt: Call, match: ValueMatch) -> float:
    (name, p_args), (_, g_args) = pred, gt
    same = sum(1 for k, v in g_args.items() if k in p_args and match(name, k, v, p_args[k]))
    return multiset_jaccard(p_args, g_args) + same


def correctness_score(pred: Sequence[Call] | None, gt: Sequence[Call],
                      value_match: ValueMatch | None = None) -> float:
    """ToolRL's ``R_correct`` in ``[-3, 3]``; ``pred=None`` means the calls did not parse.

    >>> gt = [("add", {"a": 1, "b": 2})]
    >>> correctness_score([("add", {"a": 1, "b": 2})], gt)
    3.0
    >>> correctness_score([("add", {"a": 1, "b": 5})], gt)  # S = 1 + (1 + 1), S_max = 4
    1.5
    >>> correctness_score(None, gt)
    -3.0
    """
    if pred is None:
        return MIN_CORRECT
    match = value_match or (lambda _n, _k, g, p: values_equal(g, p))
    s_max = 1.0 + sum(1 + len(args) for _, args in gt)
    score = multiset_jaccard([n for n, _ in pred], [n for n, _ in gt])
    for g in gt:
        candidates = [_call_score(p, g, match) for p in pred if p[0] == g[0]]
        score += max(candidates, default=0.0)
    return max(MIN_CORRECT, min(MAX_CORRECT, 6.0 * score / s_max - 3.0))


def format_score(turn: ParsedTurn) -> float:
    """ToolRL's ``R_format``: 1.0 when the turn follows the template of :mod:`.protocol`."""
    return 1.0 if turn.well_formed else 0.0
