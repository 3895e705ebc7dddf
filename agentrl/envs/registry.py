"""Environment registry and plugin discovery.

``register(id, entry_point="pkg.mod:Class", max_turns=..., kwargs=...)`` adds an environment;
``make(id, **overrides)`` builds one. Built-in environments and third-party packages register the
same way: every entry point of the group ``agentrl.environments`` names a zero-argument callable
that agentrl calls once, at first use of the registry, and that calls :func:`register`::

    # a plugin's pyproject.toml
    [project.entry-points."agentrl.environments"]
    my_envs = "my_package.envs:register"

A plugin that fails to import or to register is recorded with its error (see
:func:`plugin_errors`, shown by ``agentrl envs``); it never disappears silently and never breaks
the other environments.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata as metadata
import re
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from agentrl.envs.base import TurnLimit
from agentrl.errors import EnvNotFoundError, MissingDependencyError, UserError

__all__ = ["EnvSpec", "load_plugins", "make", "plugin_errors", "register", "registry", "spec"]

ENTRY_POINT_GROUP = "agentrl.environments"
_ID_RE = re.compile(r"^(?:[\w.-]+/)?[\w.-]+-v\d+$")


@dataclass
class EnvSpec:
    """How to build one registered environment."""

    id: str
    entry_point: str | Callable[..., gym.Env[str, str]]
    max_turns: int | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    source: str = "agentrl"
    #: pip requirement(s) to suggest when the entry point's module needs a missing package.
    install_hint: str | None = None

    def load(self) -> Callable[..., gym.Env[str, str]]:
        """Import the entry point; a missing package becomes a one-line install hint."""
        if callable(self.entry_point):
            return self.entry_point
        module_name, _, attr = self.entry_point.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            missing = exc.name or str(exc)
            hint = self.install_hint or f"pip install {missing.split('.')[0]}"
            raise MissingDependencyError(
                f"environment {self.id} needs the package {missing!r}, which is not installed; "
                f"install it with: {hint}") from exc
        try:
            target = module
            for part in attr.split("."):
                target = getattr(target, part)
        except AttributeError:
            raise UserError(f"environment {self.id}: entry point {self.entry_point!r} names "
                            f"nothing in module {module_name}") from None
        return target  # type: ignore[return-value]


_registry: dict[str, EnvSpec] = {}
_plugin_errors: dict[str, str] = {}
_plugins_loaded = False
_lock = threading.RLock()
_current_source: str | None = None


def register(id: str, entry_point: str | Callable[..., gym.Env[str, str]], *,
             max_turns: int | None = None, kwargs: dict[str, Any] | None = None,
             description: str = "", install_hint: str | None = None) -> EnvSpec:
    """Register an environment under ``id`` (``namespace/Name-vN``).

    ``entry_point`` is ``"module:Class"`` (imported lazily, at ``make``) or a callable;
    ``max_turns`` truncates episodes; ``kwargs`` are the constructor's defaults. Registering an
    id twice replaces the earlier spec (the last plugin wins), with a warning if the sources
    differ.
    """
    if not _ID_RE.match(id):
        raise ValueError(f"invalid environment id {id!r}: use 'namespace/Name-vN', "
                         "e.g. 'mypkg/Maze-v0'")
    if isinstance(entry_point, str) and ":" not in entry_point:
        raise ValueError(f"entry_point {entry_point!r} of {id} must look like "
                         "'package.module:Class'")
    if max_turns is not None and max_turns < 1:
        raise ValueError(f"max_turns of {id} must be >= 1, got {max_turns}")
    source = _current_source or "user code"
    new = EnvSpec(id=id, entry_point=entry_point, max_turns=max_turns, kwargs=dict(kwargs or {}),
                  description=description, source=source, install_hint=install_hint)
    with _lock:
        old = _registry.get(id)
        if old is not None and old.source != new.source:
            warnings.warn(f"environment {id} from {old.source} is replaced by the one from "
                          f"{new.source}", stacklevel=2)
        _registry[id] = new
    return new


def load_plugins(*, reload: bool = False) -> dict[str, str]:
    """Call every ``agentrl.environments`` entry point once; return the failures by name."""
    global _plugins_loaded, _current_source
    with _lock:
        if _plugins_loaded and not reload:
            return dict(_plugin_errors)
        _plugins_loaded = True
        _plugin_errors.clear()
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = getattr(ep, "dist", None)
            source = dist.name if dist is not None else ep.value.split(":")[0].split(".")[0]
            label = f"{ep.name} ({source})"
            _current_source = source
            try:
                hook = ep.load()
                hook()
            except Exception as exc:  # a broken plugin must not break the others
                _plugin_errors[label] = f"{type(exc).__name__}: {exc}"
            finally:
                _current_source = None
        return dict(_plugin_errors)


def plugin_errors() -> dict[str, str]:
    """Plugins (``name (distribution)``) that failed to load, with their errors."""
    load_plugins()
    return dict(_plugin_errors)


def registry() -> dict[str, EnvSpec]:
    """All registered environments by id (plugins are discovered on first call)."""
    load_plugins()
    with _lock:
        return dict(sorted(_registry.items()))


def spec(id: str) -> EnvSpec:
    """The :class:`EnvSpec` of ``id``; an unknown id raises an error listing the known ones."""
    specs = registry()
    if id in specs:
        return specs[id]
    close = difflib.get_close_matches(id, list(specs), n=1, cutoff=0.6)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    known = ", ".join(specs) or "none"
    broken = plugin_errors()
    extra = (f" (plugins that failed to load: {'; '.join(f'{k}: {v}' for k, v in broken.items())})"
             if broken else "")
    raise EnvNotFoundError(f"unknown environment {id!r}.{hint} Known: {known}.{extra}")


def make(id: str, **overrides: Any) -> gym.Env[str, str]:
    """Build the environment ``id``.

    ``overrides`` replace the registered constructor kwargs; ``max_turns=N`` replaces the
    registered turn limit. The result is wrapped in :class:`TurnLimit` when a limit applies, and
    forwards ``tasks`` and the environment's public attributes.
    """
    env_spec = spec(id)
    max_turns = overrides.pop("max_turns", env_spec.max_turns)
    kwargs = {**env_spec.kwargs, **overrides}
    factory = env_spec.load()
    try:
        env = factory(**kwargs)
    except TypeError as exc:
        if "unexpected keyword" in str(exc) or "got an unexpected" in str(exc):
            raise UserError(f"environment {id}: {exc}") from None
        raise
    if max_turns is None:
        max_turns = getattr(env, "max_turns", None)
    if max_turns is not None:
        env.unwrapped.max_turns = max_turns  # type: ignore[attr-defined]
        env = TurnLimit(env, int(max_turns))
    env.unwrapped.spec_id = id  # type: ignore[attr-defined]
    return env
