"""Task generation: ``(split, index) -> Task``, deterministic, cheap, with an unseen split.

A task is drawn from a seed that is a hash of ``(split, index)``, so splits never share seeds and
listing thousands of tasks costs milliseconds: a task only fixes the room kind, the furniture
counts (the *layout*), the goal (object type, receptacle or lamp type) and the instruction
wording. Object placements are drawn from the same seed when the world is built at ``reset``
(:mod:`agentrl.environments.household.world`).

The task type is ``TASK_TYPES[index % 6]``, so every split is balanced over ALFWorld's six types.

Seen and unseen, like ALFWorld's ``valid_seen``/``valid_unseen`` split (Shridhar et al., ICLR
2021): two fixed, hash-based partitions hold out about one in five

- *goal combinations* ``(task type, object type, receptacle or lamp type)``, and
- *room layouts*, identified by the room kind and the set of furniture kinds it contains.

``train``, ``valid`` and ``test`` draw only seen combinations in seen layouts; ``test_unseen``
draws only held-out combinations in held-out layouts, so a policy that memorised which objects
go where, or how the training rooms are furnished, does not carry over.
"""

from __future__ import annotations

import functools
import hashlib
import random
import zlib
from dataclasses import dataclass
from typing import Any

from agentrl.environments.household.catalog import (
    OBJECTS,
    PROCESSING,
    ROOMS,
    TASK_TYPES,
)
from agentrl.environments.household.text import INSTRUCTIONS
from agentrl.errors import UserError
from agentrl.types import Task

__all__ = [
    "SPLITS",
    "TaskSpec",
    "combination_is_unseen",
    "layout_is_unseen",
    "make_spec",
    "make_task",
    "parse_task_id",
    "seen_goals",
    "spec_from_task",
    "task_id",
    "task_list",
]

SPLITS: tuple[str, ...] = ("train", "valid", "test", "test_unseen")
#: One in ``_HOLDOUT`` goal combinations and layouts is held out for ``test_unseen``.
_HOLDOUT = 5
_MAX_ATTEMPTS = 200
#: Surfaces a desk lamp can stand on.
_LAMP_SURFACES = OBJECTS["desklamp"].receptacles
#: Rooms where each task type can happen (it needs the appliance or a lamp).
_ROOMS_FOR: dict[str, tuple[str, ...]] = {
    "pick_and_place": tuple(ROOMS),
    "look_at_obj_in_light": tuple(r for r in ROOMS if ROOMS[r].lamps),
    "pick_clean_then_place": ("kitchen", "bathroom"),
    "pick_heat_then_place": ("kitchen",),
    "pick_cool_then_place": ("kitchen",),
    "pick_two_obj_and_place": tuple(ROOMS),
}


@dataclass(frozen=True)
class TaskSpec:
    """What a task fixes before the world is built (stored in ``Task.data``)."""

    task_type: str
    seed: int
    room: str
    layout: tuple[tuple[str, int], ...]
    desklamp: bool
    obj: str
    target: str
    template: int

    @property
    def instruction(self) -> str:
        template = INSTRUCTIONS[self.task_type][self.template]
        return template.format(o=self.obj, r=self.target, l=self.target)

    def to_data(self) -> dict[str, object]:
        return {"seed": self.seed, "room": self.room, "layout": [list(x) for x in self.layout],
                "desklamp": self.desklamp, "object": self.obj, "target": self.target,
                "template": self.template}


def _stable_hash(text: str) -> int:
    return zlib.crc32(text.encode())


def combination_is_unseen(task_type: str, obj: str, target: str) -> bool:
    """Whether the goal combination is held out of train/valid/test (fixed partition)."""
    return _stable_hash(f"{task_type}|{obj}|{target}") % _HOLDOUT == 0


def layout_is_unseen(room: str, furniture: tuple[str, ...]) -> bool:
    """Whether a room layout (room kind + sorted furniture kinds) is held out (fixed partition)."""
    return _stable_hash(f"{room}|{','.join(sorted(furniture))}") % _HOLDOUT == 1


def _seed(split: str, index: int) -> int:
    digest = hashlib.sha256(f"agentrl/Household-v0/{split}/{index}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


@functools.cache
def _furniture_sets(room: str) -> tuple[tuple[frozenset[str], ...], tuple[frozenset[str], ...]]:
    """All furniture sets of ``room`` (required kinds plus any subset of the optional ones, a
    desk lamp only with a surface to stand on), split into (seen, unseen)."""
    kinds = ROOMS[room].receptacles
    required = [n for n, lo, _ in kinds if lo > 0]
    optional = [n for n, lo, _ in kinds if lo == 0] + list(ROOMS[room].lamps)
    seen, unseen = [], []
    for mask in range(1 << len(optional)):
        chosen = frozenset(required + [n for i, n in enumerate(optional) if mask >> i & 1])
        if "desklamp" in chosen and not chosen.intersection(_LAMP_SURFACES):
            continue
        (unseen if layout_is_unseen(room, tuple(chosen)) else seen).append(chosen)
    return tuple(seen), tuple(unseen)


def _candidate_goals(task_type: str, room: str) -> tuple[tuple[str, str, frozenset[str], bool],
                                                          ...]:
    """Goals ``(object, target, kinds the object can start in, unseen)`` of a task type in a
    room, before knowing which furniture is there."""
    goals = []
    if task_type == "look_at_obj_in_light":
        for obj in OBJECTS.values():
            if obj.lookable and room in obj.rooms:
                goals.extend((obj.name, lamp, frozenset(obj.receptacles),
                              combination_is_unseen(task_type, obj.name, lamp))
                             for lamp in ROOMS[room].lamps)
        return tuple(goals)
    appliance, prop = PROCESSING.get(task_type, ("", ""))[:2]
    for obj in OBJECTS.values():
        if not obj.pickupable or room not in obj.rooms or (prop and not getattr(obj, prop)):
            continue
        for target in obj.receptacles:
            if target != appliance:
                starts = frozenset(obj.receptacles) - {target}
                goals.append((obj.name, target, starts,
                              combination_is_unseen(task_type, obj.name, target)))
    return tuple(goals)


@functools.cache
def _goals(task_type: str, room: str, hidden: bool) -> tuple[tuple[str, str, frozenset[str]], ...]:
    return tuple(g[:3] for g in _candidate_goals(task_type, room) if g[3] == hidden)


def seen_goals(task_type: str, room: str) -> tuple[tuple[str, str, frozenset[str]], ...]:
    """Goals ``(object, target, kinds the object can start in)`` of the seen partition for a
    task type in a room (what train, valid and test draw from)."""
    return _goals(task_type, room, False)


@functools.lru_cache(maxsize=1 << 16)
def make_spec(split: str, index: int) -> TaskSpec:
    """The task of ``(split, index)``; raises ``UserError`` for an unknown split."""
    if split not in SPLITS:
        raise UserError(f"unknown household split {split!r}; use one of {', '.join(SPLITS)}")
    unseen = split == "test_unseen"
    task_type = TASK_TYPES[index % len(TASK_TYPES)]
    seed = _seed(split, index)
    rng = random.Random(seed)
    appliance = PROCESSING.get(task_type, ("",))[0]
    for _ in range(_MAX_ATTEMPTS):
        room = rng.choice(_ROOMS_FOR[task_type])
        present = rng.choice(_furniture_sets(room)[unseen])
        if appliance and appliance not in present:
            continue
        goals = [(obj, target) for obj, target, starts in _goals(task_type, room, unseen)
                 if target in present and not starts.isdisjoint(present)]
        if not goals:
            continue
        obj, target = rng.choice(goals)
        layout = tuple((n, rng.randint(max(lo, 1), hi)) for n, lo, hi in ROOMS[room].receptacles
                       if n in present)
        if "floorlamp" in present:
            layout += (("floorlamp", 1),)
        template = rng.randrange(len(INSTRUCTIONS[task_type]))
        return TaskSpec(task_type, seed, room, layout, "desklamp" in present, obj, target,
                        template)
    raise RuntimeError(f"household: no {task_type} task found for {split}/{index}")  # a bug


def task_id(split: str, index: int) -> str:
    return f"household/{split}/{index}"


def parse_task_id(task_id: str) -> tuple[str, int]:
    """``"household/<split>/<index>"`` -> ``(split, index)``; a bad id raises ``UserError``."""
    parts = task_id.split("/") if isinstance(task_id, str) else []
    if len(parts) != 3 or parts[0] != "household" or parts[1] not in SPLITS \
            or not parts[2].isdigit():
        raise UserError(f"unknown household task id {task_id!r}; ids look like "
                        "'household/train/12' (splits: " + ", ".join(SPLITS) + ")")
    return parts[1], int(parts[2])


def make_task(split: str, index: int) -> Task:
    spec = make_spec(split, index)
    return Task(task_id=task_id(split, index), split=split, task_type=spec.task_type,
                instruction=spec.instruction, data=spec.to_data())


@functools.lru_cache(maxsize=32)
def _task_tuple(split: str, size: int) -> tuple[Task, ...]:
    return tuple(make_task(split, i) for i in range(size))


def task_list(split: str, size: int) -> list[Task]:
    """The first ``size`` tasks of ``split`` (cached; a fresh list each call)."""
    if split not in SPLITS:
        raise UserError(f"unknown household split {split!r}; use one of {', '.join(SPLITS)}")
    return list(_task_tuple(split, size))


def spec_from_task(task: Task | dict[str, Any]) -> TaskSpec:
    """Rebuild the spec from a ``Task`` (or its dict, e.g. read back from JSON)."""
    if isinstance(task, dict):
        task = Task.from_dict(task)
    d = task.data
    try:
        return TaskSpec(task.task_type or "", int(d["seed"]), str(d["room"]),
                        tuple((str(n), int(c)) for n, c in d["layout"]), bool(d["desklamp"]),
                        str(d["object"]), str(d["target"]), int(d["template"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"task {task.task_id!r} is not a household task (its data lacks or "
                        f"mangles {exc}); pass a task from HouseholdEnv.tasks()") from None
