"""TextWorld game sets: generated with ``tw-make`` into a cache, or brought by the user.

Generated sets
    A challenge is written ``NAME[:key=value,flag,...]``, e.g. ``tw-coin_collector:level=5`` or
    ``tw-cooking:recipe=2,take=1,go=6,open,cut``; the options are ``tw-make NAME --key value
    --flag``. Split membership is decided by the seed: split ``s`` of a challenge uses the seeds
    ``seed_offset + SPLIT_SEED_BASE[s] + i`` for ``i < n_s``, so the splits never share a seed and
    growing one split never changes the games of another. ``tw-simple`` test games are drawn from
    its held-out test distribution (``--test``) and ``tw-cooking`` games from the matching
    ``--split``. ``tw-make`` is deterministic per seed, so a game is generated once, into
    ``CACHE/<challenge>/<split>-<seed>.z8`` (plus its ``.json``), and reused by every later run and
    every process; generation runs in parallel worker processes behind a rich progress bar and
    under a file lock, so concurrent runs do not generate the same game twice.

User sets (``games_dir``)
    Every ``*.z1``..``*.z8`` file below the directory, each with its ``.json`` beside it (TextWorld
    needs the json for scores, admissible commands and the walkthrough). If the directory has
    ``train/``, ``valid/`` and/or ``test/`` sub-folders they are the splits; otherwise each game
    is assigned to a split by a stable hash of its relative path (80/10/10). Glulx games
    (``.ulx``) cannot be played by TextWorld >= 1.7; when their ``.json`` is present they are
    recompiled to ``.z8`` from the json into the cache, once.

File problems are :class:`GameFileError` (a :class:`agentrl.errors.UserError`) with one line that
names the file and the fix. A truncated or corrupt story file would make the interpreter call
``exit()`` and take the whole process down, so :func:`verify_story_file` checks the Z-machine
header and checksum before the interpreter ever sees a file.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from agentrl.errors import UserError

__all__ = [
    "CACHE_ENV_VAR",
    "DEFAULT_CHALLENGES",
    "SPLIT_SEED_BASE",
    "ChallengeSpec",
    "GameEntry",
    "GameFileError",
    "default_cache_dir",
    "discover_games",
    "generated_game_set",
    "verify_story_file",
]

SPLITS = ("train", "valid", "test")
#: Environment variable that overrides the cache directory of generated games.
CACHE_ENV_VAR = "AGENTRL_TEXTWORLD_CACHE"
#: Small, quick-to-generate default challenges (a few seconds per game each).
DEFAULT_CHALLENGES: tuple[str, ...] = (
    "tw-simple:rewards=dense,goal=detailed",
    "tw-coin_collector:level=10",
    "tw-treasure_hunter:level=10",
)
#: First seed of each split (plus ``seed_offset``); splits never overlap below 100 000 games.
SPLIT_SEED_BASE: dict[str, int] = {"train": 0, "valid": 100_000, "test": 200_000}
# Challenge options that depend on the split: held-out distributions where tw-make has them.
_SPLIT_FLAGS: dict[str, dict[str, tuple[str, ...]]] = {
    "tw-simple": {"test": ("--test",)},
    "tw-cooking": {split: ("--split", split) for split in SPLITS},
}
_STORY_SUFFIXES = tuple(f".z{v}" for v in range(1, 9))
# Z-machine file-length scale factor by version (the header stores length / scale).
_LENGTH_SCALE = {1: 2, 2: 2, 3: 2, 4: 4, 5: 4, 6: 8, 7: 8, 8: 8}
_verified: dict[tuple[str, int, int], None] = {}


class GameFileError(UserError):
    """A game file is missing, corrupt or of an unsupported kind; the message names it."""


@dataclass(frozen=True)
class GameEntry:
    """One playable game: a task of the environment."""

    task_id: str
    split: str
    task_type: str
    path: Path  # the story file (.z8); its .json lies beside it

    @property
    def json_path(self) -> Path:
        return self.path.with_suffix(".json")


# ---------------------------------------------------------------------------------------------
# generated game sets
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChallengeSpec:
    """A ``tw-make`` challenge with its difficulty options, e.g. ``tw-coin_collector:level=5``."""

    name: str
    options: tuple[tuple[str, str | None], ...] = ()

    @classmethod
    def parse(cls, text: str) -> ChallengeSpec:
        """Parse ``NAME[:key=value,flag,...]``; raises :class:`UserError` when malformed."""
        name, _, rest = text.strip().partition(":")
        if not name.startswith("tw-") or not name[3:].replace("_", "").isalnum():
            raise UserError(f"TextWorld challenge {text!r} must look like 'tw-NAME[:key=value,...]'"
                            ", e.g. 'tw-coin_collector:level=5'")
        options: list[tuple[str, str | None]] = []
        for item in filter(None, (p.strip() for p in rest.split(","))):
            key, eq, value = item.partition("=")
            if not key.replace("-", "").replace("_", "").isalnum() or (eq and not value):
                raise UserError(f"TextWorld challenge {text!r}: bad option {item!r}; write "
                                "key=value or a bare flag, e.g. 'tw-cooking:recipe=2,cut'")
            options.append((key.strip(), value.strip() if eq else None))
        return cls(name, tuple(options))

    def __str__(self) -> str:
        opts = ",".join(k if v is None else f"{k}={v}" for k, v in self.options)
        return f"{self.name}:{opts}" if opts else self.name

    @property
    def slug(self) -> str:
        """A folder name for the cache."""
        return str(self).replace(":", "__").replace("=", "-").replace(",", "_")

    def tw_make_args(self, split: str, seed: int) -> list[str]:
        args = [self.name]
        for key, value in self.options:
            args.append(f"--{key}")
            if value is not None:
                args.append(value)
        args += list(_SPLIT_FLAGS.get(self.name, {}).get(split, ()))
        return [*args, "--seed", str(seed)]


def default_cache_dir() -> Path:
    """``$AGENTRL_TEXTWORLD_CACHE`` if set, else ``~/.cache/agentrl/textworld``."""
    env = os.environ.get(CACHE_ENV_VAR)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "agentrl" / "textworld"


def generated_game_set(challenges: Sequence[str], counts: dict[str, int], cache_dir: Path, *,
                       seed_offset: int = 0, workers: int | None = None,
                       progress: bool = True) -> list[GameEntry]:
    """The games of the given challenges and split sizes, generating the missing ones.

    ``counts`` maps a split to its number of games *per challenge*.
    """
    specs = [ChallengeSpec.parse(c) for c in challenges]
    if not specs:
        raise UserError("TextWorld: give at least one challenge, e.g. 'tw-simple'")
    entries: list[GameEntry] = []
    for spec in specs:
        for split in SPLITS:
            for i in range(counts.get(split, 0)):
                seed = seed_offset + SPLIT_SEED_BASE[split] + i
                path = cache_dir / spec.slug / f"{split}-{seed}.z8"
                entries.append(GameEntry(f"{spec}/{split}-{seed}", split, str(spec), path))
    missing = [e for e in entries if not _complete(e)]
    if missing:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with _locked(cache_dir / ".generate.lock"):
            missing = [e for e in missing if not _complete(e)]  # another process may have made them
            _generate(missing, workers=workers, progress=progress)
    return entries


def _complete(entry: GameEntry) -> bool:
    return entry.path.is_file() and entry.json_path.is_file()


@contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _tw_make() -> str:
    beside = Path(sys.executable).parent / "tw-make"
    found = str(beside) if beside.is_file() else shutil.which("tw-make")
    if found is None:
        raise UserError("TextWorld's tw-make command was not found; install it with: "
                        "pip install textworld")
    return found


def _generate(entries: list[GameEntry], *, workers: int | None, progress: bool) -> None:
    if not entries:
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    tw_make = _tw_make()
    workers = max(1, workers or min(4, os.cpu_count() or 1))
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, disable=not progress, transient=False) as bar, \
            ThreadPoolExecutor(max_workers=workers) as pool:
        task = bar.add_task(f"generating {len(entries)} TextWorld games", total=len(entries))
        futures = [pool.submit(_generate_one, tw_make, e) for e in entries]
        try:
            for future in as_completed(futures):
                future.result()
                bar.advance(task)
        finally:
            for future in futures:
                future.cancel()


def _generate_one(tw_make: str, entry: GameEntry) -> None:
    spec = ChallengeSpec.parse(entry.task_type)
    seed = int(entry.path.stem.rsplit("-", 1)[1])
    entry.path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=entry.path.parent, prefix=".tmp-") as tmp:
        out = Path(tmp) / entry.path.name
        cmd = [tw_make, *spec.tw_make_args(entry.split, seed), "--output", str(out), "--silent",
               "-f"]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not out.is_file():
            lines = (proc.stderr or proc.stdout).strip().splitlines() or ["no output"]
            raise UserError(f"tw-make failed for {spec} (seed {seed}): {lines[-1]}; check the "
                            f"challenge and its options with: tw-make {spec.name} --help")
        # json first, story file last: a story file in the cache means the pair is complete.
        os.replace(out.with_suffix(".json"), entry.json_path)
        os.replace(out, entry.path)


# ---------------------------------------------------------------------------------------------
# user game directories
# ---------------------------------------------------------------------------------------------


def discover_games(games_dir: str | os.PathLike[str], cache_dir: Path, *,
                   progress: bool = True) -> list[GameEntry]:
    """All games below ``games_dir``, split by sub-folder or by a stable hash of their path."""
    root = Path(games_dir).expanduser()
    if not root.is_dir():
        raise GameFileError(f"TextWorld games directory {root} does not exist; point games_dir at "
                            "a folder of .z8 games with their .json files")
    stories = sorted(p for p in root.rglob("*") if p.suffix in _STORY_SUFFIXES and p.is_file())
    glulx = sorted(p for p in root.rglob("*.ulx") if p.is_file())
    if not stories and not glulx:
        raise GameFileError(f"TextWorld games directory {root} holds no .z8 (or .ulx) games; "
                            "generate some with tw-make or leave games_dir unset")
    stories += _convert_glulx(glulx, root, cache_dir, progress=progress)
    by_folder = any((root / s).is_dir() for s in SPLITS)
    entries = []
    for story in stories:
        rel = _relative(story, root, cache_dir)
        if not story.with_suffix(".json").is_file():
            raise GameFileError(f"{story}: its TextWorld file {story.with_suffix('.json').name} is "
                                "missing; keep the .json that tw-make wrote beside the game")
        split = _split_of(rel, by_folder)
        if split is None:
            continue
        entries.append(GameEntry(f"{root.name}/{rel.with_suffix('').as_posix()}", split,
                                 _task_type(story.with_suffix(".json")), story))
    return entries


def _relative(story: Path, root: Path, cache_dir: Path) -> Path:
    try:
        return story.relative_to(root)
    except ValueError:  # a converted Glulx game lives in the cache, mirroring its source path
        return story.relative_to(_glulx_cache(root, cache_dir))


def _split_of(rel: Path, by_folder: bool) -> str | None:
    if by_folder:
        return rel.parts[0] if len(rel.parts) > 1 and rel.parts[0] in SPLITS else None
    bucket = int(hashlib.sha256(rel.as_posix().encode()).hexdigest(), 16) % 10
    return "train" if bucket < 8 else ("valid" if bucket == 8 else "test")


def _task_type(json_path: Path) -> str:
    """The challenge name from the game's uuid (``tw-simple-rDense+...`` -> ``tw-simple``)."""
    try:
        with open(json_path, encoding="utf-8") as fh:
            uuid = str(json.load(fh).get("metadata", {}).get("uuid", ""))
    except (OSError, ValueError, AttributeError):
        return "custom"  # unreadable files are reported with their name when played
    if not uuid.startswith("tw-"):
        return "custom"
    name = uuid[3:].split("-", 1)[0]
    return f"tw-{name}" if name.replace("_", "").isalnum() else "custom"


def _glulx_cache(root: Path, cache_dir: Path) -> Path:
    digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]
    return cache_dir / "converted" / f"{root.name}-{digest}"


def _convert_glulx(games: list[Path], root: Path, cache_dir: Path, *,
                   progress: bool) -> list[Path]:
    """Recompile ``.ulx`` games to ``.z8`` from their ``.json`` (TextWorld >= 1.7 has no Glulx)."""
    if not games:
        return []
    out_root = _glulx_cache(root, cache_dir)
    todo: list[tuple[Path, Path]] = []
    outputs = []
    for ulx in games:
        if not ulx.with_suffix(".json").is_file():
            raise GameFileError(f"{ulx}: Glulx games cannot be played by textworld>=1.7 and its "
                                ".json (needed to recompile it to .z8) is missing; regenerate the "
                                "game with tw-make")
        target = out_root / ulx.relative_to(root).with_suffix(".z8")
        outputs.append(target)
        if not (target.is_file() and target.with_suffix(".json").is_file()):
            todo.append((ulx, target))
    if todo:
        from rich.progress import Progress

        with Progress(disable=not progress) as bar:
            task = bar.add_task(f"recompiling {len(todo)} .ulx games to .z8", total=len(todo))
            for ulx, target in todo:
                _compile_from_json(ulx.with_suffix(".json"), target)
                bar.advance(task)
    return outputs


def _compile_from_json(json_path: Path, target: Path) -> None:
    from textworld import Game, GameOptions
    from textworld.generator import compile_game

    try:
        game = Game.load(str(json_path))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GameFileError(f"{json_path}: not a readable TextWorld game ({type(exc).__name__}: "
                            f"{exc}); regenerate it with tw-make") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    options = GameOptions()
    options.path = str(target)
    options.force_recompile = True
    compile_game(game, options)


# ---------------------------------------------------------------------------------------------
# file checks
# ---------------------------------------------------------------------------------------------


def verify_story_file(path: Path) -> None:
    """Check a Z-machine story file's header and checksum; raise :class:`GameFileError`.

    Frotz calls ``exit()`` on a truncated or corrupt file, so this must run before it loads one.
    Results are cached per (path, size, mtime).
    """
    try:
        stat = path.stat()
    except OSError:
        raise GameFileError(f"{path}: game file not found; regenerate it with tw-make (or delete "
                            "the cache folder to have it generated again)") from None
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key in _verified:
        return
    data = path.read_bytes()
    fix = "the file is corrupt or truncated; regenerate it with tw-make"
    if len(data) < 64 or data[0] not in _LENGTH_SCALE:
        raise GameFileError(f"{path}: not a Z-machine story file ({fix})")
    length = int.from_bytes(data[0x1A:0x1C], "big") * _LENGTH_SCALE[data[0]]
    checksum = int.from_bytes(data[0x1C:0x1E], "big")
    if length > len(data) or length < 64:
        raise GameFileError(f"{path}: story file is {len(data)} bytes but its header says "
                            f"{length} ({fix})")
    if length and checksum and sum(data[0x40:length]) % 0x10000 != checksum:
        raise GameFileError(f"{path}: story file checksum mismatch ({fix})")
    _verified[key] = None
