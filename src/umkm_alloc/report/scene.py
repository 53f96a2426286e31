"""The scene: what every report view draws from, computed once per run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry

from umkm_alloc.allocate.pipeline import Result
from umkm_alloc.labels import check_lang, fmt_int, fmt_pct, labels
from umkm_alloc.report.fairness_note import objective_note
from umkm_alloc.summary import Summary

#: Share of capacity used / fill rate, 0 -> 1 (ColorBrewer RdYlBu, 7 classes; colour-blind safe).
RAMP = ("#d73027", "#fc8d59", "#fee090", "#ffffbf", "#e0f3f8", "#91bfdb", "#4575b4")
NO_RATIO = "#9e9e9e"
FLOW = "#3a2f7a"
TRIP = "#01665e"  # delivery trips: dark teal, apart from the flows and the ramp
#: map.png draws the delivery trips when they have at most this many legs (a pilot of a few
#: kecamatan); more would hide the flows, and the footnote points to map.html and
#: delivery_notes.pdf instead.
PNG_TRIP_LEGS_MAX = 150
LAND = "#f3f0e8"
EDGE = "#9a968c"
KAB_EDGE = "#5e5a52"
_ZONE_COLOURS = (
    "#cfe3c4",
    "#f6d7b0",
    "#cdd9ee",
    "#f1cfd9",
    "#e6e1bd",
    "#d6cdea",
    "#c6e5e2",
    "#efd9c9",
    "#dcdcdc",
    "#e3eec0",
    "#f5e0a8",
    "#d3e8f0",
)
_VIEW_MARGIN = 0.06  # of the data extent, on each side
_MIN_MARGIN_DEG = 0.02
# Corners of map.png's frame that its scale bar (bottom left) and north arrow (top right) cover,
# as fractions of the frame (png.py draws them; tests/report/test_png.py measures them).
_SCALE_BAR = (0.29, 0.10)  # x below, y below
_NORTH_ARROW = (0.93, 0.77)  # x above, y above
_OVERLAY_ROOM = 0.12  # of the view's height, added below or above while a point is covered
PAGE = (11.69, 8.27)  # A4 landscape, inches
MAP_FRAME = (0.015, 0.035, 0.745, 0.855)  # map axes in figure fractions
MAP_ASPECT = (MAP_FRAME[2] * PAGE[0]) / (MAP_FRAME[3] * PAGE[1])


# ------------------------------------------------ the shared scene


@dataclass(frozen=True)
class Scene:
    """What every report output draws from, computed once per run.

    ``summary`` holds the run's figures (``result.summary``); ``producers`` and ``stores``
    one row per id (``items`` lists its product rows); ``links`` one row per (producer,
    store) pair with allocated units; ``kecamatan`` the polygons in view with the figures
    of ``summary.by_kecamatan``; ``zones`` the configured zones of the run's
    :class:`~umkm_alloc.rules.ZoneMap` (``()``: none, and no zone is shown); ``view`` the
    map extent (lon/lat); ``trips`` the delivery trips of ``--routes`` (no rows without),
    one row per trip with its closed path (see :func:`trip_paths`).
    """

    result: Result
    summary: Summary
    lang: str
    text: Mapping[str, str]
    producers: pd.DataFrame
    stores: pd.DataFrame
    links: pd.DataFrame
    kecamatan: gpd.GeoDataFrame
    zones: tuple[str, ...]
    view: tuple[float, float, float, float]
    trips: pd.DataFrame = field(default_factory=lambda: trip_paths(None, {}))


def build_scene(result: Result, *, lang: str) -> Scene:
    """Compute what every report view shows, once per run (see :class:`Scene`)."""
    check_lang(lang)
    summary = result.summary
    boundaries = result.boundaries  # the polygons the run used, not a re-read
    zone_of = result.zone_map.zone_of if summary.zones else None  # no zones: none shown
    producers = _sites(result.producers, result.unused_supply, "producer_id", zone_of)
    stores = _sites(result.stores, result.unmet_demand, "store_id", zone_of)
    links = _links(result.allocations, producers, stores)
    view = _view(producers, stores, boundaries.frame)
    kecamatan = _kecamatan(boundaries.frame, summary, view, zone_of)
    return Scene(
        result=result,
        summary=summary,
        lang=lang,
        text=labels(lang),
        producers=producers,
        stores=stores,
        links=links,
        kecamatan=kecamatan,
        zones=summary.zones,
        view=view,
        trips=trip_paths(result.routes, _places(producers, stores)),
    )


#: Kecamatan code -> zone name (``ZoneMap.zone_of``), or ``None`` when no zones are shown.
ZoneOf = Callable[[str], str] | None


def _sites(rows: pd.DataFrame, reasons: pd.DataFrame, id_col: str, zone_of: ZoneOf) -> pd.DataFrame:
    """One row per producer or store id: place, totals and its product rows (``items``)."""
    why = {
        (str(i), str(p)): str(r)
        for i, p, r in zip(reasons[id_col], reasons["product"], reasons["reason"], strict=True)
    }
    records = []
    for site_id, group in rows.groupby("id", sort=True):
        first = group.iloc[0]
        qty, allocated = int(group["qty"].sum()), int(group["allocated"].sum())
        items = [
            (str(p), int(q), int(a), why.get((str(site_id), str(p)), ""))
            for p, q, a in zip(group["product"], group["qty"], group["allocated"], strict=True)
        ]
        code, kec = str(first["kecamatan_code"]), str(first["kecamatan_name"])
        records.append(
            {
                "id": str(site_id),
                "name": _text(first.get("name")),
                "chain": _text(first.get("chain")),
                "lon": float(first["lon"]),
                "lat": float(first["lat"]),
                "kecamatan_code": code,
                "kecamatan": kec,
                "kabupaten": _text(first.get("kabupaten_name")),
                "zone": zone_of(code) if zone_of else "",
                "qty": qty,
                "allocated": allocated,
                "ratio": allocated / qty if qty else np.nan,
                "items": items,
            }
        )
    columns = [
        "id",
        "name",
        "chain",
        "lon",
        "lat",
        "kecamatan_code",
        "kecamatan",
        "kabupaten",
        "zone",
        "qty",
        "allocated",
        "ratio",
        "items",
    ]
    return pd.DataFrame(records, columns=columns)


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _links(alloc: pd.DataFrame, producers: pd.DataFrame, stores: pd.DataFrame) -> pd.DataFrame:
    """One row per (producer, store) pair that exchanges units, with both ends' coordinates."""
    columns = [
        "producer_id",
        "store_id",
        "quantity",
        "distance_km",
        "items",
        "lon0",
        "lat0",
        "lon1",
        "lat1",
    ]
    if alloc.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    p_xy = producers.set_index("id")[["lon", "lat"]]
    s_xy = stores.set_index("id")[["lon", "lat"]]
    records = []
    for (pid, sid), group in alloc.groupby(["producer_id", "store_id"], sort=True):
        items = [(str(p), int(q)) for p, q in zip(group["product"], group["quantity"], strict=True)]
        records.append(
            {
                "producer_id": str(pid),
                "store_id": str(sid),
                "quantity": int(group["quantity"].sum()),
                "distance_km": float(group["distance_km"].iloc[0]),
                "items": items,
                "lon0": float(p_xy.at[pid, "lon"]),
                "lat0": float(p_xy.at[pid, "lat"]),
                "lon1": float(s_xy.at[sid, "lon"]),
                "lat1": float(s_xy.at[sid, "lat"]),
            }
        )
    return pd.DataFrame(records, columns=columns)


def _places(producers: pd.DataFrame, stores: pd.DataFrame) -> dict[str, dict[str, tuple]]:
    """``(lon, lat)`` of every producer and store id."""
    return {
        kind: dict(zip(rows["id"], zip(rows["lon"], rows["lat"], strict=True), strict=True))
        for kind, rows in (("producer", producers), ("store", stores))
    }


#: Columns of :attr:`Scene.trips`.
TRIP_PATH_COLUMNS = ["producer_id", "trip", "stops", "quantity", "km", "minutes", "lon", "lat"]


def trip_paths(plan: Any, places: Mapping[str, Mapping[str, tuple]]) -> pd.DataFrame:
    """One row per delivery trip of ``plan`` (a ``RoutePlan`` or ``None``) with its path.

    ``stops`` lists the store ids in riding order; ``lon`` and ``lat`` the closed path:
    the producer, each stop, the producer again.
    """
    if plan is None or plan.trips.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in TRIP_PATH_COLUMNS})
    trips = plan.trips
    stops = plan.routes[plan.routes["store_id"] != ""]
    cuts = np.cumsum(trips["stops"].to_numpy())[:-1]
    where, home = places["store"], places["producer"]
    rows = []
    for trip, ids in zip(
        trips.itertuples(index=False), np.split(stops["store_id"].to_numpy(), cuts), strict=True
    ):
        path = [home[trip.producer_id], *(where[s] for s in ids), home[trip.producer_id]]
        rows.append(
            {
                "producer_id": str(trip.producer_id),
                "trip": int(trip.trip),
                "stops": [str(s) for s in ids],
                "quantity": int(trip.quantity),
                "km": float(trip.km),
                "minutes": float(trip.minutes),
                "lon": [float(xy[0]) for xy in path],
                "lat": [float(xy[1]) for xy in path],
            }
        )
    return pd.DataFrame(rows, columns=TRIP_PATH_COLUMNS)


def _view(
    producers: pd.DataFrame, stores: pd.DataFrame, polygons: gpd.GeoDataFrame
) -> tuple[float, float, float, float]:
    """Return the data's bounding box plus a margin (all polygons when there are no points)."""
    lon = np.concatenate([producers["lon"].to_numpy(float), stores["lon"].to_numpy(float)])
    lat = np.concatenate([producers["lat"].to_numpy(float), stores["lat"].to_numpy(float)])
    if len(lon) == 0:
        x0, y0, x1, y1 = (float(v) for v in polygons.total_bounds)
    else:
        x0, x1, y0, y1 = float(lon.min()), float(lon.max()), float(lat.min()), float(lat.max())
    pad_x = max((x1 - x0) * _VIEW_MARGIN, _MIN_MARGIN_DEG)
    pad_y = max((y1 - y0) * _VIEW_MARGIN, _MIN_MARGIN_DEG)
    view = _fill_frame(x0 - pad_x, y0 - pad_y, x1 + pad_x, y1 + pad_y)
    for _ in range(4):  # a point under the scale bar or north arrow: make room below / above
        fx, fy = (lon - view[0]) / (view[2] - view[0]), (lat - view[1]) / (view[3] - view[1])
        low = ((fx < _SCALE_BAR[0]) & (fy < _SCALE_BAR[1])).any()
        high = ((fx > _NORTH_ARROW[0]) & (fy > _NORTH_ARROW[1])).any()
        if not (low or high):
            break
        more = (view[3] - view[1]) * _OVERLAY_ROOM
        view = _fill_frame(view[0], view[1] - more * low, view[2], view[3] + more * high)
    return view


def _fill_frame(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
    """Widen the short side so that the view fills the map frame of map.png."""
    shrink = np.cos(np.radians((y0 + y1) / 2))  # km per degree of longitude / of latitude
    width, height = (x1 - x0) * shrink, y1 - y0
    if width < height * MAP_ASPECT:
        grow = (height * MAP_ASPECT / shrink - (x1 - x0)) / 2
        x0, x1 = x0 - grow, x1 + grow
    else:
        grow = (width / MAP_ASPECT - height) / 2
        y0, y1 = y0 - grow, y1 + grow
    return (float(x0), float(y0), float(x1), float(y1))


def _kecamatan(
    polygons: gpd.GeoDataFrame,
    summary: Summary,
    view: tuple[float, float, float, float],
    zone_of: ZoneOf,
) -> gpd.GeoDataFrame:
    """Kecamatan polygons in view with supply, demand, allocated units and fill rate."""
    frame = polygons[polygons.intersects(shapely.box(*view))].copy()
    columns = ("producers", "supply", "supplied", "stores", "demand", "received")
    stats = pd.DataFrame(
        [[getattr(row, c) for c in columns] for row in summary.by_kecamatan],
        index=[row.kode for row in summary.by_kecamatan],
        columns=list(columns),
        dtype=np.int64,
    )
    stats = stats.reindex(frame["kode"].astype(str)).fillna(0).astype(np.int64)
    out = frame[["kode", "nama", "kabupaten", "kode_kab"]].reset_index(drop=True)
    out["zone"] = [zone_of(str(k)) if zone_of else "" for k in out["kode"]]
    for col in columns:
        out["allocated" if col == "received" else col] = stats[col].to_numpy()
    out["unmet"] = out["demand"] - out["allocated"]
    demand = out["demand"].to_numpy(float)
    out["fill_rate"] = np.where(
        demand > 0, out["allocated"] / np.where(demand > 0, demand, 1), np.nan
    )
    return gpd.GeoDataFrame(out, geometry=frame.geometry.to_numpy(), crs="EPSG:4326")


def colour(ratio: float) -> str:
    """Hex colour of a ratio on :data:`RAMP` (grey when there is nothing to fill)."""
    if ratio is None or not np.isfinite(ratio):
        return NO_RATIO
    pos = min(max(float(ratio), 0.0), 1.0) * (len(RAMP) - 1)
    i = min(int(pos), len(RAMP) - 2)
    t = pos - i
    a = [int(RAMP[i][k : k + 2], 16) for k in (1, 3, 5)]
    b = [int(RAMP[i + 1][k : k + 2], 16) for k in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True))


def nice(value: float, *, least: float = 0.0) -> float:
    """Return the largest 1-2-5 number not above ``value`` (and not below ``least``)."""
    if value <= least or value <= 0:
        return max(least, 1.0)
    exp = 10 ** np.floor(np.log10(value))
    return float(max(m * exp for m in (1, 2, 5) if m * exp <= value))


def title_lines(scene: Scene) -> tuple[str, str, str]:
    """Return the map title, the totals line and the counts line, in the scene's language."""
    t, lang, s = scene.text, scene.lang, scene.summary
    totals = t["title_totals"].format(
        allocated=fmt_int(s.units.allocated, lang),
        demand=fmt_int(s.units.demand, lang),
        fill=fmt_pct(s.fill_rate, lang),
    )
    counts = t["title_counts"].format(
        producers=fmt_int(s.counts.producers, lang),
        stores=fmt_int(s.counts.stores, lang),
        flows=fmt_int(len(scene.links), lang),
        unmet=fmt_int(s.units.unmet, lang),
        unused=fmt_int(s.units.unused, lang),
    )
    return t["map_title"] + objective_note(s.fairness, t), totals, counts


def distance_text(params: Mapping[str, Any]) -> str:
    """Return the distance backend and its parameters in one line: ``geodesic (circuity 1.4)``."""
    rest = ", ".join(f"{k} {v}" for k, v in sorted(params.items()) if k != "backend")
    return f"{params.get('backend', '?')}" + (f" ({rest})" if rest else "")


def zone_colours(scene: Scene) -> dict[str, str]:
    """Fill colour of each configured zone; a kecamatan in no zone keeps the land colour."""
    return {z: _ZONE_COLOURS[i % len(_ZONE_COLOURS)] for i, z in enumerate(scene.zones)}
