"""Fair allocations: every UMKM's share of its capacity, exactly, at the maximum units.

Three objectives beside the efficient one of :mod:`umkm_alloc.allocate.solve`, all at the
maximum number of units (never fewer than ``efficient``):

``fair`` (:func:`fair_allocation`)
    The vector of UMKM shares (units allocated / capacity summed over the UMKM's producer rows)
    lexicographically max-min, then the least unit-km. The exact continuous optimum is the
    unique minimiser of ``sum y_u^2 / c_u`` over the base polytope of the UMKM outflows of
    maximum flows (Fujishige 1980); :mod:`~umkm_alloc.allocate.fair_levels` finds it as a chain
    of tight sets, *levels* of equal share with exact rational values, by parametric max flows
    (divide and conquer on the level, every open interval of every connected part in one max
    flow per round; about ten rounds on the national scenario). Then min-cost flows make it
    integral: every UMKM gets the floor or the ceiling of its exact continuous units, every
    level block exactly its (integral) total, and among those the least unit-km. The block
    totals fix the flow between the levels' groups of nodes (see
    :class:`~umkm_alloc.allocate.fair_levels.Levels`), so each group is its own small
    min-cost flow, and the top group (rows at capacity in every maximum flow) keeps the
    efficient flows when they are given. Why the result is right: the integral polytope
    {floor <= y_u <= ceil, block totals, flow conservation, capacities} contains the continuous
    optimum, so it is non-empty, and it is a network-flow polytope with integral data, so the
    min-cost flow over it is integral and exactly the least unit-km (to the cost rounding of
    :mod:`~umkm_alloc.allocate.solve`) among the allocations within one unit of the exact fair
    shares. Which UMKM of a level get the ceiling is decided by unit-km alone.
``min_order`` (:func:`min_order_allocation`)
    The least unit-km at the maximum units with every UMKM at least ``min(N, floor(fair
    units))``: feasible because the fair allocation meets it; one min-cost flow per connected
    part with those lower bounds on the UMKM outflows (the top group as for ``fair``).
``fairness_budget`` (:func:`budget_allocation` in :mod:`~umkm_alloc.allocate.fair_budget`)
    The least ``sum y_u^2 / c_u`` whose unit-km stays within a percentage of the efficient one.

Determinism: arcs are put in a canonical order (producer row, store row, km) before solving,
so any arc order gives the same flows; rows are taken in the given order, or in the order of
``producer_key`` / ``store_key`` when given (then any row order gives the same flows too).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from umkm_alloc.allocate.fair_flow import Graph, Network
from umkm_alloc.allocate.fair_levels import Levels, decompose


@dataclass(frozen=True)
class FairSolution:
    """A fair allocation and what explains it.

    Attributes
    ----------
    flow
        Units on each arc, in the order the arcs were given.
    levels
        The exact fair shares (:class:`~umkm_alloc.allocate.fair_levels.Levels`): the level of
        every UMKM, the level that fills every store, the exact share of each level.
    capacity, allocated
        Per UMKM: total capacity of its rows, and units allocated in ``flow``.
    in_reach
        Per UMKM: it has at least one eligible arc to a store row.
    objective
        ``fair``, ``min_order`` or ``fairness_budget``.
    detail
        Objective-specific figures (e.g. the budget's cap and the price of distance).
    choice
        ``fairness_budget`` only: which allocation the search returned (see
        :func:`~umkm_alloc.allocate.fair_budget.budget_allocation`).
    """

    flow: np.ndarray
    levels: Levels
    capacity: np.ndarray
    allocated: np.ndarray
    in_reach: np.ndarray
    objective: str
    detail: dict[str, float] = field(default_factory=dict)
    choice: str = ""

    @property
    def units(self) -> int:
        """Total units allocated."""
        return int(self.flow.sum())

    @property
    def share(self) -> np.ndarray:
        """Per UMKM: allocated / capacity (0 for a UMKM without capacity)."""
        return self.allocated / np.maximum(self.capacity, 1)

    @property
    def fair_share(self) -> np.ndarray:
        """Per UMKM: its exact continuous fair share (``fair`` objective), as float."""
        return self.levels.share()


@dataclass(frozen=True)
class Problem:
    """Inputs in canonical order, and the way back to the caller's arc order."""

    graph: Graph
    arc_order: np.ndarray
    umkm_of_input: np.ndarray
    row_of_input: np.ndarray
    store_of_input: np.ndarray

    @classmethod
    def of(
        cls,
        supply: np.ndarray,
        umkm: np.ndarray,
        demand: np.ndarray,
        arc_from: np.ndarray,
        arc_to: np.ndarray,
        arc_km: np.ndarray,
        *,
        producer_key: np.ndarray | None = None,
        store_key: np.ndarray | None = None,
    ) -> Problem:
        """Check the inputs and put rows (by key) and arcs in canonical order."""
        from umkm_alloc.allocate.solve import _check, _integral

        supply, demand = _integral("supply", supply), _integral("demand", demand)
        arc_from, arc_to = _integral("arc_from", arc_from), _integral("arc_to", arc_to)
        umkm = _integral("umkm", umkm)
        arc_km = np.asarray(arc_km, dtype=float)
        _check(supply, demand, arc_from, arc_to, arc_km)
        if len(umkm) != len(supply) or (len(umkm) and umkm.min() < 0):
            raise ValueError("umkm must give a UMKM index >= 0 for every producer row")
        p_rank = _rank(producer_key, len(supply))
        s_rank = _rank(store_key, len(demand))
        supply, demand = _placed(supply, p_rank), _placed(demand, s_rank)
        # UMKM numbered by their first row in canonical order
        n_in = int(umkm.max()) + 1 if len(umkm) else 0
        row_umkm_in = _placed(umkm, p_rank)
        first = np.full(n_in, len(supply), dtype=np.int64)
        np.minimum.at(first, row_umkm_in, np.arange(len(supply)))
        order = np.argsort(first, kind="stable")
        new_id = np.empty(n_in, dtype=np.int64)
        new_id[order] = np.arange(n_in)
        row_umkm = new_id[row_umkm_in]
        a_from, a_to = p_rank[arc_from], s_rank[arc_to]
        arc_order = _canonical(a_from, a_to, arc_km, len(demand))
        umkm_cap = np.bincount(row_umkm, weights=supply, minlength=n_in).astype(np.int64)
        graph = Graph(
            umkm_cap=umkm_cap,
            row_cap=supply,
            row_umkm=row_umkm,
            demand=demand,
            arc_from=a_from[arc_order],
            arc_to=a_to[arc_order],
            arc_km=arc_km[arc_order],
        )
        return cls(
            graph=graph,
            arc_order=arc_order,
            umkm_of_input=new_id,
            row_of_input=p_rank,
            store_of_input=s_rank,
        )

    def canonical(self, flow: np.ndarray) -> np.ndarray:
        """Values on the caller's arcs, in canonical arc order."""
        flow = np.asarray(flow, dtype=np.int64)
        if flow.shape != self.arc_order.shape:
            raise ValueError("efficient_flow must give the units of every arc")
        return flow[self.arc_order]

    def to_input(self, canon_flow: np.ndarray) -> np.ndarray:
        """Values on the canonical arcs, in the caller's arc order."""
        flow = np.empty_like(canon_flow)
        flow[self.arc_order] = canon_flow
        return flow

    def levels(self) -> Levels:
        """Find the exact fair shares of this problem."""
        g = self.graph
        return decompose(g.row_cap, g.row_umkm, g.n_umkm, g.demand, g.arc_from, g.arc_to)

    def solution(
        self,
        canon_flow: np.ndarray,
        levels: Levels,
        objective: str,
        detail: dict[str, float] | None = None,
        choice: str = "",
    ) -> FairSolution:
        """Wrap a canonical flow, with every per-UMKM array in the caller's UMKM numbering."""
        g = self.graph
        allocated = np.bincount(
            g.row_umkm[g.arc_from], weights=canon_flow, minlength=g.n_umkm
        ).astype(np.int64)
        reach = np.bincount(g.row_umkm[g.arc_from], minlength=g.n_umkm) > 0
        back = self.umkm_of_input
        return FairSolution(
            flow=self.to_input(canon_flow),
            levels=self._levels_for_input(levels),
            capacity=g.umkm_cap[back],
            allocated=allocated[back],
            in_reach=reach[back],
            objective=objective,
            detail=dict(detail or {}),
            choice=choice,
        )

    def _levels_for_input(self, levels: Levels) -> Levels:
        """Levels with UMKM, stores and arcs in the caller's order."""
        return Levels(
            num=levels.num,
            den=levels.den,
            umkm_group=levels.umkm_group[self.umkm_of_input],
            row_group=levels.row_group[self.row_of_input],
            store_group=levels.store_group[self.store_of_input],
            rounds=levels.rounds,
            max_flows=levels.max_flows,
        )


def fair_allocation(
    supply: np.ndarray,
    umkm: np.ndarray,
    demand: np.ndarray,
    arc_from: np.ndarray,
    arc_to: np.ndarray,
    arc_km: np.ndarray,
    *,
    producer_key: np.ndarray | None = None,
    store_key: np.ndarray | None = None,
    efficient_flow: np.ndarray | None = None,
) -> FairSolution:
    """Allocate fairly: most units, then lexicographically max-min shares, then least km.

    Parameters
    ----------
    supply
        Capacity of each producer row (int, >= 0).
    umkm
        UMKM index (>= 0) of each producer row: rows of one producer id share one index.
    demand
        Demand of each store row (int, >= 0).
    arc_from, arc_to, arc_km
        Eligible pairs: producer row, store row and distance in km (>= 0).
    producer_key, store_key
        Optional distinct sortable keys of the rows (e.g. ``id`` and product); rows are solved
        in key order, so that any row order gives the same flows.
    efficient_flow
        Optional: the efficient allocation of the same arcs (from
        :func:`~umkm_alloc.allocate.solve.solve_allocation`, in the
        order given). Where every maximum flow saturates the same rows it is already the least
        unit-km, so it is reused there: an equally good result (ties may break otherwise),
        faster.

    Returns
    -------
    FairSolution
        Every UMKM within one unit of its exact continuous fair units, every level block at its
        exact total, least unit-km among those.
    """
    problem = Problem.of(
        supply,
        umkm,
        demand,
        arc_from,
        arc_to,
        arc_km,
        producer_key=producer_key,
        store_key=store_key,
    )
    levels = problem.levels()
    efficient = problem.canonical(efficient_flow) if efficient_flow is not None else None
    return problem.solution(_fair_flow(problem.graph, levels, efficient), levels, "fair")


def min_order_allocation(
    supply: np.ndarray,
    umkm: np.ndarray,
    demand: np.ndarray,
    arc_from: np.ndarray,
    arc_to: np.ndarray,
    arc_km: np.ndarray,
    *,
    min_order: int,
    producer_key: np.ndarray | None = None,
    store_key: np.ndarray | None = None,
    efficient_flow: np.ndarray | None = None,
) -> FairSolution:
    """Least unit-km at the most units, every UMKM at least ``min(min_order, fair floor)``.

    Parameters
    ----------
    supply, umkm, demand, arc_from, arc_to, arc_km, producer_key, store_key, efficient_flow
        As for :func:`fair_allocation`.
    min_order
        The guaranteed units per UMKM (``N >= 0``), capped by the floor of its fair units.

    Returns
    -------
    FairSolution
        ``detail['min_order']`` holds ``N``.
    """
    if min_order < 0:
        raise ValueError("min_order must be >= 0")
    problem = Problem.of(
        supply,
        umkm,
        demand,
        arc_from,
        arc_to,
        arc_km,
        producer_key=producer_key,
        store_key=store_key,
    )
    levels = problem.levels()
    floor, _ = levels.target(problem.graph.umkm_cap)
    lower = np.minimum(floor, min_order)
    efficient = problem.canonical(efficient_flow) if efficient_flow is not None else None
    flow = lower_bounded_flow(problem.graph, levels, lower, efficient)
    return problem.solution(flow, levels, "min_order", {"min_order": float(min_order)})


def lower_bounded_flow(
    graph: Graph, levels: Levels, lower: np.ndarray, efficient: np.ndarray | None = None
) -> np.ndarray:
    """Least unit-km maximum flow with every UMKM sending at least ``lower`` (canonical).

    With ``efficient``, its flows are kept in the top group (see :func:`_fair_flow`); the
    rows there send their whole capacity in every maximum flow, which counts toward ``lower``.
    """
    on_top = np.zeros(len(graph.row_cap), dtype=bool)
    if efficient is not None:
        on_top = levels.row_group == levels.top_group
    net, hub = Network.on(graph, ~on_top[graph.arc_from], ~on_top, n_hubs=2)
    n_u = graph.n_umkm
    u_part = net.part[:n_u]
    out = np.bincount(graph.row_umkm[on_top], weights=graph.row_cap[on_top], minlength=n_u).astype(
        np.int64
    )
    lower = np.maximum(lower - out, 0)
    has = levels.umkm_group >= 0
    level_part = np.zeros(len(levels.num), dtype=np.int64)
    level_part[levels.umkm_group[has]] = u_part[has]
    total = np.bincount(level_part, weights=levels.num, minlength=len(hub)) - np.bincount(
        u_part, weights=out, minlength=len(hub)
    )
    net.supply[:n_u] = lower
    net.supply[hub + 1] = (total - np.bincount(u_part, weights=lower, minlength=len(hub))).astype(
        np.int64
    )
    net.balance(hub)
    net.add(hub[u_part] + 1, np.arange(n_u), graph.umkm_cap - out - lower, 0.0)
    flow = net.arc_flow(net.solve(), len(graph.arc_from))
    if efficient is not None:
        top = on_top[graph.arc_from]
        flow[top] = efficient[top]
    return flow


def _fair_flow(graph: Graph, levels: Levels, efficient: np.ndarray | None = None) -> np.ndarray:
    """Integral fair flow on the canonical arcs: one min-cost flow per group (see Levels).

    With ``efficient`` (a least unit-km maximum flow, canonical arcs) its flows are taken as
    they are in the top group, where every maximum flow is the same up to cost.
    """
    rg, sg, ug = levels.row_group, levels.store_group, levels.umkm_group
    keep = (rg[graph.arc_from] >= 0) & (rg[graph.arc_from] == sg[graph.arc_to])
    on_top = np.zeros(len(rg), dtype=bool)
    if efficient is not None:
        on_top = rg == levels.top_group
        keep &= ~on_top[graph.arc_from]
    own = (rg >= 0) & (rg == ug[graph.row_umkm])
    net, hub = Network.on(graph, keep, own, n_hubs=1)
    n_u = graph.n_umkm
    fixed = (rg >= 0) & ~own
    out = np.bincount(graph.row_umkm[fixed], weights=graph.row_cap[fixed], minlength=n_u).astype(
        np.int64
    )
    fixed &= ~on_top
    floor, fractional = levels.target(graph.umkm_cap)
    has = np.flatnonzero(ug >= 0)
    net.supply[has] = floor[has] - out[has]
    net.supply[n_u + np.flatnonzero(fixed)] = graph.row_cap[fixed]
    level_part = np.zeros(len(levels.num), dtype=np.int64)
    level_part[ug[has]] = net.part[has]
    block = net.add_nodes(level_part)
    net.supply[block] = levels.num - np.bincount(
        ug[has], weights=floor[has], minlength=len(levels.num)
    ).astype(np.int64)
    frac = has[fractional[has]]
    net.add(block[ug[frac]], frac, np.ones(len(frac), np.int64), 0.0)
    net.balance(hub)
    flow = net.arc_flow(net.solve(), len(graph.arc_from))
    if efficient is not None:
        top = on_top[graph.arc_from]
        flow[top] = efficient[top]
    return flow


def _canonical(a_from: np.ndarray, a_to: np.ndarray, km: np.ndarray, n_store: int) -> np.ndarray:
    """Arc order by (producer row, store row), repeated pairs by km then given order."""
    pair = a_from * max(n_store, 1) + a_to
    order = np.argsort(pair, kind="stable")
    if len(pair) > 1 and (np.diff(pair[order]) == 0).any():
        order = np.lexsort((km, pair))
    return order


def _rank(key: np.ndarray | None, n: int) -> np.ndarray:
    """Give the new position of each row: by ``key`` when given, else unchanged."""
    if key is None:
        return np.arange(n, dtype=np.int64)
    key = np.asarray(key)
    if len(key) != n:
        raise ValueError("a row key must be given for every row")
    order = np.argsort(key, kind="stable")
    if n > 1 and (key[order][1:] == key[order][:-1]).any():
        raise ValueError("row keys must be distinct")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    return rank


def _placed(values: np.ndarray, rank: np.ndarray) -> np.ndarray:
    out = np.empty_like(values)
    out[rank] = values
    return out
