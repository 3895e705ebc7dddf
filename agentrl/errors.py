"""Errors a user can cause, each explained in one line with the fix.

The CLI turns any :class:`UserError` into a single ``error: ...`` line and exit code 2, without a
traceback. Everything else is a bug and propagates.
"""

from __future__ import annotations


class UserError(Exception):
    """Base class for errors caused by user input (configs, task files, ids, missing extras)."""

    exit_code = 2


class ConfigError(UserError):
    """A run config is malformed: bad YAML, unknown key, wrong type, impossible combination."""


class EnvNotFoundError(UserError, KeyError):
    """An environment id is not registered."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it a plain sentence.
        return str(self.args[0]) if self.args else ""


class MissingDependencyError(UserError, ImportError):
    """An optional dependency is not installed; the message names the install command."""


class EpisodeFormatError(UserError, ValueError):
    """An episode record (JSONL line) is malformed; the message names the file, line and field."""
