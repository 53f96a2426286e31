"""Fairness figures of any allocation, and why a UMKM did not get more.

Both work on plain arrays, so they serve every objective (``summary.json`` shows the figures for
``efficient`` too, so that the price of fairness is always visible):

* :func:`per_umkm` turns producer rows and a flow into capacity, allocated and in-reach per UMKM;
* :func:`fairness_figures` gives the ``fairness`` block of ``summary.json``;
* :func:`why_not_more` says why a UMKM did not get more (for ``explain --producer``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
        store it could still supply is full, and taking a unit from ``blocker`` would leave
        that producer with a share no higher than this one's: the fair order forbids it) or
        ``stores_full`` (every eligible store it could still supply is full; ``blocker``, when
        set, is the supplier of those stores with the smallest share).
    share
        Its share (allocated / capacity).
    stores
        Store rows it may still supply (its rows with spare capacity) that are full.
    blocker, blocker_share
        The other UMKM filling those stores with the smallest share, and that share.
    """

    kind: str
    share: float
    stores: tuple[int, ...] = ()
    blocker: int | None = None
    blocker_share: float | None = None


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
    rank = np.arange(1, n + 1)
    return float((2 * np.dot(rank, x)) / (n * total) - (n + 1) / n)


def unit_km(flow: np.ndarray, km: np.ndarray) -> float:
    """Total unit-kilometres of a flow."""
    return float(np.dot(np.asarray(flow, dtype=float), np.asarray(km, dtype=float)))


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
    """Why UMKM ``u`` did not get more units in the allocation ``flow``.

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
    supply, umkm = np.asarray(supply, dtype=np.int64), np.asarray(umkm, dtype=np.int64)
    arc_from, arc_to = np.asarray(arc_from, dtype=np.int64), np.asarray(arc_to, dtype=np.int64)
    flow = np.asarray(flow, dtype=np.int64)
    totals = per_umkm(supply, umkm, arc_from, flow)
    cap, got = int(totals.capacity[u]), int(totals.allocated[u])
    share = got / cap if cap else 0.0
    if cap == 0:
        return Limit("no_capacity", share)
    if not totals.in_reach[u]:
        return Limit("no_store_in_reach", share)
    if got >= cap:
        return Limit("full_capacity", share)
    row_out = np.bincount(arc_from, weights=flow, minlength=len(supply))
    spare = (umkm == u) & (row_out < supply)
    mine = spare[arc_from]
    stores = np.unique(arc_to[mine])
    into = np.bincount(arc_to, weights=flow, minlength=len(demand))
    stores = stores[into[stores] >= demand[stores]]
    supplied = np.isin(arc_to, stores) & (flow > 0) & (umkm[arc_from] != u)
    others = np.unique(umkm[arc_from[supplied]])
    if len(others) == 0:
        return Limit("stores_full", share, tuple(int(s) for s in stores))
    after = (totals.allocated[others] - 1) / totals.capacity[others]
    pick = int(np.lexsort((others, after))[0])
    blocker, blocker_share = int(others[pick]), float(totals.share[others[pick]])
    kind = "lower_share" if after[pick] <= share else "stores_full"
    return Limit(kind, share, tuple(int(s) for s in stores), blocker, blocker_share)


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
