"""A run's allocation planned as delivery trips, every leg measured by the run's backend.

``assign`` calls :func:`plan_deliveries` after the solve (with ``--routes``); ``explain``
calls it for the few producers it shows. A producer's trips depend only on its own
deliveries and legs, so planning a few producers gives the same trips as planning them all.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

import pandas as pd

from umkm_alloc.distance.base import DistanceBackend, Points
from umkm_alloc.routes.measure import backend_measure
from umkm_alloc.routes.model import RoutePlan
from umkm_alloc.routes.plan import plan_routes

if TYPE_CHECKING:
    from umkm_alloc.config import AssignConfig


def plan_deliveries(
    config: AssignConfig,
    backend: DistanceBackend,
    allocations: pd.DataFrame,
    producers: pd.DataFrame,
    stores: pd.DataFrame,
    *,
    only: Collection[str] | None = None,
) -> RoutePlan:
    """Plan the delivery trips of an allocation with the run's options and backend.

    Parameters
    ----------
    config
        The run configuration: the route options (``vehicle_capacity`` ...), ``circuity``
        (for legs the backend has no figure for) and ``jobs``.
    backend
        The run's distance backend: it measures every leg.
    allocations
        The allocations table.
    producers, stores
        The accepted rows (``id``, ``lon``, ``lat`` and the keys the backend looks up by).
    only
        Producer ids to plan (``None``: every producer with deliveries).

    Returns
    -------
    RoutePlan
    """
    if only is not None:
        allocations = allocations[allocations["producer_id"].isin(list(only))]
    return plan_routes(
        allocations,
        _sites(producers, backend),
        _sites(stores, backend),
        measure=backend_measure(backend, circuity=config.circuity),
        options=config.route_options(),
        jobs=config.jobs,
    )


def _sites(rows: pd.DataFrame, backend: DistanceBackend) -> pd.DataFrame:
    """``id``, ``lon``, ``lat`` (and ``key`` for a keyed backend) of accepted rows."""
    points = Points.of(rows, backend)
    frame = pd.DataFrame({"id": rows["id"].to_numpy(), "lon": points.lon, "lat": points.lat})
    if points.keys is not None:
        frame["key"] = points.keys
    return frame
