"""Row checks: a raw table in, accepted rows and rejected rows (with reasons) out.

Every problem of a row is collected; a row with several problems is rejected once, with
all of its reasons joined by ``"; "``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from umkm_alloc.inputs.points import Reasons, add, check_coordinates, note_fix, to_number
from umkm_alloc.io.read import ID_COLUMN, LINE, QTY_COLUMN, QTY_HEADER, SHEET, SOURCE, RawTable
from umkm_alloc.io.wide import QUANTITY_WITH_UNIT

REJECTED_COLUMNS = ["file", "line", "id", "reason"]
FIXED_COLUMNS = ["file", "line", "id", "fix"]
SKIPPED_COLUMNS = ["file", "line", "reason"]
#: Hidden column of accepted rows: the fix validation made (``""`` when none).
FIX = "_fix"
#: The columns of accepted rows, in order.
ACCEPTED_COLUMNS = (
    *("id", "name", "lat", "lon", "kecamatan", "kabupaten", "product", "product_key"),
    *("category", "qty", "chain", "swap_suspect", LINE, SOURCE, FIX),
)

#: Machine names of the rejection reasons (the ``kind`` column of rejected rows).
REJECTION_KINDS = {
    "missing_id": "identifier is empty",
    "quantity": "capacity/demand is empty, not a number, negative or not whole",
    "no_location": "no coordinates and no kecamatan",
    "coordinates": "coordinates missing half, not numbers or out of range",
    "product_empty": "product is empty",
    "repeat": "repeated (id, product)",
    "bad_row": "row does not fit the header",
    "outside": "point outside the boundaries beyond the snap distance",
    "kecamatan": "kecamatan unknown or ambiguous",
}


@dataclass(frozen=True)
class Validated:
    """The outcome of checking one table.

    Attributes
    ----------
    table
        The raw table that was checked.
    accepted
        Rows that passed: ``id``, ``name``, ``lat``, ``lon`` (float, NaN when absent),
        ``kecamatan``, ``kabupaten``, ``product``, ``product_key``, ``category``, ``qty``
        (int64), ``chain``, ``_line``, ``_src`` (the sheet's position) and ``_fix`` (what
        validation fixed, ``""`` when nothing).
    rejected
        ``file, line, id, reason`` for every row that failed, ``kind``: the machine names
        (:data:`REJECTION_KINDS`) of its reasons, ``;``-separated, and ``_src``.
    skipped
        ``file, line, reason, _src`` of the rows the reader set aside on purpose (title,
        numbering and total rows).

    Notes
    -----
    ``accepted`` has a boolean ``swap_suspect``: latitude out of range but plausible as a
    longitude (and the reverse); geocoding decides whether swapping them is the fix.
    """

    table: RawTable
    accepted: pd.DataFrame
    rejected: pd.DataFrame
    skipped: pd.DataFrame

    @property
    def rows_read(self) -> int:
        """Data rows found in the file: accepted + rejected + skipped."""
        return len(self.accepted) + len(self.rejected) + len(self.skipped)


def validate_table(table: RawTable) -> Validated:
    """Check every row of a producers, stores or places table.

    Parameters
    ----------
    table
        As returned by :func:`umkm_alloc.io.read.read_table`. A ``places`` table (for
        ``geocode``) has its location checked only.

    Returns
    -------
    Validated
        Accepted rows, typed, and rejected rows with every reason.
    """
    frame = table.frame
    kind = table.kind
    reasons: Reasons = defaultdict(list)
    fixes: dict[int, str] = {}
    ids = pd.Series(text_cells(frame[ID_COLUMN[kind]]), dtype=object)
    if kind in QTY_COLUMN:
        _check_ids(ids, ID_COLUMN[kind], reasons)
        qty = _check_quantity(table, reasons, fixes)
    else:
        qty = pd.Series(np.zeros(len(frame), dtype=np.int64))
    lat, lon, swap = check_coordinates(table, reasons, fixes)
    product_key = _check_products(frame, reasons)
    if kind in QTY_COLUMN:
        _check_repeats(ids, product_key, frame, ID_COLUMN[kind], reasons)

    ok = np.ones(len(frame), dtype=bool)
    ok[[i for i, found in reasons.items() if found]] = False
    blank = np.full(len(frame), "", dtype=object)
    fix = blank.copy()
    for i, text in fixes.items():
        fix[i] = text
    # text as one str object per distinct value where values repeat (kecamatan, product, ...)
    text = {
        "id": ids.to_numpy(),
        "name": text_cells(frame["name"]),
        "kecamatan": _per_distinct(frame["kecamatan"], str),
        "kabupaten": _per_distinct(frame["kabupaten"], str),
        "product": _per_distinct(frame["product"], _collapse_spaces),
        "product_key": product_key.to_numpy(),
        "category": _per_distinct(frame["category"], _casefold),
        "chain": _per_distinct(frame["chain"], str) if "chain" in frame else blank,
        FIX: fix,
    }
    numbers = {
        "lat": lat.to_numpy(),
        "lon": lon.to_numpy(),
        "qty": qty.to_numpy().astype("int64"),
        "swap_suspect": np.asarray(swap, dtype=bool),
        LINE: frame[LINE].to_numpy(),
        SOURCE: frame[SOURCE].to_numpy(),
    }
    accepted = pd.DataFrame(
        {
            col: pd.Series(text[col][ok], dtype=object) if col in text else numbers[col][ok]
            for col in ACCEPTED_COLUMNS
        }
    )
    return Validated(
        table=table,
        accepted=accepted,
        rejected=_rejected(table, ids, reasons, ~ok),
        skipped=_skipped(table),
    )


def _labels(table: RawTable, sheets: pd.Series) -> np.ndarray:
    """Return the ``file`` cell of rows by their sheet names."""
    names = sheets.to_numpy(dtype=object)
    return np.array([table.label(str(s)) for s in names], dtype=object)


def labels_of(table: RawTable, sources: np.ndarray) -> np.ndarray:
    """Return the ``file`` cell of rows by the position of their sheet (``_src``)."""
    names = [table.label(r.sheet) for r in table.reading.sheets] or [table.label("")]
    return np.array(names, dtype=object)[np.asarray(sources, dtype=np.int64)]


def _source_of(table: RawTable, sheets: list[str]) -> list[int]:
    order = {r.sheet: i for i, r in enumerate(table.reading.sheets)}
    return [order.get(s, 0) for s in sheets]


def _rejected(table: RawTable, ids: pd.Series, reasons: Reasons, bad: np.ndarray) -> pd.DataFrame:
    frame = table.frame
    parts = [
        pd.DataFrame(
            {
                "file": _labels(table, frame[SHEET][bad]),
                "line": frame[LINE][bad].to_numpy(),
                "id": ids[bad].to_numpy(),
                "reason": ["; ".join(t for _, t in reasons[i]) for i in np.flatnonzero(bad)],
                "kind": [
                    ";".join(dict.fromkeys(k for k, _ in reasons[i])) for i in np.flatnonzero(bad)
                ],
                SOURCE: frame[SOURCE][bad].to_numpy(),
            }
        )
    ]
    if table.bad_rows:
        sheets = [note.sheet for note in table.bad_rows]
        parts.append(
            pd.DataFrame(
                {
                    "file": [table.label(s) for s in sheets],
                    "line": [note.line for note in table.bad_rows],
                    "id": "",
                    "reason": [note.reason for note in table.bad_rows],
                    "kind": "bad_row",
                    SOURCE: _source_of(table, sheets),
                }
            )
        )
    rejected = pd.concat(parts, ignore_index=True)
    rejected = rejected.sort_values([SOURCE, "line"], kind="stable").reset_index(drop=True)
    rejected["line"] = rejected["line"].astype("int64")
    rejected[SOURCE] = rejected[SOURCE].astype("int64")
    return rejected[[*REJECTED_COLUMNS, "kind", SOURCE]]


def _skipped(table: RawTable) -> pd.DataFrame:
    notes = sorted(table.skipped, key=lambda n: (_source_of(table, [n.sheet])[0], n.line))
    sheets = [n.sheet for n in notes]
    skipped = pd.DataFrame(
        {
            "file": pd.Series([table.label(s) for s in sheets], dtype=object),
            "line": pd.Series([n.line for n in notes], dtype="int64"),
            "reason": pd.Series([n.reason for n in notes], dtype=object),
            SOURCE: pd.Series(_source_of(table, sheets), dtype="int64"),
        }
    )
    return skipped


def _collapse_spaces(value: object) -> str:
    return " ".join(str(value).split())


def _casefold(value: object) -> str:
    return str(value).casefold()


def _product_key(value: object) -> str:
    return _collapse_spaces(value).casefold()


def text_cells(cells: pd.Series) -> np.ndarray:
    """Return a column's cells as an ``object`` array of ``str`` (as ``astype(str)`` reads them)."""
    values = cells.to_numpy(dtype=object)
    if len(values) and pd.api.types.infer_dtype(values, skipna=False) != "string":
        values = np.array([str(v) for v in values], dtype=object)
    return values


def _per_distinct(cells: pd.Series, word: Callable[[object], str]) -> np.ndarray:
    """Return ``cells.map(word)`` as an ``object`` array, ``word`` applied once per distinct cell.

    Rows with the same cell share one ``str`` object, so a column of a few products or
    kecamatan over a million rows costs a pointer per row.
    """
    codes, uniques = pd.factorize(cells, use_na_sentinel=False)
    words = np.empty(len(uniques), dtype=object)
    words[:] = [word(u) for u in uniques]
    return words[codes]


def _check_ids(ids: pd.Series, column: str, reasons: Reasons) -> None:
    add(
        reasons,
        (ids == "").to_numpy(),
        "missing_id",
        f"{column} is empty; give every row an identifier",
    )


def _check_quantity(table: RawTable, reasons: Reasons, fixes: dict[int, str]) -> pd.Series:
    frame = table.frame
    column = QTY_COLUMN[table.kind]
    cells = frame[column]
    wide = frame[QTY_HEADER].to_numpy(dtype=object)

    def named(i: int) -> str:
        """Return the cell's column; in a wide table that column is the product: name it."""
        return f"{column} (column '{wide[i]}')" if str(wide[i]) else column

    # few distinct quantities: each is parsed once
    codes, uniques = pd.factorize(cells, use_na_sentinel=False)
    values = to_number(
        pd.Series(uniques, dtype=object), decimal_comma=table.decimal_comma, thousands=True
    )
    raw = values.to_numpy(dtype=float, na_value=np.nan)[codes]
    empty = (cells == "").to_numpy()
    read_as: dict[int, str] = {}
    for i in np.flatnonzero(np.isnan(raw) & ~empty):
        m = QUANTITY_WITH_UNIT.fullmatch(str(cells.iat[i]))
        if m is None:
            continue
        number = to_number(
            pd.Series([m.group(1)]), decimal_comma=table.decimal_comma, thousands=True
        )
        value = float(number.iat[0])
        if np.isfinite(value):
            raw[i] = value
            read_as[int(i)] = (
                f"{named(i)} {cells.iat[i]!r} read as {value:g} (the unit word dropped)"
            )
    nan = np.isnan(raw) & ~empty
    finite = np.isfinite(raw)
    v = np.where(finite, raw, 0.0)
    neg = finite & (v < 0)
    frac = finite & ~neg & (np.mod(v, 1) != 0)
    huge = finite & (np.abs(v) >= 2**53)
    q = "quantity"
    add(reasons, empty, q, lambda i: f"{named(i)} is empty; give a whole number of units >= 0")
    add(
        reasons,
        nan | (~finite & ~empty & ~nan),
        q,
        lambda i: f"{named(i)} {cells.iat[i]!r} is not a number; give a whole number of units >= 0",
    )
    add(reasons, neg, q, lambda i: f"{named(i)} {cells.iat[i]} is negative; give units >= 0")
    add(
        reasons,
        frac,
        q,
        lambda i: f"{named(i)} {cells.iat[i]} is not a whole number; give whole units per period",
    )
    add(reasons, huge, q, lambda i: f"{named(i)} {cells.iat[i]} is too large; check the value")
    good = finite & ~neg & ~frac & ~huge
    for i, text in read_as.items():
        if good[i]:
            note_fix(fixes, i, text)
    return pd.Series(np.where(good, v, 0).astype("int64"))


def _check_products(frame: pd.DataFrame, reasons: Reasons) -> pd.Series:
    present = "product" in frame.attrs.get("present", ())
    key = _per_distinct(frame["product"], _product_key)
    if present:
        add(reasons, key == "", "product_empty", "product is empty; name the product")
    return pd.Series(key, dtype=object)


def _check_repeats(
    ids: pd.Series, product_key: pd.Series, frame: pd.DataFrame, column: str, reasons: Reasons
) -> None:
    products, lines = frame["product"], frame[LINE]
    # (id, product) as one integer: a repeat is found without hashing pairs of texts
    id_code = pd.factorize(ids)[0].astype(np.int64)
    p_code, p_uniques = pd.factorize(product_key)
    pair = pd.Series(id_code * (len(p_uniques) + 1) + p_code)
    named = (ids != "").to_numpy()
    if not pair[named].duplicated(keep="first").any():
        return
    keyed = pd.DataFrame({"id": ids, "p": product_key, "line": lines, "sheet": frame[SHEET]})
    keyed = keyed[keyed["id"] != ""]
    dup = keyed.duplicated(["id", "p"], keep="first")
    first = keyed.groupby(["id", "p"], sort=False)[["line", "sheet"]].transform("first")
    for pos in keyed.index[dup]:
        prod = " ".join(str(products.iat[pos]).split())
        what = f"{column} {ids.iat[pos]!r}" + (f" with product {prod!r}" if prod else "")
        where = f"line {first['line'].loc[pos]}"
        if first["sheet"].loc[pos] != frame[SHEET].iat[pos]:
            where += f" of sheet {first['sheet'].loc[pos]!r}"
        reasons[pos].append(
            (
                "repeat",
                f"repeats {what} first given on {where}; "
                "repeats are rejected, not summed: merge them into one row",
            )
        )
