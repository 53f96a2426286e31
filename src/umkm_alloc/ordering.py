"""Sorting tables by text columns through integer ranks: one hash per column, no string sorts."""

from __future__ import annotations

import numpy as np
import pandas as pd


def id_ranks(ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Return each row's rank among the distinct texts in sort order, and those texts.

    Accepted rows are sorted by id, so their ranks are read off in one pass; any other order
    is factorised (one hash per row, a sort of the distinct texts only).

    Parameters
    ----------
    ids
        One text per row (anything else is turned into text).

    Returns
    -------
    ranks, names
        ``int64`` rank of every row; the distinct texts, sorted (``names[ranks]`` is the
        column as text).
    """
    values = ids.to_numpy(dtype=object)
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64), values
    if pd.api.types.infer_dtype(values, skipna=False) != "string":
        values = np.array([str(v) for v in values], dtype=object)
    if pd.Index(values, dtype=object).is_monotonic_increasing:
        new = np.empty(len(values), dtype=bool)
        new[0] = True
        np.not_equal(values[1:], values[:-1], out=new[1:])
        return np.cumsum(new, dtype=np.int64) - 1, values[new]
    ranks, names = pd.factorize(values, sort=True)
    return ranks.astype(np.int64), np.asarray(names, dtype=object)


def text_order(*keys: np.ndarray) -> np.ndarray:
    """Return the stable order of rows by text keys, most significant first.

    Parameters
    ----------
    keys
        ``object`` arrays of ``str``, one per key, of one length.

    Returns
    -------
    numpy.ndarray
        Row positions, as a stable sort by the keys (Python's text order) would give them.
    """
    ranks = [id_ranks(pd.Series(k, dtype=object, copy=False))[0] for k in keys]
    return np.lexsort(ranks[::-1]) if ranks else np.zeros(0, dtype=np.int64)


def sort_rows(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Return ``table.sort_values(columns, kind="stable")`` with a fresh index.

    Text columns (every cell a ``str``) are sorted by their ranks (:func:`id_ranks`) and
    integer columns by value, in one stable ``lexsort``; any other column falls back to
    pandas' own sort.

    Parameters
    ----------
    table
        The table.
    columns
        The sort keys, most significant first.

    Returns
    -------
    pandas.DataFrame
    """
    keys = []
    for col in columns:
        series = table[col]
        if pd.api.types.is_integer_dtype(series.dtype):
            keys.append(series.to_numpy())
            continue
        values = series.to_numpy(dtype=object)
        if len(values) and pd.api.types.infer_dtype(values, skipna=False) != "string":
            return table.sort_values(columns, kind="stable").reset_index(drop=True)
        keys.append(id_ranks(series)[0])
    order = np.lexsort(keys[::-1]) if keys else np.arange(len(table))
    return table.take(order).reset_index(drop=True)
