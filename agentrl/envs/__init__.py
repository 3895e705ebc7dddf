"""Text environments: the contract, the registry and the conformance checker."""

from agentrl.envs.base import INFO_KEYS, TextEnv, TextSpace, TurnLimit
from agentrl.envs.checker import CheckReport, CheckResult, check_env
from agentrl.envs.registry import (
    EnvSpec,
    load_plugins,
    make,
    plugin_errors,
    register,
    registry,
    spec,
)

__all__ = [
    "INFO_KEYS",
    "CheckReport",
    "CheckResult",
    "EnvSpec",
    "TextEnv",
    "TextSpace",
    "TurnLimit",
    "check_env",
    "load_plugins",
    "make",
    "plugin_errors",
    "register",
    "registry",
    "spec",
]
