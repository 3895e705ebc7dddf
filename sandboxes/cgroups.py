"""Per-sandbox cgroups for the bwrap backend, where this process may create them (root).

A cgroup bounds what rlimits cannot: the memory of all processes of a sandbox together (the
kernel OOM-kills inside the group) and its number of tasks whatever their uid. Supported: the
unified hierarchy (cgroup v2: ``memory.max``, ``memory.swap.max``, ``pids.max``) and the v1
``memory`` and ``pids`` hierarchies (``memory.limit_in_bytes``, ``pids.max``). Groups are created
under ``<hierarchy>/agentrl/``. Where none can be created (not root, read-only cgroupfs, v2
without delegated controllers) :func:`create` returns None and the sandbox keeps its rlimits.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SandboxCgroup", "create"]

ROOT = Path("/sys/fs/cgroup")


@dataclass
class SandboxCgroup:
    """The cgroup directories of one sandbox (one for v2; memory + pids for v1)."""

    directories: list[Path]
    version: int
    errors: list[str] = field(default_factory=list)

    @property
    def procs_files(self) -> list[Path]:
        """Files a process writes its pid to in order to join the sandbox's cgroups."""
        return [directory / "cgroup.procs" for directory in self.directories]

    def memory_limit(self) -> int:
        """The memory limit in force, in bytes (read back from the kernel)."""
        name = "memory.max" if self.version == 2 else "memory.limit_in_bytes"
        for directory in self.directories:
            if (directory / name).exists():
                return int((directory / name).read_text().strip())
        raise FileNotFoundError(name)

    def peak_memory(self) -> int:
        """Highest memory use of the group so far, in bytes."""
        name = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
        for directory in self.directories:
            if (directory / name).exists():
                return int((directory / name).read_text().strip())
        raise FileNotFoundError(name)

    def remove(self, timeout: float = 5.0) -> None:
        """Delete the cgroups once their processes are gone (retries while they exit)."""
        deadline = time.monotonic() + timeout
        for directory in self.directories:
            while directory.exists():
                try:
                    directory.rmdir()
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.02)


def _write(path: Path, value: str) -> None:
    path.write_text(value)


def _v2(name: str, memory_mb: int, pids: int) -> SandboxCgroup:
    base = ROOT / "agentrl"
    base.mkdir(exist_ok=True)
    wanted = {"memory", "pids"}
    root_enabled = set((ROOT / "cgroup.subtree_control").read_text().split())
    if not wanted <= root_enabled:
        _write(ROOT / "cgroup.subtree_control", " ".join(f"+{c}" for c in wanted))
    if not wanted <= set((base / "cgroup.subtree_control").read_text().split()):
        _write(base / "cgroup.subtree_control", " ".join(f"+{c}" for c in wanted))
    directory = base / name
    directory.mkdir()
    group = SandboxCgroup([directory], 2)
    try:
        _write(directory / "memory.max", str(memory_mb * 1024 * 1024))
        _write(directory / "pids.max", str(pids))
        if (directory / "memory.swap.max").exists():
            _write(directory / "memory.swap.max", "0")
    except OSError:
        group.remove()
        raise
    return group


def _v1(name: str, memory_mb: int, pids: int) -> SandboxCgroup:
    memory, pids_dir = ROOT / "memory" / "agentrl" / name, ROOT / "pids" / "agentrl" / name
    group = SandboxCgroup([], 1)
    try:
        for directory in (memory, pids_dir):
            directory.mkdir(parents=True)
            group.directories.append(directory)
        limit = str(memory_mb * 1024 * 1024)
        _write(memory / "memory.limit_in_bytes", limit)
        if (memory / "memory.memsw.limit_in_bytes").exists():  # swap accounting enabled
            _write(memory / "memory.memsw.limit_in_bytes", limit)
        _write(pids_dir / "pids.max", str(pids))
    except OSError:
        group.remove()
        raise
    return group


def create(name: str, memory_mb: int, pids: int) -> tuple[SandboxCgroup | None, str]:
    """A cgroup for sandbox ``name`` with the given limits, or None and why not."""
    try:
        if (ROOT / "cgroup.controllers").exists():
            return _v2(name, memory_mb, pids), "cgroup v2"
        if (ROOT / "memory" / "tasks").exists() and (ROOT / "pids" / "tasks").exists():
            return _v1(name, memory_mb, pids), "cgroup v1 (memory, pids)"
    except OSError as exc:
        return None, f"cannot create cgroups ({exc.strerror or exc}); rlimits only"
    return None, "no usable cgroup hierarchy; rlimits only"


def remove_stale(names_alive: set[str]) -> list[str]:
    """Remove agentrl sandbox cgroups whose name is not in ``names_alive`` and that are empty."""
    removed = []
    for base in (ROOT / "agentrl", ROOT / "memory" / "agentrl", ROOT / "pids" / "agentrl"):
        if not base.is_dir():
            continue
        for directory in base.iterdir():
            if directory.is_dir() and directory.name not in names_alive:
                with contextlib.suppress(OSError):
                    directory.rmdir()
                    removed.append(str(directory))
    return removed
