"""`agentrl sandbox ...` through typer, on a bare app (the core CLI adds the group the same way)."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from agentrl.commands import sandbox as sandbox_commands
from agentrl.errors import UserError
from agentrl.sandboxes.process import ProcessSandbox

from .conftest import docker_absent_reason


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """agentrl (test harness)."""

    sandbox_commands.register(root)
    return root


def test_help_lists_the_commands(app):
    result = CliRunner().invoke(app, ["sandbox", "--help"])
    assert result.exit_code == 0
    for command in ("doctor", "images", "build", "run", "prune"):
        assert command in result.output


def test_run_a_command(app, monkeypatch):
    monkeypatch.setattr(ProcessSandbox, "warn", False)
    result = CliRunner().invoke(app, ["sandbox", "run", "echo 6; exit 0", "--backend", "process"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("6\n")


def test_unknown_backend_is_a_user_error(app):
    result = CliRunner().invoke(app, ["sandbox", "run", "true", "--backend", "dockr"])
    assert isinstance(result.exception, UserError)
    assert "Valid:" in str(result.exception)


def test_images_and_prune(app):
    images = CliRunner().invoke(app, ["sandbox", "images"], env={"COLUMNS": "250"})
    assert images.exit_code == 0 and "agentrl/python:bookworm" in images.output
    prune = CliRunner().invoke(app, ["sandbox", "prune"])
    assert prune.exit_code == 0, prune.output
    assert "bwrap: removed" in prune.output


def test_doctor_reports_every_backend(app):
    result = CliRunner().invoke(app, ["sandbox", "doctor"], env={"COLUMNS": "200"})
    for name in ("docker", "bwrap", "process"):
        assert name in result.output
    if docker_absent_reason() is None:
        assert result.exit_code == 0, result.output
