"""Place rows in kecamatan: points by point-in-polygon (with snapping), names by lookup."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from umkm_alloc.boundaries import GRID_MIXED, Boundaries
from umkm_alloc.validate import FIXED_COLUMNS, REJECTED_COLUMNS, Validated

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
    when it is at most ``snap_m`` metres away, otherwise its index is ``-1``. Distances
    are geodesic (WGS84 ellipsoid) to the nearest point of each candidate polygon, so they
    hold anywhere, not only near one projection's centre (see :func:`_nearest_geodesic`).

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
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if n >= GRID_MIN_POINTS:
        cell = boundaries.grid.lookup(lon, lat)
        index[cell >= 0] = cell[cell >= 0]
        exact = np.flatnonzero(cell <= GRID_MIXED)
        if boundaries.non_overlapping:
            # a point inside the polygon that holds its cell's centre lies in no other one
            guess = -3 - cell[exact]
            tried = exact[guess >= 0]
            geoms = boundaries.geometries
            shapely.prepare(geoms)
            ok = shapely.contains_xy(geoms[guess[guess >= 0]], lon[tried], lat[tried])
            index[tried[ok]] = guess[guess >= 0][ok]
            exact = np.setdiff1d(exact, tried[ok], assume_unique=True)
    else:
        exact = np.arange(n)
    if len(exact):
        index[exact] = _point_in_polygon(lon[exact], lat[exact], boundaries)
    nearest = index.copy()
    nearest_m = dist.copy()
    outside = np.flatnonzero(index < 0)
    if len(outside) and len(boundaries.geometries):
        points = shapely.points(lon[outside], lat[outside])
        near, metres = _nearest_geodesic(lon[outside], lat[outside], points, boundaries)
        nearest[outside] = near
        nearest_m[outside] = metres
        close = metres <= snap_m
        index[outside[close]] = near[close]
        dist[outside[close]] = metres[close]
    return Located(index, dist, nearest, nearest_m)


#: From this many points on, :func:`locate` first looks the points up in the boundaries
#: raster (:attr:`Boundaries.grid`: shipped with the national file, otherwise built once in
#: about a second) and tests only those in cells that an edge crosses; fewer points go
#: straight to the exact test.
GRID_MIN_POINTS = 50_000


def _point_in_polygon(lon: np.ndarray, lat: np.ndarray, boundaries: Boundaries) -> np.ndarray:
    """Return the polygon holding each point (on a shared edge the lowest index), or -1.

    Candidates come from the bounding boxes in the STRtree; each is tested with the
    prepared polygon (``intersects_xy``), which is faster than a predicate query.
    """
    geoms = boundaries.geometries
    shapely.prepare(geoms)
    pt, poly = boundaries.tree.query(shapely.points(lon, lat))
    hit = shapely.intersects_xy(geoms[poly], lon[pt], lat[pt])
    pt, poly = pt[hit], poly[hit]
    index = np.full(len(lon), -1, dtype=np.int64)
    if not len(pt):
        return index
    order = np.lexsort((poly, pt))
    pt, poly = pt[order], poly[order]
    first = np.r_[True, pt[1:] != pt[:-1]]
    index[pt[first]] = poly[first]
    return index


#: Least and greatest length of one degree of arc on the WGS84 ellipsoid, metres: a
#: degree of latitude at the equator, and a degree of latitude at the poles (the
#: longitude degree scaled by cos(lat), N * pi / 180, lies between them).
_M_PER_DEG_LO = 110_574.0
_M_PER_DEG_HI = 111_694.0
#: Search margin on top of the ellipsoid's anisotropy: covers the change of cos(lat)
#: across the search radius and the curvature that the local frame ignores.
_SEARCH_MARGIN = 1.01


def _nearest_geodesic(
    lon: np.ndarray, lat: np.ndarray, points: np.ndarray, boundaries: Boundaries
) -> tuple[np.ndarray, np.ndarray]:
    """Return the nearest polygon of each point and the geodesic distance to it, metres.

    1. The nearest polygon in plain degrees gives each point a distance ``d0`` (degrees).
    2. Every polygon that can be nearer on the ellipsoid lies within
       ``d0 * (110,574 m / 111,694 m) ** -1 * margin / cos(lat')`` plain degrees, ``lat'``
       the farthest latitude in reach: a thin band when the nearest is unambiguous.
    3. For each candidate the nearest point is found in a local frame centred on the point,
       longitudes scaled by cos(lat) so that it is isotropic to within the ellipsoid's
       0.7 % (the foot point's error only changes the distance to second order), and the
       distance to that point is measured with ``pyproj.Geod(ellps="WGS84").inv``.
    4. The candidate at the least distance wins; ties go to the lowest polygon index.

    Near the shore (the snapping case) the distances agree with the geodesic distance to
    the polygon to far better than 0.1 %; for points hundreds of kilometres away they are
    still within about 1 %.
    """
    geoms = boundaries.geometries
    (q_pt, _), q_deg = boundaries.tree.query_nearest(
        points, return_distance=True, all_matches=False
    )
    d0 = np.full(len(points), np.inf)
    d0[q_pt] = q_deg
    reach = np.minimum(np.abs(lat) + 2.0 * d0 + 1e-6, 89.0)
    radius = d0 * (_M_PER_DEG_HI / _M_PER_DEG_LO) * _SEARCH_MARGIN / np.cos(np.radians(reach))
    radius = np.minimum(radius + 1e-9, 360.0)
    pi, gi = boundaries.tree.query(points, predicate="dwithin", distance=radius)

    # local frame per (point, candidate) pair: origin at the point, x scaled by cos(lat)
    cos_lat = np.maximum(np.cos(np.radians(lat)), 1e-9)
    cand = geoms[gi]
    coords, owner = shapely.get_coordinates(cand, return_index=True)
    owner_pt = pi[owner]
    coords[:, 0] = (coords[:, 0] - lon[owner_pt]) * cos_lat[owner_pt]
    coords[:, 1] = coords[:, 1] - lat[owner_pt]
    local = shapely.set_coordinates(cand, coords)
    lines = shapely.shortest_line(shapely.points(np.zeros(len(local)), np.zeros(len(local))), local)
    foot = shapely.get_coordinates(lines).reshape(-1, 2, 2)[:, 1]
    foot_lon = lon[pi] + foot[:, 0] / cos_lat[pi]
    foot_lat = lat[pi] + foot[:, 1]
    _, _, metres = _geod().inv(lon[pi], lat[pi], foot_lon, foot_lat)

    order = np.lexsort((gi, metres, pi))
    pi, gi, metres = pi[order], gi[order], metres[order]
    first = np.r_[True, pi[1:] != pi[:-1]]
    near = np.full(len(points), -1, dtype=np.int64)
    dist = np.full(len(points), np.inf)
    near[pi[first]] = gi[first]
    dist[pi[first]] = metres[first]
    return near, dist


@functools.cache
def _geod() -> Geod:
    """Return the WGS84 ellipsoid for geodesic distances."""
    return Geod(ellps="WGS84")


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
        Output of :func:`umkm_alloc.validate.validate_table`.
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
    rows = validated.accepted.copy()
    n = len(rows)
    idx = np.full(n, -1, dtype=np.int64)
    snap = np.zeros(n, dtype=float)
    placed = np.array(["point"] * n, dtype=object)
    reasons = np.array([""] * n, dtype=object)
    kinds = np.array([""] * n, dtype=object)
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
    rows["kecamatan_code"] = np.where(ok, frame["kode"].to_numpy()[safe], "")
    rows["kecamatan_name"] = np.where(ok, frame["nama"].to_numpy()[safe], "")
    rows["kabupaten_name"] = np.where(ok, frame["kabupaten"].to_numpy()[safe], "")
    rows["placed_by"] = placed
    rows["snap_m"] = snap
    for col in ("kecamatan_code", "kecamatan_name", "kabupaten_name", "placed_by"):
        rows[col] = rows[col].astype(object)

    path = str(validated.table.path)
    rejected = pd.DataFrame(
        {
            "file": path,
            "line": rows["_line"].to_numpy()[~ok],
            "id": rows["id"].to_numpy()[~ok],
            "reason": reasons[~ok],
            "kind": kinds[~ok],
        },
        columns=[*REJECTED_COLUMNS, "kind"],
    )
    rejected["line"] = rejected["line"].astype("int64")
    fix_rows = sorted(fixes)
    fixed = pd.DataFrame(
        {
            "file": path,
            "line": rows["_line"].to_numpy()[fix_rows],
            "id": rows["id"].to_numpy()[fix_rows],
            "fix": [fixes[i] for i in fix_rows],
        },
        columns=FIXED_COLUMNS,
    )
    fixed["line"] = fixed["line"].astype("int64")
    return Geocoded(accepted=rows[ok].reset_index(drop=True), rejected=rejected, fixed=fixed)


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
