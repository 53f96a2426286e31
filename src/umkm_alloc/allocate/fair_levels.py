"""The exact fair shares: Fujishige's decomposition, all parts and levels at once.

The problem
-----------
A UMKM ``u`` owns producer rows ``r`` (capacity ``c_r``, ``c_u = sum c_r``); a row sends to the
store rows it may supply (eligible arcs, no capacity of their own); a store row takes at most
``d_s``. For a set ``A`` of UMKM let ``f(A)`` be the most units their rows can send (a max
flow). ``f`` is submodular (a gammoid rank with capacities), the vectors ``y`` of units per UMKM
of maximum flows are the bases of the polymatroid ``f``, and the lexicographically max-min
vector of shares ``y_u / c_u`` is the unique minimiser of ``sum y_u^2 / c_u`` over that base
polytope (Fujishige 1980, "Lexicographically optimal base of a polymatroid with respect to a
weight vector"). Its structure is a chain of *tight sets*

    {} = S_0 < S_1 < ... < S_k = U,   shares on S_i - S_(i-1) all equal
    lambda_i = (f(S_i) - f(S_(i-1))) / c(S_i - S_(i-1)),   lambda_1 < ... < lambda_k,

and ``S_i`` is the minimal minimiser of ``f(A) - lambda c(A)`` for ``lambda`` just above
``lambda_i``.

Why max flows find it
---------------------
In the network source -> u (capacity ``lambda c_u``) -> r (``c_r``) -> s (unbounded) -> sink
(``d_s``) a cut with UMKM set ``A`` on the source side costs at least ``lambda c(U - A) + f(A)``,
so the minimum cut is ``lambda c(U) + min_A (f(A) - lambda c(A))``: one max flow evaluates the
whole parametric function, and the set reachable from the source in the residual network (the
*minimal* source side) gives the minimal minimiser. The cut capacity of a fixed source side
``X`` is a line ``a_X + lambda b_X`` in ``lambda``; the minimum cut is the lower envelope of
these lines, concave and piecewise linear, with a breakpoint exactly at each level
``lambda_i``.

The breakpoints are found by divide and conquer on that envelope (the decomposition algorithm of
Fujishige, in the form of Gallo, Grigoriadis and Tarjan 1989): two minimum cuts ``X1 < X2`` at
``lambda_1 < lambda_2`` bound the nodes ``M = X2 - X1`` still undecided; their lines meet at

    lambda* = (a_2 - a_1) / (b_1 - b_2)
            = (capacity from M into the sink side - capacity from the source side into M)
              / c(UMKM in M),

which is also the mean share of the UMKM in ``M``. One max flow at ``lambda*`` on ``M``, with
``X1`` contracted into the source and the rest into the sink, either finds no cut better than
``X1`` (then every UMKM in ``M`` has share exactly ``lambda*``: a level, whose block total
``a_2 - a_1`` is an integer) or a new cut ``X*`` strictly between, and both halves are solved
the same way. Arcs from ``X*`` into ``M - X*`` are saturated in every such flow and become fixed
sink or source capacities of the halves; arcs back from ``M - X*`` into ``X*`` carry no flow in
any allocation with these block totals and are dropped. The start is ``X1 = {source}``
(``lambda = 0``) and ``X2`` the minimal source side of one max flow with unbounded UMKM supply
(``lambda`` above 1, the line ``f(U)``). Each round solves every open interval of every
connected part in one max flow (they are node-disjoint), and the open intervals are re-split
into connected parts before each round, so a part's own levels never wait on another's.

Exactness: every ``lambda*`` is a ratio of integers; the max flow of an interval is run with all
fixed capacities multiplied by the denominator and the UMKM supplies by the numerator, so it is
an integer max flow (int64, far from overflow at national scale) and the cut comparison exact.
Shortcuts that need no flow: an interval with one UMKM, or with mean share 0 or 1, is one level.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from umkm_alloc.allocate.parts import connected_parts
from umkm_alloc.errors import UmkmAllocError

#: Arc kinds of the decomposition network.
_ROW, _STORE = 0, 1


@dataclass(frozen=True)
class Levels:
    """The exact lexicographically optimal shares, as levels of equal share.

    Every UMKM, producer row and store row with capacity ends in one *group*: a level (the
    interval of one share, ids ``0 .. len(num) - 1`` ascending by share) or a group without
    UMKM (ids from ``len(num)``: rows already at capacity and the stores they alone supply).
    Group ``len(num)`` (:attr:`top_group`) holds the rows at capacity in *every* maximum flow
    and the stores only they reach: there any least unit-km maximum flow is optimal as it is.
    In every allocation with the level blocks at their totals, flow between groups is fixed:
    a row outside its UMKM's group sends its whole capacity inside its own group, and no row
    sends to a store of another group; so each group is a separate min-cost flow.

    Attributes
    ----------
    num, den
        Per level, ascending by share: the units of the level block (an integer) and the total
        capacity of its UMKM; the share of the level is ``num / den`` exactly.
    umkm_group, row_group, store_group
        Group of every UMKM, producer row and store row; ``-1`` for those without capacity.
    rounds, max_flows
        Work done: rounds of max flow (each one solve of all open intervals) and intervals
        solved.
    """

    num: np.ndarray
    den: np.ndarray
    umkm_group: np.ndarray
    row_group: np.ndarray
    store_group: np.ndarray
    rounds: int
    max_flows: int

    @property
    def top_group(self) -> int:
        """Group of the rows at capacity in every maximum flow (beside the first cut)."""
        return len(self.num)

    @property
    def umkm_level(self) -> np.ndarray:
        """Level of each UMKM; ``-1`` for a UMKM without capacity."""
        return self.umkm_group

    @property
    def store_level(self) -> np.ndarray:
        """Level whose UMKM alone fill each store row, or ``-1`` (no single level does)."""
        return np.where(self.store_group < len(self.num), self.store_group, -1)

    def share(self) -> np.ndarray:
        """Exact continuous share of each UMKM, as float (0 for a UMKM without capacity)."""
        num, den = self._per_umkm()
        return num / den

    def target(self, capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Floor of each UMKM's exact continuous units, and whether it is fractional.

        Parameters
        ----------
        capacity
            Capacity of each UMKM.

        Returns
        -------
        floor, fractional
            ``floor(num c_u / den)`` and ``num c_u mod den != 0``, in exact integer arithmetic.
        """
        num, den = self._per_umkm()
        units = num * capacity.astype(np.int64)
        return units // den, (units % den) != 0

    def _per_umkm(self) -> tuple[np.ndarray, np.ndarray]:
        """Share of each UMKM's level as (num, den); (0, 1) without a level."""
        level = np.where(self.umkm_group >= 0, self.umkm_group, len(self.num))
        return np.append(self.num, 0)[level], np.append(self.den, 1)[level]


def decompose(
    row_cap: np.ndarray,
    row_umkm: np.ndarray,
    n_umkm: int,
    demand: np.ndarray,
    arc_from: np.ndarray,
    arc_to: np.ndarray,
) -> Levels:
    """Find the levels of the lexicographically optimal shares (see the module docstring).

    Parameters
    ----------
    row_cap
        Capacity of each producer row (int64 >= 0).
    row_umkm
        UMKM index (0 .. ``n_umkm - 1``) of each producer row.
    n_umkm
        Number of UMKM.
    demand
        Demand of each store row (int64 >= 0).
    arc_from, arc_to
        Eligible arcs: producer row and store row.

    Returns
    -------
    Levels
    """
    net = _Network.build(row_cap, row_umkm, n_umkm, demand, arc_from, arc_to)
    net.run()
    return net.levels()


class _Network:
    """Node-indexed state of the decomposition: UMKM, then rows, then stores."""

    def __init__(
        self,
        node_cap: np.ndarray,
        is_umkm: np.ndarray,
        tail: np.ndarray,
        head: np.ndarray,
        kind: np.ndarray,
        arc_cap: np.ndarray,
        sink_fix: np.ndarray,
        offsets: tuple[int, int],
    ) -> None:
        n = len(node_cap)
        self.node_cap, self.is_umkm = node_cap, is_umkm
        self.tail, self.head, self.kind, self.arc_cap = tail, head, kind, arc_cap
        self.offsets = offsets
        self.src_fix = np.zeros(n, dtype=np.int64)
        self.sink_fix = sink_fix
        self.node_alive = np.ones(n, dtype=bool)
        self.arc_alive = np.ones(len(tail), dtype=bool)
        self.node_group = np.full(n, -1, dtype=np.int64)  # level ids, then -2 - other
        self.level_num: list[np.ndarray] = []
        self.level_den: list[np.ndarray] = []
        self.n_levels = 0
        self.rounds = 0
        self.max_flows = 0
        self.n_other = 0

    @classmethod
    def build(
        cls,
        row_cap: np.ndarray,
        row_umkm: np.ndarray,
        n_umkm: int,
        demand: np.ndarray,
        arc_from: np.ndarray,
        arc_to: np.ndarray,
    ) -> _Network:
        n_row, n_store = len(row_cap), len(demand)
        umkm_cap = np.bincount(row_umkm, weights=row_cap, minlength=n_umkm).astype(np.int64)
        node_cap = np.concatenate([umkm_cap, row_cap, np.zeros(n_store, dtype=np.int64)])
        is_umkm = np.zeros(len(node_cap), dtype=bool)
        is_umkm[:n_umkm] = True
        # rows and stores without capacity, and arcs touching them, take no part
        live_row = np.flatnonzero(row_cap > 0)
        live_arc = np.flatnonzero((row_cap[arc_from] > 0) & (demand[arc_to] > 0))
        tail = np.concatenate([row_umkm[live_row], n_umkm + arc_from[live_arc]])
        head = np.concatenate([n_umkm + live_row, n_umkm + n_row + arc_to[live_arc]])
        kind = np.concatenate(
            [np.full(len(live_row), _ROW, np.int8), np.full(len(live_arc), _STORE, np.int8)]
        )
        arc_cap = np.concatenate([row_cap[live_row], np.zeros(len(live_arc), dtype=np.int64)])
        sink_fix = np.concatenate([np.zeros(n_umkm + n_row, dtype=np.int64), demand])
        net = cls(node_cap, is_umkm, tail, head, kind, arc_cap, sink_fix, (n_umkm, n_row))
        net.node_alive[:n_umkm] = umkm_cap > 0
        net.node_alive[n_umkm : n_umkm + n_row] = row_cap > 0
        net.node_alive[n_umkm + n_row :] = demand > 0
        return net

    # ------------------------------------------------------------------ the rounds

    def run(self) -> None:
        """Root cut, then rounds until every interval is one level."""
        label = self._labels()
        ones = np.ones(int(label.max()) + 1 if len(label) else 0, dtype=np.int64)
        nodes, in_x = self._cut_round(label, lam_num=None, scale=ones)
        self._cross(in_x)
        out = np.zeros(len(in_x), dtype=bool)
        out[nodes] = ~in_x[nodes]
        self.node_alive[out] = False
        self.node_group[out] = -2 - self.n_other  # saturated rows and their stores
        self.n_other += 1
        self.arc_alive &= self.node_alive[self.tail] | self.node_alive[self.head]
        while True:
            label = self._labels()
            if not (label >= 0).any():
                break
            num, den = self._means(label)
            open_part = self._close_easy(label, num, den)
            if not open_part.any():
                break
            active = np.where((label >= 0) & open_part[np.maximum(label, 0)], label, -1)
            g = np.maximum(np.gcd(num, den), 1)
            nodes, in_x = self._cut_round(active, lam_num=num // g, scale=den // g)
            moved = np.zeros(len(num), dtype=bool)
            moved[active[nodes[in_x[nodes]]]] = True
            self._close(active, open_part & ~moved, num, den, as_level=True)
            self._cross(in_x)

    def _labels(self) -> np.ndarray:
        """Label each alive node with its connected part (over alive arcs); -1 when dead."""
        n = len(self.node_cap)
        arcs = np.flatnonzero(self.arc_alive)
        _, raw = connected_parts(n, self.tail[arcs], self.head[arcs])
        alive = np.flatnonzero(self.node_alive)
        label = np.full(n, -1, dtype=np.int64)
        _, label[alive] = np.unique(raw[alive], return_inverse=True)
        return label

    def _means(self, label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per part: units its UMKM send in total (an integer) and their capacity."""
        alive = np.flatnonzero(label >= 0)
        n_label = int(label.max()) + 1
        lab = label[alive]
        net = self.sink_fix[alive] - self.src_fix[alive]
        num = np.bincount(lab, weights=net, minlength=n_label)
        cap = np.where(self.is_umkm[alive], self.node_cap[alive], 0)
        den = np.bincount(lab, weights=cap, minlength=n_label)
        if max(num.max(initial=0), den.max(initial=0)) >= 2**52:
            raise UmkmAllocError("a connected part is too large for exact fair shares; report this")
        num, den = num.astype(np.int64), den.astype(np.int64)
        if (num < 0).any() or ((den > 0) & (num > den)).any():
            raise UmkmAllocError("fair shares: inconsistent interval totals; report this")
        return num, den

    def _close_easy(self, label: np.ndarray, num: np.ndarray, den: np.ndarray) -> np.ndarray:
        """Close parts that are one level without a flow; return which parts stay open."""
        alive = np.flatnonzero(label >= 0)
        n_label = len(num)
        umkm = np.bincount(label[alive], weights=self.is_umkm[alive], minlength=n_label)
        no_umkm = umkm == 0
        one_level = ~no_umkm & ((umkm == 1) | (num == 0) | (num == den))
        self._close(label, no_umkm, num, den, as_level=False)
        self._close(label, one_level, num, den, as_level=True)
        return ~(no_umkm | one_level)

    def _close(
        self,
        label: np.ndarray,
        which: np.ndarray,
        num: np.ndarray,
        den: np.ndarray,
        *,
        as_level: bool,
    ) -> None:
        """Turn the parts ``which`` into levels (or drop them) and retire their nodes."""
        parts = np.flatnonzero(which)
        if len(parts) == 0:
            return
        nodes = np.flatnonzero((label >= 0) & which[np.maximum(label, 0)])
        index = np.full(len(which), -1, dtype=np.int64)
        if as_level:
            index[parts] = self.n_levels + np.arange(len(parts))
            self.level_num.append(num[parts])
            self.level_den.append(den[parts])
            self.n_levels += len(parts)
        else:
            index[parts] = -2 - (self.n_other + np.arange(len(parts)))
            self.n_other += len(parts)
        self.node_group[nodes] = index[label[nodes]]
        self.node_alive[nodes] = False
        self.arc_alive[self.arc_alive & ~self.node_alive[self.tail]] = False

    def _cut_round(
        self,
        label: np.ndarray,
        *,
        lam_num: np.ndarray | None,
        scale: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """One max flow over every open part; the nodes solved and the minimal source side.

        ``lam_num`` is ``None`` for the root cut (unbounded UMKM supply); else part ``k`` is
        solved at share ``lam_num[k] / scale[k]`` with every capacity times ``scale[k]``.
        """
        nodes = np.flatnonzero(label >= 0)
        local = np.full(len(label), -1, dtype=np.int64)
        local[nodes] = 2 + np.arange(len(nodes))
        lab = label[nodes]
        mult = scale[lab]
        umkm = self.is_umkm[nodes]
        if lam_num is None:
            src_cap = np.where(umkm, self.node_cap[nodes] + 1, 0)
        else:
            src_cap = np.where(umkm, lam_num[lab] * self.node_cap[nodes], 0)
        src_cap = src_cap + self.src_fix[nodes] * mult
        snk_cap = self.sink_fix[nodes] * mult
        arcs = np.flatnonzero(self.arc_alive & (label[self.tail] >= 0))
        s_nodes = np.flatnonzero(src_cap > 0)
        t_nodes = np.flatnonzero(snk_cap > 0)
        # one preallocated array per column (source arcs, part arcs, sink arcs): national
        # networks have millions of arcs, so no intermediate copies
        n_s, n_a = len(s_nodes), len(arcs)
        size = n_s + n_a + len(t_nodes)
        tails, heads = np.empty(size, np.int64), np.empty(size, np.int64)
        caps = np.empty(size, np.int64)
        tails[:n_s], heads[:n_s], caps[:n_s] = 0, s_nodes + 2, src_cap[s_nodes]
        tails[n_s + n_a :], heads[n_s + n_a :] = t_nodes + 2, 1
        caps[n_s + n_a :] = snk_cap[t_nodes]
        part = slice(n_s, n_s + n_a)
        tails[part], heads[part] = local[self.tail[arcs]], local[self.head[arcs]]
        inf = int(src_cap.sum()) + 1
        caps[part] = np.where(
            self.kind[arcs] == _ROW, self.arc_cap[arcs] * mult[tails[part] - 2], np.int64(inf)
        )
        del arcs, local
        source_side = _min_cut(tails, heads, caps, len(nodes) + 2)
        self.rounds += 1
        self.max_flows += len(np.unique(lab))
        in_x = np.zeros(len(label), dtype=bool)
        in_x[nodes[source_side[2:]]] = True
        return nodes, in_x

    def _cross(self, in_x: np.ndarray) -> None:
        """Arcs leaving the source side become fixed capacities; arcs into it are dropped."""
        arcs = np.flatnonzero(self.arc_alive)
        t_in, h_in = in_x[self.tail[arcs]], in_x[self.head[arcs]]
        out = arcs[t_in & ~h_in]
        if (self.kind[out] != _ROW).any():
            raise UmkmAllocError("fair shares: an unbounded arc crosses a minimum cut; report this")
        np.add.at(self.sink_fix, self.tail[out], self.arc_cap[out])
        np.add.at(self.src_fix, self.head[out], self.arc_cap[out])
        self.arc_alive[out] = False
        self.arc_alive[arcs[~t_in & h_in]] = False

    # ------------------------------------------------------------------ the result

    def levels(self) -> Levels:
        """Levels sorted by share (equal shares by creation), groups renumbered to match."""
        num = np.concatenate([np.zeros(0, np.int64), *self.level_num])
        den = np.concatenate([np.ones(0, np.int64), *self.level_den])
        order = _by_share(num, den)
        n_level = len(num)
        rank = np.empty(n_level, dtype=np.int64)
        rank[order] = np.arange(n_level)
        g = self.node_group
        rank = np.append(rank, -1)
        group = np.where(g >= 0, rank[np.where(g >= 0, g, n_level)], -1)
        group = np.where(g <= -2, n_level + (-2 - g), group)
        n_umkm, n_row = self.offsets
        return Levels(
            num=num[order],
            den=den[order],
            umkm_group=group[:n_umkm],
            row_group=group[n_umkm : n_umkm + n_row],
            store_group=group[n_umkm + n_row :],
            rounds=self.rounds,
            max_flows=self.max_flows,
        )


def _by_share(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Level order: ascending exact share ``num / den``, equal shares by level id."""
    ratio = num / np.maximum(den, 1)
    order = np.lexsort((np.arange(len(num)), ratio))
    # floats of distinct ratios may coincide: settle every run of nearly equal ones exactly
    near = np.concatenate([[False], np.diff(ratio[order]) <= 1e-12, [False]])
    edges = np.flatnonzero(np.diff(near.astype(np.int8)))
    for first, last in zip(edges[::2], edges[1::2], strict=True):
        ids = [int(i) for i in order[first - 1 : last]]
        order[first - 1 : last] = sorted(ids, key=lambda i: (Fraction(int(num[i]), int(den[i])), i))
    return order


def _min_cut(tails: np.ndarray, heads: np.ndarray, caps: np.ndarray, n_nodes: int) -> np.ndarray:
    """Max flow from node 0 to node 1; mask of the nodes reachable from 0 in the residual."""
    from ortools.graph.python import max_flow

    smf = max_flow.SimpleMaxFlow()
    smf.add_arcs_with_capacity(tails, heads, caps)
    status = smf.solve(0, 1)
    if status != smf.OPTIMAL:
        raise UmkmAllocError(f"the max-flow solver stopped with status {status}; report this")
    side = np.zeros(n_nodes, dtype=bool)
    side[np.asarray(smf.get_source_side_min_cut(), dtype=np.int64)] = True
    return side
