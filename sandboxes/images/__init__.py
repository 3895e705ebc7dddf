"""Sandbox image recipes and their builders.

Each subfolder of this package is one image: ``recipe.json`` (Docker tag, non-root user,
workspace, and the Debian suite and packages of the offline build) and a ``Dockerfile`` with the
same contents for machines that can pull base images.

Two ways to build an image named NAME:

- ``agentrl sandbox build NAME``: ``docker build`` of the Dockerfile (needs a registry).
- ``agentrl sandbox build NAME --offline``: ``debootstrap`` from the Debian mirror into a root
  filesystem directory ``<cache>/images/NAME/rootfs`` (``<cache>``: ``$AGENTRL_CACHE_DIR``, else
  ``/var/cache/agentrl`` as root, else ``~/.cache/agentrl``), then ``docker import`` of that
  directory. The directory is also what the ``bwrap`` backend mounts read-only as the
  sandbox's root. Both steps are cached by a digest of the recipe: a second build is a no-op.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentrl.errors import MissingDependencyError, UserError

__all__ = ["ImageRecipe", "build", "build_offline", "cache_dir", "docker_image_ready",
           "recipe", "recipes", "rootfs_path", "rootfs_ready"]

RECIPES_DIR = Path(__file__).resolve().parent
#: Label put on every image agentrl builds; its value is the recipe digest.
RECIPE_LABEL = "agentrl.recipe"
Log = Callable[[str], None]


@dataclass(frozen=True)
class ImageRecipe:
    """One image: where its recipe lives and what the offline build installs."""

    name: str
    description: str
    tag: str
    user: str
    uid: int
    workdir: str
    suite: str
    mirror: str
    variant: str
    packages: tuple[str, ...]
    directory: Path

    @property
    def digest(self) -> str:
        """Changes whenever anything that goes into the image changes."""
        blob = json.dumps([self.tag, self.user, self.uid, self.workdir, self.suite, self.mirror,
                           self.variant, list(self.packages),
                           (self.directory / "Dockerfile").read_text()
                           if (self.directory / "Dockerfile").exists() else ""])
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def recipes() -> dict[str, ImageRecipe]:
    """All image recipes shipped with agentrl, by name."""
    found: dict[str, ImageRecipe] = {}
    for path in sorted(RECIPES_DIR.glob("*/recipe.json")):
        data: dict[str, Any] = json.loads(path.read_text())
        offline = data["offline"]
        found[path.parent.name] = ImageRecipe(
            name=path.parent.name, description=data.get("description", ""), tag=data["tag"],
            user=data["user"], uid=int(data["uid"]), workdir=data["workdir"],
            suite=offline["suite"], mirror=offline["mirror"],
            variant=offline.get("variant", "minbase"), packages=tuple(offline["packages"]),
            directory=path.parent)
    return found


def recipe(name: str) -> ImageRecipe:
    """The recipe ``name``; an unknown name lists the known ones."""
    known = recipes()
    if name not in known:
        raise UserError(f"unknown sandbox image {name!r}; known images: {', '.join(known)} "
                        f"(recipes live in {RECIPES_DIR})")
    return known[name]


def cache_dir() -> Path:
    """Root of agentrl's caches: ``$AGENTRL_CACHE_DIR``, else ``/var/cache/agentrl`` for root
    (the bwrap backend's unprivileged sandbox uids must be able to reach the rootfs, and root's
    home is not traversable), else ``~/.cache/agentrl``."""
    env = os.environ.get("AGENTRL_CACHE_DIR")
    if env:
        return Path(env)
    if os.geteuid() == 0:
        return Path("/var/cache/agentrl")
    return Path.home() / ".cache" / "agentrl"


def _image_dir(name: str) -> Path:
    return cache_dir() / "images" / name


def rootfs_path(name: str) -> Path:
    """The offline root filesystem directory of image ``name`` (may not be built yet)."""
    return _image_dir(name) / "rootfs"


def rootfs_ready(name: str) -> bool:
    """True when the rootfs of ``name`` is built from the current recipe."""
    stamp = _image_dir(name) / "build.json"
    if not stamp.exists() or not rootfs_path(name).is_dir():
        return False
    return json.loads(stamp.read_text()).get("digest") == recipe(name).digest


def docker_image_ready(client: Any, image: ImageRecipe) -> bool:
    """True when Docker has ``image``'s tag, built from the current recipe."""
    import docker.errors

    try:
        found = client.images.get(image.tag)
    except docker.errors.ImageNotFound:
        return False
    return (found.labels or {}).get(RECIPE_LABEL) == image.digest


@contextmanager
def _build_lock(name: str) -> Iterator[None]:
    """Serialise builds of one image across processes (CI and a test run may race)."""
    directory = _image_dir(name)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_offline(name: str, *, docker_import: bool = True, force: bool = False,
                  log: Log = print) -> Path:
    """Build image ``name`` without a registry: debootstrap a rootfs, then ``docker import`` it.

    Returns the rootfs directory. Skips each step whose output exists for the current recipe
    (``force`` rebuilds). ``docker_import=False`` only builds the rootfs (enough for bwrap).
    """
    image = recipe(name)
    with _build_lock(name):
        if force or not rootfs_ready(name):
            _debootstrap(image, log)
        else:
            log(f"rootfs of {name} is up to date: {rootfs_path(name)}")
        if docker_import:
            client = _docker_client()
            if force or not docker_image_ready(client, image):
                _docker_import(client, image, log)
            else:
                log(f"docker image {image.tag} is up to date")
    return rootfs_path(name)


def build(name: str, *, log: Log = print) -> str:
    """``docker build`` the Dockerfile of image ``name`` (needs a registry); returns the tag."""
    image = recipe(name)
    client = _docker_client()
    if not (image.directory / "Dockerfile").exists():
        raise UserError(f"image {name} has no Dockerfile; build it with --offline")
    log(f"docker build {image.directory} -> {image.tag}")
    import docker.errors

    try:
        client.images.build(path=str(image.directory), tag=image.tag, rm=True,
                            labels={RECIPE_LABEL: image.digest})
    except docker.errors.BuildError as exc:
        raise UserError(f"docker build of {name} failed ({exc}); without registry access use: "
                        f"agentrl sandbox build {name} --offline") from None
    return image.tag


def _docker_client() -> Any:
    from agentrl.sandboxes.docker import docker_client

    return docker_client()


def _debootstrap(image: ImageRecipe, log: Log) -> None:
    if os.geteuid() != 0:
        raise UserError("the offline image build runs debootstrap, which needs root; "
                        f"run: sudo agentrl sandbox build {image.name} --offline")
    debootstrap = shutil.which("debootstrap")
    if debootstrap is None:
        raise MissingDependencyError("debootstrap is not installed; install it with: "
                                     "apt-get install -y debootstrap")
    final = rootfs_path(image.name)
    partial = final.with_name("rootfs.partial")
    for stale in (partial, final):
        if stale.exists():
            _unmount_below(stale)
            shutil.rmtree(stale)
    (final.parent / "build.json").unlink(missing_ok=True)
    argv = [debootstrap, f"--variant={image.variant}", f"--include={','.join(image.packages)}",
            image.suite, str(partial), image.mirror]
    log(f"debootstrap {image.suite} with {', '.join(image.packages)} -> {final} "
        "(about a minute)")
    started = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        lines = proc.stdout.strip().splitlines()[-3:] + proc.stderr.strip().splitlines()[-3:]
        tail = " | ".join(lines)
        raise UserError(f"debootstrap failed (exit {proc.returncode}): {tail}; check that "
                        f"{image.mirror} is reachable")
    _add_user(partial, image)
    for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for entry in (partial / junk).glob("*"):
            if entry.is_file():
                entry.unlink()
    partial.rename(final)
    (final.parent / "build.json").write_text(json.dumps(
        {"digest": image.digest, "built_at": time.time(), "recipe": image.name}))
    log(f"rootfs built in {time.monotonic() - started:.0f} s")


def _unmount_below(path: Path) -> None:
    """Unmount what an interrupted debootstrap left mounted (its /proc, /sys) under ``path``;
    deleting the tree with those still mounted would walk into the host's /proc."""
    prefix = str(path.resolve()) + "/"
    with open("/proc/self/mounts") as handle:
        targets = [line.split()[1] for line in handle if line.split()[1].startswith(prefix)]
    for target in sorted(targets, key=len, reverse=True):
        subprocess.run(["umount", "-l", target], check=False, capture_output=True)


def _add_user(root: Path, image: ImageRecipe) -> None:
    """Create the image's non-root user and its workspace inside the rootfs ``root``."""
    passwd, group = root / "etc" / "passwd", root / "etc" / "group"
    home = f"/home/{image.user}"
    if f"\n{image.user}:" not in "\n" + passwd.read_text():
        with passwd.open("a") as handle:
            handle.write(f"{image.user}:x:{image.uid}:{image.uid}::{home}:/bin/sh\n")
    if f"\n{image.user}:" not in "\n" + group.read_text():
        with group.open("a") as handle:
            handle.write(f"{image.user}:x:{image.uid}:\n")
    for directory in (home, image.workdir):
        path = root / directory.lstrip("/")
        path.mkdir(parents=True, exist_ok=True)
        os.chown(path, image.uid, image.uid)


def _docker_import(client: Any, image: ImageRecipe, log: Log) -> None:
    root = rootfs_path(image.name)
    repository, _, tag = image.tag.partition(":")
    changes = [
        f"USER {image.user}",
        f"WORKDIR {image.workdir}",
        "ENV LANG=C.UTF-8",
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        'CMD ["sleep", "infinity"]',
        f"LABEL {RECIPE_LABEL}={image.digest} agentrl.image={image.name}",
    ]
    log(f"docker import {root} -> {image.tag}")
    started = time.monotonic()
    tar = subprocess.Popen(["tar", "--numeric-owner", "-C", str(root), "-cf", "-", "."],
                           stdout=subprocess.PIPE)
    try:
        assert tar.stdout is not None
        client.api.import_image_from_stream(tar.stdout, repository=repository,
                                            tag=tag or "latest", changes=changes)
    finally:
        if tar.stdout is not None:
            tar.stdout.close()
        tar.wait()
    if tar.returncode != 0:
        raise UserError(f"tar of {root} failed with exit {tar.returncode}")
    if not docker_image_ready(client, image):
        raise UserError(f"docker import of {image.tag} did not produce the image; "
                        "see the Docker daemon log")
    log(f"imported in {time.monotonic() - started:.0f} s")
