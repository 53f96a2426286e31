"""Exact trips for small producers: dynamic programmes over subsets, many producers at once.

For ``n`` stops (node 0 is the depot, nodes ``1..n`` the stops) two programmes run, each
vectorised over a batch of producers with the same ``n``:

1. **Best single trip per subset** (Held-Karp): ``dp[S, j]`` is the least km from the depot
   through every stop of ``S`` ending at ``j``; ``tour[S] = min_j dp[S, j] + d[j, 0]``.
   Works for asymmetric distances.
2. **Best partition into trips**: ``f[S] = min over T (a subset of S holding the lowest stop
   of S, a feasible trip) of tour[T] + f[S - T]``. A subset is a feasible trip when its load
   is at most the capacity and its tour at most ``max_km`` (a single stop is always feasible:
   the caller reports it when it rides farther).

Both are exact: the result is a least-km set of closed trips from the depot that visits every
stop exactly once. Subsets with more stops than the capacity can ever hold (the ``kmax``
smallest loads already fill it) are skipped in both programmes, which is what keeps 12 stops
cheap. Ties go to the first minimum in a fixed enumeration order, so a producer's trips depend
only on its own numbers, never on the batch it was solved in.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

#: Largest number of stops the exact programme accepts (its tables grow as 2^n and 3^n).
MAX_EXACT = 12
#: Upper bound on floats held by one batch, ~32 MB.
_BATCH_FLOATS = 4_000_000


def max_trip_stops(load: np.ndarray, capacity: int) -> np.ndarray:
    """Most stops one trip can hold per producer: how many smallest loads fit together.

    Parameters
    ----------
    load
        Units per stop, shape (B, n).
    capacity
        Largest load of one trip.

    Returns
    -------
    numpy.ndarray
        Shape (B,), each in ``1..n`` (0 when ``n`` is 0).
    """
    if load.shape[1] == 0:
        return np.zeros(len(load), np.int64)
    running = np.cumsum(np.sort(load, axis=1), axis=1)
    return (running <= capacity).sum(axis=1).astype(np.int64)


@cache
def _tour_layers(n: int, kmax: int) -> tuple[tuple[np.ndarray, ...], ...]:
    """Per subset size ``k`` in ``2..kmax``: (subset, last stop j, previous subset, its stops).

    Row ``r`` covers the ``k - 1`` stops ``i`` the trip may come from before ``j``; rows are
    in (subset, j) order, stops ``i`` ascending.
    """
    bits = _bits(n)
    size = bits.sum(axis=1)
    layers = []
    for k in range(2, kmax + 1):
        masks = np.flatnonzero(size == k)
        at, last = np.nonzero(bits[masks])
        mask_j = masks[at]
        prev = mask_j ^ (1 << last)
        prev_last = np.nonzero(bits[prev])[1].reshape(len(prev), k - 1)
        layers.append((mask_j, last, prev, prev_last))
    return tuple(layers)


@cache
def _partition_layers(n: int, kmax: int) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]:
    """Per subset size ``k``: (subsets S, trips T, rests S - T).

    The trips of a subset are its subsets of at most ``kmax`` stops that hold its lowest
    stop, ascending; ``trips`` and ``rests`` have shape (subsets, trips per subset).
    """
    bits = _bits(n)
    size = bits.sum(axis=1)
    layers = []
    for k in range(1, n + 1):
        masks = np.flatnonzero(size == k)
        low = masks & -masks
        others = masks ^ low
        places = np.nonzero(bits[others])[1].reshape(len(masks), k - 1)
        picks = _bits(k - 1)
        picks = picks[picks.sum(axis=1) < kmax]
        trips = np.sort((picks @ (1 << places).T).T | low[:, None], axis=1)
        layers.append((masks, trips, masks[:, None] ^ trips))
    return tuple(layers)


def batch_size(n: int, kmax: int) -> int:
    """How many producers with ``n`` stops (``kmax`` per trip) one batch should hold."""
    size = (1 << n) * n * 2
    widest = [len(r[3]) * max(1, r[3].shape[1]) for r in _tour_layers(n, kmax)] or [0]
    widest += [t.size for _, t, _ in _partition_layers(n, kmax)]
    return max(1, _BATCH_FLOATS // (size + 2 * max(widest)))


def solve_exact(
    km: np.ndarray, load: np.ndarray, *, capacity: int, max_km: float = math.inf
) -> tuple[np.ndarray, np.ndarray]:
    """Least-km trips for a batch of producers with the same number of stops.

    Parameters
    ----------
    km
        Distances, shape (B, n + 1, n + 1): ``km[b, u, v]`` from node ``u`` to node ``v`` of
        producer ``b``; node 0 is the depot. Finite.
    load
        Units to deliver at each stop, shape (B, n), each in ``1..capacity``.
    capacity
        Largest load of one trip.
    max_km
        Longest trip with more than one stop (``math.inf``: none).

    Returns
    -------
    owner, stops
        One row per trip: the producer (0..B-1) and its stops (``1..n``) in riding order,
        padded with 0, shape (trips, n).
    """
    count, n = load.shape
    if n == 0 or count == 0:
        return np.zeros(0, np.int64), np.zeros((0, n), np.int64)
    if n > MAX_EXACT:
        raise ValueError(f"solve_exact takes at most {MAX_EXACT} stops, got {n}")
    kmax = int(max_trip_stops(load, capacity).max())
    tour, ends, parent = _best_tours(km, n, kmax)
    cost = _trip_costs(tour, load, n, capacity=capacity, max_km=max_km)
    choice = _best_partitions(cost, n, kmax)
    owner, trip = _partition_walk(choice, n)
    return owner, _paths(owner, trip, ends, parent, n)


def _best_tours(km: np.ndarray, n: int, kmax: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Held-Karp over every subset of at most ``kmax`` stops: tour km, last stop, predecessor."""
    count = km.shape[0]
    size = 1 << n
    dp = np.full((count, size, n), np.inf)
    parent = np.zeros((count, size, n), np.int8)
    dp[:, 1 << np.arange(n), np.arange(n)] = km[:, 0, 1:]
    inner = km[:, 1:, 1:]
    for mask_j, last, prev, prev_last in _tour_layers(n, kmax):
        # cand[b, r, c] = dp[b, prev[r], prev_last[r, c]] + inner[b, prev_last[r, c], last[r]]
        cand = dp[:, prev[:, None], prev_last] + inner[:, prev_last, last[:, None]]
        arg = np.argmin(cand, axis=2)
        dp[:, mask_j, last] = np.take_along_axis(cand, arg[:, :, None], axis=2)[:, :, 0]
        parent[:, mask_j, last] = np.take_along_axis(prev_last, arg.T, axis=1).T
    closing = dp + km[:, 1:, 0][:, None, :]
    ends = np.argmin(closing, axis=2)
    tour = np.take_along_axis(closing, ends[:, :, None], axis=2)[:, :, 0]
    tour[:, 0] = 0.0
    return tour, ends, parent


@cache
def _bits(n: int) -> np.ndarray:
    """Membership table: ``bits[S, i]`` is 1 when stop ``i`` is in subset ``S``."""
    return ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).astype(np.int64)


def _trip_costs(
    tour: np.ndarray, load: np.ndarray, n: int, *, capacity: int, max_km: float
) -> np.ndarray:
    """Tour km of each subset that is a feasible trip, ``inf`` for the others."""
    bits = _bits(n)
    ok = load.astype(np.int64) @ bits.T <= capacity
    if max_km != math.inf:
        single = bits.sum(axis=1) == 1
        ok &= (tour <= max_km) | single[None, :]
    return np.where(ok, tour, np.inf)


def _best_partitions(cost: np.ndarray, n: int, kmax: int) -> np.ndarray:
    """Partition programme: for each subset, the trip holding its lowest stop."""
    count = cost.shape[0]
    best = np.full((count, 1 << n), np.inf)
    best[:, 0] = 0.0
    choice = np.zeros((count, 1 << n), np.int64)
    for masks, trips, rests in _partition_layers(n, kmax):
        cand = cost[:, trips] + best[:, rests]
        arg = np.argmin(cand, axis=2)
        best[:, masks] = np.take_along_axis(cand, arg[:, :, None], axis=2)[:, :, 0]
        choice[:, masks] = trips[np.arange(len(masks))[None, :], arg]
    return choice


def _partition_walk(choice: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every producer's trips (as subsets) from the partition table: (owner, subset)."""
    mask = np.full(len(choice), (1 << n) - 1, np.int64)
    owners, trips = [], []
    for _ in range(n):
        at = np.flatnonzero(mask)
        if len(at) == 0:
            break
        trip = choice[at, mask[at]]
        owners.append(at)
        trips.append(trip)
        mask[at] ^= trip
    return np.concatenate(owners), np.concatenate(trips)


def _paths(
    owner: np.ndarray, trip: np.ndarray, ends: np.ndarray, parent: np.ndarray, n: int
) -> np.ndarray:
    """Walk each trip back from its end: its stops in riding order (1-based, 0-padded)."""
    stops = np.zeros((len(trip), n), np.int64)
    pos = np.bitwise_count(trip).astype(np.int64) - 1
    last = ends[owner, trip].astype(np.int64)
    rest = trip.copy()
    for _ in range(n):
        at = np.flatnonzero(rest)
        if len(at) == 0:
            break
        stops[at, pos[at]] = last[at] + 1
        before = parent[owner[at], rest[at], last[at]].astype(np.int64)
        rest[at] ^= np.left_shift(1, last[at])
        last[at] = before
        pos[at] -= 1
    return stops


def best_order(km: np.ndarray, stops: list[int]) -> list[int]:
    """Order one trip's ``stops`` (node numbers of ``km``) to ride the fewest km.

    Parameters
    ----------
    km
        Distances, shape (m, m); node 0 is the depot.
    stops
        At most :data:`MAX_EXACT` nodes, each visited once.

    Returns
    -------
    list of int
        ``stops`` in the order of a least-km closed trip from the depot.
    """
    n = len(stops)
    if n <= 2:
        return list(stops)
    nodes = np.array([0, *stops])
    _, ends, parent = _best_tours(km[np.ix_(nodes, nodes)][None], n, n)
    full = np.array([(1 << n) - 1])
    order = _paths(np.zeros(1, np.int64), full, ends, parent, n)[0]
    return [int(nodes[i]) for i in order]
