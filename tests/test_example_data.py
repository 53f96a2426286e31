"""Checks on the committed synthetic example tables in ``examples/``.

Only the repository's ``data/`` and ``examples/`` directories are read; the tables are
rebuilt with ``python examples/make_example.py`` (``make example``).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape

from conftest import DATA, EXAMPLES, REPO

BOUNDARIES = DATA / "kecamatan_boundaries.geojson"
GENERATOR = EXAMPLES / "make_example.py"

PRODUCER_COLUMNS = [
    "producer_id",
    "name",
    "kecamatan",
    "lat",
    "lon",
    "product",
    "category",
    "capacity",
]
STORE_COLUMNS = ["store_id", "name", "chain", "kecamatan", "lat", "lon", "product", "demand"]
KAB_SERANG = "36.04"
STORE_KAB = {"36.04", "36.72", "36.73"}


def _read(name: str) -> tuple[list[str], list[dict[str, str]]]:
    with (EXAMPLES / name).open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def polygons() -> dict[str, dict[str, shapely.Geometry]]:
    """Kecamatan polygons keyed by kode_kab, then by name."""
    with BOUNDARIES.open(encoding="utf-8") as f:
        features = json.load(f)["features"]
    out: dict[str, dict[str, shapely.Geometry]] = {}
    for feat in features:
        props = feat["properties"]
        out.setdefault(props["kode_kab"], {})[props["nama"]] = shape(feat["geometry"])
    return out


@pytest.fixture(scope="module")
def producers() -> list[dict[str, str]]:
    header, rows = _read("producers.csv")
    assert header == PRODUCER_COLUMNS
    return rows


@pytest.fixture(scope="module")
def stores() -> list[dict[str, str]]:
    header, rows = _read("stores.csv")
    assert header == STORE_COLUMNS
    return rows


def test_counts(producers: list[dict[str, str]], stores: list[dict[str, str]]) -> None:
    assert 350 <= len({r["producer_id"] for r in producers}) <= 400
    assert 250 <= len({r["store_id"] for r in stores}) <= 350


@pytest.mark.parametrize(("name", "id_col"), [("producers", "producer_id"), ("stores", "store_id")])
def test_id_product_unique(name: str, id_col: str, request: pytest.FixtureRequest) -> None:
    rows = request.getfixturevalue(name)
    keys = Counter((r[id_col], r["product"]) for r in rows)
    assert [k for k, n in keys.items() if n > 1] == []
    assert [r[id_col] for r in rows] == sorted(r[id_col] for r in rows)


def test_quantities_are_positive_integers(
    producers: list[dict[str, str]], stores: list[dict[str, str]]
) -> None:
    for r in producers:
        assert r["capacity"].isdigit() and int(r["capacity"]) > 0, r
    for r in stores:
        assert r["demand"].isdigit() and int(r["demand"]) > 0, r


def test_producers_inside_their_kecamatan(
    producers: list[dict[str, str]], polygons: dict[str, dict[str, shapely.Geometry]]
) -> None:
    kab = polygons[KAB_SERANG]
    for r in producers:
        assert r["kecamatan"] in kab, r
        point = shapely.Point(float(r["lon"]), float(r["lat"]))
        assert kab[r["kecamatan"]].contains(point), r


def test_stores_inside_their_kecamatan(
    stores: list[dict[str, str]], polygons: dict[str, dict[str, shapely.Geometry]]
) -> None:
    allowed = {name: geom for kab in STORE_KAB for name, geom in polygons[kab].items()}
    assert len(allowed) == 29 + 8 + 6  # names are unique within the three
    for r in stores:
        assert r["kecamatan"] in allowed, r
        point = shapely.Point(float(r["lon"]), float(r["lat"]))
        assert allowed[r["kecamatan"]].contains(point), r


def test_every_kab_serang_kecamatan_has_producers(
    producers: list[dict[str, str]], polygons: dict[str, dict[str, shapely.Geometry]]
) -> None:
    per_kec = Counter(r["kecamatan"] for r in {r["producer_id"]: r for r in producers}.values())
    assert set(per_kec) == set(polygons[KAB_SERANG])
    assert min(per_kec.values()) >= 3


def test_alfamart_orders_only_dry_food(
    producers: list[dict[str, str]], stores: list[dict[str, str]]
) -> None:
    category = {r["product"]: r["category"] for r in producers}
    assert set(category.values()) == {"basah", "kering"}
    assert len(category) == len({(r["product"], r["category"]) for r in producers})
    for r in stores:
        assert r["product"] in category, r
        assert r["store_id"].startswith("ALF-") == (r["chain"] == "Alfamart"), r
        if r["chain"] == "Alfamart":
            assert category[r["product"]] == "kering", r


def test_regeneration_is_byte_identical(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(GENERATOR), "--seed", "2026", "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        cwd=REPO,
    )
    for name in ("producers.csv", "stores.csv"):
        assert (tmp_path / name).read_bytes() == (EXAMPLES / name).read_bytes(), name
