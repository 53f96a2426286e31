"""``--distance geodesic``: straight-line WGS84 distance times a circuity factor."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from umkm_alloc.distance import ellipsoid
from umkm_alloc.distance.base import DistanceBackend, Pairs, Points, SetCells, near_in_degrees
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

    @property
    def straight_line_factor(self) -> float:
        """The circuity: every distance is the straight line times it."""
        return self.circuity

    def params(self) -> dict[str, object]:
        """Parameters recorded in ``summary.json``."""
        return {"backend": self.name, "circuity": self.circuity}

    def describe(self) -> str:
        """Return ``geodesic x 1.4``."""
        return f"geodesic x {self.circuity:g}"

    def pairs_within(
        self,
        producers: Points,
        stores: Points,
        *,
        max_km: float,
        max_minutes: float | None = None,
    ) -> Pairs:
        """Return every (producer point, store point) pair at most ``max_km`` apart by road.

        Parameters
        ----------
        producers, stores
            The points (keys are ignored).
        max_km
            Largest road distance.
        max_minutes
            Not available: the geodesic backend has no travel times.

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
        if len(producers) == 0 or len(stores) == 0:
            return Pairs.empty()
        if max_km == math.inf:
            raise UsageError("the geodesic backend needs a finite --max-km")
        radius = max_km / self.circuity
        if radius > ellipsoid.CLOSED_FORM_KM:
            left, right = near_in_degrees(producers, stores, radius)
            km = producers.take(left).geodesic_km(stores.take(right)) * self.circuity
            keep = km <= max_km
            return Pairs(left[keep], right[keep], km[keep]).sorted()
        left, right, km = ellipsoid.pairs_within_km(
            producers.lon, producers.lat, stores.lon, stores.lat, radius
        )
        km *= self.circuity
        keep = km <= max_km  # pairs near the bound are pyproj-measured: exact as before
        return Pairs(left[keep], right[keep], km[keep])

    def travel(
        self,
        producers: Points,
        stores: Points,
        *,
        max_km: float = math.inf,
        max_minutes: float = math.inf,
    ) -> tuple[np.ndarray, None]:
        """Return geodesic x circuity of matched pairs, and no minutes."""
        return producers.geodesic_km(stores) * self.circuity, None

    def leg_matrices(self, points: Points, sizes: np.ndarray) -> tuple[np.ndarray, None]:
        """Geodesic x circuity between the points of each set (each pair measured once)."""
        cells = SetCells.of(sizes)
        upper = np.flatnonzero(cells.u < cells.v)
        km = np.zeros(len(cells.u))
        km[upper] = points.take(cells.u[upper]).geodesic_km(points.take(cells.v[upper]))
        km[upper] *= self.circuity
        km[cells.mirror[upper]] = km[upper]
        return km, None
