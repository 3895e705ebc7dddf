"""Command runner that lives *inside* a docker sandbox (stdlib only; never imported on the host).

Starting a process with ``docker exec`` costs one runc invocation (~50-100 ms on a busy
2-core machine). The docker backend instead starts this script once per container, as the
sandbox user, through a single attached ``docker exec``, and sends it one request per command,
so a command costs a fork inside the container.

Protocol. Requests are JSON lines on stdin:
``{"id": n, "argv": [...], "cwd": "...", "env": {...}}`` runs a command in a new session;
``{"kill": n}`` SIGKILLs command n's process group; ``{"killall": "pid pid"}`` SIGKILLs every
process but init, this runner and the listed pids (until none is left, 10 rounds at most).
Replies on stdout are frames: 4-byte request id, 1-byte kind, 4-byte length, payload; kinds are
1 stdout, 2 stderr, 3 exit status (decimal text; 128+N for signal N), 4 killall done ("0": all
gone, "1": some survived).

The runner is single-threaded (a fork bomb that exhausts the pids limit cannot stop it from
killing: killing needs no new process) and marks itself non-dumpable, so commands of the same
user cannot open its /proc file descriptors to forge replies or ptrace it.
"""

import contextlib
import ctypes
import errno
import json
import os
import selectors
import signal
import struct
import sys
import time

PR_SET_DUMPABLE = 4


def main() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    out = sys.stdout.buffer
    base_env = dict(os.environ)
    selector = selectors.DefaultSelector()
    os.set_blocking(0, False)
    selector.register(0, selectors.EVENT_READ, None)
    commands: dict[int, dict] = {}
    pending = b""

    def send(rid: int, kind: int, data: bytes = b"") -> None:
        out.write(struct.pack(">IBI", rid, kind, len(data)) + data)
        out.flush()

    def start(request: dict) -> None:
        rid = request["id"]
        try:
            r_out, w_out = os.pipe()
            r_err, w_err = os.pipe()
        except OSError as exc:
            send(rid, 2, f"sandbox: cannot create pipes: {exc}\n".encode())
            send(rid, 3, b"126")
            return
        env = {**base_env, **request.get("env", {})}
        try:
            pid = os.fork()
        except OSError as exc:
            for fd in (r_out, w_out, r_err, w_err):
                os.close(fd)
            send(rid, 2, f"sandbox: cannot fork: {exc}\n".encode())
            send(rid, 3, b"126")
            return
        if pid == 0:
            try:
                os.setsid()
                null = os.open(os.devnull, os.O_RDONLY)
                os.dup2(null, 0)
                os.dup2(w_out, 1)
                os.dup2(w_err, 2)
                os.closerange(3, 65536)
                os.chdir(request["cwd"])
                os.execvpe(request["argv"][0], request["argv"], env)
            except OSError as exc:
                os.write(2, f"{request['argv'][0]}: {exc.strerror}\n".encode())
                os._exit(127 if exc.errno == errno.ENOENT else 126)
            os._exit(126)
        os.close(w_out)
        os.close(w_err)
        os.set_blocking(r_out, False)
        os.set_blocking(r_err, False)
        commands[rid] = {"pid": pid, "fds": {r_out, r_err}, "status": None}
        selector.register(r_out, selectors.EVENT_READ, (rid, 1))
        selector.register(r_err, selectors.EVENT_READ, (rid, 2))

    def drain(rid: int, fd: int, kind: int, everything: bool) -> None:
        while True:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                return
            if not chunk:
                selector.unregister(fd)
                os.close(fd)
                commands[rid]["fds"].discard(fd)
                return
            send(rid, kind, chunk)
            if not everything:
                return

    def killall(keep: str) -> None:
        spare = {1, os.getpid(), *(int(p) for p in keep.split() if p.isdigit())}
        for _ in range(10):
            killed = 0
            for name in os.listdir("/proc"):
                if not name.isdigit() or int(name) in spare:
                    continue
                try:
                    with open(f"/proc/{name}/stat") as handle:
                        if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                            continue  # dead already, waiting to be reaped
                    os.kill(int(name), signal.SIGKILL)
                    killed += 1
                except (OSError, IndexError):
                    pass
            if not killed:
                send(0, 4, b"0")
                return
            time.sleep(0.02)  # let the killed ones finish dying
        send(0, 4, b"1")

    def handle(request: dict) -> None:
        if "argv" in request:
            start(request)
        elif "kill" in request and request["kill"] in commands:
            with contextlib.suppress(OSError):
                os.killpg(commands[request["kill"]]["pid"], signal.SIGKILL)
        elif "killall" in request:
            killall(request["killall"])

    while True:
        for key, _ in selector.select(timeout=0.02 if commands else None):
            if key.data is None:
                try:
                    data = os.read(0, 65536)
                except BlockingIOError:
                    continue
                if not data:  # the host went away: take every command down with us
                    for command in commands.values():
                        with contextlib.suppress(OSError):
                            os.killpg(command["pid"], signal.SIGKILL)
                    return
                pending += data
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    if line.strip():
                        handle(json.loads(line))
            else:
                rid, kind = key.data
                drain(rid, key.fd, kind, everything=False)
        for rid in list(commands):
            command = commands[rid]
            if command["status"] is None:
                done, status = os.waitpid(command["pid"], os.WNOHANG)
                if done:
                    command["status"] = status
            if command["status"] is not None:
                # The command exited: send what its pipes still hold, without waiting for
                # background children that inherited them.
                for fd in list(command["fds"]):
                    kind = 1 if selector.get_key(fd).data[1] == 1 else 2
                    drain(rid, fd, kind, everything=True)
                    if fd in command["fds"]:
                        selector.unregister(fd)
                        os.close(fd)
                        command["fds"].discard(fd)
                code = os.waitstatus_to_exitcode(command["status"])
                send(rid, 3, str(128 - code if code < 0 else code).encode())
                del commands[rid]


if __name__ == "__main__":
    main()
