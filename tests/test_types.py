"""Episode records: lossless JSON round trip, streaming JSONL, crash safety, clear errors."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from agentrl.errors import EpisodeFormatError
from agentrl.types import Episode, EpisodeWriter, Step, Task, read_episodes, write_episodes


def _episode(i: int, with_tokens: bool = True) -> Episode:
    steps = [
        Step(observation=f"obs {i}.{t} ünïcode 🙂", action=f"go to desk {t}",
             reward=0.5 * t, valid=t != 1, state_key=f"s{t}", milestones=["found"][: t],
             reward_components={"format": 1.0, "exec": -0.25}, info={"k": [1, {"a": None}]},
             prompt_ids=[1, 2, 3] if with_tokens else None,
             response_ids=[4, 5] if with_tokens else None,
             logprobs=[-0.1, -2.5] if with_tokens else None,
             shaped_reward=0.25 if t else None, advantage=-1.5 if t else None)
        for t in range(3)
    ]
    return Episode(episode_id=f"e{i}", group_id=f"g{i // 2}", task_id=f"t{i // 2}",
                   env="agentrl/Household-v0", seed=3, steps=steps, outcome=1.0, success=True,
                   terminated=True, truncated=False, metrics={"len": 3}, task_type="pick")


def test_round_trip_is_lossless_and_matches_the_documented_record() -> None:
    ep = _episode(0)
    data = ep.to_dict()
    assert list(data) == ["episode_id", "group_id", "task_id", "env", "seed", "steps", "outcome",
                          "success", "terminated", "truncated", "metrics", "task_type"]
    assert list(data["steps"][1]) == [
        "observation", "action", "reward", "valid", "state_key", "milestones",
        "reward_components", "info", "prompt_ids", "response_ids", "logprobs", "shaped_reward",
        "advantage"]
    # unset optional fields are omitted, not written as null
    assert "shaped_reward" not in data["steps"][0] and "advantage" not in data["steps"][0]
    assert Episode.from_dict(json.loads(json.dumps(data))) == ep
    no_tokens = _episode(1, with_tokens=False).to_dict()
    assert "prompt_ids" not in no_tokens["steps"][0]


def test_unknown_keys_survive_a_round_trip() -> None:
    data = _episode(0).to_dict()
    data["future_field"] = {"x": 1}
    data["steps"][0]["projected"] = True
    ep = Episode.from_dict(data)
    assert ep.extra == {"future_field": {"x": 1}}
    assert ep.steps[0].extra == {"projected": True}
    assert ep.to_dict() == data


def test_jsonl_streaming_and_append(tmp_path: Path) -> None:
    path = tmp_path / "eps.jsonl"
    assert write_episodes(path, [_episode(i) for i in range(3)]) == 3
    write_episodes(path, [_episode(3)], append=True)
    eps = list(read_episodes(path))
    assert [e.episode_id for e in eps] == ["e0", "e1", "e2", "e3"]
    assert eps[2] == _episode(2)
    assert len(path.read_text().splitlines()) == 4


def test_crash_mid_write_never_corrupts_earlier_lines(tmp_path: Path) -> None:
    path = tmp_path / "eps.jsonl"
    write_episodes(path, [_episode(0), _episode(1)])
    good = path.read_bytes()
    line = json.dumps(_episode(2).to_dict())
    with open(path, "ab") as fh:  # a process died half-way through writing episode 2
        fh.write(line[: len(line) // 2].encode())
    with pytest.warns(UserWarning, match="incomplete last line"):
        assert [e.episode_id for e in read_episodes(path)] == ["e0", "e1"]
    with pytest.warns(UserWarning, match="dropped an incomplete last line"), \
            EpisodeWriter(path) as writer:
        writer.write(_episode(3))
    assert path.read_bytes().startswith(good)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [e.episode_id for e in read_episodes(path)] == ["e0", "e1", "e3"]


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d.pop("task_id"), "jsonl:2: episode is missing required field 'task_id'"),
    (lambda d: d["steps"][1].update(reward="high"), "jsonl:2: steps[1].reward must be a number"),
    (lambda d: d["steps"][0].update(valid=1), "jsonl:2: steps[0].valid must be a boolean"),
    (lambda d: d["steps"].append(7), "jsonl:2: steps[3] must be a JSON object"),
    (lambda d: d.update(outcome=True), "jsonl:2: episode.outcome must be a number, got a boolean"),
])
def test_bad_records_name_line_and_field(tmp_path: Path, mutate, message: str) -> None:
    bad = _episode(1).to_dict()
    mutate(bad)
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(_episode(0).to_dict()) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(EpisodeFormatError, match=message.replace("[", r"\[").replace("]", r"\]")):
        list(read_episodes(path))


def test_invalid_json_mid_file_is_an_error_not_skipped(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"episode_id": \n' + json.dumps(_episode(0).to_dict()) + "\n")
    with pytest.raises(EpisodeFormatError, match=r"bad.jsonl:1: not valid JSON"):
        list(read_episodes(path))


def test_non_finite_numbers_are_refused_on_write(tmp_path: Path) -> None:
    ep = _episode(0)
    ep.steps[2].advantage = float("nan")
    with pytest.raises(ValueError, match=r"episode.steps\[2\].advantage is not finite"):
        write_episodes(tmp_path / "x.jsonl", [ep])


def test_task_round_trip() -> None:
    task = Task(task_id="t1", split="test", task_type="pick_and_place",
                instruction="put a apple in fridge", data={"seed": 4})
    assert Task.from_dict(task.to_dict()) == task
