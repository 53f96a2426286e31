"""The exact allocation: maximum units, then minimum unit-kilometres, as min-cost max-flow.

Network: source -> producer row (capacity) -> store row (eligible pair, cost = distance)
-> sink (demand).  OR-Tools' ``SimpleMinCostFlow.solve_max_flow_with_min_cost`` finds a
maximum flow of least cost; both are exact for integral capacities and integral costs.

Distances are turned into integer costs at :data:`COST_SCALE` (10^6 per km: millimetres),
or a smaller power of ten where the solver's 64-bit arithmetic would overflow. The
allocation is optimal in real kilometres to within ``total_units / cost_scale`` unit-km (a
millimetre per unit, a thousandth of the metre to which ``distance_km`` is printed). On the
benchmark scenarios it is the allocation of 10^9 per km, arc for arc, at 10-25 % less solver
time (10^3 per km, metres, changed a few hundred arcs; see ``benchmarks/README.md``).

The network falls apart into independent parts (producers and stores linked by eligible
pairs). A network of more than :data:`BATCH_ARCS` arcs is split into its connected parts,
which is exact and much faster on large jobs; parts smaller than that are solved together,
up to :data:`BATCH_ARCS` arcs per solve, and a network of at most that many arcs is solved
whole (no split at all). The solves run in worker processes when the work pays for them
(:class:`umkm_alloc.parallel.TaskStream`: OR-Tools holds the interpreter lock); a solve's
result does not depend on the worker, so the flow is the same for every ``jobs``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from umkm_alloc import parallel
from umkm_alloc.allocate.parts import connected_parts
from umkm_alloc.errors import UmkmAllocError
from umkm_alloc.parallel import TaskStream

_LIMIT = 2**62
_MAX_EXP, _MIN_EXP = 6, 2
#: Integer cost units per km (millimetres), unless a part would overflow at it.
COST_SCALE = 10**_MAX_EXP
#: Networks up to this many arcs are solved whole; larger ones part by part, the small parts
#: together up to this many arcs per solve (one OR-Tools call per tiny part costs more than
#: its flow).
BATCH_ARCS = 20_000
#: Estimated solver CPU seconds per arc (banten 2.1e-6, national 3.4e-6 on the shared
#: 2-core machine): decides whether worker processes pay.
_SECONDS_PER_ARC = 2.5e-6


@dataclass(frozen=True)
class Solution:
    """Flow on each candidate arc.

    Attributes
    ----------
    flow
        Units on each arc, in the order the arcs were given.
    cost_scale
        Integer cost units per km used by the solver (the smallest over the parts).
    """

    flow: np.ndarray
    cost_scale: int

    @property
    def units(self) -> int:
        """Total units allocated."""
        return int(self.flow.sum())


def solve_allocation(
    supply: np.ndarray,
    demand: np.ndarray,
    arc_from: np.ndarray,
    arc_to: np.ndarray,
    arc_km: np.ndarray,
    *,
    jobs: int | None = 1,
) -> Solution:
    """Allocate as many units as possible, then with the least unit-kilometres.

    Parameters
    ----------
    supply
        Capacity of each producer row (int, >= 0).
    demand
        Demand of each store row (int, >= 0).
    arc_from, arc_to
        Eligible pairs: producer row index and store row index.
    arc_km
        Distance of each pair in km (>= 0).
    jobs
        Worker processes at most (``None``: one per core); never changes the result.

    Returns
    -------
    Solution
        The flow on each pair; deterministic for a given arc order, whatever ``jobs``.
    """
    work = len(arc_from) * _SECONDS_PER_ARC
    pays = work >= parallel.PARALLEL_MIN_WORK
    with AllocationStream(supply, demand, jobs=jobs, parallel=pays) as run:
        run.add(arc_from, arc_to, arc_km)
        return run.solutions()[0]


class AllocationStream:
    """The exact allocation of a network handed over group by group, solved as it comes.

    Each group is a set of arcs that shares no producer or store row with another group (the
    pipeline's products). :meth:`add` splits a group into its batches (:class:`_Batches`)
    and hands them to the worker processes at once (:class:`umkm_alloc.parallel.TaskStream`),
    largest first, so the solve of one product runs while the next one's pairs are found;
    :meth:`solutions` waits for all. A group's flow depends only on its arcs, in their
    order, never on ``jobs`` or on when it was solved. Use it as a context manager.

    Parameters
    ----------
    supply, demand
        Capacity of each producer row, demand of each store row (int, >= 0).
    jobs
        Worker processes at most (``None``: one per core).
    parallel
        As for :class:`~umkm_alloc.parallel.TaskStream` (``None``: decide by the work).
    """

    def __init__(
        self,
        supply: np.ndarray,
        demand: np.ndarray,
        *,
        jobs: int | None = 1,
        parallel: bool | None = None,
    ) -> None:
        self.supply = _integral("supply", supply)
        self.demand = _integral("demand", demand)
        _check_rows(self.supply, self.demand)
        self._stream = TaskStream(solve_batch, jobs=jobs, parallel=parallel)
        self._groups: list[tuple[int, list[np.ndarray]]] = []

    def __enter__(self) -> AllocationStream:
        self._stream.__enter__()
        return self

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        self._stream.__exit__(kind, exc, tb)

    def add(self, arc_from: np.ndarray, arc_to: np.ndarray, arc_km: np.ndarray) -> None:
        """Hand over one group of eligible pairs (producer row, store row, km).

        Parameters
        ----------
        arc_from, arc_to
            Producer row index and store row index of each pair.
        arc_km
            Distance of each pair in km (>= 0).
        """
        arc_from, arc_to = _integral("arc_from", arc_from), _integral("arc_to", arc_to)
        arc_km = np.asarray(arc_km, dtype=float)
        _check_arcs(len(self.supply), len(self.demand), arc_from, arc_to, arc_km)
        if len(arc_from) == 0:
            self._groups.append((0, []))
            return
        batches = _Batches(self.supply, self.demand, arc_from, arc_to, arc_km)
        order = sorted(range(len(batches)), key=lambda i: (-len(batches.arcs[i]), i))
        for i in order:
            cost = len(batches.arcs[i]) * _SECONDS_PER_ARC
            self._stream.submit(functools.partial(batches.__getitem__, i), cost)
        self._groups.append((len(arc_from), [batches.arcs[i] for i in order]))

    def solutions(self) -> list[Solution]:
        """Wait for every solve; return each group's :class:`Solution`, in the order added."""
        solved = iter(self._stream.results())
        groups, self._groups = self._groups, []  # the stream is done: keep nothing
        out = []
        for n_arcs, parts in groups:
            flow = np.zeros(n_arcs, dtype=np.int64)
            scale = COST_SCALE
            for arcs in parts:
                part, part_scale = next(solved)
                flow[arcs] = part
                scale = min(scale, part_scale)
            out.append(Solution(flow, scale))
        return out


@dataclass(frozen=True)
class Batch:
    """One solve: disjoint parts of the network, numbered locally (what a worker receives).

    Attributes
    ----------
    supply, demand
        Capacity of the batch's producer rows and demand of its store rows.
    arc_from, arc_to
        Each arc's producer and store, as positions in ``supply`` and ``demand`` (int32).
    arc_km
        Each arc's km.
    """

    supply: np.ndarray
    demand: np.ndarray
    arc_from: np.ndarray
    arc_to: np.ndarray
    arc_km: np.ndarray


class _Batches(Sequence[Batch]):
    """The solves of a network: which arcs each one has, and its :class:`Batch` on demand.

    A network of at most :data:`BATCH_ARCS` arcs is one batch (no split). A larger one is
    split into connected parts (:func:`~umkm_alloc.allocate.parts.connected_parts`); a part of
    :data:`BATCH_ARCS` arcs or more is a batch of its own, smaller parts are grouped in
    their order up to that many arcs. Each batch keeps its arcs in their given order and
    numbers its producers and stores in theirs, so every solve is deterministic.
    """

    def __init__(
        self,
        supply: np.ndarray,
        demand: np.ndarray,
        arc_from: np.ndarray,
        arc_to: np.ndarray,
        arc_km: np.ndarray,
    ) -> None:
        self.supply, self.demand = supply, demand
        self.arc_from, self.arc_to, self.arc_km = arc_from, arc_to, arc_km
        if len(arc_from) <= BATCH_ARCS:
            self.arcs = [np.arange(len(arc_from))]
            p_batch = np.zeros(len(supply), np.int64)
            s_batch = np.zeros(len(demand), np.int64)
        else:
            p_batch, s_batch = _node_batches(len(supply), len(demand), arc_from, arc_to)
            arc_batch = p_batch[arc_from]
            order = stable_order(arc_batch)
            sorted_batch = arc_batch[order]
            cuts = np.flatnonzero(sorted_batch[1:] != sorted_batch[:-1]) + 1
            self.arcs = np.split(order, cuts)
        self._p = _Numbering(p_batch)
        self._s = _Numbering(s_batch)
        self._first = [int(p_batch[self.arc_from[arcs[0]]]) for arcs in self.arcs]

    def __len__(self) -> int:
        return len(self.arcs)

    def __getitem__(self, i: int) -> Batch:  # type: ignore[override]
        arcs, b = self.arcs[i], self._first[i]
        return Batch(
            supply=self.supply[self._p.members(b)],
            demand=self.demand[self._s.members(b)],
            arc_from=self._p.local[self.arc_from[arcs]],
            arc_to=self._s.local[self.arc_to[arcs]],
            arc_km=self.arc_km[arcs],
        )


class _Numbering:
    """Rows grouped by batch: each row's position within its batch, each batch's rows."""

    def __init__(self, batch: np.ndarray) -> None:
        self.order = stable_order(batch)
        sorted_batch = batch[self.order]
        n_batch = int(batch.max()) + 1 if len(batch) else 0
        self.start = np.searchsorted(sorted_batch, np.arange(n_batch + 1))
        # int32 positions: a batch's arcs are gathered from them without a conversion copy
        self.local = np.empty(len(batch), np.int32)
        self.local[self.order] = np.arange(len(batch)) - self.start[sorted_batch]

    def members(self, b: int) -> np.ndarray:
        return self.order[self.start[b] : self.start[b + 1]]


def stable_order(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` of non-negative integer keys, in linear time.

    Keys below 2^16 (batch numbers: national-1m has a few hundred) are sorted as ``uint16``,
    which numpy sorts stably by radix in one pass over the data, 2-3x faster than the merge
    sort of 64-bit keys on 21 million arcs; larger keys take the general sort.
    """
    if len(keys) and int(keys.max()) < 2**16:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    return np.argsort(keys, kind="stable")


def _node_batches(
    n_supply: int, n_demand: int, arc_from: np.ndarray, arc_to: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Batch of every producer row and store row (rows without arcs: a batch of their own).

    Parts are the connected components of the network; flow in one cannot affect another,
    so solving parts one by one, or several disjoint ones together, gives the optimum of
    one solve of the whole network. Parts are numbered by their first producer row.
    """
    n = n_supply + n_demand
    n_parts, label = connected_parts(n, arc_from, arc_to + n_supply)
    # renumber the parts by their first arc's producer row (deterministic, in row order)
    first = np.full(n_parts, n, np.int64)
    np.minimum.at(first, label[arc_from], arc_from)
    rank = np.argsort(first, kind="stable")
    part = np.empty(n_parts, np.int64)
    part[rank] = np.arange(n_parts)
    size = np.bincount(part[label[arc_from]], minlength=n_parts)
    # group consecutive small parts, up to BATCH_ARCS arcs per batch; rows without arcs
    # (parts of size 0, numbered last) go to a batch that is never solved
    batch = np.empty(n_parts, np.int64)
    current, filled = 0, 0
    with_arcs = int(np.count_nonzero(size))
    for p, k in enumerate(size[:with_arcs].tolist()):
        if filled and (k >= BATCH_ARCS or filled + k > BATCH_ARCS):
            current, filled = current + 1, 0
        batch[p] = current
        filled += k
    batch[with_arcs:] = current + 1
    node = batch[part[label]]
    return node[:n_supply], node[n_supply:]


def solve_batch(batch: Batch) -> tuple[np.ndarray, int]:
    """Solve one batch at the largest cost scale that cannot overflow: (flow, scale)."""
    supply, demand, arc_km = batch.supply, batch.demand, batch.arc_km
    arc_from = batch.arc_from.astype(np.int64)
    arc_to = batch.arc_to.astype(np.int64)
    bound = int(min(supply.sum(), demand.sum()))
    nodes = 2 + len(supply) + len(demand)
    top = float(arc_km.max()) if len(arc_km) else 0.0
    for exp in range(_MAX_EXP, _MIN_EXP - 1, -1):
        scale = 10**exp
        max_cost = top * scale
        if max_cost * (nodes + 1) >= _LIMIT or max_cost * max(bound, 1) >= _LIMIT:
            continue
        flow = _run(supply, demand, arc_from, arc_to, np.rint(arc_km * scale).astype(np.int64))
        if flow is not None:
            return flow, scale
    raise UmkmAllocError(
        "the allocation is too large for exact integer costs (units x distance overflow); "
        "split the job by region"
    )


def _integral(name: str, values: np.ndarray) -> np.ndarray:
    raw = np.asarray(values)
    if raw.dtype.kind == "f" and len(raw) and not np.array_equal(raw, np.floor(raw)):
        raise ValueError(f"{name} must hold whole numbers")
    return raw.astype(np.int64, copy=False)


def _check(
    supply: np.ndarray,
    demand: np.ndarray,
    arc_from: np.ndarray,
    arc_to: np.ndarray,
    arc_km: np.ndarray,
) -> None:
    """Check a whole network: its rows and its arcs."""
    _check_rows(supply, demand)
    _check_arcs(len(supply), len(demand), arc_from, arc_to, arc_km)


def _check_rows(supply: np.ndarray, demand: np.ndarray) -> None:
    if (supply < 0).any() or (demand < 0).any():
        raise ValueError("supply and demand must be >= 0")


def _check_arcs(
    n_supply: int, n_demand: int, arc_from: np.ndarray, arc_to: np.ndarray, arc_km: np.ndarray
) -> None:
    if not (len(arc_from) == len(arc_to) == len(arc_km)):
        raise ValueError("arc arrays differ in length")
    if len(arc_from) and (
        arc_from.min() < 0
        or arc_from.max() >= n_supply
        or arc_to.min() < 0
        or arc_to.max() >= n_demand
    ):
        raise ValueError("arc endpoints out of range")
    if len(arc_km) and (not np.isfinite(arc_km).all() or (arc_km < 0).any()):
        raise ValueError("arc distances must be finite and >= 0")


def _run(
    supply: np.ndarray,
    demand: np.ndarray,
    arc_from: np.ndarray,
    arc_to: np.ndarray,
    cost: np.ndarray,
) -> np.ndarray | None:
    from ortools.graph.python import min_cost_flow

    n_p, n_s = len(supply), len(demand)
    source, sink = 0, 1
    p_node = 2 + np.arange(n_p, dtype=np.int64)
    s_node = 2 + n_p + np.arange(n_s, dtype=np.int64)
    tails = np.concatenate([arc_from + 2, np.full(n_p, source), s_node])
    heads = np.concatenate([arc_to + 2 + n_p, p_node, np.full(n_s, sink)])
    caps = np.concatenate([np.minimum(supply[arc_from], demand[arc_to]), supply, demand])
    costs = np.concatenate([cost, np.zeros(n_p + n_s, dtype=np.int64)])

    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    total = int(min(supply.sum(), demand.sum()))
    mcf.set_node_supply(source, total)
    mcf.set_node_supply(sink, -total)
    status = mcf.solve_max_flow_with_min_cost()
    if status == mcf.BAD_COST_RANGE:
        return None
    if status != mcf.OPTIMAL:
        raise UmkmAllocError(f"the min-cost-flow solver stopped with status {status}; report this")
    flows = mcf.flows(np.arange(len(arc_from), dtype=np.int64))
    return np.asarray(flows, dtype=np.int64)
