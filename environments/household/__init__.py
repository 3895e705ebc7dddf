"""``agentrl/Household-v0``: ALFWorld-style household tasks, generated procedurally and offline.

See :mod:`agentrl.environments.household.env` for the environment,
:mod:`~agentrl.environments.household.tasks` for splits and the unseen partition,
:mod:`~agentrl.environments.household.expert` for the re-planning expert and
:func:`vocabulary` for the finite word list a tokenizer can be built from.
"""

from __future__ import annotations

from agentrl.environments.household.catalog import TASK_TYPES
from agentrl.environments.household.tasks import SPLITS
from agentrl.environments.household.text import tokenize, vocabulary

__all__ = ["ENV_ID", "SPLITS", "TASK_TYPES", "register", "tokenize", "vocabulary"]

ENV_ID = "agentrl/Household-v0"


def register() -> None:
    """Register ``agentrl/Household-v0`` (called by the ``agentrl.environments`` entry point)."""
    import agentrl.envs

    agentrl.envs.register(
        id=ENV_ID,
        entry_point="agentrl.environments.household.env:HouseholdEnv",
        max_turns=30,
        description="ALFWorld-style household tasks (6 task types, procedural rooms, offline); "
                    "splits train/valid/test/test_unseen; expert_action in info",
    )
