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


def test_trips_layer_with_routes(small_job, tmp_path):
    from umkm_alloc.allocate import assign
    from umkm_alloc.config import AssignConfig

    producers, stores = small_job
    result = assign(AssignConfig(producers=producers, stores=stores, routes=True))
    path = tmp_path / "allocations.gpkg"
    path.write_bytes(allocations_gpkg(result))
    assert dict(pyogrio.list_layers(path))["trips"] == "LineString"
    trips = pyogrio.read_dataframe(path, layer="trips")
    table = result.routes.trips
    assert trips[["producer_id", "trip", "quantity"]].values.tolist() == (
        table[["producer_id", "trip", "quantity"]].values.tolist()
    )
    assert trips["km"].tolist() == pytest.approx(table["km"].tolist())
    homes = pyogrio.read_dataframe(path, layer="producers").set_index("producer_id").geometry
    stops = result.routes.routes[result.routes.routes["store_id"] != ""]
    for row in trips.itertuples():
        coords = list(row.geometry.coords)
        home = homes[row.producer_id].coords[0]
        # closed at the producer, one vertex per stop in riding order
        assert coords[0] == pytest.approx(home) and coords[-1] == pytest.approx(home)
        assert len(coords) == row.stops + 2
        mine = stops[(stops["producer_id"] == row.producer_id) & (stops["trip"] == row.trip)]
        assert row.store_ids.split(";") == mine["store_id"].tolist()
    # a run without routes has no trips layer
    plain = assign(AssignConfig(producers=producers, stores=stores))
    path.write_bytes(allocations_gpkg(plain))
    assert "trips" not in dict(pyogrio.list_layers(path))
