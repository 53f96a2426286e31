"""``allocations.gpkg``: producers, stores, flows, kecamatan (and trips) as layers for QGIS."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry

from umkm_alloc.allocate.pipeline import ALLOCATION_COLUMNS
from umkm_alloc.report.scene import Scene

#: ``gpkg_contents.last_change`` is mandatory in a GeoPackage; a fixed value keeps bytes stable.
_GPKG_DATE = "1980-01-01T00:00:00.000Z"


# ------------------------------------------------ allocations.gpkg


def render_gpkg(scene: Scene) -> bytes:
    """Return ``allocations.gpkg``: layers producers, stores, flows and kecamatan (EPSG:4326).

    With the delivery trips of ``--routes`` a ``trips`` layer too: one closed line per trip
    (the producer, its stops in riding order, the producer again) with the columns of
    ``trips.csv`` and the stops.
    """
    import pyogrio

    layers = _gpkg_layers(scene)
    with tempfile.TemporaryDirectory(prefix="umkm-alloc-") as tmp:
        path = Path(tmp) / "allocations.gpkg"
        previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _GPKG_DATE})
        try:
            for name, (frame, geometry_type) in layers.items():
                pyogrio.write_dataframe(
                    frame,
                    path,
                    layer=name,
                    driver="GPKG",
                    geometry_type=geometry_type,
                    promote_to_multi=geometry_type == "MultiPolygon",
                )
        finally:
            pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
        return path.read_bytes()


def _gpkg_layers(scene: Scene) -> dict[str, tuple[gpd.GeoDataFrame, str]]:
    def points(sites: pd.DataFrame, id_col: str, qty: str, rest: str, ratio: str) -> Any:
        frame = pd.DataFrame(
            {
                id_col: sites["id"],
                "name": sites["name"],
                **({"chain": sites["chain"]} if id_col == "store_id" else {}),
                "kecamatan_code": sites["kecamatan_code"],
                "kecamatan": sites["kecamatan"],
                "kabupaten": sites["kabupaten"],
                **({"zone": sites["zone"]} if scene.zones else {}),
                "products": ["; ".join(i[0] for i in items) for items in sites["items"]],
                qty: sites["qty"].astype(np.int64),
                "allocated": sites["allocated"].astype(np.int64),
                rest: (sites["qty"] - sites["allocated"]).astype(np.int64),
                ratio: sites["ratio"].astype(float),
            }
        )
        geometry = shapely.points(sites["lon"].to_numpy(float), sites["lat"].to_numpy(float))
        return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")

    alloc = scene.result.allocations[ALLOCATION_COLUMNS].reset_index(drop=True)
    p_xy = scene.producers.set_index("id")[["lon", "lat"]]
    s_xy = scene.stores.set_index("id")[["lon", "lat"]]
    if len(alloc):
        a = p_xy.reindex(alloc["producer_id"]).to_numpy(float)
        b = s_xy.reindex(alloc["store_id"]).to_numpy(float)
        lines = shapely.linestrings(np.stack([a, b], axis=1))
    else:
        lines = np.array([], dtype=object)
    flows = gpd.GeoDataFrame(alloc, geometry=lines, crs="EPSG:4326")
    kec = scene.kecamatan.drop(columns=["kode_kab"])
    if not scene.zones:
        kec = kec.drop(columns=["zone"])
    layers = {
        "producers": (
            points(scene.producers, "producer_id", "capacity", "unused", "share_used"),
            "Point",
        ),
        "stores": (points(scene.stores, "store_id", "demand", "unmet", "fill_rate"), "Point"),
        "flows": (flows, "LineString"),
        "kecamatan": (kec, "MultiPolygon"),
    }
    if len(scene.trips):
        layers["trips"] = (_trips(scene.trips), "LineString")
    return layers


def _trips(trips: pd.DataFrame) -> gpd.GeoDataFrame:
    """Return the ``trips`` layer: a closed line per delivery trip, stops as ``;``-joined ids."""
    frame = pd.DataFrame(
        {
            "producer_id": trips["producer_id"],
            "trip": trips["trip"].astype(np.int64),
            "stops": [len(ids) for ids in trips["stops"]],
            "store_ids": [";".join(ids) for ids in trips["stops"]],
            "quantity": trips["quantity"].astype(np.int64),
            "km": trips["km"].astype(float),
            "minutes": trips["minutes"].astype(float),
        }
    )
    lines = [
        shapely.linestrings(np.column_stack([lon, lat]))
        for lon, lat in zip(trips["lon"], trips["lat"], strict=True)
    ]
    return gpd.GeoDataFrame(frame, geometry=lines, crs="EPSG:4326")
