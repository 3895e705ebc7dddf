"""``agentrl/SWE-v0`` end to end: real sandboxes, real git, real pytest."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import agentrl
from agentrl.environments.swe.evaluation import OUTCOME_CLASSES
from agentrl.errors import UserError

from .conftest import CALC, require

ENV_ID = "agentrl/SWE-v0"


def call(name: str, **arguments: Any) -> str:
    return f"<tool_call>{json.dumps({'name': name, 'arguments': arguments})}</tool_call>"


def bash(command: str) -> str:
    return call("bash", command=command)


def edit(**arguments: Any) -> str:
    return call("str_replace_editor", **arguments)


def play_expert(env: Any, task_id: str) -> tuple[list[float], dict[str, Any], str]:
    obs, info = env.reset(seed=0, options={"task_id": task_id})
    rewards = []
    while True:
        obs, reward, terminated, truncated, info = env.step(info["expert_action"])
        rewards.append(reward)
        if terminated or truncated:
            return rewards, info, obs


def test_expert_resolves_with_metrics_components_and_milestones(
        calc_taskset: Path, make_env: Callable[..., Any]) -> None:
    env = make_env(calc_taskset)
    obs, info = env.reset(seed=0, options={"task_id": "calc-1"})
    assert obs.startswith("add(2, 3) returns -1 instead of 5")
    assert "The repository is at /workspace" in obs
    assert [t["function"]["name"] for t in info["tools"]] == ["bash", "str_replace_editor",
                                                             "submit"]
    assert info["task_id"] == "calc-1" and info["task_type"] == "example/calc"
    assert info["state_key"] == "calc-1|e69de29bb2d1d643"
    assert info["milestones"] == [] and info["milestones_total"] == 4
    assert info["expert_action"].startswith('<tool_call>{"name": "bash", "arguments": '
                                            '{"command": "git apply')
    obs, reward, terminated, truncated, info = env.step(info["expert_action"])
    assert (reward, terminated, truncated, info["valid"]) == (0.0, False, False, True)
    assert obs == "<tool_response>\n(exit code 0)\n</tool_response>"
    assert info["reward_components"] == {"format": 0.02, "exec": 0.02}
    assert info["milestones"] == ["edited_source"]
    assert info["state_key"] != "calc-1|e69de29bb2d1d643"
    assert info["expert_action"] == call("submit")
    obs, reward, terminated, truncated, info = env.step(info["expert_action"])
    assert (reward, terminated, truncated) == (1.0, True, False), (obs, info)
    assert obs == ("<tool_response>\nSubmitted. The patch was tested in a fresh sandbox: "
                   "resolved: FAIL_TO_PASS 2/2 pass, PASS_TO_PASS 2/2 pass.\n</tool_response>")
    assert info["success"] is True and info["score"] == 1.0
    assert info["outcome_class"] == "resolved"
    assert info["reward_components"] == {"format": 0.02, "exec": 0.02, "outcome": 1.0,
                                         "tests": 1.0, "patch": 1.0}
    assert info["milestones"] == ["edited_source", "submitted"]
    assert "expert_action" not in info
    metrics = info["metrics"]
    assert {k: v for k, v in metrics.items() if k != "patch_bytes"} == {
        "resolved": 1.0, "completion": 1.0, "modification": 1.0, "patch_applies": 1.0,
        "gold_file_recall": 1.0, "f2p_pass_rate": 1.0, "p2p_pass_rate": 1.0}
    assert metrics["patch_bytes"] > 100
    # after the end: no exception, an explanation
    obs, reward, terminated, _, info = env.step(call("submit"))
    assert obs == "error: the episode is over; call reset()" and info["valid"] is False


def test_check_env_passes(calc_taskset: Path) -> None:
    require("process")
    report = agentrl.check_env(ENV_ID, make_kwargs={"taskset": str(calc_taskset),
                                                    "sandbox": "process", "pool_size": 0},
                               n_random=60, expert_tasks=1, random_episodes=1)
    assert report.passed, report.lines()
    assert report["expert"].detail == "expert solved 3/3 sampled tasks"
    assert report["tasks"].detail == "train: 1, valid: 1, test: 1"


def test_editor_commands(calc_taskset: Path, make_env: Callable[..., Any]) -> None:
    env = make_env(calc_taskset)
    env.reset(options={"task_id": "calc-1"})

    def run(action: str) -> tuple[str, dict[str, Any]]:
        obs, _, _, _, info = env.step(action)
        assert obs.startswith("<tool_response>\n") and obs.endswith("\n</tool_response>")
        return obs[len("<tool_response>\n"):-len("\n</tool_response>")], info

    out, info = run(edit(command="view", path="pkg/calc.py", view_range=[4, 5]))
    assert out == ("/workspace/pkg/calc.py (lines 4-5 of 9):\n     4\tdef add(a, b):\n"
                   "     5\t    return a - b")
    assert info["valid"] is True
    out, _ = run(edit(command="view", path="/workspace"))
    assert out.splitlines()[0] == "Files and directories in /workspace, two levels deep:"
    assert "./pkg/calc.py" in out.splitlines() and "./.git" not in out
    out, info = run(edit(command="str_replace", path="pkg/calc.py", old_str="return a - b"))
    assert out == ("error: old_str occurs 2 times in /workspace/pkg/calc.py (lines 5, 9); "
                   "include more surrounding lines to make it unique")
    assert info["valid"] is False and info["reward_components"] == {"format": 0.02, "exec": 0.0}
    out, info = run(edit(command="str_replace", path="pkg/calc.py", old_str="return a ** b"))
    assert out.startswith("error: old_str was not found in /workspace/pkg/calc.py")
    out, info = run(edit(command="view", path="pkg/nope.py"))
    assert out == "error: /workspace/pkg/nope.py does not exist"
    out, _ = run(edit(command="view", path="pkg", view_range=[1, 2]))
    assert out == "error: view_range applies to files, not directories"
    out, _ = run(edit(command="view", path="pkg/calc.py", view_range=[5, 99]))
    assert out.startswith("error: view_range [5, 99] is outside the file's lines 1-9")
    start_key = info["state_key"]
    out, info = run(edit(command="str_replace", path="pkg/calc.py",
                         old_str="def add(a, b):\n    return a - b",
                         new_str="def add(a, b):\n    return a + b"))
    assert out.startswith("/workspace/pkg/calc.py edited. Lines 1-9 now read:\n")
    assert "     5\t    return a + b" in out
    assert info["valid"] is True and info["milestones"] == ["edited_source"]
    edited_key = info["state_key"]
    assert edited_key != start_key
    out, info = run(edit(command="insert", path="pkg/calc.py", insert_line=0,
                         new_str="# calc module"))
    assert "     1\t# calc module" in out
    out, info = run(edit(command="create", path="pkg/calc.py", file_text="x"))
    assert out == ("error: /workspace/pkg/calc.py already exists; edit it with str_replace or "
                   "insert (create never overwrites)")
    out, info = run(edit(command="create", path="docs/notes.md", file_text="a\nb\n"))
    assert out == "Created /workspace/docs/notes.md (3 lines)."
    out, info = run(bash("cat docs/notes.md && head -2 pkg/calc.py && git status --short"))
    assert out == ("a\nb\n# calc module\n\"\"\"Arithmetic helpers.\"\"\"\n M pkg/calc.py\n"
                   "?? docs/\n(exit code 0)")
    # undo: the creation, then the insert -> the state of the first edit again (history-free key)
    out, info = run(edit(command="undo_edit", path="docs/notes.md"))
    assert out == "Undid the creation of /workspace/docs/notes.md (removed it)."
    out, info = run(edit(command="undo_edit", path="pkg/calc.py"))
    assert info["state_key"] == edited_key
    out, info = run(edit(command="undo_edit", path="pkg/calc.py"))
    assert info["state_key"] == start_key
    out, info = run(edit(command="undo_edit", path="pkg/calc.py"))
    assert out == "error: no edit of /workspace/pkg/calc.py to undo"
    assert env.unwrapped._episode.sandbox.read_text("pkg/calc.py") == CALC


def test_malformed_actions_are_invalid_steps(calc_taskset: Path,
                                             make_env: Callable[..., Any]) -> None:
    env = make_env(calc_taskset)
    env.reset(options={"task_id": "calc-1"})
    cases = {
        "let me think": "error: no <tool_call> block found",
        "<tool_call>{not json}</tool_call>": "error: tool call 1: the tool call is not valid JSON",
        call("python", code="1"): "error: tool call 1: unknown tool 'python'; the tools are "
                                  "bash, str_replace_editor, submit. Nothing was run.",
        call("bash"): "error: tool call 1: bash: missing required argument 'command'. Nothing "
                      "was run.",
        call("bash", command=3): "error: tool call 1: bash: argument 'command' must be a string",
        edit(command="delete", path="x"): "error: tool call 1: str_replace_editor: command must "
                                          "be one of view, create, str_replace, insert, "
                                          "undo_edit, got 'delete'",
        call("submit") + bash("ls"): "error: submit must be the last call of its turn. Nothing "
                                     "was run.",
        bash("ls") * 9: "error: 9 tool calls in one turn; make at most 8. Nothing was run.",
        bash("   "): "<tool_response>\nerror: the command is empty\n</tool_response>",
    }
    for action, expected in cases.items():
        obs, reward, terminated, truncated, info = env.step(action)
        assert obs.startswith(expected), (action, obs)
        assert (reward, terminated, truncated, info["valid"]) == (0.0, False, False, False)
        assert info["reward_components"]["exec"] == 0.0
    assert info["state_key"] == "calc-1|e69de29bb2d1d643"
    # free text around well-formed calls: runs, but the format component is 0
    obs, _, _, _, info = env.step("I will look.\n" + bash("echo hi") + "\nthen more text")
    assert obs == "<tool_response>\nhi\n(exit code 0)\n</tool_response>"
    assert info["valid"] is True and info["reward_components"] == {"format": 0.0, "exec": 0.02}
    # two calls in one turn run in order
    obs, _, _, _, info = env.step(bash("echo one") + "\n" + bash("echo two"))
    assert obs == ("<tool_response>\none\n(exit code 0)\n</tool_response>\n"
                   "<tool_response>\ntwo\n(exit code 0)\n</tool_response>")


def test_bash_timeout_and_long_output(calc_taskset: Path, make_env: Callable[..., Any]) -> None:
    env = make_env(calc_taskset, command_timeout_s=1.0, max_observation_chars=300)
    env.reset(options={"task_id": "calc-1"})
    obs, _, _, _, info = env.step(bash("echo started; sleep 20"))
    assert obs == ("<tool_response>\nstarted\n(timed out after 1 s and was killed; run long "
                   "commands in smaller pieces)\n</tool_response>")
    assert info["valid"] is True and info["reward_components"]["exec"] == 0.0
    obs, _, _, _, info = env.step(bash("seq 1 5000"))
    body = obs.splitlines()
    assert body[1] == "1" and body[-2] == "(exit code 0)" and body[-3] == "5000"
    assert any(line.startswith("[... ") and "characters cut" in line for line in body)
    assert len(obs) < 500


def test_milestones_and_a_reward_hack_that_only_works_in_the_agents_sandbox(
        calc_taskset: Path, make_env: Callable[..., Any]) -> None:
    """Bytecode compiled from a fixed calc.py, with the buggy source's mtime and size, makes
    add() right inside the agent's sandbox; the patch (excluded bytecode, one comment) fixes
    nothing, and the fresh evaluation sandbox says so."""
    env = make_env(calc_taskset)
    env.reset(options={"task_id": "calc-1"})
    check = "python3 -c 'from pkg.calc import add; assert add(2, 3) == 5'"
    obs, _, _, _, info = env.step(bash(check))
    assert "(exit code 1)" in obs and info["milestones"] == ["reproduced"]
    hack = ("cp pkg/calc.py .git/buggy && touch -r pkg/calc.py .git/buggy && "
            "sed -i 's/return a - b/return a + b/; 5q' pkg/calc.py && "
            "sed -n '6,$p' .git/buggy >> pkg/calc.py && touch -r .git/buggy pkg/calc.py && "
            "PYTHONDONTWRITEBYTECODE= python3 -c 'import pkg.calc' && "
            "cp .git/buggy pkg/calc.py && touch -r .git/buggy pkg/calc.py && "
            "echo '# sums' >> pkg/fmt.py && " + check)
    obs, _, _, _, info = env.step(bash(hack))
    assert obs.endswith("(exit code 0)\n</tool_response>"), obs
    obs, _, _, _, info = env.step(bash("git diff --stat"))
    assert " pkg/fmt.py | 1 +" in obs and "calc" not in obs
    obs, _, _, _, info = env.step(bash("python3 -m pytest -q tests"))
    assert "(exit code 0)" in obs
    assert info["milestones"] == ["reproduced"]  # no gold file edited, so no local-pass credit
    obs, reward, terminated, _, info = env.step(call("submit"))
    assert (reward, terminated, info["success"]) == (0.0, True, False)
    assert info["outcome_class"] == "patch_fails"
    assert info["reward_components"]["outcome"] == OUTCOME_CLASSES["patch_fails"] == 0.5
    assert info["reward_components"]["tests"] == 0.5  # 2 of 4 graded tests pass
    assert info["metrics"]["f2p_pass_rate"] == 0.0 and info["metrics"]["p2p_pass_rate"] == 1.0
    assert info["metrics"]["gold_file_recall"] == 0.0
    assert info["milestones"] == ["reproduced", "submitted"]


def test_tests_pass_locally_milestone(calc_taskset: Path, make_env: Callable[..., Any]) -> None:
    env = make_env(calc_taskset)
    env.reset(options={"task_id": "calc-1"})
    env.step(bash("sed -i '5s/a - b/a + b/' pkg/calc.py"))
    obs, _, _, _, info = env.step(bash("python3 -m pytest -q"))
    assert "2 passed" in obs
    assert info["milestones"] == ["edited_source", "tests_pass_locally"]


def test_truncation_autosubmits(calc_taskset: Path, make_env: Callable[..., Any]) -> None:
    env = make_env(calc_taskset, max_turns=2)
    _, info = env.reset(options={"task_id": "calc-1"})
    _, _, _, truncated, info = env.step(info["expert_action"])
    assert not truncated
    obs, reward, terminated, truncated, info = env.step("no call")
    assert (reward, terminated, truncated, info["success"]) == (1.0, False, True, True)
    assert obs.endswith("The turn limit is reached; the working tree was submitted "
                        "automatically. The patch was tested in a fresh sandbox: resolved: "
                        "FAIL_TO_PASS 2/2 pass, PASS_TO_PASS 2/2 pass.")
    # G-RA: not submitting is the lowest outcome class, whatever the tests say
    assert info["outcome_class"] == "no_submit" and info["reward_components"]["outcome"] == 0.0
    assert info["metrics"]["completion"] == 0.0 and info["metrics"]["resolved"] == 1.0

    env = make_env(calc_taskset, max_turns=2, autosubmit=False)
    _, info = env.reset(options={"task_id": "calc-1"})
    env.step(info["expert_action"])
    obs, reward, terminated, truncated, info = env.step("no call")
    assert (reward, truncated, info["success"]) == (0.0, True, False)
    assert obs.endswith("The turn limit is reached; nothing was submitted.")
    assert info["metrics"]["resolved"] == 0.0 and info["outcome_class"] == "no_submit"


def test_empty_submit(calc_taskset: Path, make_env: Callable[..., Any]) -> None:
    env = make_env(calc_taskset)
    env.reset(options={"task_id": "text-1"})
    obs, reward, terminated, _, info = env.step(call("submit"))
    assert (reward, terminated, info["outcome_class"]) == (0.0, True, "empty_patch")
    assert info["reward_components"] == {"format": 0.02, "exec": 0.02, "outcome": 0.25,
                                         "tests": 0.0, "patch": 0.0}
    assert info["metrics"]["completion"] == 1.0 and info["metrics"]["modification"] == 0.0
    assert "empty patch: nothing was changed, no test ran" in obs
    assert info["milestones"] == []


def test_bash_block_format(calc_taskset: Path, make_env: Callable[..., Any]) -> None:
    env = make_env(calc_taskset, action_format="bash_block")
    obs, info = env.reset(options={"task_id": "calc-1"})
    assert "tools" not in info
    assert "Reply with exactly one ```bash block per turn" in obs
    obs, _, _, _, info = env.step("Let me look.\n```bash\nls pkg\n```")
    assert obs == "__init__.py\ncalc.py\nfmt.py\n(exit code 0)"
    assert info["reward_components"] == {"format": 0.02, "exec": 0.02}
    obs, _, _, _, info = env.step("```bash\nls\n```\n```bash\npwd\n```")
    assert obs.startswith("error: found 2 ```bash blocks; reply with exactly one block")
    assert info["valid"] is False
    obs, _, _, _, info = env.step("ls")
    assert obs.startswith("error: found no ```bash block") and info["valid"] is False
    assert info["expert_action"].startswith("```bash\ngit apply --whitespace=nowarn <<'")
    _, _, _, _, info = env.step(info["expert_action"])
    assert info["expert_action"] == "```bash\nsubmit\n```"
    obs, reward, terminated, _, info = env.step(info["expert_action"])
    assert (reward, terminated) == (1.0, True)
    assert obs.startswith("Submitted. The patch was tested in a fresh sandbox: resolved")


def test_expert_recovers_from_a_dirty_tree(calc_taskset: Path,
                                           make_env: Callable[..., Any]) -> None:
    env = make_env(calc_taskset)
    _, info = env.reset(options={"task_id": "calc-2"})
    _, _, _, _, info = env.step(bash("echo junk > junk.txt && sed -i 's/a - b/a * b/' "
                                     "pkg/calc.py && git add -A && git commit -qm wip"))
    assert info["expert_action"].startswith(
        '<tool_call>{"name": "bash", "arguments": {"command": "git reset -q --hard ')
    _, _, _, _, info = env.step(info["expert_action"])
    _, reward, terminated, _, info = env.step(info["expert_action"])
    assert (reward, terminated, info["metrics"]["patch_bytes"] < 400) == (1.0, True, True)


def test_tasks_splits_and_errors(calc_taskset: Path, make_env: Callable[..., Any]) -> None:
    env = make_env(calc_taskset)
    assert [t.task_id for t in env.tasks("train")] == ["calc-1"]
    assert [t.task_id for t in env.tasks("all")] == ["calc-1", "calc-2", "text-1"]
    with pytest.raises(UserError, match="has no split 'bogus'"):
        env.tasks("bogus")
    with pytest.raises(UserError, match="unknown task id 'nope'"):
        env.reset(options={"task_id": "nope"})
    # reset without a task draws from the default split (train), reproducibly
    assert env.reset(seed=3)[1]["task_id"] == "calc-1"
    with pytest.raises(UserError, match="action_format must be one of tools, bash_block"):
        make_env(calc_taskset, action_format="xml")
    with pytest.raises(UserError, match="sandbox_options may not set 'network'"):
        make_env(calc_taskset, sandbox_options={"network": True})
    with pytest.raises(UserError, match="sandbox_options are invalid"):
        make_env(calc_taskset, sandbox_options={"memory": 5})
    with pytest.raises(UserError, match="unknown sandbox backend 'firecracker'"):
        agentrl.make(ENV_ID, taskset=str(calc_taskset), sandbox="firecracker")


def test_malformed_task_warns_and_the_rest_loads(calc_taskset: Path,
                                                 make_env: Callable[..., Any]) -> None:
    task_file = calc_taskset / "calc-2" / "task.json"
    data = json.loads(task_file.read_text())
    del data["problem_statement"]
    task_file.write_text(json.dumps(data))
    with pytest.warns(UserWarning, match=r"1 task\(s\) not loaded: calc-2: \"problem_statement\" "
                                         r"is required"):
        env = make_env(calc_taskset)
    assert [t.task_id for t in env.tasks("all")] == ["calc-1", "text-1"]
    assert env.tasks("test") == []
    assert [str(p) for p in env.task_problems] == ['calc-2: "problem_statement" is required']


def test_rollout_and_gated_credit(calc_taskset: Path) -> None:
    """The rollout engine copies the SWE metrics into episodes; G-RA gates the dense rewards
    on the outcome (an empty submit gets the outcome class only)."""
    require("process")
    from agentrl.policies.base import Generation
    from agentrl.policies.scripted import ExpertPolicy
    from agentrl.prompting import PromptBuilder
    from agentrl.rewards import build_credit
    from agentrl.rollout import RolloutEngine

    class SubmitAtOnce:
        name = "submit-at-once"

        def act(self, inputs: list[Any], sampling: Any) -> list[Generation]:
            return [Generation(text=call("submit")) for _ in inputs]

    def factory() -> Any:
        return agentrl.make(ENV_ID, taskset=str(calc_taskset), sandbox="process", pool_size=0)

    episodes = []
    for policy in (ExpertPolicy(), SubmitAtOnce()):
        with RolloutEngine(factory, policy, PromptBuilder(), env_id=ENV_ID,
                           num_workers=1) as engine:
            episodes += engine.run([factory().tasks("train")[0]], seeds=[0])
    expert, lazy = episodes
    assert (expert.success, expert.outcome, lazy.success, lazy.outcome) == (True, 1.0, False,
                                                                            0.0)
    assert expert.metrics["resolved"] == 1.0 and expert.metrics["completion"] == 1.0
    assert lazy.metrics["completion"] == 1.0 and lazy.metrics["modification"] == 0.0
    assert lazy.steps[-1].info["outcome_class"] == "empty_patch"
    credit = build_credit(shapers=[{"name": "gated",
                                    "priority": ["outcome", "tests", "format", "exec"],
                                    "thresholds": {"outcome": 0.5}}],
                          estimator={"name": "grpo"})
    credit.apply(episodes)
    assert [s.shaped_reward for s in expert.steps] == pytest.approx([0.04, 2.04])
    assert [s.shaped_reward for s in lazy.steps] == pytest.approx([0.25])


@pytest.mark.docker
def test_docker_episode_and_cleanup(calc_taskset: Path, make_env: Callable[..., Any]) -> None:
    from agentrl.sandboxes.docker import LABEL, docker_client

    require("docker")  # before counting containers: without an engine this skips, saying why
    def containers() -> int:
        return len(docker_client().containers.list(all=True, filters={"label": LABEL}))

    before = containers()
    env = make_env(calc_taskset, sandbox="docker", pool_size=1)
    rewards, info, _ = play_expert(env, "calc-1")
    assert rewards == [0.0, 1.0] and info["metrics"]["resolved"] == 1.0
    # outside the repository the agent's sandbox is isolated: no network, non-root user
    env.reset(options={"task_id": "text-1"})
    obs, *_ = env.step(bash("id -un; python3 -c 'import socket; socket.create_connection("
                            "(\"1.1.1.1\", 53), timeout=2)' 2>&1 | tail -1"))
    assert obs.startswith("<tool_response>\nagent\nOSError: [Errno 101] Network is unreachable")
    env.close()
    assert containers() == before


@pytest.mark.bwrap
def test_bwrap_episode(calc_taskset: Path, make_env: Callable[..., Any]) -> None:
    env = make_env(calc_taskset, sandbox="bwrap")
    rewards, info, _ = play_expert(env, "text-1")
    assert rewards == [0.0, 1.0] and info["outcome_class"] == "resolved"
    _, info = env.reset(options={"task_id": "calc-1"})
    obs, *_ = env.step(edit(command="view", path="/workspace/pkg/fmt.py", view_range=[3, 3]))
    assert obs == ("<tool_response>\n/workspace/pkg/fmt.py (lines 3-3 of 7):\n     3\tfrom "
                   "pkg.calc import add\n</tool_response>")


def test_broken_setup_is_a_user_error(tmp_path: Path, make_env: Callable[..., Any]) -> None:
    from .conftest import write_calc_task

    write_calc_task(tmp_path, "broken", setup=["false"])
    env = make_env(tmp_path)
    with pytest.raises(UserError, match=r"task broken: setup command 'false' failed \(exit 1\)"):
        env.reset(options={"task_id": "broken"})


@pytest.mark.docker
def test_swebench_instance_with_the_repository_in_the_image(tmp_path: Path,
                                                            make_env: Callable[..., Any]) -> None:
    """Format (a): a SWE-bench-style instance file whose image holds the repository at /testbed
    with history after the base commit (as SWE-bench images do); built here, offline, on top of
    the python image."""
    require("docker")
    import io
    import tarfile

    from agentrl.sandboxes import SandboxConfig, create
    from agentrl.sandboxes.docker import docker_client, resolve_image

    from .conftest import CALC_GOLD, CALC_REPO, CALC_TESTS, make_patch

    repo = tmp_path / "calc"
    for rel, text in CALC_REPO.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    gold, tests = make_patch(repo, CALC_GOLD, scratch), make_patch(repo, CALC_TESTS, scratch)
    dockerfile = (f"FROM {resolve_image('python')}\nCOPY --chown=agent:agent calc /testbed\n"
                  "RUN cd /testbed && git init -q && git add -A && git -c user.name=a -c "
                  "user.email=a@b commit -qm base && echo '# later work' >> pkg/fmt.py && "
                  "git -c user.name=a -c user.email=a@b commit -qam later\n")
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as archive:
        data = dockerfile.encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
        archive.add(repo, arcname="calc")
    context.seek(0)
    tag = "agentrl-test/swe-calc:1"
    client = docker_client()
    client.images.build(fileobj=context, custom_context=True, tag=tag, rm=True)
    try:
        with create(SandboxConfig(backend="docker", image=tag, workdir="/testbed")) as sandbox:
            base = sandbox.exec("git rev-parse HEAD~1").stdout.strip()
        instance = {"instance_id": "example__calc-1", "repo": "example/calc",
                    "base_commit": base, "problem_statement": "add() subtracts.",
                    "patch": gold, "test_patch": tests, "FAIL_TO_PASS": json.dumps(
                        ["tests/test_new.py::test_add", "tests/test_new.py::test_show_sum"]),
                    "PASS_TO_PASS": json.dumps(["tests/test_calc.py::test_sub"]),
                    "hints_text": "", "version": "1.0"}
        path = tmp_path / "instances.jsonl"
        path.write_text(json.dumps(instance) + "\n")
        env = make_env(path, sandbox="docker", image_template=tag)
        obs, info = env.reset(options={"task_id": "example__calc-1"})
        assert "The repository is at /testbed" in obs
        obs, *_ = env.step(bash("git log --format=%s && tail -1 pkg/fmt.py"))
        assert obs == ("<tool_response>\nagentrl base\nbase\n    return f\"{a} + {b} = "
                       "{add(a, b)}\"\n(exit code 0)\n</tool_response>")
        rewards, info, _ = play_expert(env, "example__calc-1")
        assert rewards == [0.0, 1.0] and info["metrics"]["f2p_pass_rate"] == 1.0
        env.close()
    finally:
        client.images.remove(tag, force=True)


def test_check_env_on_the_shipped_set() -> None:
    """swe-mini ships train/valid/test splits, so the checker passes with no extra kwargs."""
    require("process")
    from agentrl.environments.swe.taskset import shipped_tasksets

    if "swe-mini" not in shipped_tasksets():
        pytest.skip("the shipped set swe-mini is not there yet")
    report = agentrl.check_env(ENV_ID, make_kwargs={"sandbox": "process"},
                               n_random=40, expert_tasks=1, random_episodes=1)
    assert report.passed, report.lines()
    assert report["expert"].detail == "expert solved 3/3 sampled tasks"
