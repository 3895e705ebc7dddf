"""The ``Sandbox`` contract (DESIGN.md section 3.2) and its configuration.

A sandbox runs shell commands and holds files for one episode of a code environment. Every
backend implements the same small surface:

- ``exec(cmd, timeout=None, workdir=None, env=None) -> ExecResult`` runs ``cmd`` (a shell string,
  run by ``/bin/sh -c``, or an argv list) with a wall-clock limit; output beyond
  ``max_output_bytes`` per stream is cut in the middle with a marker, keeping its head and its
  tail (test summaries come last).
- ``write_file``, ``read_file``: one file; relative paths are relative to the workspace.
- ``copy_in``, ``copy_out``: a directory tree from the host into the sandbox and back.
- ``close()``: kills every process of the sandbox and deletes it; idempotent. Sandboxes are also
  context managers.

What a sandbox does *not* protect against depends on the backend; each backend's docstring says it.
"""

from __future__ import annotations

import abc
import contextlib
import posixpath
import tarfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["ExecResult", "Sandbox", "SandboxClosedError", "SandboxConfig", "SandboxError",
           "host_safe_filter"]


class SandboxError(RuntimeError):
    """A sandbox operation failed for a reason that is not the user's command (daemon gone...)."""


class SandboxClosedError(SandboxError):
    """An operation was attempted on a sandbox after ``close()``."""


@dataclass(frozen=True)
class ExecResult:
    """What one ``exec`` call produced.

    ``exit_code`` is the command's status (128 + N when killed by signal N, -1 when it was killed
    at the timeout); ``timed_out`` is true when the wall-clock limit stopped it; ``duration_s`` is
    the wall-clock time of the call as seen by the caller.
    """

    exit_code: int
    stdout: str
    stderr: str
    timed_out: bool
    duration_s: float

    @property
    def ok(self) -> bool:
        """True when the command finished in time with status 0."""
        return self.exit_code == 0 and not self.timed_out

    @property
    def output(self) -> str:
        """stdout followed by stderr, the way a terminal would roughly show them."""
        if self.stdout and self.stderr and not self.stdout.endswith("\n"):
            return f"{self.stdout}\n{self.stderr}"
        return self.stdout + self.stderr


class SandboxConfig(BaseModel):
    """How to build a sandbox: backend, image and limits. Defaults are the safe ones."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: str = Field(
        "docker",
        description="Registered backend name: 'docker', 'bwrap', 'process' or a plugin's.")
    image: str = Field(
        "python",
        description="An agentrl image recipe name (see `agentrl sandbox images`), which resolves "
        "to its Docker tag or its offline rootfs directory; otherwise a Docker image tag "
        "(docker) or a root filesystem directory, '/' for the host's (bwrap). Ignored by "
        "'process'.")
    memory_mb: int = Field(
        1024, ge=16,
        description="Memory limit. docker: the cgroup limit (the kernel OOM-kills the container's "
        "biggest process). bwrap: a per-sandbox cgroup where one can be created (root) plus "
        "RLIMIT_AS per process. process: RLIMIT_AS per process only, a coarser bound.")
    cpus: float = Field(
        1.0, gt=0, description="CPU share (docker only): 1.0 = one core at most.")
    pids_limit: int = Field(
        256, ge=8,
        description="Most processes/threads at once; contains fork bombs. docker: pids cgroup; "
        "bwrap: pids cgroup and RLIMIT_NPROC of a per-sandbox host uid (when run as root).")
    network: bool = Field(
        False, description="Allow network access. Off by default: the sandbox has no interfaces "
        "but loopback (process backend: cannot be enforced, see docs).")
    read_only_root: bool = Field(
        False, description="docker: mount the image read-only; only the workspace and /tmp are "
        "writable. bwrap always mounts the root read-only.")
    workdir: str = Field(
        "/workspace", description="The writable workspace and the default working directory.")
    user: str | None = Field(
        None, description="User to run commands as. None: the image's user (the agentrl images "
        "run as the non-root user 'agent').")
    timeout_s: float = Field(
        60.0, gt=0, description="Default wall-clock limit of one exec call, in seconds.")
    max_output_bytes: int = Field(
        65536, ge=256,
        description="Per stream; longer output keeps its first and last halves around a marker.")
    max_file_mb: int = Field(
        1024, ge=1, description="Largest file a command may write (RLIMIT_FSIZE; bwrap/process).")
    env: dict[str, str] = Field(
        default_factory=dict, description="Environment variables of every command.")

    @field_validator("workdir")
    @classmethod
    def _absolute_workdir(cls, value: str) -> str:
        if not value.startswith("/") or value == "/":
            raise ValueError("workdir must be an absolute path other than '/', e.g. '/workspace'")
        return posixpath.normpath(value)


class Sandbox(abc.ABC):
    """One isolated place to run commands. Subclasses implement the ``_``-prefixed primitives."""

    #: Registered backend name, set by subclasses.
    backend: str = ""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self._closed = False

    # ----- public contract -----------------------------------------------------------------
    def exec(self, cmd: str | list[str], timeout: float | None = None,
             workdir: str | None = None, env: dict[str, str] | None = None) -> ExecResult:
        """Run ``cmd`` and wait for it, at most ``timeout`` seconds (default: the config's)."""
        self._check_open()
        argv = ["/bin/sh", "-c", cmd] if isinstance(cmd, str) else list(cmd)
        if not argv:
            raise ValueError("exec needs a command")
        limit = self.config.timeout_s if timeout is None else float(timeout)
        if limit <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
        merged = {**self.config.env, **(env or {})}
        return self._exec(argv, limit, self.resolve(workdir or self.config.workdir), merged)

    def write_file(self, path: str, data: str | bytes, mode: int = 0o644) -> None:
        """Create or replace the file ``path`` (parents are created) with ``data``."""
        self._check_open()
        payload = data.encode() if isinstance(data, str) else bytes(data)
        self._write_file(self.resolve(path), payload, mode)

    def read_file(self, path: str) -> bytes:
        """The bytes of the file ``path``; FileNotFoundError if it does not exist."""
        self._check_open()
        return self._read_file(self.resolve(path))

    def read_text(self, path: str) -> str:
        """``read_file`` decoded as UTF-8 (undecodable bytes replaced)."""
        return self.read_file(path).decode("utf-8", errors="replace")

    def copy_in(self, src: str | Path, dest: str) -> None:
        """Copy the host directory ``src`` (its contents) into the sandbox directory ``dest``."""
        self._check_open()
        src = Path(src)
        if not src.is_dir():
            raise NotADirectoryError(f"copy_in source {src} is not a directory")
        self._copy_in(src, self.resolve(dest))

    def copy_out(self, src: str, dest: str | Path) -> None:
        """Copy the sandbox directory ``src`` (its contents) to the host directory ``dest``."""
        self._check_open()
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        self._copy_out(self.resolve(src), dest)

    def close(self) -> None:
        """Kill every process of the sandbox and delete it. Safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        self._close()

    @property
    def closed(self) -> bool:
        return self._closed

    def resolve(self, path: str) -> str:
        """``path`` made absolute inside the sandbox (relative paths start at the workdir)."""
        return posixpath.normpath(posixpath.join(self.config.workdir, path))

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __del__(self) -> None:  # last resort; pools and `with` close explicitly
        if not getattr(self, "_closed", True):
            with contextlib.suppress(Exception):
                self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise SandboxClosedError(f"{self.backend} sandbox is closed")

    # ----- backend primitives ----------------------------------------------------------------
    @abc.abstractmethod
    def _exec(self, argv: list[str], timeout: float, workdir: str,
              env: dict[str, str]) -> ExecResult: ...

    @abc.abstractmethod
    def _write_file(self, path: str, data: bytes, mode: int) -> None: ...

    @abc.abstractmethod
    def _read_file(self, path: str) -> bytes: ...

    @abc.abstractmethod
    def _copy_in(self, src: Path, dest: str) -> None: ...

    @abc.abstractmethod
    def _copy_out(self, src: str, dest: Path) -> None: ...

    @abc.abstractmethod
    def _close(self) -> None: ...


def host_safe_filter(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo | None:
    """Tar filter for archives that come *out of* a sandbox onto the host.

    tarfile's ``data`` filter (no absolute paths, nothing outside the destination, no device
    files, no setuid bits), except that links pointing outside and special files are skipped
    instead of failing the whole copy: a sandbox must never plant a device or a link to a host
    path, but a repository may legitimately hold an absolute symlink.
    """
    try:
        return tarfile.data_filter(member, path)
    except (tarfile.AbsoluteLinkError, tarfile.LinkOutsideDestinationError,
            tarfile.SpecialFileError):
        return None

