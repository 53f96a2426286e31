"""``explain`` in the fair modes: why a UMKM did not get more units.

Every producer in an ``explain`` table gets its share, its exact fair share, and the reason
it got no more (from :class:`~umkm_alloc.allocate.fair_figures.Residual`), one of
:data:`WHY_KINDS`: no capacity, no store in reach, all its capacity used, every store it could
still supply full (and only it supplies them), or a unit more would have to come from another
UMKM along a chain of full stores, and the best-off of those (named, with its share) is no
better off (``lower_share``), better off only by the rounding to whole units (``rounding``,
``fair`` only) or better off, but the mode's unit-km decided (``unit_km``, ``--min-order`` and
``--fairness-budget``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from umkm_alloc.allocate.fair_figures import Limit, Residual
from umkm_alloc.allocate.fair_run import FairRun
from umkm_alloc.allocate.pipeline import Result
from umkm_alloc.rules.model import ELIGIBLE

#: Columns ``explain`` adds in a fair mode (the same values on every row of one producer).
WHY_COLUMNS = [
    "umkm_share",
    "fair_share",
    "why_not_more",
    "why_not_more_text",
    "blocker_id",
    "blocker_share",
]
_SHOW_STORES = 3
#: Values of ``why_not_more``.
WHY_KINDS = (
    "no_capacity",
    "no_store_in_reach",
    "full_capacity",
    "stores_full",
    "lower_share",
    "rounding",
    "unit_km",
)


def add_limits(result: Result, table: pd.DataFrame) -> pd.DataFrame:
    """Return an ``explain`` table with :data:`WHY_COLUMNS` for each row's producer.

    Parameters
    ----------
    result
        A run in a fair mode (``result.fair`` is set).
    table
        The ``explain`` table (``producer_id`` per row).
    """
    limits = producer_limits(result, sorted(set(table["producer_id"])))
    joined = limits.reindex(table["producer_id"].to_numpy()).reset_index(drop=True)
    return pd.concat([table.reset_index(drop=True), joined[WHY_COLUMNS]], axis=1)


def producer_limits(result: Result, producer_ids: list[str]) -> pd.DataFrame:
    """Why each of these producers (UMKM) did not get more, indexed by producer id.

    Parameters
    ----------
    result
        A run in a fair mode.
    producer_ids
        Accepted producer ids.

    Returns
    -------
    pandas.DataFrame
        :data:`WHY_COLUMNS`: ``why_not_more`` is one of :data:`WHY_KINDS`,
        ``why_not_more_text`` the reason in words; shares are allocated / capacity
        (``fair_share``: the exact fair share of ``--objective fair``).
    """
    run = result.fair
    if run is None:
        raise ValueError("producer_limits needs a run in a fair mode (result.fair)")
    arcs = result.arcs[result.arcs["code"].to_numpy() == ELIGIBLE]
    residual = Residual(
        supply=result.producers["qty"].to_numpy(),
        umkm=run.umkm,
        demand=result.stores["qty"].to_numpy(),
        arc_from=arcs["p"].to_numpy(),
        arc_to=arcs["s"].to_numpy(),
        flow=arcs["flow"].to_numpy(),
    )
    fair_share = run.solution.fair_share
    index = {str(ident): u for u, ident in enumerate(run.ids)}
    records = []
    for ident in producer_ids:
        u = index[ident]
        limit = residual.limit(u)
        blocker = None if limit.blocker is None else str(run.ids[limit.blocker])
        records.append(
            {
                "producer_id": ident,
                "umkm_share": limit.share,
                "fair_share": float(fair_share[u]),
                "why_not_more": _kind(limit, run.mode),
                "why_not_more_text": _text(result, run, u, limit, fair_share),
                "blocker_id": blocker,
                "blocker_share": limit.blocker_share,
            }
        )
    frame = pd.DataFrame(records, columns=["producer_id", *WHY_COLUMNS])
    return frame.set_index("producer_id")


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{100 * share:.1f}%"


def _stores(result: Result, rows: tuple[int, ...]) -> str:
    stores = result.stores
    named = [f"{stores['id'].iat[s]} ({stores['product'].iat[s]})" for s in rows]
    more = f" and {len(named) - _SHOW_STORES} more" if len(named) > _SHOW_STORES else ""
    return ", ".join(named[:_SHOW_STORES]) + more


def _kind(limit: Limit, mode: str) -> str:
    """Return the ``why_not_more`` kind of a :class:`Limit` in a mode."""
    if limit.kind != "stores_full" or limit.blocker is None:
        return limit.kind
    return "rounding" if mode == "fair" else "unit_km"


def _text(result: Result, run: FairRun, u: int, limit: Limit, fair_share: np.ndarray) -> str:
    """Return the reason of UMKM ``u``'s :class:`Limit` in words, for the run's mode."""
    if limit.kind == "no_capacity":
        return "it offers no capacity"
    if limit.kind == "no_store_in_reach":
        return (
            "no store ordering its products is in reach (distance and supply rules): no "
            "objective can give it orders"
        )
    if limit.kind == "full_capacity":
        return "all its capacity is allocated"
    full = f"every store it could still supply is full: {_stores(result, limit.stores)}"
    if limit.blocker is None:
        return f"{full}; only it supplies them"
    b, sb = str(run.ids[limit.blocker]), _pct(limit.blocker_share)
    more = f"{full}; a unit more would have to come from another UMKM, and the best-off of those"
    if limit.kind == "lower_share":
        return (
            f"{more}, {b} with share {sb}, has no more than its own {_pct(limit.share)}: "
            "giving it more would lower a share no higher than its own"
        )
    if run.mode == "fair":
        return (
            f"{more}, {b} with share {sb}, is better off only by the rounding to whole units: "
            f"its exact fair share is {_pct(float(fair_share[limit.blocker]))}, no higher than "
            f"this one's {_pct(float(fair_share[u]))}, and one unit less would "
            "put it below that (which UMKM of a level get the odd unit, the least unit-km "
            "decides)"
        )
    if run.mode == "min_order":
        n = int(run.solution.detail["min_order"])
        return (
            f"{more}, {b} with share {sb}, could, at more unit-km: --min-order {n} guarantees "
            f"each UMKM {n} units (or the floor of its fair share, when smaller), then the "
            "least unit-km decides"
        )
    pct = run.solution.detail["budget_pct"]
    return (
        f"{more}, {b} with share {sb}, could, but the search found no fairer allocation "
        f"within --fairness-budget {pct:g}% more unit-km (to its 1% tolerance)"
    )
