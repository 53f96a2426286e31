"""The closed-form geodesic and the KD-tree search against pyproj's exact ``Geod``.

Reference: pyproj ``Geod.inv`` (GeographicLib, accurate to 15 nm). Pairs are drawn in
Indonesia's latitudes (and, for the formula, far beyond), up to 100 km apart; the closed form
must stay within a micrometre there, and the pairs found within a bound must be exactly the
pairs pyproj puts within it, whichever spatial index proposed them.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod

from umkm_alloc.distance import GeodesicBackend, Points, ellipsoid, straight_pairs_within

GEOD = Geod(ellps="WGS84")
#: Indonesia, with a margin: (lon_min, lon_max, lat_min, lat_max).
INDONESIA = (94.0, 142.0, -12.0, 7.0)


def exact_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2], dtype=float) / 1000.0


@st.composite
def pairs(draw: st.DrawFn, lat_range=(INDONESIA[2], INDONESIA[3]), max_m: float = 100_000.0):
    """Pairs of points: a start, an azimuth and a distance (pyproj's forward problem)."""
    n = draw(st.integers(1, 40))
    lon = draw(st.lists(st.floats(INDONESIA[0], INDONESIA[1]), min_size=n, max_size=n))
    lat = draw(st.lists(st.floats(*lat_range), min_size=n, max_size=n))
    az = draw(st.lists(st.floats(0.0, 360.0), min_size=n, max_size=n))
    dist = draw(st.lists(st.floats(0.0, max_m), min_size=n, max_size=n))
    lon2, lat2, _ = GEOD.fwd(lon, lat, az, dist)
    return np.asarray(lon), np.asarray(lat), np.asarray(lon2), np.asarray(lat2)


@settings(max_examples=300, deadline=None)
@given(pairs())
def test_closed_form_within_a_micrometre_up_to_100_km(p) -> None:
    lon1, lat1, lon2, lat2 = p
    got = ellipsoid.geodesic_km(lon1, lat1, lon2, lat2)
    want = exact_km(lon1, lat1, lon2, lat2)
    assert np.abs(got - want).max() <= 1e-9  # km: a micrometre
    assert (got >= 0).all()


@settings(max_examples=200, deadline=None)
@given(pairs(max_m=30_000.0))
def test_closed_form_within_ten_nanometres_up_to_30_km(p) -> None:
    lon1, lat1, lon2, lat2 = p
    got = ellipsoid.geodesic_km(lon1, lat1, lon2, lat2)
    assert np.abs(got - exact_km(lon1, lat1, lon2, lat2)).max() <= 1e-11


@settings(max_examples=100, deadline=None)
@given(pairs(lat_range=(-80.0, 80.0), max_m=100_000.0))
def test_closed_form_holds_at_any_latitude(p) -> None:
    lon1, lat1, lon2, lat2 = p
    got = ellipsoid.geodesic_km(lon1, lat1, lon2, lat2)
    assert np.abs(got - exact_km(lon1, lat1, lon2, lat2)).max() <= 2e-9


def test_far_pairs_are_pyprojs_own() -> None:
    lon1, lat1 = np.array([95.0, 106.0, 120.0]), np.array([5.0, -6.0, 0.0])
    lon2, lat2 = np.array([140.0, 106.0, 121.0]), np.array([-10.0, -7.5, 0.5])
    got = ellipsoid.geodesic_km(lon1, lat1, lon2, lat2)
    assert got.tolist() == exact_km(lon1, lat1, lon2, lat2).tolist()  # all beyond 100 km


def test_zero_and_empty() -> None:
    assert ellipsoid.geodesic_km([106.1], [-6.2], [106.1], [-6.2]).tolist() == [0.0]
    assert len(ellipsoid.geodesic_km([], [], [], [])) == 0
    left, right, km = ellipsoid.pairs_within_km([], [], [106.0], [-6.0], 10.0)
    assert len(left) == len(right) == len(km) == 0


@st.composite
def point_sets(draw: st.DrawFn):
    """Two point sets in a box of Indonesia, sometimes dense, sometimes sparse."""
    size = draw(st.sampled_from([0.05, 0.2, 1.0]))
    x0 = draw(st.floats(INDONESIA[0], INDONESIA[1] - size))
    y0 = draw(st.floats(INDONESIA[2], INDONESIA[3] - size))

    def points(n: int) -> tuple[np.ndarray, np.ndarray]:
        lon = draw(st.lists(st.floats(x0, x0 + size), min_size=n, max_size=n))
        lat = draw(st.lists(st.floats(y0, y0 + size), min_size=n, max_size=n))
        return np.round(lon, 6), np.round(lat, 6)

    return points(draw(st.integers(1, 30))), points(draw(st.integers(1, 30)))


@pytest.mark.parametrize("index", ["kd-tree", "strtree"])
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sets=point_sets(), radius=st.floats(0.05, 60.0))
def test_pairs_within_are_pyprojs_pairs(sets, radius: float, index: str, monkeypatch) -> None:
    monkeypatch.setattr(ellipsoid, "KD_TREE_POINTS", 0 if index == "kd-tree" else 10**9)
    (lon1, lat1), (lon2, lat2) = sets
    left, right, km = ellipsoid.pairs_within_km(lon1, lat1, lon2, lat2, radius)
    got = list(zip(left.tolist(), right.tolist(), strict=True))
    assert got == sorted(got)
    i, j = np.repeat(np.arange(len(lon1)), len(lon2)), np.tile(np.arange(len(lon2)), len(lon1))
    exact = exact_km(lon1[i], lat1[i], lon2[j], lat2[j])
    ij = list(zip(i.tolist(), j.tolist(), strict=True))
    want = {pair for pair, d in zip(ij, exact.tolist(), strict=True) if d <= radius}
    inside = {pair for pair, d in zip(got, km.tolist(), strict=True) if d <= radius}
    assert inside == want  # beyond the radius only pairs within ERROR_M, pyproj-measured
    assert all(d <= radius + ellipsoid.ERROR_M / 1000 for d in km.tolist())
    by_pair = dict(zip(ij, exact.tolist(), strict=True))
    assert all(abs(d - by_pair[p]) <= 1e-9 for p, d in zip(got, km.tolist(), strict=True))


@pytest.mark.parametrize("index", ["kd-tree", "strtree"])
@pytest.mark.parametrize("azimuth", [0.0, 37.0, 90.0, 181.0, 270.0])
def test_a_pair_exactly_at_the_bound_is_decided_by_pyproj(index: str, azimuth, monkeypatch) -> None:
    monkeypatch.setattr(ellipsoid, "KD_TREE_POINTS", 0 if index == "kd-tree" else 10**9)
    lon2, lat2, _ = GEOD.fwd([106.3], [-6.4], [azimuth], [14_285.714])
    radius = float(exact_km([106.3], [-6.4], lon2, lat2)[0])
    for bound, count in ((radius, 1), (np.nextafter(radius, 0.0), 0)):
        _, _, km = ellipsoid.pairs_within_km([106.3], [-6.4], lon2, lat2, bound)
        assert int((km <= bound).sum()) == count
        assert km.tolist() == [radius]  # measured by pyproj, since it is so near the bound


def test_kd_tree_batches_give_the_same_pairs(monkeypatch) -> None:
    rng = np.random.default_rng(5)
    lon1, lat1 = rng.uniform(106.0, 106.5, 500), rng.uniform(-6.5, -6.0, 500)
    lon2, lat2 = rng.uniform(106.0, 106.5, 300), rng.uniform(-6.5, -6.0, 300)
    monkeypatch.setattr(ellipsoid, "KD_TREE_POINTS", 0)
    whole = ellipsoid.pairs_within_km(lon1, lat1, lon2, lat2, 8.0)
    monkeypatch.setattr(ellipsoid, "_QUERY_BATCH", 37)
    batched = ellipsoid.pairs_within_km(lon1, lat1, lon2, lat2, 8.0)
    for a, b in zip(whole, batched, strict=True):
        assert a.tolist() == b.tolist()
    monkeypatch.setattr(ellipsoid, "KD_TREE_POINTS", 10**9)
    strtree = ellipsoid.pairs_within_km(lon1, lat1, lon2, lat2, 8.0)
    for a, b in zip(whole, strtree, strict=True):
        assert a.tolist() == b.tolist()  # the same km, whichever index proposed the pair


def test_backends_and_helpers_measure_alike() -> None:
    rng = np.random.default_rng(11)
    p = Points(rng.uniform(105.5, 106.5, 400), rng.uniform(-6.8, -5.9, 400))
    s = Points(rng.uniform(105.5, 106.5, 300), rng.uniform(-6.8, -5.9, 300))
    backend = GeodesicBackend(circuity=1.4)
    pairs = backend.pairs_within(p, s, max_km=20.0)
    travel = backend.distance_km(p.take(pairs.left), s.take(pairs.right))
    assert np.abs(travel - pairs.km).max() <= 1e-11
    left, right, km = straight_pairs_within(p, s, 20.0 / 1.4)
    assert left.tolist() == pairs.left.tolist() and right.tolist() == pairs.right.tolist()
    assert np.abs(km * 1.4 - pairs.km).max() <= 1e-11
    with pytest.raises(ValueError, match="radius_km"):
        ellipsoid.pairs_within_km([106.0], [-6.0], [106.0], [-6.0], 150.0)
