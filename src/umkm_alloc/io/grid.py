"""A sheet as read: rows of text cells with their file or sheet line numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

_GUARDED = re.compile(r"'([=+\-@\t\r])")


def _unguard(cell: str) -> str:
    """Undo the formula guard of our own outputs: ``'-6.09, 106.18`` reads as written."""
    return cell[1:] if cell[:1] == "'" and _GUARDED.match(cell) else cell


@dataclass(frozen=True)
class Grid:
    """The non-blank rows of one CSV file or one worksheet, every cell as trimmed text.

    Attributes
    ----------
    sheet
        The worksheet's name; ``""`` for a CSV file.
    lines
        File line (CSV, where a record starts) or sheet row number of every row, 1-based.
    columns
        One text column per field position, as many as the widest row.
    fields
        Number of fields of every record as written (CSV); the widest row for a sheet.
    """

    sheet: str
    lines: np.ndarray
    columns: list[pd.Series]
    fields: np.ndarray

    @property
    def height(self) -> int:
        """Number of rows."""
        return len(self.lines)

    def row(self, i: int) -> list[str]:
        """Return the cells of row ``i``."""
        return [str(col.iat[i]) for col in self.columns]

    @classmethod
    def from_records(cls, sheet: str, records: list[tuple[int, list[str]]]) -> Grid:
        """Build a grid from ``(line, cells)`` records; blank records are dropped."""
        rows = [(ln, [_unguard(c.strip()) for c in cells], len(cells)) for ln, cells in records]
        kept = [row for row in rows if any(row[1])]
        width = max((len(cells) for _, cells, _ in kept), default=0)
        columns = [
            pd.Series([cells[j] if j < len(cells) else "" for _, cells, _ in kept], dtype=object)
            for j in range(width)
        ]
        return cls(
            sheet=sheet,
            lines=np.array([ln for ln, _, _ in kept], dtype=np.int64),
            columns=columns,
            fields=np.array([n for _, _, n in kept], dtype=np.int64),
        )

    def without_blank_rows(self) -> Grid:
        """Return the grid without rows whose cells are all empty."""
        if not self.columns:
            return self
        blank = np.logical_and.reduce([(c == "").to_numpy() for c in self.columns])
        if not blank.any():
            return self
        keep = ~blank
        return Grid(
            sheet=self.sheet,
            lines=self.lines[keep],
            columns=[c[keep].reset_index(drop=True) for c in self.columns],
            fields=self.fields[keep],
        )
