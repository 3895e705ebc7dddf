"""Registry, plugin discovery through entry points, and error messages."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import agentrl
from agentrl.envs import load_plugins, make, plugin_errors, registry
from agentrl.errors import EnvNotFoundError, MissingDependencyError

ROOT = Path(__file__).resolve().parents[2]


def _fake_distribution(root: Path, name: str, entry_points: dict[str, str]) -> None:
    """Write an installed-looking distribution (dist-info) with agentrl entry points."""
    info = root / f"{name}-0.1.dist-info"
    info.mkdir(parents=True)
    info.joinpath("METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    lines = "\n".join(f"{k} = {v}" for k, v in entry_points.items())
    info.joinpath("entry_points.txt").write_text(f"[agentrl.environments]\n{lines}\n")


@pytest.fixture
def plugin_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    pkg = tmp_path / "tinyplug"
    pkg.mkdir()
    pkg.joinpath("__init__.py").write_text(textwrap.dedent("""
        import agentrl

        def register():
            agentrl.register(id="tinyplug/Walk-v0", entry_point="tests.envs.toy_envs:Walk",
                             max_turns=6, description="toy walk from a plugin")

        def register_broken():
            raise RuntimeError("plugin setup exploded")
    """))
    _fake_distribution(tmp_path, "tinyplug", {"walk": "tinyplug:register",
                                             "exploding": "tinyplug:register_broken"})
    _fake_distribution(tmp_path, "ghostplug", {"ghost": "ghost_module_not_installed:register"})
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    load_plugins(reload=True)


def test_third_party_plugin_is_discovered_and_broken_ones_are_reported(plugin_path: Path) -> None:
    errors = load_plugins(reload=True)
    specs = registry()
    assert specs["tinyplug/Walk-v0"].source == "tinyplug"
    assert specs["tinyplug/Walk-v0"].max_turns == 6
    assert "RuntimeError: plugin setup exploded" in errors["exploding (tinyplug)"]
    assert "ghost_module_not_installed" in errors["ghost (ghostplug)"]
    # the broken plugins do not take the others down
    assert "example/GuessNumber-v0" in specs
    assert make("tinyplug/Walk-v0").max_turns == 6
    assert plugin_errors() == errors


def test_cli_lists_plugin_envs_and_reports_broken_plugins(plugin_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin_path), str(ROOT)]),
           "COLUMNS": "200"}
    out = subprocess.run([sys.executable, "-m", "agentrl", "envs"], capture_output=True,
                         text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "tinyplug/Walk-v0" in out.stdout
    assert "example/GuessNumber-v0" in out.stdout
    assert "exploding (tinyplug) failed to load" in out.stderr
    check = subprocess.run([sys.executable, "-m", "agentrl", "check-env", "tinyplug/Walk-v0"],
                           capture_output=True, text=True, env=env, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "passed all checks" in check.stdout


def test_unknown_id_lists_known_ids_and_suggests() -> None:
    with pytest.raises(EnvNotFoundError) as exc:
        make("example/GuessNumbr-v0")
    msg = str(exc.value)
    assert "Did you mean 'example/GuessNumber-v0'?" in msg
    assert "Known:" in msg and "example/GuessNumber-v0" in msg


def test_missing_dependency_names_the_install_command() -> None:
    agentrl.register(id="test/NeedsDep-v0", entry_point="surely_missing_pkg_xyz.env:Env",
                     install_hint="pip install 'agentrl[extra]'")
    hint = r"install it with: pip install 'agentrl\[extra\]'"
    with pytest.raises(MissingDependencyError, match=hint):
        make("test/NeedsDep-v0")


@pytest.mark.parametrize("bad", ["no-version", "ns/Name-vx", "has space-v0"])
def test_invalid_ids_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid environment id"):
        agentrl.register(id=bad, entry_point="tests.envs.toy_envs:Walk")


def test_example_plugin_is_installed_and_passes_the_checker() -> None:
    specs = registry()
    assert "example/GuessNumber-v0" in specs, (
        "the example plugin is not installed: run `pip install -e examples/plugin-env` "
        "(the README's test command does)")
    assert specs["example/GuessNumber-v0"].source == "agentrl-example-guess"
    report = agentrl.check_env("example/GuessNumber-v0")
    assert report.passed, report.lines()


def test_builtin_packages_map_to_top_level_folders() -> None:
    import agentrl.environments
    import agentrl.rewards
    import agentrl.sandboxes

    for module, folder in ((agentrl.environments, "environments"),
                           (agentrl.sandboxes, "sandboxes"), (agentrl.rewards, "rewards")):
        assert Path(module.__file__).resolve().parent == ROOT / folder
