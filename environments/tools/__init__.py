"""``agentrl/ToolUse-v0``: tool calling with OpenAI schemas, Hermes-format calls, real tools and
ToolRL rewards (Qian et al., arXiv 2504.13958).

Registered through the ``agentrl.environments`` entry point like any plugin; see
:mod:`agentrl.environments.tools.env` for the environment and the README section "Tool calling"
for the protocol, the tools, the task-file format and the rewards.
"""

from __future__ import annotations

__all__ = ["ENV_ID", "register"]

ENV_ID = "agentrl/ToolUse-v0"


def register() -> None:
    """Register ``agentrl/ToolUse-v0`` (called once by agentrl's plugin discovery)."""
    from agentrl.environments.tools.env import MAX_TURNS
    from agentrl.envs import register as register_env

    register_env(
        id=ENV_ID,
        entry_point="agentrl.environments.tools.env:ToolUseEnv",
        max_turns=MAX_TURNS,
        description="Tool calling (calculator, units, dates, SQL, lookup) with Hermes "
                    "<tool_call> blocks and ToolRL format/correctness rewards",
    )
