"""The nearest row of a far row: the dense search and the tree search find the same pairs."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from umkm_alloc.allocate import reasons
from umkm_alloc.distance import Points


@st.composite
def point_sets(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    n, m = draw(st.integers(1, 30)), draw(st.integers(1, 60))
    rng = np.random.default_rng(seed)
    # Indonesia's latitudes, and a few points on top of each other (ties of distance)
    lon0, lat0 = draw(st.floats(95, 140)), draw(st.floats(-11, 6))
    spread = draw(st.sampled_from([0.01, 0.3, 3.0]))

    def points(k):
        lon = lon0 + rng.uniform(-spread, spread, k).round(4)
        lat = lat0 + rng.uniform(-spread, spread, k).round(4)
        return Points(lon, lat)

    return points(n), points(m)


def _sorted(pairs):
    return sorted(zip(*(np.asarray(a).tolist() for a in pairs), strict=True))


@settings(max_examples=200, deadline=None)
@given(point_sets())
def test_dense_and_tree_searches_find_the_same_pairs_around_the_geodesic_nearest(sets):
    rows, others = sets
    dense = reasons._within_nearest(rows, others)
    tree_limit, reasons._DENSE_PAIRS = reasons._DENSE_PAIRS, 0
    try:
        tree = reasons._within_nearest(rows, others)
    finally:
        reasons._DENSE_PAIRS = tree_limit
    assert _sorted(dense) == _sorted(tree)
    # every row's geodesic nearest other is among its pairs
    gi, ci = dense
    for i in range(len(rows.lon)):
        km = rows.take(np.full(len(others.lon), i)).geodesic_km(others)
        nearest = set(np.flatnonzero(km == km.min()).tolist())
        assert nearest & set(ci[gi == i].tolist())
