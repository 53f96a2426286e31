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
import pandas as pd
import shapely

from umkm_alloc.distance import ellipsoid

#: Speed (km/h) on the access and egress legs between a point and its road (``osm:``,
#: ``osrm:``): a lane or yard ridden slowly.
ACCESS_SPEED_KMH = 15.0
#: The row column that holds each :attr:`DistanceBackend.keyed_by` key.
_KEY_COLUMNS = {"id": "id", "kecamatan": "kecamatan_code"}


@dataclass(frozen=True)
class Points:
    """Points of one side (producers or stores), as every backend takes them.

    Attributes
    ----------
    lon, lat
        WGS84 degrees (float arrays of one length).
    keys
        What a backend with :attr:`DistanceBackend.keyed_by` (``matrix:``) knows each point
        by: the row's id or kecamatan code; ``None`` for backends that use coordinates.
    """

    lon: np.ndarray
    lat: np.ndarray
    keys: np.ndarray | None = None

    def __post_init__(self) -> None:
        lon = np.asarray(self.lon, dtype=float).reshape(-1)
        lat = np.asarray(self.lat, dtype=float).reshape(-1)
        keys = None if self.keys is None else np.asarray(self.keys, dtype=object).reshape(-1)
        if len(lat) != len(lon) or (keys is not None and len(keys) != len(lon)):
            sizes = f"{len(lon)} lon, {len(lat)} lat" + (
                "" if keys is None else f", {len(keys)} keys"
            )
            raise ValueError(f"Points need arrays of one length, got {sizes}")
        object.__setattr__(self, "lon", lon)
        object.__setattr__(self, "lat", lat)
        object.__setattr__(self, "keys", keys)

    @classmethod
    def of(cls, rows: pd.DataFrame, backend: DistanceBackend | None = None) -> Points:
        """Return the points of table rows, with the keys ``backend`` looks pairs up by.

        Parameters
        ----------
        rows
            Accepted rows (``lon``, ``lat``, and ``id`` / ``kecamatan_code`` for the keys).
        backend
            The keys follow its :attr:`~DistanceBackend.keyed_by` (``None``: no keys).

        Returns
        -------
        Points
        """
        keyed_by = None if backend is None else backend.keyed_by
        keys = None
        if keyed_by is not None:
            keys = rows[_KEY_COLUMNS[keyed_by]].astype(str).to_numpy(dtype=object)
        return cls(rows["lon"].to_numpy(dtype=float), rows["lat"].to_numpy(dtype=float), keys)

    def __len__(self) -> int:
        return len(self.lon)

    def take(self, index: np.ndarray) -> Points:
        """Return the points at ``index`` (positions, repeats allowed)."""
        keys = None if self.keys is None else self.keys[index]
        return Points(self.lon[index], self.lat[index], keys)

    def distinct(self) -> tuple[np.ndarray, Points]:
        """Return the distinct points: (the distinct point of each point, the distinct points).

        Points are told apart by key (when there are keys) and coordinates, and sorted by them,
        so a backend searches each place once.
        """
        columns = ["lon", "lat"] if self.keys is None else ["key", "lon", "lat"]
        frame = pd.DataFrame({"lon": self.lon, "lat": self.lat})
        if self.keys is not None:
            frame.insert(0, "key", self.keys)
        uniq = frame.drop_duplicates().sort_values(columns).reset_index(drop=True)
        site = frame.merge(uniq.reset_index(names="site"), on=columns, how="left")["site"]
        keys = None if self.keys is None else uniq["key"].to_numpy(dtype=object)
        return site.to_numpy(np.int64), Points(uniq["lon"], uniq["lat"], keys)

    def shapely(self) -> np.ndarray:
        """Return the points as shapely Points (degree space)."""
        return shapely.points(self.lon, self.lat)

    def geodesic_km(self, other: Points) -> np.ndarray:
        """Return the geodesic km from each point to the matching point of ``other``."""
        return geodesic_km(self.lon, self.lat, other.lon, other.lat)


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


@dataclass(frozen=True)
class SetCells:
    """The cells of many small square matrices laid end to end (see :meth:`leg_matrices`).

    Set ``k`` of ``n`` points owns ``n * n`` cells, row-major (``u * n + v``), after the cells
    of the sets before it. For each cell: ``u`` and ``v``, its row and column as positions in
    the flat points; ``mirror``, the cell ``[v, u]`` of the same set; ``depot``, per point,
    whether it is the first of its set (the producer).

    Parameters
    ----------
    sizes
        Points in each set.
    """

    u: np.ndarray
    v: np.ndarray
    mirror: np.ndarray
    depot: np.ndarray

    @classmethod
    def of(cls, sizes: np.ndarray) -> SetCells:
        """Return the cells of sets of the given sizes."""
        sizes = np.asarray(sizes, np.int64)
        first_row = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        first_cell = np.concatenate([[0], np.cumsum(sizes**2)]).astype(np.int64)
        owner = np.repeat(np.arange(len(sizes)), sizes**2)
        local = np.arange(int(first_cell[-1])) - first_cell[owner]
        n = sizes[owner]
        row, col = local // np.maximum(n, 1), local % np.maximum(n, 1)
        depot = np.zeros(int(first_row[-1]), bool)
        depot[first_row[:-1][sizes > 0]] = True
        return cls(
            u=first_row[owner] + row,
            v=first_row[owner] + col,
            mirror=first_cell[owner] + col * n + row,
            depot=depot,
        )


def geodesic_km(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Return WGS84 geodesic distances in km between matched points.

    A closed form within 1e-8 km of pyproj's ``Geod.inv`` up to 100 km, pyproj beyond
    (:func:`umkm_alloc.distance.ellipsoid.geodesic_km`).
    """
    return ellipsoid.geodesic_km(lon1, lat1, lon2, lat2)


def near_in_degrees(
    producers: Points, stores: Points, radius_km: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs whose geodesic distance may be <= radius_km, by an STRtree in degree space.

    In degree space an east-west degree is shortest at the highest latitude involved, so
    dividing the radius by that shortest length gives a radius that contains every true pair
    (for points below 89 degrees of latitude whose pairs do not cross the 180th meridian,
    which holds everywhere in Indonesia).
    """
    if len(producers) == 0 or len(stores) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return ellipsoid.degree_pairs(producers.lon, producers.lat, stores.lon, stores.lat, radius_km)


def straight_pairs_within(
    producers: Points, stores: Points, radius_km: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (left, right, straight km) of every pair at most ``radius_km`` apart (geodesic).

    With ``radius_km`` infinite every pair is returned. Sorted by (left, right). Up to
    100 km a KD-tree finds the pairs (:func:`umkm_alloc.distance.ellipsoid.pairs_within_km`).
    """
    if radius_km <= ellipsoid.CLOSED_FORM_KM:
        left, right, km = ellipsoid.pairs_within_km(
            producers.lon, producers.lat, stores.lon, stores.lat, radius_km
        )
        keep = km <= radius_km
        return left[keep], right[keep], km[keep]
    if radius_km == math.inf:
        left = np.repeat(np.arange(len(producers), dtype=np.int64), len(stores))
        right = np.tile(np.arange(len(stores), dtype=np.int64), len(producers))
    else:
        left, right = near_in_degrees(producers, stores, radius_km)
    km = producers.take(left).geodesic_km(stores.take(right))
    keep = km <= radius_km
    left, right, km = left[keep], right[keep], km[keep]
    order = np.lexsort((right, left))
    return left[order], right[order], km[order]


class DistanceBackend(ABC):
    """What the pipeline, ``explain`` and the summary need of a distance backend.

    A backend says what it is by these class attributes; callers never test its class.

    Class attributes
    ----------------
    name
        ``geodesic``, ``osm``, ``matrix`` or ``osrm``.
    keyed_by
        ``None`` when a point is known by its coordinates; ``"id"`` or ``"kecamatan"`` when
        the backend looks pairs up by the rows' ids or kecamatan codes (``matrix:``), which
        :meth:`Points.of` then puts in :attr:`Points.keys`.
    route_word
        How a route of this backend is called in reason texts: ``road`` (``no road route``)
        or ``listed`` (``no listed route``).
    has_minutes
        Whether the backend knows travel times.
    straight_line_bound
        Whether every distance is at least the straight-line (geodesic) distance, so callers
        may pre-filter pairs by straight-line distance.
    straight_line_factor
        When every distance is the straight (geodesic) line times this factor (``geodesic``:
        ``--circuity``), a spatial index finds the pairs within any bound, every pair has a
        distance, and the nearest by straight line is the nearest. ``None`` for backends
        that measure routes (some pairs have none).
    """

    name: str = ""
    keyed_by: str | None = None
    route_word: str = "road"
    has_minutes: bool = False
    straight_line_bound: bool = True

    @property
    def straight_line_factor(self) -> float | None:
        """Distance / straight-line distance when it is one factor, else ``None``."""
        return None

    @abstractmethod
    def params(self) -> dict[str, object]:
        """Return the backend and its parameters, recorded in ``summary.json``."""

    @abstractmethod
    def pairs_within(
        self,
        producers: Points,
        stores: Points,
        *,
        max_km: float,
        max_minutes: float | None = None,
    ) -> Pairs:
        """Return every (producer point, store point) pair within both bounds.

        Parameters
        ----------
        producers, stores
            The points (with keys for a backend with :attr:`keyed_by`).
        max_km
            Largest road distance (``math.inf``: none).
        max_minutes
            Largest travel time, or ``None`` for none.

        Returns
        -------
        Pairs
            Sorted by (left, right); ``minutes`` filled when the backend has times.
        """

    @abstractmethod
    def travel(
        self,
        producers: Points,
        stores: Points,
        *,
        max_km: float = math.inf,
        max_minutes: float = math.inf,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Return road km and travel minutes of matched pairs of points.

        Parameters
        ----------
        producers, stores
            The i-th producer point with the i-th store point (as for :meth:`pairs_within`).
        max_km, max_minutes
            A backend that searches (``osm:``) may stop there: a pair beyond gets ``inf``.

        Returns
        -------
        km, minutes
            ``np.inf`` where there is no route (or none within the bounds); ``minutes`` is
            ``None`` when the backend has no times.
        """

    def leg_matrices(
        self, points: Points, sizes: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Return km (and minutes) between every two points of each of many small sets.

        The delivery-trip planner measures each producer's stops with this: a set is one
        producer (its first point) followed by the stores it delivers to. The default asks
        :meth:`travel` for every ordered pair in one call; backends override it where that
        would search too much (``osm:``), ask too often (``osrm:``) or where the roles of the
        points matter (``matrix:``).

        Parameters
        ----------
        points
            The sets one after another (with keys for a backend with :attr:`keyed_by`).
        sizes
            Points in each set.

        Returns
        -------
        km, minutes
            Flat matrices as :class:`SetCells` lays them out: ``km[c]`` from point ``u[c]``
            to point ``v[c]``; 0 on the diagonal, ``inf`` where the backend has no figure.
            ``minutes`` likewise, or ``None`` for a backend without times.
        """
        cells = SetCells.of(sizes)
        off = np.flatnonzero(cells.u != cells.v)
        km = np.zeros(len(cells.u))
        minutes = np.zeros(len(cells.u)) if self.has_minutes else None
        if len(off):
            got_km, got_min = self.travel(points.take(cells.u[off]), points.take(cells.v[off]))
            km[off] = got_km
            if minutes is not None:
                minutes[off] = np.inf if got_min is None else got_min
        return km, minutes

    def distance_km(self, producers: Points, stores: Points) -> np.ndarray:
        """Road distance of matched pairs of points; ``np.inf`` where there is no route."""
        return self.travel(producers, stores)[0]

    def unroutable(self, points: Points, *, side: str) -> list[str]:
        """Why each point can have no route at all (``""`` when it can).

        Parameters
        ----------
        points
            The points (with keys for a backend with :attr:`keyed_by`).
        side
            ``producer`` or ``store``.

        Returns
        -------
        list of str
            For example ``no road within 2000 m of the store (--max-snap-m)``.
        """
        return [""] * len(points)

    def describe(self) -> str:
        """Return the backend in a few words, for summaries and map footnotes."""
        return self.name
