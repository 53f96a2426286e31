"""The legs between a producer's stops, from every distance backend (``leg_matrices``).

Each backend's matrices are checked against what the backend says of the same pairs one by
one (``travel``), or against the file it reads; the osm searches stay bounded and the osrm
requests are packed; a leg a backend has no figure for is measured as geodesic x circuity
and counted as a fallback by the planner.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from roadnet import PRODUCER, STORE, XE, XW, Y0, YN, river_network, river_road_km, write_osm
from umkm_alloc.distance import DistanceBackend, GeodesicBackend, Points, SetCells, geodesic_km
from umkm_alloc.distance import osm_read as osm_mod
from umkm_alloc.distance.matrix import MatrixBackend
from umkm_alloc.distance.osm import OsmBackend
from umkm_alloc.distance.osrm import OsrmBackend
from umkm_alloc.routes import RouteOptions, backend_measure, plan_routes

SERANG = (106.15, -6.12)


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv(osm_mod.CACHE_ENV, str(tmp_path / "cache"))


def sets_of(groups: list[list[tuple[float, float]]], keys: list[list[str]] | None = None):
    """Points of several sets (lat, lon each) laid end to end, and their sizes."""
    lat = [p[0] for g in groups for p in g]
    lon = [p[1] for g in groups for p in g]
    flat = None if keys is None else [k for g in keys for k in g]
    return Points(lon, lat, flat), np.array([len(g) for g in groups])


def one_by_one(backend: DistanceBackend, points: Points, sizes: np.ndarray):
    """The same cells asked pair by pair with ``travel`` (diagonal 0)."""
    cells = SetCells.of(sizes)
    km, minutes = np.zeros(len(cells.u)), np.zeros(len(cells.u))
    for c, (u, v) in enumerate(zip(cells.u, cells.v, strict=True)):
        if u != v:
            k, m = backend.travel(points.take(np.array([u])), points.take(np.array([v])))
            km[c] = k[0]
            minutes[c] = np.nan if m is None else m[0]
    return km, minutes


def test_set_cells_lay_out_each_set_row_major():
    cells = SetCells.of(np.array([2, 0, 3]))
    assert len(cells.u) == 4 + 9
    assert cells.u[:4].tolist() == [0, 0, 1, 1] and cells.v[:4].tolist() == [0, 1, 0, 1]
    assert cells.u[4:].tolist() == [2, 2, 2, 3, 3, 3, 4, 4, 4]
    assert cells.v[4:].tolist() == [2, 3, 4, 2, 3, 4, 2, 3, 4]
    for c in range(len(cells.u)):  # the mirror of [u, v] is [v, u]
        m = cells.mirror[c]
        assert (cells.u[m], cells.v[m]) == (cells.v[c], cells.u[c])
    assert cells.depot.tolist() == [True, False, True, False, False]


def test_geodesic_legs_are_the_straight_line_times_circuity():
    rng = np.random.default_rng(3)
    groups = [
        [(SERANG[1] + a, SERANG[0] + b) for a, b in rng.uniform(-0.1, 0.1, (n, 2))]
        for n in (1, 2, 5, 4)
    ]
    points, sizes = sets_of(groups)
    backend = GeodesicBackend(circuity=1.3)
    km, minutes = backend.leg_matrices(points, sizes)
    assert minutes is None
    cells = SetCells.of(sizes)
    want = geodesic_km(
        points.lon[cells.u], points.lat[cells.u], points.lon[cells.v], points.lat[cells.v]
    )
    np.testing.assert_allclose(km, want * 1.3, rtol=1e-12, atol=1e-12)
    assert (km == km[cells.mirror]).all()  # each pair measured once: exactly symmetric
    # the interface's default (every ordered pair through travel) gives the same
    default_km, _ = DistanceBackend.leg_matrices(backend, points, sizes)
    np.testing.assert_allclose(default_km, km, rtol=1e-12)


@pytest.fixture
def river_osm(tmp_path):
    nodes, ways = river_network()
    return OsmBackend(write_osm(tmp_path / "river.osm", nodes, ways))


def test_osm_legs_are_the_road_routes_found_by_bounded_searches(river_osm, monkeypatch):
    north = (Y0 + 0.05, XE)  # a second store on the east bank, 5.5 km up
    west = (Y0 + 0.03, XW)  # and one on the west bank
    points, sizes = sets_of([[PRODUCER, STORE, north, west], [STORE, north]])
    limits = []
    search = river_osm.graph.search

    def spy(*args, **kw):
        limits.append(kw["limit"])
        return search(*args, **kw)

    monkeypatch.setattr(river_osm.graph, "search", spy)
    km, minutes = river_osm.leg_matrices(points, sizes)
    monkeypatch.undo()
    want_km, want_min = one_by_one(river_osm, points, sizes)
    np.testing.assert_allclose(km, want_km, rtol=1e-9)
    np.testing.assert_allclose(minutes, want_min, rtol=1e-9)
    assert km[1] == pytest.approx(river_road_km(), abs=1e-6)  # up, over the bridge, down
    # the bridge is 6x the straight line away: found by widening, never by an unbounded search
    assert limits and all(math.isfinite(x) for x in limits)
    assert max(limits) < 4 * river_road_km()


def test_osm_leg_without_any_road_is_left_to_the_fallback(river_osm):
    far = (Y0 - 0.2, XW - 0.3)  # 35 km from every road: no route at all
    points, sizes = sets_of([[PRODUCER, STORE, far]])
    km, _ = river_osm.leg_matrices(points, sizes)
    matrix = km.reshape(3, 3)
    assert np.isfinite(matrix[:2, :2]).all()
    assert np.isinf(matrix[2, :2]).all() and np.isinf(matrix[:2, 2]).all()


def test_osrm_packs_producers_into_table_requests(osrm):
    state, url = osrm()
    rng = np.random.default_rng(5)
    groups = [
        [
            (lat, lon)
            for lon, lat in zip(rng.uniform(XW, XE, n), rng.uniform(Y0, YN, n), strict=True)
        ]
        for n in (3, 4, 2, 5, 3)
    ]
    points, sizes = sets_of(groups)
    backend = OsrmBackend(url, table_size=8)
    km, minutes = backend.leg_matrices(points, sizes)
    # packs of consecutive sets of at most 8 points, asked all-to-all: 3+4, 2+5, 3
    assert state.requests == [(7, 7), (7, 7), (3, 3)]
    want_km, want_min = one_by_one(OsrmBackend(url), points, sizes)
    np.testing.assert_allclose(km, want_km, rtol=1e-9)
    np.testing.assert_allclose(minutes, want_min, rtol=1e-9)
    # a set larger than a table is asked in blocks
    state.requests.clear()
    big_points, big_sizes = sets_of([groups[3] + groups[4]])
    big_km, _ = OsrmBackend(url, table_size=3).leg_matrices(big_points, big_sizes)
    assert len(state.requests) == 9 and all(s <= 3 and d <= 3 for s, d in state.requests)
    whole, _ = OsrmBackend(url).leg_matrices(big_points, big_sizes)
    np.testing.assert_allclose(big_km, whole, rtol=1e-9)


def write_matrix(path, text: str) -> MatrixBackend:
    path.write_text(text, encoding="utf-8")
    return MatrixBackend(path)


def test_matrix_by_id_lists_producer_legs_only(tmp_path):
    backend = write_matrix(
        tmp_path / "m.csv",
        "producer_id,store_id,distance_km,minutes\nP,S1,3,9\nP,S2,5,14\nQ,S1,7,20\n",
    )
    points, sizes = sets_of(
        [[(0.0, 0.0), (0.0, 0.01), (0.0, 0.02)], [(0.0, 1.0), (0.0, 1.01)]],
        keys=[["P", "S1", "S2"], ["Q", "S1"]],
    )
    km, minutes = backend.leg_matrices(points, sizes)
    first = km[:9].reshape(3, 3)
    inf = math.inf
    assert first.tolist() == [[0, 3, 5], [3, 0, inf], [5, inf, 0]]  # the way out serves home
    assert minutes[:9].reshape(3, 3).tolist() == [[0, 9, 14], [9, 0, inf], [14, inf, 0]]
    assert km[9:].tolist() == [0, 7, 7, 0]


def test_matrix_by_kecamatan_uses_either_direction(tmp_path):
    backend = write_matrix(
        tmp_path / "m.csv",
        "producer_kecamatan,store_kecamatan,distance_km\n"
        "36.04.01,36.04.02,4\n36.04.02,36.04.01,4.5\n36.04.02,36.04.03,6\n",
    )
    points, sizes = sets_of(
        [[(0.0, 0.0), (0.0, 0.01), (0.0, 0.02), (0.0, 0.03)]],
        keys=[["36.04.01", "36.04.02", "36.04.03", "36.04.09"]],
    )
    km, minutes = backend.leg_matrices(points, sizes)
    assert minutes is None
    m = km.reshape(4, 4)
    assert m[0, 1] == 4 and m[1, 0] == 4.5  # listed both ways
    assert m[1, 2] == 6 and m[2, 1] == 6  # listed one way: used both ways
    assert np.isinf(m[0, 2]) and np.isinf(m[3]).sum() == 3  # not listed at all


def test_a_leg_without_a_figure_rides_on_geodesic_x_circuity_and_is_counted(tmp_path):
    lon = SERANG[0] + np.array([0.0, 0.02, 0.03, -0.01])
    lat = SERANG[1] + np.array([0.0, 0.01, -0.01, 0.02])
    ids = ["P", "S1", "S2", "S3"]
    listed = [
        f"P,{s},{geodesic_km(lon[:1], lat[:1], lon[i : i + 1], lat[i : i + 1])[0] * 1.2:.6f}"
        for i, s in enumerate(ids[1:], start=1)
    ]
    backend = write_matrix(
        tmp_path / "m.csv", "producer_id,store_id,distance_km\n" + "\n".join(listed) + "\n"
    )
    producers = pd.DataFrame({"id": ["P"], "lon": lon[:1], "lat": lat[:1], "key": ["P"]})
    stores = pd.DataFrame({"id": ids[1:], "lon": lon[1:], "lat": lat[1:], "key": ids[1:]})
    alloc = pd.DataFrame({"producer_id": "P", "store_id": ids[1:], "quantity": [10, 20, 30]})
    plan = plan_routes(
        alloc,
        producers,
        stores,
        measure=backend_measure(backend, circuity=1.4),
        options=RouteOptions(),
    )
    assert len(plan.trips) == 1 and plan.trips["stops"].iloc[0] == 3
    # 2 store-to-store legs of the one trip have no listed figure: geodesic x 1.4 stands in
    assert plan.totals["distance_fallbacks"] == 2
    legs = plan.routes["leg_km"].to_numpy()
    order = [ids.index(s) for s in plan.routes["store_id"].iloc[:3]]
    for k in (1, 2):
        a, b = order[k - 1], order[k]
        want = geodesic_km(lon[a : a + 1], lat[a : a + 1], lon[b : b + 1], lat[b : b + 1]) * 1.4
        assert legs[k] == pytest.approx(want[0], abs=6e-4)
    assert legs[0] == pytest.approx(float(listed[order[0] - 1].split(",")[2]), abs=6e-4)
