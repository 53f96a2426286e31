"""The fairest allocation within a distance budget: ``--fairness-budget PCT``.

Among the allocations with the maximum units whose unit-km is at most ``(1 + PCT / 100)`` times
the efficient allocation's, the one with the least ``sum y_u^2 / c_u`` (the order of ``fair``:
the lexicographically optimal shares are its minimiser without the budget).

Method: the points (unit-km, ``F = sum y^2/c``) of integral maximum flows have a lower convex
hull from the efficient allocation to the fairest one (least ``F``, km breaking ties). Each hull
vertex minimises the Lagrangian ``F + mu * unit-km`` for some price ``mu``; the search of
Eisner and Severance walks the hull: from a vertex ``a`` within the cap and one ``b`` beyond it,
the price ``mu = (F_a - F_b) / (C_b - C_a)`` either finds a vertex strictly between (which
replaces ``a`` or ``b``) or proves ``a`` and ``b`` adjacent. The answer is the last ``a``, or the
``fair`` allocation when it fits the cap and is fairer.

Tolerance, stated plainly:

* the search stops as soon as ``F_a`` is within ``TOLERANCE`` (1 %) of ``F_eff - F_fairest`` of
  the Lagrangian lower bound ``L(mu) - mu * cap``, below which no allocation within the cap can
  be (weak duality), or when ``a`` and ``b`` are adjacent on the hull (then ``a`` is exactly the
  fairest allocation among those with at most its own unit-km);
* allocations in a gap of the hull (minimising the Lagrangian for no price) are not searched:
  one may be fairer and still within the cap; the exact problem with a budget is NP-hard in
  general (it contains the constrained shortest path), the Lagrangian is the standard way out;
* costs are rounded to integers as in :mod:`umkm_alloc.allocate.solve` (relative error about
  ``1e-9``).

``PCT = 0`` returns the efficient allocation itself.

Each Lagrangian is a separable convex-cost flow: the ``k``-th unit of UMKM ``u`` costs
``(2k - 1) / c_u``. Only a window of units around the allocations already found gets one arc per
unit; outside it, segments of doubling width carry the marginal cost of their unit nearest the
window, a convex under-estimate of ``y^2/c`` (up to a constant) that is exact inside. When every
UMKM ends inside its window, the relaxed optimum is therefore the true one; otherwise the windows
of the UMKM outside theirs grow to all their units and their connected parts (only those) are
solved again.

Speed (the budget's cost is its Lagrangian solves, each a min-cost flow about as large as the
efficient one): the walk starts from the ``fair`` allocation, not from a separate solve of the
fairest one, when ``fair`` is beyond the cap (the usual case); windows are wide enough that
second solves are rare; the segments are laid out without sorting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from umkm_alloc.allocate.fair import FairSolution, Problem, _fair_flow
from umkm_alloc.allocate.fair_figures import unit_km
from umkm_alloc.allocate.fair_flow import Graph, Network
from umkm_alloc.allocate.fair_levels import Levels
from umkm_alloc.allocate.solve import solve_allocation

#: Half-width of the first window of units around a known allocation: this many units, or a
#: third of the UMKM's capacity when that is more. Wide enough that a UMKM rarely leaves it
#: (each one that does costs its connected part a second solve), narrow enough to keep the
#: unit arcs few (banten: six Lagrangian solves, no second solve).
_WINDOW = 8
_MARGIN_DIV = 3
#: Price of a km in the search for the fairest allocation: small enough to only break ties.
_TIE = 1e-7
#: Hull steps at most (each one Lagrangian solve).
_MAX_STEPS = 40
#: The search stops when the result's ``sum y^2/c`` is provably within this fraction of the
#: range from the efficient allocation's to the fair one's of the best within the cap.
TOLERANCE = 0.01


def budget_allocation(
    supply: np.ndarray,
    umkm: np.ndarray,
    demand: np.ndarray,
    arc_from: np.ndarray,
    arc_to: np.ndarray,
    arc_km: np.ndarray,
    *,
    budget_pct: float,
    producer_key: np.ndarray | None = None,
    store_key: np.ndarray | None = None,
    efficient_flow: np.ndarray | None = None,
) -> FairSolution:
    """Fairest allocation at the most units whose unit-km is within ``budget_pct`` % of efficient.

    Parameters
    ----------
    supply, umkm, demand, arc_from, arc_to, arc_km, producer_key, store_key
        As for :func:`umkm_alloc.allocate.fair.fair_allocation`.
    efficient_flow
        Optional: the efficient allocation of the same arcs (in the order given), if the
        caller has it: it is the search's starting point and its yardstick (else it is solved
        here).
    budget_pct
        Extra unit-km allowed over the efficient allocation, in percent (>= 0).

    Returns
    -------
    FairSolution
        ``detail`` holds ``budget_pct``, ``cap_unit_km``, ``unit_km_efficient``, ``price`` (the
        Lagrange price ``mu`` of the supported allocation found; ``inf`` for the efficient
        allocation, 0 for the fairest), ``supported_unit_km`` (its unit-km: no allocation with
        at most this unit-km is fairer, up to the tolerance) and ``steps`` (Lagrangian
        solves). ``choice`` says which allocation was returned: ``efficient``, ``fairest`` (the
        least ``sum y^2/c`` fits the cap), ``supported`` (a hull vertex) or ``fair`` (the
        ``fair`` allocation fits the cap and is fairer than the hull vertex).
    """
    if not np.isfinite(budget_pct) or budget_pct < 0:
        raise ValueError("budget_pct must be a finite number >= 0")
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
    g = problem.graph
    if efficient_flow is not None:
        efficient = problem.canonical(efficient_flow)
    else:
        efficient = solve_allocation(g.row_cap, g.demand, g.arc_from, g.arc_to, g.arc_km).flow
    found = _search(g, levels, efficient, budget_pct)
    base = _unit_km(g, efficient)
    detail = {
        "budget_pct": float(budget_pct),
        "cap_unit_km": base * (1 + budget_pct / 100),
        "unit_km_efficient": base,
        "price": found.price,
        "supported_unit_km": found.supported_km,
        "steps": float(found.steps),
    }
    return problem.solution(found.flow, levels, "fairness_budget", detail, found.choice)


@dataclass
class _Found:
    """Result of the hull search."""

    flow: np.ndarray
    price: float  # the Lagrange price of the supported allocation found
    supported_km: float  # its unit-km
    steps: int  # Lagrangian solves
    choice: str  # efficient, fairest, supported or fair


def _search(g: Graph, levels: Levels, efficient: np.ndarray, pct: float) -> _Found:
    """Walk the hull between efficient and fairest; take ``fair`` instead when fairer."""
    base = _unit_km(g, efficient)
    cap = base * (1 + pct / 100)
    if pct == 0:
        return _Found(efficient, float("inf"), base, 0, "efficient")
    lagrangian = _Lagrangian(g, levels, efficient)
    fair = _fair_flow(g, levels, efficient)
    steps = 0
    if _unit_km(g, fair) <= cap:
        # the fairest integral allocation (least sum y^2/c; km only breaks ties): near fair
        top = float(g.arc_km.max()) if len(g.arc_km) else 0.0
        fairest = lagrangian.solve(_TIE / max(top, 1.0), near=(fair, fair))
        steps = 1
        if _unit_km(g, fairest) <= cap:
            return _Found(fairest, 0.0, _unit_km(g, fairest), steps, "fairest")
        b = fairest
    else:
        # the walk starts from fair instead (within one unit of the exact fair shares), which
        # saves a solve: its guarantees hold from any start beyond the cap, and its stopping
        # tolerance, a share of F_eff - F_fair <= F_eff - F_fairest, only gets stricter
        b = fair
    a = efficient
    fa, ca, fb, cb = _quadratic(g, a), base, _quadratic(g, b), _unit_km(g, b)
    tolerance = TOLERANCE * max(fa - fb, 0.0)
    price = float("inf")
    while steps < _MAX_STEPS and cb > ca and fa > fb:
        mu = (fa - fb) / (cb - ca)
        c = lagrangian.solve(mu, near=(a, b))
        steps += 1
        fc, cc = _quadratic(g, c), _unit_km(g, c)
        if fc + mu * cc >= fa + mu * ca - 1e-9 * max(1.0, abs(fa + mu * ca)):
            price = mu  # no hull vertex strictly between a and b: a is optimal at mu too
            break
        if cc <= cap:
            a, fa, ca, price = c, fc, cc, mu
        else:
            b, fb, cb = c, fc, cc
        # every allocation within the cap has sum y^2/c >= L(mu) - mu * cap (weak duality)
        if fa - (fc + mu * (cc - cap)) <= tolerance:
            break
    # the fair allocation may lie in a gap of the hull (not a minimiser for any price)
    if _unit_km(g, fair) <= cap and _quadratic(g, fair) < fa:
        return _Found(fair, price, ca, steps, "fair")
    return _Found(a, price, ca, steps, "efficient" if a is efficient else "supported")


class _Lagrangian:
    """Minimise ``sum y^2/c + mu * unit-km`` at the maximum units, for any price ``mu``."""

    def __init__(self, g: Graph, levels: Levels, efficient: np.ndarray) -> None:
        self.g = g
        # rows at capacity in every maximum flow (the top group) keep the efficient flows:
        # their units are fixed, so their least unit-km does not depend on the price
        self.on_top = levels.row_group == levels.top_group
        self.top_arcs = self.on_top[g.arc_from]
        self.efficient = efficient
        self.keep, self.keep_row = ~self.top_arcs, ~self.on_top
        net, hub = Network.on(g, self.keep, self.keep_row, n_hubs=2)
        u_part = net.part[: g.n_umkm]
        self.umkm_part = u_part  # the same in every network of this search
        self.out = np.bincount(
            g.row_umkm[self.on_top], weights=g.row_cap[self.on_top], minlength=g.n_umkm
        ).astype(np.int64)
        has = levels.umkm_group >= 0
        level_part = np.zeros(len(levels.num), dtype=np.int64)
        level_part[levels.umkm_group[has]] = u_part[has]
        self.total = (
            np.bincount(level_part, weights=levels.num, minlength=len(hub))
            - np.bincount(u_part, weights=self.out, minlength=len(hub))
        ).astype(np.int64)

    def solve(self, mu: float, *, near: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """Optimal flow for price ``mu``; the first windows span the two flows ``near``.

        A UMKM that ends outside its window gets all its units exact and its connected part
        (only that part: the others are exact already) is solved again, so this takes two
        solves at most.
        """
        g = self.g
        y1, y2 = _per_umkm(g, near[0]), _per_umkm(g, near[1])
        margin = np.maximum(_WINDOW, g.umkm_cap // _MARGIN_DIV)
        lo = np.maximum(np.minimum(y1, y2) - margin, self.out)
        hi = np.minimum(np.maximum(y1, y2) + margin, g.umkm_cap)
        flow, y = self._relaxed(mu, lo, hi)
        while True:
            out = (y < lo) | (y > hi)
            if not out.any():
                flow[self.top_arcs] = self.efficient[self.top_arcs]
                return flow
            lo = np.where(out, self.out, lo)  # few UMKM: every unit of theirs gets an arc
            hi = np.where(out, g.umkm_cap, hi)
            again = np.isin(self.umkm_part, np.unique(self.umkm_part[out]))
            redo, y_redo = self._relaxed(mu, lo, hi, only=again)
            arcs = again[g.row_umkm[g.arc_from]]
            flow[arcs], y[again] = redo[arcs], y_redo[again]

    def _relaxed(
        self, mu: float, lo: np.ndarray, hi: np.ndarray, only: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Solve with ``y^2/c`` exact on ``[lo, hi]`` and bounded from below outside.

        Units inside the window get one arc each at their marginal ``(2k - 1) / c``; outside,
        segments of doubling width get the marginal of their unit nearest the window, which
        is convex and never above the true cost (up to a constant per UMKM). So when every
        UMKM ends inside its window the relaxed optimum is the true one. With ``only`` (a
        mask of whole parts' UMKM) the other parts are left out (no flow, ``y`` undefined).
        """
        g = self.g
        net, hub = Network.on(g, self.keep, self.keep_row, n_hubs=2)
        # the objective scaled so that its larger weight is 1 (integer costs keep precision)
        w_fair, w_km = (1.0 / mu, 1.0) if mu > 1 else (1.0, mu)
        net.costs[1] = net.costs[1] * w_km
        u_part = net.part[: g.n_umkm]
        net.supply[hub + 1] = self.total
        net.balance(hub)
        if only is not None:  # parts without supply are not solved
            net.supply[~np.isin(net.part, np.unique(u_part[only]))] = 0
        owner, start, stop = _segments(lo, hi, self.out, g.umkm_cap)
        # marginal of the unit nearest the window: the last unit below it, the first above
        nearest = np.where(stop <= lo[owner], stop, start + 1)
        n_before = len(net.tails)
        net.tails.append(hub[u_part[owner]] + 1)
        net.heads.append(owner)
        net.caps.append(stop - start)
        net.costs.append(w_fair * (2 * nearest - 1) / g.umkm_cap[owner])
        solved = net.solve()
        units = net.pieces(solved)[n_before]
        y = self.out + np.bincount(owner, weights=units, minlength=g.n_umkm).astype(np.int64)
        return net.arc_flow(solved, len(g.arc_from)), y


def _segments(
    lo: np.ndarray, hi: np.ndarray, base: np.ndarray, cap: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut each UMKM's units ``(base, cap]`` into segments ``(start, stop]``.

    Single units on ``[lo, hi]``, doubling widths away from it; returned as (owner, start,
    stop), sorted by owner and start. The cut points of a UMKM are laid out in ascending
    order (base, ``lo - 2^k`` for falling ``k``, ``lo .. hi``, ``hi + 2^k`` for rising ``k``,
    cap) and clipped to ``[base, cap]``, so no sort is needed: repeated points (empty
    segments) are dropped.
    """
    n = len(cap)
    top = int(cap.max()) if n else 0
    steps = 2 ** np.arange(max(top, 1).bit_length(), dtype=np.int64)  # 1, 2, 4 .. > top / 2
    width = hi - lo + 1
    per = 2 + 2 * len(steps) + width  # cut points of each UMKM
    first = np.cumsum(per) - per
    points = np.empty(int(per.sum()), dtype=np.int64)
    owner = np.repeat(np.arange(n), per)
    offset = np.arange(len(points)) - first[owner]  # position within its UMKM
    k = len(steps)
    below = (offset >= 1) & (offset <= k)
    window = (offset > k) & (offset <= k + width[owner])
    above = (offset > k + width[owner]) & (offset < per[owner] - 1)
    points[offset == 0] = base
    points[below] = lo[owner[below]] - steps[::-1][offset[below] - 1]
    points[window] = lo[owner[window]] + (offset[window] - k - 1)
    points[above] = hi[owner[above]] + steps[offset[above] - k - width[owner[above]] - 1]
    points[offset == per[owner] - 1] = cap
    points = np.clip(points, base[owner], cap[owner])
    step = (owner[1:] == owner[:-1]) & (points[1:] > points[:-1])
    return owner[1:][step], points[:-1][step], points[1:][step]


def _per_umkm(g: Graph, flow: np.ndarray) -> np.ndarray:
    return np.bincount(g.row_umkm[g.arc_from], weights=flow, minlength=g.n_umkm).astype(np.int64)


def _quadratic(g: Graph, flow: np.ndarray) -> float:
    y = _per_umkm(g, flow).astype(float)
    has = g.umkm_cap > 0
    return float((y[has] ** 2 / g.umkm_cap[has]).sum())


def _unit_km(g: Graph, flow: np.ndarray) -> float:
    return unit_km(flow, g.arc_km)
