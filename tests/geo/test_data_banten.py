"""Checks on the committed kecamatan boundary file and its NOTICE.

Only the files in the repository's ``data/`` directory are read; the file is
rebuilt with ``python scripts/build_boundaries.py``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape

from conftest import DATA

DATA_DIR = DATA
BOUNDARIES = DATA_DIR / "kecamatan_boundaries.geojson"
NOTICE = DATA_DIR / "NOTICE"

PROPERTIES = ["kode", "nama", "kode_kab", "kabupaten"]
KODE_RE = re.compile(r"^36\.\d{2}\.\d{2}$")

KABUPATEN_COUNTS = {
    ("36.01", "Kabupaten Pandeglang"): 35,
    ("36.02", "Kabupaten Lebak"): 28,
    ("36.03", "Kabupaten Tangerang"): 29,
    ("36.04", "Kabupaten Serang"): 29,
    ("36.71", "Kota Tangerang"): 13,
    ("36.72", "Kota Cilegon"): 8,
    ("36.73", "Kota Serang"): 6,
    ("36.74", "Kota Tangerang Selatan"): 7,
}

KNOWN = {
    "36.04.12": "Pontang",
    "36.04.30": "Anyar",
    "36.04.13": "Tirtayasa",
    "36.04.11": "Kragilan",
    "36.04.31": "Cinangka",
    "36.73.01": "Serang",
    "36.72.02": "Cilegon",
}


@pytest.fixture(scope="module")
def features() -> list[dict[str, Any]]:
    with BOUNDARIES.open(encoding="utf-8") as f:
        collection = json.load(f)
    assert collection["type"] == "FeatureCollection"
    return collection["features"]


@pytest.fixture(scope="module")
def geoms(features: list[dict[str, Any]]) -> list[shapely.Geometry]:
    return [shape(f["geometry"]) for f in features]


def test_feature_count(features: list[dict[str, Any]]) -> None:
    assert len(features) == 155


def test_properties(features: list[dict[str, Any]]) -> None:
    for f in features:
        props = f["properties"]
        assert list(props) == PROPERTIES
        assert all(isinstance(props[p], str) and props[p] for p in PROPERTIES), props
        assert KODE_RE.match(props["kode"]), props
        assert props["kode"].startswith(props["kode_kab"] + "."), props


def test_kode_unique_and_sorted(features: list[dict[str, Any]]) -> None:
    kodes = [f["properties"]["kode"] for f in features]
    assert len(set(kodes)) == len(kodes)
    assert kodes == sorted(kodes)


def test_kabupaten_counts(features: list[dict[str, Any]]) -> None:
    counts = Counter((f["properties"]["kode_kab"], f["properties"]["kabupaten"]) for f in features)
    assert counts == KABUPATEN_COUNTS


def test_known_names(features: list[dict[str, Any]]) -> None:
    by_kode = {f["properties"]["kode"]: f["properties"]["nama"] for f in features}
    for kode, nama in KNOWN.items():
        assert by_kode.get(kode) == nama


def test_geometries_valid_multipolygons(geoms: list[shapely.Geometry]) -> None:
    for g in geoms:
        assert isinstance(g, MultiPolygon)
        assert not g.is_empty
        assert g.is_valid, shapely.is_valid_reason(g)


def test_within_banten(geoms: list[shapely.Geometry]) -> None:
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    assert 105.0 < xmin < xmax < 107.0
    assert -7.1 < ymin < ymax < -5.7


def test_valid_coverage(geoms: list[shapely.Geometry]) -> None:
    assert shapely.coverage_is_valid(geoms)


def test_no_gaps(geoms: list[shapely.Geometry]) -> None:
    """The repaired Banten coverage has no interior holes: any hole would be a gap."""
    union = shapely.union_all(geoms)
    parts = union.geoms if isinstance(union, MultiPolygon) else [union]
    holes = [Polygon(ring) for part in parts for ring in part.interiors]
    assert holes == [], [h.representative_point().wkt for h in holes]


def test_notice() -> None:
    text = NOTICE.read_text(encoding="utf-8")
    assert "MIT" in text
    assert "Copyright (c) 2024 Cahya DSN" in text
    assert "wilayah_boundaries" in text
    assert "coverage_clean" in text
    assert "scripts/build_boundaries.py" in text
