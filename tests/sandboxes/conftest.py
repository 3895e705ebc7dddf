"""Fixtures for the sandbox tests: real Docker, real bubblewrap, skipped only when absent.

``scripts/install-system-deps.sh`` (run by CI) installs docker.io, bubblewrap and debootstrap,
starts dockerd and builds the offline image ``python``; on a machine without them the Docker and
bwrap tests skip with the reason and the fix.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import pytest

from agentrl.errors import UserError
from agentrl.sandboxes import Sandbox, SandboxConfig, create
from agentrl.sandboxes.process import ProcessSandbox

IMAGE = "python"
FIX = "run scripts/install-system-deps.sh as root"


@cache
def docker_absent_reason() -> str | None:
    """Why the docker tests cannot run here, or None when they can."""
    try:
        from agentrl.sandboxes.docker import DockerSandbox
    except ModuleNotFoundError as exc:
        return f"docker-py is not installed ({exc})"
    ok, detail = DockerSandbox.check(IMAGE)
    return None if ok else f"{detail} ({FIX})"


@cache
def bwrap_absent_reason() -> str | None:
    """Why the bwrap tests cannot run here, or None when they can."""
    if shutil.which("bwrap") is None:
        return f"bubblewrap is not installed ({FIX})"
    probe = subprocess.run(["bwrap", "--unshare-all", "--ro-bind", "/", "/", "true"],
                           capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return f"bwrap cannot create namespaces here: {probe.stderr.strip()}"
    return None


@cache
def bwrap_image() -> str:
    """The offline image rootfs when built, else the host's system directories."""
    from agentrl.sandboxes.images import rootfs_ready

    return IMAGE if rootfs_ready(IMAGE) else "/"


def require(backend: str) -> None:
    """Skip the calling test when ``backend`` is genuinely unavailable here."""
    backend = backend.removesuffix("-exec")
    reason = {"docker": docker_absent_reason, "bwrap": bwrap_absent_reason}.get(
        backend, lambda: None)()
    if reason is not None:
        pytest.skip(f"{backend} backend unavailable: {reason}")


def config_for(backend: str, **overrides: Any) -> SandboxConfig:
    backend = backend.removesuffix("-exec")
    image = {"docker": IMAGE, "bwrap": bwrap_image()}.get(backend, IMAGE)
    return SandboxConfig(**{"backend": backend, "image": image, **overrides})


# "docker-exec": the docker backend without its in-container runner (one `docker exec` per
# command), as for images without python3.
BACKENDS = [
    pytest.param("docker", marks=pytest.mark.docker),
    pytest.param("docker-exec", marks=pytest.mark.docker),
    pytest.param("bwrap", marks=pytest.mark.bwrap),
    pytest.param("process"),
]
ISOLATING = [
    pytest.param("docker", marks=pytest.mark.docker),
    pytest.param("docker-exec", marks=pytest.mark.docker),
    pytest.param("bwrap", marks=pytest.mark.bwrap),
]


@pytest.fixture(autouse=True, scope="session")
def _quiet_process_backend() -> Iterator[None]:
    ProcessSandbox.warn = False
    yield
    ProcessSandbox.warn = True


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """``make_sandbox(backend, **config)``: a real sandbox, closed after the test."""
    made: list[Sandbox] = []

    def make(backend: str, **overrides: Any) -> Sandbox:
        require(backend)
        try:
            if backend == "docker-exec":
                from agentrl.sandboxes.docker import DockerSandbox

                sandbox: Sandbox = DockerSandbox(config_for(backend, **overrides),
                                                 use_runner=False)
                assert sandbox._runner is None
            else:
                sandbox = create(config_for(backend, **overrides))
        except UserError as exc:  # e.g. the image vanished between the check and now
            pytest.fail(f"could not create a {backend} sandbox: {exc}")
        made.append(sandbox)
        return sandbox

    yield make
    for sandbox in made:
        sandbox.close()
