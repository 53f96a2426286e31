"""The backend interface, ``--distance`` parsing, travel-time options and the matrix backend."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import ANYAR, CIRUAS, KOTA_SERANG, KRAGILAN, PONTANG, TIRTAYASA
from lp import reference_optimum
from roadnet import river_network, write_job, write_osm
from umkm_alloc.allocate import assign
from umkm_alloc.cli import app
from umkm_alloc.config import AssignConfig, assign_table, resolve_assign
from umkm_alloc.distance import DistanceBackend, GeodesicBackend, Pairs, Points, make_backend
from umkm_alloc.distance.matrix import MatrixBackend
from umkm_alloc.distance.osm import OsmBackend
from umkm_alloc.distance.osrm import OsrmBackend
from umkm_alloc.distance.spec import parse_distance_spec
from umkm_alloc.errors import InputError, UsageError

runner = CliRunner()
SITES = [PONTANG, TIRTAYASA, CIRUAS, KRAGILAN, ANYAR, KOTA_SERANG]


# ------------------------------------------------------------------------- interface


def test_every_backend_implements_the_interface():
    for cls in (GeodesicBackend, OsmBackend, MatrixBackend, OsrmBackend):
        assert issubclass(cls, DistanceBackend)
        assert cls.name in ("geodesic", "osm", "matrix", "osrm")
    assert GeodesicBackend().params() == {"backend": "geodesic", "circuity": 1.4}
    assert isinstance(make_backend("geodesic", circuity=1.2), GeodesicBackend)
    assert Pairs.empty(minutes=True).minutes.shape == (0,)


def test_backends_say_what_they_are_by_attributes(tmp_path):
    """Callers branch on these, never on the class: a straight-line factor or routes."""
    matrix = tmp_path / "d.csv"
    matrix.write_text("producer_kecamatan,store_kecamatan,distance_km\n36.04.12,36.04.13,3\n")
    osm = OsmBackend(write_osm(tmp_path / "r.osm", *river_network()), cache=tmp_path)
    osrm = OsrmBackend("http://127.0.0.1:9")
    by_matrix = MatrixBackend(matrix)
    assert GeodesicBackend(circuity=1.3).straight_line_factor == 1.3
    assert [b.straight_line_factor for b in (osm, osrm, by_matrix)] == [None, None, None]
    assert [b.straight_line_bound for b in (osm, osrm, by_matrix)] == [True, True, False]
    assert [b.has_minutes for b in (GeodesicBackend(), osm, osrm, by_matrix)] == [
        False,
        True,
        True,
        False,
    ]
    assert [b.keyed_by for b in (GeodesicBackend(), osm, osrm, by_matrix)] == [
        None,
        None,
        None,
        "kecamatan",
    ]
    assert [b.route_word for b in (osm, osrm, by_matrix)] == ["road", "road", "listed"]


def test_geodesic_has_no_minutes():
    b = GeodesicBackend()
    km, minutes = b.travel(Points([106.0], [-6.0]), Points([106.1], [-6]))
    assert minutes is None and km[0] > 0
    with pytest.raises(UsageError, match="--max-minutes needs travel times"):
        b.pairs_within(Points([106.0], [-6.0]), Points([106.1], [-6.0]), max_km=20, max_minutes=30)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "road",
            "--distance 'road': unknown distance backend; use one of: geodesic; osm:PATH (an "
            "OpenStreetMap extract, .osm or .osm.pbf); matrix:PATH (a CSV of producer_id, "
            "store_id, distance_km[, minutes]); osrm:URL (an OSRM server, e.g. "
            "osrm:http://localhost:5000)",
        ),
        (
            "geodesic:x",
            "--distance 'geodesic:x': geodesic takes no argument; use --distance geodesic",
        ),
        (
            "osm:",
            "--distance 'osm:': give the osm source as osm:PATH (an OpenStreetMap "
            "extract, .osm or .osm.pbf)",
        ),
        (
            "osm:roads.shp",
            "--distance 'osm:roads.shp': roads.shp is not a .osm / .osm.xml / "
            ".xml / .osm.gz / .osm.bz2 / .osm.pbf / .pbf file; give osm:PATH (an OpenStreetMap "
            "extract, .osm or .osm.pbf)",
        ),
        (
            "osm:nowhere.osm.pbf",
            "--distance 'osm:nowhere.osm.pbf': nowhere.osm.pbf: no such file; check the path",
        ),
        (
            "matrix:nowhere.csv",
            "--distance 'matrix:nowhere.csv': nowhere.csv: no such file; check the path",
        ),
        (
            "osrm:localhost:5000",
            "--distance 'osrm:localhost:5000': 'localhost:5000' is not an "
            "http(s) URL; give the server as osrm:http://HOST:PORT (e.g. "
            "osrm:http://localhost:5000)",
        ),
        (
            "osrm:http://h:5000/table?x=1",
            "--distance 'osrm:http://h:5000/table?x=1': give only "
            "the server's base URL (osrm:http://HOST:PORT), without a query",
        ),
    ],
)
def test_bad_distance_specs(spec, message):
    with pytest.raises(UsageError) as err:
        make_backend(spec)
    assert str(err.value) == message


def test_distance_spec_forms(tmp_path):
    roads = tmp_path / "banten.osm.pbf"
    roads.write_bytes(b"")
    assert parse_distance_spec(f"osm:{roads}").scheme == "osm"
    assert parse_distance_spec(f"OSM:{roads}").path == roads
    assert parse_distance_spec("osrm:http://localhost:5000/").target == "http://localhost:5000"
    assert parse_distance_spec(" geodesic ").scheme == "geodesic"


def test_cli_bad_distance_exits_2(small_job):
    result = runner.invoke(app, ["assign", *map(str, small_job), "--distance", "osm:x.osm"])
    assert result.exit_code == 2
    assert result.stderr == "error: --distance 'osm:x.osm': x.osm: no such file; check the path\n"


def test_cli_max_minutes_with_geodesic_exits_2(small_job):
    result = runner.invoke(app, ["assign", *map(str, small_job), "--max-minutes", "30"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --max-minutes 30 needs travel times, which the geodesic backend does not have; "
        "use --max-km, or a backend with times: --distance osm:PATH, osrm:URL or matrix:PATH "
        "with a minutes column\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-snap-m", "0"], "error: --max-snap-m 0 is not allowed; give a number > 0\n"),
        (
            ["--osrm-table-size", "1"],
            "error: --osrm-table-size 1 is too small; give the "
            "server's --max-table-size (100 by default)\n",
        ),
        (["--osrm-retries", "-1"], "error: --osrm-retries -1 is not allowed; give 0 or more\n"),
    ],
)
def test_cli_bad_distance_options_exit_2(small_job, args, message):
    result = runner.invoke(app, ["assign", *map(str, small_job), *args])
    assert result.exit_code == 2
    assert result.stderr == message


def test_max_minutes_alone_replaces_the_km_bound(tmp_path):
    matrix = tmp_path / "d.csv"
    matrix.write_text("producer_id,store_id,distance_km,minutes\nP1,S1,1,2\n")
    common = {"producers": "p.csv", "stores": "s.csv", "distance": f"matrix:{matrix}"}
    alone, _ = resolve_assign({**common, "max_minutes": 30.0})
    assert alone.max_km == math.inf and alone.max_minutes == 30.0
    assert alone.params()["max_km"] is None
    assert alone.limits_text() == "max 30 min"
    both, _ = resolve_assign({**common, "max_minutes": 30.0, "max_km": 12.0})
    assert both.max_km == 12.0 and both.limits_text() == "max 12 km and 30 min"
    neither, _ = resolve_assign(common)
    assert neither.max_km == 20.0 and neither.max_minutes is None
    params = neither.params()
    assert params["max_snap_m"] == 2000.0
    for key in ("osm_cache", "osrm_timeout", "osrm_retries", "osrm_table_size"):
        assert key not in params  # they do not change the result


def test_config_file_paths_are_relative_to_the_file(tmp_path):
    doc = {
        "assign": {
            "distance": "matrix:d.csv",
            "osm-cache": "cache",
            "max-minutes": 45,
            "osrm_table_size": 50,
        }
    }
    table = assign_table(doc, tmp_path / "job.toml")
    assert table["distance"] == f"matrix:{tmp_path / 'd.csv'}"
    assert table["osm_cache"] == str(tmp_path / "cache")
    assert table["max_minutes"] == 45.0 and table["osrm_table_size"] == 50
    absolute = assign_table({"assign": {"distance": "osm:/data/banten.osm.pbf"}}, Path("x.toml"))
    assert absolute["distance"] == "osm:/data/banten.osm.pbf"
    url = assign_table({"assign": {"distance": "osrm:http://localhost:5000"}}, Path("x.toml"))
    assert url["distance"] == "osrm:http://localhost:5000"


# ---------------------------------------------------------------------------- matrix


def random_job(rng: np.random.Generator, tmp_path: Path):
    producers, stores = [], []
    for i in range(int(rng.integers(4, 9))):
        site = SITES[int(rng.integers(len(SITES)))]
        pt = (site[0] + rng.uniform(-0.002, 0.002), site[1] + rng.uniform(-0.002, 0.002))
        for prod in rng.choice(["Emping", "Dodol"], size=int(rng.integers(1, 3)), replace=False):
            producers.append((f"P{i}", pt, str(prod), int(rng.integers(0, 40))))
    for j in range(int(rng.integers(4, 9))):
        site = SITES[int(rng.integers(len(SITES)))]
        pt = (site[0] + rng.uniform(-0.002, 0.002), site[1] + rng.uniform(-0.002, 0.002))
        for prod in rng.choice(["Emping", "Dodol"], size=int(rng.integers(1, 3)), replace=False):
            stores.append((f"S{j}", pt, str(prod), int(rng.integers(0, 40))))
    return producers, stores


@pytest.mark.parametrize("seed", range(8))
def test_matrix_allocation_equals_the_lp_on_listed_distances(tmp_path, seed):
    rng = np.random.default_rng(seed)
    producers, stores = random_job(rng, tmp_path)
    p_path, s_path = write_job(tmp_path, producers, stores)
    p_ids = sorted({p[0] for p in producers})
    s_ids = sorted({s[0] for s in stores})
    listed = {
        (p, s): round(float(rng.uniform(0.5, 40.0)), 3)
        for p in p_ids
        for s in s_ids
        if rng.random() < 0.6
    }
    matrix = tmp_path / "d.csv"
    matrix.write_text(
        "producer_id,store_id,distance_km\n"
        + "".join(f"{p},{s},{km}\n" for (p, s), km in listed.items())
    )
    max_km = 25.0
    result = assign(
        AssignConfig(producers=p_path, stores=s_path, max_km=max_km, distance=f"matrix:{matrix}")
    )
    assert result.rejected_rows.empty
    arcs = [
        (pi, si, listed[(p[0], s[0])])
        for pi, p in enumerate(producers)
        for si, s in enumerate(stores)
        if p[2] == s[2] and (p[0], s[0]) in listed and listed[(p[0], s[0])] <= max_km
    ]
    supply = np.array([p[3] for p in producers], float)
    demand = np.array([s[3] for s in stores], float)
    a_p = np.array([a[0] for a in arcs], int)
    a_s = np.array([a[1] for a in arcs], int)
    a_km = np.array([a[2] for a in arcs], float)
    units, unit_km = reference_optimum(supply, demand, a_p, a_s, a_km)
    alloc = result.allocations
    assert alloc["quantity"].sum() == pytest.approx(units)
    got = float((alloc["quantity"] * alloc["distance_km"]).sum())
    assert got == pytest.approx(unit_km, abs=1e-6)
    for row in alloc.itertuples():
        assert row.distance_km == listed[(row.producer_id, row.store_id)]  # exact, no circuity


def test_matrix_by_kecamatan_code(tmp_path):
    producers, stores = write_job(
        tmp_path,
        [("P1", PONTANG, "Emping", 10), ("P2", CIRUAS, "Emping", 10)],
        [("S1", KRAGILAN, "Emping", 8), ("S2", PONTANG, "Emping", 5), ("S3", ANYAR, "Emping", 5)],
    )
    first = assign(AssignConfig(producers=producers, stores=stores))
    code = dict(zip(first.producers["id"], first.producers["kecamatan_code"], strict=True))
    code.update(zip(first.stores["id"], first.stores["kecamatan_code"], strict=True))
    matrix = tmp_path / "kec.csv"
    matrix.write_text(
        "producer_kecamatan;store_kecamatan;distance_km;minutes\n"
        f"{code['P1']};{code['S1']};12,5;30\n"
        f"{code['P2']};{code['S2']};8;20\n"
        f"{code['P1']};{code['S2']};1,25;4\n"
    )
    result = assign(AssignConfig(producers=producers, stores=stores, distance=f"matrix:{matrix}"))
    got = [
        (r.producer_id, r.store_id, r.quantity, r.distance_km)
        for r in result.allocations.itertuples()
    ]
    # 13 units either way; 8 x 12.5 + 2 x 1.25 + 3 x 8 = 126.5 beats 8 x 12.5 + 5 x 8 = 140
    assert got == [("P1", "S1", 8, 12.5), ("P1", "S2", 2, 1.25), ("P2", "S2", 3, 8.0)]
    unmet = result.unmet_demand.set_index("store_id")
    assert unmet.loc["S3", "kind"] == "no_route"
    assert unmet.loc["S3", "reason"] == (
        f"the store's kecamatan {code['S3']} is not listed in kec.csv (store_kecamatan): "
        "no listed route to any producer of Emping"
    )
    timed = assign(
        AssignConfig(
            producers=producers,
            stores=stores,
            distance=f"matrix:{matrix}",
            max_km=math.inf,
            max_minutes=25.0,
        )
    )
    pairs = {(r.producer_id, r.store_id) for r in timed.allocations.itertuples()}
    assert ("P1", "S1") not in pairs
    assert result.distance == {
        "backend": "matrix",
        "source": str(matrix),
        "sha256": result.distance["sha256"],
        "keyed_by": "kecamatan",
        "pairs": 3,
        "minutes": True,
    }


def test_only_listed_pairs_are_candidates_and_reasons_name_them(tmp_path):
    producers, stores = write_job(
        tmp_path,
        [("P1", PONTANG, "Emping", 10), ("P2", PONTANG, "Emping", 10)],
        [("S1", PONTANG, "Emping", 5), ("S2", PONTANG, "Emping", 5), ("S9", PONTANG, "Emping", 5)],
    )
    matrix = tmp_path / "d.csv"
    matrix.write_text("producer_id,store_id,distance_km\nP1,S1,3\nP2,S2,31\nP1,S2,45.5\n")
    result = assign(AssignConfig(producers=producers, stores=stores, distance=f"matrix:{matrix}"))
    assert result.allocations[["producer_id", "store_id", "quantity"]].values.tolist() == [
        ["P1", "S1", 5]
    ]
    unmet = result.unmet_demand.set_index("store_id")
    assert unmet.loc["S2", "reason"] == (
        "nearest producer of Emping listed in the matrix (P2) is 31.0 km away, beyond the "
        "20 km limit"
    )
    assert unmet.loc["S9", "reason"] == (
        "store S9 is not listed in d.csv (store_id): no listed route to any producer of Emping"
    )
    km = result.backend.distance_km(
        Points(np.zeros(2), np.zeros(2), ["P1", "P2"]),
        Points(np.zeros(2), np.zeros(2), ["S1", "S1"]),
    )
    assert km.tolist() == [3.0, np.inf]


def test_matrix_problems_are_listed_with_line_and_value(tmp_path):
    matrix = tmp_path / "d.csv"
    matrix.write_text(
        "Producer_ID, Store_ID ,distance_km,minutes\n"
        "P1,S1,abc,10\n"
        "P1,,3,4\n"
        "P2,S1,-1,x\n"
        "P3,S3,4,5\n"
        "P3,S3,4,6\n"
    )
    with pytest.raises(InputError) as err:
        make_backend(f"matrix:{matrix}")
    assert str(err.value) == "\n".join(
        [
            f"{matrix}: 5 problem(s) in the distance matrix; fix them:",
            f"{matrix}, line 2: distance_km 'abc' is not a number >= 0; give it in km",
            f"{matrix}, line 3: store_id is empty; fill it in",
            f"{matrix}, line 4: distance_km '-1' is not a number >= 0; give it in km",
            f"{matrix}, line 4: minutes 'x' is not a number >= 0; give it in minutes",
            f"{matrix}, line 6: the pair P3 -> S3 repeats line 5; keep one row per pair",
        ]
    )


def test_matrix_without_key_columns(tmp_path):
    matrix = tmp_path / "d.csv"
    matrix.write_text("from,to,km\nP1,S1,3\n")
    with pytest.raises(InputError) as err:
        make_backend(f"matrix:{matrix}")
    assert str(err.value) == (
        f"{matrix}: the distance matrix lacks producer_id and store_id (or producer_kecamatan "
        "and store_kecamatan); its header has: from, to, km. Give "
        "producer_id,store_id,distance_km[,minutes] or "
        "producer_kecamatan,store_kecamatan,distance_km[,minutes]"
    )


def test_cli_matrix_end_to_end(tmp_path):
    producers, stores = write_job(
        tmp_path,
        [("P1", PONTANG, "Emping", 10), ("P2", CIRUAS, "Emping", 10)],
        [("S1", PONTANG, "Emping", 12)],
    )
    matrix = tmp_path / "d.csv"
    matrix.write_text("producer_id,store_id,distance_km,minutes\nP1,S1,2.5,9\n")
    out = tmp_path / "out"
    base = [str(producers), str(stores), "--distance", f"matrix:{matrix}"]
    result = runner.invoke(app, ["assign", *base, "--out-dir", str(out)])
    assert result.exit_code == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["params"]["distance"]["backend"] == "matrix"
    assert summary["units"]["allocated"] == 10
    assert "distance matrix (d.csv)" in result.stderr
    unmet = list(csv.DictReader(io.StringIO((out / "unmet_demand.csv").read_text())))
    assert (
        unmet[0]["reason"] == "capacity of the 1 producer(s) in reach (P1) is used by other stores"
    )
    explained = runner.invoke(app, ["explain", *base, "--store", "S1", "--format", "csv"])
    assert explained.exit_code == 0, explained.stderr
    rows = {r["producer_id"]: r for r in csv.DictReader(io.StringIO(explained.stdout))}
    assert rows["P1"]["distance_km"] == "2.500" and rows["P1"]["minutes"] == "9.0"
    assert rows["P2"]["distance_km"] == "" and rows["P2"]["status"] == "excluded"
    assert rows["P2"]["rule"] == (
        "no listed route (producer P2 is not listed in d.csv (producer_id))"
    )
    nomin = matrix.with_name("nomin.csv")
    nomin.write_text("producer_id,store_id,distance_km\nP1,S1,2.5\n")
    timed = runner.invoke(
        app,
        [
            "assign",
            str(producers),
            str(stores),
            "--distance",
            f"matrix:{nomin}",
            "--max-minutes",
            "30",
        ],
    )
    assert timed.exit_code == 2
    assert timed.stderr == (
        f"error: --max-minutes needs travel times but {nomin} has no minutes column; add one "
        "(producer_id,store_id,distance_km,minutes) or bound the distance with --max-km\n"
    )
