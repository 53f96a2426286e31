"""Row checks: a raw table in, accepted rows and rejected rows (with reasons) out.

Every problem of a row is collected; a row with several problems is rejected once, with
all of its reasons joined by ``"; "``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from umkm_alloc.io.read import ID_COLUMN, LINE, QTY_COLUMN, RawTable

REJECTED_COLUMNS = ["file", "line", "id", "reason"]
FIXED_COLUMNS = ["file", "line", "id", "fix"]

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
        (int64), ``chain`` and ``_line``.
    rejected
        ``file, line, id, reason`` for every row that failed, and ``kind``: the machine
        names (:data:`REJECTION_KINDS`) of its reasons, ``;``-separated.

    Notes
    -----
    ``accepted`` has a boolean ``swap_suspect``: latitude out of range but plausible as a
    longitude (and the reverse); geocoding decides whether swapping them is the fix.
    """

    table: RawTable
    accepted: pd.DataFrame
    rejected: pd.DataFrame

    @property
    def rows_read(self) -> int:
        """Data rows found in the file (accepted + rejected)."""
        return len(self.accepted) + len(self.rejected)


def validate_table(table: RawTable) -> Validated:
    """Check every row of a producers or stores table.

    Parameters
    ----------
    table
        As returned by :func:`umkm_alloc.io.read.read_table`.

    Returns
    -------
    Validated
        Accepted rows, typed, and rejected rows with every reason.
    """
    frame = table.frame
    kind = table.kind
    reasons: list[list[tuple[str, str]]] = [[] for _ in range(len(frame))]
    ids = frame[ID_COLUMN[kind]].astype(str)
    _check_ids(ids, ID_COLUMN[kind], reasons)
    qty = _check_quantity(frame[QTY_COLUMN[kind]], QTY_COLUMN[kind], table.decimal_comma, reasons)
    lat, lon, swap = _check_coordinates(frame, table.decimal_comma, reasons)
    product_key = _check_products(frame, reasons)
    _check_repeats(ids, product_key, frame["product"], frame[LINE], ID_COLUMN[kind], reasons)

    ok = np.array([not r for r in reasons], dtype=bool)
    accepted = pd.DataFrame(
        {
            "id": ids,
            "name": frame["name"].astype(str),
            "lat": lat,
            "lon": lon,
            "kecamatan": frame["kecamatan"].astype(str),
            "kabupaten": frame["kabupaten"].astype(str),
            "product": frame["product"].map(_collapse_spaces),
            "product_key": product_key,
            "category": frame["category"].astype(str).str.casefold(),
            "qty": qty,
            "chain": frame["chain"].astype(str) if "chain" in frame else "",
            "swap_suspect": swap,
            LINE: frame[LINE],
        }
    )[ok].reset_index(drop=True)
    for col in ("id", "name", "kecamatan", "kabupaten", "product", "product_key", "category"):
        accepted[col] = accepted[col].astype(object)
    accepted["chain"] = accepted["chain"].astype(object)
    accepted["qty"] = accepted["qty"].astype("int64")

    bad = ~ok
    rejected_parts = [
        pd.DataFrame(
            {
                "file": str(table.path),
                "line": frame[LINE][bad].to_numpy(),
                "id": ids[bad].to_numpy(),
                "reason": [
                    "; ".join(t for _, t in r) for r, b in zip(reasons, bad, strict=True) if b
                ],
                "kind": [
                    ";".join(dict.fromkeys(k for k, _ in r))
                    for r, b in zip(reasons, bad, strict=True)
                    if b
                ],
            }
        )
    ]
    if table.bad_rows:
        rejected_parts.append(
            pd.DataFrame(
                {
                    "file": str(table.path),
                    "line": [ln for ln, _ in table.bad_rows],
                    "id": "",
                    "reason": [why for _, why in table.bad_rows],
                    "kind": "bad_row",
                }
            )
        )
    rejected = pd.concat(rejected_parts, ignore_index=True)
    rejected = rejected.sort_values("line", kind="stable").reset_index(drop=True)
    rejected["line"] = rejected["line"].astype("int64")
    return Validated(table=table, accepted=accepted, rejected=rejected[[*REJECTED_COLUMNS, "kind"]])


Reasons = list[list[tuple[str, str]]]


def _add(reasons: Reasons, mask: np.ndarray, kind: str, make: object) -> None:
    for i in np.flatnonzero(mask):
        reasons[i].append((kind, make(i) if callable(make) else str(make)))


def _collapse_spaces(value: object) -> str:
    return " ".join(str(value).split())


def _check_ids(ids: pd.Series, column: str, reasons: Reasons) -> None:
    _add(
        reasons,
        (ids == "").to_numpy(),
        "missing_id",
        f"{column} is empty; give every row an identifier",
    )


def _to_number(cells: pd.Series, *, decimal_comma: bool, thousands: bool) -> pd.Series:
    text = cells.astype(str).str.strip().str.replace(" ", "", regex=False)
    if decimal_comma:
        if thousands:
            grouped = text.str.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+(,\d*)?")
            text = text.where(~grouped, text.str.replace(".", "", regex=False))
        text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce")


def _check_quantity(
    cells: pd.Series, column: str, decimal_comma: bool, reasons: Reasons
) -> pd.Series:
    values = _to_number(cells, decimal_comma=decimal_comma, thousands=True)
    raw = values.to_numpy(dtype=float, na_value=np.nan)
    empty = (cells == "").to_numpy()
    nan = np.isnan(raw) & ~empty
    finite = np.isfinite(raw)
    v = np.where(finite, raw, 0.0)
    neg = finite & (v < 0)
    frac = finite & ~neg & (np.mod(v, 1) != 0)
    huge = finite & (np.abs(v) >= 2**53)
    q = "quantity"
    _add(reasons, empty, q, f"{column} is empty; give a whole number of units >= 0")
    _add(
        reasons,
        nan | (~finite & ~empty & ~nan),
        q,
        lambda i: f"{column} {cells.iat[i]!r} is not a number; give a whole number of units >= 0",
    )
    _add(reasons, neg, q, lambda i: f"{column} {cells.iat[i]} is negative; give units >= 0")
    _add(
        reasons,
        frac,
        q,
        lambda i: f"{column} {cells.iat[i]} is not a whole number; give whole units per period",
    )
    _add(reasons, huge, q, lambda i: f"{column} {cells.iat[i]} is too large; check the value")
    good = finite & ~neg & ~frac & ~huge
    return pd.Series(np.where(good, v, 0).astype("int64"))


def _check_coordinates(
    frame: pd.DataFrame, decimal_comma: bool, reasons: Reasons
) -> tuple[pd.Series, pd.Series, np.ndarray]:
    lat_txt, lon_txt = frame["lat"], frame["lon"]
    lat = _to_number(lat_txt, decimal_comma=decimal_comma, thousands=False)
    lon = _to_number(lon_txt, decimal_comma=decimal_comma, thousands=False)
    lat_empty = (lat_txt == "").to_numpy()
    lon_empty = (lon_txt == "").to_numpy()
    kec_empty = (frame["kecamatan"] == "").to_numpy()
    none = lat_empty & lon_empty
    c = "coordinates"
    _add(
        reasons,
        none & kec_empty,
        "no_location",
        "no coordinates and no kecamatan; give lat and lon, or the kecamatan name or code",
    )
    _add(reasons, lat_empty & ~lon_empty, c, "lon is given but lat is empty; give both or neither")
    _add(reasons, lon_empty & ~lat_empty, c, "lat is given but lon is empty; give both or neither")
    lat_v = lat.to_numpy(dtype=float, na_value=np.nan)
    lon_v = lon.to_numpy(dtype=float, na_value=np.nan)
    lat_bad = ~lat_empty & ~np.isfinite(lat_v)
    lon_bad = ~lon_empty & ~np.isfinite(lon_v)
    _add(
        reasons,
        lat_bad,
        c,
        lambda i: f"lat {lat_txt.iat[i]!r} is not a number; give decimal degrees like -6.05",
    )
    _add(
        reasons,
        lon_bad,
        c,
        lambda i: f"lon {lon_txt.iat[i]!r} is not a number; give decimal degrees like 106.2",
    )
    with np.errstate(invalid="ignore"):
        lat_range = np.isfinite(lat_v) & (np.abs(lat_v) > 90)
        lon_range = np.isfinite(lon_v) & (np.abs(lon_v) > 180)
        # a latitude of 106 with a longitude of -6 is a swapped pair, not a bad row:
        # geocoding swaps it back when the swapped point lies inside the boundaries
        swap = lat_range & ~lon_range & (np.abs(lat_v) <= 180) & (np.abs(lon_v) <= 90)
    _add(
        reasons, lat_range & ~swap, c, lambda i: f"lat {lat_txt.iat[i]} is outside -90..90 degrees"
    )
    _add(reasons, lon_range, c, lambda i: f"lon {lon_txt.iat[i]} is outside -180..180 degrees")
    return pd.Series(lat_v), pd.Series(lon_v), swap


def _check_products(frame: pd.DataFrame, reasons: Reasons) -> pd.Series:
    present = "product" in frame.attrs.get("present", ())
    key = frame["product"].map(_collapse_spaces).str.casefold()
    if present:
        _add(reasons, (key == "").to_numpy(), "product_empty", "product is empty; name the product")
    return key.astype(object)


def _check_repeats(
    ids: pd.Series,
    product_key: pd.Series,
    products: pd.Series,
    lines: pd.Series,
    column: str,
    reasons: Reasons,
) -> None:
    keyed = pd.DataFrame({"id": ids, "p": product_key, "line": lines})
    keyed = keyed[keyed["id"] != ""]
    dup = keyed.duplicated(["id", "p"], keep="first")
    if not dup.any():
        return
    first_line = keyed.groupby(["id", "p"], sort=False)["line"].transform("min")
    for pos in keyed.index[dup]:
        prod = " ".join(str(products.iat[pos]).split())
        what = f"{column} {ids.iat[pos]!r}" + (f" with product {prod!r}" if prod else "")
        reasons[pos].append(
            (
                "repeat",
                f"repeats {what} first given on line {first_line.loc[pos]}; "
                "repeats are rejected, not summed: merge them into one row",
            )
        )
