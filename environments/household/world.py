"""The household world: one room, its receptacles and objects, and ALFWorld's commands.

State (all of it; :meth:`World.state_key` writes it out exactly):

- the agent's location: a receptacle index, or ``-1`` for the middle of the room (start);
- the held object (ALFWorld's agent holds at most one), or ``-1``;
- each object's receptacle (``-1`` while held) and its state bits (clean, hot, cool, lamp on);
- each receptacle's open/closed flag and, for floor lamps, on/off.

Rules follow ALFWorld's TextWorld game logic (arXiv 2010.03768): the agent acts only on the
receptacle it stands at; inside a closed receptacle nothing can be seen, taken or put; ``clean``,
``heat`` and ``cool`` need the held object to allow it and the agent at a sink basin, microwave
or fridge; ``use`` switches a lamp at the current location on or off. Commands are matched
against the admissible commands of the current state after lower-casing and collapsing
whitespace; anything else gives "Nothing happens." and leaves the state unchanged.

Speed: admissible commands (as a command -> handler table) are cached per exact state within an
episode and per *local* state (place, hands, what is visible there) across clones of one world;
the parts of the state key are rebuilt only when they change. Episodes play in
:meth:`World.clone` copies, so a task's world is built once however often it is reset.
"""

from __future__ import annotations

import random
from bisect import insort
from collections.abc import Callable

from agentrl.environments.household import text
from agentrl.environments.household.catalog import OBJECTS, RECEPTACLES, ROOMS
from agentrl.environments.household.tasks import TaskSpec

__all__ = ["CLEAN", "COOL", "HOT", "LIT", "World", "build_world"]

#: Object state bits.
CLEAN, HOT, COOL, LIT = 1, 2, 4, 8
_STATE_WORDS = ((CLEAN, "clean"), (HOT, "hot"), (COOL, "cool"))
_PROCESS_BIT = {"sinkbasin": CLEAN, "microwave": HOT, "fridge": COOL}
_PROCESS_CMD = {CLEAN: text.CLEAN_CMD, HOT: text.HEAT_CMD, COOL: text.COOL_CMD}
_PROCESS_TEXT = {CLEAN: text.CLEAN, HOT: text.HEAT, COOL: text.COOL}

#: A command's effect: ``handler(world, a, b) -> observation``.
Handler = Callable[["World", int, int], str]
Table = dict[str, tuple[Handler, int, int]]
#: Bound on the per-layout cache of admissible commands (shared by clones of one world).
_LOCAL_CACHE_SIZE = 1024
_RECEPTACLE_INFO = {n: (r.openable, r.capacity, r.light, _PROCESS_BIT.get(n, 0))
                    for n, r in RECEPTACLES.items()}
_OBJECT_INFO = {n: (o.pickupable, o.light, (CLEAN if o.cleanable else 0)
                    | (HOT if o.heatable else 0) | (COOL if o.coolable else 0))
                for n, o in OBJECTS.items()}
#: Pickupable object types of each room, in catalog order.
_ROOM_OBJECTS = {room: [n for n, o in OBJECTS.items() if room in o.rooms and o.pickupable]
                 for room in ROOMS}


class World:
    """A generated room and the agent in it. Built by :func:`build_world`."""

    def __init__(self, receptacles: list[str], objects: list[str], placement: list[int],
                 open_flags: list[bool]) -> None:
        self.rnames = receptacles
        self.rtype = [n.rsplit(" ", 1)[0] for n in receptacles]
        self.ropenable, self.rcapacity, self.rlight, self.rbit = map(
            list, zip(*[_RECEPTACLE_INFO[t] for t in self.rtype], strict=True))
        self.onames = objects
        self.otype = [n.rsplit(" ", 1)[0] for n in objects]
        # per object: pickupable, a light, and the processing state bits it allows
        self.opickup, self.olight, self.oallows = map(
            list, zip(*[_OBJECT_INFO[t] for t in self.otype], strict=True))
        self.pos = list(placement)
        self.contents: list[list[int]] = [[] for _ in receptacles]
        for o, r in enumerate(placement):
            self.contents[r].append(o)
        self.is_open = list(open_flags)
        self.rlit = [False] * len(receptacles)
        self.ostate = [0] * len(objects)
        self.loc = -1
        self.held = -1
        # constant strings
        self._go = [text.GO.format(r=r) for r in receptacles]
        self._go_table = {cmd: (World._go_to, i, 0) for i, cmd in enumerate(self._go)}
        self.room_text = text.ROOM.format(things=text.list_things(receptacles))
        # cached parts of the state key (None = stale)
        self._pos_key: str | None = None
        self._flag_key: str | None = None
        # admissible commands per state key (this episode) and per local state (shared by clones)
        self._actions: dict[str, tuple[list[str], Table]] = {}
        self._local_actions: dict[tuple[int, int, bool, tuple[int, ...]],
                                  tuple[list[str], Table]] = {}

    # -- state key --------------------------------------------------------------------------
    def state_key(self) -> str:
        """Exact, history-free key: ``loc|held|object positions|object bits|open and lit``."""
        if self._pos_key is None:
            self._pos_key = ",".join(map(str, self.pos))
        if self._flag_key is None:
            obits = "".join(map(str, self.ostate))  # one digit each: bits <= 8 (see CLEAN..LIT)
            rbits = "".join("0123"[o + 2 * lit]
                            for o, lit in zip(self.is_open, self.rlit, strict=True))
            self._flag_key = f"{obits}|{rbits}"
        return f"{self.loc}|{self.held}|{self._pos_key}|{self._flag_key}"

    def clone(self) -> World:
        """A copy to play in: own mutable state, shared layout and command cache (cheap)."""
        new = object.__new__(World)
        new.__dict__.update(self.__dict__)
        new.pos = list(self.pos)
        new.contents = [list(c) for c in self.contents]
        new.is_open = list(self.is_open)
        new.rlit = list(self.rlit)
        new.ostate = list(self.ostate)
        new._actions = {}
        return new

    def snapshot(self) -> tuple[object, ...]:
        """The mutable state, for search (restore it with :meth:`restore`)."""
        return (self.loc, self.held, tuple(self.pos), tuple(map(tuple, self.contents)),
                tuple(self.is_open), tuple(self.rlit), tuple(self.ostate))

    def restore(self, snap: tuple[object, ...]) -> None:
        loc, held, pos, contents, is_open, rlit, ostate = snap
        self.loc, self.held = loc, held  # type: ignore[assignment]
        self.pos = list(pos)  # type: ignore[call-overload]
        self.contents = [list(c) for c in contents]  # type: ignore[attr-defined]
        self.is_open = list(is_open)  # type: ignore[call-overload]
        self.rlit = list(rlit)  # type: ignore[call-overload]
        self.ostate = list(ostate)  # type: ignore[call-overload]
        self._pos_key = self._flag_key = None

    def step(self, command: str) -> str | None:
        """Apply ``command`` (any case and spacing); the observation, or None if inadmissible."""
        _, table = self.admissible(self.state_key())
        entry = table.get(" ".join(command.lower().split()))
        if entry is None:
            return None
        handler, a, b = entry
        return handler(self, a, b)

    # -- views ------------------------------------------------------------------------------
    def visible(self, r: int) -> list[int]:
        """Objects the agent can see at receptacle ``r`` (none inside a closed one)."""
        if self.ropenable[r] and not self.is_open[r]:
            return []
        return self.contents[r]

    def describe(self, r: int) -> str:
        name = self.rnames[r]
        if not self.rcapacity[r]:
            return text.LAMP_STATE.format(r=name, state="on" if self.rlit[r] else "off")
        if self.ropenable[r]:
            if not self.is_open[r]:
                return text.CLOSED.format(r=name)
            things = text.list_things([self.onames[o] for o in self.contents[r]])
            return text.IN_OPEN.format(r=name, things=things)
        things = text.list_things([self.onames[o] for o in self.contents[r]])
        return text.ON.format(r=name, things=things)

    # -- admissible commands -----------------------------------------------------------------
    def admissible(self, key: str) -> tuple[list[str], Table]:
        """``(commands, table)`` for the state ``key`` (the current one); cached per state."""
        cached = self._actions.get(key)
        if cached is None:
            # the commands depend only on the agent's place, hands, and what is visible there
            loc = self.loc
            local = (loc, self.held, loc >= 0 and self.is_open[loc],
                     tuple(self.contents[loc]) if loc >= 0 else ())
            cached = self._local_actions.get(local)
            if cached is None:
                cached = self._build_admissible()
                if len(self._local_actions) >= _LOCAL_CACHE_SIZE:
                    self._local_actions.clear()
                self._local_actions[local] = cached
            self._actions[key] = cached
        return cached

    def _build_admissible(self) -> tuple[list[str], Table]:
        table: Table = {}
        loc, held, onames = self.loc, self.held, self.onames
        if loc >= 0:
            r = self.rnames[loc]
            if self.ropenable[loc]:
                if self.is_open[loc]:
                    table[text.CLOSE_CMD.format(r=r)] = (World._close, loc, 0)
                else:
                    table[text.OPEN_CMD.format(r=r)] = (World._open, loc, 0)
            seen = self.visible(loc)
            if held < 0:
                for o in seen:
                    if self.opickup[o]:
                        table[text.TAKE_CMD.format(o=onames[o], r=r)] = (World._take, o, loc)
            elif self.rcapacity[loc] and (self.is_open[loc] or not self.ropenable[loc]):
                table[text.PUT_CMD.format(o=onames[held], r=r)] = (World._put, held, loc)
            bit = self.rbit[loc]
            if held >= 0 and bit & self.oallows[held]:
                cmd = _PROCESS_CMD[bit].format(o=onames[held], r=r)
                table[cmd] = (World._process, held, loc)
            if self.rlight[loc]:
                table[text.USE_CMD.format(o=r)] = (World._use_fixture, loc, 0)
            for o in seen:
                if self.olight[o]:
                    table[text.USE_CMD.format(o=onames[o])] = (World._use_lamp, o, 0)
            table[text.EXAMINE_CMD.format(o=r)] = (World._examine_receptacle, loc, 0)
            for o in seen:
                table[text.EXAMINE_CMD.format(o=onames[o])] = (World._examine_object, o, 0)
        if held >= 0:
            table[text.EXAMINE_CMD.format(o=onames[held])] = (World._examine_object, held, 0)
        table.update(self._go_table)
        if loc >= 0:
            del table[self._go[loc]]
        table[text.LOOK_CMD] = (World._look, 0, 0)
        table[text.INVENTORY_CMD] = (World._inventory, 0, 0)
        return list(table), table

    # -- command handlers (each returns the observation) -------------------------------------
    def _go_to(self, r: int, _: int) -> str:
        self.loc = r
        return text.ARRIVE.format(r=self.rnames[r], contents=self.describe(r))

    def _open(self, r: int, _: int) -> str:
        self.is_open[r] = True
        self._flag_key = None
        return text.OPEN.format(r=self.rnames[r], contents=self.describe(r))

    def _close(self, r: int, _: int) -> str:
        self.is_open[r] = False
        self._flag_key = None
        return text.CLOSE.format(r=self.rnames[r])

    def _take(self, o: int, r: int) -> str:
        self.contents[r].remove(o)
        self.pos[o] = -1
        self.held = o
        self._pos_key = None
        return text.TAKE.format(o=self.onames[o], r=self.rnames[r])

    def _put(self, o: int, r: int) -> str:
        insort(self.contents[r], o)
        self.pos[o] = r
        self.held = -1
        self._pos_key = None
        return text.PUT.format(o=self.onames[o], r=self.rnames[r])

    def _process(self, o: int, r: int) -> str:
        bit = self.rbit[r]
        self.ostate[o] |= bit
        self._flag_key = None
        return _PROCESS_TEXT[bit].format(o=self.onames[o], r=self.rnames[r])

    def _use_lamp(self, o: int, _: int) -> str:
        self.ostate[o] ^= LIT
        self._flag_key = None
        return text.TURN.format(state="on" if self.ostate[o] & LIT else "off", o=self.onames[o])

    def _use_fixture(self, r: int, _: int) -> str:
        self.rlit[r] = not self.rlit[r]
        self._flag_key = None
        return text.TURN.format(state="on" if self.rlit[r] else "off", o=self.rnames[r])

    def _examine_receptacle(self, r: int, _: int) -> str:
        return self.describe(r)

    def _examine_object(self, o: int, _: int) -> str:
        name = self.onames[o]
        if self.olight[o]:
            return text.STATES.format(o=name, states="on" if self.ostate[o] & LIT else "off")
        words = [w for bit, w in _STATE_WORDS if self.ostate[o] & bit]
        if not words:
            return text.PLAIN.format(o=name)
        return text.STATES.format(o=name, states=" and ".join(words))

    def _look(self, _: int, __: int) -> str:
        if self.loc < 0:
            return self.room_text
        return text.FACING.format(r=self.rnames[self.loc], contents=self.describe(self.loc))

    def _inventory(self, _: int, __: int) -> str:
        if self.held < 0:
            return text.EMPTY_HANDS
        return text.CARRYING.format(o=self.onames[self.held])


def build_world(spec: TaskSpec, usual_place: float = 0.0) -> World:
    """Furnish the room of ``spec`` and place its objects, deterministically from its seed.

    Receptacle kinds are listed in a shuffled order; openable receptacles start closed with
    probability 0.8; the goal objects (1-3 of them, 2-3 for pick-two tasks) start anywhere they
    may be except in a receptacle of the goal type; 5-10 distractor objects of other types
    (plus a desk lamp where the layout has one) fill the rest.

    ``usual_place`` is the probability that an object starts at its *usual place*, the first
    receptacle kind its catalog entry lists (a countertop for most kitchen things, a desk for
    small office things, a bed for a pillow), where the room has one and other places too; the
    rest of the probability is spread evenly over the other places it may be. At 0 (the
    default) every place it may be is equally likely. Real rooms are like this (AI2-THOR's
    scenes, hence ALFWorld's, put most objects at a few typical places), and it gives an agent
    something to learn that the searching expert does not use: it searches in the order the
    room lists the places.
    """
    rnd = random.Random(spec.seed ^ 0x9E3779B97F4A7C15).random

    def below(n: int) -> int:  # uniform in [0, n); faster than Random.randrange
        return int(rnd() * n)

    rtypes: list[str] = []

    def pick(kind: str, where: list[int]) -> int:
        """One of ``where`` for an object of ``kind``, with one draw."""
        return where[_usual_index(kind, where, rtypes, usual_place, rnd())]

    kinds = list(spec.layout)
    for i in range(len(kinds) - 1, 0, -1):  # Fisher-Yates shuffle
        j = below(i + 1)
        kinds[i], kinds[j] = kinds[j], kinds[i]
    receptacles, by_type = [], {}
    for kind, count in kinds:
        by_type[kind] = list(range(len(receptacles), len(receptacles) + count))
        receptacles += [f"{kind} {i}" for i in range(1, count + 1)]
        rtypes += [kind] * count

    def spots(obj_type: str, avoid: str = "") -> list[int]:
        return [i for t in OBJECTS[obj_type].receptacles if t != avoid
                for i in by_type.get(t, ())]

    placed: list[tuple[str, int]] = []
    n_goal = 2 + below(2) if spec.task_type == "pick_two_obj_and_place" else 1 + below(3)
    where = spots(spec.obj, _goal_avoids(spec))
    placed += [(spec.obj, pick(spec.obj, where)) for _ in range(n_goal)]
    if spec.desklamp:
        where = spots("desklamp")
        placed.append(("desklamp", where[below(len(where))]))
    candidates = [name for name in _ROOM_OBJECTS[spec.room]
                  if name != spec.obj and not by_type.keys().isdisjoint(OBJECTS[name].receptacles)]
    n_distract = 5 + below(6)
    while n_distract > 0 and candidates:
        kind = candidates.pop(below(len(candidates)))
        where = spots(kind)
        for _ in range(min(n_distract, 1 + below(2))):
            placed.append((kind, pick(kind, where)))
            n_distract -= 1
    placed.sort()  # objects are listed by name, numbered per type
    objects, placement, counter = [], [], dict.fromkeys([p[0] for p in placed], 0)
    for kind, r in placed:
        counter[kind] += 1
        objects.append(f"{kind} {counter[kind]}")
        placement.append(r)
    open_flags = [_RECEPTACLE_INFO[kind][0] and rnd() < 0.2
                  for kind, count in kinds for _ in range(count)]
    return World(receptacles, objects, placement, open_flags)


def _usual_index(kind: str, where: list[int], rtypes: list[str], usual_place: float,
                 draw: float) -> int:
    """Index into ``where`` (receptacle indices, of types ``rtypes``) chosen by the uniform
    ``draw`` in [0, 1): uniform, or with probability ``usual_place`` at ``kind``'s usual place
    (see :func:`build_world`) when some but not all of ``where`` are of that type."""
    n = len(where)
    if usual_place > 0.0:
        home = OBJECTS[kind].usual_place
        n_home = sum(rtypes[r] == home for r in where)
        if 0 < n_home < n:
            x = draw
            for i, r in enumerate(where):
                x -= (usual_place / n_home if rtypes[r] == home
                      else (1.0 - usual_place) / (n - n_home))
                if x < 0.0:
                    return i
            return n - 1
    return int(draw * n)


def _goal_avoids(spec: TaskSpec) -> str:
    """The receptacle type the goal's object never starts in (the task's target: a task must
    not be solved at reset); none for looking at an object in light."""
    return "" if spec.task_type == "look_at_obj_in_light" else spec.target


def replace_objects(world: World, spec: TaskSpec, seed: int,
                    usual_place: float = 0.0) -> World:
    """The same room (receptacles, which are open, the same objects) with every object moved to
    a place drawn from ``seed``, under :func:`build_world`'s rules (each kind where it may be,
    the goal's object never in a receptacle of the goal's type, ``usual_place`` as there). What
    the task fixes stays; what the agent has to find out differs."""
    rnd = random.Random((seed * 0x9E3779B1) ^ spec.seed).random
    avoid = _goal_avoids(spec)
    placement = []
    for kind in world.otype:
        where = [r for r, t in enumerate(world.rtype) if t in OBJECTS[kind].receptacles
                 and not (kind == spec.obj and t == avoid)]
        placement.append(where[_usual_index(kind, where, world.rtype, usual_place, rnd())])
    return World(list(world.rnames), list(world.onames), placement, list(world.is_open))
