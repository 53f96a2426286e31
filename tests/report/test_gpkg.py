"""allocations.gpkg: the layers QGIS opens, stable bytes."""

from __future__ import annotations

import pytest

from umkm_alloc.report import allocations_gpkg

pyogrio = pytest.importorskip("pyogrio")


def test_geopackage_layers_read_back(example, tmp_path):
    result, files, _ = example
    path = tmp_path / "allocations.gpkg"
    path.write_bytes(files["allocations.gpkg"])
    layers = {str(name): str(kind) for name, kind in pyogrio.list_layers(path)}
    assert layers == {
        "producers": "Point",
        "stores": "Point",
        "flows": "LineString",
        "kecamatan": "MultiPolygon",
    }
    producers = pyogrio.read_dataframe(path, layer="producers")
    stores = pyogrio.read_dataframe(path, layer="stores")
    flows = pyogrio.read_dataframe(path, layer="flows")
    kec = pyogrio.read_dataframe(path, layer="kecamatan")
    assert len(producers) == result.producers["id"].nunique()
    assert len(stores) == result.stores["id"].nunique()
    assert len(flows) == len(result.allocations)
    assert producers.crs.to_epsg() == 4326 and flows.crs.to_epsg() == 4326
    assert {"producer_id", "store_id", "product", "quantity", "distance_km"} <= set(flows.columns)
    assert flows["quantity"].sum() == result.allocations["quantity"].sum()
    assert {"supply", "demand", "allocated", "fill_rate"} <= set(kec.columns)
    assert kec["allocated"].sum() == result.allocations["quantity"].sum()
    assert kec["supply"].sum() == result.producers["qty"].sum()
    assert stores["fill_rate"].between(0, 1).all()
    # each flow runs from its producer to its store
    first = flows.iloc[0]
    start = producers.set_index("producer_id").loc[first["producer_id"], "geometry"]
    assert first.geometry.coords[0] == pytest.approx(start.coords[0])


def test_geopackage_bytes_are_stable(example, small):
    _, files, _ = example
    assert allocations_gpkg(small) == allocations_gpkg(small)
    assert files["allocations.gpkg"][:16] == b"SQLite format 3\x00"
