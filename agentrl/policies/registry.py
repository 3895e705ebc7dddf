"""Policy backends by spec string: ``expert``, ``random``, ``hf:PATH``, ``vllm:PATH``,
``openai:MODEL@URL``, or a third-party backend from the entry-point group ``agentrl.policies``
(a callable taking the part after the colon and keyword options)."""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
from collections.abc import Callable
from typing import Any

from agentrl.errors import UserError
from agentrl.policies.base import Policy

__all__ = ["known_policies", "make_policy", "register_policy"]

_BACKENDS: dict[str, str | Callable[..., Policy]] = {
    "expert": "agentrl.policies.scripted:ExpertPolicy",
    "random": "agentrl.policies.scripted:RandomPolicy",
    "hf": "agentrl.policies.hf:HFPolicy",
    "vllm": "agentrl.policies.vllm_backend:VLLMPolicy",
    "openai": "agentrl.policies.openai_compat:OpenAIPolicy",
}
_loaded_entry_points = False


def register_policy(name: str, factory: str | Callable[..., Policy]) -> None:
    """Register a policy backend: ``factory(arg, **options)`` builds it (``arg`` may be None)."""
    _BACKENDS[name] = factory


def _load_entry_points() -> None:
    global _loaded_entry_points
    if _loaded_entry_points:
        return
    _loaded_entry_points = True
    for ep in metadata.entry_points(group="agentrl.policies"):
        _BACKENDS.setdefault(ep.name, ep.value)


def known_policies() -> list[str]:
    """Names of the registered policy backends (built-in and entry points)."""
    _load_entry_points()
    return sorted(_BACKENDS)


def make_policy(spec: str, **options: Any) -> Policy:
    """Build a policy from a spec string such as ``expert`` or ``hf:runs/quickstart``.

    The backend's factory is called as ``factory(arg, **options)`` with ``arg`` the part after
    the first colon (None when absent).
    """
    _load_entry_points()
    name, _, arg = spec.partition(":")
    factory = _BACKENDS.get(name)
    if factory is None:
        known = ", ".join(sorted(_BACKENDS))
        raise UserError(f"unknown policy {spec!r}; known backends: {known} "
                        "(e.g. expert, random, hf:PATH, openai:MODEL@URL)")
    if isinstance(factory, str):
        module, _, attr = factory.partition(":")
        factory = getattr(importlib.import_module(module), attr)
    return factory(arg or None, **options)
