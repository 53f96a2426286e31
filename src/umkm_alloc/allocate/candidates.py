"""Candidate pairs: same-product producer-store pairs within reach, each with its rule code."""

from __future__ import annotations

import numpy as np
import pandas as pd

from umkm_alloc import parallel
from umkm_alloc.distance import DistanceBackend, Points
from umkm_alloc.rules.judge import Judge

#: The columns of the candidate pairs ("arcs") and their types.
ARC_COLUMNS = {"p": np.int64, "s": np.int64, "km": float, "minutes": float, "code": np.int8}


def find_candidates(
    producers: pd.DataFrame,
    stores: pd.DataFrame,
    backend: DistanceBackend,
    judge: Judge,
    *,
    jobs: int | None = 1,
) -> pd.DataFrame:
    """Same-product pairs within the largest limit, each with its rule code (0 = eligible).

    The backend's search uses the largest distance limit of any category
    (:attr:`Judge.reach_km`) and ``--max-minutes``; each pair is then judged by
    :meth:`Judge.codes` (its category's limit and the time, chain, forbid, zones). With a
    straight-line backend the products are searched in threads (``jobs``; the KD-tree and
    numpy work runs without the interpreter lock); the pairs do not depend on ``jobs``.

    Parameters
    ----------
    producers, stores
        Accepted rows (positions are the pairs' ``p`` and ``s``).
    backend
        The distance backend.
    judge
        The run's judge.
    jobs
        Threads at most (``None``: one per core).

    Returns
    -------
    pandas.DataFrame
        :data:`ARC_COLUMNS`, sorted by (p, s); ``minutes`` NaN where the backend has none.
    """
    p_rows = producers[producers["qty"] > 0]
    s_rows = stores[stores["qty"] > 0]
    p_rows = p_rows[p_rows["product_key"].isin(set(s_rows["product_key"]))]
    s_rows = s_rows[s_rows["product_key"].isin(set(p_rows["product_key"]))]
    if p_rows.empty or s_rows.empty:
        return pd.DataFrame({k: pd.Series(dtype=v) for k, v in ARC_COLUMNS.items()})
    if backend.straight_line_factor is not None:
        arcs = _straight_arcs(p_rows, s_rows, backend, judge.reach_km, jobs=jobs)
    else:
        arcs = _site_arcs(p_rows, s_rows, backend, judge.reach_km, judge.max_minutes)
        arcs = arcs.sort_values(["p", "s"], kind="stable").reset_index(drop=True)
    arcs["code"] = judge.codes(
        arcs["p"].to_numpy(), arcs["s"].to_numpy(), km=arcs["km"], minutes=arcs["minutes"]
    )
    return arcs[list(ARC_COLUMNS)].astype(ARC_COLUMNS)


def _straight_arcs(
    p_rows: pd.DataFrame,
    s_rows: pd.DataFrame,
    backend: DistanceBackend,
    reach: float,
    *,
    jobs: int | None,
) -> pd.DataFrame:
    """Same-product pairs within ``reach``, one spatial query per product, sorted by (p, s).

    Straight-line distance is cheap, so querying each product's rows directly beats
    finding pairs of all points and joining the products afterwards. The products are
    searched in threads, largest first; each one's pairs come sorted by (p, s), so the
    final sort merges sorted runs.
    """
    stores_by_key = dict(list(s_rows.groupby("product_key", sort=True)))
    groups = [(pg, stores_by_key[key]) for key, pg in p_rows.groupby("product_key", sort=True)]

    def search(group: tuple[pd.DataFrame, pd.DataFrame]) -> tuple[np.ndarray, ...]:
        pg, sg = group
        pairs = backend.pairs_within(Points.of(pg, backend), Points.of(sg, backend), max_km=reach)
        return pg.index.to_numpy()[pairs.left], sg.index.to_numpy()[pairs.right], pairs.km

    size = [len(pg) * len(sg) for pg, sg in groups]
    order = sorted(range(len(groups)), key=lambda i: (-size[i], i))
    parts: list[tuple[np.ndarray, ...]] = [()] * len(groups)
    found = parallel.thread_map(search, [groups[i] for i in order], jobs=jobs)
    for i, got in zip(order, found, strict=True):
        parts[i] = got
    p, s, km = (np.concatenate([part[k] for part in parts]) for k in range(3))
    key = p * (int(s_rows.index.max()) + 1) + s
    first = np.argsort(key, kind="stable")
    return pd.DataFrame({"p": p[first], "s": s[first], "km": km[first], "minutes": np.nan})


def _site_arcs(
    p_rows: pd.DataFrame,
    s_rows: pd.DataFrame,
    backend: DistanceBackend,
    reach: float,
    max_minutes: float | None,
) -> pd.DataFrame:
    """Pairs of distinct points (one road search per point), joined to same-product rows."""
    p_site, p_points = Points.of(p_rows, backend).distinct()
    s_site, s_points = Points.of(s_rows, backend).distinct()
    pairs = backend.pairs_within(p_points, s_points, max_km=reach, max_minutes=max_minutes)
    minutes = np.full(len(pairs.km), np.nan) if pairs.minutes is None else pairs.minutes
    site_pairs = pd.DataFrame(
        {"ps": pairs.left, "ss": pairs.right, "km": pairs.km, "minutes": minutes}
    )
    left = pd.DataFrame(
        {"p": p_rows.index.to_numpy(), "ps": p_site, "key": p_rows["product_key"].to_numpy()}
    )
    right = pd.DataFrame(
        {"s": s_rows.index.to_numpy(), "ss": s_site, "key": s_rows["product_key"].to_numpy()}
    )
    return site_pairs.merge(left, on="ps").merge(right, on=["ss", "key"])
