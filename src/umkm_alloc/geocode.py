"""Place rows in kecamatan: points by point-in-polygon (with snapping), names by lookup."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from umkm_alloc.boundaries import Boundaries
from umkm_alloc.validate import REJECTED_COLUMNS, Validated

GEOCODE_COLUMNS = ["kecamatan_code", "kecamatan_name", "kabupaten_name", "placed_by", "snap_m"]


@dataclass(frozen=True)
class Located:
    """Where a batch of points lies.

    Attributes
    ----------
    index
        Row of the boundaries frame for each point, ``-1`` when beyond the snap distance.
    snap_m
        Distance in metres to the polygon a point was snapped to (0 inside).
    nearest
        For every point, the nearest polygon (also beyond the snap distance).
    nearest_m
        Distance in metres to ``nearest``.
    """

    index: np.ndarray
    snap_m: np.ndarray
    nearest: np.ndarray
    nearest_m: np.ndarray


def locate(lon: np.ndarray, lat: np.ndarray, boundaries: Boundaries, *, snap_m: float) -> Located:
    """Find the kecamatan of each point.

    A point inside (or on the edge of) a polygon gets that polygon, the lowest ``kode``
    winning on a shared edge. A point outside every polygon is snapped to the nearest one
    when it is at most ``snap_m`` metres away (distance measured in the boundaries' metric
    CRS), otherwise its index is ``-1``.

    Parameters
    ----------
    lon, lat
        WGS84 degrees.
    boundaries
        The kecamatan polygons.
    snap_m
        Largest snapping distance in metres.

    Returns
    -------
    Located
    """
    n = len(lon)
    index = np.full(n, -1, dtype=np.int64)
    dist = np.zeros(n, dtype=float)
    if n == 0:
        return Located(index, dist, index.copy(), dist.copy())
    points = shapely.points(lon, lat)
    hit_in, hit_poly = boundaries.tree.query(points, predicate="intersects")
    if len(hit_in):
        # lowest polygon index (lowest kode) wins where a point lies on a shared edge
        order = np.lexsort((hit_poly, hit_in))
        hit_in, hit_poly = hit_in[order], hit_poly[order]
        first = np.r_[True, hit_in[1:] != hit_in[:-1]]
        index[hit_in[first]] = hit_poly[first]
    nearest = index.copy()
    nearest_m = dist.copy()
    outside = np.flatnonzero(index < 0)
    if len(outside):
        to_metric = Transformer.from_crs("EPSG:4326", boundaries.metric_crs, always_xy=True)
        x, y = to_metric.transform(lon[outside], lat[outside])
        metric_points = shapely.points(x, y)
        got_in, got_poly = boundaries.metric_tree.query_nearest(metric_points, all_matches=True)
        d = shapely.distance(metric_points[got_in], boundaries.metric_geometries[got_poly])
        order = np.lexsort((got_poly, d, got_in))
        got_in, got_poly, d = got_in[order], got_poly[order], d[order]
        first = np.r_[True, got_in[1:] != got_in[:-1]]
        rows = outside[got_in[first]]
        nearest[rows] = got_poly[first]
        nearest_m[rows] = d[first]
        close = nearest_m[outside] <= snap_m
        index[outside[close]] = nearest[outside[close]]
        dist[outside[close]] = nearest_m[outside[close]]
    return Located(index, dist, nearest, nearest_m)


@dataclass(frozen=True)
class Geocoded:
    """Accepted rows with their kecamatan, and the rows geocoding rejected."""

    accepted: pd.DataFrame
    rejected: pd.DataFrame


def geocode_rows(validated: Validated, boundaries: Boundaries, *, snap_m: float) -> Geocoded:
    """Give every accepted row a kecamatan and a point.

    Rows with coordinates are located by :func:`locate`; rows with only a kecamatan name or
    code are placed at that kecamatan's representative point.  Rows that cannot be placed
    are rejected with the reason.

    Parameters
    ----------
    validated
        Output of :func:`umkm_alloc.validate.validate_table`.
    boundaries
        The kecamatan polygons.
    snap_m
        Largest snapping distance in metres.

    Returns
    -------
    Geocoded
        ``accepted`` gains ``kecamatan_code, kecamatan_name, kabupaten_name, placed_by,
        snap_m`` (``placed_by`` is ``point``, ``snapped`` or ``kecamatan``) with ``lat`` and
        ``lon`` filled in.
    """
    rows = validated.accepted.copy()
    n = len(rows)
    idx = np.full(n, -1, dtype=np.int64)
    snap = np.zeros(n, dtype=float)
    placed = np.array(["point"] * n, dtype=object)
    reasons = np.array([""] * n, dtype=object)

    has_point = np.isfinite(rows["lat"].to_numpy(dtype=float)) if n else np.zeros(0, bool)
    pts = np.flatnonzero(has_point)
    if len(pts):
        lon = rows["lon"].to_numpy(dtype=float)[pts]
        lat = rows["lat"].to_numpy(dtype=float)[pts]
        found = locate(lon, lat, boundaries, snap_m=snap_m)
        idx[pts] = found.index
        snap[pts] = found.snap_m
        placed[pts] = np.where(found.snap_m > 0, "snapped", "point")
        for j in np.flatnonzero(found.index < 0):
            km = found.nearest_m[j] / 1000
            reasons[pts[j]] = (
                f"point {lat[j]:.6f}, {lon[j]:.6f} is outside the {boundaries.source} boundaries, "
                f"{km:.1f} km from {boundaries.label(int(found.nearest[j]))} "
                f"(snap limit {snap_m:g} m); check the coordinates (lat/lon swapped?)"
            )

    names = np.flatnonzero(~has_point)
    cache: dict[tuple[str, str], tuple[int | None, str]] = {}
    for i in names:
        key = (str(rows["kecamatan"].iat[i]), str(rows["kabupaten"].iat[i]))
        if key not in cache:
            found_name = boundaries.lookup(*key)
            cache[key] = (found_name.index, found_name.reason)
        where, why = cache[key]
        placed[i] = "kecamatan"
        if where is None:
            reasons[i] = why
        else:
            idx[i] = where

    ok = idx >= 0
    if len(names):
        reps = boundaries.representative_points
        fill = names[ok[names]]
        rows.loc[fill, "lon"] = shapely.get_x(reps[idx[fill]])
        rows.loc[fill, "lat"] = shapely.get_y(reps[idx[fill]])
    safe = np.where(ok, idx, 0)
    frame = boundaries.frame
    rows["kecamatan_code"] = np.where(ok, frame["kode"].to_numpy()[safe], "")
    rows["kecamatan_name"] = np.where(ok, frame["nama"].to_numpy()[safe], "")
    rows["kabupaten_name"] = np.where(ok, frame["kabupaten"].to_numpy()[safe], "")
    rows["placed_by"] = placed
    rows["snap_m"] = snap
    for col in ("kecamatan_code", "kecamatan_name", "kabupaten_name", "placed_by"):
        rows[col] = rows[col].astype(object)

    rejected = pd.DataFrame(
        {
            "file": str(validated.table.path),
            "line": rows["_line"].to_numpy()[~ok],
            "id": rows["id"].to_numpy()[~ok],
            "reason": reasons[~ok],
        },
        columns=REJECTED_COLUMNS,
    )
    rejected["line"] = rejected["line"].astype("int64")
    return Geocoded(accepted=rows[ok].reset_index(drop=True), rejected=rejected)
