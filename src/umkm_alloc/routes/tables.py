"""The planned trips as tables (routes, items, trips, days) and the totals of ``summary.json``.

Rounding: km to 0.001 and minutes to 0.1 in the tables, hours to 0.01; each figure is rounded
from the unrounded value (``cumulative_km`` is not the sum of rounded legs), and the totals
are sums of unrounded figures, rounded once.

A store visited more than once (full loads, then the remainder) gets its products in name
order, filling its visits in trip order.

``routes`` ends every trip with a row for the ride home: ``stop`` one after the last store,
``store_id`` and ``store_name`` empty, ``quantity`` 0, ``leg_km`` the way back and
``cumulative_km`` the trip's km; so ``leg_km`` sums to the km of ``trips``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from umkm_alloc.routes.model import (
    DAY_COLUMNS,
    ITEM_COLUMNS,
    ROUTE_COLUMNS,
    TRIP_COLUMNS,
    LegSets,
    RouteOptions,
    RoutePlan,
    run_starts,
)
from umkm_alloc.routes.trips import Layout, Trips

if TYPE_CHECKING:
    from umkm_alloc.routes.plan import Links

#: A trip is over-long when longer than ``max_trip_km`` by more than this (km).
_KM_TOLERANCE = 1e-9


@dataclass(frozen=True)
class _Stops:
    """The planned trips with their legs: trip-level and stop-level arrays."""

    owner: np.ndarray  # per trip
    number: np.ndarray
    count: np.ndarray
    quantity: np.ndarray
    km: np.ndarray
    minutes: np.ndarray
    estimated: np.ndarray
    trip: np.ndarray  # per stop: row of its trip
    stop: np.ndarray
    link: np.ndarray
    load: np.ndarray
    leg_km: np.ndarray
    cumulative_km: np.ndarray
    home_km: np.ndarray  # per trip: the ride home


def tabulate(links: Links, legs: LegSets, trips: Trips, options: RouteOptions) -> RoutePlan:
    """Build the :class:`RoutePlan` of a run from its links, legs and planned trips.

    Parameters
    ----------
    links
        The allocation grouped per producer and store.
    legs
        The measured matrices of every producer.
    trips
        Every producer's trips (owner ``k`` is producer ``k`` of ``links``).
    options
        The options the trips were planned with.

    Returns
    -------
    RoutePlan
    """
    layout = Layout(np.diff(links.start), legs.km)
    done = _ridden(layout, legs, trips, options)
    over_long = done.km > options.trip_limit + _KM_TOLERANCE
    direct = np.bincount(
        layout.link_owner, weights=layout.out_km + layout.back_km, minlength=len(links.producer_ids)
    )
    days = _days(links, done, direct, over_long, options)
    return RoutePlan(
        routes=_routes(links, done),
        items=_items(links, done),
        trips=_trips(links, done),
        days=days,
        totals=_totals(links, trips, done, direct, days, over_long, options),
    )


def _ridden(layout: Layout, legs: LegSets, trips: Trips, options: RouteOptions) -> _Stops:
    """Legs, km, minutes and fallbacks of every trip and stop.

    Sums along a trip are running sums (``cumsum``), exact whatever the zero padding, so the
    figures do not depend on how wide the widest trip of a chunk was.
    """
    cells = layout.path_cells(trips.owner, trips.stops)
    leg_km = legs.km[cells]
    running = np.cumsum(leg_km, axis=1)
    at_speed = leg_km * (60.0 / options.speed_kmh)
    if legs.minutes is None:
        travel = at_speed
    else:
        known = legs.minutes[cells]
        travel = np.where(np.isnan(known), at_speed, known)
    count = (trips.stops > 0).sum(axis=1)
    trip, pos = np.nonzero(trips.stops > 0)
    return _Stops(
        owner=trips.owner,
        number=_numbers(trips.owner),
        count=count,
        quantity=trips.loads.sum(axis=1),
        km=running[:, -1],
        minutes=np.cumsum(travel, axis=1)[:, -1] + options.stop_minutes * count,
        estimated=np.zeros(len(count), np.int64)
        if legs.estimated is None
        else legs.estimated[cells].sum(axis=1),
        trip=trip,
        stop=pos + 1,
        link=layout.first_link[trips.owner[trip]] + trips.stops[trip, pos] - 1,
        load=trips.loads[trip, pos],
        leg_km=leg_km[trip, pos],
        cumulative_km=running[trip, pos],
        home_km=leg_km[np.arange(len(count)), count],
    )


def _numbers(owner: np.ndarray) -> np.ndarray:
    """1, 2, ... within each producer (rows are in producer order)."""
    first = run_starts(owner)
    index = np.arange(len(owner))
    return index - np.maximum.accumulate(np.where(first, index, 0)) + 1


def _routes(links: Links, done: _Stops) -> pd.DataFrame:
    """Return the stops in riding order, each trip closed by its ride home (see the module)."""
    trips = np.arange(len(done.owner))
    trip = np.concatenate([done.trip, trips])
    home = np.full(len(trips), "", object)
    table = pd.DataFrame(
        {
            "producer_id": links.producer_ids[done.owner[trip]],
            "producer_name": links.producer_names[done.owner[trip]],
            "trip": done.number[trip],
            "stop": np.concatenate([done.stop, done.count + 1]),
            "store_id": np.concatenate([links.store_ids[done.link], home]),
            "store_name": np.concatenate([links.store_names[done.link], home]),
            "quantity": np.concatenate([done.load, np.zeros(len(trips), done.load.dtype)]),
            "leg_km": np.concatenate([done.leg_km, done.home_km]).round(3),
            "cumulative_km": np.concatenate([done.cumulative_km, done.km]).round(3),
        },
        columns=ROUTE_COLUMNS,
    )
    order = np.lexsort((table["stop"].to_numpy(), trip))
    return table.iloc[order].reset_index(drop=True)


def _items(links: Links, done: _Stops) -> pd.DataFrame:
    """Products per stop: each link's visits (in trip order) filled with its products.

    Visits and products of a link are laid end to end on one axis of units; every cut point
    of either starts a new (visit, product) piece. Links are kept apart by offsetting each by
    ``link * (largest link total + 1)``.
    """
    span = int(links.quantity.max(initial=0)) + 1
    visit_order = np.lexsort((done.trip, done.link))
    visit_link = done.link[visit_order]
    visit_cut = visit_link * span + _running(done.load[visit_order], visit_link)
    item_cut = links.item_link * span + _running(links.item_quantity, links.item_link)
    cuts = np.union1d(visit_cut, item_cut)
    cut_link = cuts // span
    same = ~run_starts(cut_link)
    starts = np.where(same, np.r_[0, cuts[:-1]][: len(cuts)], cut_link * span)
    visit = visit_order[np.searchsorted(visit_cut, cuts)]
    item = np.searchsorted(item_cut, cuts)
    order = np.lexsort((item, visit))  # stop rows are in riding order; products by name
    visit, item = visit[order], item[order]
    return pd.DataFrame(
        {
            "producer_id": links.producer_ids[done.owner[done.trip[visit]]],
            "trip": done.number[done.trip[visit]],
            "stop": done.stop[visit],
            "store_id": links.store_ids[done.link[visit]],
            "product": links.item_product[item],
            "quantity": (cuts - starts)[order],
        },
        columns=ITEM_COLUMNS,
    )


def _running(quantity: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Sum ``quantity`` cumulatively within runs of equal ``group`` (already grouped)."""
    total = np.cumsum(quantity)
    first = run_starts(group)
    base = np.where(first, total - quantity, 0)
    return total - np.maximum.accumulate(base)


def _trips(links: Links, done: _Stops) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "producer_id": links.producer_ids[done.owner],
            "trip": done.number,
            "stops": done.count,
            "quantity": done.quantity,
            "km": done.km.round(3),
            "minutes": done.minutes.round(1),
        },
        columns=TRIP_COLUMNS,
    )


def _days(
    links: Links,
    done: _Stops,
    direct: np.ndarray,
    over_long: np.ndarray,
    options: RouteOptions,
) -> pd.DataFrame:
    count = len(links.producer_ids)

    def per_producer(values: np.ndarray) -> np.ndarray:
        return np.bincount(done.owner, weights=values, minlength=count)

    minutes = per_producer(done.minutes)
    return pd.DataFrame(
        {
            "producer_id": links.producer_ids,
            "producer_name": links.producer_names,
            "stores": np.diff(links.start),
            "trips": np.bincount(done.owner, minlength=count),
            "quantity": per_producer(done.quantity).round().astype(np.int64),
            "km": per_producer(done.km).round(3),
            "km_direct": direct.round(3),
            "hours": (minutes / 60.0).round(2),
            "overloaded": minutes > options.max_day_hours * 60.0,
            "over_long_trips": np.bincount(done.owner[over_long], minlength=count),
        },
        columns=DAY_COLUMNS,
    )


def _totals(
    links: Links,
    trips: Trips,
    done: _Stops,
    direct: np.ndarray,
    days: pd.DataFrame,
    over_long: np.ndarray,
    options: RouteOptions,
) -> dict[str, Any]:
    km = float(done.km.sum())
    km_direct = float(direct.sum())
    saving = 100.0 * (km_direct - km) / km_direct if km_direct > 0 else 0.0
    return {
        "producers": len(links.producer_ids),
        "trips": len(done.owner),
        "stops": len(done.trip),
        "km": round(km, 3),
        "km_direct": round(km_direct, 3),
        "saving_pct": round(saving, 2),
        "hours": round(float(done.minutes.sum()) / 60.0, 2),
        "vehicle_capacity": options.vehicle_capacity,
        "max_trip_km": options.max_trip_km,
        "speed_kmh": options.speed_kmh,
        "stop_minutes": options.stop_minutes,
        "max_day_hours": options.max_day_hours,
        "overloaded_producers": int(days["overloaded"].sum()),
        "over_long_trips": int(over_long.sum()),
        "distance_fallbacks": int(done.estimated.sum()),
        "solver": {
            "exact_up_to_stops": options.exact_stops,
            "exact_producers": trips.exact,
            "searched_producers": trips.searched,
            "search": "pyvrp",
            "iterations": options.iterations,
            "patience": options.patience,
            "seed": options.seed,
        },
    }
