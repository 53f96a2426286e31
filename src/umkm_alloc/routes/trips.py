"""Producers' trips from their numbers: loads, the solvers, and one canonical form.

How a producer's deliveries become trips:

1. **Loads.** A store that receives ``q`` units (all products together) gets ``q // Q`` full
   loads, each a trip straight there and back, and its remainder ``q % Q`` (when not 0) is a
   *stop* to route. A store is thus split across trips only when ``q`` is more than ``Q``
   (at ``q == Q`` its one full load is its trip).
2. **Stops riding alone.** With ``max_trip_km``, a stop whose own round trip is longer rides
   alone (and is reported as over-long).
3. **Trips.** The other stops are partitioned into trips of at most ``Q`` units and at most
   ``max_trip_km`` km with the least total km: exactly (``routes.exact``) up to
   ``exact_stops`` stops, by the PyVRP search (``routes.search``) beyond.
4. **Canonical form.** A trip whose reverse rides the same km is ridden towards the smaller
   store id first; a producer's trips are numbered by their stop sequences compared store by
   store (by store id), full loads before a remainder to the same store.

A producer's trips depend only on its own numbers, whichever batch, chunk or process plans it.
Everything is vectorised over producers but the search, which runs one producer at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from umkm_alloc.routes.exact import batch_size, max_trip_stops, solve_exact
from umkm_alloc.routes.model import RouteOptions, matrix_start
from umkm_alloc.routes.search import solve_search

#: Relative difference under which a trip and its reverse ride "the same km".
_SAME_KM = 1e-9


@dataclass(frozen=True)
class Chunk:
    """The numbers of consecutive producers.

    Attributes
    ----------
    sizes
        Stores of each producer, shape (producers,).
    quantity
        Units for each (producer, store) link, producer by producer, each >= 1.
    km
        Flat matrices over each producer (node 0) and its stores (nodes 1..), as in
        :class:`umkm_alloc.routes.model.LegSets`.
    """

    sizes: np.ndarray
    quantity: np.ndarray
    km: np.ndarray


@dataclass(frozen=True)
class Trips:
    """Trips of the producers of a chunk, in producer and trip order.

    Attributes
    ----------
    owner
        The producer (index in the chunk) of each trip.
    stops
        Nodes (``1..stores``) in riding order, padded with 0; shape (trips, widest).
    loads
        Units delivered at each stop, padded with 0.
    exact, searched
        Producers with stops to route, planned exactly and by the search.
    """

    owner: np.ndarray
    stops: np.ndarray
    loads: np.ndarray
    exact: int
    searched: int


def plan_chunk(task: tuple[Chunk, RouteOptions]) -> Trips:
    """:func:`plan_trips` of one ``(chunk, options)`` task (a worker process's unit of work)."""
    return plan_trips(*task)


def plan_trips(chunk: Chunk, options: RouteOptions) -> Trips:
    """Plan every producer of ``chunk`` (see the module docstring for the rules).

    Parameters
    ----------
    chunk
        The producers' numbers.
    options
        Capacity, trip limit and solver settings.

    Returns
    -------
    Trips
    """
    geo = Layout(chunk.sizes, chunk.km)
    cap = options.vehicle_capacity
    full, rest = chunk.quantity // cap, chunk.quantity % cap
    alone = (rest > 0) & (geo.out_km + geo.back_km > options.trip_limit)
    routed = (rest > 0) & ~alone
    parts = [
        _single(geo, np.repeat(np.arange(len(full)), full), np.full(int(full.sum()), cap)),
        _single(geo, np.flatnonzero(alone), rest[alone]),
    ]
    count = np.bincount(geo.link_owner[routed], minlength=len(chunk.sizes))
    exact = (count >= 1) & (count <= options.exact_stops)
    parts += _exact(geo, routed, rest, count, exact, options)
    searched = np.flatnonzero(count > options.exact_stops)
    parts += [_search(geo, routed, rest, int(k), options) for k in searched]
    owner, stops, loads = _stack(parts)
    owner, stops, loads = _canonical(geo, owner, stops, loads)
    return Trips(owner, stops, loads, exact=int(exact.sum()), searched=len(searched))


class Layout:
    """Where each producer's links and matrix cells are, and each link's km out and back.

    Parameters
    ----------
    sizes
        Stores of each producer.
    km
        The flat matrices (see :class:`umkm_alloc.routes.model.LegSets`).
    """

    def __init__(self, sizes: np.ndarray, km: np.ndarray) -> None:
        sizes = np.asarray(sizes, np.int64)
        self.km = km
        self.width = sizes + 1
        self.first_link = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.first_cell = matrix_start(self.width)[:-1]
        self.link_owner = np.repeat(np.arange(len(sizes)), sizes)
        self.link_node = np.arange(len(self.link_owner)) - self.first_link[self.link_owner] + 1
        self.out_km = km[self.cells(self.link_owner, 0, self.link_node)]
        self.back_km = km[self.cells(self.link_owner, self.link_node, 0)]

    def cells(self, owner: np.ndarray, u: np.ndarray | int, v: np.ndarray | int) -> np.ndarray:
        """Flat index of ``[u, v]`` in each owner's matrix (``owner`` along the first axis)."""
        u, v = np.asarray(u), np.asarray(v)
        shape = (-1,) + (1,) * (max(u.ndim, v.ndim, 1) - 1)
        base = self.first_cell[owner].reshape(shape)
        return base + u * self.width[owner].reshape(shape) + v

    def path_cells(self, owner: np.ndarray, stops: np.ndarray) -> np.ndarray:
        """Cells of each trip's legs: column ``p`` into stop ``p``, then home, then [0, 0]."""
        path = np.concatenate([stops, np.zeros((len(stops), 1), np.int64)], axis=1)
        before = np.concatenate([np.zeros((len(stops), 1), np.int64), path[:, :-1]], axis=1)
        return self.cells(owner, before, path)


def _single(geo: Layout, links: np.ndarray, loads: np.ndarray) -> tuple[np.ndarray, ...]:
    """One-stop trips to the given links."""
    return geo.link_owner[links], geo.link_node[links][:, None], np.asarray(loads)[:, None]


def _exact(
    geo: Layout,
    routed: np.ndarray,
    rest: np.ndarray,
    count: np.ndarray,
    exact: np.ndarray,
    options: RouteOptions,
) -> list[tuple[np.ndarray, ...]]:
    """Exact trips of every producer with 1..exact_stops stops, batched by (stops, kmax)."""
    links = np.flatnonzero(routed & exact[geo.link_owner])  # producer-major, node order
    owners = np.flatnonzero(exact)
    parts = []
    for n in np.unique(count[owners]):
        n = int(n)
        members = owners[count[owners] == n]
        mine = links[np.isin(geo.link_owner[links], members)].reshape(len(members), n)
        nodes = np.concatenate([np.zeros((len(members), 1), np.int64), geo.link_node[mine]], 1)
        load = rest[mine]
        kmax = max_trip_stops(load, options.vehicle_capacity)
        for k in np.unique(kmax):
            group = np.flatnonzero(kmax == k)
            step = batch_size(n, int(k))
            for lo in range(0, len(group), step):
                rows = group[lo : lo + step]
                km = geo.km[
                    geo.cells(members[rows], nodes[rows][:, :, None], nodes[rows][:, None, :])
                ]
                b, order = solve_exact(
                    km, load[rows], capacity=options.vehicle_capacity, max_km=options.trip_limit
                )
                picked = rows[b][:, None]
                stops = nodes[picked, order]
                loads = np.where(order > 0, load[picked, np.maximum(order - 1, 0)], 0)
                parts.append((members[rows[b]], stops, loads))
    return parts


def _search(
    geo: Layout, routed: np.ndarray, rest: np.ndarray, k: int, options: RouteOptions
) -> tuple[np.ndarray, ...]:
    """Trips of producer ``k`` by the PyVRP search."""
    lo, hi = geo.first_link[k], geo.first_link[k + 1]
    mine = lo + np.flatnonzero(routed[lo:hi])
    nodes = np.concatenate([[0], geo.link_node[mine]])
    km = geo.km[geo.cells(np.array([k]), nodes[None, :, None], nodes[None, None, :])][0]
    found = solve_search(
        km,
        rest[mine],
        capacity=options.vehicle_capacity,
        max_km=options.trip_limit,
        iterations=options.iterations,
        patience=options.patience,
        seed=options.seed,
    )
    width = max(len(t) for t in found)
    order = np.array([t + [0] * (width - len(t)) for t in found], np.int64)
    loads = np.where(order > 0, rest[mine][np.maximum(order - 1, 0)], 0)
    return np.full(len(found), k), nodes[order], loads


def _stack(parts: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One (owner, stops, loads) from parts of different widths."""
    width = max([p[1].shape[1] for p in parts if len(p[0])], default=1)

    def pad(a: np.ndarray) -> np.ndarray:
        return np.pad(a.astype(np.int64), ((0, 0), (0, width - a.shape[1])))

    return (
        np.concatenate([p[0] for p in parts]).astype(np.int64),
        np.concatenate([pad(p[1]) for p in parts]),
        np.concatenate([pad(p[2]) for p in parts]),
    )


def _canonical(
    geo: Layout, owner: np.ndarray, stops: np.ndarray, loads: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Orient every trip, then sort by producer, stop sequence and load (largest first)."""
    length = (stops > 0).sum(axis=1)
    back = np.arange(stops.shape[1])[None, :]
    index = length[:, None] - 1 - back
    valid = index >= 0
    rev = np.where(valid, np.take_along_axis(stops, np.maximum(index, 0), axis=1), 0)
    rev_loads = np.where(valid, np.take_along_axis(loads, np.maximum(index, 0), axis=1), 0)
    there = np.cumsum(geo.km[geo.path_cells(owner, stops)], axis=1)[:, -1]
    again = np.cumsum(geo.km[geo.path_cells(owner, rev)], axis=1)[:, -1]
    tie = np.abs(there - again) <= _SAME_KM * np.maximum(1.0, there)
    differ = rev != stops
    first = np.argmax(differ, axis=1)
    rows = np.arange(len(stops))
    smaller = differ.any(axis=1) & (rev[rows, first] < stops[rows, first])
    flip = np.where(tie, smaller, again < there)
    stops = np.where(flip[:, None], rev, stops)
    loads = np.where(flip[:, None], rev_loads, loads)
    keys = [-loads[:, 0], *[stops[:, c] for c in range(stops.shape[1] - 1, -1, -1)], owner]
    order = np.lexsort(keys)
    return owner[order], stops[order], loads[order]
