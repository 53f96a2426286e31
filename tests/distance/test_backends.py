"""The backend interface, ``--distance`` parsing and the travel-time options."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from conftest import run_cli
from roadnet import river_network, write_osm
from umkm_alloc.config import assign_table, resolve_assign
from umkm_alloc.distance import DistanceBackend, GeodesicBackend, Pairs, Points, make_backend
from umkm_alloc.distance.matrix import MatrixBackend
from umkm_alloc.distance.osm import OsmBackend
from umkm_alloc.distance.osrm import OsrmBackend
from umkm_alloc.distance.spec import parse_distance_spec
from umkm_alloc.errors import UsageError

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
    result = run_cli("assign", *small_job, "--distance", "osm:x.osm")
    assert result.exit_code == 2
    assert result.stderr == "error: --distance 'osm:x.osm': x.osm: no such file; check the path\n"


def test_cli_max_minutes_with_geodesic_exits_2(small_job):
    result = run_cli("assign", *small_job, "--max-minutes", "30")
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
    result = run_cli("assign", *small_job, *args)
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
