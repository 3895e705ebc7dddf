"""Which sandbox backends work on this machine, and for those that do not, why and how to fix it.

Each backend class may define ``check(image) -> (ok, detail)``; the built-in ones actually start
a sandbox (or ping the Docker engine and look up the image) rather than guess from installed
binaries. A plugin backend without ``check`` is reported as unchecked.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentrl.errors import UserError
from agentrl.sandboxes import registry

__all__ = ["BackendReport", "diagnose"]

#: Backends that isolate the sandbox from the host (``process`` does not).
ISOLATING = ("docker", "bwrap")


@dataclass(frozen=True)
class BackendReport:
    """The verdict on one backend."""

    name: str
    ok: bool | None  # None: the backend has no self-check
    detail: str

    @property
    def isolating(self) -> bool:
        return self.name in ISOLATING


def diagnose(image: str = "python") -> list[BackendReport]:
    """Check every registered backend with ``image``; never raises for a broken backend."""
    reports = []
    for name in registry.names():
        try:
            factory = registry.get(name)
        except UserError as exc:
            reports.append(BackendReport(name, False, str(exc)))
            continue
        except Exception as exc:  # a plugin that fails to import is reported, not fatal
            reports.append(BackendReport(name, False, f"cannot load: {type(exc).__name__}: "
                                                      f"{exc}"))
            continue
        check = getattr(factory, "check", None)
        if check is None:
            reports.append(BackendReport(name, None, "registered; no self-check available"))
            continue
        try:
            ok, detail = check(image)
        except Exception as exc:
            ok, detail = False, f"self-check crashed: {type(exc).__name__}: {exc}"
        reports.append(BackendReport(name, bool(ok), detail))
    for name, error in registry.plugin_errors().items():
        reports.append(BackendReport(name, False, f"plugin failed to load: {error}"))
    return reports
