"""Distance backends: which producer-store pairs are within reach, and how far apart.

A backend never builds a dense producers x stores matrix: a spatial index proposes the
pairs that can be within the bound, and exact distances are computed for those alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Geod

_GEOD = Geod(ellps="WGS84")
#: Shortest length (km) of one degree of latitude anywhere on the WGS84 ellipsoid.
_KM_PER_DEG_MIN = 110.57
#: Margin on the spatial pre-filter radius, so curvature never drops a true pair.
_SAFETY = 1.02


@dataclass(frozen=True)
class Pairs:
    """Candidate pairs between two point sets.

    Attributes
    ----------
    left, right
        Indices into the producer points and the store points.
    km
        Road distance in km (for ``geodesic``: geodesic x circuity).
    """

    left: np.ndarray
    right: np.ndarray
    km: np.ndarray


def geodesic_km(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Return WGS84 geodesic distances in km (vectorised pyproj ``Geod.inv``)."""
    if len(lon1) == 0:
        return np.zeros(0, dtype=float)
    _, _, metres = _GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(metres, dtype=float) / 1000.0


@dataclass(frozen=True)
class GeodesicBackend:
    """Straight-line WGS84 distance times a circuity factor.

    Parameters
    ----------
    circuity
        Road distance / straight-line distance; 1.4 is typical of rural Java.
    """

    circuity: float = 1.4
    name: str = "geodesic"

    def params(self) -> dict[str, object]:
        """Parameters recorded in ``summary.json``."""
        return {"backend": self.name, "circuity": self.circuity}

    def pairs_within(
        self,
        p_lon: np.ndarray,
        p_lat: np.ndarray,
        s_lon: np.ndarray,
        s_lat: np.ndarray,
        *,
        max_km: float,
    ) -> Pairs:
        """Return every (producer point, store point) pair at most ``max_km`` apart by road.

        Parameters
        ----------
        p_lon, p_lat, s_lon, s_lat
            Producer and store points, WGS84 degrees.
        max_km
            Largest road distance.

        Returns
        -------
        Pairs
            Sorted by (left, right).
        """
        empty = Pairs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, float))
        if len(p_lon) == 0 or len(s_lon) == 0:
            return empty
        straight_km = max_km / self.circuity
        left, right = _near_in_degrees(p_lon, p_lat, s_lon, s_lat, straight_km)
        km = geodesic_km(p_lon[left], p_lat[left], s_lon[right], s_lat[right]) * self.circuity
        keep = km <= max_km
        left, right, km = left[keep], right[keep], km[keep]
        order = np.lexsort((right, left))
        return Pairs(left[order], right[order], km[order])

    def distance_km(
        self, p_lon: np.ndarray, p_lat: np.ndarray, s_lon: np.ndarray, s_lat: np.ndarray
    ) -> np.ndarray:
        """Road distance of matched pairs of points."""
        return geodesic_km(p_lon, p_lat, s_lon, s_lat) * self.circuity


def _near_in_degrees(
    p_lon: np.ndarray, p_lat: np.ndarray, s_lon: np.ndarray, s_lat: np.ndarray, radius_km: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs whose geodesic distance may be <= radius_km, by an STRtree in degree space.

    In degree space an east-west degree is shortest at the highest latitude involved, so
    dividing the radius by that shortest length gives a radius that contains every true pair
    (for points below 89 degrees of latitude whose pairs do not cross the 180th meridian,
    which holds everywhere in Indonesia).
    """
    max_abs_lat = float(np.max(np.abs(np.concatenate([p_lat, s_lat]))))
    reach_lat = min(89.0, max_abs_lat + radius_km / _KM_PER_DEG_MIN)
    km_per_deg = _KM_PER_DEG_MIN * math.cos(math.radians(reach_lat))
    radius_deg = radius_km / km_per_deg * _SAFETY
    tree = shapely.STRtree(shapely.points(s_lon, s_lat))
    left, right = tree.query(shapely.points(p_lon, p_lat), predicate="dwithin", distance=radius_deg)
    return left.astype(np.int64), right.astype(np.int64)
