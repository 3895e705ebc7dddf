"""A batch of episodes flattened into numpy arrays, the input of every shaper and estimator.

Credit assignment works on steps, grouped by episode and by episode group (the G episodes of one
task and seed, DESIGN.md 3.3). :class:`StepBatch` flattens a list of :class:`~agentrl.types.Episode`
once into per-step arrays, steps of one episode contiguous and in order::

    episode_index (N,)  int64   which episode a step belongs to (0..E-1)
    step_index    (N,)  int64   position of the step in its episode (0..T_i-1)
    rewards       (N,)  float64 the environment reward of each step (``Step.reward``)
    valid         (N,)  bool    ``Step.valid``
    state_index   (N,)  int64   interned anchor state (``Step.state_key``, else the observation)
    episode_start (E,)  int64   flat index of each episode's first step
    episode_length(E,)  int64   number of steps T_i
    episode_group (E,)  int64   group of each episode (0..num_groups-1, by ``group_id``)

Estimator and shaper math is written against these arrays (no Python loop per step), so the same
functions serve a batch built from episodes, from a verl ``DataProto`` or from a benchmark.
Per-step quantities recorded by the rollout or the trainer (``value``, ``entropy``) can be given
as arrays in ``StepBatch.arrays``; otherwise they are read from the episodes (see
:meth:`StepBatch.step_extra`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from operator import attrgetter
from typing import Any

import numpy as np

from agentrl.errors import EpisodeFormatError
from agentrl.types import Episode, Step

__all__ = ["StepBatch"]


@dataclass(eq=False)
class StepBatch:
    """Per-step and per-episode arrays of a batch of episodes (shapes in the module docstring)."""

    episode_start: np.ndarray
    episode_length: np.ndarray
    episode_group: np.ndarray
    rewards: np.ndarray
    valid: np.ndarray
    state_index: np.ndarray
    state_keys: Sequence[str] = ()
    group_ids: Sequence[str] = ()
    episodes: Sequence[Episode] = ()
    #: optional precomputed arrays: per step (N,) ``value``, ``entropy``,
    #: ``component:<name>``; per episode (E,) ``bootstrap_value``, ``outcome``
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    #: optional origin of each episode for error messages, e.g. ``"episodes.jsonl:12"``
    sources: Sequence[str] = ()

    # ------------------------------------------------------------------------------------------
    # construction
    # ------------------------------------------------------------------------------------------

    @classmethod
    def from_episodes(cls, episodes: Sequence[Episode], sources: Sequence[str] = ()) -> StepBatch:
        """Flatten ``episodes`` (one Python pass over the steps; the rest is numpy).
        ``sources`` optionally names where each episode came from (``file:line``)."""
        episodes = list(episodes)
        lengths = np.fromiter((len(ep.steps) for ep in episodes), dtype=np.int64,
                              count=len(episodes))
        n = int(lengths.sum())
        group_of: dict[str, int] = {}
        episode_group = np.fromiter((group_of.setdefault(ep.group_id, len(group_of))
                                     for ep in episodes), dtype=np.int64, count=len(episodes))
        steps = [s for ep in episodes for s in ep.steps]
        # map + attrgetter keep the per-step work in C; this pass is the only O(N) Python work
        rewards = np.fromiter(map(attrgetter("reward"), steps), dtype=np.float64, count=n)
        valid = np.fromiter(map(attrgetter("valid"), steps), dtype=bool, count=n)
        keys = list(map(attrgetter("state_key"), steps))
        if None in keys:  # no key from the environment: the observation is the key
            keys = [s.observation if k is None else k for s, k in zip(steps, keys, strict=True)]
        key_of = {k: i for i, k in enumerate(dict.fromkeys(keys))}
        state_index = np.fromiter(map(key_of.__getitem__, keys), dtype=np.int64, count=n)
        start = np.zeros(len(episodes), dtype=np.int64)
        if len(episodes) > 1:
            np.cumsum(lengths[:-1], out=start[1:])
        return cls(episode_start=start, episode_length=lengths, episode_group=episode_group,
                   rewards=rewards, valid=valid, state_index=state_index,
                   state_keys=tuple(key_of), group_ids=tuple(group_of), episodes=episodes,
                   sources=tuple(sources))

    @classmethod
    def from_arrays(cls, episode_length: np.ndarray, episode_group: np.ndarray,
                    rewards: np.ndarray, *, valid: np.ndarray | None = None,
                    state_index: np.ndarray | None = None,
                    arrays: dict[str, np.ndarray] | None = None) -> StepBatch:
        """Build a batch from arrays alone (no episode objects): lengths (E,), groups (E,),
        rewards (N,), optional valid (N,) and state ids (N,; default: every step distinct)."""
        lengths = np.asarray(episode_length, dtype=np.int64)
        rewards = np.asarray(rewards, dtype=np.float64)
        n = int(lengths.sum())
        if rewards.shape != (n,):
            raise ValueError(f"rewards has shape {rewards.shape}, expected ({n},)")
        start = np.zeros(len(lengths), dtype=np.int64)
        if len(lengths) > 1:
            np.cumsum(lengths[:-1], out=start[1:])
        return cls(episode_start=start, episode_length=lengths,
                   episode_group=np.asarray(episode_group, dtype=np.int64), rewards=rewards,
                   valid=np.ones(n, bool) if valid is None else np.asarray(valid, bool),
                   state_index=(np.arange(n, dtype=np.int64) if state_index is None
                                else np.asarray(state_index, dtype=np.int64)),
                   arrays=dict(arrays or {}))

    # ------------------------------------------------------------------------------------------
    # sizes and derived indices
    # ------------------------------------------------------------------------------------------

    @property
    def num_steps(self) -> int:
        return int(self.rewards.shape[0])

    @property
    def num_episodes(self) -> int:
        return int(self.episode_length.shape[0])

    @cached_property
    def num_groups(self) -> int:
        return int(self.episode_group.max()) + 1 if self.num_episodes else 0

    @cached_property
    def episode_index(self) -> np.ndarray:
        """(N,) episode of each step."""
        return np.repeat(np.arange(self.num_episodes, dtype=np.int64), self.episode_length)

    @cached_property
    def step_index(self) -> np.ndarray:
        """(N,) position of each step inside its episode."""
        return np.arange(self.num_steps, dtype=np.int64) - self.episode_start[self.episode_index]

    @cached_property
    def step_group(self) -> np.ndarray:
        """(N,) episode group of each step."""
        return self.episode_group[self.episode_index]

    @cached_property
    def is_last(self) -> np.ndarray:
        """(N,) True on the last step of each episode."""
        return self.step_index == self.episode_length[self.episode_index] - 1

    def steps(self) -> list[Step]:
        """The step objects in flat order (needs a batch built from episodes)."""
        if not self.episodes and self.num_steps:
            raise ValueError("this StepBatch was built from arrays and holds no episodes")
        return [s for ep in self.episodes for s in ep.steps]

    def locate(self, flat: int) -> str:
        """Human-readable position of flat step ``flat``, for error messages."""
        e = int(self.episode_index[flat])
        return f"{self.locate_episode(e)} steps[{int(self.step_index[flat])}]"

    def locate_episode(self, e: int) -> str:
        """Human-readable name of episode ``e`` (with its ``file:line`` when known)."""
        name = self.episodes[e].episode_id if e < len(self.episodes) else str(e)
        where = f"{self.sources[e]}: " if e < len(self.sources) else ""
        return f"{where}episode {name!r}"

    # ------------------------------------------------------------------------------------------
    # per-step quantities recorded outside the core fields
    # ------------------------------------------------------------------------------------------

    def step_extra(self, name: str, read: Callable[[Step], Any], *, fix: str) -> np.ndarray:
        """(N,) float array of a per-step quantity: ``arrays[name]`` if given, else ``read(step)``
        for each step (``read`` returns None when the step lacks it; then ``fix`` tells the user
        what to do in the raised :class:`EpisodeFormatError`)."""
        if name in self.arrays:
            out = np.asarray(self.arrays[name], dtype=np.float64)
            if out.shape != (self.num_steps,):
                raise ValueError(f"arrays[{name!r}] has shape {out.shape}, "
                                 f"expected ({self.num_steps},)")
            return out
        values = [read(s) for s in self.steps()]
        for i, v in enumerate(values):
            if v is None:
                raise EpisodeFormatError(f"{self.locate(i)} has no {name}: {fix}")
        return np.asarray(values, dtype=np.float64)

    def components(self, names: Sequence[str]) -> np.ndarray:
        """(N, K) values of the named reward components per step (``Step.reward_components``;
        a component a step does not report is 0), or ``arrays["component:<name>"]``."""
        out = np.zeros((self.num_steps, len(names)), dtype=np.float64)
        missing = [k for k, n in enumerate(names) if f"component:{n}" not in self.arrays]
        for k, name in enumerate(names):
            if k not in missing:
                out[:, k] = np.asarray(self.arrays[f"component:{name}"], np.float64)
        if missing and self.num_steps:
            steps = self.steps()
            for k in missing:
                name = names[k]
                out[:, k] = np.fromiter((s.reward_components.get(name, 0.0) for s in steps),
                                        dtype=np.float64, count=self.num_steps)
        return out
