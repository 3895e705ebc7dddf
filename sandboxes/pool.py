"""A pool of warm sandboxes for one config (backend + image + limits).

``acquire()`` hands out a sandbox that was started in the background, so an episode's ``reset``
does not wait for a container to start; ``release(sandbox)`` destroys it (in the background) and
never hands it out again: every episode gets a fresh sandbox. The pool keeps ``size`` sandboxes
warm, plus one per caller waiting in ``acquire``.

Bounded concurrency: at most ``max_concurrent_starts`` sandboxes are being created at once, and
at most ``max_live`` exist at once (warm + in use + starting), so a burst of episodes queues in
``acquire`` instead of sending the Docker daemon dozens of simultaneous creations. (The docker
backend also caps concurrent creations/removals per process; see ``MAX_LIFECYCLE_CALLS``.)

Shutdown: ``close()`` (or leaving the ``with`` block, including on Ctrl-C) stops the refill
threads, waits for creations in flight and destroys every sandbox the pool made, warm or in use.
A process killed outright (SIGKILL) cannot clean up; ``agentrl sandbox prune`` removes what it
left.
"""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from types import TracebackType

from agentrl.sandboxes.base import Sandbox, SandboxConfig, SandboxError
from agentrl.sandboxes.registry import get

__all__ = ["SandboxPool"]

_live_pools: weakref.WeakSet[SandboxPool] = weakref.WeakSet()


@atexit.register
def _close_live_pools() -> None:
    for pool in list(_live_pools):
        pool.close()


class SandboxPool:
    """Warm sandboxes of one :class:`SandboxConfig`, refilled in the background."""

    def __init__(self, config: SandboxConfig, size: int = 2, *, max_live: int | None = 16,
                 max_concurrent_starts: int = 2,
                 factory: Callable[[SandboxConfig], Sandbox] | None = None) -> None:
        if size < 0 or max_concurrent_starts < 1:
            raise ValueError("pool size must be >= 0 and max_concurrent_starts >= 1")
        if max_live is not None and max_live < max(size, 1):
            raise ValueError(f"max_live ({max_live}) must be at least the pool size ({size})")
        self.config = config
        self.size = size
        self.max_live = max_live
        self._factory = factory or get(config.backend)
        self._cond = threading.Condition()
        self._idle: deque[Sandbox] = deque()
        self._in_use: dict[int, Sandbox] = {}
        self._to_close: deque[Sandbox] = deque()
        self._starting = 0
        self._waiting = 0
        self._error: BaseException | None = None
        self._closed = False
        self.created = 0
        self.destroyed = 0
        self._threads = [threading.Thread(target=self._refill_loop, daemon=True,
                                          name=f"sandbox-pool-start-{i}")
                         for i in range(max_concurrent_starts)]
        self._threads.append(threading.Thread(target=self._reap_loop, daemon=True,
                                              name="sandbox-pool-reap"))
        for thread in self._threads:
            thread.start()
        _live_pools.add(self)

    # ----- public API ---------------------------------------------------------------------------
    def acquire(self, timeout: float | None = None) -> Sandbox:
        """A fresh sandbox, warm if one is ready; waits (at most ``timeout`` s) otherwise.

        A failure to create sandboxes (docker not running, image missing) is raised here.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._waiting += 1
            self._cond.notify_all()
            try:
                while not self._idle:
                    if self._closed:
                        raise SandboxError("the sandbox pool is closed")
                    if self._error is not None and self._starting == 0:
                        error, self._error = self._error, None
                        raise error
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        raise TimeoutError(f"no sandbox became free within {timeout} s "
                                           f"({self._summary()})")
                    self._cond.wait(remaining)
                sandbox = self._idle.popleft()
                self._in_use[id(sandbox)] = sandbox
                return sandbox
            finally:
                self._waiting -= 1
                self._cond.notify_all()

    def release(self, sandbox: Sandbox) -> None:
        """Give back a sandbox: it is destroyed in the background and never reused."""
        with self._cond:
            if self._in_use.pop(id(sandbox), None) is None:
                raise ValueError("this sandbox was not acquired from this pool")
            self._to_close.append(sandbox)
            self._cond.notify_all()

    def stats(self) -> dict[str, int]:
        """Counts: warm, in use, starting, waiting callers, created and destroyed so far."""
        with self._cond:
            return {"idle": len(self._idle), "in_use": len(self._in_use),
                    "starting": self._starting, "waiting": self._waiting,
                    "created": self.created, "destroyed": self.destroyed}

    def wait_warm(self, count: int | None = None, timeout: float = 120.0) -> None:
        """Block until ``count`` (default: ``size``) sandboxes are warm; raise start errors."""
        target = self.size if count is None else count
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._idle) < target:
                if self._error is not None:
                    error, self._error = self._error, None
                    raise error
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"pool not warm after {timeout} s ({self._summary()})")
                self._cond.wait(remaining)

    def close(self) -> None:
        """Stop refilling and destroy every sandbox of the pool (warm and in use). Idempotent."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=120)
        with self._cond:
            leftovers = [*self._idle, *self._in_use.values(), *self._to_close]
            self._idle.clear()
            self._in_use.clear()
            self._to_close.clear()
        for sandbox in leftovers:
            self._destroy(sandbox)
        _live_pools.discard(self)

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # ----- background work ----------------------------------------------------------------------
    def _summary(self) -> str:
        return (f"{len(self._idle)} warm, {len(self._in_use)} in use, {self._starting} starting, "
                f"max_live={self.max_live}")

    def _live(self) -> int:
        return len(self._idle) + len(self._in_use) + self._starting + len(self._to_close)

    def _should_start(self) -> bool:
        wanted = self.size + self._waiting
        return (self._error is None and len(self._idle) + self._starting < wanted
                and (self.max_live is None or self._live() < self.max_live))

    def _refill_loop(self) -> None:
        while True:
            with self._cond:
                while not self._closed and not self._should_start():
                    self._cond.wait()
                if self._closed:
                    return
                self._starting += 1
            try:
                sandbox = self._factory(self.config)
            except BaseException as exc:  # handed to the callers of acquire()
                with self._cond:
                    self._starting -= 1
                    self._error = exc
                    self._cond.notify_all()
                continue
            with self._cond:
                self._starting -= 1
                self.created += 1
                if not self._closed:
                    self._idle.append(sandbox)
                    self._cond.notify_all()
                    continue
            self._destroy(sandbox)
            return

    def _reap_loop(self) -> None:
        while True:
            with self._cond:
                while not self._to_close and not self._closed:
                    self._cond.wait()
                if not self._to_close:
                    return
                sandbox = self._to_close.popleft()
            self._destroy(sandbox)
            with self._cond:
                self._cond.notify_all()  # a slot under max_live may have opened

    def _destroy(self, sandbox: Sandbox) -> None:
        try:
            sandbox.close()
        finally:
            with self._cond:
                self.destroyed += 1
