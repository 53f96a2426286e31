"""The interface every distance backend implements, and the straight-line helpers they share.

A backend never builds a dense producers x stores matrix: it proposes the pairs that can be
within the bound (a spatial index, a bounded shortest-path search, a listed matrix) and
measures those alone.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Geod

_GEOD = Geod(ellps="WGS84")
#: Shortest length (km) of one degree of latitude anywhere on the WGS84 ellipsoid.
_KM_PER_DEG_MIN = 110.57
#: Margin on the spatial pre-filter radius, so curvature never drops a true pair.
_SAFETY = 1.02
#: Speed (km/h) on the access and egress legs between a point and its road (``osm:``,
#: ``osrm:``): a lane or yard ridden slowly.
ACCESS_SPEED_KMH = 15.0


@dataclass(frozen=True)
class Pairs:
    """Candidate pairs between two point sets.

    Attributes
    ----------
    left, right
        Indices into the producer points and the store points.
    km
        Road distance in km (for ``geodesic``: geodesic x circuity).
    minutes
        Travel time in minutes, or ``None`` when the backend has no times (``geodesic``,
        a matrix without a minutes column) or did not need them.
    """

    left: np.ndarray
    right: np.ndarray
    km: np.ndarray
    minutes: np.ndarray | None = None

    @classmethod
    def empty(cls, *, minutes: bool = False) -> Pairs:
        """Return no pairs (with an empty ``minutes`` array when ``minutes``)."""
        none = np.zeros(0, np.int64)
        return cls(none, none.copy(), np.zeros(0, float), np.zeros(0, float) if minutes else None)

    def sorted(self) -> Pairs:
        """Return the pairs sorted by (left, right)."""
        order = np.lexsort((self.right, self.left))
        minutes = None if self.minutes is None else self.minutes[order]
        return Pairs(self.left[order], self.right[order], self.km[order], minutes)


def geodesic_km(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Return WGS84 geodesic distances in km (vectorised pyproj ``Geod.inv``)."""
    if len(lon1) == 0:
        return np.zeros(0, dtype=float)
    _, _, metres = _GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(metres, dtype=float) / 1000.0


def near_in_degrees(
    p_lon: np.ndarray, p_lat: np.ndarray, s_lon: np.ndarray, s_lat: np.ndarray, radius_km: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs whose geodesic distance may be <= radius_km, by an STRtree in degree space.

    In degree space an east-west degree is shortest at the highest latitude involved, so
    dividing the radius by that shortest length gives a radius that contains every true pair
    (for points below 89 degrees of latitude whose pairs do not cross the 180th meridian,
    which holds everywhere in Indonesia).
    """
    if len(p_lon) == 0 or len(s_lon) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    max_abs_lat = float(np.max(np.abs(np.concatenate([p_lat, s_lat]))))
    reach_lat = min(89.0, max_abs_lat + radius_km / _KM_PER_DEG_MIN)
    km_per_deg = _KM_PER_DEG_MIN * math.cos(math.radians(reach_lat))
    radius_deg = radius_km / km_per_deg * _SAFETY
    tree = shapely.STRtree(shapely.points(s_lon, s_lat))
    left, right = tree.query(shapely.points(p_lon, p_lat), predicate="dwithin", distance=radius_deg)
    return left.astype(np.int64), right.astype(np.int64)


def straight_pairs_within(
    p_lon: np.ndarray, p_lat: np.ndarray, s_lon: np.ndarray, s_lat: np.ndarray, radius_km: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (left, right, straight km) of every pair at most ``radius_km`` apart (geodesic).

    With ``radius_km`` infinite every pair is returned. Sorted by (left, right).
    """
    if radius_km == math.inf:
        left = np.repeat(np.arange(len(p_lon), dtype=np.int64), len(s_lon))
        right = np.tile(np.arange(len(s_lon), dtype=np.int64), len(p_lon))
    else:
        left, right = near_in_degrees(p_lon, p_lat, s_lon, s_lat, radius_km)
    km = geodesic_km(p_lon[left], p_lat[left], s_lon[right], s_lat[right])
    keep = km <= radius_km
    left, right, km = left[keep], right[keep], km[keep]
    order = np.lexsort((right, left))
    return left[order], right[order], km[order]


class DistanceBackend(ABC):
    """What the pipeline, ``explain`` and the summary need of a distance backend.

    Class attributes
    ----------------
    name
        ``geodesic``, ``osm``, ``matrix`` or ``osrm``.
    keyed_by
        ``None`` when a point is known by its coordinates; ``"id"`` or ``"kecamatan"`` when
        the backend looks pairs up by the rows' ids or kecamatan codes (``matrix:``), which
        the caller then passes as ``p_keys`` / ``s_keys``.
    route_word
        How a route of this backend is called in reason texts: ``road`` (``no road route``)
        or ``listed`` (``no listed route``).
    has_minutes
        Whether the backend knows travel times.
    straight_line_bound
        Whether every distance is at least the straight-line (geodesic) distance, so callers
        may pre-filter pairs by straight-line distance.
    """

    name: str = ""
    keyed_by: str | None = None
    route_word: str = "road"
    has_minutes: bool = False
    straight_line_bound: bool = True

    @abstractmethod
    def params(self) -> dict[str, object]:
        """Return the backend and its parameters, recorded in ``summary.json``."""

    @abstractmethod
    def pairs_within(
        self,
        p_lon: np.ndarray,
        p_lat: np.ndarray,
        s_lon: np.ndarray,
        s_lat: np.ndarray,
        *,
        max_km: float,
        max_minutes: float | None = None,
        p_keys: np.ndarray | None = None,
        s_keys: np.ndarray | None = None,
    ) -> Pairs:
        """Return every (producer point, store point) pair within both bounds.

        Parameters
        ----------
        p_lon, p_lat, s_lon, s_lat
            Producer and store points, WGS84 degrees.
        max_km
            Largest road distance (``math.inf``: none).
        max_minutes
            Largest travel time, or ``None`` for none.
        p_keys, s_keys
            Ids or kecamatan codes of the points, for a backend with ``keyed_by``.

        Returns
        -------
        Pairs
            Sorted by (left, right); ``minutes`` filled when the backend has times.
        """

    @abstractmethod
    def travel(
        self,
        p_lon: np.ndarray,
        p_lat: np.ndarray,
        s_lon: np.ndarray,
        s_lat: np.ndarray,
        *,
        p_keys: np.ndarray | None = None,
        s_keys: np.ndarray | None = None,
        max_km: float = math.inf,
        max_minutes: float = math.inf,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Return road km and travel minutes of matched pairs of points.

        Parameters
        ----------
        p_lon, p_lat, s_lon, s_lat
            The i-th producer point with the i-th store point.
        p_keys, s_keys
            As for :meth:`pairs_within`.
        max_km, max_minutes
            A backend that searches (``osm:``) may stop there: a pair beyond gets ``inf``.

        Returns
        -------
        km, minutes
            ``np.inf`` where there is no route (or none within the bounds); ``minutes`` is
            ``None`` when the backend has no times.
        """

    def distance_km(
        self,
        p_lon: np.ndarray,
        p_lat: np.ndarray,
        s_lon: np.ndarray,
        s_lat: np.ndarray,
        *,
        p_keys: np.ndarray | None = None,
        s_keys: np.ndarray | None = None,
    ) -> np.ndarray:
        """Road distance of matched pairs of points; ``np.inf`` where there is no route."""
        return self.travel(p_lon, p_lat, s_lon, s_lat, p_keys=p_keys, s_keys=s_keys)[0]

    def unroutable(
        self,
        lon: np.ndarray,
        lat: np.ndarray,
        *,
        keys: np.ndarray | None = None,
        side: str,
    ) -> list[str]:
        """Why each point can have no route at all (``""`` when it can).

        Parameters
        ----------
        lon, lat
            Points.
        keys
            Their ids or kecamatan codes, for a backend with ``keyed_by``.
        side
            ``producer`` or ``store``.

        Returns
        -------
        list of str
            For example ``no road within 2000 m of the store (--max-snap-m)``.
        """
        return [""] * len(lon)

    def describe(self) -> str:
        """Return the backend in a few words, for summaries and map footnotes."""
        return self.name
