"""Tests of the geodesic distance backend against brute force with pyproj ``Geod``.

The backend pre-filters pairs with an STRtree in degree space; these tests check that the
pre-filter never drops a true pair (also far from the equator, where a degree of longitude
is short) and that the exact distances and the ordering are those of a plain all-pairs loop.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod

from umkm_alloc.distance import GeodesicBackend, Pairs, Points, geodesic_km

GEOD = Geod(ellps="WGS84")

#: (lon_min, lon_max, lat_min, lat_max)
BANTEN = (105.0, 106.8, -7.1, -5.8)
NORTH = (10.0, 14.0, 55.0, 60.0)


def brute_force(p_lon, p_lat, s_lon, s_lat, circuity, max_km) -> dict[tuple[int, int], float]:
    n_p, n_s = len(p_lon), len(s_lon)
    found = {}
    if n_p == 0 or n_s == 0:
        return found
    left = np.repeat(np.arange(n_p), n_s)
    right = np.tile(np.arange(n_s), n_p)
    _, _, metres = GEOD.inv(p_lon[left], p_lat[left], s_lon[right], s_lat[right])
    km = np.asarray(metres) / 1000.0 * circuity
    for i, j, d in zip(left, right, km, strict=True):
        if d <= max_km:
            found[(int(i), int(j))] = float(d)
    return found


def assert_matches_brute_force(pairs: Pairs, expected: dict[tuple[int, int], float]) -> None:
    assert len(pairs.left) == len(pairs.right) == len(pairs.km)
    got = list(zip(pairs.left.tolist(), pairs.right.tolist(), strict=True))
    assert got == sorted(got), "pairs not sorted by (left, right)"
    assert set(got) == set(expected)
    assert len(got) == len(set(got)), "duplicate pairs"
    for (i, j), km in zip(got, pairs.km.tolist(), strict=True):
        assert km == pytest.approx(expected[(i, j)], abs=1e-9, rel=0)


@st.composite
def point_sets(draw: st.DrawFn):
    lon0, lon1, lat0, lat1 = draw(st.sampled_from([BANTEN, NORTH]))
    # A sub-box of random size, so that some draws are dense (many pairs within reach)
    # and some sparse.
    frac = draw(st.sampled_from([0.02, 0.1, 0.3, 1.0]))
    w, h = (lon1 - lon0) * frac, (lat1 - lat0) * frac
    x0 = draw(st.floats(lon0, lon1 - w))
    y0 = draw(st.floats(lat0, lat1 - h))

    def points(n: int) -> tuple[np.ndarray, np.ndarray]:
        lon = draw(st.lists(st.floats(x0, x0 + w), min_size=n, max_size=n))
        lat = draw(st.lists(st.floats(y0, y0 + h), min_size=n, max_size=n))
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)

    return Points(*points(draw(st.integers(1, 20)))), Points(*points(draw(st.integers(1, 20))))


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    point_sets(),
    st.floats(0.5, 80.0, exclude_min=True),
    st.floats(1.0, 2.0),
)
def test_pairs_within_equals_brute_force(points, max_km: float, circuity: float) -> None:
    producers, stores = points
    pairs = GeodesicBackend(circuity=circuity).pairs_within(producers, stores, max_km=max_km)
    assert pairs.left.dtype.kind == "i" and pairs.right.dtype.kind == "i"
    expected = brute_force(producers.lon, producers.lat, stores.lon, stores.lat, circuity, max_km)
    assert_matches_brute_force(pairs, expected)


@pytest.mark.parametrize("lat", [-6.5, 0.0, 57.5, 70.0])
@pytest.mark.parametrize("azimuth", [0.0, 45.0, 90.0, 135.0, 180.0, 270.0, 300.0])
@pytest.mark.parametrize("circuity", [1.0, 1.4, 2.0])
def test_boundary_distance_is_included(lat: float, azimuth: float, circuity: float) -> None:
    producer = Points([106.0], [lat])
    lon2, lat2, _ = GEOD.fwd(producer.lon, producer.lat, [azimuth], [25_000.0])
    store = Points(lon2, lat2)
    backend = GeodesicBackend(circuity=circuity)
    # the bound is decided on the exact geodesic (pyproj measures the pairs near it)
    _, _, metres = GEOD.inv(producer.lon, producer.lat, store.lon, store.lat)
    max_km = float(metres[0]) / 1000.0 * circuity
    assert max_km == pytest.approx(float(backend.distance_km(producer, store)[0]), abs=1e-11)
    assert max_km == pytest.approx(25.0 * circuity, rel=1e-9)

    at = backend.pairs_within(producer, store, max_km=max_km)
    assert at.left.tolist() == [0] and at.right.tolist() == [0]
    assert at.km.tolist() == [max_km]

    below = backend.pairs_within(producer, store, max_km=np.nextafter(max_km, 0.0))
    assert len(below.left) == 0


def test_boundary_among_many_points() -> None:
    # Stores all round the producer, a hair inside, exactly at, and a hair outside max_km.
    n = 24
    azimuths = np.arange(n) * 15.0
    metres = 30_000.0 + np.resize([-1.0, -1e-3, 0.0, 1e-3, 1.0], n)
    p_lon, p_lat = np.full(n, 106.1), np.full(n, -6.2)
    lon2, lat2, _ = GEOD.fwd(p_lon, p_lat, azimuths, metres)
    producers, stores = Points(p_lon, p_lat), Points(lon2, lat2)
    backend = GeodesicBackend(circuity=1.4)
    km = backend.distance_km(producers, stores)
    max_km = float(km[2])  # the store at exactly 30 km (straight line)
    pairs = backend.pairs_within(producers.take(np.array([0])), stores, max_km=max_km)
    expected = [j for j in range(n) if km[j] <= max_km]
    assert pairs.right.tolist() == expected
    assert 2 in expected
    assert {j for j in range(n) if metres[j] < 30_000.0} <= set(expected)
    assert not {j for j in range(n) if metres[j] > 30_000.0} & set(expected)


@pytest.mark.parametrize(
    "n_p, n_s", [(0, 0), (0, 3), (3, 0)], ids=["both-empty", "no-producers", "no-stores"]
)
def test_empty_inputs_give_empty_pairs(n_p: int, n_s: int) -> None:
    rng = np.random.default_rng(0)
    p_lon, p_lat = rng.uniform(105, 106, n_p), rng.uniform(-7, -6, n_p)
    s_lon, s_lat = rng.uniform(105, 106, n_s), rng.uniform(-7, -6, n_s)
    pairs = GeodesicBackend().pairs_within(Points(p_lon, p_lat), Points(s_lon, s_lat), max_km=50.0)
    assert len(pairs.left) == len(pairs.right) == len(pairs.km) == 0


def test_geodesic_km_of_empty_input_is_empty() -> None:
    out = geodesic_km(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0))
    assert out.shape == (0,)


def test_no_pairs_within_reach() -> None:
    pairs = GeodesicBackend().pairs_within(
        Points([105.0], [-6.0]), Points([106.5], [-7.0]), max_km=10.0
    )
    assert len(pairs.left) == 0


def test_identical_points_have_zero_distance() -> None:
    lon = np.array([106.15, 105.9, 12.3])
    lat = np.array([-6.12, -6.8, 57.0])
    np.testing.assert_array_equal(geodesic_km(lon, lat, lon, lat), [0.0, 0.0, 0.0])
    pairs = GeodesicBackend(circuity=1.4).pairs_within(
        Points(lon, lat), Points(lon, lat), max_km=1.0
    )
    assert pairs.left.tolist() == [0, 1, 2]
    assert pairs.right.tolist() == [0, 1, 2]
    assert pairs.km.tolist() == [0.0, 0.0, 0.0]


def test_geodesic_km_matches_pyproj() -> None:
    lon1, lat1 = np.array([106.15, 105.25, 12.0]), np.array([-6.12, -6.9, 55.5])
    lon2, lat2 = np.array([106.65, 106.8, 13.5]), np.array([-6.30, -5.8, 59.9])
    _, _, metres = Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)
    np.testing.assert_allclose(
        geodesic_km(lon1, lat1, lon2, lat2), np.asarray(metres) / 1000, rtol=0, atol=1e-9
    )


def test_geodesic_km_known_values() -> None:
    # One degree of longitude on the equator is a * pi / 180 with a = 6378137 m;
    # the WGS84 quarter meridian is 10001.965729 km.
    km = geodesic_km(np.array([0.0, 0.0]), np.array([0.0, 0.0]), np.array([1.0, 0.0]), [0, 90.0])
    assert km[0] == pytest.approx(6378.137 * np.pi / 180, abs=1e-9)
    assert km[1] == pytest.approx(10001.965729, abs=1e-6)


def test_geodesic_km_is_symmetric() -> None:
    rng = np.random.default_rng(7)
    lon1, lat1 = rng.uniform(105.0, 106.8, 50), rng.uniform(-7.1, -5.8, 50)
    lon2, lat2 = rng.uniform(105.0, 106.8, 50), rng.uniform(-7.1, -5.8, 50)
    np.testing.assert_allclose(
        geodesic_km(lon1, lat1, lon2, lat2), geodesic_km(lon2, lat2, lon1, lat1), atol=1e-9, rtol=0
    )


def test_circuity_scales_distance() -> None:
    p_lon, p_lat = np.array([106.0]), np.array([-6.0])
    s_lon, s_lat = np.array([106.1]), np.array([-6.1])
    base = geodesic_km(p_lon, p_lat, s_lon, s_lat)[0]
    pairs = GeodesicBackend(circuity=1.7).pairs_within(
        Points(p_lon, p_lat), Points(s_lon, s_lat), max_km=100.0
    )
    assert pairs.km[0] == pytest.approx(base * 1.7, rel=1e-12)


# ------------------------------------------------------------------------------ Points


def test_points_of_rows_carry_the_keys_the_backend_looks_up() -> None:
    rows = pd.DataFrame(
        {
            "id": ["P1", "P2"],
            "kecamatan_code": ["36.04.12", "36.04.30"],
            "lon": [106.2, 105.9],
            "lat": [-6.0, -6.1],
        }
    )

    class Keyed(GeodesicBackend):
        keyed_by = "kecamatan"

    plain = Points.of(rows, GeodesicBackend())
    assert plain.keys is None and plain.lon.tolist() == [106.2, 105.9] and len(plain) == 2
    assert Points.of(rows).keys is None
    assert Points.of(rows, Keyed()).keys.tolist() == ["36.04.12", "36.04.30"]
    assert Points.of(rows, Keyed()).take(np.array([1, 1])).keys.tolist() == ["36.04.30"] * 2


def test_points_need_arrays_of_one_length() -> None:
    with pytest.raises(ValueError, match="2 lon, 1 lat"):
        Points([106.0, 106.1], [-6.0])
    with pytest.raises(ValueError, match="1 keys"):
        Points([106.0, 106.1], [-6.0, -6.1], ["a"])


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([106.0, 106.1, 106.2]), st.sampled_from([-6.0, -6.1])),
        max_size=12,
    ),
    st.booleans(),
    st.data(),
)
def test_distinct_points_map_back_to_every_point(coords, keyed, data) -> None:
    keys = data.draw(st.lists(st.sampled_from("ab"), min_size=len(coords), max_size=len(coords)))
    lon = [c[0] for c in coords]
    lat = [c[1] for c in coords]
    points = Points(lon, lat, keys if keyed else None)
    site, sites = points.distinct()
    seen = list(zip(*((sites.keys,) if keyed else ()), sites.lon, sites.lat, strict=True))
    assert seen == sorted(set(seen)), "distinct points are unique and sorted"
    back = sites.take(site)
    assert back.lon.tolist() == points.lon.tolist() and back.lat.tolist() == points.lat.tolist()
    if keyed:
        assert back.keys.tolist() == keys
