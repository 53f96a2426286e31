"""``--distance osm:PATH``: road graphs from OpenStreetMap extracts, built here by hand."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest

from conftest import run_cli
from roadnet import (
    PRODUCER,
    STORE,
    XE,
    XW,
    Y0,
    path_km,
    river_network,
    river_road_km,
    straight_km,
    write_job,
    write_osm,
)
from umkm_alloc.allocate import assign
from umkm_alloc.config import AssignConfig
from umkm_alloc.distance import Points
from umkm_alloc.distance import osm_read as osm_mod
from umkm_alloc.distance.graph import RoadGraph
from umkm_alloc.distance.osm import OsmBackend
from umkm_alloc.distance.osm_read import direction, is_road, load_graph, speed_kmh
from umkm_alloc.errors import InputError


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    """Never write the user's cache: every test gets its own cache folder."""
    monkeypatch.setenv(osm_mod.CACHE_ENV, str(tmp_path / "cache"))


@pytest.fixture
def river(tmp_path) -> Path:
    nodes, ways = river_network()
    return write_osm(tmp_path / "river.osm", nodes, ways)


def backend(path: Path, **kw) -> OsmBackend:
    return OsmBackend(path, **kw)


def pts(*points: tuple[float, float]) -> Points:
    return Points([p[1] for p in points], [p[0] for p in points])


# ----------------------------------------------------------------------- the river case


def test_river_makes_the_road_six_times_the_straight_line(river):
    straight = straight_km(PRODUCER, STORE)
    road = river_road_km()
    assert 3.9 < straight < 4.1
    assert 5.5 < road / straight < 6.5
    b = backend(river)
    producer, store = pts(PRODUCER), pts(STORE)
    pairs = b.pairs_within(producer, store, max_km=30.0)
    assert pairs.left.tolist() == [0] and pairs.right.tolist() == [0]
    # the footbridge, the private shortcut and the construction site are not roads
    assert pairs.km[0] == pytest.approx(road, rel=1e-6)
    assert len(b.pairs_within(producer, store, max_km=20.0).left) == 0
    assert b.distance_km(producer, store)[0] == pytest.approx(road, rel=1e-6)


def run_river(tmp_path: Path, river: Path, distance: str, **kw):
    producers, stores = write_job(
        tmp_path, [("P1", PRODUCER, "Emping", 10)], [("S1", STORE, "Emping", 10)]
    )
    cfg = AssignConfig(producers=producers, stores=stores, max_km=10.0, distance=distance, **kw)
    return assign(cfg)


def test_river_pair_is_dropped_by_osm_and_kept_by_geodesic(tmp_path, river):
    geo = run_river(tmp_path, river, "geodesic")
    assert geo.rejected_rows.empty
    assert geo.allocations["quantity"].tolist() == [10]
    assert geo.allocations["distance_km"].iloc[0] == pytest.approx(
        straight_km(PRODUCER, STORE) * 1.4, abs=1e-3
    )
    road = run_river(tmp_path, river, f"osm:{river}")
    assert road.allocations.empty
    unmet = road.unmet_demand.iloc[0]
    assert unmet["kind"] == "beyond_distance"
    assert unmet["reason"] == (
        f"nearest producer of Emping by road (P1) is {river_road_km():.1f} km away, "
        "beyond the 10 km limit"
    )
    unused = road.unused_supply.iloc[0]
    assert unused["reason"] == (
        f"nearest store of Emping by road (S1) is {river_road_km():.1f} km away, "
        "beyond the 10 km limit"
    )
    assert road.distance["backend"] == "osm"


def test_far_store_gets_no_road_not_a_far_road(tmp_path, river):
    far = (Y0 - 0.05, (XW + XE) / 2)  # 5.5 km south of every road
    producers, stores = write_job(
        tmp_path,
        [("P1", PRODUCER, "Emping", 10)],
        [("S1", STORE, "Emping", 4), ("S2", far, "Emping", 4)],
    )
    cfg = AssignConfig(producers=producers, stores=stores, max_km=30.0, distance=f"osm:{river}")
    result = assign(cfg)
    assert result.rejected_rows.empty
    assert result.allocations["store_id"].tolist() == ["S1"]
    unmet = result.unmet_demand.set_index("store_id")
    assert unmet.loc["S2", "kind"] == "no_route"
    assert unmet.loc["S2", "reason"] == (
        "no road within 2000 m of the store (--max-snap-m): no road route to any producer of Emping"
    )
    # a larger snapping distance joins it to the road (6 km away is allowed then)
    wide = assign(
        AssignConfig(
            producers=producers,
            stores=stores,
            max_km=40.0,
            distance=f"osm:{river}",
            max_snap_m=7000.0,
        )
    )
    assert sorted(wide.allocations["store_id"]) == ["S1", "S2"]


def test_travel_time_bound_from_road_speeds(tmp_path, river):
    # residential 20 km/h up and down the banks, tertiary 30 km/h over the bridge
    up = path_km([PRODUCER, (Y0 + 0.09, XW)])
    across = path_km([(Y0 + 0.09, XW), (Y0 + 0.09, XE)])
    minutes = 2 * up / 20 * 60 + across / 30 * 60
    assert 60 < minutes < 75
    producers, stores = write_job(
        tmp_path, [("P1", PRODUCER, "Emping", 10)], [("S1", STORE, "Emping", 10)]
    )

    def run(max_minutes: float):
        cfg = AssignConfig(
            producers=producers,
            stores=stores,
            max_km=math.inf,
            max_minutes=max_minutes,
            distance=f"osm:{river}",
        )
        return assign(cfg)

    slow = run(60.0)
    assert slow.allocations.empty
    assert slow.unmet_demand["reason"].iloc[0] == (
        f"nearest producer of Emping by road (P1) is {minutes:.0f} min away "
        f"({river_road_km():.1f} km), beyond the 60 min limit (--max-minutes)"
    )
    fast = run(75.0)
    assert fast.allocations["quantity"].tolist() == [10]
    assert fast.arcs["minutes"].iloc[0] == pytest.approx(minutes, rel=1e-6)
    assert fast.distance["routes"] == "fastest"


# ---------------------------------------------------------------------- one-way streets


def grid_km(dx: float = 0.0, dy: float = 0.0) -> tuple[float, float]:
    """A point dx km east and dy km north of the river network's producer."""
    return (Y0 + dy / 110.6, XW + dx / 110.0)


def oneway_network(tmp_path: Path, tags: dict[str, str], *, reverse: bool = False) -> Path:
    """A 1 km street A-B with ``tags`` and a 5 km two-way detour B-C-D-A."""
    a, b = grid_km(0, 0), grid_km(1, 0)
    c, d = grid_km(1, 2), grid_km(0, 2)
    nodes = {1: a, 2: b, 3: c, 4: d}
    street = [2, 1] if reverse else [1, 2]
    ways = [(street, tags), ([2, 3, 4, 1], {"highway": "residential"})]
    return write_osm(tmp_path / "oneway.osm", nodes, ways)


@pytest.mark.parametrize(
    ("tags", "reverse", "ab_short", "ba_short"),
    [
        ({"highway": "residential", "oneway": "yes"}, False, True, False),
        ({"highway": "residential", "oneway": "1"}, False, True, False),
        ({"highway": "residential", "oneway": "-1"}, True, True, False),
        ({"highway": "residential", "junction": "roundabout"}, False, True, False),
        ({"highway": "motorway"}, False, True, False),
        ({"highway": "motorway", "oneway": "no"}, False, True, True),
        ({"highway": "residential"}, False, True, True),
        ({"highway": "residential", "oneway": "no"}, False, True, True),
    ],
)
def test_one_way_streets(tmp_path, tags, reverse, ab_short, ba_short):
    path = oneway_network(tmp_path, tags, reverse=reverse)
    b = backend(path)
    a_pt, b_pt = grid_km(0, 0), grid_km(1, 0)
    a_at, b_at = pts(a_pt), pts(b_pt)
    direct = straight_km(a_pt, b_pt)
    detour = path_km([b_pt, grid_km(1, 2), grid_km(0, 2), a_pt])
    ab = b.distance_km(a_at, b_at)[0]
    ba = b.distance_km(b_at, a_at)[0]
    assert ab == pytest.approx(direct if ab_short else detour, rel=1e-6)
    assert ba == pytest.approx(direct if ba_short else detour, rel=1e-6)
    # the bounded search agrees with the unbounded one
    within = b.pairs_within(b_at, a_at, max_km=2.0)
    assert len(within.left) == (1 if ba_short else 0)


@pytest.mark.parametrize(
    ("tags", "road"),
    [
        ({"highway": "residential"}, True),
        ({"highway": "unclassified"}, True),
        ({"highway": "service", "service": "driveway"}, True),
        ({"highway": "primary", "access": "destination"}, True),
        ({"highway": "residential", "access": "private"}, False),
        ({"highway": "residential", "access": "no", "motorcycle": "yes"}, True),
        ({"highway": "residential", "motor_vehicle": "no"}, False),
        ({"highway": "residential", "motorcycle": "no"}, True),  # a van may still go
        ({"highway": "residential", "motorcycle": "no", "motorcar": "no"}, False),
        ({"highway": "footway"}, False),
        ({"highway": "path"}, False),
        ({"highway": "cycleway"}, False),
        ({"highway": "steps"}, False),
        ({"highway": "pedestrian"}, False),
        ({"highway": "track"}, False),
        ({"highway": "construction"}, False),
        ({"highway": "proposed"}, False),
        ({"highway": "primary", "oneway": "reversible"}, False),
        ({"highway": "service", "area": "yes"}, False),
        ({"building": "yes"}, False),
    ],
)
def test_which_ways_are_roads(tags, road):
    assert is_road(tags) is road


def test_direction_and_speed_tags():
    assert direction({"highway": "primary", "oneway": "true"}) == 1
    assert direction({"highway": "primary", "oneway": "reverse"}) == -1
    assert direction({"highway": "motorway_link"}) == 1
    assert direction({"highway": "primary", "junction": "circular"}) == 1
    assert direction({"highway": "primary"}) == 0
    assert speed_kmh({"highway": "primary"}) == 40.0
    assert speed_kmh({"highway": "primary", "maxspeed": "20"}) == 20.0
    assert speed_kmh({"highway": "primary", "maxspeed": "10 mph"}) == pytest.approx(16.09344)
    assert speed_kmh({"highway": "residential", "maxspeed": "80"}) == 20.0
    assert speed_kmh({"highway": "residential", "maxspeed": "none"}) == 20.0


def test_fastest_route_when_time_is_bounded(tmp_path):
    # A-B: 5 km of residential (15 min) or 8 km of primary (12 min)
    a, b = grid_km(0, 0), grid_km(5, 0)
    m1, m2 = grid_km(0, 1.5), grid_km(5, 1.5)
    nodes = {1: a, 2: b, 3: m1, 4: m2}
    ways = [([1, 2], {"highway": "residential"}), ([1, 3, 4, 2], {"highway": "primary"})]
    path = write_osm(tmp_path / "fast.osm", nodes, ways)
    a_at, b_at = pts(a), pts(b)
    short = backend(path, metric="km").pairs_within(a_at, b_at, max_km=20.0)
    fast = backend(path, metric="minutes").pairs_within(a_at, b_at, max_km=20.0, max_minutes=60.0)
    slow_km = straight_km(a, b)
    fast_km = path_km([a, m1, m2, b])
    assert short.km[0] == pytest.approx(slow_km, rel=1e-6)
    assert fast.km[0] == pytest.approx(fast_km, rel=1e-6)
    assert fast.minutes[0] == pytest.approx(fast_km / 40 * 60, abs=1e-3)  # + mm legs
    assert fast.minutes[0] < slow_km / 20 * 60
    km, minutes = backend(path, metric="minutes").travel(a_at, b_at)
    assert km[0] == pytest.approx(fast_km, rel=1e-6)
    assert minutes[0] == pytest.approx(fast.minutes[0])


def test_batches_give_the_same_pairs(river):
    rng = np.random.default_rng(3)
    producers = Points(rng.uniform(XW - 0.01, XE + 0.01, 30), rng.uniform(Y0, Y0 + 0.09, 30))
    stores = Points(rng.uniform(XW - 0.01, XE + 0.01, 12), rng.uniform(Y0, Y0 + 0.09, 12))
    whole = backend(river)
    tiny = backend(river)
    tiny.graph.batch_bytes = 1  # one source per Dijkstra call
    for a, b in ((producers, stores), (stores, producers)):  # both search directions
        one = whole.pairs_within(a, b, max_km=15.0)
        two = tiny.pairs_within(a, b, max_km=15.0)
        assert one.left.tolist() == two.left.tolist()
        assert one.right.tolist() == two.right.tolist()
        np.testing.assert_allclose(one.km, two.km, rtol=1e-12)
        # against unbounded single-pair measurement
        km = whole.distance_km(a.take(one.left), b.take(one.right))
        np.testing.assert_allclose(one.km, km, rtol=1e-9)


# ------------------------------------------------------------------------------ cache


def test_graph_cache_is_used_for_an_unchanged_extract(tmp_path, river, monkeypatch):
    cache = tmp_path / "graphs"
    before = osm_mod.PARSE_COUNT
    first = OsmBackend(river, cache=cache)
    assert not first.from_cache
    assert before + 1 == osm_mod.PARSE_COUNT
    entries = list(cache.glob("osm-graph-*.npz"))
    assert len(entries) == 1
    mtime = entries[0].stat().st_mtime_ns

    def boom(path):
        raise AssertionError("the extract was parsed again")

    monkeypatch.setattr(osm_mod, "parse_extract", boom)
    second = OsmBackend(river, cache=cache)
    assert second.from_cache
    assert entries[0].stat().st_mtime_ns == mtime
    for key, value in first.graph.arrays().items():
        np.testing.assert_array_equal(value, second.graph.arrays()[key])
    monkeypatch.undo()
    monkeypatch.setenv(osm_mod.CACHE_ENV, str(tmp_path / "cache"))
    # a changed extract is parsed again, under a new key
    river.write_text(river.read_text().replace("Jalan Barat", "Jalan Barat Baru"))
    third = OsmBackend(river, cache=cache)
    assert not third.from_cache
    assert len(list(cache.glob("osm-graph-*.npz"))) == 2


def test_cache_folder_from_the_environment(tmp_path, river, monkeypatch):
    monkeypatch.setenv(osm_mod.CACHE_ENV, str(tmp_path / "env-cache"))
    _, cached = load_graph(river)
    assert not cached
    assert len(list((tmp_path / "env-cache").glob("*.npz"))) == 1
    _, cached = load_graph(river)
    assert cached


def test_unwritable_cache_is_skipped(tmp_path, river):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    graph, cached = load_graph(river, cache=blocker / "sub")
    assert not cached and graph.n_nodes > 0


def test_damaged_cache_entry_is_rebuilt(tmp_path, river):
    cache = tmp_path / "graphs"
    OsmBackend(river, cache=cache)
    (entry,) = cache.glob("*.npz")
    entry.write_bytes(b"garbage")
    again = OsmBackend(river, cache=cache)
    assert not again.from_cache


# -------------------------------------------------------------------------- formats


def test_pbf_gives_the_same_graph_as_xml(tmp_path, river):
    osmium = pytest.importorskip("osmium")
    pbf = tmp_path / "river.osm.pbf"
    writer = osmium.SimpleWriter(str(pbf))
    for obj in osmium.FileProcessor(str(river)):
        writer.add(obj)
    writer.close()
    from_xml = osm_mod.parse_extract(river)
    from_pbf = osm_mod.parse_extract(pbf)
    assert from_xml.n_nodes == from_pbf.n_nodes and from_xml.n_edges == from_pbf.n_edges
    for key, value in from_xml.arrays().items():
        np.testing.assert_allclose(from_pbf.arrays()[key], value, rtol=0, atol=1e-6)


def test_compressed_xml_and_missing_nodes(tmp_path):
    import gzip

    nodes, ways = river_network()
    del nodes[5]  # a clipped extract: a way refers to a node that is not in the file
    plain = write_osm(tmp_path / "clipped.osm", nodes, ways)
    packed = tmp_path / "clipped.osm.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    graph = osm_mod.parse_extract(packed)
    assert graph.n_nodes == len(nodes) - 1  # all but the footbridge's middle node
    # the west bank is cut at node 5: no road route to the bridge any more
    b = OsmBackend(packed, graph=graph)
    assert b.distance_km(pts(PRODUCER), pts(STORE))[0] == np.inf


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<osm><node id='1' lat='x' lon='1'/></osm>", "an OSM element lacks or has a bad id"),
        ("<osm><node id='1'", "not valid OpenStreetMap XML"),
        ("<gpx></gpx>", "not an OpenStreetMap XML file (its root element is <gpx>"),
        ("<osm><node id='1' lat='1' lon='1'/></osm>", "no roads a motorbike or van can use"),
    ],
)
def test_bad_extracts_are_input_errors(tmp_path, content, message):
    path = tmp_path / "bad.osm"
    path.write_text(content)
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        osm_mod.parse_extract(path)


def test_graph_has_no_duplicate_edges_or_self_loops():
    lon = np.array([106.0, 106.01, 106.02])
    lat = np.array([-6.0, -6.0, -6.0])
    graph = RoadGraph.from_segments(
        lon,
        lat,
        np.array([0, 0, 1, 1]),
        np.array([1, 1, 1, 2]),
        np.array([20.0, 40.0, 20.0, 20.0]),
        np.array([0, 0, 0, 1]),
    )
    edges = list(zip(graph.tail.tolist(), graph.head.tolist(), strict=True))
    assert sorted(edges) == [(0, 1), (1, 0), (1, 2)]
    # of the two parallel segments 0-1 both are equally long: the faster one is kept
    assert graph.minutes[edges.index((0, 1))] == pytest.approx(graph.km[0] / 40 * 60)


# ----------------------------------------------------------------------- end to end


@pytest.mark.slow
def test_cli_assign_and_explain_with_osm(tmp_path, river):
    producers, stores = write_job(
        tmp_path,
        [("P1", PRODUCER, "Emping", 10), ("P2", (Y0 + 0.01, XE), "Emping", 3)],
        [("S1", STORE, "Emping", 10)],
    )
    out = tmp_path / "out"
    base = [str(producers), str(stores), "--max-km", "10", "--osm-cache", str(tmp_path / "c")]
    result = run_cli("assign", *base, "--distance", f"osm:{river}", "--out-dir", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    alloc = list(csv.DictReader(io.StringIO((out / "allocations.csv").read_text())))
    assert [(r["producer_id"], r["quantity"]) for r in alloc] == [("P2", "3")]
    summary = json.loads((out / "summary.json").read_text())
    dist = summary["params"]["distance"]
    assert dist["backend"] == "osm" and dist["routes"] == "shortest"
    assert dist["source"] == str(river)
    assert len(dist["sha256"]) == 64 and dist["max_snap_m"] == 2000.0
    assert summary["params"]["distance"]["nodes"] == 25  # 11 + 11 up the banks, 3 across
    assert summary["params"]["max_minutes"] is None
    assert "osm_cache" not in summary["params"]
    assert "OSM roads (river.osm)" in result.stderr

    explained = run_cli(
        "explain", *base, "--distance", f"osm:{river}", "--store", "S1", "--format", "csv"
    )
    assert explained.exit_code == 0, explained.stderr
    rows = {r["producer_id"]: r for r in csv.DictReader(io.StringIO(explained.stdout))}
    assert rows["P1"]["distance_km"] == f"{river_road_km():.3f}"
    assert rows["P1"]["rule"] == f"{river_road_km():.1f} km, beyond the 10 km limit (--max-km)"
    assert rows["P1"]["status"] == "excluded"
    assert rows["P2"]["status"] == "eligible" and rows["P2"]["quantity"] == "3"
    assert float(rows["P2"]["minutes"]) > 0
    table = run_cli("explain", *base, "--distance", f"osm:{river}", "--store", "S1")
    assert table.exit_code == 0, table.stderr
    assert f"{river_road_km():.1f} km, beyond the 10 km limit" in table.stderr


@pytest.mark.slow
def test_cli_explain_pair_without_road(tmp_path, river):
    far = (Y0 - 0.05, (XW + XE) / 2)
    producers, stores = write_job(
        tmp_path, [("P1", PRODUCER, "Emping", 10)], [("S9", far, "Emping", 10)]
    )
    args = [
        "explain",
        str(producers),
        str(stores),
        "--distance",
        f"osm:{river}",
        "--store",
        "S9",
        "--format",
        "json",
    ]
    result = run_cli(*args)
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert row["distance_km"] is None and row["minutes"] is None
    assert row["rule_kind"] == "beyond_distance"
    assert row["rule"] == "no road route (no road within 2000 m of the store (--max-snap-m))"
    shown = run_cli(*args[:-2])
    assert shown.exit_code == 0
    assert "inf" not in shown.stderr and "nan" not in shown.stderr


def _reference_costs(graph: RoadGraph, src: int, metric: str) -> dict[int, tuple[float, float]]:
    """Plain heapq Dijkstra by ``metric``: node -> (km, minutes) along the found route."""
    import heapq

    adj: dict[int, list[tuple[int, float, float]]] = {}
    for t, h, k, m in zip(graph.tail, graph.head, graph.km, graph.minutes, strict=True):
        adj.setdefault(int(t), []).append((int(h), float(k), float(m)))
    best = {src: (0.0, 0.0)}
    heap = [(0.0, src)]
    done = set()
    while heap:
        _, node = heapq.heappop(heap)
        if node in done:
            continue
        done.add(node)
        km, mins = best[node]
        for nxt, k, m in adj.get(node, []):
            cand = (km + k, mins + m)
            key = 0 if metric == "km" else 1
            if nxt not in best or cand[key] < best[nxt][key]:
                best[nxt] = cand
                heapq.heappush(heap, (cand[key], nxt))
    return best


@pytest.mark.parametrize("metric", ["km", "minutes"])
@pytest.mark.parametrize("seed", range(4))
def test_bounded_costs_match_a_plain_dijkstra(metric, seed):
    rng = np.random.default_rng(seed)
    n = 60
    lon, lat = 106.2 + rng.uniform(0, 0.1, n), -6.1 + rng.uniform(0, 0.1, n)
    a = rng.integers(0, n, 150)
    b = rng.integers(0, n, 150)
    graph = RoadGraph.from_segments(
        lon,
        lat,
        a,
        b,
        rng.choice([10.0, 20.0, 40.0, 70.0], 150),
        rng.choice([0, 0, 1, -1], 150),
    )
    graph.batch_bytes = 8 * graph.n_nodes * 3  # a few sources per batch
    src = rng.choice(graph.n_nodes, 9, replace=False)
    dst = rng.choice(graph.n_nodes, 5, replace=False)  # fewer: searched backwards
    limit = 6.0 if metric == "km" else 15.0
    costs = graph.costs(src, dst, metric=metric, limit=limit, other=True)
    got = {
        (int(s), int(d)): (k, m)
        for s, d, k, m in zip(costs.src, costs.dst, costs.km, costs.minutes, strict=True)
    }
    want = {}
    for s in sorted(src):
        ref = _reference_costs(graph, int(s), metric)
        for d in sorted(dst):
            if int(d) in ref and ref[int(d)][0 if metric == "km" else 1] <= limit:
                want[(int(s), int(d))] = ref[int(d)]
    assert set(got) == set(want)
    assert got  # the bound leaves some pairs in reach
    for key, (k, m) in want.items():
        # random lengths: no two routes tie, so the other quantity is along the same route
        assert got[key] == pytest.approx((k, m), rel=1e-9)
