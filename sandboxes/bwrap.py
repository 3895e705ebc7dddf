"""``bwrap`` backend: bubblewrap namespaces, no daemon.

Every ``exec`` starts ``bwrap`` afresh (a few milliseconds) with new user, pid, network, ipc, uts
and cgroup namespaces. The root is an empty tmpfs, remounted read-only, onto which the top-level
directories of a root filesystem are bound read-only: an image's rootfs directory (built by
``agentrl sandbox build NAME --offline``) or, with ``image: "/"``, the host's own system
directories (``/usr``, ``/etc``, ``/lib*``, ``/bin``, ``/sbin``, ``/opt``; not ``/home``,
``/root``, ``/tmp``, ``/var``...). The workspace and ``/tmp`` are per-sandbox host directories
bound read-write, so files persist across calls; processes do not: when a command exits, its pid
namespace dies and takes every background process with it. ``--die-with-parent`` kills the
sandbox if the Python process dies.

Limits: when agentrl runs as root, each sandbox runs as its own unprivileged host uid (mapped to
the image user inside), which makes ``RLIMIT_NPROC`` a per-sandbox pids limit, and, where a
cgroup hierarchy is writable (v2, or v1 ``memory`` + ``pids``), in its own cgroup that bounds
the memory of all its processes together (OOM-kill inside the group) and its task count. Without
root the pids limit is the user's current process count plus ``pids_limit``. Every process also
gets ``RLIMIT_AS`` = ``memory_mb`` (allocation failures, e.g. Python's MemoryError) and
``RLIMIT_FSIZE``. Timeouts kill the whole sandbox. File operations (``write_file``,
``copy_in``...) run inside the sandbox too, so a symlink planted by a command cannot make them
touch host files.

What it does NOT protect against: kernel exploits (namespaces share the host kernel, and
unprivileged user namespaces widen its attack surface); CPU use (no CPU quota without cgroups: a
busy sandbox competes with the host for cores); total memory across processes when no cgroup
could be created (RLIMIT_AS is per process: ``pids_limit`` processes may each use
``memory_mb``); disk use of the workspace
(bounded per file only); reading world-readable files of the bound system directories (with
``image: "/"`` that includes the host's ``/etc``); and ``network: true``, which shares the
host's network stack.
"""

from __future__ import annotations

import itertools
import json
import os
import shlex
import shutil
import socket
import subprocess
import tarfile
import tempfile
import threading
import time
from pathlib import Path

from agentrl.errors import MissingDependencyError, UserError
from agentrl.sandboxes import cgroups
from agentrl.sandboxes.base import (
    ExecResult,
    Sandbox,
    SandboxConfig,
    SandboxError,
    host_safe_filter,
)
from agentrl.sandboxes.output import read_process_output
from agentrl.sandboxes.subprocs import (
    count_user_processes,
    kill_group,
    pid_alive,
    prlimit_prefix,
)

__all__ = ["BwrapSandbox", "prune", "resolve_rootfs"]

#: Host uids given to sandboxes when agentrl runs as root: far above any real user's.
UID_BASE = 2_000_000_000
_uid_counter = itertools.count()
_HOST_SYSTEM_DIRS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "opt")
_SKIP_IN_IMAGE = ("proc", "sys", "dev", "tmp", "run")
_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def sandbox_dir_root() -> Path:
    """Where per-sandbox workspaces live (``$AGENTRL_BWRAP_DIR``, else /dev/shm, else tmp)."""
    env = os.environ.get("AGENTRL_BWRAP_DIR")
    if env:
        return Path(env)
    shm = Path("/dev/shm")
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())


def resolve_rootfs(image: str) -> Path:
    """The root filesystem directory for config ``image`` (a recipe name or a directory)."""
    from agentrl.sandboxes.images import recipes, rootfs_path, rootfs_ready

    if image in recipes():
        if not rootfs_ready(image):
            raise UserError(f"the rootfs of image {image!r} is not built; build it with: "
                            f"agentrl sandbox build {image} --offline (or use image '/' to "
                            "run on the host's system directories)")
        return rootfs_path(image)
    path = Path(image)
    if not path.is_absolute() or not path.is_dir():
        raise UserError(f"bwrap image {image!r} is neither an image recipe name nor an existing "
                        "root filesystem directory; use e.g. image: python (after "
                        "`agentrl sandbox build python --offline`) or image: /")
    return path


def _check_traversable(path: Path) -> None:
    """The per-sandbox uids are unprivileged: every ancestor of the rootfs must be o+x."""
    for parent in [path.resolve(), *path.resolve().parents]:
        if not parent.stat().st_mode & 0o001:
            raise UserError(f"{parent} is not traversable by other users, so bwrap sandboxes "
                            f"(which run as unprivileged uids) cannot reach {path}; set "
                            "AGENTRL_CACHE_DIR to a world-readable directory and rebuild, or "
                            f"chmod o+x {parent}")


def _image_user(rootfs: Path, image: str, user: str | None) -> tuple[int, int]:
    """uid/gid inside the sandbox: numeric ``user``, a name from the rootfs, or the recipe's."""
    from agentrl.sandboxes.images import recipes

    if user is None:
        known = recipes()
        return (known[image].uid,) * 2 if image in known else (1000, 1000)
    if user.split(":")[0].isdigit():
        uid, _, gid = user.partition(":")
        return int(uid), int(gid or uid)
    passwd = rootfs / "etc" / "passwd"
    for line in passwd.read_text().splitlines() if passwd.exists() else []:
        fields = line.split(":")
        if len(fields) > 3 and fields[0] == user:
            return int(fields[2]), int(fields[3])
    raise UserError(f"user {user!r} does not exist in {passwd}; use a uid or a user of the image")


class BwrapSandbox(Sandbox):
    """Bubblewrap namespaces over a read-only root. See the module docstring for the limits."""

    backend = "bwrap"

    def __init__(self, config: SandboxConfig) -> None:
        super().__init__(config)
        self._closed = True
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            raise MissingDependencyError("bubblewrap is not installed; install it with: "
                                         "apt-get install -y bubblewrap")
        self.rootfs = resolve_rootfs(config.image)
        self.uid, self.gid = _image_user(self.rootfs, config.image, config.user)
        self._running: dict[subprocess.Popen[bytes], int] = {}  # -> read end of the info pipe
        self._lock = threading.Lock()
        self.cgroup: cgroups.SandboxCgroup | None = None
        root = sandbox_dir_root()
        root.mkdir(parents=True, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix="agentrl-bwrap-", dir=root))
        self._closed = False  # from here on, close() cleans up whatever was made
        try:
            self._setup(config, bwrap)
        except BaseException:
            self.close()
            raise

    def _setup(self, config: SandboxConfig, bwrap: str) -> None:
        (self.dir / "owner").write_text(f"{socket.gethostname()} {os.getpid()}\n")
        self.workspace, self.tmp = self.dir / "workspace", self.dir / "tmp"
        self.workspace.mkdir()
        self.tmp.mkdir()
        if os.geteuid() == 0:
            self.host_uid: int | None = UID_BASE + (os.getpid() % 100_000) * 1000 \
                + next(_uid_counter) % 1000
            os.chmod(self.dir, 0o711)
            for path in (self.workspace, self.tmp):
                os.chown(path, self.host_uid, self.host_uid)
                os.chmod(path, 0o700)
            _check_traversable(self.rootfs)
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                raise MissingDependencyError("setpriv (util-linux) is missing; install it with: "
                                             "apt-get install -y util-linux")
            self._setpriv = setpriv
            self.cgroup, self.cgroup_note = cgroups.create(self.dir.name, config.memory_mb,
                                                           config.pids_limit)
        else:
            self.host_uid = None
            self.cgroup, self.cgroup_note = None, "not root: rlimits only"
        self._prefix = [bwrap, *self._namespace_args(), *self._mount_args()]

    @classmethod
    def check(cls, image: str = "python") -> tuple[bool, str]:
        """Whether this backend works here (runs ``true`` in a sandbox), and why not."""
        try:
            with cls(SandboxConfig(backend="bwrap", image=image)) as sandbox:
                result = sandbox.exec("true", timeout=30)
        except UserError as exc:
            return False, str(exc)
        except (OSError, SandboxError) as exc:
            return False, f"{type(exc).__name__}: {exc}"
        if result.exit_code != 0:
            hint = ""
            if "namespace" in result.stderr or "Operation not permitted" in result.stderr:
                hint = ("; unprivileged user namespaces seem disabled: "
                        "sysctl -w kernel.unprivileged_userns_clone=1 (Debian) or "
                        "user.max_user_namespaces=15000")
            return False, f"bwrap failed: {result.stderr.strip()[:200]}{hint}"
        version = subprocess.run(["bwrap", "--version"], capture_output=True, text=True,
                                 check=False).stdout.strip()
        return True, f"{version}, rootfs {sandbox.rootfs}; limits: {sandbox.cgroup_note}"

    # ----- bwrap command line -------------------------------------------------------------------
    def _namespace_args(self) -> list[str]:
        args = ["--die-with-parent", "--new-session", "--unshare-user", "--unshare-ipc",
                "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try",
                "--uid", str(self.uid), "--gid", str(self.gid), "--hostname", "sandbox"]
        if not self.config.network:
            args.append("--unshare-net")
        return args

    def _mount_args(self) -> list[str]:
        host = self.rootfs.resolve() == Path("/")
        entries = _HOST_SYSTEM_DIRS if host else sorted(os.listdir(self.rootfs))
        args = ["--tmpfs", "/"]
        workspace_top = self.config.workdir.strip("/").split("/")[0]
        for name in entries:
            path = self.rootfs / name
            if name in _SKIP_IN_IMAGE or not (path.exists() or path.is_symlink()):
                continue
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), f"/{name}"]
            elif path.is_dir() and not (name == workspace_top
                                        and self.config.workdir == f"/{name}"):
                args += ["--ro-bind", str(path), f"/{name}"]
        args += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/run",
                 "--bind", str(self.tmp), "/tmp",
                 "--bind", str(self.workspace), self.config.workdir,
                 "--remount-ro", "/"]
        return args

    def _command(self, argv: list[str], workdir: str, env: dict[str, str],
                 info_fd: int) -> list[str]:
        cfg = self.config
        if self.host_uid is not None:
            nproc = cfg.pids_limit
        else:
            nproc = count_user_processes(os.getuid()) + cfg.pids_limit
        limits = prlimit_prefix(memory_mb=cfg.memory_mb, nproc=nproc, file_mb=cfg.max_file_mb)
        variables = {"PATH": _PATH, "HOME": cfg.workdir, "LANG": "C.UTF-8", "TMPDIR": "/tmp",
                     **env}
        setenv = [item for key, value in variables.items()
                  for item in ("--setenv", key, value)]
        bwrap, *options = self._prefix
        command = [*limits, bwrap, "--info-fd", str(info_fd), *options, "--clearenv", *setenv,
                   "--chdir", workdir, "--", *argv]
        if self.host_uid is None:
            return command
        # As root: join the sandbox's cgroups, then drop to its unprivileged uid for good.
        uid = str(self.host_uid)
        drop = [self._setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]
        if self.cgroup is None:
            return [*drop, *command]
        join = " && ".join(f"echo $$ > {shlex.quote(str(f))}" for f in self.cgroup.procs_files)
        return ["/bin/sh", "-c", f'{join} && exec "$@"', "sh", *drop, *command]

    def _spawn(self, argv: list[str], workdir: str, env: dict[str, str],
               stdin: int = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
        """Start bwrap running ``argv``; bwrap reports its namespace init's pid on a pipe."""
        info_read, info_write = os.pipe()
        try:
            proc = subprocess.Popen(self._command(argv, workdir, env, info_write), stdin=stdin,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    start_new_session=True, env={}, cwd="/",
                                    pass_fds=(info_write,))
        except BaseException:
            os.close(info_read)
            raise
        finally:
            os.close(info_write)
        with self._lock:
            self._running[proc] = info_read
        return proc

    def _reap(self, proc: subprocess.Popen[bytes]) -> int:
        """Wait for ``proc`` (killing it if it still runs) and for its whole pid namespace.

        bwrap may exit while the kernel is still killing the rest of its pid namespace; the
        namespace's init is reaped only after all of them, so waiting for the init (whose host
        pid bwrap wrote to the info pipe) waits for every process of the sandbox.
        """
        if proc.poll() is None:
            kill_group(proc.pid)
        code = proc.wait()
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
        with self._lock:
            info_read = self._running.pop(proc)
        try:
            init_pid = _read_child_pid(info_read)
        finally:
            os.close(info_read)
        deadline = time.monotonic() + 10.0
        while init_pid and _running(init_pid) and time.monotonic() < deadline:
            time.sleep(0.005)
        return code

    # ----- contract -----------------------------------------------------------------------------
    def _exec(self, argv: list[str], timeout: float, workdir: str,
              env: dict[str, str]) -> ExecResult:
        start = time.monotonic()
        proc = self._spawn(argv, workdir, env)
        try:
            out, err, timed_out = read_process_output(proc, start + timeout,
                                                      self.config.max_output_bytes)
        finally:
            code = self._reap(proc)
        exit_code = -1 if timed_out else (128 - code if code < 0 else code)
        return ExecResult(exit_code, out.text(), err.text(), timed_out, time.monotonic() - start)

    def _run_io(self, script: str, args: list[str], data: bytes = b"",
                timeout: float = 120.0) -> bytes:
        """Run a file-operation script inside the sandbox with ``data`` on stdin; its stdout."""
        proc = self._spawn(["/bin/sh", "-c", script, "sh", *args], "/", {},
                           stdin=subprocess.PIPE)
        try:
            out, err = proc.communicate(data, timeout=timeout)
        except subprocess.TimeoutExpired:
            self._reap(proc)
            raise SandboxError(f"file operation timed out in bwrap sandbox {self.dir}") from None
        code = self._reap(proc)
        if code != 0:
            message = err.decode(errors="replace").strip()
            if "No such file" in message:
                raise FileNotFoundError(message)
            if "Is a directory" in message:
                raise IsADirectoryError(message)
            if "Read-only" in message or "Permission denied" in message:
                raise PermissionError(message)
            raise SandboxError(f"file operation failed in the sandbox: {message}")
        return out

    def _write_file(self, path: str, data: bytes, mode: int) -> None:
        self._run_io('mkdir -p -- "$(dirname -- "$1")" && cat > "$1" && chmod "$2" "$1"',
                     [path, f"{mode:o}"], data)

    def _read_file(self, path: str) -> bytes:
        return self._run_io('[ ! -d "$1" ] || { echo "$1: Is a directory" >&2; exit 1; }; '
                            'cat -- "$1"', [path])

    def _copy_in(self, src: Path, dest: str) -> None:
        with tempfile.TemporaryFile() as spool:
            with tarfile.open(fileobj=spool, mode="w") as archive:
                archive.add(src, arcname=".", filter=_anonymous)
            spool.seek(0)
            data = spool.read()
        self._run_io('mkdir -p -- "$1" && tar -x --no-same-owner -C "$1" -f -', [dest], data)

    def _copy_out(self, src: str, dest: Path) -> None:
        data = self._run_io('[ -d "$1" ] || { echo "$1: No such file or directory" >&2; exit 1; }; '
                            'cd -- "$1" && tar -c -f - .', [src])
        with tempfile.TemporaryFile() as spool:
            spool.write(data)
            spool.seek(0)
            with tarfile.open(fileobj=spool, mode="r") as archive:
                members = [m for m in archive.getmembers() if m.name not in (".", "./")]
                archive.extractall(dest, members=members, filter=host_safe_filter)

    def _close(self) -> None:
        with self._lock:
            running = list(self._running)
        for proc in running:  # the exec calls blocked on them reap them and their namespaces
            kill_group(proc.pid)
        deadline = time.monotonic() + 15.0
        while running and time.monotonic() < deadline:
            with self._lock:
                running = [proc for proc in running if proc in self._running]
            time.sleep(0.01)
        if self.cgroup is not None:
            self.cgroup.remove()
        shutil.rmtree(self.dir, ignore_errors=True)

    def describe(self) -> str:
        """The bwrap command line of a trivial exec, for debugging."""
        return shlex.join(self._command(["true"], self.config.workdir, {}, info_fd=3))


def _read_child_pid(info_read: int) -> int:
    """The host pid of the namespace init from bwrap's ``--info-fd`` JSON (0 if absent)."""
    os.set_blocking(info_read, False)
    try:
        data = os.read(info_read, 4096)
    except BlockingIOError:
        return 0
    try:
        return int(json.loads(data.decode()).get("child-pid", 0))
    except (ValueError, AttributeError):
        return 0


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    name, state = stat.split("(", 1)[1].rsplit(")", 1)
    return name == "bwrap" and state.split()[0] != "Z"


def _anonymous(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info






def prune(*, everything: bool = False) -> list[str]:
    """Delete bwrap sandbox directories whose owner process is gone; returns their paths.

    (Sandbox processes themselves cannot outlive their owner: ``--die-with-parent``.)
    """
    host = socket.gethostname()
    removed = []
    for directory in sandbox_dir_root().glob("agentrl-bwrap-*"):
        marker = directory / "owner"
        owner = marker.read_text().split() if marker.exists() else []
        alive = len(owner) == 2 and owner[0] == host and pid_alive(int(owner[1]))
        if alive and not everything:
            continue
        shutil.rmtree(directory, ignore_errors=True)
        removed.append(str(directory))
    alive = {d.name for d in sandbox_dir_root().glob("agentrl-bwrap-*")}
    removed += cgroups.remove_stale(alive)
    return removed


