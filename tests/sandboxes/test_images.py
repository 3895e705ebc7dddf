"""Image recipes, the offline build cache, and what the offline image contains."""

from __future__ import annotations

import pytest

from agentrl.errors import UserError
from agentrl.sandboxes import images


def test_python_recipe_is_complete():
    recipe = images.recipe("python")
    assert {"python3", "python3-pytest", "git"} <= set(recipe.packages)
    assert (recipe.user, recipe.uid, recipe.workdir) == ("agent", 1000, "/workspace")
    assert (recipe.directory / "Dockerfile").exists()
    assert "USER agent" in (recipe.directory / "Dockerfile").read_text()
    assert len(recipe.digest) == 16 and recipe.digest == images.recipe("python").digest


def test_unknown_image_lists_the_known_ones():
    with pytest.raises(UserError, match=r"known images: .*python"):
        images.recipe("pyhton")


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("AGENTRL_CACHE_DIR", str(tmp_path))
    assert images.rootfs_path("python") == tmp_path / "images" / "python" / "rootfs"
    assert not images.rootfs_ready("python")


@pytest.mark.bwrap
def test_offline_rootfs_contents():
    if not images.rootfs_ready("python"):
        pytest.skip("offline image not built (run scripts/install-system-deps.sh)")
    root = images.rootfs_path("python")
    for binary in ("usr/bin/python3", "usr/bin/git", "usr/bin/tar"):
        assert (root / binary).exists(), binary
    assert (root / "usr/lib/python3/dist-packages/pytest").is_dir()
    assert "agent:x:1000:1000:" in (root / "etc/passwd").read_text()
    assert (root / "workspace").stat().st_uid == 1000
    assert not list((root / "var/cache/apt/archives").glob("*.deb"))


def test_second_offline_build_is_a_cached_no_op():
    if not images.rootfs_ready("python"):
        pytest.skip("offline image not built (run scripts/install-system-deps.sh)")
    messages: list[str] = []
    images.build_offline("python", docker_import=False, log=messages.append)
    assert messages == [f"rootfs of python is up to date: {images.rootfs_path('python')}"]
