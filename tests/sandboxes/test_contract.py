"""The Sandbox contract (DESIGN.md 3.2), checked the same way on every backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentrl.sandboxes import SandboxClosedError

from .conftest import BACKENDS, ISOLATING


@pytest.mark.parametrize("backend", BACKENDS)
def test_exec_returns_exit_code_and_separate_streams(make_sandbox, backend):
    sandbox = make_sandbox(backend)
    result = sandbox.exec("echo out; echo err >&2; exit 3", timeout=30)
    assert (result.exit_code, result.stdout, result.stderr) == (3, "out\n", "err\n")
    assert result.timed_out is False
    assert 0 < result.duration_s < 30
    assert not result.ok
    argv = sandbox.exec(["printf", "%s|", "a b", "c"], timeout=30)
    assert argv.stdout == "a b|c|"
    assert argv.ok


@pytest.mark.parametrize("backend", BACKENDS)
def test_exec_workdir_and_env(make_sandbox, backend):
    sandbox = make_sandbox(backend, env={"FROM_CONFIG": "1"})
    sandbox.exec("mkdir -p sub/dir", timeout=30)
    result = sandbox.exec('pwd; echo "$FROM_CONFIG $FROM_CALL"', timeout=30, workdir="sub/dir",
                          env={"FROM_CALL": "2"})
    lines = result.stdout.splitlines()
    assert lines[0].endswith("/sub/dir")
    assert lines[1] == "1 2"


@pytest.mark.parametrize("backend", BACKENDS)
def test_write_and_read_files(make_sandbox, backend):
    sandbox = make_sandbox(backend)
    payload = bytes(range(256)) * 10
    sandbox.write_file("deep/nested/blob.bin", payload)
    sandbox.write_file("script.sh", "echo from script\n", mode=0o755)
    assert sandbox.read_file("deep/nested/blob.bin") == payload
    assert sandbox.read_file(f"{sandbox.config.workdir}/deep/nested/blob.bin") == payload
    assert sandbox.exec("./script.sh", timeout=30).stdout == "from script\n"
    assert sandbox.exec("wc -c < deep/nested/blob.bin", timeout=30).stdout.strip() == "2560"
    sandbox.exec("echo written-inside > inside.txt", timeout=30)
    assert sandbox.read_text("inside.txt") == "written-inside\n"
    with pytest.raises(FileNotFoundError):
        sandbox.read_file("does/not/exist.txt")


@pytest.mark.parametrize("backend", BACKENDS)
def test_copy_in_and_out_round_trip_a_tree(make_sandbox, backend, tmp_path: Path):
    src = tmp_path / "src"
    (src / "pkg" / "sub").mkdir(parents=True)
    (src / "pkg" / "__init__.py").write_text("")
    (src / "pkg" / "sub" / "data.txt").write_text("x" * 5000)
    (src / "README").write_text("hello\n")
    sandbox = make_sandbox(backend)
    sandbox.copy_in(src, "repo")
    listing = sandbox.exec("cd repo && find . -type f | sort", timeout=30).stdout.split()
    assert listing == ["./README", "./pkg/__init__.py", "./pkg/sub/data.txt"]
    sandbox.exec("echo new > repo/pkg/created.txt", timeout=30)
    out = tmp_path / "out"
    sandbox.copy_out("repo", out)
    assert (out / "README").read_text() == "hello\n"
    assert (out / "pkg" / "sub" / "data.txt").read_text() == "x" * 5000
    assert (out / "pkg" / "created.txt").read_text() == "new\n"
    with pytest.raises(FileNotFoundError):
        sandbox.copy_out("no-such-dir", tmp_path / "none")


@pytest.mark.parametrize("backend", BACKENDS)
def test_output_beyond_the_limit_is_truncated_with_a_marker(make_sandbox, backend):
    sandbox = make_sandbox(backend, max_output_bytes=4096)
    result = sandbox.exec("echo FIRST; head -c 3000000 /dev/zero | tr '\\0' x; echo; echo LAST",
                          timeout=60)
    assert result.exit_code == 0
    assert result.stdout.startswith("FIRST\n")
    assert result.stdout.endswith("LAST\n")
    assert "truncated by the sandbox" in result.stdout
    assert 4096 < len(result.stdout) < 4096 + 100
    dropped = int(result.stdout.split("[... ")[1].split(" bytes")[0])
    assert dropped == 6 + 3000000 + 1 + 5 - 4096


@pytest.mark.parametrize("backend", BACKENDS)
def test_timeout_kills_the_command_and_the_sandbox_stays_usable(make_sandbox, backend):
    sandbox = make_sandbox(backend)
    result = sandbox.exec("echo started; sleep 60; echo never", timeout=1.5)
    assert result.timed_out is True
    assert result.exit_code == -1
    assert "never" not in result.stdout
    assert result.duration_s < 30
    after = sandbox.exec("echo still-alive", timeout=30)
    assert (after.exit_code, after.stdout) == (0, "still-alive\n")


@pytest.mark.parametrize("backend", BACKENDS)
def test_close_is_idempotent_and_final(make_sandbox, backend):
    sandbox = make_sandbox(backend)
    with sandbox as inside:
        assert inside.exec("true", timeout=30).exit_code == 0
    assert sandbox.closed
    sandbox.close()
    with pytest.raises(SandboxClosedError):
        sandbox.exec("true")
    with pytest.raises(SandboxClosedError):
        sandbox.read_file("x")


@pytest.mark.parametrize("backend", ISOLATING)
def test_image_runs_pytest_and_git(make_sandbox, backend):
    """The SWE tasks of the next issue run pytest on a git repository inside the sandbox."""
    sandbox = make_sandbox(backend)
    if backend == "bwrap" and sandbox.config.image == "/":
        pytest.skip("offline image rootfs not built; bwrap runs on the host's directories")
    sandbox.write_file("proj/test_math.py",
                       "def test_add():\n    assert 1 + 1 == 2\n\n"
                       "def test_fails():\n    assert 2 * 2 == 5\n")
    result = sandbox.exec(
        "cd proj && git init -q && git -c user.email=a@b -c user.name=a add -A && "
        "git -c user.email=a@b -c user.name=a commit -qm init && "
        "git log --oneline | wc -l && python3 -m pytest -q -p no:cacheprovider", timeout=120)
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[0].strip() == "1"
    assert "1 failed, 1 passed" in result.stdout


def test_unknown_backend_lists_valid_names():
    from agentrl.sandboxes import create
    from agentrl.sandboxes.registry import SandboxNotFoundError

    with pytest.raises(SandboxNotFoundError, match=r"Valid: .*bwrap.*docker.*process"):
        create(backend="dokcer")
    with pytest.raises(SandboxNotFoundError, match="Did you mean 'docker'"):
        create(backend="dokcer")
