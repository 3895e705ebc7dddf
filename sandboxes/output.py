"""Bounded capture of command output.

A command may print gigabytes; a sandbox keeps at most ``limit`` bytes per stream: the first half
and the last half, joined by a marker that says how much was dropped. Memory stays bounded while
the stream is read to its end, so the command is never blocked on a full pipe.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import time
from collections import deque

__all__ = ["BoundedOutput", "read_process_output"]


class BoundedOutput:
    """Keeps the head and the tail of a byte stream, at most ``limit`` bytes in all."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._head = bytearray()
        self._tail: deque[bytes] = deque()
        self._tail_len = 0
        self.total = 0

    def append(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.limit // 2 - len(self._head)
        if room > 0:
            self._head += chunk[:room]
            chunk = chunk[room:]
        if not chunk:
            return
        keep = self.limit - self.limit // 2
        if len(chunk) >= keep:
            self._tail.clear()
            self._tail.append(chunk[-keep:])
            self._tail_len = keep
            return
        self._tail.append(chunk)
        self._tail_len += len(chunk)
        while self._tail_len - len(self._tail[0]) >= keep:
            self._tail_len -= len(self._tail.popleft())

    @property
    def truncated(self) -> bool:
        return self.total > self.limit

    def getvalue(self) -> bytes:
        tail = b"".join(self._tail)
        if not self.truncated:
            return bytes(self._head) + tail
        keep = self.limit - self.limit // 2
        tail = tail[-keep:]
        dropped = self.total - len(self._head) - len(tail)
        marker = f"\n[... {dropped} bytes of output truncated by the sandbox ...]\n".encode()
        return bytes(self._head) + marker + tail

    def text(self) -> str:
        return self.getvalue().decode("utf-8", errors="replace")


def read_process_output(proc: subprocess.Popen[bytes], deadline: float,
                        limit: int) -> tuple[BoundedOutput, BoundedOutput, bool]:
    """Read ``proc``'s stdout and stderr until both close or ``deadline`` (time.monotonic) passes.

    Returns the two bounded buffers and whether the deadline passed first. The caller kills the
    process on a timeout; this function only reads.
    """
    out, err = BoundedOutput(limit), BoundedOutput(limit)
    sel = selectors.DefaultSelector()
    assert proc.stdout is not None and proc.stderr is not None
    sel.register(proc.stdout, selectors.EVENT_READ, out)
    sel.register(proc.stderr, selectors.EVENT_READ, err)
    try:
        while sel.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return out, err, True
            for key, _ in sel.select(timeout=remaining):
                chunk = os.read(key.fd, 65536)
                if chunk:
                    key.data.append(chunk)
                else:
                    sel.unregister(key.fileobj)
        return out, err, False
    finally:
        sel.close()
