"""The ``routes`` section of a run's summary: trips and km, the working day, what to look at.

``summarize_routes`` turns a :class:`~umkm_alloc.routes.RoutePlan` into the frozen
:class:`RoutesSummary` that :class:`umkm_alloc.summary.Summary` holds as ``routes``; the
terminal, the workbook and ``summary.json`` all read it there.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from umkm_alloc.routes.model import RoutePlan

#: Producers with the longest day that the summary lists.
LONGEST_DAYS = 5


@dataclass(frozen=True)
class ProducerDay:
    """One producer's working day of deliveries (a row of ``RoutePlan.days``)."""

    producer_id: str
    producer_name: str
    stores: int
    trips: int
    quantity: int
    km: float
    hours: float
    overloaded: bool

    def to_json(self) -> dict[str, Any]:
        """Return the producer's entry in ``summary.json`` (``overloaded`` is its list)."""
        row = asdict(self)
        del row["overloaded"]
        return {**row, "km": round(self.km, 3), "hours": round(self.hours, 2)}


@dataclass(frozen=True)
class RoutesSummary:
    """The delivery trips of a run in figures (``summary.json`` ``routes``).

    Attributes
    ----------
    producers, trips, stops, quantity
        Producers with deliveries, their trips, the stops of those trips, the units carried.
    km, km_direct, saving_pct
        Km of all trips (rides home included); of one round trip per producer-store link
        (2 x its distance); and how much less the trips ride, in percent.
    hours
        Riding and stop time of all trips.
    vehicle_capacity, max_trip_km, speed_kmh, stop_minutes, max_day_hours
        The route options of the run.
    overloaded
        Producers whose day is longer than ``max_day_hours``, the longest first.
    longest_days
        The :data:`LONGEST_DAYS` producers with the longest day, the longest first.
    over_long_trips
        Trips longer than ``max_trip_km`` (a store too far to reach within it).
    distance_fallbacks
        Legs ridden whose distance the backend did not have (geodesic x circuity instead).
    solver
        How the trips were planned (exact or by the search; its settings).
    """

    producers: int
    trips: int
    stops: int
    quantity: int
    km: float
    km_direct: float
    saving_pct: float
    hours: float
    vehicle_capacity: int
    max_trip_km: float | None
    speed_kmh: float
    stop_minutes: float
    max_day_hours: float
    overloaded: tuple[ProducerDay, ...]
    longest_days: tuple[ProducerDay, ...]
    over_long_trips: int
    distance_fallbacks: int
    solver: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """Return the ``routes`` section of ``summary.json``."""
        out = {
            name: getattr(self, name)
            for name in (
                "producers",
                "trips",
                "stops",
                "quantity",
                "km",
                "km_direct",
                "saving_pct",
                "hours",
                "vehicle_capacity",
                "max_trip_km",
                "speed_kmh",
                "stop_minutes",
                "max_day_hours",
            )
        }
        return {
            **out,
            "overloaded_producers": [day.to_json() for day in self.overloaded],
            "over_long_trips": self.over_long_trips,
            "distance_fallbacks": self.distance_fallbacks,
            "longest_days": [day.to_json() for day in self.longest_days],
            "solver": dict(self.solver),
        }


def summarize_routes(plan: RoutePlan) -> RoutesSummary:
    """Return the figures of a plan (see :class:`RoutesSummary`).

    Parameters
    ----------
    plan
        Every producer's trips, as :func:`umkm_alloc.routes.plan_routes` returns them.

    Returns
    -------
    RoutesSummary
    """
    totals = plan.totals
    days = plan.days.sort_values(["hours", "producer_id"], ascending=[False, True], kind="stable")
    rows = tuple(
        ProducerDay(
            producer_id=str(d.producer_id),
            producer_name=str(d.producer_name),
            stores=int(d.stores),
            trips=int(d.trips),
            quantity=int(d.quantity),
            km=float(d.km),
            hours=float(d.hours),
            overloaded=bool(d.overloaded),
        )
        for d in days.itertuples(index=False)
    )
    return RoutesSummary(
        producers=int(totals["producers"]),
        trips=int(totals["trips"]),
        stops=int(totals["stops"]),
        quantity=int(plan.trips["quantity"].sum()),
        km=float(totals["km"]),
        km_direct=float(totals["km_direct"]),
        saving_pct=float(totals["saving_pct"]),
        hours=float(totals["hours"]),
        vehicle_capacity=int(totals["vehicle_capacity"]),
        max_trip_km=totals["max_trip_km"],
        speed_kmh=float(totals["speed_kmh"]),
        stop_minutes=float(totals["stop_minutes"]),
        max_day_hours=float(totals["max_day_hours"]),
        overloaded=tuple(day for day in rows if day.overloaded),
        longest_days=rows[:LONGEST_DAYS],
        over_long_trips=int(totals["over_long_trips"]),
        distance_fallbacks=int(totals["distance_fallbacks"]),
        solver=dict(totals["solver"]),
    )
