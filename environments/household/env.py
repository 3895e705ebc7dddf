"""``agentrl/Household-v0``: an ALFWorld-style household environment, generated offline.

ALFWorld (Shridhar et al., ICLR 2021, arXiv 2010.03768) renders ALFRED's household scenes as
TextWorld games; it needs a multi-GB data download. This environment generates equivalent worlds
procedurally from a seed: one room (kitchen, bathroom, bedroom, living room or office) with
numbered receptacles and objects, a goal of one of ALFWorld's six task types, ALFWorld's command
grammar and observation wording, and an oracle expert that re-plans from the current state.

Episode: the first observation is the room description and the task ("You are in the middle of
a room. Looking quickly around you, you see a cabinet 1, ... \\n\\nYour task is to: put a clean
apple in fridge."). Each step takes one command; an inadmissible or malformed command gives
"Nothing happens." with ``info["valid"] = False``. The episode terminates on success with reward
``reward_scale`` (0 otherwise) and is truncated after ``max_turns`` steps.

``info`` on every step: ``valid``, ``admissible_actions``, ``state_key`` (exact, history-free;
observed with ``options["vary_hidden"]``),
``milestones`` and ``milestones_total``, ``success``, ``score`` (milestone fraction; 1.0 on
success), ``expert_action``, ``expert_thought``, ``task_id``, ``task_type``, ``reward_components``.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from agentrl.environments.household import text
from agentrl.environments.household.catalog import OBJECTS
from agentrl.environments.household.expert import expert_action, search_action
from agentrl.environments.household.goals import Goal, make_goal
from agentrl.environments.household.tasks import (
    SPLITS,
    TaskSpec,
    make_spec,
    parse_task_id,
    seen_goals,
    spec_from_task,
    task_id,
    task_list,
)
from agentrl.environments.household.world import World, build_world, replace_objects
from agentrl.envs.base import TextEnv
from agentrl.errors import UserError
from agentrl.types import Task

__all__ = ["HouseholdEnv"]

_EXPERT_CACHE_SIZE = 4096


@functools.lru_cache(maxsize=128)
def _prepared(spec: TaskSpec, usual_place: float = 0.0
              ) -> tuple[World, Goal, dict[tuple[object, ...], str]]:
    """The built world of a task (never played in: episodes play in clones), its goal, and the
    expert's choices by plan key. Cached, since GRPO-style groups reset the same task often."""
    world = build_world(spec, usual_place)
    return world, make_goal(world, spec), {}


class HouseholdEnv(TextEnv):
    """ALFWorld-style household tasks (see the module docstring).

    Args:
        train_size, valid_size, test_size, test_unseen_size: tasks per split. Tasks are a
            deterministic function of ``(split, index)``, so a larger split extends a smaller
            one.
        reward_scale: terminal reward on success.
        max_turns: steps before the episode is truncated (the registry's limit replaces it).
        expert: compute ``info["expert_action"]`` and ``info["expert_thought"]`` (the check
            of the listed objects behind a ``take``; turn off to save time when not needed).
        expert_mode: ``oracle`` (ALFWorld's kind of expert: it knows where every object is and
            walks straight to it) or ``search`` (it knows only what the agent has seen and
            searches the places the object can be in the order the room lists them; its
            demonstrations can be imitated from the observations). Success and rewards do not
            depend on it.
        usual_place: probability in [0, 1] that an object starts at its usual place (the first
            receptacle kind its catalog entry lists, e.g. a countertop for a mug) where the
            room has one; 0 (the default) spreads it evenly over every place it may be. The
            searching expert does not use it, so an agent can learn to search better than its
            demonstrations (the CPU quickstart uses 0.8).
    """

    def __init__(self, *, train_size: int = 4000, valid_size: int = 200, test_size: int = 200,
                 test_unseen_size: int = 200, reward_scale: float = 1.0, max_turns: int = 30,
                 expert: bool = True, expert_mode: str = "oracle", usual_place: float = 0.0,
                 render_mode: str | None = None) -> None:
        sizes = {"train": train_size, "valid": valid_size, "test": test_size,
                 "test_unseen": test_unseen_size}
        for split, size in sizes.items():
            if not isinstance(size, int) or size < 1:
                raise UserError(f"household: {split}_size must be a positive integer, got {size!r}")
        if max_turns < 1:
            raise UserError(f"household: max_turns must be >= 1, got {max_turns}")
        if expert_mode not in ("oracle", "search"):
            raise UserError(f"household: expert_mode must be 'oracle' or 'search', got "
                            f"{expert_mode!r}")
        if (isinstance(usual_place, bool) or not isinstance(usual_place, (int, float))
                or not 0.0 <= usual_place <= 1.0):
            raise UserError(f"household: usual_place must be a probability in [0, 1], got "
                            f"{usual_place!r}")
        self.expert_mode = expert_mode
        self.usual_place = float(usual_place)
        self.sizes = sizes
        self.reward_scale = float(reward_scale)
        self.max_turns = max_turns
        self.expert = expert
        self.render_mode = render_mode
        self._world: World | None = None
        self._goal: Goal | None = None
        self._spec: TaskSpec | None = None
        self._task_id = ""
        self._observation = ""
        self._varied = False

    # -- tasks --------------------------------------------------------------------------------
    def tasks(self, split: str = "train") -> list[Task]:
        """Tasks of ``split`` (``train``, ``valid``, ``test`` or ``test_unseen``)."""
        if split not in self.sizes:
            raise UserError(f"unknown household split {split!r}; use one of {', '.join(SPLITS)}")
        return task_list(split, self.sizes[split])

    # -- gymnasium API ------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        """Start a task: ``options["task_id"]`` (or ``options["task"]``, a ``Task``) picks it;
        otherwise ``seed`` picks a train task. A task's world is fixed by the task itself, unless
        ``options["vary_hidden"]`` is true: then ``seed`` moves its objects
        (:func:`~agentrl.environments.household.world.replace_objects`) and ``state_key`` is
        what the agent observes rather than the exact state."""
        super().reset(seed=seed)
        options = options or {}
        if options.get("task") is not None:
            task = options["task"]
            task = Task.from_dict(task) if isinstance(task, dict) else task
            spec, self._task_id = spec_from_task(task), task.task_id
        elif options.get("task_id") is not None:
            split, index = parse_task_id(options["task_id"])
            spec, self._task_id = make_spec(split, index), options["task_id"]
        else:
            index = int(self.np_random.integers(self.sizes["train"]))
            spec, self._task_id = make_spec("train", index), task_id("train", index)
        self._spec = spec
        template, self._goal, self._experts = _prepared(spec, self.usual_place)
        self._varied = bool(options.get("vary_hidden")) and seed is not None
        if self._varied:
            assert seed is not None
            self._world = world = replace_objects(template, spec, seed, self.usual_place)
            self._goal, self._experts = make_goal(world, spec), {}
        else:
            self._world = world = template.clone()
        self._names = self._goal.milestone_names
        self._reached = 0
        self._success = False
        self._turns = 0
        self._key = world.state_key()
        self._expert_key, self._expert = "", ""
        self._seen: set[int] = set()
        self._places = _search_places(world, spec)
        self._observation = (f"{world.room_text}\n\n"
                             f"{text.TASK.format(instruction=spec.instruction)}")
        return self._observation, self._info(None, 0.0)

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        world = self._world
        if world is None:
            raise RuntimeError("HouseholdEnv.step() called before reset()")
        entry = None
        if isinstance(action, str) and not self._success:
            _, table = world.admissible(self._key)
            entry = table.get(" ".join(action.lower().split()))
        reward = 0.0
        if entry is None:
            observation = text.NOTHING
        else:
            handler, a, b = entry
            observation = handler(world, a, b)
            key = world.state_key()
            if key != self._key:  # look, examine and inventory change nothing
                self._key = key
                self._progress()
                loc = world.loc
                if loc >= 0 and (world.is_open[loc] or not world.ropenable[loc]):
                    self._seen.add(loc)
            if self._success:
                reward = self.reward_scale
        self._turns += 1
        self._observation = observation
        truncated = self._turns >= self.max_turns and not self._success
        return observation, reward, self._success, truncated, self._info(entry is not None, reward)

    def render(self) -> str:
        return self._observation

    def relabel_goals(self, limit: int = 2) -> list[dict[str, str]]:
        """Counterfactual goals for the current state, each with the searching expert's action.

        Goal relabelling for SFT data (in the spirit of hindsight relabelling, Andrychowicz et
        al., NeurIPS 2017, here with the expert as labeller): the same state under the same
        task with another goal object. At a place whose contents are listed while the agent's
        hands are empty it returns up to ``limit`` relabels, alternating a *positive* (an
        object listed here: the expert takes it) and a *negative* (an object that could be at a
        place of this kind but is not here: the expert searches on); objects also seen
        elsewhere are left out, so that the label depends on this place alone.
        Imitating both makes the action depend on what the observation lists, not on where
        the task's object is usually found. Only goal combinations of the seen partition are
        used, so ``test_unseen`` stays unseen. Returns ``[]`` elsewhere, after success and for
        the oracle expert (whose labels depend on hidden placements).

        Each item: ``instruction`` (the original task text), ``relabelled`` (the new one),
        ``expert_action``, ``kind`` (``positive`` or ``negative``) and ``thought`` (what
        ``info["expert_thought"]`` would say under the new goal).
        """
        world, spec = self._world, self._spec
        if world is None or spec is None:
            raise RuntimeError("HouseholdEnv.relabel_goals() called before reset()")
        here = self._listed_here()
        if limit < 1 or self.expert_mode != "search" or not here:
            return []
        loc = world.loc
        count: dict[str, int] = {}
        seen_elsewhere: set[str] = set()  # kinds the expert could also fetch from elsewhere
        for o, r in enumerate(world.pos):
            kind = world.otype[o]
            count[kind] = count.get(kind, 0) + 1
            if r in self._seen and r != loc:
                seen_elsewhere.add(kind)
        need = 2 if spec.task_type == "pick_two_obj_and_place" else 1
        positives, negatives = [], []
        for obj, target, _ in seen_goals(spec.task_type, spec.room):
            if (target != spec.target or obj == spec.obj or count.get(obj, 0) < need
                    or obj in seen_elsewhere):
                continue
            if obj in here:
                positives.append(obj)
            elif world.rtype[loc] in OBJECTS[obj].receptacles:
                negatives.append(obj)
        rng = self.np_random
        picks: list[tuple[str, str]] = []
        for i in range(limit):
            pool = (positives, negatives)[i % 2] or (negatives, positives)[i % 2]
            if not pool:
                break
            obj = pool.pop(int(rng.integers(len(pool))))
            picks.append((obj, "positive" if obj in here else "negative"))
        out = []
        for obj, kind in picks:
            other = dataclasses.replace(spec, obj=obj)
            action = search_action(world, make_goal(world, other), self._seen,
                                   _search_places(world, other))
            out.append({"instruction": spec.instruction, "relabelled": other.instruction,
                        "expert_action": action, "kind": kind,
                        "thought": f"{obj} {'yes' if kind == 'positive' else 'no'}"})
        return out

    # -- internals ----------------------------------------------------------------------------
    def _progress(self) -> None:
        goal, world = self._goal, self._world
        assert goal is not None and world is not None
        if goal.done(world):
            self._success = True
            self._reached = len(self._names)
            return
        while self._reached < len(self._names) - 1 and goal.milestone_met(world, self._reached):
            self._reached += 1

    def _info(self, valid: bool | None, reward: float) -> dict[str, Any]:
        world, spec, key = self._world, self._spec, self._key
        assert world is not None and spec is not None and self._goal is not None
        commands, _ = world.admissible(key)
        total = len(self._names)
        info: dict[str, Any] = {
            "admissible_actions": list(commands),
            "state_key": self._observed_key() if self._varied else key,
            "milestones": list(self._names[: self._reached]),
            "milestones_total": total,
            "success": self._success,
            "score": 1.0 if self._success else self._reached / total,
            "task_id": self._task_id,
            "task_type": spec.task_type,
            "reward_components": {"outcome": reward},
        }
        if valid is not None:
            info["valid"] = valid
        if self.expert:
            info["expert_action"] = self._expert_for(key)
            # the check behind a take: is the task's object among those listed here?
            here = self._listed_here()
            info["expert_thought"] = f"{spec.obj} {'yes' if spec.obj in here else 'no'}" \
                if here else ""
        return info

    def _observed_key(self) -> str:
        """What the agent can observe now (place, what it holds, what lies there, open or
        lit): the anchor state when object positions differ between a group's episodes."""
        w = self._world
        assert w is not None
        loc, held = w.loc, w.held
        here = ""
        if loc >= 0 and (w.is_open[loc] or not w.ropenable[loc]):
            here = ",".join(sorted(w.onames[o] for o in w.contents[loc]))
        flags = f"{int(w.is_open[loc])}{int(w.rlit[loc])}" if loc >= 0 else ""
        state = w.ostate[held] if held >= 0 else 0
        return f"{loc}|{held}:{state}|{here}|{flags}"

    def _listed_here(self) -> set[str]:
        """The kinds of object listed where the agent stands, at the states where the expert
        decides whether to take: hands empty, the place looked into and not the goal
        receptacle, the task not yet done; empty at every other state."""
        world, spec = self._world, self._spec
        assert world is not None and spec is not None
        loc = world.loc
        if (self._success or world.held >= 0 or loc < 0 or loc not in self._seen
                or world.rtype[loc] == spec.target):
            return set()
        return {world.otype[o] for o in world.visible(loc)}

    def _expert_for(self, key: str) -> str:
        """The expert's next command in the current state (``key``), through two caches."""
        if key == self._expert_key:  # look, examine, inventory or an invalid command
            return self._expert
        if self._success:
            expert = text.LOOK_CMD
        elif self.expert_mode == "search":  # depends on what was seen: not cached by plan
            assert self._world is not None and self._goal is not None
            expert = search_action(self._world, self._goal, self._seen, self._places)
        else:
            assert self._world is not None and self._goal is not None
            plan_key = self._goal.plan_key(self._world)
            expert = self._experts.get(plan_key)  # type: ignore[assignment]
            if expert is None:
                expert = expert_action(self._world, self._goal)
                if len(self._experts) >= _EXPERT_CACHE_SIZE:
                    self._experts.clear()
                self._experts[plan_key] = expert
        self._expert_key, self._expert = key, expert
        return expert


def _search_places(world: World, spec: TaskSpec) -> list[int]:
    """Receptacles the goal's objects can start in, in the room description's order: where the
    searching expert looks. Goal objects never start in a receptacle of the goal's type."""
    kinds = set(OBJECTS[spec.obj].receptacles)
    if spec.task_type == "look_at_obj_in_light":
        if spec.target in OBJECTS:  # a desk lamp stands somewhere; a floor lamp is in the list
            kinds |= set(OBJECTS[spec.target].receptacles)
    else:
        kinds.discard(spec.target)
    return [r for r, t in enumerate(world.rtype) if t in kinds and world.rcapacity[r]]
