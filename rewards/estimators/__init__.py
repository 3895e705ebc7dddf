"""Built-in advantage estimators; importing this package registers them."""

from . import empg, gae, gigpo, grpo, rloo

__all__ = ["empg", "gae", "gigpo", "grpo", "rloo"]
