"""The fair modes inside :func:`~umkm_alloc.allocate.assign`: one call per run.

``assign`` always solves the efficient allocation first (its unit-km is the yardstick of the
``fairness`` figures in every mode); a fair mode (``--objective fair``, ``--min-order N``,
``--fairness-budget PCT``) then replaces its flow by the one of
:mod:`umkm_alloc.allocate.fair` or :mod:`umkm_alloc.allocate.fair_budget`, given the efficient
flow to reuse where every maximum flow is the same.

A UMKM is a producer id: its rows (one per product) share one index, numbered in id order.
The rows come sorted by (id, product) from :func:`umkm_alloc.inputs.load_inputs`, and the
arcs sorted by (producer row, store row) from
:func:`~umkm_alloc.allocate.candidates.arcs_table`, so the order the solvers see is
already canonical: any row order of the input files gives the same flows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from umkm_alloc.allocate.fair import FairSolution, fair_allocation, min_order_allocation
from umkm_alloc.allocate.fair_budget import budget_allocation
from umkm_alloc.allocate.fair_figures import umkm_index


@dataclass(frozen=True)
class FairRun:
    """What a fair mode solved, beside the flow it put on the arcs.

    Attributes
    ----------
    mode
        ``fair``, ``min_order`` or ``fairness_budget`` (see :mod:`umkm_alloc.objectives`).
    solution
        The solver's answer (exact fair shares, per-UMKM figures, budget details).
    umkm
        UMKM index of each producer row (its position in ``ids``).
    ids
        Producer id of each UMKM index, sorted.
    efficient_flow
        The efficient allocation on the eligible arcs (the yardstick of ``extra_km_pct``).
    """

    mode: str
    solution: FairSolution
    umkm: np.ndarray
    ids: np.ndarray
    efficient_flow: np.ndarray


def solve_fair(
    mode: str,
    *,
    producers: pd.DataFrame,
    stores: pd.DataFrame,
    arc_from: np.ndarray,
    arc_to: np.ndarray,
    arc_km: np.ndarray,
    efficient_flow: np.ndarray,
    min_order: int | None = None,
    fairness_budget: float | None = None,
) -> FairRun:
    """Solve one fair mode on the eligible arcs of a run.

    Parameters
    ----------
    mode
        ``fair``, ``min_order`` (with ``min_order``) or ``fairness_budget`` (with
        ``fairness_budget``, in percent).
    producers, stores
        Accepted rows (``id``, ``qty``), sorted by (id, product).
    arc_from, arc_to, arc_km
        The eligible arcs (producer row, store row, km), sorted by (producer row, store row).
    efficient_flow
        The efficient allocation of those arcs (:func:`~umkm_alloc.allocate.solve_allocation`).
    min_order, fairness_budget
        The parameter of the mode.

    Returns
    -------
    FairRun
    """
    umkm, ids = umkm_index(producers)
    args = (
        producers["qty"].to_numpy(dtype=np.int64),
        umkm,
        stores["qty"].to_numpy(dtype=np.int64),
        arc_from,
        arc_to,
        arc_km,
    )
    if mode == "fair":
        solution = fair_allocation(*args, efficient_flow=efficient_flow)
    elif mode == "min_order":
        if min_order is None:
            raise ValueError("mode 'min_order' needs min_order")
        solution = min_order_allocation(*args, min_order=min_order, efficient_flow=efficient_flow)
    elif mode == "fairness_budget":
        if fairness_budget is None:
            raise ValueError("mode 'fairness_budget' needs fairness_budget")
        solution = budget_allocation(
            *args, budget_pct=fairness_budget, efficient_flow=efficient_flow
        )
    else:
        raise ValueError(f"not a fair mode: {mode!r}")
    return FairRun(mode, solution, umkm, ids, np.asarray(efficient_flow, dtype=np.int64))
