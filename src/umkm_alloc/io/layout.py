"""Where the table is in a sheet: the header row, rows that are not data, and the columns.

Offices keep lists under a title, with a row numbering the columns and a total row at the
bottom; this module finds the header among the first rows, sets the other rows aside with a
reason (:class:`RowNote`), and maps the header cells to canonical columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from umkm_alloc.errors import InputError, UsageError
from umkm_alloc.io.columns import (
    EXAMPLE_IDS,
    ID_COLUMN,
    KIND_COLUMNS,
    NUMBER_ALIASES,
    TOTAL_RE,
    alias_lookup,
    normalise_header,
)
from umkm_alloc.io.csvtext import HEAD_ROWS
from umkm_alloc.io.grid import Grid

_NUMBERING_CELL = re.compile(r"\(?(\d{1,3})\)?\.?")


class RowNote(NamedTuple):
    """A row set aside while reading: where it is and why."""

    sheet: str
    line: int
    reason: str


@dataclass
class Part:
    """The data rows of one sheet (or CSV file) under its header.

    Attributes
    ----------
    sheet
        The sheet's name (``""`` for CSV).
    header_line
        Line (sheet row) of the header.
    header
        The header cells, trailing empty ones trimmed.
    mapping
        Canonical column -> position in ``header``.
    id_from
        The header cell used as identifier, or ``""`` for sheet row numbers.
    lines, columns
        Line of every data row and its cells (as many columns as ``header``).
    skipped, bad
        Rows set aside on purpose (title, numbering, total rows) and rows that do not fit.
    ignored
        Header cells that matched no column.
    """

    sheet: str
    header_line: int
    header: list[str]
    mapping: dict[str, int]
    id_from: str
    lines: np.ndarray
    columns: list[pd.Series]
    skipped: list[RowNote] = field(default_factory=list)
    bad: list[RowNote] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def where(path: object, sheet: str) -> str:
    """Return ``path`` or ``path, sheet 'X'`` for messages."""
    return f"{path}, sheet {sheet!r}" if sheet else str(path)


def split_sheet(grid: Grid, kind: str, path: object, *, header_row: int | None) -> Part:
    """Find the header of a grid, set aside the rows that are not data, map the columns.

    Parameters
    ----------
    grid
        One CSV file or worksheet.
    kind
        ``producers``, ``stores`` or ``places``.
    path
        The file, for messages.
    header_row
        The header's line as the user gave it (``--header-row``), or ``None`` to find it.

    Raises
    ------
    InputError
        No rows, no data rows, or two columns with one meaning.
    UsageError
        ``header_row`` is blank or beyond the end.
    """
    label = where(path, grid.sheet)
    if grid.height == 0:
        raise InputError(f"{label}: is empty; it needs a header row and at least one data row")
    top = _header_index(grid, kind, header_row, label)
    header = grid.row(top)
    width = len(header)
    while width and not header[width - 1]:
        width -= 1
    header = header[:width]
    skipped = [
        RowNote(
            grid.sheet,
            int(grid.lines[i]),
            f"above the header (line {grid.lines[top]}): a title or note, not data",
        )
        for i in range(top)
    ]
    start = top + 1
    if start < grid.height and _is_numbering(grid.row(start)[:width]):
        skipped.append(
            RowNote(
                grid.sheet, int(grid.lines[start]), "numbers the columns (1, 2, 3, ...), not data"
            )
        )
        start += 1
    lines = grid.lines[start:]
    columns = [c.iloc[start:].reset_index(drop=True) for c in grid.columns]
    keep, bad = _fitting_rows(grid, columns, width, start, label)
    mapping, ignored, id_from = map_columns(header, kind, label)
    part = Part(
        sheet=grid.sheet,
        header_line=int(grid.lines[top]),
        header=header,
        mapping=mapping,
        id_from=id_from,
        lines=lines[keep],
        columns=[c[keep].reset_index(drop=True) for c in columns[:width]],
        skipped=skipped,
        bad=bad,
        ignored=ignored,
    )
    _set_aside_totals(part, kind)
    if not len(part.lines) and not part.bad:
        below = [n for n in part.skipped if n.line > part.header_line]
        why = f" (line {below[0].line} is {below[0].reason})" if below else ""
        raise InputError(f"{label}: has a header but no data rows{why}; add at least one row")
    return part


def _header_index(grid: Grid, kind: str, header_row: int | None, label: str) -> int:
    if header_row is not None:
        hit = np.flatnonzero(grid.lines == header_row)
        if not len(hit):
            last = int(grid.lines[-1])
            what = "is blank" if header_row <= last else f"is beyond the last line ({last})"
            raise UsageError(
                f"--header-row {header_row}: line {header_row} of {label} {what}; give the "
                "line that holds the column names"
            )
        return int(hit[0])
    scores = [header_score(grid.row(i), kind) for i in range(min(HEAD_ROWS, grid.height))]
    best = max(scores)
    return scores.index(best) if best > 0 else 0


def header_score(cells: list[str], kind: str) -> int:
    """Return how many known columns a row names (the header names the most)."""
    lookup = alias_lookup(kind)
    found = {lookup.get(normalise_header(c)) for c in cells if c}
    found.discard(None)
    numbered = any(normalise_header(c) in NUMBER_ALIASES for c in cells if c)
    return len(found) + int(numbered)


def _is_numbering(cells: list[str]) -> bool:
    """Whether a row only numbers the columns: 1, 2, 3, ... (or (1), (2), ...) in order."""
    filled = [c for c in cells if c]
    if len(filled) < min(3, len(cells)):
        return False
    numbers = []
    for cell in filled:
        m = _NUMBERING_CELL.fullmatch(cell)
        if m is None:
            return False
        numbers.append(int(m.group(1)))
    return numbers == list(range(1, len(numbers) + 1))


def _fitting_rows(
    grid: Grid, columns: list[pd.Series], width: int, start: int, label: str
) -> tuple[np.ndarray, list[RowNote]]:
    """Rows with values beyond the header's last column do not fit: reported, not read."""
    n = len(grid.lines) - start
    if len(columns) <= width:
        return np.ones(n, dtype=bool), []
    extra = np.logical_or.reduce([(c != "").to_numpy() for c in columns[width:]])
    bad: list[RowNote] = []
    for i in np.flatnonzero(extra):
        line = int(grid.lines[start + i])
        if grid.sheet:
            j = next(k for k in range(width, len(columns)) if columns[k].iat[i])
            reason = (
                f"has a value in column {column_letter(j)} ({columns[j].iat[i]!r}), right of "
                "the header's last column; give that column a header or delete the value"
            )
        else:
            fields = int(grid.fields[start + i])
            reason = (
                f"has {fields} fields but the header has {width}; "
                "quote cells that contain the delimiter"
            )
        bad.append(RowNote(grid.sheet, line, reason))
    return ~extra, bad


def column_letter(index: int) -> str:
    """Return the spreadsheet letter of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def map_columns(header: list[str], kind: str, label: str) -> tuple[dict[str, int], list[str], str]:
    """Map header cells to canonical columns.

    Returns
    -------
    mapping, ignored, id_from
        Canonical column -> position; header cells matching nothing; the header cell used
        as identifier (a ``No`` column when there is no id column), ``""`` for row numbers.
    """
    lookup = alias_lookup(kind)
    id_col = ID_COLUMN[kind]
    mapping: dict[str, int] = {}
    ignored: list[str] = []
    numbering: int | None = None
    for pos, raw in enumerate(header):
        key = normalise_header(raw)
        canon = lookup.get(key)
        if canon is None:
            if key in NUMBER_ALIASES and numbering is None:
                numbering = pos
            elif raw:
                ignored.append(raw)
            continue
        if canon in mapping:
            first = header[mapping[canon]]
            raise InputError(
                f"{label}: columns {first!r} and {raw!r} both mean {canon}; "
                "rename or delete one of them"
            )
        mapping[canon] = pos
    if "lat" in mapping and "lon" in mapping and "coordinates" in mapping:
        ignored.append(header[mapping.pop("coordinates")])
    if id_col not in mapping and numbering is not None:
        mapping[id_col] = numbering
    elif numbering is not None:
        ignored.append(header[numbering])
    id_from = header[mapping[id_col]] if id_col in mapping else ""
    return mapping, sorted(ignored, key=header.index), id_from


def _set_aside_totals(part: Part, kind: str) -> None:
    """Set aside total rows (empty id, a ``Jumlah``/``Total`` cell) and the template example."""
    n = len(part.lines)
    pos = part.mapping.get(ID_COLUMN[kind])
    ids = part.columns[pos] if pos is not None else pd.Series([""] * n, dtype=object)
    example = _example_ids(ids)
    maybe = (ids == "").to_numpy() | _total_cells(ids)
    total = np.zeros(n, dtype=bool)
    word = np.array([""] * n, dtype=object)
    for col in part.columns:
        idx = np.flatnonzero(maybe & ~total)
        if not len(idx):
            break
        hit = np.zeros(n, dtype=bool)
        hit[idx] = _total_cells(col.iloc[idx])
        word[hit] = col.to_numpy()[hit]
        total |= hit
    example = example & ~total
    notes = [
        RowNote(part.sheet, int(part.lines[i]), TOTAL_REASON.format(word[i]))
        for i in np.flatnonzero(total)
    ] + [
        RowNote(part.sheet, int(part.lines[i]), EXAMPLE_REASON.format(ids.iat[i]))
        for i in np.flatnonzero(example)
    ]
    if notes:
        keep = ~(total | example)
        part.lines = part.lines[keep]
        part.columns = [c[keep].reset_index(drop=True) for c in part.columns]
        part.skipped.extend(sorted(notes, key=lambda note: note.line))


TOTAL_REASON = "a total row ({!r}), not data: totals are computed from the rows"
EXAMPLE_REASON = "the example row of the template (id {!r}); delete it or replace it with real data"


def _total_cells(cells: pd.Series) -> np.ndarray:
    # only a cell that starts with s, t, g or j (or with anything but a letter or digit, which
    # case folding or stripping may turn into one) can read "Jumlah", "Total", ...
    out = np.zeros(len(cells), dtype=bool)
    maybe = np.flatnonzero(_starts_like(cells, "[sStTgGjJ]|[^A-Za-z0-9]"))
    if len(maybe):
        text = cells.iloc[maybe].astype(str).str.strip().str.casefold().str.rstrip(":. ")
        out[maybe] = text.str.fullmatch(TOTAL_RE.pattern).fillna(False).to_numpy(dtype=bool)
    return out


def _example_ids(ids: pd.Series) -> np.ndarray:
    """Rows whose id is the template's example id (``Contoh``, ``EXAMPLE``)."""
    # case folding never shortens a text, so longer ids are never one of them
    longest = max(len(e) for e in EXAMPLE_IDS)
    out = np.zeros(len(ids), dtype=bool)
    short = np.flatnonzero((ids.astype(str).str.len() <= longest).to_numpy(dtype=bool))
    if len(short):
        out[short] = ids.iloc[short].str.casefold().isin(EXAMPLE_IDS).to_numpy()
    return out


def _starts_like(cells: pd.Series, pattern: str) -> np.ndarray:
    """Whether each cell starts with a match of a simple character-class ``pattern``."""
    return cells.astype(str).str.match(pattern).fillna(False).to_numpy(dtype=bool)


__all__ = ["KIND_COLUMNS", "Part", "RowNote", "column_letter", "map_columns", "split_sheet"]
