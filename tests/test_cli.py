"""The CLI as a user runs it: exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def agentrl(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "agentrl", *args], capture_output=True,
                          text=True, cwd=cwd or ROOT, env=env, timeout=300)


def test_help_lists_the_commands() -> None:
    out = agentrl("--help")
    assert out.returncode == 0
    for command in ("envs", "check-env", "config", "play"):
        assert command in out.stdout


def test_envs_lists_builtin_and_example_environments() -> None:
    out = agentrl("envs")
    assert out.returncode == 0, out.stderr
    assert "example/GuessNumber-v0" in out.stdout
    assert "agentrl-example-guess" in out.stdout


def test_envs_describe_counts_tasks_per_split() -> None:
    out = agentrl("envs", "example/GuessNumber-v0")
    assert out.returncode == 0, out.stderr
    assert "│ test  │   100 │ guess: 100" in out.stdout


def test_check_env_passes_and_fails_with_exit_codes() -> None:
    ok = agentrl("check-env", "example/GuessNumber-v0", "--n-random", "50")
    assert ok.returncode == 0, ok.stdout
    assert "passed all checks" in ok.stdout
    broken = agentrl("check-env", "example/GuessNumber-v0", "-k", "high=0")
    assert broken.returncode == 1
    assert "FAIL" in broken.stdout


def test_play_runs_an_expert_episode() -> None:
    out = agentrl("play", "example/GuessNumber-v0", "--policy", "expert")
    assert out.returncode == 0, out.stderr
    assert "success True" in out.stdout


@pytest.mark.parametrize(("text", "needle"), [
    ("env:\n  id: example/GuessNumber-v0\ntrainer:\n  lrr: 1\n", "unknown key 'trainer.lrr'"),
    ("env:\n  id: example/GuessNumber-v0\ntrainer:\n  lr: fast\n", "'trainer.lr'"),
    ("trainer:\n  lr: 0.1\n", "missing required key 'env'"),
    ("env:\n  id: [oops\n", "invalid YAML"),
    ("env:\n  id: example/GuesNumber-v0\n", "Did you mean 'example/GuessNumber-v0'?"),
])
def test_config_validate_user_errors(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    out = agentrl("config", "validate", str(path))
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("error: ") and needle in lines[0]
    assert "Traceback" not in out.stderr + out.stdout


def test_config_show_prints_the_resolved_config(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("env:\n  id: example/GuessNumber-v0\n")
    out = agentrl("config", "show", str(path), "rollout.group_size=4")
    assert out.returncode == 0, out.stderr
    assert "group_size: 4" in out.stdout and "name: ok" in out.stdout
    valid = agentrl("config", "validate", str(path))
    assert valid.returncode == 0 and "is valid" in valid.stdout


def test_unknown_env_is_a_user_error() -> None:
    out = agentrl("check-env", "nobody/Nothing-v0")
    assert out.returncode == 2
    assert out.stderr.startswith("error: unknown environment 'nobody/Nothing-v0'")
    assert "Traceback" not in out.stderr


def test_rollout_command_writes_episodes(tmp_path: Path) -> None:
    cfg = tmp_path / "guess.yaml"
    cfg.write_text("env:\n  id: example/GuessNumber-v0\nrollout:\n  group_size: 2\n")
    out_file = tmp_path / "eps.jsonl"
    out = agentrl("rollout", str(cfg), "--policy", "expert", "-n", "3", "-o", str(out_file))
    assert out.returncode == 0, out.stderr
    assert "wrote 6 episodes" in out.stdout and "success 1.000" in out.stdout
    from agentrl.types import read_episodes

    episodes = list(read_episodes(out_file))
    assert len(episodes) == 6 and len({e.group_id for e in episodes}) == 3
    missing_model = agentrl("rollout", str(cfg), "-n", "1", "-o", str(out_file))
    assert missing_model.returncode == 2
    assert "needs a trained checkpoint" in missing_model.stderr
