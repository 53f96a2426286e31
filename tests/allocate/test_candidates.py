"""The table of candidate pairs: groups placed by (p, s) without a sort, nothing lost."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from umkm_alloc.allocate.candidates import ARC_COLUMNS, arcs_table


@st.composite
def grouped_pairs(draw: st.DrawFn):
    """Pairs of producer rows split into groups that share no producer row (as products)."""
    n_p, n_s = draw(st.integers(1, 30)), draw(st.integers(1, 30))
    n_groups = draw(st.integers(1, 4))
    owner = np.asarray(draw(st.lists(st.integers(0, n_groups - 1), min_size=n_p, max_size=n_p)))
    pairs = sorted(draw(st.sets(st.tuples(st.integers(0, n_p - 1), st.integers(0, n_s - 1)))))
    groups = []
    for g in range(n_groups):
        mine = np.array([(p, s) for p, s in pairs if owner[p] == g], dtype=np.int64)
        mine = mine.reshape(-1, 2)
        k = len(mine)
        with_minutes = draw(st.booleans())
        groups.append(
            [
                mine[:, 0],
                mine[:, 1],
                np.arange(k) + 100.0 * g,  # km: identifies the pair's group and place
                np.arange(k) * 2.0 if with_minutes else None,
                (np.arange(k) % 3).astype(np.int8),
                np.arange(k, dtype=np.int64) * 10,
            ]
        )
    return groups


@settings(max_examples=200, deadline=None)
@given(grouped_pairs())
def test_the_table_is_the_groups_sorted_by_producer_and_store(groups) -> None:
    rows = []
    for g in groups:
        minutes = g[3] if g[3] is not None else np.full(len(g[0]), np.nan)
        rows += list(zip(g[0], g[1], g[2], minutes, g[4], g[5], strict=True))
    want = sorted(rows, key=lambda r: (r[0], r[1]))
    n = len(rows)
    table = arcs_table(groups)
    assert groups == []  # handed over
    assert list(table.columns) == [*ARC_COLUMNS, "flow"]
    assert len(table) == n
    got = list(table.itertuples(index=False, name=None))
    np.testing.assert_array_equal(np.array(got, dtype=float), np.array(want, dtype=float))
    kinds = ["int64", "int64", "float64", "float64", "int8", "int64"]
    assert [str(t) for t in table.dtypes] == kinds


def test_groups_sharing_a_producer_row_are_refused() -> None:
    def group(p: list[int]) -> list:
        p_ = np.array(p, dtype=np.int64)
        return [p_, p_, p_ * 1.0, None, np.zeros(len(p), np.int8), np.zeros(len(p), np.int64)]

    with pytest.raises(ValueError, match="share no producer row"):
        arcs_table([group([0, 1]), group([1, 2])])
    with pytest.raises(ValueError, match="sorted"):
        arcs_table([group([2, 1])])
    assert len(arcs_table([])) == 0
