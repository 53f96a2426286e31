"""Locating points in kecamatan polygons: inside, snapped to the shore, name keys."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from conftest import ANYAR, PONTANG, offshore_point
from umkm_alloc.geo.boundaries import kabupaten_key, name_key
from umkm_alloc.geo.geocode import locate


def test_point_inside_gets_its_kecamatan(boundaries):
    found = locate(
        np.array([PONTANG[1], ANYAR[1]]), np.array([PONTANG[0], ANYAR[0]]), boundaries, snap_m=1000
    )
    assert [boundaries.frame["nama"].iat[i] for i in found.index] == ["Pontang", "Anyar"]
    assert found.snap_m.tolist() == [0.0, 0.0]


def test_every_point_of_the_coverage_lies_in_exactly_one_kecamatan(boundaries):
    rng = np.random.default_rng(1)
    reps = boundaries.representative_points
    found = locate(shapely.get_x(reps), shapely.get_y(reps), boundaries, snap_m=0)
    assert found.index.tolist() == list(range(len(reps)))
    lon = rng.uniform(105.1, 106.8, 2000)
    lat = rng.uniform(-7.0, -5.9, 2000)
    pts = shapely.points(lon, lat)
    hits = boundaries.tree.query(pts, predicate="within")
    counts = np.bincount(hits[0], minlength=len(pts))
    assert counts.max() <= 1  # no overlaps in the clean coverage


def test_point_just_offshore_snaps_to_nearest_kecamatan(boundaries):
    lat, lon = offshore_point(boundaries, 300)
    found = locate(np.array([lon]), np.array([lat]), boundaries, snap_m=1000)
    assert boundaries.frame["nama"].iat[found.index[0]] in {"Pontang", "Tirtayasa", "Tanara"}
    assert 290 < found.snap_m[0] < 310


def test_name_keys():
    assert name_key("Kec. Lebak Wangi") == name_key("LEBAKWANGI") == "lebakwangi"
    assert kabupaten_key("Kab. Serang") == ("kab", "serang")
    assert kabupaten_key("Kabupaten Serang") == ("kab", "serang")
    assert kabupaten_key("Kota Serang") == ("kota", "serang")
    assert kabupaten_key("serang") == ("", "serang")


@pytest.mark.parametrize("metres", [150.0, 900.0, 3000.0])
def test_snap_distance_is_the_geodesic_distance_to_the_shore(boundaries, metres):
    from pyproj import Geod

    lat, lon = offshore_point(boundaries, metres)
    found = locate(np.array([lon]), np.array([lat]), boundaries, snap_m=1000)
    coverage = shapely.union_all(boundaries.geometries)
    _, shore = shapely.shortest_line(shapely.Point(lon, lat), coverage).coords
    _, _, geodesic = Geod(ellps="WGS84").inv(lon, lat, *shore)
    assert found.nearest_m[0] == pytest.approx(geodesic, rel=2e-3)
    assert found.nearest_m[0] == pytest.approx(metres, rel=3e-3)  # UTM 48S scale ~0.9996
    assert (found.index[0] >= 0) == (metres <= 1000)


def test_snapping_is_geodesic_far_from_any_utm_zone_of_banten(write):
    """A square kecamatan at 60 N: 1 km east of it is 1 km, not what UTM 48S would say."""
    from pyproj import Geod

    from umkm_alloc.geo.boundaries import load_boundaries

    square = (
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
        '{"kode":"99.01.01","nama":"Kotak","kode_kab":"99.01","kabupaten":"Kota Uji"},'
        '"geometry":{"type":"Polygon","coordinates":'
        "[[[10.0,60.0],[10.1,60.0],[10.1,60.05],[10.0,60.05],[10.0,60.0]]]}}]}"
    )
    polygons = load_boundaries(str(write("square.geojson", square)))
    geod = Geod(ellps="WGS84")
    lon_east, lat_east, _ = geod.fwd(10.1, 60.025, 90.0, 1000.0)
    lon_north, lat_north, _ = geod.fwd(10.05, 60.05, 0.0, 400.0)
    found = locate(
        np.array([lon_east, lon_north, 10.05]),
        np.array([lat_east, lat_north, 60.02]),
        polygons,
        snap_m=500,
    )
    assert found.nearest_m[0] == pytest.approx(1000.0, rel=1e-3)
    assert found.nearest_m[1] == pytest.approx(400.0, rel=1e-3)
    assert found.index.tolist() == [-1, 0, 0]
    assert found.snap_m.tolist()[2] == 0.0
    assert found.nearest.tolist() == [0, 0, 0]
