"""The exact allocation: maximum units, then minimum unit-kilometres, as min-cost max-flow.

Network: source -> producer row (capacity) -> store row (eligible pair, cost = distance)
-> sink (demand).  OR-Tools' ``SimpleMinCostFlow.solve_max_flow_with_min_cost`` finds a
maximum flow of least cost; both are exact for integral capacities and integral costs.

Distances are turned into integer costs by a power-of-ten scale chosen as large as the
solver's 64-bit arithmetic allows (up to 1e9 per km), so the allocation is optimal in real
kilometres to within ``total_units / scale`` unit-km.

The network falls apart into independent parts (producers and stores linked by eligible
pairs); each part is solved on its own, which is exact and much faster on large jobs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from umkm_alloc.errors import UmkmAllocError

_LIMIT = 2**62
_MAX_EXP, _MIN_EXP = 9, 2


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

    Returns
    -------
    Solution
        The flow on each pair; deterministic for a given arc order.
    """
    supply, demand = _integral("supply", supply), _integral("demand", demand)
    arc_from, arc_to = _integral("arc_from", arc_from), _integral("arc_to", arc_to)
    arc_km = np.asarray(arc_km, dtype=float)
    _check(supply, demand, arc_from, arc_to, arc_km)
    if len(arc_from) == 0:
        return Solution(np.zeros(0, dtype=np.int64), 10**_MAX_EXP)
    flow = np.zeros(len(arc_from), dtype=np.int64)
    scales = [10**_MAX_EXP]
    for arcs in _components(len(supply), len(demand), arc_from, arc_to):
        if len(arcs) == 1:  # one producer, one store: nothing to choose
            a = arcs[0]
            flow[a] = min(supply[arc_from[a]], demand[arc_to[a]])
            continue
        producers, local_from = np.unique(arc_from[arcs], return_inverse=True)
        stores, local_to = np.unique(arc_to[arcs], return_inverse=True)
        part, scale = _solve_part(
            supply[producers], demand[stores], local_from, local_to, arc_km[arcs]
        )
        flow[arcs] = part
        scales.append(scale)
    return Solution(flow, min(scales))


def _components(
    n_supply: int, n_demand: int, arc_from: np.ndarray, arc_to: np.ndarray
) -> list[np.ndarray]:
    """Split the arcs into the independent parts of the network (connected components).

    Flow in one part cannot affect another, so solving the parts one by one gives the same
    optimum as one solve of the whole network, with far less work. Each part keeps its
    arcs in their given order, so the result stays deterministic.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = n_supply + n_demand
    graph = coo_matrix(
        (np.ones(len(arc_from), dtype=np.int8), (arc_from, arc_to + n_supply)), shape=(n, n)
    )
    _, label = connected_components(graph, directed=False)
    arc_label = label[arc_from]
    order = np.argsort(arc_label, kind="stable")
    cuts = np.flatnonzero(np.diff(arc_label[order])) + 1
    return np.split(order, cuts)


def _solve_part(
    supply: np.ndarray,
    demand: np.ndarray,
    arc_from: np.ndarray,
    arc_to: np.ndarray,
    arc_km: np.ndarray,
) -> tuple[np.ndarray, int]:
    """Solve one connected part with the largest integer cost scale that cannot overflow."""
    bound = int(min(supply.sum(), demand.sum()))
    nodes = 2 + len(supply) + len(demand)
    for exp in range(_MAX_EXP, _MIN_EXP - 1, -1):
        scale = 10**exp
        max_cost = float(arc_km.max()) * scale
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
    return raw.astype(np.int64)


def _check(
    supply: np.ndarray,
    demand: np.ndarray,
    arc_from: np.ndarray,
    arc_to: np.ndarray,
    arc_km: np.ndarray,
) -> None:
    if (supply < 0).any() or (demand < 0).any():
        raise ValueError("supply and demand must be >= 0")
    if not (len(arc_from) == len(arc_to) == len(arc_km)):
        raise ValueError("arc arrays differ in length")
    if len(arc_from) and (
        arc_from.min() < 0
        or arc_from.max() >= len(supply)
        or arc_to.min() < 0
        or arc_to.max() >= len(demand)
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
