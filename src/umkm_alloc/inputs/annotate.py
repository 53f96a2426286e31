"""``geocode``: any table with places, written back with the kecamatan of every row."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from umkm_alloc.errors import UsageError
from umkm_alloc.geo.boundaries import Boundaries
from umkm_alloc.inputs.place import geocode_rows
from umkm_alloc.inputs.validate import validate_table
from umkm_alloc.io.read import LINE, SOURCE, RawTable, read_table

#: Columns ``geocode`` appends to the table.
GEOCODE_COLUMNS = ["kecamatan_code", "kecamatan", "kabupaten", "geocode_note"]


@dataclass(frozen=True)
class GeocodedTable:
    """A table with the kecamatan of every row.

    Attributes
    ----------
    table
        Every column of the data rows as written, then :data:`GEOCODE_COLUMNS`; a row that
        cannot be placed has empty kecamatan cells and the reason in ``geocode_note``.
    raw
        The table as read (how it was read: ``raw.reading``; rows set aside: ``raw.skipped``).
    placed, fixed, snapped, unplaced
        Row counts: placed in a kecamatan (``fixed`` of them after a fix, ``snapped`` of them
        snapped onto the nearest kecamatan), and not placed.
    not_fitting
        ``file, line, reason`` of rows that do not fit the header (not in ``table``).
    """

    table: pd.DataFrame
    raw: RawTable
    placed: int
    fixed: int
    snapped: int
    unplaced: int
    not_fitting: pd.DataFrame


def geocode_table(
    path: Path,
    boundaries: Boundaries,
    *,
    snap_m: float = 1000.0,
    sheet: str | None = None,
    header_row: int | None = None,
) -> GeocodedTable:
    """Give every row of a table its kecamatan (by its point, else by its kecamatan cell).

    Parameters
    ----------
    path
        Any table the readers accept (CSV, ``.xlsx``, ``.xls``, ``.ods``) with coordinates
        (two columns or one) or a kecamatan column; no other column is needed.
    boundaries
        The kecamatan polygons.
    snap_m
        A point outside every kecamatan but this close (m) to one is snapped to it.
    sheet, header_row
        As for :func:`umkm_alloc.io.read.read_table`.

    Returns
    -------
    GeocodedTable
    """
    if not (0 <= snap_m < float("inf")):
        raise UsageError(f"--snap-m {snap_m:g} is not allowed; give a number >= 0")
    if header_row is not None and header_row < 1:
        raise UsageError(
            f"--header-row {header_row} is not allowed; give the line of the column names, "
            "1 or more"
        )
    raw = read_table(path, "places", sheet=sheet, header_row=header_row)
    validated = validate_table(raw)
    geo = geocode_rows(validated, boundaries, snap_m=snap_m)
    keys = _keys(raw.frame, LINE)
    code, name, kab, note = ({k: "" for k in keys} for _ in range(4))
    for rows, column in (
        (validated.rejected, "reason"),
        (geo.rejected, "reason"),
        (geo.fixed, "fix"),
    ):
        for key, text in zip(_keys(rows, "line"), rows[column], strict=True):
            note[key] = text
    acc = geo.accepted
    others = _disagreeing_kecamatan(acc, boundaries)
    for i, key in enumerate(_keys(acc, LINE)):
        code[key] = acc["kecamatan_code"].iat[i]
        name[key] = acc["kecamatan_name"].iat[i]
        kab[key] = acc["kabupaten_name"].iat[i]
        extra = [note[key]] if note[key] else []
        if acc["placed_by"].iat[i] == "snapped":
            extra.append(
                f"point {acc['snap_m'].iat[i]:.0f} m outside the boundaries: snapped to "
                f"{acc['kecamatan_name'].iat[i]}"
            )
        if others[i]:
            extra.append(others[i])
        note[key] = "; ".join(extra)
    table = raw.cells.copy() if raw.cells is not None else pd.DataFrame(index=range(len(keys)))
    table = table.drop(columns=[c for c in GEOCODE_COLUMNS if c in table.columns])
    for column, values in zip(GEOCODE_COLUMNS, (code, name, kab, note), strict=True):
        table[column] = pd.Series([values[k] for k in keys], dtype=object)
    placed = len(acc)
    bad = validated.rejected[validated.rejected["kind"] == "bad_row"]
    return GeocodedTable(
        table=table,
        raw=raw,
        placed=placed,
        fixed=len(geo.fixed),
        snapped=int((acc["placed_by"] == "snapped").sum()) if placed else 0,
        unplaced=len(keys) - placed,
        not_fitting=bad[["file", "line", "reason"]].reset_index(drop=True),
    )


def _keys(rows: pd.DataFrame, line: str) -> list[tuple[int, int]]:
    return [(int(s), int(n)) for s, n in zip(rows[SOURCE], rows[line], strict=True)]


def _disagreeing_kecamatan(rows: pd.DataFrame, boundaries: Boundaries) -> list[str]:
    """For rows placed by their point: a kecamatan cell that names another kecamatan."""
    out = [""] * len(rows)
    if not len(rows):
        return out
    by_point = rows["placed_by"].isin(["point", "snapped", "swapped"]).to_numpy()
    given = (rows["kecamatan"].astype(str).str.strip() != "").to_numpy()
    cache: dict[tuple[str, str], int | None] = {}
    codes = boundaries.frame["kode"].to_numpy()
    for i in np.flatnonzero(by_point & given):
        key = (str(rows["kecamatan"].iat[i]), str(rows["kabupaten"].iat[i]))
        if key not in cache:
            cache[key] = boundaries.lookup(*key).index
        found = cache[key]
        if found is not None and codes[found] != rows["kecamatan_code"].iat[i]:
            out[i] = (
                f"the kecamatan column says {boundaries.label(found)}, but the point lies in "
                f"{rows['kecamatan_name'].iat[i]}; check which is right"
            )
    return out
