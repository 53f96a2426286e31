"""The ``fairness`` section of a run's summary, and its table of every UMKM.

Computed in every mode, so that the price of fairness is always visible: ``efficient`` shows
how unequal the cheapest allocation is, the fair modes what their fairness costs in unit-km
(``extra_km_pct``, against the efficient allocation that :func:`umkm_alloc.allocate.assign`
always solves first). A UMKM is a producer id; its share is the units allocated over the
capacity of all its rows. Distances are those of the allocations table (rounded to 1 m), so
``unit_km`` is the summary's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from umkm_alloc.allocate.fair_figures import (
    FairnessFigures,
    fairness_figures,
    per_umkm,
    umkm_index,
)
from umkm_alloc.allocate.fair_figures import unit_km as flow_km
from umkm_alloc.labels import labels
from umkm_alloc.rules.model import ELIGIBLE

if TYPE_CHECKING:
    from umkm_alloc.allocate.pipeline import Result

#: Columns of the *Fairness* sheet: one row per UMKM.
FAIRNESS_COLUMNS = [
    "producer_id",
    "producer_name",
    "kecamatan",
    "capacity",
    "allocated",
    "share",
    "stores_supplied",
    "stores_in_reach",
    "rank",
    "note",
]


@dataclass(frozen=True)
class Fairness:
    """The ``fairness`` block of ``summary.json``.

    Attributes
    ----------
    objective
        What the run solved: ``efficient``, ``fair``, ``min_order`` or ``fairness_budget``.
    figures
        The figures (:class:`~umkm_alloc.allocate.fair_figures.FairnessFigures`); its
        ``no_store_in_reach`` are UMKM indices, :attr:`no_store_in_reach` their ids.
    no_store_in_reach
        Producer ids (sorted) with capacity but no eligible store: no objective can help them.
    parameter
        The mode's parameter and what it gave: ``{"min_order": N}``, or for the budget
        ``{"fairness_budget": {"pct", "cap_unit_km", "choice"}}``; empty otherwise.
    """

    objective: str
    figures: FairnessFigures
    no_store_in_reach: tuple[str, ...]
    parameter: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return the ``fairness`` block: the objective, the figures (rounded), its parameter."""
        figures = self.figures.as_dict()
        figures["no_store_in_reach"] = list(self.no_store_in_reach)
        return {"objective": self.objective, **figures, **self.parameter}


def fairness(result: Result, *, unit_km: float) -> Fairness:
    """Compute the fairness figures of a run.

    Parameters
    ----------
    result
        Output of :func:`umkm_alloc.allocate.assign`.
    unit_km
        Unit-km of its allocations table (the summary's ``unit_km``).

    Returns
    -------
    Fairness
    """
    umkm, ids = umkm_index(result.producers)
    eligible = result.arcs[result.arcs["code"].to_numpy() == ELIGIBLE]
    totals = per_umkm(
        result.producers["qty"].to_numpy(),
        umkm,
        eligible["p"].to_numpy(),
        eligible["flow"].to_numpy(),
    )
    run = result.fair
    efficient_km = unit_km
    parameter: dict[str, Any] = {}
    if run is not None:
        km = np.round(eligible["km"].to_numpy(dtype=float), 3)
        efficient_km = flow_km(run.efficient_flow, km)
        parameter = _parameter(run.mode, run.solution.detail, run.solution.choice)
    figures = fairness_figures(totals, unit_km=unit_km, unit_km_efficient=efficient_km)
    lonely = [u for u in figures.no_store_in_reach if totals.capacity[u] > 0]
    return Fairness(
        objective=result.config.mode,
        figures=figures,
        no_store_in_reach=tuple(sorted(str(ids[u]) for u in lonely)),
        parameter=parameter,
    )


def _parameter(mode: str, detail: dict[str, float], choice: str) -> dict[str, Any]:
    if mode == "min_order":
        return {"min_order": int(detail["min_order"])}
    if mode == "fairness_budget":
        return {
            "fairness_budget": {
                "pct": detail["budget_pct"],
                "cap_unit_km": round(detail["cap_unit_km"], 3),
                "choice": choice,
            }
        }
    return {}


def umkm_table(result: Result, *, lang: str = "en") -> pd.DataFrame:
    """Every UMKM with its capacity, units, share, stores and rank (the *Fairness* sheet).

    Parameters
    ----------
    result
        Output of :func:`umkm_alloc.allocate.assign`.
    lang
        Language of the ``note`` column.

    Returns
    -------
    pandas.DataFrame
        :data:`FAIRNESS_COLUMNS`. ``share`` is allocated / capacity; ``rank`` orders the UMKM
        with capacity and a store in reach by share, 1 for the smallest (equal shares, equal
        rank); the others have no rank and a ``note`` (no capacity, no store in reach).
        Sorted by rank (unranked last), then id.
    """
    producers = result.producers
    umkm, ids = umkm_index(producers)
    n = len(ids)
    arcs = result.arcs[result.arcs["code"].to_numpy() == ELIGIBLE]
    p, flow = arcs["p"].to_numpy(), arcs["flow"].to_numpy()
    store_code = pd.factorize(result.stores["id"])[0][arcs["s"].to_numpy()]
    totals = per_umkm(producers["qty"].to_numpy(), umkm, p, flow)
    first = np.unique(umkm, return_index=True)[1]
    share = totals.allocated / np.maximum(totals.capacity, 1)
    ranked = totals.in_reach & (totals.capacity > 0)
    rank = np.full(n, np.nan)
    order = np.unique(share[ranked], return_inverse=True)[1]
    rank[ranked] = _min_rank(order)
    words = labels(lang)
    note = np.where(
        totals.capacity == 0,
        words["no_capacity"],
        np.where(totals.in_reach, "", words["no_store_in_reach"]),
    )
    table = pd.DataFrame(
        {
            "producer_id": ids,
            "producer_name": producers["name"].to_numpy()[first],
            "kecamatan": producers["kecamatan_name"].to_numpy()[first],
            "capacity": totals.capacity,
            "allocated": totals.allocated,
            "share": np.where(totals.capacity > 0, share, np.nan),
            "stores_supplied": _distinct(umkm[p[flow > 0]], store_code[flow > 0], n),
            "stores_in_reach": _distinct(umkm[p], store_code, n),
            "rank": pd.array(rank, dtype="Int64"),
            "note": note,
        },
        columns=FAIRNESS_COLUMNS,
    )
    key = np.where(ranked, rank, np.inf)
    return table.iloc[np.lexsort((ids.astype(str), key))].reset_index(drop=True)


def _min_rank(order: np.ndarray) -> np.ndarray:
    """Rank 1.. by value (``order``: dense rank from 0); ties share the smallest rank."""
    counts = np.bincount(order)
    start = np.concatenate([[1], 1 + np.cumsum(counts)[:-1]])
    return start[order]


def _distinct(umkm: np.ndarray, store: np.ndarray, n: int) -> np.ndarray:
    """Return the number of distinct stores per UMKM among (umkm, store) pairs."""
    if len(umkm) == 0:
        return np.zeros(n, dtype=np.int64)
    pairs = np.unique(umkm.astype(np.int64) * (int(store.max()) + 1) + store)
    return np.bincount(pairs // (int(store.max()) + 1), minlength=n).astype(np.int64)
