"""Delivery runs: each producer's closed trips that deliver what it was allocated.

=================  ===============================================================
module             step
=================  ===============================================================
``model``          options, site sets, legs, the plan and its table columns
``measure``        measures: a distance function of point pairs -> matrices
``plan``           ``plan_routes``: group, measure, plan (in parallel), tabulate
``trips``          loads, the solvers, canonical trips (vectorised over producers)
``exact``          subset dynamic programmes (exact up to 12 stops)
``search``         PyVRP's iterated local search beyond (fixed seed and iterations)
``tables``         routes, items, trips, days and the totals of ``summary.json``
``deliveries``     ``plan_deliveries``: a run's allocation planned with its backend
``summary``        the ``routes`` section of ``summary.json``
=================  ===============================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from umkm_alloc._lazy import lazy_names

if TYPE_CHECKING:
    from umkm_alloc.routes.deliveries import plan_deliveries
    from umkm_alloc.routes.measure import backend_measure, geodesic_measure, pair_measure, per_set
    from umkm_alloc.routes.model import (
        DAY_COLUMNS,
        ITEM_COLUMNS,
        ROUTE_COLUMNS,
        TRIP_COLUMNS,
        Legs,
        LegSets,
        Measure,
        RouteOptions,
        RoutePlan,
        Sites,
        SiteSets,
    )
    from umkm_alloc.routes.plan import plan_routes

# Imported on first use, so that worker processes (which need only ``routes.trips``) do not
# pay for pandas, shapely and pyproj.
_HOME = {
    "backend_measure": "umkm_alloc.routes.measure",
    "plan_deliveries": "umkm_alloc.routes.deliveries",
    "geodesic_measure": "umkm_alloc.routes.measure",
    "pair_measure": "umkm_alloc.routes.measure",
    "per_set": "umkm_alloc.routes.measure",
    "plan_routes": "umkm_alloc.routes.plan",
    **dict.fromkeys(
        [
            "DAY_COLUMNS",
            "ITEM_COLUMNS",
            "ROUTE_COLUMNS",
            "TRIP_COLUMNS",
            "LegSets",
            "Legs",
            "Measure",
            "RouteOptions",
            "RoutePlan",
            "SiteSets",
            "Sites",
        ],
        "umkm_alloc.routes.model",
    ),
}

__all__ = [
    "DAY_COLUMNS",
    "ITEM_COLUMNS",
    "ROUTE_COLUMNS",
    "TRIP_COLUMNS",
    "LegSets",
    "Legs",
    "Measure",
    "RouteOptions",
    "RoutePlan",
    "SiteSets",
    "Sites",
    "backend_measure",
    "geodesic_measure",
    "pair_measure",
    "per_set",
    "plan_deliveries",
    "plan_routes",
]


__getattr__, __dir__ = lazy_names(__name__, _HOME)
