"""Row checks of coordinates: decimal degrees fast, then every other way people write them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from umkm_alloc.io.coords import Degrees, read_degrees, read_pair
from umkm_alloc.io.csvtext import TEXT
from umkm_alloc.io.read import RawTable

#: The problems of each row with any, by row position: ``(kind, text)`` in the order found.
Reasons = dict[int, list[tuple[str, str]]]
_NOT_DMS = "is not a number nor degrees-minutes-seconds"
_DMS_HINT = "give decimal degrees like {} or degrees like {}"
_EXAMPLES = {"lat": ("-6.05", "6°03'00\" LS"), "lon": ("106.2", "106°12'00\" BT")}


def add(reasons: Reasons, mask: np.ndarray, kind: str, make: str | Callable[[int], str]) -> None:
    """Append reason ``(kind, text)`` to every row of ``mask``; ``make`` may be a function of it."""
    for i in np.flatnonzero(mask):
        reasons[i].append((kind, make(i) if callable(make) else str(make)))


def note_fix(fixes: dict[int, str], row: int, text: str) -> None:
    """Add a fix of a row to those already noted (joined by ``; ``)."""
    fixes[row] = f"{fixes[row]}; {text}" if fixes.get(row) else text


def to_number(cells: pd.Series, *, decimal_comma: bool, thousands: bool) -> pd.Series:
    """Parse decimal text; with ``decimal_comma`` a ``,`` decimal (and ``.`` thousands)."""
    text = cells.astype(str).str.strip().str.replace(" ", "", regex=False)
    if decimal_comma:
        if thousands:
            grouped = text.str.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+(,\d*)?")
            text = text.where(~grouped, text.str.replace(".", "", regex=False))
        text = text.str.replace(",", ".", regex=False)
    return _numeric(text)


#: Decimal text that every parser reads alike: a point, no exponent, at most 15 digits (up to
#: 3 before the point, as degrees have). Past 15 significant digits pandas' parser is not
#: correctly rounded (``10000.000000000001``), so such text goes to pandas.
_PLAIN_DECIMAL = r"^[+-]?[0-9]{1,3}\.[0-9]{1,12}$"


def _numeric(text: pd.Series) -> pd.Series:
    """``pd.to_numeric(text, errors="coerce")``, in Arrow when every cell is plain decimal text.

    Coordinates are written ``-6.123456``: such a column (empty cells aside) is parsed by
    Arrow's correctly rounded parser, which reads every such cell exactly as pandas does;
    anything else goes to pandas as a whole, so the values never depend on the path.
    """
    arr = pa.array(text.astype(TEXT), type=pa.large_string())
    filled = pc.not_equal(arr, "")
    plain = pc.match_substring_regex(arr, _PLAIN_DECIMAL)
    if len(arr) == 0 or not pc.all(pc.or_(pc.invert(filled), plain)).as_py():
        return pd.to_numeric(text, errors="coerce")
    values = pc.cast(pc.if_else(filled, arr, "nan"), pa.float64())
    return pd.Series(values.to_numpy(zero_copy_only=False), index=text.index)


def check_coordinates(
    table: RawTable, reasons: Reasons, fixes: dict[int, str]
) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Check the coordinates of every row.

    Returns
    -------
    lat, lon, swap
        Degrees (NaN when absent), and whether a row's latitude is out of range but plausible
        as a longitude (geocoding decides whether to swap them back).
    """
    frame = table.frame
    if "coordinates" in frame.attrs.get("present", ()):
        lat_v, lon_v, lat_txt, lon_txt = _one_cell(table, reasons)
    else:
        lat_txt, lon_txt = frame["lat"], frame["lon"]
        lat_v, lon_v = _two_cells(lat_txt, lon_txt, table.decimal_comma, reasons, fixes)
    lat_empty = (lat_txt == "").to_numpy()
    lon_empty = (lon_txt == "").to_numpy()
    c = "coordinates"
    add(
        reasons,
        lat_empty & lon_empty & (frame["kecamatan"] == "").to_numpy(),
        "no_location",
        "no coordinates and no kecamatan; give lat and lon, or the kecamatan name or code",
    )
    add(reasons, lat_empty & ~lon_empty, c, "lon is given but lat is empty; give both or neither")
    add(reasons, lon_empty & ~lat_empty, c, "lat is given but lon is empty; give both or neither")
    with np.errstate(invalid="ignore"):
        lat_range = np.isfinite(lat_v) & (np.abs(lat_v) > 90)
        lon_range = np.isfinite(lon_v) & (np.abs(lon_v) > 180)
        # a latitude of 106 with a longitude of -6 is a swapped pair, not a bad row:
        # geocoding swaps it back when the swapped point lies inside the boundaries
        swap = lat_range & ~lon_range & (np.abs(lat_v) <= 180) & (np.abs(lon_v) <= 90)
    add(reasons, lat_range & ~swap, c, lambda i: f"lat {lat_txt.iat[i]} is outside -90..90 degrees")
    add(reasons, lon_range, c, lambda i: f"lon {lon_txt.iat[i]} is outside -180..180 degrees")
    return pd.Series(lat_v), pd.Series(lon_v), swap


def _two_cells(
    lat_txt: pd.Series,
    lon_txt: pd.Series,
    decimal_comma: bool,
    reasons: Reasons,
    fixes: dict[int, str],
) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude columns: decimal degrees, else degrees-minutes-seconds."""
    values, axes = {}, {}
    for name, cells in (("lat", lat_txt), ("lon", lon_txt)):
        num = to_number(cells, decimal_comma=decimal_comma, thousands=False)
        v = num.to_numpy(dtype=float, na_value=np.nan).copy()
        axis = np.full(len(v), None, dtype=object)
        for i in np.flatnonzero(~np.isfinite(v) & (cells != "").to_numpy()):
            got = read_degrees(str(cells.iat[i]))
            if isinstance(got, Degrees):
                v[i], axis[i] = got.value, got.axis
                continue
            example, dms = _EXAMPLES[name]
            hint = _DMS_HINT.format(example, dms)
            text = (
                f"{name} {cells.iat[i]!r} is not a number; give decimal degrees like {example}"
                if got == _NOT_DMS
                else f"{name} {cells.iat[i]!r} {got}; {hint}"
            )
            reasons[i].append(("coordinates", text))
        values[name], axes[name] = v, axis
    lat_v, lon_v = values["lat"], values["lon"]
    crossed = (axes["lat"] == "lon") & (axes["lon"] == "lat")
    for i in np.flatnonzero(crossed):
        note_fix(
            fixes,
            int(i),
            f"lat {lat_txt.iat[i]!r} and lon {lon_txt.iat[i]!r} are a longitude and a latitude "
            "(by their letters); read them the other way round",
        )
        lat_v[i], lon_v[i] = lon_v[i], lat_v[i]
    for name, other, cells in (("lat", "lon", lat_txt), ("lon", "lat", lon_txt)):
        wrong = (axes[name] == other) & ~crossed
        for i in np.flatnonzero(wrong):
            reasons[i].append(
                (
                    "coordinates",
                    f"{name} {cells.iat[i]!r} is a {'longitude' if other == 'lon' else 'latitude'}"
                    f" (by its letter); put it in the {other} column",
                )
            )
            values[name][i] = np.nan
    return lat_v, lon_v


def _one_cell(
    table: RawTable, reasons: Reasons
) -> tuple[np.ndarray, np.ndarray, pd.Series, pd.Series]:
    """One column of coordinates: ``lat, lon``, a Google Maps link, or two DMS values."""
    cells = table.frame["coordinates"].astype(str)
    header = table.headers.get("coordinates", "coordinates")
    n = len(cells)
    lat_v = np.full(n, np.nan)
    lon_v = np.full(n, np.nan)
    lat_txt = pd.Series([""] * n, dtype=object)
    lon_txt = pd.Series([""] * n, dtype=object)
    for i in np.flatnonzero((cells != "").to_numpy()):
        got = read_pair(cells.iat[i])
        if isinstance(got, str):
            reasons[i].append(("coordinates", f"{header} {cells.iat[i]!r} {got}"))
            lat_txt.iat[i] = lon_txt.iat[i] = "?"  # given, but unreadable: not "no location"
            continue
        lat_v[i], lon_v[i] = got
        lat_txt.iat[i], lon_txt.iat[i] = f"{got[0]:g}", f"{got[1]:g}"
    return lat_v, lon_v, lat_txt, lon_txt
