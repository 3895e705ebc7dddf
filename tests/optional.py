"""Test modules that need an optional package: skip them where it is missing, or fail them when
an environment variable says it must be there (``make test`` sets ``AGENTRL_REQUIRE_VERL`` and
``AGENTRL_REQUIRE_VLLM`` where it installs verl and vLLM)."""

from __future__ import annotations

import importlib.util
import os

import pytest


def require_module(module: str, env_var: str, what: str, install: str) -> None:
    """Skip the calling test module when ``module`` cannot be imported, or raise when
    ``env_var`` is set; ``what`` names the tests, ``install`` says how to get the module."""
    if importlib.util.find_spec(module) is not None:
        return
    if os.environ.get(env_var):
        raise ModuleNotFoundError(f"{what} need {module}: {install}")
    pytest.skip(f"{module} is not installed: {install} (set {env_var}=1 to make this a "
                "failure)", allow_module_level=True)
