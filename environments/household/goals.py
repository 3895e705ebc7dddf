"""Goals of ALFWorld's six task types: success test, milestones, and candidate plans.

Success conditions follow ALFWorld's PDDL goals (arXiv 2010.03768), with types named in the
instruction and any instance accepted:

- ``pick_and_place``: some object of type X is in/on some receptacle of type Y.
- ``pick_clean_then_place`` / ``pick_heat_then_place`` / ``pick_cool_then_place``: the same, and
  that object is clean / hot / cool (cleaned in a sink basin, heated in a microwave, cooled in a
  fridge).
- ``pick_two_obj_and_place``: two different objects of type X are in/on the same receptacle of
  type Y.
- ``look_at_obj_in_light``: the agent holds an X and stands where a lamp of type L is switched on.

Milestones are subgoals in a fixed order per type; one counts once reached (they are monotone,
as the milestone shaper's potential needs) and only after the milestones before it. Success
completes them all. :meth:`Goal.plans` lists the candidate plans the expert
(:mod:`agentrl.environments.household.expert`) compares.
"""

from __future__ import annotations

from collections.abc import Iterator

from agentrl.environments.household.catalog import PROCESSING
from agentrl.environments.household.expert import DROP, GET, LIGHT, PROCESS, PUT, Lamp, Op
from agentrl.environments.household.tasks import TaskSpec
from agentrl.environments.household.world import CLEAN, COOL, HOT, LIT, World

__all__ = ["GOALS", "Goal", "LightGoal", "PlaceGoal", "TwoGoal", "make_goal"]

_STATE_BIT = {"clean": CLEAN, "hot": HOT, "cool": COOL}
_PROCESSED = {"clean": "cleaned_object", "hot": "heated_object", "cool": "cooled_object"}


class Goal:
    """Base: the goal objects of a world and the shared plan prefixes."""

    milestone_names: tuple[str, ...] = ()

    def __init__(self, w: World, spec: TaskSpec) -> None:
        self.targets = [o for o, t in enumerate(w.otype) if t == spec.obj]
        #: receptacles whose open/closed flag matters to the plans
        self.watch: list[int] = []
        #: fixed places the plans may visit (goal receptacles, appliances, lamps)
        self.places: frozenset[int] = frozenset()

    def done(self, w: World) -> bool:
        raise NotImplementedError

    def milestone_met(self, w: World, i: int) -> bool:
        """Whether milestone ``i`` holds now (checked only once milestones ``< i`` are reached)."""
        raise NotImplementedError

    def plans(self, w: World) -> Iterator[list[Op]]:
        raise NotImplementedError

    def plan_key(self, w: World) -> tuple[object, ...]:
        """The part of the state the expert's choice depends on (a cache key): the agent, the
        goal objects (place, state bits, whether their receptacle is open), whether the goal
        receptacles and the current place are open, and the lamps."""
        pos, is_open, loc, held, targets = w.pos, w.is_open, w.loc, w.held, self.targets
        where = [pos[o] for o in targets]
        if (held < 0 or held in targets) and loc not in self.places and loc not in where:
            # standing anywhere else (or nowhere yet) the plans are the same: every place
            # they visit is one "go to" away
            loc = -2
        return (loc, held, loc >= 0 and is_open[loc], *where, *[w.ostate[o] for o in targets],
                *[p >= 0 and is_open[p] for p in where], *[is_open[r] for r in self.watch],
                *self._lamp_state(w))

    def _lamp_state(self, w: World) -> tuple[object, ...]:
        return ()

    # -- shared conditions -------------------------------------------------------------------
    def _found(self, w: World) -> bool:
        return w.held in self.targets or (
            w.loc >= 0 and any(o in self.targets for o in w.visible(w.loc)))

    def _drops(self, w: World, first_place: int) -> list[list[Op]]:
        """Ways to free the hands before fetching from ``first_place``: drop here or there."""
        if w.held < 0:
            return [[]]
        here = w.loc >= 0 and w.rcapacity[w.loc]
        options: list[list[Op]] = [[(DROP, w.loc)]] if here else []
        if not (here and (w.is_open[w.loc] or not w.ropenable[w.loc])) and first_place != w.loc:
            options.append([(DROP, first_place)])
        return options


class PlaceGoal(Goal):
    """pick_and_place and pick_{clean,heat,cool}_then_place."""

    def __init__(self, w: World, spec: TaskSpec) -> None:
        super().__init__(w, spec)
        self.receptacles = self.watch = [r for r, t in enumerate(w.rtype) if t == spec.target]
        appliance, _, state = PROCESSING.get(spec.task_type, ("", "", ""))
        self.need = _STATE_BIT.get(state, 0)
        self.appliances = [r for r, t in enumerate(w.rtype) if t == appliance]
        self.places = frozenset(self.receptacles + self.appliances)
        self.milestone_names = ("found_object", "holding_object",
                                *((_PROCESSED[state],) if state else ()), "placed_object")

    def done(self, w: World) -> bool:
        need = self.need
        for o in self.targets:
            r = w.pos[o]
            if r >= 0 and r in self.receptacles and (w.ostate[o] & need) == need:
                return True
        return False

    def milestone_met(self, w: World, i: int) -> bool:
        if i == 0:
            return self._found(w)
        if i == 1:
            return w.held in self.targets
        if self.need and i == 2:
            return any(w.ostate[o] & self.need for o in self.targets)
        return self.done(w)

    def _tail(self, w: World, o: int) -> list[Op]:
        process = [(PROCESS, self.appliances)] if (w.ostate[o] & self.need) != self.need else []
        return [*process, (PUT, self.receptacles)]

    def plans(self, w: World) -> Iterator[list[Op]]:
        if w.held in self.targets:
            yield self._tail(w, w.held)
            return
        for o in self.targets:
            p = w.pos[o]
            if p >= 0:
                tail = [(GET, o), *self._tail(w, o)]
                for prefix in self._drops(w, p):
                    yield prefix + tail


class TwoGoal(Goal):
    """pick_two_obj_and_place: two X in the same receptacle of type Y."""

    milestone_names = ("found_object", "holding_object", "placed_first", "holding_second",
                       "placed_object")

    def __init__(self, w: World, spec: TaskSpec) -> None:
        super().__init__(w, spec)
        self.receptacles = self.watch = [r for r, t in enumerate(w.rtype) if t == spec.target]
        self.places = frozenset(self.receptacles)

    def _inside(self, w: World, r: int) -> int:
        return sum(1 for o in self.targets if w.pos[o] == r)

    def done(self, w: World) -> bool:
        places = [w.pos[o] for o in self.targets]
        places = [r for r in places if r in self.receptacles]
        return len(places) != len(set(places))

    def milestone_met(self, w: World, i: int) -> bool:
        if i == 0:
            return self._found(w)
        if i == 1:
            return w.held in self.targets
        placed = sum(1 for o in self.targets if w.pos[o] in self.receptacles)
        if i == 2:
            return placed >= 1
        if i == 3:
            return placed >= 1 and w.held in self.targets
        return self.done(w)

    def plans(self, w: World) -> Iterator[list[Op]]:
        holding = w.held in self.targets
        for r in self.receptacles:
            need = 2 - self._inside(w, r)
            avail = [o for o in self.targets if w.pos[o] >= 0 and w.pos[o] != r]
            head: list[Op] = [(DROP, r)] if holding else []
            need -= holding
            if need <= 0:
                yield head
                continue
            for o1 in avail:
                fetch1: list[Op] = [(GET, o1), (DROP, r)]
                prefixes = [head] if holding else self._drops(w, w.pos[o1])
                if need == 1:
                    for prefix in prefixes:
                        yield prefix + fetch1
                    continue
                for o2 in avail:
                    if o2 != o1:
                        for prefix in prefixes:
                            yield [*prefix, *fetch1, (GET, o2), (DROP, r)]


class LightGoal(Goal):
    """look_at_obj_in_light: hold an X where a lamp of type L is on."""

    milestone_names = ("found_object", "holding_object", "reached_light", "light_on")

    def __init__(self, w: World, spec: TaskSpec) -> None:
        super().__init__(w, spec)
        self.lamps: list[Lamp] = []
        for o, t in enumerate(w.otype):
            if t == spec.target:
                self.lamps.append((w.pos[o], o, -1))
        for r, t in enumerate(w.rtype):
            if t == spec.target:
                self.lamps.append((r, -1, r))
        self.places = frozenset(place for place, _, _ in self.lamps)

    def _lamp_state(self, w: World) -> tuple[object, ...]:
        return tuple((w.ostate[o] & LIT) if o >= 0 else w.rlit[r] for _, o, r in self.lamps)

    def _lit_here(self, w: World, need_on: bool) -> bool:
        for place, lamp_obj, lamp_rec in self.lamps:
            if place == w.loc:
                if not need_on:
                    return True
                if (w.ostate[lamp_obj] & LIT) if lamp_obj >= 0 else w.rlit[lamp_rec]:
                    return True
        return False

    def done(self, w: World) -> bool:
        return w.held in self.targets and self._lit_here(w, need_on=True)

    def milestone_met(self, w: World, i: int) -> bool:
        if i == 0:
            return self._found(w)
        if i == 1:
            return w.held in self.targets
        if i == 2:
            return w.held in self.targets and self._lit_here(w, need_on=False)
        return self.done(w)

    def plans(self, w: World) -> Iterator[list[Op]]:
        if w.held in self.targets:
            for lamp in self.lamps:
                yield [(LIGHT, lamp)]
            return
        for o in self.targets:
            p = w.pos[o]
            for lamp in self.lamps:
                for prefix in self._drops(w, p):
                    yield [*prefix, (GET, o), (LIGHT, lamp)]


#: Goal class of each task type.
GOALS: dict[str, type[Goal]] = {
    "pick_and_place": PlaceGoal,
    "look_at_obj_in_light": LightGoal,
    "pick_clean_then_place": PlaceGoal,
    "pick_heat_then_place": PlaceGoal,
    "pick_cool_then_place": PlaceGoal,
    "pick_two_obj_and_place": TwoGoal,
}


def make_goal(w: World, spec: TaskSpec) -> Goal:
    return GOALS[spec.task_type](w, spec)
