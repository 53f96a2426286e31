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


#: One group of candidate pairs: producer rows, store rows, km, minutes (NaN where none).
Group = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


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
        ``(p, s, km, minutes)`` of a group; ``minutes`` NaN where the backend has none.
    """
    if backend.straight_line_factor is not None:
        yield from _straight_groups(producers, stores, backend, judge.reach_km, jobs=jobs)
    else:
        yield _site_arcs(producers, stores, backend, judge.reach_km, judge.max_minutes)


def arcs_table(
    groups: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
) -> tuple[pd.DataFrame, np.ndarray]:
    """Return the table of judged groups ``(p, s, km, minutes, code)``, sorted by (p, s).

    The list is emptied and each group's arrays are dropped as they are copied (the 1M
    scenario has 21 million pairs: every extra column is 170 MB).

    Returns
    -------
    table, order
        :data:`ARC_COLUMNS`, and where each row comes from in the groups' concatenation.
    """
    parts = [list(g) for g in groups]
    groups.clear()
    if not parts:
        empty = {k: np.zeros(0, t) for k, t in ARC_COLUMNS.items()}
        return pd.DataFrame(empty), np.zeros(0, np.int64)
    p = _concatenate(parts, 0)
    s = _concatenate(parts, 1)
    n_s = int(s.max()) + 1 if len(s) else 1
    order = np.argsort(p * n_s + s, kind="stable")  # merges the groups' sorted runs
    data = {"p": p[order], "s": s[order]}
    del p, s
    for k, name in enumerate(("km", "minutes", "code"), start=2):
        data[name] = _concatenate(parts, k)[order]
    # copy=False: each column stays its own block (no copy into a 2-D block of each dtype)
    table = pd.DataFrame(
        {k: np.asarray(data[k], dtype=t) for k, t in ARC_COLUMNS.items()}, copy=False
    )
    return table, order


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
        return p, s, pairs.km, np.full(len(p), np.nan)

    size = [len(pi) * len(si) for pi, si in groups]
    order = sorted(range(len(groups)), key=lambda i: (-size[i], i))
    yield from parallel.thread_imap(search, [groups[i] for i in order], jobs=jobs)


def _concatenate(parts: list[list[np.ndarray]], k: int) -> np.ndarray:
    """Concatenate column ``k`` of every part, dropping each part's piece as it goes."""
    out = np.concatenate([part[k] for part in parts])
    for part in parts:
        part[k] = part[k][:0]
    return out


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
