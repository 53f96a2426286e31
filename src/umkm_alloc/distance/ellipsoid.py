"""WGS84 geodesic distances in numpy, and the pairs within a bound by a KD-tree.

The geodesic between two points a few tens of km apart is, to within nanometres, an arc of
the circle whose curvature is the ellipsoid's normal curvature in the line's direction at
its midpoint. So the distance follows from the straight 3-D chord between the points on the
ellipsoid (earth-centred coordinates) by the arc-chord series

    s = c (1 + (c k)^2 / 24 + 3 (c k)^4 / 640),    k = cos^2(az) / M + sin^2(az) / N,

with M and N the meridian and prime-vertical radii at the mid-latitude. Against pyproj's
``Geod.inv`` (GeographicLib, exact to 15 nm) the error is below 5e-9 m up to 30 km, 1e-6 m
up to 100 km and 3e-4 m up to 300 km, anywhere below 80 degrees of latitude
(``tests/test_ellipsoid.py`` checks it on random pairs). Beyond :data:`CLOSED_FORM_KM`,
:func:`geodesic_km` asks pyproj.

Because a geodesic is never shorter than its chord, a KD-tree on earth-centred coordinates
finds every pair within a geodesic radius by a plain Euclidean ball of that radius: no
margin, no pair lost (:func:`pairs_within_km`). Pairs whose distance is within
:data:`ERROR_M` of the bound are measured again by pyproj, so eligibility is decided exactly
as with pyproj alone, and the distances agree with pyproj's to the 0.001 km the tables
print (a last digit can differ only for a distance within 1e-11 km of a rounding edge).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

#: WGS84 semi-major axis (m) and flattening.
A = 6378137.0
F = 1 / 298.257223563
_E2 = F * (2 - F)
_EP2 = _E2 / (1 - _E2)
#: Longest chord (km) measured by the closed form; longer pairs go to pyproj.
CLOSED_FORM_KM = 100.0
#: Bound on the closed form's error (m) up to :data:`CLOSED_FORM_KM` (measured: 6e-7 m).
ERROR_M = 1e-5
#: Points (both sets) from which the KD-tree proposes the pairs; fewer: a shapely STRtree.
#: The STRtree takes about twice the KD-tree's time per pair (30-110 ns more), but scipy
#: takes 0.25 s to import: below this many points (a Banten-sized product, 2,000-4,000
#: rows, 130,000 pairs) the STRtree is done before scipy would be loaded; a national
#: product (30,000-60,000 rows, 300,000 pairs) pays for the import.
KD_TREE_POINTS = 20_000
#: Query points per KD-tree call: bounds the memory of one batch of pairs.
_QUERY_BATCH = 200_000
#: Shortest length (km) of one degree of latitude anywhere on the WGS84 ellipsoid.
_KM_PER_DEG_MIN = 110.57
#: Margin on the degree-space radius, so curvature never drops a true pair.
_SAFETY = 1.02


def ecef(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return earth-centred coordinates (m, shape ``(n, 3)``) and ``sin(lat)`` of points.

    Parameters
    ----------
    lon, lat
        WGS84 degrees, on the ellipsoid's surface.

    Returns
    -------
    xyz, sin_lat
    """
    lam = np.radians(np.asarray(lon, dtype=float))
    phi = np.radians(np.asarray(lat, dtype=float))
    sin_lat, cos_lat = np.sin(phi), np.cos(phi)
    n = A / np.sqrt(1 - _E2 * sin_lat * sin_lat)
    xyz = np.empty((len(lam), 3))
    xyz[:, 0] = n * cos_lat * np.cos(lam)
    xyz[:, 1] = n * cos_lat * np.sin(lam)
    xyz[:, 2] = n * (1 - _E2) * sin_lat
    return xyz, sin_lat


def arc_m(
    chord: np.ndarray, sin_lat1: np.ndarray, sin_lat2: np.ndarray, dlat: np.ndarray
) -> np.ndarray:
    """Return geodesic metres from the chord between two points on the ellipsoid.

    Parameters
    ----------
    chord
        Straight 3-D distance (m) between the points (earth-centred coordinates).
    sin_lat1, sin_lat2
        Sines of the points' latitudes.
    dlat
        Latitude difference (radians), which gives the line's direction.

    Returns
    -------
    numpy.ndarray
        Geodesic metres (see the module docstring for the error).
    """
    s = 0.5 * (sin_lat1 + sin_lat2)
    s2 = s * s
    w = 1 - _E2 * s2
    meridian = A * (1 - _E2) / (w * np.sqrt(w))
    with np.errstate(invalid="ignore", divide="ignore"):
        north = np.where(chord > 0, (meridian * dlat / chord) ** 2, 0.0)
    curv = np.sqrt(w) / A * (1 + _EP2 * (1 - s2) * np.minimum(north, 1.0))
    ck2 = (chord * curv) ** 2
    return chord * (1 + ck2 / 24 + ck2 * ck2 * (3 / 640))


def geodesic_km(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Return WGS84 geodesic km between matched points (closed form; pyproj when far).

    Parameters
    ----------
    lon1, lat1, lon2, lat2
        WGS84 degrees of the first and the second point of each pair (arrays of one length).

    Returns
    -------
    numpy.ndarray
        Kilometres, within 1e-8 km of pyproj's ``Geod.inv`` (exactly pyproj's beyond
        :data:`CLOSED_FORM_KM`).
    """
    lon1, lat1, lon2, lat2 = _flat(lon1, lat1, lon2, lat2)
    if len(lon1) == 0:
        return np.zeros(0, dtype=float)
    xyz1, sin1 = ecef(lon1, lat1)
    xyz2, sin2 = ecef(lon2, lat2)
    xyz2 -= xyz1
    chord = np.sqrt(np.einsum("ij,ij->i", xyz2, xyz2))
    km = arc_m(chord, sin1, sin2, np.radians(lat2 - lat1)) / 1000.0
    far = np.flatnonzero(~(chord <= CLOSED_FORM_KM * 1000.0))
    if len(far):
        km[far] = pyproj_km(lon1[far], lat1[far], lon2[far], lat2[far])
    return km


def pyproj_km(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Return WGS84 geodesic km by pyproj's ``Geod.inv`` (GeographicLib, exact)."""
    if len(lon1) == 0:
        return np.zeros(0, dtype=float)
    from pyproj import Geod

    _, _, metres = Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)
    return np.asarray(metres, dtype=float) / 1000.0


def pairs_within_km(
    lon1: np.ndarray,
    lat1: np.ndarray,
    lon2: np.ndarray,
    lat2: np.ndarray,
    radius_km: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (left, right, km) of every pair at most ``radius_km`` apart on the geodesic.

    A spatial index proposes the pairs: for :data:`KD_TREE_POINTS` points or more a scipy
    KD-tree on earth-centred coordinates (a Euclidean ball of the radius holds every pair
    within it, since the geodesic is never shorter than its chord), for fewer a shapely
    STRtree in degrees (shapely is loaded anyway; scipy takes 0.25 s to import). The closed
    form measures the proposed pairs, the same way whichever index proposed them; pairs
    within :data:`ERROR_M` of the radius are measured again by pyproj. So every pair within
    the radius is returned, with it those up to :data:`ERROR_M` beyond (pyproj-measured, for
    the caller's own exact comparison, e.g. ``km * circuity <= max_km``). The KD-tree and
    the numpy arithmetic run without the interpreter lock, so calls share the cores from
    threads.

    Parameters
    ----------
    lon1, lat1, lon2, lat2
        WGS84 degrees of the first set and of the second set.
    radius_km
        The bound (finite, at most :data:`CLOSED_FORM_KM`).

    Returns
    -------
    left, right, km
        Indices into the first and second set (int64) and the geodesic km, sorted by
        (left, right).
    """
    if not 0 <= radius_km <= CLOSED_FORM_KM:
        raise ValueError(f"radius_km must be within 0 and {CLOSED_FORM_KM:g}, got {radius_km}")
    lon1, lat1, lon2, lat2 = _flat(lon1, lat1, lon2, lat2)
    if len(lon1) == 0 or len(lon2) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, float)
    xyz1, sin1 = ecef(lon1, lat1)
    xyz2, sin2 = ecef(lon2, lat2)
    radius_m = radius_km * 1000.0
    if len(lon1) + len(lon2) >= KD_TREE_POINTS:
        batches = _kd_pairs(xyz1, xyz2, radius_m + 2 * ERROR_M)
    else:
        batches = iter([degree_pairs(lon1, lat1, lon2, lat2, radius_km)])
    parts = []
    for left, right in batches:
        delta = xyz2[right] - xyz1[left]
        chord = np.sqrt(np.einsum("ij,ij->i", delta, delta))
        del delta
        metres = arc_m(chord, sin1[left], sin2[right], np.radians(lat2[right] - lat1[left]))
        close = np.flatnonzero(np.abs(metres - radius_m) <= ERROR_M)
        keep = np.flatnonzero(metres <= radius_m + ERROR_M)
        km = metres / 1000.0
        if len(close):
            km[close] = pyproj_km(
                lon1[left[close]], lat1[left[close]], lon2[right[close]], lat2[right[close]]
            )
        left, right, km = left[keep], right[keep], km[keep]
        order = np.argsort(left * len(lon2) + right)  # (left, right) pairs are unique
        parts.append((left[order], right[order], km[order]))
    if len(parts) == 1:
        return parts[0]
    left, right, km = (np.concatenate(cols) for cols in zip(*parts, strict=True))
    return left, right, km


def _kd_pairs(
    xyz1: np.ndarray, xyz2: np.ndarray, chord_m: float
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Pairs whose chord is at most ``chord_m``, by a KD-tree, in batches of the first set."""
    from scipy.spatial import cKDTree

    tree = cKDTree(xyz2, balanced_tree=False, compact_nodes=False)
    for lo in range(0, len(xyz1), _QUERY_BATCH):
        query = cKDTree(xyz1[lo : lo + _QUERY_BATCH], balanced_tree=False, compact_nodes=False)
        near = query.sparse_distance_matrix(tree, chord_m, output_type="ndarray")
        yield near["i"].astype(np.int64) + lo, near["j"].astype(np.int64)


def degree_pairs(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray, radius_km: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs that may be within ``radius_km``, by a shapely STRtree in degree space.

    An east-west degree is shortest at the highest latitude involved, so dividing the radius
    by that shortest length (with a margin for curvature) gives a radius in degrees that
    contains every true pair (below 89 degrees of latitude, not across the 180th meridian:
    everywhere in Indonesia).
    """
    import shapely

    max_abs_lat = float(max(np.abs(lat1).max(), np.abs(lat2).max()))
    reach_lat = min(89.0, max_abs_lat + radius_km / _KM_PER_DEG_MIN)
    radius_deg = radius_km / (_KM_PER_DEG_MIN * math.cos(math.radians(reach_lat))) * _SAFETY
    tree = shapely.STRtree(shapely.points(lon2, lat2))
    left, right = tree.query(shapely.points(lon1, lat1), predicate="dwithin", distance=radius_deg)
    return left.astype(np.int64), right.astype(np.int64)


def _flat(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(a, dtype=float).reshape(-1) for a in arrays)
