"""Sandbox backends by name.

``register(name, factory)`` adds a backend; ``get(name)`` returns its factory (a callable taking a
:class:`SandboxConfig` and returning a :class:`Sandbox`, usually the class itself); ``create``
builds a sandbox from a config. The built-in backends (``docker``, ``bwrap``, ``process``) are
registered here directly, by dotted path, so that importing agentrl does not import docker-py.
Third-party packages add backends through the entry-point group ``agentrl.sandboxes``; each entry
point names a factory, registered under the entry point's name::

    [project.entry-points."agentrl.sandboxes"]
    firecracker = "my_package.sandbox:FirecrackerSandbox"

A plugin that fails to load is reported by ``get``/``doctor`` with its error, never dropped
silently.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata as metadata
import threading
from collections.abc import Callable

from agentrl.errors import UserError
from agentrl.sandboxes.base import Sandbox, SandboxConfig

__all__ = ["ENTRY_POINT_GROUP", "SandboxNotFoundError", "create", "get", "names",
           "plugin_errors", "register"]

ENTRY_POINT_GROUP = "agentrl.sandboxes"
Factory = Callable[[SandboxConfig], Sandbox]

_BUILTINS = {
    "docker": "agentrl.sandboxes.docker:DockerSandbox",
    "bwrap": "agentrl.sandboxes.bwrap:BwrapSandbox",
    "process": "agentrl.sandboxes.process:ProcessSandbox",
}
_registry: dict[str, Factory | str] = dict(_BUILTINS)
_plugin_errors: dict[str, str] = {}
_plugins_loaded = False
_lock = threading.RLock()


class SandboxNotFoundError(UserError, KeyError):
    """A sandbox backend name is not registered."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def register(name: str, factory: Factory | str) -> None:
    """Register ``factory`` (or a ``"module:attr"`` path to it) as the backend ``name``."""
    if not name or not name.replace("-", "_").isidentifier():
        raise ValueError(f"invalid sandbox backend name {name!r}: use letters, digits, '_' or '-'")
    if isinstance(factory, str) and ":" not in factory:
        raise ValueError(f"factory {factory!r} of backend {name} must look like 'module:attr'")
    with _lock:
        _registry[name] = factory


def _load_plugins() -> None:
    global _plugins_loaded
    with _lock:
        if _plugins_loaded:
            return
        _plugins_loaded = True
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            try:
                _registry[ep.name] = ep.load()
            except Exception as exc:  # a broken plugin must not hide the other backends
                _plugin_errors[ep.name] = f"{type(exc).__name__}: {exc}"


def names() -> list[str]:
    """All registered backend names (plugins discovered on first call)."""
    _load_plugins()
    with _lock:
        return sorted(_registry)


def plugin_errors() -> dict[str, str]:
    """Backend plugins that failed to load, with their errors."""
    _load_plugins()
    return dict(_plugin_errors)


def get(name: str) -> Factory:
    """The factory of backend ``name``; an unknown name raises an error listing the valid ones."""
    _load_plugins()
    with _lock:
        target = _registry.get(name)
    if target is None:
        known = names()
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        broken = (f" (plugins that failed to load: {_plugin_errors})" if _plugin_errors else "")
        raise SandboxNotFoundError(
            f"unknown sandbox backend {name!r}.{hint} Valid: {', '.join(known)}.{broken}")
    if isinstance(target, str):
        module_name, _, attr = target.partition(":")
        module = importlib.import_module(module_name)
        resolved = getattr(module, attr)
        with _lock:
            _registry[name] = resolved
        return resolved  # type: ignore[no-any-return]
    return target


def create(config: SandboxConfig | None = None, **overrides: object) -> Sandbox:
    """Build a sandbox from a config and/or overrides: ``create(backend="bwrap")``."""
    base = config or SandboxConfig()
    if overrides:
        base = base.model_copy(update=overrides)
        base = SandboxConfig.model_validate(base.model_dump())
    return get(base.backend)(base)
