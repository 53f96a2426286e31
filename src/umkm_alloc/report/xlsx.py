"""``report.xlsx``: the summary and every table as a workbook, byte-stable."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from umkm_alloc.allocate.pipeline import ALLOCATION_COLUMNS
from umkm_alloc.allocate.reasons import UNMET_COLUMNS, UNUSED_COLUMNS
from umkm_alloc.inputs.validate import FIXED_COLUMNS, REJECTED_COLUMNS
from umkm_alloc.io.write import guard_formula, workbook_bytes
from umkm_alloc.report.fairness_sheet import FAIRNESS_FORMATS, fairness_frame, summary_rows
from umkm_alloc.report.scene import Scene, distance_text
from umkm_alloc.routes.model import ROUTE_COLUMNS
from umkm_alloc.summary import Summary

_MAX_WIDTH = 70  # characters: the widest a column is made; longer text wraps


# ------------------------------------------------ report.xlsx


def render_xlsx(scene: Scene) -> bytes:
    """Return ``report.xlsx``: the summary and every table; the same input, the same bytes."""
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
    if result.routes is not None:
        km = {"leg_km": "0.000", "cumulative_km": "0.000"}
        _table_sheet(wb, t["routes"], result.routes.routes[ROUTE_COLUMNS], formats=km)
    ratio = {"fill_rate": "0.0%"}
    _table_sheet(wb, t["by_kecamatan"], _by_kecamatan(scene.summary), formats=ratio)
    if scene.summary.zones:
        _table_sheet(wb, t["by_zone"], _by_zone(scene.summary), formats=ratio)
    _table_sheet(wb, t["fairness"], fairness_frame(scene), formats=FAIRNESS_FORMATS)
    _table_sheet(wb, t["rejected_rows"], result.rejected_rows[REJECTED_COLUMNS])
    if len(result.fixed_rows):
        _table_sheet(wb, t["fixed_rows"], result.fixed_rows[FIXED_COLUMNS])
    for ws in wb.worksheets:
        _print_setup(ws, scene.text, table=ws is not summary)
    wb.properties.creator = "umkm-alloc"
    wb.properties.title = f"{t['map_title']}"
    return workbook_bytes(wb)


def _by_kecamatan(summary: Summary) -> pd.DataFrame:
    """Return the *By kecamatan* sheet: ``summary.by_kecamatan`` (``zone`` when zoned)."""
    zoned = bool(summary.zones)
    columns = [
        "kode",
        "kecamatan",
        "kabupaten",
        *(["zone"] if zoned else []),
        *("producers", "supply", "supplied", "stores", "demand", "received", "unmet", "fill_rate"),
    ]
    return pd.DataFrame(
        [[getattr(r, c) for c in columns] for r in summary.by_kecamatan], columns=columns
    )


def _by_zone(summary: Summary) -> pd.DataFrame:
    """Return the *By zone* sheet: ``summary.by_zone``, sorted by zone name."""
    columns = [
        "zone",
        "kecamatan",
        "producers",
        "supply",
        "supplied",
        "stores",
        "demand",
        "received",
        "unmet",
        "received_from_other_zones",
        "fill_rate",
    ]
    rows = sorted(summary.by_zone, key=lambda r: r.zone)
    return pd.DataFrame([[getattr(r, c) for c in columns] for r in rows], columns=columns)


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
        ws.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 8), _MAX_WIDTH)


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


def _summary_sheet(ws: Any, scene: Scene) -> None:
    """Totals, reasons, per-product figures, parameters and inputs, as label/value rows."""
    from openpyxl.styles import Font

    t, s = scene.text, scene.summary
    rows: list[tuple[list[object], tuple[str | None, ...], bool]] = []
    count, ratio = "#,##0", "0.0%"

    def add(cells: list[object], *formats: str | None, bold: bool = False) -> None:
        rows.append((cells, (None, *formats), bold))

    add([t["item"], t["value"]])
    for key in ("supply", "demand", "allocated", "unmet", "unused"):
        add([t[key], getattr(s.units, key)], count)
    add([t["fill_rate"], s.fill_rate], ratio)
    add([t["unit_km"], round(s.unit_km, 3)], "#,##0.0")
    add([t["mean_km"], round(s.mean_km, 3) if s.mean_km is not None else None], "0.00")
    for value, label in (
        (s.counts.producers, "n_producers"),
        (s.counts.stores, "n_stores"),
        (s.counts.products, "n_products"),
        (s.counts.candidate_pairs, "n_candidates"),
        (s.counts.allocations, "n_allocations"),
        (s.counts.rows_rejected, "n_rejected"),
    ):
        add([t[label], value], count)
    for title, reasons in (
        ("unmet_by_reason", s.unmet_by_reason),
        ("unused_by_reason", s.unused_by_reason),
    ):
        add([])
        add([t[title], t["rows"], t["units"]], bold=True)
        for why in reasons:
            add([t.get(f"kind.{why.kind}", why.kind), why.rows, why.units], count, count)
    add([])
    head = [t["by_product"], t["capacity"], t["ordered"], t["allocated_short"], t["fill_rate"]]
    add([h[:1].upper() + h[1:] for h in head], bold=True)
    for p in s.by_product:
        cells = [p.product or "-", p.supply, p.demand, p.allocated, p.fill_rate]
        add(cells, count, count, count, ratio)
    _routes_rows(add, scene)
    add([])
    for i, (cells, fmt) in enumerate(summary_rows(scene)):
        add(cells, fmt, bold=i == 0)
    add([])
    add([t["parameters"]], bold=True)
    for key, value in sorted(s.params.items()):
        if key in ("distance", "cost_scale_per_km"):
            continue  # the distance on its own row below; the cost scale is the solver's
        shown = "-" if value is None else value
        add([key, shown if isinstance(shown, (int, float, str)) else json.dumps(shown)])
    add(["distance", distance_text(s.params["distance"])])
    add([])
    add([t["inputs"], t["rows_read"], t["rows_accepted"], t["rows_rejected"]], bold=True)
    for f in s.files:
        add([f.path, f.rows_read, f.rows_accepted, f.rows_rejected], count, count, count)
    add([])
    add([t["tool"], f"umkm-alloc {s.version}"])

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


def _routes_rows(add: Any, scene: Scene) -> None:
    """Add the delivery trips' totals and overloaded producers, on the Summary sheet."""
    t, r = scene.text, scene.summary.routes
    if r is None:
        return
    add([])
    add([t["n_trips"], r.trips], "#,##0", bold=True)
    add([t["trip_km"], r.km], "#,##0.0")
    add([t["trip_km_direct"], r.km_direct], "#,##0.0")
    add([t["trip_saving"], r.saving_pct / 100.0], "0.0%")
    add([t["trip_hours"], r.hours], "#,##0.0")
    for label, value in (
        (t["overloaded"].format(hours=f"{r.max_day_hours:g}"), len(r.overloaded)),
        (t["over_long_trips"], r.over_long_trips),
        (t["distance_fallbacks"], r.distance_fallbacks),
    ):
        add([label, value], "#,##0")
    for day in r.overloaded:
        add([f"  {day.producer_id} {day.producer_name}", day.hours], "0.00")


def _print_setup(ws: Any, text: Mapping[str, str], *, table: bool) -> None:
    """Print on A4 fitted to the page width, with the sheet name and page number below.

    A table prints landscape, as many pages long as it needs, its header row repeated on
    every page, with grid lines. The Summary, a tall list of a few narrow columns, prints
    portrait on one page (landscape would shrink it to half size to fit).
    """
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.page import PageMargins

    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if table else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0 if table else 1  # 0: as many pages as the rows need
    ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.7, footer=0.3)
    ws.print_options.gridLines = table
    if table:
        ws.print_title_rows = "1:1"
        _wrap_long_text(ws)
        ws.print_area = f"A1:{get_column_letter(max(ws.max_column, 1))}{max(ws.max_row, 1)}"
    page = text["page_of"].format(page="&P", pages="&N")
    ws.oddFooter.center.text = f"&A · {page}"
    ws.oddFooter.center.size = 8


def _wrap_long_text(ws: Any) -> None:
    """Wrap the long text of the widest columns, so that a long reason stays in its cell."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import column_index_from_string

    wrap, top = Alignment(wrap_text=True, vertical="top"), Alignment(vertical="top")
    for letter, dim in sorted(ws.column_dimensions.items()):
        if (dim.width or 0) < _MAX_WIDTH:
            continue
        col = column_index_from_string(letter)
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            if isinstance(cell.value, str) and len(cell.value) > _MAX_WIDTH - 2:
                for other in ws[cell.row]:
                    other.alignment = top
                cell.alignment = wrap
                lines = -(-len(cell.value) // (_MAX_WIDTH - 6))  # word wrap leaves some room
                ws.row_dimensions[cell.row].height = 15 * lines  # no viewer fits it on its own
