"""Reading input tables: CSV dialects, workbooks, where the table sits, long or wide.

:func:`read_table` is a chain of steps: bytes -> grids (one per CSV file or sheet,
:mod:`~umkm_alloc.io.csvtext`, :mod:`~umkm_alloc.io.workbook`) -> parts (header found, rows
that are not data set aside, :mod:`~umkm_alloc.io.layout`) -> one frame of text cells under
canonical names (wide tables melted, :mod:`~umkm_alloc.io.wide`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from umkm_alloc.errors import InputError, UsageError
from umkm_alloc.io.columns import (
    COMMON_ALIASES,
    ID_ALIASES,
    ID_COLUMN,
    KIND_COLUMNS,
    NUMBER_ALIASES,
    QTY_COLUMN,
    normalise_header,
)
from umkm_alloc.io.csvtext import TEXT, csv_grid, decode, sniff_delimiter
from umkm_alloc.io.grid import Grid
from umkm_alloc.io.layout import Part, RowNote, split_sheet, where
from umkm_alloc.io.reading import Reading, SheetReading
from umkm_alloc.io.wide import melt, wide_columns
from umkm_alloc.io.workbook import ALL_SHEETS, workbook_format, workbook_grids

LINE = "_line"
#: Hidden columns of a raw frame: sheet name, sheet order, header of a wide quantity cell.
SHEET, SOURCE, QTY_HEADER = "_sheet", "_src", "_qtycol"

__all__ = [
    "COMMON_ALIASES",
    "ID_ALIASES",
    "ID_COLUMN",
    "KIND_COLUMNS",
    "LINE",
    "QTY_COLUMN",
    "RawTable",
    "RowNote",
    "normalise_header",
    "read_table",
    "source_label",
]


def source_label(path: Path | str, sheet: str) -> str:
    """Return the ``file`` cell of a row: the path, and ``[sheet]`` for a workbook's rows."""
    return f"{path} [{sheet}]" if sheet else str(path)


@dataclass(frozen=True)
class RawTable:
    """A table as read: text cells under canonical names, before any check.

    Attributes
    ----------
    path
        The file it came from.
    kind
        ``producers``, ``stores`` or ``places``.
    frame
        One row per data row (per product cell of a wide table); canonical columns hold
        ``str`` (``""`` when empty) as Arrow-backed text (:data:`TEXT`); ``_line`` the file
        line (or sheet row) of the row, ``_sheet`` its sheet (``""`` for CSV), ``_src`` the
        sheet's position among those read, ``_qtycol`` the header of a wide table's quantity
        cell (``""`` when long).
    delimiter, encoding
        The detected dialect (``encoding`` is ``xlsx``, ``xls`` or ``ods`` for workbooks);
        with ``;`` numbers may use a decimal comma.
    ignored_columns
        Header names that matched no known column.
    bad_rows
        Rows that could not be split into the header's columns, with the reason.
    skipped
        Rows set aside on purpose: title rows above the header, the numbering row, total
        rows, the template's example row, wide rows without any quantity.
    reading
        The decisions taken: sheets, header rows, identifier source, wide columns.
    headers
        Canonical column -> the header as written (for messages).
    cells
        ``places`` only: every column of the data rows as written, aligned with ``frame``.
    """

    path: Path
    kind: str
    frame: pd.DataFrame
    delimiter: str
    encoding: str
    ignored_columns: tuple[str, ...]
    bad_rows: tuple[RowNote, ...]
    skipped: tuple[RowNote, ...] = ()
    reading: Reading = field(default_factory=Reading)
    headers: dict[str, str] = field(default_factory=dict)
    cells: pd.DataFrame | None = None

    @property
    def decimal_comma(self) -> bool:
        """Whether numbers may be written with a decimal comma (``;``-separated files)."""
        return self.delimiter == ";"

    def label(self, sheet: str) -> str:
        """Return the ``file`` cell of a row of ``sheet``."""
        return source_label(self.path, sheet)


def read_table(
    path: Path, kind: str, *, sheet: str | None = None, header_row: int | None = None
) -> RawTable:
    """Read a producers, stores or places table.

    Parameters
    ----------
    path
        A CSV file (``,`` ``;`` tab or ``|``; UTF-8 with or without BOM, Windows-1252 or
        UTF-16) or a workbook (``.xlsx``, ``.xls``, ``.ods``).
    kind
        ``producers`` or ``stores`` (selects the required columns and their aliases), or
        ``places`` (any table with a location, for ``geocode``: never read as wide).
    sheet
        Worksheet of a workbook: a name, ``all`` (every visible sheet that has the header),
        or ``None`` for the first visible sheet.
    header_row
        Line (sheet row) of the header; ``None`` finds it among the first 30 rows.

    Returns
    -------
    RawTable
        Text cells under canonical column names, with line numbers.

    Raises
    ------
    UsageError
        The file does not exist, or ``sheet`` / ``header_row`` do not fit it.
    InputError
        The file is unreadable, empty, or lacks a required column.
    """
    data = _read_bytes(path, kind)
    fmt = workbook_format(data)
    hidden: tuple[str, ...] = ()
    if fmt is not None:
        chosen = workbook_grids(data, path, fmt, sheet)
        grids, hidden, delimiter, encoding = chosen.grids, chosen.hidden, "", fmt
    else:
        text, encoding = decode(data, path)
        delimiter = sniff_delimiter(text)
        grids = [csv_grid(text, delimiter, path, data=data if encoding == "utf-8" else None)]
        del text  # the grid holds its own copy of the cells
    every = sheet is not None and sheet.strip().casefold() == ALL_SHEETS and fmt is not None
    parts, left_out = _parts(grids, kind, path, header_row, every=every)
    frames, skipped, sheets = [], [], []
    for src, (part, wide) in enumerate(parts):
        frame, notes = _frame(part, kind, wide, src)
        frames.append(frame)
        skipped.extend(part.skipped + notes)
        sheets.append(
            SheetReading(
                sheet=part.sheet,
                header_row=part.header_line,
                id_from=part.id_from,
                wide_columns=tuple(part.header[p] for p in wide),
            )
        )
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    prefixed = _prefix_ids(frame, kind, parts)
    frame.attrs["present"] = _present(parts, kind)
    reading = Reading(
        format=fmt or "csv",
        sheets=tuple(sheets),
        left_out=tuple(left_out) + tuple((name, "hidden") for name in hidden),
        ids_prefixed=prefixed,
    )
    return RawTable(
        path=path,
        kind=kind,
        frame=frame,
        delimiter=delimiter,
        encoding=encoding,
        ignored_columns=tuple(dict.fromkeys(c for p, _ in parts for c in p.ignored)),
        bad_rows=tuple(note for p, _ in parts for note in p.bad),
        skipped=tuple(skipped),
        reading=reading,
        headers=_headers(parts),
        cells=_cells(parts) if kind == "places" else None,
    )


def _read_bytes(path: Path, kind: str) -> bytes:
    if not path.exists():
        raise UsageError(f"{path}: no such {kind} file; check the path")
    if path.is_dir():
        raise UsageError(f"{path}: is a folder, not a {kind} table; give a CSV file or a workbook")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror}); check its permissions") from exc


def _parts(
    grids: list[Grid], kind: str, path: Path, header_row: int | None, *, every: bool
) -> tuple[list[tuple[Part, list[int]]], list[tuple[str, str]]]:
    """Split every grid; with ``every`` (``--sheet all``) a sheet without the header is left out."""
    parts: list[tuple[Part, list[int]]] = []
    left_out: list[tuple[str, str]] = []
    first_error: Exception | None = None
    for grid in grids:
        try:
            part = split_sheet(grid, kind, path, header_row=header_row)
            wide = wide_columns(part, kind)
            _check_required(part, kind, path, wide)
        except (InputError, UsageError) as exc:
            if not every:
                raise
            first_error = first_error or exc
            left_out.append((grid.sheet, str(exc).removeprefix(where(path, grid.sheet) + ": ")))
            continue
        parts.append((part, wide))
    if not parts:
        if first_error is None:
            raise InputError(f"{path}: the workbook has no worksheet")
        raise first_error
    return parts, left_out


def _check_required(part: Part, kind: str, path: Path, wide: list[int]) -> None:
    label = where(path, part.sheet)
    spec = KIND_COLUMNS[kind]
    mapping = part.mapping
    found = ", ".join(h for h in part.header if h) or "(none)"
    qty = QTY_COLUMN.get(kind)
    if qty is not None and qty not in mapping and not wide:
        raise InputError(
            f"{label}: required column {qty} is missing (accepted names: "
            f"{', '.join(spec[qty])}); found: {found}"
        )
    if ("lat" in mapping and "lon" in mapping) or "coordinates" in mapping:
        return
    if "kecamatan" in mapping:
        return
    if ("lat" in mapping) != ("lon" in mapping):
        have, lack = ("lat", "lon") if "lat" in mapping else ("lon", "lat")
        raise InputError(
            f"{label}: has a {have} column but no {lack} column (accepted names: "
            f"{', '.join(spec[lack])}); found: {found}"
        )
    raise InputError(
        f"{label}: needs lat and lon columns, or a kecamatan column, or one column of "
        f"coordinates (accepted names: {', '.join(spec['lat'])} / {', '.join(spec['lon'])} / "
        f"{', '.join(spec['kecamatan'])} / {', '.join(spec['coordinates'][:7])}); found: {found}"
    )


def _frame(part: Part, kind: str, wide: list[int], src: int) -> tuple[pd.DataFrame, list[RowNote]]:
    """Frame of canonical text columns of one part (melted when wide)."""
    n = len(part.lines)
    data: dict[str, object] = {LINE: part.lines.astype(np.int64)}
    for canon in KIND_COLUMNS[kind]:
        pos = part.mapping.get(canon)
        data[canon] = part.columns[pos] if pos is not None else pd.Series([""] * n, dtype=object)
    id_col = ID_COLUMN[kind]
    if id_col not in part.mapping:
        data[id_col] = pd.Series([f"R{line}" for line in part.lines], dtype=object)
    if "coordinates" in part.mapping:
        data["coordinates"] = _merged_coordinates(part)
    data[SHEET] = part.sheet
    data[SOURCE] = src
    data[QTY_HEADER] = ""
    frame = pd.DataFrame(data)
    notes: list[RowNote] = []
    if wide:
        long, notes = melt(part, wide, kind)
        rows = long["_row"].to_numpy()
        frame = frame.iloc[rows].reset_index(drop=True)
        for col in ("product", QTY_COLUMN[kind], QTY_HEADER):
            frame[col] = long[col].to_numpy()
    frame[LINE] = frame[LINE].astype("int64")
    for canon in KIND_COLUMNS[kind]:  # compact Arrow-backed text, whichever way it was read
        frame[canon] = frame[canon].astype(TEXT)
    return frame, notes


def _merged_coordinates(part: Part) -> pd.Series:
    """Return the coordinates cells; with an unnamed column right of it (merged header), both."""
    pos = part.mapping["coordinates"]
    cells = part.columns[pos]
    if pos + 1 < len(part.header) and not part.header[pos + 1]:
        right = part.columns[pos + 1]
        cells = cells.where(right == "", (cells + " " + right).str.strip())
    return cells.astype(object)


def _prefix_ids(frame: pd.DataFrame, kind: str, parts: list[tuple[Part, list[int]]]) -> bool:
    """Several sheets: numbers and row numbers restart on each, so the sheet name goes first."""
    if len(parts) < 2:
        return False
    id_col = ID_COLUMN[kind]
    counted = [
        src
        for src, (part, _) in enumerate(parts)
        if not part.id_from or normalise_header(part.id_from) in NUMBER_ALIASES
    ]
    if not counted:
        return False
    mask = frame[SOURCE].isin(counted) & (frame[id_col] != "")
    frame.loc[mask, id_col] = frame.loc[mask, SHEET] + ":" + frame.loc[mask, id_col]
    return True


def _present(parts: list[tuple[Part, list[int]]], kind: str) -> tuple[str, ...]:
    have = {canon for part, _ in parts for canon in part.mapping}
    if any(wide for _, wide in parts):
        have |= {"product", QTY_COLUMN[kind]}
    have.add(ID_COLUMN[kind])
    return tuple(c for c in KIND_COLUMNS[kind] if c in have)


def _headers(parts: list[tuple[Part, list[int]]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for part, _ in parts:
        for canon, pos in part.mapping.items():
            out.setdefault(canon, part.header[pos])
    return out


def _cells(parts: list[tuple[Part, list[int]]]) -> pd.DataFrame:
    """Every column of the data rows as written (``places``), one frame over all sheets."""
    frames = []
    for part, _ in parts:
        names: list[str] = []
        for pos, head in enumerate(part.header):
            name = head or f"column {pos + 1}"
            while name in names:
                name += "'"
            names.append(name)
        frames.append(pd.DataFrame(dict(zip(names, part.columns, strict=True))))
    table = pd.concat(frames, ignore_index=True).fillna("") if frames else pd.DataFrame()
    if len(parts) > 1:
        sheets = np.repeat([p.sheet for p, _ in parts], [len(p.lines) for p, _ in parts])
        table.insert(0, "sheet", sheets)
    return table.astype(object)
