"""Real escape attempts against each isolating backend (docker, bwrap).

Every dangerous payload (fork bomb, memory hog) runs only after the same test has verified, in
the same sandbox, that the limit which contains it is in force. Network probes target only
addresses of this machine (loopback and its own interfaces).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentrl.sandboxes import Sandbox

from .conftest import ISOLATING

PROBE = r"""
import socket, sys
port = int(sys.argv[1])
for address in sys.argv[2:]:
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect((address, port))
        print("CONNECTED", address)
    except OSError as exc:
        print("FAILED", address, type(exc).__name__)
    finally:
        s.close()
"""


class Listener:
    """A TCP server on every address of this machine that counts the connections it accepts."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("0.0.0.0", 0))
        self.server.listen(16)
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.server.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def host_addresses() -> list[str]:
    """Loopback plus the IPv4 addresses of this machine's own interfaces (docker0 included)."""
    found = subprocess.run(["hostname", "-I"], capture_output=True, text=True,
                           check=False).stdout.split()
    return ["127.0.0.1", *[a for a in found if "." in a]]


def host_pids_matching(marker: str) -> list[int]:
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry.name}/cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            pids.append(int(entry.name))
    return pids


def host_pids_of_uid(uid: int) -> list[int]:
    """Live (non-zombie) host processes of ``uid``; a zombie has exited already and only waits
    for the host's init to reap it."""
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid != uid:
                    continue
                state = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z":
                pids.append(int(entry.name))
    return pids


def live_commands(sandbox: Sandbox) -> list[str]:
    """Names of the processes alive in a docker sandbox (zombies excluded: they are dead and
    only wait for the container's init to reap them)."""
    listing = sandbox.exec(["ps", "-e", "-o", "stat=,comm="], timeout=30).stdout.splitlines()
    return [line.split(None, 1)[1] for line in listing
            if line.strip() and not line.split()[0].startswith("Z")]


def assert_no_processes_left(sandbox: Sandbox) -> None:
    """After close(): nothing of the sandbox runs on the host any more."""
    if sandbox.backend == "docker":
        import docker.errors

        with pytest.raises(docker.errors.NotFound):
            sandbox.api.inspect_container(sandbox.id)
    else:
        if sandbox.host_uid is not None:
            assert host_pids_of_uid(sandbox.host_uid) == []
        assert not sandbox.dir.exists()


# ----- network ------------------------------------------------------------------------
@pytest.mark.parametrize("backend", ISOLATING)
def test_no_network_connection_to_the_host(make_sandbox, backend, listener):
    sandbox = make_sandbox(backend)
    addresses = host_addresses()
    interfaces = sandbox.exec("tail -n +3 /proc/net/dev | cut -d: -f1", timeout=30)
    assert [name.strip() for name in interfaces.stdout.split()] == ["lo"]
    result = sandbox.exec(["python3", "-c", PROBE, str(listener.port), *addresses], timeout=60)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("FAILED") == len(addresses), result.stdout
    assert "CONNECTED" not in result.stdout
    assert listener.accepted == 0


def test_network_probe_itself_works_without_isolation(make_sandbox, listener):
    """Positive control: the same probe from the unisolated process backend gets through."""
    sandbox = make_sandbox("process")
    result = sandbox.exec(["python3", "-c", PROBE, str(listener.port), "127.0.0.1"], timeout=60)
    assert "CONNECTED 127.0.0.1" in result.stdout
    assert listener.accepted == 1


# ----- filesystem ------------------------------------------------------------------------
WRITE_PROBE = ("for p in /etc/agentrl_probe /usr/agentrl_probe /agentrl_probe "
               "/root/agentrl_probe /var/agentrl_probe /usr/bin/agentrl_probe; do "
               "touch $p 2>/dev/null && echo WROTE $p; done; "
               "touch agentrl_probe && echo WORKSPACE_OK; touch /tmp/agentrl_probe && echo TMP_OK")


@pytest.mark.parametrize("backend", ISOLATING)
def test_no_writes_outside_the_workspace(make_sandbox, backend):
    sandbox = make_sandbox(backend)
    result = sandbox.exec(WRITE_PROBE, timeout=30)
    assert "WROTE" not in result.stdout
    assert "WORKSPACE_OK" in result.stdout and "TMP_OK" in result.stdout
    if backend == "bwrap":  # the bound rootfs on the host is untouched
        for relative in ("etc/agentrl_probe", "usr/bin/agentrl_probe"):
            assert not (sandbox.rootfs / relative).exists()


@pytest.mark.docker
def test_docker_read_only_root_holds_even_for_root(make_sandbox):
    sandbox = make_sandbox("docker", read_only_root=True, user="0")
    assert sandbox.exec("id -u", timeout=30).stdout == "0\n"
    result = sandbox.exec(WRITE_PROBE, timeout=30)
    assert "WROTE" not in result.stdout
    assert "WORKSPACE_OK" in result.stdout and "TMP_OK" in result.stdout
    sandbox.write_file("from_host.txt", "ok")
    assert sandbox.read_file("from_host.txt") == b"ok"


@pytest.mark.parametrize("backend", ISOLATING)
def test_planted_symlinks_do_not_reach_host_files(make_sandbox, backend, tmp_path):
    sandbox = make_sandbox(backend)
    target = tmp_path / "host_secret"
    target.write_text("host")
    sandbox.exec(f"ln -s /etc etc_link; ln -s {target} secret_link; ln -s /etc/hostname abs; "
                 "echo data > plain", timeout=30)
    # Host-side writes through the links: refused (bwrap: read-only inside) or confined to the
    # sandbox's own filesystem (docker resolves links inside the container), never the host.
    with contextlib.suppress(OSError, RuntimeError):
        sandbox.write_file("etc_link/agentrl_probe", "x")
    assert not Path("/etc/agentrl_probe").exists()
    with contextlib.suppress(OSError, RuntimeError):
        sandbox.write_file("secret_link", "overwritten")
    assert target.read_text() == "host"
    with contextlib.suppress(OSError, RuntimeError):
        assert sandbox.read_file("secret_link") != b"host"  # the host file is not readable
    out = tmp_path / "out"
    sandbox.copy_out(".", out)
    assert (out / "plain").read_text() == "data\n"
    for name in ("etc_link", "secret_link", "abs"):  # links pointing outside are not recreated
        assert not (out / name).is_symlink()


# ----- processes ------------------------------------------------------------------------
COUNT_FORKS = r"""
import os, time
children = []
for _ in range(200):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    children.append(pid)
print(len(children))
for pid in children:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
"""


@pytest.mark.parametrize("backend", ISOLATING)
def test_fork_bomb_is_contained_by_the_pids_limit(make_sandbox, backend):
    sandbox = make_sandbox(backend, pids_limit=64)
    # 1. Verify the limit before doing anything dangerous.
    counted = sandbox.exec(["python3", "-c", COUNT_FORKS], timeout=60)
    assert counted.exit_code == 0, counted
    forks = int(counted.stdout.strip())
    assert 16 <= forks < 64, f"pids limit not in force ({forks} forks); not running the bomb"
    # 2. The bomb: it hits the limit and is stopped by the timeout, or its shell dies of a
    # failed fork first (then bwrap tears the whole pid namespace down with it).
    bomb = sandbox.exec("bomb() { bomb | bomb & }; bomb; sleep 30", timeout=4)
    assert bomb.timed_out or bomb.exit_code != 0
    # 3. The host still creates processes, and the sandbox is usable again.
    assert subprocess.run(["true"], timeout=30, check=False).returncode == 0
    alive = sandbox.exec("echo alive", timeout=60)
    assert (alive.exit_code, alive.stdout) == (0, "alive\n"), (bomb, alive)
    if backend.startswith("docker"):
        remaining = live_commands(sandbox)
        assert "sh" not in remaining, remaining  # every bomb shell is gone
    sandbox.close()
    assert_no_processes_left(sandbox)


@pytest.mark.parametrize("backend", ISOLATING)
def test_memory_hog_is_stopped_by_the_memory_limit(make_sandbox, backend):
    sandbox = make_sandbox(backend, memory_mb=256)
    # 1. Verify the limit before allocating.
    if backend.startswith("docker"):
        host_config = sandbox.api.inspect_container(sandbox.id)["HostConfig"]
        assert host_config["Memory"] == 256 * 1024 * 1024
        assert host_config["MemorySwap"] == 256 * 1024 * 1024
    else:
        limits = sandbox.exec("grep 'Max address space' /proc/self/limits", timeout=30).stdout
        assert limits.split()[3] == str(256 * 1024 * 1024)
    # 2. Try to fill 1 GiB (4x the limit; harmless to this 24 GB host even if unlimited).
    hog = sandbox.exec(["python3", "-c", "x = b'a' * (1024 ** 3); print('survived')"],
                       timeout=60)
    assert "survived" not in hog.stdout
    if backend.startswith("docker"):
        assert hog.exit_code == 137  # SIGKILL from the cgroup OOM killer
    else:
        assert hog.exit_code == 1 and "MemoryError" in hog.stderr
    assert sandbox.exec("echo alive", timeout=30).stdout == "alive\n"


@pytest.mark.parametrize("backend", ISOLATING)
def test_infinite_loop_is_killed_at_the_timeout(make_sandbox, backend):
    sandbox = make_sandbox(backend)
    result = sandbox.exec("trap '' TERM INT; while :; do :; done", timeout=2)
    assert result.timed_out and result.exit_code == -1
    if backend.startswith("docker"):
        remaining = live_commands(sandbox)
        assert "sh" not in remaining, remaining
    else:
        assert host_pids_of_uid(sandbox.host_uid) == [] if sandbox.host_uid else True


@pytest.mark.parametrize("backend", ISOLATING)
def test_output_flood_is_truncated(make_sandbox, backend):
    sandbox = make_sandbox(backend, max_output_bytes=10_000)
    result = sandbox.exec("yes flood", timeout=3)
    assert result.timed_out
    assert result.stdout.startswith("flood\nflood\n")
    assert "truncated by the sandbox" in result.stdout
    assert len(result.stdout) <= 10_000 + 100
    assert subprocess.run(["true"], timeout=30, check=False).returncode == 0


@pytest.mark.parametrize("backend", ISOLATING)
def test_no_sandbox_process_survives_close(make_sandbox, backend):
    sandbox = make_sandbox(backend)
    result = sandbox.exec("nohup sleep 7345601 >/dev/null 2>&1 & "
                          "setsid sleep 7345602 >/dev/null 2>&1 < /dev/null & echo started",
                          timeout=30)
    assert result.stdout == "started\n"
    sandbox.close()
    assert host_pids_matching("7345601") == []
    assert host_pids_matching("7345602") == []
    assert_no_processes_left(sandbox)


@pytest.mark.bwrap
def test_bwrap_cgroup_bounds_memory_across_processes(make_sandbox):
    """RLIMIT_AS is per process; where a cgroup exists it bounds the sandbox as a whole."""
    sandbox = make_sandbox("bwrap", memory_mb=256)
    if sandbox.cgroup is None:
        pytest.skip(f"bwrap runs without cgroups here: {sandbox.cgroup_note}")
    assert sandbox.cgroup.memory_limit() == 256 * 1024 * 1024  # verify before allocating
    # Four processes of 100 MiB each: every one is under RLIMIT_AS, together they are not.
    hog = ("import time; x = b'a' * (100 * 1024 ** 2); time.sleep(2); print('done')")
    result = sandbox.exec(f'for i in 1 2 3 4; do python3 -c "{hog}" & done; wait', timeout=60)
    assert result.stdout.count("done") < 4
    peak = sandbox.cgroup.peak_memory()
    assert 100 * 1024 * 1024 <= peak <= 256 * 1024 * 1024


@pytest.mark.bwrap
def test_bwrap_on_host_directories_hides_homes_and_host_tmp(make_sandbox, tmp_path):
    sandbox = make_sandbox("bwrap", image="/")
    marker = tmp_path / "host_only"
    marker.write_text("secret")
    result = sandbox.exec(f"ls /; test -e {marker} && echo VISIBLE; python3 -c 'print(1)'",
                          timeout=30)
    top = set(result.stdout.split())
    assert {"usr", "etc", "workspace", "tmp"} <= top
    assert not {"home", "root", "var", "srv", "mnt"} & top
    assert "VISIBLE" not in result.stdout
    assert result.stdout.endswith("1\n")
    assert "WROTE" not in sandbox.exec(WRITE_PROBE, timeout=30).stdout
