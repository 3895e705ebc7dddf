"""Every sentence the household environment can say, and the finite vocabulary they use.

The wording follows ALFWorld's TextWorld interface (arXiv 2010.03768): "You arrive at
countertop 1. On the countertop 1, you see a apple 1, and a knife 2.", "The cabinet 1 is
closed.", "You pick up the apple 1 from the countertop 1.", "Nothing happens." (including
ALFWorld's "a apple" and its comma before "and" in lists of two).

All templates live here so that :func:`vocabulary` can list every token the environment can
emit: a tokenizer for a tiny model can be built from it, with no out-of-vocabulary words.
Tokens are what :data:`WORD_PATTERN` finds: runs of letters, runs of digits, and single
punctuation characters. Newlines separate the room description from the task in the first
observation; they are whitespace, not tokens.
"""

from __future__ import annotations

import functools
import re

from agentrl.environments.household.catalog import OBJECTS, RECEPTACLES, ROOMS

__all__ = ["INSTRUCTIONS", "MAX_INDEX", "WORD_PATTERN", "tokenize", "vocabulary"]

#: Instances of one type are numbered 1..MAX_INDEX.
MAX_INDEX = 9

#: What one token is: a run of letters, a run of digits, or one punctuation character.
WORD_PATTERN = re.compile(r"[A-Za-z]+|[0-9]+|[^\sA-Za-z0-9]")

# -- observations ------------------------------------------------------------------------------
ROOM = "You are in the middle of a room. Looking quickly around you, you see {things}."
TASK = "Your task is to: {instruction}"
ARRIVE = "You arrive at {r}. {contents}"
ON = "On the {r}, you see {things}."
IN_OPEN = "The {r} is open. In it, you see {things}."
CLOSED = "The {r} is closed."
LAMP_STATE = "The {r} is {state}."
OPEN = "You open the {r}. {contents}"
CLOSE = "You close the {r}."
TAKE = "You pick up the {o} from the {r}."
PUT = "You put the {o} in/on the {r}."
CLEAN = "You clean the {o} using the {r}."
HEAT = "You heat the {o} using the {r}."
COOL = "You cool the {o} using the {r}."
TURN = "You turn {state} the {o}."
PLAIN = "There's nothing special about {o}."
STATES = "The {o} is {states}."
FACING = "You are facing the {r}. {contents}"
CARRYING = "You are carrying: a {o}."
EMPTY_HANDS = "You are not carrying anything."
NOTHING = "Nothing happens."
NOTHING_SEEN = "nothing"

# -- commands (the admissible forms; matching ignores case and extra whitespace) ---------------
GO = "go to {r}"
OPEN_CMD = "open {r}"
CLOSE_CMD = "close {r}"
TAKE_CMD = "take {o} from {r}"
PUT_CMD = "put {o} in/on {r}"
CLEAN_CMD = "clean {o} with {r}"
HEAT_CMD = "heat {o} with {r}"
COOL_CMD = "cool {o} with {r}"
USE_CMD = "use {o}"
EXAMINE_CMD = "examine {o}"
LOOK_CMD = "look"
INVENTORY_CMD = "inventory"

#: Instruction templates per task type (ALFWorld words its goals in a few ways each);
#: ``{o}`` is an object type, ``{r}`` a receptacle type, ``{l}`` a lamp type.
INSTRUCTIONS: dict[str, tuple[str, ...]] = {
    "pick_and_place": ("put a {o} in {r}.", "put some {o} on {r}."),
    "look_at_obj_in_light": ("look at {o} under the {l}.", "examine the {o} with the {l}."),
    "pick_clean_then_place": ("put a clean {o} in {r}.", "clean some {o} and put it in {r}."),
    "pick_heat_then_place": ("put a hot {o} in {r}.", "heat some {o} and put it in {r}."),
    "pick_cool_then_place": ("put a cool {o} in {r}.", "cool some {o} and put it in {r}."),
    "pick_two_obj_and_place": ("put two {o} in {r}.", "find two {o} and put them in {r}."),
}

_FILLERS = ("on", "off", "clean", "hot", "cool", "and", "a", ",")


def list_things(names: list[str]) -> str:
    """ALFWorld's list: ``a x 1``, ``a x 1, and a y 2``, ``a x 1, a y 2, and a z 1``."""
    if not names:
        return NOTHING_SEEN
    if len(names) == 1:
        return "a " + names[0]
    return "a " + ", a ".join(names[:-1]) + ", and a " + names[-1]


def tokenize(text: str) -> list[str]:
    """Split ``text`` into the tokens :func:`vocabulary` lists."""
    return WORD_PATTERN.findall(text)


@functools.lru_cache(maxsize=1)
def _vocabulary() -> tuple[str, ...]:
    words: set[str] = set()
    templates = [v for k, v in globals().items() if k.isupper() and isinstance(v, str)
                 and k not in ("MAX_INDEX",)]
    templates += [t for ts in INSTRUCTIONS.values() for t in ts]
    for template in templates:
        words.update(tokenize(re.sub(r"\{\w+\}", " ", template)))
    words.update(_FILLERS)
    words.update(RECEPTACLES)
    words.update(OBJECTS)
    words.update(str(i) for i in range(1, MAX_INDEX + 1))
    words.update(ROOMS)
    return tuple(sorted(words))


def vocabulary() -> list[str]:
    """Every token the environment can emit in observations, instructions and commands.

    Sorted and finite: object and receptacle names, instance numbers ``1..MAX_INDEX``, the
    words of every observation template and command, and punctuation. Whitespace (including the
    newlines of the first observation) is not a token.
    """
    return list(_vocabulary())
