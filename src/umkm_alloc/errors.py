"""Errors raised by the library; the CLI maps each class to an exit code.

Every message names the file, the column or line, the bad value and the fix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class UmkmAllocError(Exception):
    """Base class of every error the tool reports to its user (exit code 1 if unclassified)."""

    exit_code = 1


class UsageError(UmkmAllocError):
    """A bad option value, a missing file, an unknown backend (exit code 2)."""

    exit_code = 2


class InputError(UmkmAllocError):
    """An input is unusable as a whole: unreadable, empty, a required column missing (exit 3)."""

    exit_code = 3


class ConfigError(InputError):
    """The configuration (TOML) file is unusable (exit code 3)."""


class StrictError(UmkmAllocError):
    """``--strict`` was given and at least one row was rejected (exit code 4).

    Attributes
    ----------
    rejected_rows
        The rejected rows (``file, line, id, reason, kind``), when the error carries them.
    """

    exit_code = 4

    def __init__(self, message: str, *, rejected_rows: pd.DataFrame | None = None) -> None:
        super().__init__(message)
        self.rejected_rows = rejected_rows
