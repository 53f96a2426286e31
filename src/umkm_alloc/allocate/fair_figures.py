"""Fairness figures of any allocation, and why a UMKM did not get more.

Both work on plain arrays, so they serve every objective (``summary.json`` shows the figures for
``efficient`` too, so that the price of fairness is always visible):

* :func:`per_umkm` turns producer rows and a flow into capacity, allocated and in-reach per UMKM;
* :func:`fairness_figures` gives the ``fairness`` block of ``summary.json``;
* :func:`why_not_more` (or :class:`Residual`, for many UMKM) says why a UMKM did not get more
  (for ``explain``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class PerUmkm:
    """Per UMKM: capacity (sum over its rows), units allocated, at least one eligible arc."""

    capacity: np.ndarray
    allocated: np.ndarray
    in_reach: np.ndarray

    @property
    def share(self) -> np.ndarray:
        """Allocated / capacity (0 for a UMKM without capacity)."""
        return self.allocated / np.maximum(self.capacity, 1)


@dataclass(frozen=True)
class FairnessFigures:
    """The ``fairness`` block of ``summary.json``.

    Attributes
    ----------
    producers
        UMKM (producer ids), with or without capacity.
    producers_in_reach
        UMKM with at least one eligible store row.
    producers_with_orders
        UMKM allocated at least one unit.
    min_share, median_share
        Over the UMKM in reach with capacity > 0 (``None`` when there is none).
    gini
        Gini coefficient of allocated units over all UMKM (0 = equal, 1 = one gets all).
    unit_km, unit_km_efficient
        Unit-km of this allocation and of the efficient one.
    extra_km_pct
        ``100 * (unit_km / unit_km_efficient - 1)``; 0 when the efficient one is 0.
    no_store_in_reach
        UMKM indices with no eligible store at all (no objective can help them).
    """

    producers: int
    producers_in_reach: int
    producers_with_orders: int
    min_share: float | None
    median_share: float | None
    gini: float
    unit_km: float
    unit_km_efficient: float
    extra_km_pct: float
    no_store_in_reach: tuple[int, ...]

    def as_dict(self, ids: np.ndarray | None = None) -> dict[str, object]:
        """JSON-ready, rounded (shares and Gini to 6 decimals, km to 3, percent to 3).

        Parameters
        ----------
        ids
            Producer id of each UMKM index, to list ``no_store_in_reach`` by id (sorted).
        """
        lonely: list[object] = list(self.no_store_in_reach)
        if ids is not None:
            lonely = sorted(str(ids[u]) for u in self.no_store_in_reach)
        return {
            "producers": self.producers,
            "producers_in_reach": self.producers_in_reach,
            "producers_with_orders": self.producers_with_orders,
            "min_share": _round(self.min_share, 6),
            "median_share": _round(self.median_share, 6),
            "gini": round(self.gini, 6),
            "unit_km": round(self.unit_km, 3),
            "unit_km_efficient": round(self.unit_km_efficient, 3),
            "extra_km_pct": round(self.extra_km_pct, 3),
            "no_store_in_reach": lonely,
        }


@dataclass(frozen=True)
class Limit:
    """Why a UMKM did not get more units.

    Attributes
    ----------
    kind
        ``no_capacity`` (capacity 0), ``no_store_in_reach`` (no eligible arc),
        ``full_capacity`` (all its capacity is allocated), ``lower_share`` (every eligible
        store it could still supply is full, and every other UMKM that could pass it a unit,
        along any chain of full stores, has a share no higher than its own: the best-off of
        them is ``blocker``) or ``stores_full`` (every eligible store it could still supply is
        full; ``blocker``, when set, is the best-off UMKM that could pass it a unit, with a
        higher share: the objective's distance term, or the rounding to whole units, decided).
    share
        Its share (allocated / capacity).
    stores
        Store rows it may still supply (its rows with spare capacity) that are full.
    blocker, blocker_share
        The other UMKM with the highest share among those that could pass it a unit (ties:
        the smallest index), and that share.
    """

    kind: str
    share: float
    stores: tuple[int, ...] = ()
    blocker: int | None = None
    blocker_share: float | None = None


def umkm_index(producers: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return the UMKM index of each producer row and the producer id of each index.

    Parameters
    ----------
    producers
        Accepted producer rows (``id``): a UMKM is a producer id.

    Returns
    -------
    umkm, ids
        ``ids[umkm[r]]`` is the id of row ``r``; ``ids`` is sorted.
    """
    codes, ids = pd.factorize(producers["id"], sort=True)
    return codes.astype(np.int64), np.asarray(ids, dtype=object)


def per_umkm(
    supply: np.ndarray, umkm: np.ndarray, arc_from: np.ndarray, flow: np.ndarray
) -> PerUmkm:
    """Capacity, allocated units and in-reach flag per UMKM.

    Parameters
    ----------
    supply, umkm
        Capacity and UMKM index of each producer row.
    arc_from, flow
        Producer row and units of each eligible arc.

    Returns
    -------
    PerUmkm
    """
    umkm = np.asarray(umkm, dtype=np.int64)
    n = int(umkm.max()) + 1 if len(umkm) else 0
    owner = umkm[np.asarray(arc_from, dtype=np.int64)]
    return PerUmkm(
        capacity=np.bincount(umkm, weights=supply, minlength=n).astype(np.int64),
        allocated=np.bincount(owner, weights=flow, minlength=n).astype(np.int64),
        in_reach=np.bincount(owner, minlength=n) > 0,
    )


def fairness_figures(umkm: PerUmkm, *, unit_km: float, unit_km_efficient: float) -> FairnessFigures:
    """Compute the fairness figures of one allocation.

    Parameters
    ----------
    umkm
        Capacity, allocated and in-reach per UMKM (:func:`per_umkm`).
    unit_km, unit_km_efficient
        Unit-km of this allocation and of the efficient one.

    Returns
    -------
    FairnessFigures
    """
    counted = umkm.in_reach & (umkm.capacity > 0)
    shares = umkm.share[counted]
    extra = 100 * (unit_km / unit_km_efficient - 1) if unit_km_efficient > 0 else 0.0
    return FairnessFigures(
        producers=len(umkm.capacity),
        producers_in_reach=int(umkm.in_reach.sum()),
        producers_with_orders=int((umkm.allocated > 0).sum()),
        min_share=float(shares.min()) if len(shares) else None,
        median_share=float(np.median(shares)) if len(shares) else None,
        gini=gini(umkm.allocated),
        unit_km=float(unit_km),
        unit_km_efficient=float(unit_km_efficient),
        extra_km_pct=float(extra),
        no_store_in_reach=tuple(int(u) for u in np.flatnonzero(~umkm.in_reach)),
    )


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 when all are equal or all zero)."""
    x = np.sort(np.asarray(values, dtype=float))
    n, total = len(x), float(x.sum())
    if n == 0 or total == 0:
        return 0.0
    rank = np.arange(1, n + 1, dtype=float)
    return float((2 * np.sum(rank * x)) / (n * total) - (n + 1) / n)


def unit_km(flow: np.ndarray, km: np.ndarray) -> float:
    """Total unit-kilometres of a flow.

    A sum of products (numpy's pairwise sum), not ``np.dot``: BLAS splits a long dot product
    over its threads, so its last digit depended on the cores of the machine (250034.44809163542
    with one thread, ...636 with two) for a program that calls :func:`umkm_alloc.assign`
    without the CLI's single BLAS thread; the same holds for :func:`gini`.
    """
    return float(np.sum(np.asarray(flow, dtype=float) * np.asarray(km, dtype=float)))


def why_not_more(
    u: int,
    *,
    supply: np.ndarray,
    umkm: np.ndarray,
    demand: np.ndarray,
    arc_from: np.ndarray,
    arc_to: np.ndarray,
    flow: np.ndarray,
) -> Limit:
    """Why UMKM ``u`` did not get more units in the maximum flow ``flow``.

    A unit more for ``u`` must come along a path of the residual network: from a row of
    ``u`` with spare capacity to a store it may supply, back from that (full) store to a row
    that sends to it, and so on, until some other UMKM sends one unit less (a store with room
    would end the path with one unit more in total, which a maximum flow does not allow). The
    UMKM such a path can end at are those that could pass ``u`` a unit; in a ``fair``
    allocation they all have a level no higher than ``u``'s.

    Parameters
    ----------
    u
        The UMKM index.
    supply, umkm, demand, arc_from, arc_to, flow
        Producer rows (capacity, UMKM index), store rows (demand) and the eligible arcs with
        their units.

    Returns
    -------
    Limit
    """
    return Residual(
        supply=supply, umkm=umkm, demand=demand, arc_from=arc_from, arc_to=arc_to, flow=flow
    ).limit(u)


class Residual:
    """The residual network of an allocation, built once to explain many UMKM.

    Nodes: UMKM, then producer rows, then store rows. Arcs: UMKM -> its rows with spare
    capacity; row -> every store it may supply; store -> the rows that send to it; row ->
    its UMKM when the row sends anything (the UMKM may send one unit less).
    """

    def __init__(
        self,
        *,
        supply: np.ndarray,
        umkm: np.ndarray,
        demand: np.ndarray,
        arc_from: np.ndarray,
        arc_to: np.ndarray,
        flow: np.ndarray,
    ) -> None:
        from scipy.sparse import csr_matrix

        self.supply, self.umkm = np.asarray(supply, np.int64), np.asarray(umkm, np.int64)
        self.demand = np.asarray(demand, np.int64)
        self.arc_from = np.asarray(arc_from, np.int64)
        self.arc_to = np.asarray(arc_to, np.int64)
        self.flow = np.asarray(flow, np.int64)
        self.totals = per_umkm(self.supply, self.umkm, self.arc_from, self.flow)
        n_u, n_r = len(self.totals.capacity), len(self.supply)
        self.n_u, self.n_r = n_u, n_r
        self.row_out = np.bincount(self.arc_from, weights=self.flow, minlength=n_r)
        self.spare = self.row_out < self.supply
        self.into = np.bincount(self.arc_to, weights=self.flow, minlength=len(self.demand))
        rows, used = np.arange(n_r), self.flow > 0
        sending = self.row_out > 0
        tails = np.concatenate(
            [
                self.umkm[self.spare],
                n_u + self.arc_from,
                n_u + n_r + self.arc_to[used],
                n_u + rows[sending],
            ]
        )
        heads = np.concatenate(
            [
                n_u + rows[self.spare],
                n_u + n_r + self.arc_to,
                n_u + self.arc_from[used],
                self.umkm[sending],
            ]
        )
        n = n_u + n_r + len(self.demand)
        self.graph = csr_matrix((np.ones(len(tails), np.int8), (tails, heads)), shape=(n, n))

    def limit(self, u: int) -> Limit:
        """Return why UMKM ``u`` did not get more (see :func:`why_not_more`)."""
        from scipy.sparse.csgraph import breadth_first_order

        totals = self.totals
        cap, got = int(totals.capacity[u]), int(totals.allocated[u])
        share = got / cap if cap else 0.0
        if cap == 0:
            return Limit("no_capacity", share)
        if not totals.in_reach[u]:
            return Limit("no_store_in_reach", share)
        if got >= cap:
            return Limit("full_capacity", share)
        mine = self.spare[self.arc_from] & (self.umkm[self.arc_from] == u)
        stores = np.unique(self.arc_to[mine])
        stores = tuple(int(s) for s in stores[self.into[stores] >= self.demand[stores]])
        reached = breadth_first_order(self.graph, u, directed=True, return_predecessors=False)
        others = np.sort(reached[(reached < self.n_u) & (reached != u)])
        if len(others) == 0:
            return Limit("stores_full", share, stores)
        pick = int(others[np.argmax(totals.share[others])])  # the first of equal shares
        blocker_share = float(totals.share[pick])
        kind = "lower_share" if blocker_share <= share else "stores_full"
        return Limit(kind, share, stores, pick, blocker_share)


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
