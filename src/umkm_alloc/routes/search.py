"""Trips for producers with many stops: PyVRP's iterated local search, deterministic.

PyVRP (MIT) solves the capacitated vehicle-routing problem on an integer distance matrix;
km are scaled to whole metres, rounded up, so a trip within ``max_trip_km`` in metres is
within it in km. The search stops after a fixed number of iterations, or earlier after a
fixed number of iterations without a better plan; with a fixed seed it gives the same trips
for the same numbers on every run and in every process (never a clock). Each trip it returns
is then put in its exactly shortest order (Held-Karp, up to ``MAX_EXACT`` stops).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from umkm_alloc.routes.exact import MAX_EXACT, best_order

#: Metres per km in the integer matrix.
_SCALE = 1000


def solve_search(
    km: np.ndarray,
    load: np.ndarray,
    *,
    capacity: int,
    max_km: float = math.inf,
    iterations: int = 1000,
    patience: int = 250,
    seed: int = 0,
) -> list[list[int]]:
    """Short trips for one producer by PyVRP.

    Parameters
    ----------
    km
        Distances, shape (n + 1, n + 1); node 0 is the depot.
    load
        Units per stop, shape (n,), each in ``1..capacity``.
    capacity
        Largest load of one trip.
    max_km
        Longest trip. A stop whose round trip alone does not fit (in the search's metres,
        rounded up, so also one within a few metres of the limit) rides alone.
    iterations, patience
        Stop after ``iterations``, or after ``patience`` iterations without improvement.
    seed
        Seed of the search.

    Returns
    -------
    list of list of int
        Trips, each the stops (``1..n``) in riding order.
    """
    fits = fits_alone(km[0, 1:], km[1:, 0], max_km)
    keep = np.r_[0, np.flatnonzero(fits) + 1]
    found = _search(
        km[np.ix_(keep, keep)],
        load[fits],
        capacity=capacity,
        max_km=max_km,
        iterations=iterations,
        patience=patience,
        seed=seed,
    )
    trips = [[int(keep[i]) for i in trip] for trip in found]
    trips = [best_order(km, trip) if len(trip) <= MAX_EXACT else trip for trip in trips]
    return [[int(i) + 1] for i in np.flatnonzero(~fits)] + trips


def _search(
    km: np.ndarray,
    load: np.ndarray,
    *,
    capacity: int,
    max_km: float,
    iterations: int,
    patience: int,
    seed: int,
) -> list[list[int]]:
    """PyVRP on stops that each fit alone: trips as lists of stops (1-based)."""
    import pyvrp
    from pyvrp.stop import MaxIterations, MultipleCriteria, NoImprovement

    n = len(load)
    if n == 0:
        return []
    data = _problem(pyvrp, km, load, capacity=capacity, max_km=max_km)
    stop = MultipleCriteria([MaxIterations(iterations), NoImprovement(patience)])
    best = pyvrp.solve(data, stop=stop, seed=seed, collect_stats=False).best
    if not best.is_feasible():  # not seen in practice: start again from one stop per trip
        alone = pyvrp.Solution(data, [[i] for i in range(n)])
        stop = MultipleCriteria([MaxIterations(iterations), NoImprovement(patience)])
        best = pyvrp.solve(
            data, stop=stop, seed=seed, collect_stats=False, initial_solution=alone
        ).best
    return [[act.idx + 1 for act in route if act.is_client()] for route in best.routes()]


def _problem(pyvrp: Any, km: np.ndarray, load: np.ndarray, *, capacity: int, max_km: float) -> Any:
    """Build the PyVRP instance: one depot, a client per stop, one vehicle per stop."""
    n = len(load)
    metres = np.ceil(km * _SCALE).astype(np.int64)
    np.fill_diagonal(metres, 0)
    limit = {} if max_km == math.inf else {"max_distance": math.floor(max_km * _SCALE)}
    return pyvrp.ProblemData(
        locations=[pyvrp.Location(0.0, 0.0) for _ in range(n + 1)],
        clients=[pyvrp.Client(location=i + 1, delivery=[int(load[i])]) for i in range(n)],
        depots=[pyvrp.Depot(location=0)],
        vehicle_types=[pyvrp.VehicleType(num_available=n, capacity=[int(capacity)], **limit)],
        distance_matrices=[metres],
        duration_matrices=[np.zeros_like(metres)],
    )


def fits_alone(out_km: np.ndarray, back_km: np.ndarray, max_km: float) -> np.ndarray:
    """Whether each stop's own round trip (out and back) fits within ``max_km`` in metres."""
    if max_km == math.inf:
        return np.ones(len(out_km), bool)
    metres = np.ceil(out_km * _SCALE) + np.ceil(back_km * _SCALE)
    return metres <= math.floor(max_km * _SCALE)
