"""Core records: ``Task``, ``Step`` and ``Episode`` (DESIGN.md section 3.3), with JSONL I/O.

Every stage (rollout, eval, credit, viewer, trainer) reads and writes the same episode record, one
episode per line of a ``.jsonl`` file::

    {"episode_id": "...", "group_id": "...", "task_id": "...", "env": "agentrl/Household-v0",
     "seed": 3, "steps": [{"observation": "...", "action": "...", "reward": 0.0, "valid": true,
     "state_key": "...", "milestones": [], "reward_components": {}, "info": {},
     "prompt_ids": [...], "response_ids": [...], "logprobs": [...],
     "shaped_reward": 0.0, "advantage": 0.0}],
     "outcome": 1.0, "success": true, "terminated": true, "truncated": false, "metrics": {}}

Serialisation is lossless: ``Episode.from_dict(ep.to_dict()) == ep``. Optional fields that are
unset (``None``) are omitted from the JSON; keys this version does not know are kept in
``extra`` and written back unchanged, so records written by newer tools survive a round trip.

Writing is append-safe: each episode is one ``write`` of a complete line, flushed, so a crash
can only ever leave a partial *last* line. :class:`EpisodeWriter` trims such a partial line
before appending, and :func:`read_episodes` skips it with a warning.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

from agentrl.errors import EpisodeFormatError

__all__ = [
    "Episode",
    "EpisodeWriter",
    "Step",
    "Task",
    "read_episodes",
    "write_episodes",
]

SPLITS = ("train", "valid", "test")


def _check_type(name: str, value: Any, kind: type | tuple[type, ...], owner: str) -> None:
    # bool is an int subclass; a float field must not silently accept true/false.
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise ValueError(f"{owner}.{name} must be {_kind_name(kind)}, got a boolean")
    if not isinstance(value, kind):
        raise ValueError(f"{owner}.{name} must be {_kind_name(kind)}, got {type(value).__name__}")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "a number", float: "a number", str: "a string", bool: "a boolean",
             list: "a list", dict: "an object", type(None): "null"}
    return " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))


class _Record:
    """Shared (de)serialisation for the dataclass records below."""

    # field name -> accepted JSON types; fields in _OPTIONAL are omitted when None.
    _TYPES: ClassVar[dict[str, type | tuple[type, ...]]] = {}
    _REQUIRED: ClassVar[tuple[str, ...]] = ()
    _OPTIONAL: ClassVar[tuple[str, ...]] = ()

    extra: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            if f.name == "extra":
                continue
            value = getattr(self, f.name)
            if value is None and f.name in self._OPTIONAL:
                continue
            if f.name == "steps":
                value = [s.to_dict() for s in value]
            out[f.name] = value
        out.update(self.extra)
        return out

    @classmethod
    def _parse(cls, data: Any, owner: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise ValueError(f"{owner} must be a JSON object, got {type(data).__name__}")
        missing = [k for k in cls._REQUIRED if k not in data]
        if missing:
            raise ValueError(f"{owner} is missing required field {missing[0]!r}")
        known = {f.name for f in fields(cls)} - {"extra"}  # type: ignore[arg-type]
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                continue
            kind = cls._TYPES.get(key)
            if kind is not None and not (value is None and key in cls._OPTIONAL):
                _check_type(key, value, kind, owner)
            kwargs[key] = value
        kwargs["extra"] = {k: v for k, v in data.items() if k not in known}
        return kwargs


@dataclass
class Task:
    """One task of an environment's task set.

    ``task_id`` is stable across runs and machines; ``task_type`` (e.g. ALFWorld's
    ``pick_and_place``) drives per-type metrics; ``instruction`` is the goal in words;
    ``data`` holds environment-specific fields needed to rebuild the task.
    """

    task_id: str
    split: str = "train"
    task_type: str | None = None
    instruction: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "split": self.split, "task_type": self.task_type,
                "instruction": self.instruction, "data": self.data}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Task:
        return cls(**{k: data[k] for k in ("task_id", "split", "task_type", "instruction", "data")
                      if k in data})


@dataclass
class Step(_Record):
    """One agent turn: what the agent saw (``observation``), what it did, and what came back.

    Token fields (``prompt_ids``, ``response_ids``, ``logprobs``) are the exact ids the model
    consumed and generated, present only when a model acted. ``shaped_reward`` and ``advantage``
    are filled by credit assignment (``agentrl.rewards``).
    """

    observation: str
    action: str
    reward: float = 0.0
    valid: bool = True
    state_key: str | None = None
    milestones: list[str] = field(default_factory=list)
    reward_components: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    prompt_ids: list[int] | None = None
    response_ids: list[int] | None = None
    logprobs: list[float] | None = None
    shaped_reward: float | None = None
    advantage: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    _TYPES: ClassVar[dict[str, type | tuple[type, ...]]] = {
        "observation": str, "action": str, "reward": (int, float), "valid": bool,
        "state_key": str, "milestones": list, "reward_components": dict, "info": dict,
        "prompt_ids": list, "response_ids": list, "logprobs": list,
        "shaped_reward": (int, float), "advantage": (int, float),
    }
    _REQUIRED: ClassVar[tuple[str, ...]] = ("observation", "action")
    _OPTIONAL: ClassVar[tuple[str, ...]] = (
        "state_key", "prompt_ids", "response_ids", "logprobs", "shaped_reward", "advantage",
    )

    @classmethod
    def from_dict(cls, data: dict[str, Any], owner: str = "step") -> Step:
        return cls(**cls._parse(data, owner))


@dataclass
class Episode(_Record):
    """A whole episode: task, seed, steps and outcome. Episodes sharing ``group_id`` share task
    and seed (GRPO/GiGPO groups)."""

    episode_id: str
    group_id: str
    task_id: str
    env: str
    seed: int | None = None
    steps: list[Step] = field(default_factory=list)
    outcome: float = 0.0
    success: bool = False
    terminated: bool = False
    truncated: bool = False
    metrics: dict[str, Any] = field(default_factory=dict)
    task_type: str | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    _TYPES: ClassVar[dict[str, type | tuple[type, ...]]] = {
        "episode_id": str, "group_id": str, "task_id": str, "env": str, "seed": int,
        "steps": list, "outcome": (int, float), "success": bool, "terminated": bool,
        "truncated": bool, "metrics": dict, "task_type": str, "error": str,
    }
    _REQUIRED: ClassVar[tuple[str, ...]] = ("episode_id", "group_id", "task_id", "env", "steps")
    _OPTIONAL: ClassVar[tuple[str, ...]] = ("seed", "task_type", "error")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Episode:
        kwargs = cls._parse(data, "episode")
        kwargs["steps"] = [Step.from_dict(s, f"steps[{i}]") for i, s in enumerate(kwargs["steps"])]
        return cls(**kwargs)

    @property
    def num_steps(self) -> int:
        return len(self.steps)

    @property
    def total_reward(self) -> float:
        return float(sum(s.reward for s in self.steps))


# ---------------------------------------------------------------------------------------------
# JSONL I/O
# ---------------------------------------------------------------------------------------------


def _dumps(episode: Episode) -> str:
    # allow_nan=False: NaN/inf are not JSON; they would make the file unreadable elsewhere.
    try:
        return json.dumps(episode.to_dict(), ensure_ascii=False, allow_nan=False)
    except ValueError as exc:
        bad = _find_non_finite(episode.to_dict())
        raise ValueError(f"episode {episode.episode_id}: {bad} is not finite ({exc})") from exc


def _find_non_finite(obj: Any, path: str = "episode") -> str:
    if isinstance(obj, float) and not math.isfinite(obj):
        return path
    if isinstance(obj, dict):
        for k, v in obj.items():
            found = _find_non_finite(v, f"{path}.{k}")
            if found:
                return found
    if isinstance(obj, list):
        for i, v in enumerate(obj):
            found = _find_non_finite(v, f"{path}[{i}]")
            if found:
                return found
    return ""


class EpisodeWriter:
    """Appends episodes to a JSONL file, one complete line per ``write``.

    Safe against crashes: a line is written with a single ``write`` call and flushed (and
    ``fsync``-ed when ``durable=True``), so earlier lines are never touched. If a previous
    process died mid-line, the partial line is trimmed on open (with a warning) so the next
    record starts on a clean line.
    """

    def __init__(self, path: str | os.PathLike[str], *, append: bool = True,
                 durable: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.durable = durable
        if append and self.path.exists():
            _trim_partial_line(self.path)
        self._fh = open(self.path, "a" if append else "w", encoding="utf-8")  # noqa: SIM115
        self.count = 0

    def write(self, episode: Episode) -> None:
        self._fh.write(_dumps(episode) + "\n")
        self._fh.flush()
        if self.durable:
            os.fsync(self._fh.fileno())
        self.count += 1

    def write_all(self, episodes: Iterable[Episode]) -> int:
        for ep in episodes:
            self.write(ep)
        return self.count

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()

    def __enter__(self) -> EpisodeWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _trim_partial_line(path: Path) -> None:
    size = path.stat().st_size
    if size == 0:
        return
    with open(path, "rb+") as fh:
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return
        # Walk back to the last newline; everything after it is an interrupted write.
        pos = size - 1
        chunk = 1 << 16
        while pos > 0:
            start = max(0, pos - chunk)
            fh.seek(start)
            buf = fh.read(pos - start)
            idx = buf.rfind(b"\n")
            if idx >= 0:
                pos = start + idx + 1
                break
            pos = start
        warnings.warn(f"{path}: dropped an incomplete last line ({size - pos} bytes) left by an "
                      "interrupted write", stacklevel=3)
        fh.truncate(pos)


def write_episodes(path: str | os.PathLike[str], episodes: Iterable[Episode], *,
                   append: bool = False) -> int:
    """Write ``episodes`` to ``path`` (JSONL); returns how many were written."""
    with EpisodeWriter(path, append=append) as writer:
        return writer.write_all(episodes)


def read_episodes(path: str | os.PathLike[str]) -> Iterator[Episode]:
    """Stream episodes from a JSONL file.

    A malformed line raises :class:`EpisodeFormatError` naming the file, line number and field.
    An unparseable *last* line without a trailing newline is the trace of an interrupted write:
    it is skipped with a warning.
    """
    path = Path(path)
    if not path.exists():
        raise EpisodeFormatError(f"{path}: no such episodes file")
    with open(path, encoding="utf-8") as fh:
        lineno = 0
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                if not line.endswith("\n") and not fh.read(1):
                    warnings.warn(f"{path}:{lineno}: skipped an incomplete last line "
                                  "(interrupted write)", stacklevel=2)
                    return
                raise EpisodeFormatError(f"{path}:{lineno}: not valid JSON ({exc.msg} at column "
                                         f"{exc.colno})") from None
            try:
                yield Episode.from_dict(data)
            except (ValueError, TypeError) as exc:
                raise EpisodeFormatError(f"{path}:{lineno}: {exc}") from None
