"""Plan every producer's delivery runs from an allocation: group, measure, plan, tabulate.

``plan_routes`` is a short chain: the links (producer, store, units) of the allocation,
grouped per producer and sorted by id so row order never matters; the site sets measured in
batches by the caller's measure; every producer planned (``routes.trips``), in worker
processes when the work is large enough to pay for them; the tables and totals built
(``routes.tables``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from umkm_alloc import parallel
from umkm_alloc.routes.model import (
    LegSets,
    Measure,
    RouteOptions,
    RoutePlan,
    SiteSets,
    matrix_start,
    run_starts,
)
from umkm_alloc.routes.tables import tabulate
from umkm_alloc.routes.trips import Chunk, Trips, plan_chunk, plan_trips

#: Producers per call of the measure (bounds the memory of one batch of pairs).
MEASURE_BATCH = 4096
#: Estimated work (CPU seconds, see ``_work``) below which worker processes do not pay.
PARALLEL_MIN_WORK = parallel.PARALLEL_MIN_WORK
#: Chunks per worker, so that a slow chunk does not leave the other worker idle.
_CHUNKS_PER_WORKER = 4

_ALLOCATION_NEEDS = ["producer_id", "store_id", "quantity"]
_SITE_NEEDS = ["id", "lon", "lat"]


@dataclass(frozen=True)
class Links:
    """The allocation grouped for routing.

    Attributes
    ----------
    producer_ids, producer_names
        One per producer with deliveries, sorted by id.
    start
        ``start[k]:start[k + 1]`` are producer ``k``'s links (length producers + 1).
    store_ids, store_names, quantity
        One per (producer, store) link, sorted by producer id then store id.
    item_link, item_product, item_quantity
        The allocation rows with quantity > 0: their link, product and units, sorted by
        link then product.
    """

    producer_ids: np.ndarray
    producer_names: np.ndarray
    start: np.ndarray
    store_ids: np.ndarray
    store_names: np.ndarray
    quantity: np.ndarray
    item_link: np.ndarray
    item_product: np.ndarray
    item_quantity: np.ndarray


def plan_routes(
    allocations: pd.DataFrame,
    producers: pd.DataFrame,
    stores: pd.DataFrame,
    *,
    measure: Measure,
    options: RouteOptions | None = None,
    jobs: int | None = 1,
) -> RoutePlan:
    """Plan the closed delivery trips of every producer that was allocated something.

    Parameters
    ----------
    allocations
        ``producer_id``, ``store_id``, ``quantity`` and optionally ``product``,
        ``producer_name``, ``store_name`` (the allocations table); rows with quantity 0 are
        ignored, several rows of one (producer, store) are summed into one delivery.
    producers, stores
        ``id``, ``lon``, ``lat`` of every producer and store in ``allocations`` (repeated ids,
        as in one row per product, are fine: the first row gives the location), and
        optionally ``key``: what a keyed backend looks the point up by.
    measure
        Distances between a producer and its stores (see :mod:`umkm_alloc.routes.measure`).
    options
        Capacity, trip limit, working day and solver settings (defaults: :class:`RouteOptions`).
    jobs
        Worker processes at most (``None``: one per core; see :mod:`umkm_alloc.parallel`);
        the plan is the same for any value.

    Returns
    -------
    RoutePlan
        ``totals`` holds ``producers``, ``trips``, ``stops``, ``km``, ``km_direct``,
        ``saving_pct``, ``hours``, ``vehicle_capacity``, ``max_trip_km``, ``speed_kmh``,
        ``stop_minutes``, ``max_day_hours``, ``overloaded_producers``, ``over_long_trips``,
        ``distance_fallbacks`` and ``solver``.
    """
    options = options or RouteOptions()
    _check(allocations, producers, stores, jobs)
    links = _links(allocations)
    legs = _measured(_sites(links, producers, stores), measure)
    trips = _plan(links, legs, options, jobs=jobs)
    return tabulate(links, legs, trips, options)


def _check(
    allocations: pd.DataFrame, producers: pd.DataFrame, stores: pd.DataFrame, jobs: int | None
) -> None:
    """Every column the planner needs is there, and ``jobs`` is sensible."""
    for name, frame, needs in (
        ("allocations", allocations, _ALLOCATION_NEEDS),
        ("producers", producers, _SITE_NEEDS),
        ("stores", stores, _SITE_NEEDS),
    ):
        missing = [c for c in needs if c not in frame.columns]
        if missing:
            raise ValueError(f"plan_routes: the {name} table lacks {', '.join(missing)}")
    if jobs is not None and jobs < 1:
        raise ValueError(f"plan_routes: jobs must be >= 1, got {jobs}")


def _links(allocations: pd.DataFrame) -> Links:
    """Group the allocation rows into (producer, store) links, sorted by ids then product."""
    keep = allocations["quantity"].to_numpy() > 0
    producer = _codes(_text(allocations, "producer_id")[keep])
    store = _codes(_text(allocations, "store_id")[keep])
    product = _codes(_text(allocations, "product")[keep])
    order = np.lexsort((product[0], store[0], producer[0]))
    p, s = producer[0][order], store[0][order]
    first = run_starts(p, s)
    link = np.cumsum(first) - 1
    quantity = allocations["quantity"].to_numpy(np.int64)[keep][order]
    heads = order[first]
    new_producer = run_starts(p[first])
    producer_names = _text(allocations, "producer_name")[keep]
    return Links(
        producer_ids=producer[1][p[first][new_producer]],
        producer_names=producer_names[heads[new_producer]],
        start=np.r_[np.flatnonzero(new_producer), len(heads)].astype(np.int64),
        store_ids=store[1][s[first]],
        store_names=_text(allocations, "store_name")[keep][heads],
        quantity=np.bincount(link, weights=quantity, minlength=len(heads)).round().astype(np.int64),
        item_link=link,
        item_product=product[1][product[0][order]],
        item_quantity=quantity,
    )


def _text(frame: pd.DataFrame, name: str) -> np.ndarray:
    """Return a column as an object array of str ('' where absent or empty)."""
    if name not in frame.columns:
        return np.full(len(frame), "", object)
    values = frame[name].to_numpy(dtype=object, na_value="")
    if pd.api.types.infer_dtype(values, skipna=False) not in ("string", "empty"):
        values = np.array([str(v) for v in values], dtype=object)
    return values


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes that sort like the values, and the sorted distinct values."""
    codes, uniques = pd.factorize(values, sort=True)
    return codes, np.asarray(uniques, dtype=object)


def _sites(links: Links, producers: pd.DataFrame, stores: pd.DataFrame) -> SiteSets:
    """Each producer's location followed by its stores' (in link order), flat."""
    p_lon, p_lat, p_key = _locations(producers, links.producer_ids, "producers")
    s_lon, s_lat, s_key = _locations(stores, links.store_ids, "stores")
    sizes = np.diff(links.start) + 1
    start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    head = start[:-1]
    rest = np.ones(int(start[-1]), bool)
    rest[head] = False

    def interleave(p: np.ndarray, s: np.ndarray) -> np.ndarray:
        out = np.empty(int(start[-1]), p.dtype if p.dtype == s.dtype else object)
        out[head], out[rest] = p, s
        return out

    keys = None if p_key is None or s_key is None else interleave(p_key, s_key)
    return SiteSets(interleave(p_lon, s_lon), interleave(p_lat, s_lat), keys, start)


def _locations(
    frame: pd.DataFrame, ids: np.ndarray, name: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """lon, lat (and key) of each id, from the first row of that id in ``frame``."""
    known = _text(frame, "id")
    codes = pd.factorize(np.concatenate([known, ids]))[0]
    first = np.full(int(codes.max(initial=-1)) + 1, -1, np.int64)
    first[codes[: len(known)][::-1]] = np.arange(len(known))[::-1]
    at = first[codes[len(known) :]]
    if (at < 0).any():
        raise ValueError(f"plan_routes: the {name} table has no location for {ids[at < 0][0]!r}")
    lon = frame["lon"].to_numpy(float)[at]
    lat = frame["lat"].to_numpy(float)[at]
    keys = frame["key"].to_numpy(object)[at] if "key" in frame.columns else None
    return lon, lat, keys


def _measured(sites: SiteSets, measure: Measure) -> LegSets:
    """Ask the caller's measure in batches of producers, and check each answer."""
    parts: list[LegSets] = []
    for lo in range(0, len(sites), MEASURE_BATCH):
        batch = sites.part(lo, min(lo + MEASURE_BATCH, len(sites)))
        legs = measure(batch)
        _check_legs(batch, legs)
        parts.append(legs)
    if not parts:
        return LegSets(np.zeros(0))
    timed = all(p.minutes is not None for p in parts)
    flagged = any(p.estimated is not None for p in parts)
    return LegSets(
        km=np.concatenate([p.km for p in parts]),
        minutes=np.concatenate([p.minutes for p in parts]) if timed else None,  # type: ignore[misc]
        estimated=np.concatenate(
            [np.zeros(len(p.km), bool) if p.estimated is None else p.estimated for p in parts]
        )
        if flagged
        else None,
    )


def _check_legs(sites: SiteSets, legs: LegSets) -> None:
    """Check that the measure gave one finite, non-negative matrix per set."""
    cells = int(matrix_start(sites.sizes)[-1])
    for name, values in (("km", legs.km), ("minutes", legs.minutes), ("estimated", legs.estimated)):
        if values is not None and len(values) != cells:
            raise ValueError(
                f"the measure gave {len(values)} {name} cells for {len(sites)} site sets "
                f"that need {cells} (one n x n matrix per set)"
            )
    if not np.isfinite(legs.km).all() or (legs.km < 0).any():
        raise ValueError(
            "the measure must give finite, non-negative km (a leg without a figure needs a "
            "fallback estimate)"
        )


def _plan(links: Links, legs: LegSets, options: RouteOptions, *, jobs: int | None) -> Trips:
    """Plan every producer, in the run's worker processes when the work pays for them."""
    sizes = np.diff(links.start)
    cost = _work(sizes, links.quantity, options)
    workers = parallel.workers(jobs)
    if workers < 2 or cost.sum() < PARALLEL_MIN_WORK:
        return plan_trips(Chunk(sizes, links.quantity, legs.km), options)
    bounds = _chunks(cost, workers * _CHUNKS_PER_WORKER)
    cell = matrix_start(sizes + 1)
    parts = [
        (
            Chunk(
                sizes[lo:hi],
                links.quantity[links.start[lo] : links.start[hi]],
                legs.km[cell[lo] : cell[hi]],
            ),
            options,
        )
        for lo, hi in itertools.pairwise(bounds)
    ]
    costs = [float(cost[lo:hi].sum()) for lo, hi in itertools.pairwise(bounds)]
    results = parallel.process_map(plan_chunk, parts, jobs=jobs, cost=costs, min_work=0.0)
    return _joined(results, bounds[:-1])


def _work(sizes: np.ndarray, quantity: np.ndarray, options: RouteOptions) -> np.ndarray:
    """Rough CPU seconds to plan each producer, for chunking and the choice of workers.

    Measured on the national scenario: the exact programme about 5 us a producer plus a term
    in ``n^2 2^n`` (8 ms at 12 stops), the search about 35 ms at 13-18 stops.
    """
    owner = np.repeat(np.arange(len(sizes)), sizes)
    n = np.bincount(owner, weights=quantity % options.vehicle_capacity > 0, minlength=len(sizes))
    n = np.minimum(n.astype(np.int64), 64)
    exact = 5e-6 + 1e-8 * n**2 * np.exp2(np.minimum(n, 12))
    return np.where(n > options.exact_stops, 0.02 + 0.001 * n, exact)


def _chunks(cost: np.ndarray, count: int) -> np.ndarray:
    """Bounds of ``count`` contiguous chunks of about equal cost."""
    edges = np.cumsum(cost)
    cuts = np.searchsorted(edges, edges[-1] * np.arange(1, count) / count)
    return np.unique(np.r_[0, cuts, len(cost)])


def _joined(parts: list[Trips], first: np.ndarray) -> Trips:
    """One :class:`Trips` from consecutive chunks (owners shifted to run-wide producers)."""
    width = max(p.stops.shape[1] for p in parts)

    def pad(a: np.ndarray) -> np.ndarray:
        return np.pad(a, ((0, 0), (0, width - a.shape[1])))

    return Trips(
        owner=np.concatenate([p.owner + f for p, f in zip(parts, first, strict=True)]),
        stops=np.concatenate([pad(p.stops) for p in parts]),
        loads=np.concatenate([pad(p.loads) for p in parts]),
        exact=sum(p.exact for p in parts),
        searched=sum(p.searched for p in parts),
    )
