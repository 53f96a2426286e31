"""What the route planner takes and gives: options, one producer's sites, their legs, the plan.

A *site set* is one producer's location (the depot, row 0) followed by the stores it was
allocated (sorted by store id). A *measure* turns a batch of site sets into their distance
(and, where the backend has them, travel-time) matrices; the planner never measures anything
itself, so any distance backend can drive it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from umkm_alloc.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

#: Stops up to which the planner is exact by default (see ``routes.exact``).
EXACT_STOPS = 12

ROUTE_COLUMNS = [
    "producer_id",
    "producer_name",
    "trip",
    "stop",
    "store_id",
    "store_name",
    "quantity",
    "leg_km",
    "cumulative_km",
]
ITEM_COLUMNS = ["producer_id", "trip", "stop", "store_id", "product", "quantity"]
TRIP_COLUMNS = ["producer_id", "trip", "stops", "quantity", "km", "minutes"]
DAY_COLUMNS = [
    "producer_id",
    "producer_name",
    "stores",
    "trips",
    "quantity",
    "km",
    "km_direct",
    "hours",
    "overloaded",
    "over_long_trips",
]


@dataclass(frozen=True)
class RouteOptions:
    """How trips are planned and how the working day is counted.

    Attributes
    ----------
    vehicle_capacity
        Most units one trip carries (``--vehicle-capacity``).
    max_trip_km
        Longest trip in km (``--max-trip-km``), or ``None`` for no limit. A store whose round
        trip alone is longer still gets its trip, which is reported as over-long.
    speed_kmh
        Riding speed, for trips whose backend has no travel times (``--speed-kmh``).
    stop_minutes
        Minutes spent at each stop (``--stop-minutes``).
    max_day_hours
        A producer whose trips take longer in total is *overloaded* (``--max-day-hours``).
    exact_stops
        Producers with at most this many stops to route are planned exactly (at most
        :data:`umkm_alloc.routes.exact.MAX_EXACT`); larger ones by the PyVRP search.
    iterations
        Most iterations of the search (deterministic: never a clock).
    patience
        The search also stops after this many iterations without a better plan.
    seed
        Seed of the search.
    """

    vehicle_capacity: int = 150
    max_trip_km: float | None = None
    speed_kmh: float = 25.0
    stop_minutes: float = 5.0
    max_day_hours: float = 8.0
    exact_stops: int = EXACT_STOPS
    iterations: int = 1000
    patience: int = 250
    seed: int = 0

    def __post_init__(self) -> None:
        problems = _option_problems(self)
        if problems:
            raise UsageError("; ".join(problems))

    @property
    def trip_limit(self) -> float:
        """``max_trip_km`` as a number (``math.inf`` when there is none)."""
        return math.inf if self.max_trip_km is None else float(self.max_trip_km)


def _option_problems(options: RouteOptions) -> list[str]:
    """Every bad value of ``options``, as messages naming the option and the fix."""
    from umkm_alloc.routes.exact import MAX_EXACT

    problems = []
    cap = options.vehicle_capacity
    if isinstance(cap, bool) or not isinstance(cap, int | np.integer) or cap < 1:
        problems.append(f"--vehicle-capacity must be a whole number of units >= 1, got {cap!r}")
    checks = [
        ("--max-trip-km", options.max_trip_km, False),
        ("--speed-kmh", options.speed_kmh, False),
        ("--stop-minutes", options.stop_minutes, True),
        ("--max-day-hours", options.max_day_hours, False),
    ]
    for name, value, zero_ok in checks:
        if value is None and name == "--max-trip-km":
            continue
        bad = not isinstance(value, int | float) or not math.isfinite(value)
        if bad or value < 0 or (value == 0 and not zero_ok):
            floor = ">= 0" if zero_ok else "> 0"
            problems.append(f"{name} must be a finite number {floor}, got {value!r}")
    if not 0 <= options.exact_stops <= MAX_EXACT:
        problems.append(f"exact_stops must be within 0..{MAX_EXACT}, got {options.exact_stops}")
    if options.iterations < 1 or options.patience < 1:
        problems.append("the search needs iterations >= 1 and patience >= 1")
    return problems


@dataclass(frozen=True)
class Sites:
    """One producer's location (row 0) and the stores it delivers to (rows 1..).

    Attributes
    ----------
    lon, lat
        WGS84 degrees.
    keys
        What a keyed backend looks the points up by (ids or kecamatan codes), or ``None``.
    """

    lon: np.ndarray
    lat: np.ndarray
    keys: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.lon)


@dataclass(frozen=True)
class SiteSets:
    """Many producers' :class:`Sites`, flat: set ``k`` is rows ``start[k]:start[k + 1]``.

    Attributes
    ----------
    lon, lat, keys
        As in :class:`Sites`, every set one after the other.
    start
        First row of each set, and the total (length: sets + 1).
    """

    lon: np.ndarray
    lat: np.ndarray
    keys: np.ndarray | None
    start: np.ndarray

    def __len__(self) -> int:
        return len(self.start) - 1

    @property
    def sizes(self) -> np.ndarray:
        """Points in each set."""
        return np.diff(self.start)

    def __getitem__(self, k: int) -> Sites:
        lo, hi = int(self.start[k]), int(self.start[k + 1])
        keys = None if self.keys is None else self.keys[lo:hi]
        return Sites(self.lon[lo:hi], self.lat[lo:hi], keys)

    def part(self, first: int, stop: int) -> SiteSets:
        """Return sets ``first..stop - 1`` as their own :class:`SiteSets`."""
        lo, hi = int(self.start[first]), int(self.start[stop])
        keys = None if self.keys is None else self.keys[lo:hi]
        return SiteSets(self.lon[lo:hi], self.lat[lo:hi], keys, self.start[first : stop + 1] - lo)


@dataclass(frozen=True)
class Legs:
    """Distances between the points of one :class:`Sites`.

    Attributes
    ----------
    km
        ``km[u, v]``: road km from point ``u`` to point ``v`` (finite, >= 0).
    minutes
        Travel minutes the same way, or ``None`` when the backend has no times; a NaN entry
        means unknown (the planner then rides it at ``speed_kmh``).
    estimated
        ``True`` where the backend had no figure and a fallback estimate stands in (counted
        in the summary when a trip rides that leg), or ``None`` for none.
    """

    km: np.ndarray
    minutes: np.ndarray | None = None
    estimated: np.ndarray | None = None


@dataclass(frozen=True)
class LegSets:
    """The :class:`Legs` of every set of a :class:`SiteSets`, flat.

    Set ``k`` with ``n`` points owns ``n * n`` entries from ``matrix_start(sizes)[k]``, its
    matrix in row-major order (``u * n + v``). ``minutes`` and ``estimated`` are laid out
    the same way, or ``None``.
    """

    km: np.ndarray
    minutes: np.ndarray | None = None
    estimated: np.ndarray | None = None


def run_starts(*keys: np.ndarray) -> np.ndarray:
    """Mark where a run of equal ``keys`` (compared together) begins."""
    first = np.ones(len(keys[0]), bool)
    if len(first):
        first[1:] = np.logical_or.reduce([k[1:] != k[:-1] for k in keys])
    return first


def matrix_start(sizes: np.ndarray) -> np.ndarray:
    """Where each set's matrix starts in a :class:`LegSets`, and the total (sets + 1)."""
    return np.concatenate([[0], np.cumsum(np.asarray(sizes, np.int64) ** 2)])


#: Measures many site sets at once.
Measure = Callable[[SiteSets], LegSets]


@dataclass(frozen=True)
class RoutePlan:
    """Every producer's trips, as tables ready to write, and the totals.

    Attributes
    ----------
    routes
        One row per stop in riding order (:data:`ROUTE_COLUMNS`); ``leg_km`` from the previous
        stop (or the producer), ``cumulative_km`` since leaving the producer. Each trip ends
        with its ride home: a row after the last stop with no store and no units, so that
        ``leg_km`` sums to the trip's ``km``.
    items
        The products delivered at each stop (:data:`ITEM_COLUMNS`).
    trips
        One row per trip (:data:`TRIP_COLUMNS`); ``km`` and ``minutes`` include the ride
        home, ``minutes`` the stops.
    days
        One row per producer (:data:`DAY_COLUMNS`): its working day; sorted by producer id.
    totals
        What ``summary.json`` ``routes`` needs (see :func:`umkm_alloc.routes.plan_routes`).
    """

    routes: pd.DataFrame
    items: pd.DataFrame
    trips: pd.DataFrame
    days: pd.DataFrame
    totals: dict[str, Any] = field(default_factory=dict)
