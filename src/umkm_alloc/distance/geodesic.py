"""``--distance geodesic``: straight-line WGS84 distance times a circuity factor."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from umkm_alloc.distance.base import DistanceBackend, Pairs, geodesic_km, near_in_degrees
from umkm_alloc.errors import UsageError


@dataclass(frozen=True)
class GeodesicBackend(DistanceBackend):
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

    def describe(self) -> str:
        """Return ``geodesic x 1.4``."""
        return f"geodesic x {self.circuity:g}"

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
        """Return every (producer point, store point) pair at most ``max_km`` apart by road.

        Parameters
        ----------
        p_lon, p_lat, s_lon, s_lat
            Producer and store points, WGS84 degrees.
        max_km
            Largest road distance.
        max_minutes
            Not available: the geodesic backend has no travel times.
        p_keys, s_keys
            Ignored.

        Returns
        -------
        Pairs
            Sorted by (left, right).
        """
        if max_minutes is not None:
            raise UsageError(
                "--max-minutes needs travel times, which the geodesic backend does not have; "
                "use --max-km, or --distance osm:PATH, osrm:URL or matrix:PATH with minutes"
            )
        if len(p_lon) == 0 or len(s_lon) == 0:
            return Pairs.empty()
        if max_km == math.inf:
            raise UsageError("the geodesic backend needs a finite --max-km")
        straight_km = max_km / self.circuity
        left, right = near_in_degrees(p_lon, p_lat, s_lon, s_lat, straight_km)
        km = geodesic_km(p_lon[left], p_lat[left], s_lon[right], s_lat[right]) * self.circuity
        keep = km <= max_km
        return Pairs(left[keep], right[keep], km[keep]).sorted()

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
    ) -> tuple[np.ndarray, None]:
        """Return geodesic x circuity of matched pairs, and no minutes."""
        return geodesic_km(p_lon, p_lat, s_lon, s_lat) * self.circuity, None
