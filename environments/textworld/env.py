"""``agentrl/TextWorld-v0``: real TextWorld games played through ``textworld.gym``.

Each task is one compiled TextWorld game (a ``.z8`` story file and its ``.json``), played with
``textworld.gym.envs.TextworldGymEnv`` and these requested infos: admissible commands, the
winning policy from the current state (``policy_commands``), score and max score, won/lost and
the world's facts.

Per step:

- ``reward``: with ``reward="dense"`` (default) the score increment divided by the game's maximum
  score, so an episode's rewards sum to the normalised final score (1.0 when won);
  ``reward="sparse"`` gives 1.0 on the winning step only. ``reward_components`` names the part
  (``progress`` or ``outcome``).
- ``terminated`` when the game is won or lost; ``success`` = won; ``score`` = score / max score.
- ``milestones``: one entry per point scored so far (``"score 3/8: unlock wooden door with old
  key"``), ``milestones_total`` = the game's max score, so ``len(milestones) / total`` is the
  fraction of the quest completed (MiRA's potential).
- ``valid``: the cleaned command is one of TextWorld's admissible commands. Inadmissible commands
  are still sent to the game (which answers in its own words: "You can't see any such thing.");
  commands that are empty, too long or interpreter meta-commands are answered without reaching
  the game (see :mod:`.parsing`).
- ``state_key``: a hash of the game, its score and its sorted world facts: exact, history-free.
- ``expert_action``: the first command of TextWorld's winning policy *recomputed from the current
  state* after every step (``policy_commands`` is re-planned by TextWorld's quest tracker), so the
  expert stays correct after any detour; it is absent only when no winning plan exists any more
  (a lost game).

A game engine crash (an exception from the interpreter during a step) ends the episode with
``truncated=True``, ``info["error"]`` set and ``success=False``; the interpreter is dropped and the
next ``reset`` starts a fresh one. A crash inside the C interpreter that kills the process cannot
be caught in-process; corrupt story files, the known cause, are rejected before loading.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import warnings
from pathlib import Path
from typing import Any, SupportsFloat

from agentrl.environments.textworld.games import (
    DEFAULT_CHALLENGES,
    GameEntry,
    GameFileError,
    default_cache_dir,
    discover_games,
    generated_game_set,
    verify_story_file,
)
from agentrl.environments.textworld.parsing import clean_feedback, parse_command
from agentrl.envs.base import TextEnv
from agentrl.errors import MissingDependencyError, UserError
from agentrl.types import Task

try:
    import jericho
    import textworld
    from textworld.gym.envs import TextworldGymEnv
except ModuleNotFoundError as exc:  # re-raised with the install command
    raise MissingDependencyError(
        f"agentrl/TextWorld-v0 needs the package {exc.name!r}, which is not installed; "
        "install it with: pip install 'textworld>=1.6'") from exc

__all__ = ["TextWorldEnv"]

REWARD_MODES = ("dense", "sparse")
# textworld is not thread-safe: game loading (and its state tracking) shares module-level state,
# and concurrent resets in one process fail at random. Rollouts step environments from a thread
# pool, so every call into textworld is serialised; separate processes are unaffected.
_TEXTWORLD_LOCK = threading.RLock()
_SPLITS = ("train", "valid", "test")


class TextWorldEnv(TextEnv):
    """TextWorld games as an agentrl text environment (see the module docstring).

    Args:
        games_dir: a folder of the user's games (``.z8`` with ``.json``; ``.ulx`` with ``.json``
            are recompiled). When set, nothing is generated and ``challenges``/``n_*`` are unused.
        challenges: ``tw-make`` challenges with options, e.g. ``"tw-coin_collector:level=5"``;
            each gets ``n_train``/``n_valid``/``n_test`` games; the task type is the challenge.
        n_train: generated games per challenge in the train split.
        n_valid: generated games per challenge in the valid split.
        n_test: generated games per challenge in the test split.
        seed_offset: shifts every generation seed, to draw a different game set.
        cache_dir: where generated games live (default ``$AGENTRL_TEXTWORLD_CACHE`` or
            ``~/.cache/agentrl/textworld``); later runs and other processes reuse them.
        workers: parallel ``tw-make`` processes when generating (default: up to 4 CPUs).
        reward: ``"dense"`` (score increments / max score) or ``"sparse"`` (1.0 on winning).
        max_command_chars: longer commands are not sent to the game.
        progress: show a progress bar while generating.
    """

    def __init__(self, games_dir: str | os.PathLike[str] | None = None,
                 challenges: list[str] | tuple[str, ...] = DEFAULT_CHALLENGES,
                 n_train: int = 2, n_valid: int = 1, n_test: int = 1, seed_offset: int = 0,
                 cache_dir: str | os.PathLike[str] | None = None, workers: int | None = None,
                 reward: str = "dense", max_command_chars: int = 120,
                 progress: bool = True) -> None:
        if reward not in REWARD_MODES:
            raise UserError(f"TextWorld reward must be one of {', '.join(REWARD_MODES)}, "
                                f"got {reward!r}")
        for name, n in (("n_train", n_train), ("n_valid", n_valid), ("n_test", n_test)):
            if not isinstance(n, int) or n < 0:
                raise UserError(f"TextWorld {name} must be a non-negative integer, got {n!r}")
        if isinstance(challenges, str):
            challenges = [challenges]
        self.reward_mode = reward
        self.max_command_chars = max_command_chars
        cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
        if games_dir is not None:
            games = discover_games(games_dir, cache, progress=progress)
        else:
            counts = {"train": n_train, "valid": n_valid, "test": n_test}
            games = generated_game_set(list(challenges), counts, cache, seed_offset=seed_offset,
                                       workers=workers, progress=progress)
        self._games: dict[str, GameEntry] = {g.task_id: g for g in games}
        self._tasks: dict[str, list[Task]] = {}
        self._requested = textworld.EnvInfos(
            admissible_commands=True, policy_commands=True, score=True, max_score=True,
            won=True, lost=True, facts=True, objective=True)
        self._tw: TextworldGymEnv | None = None
        self._tw_path: Path | None = None
        self._game: GameEntry | None = None
        self._tw_info: dict[str, Any] = {}
        self._score = 0
        self._max_score = 0
        self._milestones: list[str] = []
        self._done = True
        self._state_key = ""

    # ----------------------------------------------------------------------------- task sets

    def tasks(self, split: str = "train") -> list[Task]:
        """The games of ``split`` as tasks (instruction = the game's objective text)."""
        if split not in _SPLITS:
            raise ValueError(f"split must be one of {', '.join(_SPLITS)}, got {split!r}")
        if split not in self._tasks:
            self._tasks[split] = [
                Task(g.task_id, split, g.task_type, _objective(g), {"game_file": str(g.path)})
                for g in self._games.values() if g.split == split]
        return list(self._tasks[split])

    # ----------------------------------------------------------------------------- episodes

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        """Start ``options["task_id"]`` (default: a train game drawn with ``seed``).

        ``seed`` also seeds the interpreter's random number generator, so the same
        ``(task_id, seed)`` and actions replay exactly.
        """
        super().reset(seed=seed)
        self._game, self._done = None, True  # until the new game is running
        task_id = (options or {}).get("task_id")
        if task_id is None:
            train = [g for g in self._games.values() if g.split == "train"] or list(
                self._games.values())
            if not train:
                raise GameFileError("TextWorld: the game set is empty; set n_train > 0 or "
                                    "point games_dir at a folder of games")
            game = train[int(self.np_random.integers(len(train)))]
        elif task_id in self._games:
            game = self._games[task_id]
        else:
            raise UserError(f"unknown TextWorld task id {task_id!r}; pick one from "
                            "env.tasks(split)")
        try:
            with _TEXTWORLD_LOCK, warnings.catch_warnings():
                # TextWorld games lack Jericho's per-game bindings; TextWorld tracks score itself.
                warnings.simplefilter("ignore", jericho.UnsupportedGameWarning)
                tw = self._open(game)
                # Frotz's RNG: 0 would mean "seed from the clock" to Jericho, so shift by one.
                tw.batch_env.seed([(0 if seed is None else int(seed)) % (2**31 - 1) + 1])
                # Restart the loaded game; TextworldGymEnv.reset() would reload it from disk.
                raws, infos = tw.batch_env.reset()
                raw, info = raws[0], {k: v[0] for k, v in infos.items()}
        except (ValueError, KeyError, TypeError, OSError) as exc:
            self._drop_engine()
            raise GameFileError(f"{game.json_path}: cannot load this TextWorld game "
                                f"({type(exc).__name__}: {exc}); regenerate it with tw-make"
                                ) from None
        self._game = game
        self._done = False
        self._score = int(info.get("score") or 0)
        self._max_score = int(info.get("max_score") or 0)
        self._milestones = []
        self._absorb(info)
        return clean_feedback(raw, intro=True), self._info(valid=True, reward=0.0)

    def step(self, action: str) -> tuple[str, SupportsFloat, bool, bool, dict[str, Any]]:
        if self._game is None:
            raise RuntimeError("call reset() before step()")
        if self._done:
            info = self._info(valid=False, reward=0.0)
            return "The episode is over; call reset() to play again.", 0.0, True, False, info
        parsed = parse_command(action, self.max_command_chars)
        if parsed.command is None:
            return parsed.problem or "", 0.0, False, False, self._info(valid=False, reward=0.0)
        # Compare cleaned forms, and send the game's own spelling of an admissible command.
        admissible = {parse_command(a, self.max_command_chars).command: a
                      for a in self._tw_info.get("admissible_commands") or ()}
        valid = parsed.command in admissible
        command = admissible.get(parsed.command, parsed.command)
        assert self._tw is not None
        try:
            with _TEXTWORLD_LOCK:
                raw, score, _, info = self._tw.step(command)
        except Exception as exc:  # the interpreter failed: end the episode, keep the env usable
            return self._crashed(exc)
        self._absorb(info)
        gained = int(score or 0) - self._score
        for point in range(self._score + 1, self._score + max(gained, 0) + 1):
            self._milestones.append(f"score {point}/{self._max_score}: {command}")
        self._score = int(score or 0)
        won, lost = bool(info.get("won")), bool(info.get("lost"))
        if self.reward_mode == "dense":
            reward = (gained / self._max_score if self._max_score > 0
                      else float(won and gained >= 0))
        else:
            reward = 1.0 if won else 0.0
        self._done = won or lost
        return (clean_feedback(raw) or "Nothing happens.", reward, self._done, False,
                self._info(valid=valid, reward=reward))

    def close(self) -> None:
        self._drop_engine()
        super().close()

    # ----------------------------------------------------------------------------- internals

    def _open(self, game: GameEntry) -> TextworldGymEnv:
        """The textworld gym env for ``game``: reused for the same game, rebuilt otherwise."""
        if self._tw is not None and self._tw_path == game.path:
            return self._tw
        self._drop_engine()
        if not game.json_path.is_file():
            raise GameFileError(f"{game.path}: its TextWorld file {game.json_path.name} is "
                                "missing; regenerate the game with tw-make")
        verify_story_file(game.path)
        tw = TextworldGymEnv([str(game.path)], request_infos=self._requested)
        # Load the game once; the interpreter exists only after a load, and seeding needs it.
        tw.reset()
        self._tw, self._tw_path = tw, game.path
        return tw

    def _drop_engine(self) -> None:
        if self._tw is not None:
            tw, self._tw, self._tw_path = self._tw, None, None
            # A crashed interpreter may fail to close; it is discarded either way.
            with _TEXTWORLD_LOCK, contextlib.suppress(Exception):
                tw.close()

    def _absorb(self, info: dict[str, Any]) -> None:
        """Keep the latest TextWorld infos and derive the exact state key from them."""
        self._tw_info = info
        facts = sorted(str(f) for f in info.get("facts") or ())
        digest = hashlib.sha256()
        digest.update(f"{self._game_id()}|{info.get('score')}|{info.get('won')}|"
                      f"{info.get('lost')}".encode())
        for fact in facts:
            digest.update(b"\n" + fact.encode())
        self._state_key = f"textworld:{digest.hexdigest()[:32]}"

    def _game_id(self) -> str:
        return self._game.task_id if self._game is not None else ""

    def _crashed(self, exc: Exception) -> tuple[str, float, bool, bool, dict[str, Any]]:
        error = f"TextWorld engine error: {type(exc).__name__}: {exc}"
        self._drop_engine()
        self._done = True
        info = self._info(valid=False, reward=0.0)
        info["error"] = error
        info.pop("expert_action", None)
        obs = f"The game crashed ({type(exc).__name__}); the episode ended."
        return obs, 0.0, False, True, info

    def _info(self, *, valid: bool, reward: float) -> dict[str, Any]:
        assert self._game is not None
        tw = self._tw_info
        won = bool(tw.get("won"))
        admissible = list(tw.get("admissible_commands") or [])
        info: dict[str, Any] = {
            "valid": valid,
            "task_id": self._game.task_id,
            "task_type": self._game.task_type,
            "state_key": self._state_key,
            "admissible_actions": admissible,
            "milestones": list(self._milestones),
            "milestones_total": max(self._max_score, 0),
            "reward_components": {("progress" if self.reward_mode == "dense" else "outcome"):
                                  reward},
            "success": won,
            "score": (min(max(self._score / self._max_score, 0.0), 1.0) if self._max_score > 0
                      else float(won)),
            "won": won,
            "lost": bool(tw.get("lost")),
            "game_score": self._score,
            "max_score": self._max_score,
        }
        policy = tw.get("policy_commands") or []
        if policy and not self._done:
            info["expert_action"] = policy[0]
        return info


def _objective(game: GameEntry) -> str:
    """The game's objective text from its json (empty when the game has none)."""
    import json

    try:
        with open(game.json_path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise GameFileError(f"{game.path}: its TextWorld file {game.json_path.name} is missing; "
                            "regenerate the game with tw-make") from None
    except ValueError as exc:
        raise GameFileError(f"{game.json_path}: not valid JSON ({exc}); regenerate the game with "
                            "tw-make") from None
    return str(data.get("objective") or "") if isinstance(data, dict) else ""
