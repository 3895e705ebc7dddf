"""``agentrl/TextWorld-v0``: real TextWorld games (Côté et al., 2018) generated with ``tw-make``.

Registered through the ``agentrl.environments`` entry point exactly like a third-party plugin.
Nothing here imports ``textworld``: the environment module does, when the environment is built,
so a missing package becomes a one-line install hint instead of a broken registry.
"""

from __future__ import annotations

__all__ = ["register"]

#: Turn limit of an episode (the games' walkthroughs are 1-30 commands long).
MAX_TURNS = 50


def register() -> None:
    """Register ``agentrl/TextWorld-v0`` (called once through the entry point)."""
    from agentrl.envs import register as register_env

    register_env(
        "agentrl/TextWorld-v0",
        entry_point="agentrl.environments.textworld.env:TextWorldEnv",
        max_turns=MAX_TURNS,
        description="TextWorld text games (tw-simple, tw-coin_collector, tw-treasure_hunter, "
                    "tw-cooking) generated with tw-make and cached, or your own .z8/.json games",
        install_hint="pip install 'textworld>=1.6'",
    )
