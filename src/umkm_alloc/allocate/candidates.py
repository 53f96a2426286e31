"""Candidate pairs: same-product producer-store pairs within reach, each with its rule code."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from umkm_alloc import parallel
from umkm_alloc.distance import DistanceBackend, Points
from umkm_alloc.rules.judge import Judge

#: The columns of the candidate pairs ("arcs") and their types.
ARC_COLUMNS = {"p": np.int64, "s": np.int64, "km": float, "minutes": float, "code": np.int8}


#: One group of candidate pairs: producer rows, store rows, km, minutes (``None``: none).
Group = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]


def candidate_groups(
    producers: pd.DataFrame,
    stores: pd.DataFrame,
    backend: DistanceBackend,
    judge: Judge,
    *,
    jobs: int | None = 1,
) -> Iterator[Group]:
    """Same-product pairs within the largest limit, a group at a time as they are found.

    The backend's search uses the largest distance limit of any category
    (:attr:`Judge.reach_km`) and ``--max-minutes``; the caller judges each pair with
    :meth:`Judge.codes` (its category's limit and the time, chain, forbid, zones) and makes
    the table of the judged groups with :func:`arcs_table`. With a straight-line backend a
    group is one product, searched in threads (``jobs``; the spatial index and the numpy
    work release the interpreter lock), the largest first; two groups never share a
    producer or store row, each is sorted by (p, s), and the pairs do not depend on
    ``jobs``. Other backends give one group.

    Parameters
    ----------
    producers, stores
        Accepted rows (positions are the pairs' ``p`` and ``s``).
    backend
        The distance backend.
    judge
        The run's judge (its reach and time limit).
    jobs
        Threads at most (``None``: one per core).

    Yields
    ------
    tuple
        ``(p, s, km, minutes)`` of a group; ``minutes`` ``None`` (straight-line backends) or
        NaN where the backend has none.
    """
    if backend.straight_line_factor is not None:
        yield from _straight_groups(producers, stores, backend, judge.reach_km, jobs=jobs)
    else:
        yield _site_arcs(producers, stores, backend, judge.reach_km, judge.max_minutes)


def arcs_table(groups: list[list[np.ndarray | None]]) -> pd.DataFrame:
    """Return the table of the judged groups ``[p, s, km, minutes, code, flow]``, by (p, s).

    Each group is sorted by (p, s), and a producer row has pairs in one group at most (a
    product's, or the only group), so each group's rows go straight to their place in the
    table (after the rows of every smaller producer row): no sort, no permutation kept. The
    list is emptied and each group's arrays are dropped as they are placed (the 1M scenario
    has 21 million pairs: every extra column is 170 MB). ``minutes`` may be ``None``: NaN.

    Returns
    -------
    pandas.DataFrame
        :data:`ARC_COLUMNS` and ``flow`` (int64), sorted by (p, s).
    """
    parts = list(groups)
    groups.clear()
    columns = {**ARC_COLUMNS, "flow": np.int64}
    n = sum(len(g[0]) for g in parts)
    where = _places(parts)
    data = {}
    for k, (name, kind) in enumerate(columns.items()):
        out = np.full(n, np.nan) if name == "minutes" else np.empty(n, dtype=kind)
        for g, at in zip(parts, where, strict=True):
            if g[k] is not None:
                out[at] = g[k]
            g[k] = None  # placed: dropped
        data[name] = out
    # copy=False: each column stays its own block (no copy into a 2-D block of each dtype)
    return pd.DataFrame(data, copy=False)


def _places(parts: list[list[np.ndarray | None]]) -> list[np.ndarray]:
    """Each group's row positions in the table sorted by (p, s) (see :func:`arcs_table`)."""
    n_p = max((int(g[0][-1]) + 1 for g in parts if len(g[0])), default=0)
    count = np.zeros(n_p, dtype=np.int64)
    for g in parts:
        p = g[0]
        if np.any(p[1:] < p[:-1]) or np.any(count[p]):
            raise ValueError("candidate groups must be sorted and share no producer row")
        count += np.bincount(p, minlength=n_p)
    start = np.cumsum(count) - count  # first row of each producer row's pairs
    where = []
    for g in parts:
        p = g[0]
        first = np.flatnonzero(np.r_[True, p[1:] != p[:-1]]) if len(p) else p
        rank = np.arange(len(p)) - np.repeat(first, np.diff(np.r_[first, len(p)]))
        where.append(start[p] + rank)
    return where


def _groups(producers: pd.DataFrame, stores: pd.DataFrame) -> list[tuple[np.ndarray, np.ndarray]]:
    """Positions of the rows with quantity of each product that both sides have, by product."""
    p_key = producers["product_key"].to_numpy()
    s_key = stores["product_key"].to_numpy()
    codes, _ = pd.factorize(np.concatenate([p_key, s_key]), sort=True)
    p_code, s_code = codes[: len(p_key)], codes[len(p_key) :]
    p_code = np.where(producers["qty"].to_numpy() > 0, p_code, -1)
    s_code = np.where(stores["qty"].to_numpy() > 0, s_code, -1)
    p_order = np.argsort(p_code, kind="stable")
    s_order = np.argsort(s_code, kind="stable")
    n = int(codes.max()) + 1 if len(codes) else 0
    p_start = np.searchsorted(p_code[p_order], np.arange(n + 1))
    s_start = np.searchsorted(s_code[s_order], np.arange(n + 1))
    return [
        (p_order[p_start[k] : p_start[k + 1]], s_order[s_start[k] : s_start[k + 1]])
        for k in range(n)
        if p_start[k + 1] > p_start[k] and s_start[k + 1] > s_start[k]
    ]


def _straight_groups(
    producers: pd.DataFrame,
    stores: pd.DataFrame,
    backend: DistanceBackend,
    reach: float,
    *,
    jobs: int | None,
) -> Iterator[Group]:
    """Same-product pairs within ``reach``, one spatial query per product, largest first.

    Straight-line distance is cheap, so querying each product's rows directly beats
    finding pairs of all points and joining the products afterwards. The products are
    searched in threads; each one's pairs come sorted by (p, s) and are yielded as soon as
    they (and those of every larger product) are found.
    """
    groups = _groups(producers, stores)
    p_lon, p_lat = producers["lon"].to_numpy(float), producers["lat"].to_numpy(float)
    s_lon, s_lat = stores["lon"].to_numpy(float), stores["lat"].to_numpy(float)
    p_index, s_index = producers.index.to_numpy(), stores.index.to_numpy()

    def search(group: tuple[np.ndarray, np.ndarray]) -> Group:
        pi, si = group
        pairs = backend.pairs_within(
            Points(p_lon[pi], p_lat[pi]), Points(s_lon[si], s_lat[si]), max_km=reach
        )
        p, s = p_index[pi[pairs.left]], s_index[si[pairs.right]]
        return p, s, pairs.km, None

    size = [len(pi) * len(si) for pi, si in groups]
    order = sorted(range(len(groups)), key=lambda i: (-size[i], i))
    yield from parallel.thread_imap(search, [groups[i] for i in order], jobs=jobs)


def _site_arcs(
    producers: pd.DataFrame,
    stores: pd.DataFrame,
    backend: DistanceBackend,
    reach: float,
    max_minutes: float | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of distinct points (one road search per point), joined to same-product rows."""
    p_rows = producers[producers["qty"] > 0]
    s_rows = stores[stores["qty"] > 0]
    p_rows = p_rows[p_rows["product_key"].isin(set(s_rows["product_key"]))]
    s_rows = s_rows[s_rows["product_key"].isin(set(p_rows["product_key"]))]
    if p_rows.empty or s_rows.empty:
        none = np.zeros(0, np.int64)
        return none, none.copy(), np.zeros(0), np.zeros(0)
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
    arcs = site_pairs.merge(left, on="ps").merge(right, on=["ss", "key"])
    arcs = arcs.sort_values(["p", "s"], kind="stable")
    return (
        arcs["p"].to_numpy(),
        arcs["s"].to_numpy(),
        arcs["km"].to_numpy(float),
        arcs["minutes"].to_numpy(float),
    )
