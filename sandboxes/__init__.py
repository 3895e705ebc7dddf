"""Sandboxes for code-executing environments (``agentrl.sandboxes``): see DESIGN.md section 3.2.

::

    from agentrl.sandboxes import SandboxConfig, SandboxPool, create

    with create(backend="docker", image="python") as sandbox:
        result = sandbox.exec("python3 -c 'print(6 * 7)'", timeout=10)
        assert result.stdout == "42\\n"

    with SandboxPool(SandboxConfig(backend="bwrap"), size=2) as pool:
        sandbox = pool.acquire()       # warm: no container start on the episode's reset
        ...
        pool.release(sandbox)          # destroyed, never reused; the pool refills

Backends (``docker``, ``bwrap``, ``process``) are looked up by name in :mod:`.registry`; each
backend module's docstring says what it does and does not protect against.
"""

from agentrl.sandboxes.base import (
    ExecResult,
    Sandbox,
    SandboxClosedError,
    SandboxConfig,
    SandboxError,
)
from agentrl.sandboxes.pool import SandboxPool
from agentrl.sandboxes.registry import create, get, names, register

__all__ = [
    "ExecResult",
    "Sandbox",
    "SandboxClosedError",
    "SandboxConfig",
    "SandboxError",
    "SandboxPool",
    "create",
    "get",
    "names",
    "register",
]
