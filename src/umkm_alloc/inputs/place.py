"""Place accepted rows in kecamatan: by their point, or by a kecamatan name or code."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from umkm_alloc.geo.boundaries import Boundaries
from umkm_alloc.geo.geocode import locate
from umkm_alloc.inputs.validate import FIX, FIXED_COLUMNS, REJECTED_COLUMNS, Validated, labels_of
from umkm_alloc.io.read import SOURCE


@dataclass(frozen=True)
class Geocoded:
    """Accepted rows with their kecamatan, the rows geocoding fixed, and those it rejected."""

    accepted: pd.DataFrame
    rejected: pd.DataFrame
    fixed: pd.DataFrame


def geocode_rows(validated: Validated, boundaries: Boundaries, *, snap_m: float) -> Geocoded:
    """Give every accepted row a kecamatan and a point.

    Rows with coordinates are located by :func:`locate`; a point that lands outside the
    boundaries but inside them with latitude and longitude swapped is swapped back and
    reported as a fix. Rows with only a kecamatan name or code are placed at that
    kecamatan's representative point; a misspelt name with one clear match is read as that
    name and reported as a fix. Rows that cannot be placed are rejected with the reason.

    Parameters
    ----------
    validated
        Output of :func:`umkm_alloc.inputs.validate.validate_table`.
    boundaries
        The kecamatan polygons.
    snap_m
        Largest snapping distance in metres.

    Returns
    -------
    Geocoded
        ``accepted`` gains ``kecamatan_code, kecamatan_name, kabupaten_name, placed_by,
        snap_m`` (``placed_by`` is ``point``, ``snapped``, ``swapped`` or ``kecamatan``) with
        ``lat`` and ``lon`` filled in.
    """
    rows = validated.accepted.copy(deep=False)  # copy-on-write: the checked rows stay as they are
    n = len(rows)
    idx = np.full(n, -1, dtype=np.int64)
    snap = np.zeros(n, dtype=float)
    placed = np.full(n, "point", dtype=object)
    reasons = np.full(n, "", dtype=object)
    kinds = np.full(n, "", dtype=object)
    fixes: dict[int, str] = {}

    lat_all = rows["lat"].to_numpy(dtype=float).copy()
    lon_all = rows["lon"].to_numpy(dtype=float).copy()
    has_point = np.isfinite(lat_all) if n else np.zeros(0, bool)
    suspect = rows["swap_suspect"].to_numpy(dtype=bool) if n else np.zeros(0, bool)
    pts = np.flatnonzero(has_point & ~suspect)
    if len(pts):
        found = locate(lon_all[pts], lat_all[pts], boundaries, snap_m=snap_m)
        idx[pts] = found.index
        snap[pts] = found.snap_m
        placed[pts] = np.where(found.snap_m > 0, "snapped", "point")
        for j in np.flatnonzero(found.index < 0):
            km = found.nearest_m[j] / 1000
            kinds[pts[j]] = "outside"
            reasons[pts[j]] = (
                f"point {lat_all[pts[j]]:.6f}, {lon_all[pts[j]]:.6f} is outside the "
                f"{boundaries.source} boundaries, {km:.1f} km from "
                f"{boundaries.label(int(found.nearest[j]))} (snap limit {snap_m:g} m); "
                "check the coordinates"
            )
    _try_swapped(
        np.flatnonzero(has_point & ((idx < 0) | suspect)),
        lat_all,
        lon_all,
        idx,
        snap,
        placed,
        reasons,
        kinds,
        fixes,
        boundaries,
        snap_m,
    )
    rows["lat"], rows["lon"] = lat_all, lon_all

    names = np.flatnonzero(~has_point)
    cache: dict[tuple[str, str], object] = {}
    for i in names:
        key = (str(rows["kecamatan"].iat[i]), str(rows["kabupaten"].iat[i]))
        if key not in cache:
            cache[key] = boundaries.lookup(*key)
        found_name = cache[key]
        placed[i] = "kecamatan"
        if found_name.index is not None:  # type: ignore[attr-defined]
            idx[i] = found_name.index  # type: ignore[attr-defined]
        elif found_name.suggestion is not None:  # type: ignore[attr-defined]
            idx[i] = found_name.suggestion  # type: ignore[attr-defined]
            fixes[int(i)] = (
                f"kecamatan {key[0]!r} read as {boundaries.label(int(idx[i]))}, the one close "
                "match; correct the spelling in the file"
            )
        else:
            kinds[i] = "kecamatan"
            reasons[i] = found_name.reason  # type: ignore[attr-defined]

    ok = idx >= 0
    if len(names):
        reps = boundaries.representative_points
        fill = names[ok[names]]
        rows.loc[fill, "lon"] = shapely.get_x(reps[idx[fill]])
        rows.loc[fill, "lat"] = shapely.get_y(reps[idx[fill]])
    safe = np.where(ok, idx, 0)
    frame = boundaries.frame
    for col, source in (
        ("kecamatan_code", "kode"),
        ("kecamatan_name", "nama"),
        ("kabupaten_name", "kabupaten"),
    ):  # one str object per kecamatan, shared by its rows
        names = frame[source].to_numpy(dtype=object)
        rows[col] = pd.Series(np.where(ok, names[safe], ""), index=rows.index, dtype=object)
    rows["placed_by"] = pd.Series(placed, index=rows.index, dtype=object)
    rows["snap_m"] = snap

    src = rows[SOURCE].to_numpy()
    rejected = pd.DataFrame(
        {
            "file": labels_of(validated.table, src[~ok]),
            "line": rows["_line"].to_numpy()[~ok],
            "id": rows["id"].to_numpy()[~ok],
            "reason": reasons[~ok],
            "kind": kinds[~ok],
            SOURCE: src[~ok],
        },
        columns=[*REJECTED_COLUMNS, "kind", SOURCE],
    )
    rejected["line"] = rejected["line"].astype("int64")
    notes = _all_fixes(rows[FIX].to_numpy(), fixes, ok)
    fix_rows = sorted(notes)
    fixed = pd.DataFrame(
        {
            "file": labels_of(validated.table, src[fix_rows]),
            "line": rows["_line"].to_numpy()[fix_rows],
            "id": rows["id"].to_numpy()[fix_rows],
            "fix": [notes[i] for i in fix_rows],
            SOURCE: src[fix_rows],
        },
        columns=[*FIXED_COLUMNS, SOURCE],
    )
    fixed["line"] = fixed["line"].astype("int64")
    accepted = rows[ok].drop(columns=FIX).reset_index(drop=True)
    return Geocoded(accepted=accepted, rejected=rejected, fixed=fixed)


def _all_fixes(checked: np.ndarray, placed: dict[int, str], ok: np.ndarray) -> dict[int, str]:
    """Return the fixes of the rows that were placed: validation's first, then geocoding's."""
    out = {}
    noted = (checked != "") & ok
    noted[[i for i in placed if ok[i]]] = True
    for i in np.flatnonzero(noted):
        both = [t for t in (str(checked[i]), placed.get(int(i), "")) if t]
        if both:
            out[int(i)] = "; ".join(both)
    return out


def _try_swapped(
    cand: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    idx: np.ndarray,
    snap: np.ndarray,
    placed: np.ndarray,
    reasons: np.ndarray,
    kinds: np.ndarray,
    fixes: dict[int, str],
    boundaries: Boundaries,
    snap_m: float,
) -> None:
    """Swap lat and lon back where only the swapped point lies inside the boundaries."""
    usable = cand[np.abs(lon[cand]) <= 90]
    hit = np.zeros(0, dtype=np.int64)
    if len(usable):
        found = locate(lat[usable], lon[usable], boundaries, snap_m=snap_m)
        good = found.index >= 0
        hit = usable[good]
        for i, where, metres in zip(hit, found.index[good], found.snap_m[good], strict=True):
            fixes[int(i)] = (
                f"lat {lat[i]:g} and lon {lon[i]:g} were swapped (the point lies in "
                f"{boundaries.label(int(where))} only when swapped); swapped them back"
            )
            lat[i], lon[i] = lon[i], lat[i]
            idx[i], snap[i], placed[i] = where, metres, "swapped"
            reasons[i] = kinds[i] = ""
    for i in np.setdiff1d(cand, hit):
        if not reasons[i]:  # a swap suspect whose swap does not land either
            kinds[i] = "coordinates"
            reasons[i] = (
                f"lat {lat[i]:g} is outside -90..90 degrees, and with lat and lon swapped the "
                f"point is not in the {boundaries.source} boundaries either; check the "
                "coordinates"
            )
