"""Registries of reward shapers and advantage estimators, and ``build_credit`` (DESIGN.md 3.5).

A *shaper* maps per-step rewards to new per-step rewards; an *estimator* maps per-step rewards to
per-step advantages. Both are registered by short name with a pydantic model of their parameters::

    @register_estimator("my_est", MyParams)
    def my_est(batch: StepBatch, rewards: np.ndarray, params: MyParams) -> np.ndarray:
        ...  # (N,) advantages

Pure functions are registered as above. A component that keeps state between batches (a learned
model, e.g. SPA's progress estimator) registers a class with ``stateful=True``: it is built once
as ``cls(params, context)`` and then called as ``obj(batch, rewards)``.

Third-party packages plug in through the entry-point groups ``agentrl.shapers`` and
``agentrl.estimators``: each entry point names a module (or an object in it) whose import runs the
decorators above. Plugins load at the first registry lookup; a plugin that fails to load is
recorded (``plugin_errors()``) and named when its entry is asked for, never dropped silently.

``build_credit(shapers=[{"name": ..., **params}, ...], estimator={"name": ..., **params})``
accepts exactly the ``credit`` section of a run config, validates every entry's parameters
(unknown parameter -> did-you-mean, wrong type -> the expected type) and returns a
:class:`Credit` pipeline.
"""

from __future__ import annotations

import difflib
import importlib.metadata as metadata
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from agentrl.errors import ConfigError, EpisodeFormatError
from agentrl.types import Episode

from .batch import StepBatch

__all__ = [
    "ComponentSpec",
    "Credit",
    "CreditContext",
    "CreditParams",
    "CreditResult",
    "build_credit",
    "check_credit",
    "check_estimator_entry",
    "plugin_errors",
    "register_estimator",
    "register_shaper",
    "registered_estimators",
    "registered_shapers",
    "validate_params",
]

Kind = Literal["shaper", "estimator"]
StepFn = Callable[[StepBatch, np.ndarray], np.ndarray]
ENTRY_POINT_GROUPS: dict[str, str] = {"shaper": "agentrl.shapers",
                                      "estimator": "agentrl.estimators"}


class CreditParams(BaseModel):
    """Base class of shaper/estimator parameter models: unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


@dataclass
class CreditContext:
    """What the trainer can hand to components that need a model (SPA): the policy's model and
    tokenizer (copied, never trained in place) and the torch device (None: where the model is)."""

    policy_model: Any = None
    tokenizer: Any = None
    device: str | None = None


@dataclass(frozen=True)
class ComponentSpec:
    """One registered shaper or estimator."""

    kind: Kind
    name: str
    params: type[CreditParams]
    factory: Callable[[CreditParams, CreditContext], StepFn]
    doc: str = ""
    source: str = "agentrl"


_specs: dict[str, dict[str, ComponentSpec]] = {"shaper": {}, "estimator": {}}
_plugin_errors: dict[str, str] = {}
_plugins_loaded = False
_lock = threading.RLock()

T = TypeVar("T")


def _register(kind: Kind, name: str, params: type[CreditParams], stateful: bool,
              source: str) -> Callable[[T], T]:
    if not issubclass(params, CreditParams):
        raise TypeError(f"params of {kind} {name!r} must subclass CreditParams")

    def decorate(obj: T) -> T:
        if stateful:
            factory = obj
        else:
            def factory(p: CreditParams, ctx: CreditContext, _fn: Any = obj) -> StepFn:
                return lambda batch, rewards: _fn(batch, rewards, p)
        doc = (getattr(obj, "__doc__", None) or "").strip().split("\n")[0]
        with _lock:
            _specs[kind][name] = ComponentSpec(kind, name, params, factory,  # type: ignore[arg-type]
                                               doc, source)
        return obj

    return decorate


def register_shaper(name: str, params: type[CreditParams], *, stateful: bool = False,
                    source: str = "agentrl") -> Callable[[T], T]:
    """Decorator registering a shaper ``fn(batch, rewards, params) -> (N,) rewards`` (or, with
    ``stateful=True``, a class built as ``cls(params, context)`` and called ``obj(batch,
    rewards)``). Registering a name again replaces the earlier entry."""
    return _register("shaper", name, params, stateful, source)


def register_estimator(name: str, params: type[CreditParams], *, stateful: bool = False,
                       source: str = "agentrl") -> Callable[[T], T]:
    """Decorator registering an estimator ``fn(batch, rewards, params) -> (N,) advantages``."""
    return _register("estimator", name, params, stateful, source)


def _load_plugins() -> None:
    global _plugins_loaded
    with _lock:
        if _plugins_loaded:
            return
        _plugins_loaded = True
        for kind, group in ENTRY_POINT_GROUPS.items():
            for ep in metadata.entry_points(group=group):
                try:
                    ep.load()
                except Exception as exc:  # a broken plugin must not break the others
                    _plugin_errors[f"{kind} {ep.name}"] = f"{type(exc).__name__}: {exc}"


def plugin_errors() -> dict[str, str]:
    """Shaper/estimator plugins that failed to load, with their errors."""
    _load_plugins()
    return dict(_plugin_errors)


def registered_shapers() -> dict[str, ComponentSpec]:
    """All registered shapers by name (plugins included)."""
    _load_plugins()
    return dict(sorted(_specs["shaper"].items()))


def registered_estimators() -> dict[str, ComponentSpec]:
    """All registered estimators by name (plugins included)."""
    _load_plugins()
    return dict(sorted(_specs["estimator"].items()))


def _lookup(kind: Kind, name: Any, where: str) -> ComponentSpec:
    _load_plugins()
    known = _specs[kind]
    if not isinstance(name, str):
        raise ConfigError(f"{where}.name must be a string naming a {kind} "
                          f"({', '.join(sorted(known))}), got {name!r}")
    if name in known:
        return known[name]
    broken = _plugin_errors.get(f"{kind} {name}")
    if broken:
        raise ConfigError(f"{where}: the {kind} plugin {name!r} failed to load ({broken})")
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ConfigError(f"{where}: unknown {kind} {name!r}{hint} (known: {', '.join(sorted(known))})")


def validate_params(spec: ComponentSpec, params: dict[str, Any], where: str) -> CreditParams:
    """Validate ``params`` against ``spec.params``; every problem is a one-line ConfigError."""
    fields = spec.params.model_fields
    for key in params:
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(fields) or "none"
            raise ConfigError(f"{where}: unknown parameter {key!r} for {spec.kind} "
                              f"{spec.name!r}{hint} (known: {known})")
    try:
        return spec.params.model_validate(params)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        got = f" (got {err['input']!r})" if "input" in err and loc else ""
        raise ConfigError(f"{where}.{loc}: {err['msg'].rstrip('.')}{got}" if loc
                          else f"{where}: {err['msg']}") from None


def _entry(kind: Kind, entry: Any, where: str) -> tuple[ComponentSpec, CreditParams]:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a mapping like {{name: ..., <params>}}, got {entry!r}")
    if "name" not in entry:
        raise ConfigError(f"{where} has no 'name' (known {kind}s: "
                          f"{', '.join(sorted(_specs[kind]))})")
    spec = _lookup(kind, entry["name"], where)
    params = {k: v for k, v in entry.items() if k != "name"}
    return spec, validate_params(spec, params, f"{where} ({spec.name})")


def check_estimator_entry(entry: Any, where: str) -> None:
    """Validate one estimator mapping without building it (for nested entries, e.g. empg's
    ``base``); raises a one-line ConfigError."""
    _entry("estimator", entry, where)


def resolve_estimator(entry: Any, context: CreditContext, where: str) -> StepFn:
    """Build one estimator from its config mapping (used by modifiers such as ``empg``)."""
    spec, params = _entry("estimator", entry, where)
    return spec.factory(params, context)


# ---------------------------------------------------------------------------------------------
# The pipeline
# ---------------------------------------------------------------------------------------------


@dataclass
class CreditResult:
    """Output of a credit pass over a :class:`StepBatch`: (N,) shaped rewards and advantages."""

    batch: StepBatch
    shaped_rewards: np.ndarray
    advantages: np.ndarray


@dataclass
class Credit:
    """Shapers (in order) then one estimator. ``compute`` is pure over a StepBatch; ``apply``
    writes ``shaped_reward`` and ``advantage`` into the episodes' steps."""

    shapers: list[tuple[str, CreditParams, StepFn]] = field(default_factory=list)
    estimator: tuple[str, CreditParams, StepFn] | None = None

    def shape(self, batch: StepBatch) -> np.ndarray:
        """(N,) rewards after every shaper; without shapers, the steps' ``reward``."""
        rewards = batch.rewards.copy()
        _check_finite(batch, rewards, "the step's reward")
        for name, _, fn in self.shapers:
            out = np.asarray(fn(batch, rewards), dtype=np.float64)
            if out.shape != rewards.shape:
                raise RuntimeError(f"shaper {name!r} returned shape {out.shape}, "
                                   f"expected {rewards.shape}")
            _check_finite(batch, out, f"the {name} shaper's reward")
            rewards = out
        return rewards

    def compute(self, batch: StepBatch) -> CreditResult:
        shaped = self.shape(batch)
        assert self.estimator is not None
        name, _, fn = self.estimator
        adv = np.asarray(fn(batch, shaped), dtype=np.float64)
        if adv.shape != shaped.shape:
            raise RuntimeError(f"estimator {name!r} returned shape {adv.shape}, "
                               f"expected {shaped.shape}")
        _check_finite(batch, adv, f"the {name} advantage")
        return CreditResult(batch, shaped, adv)

    def apply(self, episodes: Sequence[Episode], sources: Sequence[str] = ()) -> CreditResult:
        """Fill ``shaped_reward`` and ``advantage`` of every step of ``episodes`` (in place).
        ``sources`` (``file:line`` per episode) only improves error messages."""
        result = self.compute(StepBatch.from_episodes(episodes, sources))
        steps = result.batch.steps()
        for step, r, a in zip(steps, result.shaped_rewards.tolist(), result.advantages.tolist(),
                              strict=True):
            step.shaped_reward = r
            step.advantage = a
        return result

    def describe(self) -> str:
        parts = [f"{n}({_short(p)})" for n, p, _ in self.shapers]
        est = self.estimator
        parts.append(f"{est[0]}({_short(est[1])})" if est else "no estimator")
        return " -> ".join(parts)


def _check_finite(batch: StepBatch, values: np.ndarray, what: str) -> None:
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise EpisodeFormatError(f"{batch.locate(int(bad[0]))}: {what} is {values[bad[0]]} "
                                 f"({bad.size} non-finite values); check the episodes' rewards "
                                 "and recorded values")


def _short(params: CreditParams) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.model_dump().items()
                     if not isinstance(v, dict | list) or len(str(v)) < 40)


DEFAULT_ESTIMATOR: dict[str, Any] = {"name": "grpo"}


Checked = tuple[ComponentSpec, CreditParams]


def _checked(shapers: Sequence[dict[str, Any]] | None,
             estimator: dict[str, Any] | None) -> tuple[list[Checked], Checked]:
    if shapers is None:
        shapers = []
    if not isinstance(shapers, list | tuple):
        raise ConfigError(f"credit.shapers must be a list of {{name: ..., <params>}}, "
                          f"got {shapers!r}")
    checked = [_entry("shaper", entry, f"credit.shapers[{i}]") for i, entry in enumerate(shapers)]
    est = _entry("estimator", DEFAULT_ESTIMATOR if estimator is None else estimator,
                 "credit.estimator")
    return checked, est


def check_credit(shapers: Sequence[dict[str, Any]] | None = None,
                 estimator: dict[str, Any] | None = None) -> None:
    """Validate the ``credit`` section (names and every parameter) without building anything:
    no model is loaded. For config validation before a run starts."""
    _checked(shapers, estimator)


def build_credit(shapers: Sequence[dict[str, Any]] | None = None,
                 estimator: dict[str, Any] | None = None, *,
                 context: CreditContext | None = None) -> Credit:
    """Build the credit pipeline from the config's ``credit`` section.

    ``shapers``: list of ``{name: ..., **params}`` applied in order (default none);
    ``estimator``: ``{name: ..., **params}`` (default ``{name: grpo}``). Every parameter is
    validated here, before any episode is touched.
    """
    context = context or CreditContext()
    checked, (est_spec, est_params) = _checked(shapers, estimator)
    built = [(spec.name, params, spec.factory(params, context)) for spec, params in checked]
    return Credit(built, (est_spec.name, est_params, est_spec.factory(est_params, context)))
