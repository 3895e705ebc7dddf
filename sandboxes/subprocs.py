"""Host subprocesses of the bwrap and process backends: rlimits, process groups, liveness.

Resource limits (setrlimit) are applied by util-linux ``prlimit`` as a wrapper command, not by
a ``preexec_fn``: ``preexec_fn`` is unsafe in a threaded program (the pool refills from threads).

What rlimits do not do, unlike cgroups: ``RLIMIT_AS`` bounds the *virtual* memory of each
process, not the sum over processes (N processes may use N times the limit); ``RLIMIT_NPROC``
counts every process of the host uid, and the kernel does not apply it to root at all.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal

from agentrl.errors import MissingDependencyError

__all__ = ["count_user_processes", "kill_group", "pid_alive", "prlimit_prefix"]


def prlimit_prefix(*, memory_mb: int | None, nproc: int | None, file_mb: int | None,
                   nofile: int = 1024) -> list[str]:
    """argv prefix that runs the following command under the given limits."""
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        raise MissingDependencyError(
            "the 'prlimit' command (util-linux) is missing; install it with: "
            "apt-get install -y util-linux")
    argv = [prlimit, f"--nofile={nofile}", "--core=0"]
    if memory_mb is not None:
        argv.append(f"--as={memory_mb * 1024 * 1024}")
    if nproc is not None:
        argv.append(f"--nproc={nproc}")
    if file_mb is not None:
        argv.append(f"--fsize={file_mb * 1024 * 1024}")
    argv.append("--")
    return argv


def count_user_processes(uid: int) -> int:
    """Number of tasks (threads included, as RLIMIT_NPROC counts them) owned by ``uid``."""
    count = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid == uid:
                count += len(os.listdir(f"/proc/{entry.name}/task"))
        except OSError:
            continue
    return count


def kill_group(pgid: int) -> None:
    """SIGKILL the process group ``pgid``; a group that is already gone is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
