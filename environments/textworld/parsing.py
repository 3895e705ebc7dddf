"""Turning raw model text into one safe game command, and game output into a clean observation.

The Z-machine interpreter behind TextWorld (Jericho/Frotz) is not a safe place for arbitrary
text: control characters can hang it, ``restart``/``quit`` leave it waiting at a yes/no prompt,
``then`` and ``.`` chain several commands into one turn (which also desynchronises TextWorld's
state tracking), and ``verbose``/``brief`` change how later turns are described. So every action
goes through :func:`parse_command`, which either returns one command the game may see or says,
in one sentence, why nothing was sent:

1. Unicode is folded to ASCII (``é`` -> ``e``); anything that is not a letter, a digit, a hyphen
   or an apostrophe becomes a space, so punctuation can never separate commands.
2. The word ``then`` (Inform's command separator) is dropped, so ``go east then go south``
   reaches the game as ``go east go south``, which the parser rejects as one bad command.
3. Whitespace is collapsed and the text lower-cased; an empty result is not sent.
4. Commands longer than ``max_chars`` after cleaning are not sent (the interpreter would cut them
   and run a prefix the agent did not mean).
5. Interpreter meta-commands (save/restore/restart/quit/undo/transcript/verbosity) are not sent.

Whether a sent command was *admissible* is decided by the environment against TextWorld's list of
admissible commands; the game still answers inadmissible ones in its own words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["META_COMMANDS", "ParsedCommand", "clean_feedback", "parse_command"]

#: Interpreter-level verbs that would prompt, restart, rewind or change the output mode.
META_COMMANDS: frozenset[str] = frozenset({
    "again", "g", "brief", "normal", "noscript", "notify", "q", "quit", "restart", "restore",
    "save", "script", "superbrief", "transcript", "undo", "unscript", "verbose", "verify",
})

_NOT_ALLOWED = re.compile(r"[^a-z0-9'\- ]+")
_SPACES = re.compile(r"\s+")
# The prompt line Jericho appends after every answer: ">", padding, then the status bar
# ("-= Kitchen =-3/7"). Everything from the last prompt on is interface, not story.
_PROMPT_TAIL = re.compile(r"\n>[^\n]*\s*$")
_GAME_OVER_PROMPT = re.compile(r"\s*Would you like to RESTART, RESTORE a saved game.*$", re.S)
# TextWorld's ASCII-art banner: lines made only of these characters (at least a few of them).
_BANNER_LINE = re.compile(r"^[\s_|$\\/<>()=-]*$")


@dataclass(frozen=True)
class ParsedCommand:
    """Result of :func:`parse_command`: ``command`` to send, or ``problem`` saying why not."""

    command: str | None
    problem: str | None = None


def parse_command(action: str, max_chars: int = 120) -> ParsedCommand:
    """Reduce ``action`` (raw model text) to one command the interpreter can run safely."""
    text = unicodedata.normalize("NFKD", str(action)).encode("ascii", "ignore").decode("ascii")
    text = _NOT_ALLOWED.sub(" ", text.lower())
    words = [w for w in _SPACES.split(text) if w and w != "then"]
    command = " ".join(words).strip(" '-")
    if not command:
        return ParsedCommand(None, "Nothing happened: the command was empty (or had no letters). "
                                   "Type one game command, such as 'look'.")
    if len(command) > max_chars:
        return ParsedCommand(None, f"Nothing happened: the command is longer than {max_chars} "
                                   "characters. Type one short game command, such as 'look'.")
    if words[0] in META_COMMANDS:
        return ParsedCommand(None, f"Nothing happened: '{words[0]}' is an interpreter command "
                                   "and is disabled here. Type a game command instead.")
    return ParsedCommand(command)


def clean_feedback(text: str, *, intro: bool = False) -> str:
    """Strip the interpreter's prompt, status bar and game-over menu from a game answer.

    With ``intro=True`` (the first observation) TextWorld's ASCII-art title banner is removed too.
    """
    text = _PROMPT_TAIL.sub("", text)
    text = _GAME_OVER_PROMPT.sub("", text)
    lines = text.strip("\n").split("\n")
    if intro:
        # Drop the leading banner: a run of lines of drawing characters before the first text.
        start = 0
        while start < len(lines) and _BANNER_LINE.match(lines[start]):
            start += 1
        lines = lines[start:]
    cleaned = "\n".join(line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", cleaned).strip()
