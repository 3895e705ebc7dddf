"""The expert: re-plans from the current state at every step and returns the next command.

Method. Each goal (:mod:`agentrl.environments.household.goals`) enumerates candidate high-level
plans for the *current* state: which goal object to fetch (or the one in hand), where to drop a
wrong object the agent holds, which appliance to use and which goal receptacle (or lamp) to end
at. Each plan is a short list of operations::

    GET o          go to o's receptacle, open it if closed, take o
    DROP r         go to r, open it if closed, put the held object in/on r
    PUT [r...]     the same, into whichever goal receptacle is cheapest from where the agent is
    PROCESS [a...] go to the cheapest appliance, clean/heat/cool the held object with it
    LIGHT lamp     go to the lamp's place, switch it on if it is off

:func:`compile_plan` expands a plan into primitive commands against a copy of the few state
variables it touches (location, opened receptacles), counting them. The expert takes the
cheapest plan and returns its first command. Every move costs one step, so with full knowledge of
the state (ALFWorld's expert is also an oracle with the full game state) the cheapest candidate is
a shortest solution among plans that never move an object twice, which is what every goal needs.

The *searching* expert (:func:`search_action`) knows only what the agent has seen: it plans
with the objects whose receptacle the agent has looked into, and otherwise goes to (and opens)
the first place it has not looked into yet, in the order the room description lists them, among
the places the object it needs can be. Its demonstrations are consistent with the observations,
so a small model can imitate them; the oracle's cannot be imitated where objects are hidden.

Because it re-plans from the state alone, the expert's action is a function of ``state_key``:
after any detour it still gives the right next command, which is what SFT recovery data and
GiGPO-style state grouping need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentrl.environments.household import text
from agentrl.environments.household.world import _PROCESS_CMD, LIT, World

if TYPE_CHECKING:
    from agentrl.environments.household.goals import Goal

__all__ = ["DROP", "GET", "LIGHT", "PROCESS", "PUT", "Lamp", "Op", "compile_plan",
           "expert_action", "search_action"]

GET, DROP, PUT, PROCESS, LIGHT = range(5)

#: A lamp: (place it is at, lamp object index or -1, floor-lamp receptacle index or -1).
Lamp = tuple[int, int, int]
Op = tuple[int, Any]


def compile_plan(w: World, plan: list[Op]) -> tuple[int, str]:
    """Number of primitive commands ``plan`` takes from the current state, and the first one."""
    loc, held = w.loc, w.held
    opened: list[int] = []
    cost = 0
    first = ""
    for op, arg in plan:
        if op == GET:
            o = arg
            p = w.pos[o]
            if loc != p:
                cost += 1
                first = first or w._go[p]
                loc = p
            if w.ropenable[p] and not w.is_open[p] and p not in opened:
                cost += 1
                first = first or text.OPEN_CMD.format(r=w.rnames[p])
                opened.append(p)
            cost += 1
            first = first or text.TAKE_CMD.format(o=w.onames[o], r=w.rnames[p])
            held = o
        elif op in (DROP, PUT):
            if op == DROP:
                r = arg
            else:
                r = min(arg, key=lambda x: (x != loc) + (
                    w.ropenable[x] and not w.is_open[x] and x not in opened))
            if loc != r:
                cost += 1
                first = first or w._go[r]
                loc = r
            if w.ropenable[r] and not w.is_open[r] and r not in opened:
                cost += 1
                first = first or text.OPEN_CMD.format(r=w.rnames[r])
                opened.append(r)
            cost += 1
            first = first or text.PUT_CMD.format(o=w.onames[held], r=w.rnames[r])
            held = -1
        elif op == PROCESS:
            a = loc if loc in arg else arg[0]
            if loc != a:
                cost += 1
                first = first or w._go[a]
                loc = a
            cost += 1
            first = first or _PROCESS_CMD[w.rbit[a]].format(o=w.onames[held], r=w.rnames[a])
        else:  # LIGHT
            place, lamp_obj, lamp_rec = arg
            if loc != place:
                cost += 1
                first = first or w._go[place]
                loc = place
            on = (w.ostate[lamp_obj] & LIT) if lamp_obj >= 0 else w.rlit[lamp_rec]
            if not on:
                cost += 1
                name = w.onames[lamp_obj] if lamp_obj >= 0 else w.rnames[lamp_rec]
                first = first or text.USE_CMD.format(o=name)
    return cost, first


def expert_action(w: World, goal: Goal) -> str:
    """The first command of the shortest candidate plan of ``goal`` from the current state."""
    best_cost, best = 1 << 30, ""
    for plan in goal.plans(w):
        cost, first = compile_plan(w, plan)
        if cost < best_cost and first:
            best_cost, best = cost, first
    return best or text.LOOK_CMD


def _known_prefix(w: World, plan: list[Op], seen: frozenset[int] | set[int]
                  ) -> tuple[list[Op], bool]:
    """``plan`` up to its first step that needs a place the agent has not looked into, and
    whether that is the whole plan."""
    for i, (op, arg) in enumerate(plan):
        if op == GET and w.pos[arg] not in seen:
            return plan[:i], False
        if op == LIGHT and arg[1] >= 0 and arg[0] not in seen:
            return plan[:i], False
    return plan, True


def search_action(w: World, goal: Goal, seen: frozenset[int] | set[int],
                  places: list[int]) -> str:
    """The next command of an expert that knows only what the agent has seen.

    Args:
        w: the world (its hidden placements are used only for places in ``seen``).
        goal: the task's goal.
        seen: receptacles whose contents the agent has seen (arrived at while open, or opened).
        places: where the objects the goal needs can be, in the room description's order.

    The cheapest plan that uses only seen places wins; failing that, the cheapest plan prefix
    that fetches or lights something already seen (two-object tasks fetch the first object
    before searching for the second); failing that, the first place not looked into yet, or
    the oracle's choice when every place has been seen.
    """
    best_cost, best = 1 << 30, ""
    partial_cost, partial = 1 << 30, ""
    for plan in goal.plans(w):
        prefix, whole = _known_prefix(w, plan, seen)
        if whole:
            cost, first = compile_plan(w, plan)
            if cost < best_cost and first:
                best_cost, best = cost, first
        elif any(op in (GET, LIGHT) for op, _ in prefix):
            cost, first = compile_plan(w, prefix)
            if cost < partial_cost and first:
                partial_cost, partial = cost, first
    if best or partial:
        return best or partial
    if w.loc >= 0 and w.loc in places and w.loc not in seen:
        return text.OPEN_CMD.format(r=w.rnames[w.loc])  # closed (arriving at an open one sees it)
    for r in places:
        if r not in seen:
            return w._go[r]
    return expert_action(w, goal)
