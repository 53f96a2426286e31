"""Wide tables: one column per product (order forms), read as the long form.

A table with no product column and no quantity column whose other columns hold whole
numbers is wide: each such column is a product, each non-empty, non-zero cell one
``(id, product)`` row.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from umkm_alloc.io.columns import NOT_PRODUCTS, NUMBER_ALIASES, QTY_COLUMN, normalise_header
from umkm_alloc.io.columns import is_total_text as _is_total
from umkm_alloc.io.layout import Part, RowNote

#: Unit words that may follow a quantity (``50 pcs``, ``12 bungkus``); they are dropped.
UNIT_WORDS = (
    "pcs",
    "pc",
    "pieces",
    "buah",
    "bh",
    "biji",
    "bungkus",
    "bks",
    "pak",
    "pack",
    "paket",
    "box",
    "boks",
    "dus",
    "kotak",
    "porsi",
    "unit",
    "botol",
    "btl",
    "toples",
    "cup",
    "mika",
    "plastik",
)
_UNITS = "|".join(sorted(UNIT_WORDS, key=len, reverse=True))
#: A quantity with a unit word: ``50 pcs``, ``1.250 bungkus``, ``12pcs.``
QUANTITY_WITH_UNIT = re.compile(rf"\s*([+-]?[\d.,]+)\s*(?:{_UNITS})\.?\s*", re.IGNORECASE)
_QTY_LIKE = re.compile(
    rf"(0|[1-9]\d{{0,6}}|[1-9]\d{{0,2}}([.,]\d{{3}}){{1,2}})(\s*({_UNITS})\.?)?", re.IGNORECASE
)
_ZERO = re.compile(rf"0+(\s*({_UNITS})\.?)?|-|–|—", re.IGNORECASE)
#: A wide table needs at least this many product columns (one is a misnamed quantity).
MIN_PRODUCTS = 2


def wide_columns(part: Part, kind: str) -> list[int]:
    """Return the positions of the product columns of a wide table, ``[]`` when it is long."""
    if kind not in QTY_COLUMN or "product" in part.mapping or QTY_COLUMN[kind] in part.mapping:
        return []
    used = set(part.mapping.values())
    holding, empty = [], []
    for pos, head in enumerate(part.header):
        key = normalise_header(head)
        if pos in used or not head or key in NUMBER_ALIASES or _is_total(head):
            continue
        if NOT_PRODUCTS.fullmatch(key) or _is_merged_neighbour(part, pos):
            continue
        filled = _filled(part.columns[pos])
        if filled.empty:
            empty.append(pos)
        elif _holds_quantities(filled):
            holding.append(pos)
    # a product nobody ordered this time is an empty column of the form
    found = sorted(holding + empty) if holding else []
    return found if len(found) >= MIN_PRODUCTS else []


def _is_merged_neighbour(part: Part, pos: int) -> bool:
    """Tell whether the column right of a coordinates header belongs to it (merged header)."""
    coords = part.mapping.get("coordinates")
    return coords is not None and pos == coords + 1 and not part.header[pos]


def _filled(cells: pd.Series) -> pd.Series:
    return cells[(cells != "") & ~cells.str.fullmatch(r"-|–|—")]


def _holds_quantities(filled: pd.Series) -> bool:
    good = filled.str.fullmatch(_QTY_LIKE.pattern, case=False).fillna(False)
    return bool(good.any()) and good.mean() >= 0.5


def melt(part: Part, positions: list[int], kind: str) -> tuple[pd.DataFrame, list[RowNote]]:
    """Turn the product columns of a wide part into long rows.

    Returns
    -------
    rows, skipped
        ``_row`` (data row of the part), ``product`` (the column's header), the quantity cell
        under :data:`QTY_COLUMN` and ``_qtycol`` (the column's header); and the rows that hold
        no quantity at all, set aside with a reason.
    """
    n = len(part.lines)
    pieces = []
    has_any = np.zeros(n, dtype=bool)
    for pos in positions:
        cells = part.columns[pos]
        filled = ((cells != "") & ~cells.str.fullmatch(_ZERO.pattern, case=False)).to_numpy()
        has_any |= filled
        rows = np.flatnonzero(filled)
        pieces.append(
            pd.DataFrame(
                {
                    "_row": rows,
                    "_col": pos,
                    "product": part.header[pos],
                    QTY_COLUMN[kind]: cells.to_numpy()[rows],
                    "_qtycol": part.header[pos],
                }
            )
        )
    long = pd.concat(pieces, ignore_index=True).sort_values(["_row", "_col"], kind="stable")
    what = "capacity" if kind == "producers" else "order"
    skipped = [
        RowNote(
            part.sheet,
            int(part.lines[i]),
            f"no {what}: every product column is empty, 0 or -",
        )
        for i in np.flatnonzero(~has_any)
    ]
    return long.drop(columns="_col").reset_index(drop=True), skipped
