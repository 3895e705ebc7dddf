"""``process`` backend: a plain subprocess in a temporary directory. NO isolation.

For trusted tasks and quick tests only. Each command runs as the current user with the host's
filesystem, network and processes in full view; the "workspace" is just a temporary directory,
and absolute paths (``/workspace/x``) are mapped into it by this class, not by the kernel.

What it does: a wall-clock timeout per call that kills the command's whole process group; output
truncated to ``max_output_bytes``; rlimits on address space (``memory_mb``), file size and
processes (``pids_limit`` counted on top of the user's current processes; not enforced for
root); ``close()`` kills the process groups it started and deletes the directory.

What it does NOT protect against: reading or writing any file the user can (your home, your
keys), network access (``network: false`` is not enforced), killing or tracing your processes,
processes that leave their process group (``setsid``) surviving ``close()``, and a fork bomb
when run as root.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

from agentrl.sandboxes.base import ExecResult, Sandbox, SandboxConfig
from agentrl.sandboxes.output import read_process_output
from agentrl.sandboxes.subprocs import count_user_processes, kill_group, prlimit_prefix

__all__ = ["ProcessSandbox"]

_WARNING = ("the 'process' sandbox backend does not isolate anything: commands run as your user "
            "with your files and network; use it only for trusted tasks (backend 'docker' or "
            "'bwrap' isolates)")


class ProcessSandbox(Sandbox):
    """Subprocesses in a temporary directory, with rlimits and timeouts but no isolation."""

    backend = "process"
    #: Set to False to silence the one-per-process "no isolation" warning (tests do).
    warn = True
    _warned = False

    def __init__(self, config: SandboxConfig) -> None:
        super().__init__(config)
        if self.warn and not ProcessSandbox._warned:
            ProcessSandbox._warned = True
            warnings.warn(_WARNING, stacklevel=2)
        self.root = Path(tempfile.mkdtemp(prefix="agentrl-process-"))
        self._groups: set[int] = set()

    @classmethod
    def check(cls, image: str = "python") -> tuple[bool, str]:
        """Whether this backend works here, and a one-line note (``image`` is ignored)."""
        del image
        if shutil.which("prlimit") is None:
            return False, "prlimit (util-linux) is missing: apt-get install -y util-linux"
        return True, "works; provides NO isolation (trusted tasks and tests only)"

    def host_path(self, path: str) -> Path:
        """Where the sandbox path ``path`` is on the host: workspace paths map into the
        temporary directory; any other absolute path is the host's own (no isolation)."""
        resolved, workspace = self.resolve(path), self.config.workdir
        if resolved == workspace or resolved.startswith(workspace + "/"):
            return self.root / posixpath.relpath(resolved, workspace)
        return Path(resolved)

    def _exec(self, argv: list[str], timeout: float, workdir: str,
              env: dict[str, str]) -> ExecResult:
        start = time.monotonic()
        cwd = self.host_path(workdir)
        cwd.mkdir(parents=True, exist_ok=True)
        uid = os.getuid()
        nproc = None if uid == 0 else count_user_processes(uid) + self.config.pids_limit
        prefix = prlimit_prefix(memory_mb=self.config.memory_mb, nproc=nproc,
                                file_mb=self.config.max_file_mb)
        full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.root),
                    "LANG": "C.UTF-8", "SANDBOX_WORKSPACE": str(self.root), **env}
        proc = subprocess.Popen(prefix + argv, cwd=cwd, env=full_env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        self._groups.add(proc.pid)
        try:
            out, err, timed_out = read_process_output(proc, start + timeout,
                                                      self.config.max_output_bytes)
            if timed_out:
                kill_group(proc.pid)
            code = proc.wait()
        finally:
            if proc.poll() is None:
                kill_group(proc.pid)
                proc.wait()
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()
        exit_code = -1 if timed_out else (128 - code if code < 0 else code)
        return ExecResult(exit_code, out.text(), err.text(), timed_out, time.monotonic() - start)

    def _write_file(self, path: str, data: bytes, mode: int) -> None:
        target = self.host_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(mode)

    def _read_file(self, path: str) -> bytes:
        return self.host_path(path).read_bytes()

    def _copy_in(self, src: Path, dest: str) -> None:
        shutil.copytree(src, self.host_path(dest), symlinks=True, dirs_exist_ok=True)

    def _copy_out(self, src: str, dest: Path) -> None:
        source = self.host_path(src)
        if not source.is_dir():
            raise FileNotFoundError(f"no directory {src} in the sandbox")
        shutil.copytree(source, dest, symlinks=True, dirs_exist_ok=True)

    def _close(self) -> None:
        for group in self._groups:
            kill_group(group)
        self._groups.clear()
        shutil.rmtree(self.root, ignore_errors=True)


