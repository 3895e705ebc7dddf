"""Built-in reward shapers; importing this package registers them."""

from . import gated, invalid_penalty, milestone, outcome, spa, toolrl

__all__ = ["gated", "invalid_penalty", "milestone", "outcome", "spa", "toolrl"]
