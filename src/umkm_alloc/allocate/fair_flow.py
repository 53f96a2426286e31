"""Integral flows for the fair objectives: min-cost flows with exact node supplies, per part.

Every network here is built on the nodes UMKM -> producer row -> store row, plus a sink (and,
where needed, a source) *per connected part*, so that each part is one small exact min-cost flow
(OR-Tools ``SimpleMinCostFlow.solve``). Costs are real numbers (km, or km plus a fairness
price) turned into integers by the largest power of ten, up to 1e9 per unit, that keeps the
solver's 64-bit arithmetic from overflowing, as in :mod:`umkm_alloc.allocate.solve`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from umkm_alloc.allocate.parts import connected_parts
from umkm_alloc.errors import UmkmAllocError

_LIMIT = 2**62
_MAX_EXP, _MIN_EXP = 9, 0


@dataclass(frozen=True)
class Graph:
    """The producer side of a problem, as nodes: UMKM, then producer rows, then store rows.

    Attributes
    ----------
    umkm_cap, row_cap, demand
        Capacity of each UMKM and producer row, demand of each store row.
    row_umkm
        UMKM of each producer row.
    arc_from, arc_to, arc_km
        Eligible arcs (producer row, store row, km).
    """

    umkm_cap: np.ndarray
    row_cap: np.ndarray
    row_umkm: np.ndarray
    demand: np.ndarray
    arc_from: np.ndarray
    arc_to: np.ndarray
    arc_km: np.ndarray

    @property
    def n_umkm(self) -> int:
        """Number of UMKM."""
        return len(self.umkm_cap)

    def parts(self, keep: np.ndarray, keep_row: np.ndarray) -> np.ndarray:
        """Label every UMKM, row and store node with its connected part over the arcs kept."""
        n_u, n_r = self.n_umkm, len(self.row_cap)
        n = n_u + n_r + len(self.demand)
        arcs, rows = np.flatnonzero(keep), np.flatnonzero(keep_row)
        tails = np.concatenate([self.row_umkm[rows], n_u + self.arc_from[arcs]])
        heads = np.concatenate([n_u + rows, n_u + n_r + self.arc_to[arcs]])
        return connected_parts(n, tails, heads)[1].astype(np.int64)


@dataclass
class Network:
    """A flow network under construction: arcs with capacity and real cost, node supplies."""

    n_nodes: int
    part: np.ndarray
    tails: list[np.ndarray]
    heads: list[np.ndarray]
    caps: list[np.ndarray]
    costs: list[np.ndarray]
    supply: np.ndarray
    kept: np.ndarray

    @classmethod
    def on(
        cls, graph: Graph, keep: np.ndarray, keep_row: np.ndarray, n_hubs: int
    ) -> tuple[Network, np.ndarray]:
        """Build the UMKM -> rows -> stores -> sink network, with ``n_hubs`` hubs per part.

        Node ids: UMKM ``u``, rows ``n_u + r``, stores ``n_u + n_r + s``, then hub ``h`` of
        part ``p`` at ``hub[p] + h``. Arcs so far: UMKM -> row (its capacity, where
        ``keep_row``), row -> store (the arcs ``keep``, at their km) and store -> hub 0 (the
        sink, demand). Returns the network and ``hub``.
        """
        n_u, n_r, n_s = graph.n_umkm, len(graph.row_cap), len(graph.demand)
        base = n_u + n_r + n_s
        node_part = graph.parts(keep, keep_row)
        _, node_part = np.unique(node_part, return_inverse=True)
        n_parts = int(node_part.max()) + 1 if len(node_part) else 0
        hub = base + np.arange(n_parts, dtype=np.int64) * n_hubs
        part = np.concatenate([node_part, np.repeat(np.arange(n_parts), n_hubs)])
        arcs = np.flatnonzero(keep)
        rows = np.flatnonzero(keep_row)
        a_from, a_to = graph.arc_from[arcs], graph.arc_to[arcs]
        store = n_u + n_r + np.arange(n_s)
        net = cls(
            n_nodes=base + n_parts * n_hubs,
            part=part,
            tails=[graph.row_umkm[rows], n_u + a_from, store],
            heads=[n_u + rows, n_u + n_r + a_to, hub[node_part[store]]],
            caps=[
                graph.row_cap[rows],
                np.minimum(graph.row_cap[a_from], graph.demand[a_to]),
                graph.demand,
            ],
            costs=[np.zeros(len(rows)), graph.arc_km[arcs], np.zeros(n_s)],
            supply=np.zeros(base + n_parts * n_hubs, dtype=np.int64),
            kept=arcs,
        )
        return net, hub

    def add_nodes(self, part: np.ndarray) -> np.ndarray:
        """Add nodes (one per entry of ``part``, the part each belongs to); their ids."""
        ids = self.n_nodes + np.arange(len(part), dtype=np.int64)
        self.n_nodes += len(part)
        self.part = np.concatenate([self.part, np.asarray(part, dtype=np.int64)])
        self.supply = np.concatenate([self.supply, np.zeros(len(part), dtype=np.int64)])
        return ids

    def balance(self, sink: np.ndarray) -> None:
        """Set each part's sink (``sink[p]``) to take exactly what the part's nodes supply."""
        others = np.ones(self.n_nodes, dtype=bool)
        others[sink] = False
        total = np.bincount(
            self.part[others], weights=self.supply[others], minlength=len(sink)
        ).astype(np.int64)
        self.supply[sink] = -total[self.part[sink]]

    def add(self, tails: np.ndarray, heads: np.ndarray, caps: np.ndarray, cost: float) -> None:
        """Add arcs of one cost."""
        self.tails.append(np.asarray(tails, dtype=np.int64))
        self.heads.append(np.asarray(heads, dtype=np.int64))
        self.caps.append(np.asarray(caps, dtype=np.int64))
        self.costs.append(np.full(len(tails), float(cost)))

    def solve(self, *, max_exp: int = _MAX_EXP) -> np.ndarray:
        """Least-cost flow meeting every node supply exactly; the flow on every arc.

        The arcs are returned in the order they were added (the row -> store arcs second).
        """
        tails = np.concatenate(self.tails).astype(np.int64)
        heads = np.concatenate(self.heads).astype(np.int64)
        caps = np.concatenate(self.caps).astype(np.int64)
        costs = np.concatenate(self.costs)
        flow = np.zeros(len(tails), dtype=np.int64)
        local = np.zeros(self.n_nodes, dtype=np.int64)
        for nodes, arcs in _batches(self.part, tails, self.supply):
            local[nodes] = np.arange(len(nodes))
            flow[arcs] = _solve_part(
                local[tails[arcs]],
                local[heads[arcs]],
                caps[arcs],
                costs[arcs],
                self.supply[nodes],
                max_exp,
            )
        return flow

    def pieces(self, flow: np.ndarray) -> list[np.ndarray]:
        """Split a flow from :meth:`solve` back into the groups of arcs as added."""
        sizes = np.cumsum([len(t) for t in self.tails])[:-1]
        return np.split(flow, sizes)

    def arc_flow(self, flow: np.ndarray, n_arcs: int) -> np.ndarray:
        """Return the flow on every eligible arc (zero on those left out of the network)."""
        out = np.zeros(n_arcs, dtype=np.int64)
        out[self.kept] = self.pieces(flow)[1]
        return out


#: Parts smaller than this (arcs) are solved together, up to this many arcs per solve: one
#: OR-Tools call per tiny part would cost more than the flows themselves.
_BATCH_ARCS = 20_000


def _batches(
    part: np.ndarray, tails: np.ndarray, supply: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Nodes and arcs of each solve: a part, or consecutive small parts together.

    Parts are disjoint, so solving several in one network is exact. Parts with no supply
    anywhere carry no flow and are skipped.
    """
    n_part = int(part.max()) + 1 if len(part) else 0
    busy = np.bincount(part, weights=np.abs(supply), minlength=n_part) > 0
    arc_part = part[tails]
    size = np.bincount(arc_part, minlength=n_part)
    # batch id: a part of its own when large, else grouped while the running total stays small
    batch = np.empty(n_part, dtype=np.int64)
    current, filled, next_id = 0, 0, 0
    for p in np.flatnonzero(busy):
        n = int(size[p])
        if n >= _BATCH_ARCS or filled + n > _BATCH_ARCS:
            next_id += 1
            current, filled = next_id, 0
        batch[p] = current
        filled += n
    batch[~busy] = -1
    node_batch = batch[part]
    arc_batch = batch[arc_part]
    node_order = np.argsort(node_batch, kind="stable")
    arc_order = np.argsort(arc_batch, kind="stable")
    ids = np.unique(batch[busy])
    if len(ids) == 0:
        return []
    node_cuts = np.searchsorted(node_batch[node_order], ids)
    arc_cuts = np.searchsorted(arc_batch[arc_order], ids)
    node_ends = np.append(node_cuts[1:], len(node_order))
    arc_ends = np.append(arc_cuts[1:], len(arc_order))
    return [
        (node_order[a:b], arc_order[c:d])
        for a, b, c, d in zip(node_cuts, node_ends, arc_cuts, arc_ends, strict=True)
    ]


def _solve_part(
    tails: np.ndarray,
    heads: np.ndarray,
    caps: np.ndarray,
    costs: np.ndarray,
    supply: np.ndarray,
    max_exp: int,
) -> np.ndarray:
    """One part, with the largest integer cost scale that cannot overflow."""
    bound = int(supply[supply > 0].sum())
    top = float(np.abs(costs).max()) if len(costs) else 0.0
    for exp in range(max_exp, _MIN_EXP - 1, -1):
        scale = 10.0**exp
        max_cost = top * scale
        if max_cost * (len(supply) + 1) >= _LIMIT or max_cost * max(bound, 1) >= _LIMIT:
            continue
        flow = _run(tails, heads, caps, np.rint(costs * scale).astype(np.int64), supply)
        if flow is not None:
            return flow
    raise UmkmAllocError(
        "the allocation is too large for exact integer costs (units x distance overflow); "
        "split the job by region"
    )


def _run(
    tails: np.ndarray,
    heads: np.ndarray,
    caps: np.ndarray,
    costs: np.ndarray,
    supply: np.ndarray,
) -> np.ndarray | None:
    from ortools.graph.python import min_cost_flow

    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    mcf.set_nodes_supplies(np.arange(len(supply), dtype=np.int64), supply)
    status = mcf.solve()
    if status == mcf.BAD_COST_RANGE:
        return None
    if status != mcf.OPTIMAL:
        raise UmkmAllocError(f"the min-cost-flow solver stopped with status {status}; report this")
    return np.asarray(mcf.flows(np.arange(len(tails), dtype=np.int64)), dtype=np.int64)
