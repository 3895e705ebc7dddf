"""agentrl: train tool-using LLM agents with reinforcement learning in multi-turn, sandboxed
environments.

The public surface of the core::

    import agentrl
    env = agentrl.make("agentrl/Household-v0")
    agentrl.register(id="mypkg/Maze-v0", entry_point="mypkg.maze:MazeEnv", max_turns=40)
    report = agentrl.check_env("mypkg/Maze-v0")
"""

from agentrl.envs import TextEnv, check_env, make, register, registry
from agentrl.errors import UserError
from agentrl.types import Episode, Step, Task, read_episodes, write_episodes

__version__ = "0.1.0"

__all__ = [
    "Episode",
    "Step",
    "Task",
    "TextEnv",
    "UserError",
    "__version__",
    "check_env",
    "make",
    "read_episodes",
    "register",
    "registry",
    "write_episodes",
]
