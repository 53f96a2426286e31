"""Output files of a result: CSV tables, ``summary.json``, and the ``--report`` files.

``--report`` adds ``report.xlsx``, ``map.png``, ``map.html`` (Leaflet inlined, works
offline) and ``allocations.gpkg`` (layers for QGIS).

All files of one run are rendered in memory first and then written atomically together,
so a failed run leaves no half-written output and does not clobber the previous one.
openpyxl and matplotlib are imported only when a report is rendered.
"""

from __future__ import annotations

import base64
import datetime
import html
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry

from umkm_alloc import __version__
from umkm_alloc.boundaries import CODE_RE, name_key
from umkm_alloc.errors import UsageError
from umkm_alloc.labels import check_lang, fmt_int, fmt_pct, labels
from umkm_alloc.pipeline import (
    ALLOCATION_COLUMNS,
    UNMET_COLUMNS,
    UNUSED_COLUMNS,
    Result,
)
from umkm_alloc.summary import summarize
from umkm_alloc.tables import ensure_writable_dir, guard_formula, to_csv_bytes, write_atomic
from umkm_alloc.validate import FIXED_COLUMNS, REJECTED_COLUMNS

TABLE_FILES = (
    "allocations.csv",
    "unmet_demand.csv",
    "unused_supply.csv",
    "rejected_rows.csv",
    "fixed_rows.csv",
    "summary.json",
)


def result_files(result: Result) -> dict[str, bytes]:
    """Render every output table of a result as bytes, keyed by file name."""
    return {
        "allocations.csv": to_csv_bytes(
            result.allocations[ALLOCATION_COLUMNS], float_digits={"distance_km": 3}
        ),
        "unmet_demand.csv": to_csv_bytes(result.unmet_demand[UNMET_COLUMNS]),
        "unused_supply.csv": to_csv_bytes(result.unused_supply[UNUSED_COLUMNS]),
        "rejected_rows.csv": to_csv_bytes(result.rejected_rows[REJECTED_COLUMNS]),
        "fixed_rows.csv": to_csv_bytes(result.fixed_rows[FIXED_COLUMNS]),
        "summary.json": summary_json(result),
    }


def summary_json(result: Result) -> bytes:
    """``summary.json``: stable key order, 2-space indent, trailing newline."""
    text = json.dumps(summarize(result), indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def write_result(
    result: Result,
    *,
    output: str | None,
    out_dir: Path | None,
    stdout: Callable[[bytes], object] | None = None,
    report: bool = False,
    lang: str = "en",
    zones: Zones | None = None,
) -> list[str]:
    """Write a result's tables (and with ``report`` the workbook, maps and GeoPackage).

    Parameters
    ----------
    result
        The run's result.
    output
        Where the allocations CSV goes: a path, ``-`` for stdout, or ``None`` (into
        ``out_dir``).
    out_dir
        Folder for every table and ``summary.json``; ``None`` for none.
    stdout
        Writes bytes to standard output (used when ``output`` is ``-``).
    report
        Also write ``report.xlsx``, ``map.png``, ``map.html`` and ``allocations.gpkg`` into
        ``out_dir`` (which is then required).
    lang
        ``en`` or ``id``: language of the report's labels.
    zones
        The zones, for the report (see :func:`report_files`).

    Returns
    -------
    list of str
        What was written, for the summary (``<stdout>`` or paths).

    Raises
    ------
    UsageError
        ``report`` without ``out_dir``, or an unknown ``lang``.
    """
    if report:
        check_lang(lang)
        if out_dir is None:
            raise UsageError(REPORT_NEEDS_DIR)
    files = result_files(result)
    targets: dict[Path, bytes] = {}
    if out_dir is not None:
        ensure_writable_dir(out_dir)
        for name in TABLE_FILES:
            if name == "allocations.csv" and output is not None:
                continue
            targets[out_dir / name] = files[name]
    if output is not None and output != "-":
        targets[Path(output)] = files["allocations.csv"]
    if report and out_dir is not None:
        for name, payload in report_files(result, lang=lang, zones=zones).items():
            targets[out_dir / name] = payload
    write_atomic(targets)
    written = [str(p) for p in targets]
    if output == "-":
        if stdout is None:
            raise ValueError("stdout writer required for output '-'")
        stdout(files["allocations.csv"])
        written.insert(0, "<stdout>")
    return written


# ---------------------------------------------------------------- --report: workbook, maps, layers

REPORT_FILES = ("report.xlsx", "map.png", "map.html", "allocations.gpkg")
REPORT_NEEDS_DIR = "--report needs --out-dir: the workbook and maps are files; add --out-dir DIR"

#: Share of capacity used / fill rate, 0 -> 1 (ColorBrewer RdYlBu, 7 classes; colour-blind safe).
RAMP = ("#d73027", "#fc8d59", "#fee090", "#ffffbf", "#e0f3f8", "#91bfdb", "#4575b4")
_NO_RATIO = "#9e9e9e"
_FLOW = "#3a2f7a"
_LAND = "#f3f0e8"
_EDGE = "#9a968c"
_KAB_EDGE = "#5e5a52"
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
_KM_PER_DEG = 111.32
#: ``gpkg_contents.last_change`` is mandatory in a GeoPackage; a fixed value keeps bytes stable.
_GPKG_DATE = "1980-01-01T00:00:00.000Z"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_DPI = 200
_PAGE = (11.69, 8.27)  # A4 landscape, inches
_MAP_FRAME = (0.015, 0.035, 0.745, 0.855)  # map axes in figure fractions
_MAP_ASPECT = (_MAP_FRAME[2] * _PAGE[0]) / (_MAP_FRAME[3] * _PAGE[1])
_STATIC = "static/leaflet"
_OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


def report_files(
    result: Result, *, lang: str = "en", zones: Zones | None = None
) -> dict[str, bytes]:
    """Render the workbook, both maps and the GeoPackage of a result, keyed by file name.

    Parameters
    ----------
    result
        Output of :func:`umkm_alloc.pipeline.assign`.
    lang
        ``en`` or ``id``: language of sheet names, summary labels, map titles and legends.
    zones
        Zone name -> kecamatan codes or names (the shape of ``[zones]`` and of
        ``Rules.zones``), or kecamatan code (``36.04.12``) or name -> zone name. A kecamatan
        in no zone forms a zone of its own. ``None``: the zones of ``result.rules`` if the
        result has rules, else a ``zone`` column of the producers/stores, else no zones (no
        *By zone* sheet, kecamatan not coloured by zone).

    Returns
    -------
    dict of str to bytes
        ``report.xlsx``, ``map.png``, ``map.html`` and ``allocations.gpkg``.
    """
    scene = _scene(result, lang=lang, zones=zones)
    return {
        "report.xlsx": _xlsx(scene),
        "map.png": _png(scene),
        "map.html": _html(scene),
        "allocations.gpkg": _gpkg(scene),
    }


def report_xlsx(result: Result, *, lang: str = "en", zones: Zones | None = None) -> bytes:
    """Return ``report.xlsx`` (see :func:`report_files`); the same input gives the same bytes."""
    return _xlsx(_scene(result, lang=lang, zones=zones))


def map_png(result: Result, *, lang: str = "en", zones: Zones | None = None) -> bytes:
    """Return ``map.png``: an A4-landscape map at 200 dpi (2338 x 1654 px)."""
    return _png(_scene(result, lang=lang, zones=zones))


def map_html(result: Result, *, lang: str = "en", zones: Zones | None = None) -> bytes:
    """Return ``map.html``: a self-contained Leaflet map (Leaflet inlined, works offline)."""
    return _html(_scene(result, lang=lang, zones=zones))


def allocations_gpkg(result: Result, *, lang: str = "en", zones: Zones | None = None) -> bytes:
    """Return ``allocations.gpkg``: layers producers, stores, flows and kecamatan (EPSG:4326)."""
    return _gpkg(_scene(result, lang=lang, zones=zones))


# ------------------------------------------------ the shared scene


@dataclass(frozen=True)
class _Scene:
    """What every report output draws from, computed once per run.

    ``producers`` and ``stores`` hold one row per id (``items`` lists its product rows);
    ``links`` one row per (producer, store) pair with allocated units; ``kecamatan`` the
    polygons in view with their statistics; ``view`` the map extent (lon/lat).
    """

    result: Result
    lang: str
    text: Mapping[str, str]
    producers: pd.DataFrame
    stores: pd.DataFrame
    links: pd.DataFrame
    kecamatan: gpd.GeoDataFrame
    zones: tuple[str, ...]  # configured zone names, in the caller's order; () for no zones
    view: tuple[float, float, float, float]
    totals: dict[str, Any]


def _scene(result: Result, *, lang: str, zones: Zones | None) -> _Scene:
    check_lang(lang)
    boundaries = result.zone_map.boundaries  # the polygons the run used, not a re-read
    zone_of, zone_names = _zone_lookup(result, zones, boundaries.frame)
    producers = _sites(result.producers, result.unused_supply, "producer_id", zone_of)
    stores = _sites(result.stores, result.unmet_demand, "store_id", zone_of)
    links = _links(result.allocations, producers, stores)
    view = _view(producers, stores, boundaries.frame)
    kecamatan = _kecamatan(boundaries.frame, producers, stores, view, zone_of)
    return _Scene(
        result=result,
        lang=lang,
        text=labels(lang),
        producers=producers,
        stores=stores,
        links=links,
        kecamatan=kecamatan,
        zones=zone_names,
        view=view,
        totals=_totals(result),
    )


ZoneOf = Callable[[str, str], str]
#: Zones as a caller gives them: kecamatan code or name -> zone, or zone -> codes or names
#: (the shape of ``[zones]`` in the TOML file and of ``Rules.zones``).
Zones = Mapping[str, str] | Mapping[str, Sequence[str]]


def _zone_lookup(
    result: Result, zones: Zones | None, polygons: gpd.GeoDataFrame
) -> tuple[ZoneOf | None, tuple[str, ...]]:
    """Return ``(code, name) -> zone`` and the configured zone names (``None, ()``: no zones).

    The zones come from ``zones``, else from ``result.rules.zones`` when the result carries
    rules, else from a ``zone`` column of the producers and stores. A kecamatan in no zone
    forms a zone of its own, named after it (with its kabupaten when the name repeats).
    """
    mapping = _member_to_zone(zones if zones is not None else _result_zones(result))
    if not mapping:
        return None, ()
    names = tuple(dict.fromkeys(mapping.values()))
    by_name = {name_key(k): v for k, v in mapping.items() if not CODE_RE.match(k)}
    repeated = polygons["nama"].map(name_key).duplicated(keep=False).to_numpy()
    table: dict[str, str] = {}
    for code, name, kab, rep in zip(
        polygons["kode"], polygons["nama"], polygons["kabupaten"], repeated, strict=True
    ):
        own = f"{name} ({kab})" if rep and kab else str(name)
        table[str(code)] = mapping.get(str(code)) or by_name.get(name_key(str(name))) or own

    def zone_of(code: str, name: str) -> str:
        return table.get(code) or mapping.get(code) or by_name.get(name_key(name)) or name

    return zone_of, names


def _result_zones(result: Result) -> Zones | None:
    rules = getattr(result, "rules", None)
    if rules is not None and getattr(rules, "zones", None):
        return dict(rules.zones)
    mapping: dict[str, str] = {}
    for frame in (result.producers, result.stores):
        if "zone" in frame.columns and len(frame):
            pairs = zip(frame["kecamatan_code"], frame["zone"], strict=True)
            mapping.update({str(c): str(z) for c, z in pairs if isinstance(z, str) and z})
    return mapping or None


def _member_to_zone(zones: Zones | None) -> dict[str, str]:
    """Normalise either shape of zones to kecamatan code or name -> zone."""
    out: dict[str, str] = {}
    for key, value in (zones or {}).items():
        if isinstance(value, str):
            out[str(key).strip()] = value
        else:
            for member in value:
                out[str(member).strip()] = str(key)
    return out


def _sites(
    rows: pd.DataFrame, reasons: pd.DataFrame, id_col: str, zone_of: ZoneOf | None
) -> pd.DataFrame:
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
                "zone": zone_of(code, kec) if zone_of else "",
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
    x0, y0, x1, y1 = x0 - pad_x, y0 - pad_y, x1 + pad_x, y1 + pad_y
    # Widen the short side so that the view fills the map frame of map.png.
    shrink = np.cos(np.radians((y0 + y1) / 2))  # km per degree of longitude / of latitude
    width, height = (x1 - x0) * shrink, y1 - y0
    if width < height * _MAP_ASPECT:
        grow = (height * _MAP_ASPECT / shrink - (x1 - x0)) / 2
        x0, x1 = x0 - grow, x1 + grow
    else:
        grow = (width / _MAP_ASPECT - height) / 2
        y0, y1 = y0 - grow, y1 + grow
    return (float(x0), float(y0), float(x1), float(y1))


def _kecamatan(
    polygons: gpd.GeoDataFrame,
    producers: pd.DataFrame,
    stores: pd.DataFrame,
    view: tuple[float, float, float, float],
    zone_of: ZoneOf | None,
) -> gpd.GeoDataFrame:
    """Kecamatan polygons in view with supply, demand, allocated units and fill rate."""
    frame = polygons[polygons.intersects(shapely.box(*view))].copy()
    p = producers.groupby("kecamatan_code").agg(
        producers=("id", "size"), supply=("qty", "sum"), supplied=("allocated", "sum")
    )
    s = stores.groupby("kecamatan_code").agg(
        stores=("id", "size"), demand=("qty", "sum"), allocated=("allocated", "sum")
    )
    stats = p.join(s, how="outer").fillna(0).astype(np.int64)
    stats = stats.reindex(frame["kode"].astype(str)).fillna(0).astype(np.int64)
    out = frame[["kode", "nama", "kabupaten", "kode_kab"]].reset_index(drop=True)
    out["zone"] = [
        zone_of(k, n) if zone_of else "" for k, n in zip(out["kode"], out["nama"], strict=True)
    ]
    for col in ("producers", "supply", "supplied", "stores", "demand", "allocated"):
        out[col] = stats[col].to_numpy()
    out["unmet"] = out["demand"] - out["allocated"]
    demand = out["demand"].to_numpy(float)
    out["fill_rate"] = np.where(
        demand > 0, out["allocated"] / np.where(demand > 0, demand, 1), np.nan
    )
    return gpd.GeoDataFrame(out, geometry=frame.geometry.to_numpy(), crs="EPSG:4326")


def _totals(result: Result) -> dict[str, Any]:
    alloc = result.allocations
    supply = int(result.producers["qty"].sum())
    demand = int(result.stores["qty"].sum())
    allocated = int(alloc["quantity"].sum())
    unit_km = float((alloc["quantity"] * alloc["distance_km"]).sum())
    products = pd.concat([result.producers["product_key"], result.stores["product_key"]])
    return {
        "supply": supply,
        "demand": demand,
        "allocated": allocated,
        "unmet": demand - allocated,
        "unused": supply - allocated,
        "fill_rate": allocated / demand if demand else None,
        "unit_km": unit_km,
        "mean_km": unit_km / allocated if allocated else None,
        "producers": int(result.producers["id"].nunique()),
        "stores": int(result.stores["id"].nunique()),
        "products": int(products.nunique()),
        "candidates": int(result.candidates),
        "allocations": len(alloc),
        "rejected": len(result.rejected_rows),
    }


def _colour(ratio: float) -> str:
    """Hex colour of a ratio on :data:`RAMP` (grey when there is nothing to fill)."""
    if ratio is None or not np.isfinite(ratio):
        return _NO_RATIO
    pos = min(max(float(ratio), 0.0), 1.0) * (len(RAMP) - 1)
    i = min(int(pos), len(RAMP) - 2)
    t = pos - i
    a = [int(RAMP[i][k : k + 2], 16) for k in (1, 3, 5)]
    b = [int(RAMP[i + 1][k : k + 2], 16) for k in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True))


def _nice(value: float, *, least: float = 0.0) -> float:
    """Return the largest 1-2-5 number not above ``value`` (and not below ``least``)."""
    if value <= least or value <= 0:
        return max(least, 1.0)
    exp = 10 ** np.floor(np.log10(value))
    return float(max(m * exp for m in (1, 2, 5) if m * exp <= value))


def _title_lines(scene: _Scene) -> tuple[str, str, str]:
    t, lang, tot = scene.text, scene.lang, scene.totals
    totals = t["title_totals"].format(
        allocated=fmt_int(tot["allocated"], lang),
        demand=fmt_int(tot["demand"], lang),
        fill=fmt_pct(tot["fill_rate"], lang),
    )
    counts = t["title_counts"].format(
        producers=fmt_int(tot["producers"], lang),
        stores=fmt_int(tot["stores"], lang),
        flows=fmt_int(len(scene.links), lang),
        unmet=fmt_int(tot["unmet"], lang),
        unused=fmt_int(tot["unused"], lang),
    )
    return t["map_title"], totals, counts


# ------------------------------------------------ report.xlsx


def _xlsx(scene: _Scene) -> bytes:
    from openpyxl import Workbook

    result, t = scene.result, scene.text
    wb = Workbook()
    summary = wb.active
    summary.title = t["summary"]
    _summary_sheet(summary, scene)
    _table_sheet(
        wb,
        t["allocations"],
        result.allocations[ALLOCATION_COLUMNS],
        formats={"distance_km": "0.000"},
    )
    _table_sheet(wb, t["unmet_demand"], result.unmet_demand[UNMET_COLUMNS])
    _table_sheet(wb, t["unused_supply"], result.unused_supply[UNUSED_COLUMNS])
    _table_sheet(wb, t["by_kecamatan"], _by_kecamatan(scene), formats={"fill_rate": "0.0%"})
    if scene.zones:
        _table_sheet(wb, t["by_zone"], _by_zone(scene), formats={"fill_rate": "0.0%"})
    _table_sheet(wb, t["rejected_rows"], result.rejected_rows[REJECTED_COLUMNS])
    if len(result.fixed_rows):
        _table_sheet(wb, t["fixed_rows"], result.fixed_rows[FIXED_COLUMNS])
    wb.properties.creator = "umkm-alloc"
    wb.properties.title = f"{t['map_title']}"
    buf = io.BytesIO()
    wb.save(buf)
    return _reproducible_xlsx(buf.getvalue(), wb)


def _by_kecamatan(scene: _Scene) -> pd.DataFrame:
    k = pd.DataFrame(scene.kecamatan.drop(columns="geometry"))
    k = k[(k["producers"] > 0) | (k["stores"] > 0)]
    cols = [
        "kode",
        "nama",
        "kabupaten",
        *(["zone"] if scene.zones else []),
        "producers",
        "supply",
        "supplied",
        "stores",
        "demand",
        "allocated",
        "unmet",
        "fill_rate",
    ]
    out = k[cols].rename(columns={"nama": "kecamatan", "allocated": "received"})
    return out.sort_values("kode", kind="stable").reset_index(drop=True)


def _by_zone(scene: _Scene) -> pd.DataFrame:
    k = _by_kecamatan(scene)
    out = k.groupby("zone", sort=True).agg(
        kecamatan=("kode", "size"),
        producers=("producers", "sum"),
        supply=("supply", "sum"),
        supplied=("supplied", "sum"),
        stores=("stores", "sum"),
        demand=("demand", "sum"),
        received=("received", "sum"),
        unmet=("unmet", "sum"),
    )
    zone_p = scene.producers.set_index("id")["zone"]
    zone_s = scene.stores.set_index("id")["zone"]
    links = scene.links
    if len(links):
        cross = links[
            zone_p.reindex(links["producer_id"]).to_numpy()
            != zone_s.reindex(links["store_id"]).to_numpy()
        ]
        from_other = cross.groupby(zone_s.reindex(cross["store_id"]).to_numpy())["quantity"].sum()
    else:
        from_other = pd.Series(dtype=np.int64)
    out["received_from_other_zones"] = from_other.reindex(out.index).fillna(0).astype(np.int64)
    demand = out["demand"].to_numpy(float)
    out["fill_rate"] = np.where(
        demand > 0, out["received"] / np.where(demand > 0, demand, 1), np.nan
    )
    return out.reset_index()


def _cell(value: object) -> object:
    """Return a value as openpyxl should store it: numbers as numbers, text formula-guarded."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if value is pd.NA or value is pd.NaT:
        return None
    return guard_formula(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def _shown_width(value: object, fmt: str | None) -> int:
    if value is None:
        return 0
    if isinstance(value, float):
        if fmt == "0.0%":
            return 7
        if fmt == "0.000":
            return len(f"{value:,.3f}")
        return len(f"{value:,.2f}")
    if isinstance(value, int) and not isinstance(value, bool):
        return len(f"{value:,}")
    return max((len(line) for line in str(value).splitlines()), default=0)


def _style_header(ws: Any, n_cols: int, row: int = 1) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    fill = PatternFill("solid", fgColor="FFE8E4DA")
    for col in range(1, n_cols + 1):
        cell = ws.cell(row=row, column=col)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(vertical="center")


def _fit_widths(ws: Any, widths: dict[int, int]) -> None:
    from openpyxl.utils import get_column_letter

    for col, width in sorted(widths.items()):
        ws.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 8), 70)


def _table_sheet(
    wb: Any, title: str, frame: pd.DataFrame, *, formats: Mapping[str, str] | None = None
) -> None:
    """Add a sheet with a frozen, filtered header row and one row per frame row."""
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title=title)
    formats = dict(formats or {})
    columns = [str(c) for c in frame.columns]
    ws.append(columns)
    widths = {i + 1: len(c) for i, c in enumerate(columns)}
    col_formats = [formats.get(c) for c in columns]
    for row in frame.itertuples(index=False, name=None):
        values = [_cell(v) for v in row]
        ws.append(values)
        for i, (value, fmt) in enumerate(zip(values, col_formats, strict=True)):
            widths[i + 1] = max(widths[i + 1], _shown_width(value, fmt))
    for i, fmt in enumerate(col_formats):
        if fmt is not None:
            letter = get_column_letter(i + 1)
            for (cell,) in ws.iter_rows(min_row=2, min_col=i + 1, max_col=i + 1):
                cell.number_format = fmt
            del letter
    _style_header(ws, len(columns))
    ws.freeze_panes = "A2"
    if columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(frame) + 1, 1)}"
    _fit_widths(ws, widths)


def _summary_sheet(ws: Any, scene: _Scene) -> None:
    """Totals, reasons, per-product figures, parameters and inputs, as label/value rows."""
    from openpyxl.styles import Font

    t, tot, result = scene.text, scene.totals, scene.result
    rows: list[tuple[list[object], tuple[str | None, ...], bool]] = []
    count, ratio = "#,##0", "0.0%"

    def add(cells: list[object], *formats: str | None, bold: bool = False) -> None:
        rows.append((cells, (None, *formats), bold))

    add([t["item"], t["value"]])
    for key in ("supply", "demand", "allocated", "unmet", "unused"):
        add([t[key], tot[key]], count)
    add([t["fill_rate"], tot["fill_rate"]], ratio)
    add([t["unit_km"], round(tot["unit_km"], 3)], "#,##0.0")
    mean_km = tot["mean_km"]
    add([t["mean_km"], round(mean_km, 3) if mean_km is not None else None], "0.00")
    for key, label in (
        ("producers", "n_producers"),
        ("stores", "n_stores"),
        ("products", "n_products"),
        ("candidates", "n_candidates"),
        ("allocations", "n_allocations"),
        ("rejected", "n_rejected"),
    ):
        add([t[label], tot[key]], count)
    for title, table, qty in (
        ("unmet_by_reason", result.unmet_demand, "unmet"),
        ("unused_by_reason", result.unused_supply, "unused"),
    ):
        add([])
        add([t[title], t["rows"], t["units"]], bold=True)
        if len(table):
            grouped = table.groupby("kind", sort=True)[qty].agg(["size", "sum"])
            for kind, r in grouped.iterrows():
                label = t.get(f"kind.{kind}", str(kind))
                add([label, int(r["size"]), int(r["sum"])], count, count)
    add([])
    head = [t["by_product"], t["capacity"], t["ordered"], t["allocated_short"], t["fill_rate"]]
    add([h[:1].upper() + h[1:] for h in head], bold=True)
    for product, supply, demand, allocated in _by_product(result):
        fill = allocated / demand if demand else None
        add([product, supply, demand, allocated, fill], count, count, count, ratio)
    add([])
    add([t["parameters"]], bold=True)
    params = dict(result.config.params())
    for key in ("producers", "stores", "distance"):
        params.pop(key, None)
    for key, value in sorted(params.items()):
        shown = "-" if value is None else value
        add([key, shown if isinstance(shown, (int, float, str)) else json.dumps(shown)])
    add(["distance", _distance_text(result.distance)])
    add([])
    add([t["inputs"], t["rows_read"], t["rows_accepted"], t["rows_rejected"]], bold=True)
    for fc in result.files:
        add([fc.path, fc.read, fc.accepted, fc.rejected], count, count, count)
    add([])
    add([t["tool"], f"umkm-alloc {__version__}"])

    widths: dict[int, int] = {}
    for r, (cells, formats, bold) in enumerate(rows, start=1):
        for c, raw in enumerate(cells, start=1):
            value = _cell(raw)
            cell = ws.cell(row=r, column=c, value=value)
            fmt = formats[c - 1] if c - 1 < len(formats) else None
            if bold:
                cell.font = Font(bold=True)
            if fmt and isinstance(value, (int, float)) and not isinstance(value, bool):
                cell.number_format = fmt
            widths[c] = max(widths.get(c, 0), _shown_width(value, fmt))
    _style_header(ws, 2)
    ws.freeze_panes = "A2"
    _fit_widths(ws, widths)


def _by_product(result: Result) -> list[tuple[str, int, int, int]]:
    p = result.producers.groupby("product", sort=True)["qty"].sum()
    s = result.stores.groupby("product", sort=True)[["qty", "allocated"]].sum()
    names = sorted(set(p.index) | set(s.index), key=str)
    return [
        (
            str(n) if str(n) else "-",
            int(p.get(n, 0)),
            int(s["qty"].get(n, 0)),
            int(s["allocated"].get(n, 0)),
        )
        for n in names
    ]


def _reproducible_xlsx(data: bytes, wb: Any) -> bytes:
    """Re-pack the workbook so the same content gives the same bytes.

    openpyxl stamps the save time into ``docProps/core.xml`` and every zip entry; both get
    the fixed date 1980-01-01 (the zip epoch) instead.
    """
    from openpyxl.packaging.core import DocumentProperties
    from openpyxl.xml.functions import tostring

    fixed = datetime.datetime(*_ZIP_DATE)
    props = DocumentProperties(
        creator=wb.properties.creator, title=wb.properties.title, created=fixed, modified=fixed
    )
    core = tostring(props.to_tree())
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = core if info.filename == "docProps/core.xml" else src.read(info.filename)
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            entry.create_system = 0
            dst.writestr(entry, payload)
    return out.getvalue()


# ------------------------------------------------ map.png


def _png(scene: _Scene) -> bytes:
    import matplotlib
    import matplotlib.style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    with matplotlib.style.context("default"), matplotlib.rc_context({"font.size": 9}):
        fig = Figure(figsize=_PAGE, dpi=_DPI)  # A4 landscape: 2338 x 1654 px
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_axes(_MAP_FRAME)
        _draw_map(ax, scene)
        _draw_legend(fig, scene)
        title, totals, counts = _title_lines(scene)
        fig.text(0.015, 0.965, title, fontsize=16, fontweight="bold", va="center")
        fig.text(0.015, 0.932, totals, fontsize=12, va="center")
        fig.text(0.015, 0.905, counts, fontsize=9.5, va="center", color="#444444")
        fig.text(0.015, 0.012, _footnote(scene), fontsize=7, color="#666666", va="bottom")
        fig.patch.set_facecolor("white")
        canvas.draw()
        rgb = np.asarray(canvas.buffer_rgba())[..., :3]
    # Pillow (a matplotlib dependency) writes RGB without text chunks: no time, no version,
    # so the same input gives the same bytes; pHYs holds 200 dpi for printing at A4 size.
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buf, format="PNG", dpi=(_DPI, _DPI))
    return buf.getvalue()


def _footnote(scene: _Scene) -> str:
    r = scene.result
    return (
        f"{scene.text['boundaries']}: {r.boundaries}  ·  {scene.text['distance']}: "
        f"{r.backend.describe() if r.backend else _distance_text(r.distance)}, "
        f"{r.config.limits_text()}  ·  "
        f"{scene.text['flows_straight']}  ·  umkm-alloc {__version__}"
    )


def _distance_text(params: Mapping[str, Any]) -> str:
    rest = ", ".join(f"{k} {v}" for k, v in sorted(params.items()) if k != "backend")
    return f"{params.get('backend', '?')}" + (f" ({rest})" if rest else "")


def _polygon_path(geom: Any) -> Any:
    from matplotlib.path import Path as MplPath

    verts, codes = [], []
    for poly in getattr(geom, "geoms", [geom]):
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            if len(xy) < 3:
                continue
            verts.append(xy)
            ring_codes = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            ring_codes[0], ring_codes[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            codes.append(ring_codes)
    if not verts:
        return MplPath(np.zeros((0, 2)))
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def _zone_colours(scene: _Scene) -> dict[str, str]:
    """Fill colour of each configured zone; a kecamatan in no zone keeps the land colour."""
    return {z: _ZONE_COLOURS[i % len(_ZONE_COLOURS)] for i, z in enumerate(scene.zones)}


def _producer_sizes(qty: np.ndarray, top: float) -> np.ndarray:
    """Marker area (pt^2) proportional to capacity."""
    return 12 + 330 * np.asarray(qty, float) / max(top, 1)


def _flow_widths(qty: np.ndarray, top: float) -> np.ndarray:
    return 0.3 + 3.0 * np.asarray(qty, float) / max(top, 1)


def _draw_map(ax: Any, scene: _Scene) -> None:
    import matplotlib.patheffects as pe
    from matplotlib.collections import LineCollection, PatchCollection
    from matplotlib.patches import PathPatch

    x0, y0, x1, y1 = scene.view
    mid_lat = (y0 + y1) / 2
    ax.set_facecolor("#dfe9f2")  # sea / outside the boundaries
    kec = scene.kecamatan
    if len(kec):
        colours = _zone_colours(scene) if scene.zones else {}
        faces = [colours.get(z, _LAND) for z in kec["zone"]]
        patches = [PathPatch(_polygon_path(g)) for g in kec.geometry]
        ax.add_collection(
            PatchCollection(patches, facecolors=faces, edgecolors=_EDGE, linewidths=0.5, zorder=1)
        )
        kab = kec.dissolve(by="kode_kab").boundary
        kab_paths = [
            np.asarray(line.coords)[:, :2]
            for geom in kab
            for line in getattr(geom, "geoms", [geom])
            if not line.is_empty
        ]
        ax.add_collection(LineCollection(kab_paths, colors=_KAB_EDGE, linewidths=1.3, zorder=1.5))
    links = scene.links
    if len(links):
        order = np.argsort(links["quantity"].to_numpy(), kind="stable")
        lk = links.iloc[order]
        segs = np.stack(
            [lk[["lon0", "lat0"]].to_numpy(float), lk[["lon1", "lat1"]].to_numpy(float)], axis=1
        )
        widths = _flow_widths(lk["quantity"].to_numpy(), links["quantity"].max())
        ax.add_collection(
            LineCollection(
                list(segs), colors=_FLOW, linewidths=widths, alpha=0.4, zorder=3, capstyle="round"
            )
        )
    halo = [pe.withStroke(linewidth=2.2, foreground="white", alpha=0.85)]
    view_box = shapely.box(*scene.view)
    for name, geom in zip(kec["nama"], kec.geometry, strict=True):
        inside = geom.intersection(view_box)
        if inside.is_empty or inside.area < 0.0004:
            continue
        pt = inside.point_on_surface()
        ax.text(
            pt.x,
            pt.y,
            str(name),
            fontsize=6.5,
            color="#5a554c",
            ha="center",
            va="center",
            zorder=3.5,
            path_effects=halo,
            fontstyle="italic",
        )
    st = scene.stores
    if len(st):
        ax.scatter(
            st["lon"],
            st["lat"],
            s=20,
            marker="s",
            c=[_colour(r) for r in st["ratio"]],
            edgecolors="#222222",
            linewidths=0.45,
            zorder=6,
        )
    pr = scene.producers
    if len(pr):
        order = np.argsort(-pr["qty"].to_numpy(), kind="stable")
        pr = pr.iloc[order]
        ax.scatter(
            pr["lon"],
            pr["lat"],
            s=_producer_sizes(pr["qty"], scene.producers["qty"].max()),
            marker="o",
            c=[_colour(r) for r in pr["ratio"]],
            edgecolors="#222222",
            linewidths=0.5,
            alpha=0.92,
            zorder=5,
        )
    if not len(pr) and not len(st):
        ax.text(0.5, 0.5, scene.text["no_data"], transform=ax.transAxes, ha="center", fontsize=14)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(1 / np.cos(np.radians(mid_lat)))
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor("#666666")
    _scale_bar(ax, scene.view)
    _north_arrow(ax, scene.text["north"])


def _scale_bar(ax: Any, view: tuple[float, float, float, float]) -> None:
    from matplotlib.patches import Rectangle

    x0, y0, x1, y1 = view
    km_per_deg = _KM_PER_DEG * np.cos(np.radians((y0 + y1) / 2))
    length = _nice((x1 - x0) * km_per_deg / 5)
    deg = length / km_per_deg
    bx, by, h = x0 + 0.03 * (x1 - x0), y0 + 0.035 * (y1 - y0), 0.011 * (y1 - y0)
    ax.add_patch(
        Rectangle(
            (bx - 0.012 * (x1 - x0), by - 0.022 * (y1 - y0)),
            deg + 0.05 * (x1 - x0),
            0.075 * (y1 - y0),
            facecolor="white",
            edgecolor="#999999",
            linewidth=0.5,
            alpha=0.85,
            zorder=6,
        )
    )
    for i in range(4):
        ax.add_patch(
            Rectangle(
                (bx + i * deg / 4, by),
                deg / 4,
                h,
                zorder=7,
                linewidth=0.6,
                facecolor="black" if i % 2 == 0 else "white",
                edgecolor="black",
            )
        )
    for frac in (0.0, 0.5, 1.0):
        text = f"{length * frac:g}" + (" km" if frac == 1.0 else "")
        ax.text(bx + frac * deg, by + h * 1.6, text, ha="center", va="bottom", fontsize=8, zorder=7)


def _north_arrow(ax: Any, letter: str) -> None:
    ax.annotate(
        "",
        xy=(0.965, 0.955),
        xytext=(0.965, 0.865),
        xycoords="axes fraction",
        arrowprops={
            "facecolor": "black",
            "edgecolor": "black",
            "width": 5,
            "headwidth": 15,
            "headlength": 14,
        },
        zorder=8,
    )
    ax.text(
        0.965,
        0.845,
        letter,
        transform=ax.transAxes,
        ha="center",
        va="top",
        fontsize=14,
        fontweight="bold",
        zorder=8,
        bbox={
            "boxstyle": "circle,pad=0.15",
            "facecolor": "white",
            "edgecolor": "none",
            "alpha": 0.8,
        },
    )


def _draw_legend(fig: Any, scene: _Scene) -> None:
    """Legend sections stacked top-down in the right-hand panel, the colour bar below them."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import LinearSegmentedColormap, Normalize
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    t, lang = scene.text, scene.lang
    units = t["units"].lower()
    sections: list[tuple[str, list[Any], list[str]]] = []
    grey: dict[str, Any] = {
        "markerfacecolor": "#bdbdbd",
        "markeredgecolor": "#222222",
        "linestyle": "none",
    }
    top_p = float(scene.producers["qty"].max()) if len(scene.producers) else 1.0
    values = sorted({_nice(v, least=1) for v in (top_p, top_p / 3, top_p / 10)}, reverse=True)
    sizes = _producer_sizes(np.array(values), top_p)
    sections.append(
        (
            t["legend_producer"],
            [Line2D([], [], marker="o", markersize=float(np.sqrt(s)), **grey) for s in sizes],
            [f"{fmt_int(v, lang)} {units}" for v in values],
        )
    )
    if len(scene.links):
        top_q = float(scene.links["quantity"].max())
        values = sorted({_nice(v, least=1) for v in (top_q, top_q / 4, top_q / 15)}, reverse=True)
        widths = _flow_widths(np.array(values), top_q)
        sections.append(
            (
                t["legend_flow"],
                [Line2D([], [], color=_FLOW, alpha=0.7, linewidth=float(w)) for w in widths],
                [f"{fmt_int(v, lang)} {units}" for v in values],
            )
        )
    handles: list[Any] = [
        Line2D([], [], marker="s", markersize=5, **grey),
        Patch(facecolor=_LAND, edgecolor=_EDGE, linewidth=0.5),
        Line2D([], [], color=_KAB_EDGE, linewidth=1.3),
    ]
    kec_label = t["kecamatan_no_zone"] if scene.zones else t["kecamatan"]
    names = [t["legend_store"], kec_label, t["kab_border"]]
    if scene.producers["ratio"].isna().any() or scene.stores["ratio"].isna().any():
        handles.append(
            Line2D([], [], marker="o", markersize=5, **{**grey, "markerfacecolor": _NO_RATIO})
        )
        names.append(t["no_demand"])
    sections.append((t["symbols"], handles, names))
    if scene.zones:
        colours = list(_zone_colours(scene).items())
        shown = colours[:12] if len(colours) <= 13 else colours[:11]
        handles = [Patch(facecolor=c, edgecolor=_EDGE, linewidth=0.5) for _, c in shown]
        names = [z for z, _ in shown]
        if len(shown) < len(colours):
            handles.append(Patch(facecolor="white", edgecolor="white"))
            names.append(f"... +{len(colours) - len(shown)}")
        sections.append((t["zone"], handles, names))

    renderer = fig.canvas.get_renderer()
    to_fig = fig.transFigure.inverted()
    y = 0.895
    for title, handles, names in sections:
        legend = fig.legend(
            handles,
            names,
            loc="upper left",
            bbox_to_anchor=(0.775, y),
            title=title,
            alignment="left",
            frameon=False,
            fontsize=9,
            title_fontproperties={"weight": "bold", "size": 9.5},
            handlelength=2.6,
            borderaxespad=0,
            borderpad=0,
            labelspacing=0.55,
            handletextpad=0.8,
        )
        y = legend.get_window_extent(renderer).transformed(to_fig).y0 - 0.03
    head, _, body = t["legend_colour"].partition("\n")
    title = fig.text(0.775, y, head, fontsize=9.5, fontweight="bold", va="top")
    y = title.get_window_extent(renderer).transformed(to_fig).y0 - 0.006
    text = fig.text(0.775, y, body, fontsize=9, va="top", linespacing=1.4)
    text_box = text.get_window_extent(renderer).transformed(to_fig)
    bar_y = max(text_box.y0 - 0.045, 0.07)
    cax = fig.add_axes((0.782, bar_y, 0.185, 0.022))
    cmap = LinearSegmentedColormap.from_list("fill", list(RAMP))
    bar = fig.colorbar(
        ScalarMappable(norm=Normalize(0, 1), cmap=cmap), cax=cax, orientation="horizontal"
    )
    ticks = [0, 0.25, 0.5, 0.75, 1]
    bar.set_ticks(ticks, labels=[fmt_pct(v, lang, 0) for v in ticks])
    bar.ax.tick_params(labelsize=8)


# ------------------------------------------------ map.html


def _html(scene: _Scene) -> bytes:
    static = resources.files("umkm_alloc") / _STATIC
    js = (static / "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", js)
    css = (static / "leaflet.css").read_text(encoding="utf-8")
    for image in ("layers.png", "layers-2x.png", "marker-icon.png"):
        data = base64.b64encode((static / "images" / image).read_bytes()).decode("ascii")
        css = css.replace(f"url(images/{image})", f"url(data:image/png;base64,{data})")
    title, totals, counts = _title_lines(scene)
    payload = json.dumps(_html_data(scene), ensure_ascii=False, separators=(",", ":"))
    payload = payload.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    page = (
        _HTML_PAGE.replace("@@LANG@@", scene.lang)
        .replace("@@TITLE@@", html.escape(title))
        .replace("@@TOTALS@@", html.escape(totals))
        .replace("@@COUNTS@@", html.escape(counts))
        .replace("@@OWN_CSS@@", _HTML_CSS)
        .replace("@@OWN_JS@@", _HTML_JS)
        .replace("@@DATA@@", payload)
    )
    # Leaflet last: its text is not searched for placeholders.
    page = page.replace("@@LEAFLET_CSS@@", css, 1)
    head, tail = page.split("@@LEAFLET_JS@@", 1)
    return (head + js.replace("</script", "<\\/script") + tail).encode("utf-8")


def _html_data(scene: _Scene) -> dict[str, Any]:
    t = scene.text
    kec = scene.kecamatan
    features = []
    colours = _zone_colours(scene) if scene.zones else {}
    for row, geom in zip(
        kec.drop(columns="geometry").itertuples(index=False), kec.geometry, strict=True
    ):
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "kode": row.kode,
                    "nama": row.nama,
                    "kabupaten": row.kabupaten,
                    "zone": row.zone,
                    "colour": colours.get(row.zone, _LAND),
                    "producers": int(row.producers),
                    "supply": int(row.supply),
                    "supplied": int(row.supplied),
                    "stores": int(row.stores),
                    "demand": int(row.demand),
                    "allocated": int(row.allocated),
                    "fill_rate": _json_ratio(row.fill_rate),
                },
                "geometry": shapely.geometry.mapping(shapely.set_precision(geom, 1e-5)),
            }
        )
    top_p = float(scene.producers["qty"].max()) if len(scene.producers) else 1.0
    top_q = float(scene.links["quantity"].max()) if len(scene.links) else 1.0
    x0, y0, x1, y1 = scene.view
    return {
        "labels": {k: t[k].replace("\n", ", ") for k in _HTML_LABELS},
        "locale": "id-ID" if scene.lang == "id" else "en-GB",
        "bounds": [[round(y0, 5), round(x0, 5)], [round(y1, 5), round(x1, 5)]],
        "osm": _OSM_URL,
        "flow_colour": _FLOW,
        "ramp": list(RAMP),
        "zoned": bool(scene.zones),
        "kecamatan": {"type": "FeatureCollection", "features": features},
        "producers": [
            {
                "id": r.id,
                "name": r.name,
                "lat": round(r.lat, 6),
                "lon": round(r.lon, 6),
                "kec": r.kecamatan,
                "kab": r.kabupaten,
                "zone": r.zone,
                "qty": r.qty,
                "allocated": r.allocated,
                "colour": _colour(r.ratio),
                "radius": round(float(3 + 11 * np.sqrt(r.qty / max(top_p, 1))), 2),
                "items": [list(i) for i in r.items],
            }
            for r in scene.producers.itertuples(index=False)
        ],
        "stores": [
            {
                "id": r.id,
                "name": r.name,
                "chain": r.chain,
                "lat": round(r.lat, 6),
                "lon": round(r.lon, 6),
                "kec": r.kecamatan,
                "kab": r.kabupaten,
                "zone": r.zone,
                "qty": r.qty,
                "allocated": r.allocated,
                "colour": _colour(r.ratio),
                "items": [list(i) for i in r.items],
            }
            for r in scene.stores.itertuples(index=False)
        ],
        "links": [
            {
                "p": r.producer_id,
                "s": r.store_id,
                "q": int(r.quantity),
                "km": round(float(r.distance_km), 3),
                "w": round(float(0.8 + 4.5 * r.quantity / max(top_q, 1)), 2),
                "ll": [[round(r.lat0, 6), round(r.lon0, 6)], [round(r.lat1, 6), round(r.lon1, 6)]],
                "items": [list(i) for i in r.items],
            }
            for r in scene.links.itertuples(index=False)
        ],
    }


def _json_ratio(value: float) -> float | None:
    return round(float(value), 4) if value is not None and np.isfinite(value) else None


_HTML_LABELS = (
    "producers",
    "stores",
    "flows",
    "kecamatan",
    "zone",
    "product",
    "capacity",
    "ordered",
    "received",
    "supplied",
    "allocated",
    "quantity",
    "distance_km",
    "chain",
    "fill_rate",
    "share_used",
    "legend_colour_short",
    "legend_producer",
    "legend_store",
    "legend_flow",
    "osm_layer",
    "no_tiles",
    "supplies",
    "supplied_by",
    "unmet",
    "unused",
)

_HTML_PAGE = """<!DOCTYPE html>
<html lang="@@LANG@@">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="umkm-alloc">
<title>@@TITLE@@</title>
<style>
@@LEAFLET_CSS@@
</style>
<style>
@@OWN_CSS@@
</style>
<script>
@@LEAFLET_JS@@
</script>
</head>
<body>
<header id="head"><h1>@@TITLE@@</h1>
<p class="totals">@@TOTALS@@</p>
<p class="counts">@@COUNTS@@</p></header>
<div id="map"></div>
<script id="data" type="application/json">@@DATA@@</script>
<script>
@@OWN_JS@@
</script>
</body>
</html>
"""

_HTML_CSS = """
html, body { margin: 0; height: 100%; font-family: "Segoe UI", Roboto, Arial, sans-serif; }
body { display: flex; flex-direction: column; }
#head { padding: 6px 12px; background: #fbfaf6; border-bottom: 1px solid #ccc; }
#head h1 { font-size: 18px; margin: 0 0 2px 0; }
#head p { margin: 0; font-size: 14px; }
#head p.counts { font-size: 12px; color: #555; }
#map { flex: 1; background: #dfe9f2; }
.store-icon span { display: block; width: 100%; height: 100%; box-sizing: border-box;
  border: 1px solid #222; }
.leaflet-popup-content { font-size: 12px; line-height: 1.35; }
.leaflet-popup-content table { border-collapse: collapse; margin: 4px 0; }
.leaflet-popup-content th, .leaflet-popup-content td { padding: 1px 6px 1px 0; text-align: left;
  vertical-align: top; }
.leaflet-popup-content td.n { text-align: right; }
.leaflet-popup-content .why { color: #8a3b12; font-size: 11px; }
.legend { background: rgba(255,255,255,0.92); padding: 6px 8px; border-radius: 4px;
  font-size: 12px; line-height: 1.5; box-shadow: 0 1px 4px rgba(0,0,0,0.3); }
.legend .ramp { height: 10px; width: 160px; border: 1px solid #888; }
.legend .ticks { display: flex; justify-content: space-between; width: 162px; font-size: 11px; }
.legend i { display: inline-block; vertical-align: middle; margin-right: 6px; }
.kec-label { background: none; border: none; box-shadow: none; color: #5a554c;
  font-style: italic; font-size: 11px; text-shadow: 0 0 3px #fff, 0 0 3px #fff; }
.kec-label:before { display: none; }
"""

_HTML_JS = r"""
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("data").textContent);
  var T = D.labels;
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function num(n) { return Number(n).toLocaleString(D.locale); }
  function pct(r) {
    if (r === null || r === undefined || !isFinite(r)) { return "-"; }
    return (100 * r).toLocaleString(D.locale, {minimumFractionDigits: 1,
      maximumFractionDigits: 1}) + "%";
  }
  function ratio(a, b) { return b > 0 ? a / b : null; }
  function place(o) { return esc(o.kec) + (o.kab ? ", " + esc(o.kab) : "") +
    (D.zoned && o.zone ? " · " + esc(T.zone) + " " + esc(o.zone) : ""); }

  var map = L.map("map", {preferCanvas: true, zoomSnap: 0.25});
  map.createPane("kec"); map.getPane("kec").style.zIndex = 350;
  map.createPane("flows"); map.getPane("flows").style.zIndex = 410;
  map.createPane("producers"); map.getPane("producers").style.zIndex = 420;
  var kecR = L.canvas({pane: "kec"});
  var flowR = L.canvas({pane: "flows", tolerance: 4});
  var prodR = L.canvas({pane: "producers"});

  var byP = {}, byS = {};
  D.links.forEach(function (l) {
    (byP[l.p] = byP[l.p] || []).push(l); (byS[l.s] = byS[l.s] || []).push(l);
  });
  function km(x) { return x.toLocaleString(D.locale, {maximumFractionDigits: 1}) + " km"; }
  function linkList(list, key, label) {
    if (!list || !list.length) { return ""; }
    return "<br>" + esc(cap(label)) + ": " + list.map(function (l) {
      return esc(l[key]) + " (" + num(l.q) + ", " + km(l.km) + ")";
    }).join(", ");
  }
  function itemTable(items, head) {
    var rows = items.map(function (i) {
      var why = i[3] ? "<tr><td colspan=3 class=why>" + esc(i[3]) + "</td></tr>" : "";
      return "<tr><td>" + esc(i[0] || "-") + "</td><td class=n>" + num(i[1]) +
        "</td><td class=n>" + num(i[2]) + "</td></tr>" + why;
    }).join("");
    return "<table><tr><th>" + esc(T.product) + "</th><th>" + esc(head[0]) + "</th><th>" +
      esc(head[1]) + "</th></tr>" + rows + "</table>";
  }

  var kec = L.geoJSON(D.kecamatan, {
    renderer: kecR, pane: "kec",
    style: function (f) {
      return {color: "#8c887e", weight: 1, fillColor: f.properties.colour, fillOpacity: 0.9};
    },
    onEachFeature: function (f, layer) {
      var p = f.properties;
      layer.bindPopup("<b>" + esc(p.nama) + "</b> (" + esc(p.kode) + ")<br>" + esc(p.kabupaten) +
        (D.zoned ? "<br>" + esc(T.zone) + ": " + esc(p.zone) : "") +
        "<table><tr><td>" + esc(T.producers) + "</td><td class=n>" + num(p.producers) +
        "</td></tr><tr><td>" + esc(T.capacity) + "</td><td class=n>" + num(p.supply) +
        "</td></tr><tr><td>" + esc(T.supplied) + "</td><td class=n>" + num(p.supplied) +
        "</td></tr><tr><td>" + esc(T.stores) + "</td><td class=n>" + num(p.stores) +
        "</td></tr><tr><td>" + esc(T.ordered) + "</td><td class=n>" + num(p.demand) +
        "</td></tr><tr><td>" + esc(T.received) + "</td><td class=n>" + num(p.allocated) +
        "</td></tr><tr><td>" + esc(T.fill_rate) + "</td><td class=n>" + pct(p.fill_rate) +
        "</td></tr></table>");
      layer.bindTooltip(esc(p.nama), {permanent: true, direction: "center",
        className: "kec-label", interactive: false});
    }
  });

  var flows = L.layerGroup(D.links.map(function (l) {
    var items = l.items.map(function (i) { return esc(i[0] || "-") + ": " + num(i[1]); });
    return L.polyline(l.ll, {renderer: flowR, color: D.flow_colour, weight: l.w, opacity: 0.45})
      .bindPopup("<b>" + esc(l.p) + " &rarr; " + esc(l.s) + "</b><br>" + num(l.q) + " " +
        esc(T.quantity) + ", " + km(l.km) + "<br>" + items.join("<br>"));
  }));

  var producers = L.layerGroup(D.producers.slice().sort(function (a, b) {
    return b.qty - a.qty;
  }).map(function (p) {
    return L.circleMarker([p.lat, p.lon], {renderer: prodR, radius: p.radius,
      fillColor: p.colour, color: "#222", weight: 1, fillOpacity: 0.92})
      .bindPopup("<b>" + esc(p.id) + "</b> " + esc(p.name) + "<br>" + place(p) +
        itemTable(p.items, [T.capacity, T.supplied]) + esc(T.share_used) + ": " +
        pct(ratio(p.allocated, p.qty)) + linkList(byP[p.id], "s", T.supplies));
  }));

  var stores = L.layerGroup(D.stores.map(function (s) {
    var icon = L.divIcon({className: "store-icon", iconSize: [11, 11],
      html: "<span style=\"background:" + s.colour + "\"></span>"});
    return L.marker([s.lat, s.lon], {icon: icon, title: s.id + " " + s.name, keyboard: false})
      .bindPopup("<b>" + esc(s.id) + "</b> " + esc(s.name) +
        (s.chain ? " (" + esc(s.chain) + ")" : "") + "<br>" + place(s) +
        itemTable(s.items, [T.ordered, T.received]) + esc(T.fill_rate) + ": " +
        pct(ratio(s.allocated, s.qty)) + linkList(byS[s.id], "p", T.supplied_by));
  }));

  var blank = L.layerGroup();
  var osm = L.tileLayer(D.osm, {maxZoom: 19,
    attribution: "&copy; OpenStreetMap contributors"});
  var bases = {}; bases[T.no_tiles] = blank; bases[T.osm_layer] = osm;
  function cap(s) { return s.charAt(0).toUpperCase() + s.slice(1); }
  var overlays = {};
  overlays[cap(T.kecamatan)] = kec; overlays[cap(T.flows)] = flows;
  overlays[cap(T.producers)] = producers; overlays[cap(T.stores)] = stores;
  [blank, kec, flows, producers, stores].forEach(function (l) { l.addTo(map); });
  L.control.layers(bases, overlays, {collapsed: false}).addTo(map);
  L.control.scale({imperial: false}).addTo(map);
  map.on("baselayerchange", function (e) {
    kec.setStyle({fillOpacity: e.layer === osm ? 0.15 : 0.9});
  });

  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "legend");
    div.innerHTML = "<b>" + esc(T.legend_colour_short) + "</b>" +
      "<div class=ramp style=\"background:linear-gradient(to right," + D.ramp.join(",") +
      ")\"></div><div class=ticks><span>0%</span><span>50%</span><span>100%</span></div>" +
      "<i style=\"width:14px;height:14px;border-radius:50%;border:1px solid #222;" +
      "background:#bbb\"></i>" + esc(T.legend_producer) + "<br>" +
      "<i style=\"width:9px;height:9px;border:1px solid #222;background:#bbb;margin-left:3px;" +
      "margin-right:8px\"></i>" + esc(T.legend_store) + "<br>" +
      "<i style=\"width:22px;height:3px;background:" + D.flow_colour + "\"></i>" +
      esc(T.legend_flow);
    return div;
  };
  legend.addTo(map);
  map.fitBounds(D.bounds);
})();
"""


# ------------------------------------------------ allocations.gpkg


def _gpkg(scene: _Scene) -> bytes:
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


def _gpkg_layers(scene: _Scene) -> dict[str, tuple[gpd.GeoDataFrame, str]]:
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
    return {
        "producers": (
            points(scene.producers, "producer_id", "capacity", "unused", "share_used"),
            "Point",
        ),
        "stores": (points(scene.stores, "store_id", "demand", "unmet", "fill_rate"), "Point"),
        "flows": (flows, "LineString"),
        "kecamatan": (kec, "MultiPolygon"),
    }
