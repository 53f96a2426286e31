"""The files of a result: CSV tables and ``summary.json``, written atomically with the report."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from umkm_alloc.allocate.pipeline import ALLOCATION_COLUMNS, Result
from umkm_alloc.allocate.reasons import UNMET_COLUMNS, UNUSED_COLUMNS
from umkm_alloc.errors import UsageError
from umkm_alloc.inputs.validate import FIXED_COLUMNS, REJECTED_COLUMNS, SKIPPED_COLUMNS
from umkm_alloc.io.write import ensure_writable_dir, to_csv_bytes, write_atomic
from umkm_alloc.labels import check_lang

if TYPE_CHECKING:
    from umkm_alloc.report.scene import Scene

TABLE_FILES = (
    "allocations.csv",
    "unmet_demand.csv",
    "unused_supply.csv",
    "rejected_rows.csv",
    "fixed_rows.csv",
    "skipped_rows.csv",
    "summary.json",
)
#: The tables of the delivery trips (``--routes``).
ROUTE_FILES = ("routes.csv", "route_items.csv", "trips.csv")


#: How each table file is rendered from a result (only the files a run writes are rendered).
_RENDER: dict[str, Callable[[Result], bytes]] = {
    "allocations.csv": lambda r: to_csv_bytes(
        r.allocations[ALLOCATION_COLUMNS], float_digits={"distance_km": 3}
    ),
    "unmet_demand.csv": lambda r: to_csv_bytes(r.unmet_demand[UNMET_COLUMNS]),
    "unused_supply.csv": lambda r: to_csv_bytes(r.unused_supply[UNUSED_COLUMNS]),
    "rejected_rows.csv": lambda r: to_csv_bytes(r.rejected_rows[REJECTED_COLUMNS]),
    "fixed_rows.csv": lambda r: to_csv_bytes(r.fixed_rows[FIXED_COLUMNS]),
    "skipped_rows.csv": lambda r: to_csv_bytes(r.skipped_rows[SKIPPED_COLUMNS]),
    "summary.json": lambda r: summary_json(r),
}


def result_files(result: Result) -> dict[str, bytes]:
    """Render every output table of a result as bytes, keyed by file name.

    :data:`TABLE_FILES`, and with routes (``result.routes``) :data:`ROUTE_FILES` too.
    """
    return {name: _RENDER[name](result) for name in TABLE_FILES} | route_files(result)


def route_files(result: Result) -> dict[str, bytes]:
    """``routes.csv``, ``route_items.csv`` and ``trips.csv`` (none without routes)."""
    plan = result.routes
    if plan is None:
        return {}
    from umkm_alloc.routes.model import ITEM_COLUMNS, ROUTE_COLUMNS, TRIP_COLUMNS

    km = {"leg_km": 3, "cumulative_km": 3, "km": 3, "minutes": 1}
    return {
        "routes.csv": to_csv_bytes(plan.routes[ROUTE_COLUMNS], float_digits=km),
        "route_items.csv": to_csv_bytes(plan.items[ITEM_COLUMNS]),
        "trips.csv": to_csv_bytes(plan.trips[TRIP_COLUMNS], float_digits=km),
    }


def summary_json(result: Result) -> bytes:
    """``summary.json``: stable key order, 2-space indent, trailing newline."""
    text = json.dumps(result.summary.to_json(), indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def write_result(
    result: Result,
    *,
    output: str | None = None,
    out_dir: str | Path | None = None,
    stdout: Callable[[bytes], object] | None = None,
    report: bool = False,
    lang: str = "en",
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
        Folder for every table and ``summary.json`` (created when missing); ``None`` for none.
    stdout
        Writes bytes to standard output (used when ``output`` is ``-``).
    report
        Also write ``report.xlsx``, ``map.png``, ``map.html`` and ``allocations.gpkg`` (and,
        with routes, ``delivery_notes.pdf``) into ``out_dir`` (which is then required).
    lang
        ``en`` or ``id``: language of the report's labels.

    Returns
    -------
    list of str
        What was written, for the summary (``<stdout>`` or paths).

    Raises
    ------
    UsageError
        ``report`` without ``out_dir``, or an unknown ``lang``.
    """
    out_dir = None if out_dir is None else Path(out_dir)
    if report:
        check_lang(lang)
        if out_dir is None:
            raise UsageError(REPORT_NEEDS_DIR)
    if out_dir is not None:
        ensure_writable_dir(out_dir)
    allocations = _RENDER["allocations.csv"](result)
    targets: dict[Path, bytes] = {}
    if out_dir is not None:
        for name in TABLE_FILES:
            if name == "allocations.csv":
                if output is None:
                    targets[out_dir / name] = allocations
                continue
            targets[out_dir / name] = _RENDER[name](result)
        for name, payload in route_files(result).items():
            targets[out_dir / name] = payload
    if output is not None and output != "-":
        targets[Path(output)] = allocations
    if report and out_dir is not None:
        for name, payload in report_files(result, lang=lang).items():
            targets[out_dir / name] = payload
    write_atomic(targets)
    written = [str(p) for p in targets]
    if output == "-":
        if stdout is None:
            raise ValueError("stdout writer required for output '-'")
        stdout(allocations)
        written.insert(0, "<stdout>")
    return written


# ---------------------------------------------------------------- --report: workbook, maps, layers

REPORT_FILES = ("report.xlsx", "map.png", "map.html", "allocations.gpkg")
REPORT_NEEDS_DIR = "--report needs --out-dir: the workbook and maps are files; add --out-dir DIR"


def report_files(result: Result, *, lang: str = "en") -> dict[str, bytes]:
    """Render the workbook, both maps and the GeoPackage of a result, keyed by file name.

    Zones are those of the run's rules (``result.zone_map``): when the rules configure zones,
    the workbook has a *By zone* sheet and the maps colour the kecamatan by zone.

    Parameters
    ----------
    result
        Output of :func:`umkm_alloc.allocate.assign`.
    lang
        ``en`` or ``id``: language of sheet names, summary labels, map titles and legends.

    Returns
    -------
    dict of str to bytes
        ``report.xlsx``, ``map.png``, ``map.html`` and ``allocations.gpkg``; with routes
        (``result.routes``) also ``delivery_notes.pdf``, a page per producer.
    """
    scene = _scene(result, lang)
    files = {name: _renderer(name)(scene) for name in REPORT_FILES}
    if result.routes is not None:
        files["delivery_notes.pdf"] = _renderer("delivery_notes.pdf")(scene)
    return files


def report_xlsx(result: Result, *, lang: str = "en") -> bytes:
    """Return ``report.xlsx`` (see :func:`report_files`); the same input gives the same bytes."""
    return _renderer("report.xlsx")(_scene(result, lang))


def map_png(result: Result, *, lang: str = "en") -> bytes:
    """Return ``map.png``: an A4-landscape map at 200 dpi (2338 x 1654 px)."""
    return _renderer("map.png")(_scene(result, lang))


def map_html(result: Result, *, lang: str = "en") -> bytes:
    """Return ``map.html``: a self-contained Leaflet map (Leaflet inlined, works offline)."""
    return _renderer("map.html")(_scene(result, lang))


def allocations_gpkg(result: Result, *, lang: str = "en") -> bytes:
    """Return ``allocations.gpkg``: layers producers, stores, flows and kecamatan (EPSG:4326)."""
    return _renderer("allocations.gpkg")(_scene(result, lang))


def _scene(result: Result, lang: str) -> Scene:
    from umkm_alloc.report.scene import build_scene  # the renderers load only for --report

    return build_scene(result, lang=lang)


def _renderer(name: str) -> Callable[[Scene], bytes]:
    """Return the function that renders one report file (its module imported on demand)."""
    module, function = {
        "report.xlsx": ("xlsx", "render_xlsx"),
        "map.png": ("png", "render_png"),
        "map.html": ("html", "render_html"),
        "allocations.gpkg": ("gpkg", "render_gpkg"),
        "delivery_notes.pdf": ("notes", "render_notes"),
    }[name]
    return getattr(importlib.import_module(f"umkm_alloc.report.{module}"), function)
