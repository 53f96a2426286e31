"""Checks on the packaged national kecamatan boundaries and on locating points in them.

Only the files in the repository's ``data/`` directory are read; the national file is
rebuilt with ``python scripts/build_boundaries.py --national``.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pyarrow.parquet as pq
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon

from conftest import DATA
from umkm_alloc.geo.boundaries import load_boundaries
from umkm_alloc.geo.geocode import locate

pytestmark = pytest.mark.slow  # the national boundaries: 7,285 kecamatan

DATA_DIR = DATA
NATIONAL = DATA_DIR / "kecamatan_indonesia.parquet"
BANTEN = DATA_DIR / "kecamatan_boundaries.geojson"
NOTICE = DATA_DIR / "NOTICE"

PROPERTIES = ["kode", "nama", "kode_kab", "kabupaten"]
KODE_RE = re.compile(r"^\d{2}\.\d{2}\.\d{2}$")
GAP_WIDTH_M = 2000.0
GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def table():
    return pq.read_table(NATIONAL)


@pytest.fixture(scope="module")
def geoms(table) -> np.ndarray:
    return shapely.from_wkb(table.column("geometry").to_numpy())


@pytest.fixture(scope="module")
def national():
    return load_boundaries("indonesia")


def test_feature_count_and_columns(table):
    assert table.num_rows == 7285
    assert table.column_names == [*PROPERTIES, "geometry"]


def test_properties(table):
    rows = table.select(PROPERTIES).to_pylist()
    for row in rows:
        assert all(isinstance(row[p], str) and row[p] for p in PROPERTIES), row
        assert KODE_RE.match(row["kode"]), row
        assert row["kode"].startswith(row["kode_kab"] + "."), row


def test_kode_unique_and_sorted(table):
    kodes = table.column("kode").to_pylist()
    assert len(set(kodes)) == len(kodes)
    assert kodes == sorted(kodes)


def test_geoparquet_metadata(table):
    geo = json.loads(table.schema.metadata[b"geo"])
    assert geo["version"] == "1.1.0"
    assert geo["primary_column"] == "geometry"
    column = geo["columns"]["geometry"]
    assert column["encoding"] == "WKB"
    assert column["geometry_types"] == ["MultiPolygon"]
    assert column["crs"]["id"] == {"authority": "EPSG", "code": 4326}
    assert b"umkm_alloc:grid" in table.schema.metadata


def test_geometries_valid_multipolygons(geoms):
    assert (shapely.get_type_id(geoms) == 6).all()  # MultiPolygon
    assert not shapely.is_empty(geoms).any()
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    assert invalid.size == 0, shapely.is_valid_reason(geoms[invalid])


def test_within_indonesia(geoms):
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    assert 94.0 < xmin < xmax < 142.0
    assert -12.0 < ymin < ymax < 7.0


def test_valid_coverage(geoms):
    assert shapely.coverage_is_valid(geoms)


def test_no_narrow_gaps(geoms):
    """Every hole left in the coverage is wider than the gap width (a lake, unmapped land).

    Widths are measured in degrees and converted with the least length of a degree at
    that latitude (longitude degrees shrink with cos(lat)), so they are not overstated.
    """
    union = shapely.coverage_union_all(geoms)
    parts = union.geoms if isinstance(union, MultiPolygon) else [union]
    holes = np.array([Polygon(ring) for part in parts for ring in part.interiors], dtype=object)
    assert len(holes) < 50
    circles = shapely.maximum_inscribed_circle(holes)
    width_deg = 2.0 * shapely.length(circles)
    lat = shapely.get_y(shapely.get_point(circles, 0))
    width_m = width_deg * 110_574.0 * np.cos(np.radians(np.abs(lat) + width_deg))
    assert (width_m > 0.95 * GAP_WIDTH_M).all(), sorted(width_m)[:5]


def test_banten_kode_match_the_packaged_banten_set(table):
    kodes = table.column("kode").to_pylist()
    national_banten = [k for k in kodes if k.startswith("36.")]
    with BANTEN.open(encoding="utf-8") as f:
        banten = [feat["properties"]["kode"] for feat in json.load(f)["features"]]
    assert national_banten == banten


def test_notice_covers_both_files():
    text = NOTICE.read_text(encoding="utf-8")
    assert "kecamatan_boundaries.geojson" in text
    assert "kecamatan_indonesia.parquet" in text
    assert "indonesia_kecamatan.geojson.gz" in text
    assert "Copyright (c) 2024 Cahya DSN" in text
    assert "--national" in text


def test_load_boundaries_indonesia(national, table):
    assert national.source == "indonesia"
    assert len(national.frame) == 7285
    assert list(national.frame.columns) == [*PROPERTIES, "geometry"]
    assert national.frame["kode"].tolist() == table.column("kode").to_pylist()
    assert set(map(str, national.frame.dtypes)) == {"object"}
    assert national.lookup("36.04.12").index == national.frame["kode"].tolist().index("36.04.12")


def test_representative_points_are_located_in_their_own_kecamatan(national):
    sample = np.arange(0, len(national.frame), 7)
    reps = national.representative_points[sample]
    found = locate(shapely.get_x(reps), shapely.get_y(reps), national, snap_m=0)
    assert found.index.tolist() == sample.tolist()
    assert (found.snap_m == 0).all()


def _brute_force_nearest(national, lon: float, lat: float) -> tuple[int, float]:
    """Nearest polygon and geodesic distance to the densified boundaries of all candidates.

    Candidates: every polygon within 1.2 times the plain-degree distance of the nearest
    one, widened by 1/cos of the highest latitude in reach. Boundaries are densified to
    d/500 (at least ~11 m), so the distance to the nearest vertex overstates the true
    distance by far less than the tolerances below.
    """
    point = shapely.Point(lon, lat)
    d0 = float(shapely.distance(point, national.geometries).min())
    reach = min(abs(lat) + 2.0 * d0 + 1e-6, 89.0)
    radius = min(d0 * 1.2 / np.cos(np.radians(reach)) + 1e-6, 360.0)
    near = national.tree.query(point, predicate="dwithin", distance=radius)
    rings = shapely.segmentize(shapely.boundary(national.geometries[near]), max(1e-4, d0 / 500))
    xy, owner = shapely.get_coordinates(rings, return_index=True)
    _, _, dist = GEOD.inv(np.full(len(xy), lon), np.full(len(xy), lat), xy[:, 0], xy[:, 1])
    best = np.lexsort((near[owner], dist))[0]
    return int(near[owner][best]), float(dist[best])


def _offshore_points(national, n: int, seed: int) -> list[tuple[float, float]]:
    """Points up to a few km off the coast, spread over the whole country."""
    rng = np.random.default_rng(seed)
    coast = shapely.coverage_union_all(national.geometries)
    picked: list[tuple[float, float]] = []
    kecamatan = rng.permutation(len(national.frame))
    for i in kecamatan:
        geom = national.geometries[i]
        xy = shapely.get_coordinates(geom)
        x, y = xy[rng.integers(len(xy))]
        lon, lat = x + rng.normal(0, 0.02), y + rng.normal(0, 0.02)
        if not coast.intersects(shapely.Point(lon, lat)):
            picked.append((float(lon), float(lat)))
        if len(picked) == n:
            break
    return picked


def test_snapping_distances_are_geodesic_across_the_country(national):
    points = _offshore_points(national, 12, seed=6)
    lon = np.array([p[0] for p in points])
    lat = np.array([p[1] for p in points])
    assert lon.max() - lon.min() > 20  # spread over several UTM zones
    found = locate(lon, lat, national, snap_m=2000)
    for j, (x, y) in enumerate(points):
        index, metres = _brute_force_nearest(national, x, y)
        assert found.nearest_m[j] == pytest.approx(metres, rel=0.002, abs=0.5), (x, y)
        if found.nearest[j] != index:  # a tie between neighbours sharing the nearest edge
            assert (
                shapely.distance(national.geometries[found.nearest[j]], national.geometries[index])
                < 1e-6
            )
        if metres <= 2000:
            assert found.index[j] == found.nearest[j]
            assert found.snap_m[j] == found.nearest_m[j]
        else:
            assert found.index[j] == -1


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(98.0, -8.0), (138.0, 2.0), (110.0, 5.5), (-6.1, 45.0)],
    ids=["indian-ocean", "north-of-papua", "natuna-sea", "europe"],
)
def test_far_points_get_the_nearest_kecamatan_within_one_percent(national, lon, lat):
    found = locate(np.array([lon]), np.array([lat]), national, snap_m=1000)
    assert found.index[0] == -1
    _, metres = _brute_force_nearest(national, lon, lat)
    assert found.nearest_m[0] == pytest.approx(metres, rel=0.01)


def test_packaged_grid_is_the_grid_of_the_polygons(national):
    from umkm_alloc.geo.boundaries import PolygonGrid

    stored = national.grid
    built = PolygonGrid.build(national.geometries)
    assert (stored.x0, stored.y0, stored.cell) == (built.x0, built.y0, built.cell)
    assert stored.owner.dtype == built.owner.dtype
    assert np.array_equal(stored.owner, built.owner)


def test_grid_path_gives_the_same_answers_as_exact_tests(national, monkeypatch):
    """Points on vertices, on edges, on cell borders and near them: grid and exact agree."""
    import umkm_alloc.geo.geocode as geocode

    rng = np.random.default_rng(11)
    xy = shapely.get_coordinates(national.geometries)
    pick = rng.choice(len(xy) - 1, 2000, replace=False)
    vertices = xy[pick]
    midpoints = (xy[pick] + xy[pick + 1]) / 2  # on an edge (or across two rings)
    jittered = vertices[:1500] + rng.normal(0, 0.01, (1500, 2))
    grid = national.grid
    on_cell_border = jittered.copy()
    on_cell_border[:, 0] = grid.x0 + grid.cell * np.round(
        (on_cell_border[:, 0] - grid.x0) / grid.cell
    )
    points = np.concatenate([vertices, midpoints, jittered, on_cell_border])
    lon, lat = points[:, 0], points[:, 1]
    monkeypatch.setattr(geocode, "GRID_MIN_POINTS", 0)
    fast = locate(lon, lat, national, snap_m=500)
    monkeypatch.setattr(geocode, "GRID_MIN_POINTS", 10**12)
    exact = locate(lon, lat, national, snap_m=500)
    assert np.array_equal(fast.index, exact.index)
    assert np.array_equal(fast.nearest, exact.nearest)
    assert np.array_equal(fast.snap_m, exact.snap_m)
