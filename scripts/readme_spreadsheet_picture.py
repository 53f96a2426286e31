"""Draw docs/spreadsheet-before-after.png: a Dinas list as kept, and the table the tool reads.

The "before" sheet is built from the first producers of the example (title row, blank row,
header on row 3, a numbering row, a No column, coordinates in one cell, a JUMLAH row); the
"after" table is what ``read_table`` + ``validate`` + ``geocode`` make of it.

    .venv/bin/python scripts/readme_spreadsheet_picture.py
"""

from __future__ import annotations

import csv
import io
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "spreadsheet-before-after.png"
TITLE = "DATA UMKM BINAAN DINAS KOPERASI DAN UKM KAB. SERANG TAHUN 2020"
HEAD = ["No", "Nama Usaha", "Titik Koordinat", "Produk", "Kapasitas"]


def office_rows(n: int = 6) -> list[list[object]]:
    with (REPO / "examples" / "producers.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[:n]
    body = [
        [i, r["name"], f"{r['lat']}, {r['lon']}", r["product"], f"{r['capacity']} pcs"]
        for i, r in enumerate(rows, start=1)
    ]
    total = sum(int(r["capacity"]) for r in rows)
    return [
        [TITLE],
        [],
        HEAD,
        [f"({k})" for k in range(1, 6)],
        *body,
        ["JUMLAH", "", "", "", total],
    ]


def read_back(sheet: list[list[object]]) -> list[list[str]]:
    from openpyxl import Workbook

    from umkm_alloc.geo.boundaries import load_boundaries
    from umkm_alloc.inputs.place import geocode_rows
    from umkm_alloc.inputs.validate import validate_table
    from umkm_alloc.io.read import read_table

    book = Workbook()
    ws = book.active
    ws.title = "Data"
    for row in sheet:
        ws.append(row)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "umkm.xlsx"
        buf = io.BytesIO()
        book.save(buf)
        path.write_bytes(buf.getvalue())
        geo = geocode_rows(
            validate_table(read_table(path, "producers")), load_boundaries("banten"), snap_m=1000
        )
    acc = geo.accepted
    return [
        [str(r.id), r.name, r.kecamatan_name, f"{r.lat:.6f}", f"{r.lon:.6f}", r.product, str(r.qty)]
        for r in acc.itertuples(index=False)
    ]


def draw_sheet(ax, rows, widths, *, styles, letters=True, title=None) -> None:
    """Draw rows as a spreadsheet: grid, column letters, row numbers."""
    x0, row_h = 0.6, 1.0
    xs = [x0]
    for w in widths:
        xs.append(xs[-1] + w)
    top = len(rows) + (1 if letters else 0)
    if letters:
        for j, w in enumerate(widths):
            ax.add_patch(Rectangle((xs[j], top - 1), w, row_h, fc="#e8e8e8", ec="#b0b0b0", lw=0.6))
            ax.text(
                xs[j] + w / 2,
                top - 0.5,
                chr(65 + j),
                ha="center",
                va="center",
                fontsize=8,
                color="#555",
            )
    for i, row in enumerate(rows):
        y = top - 2 - i if letters else top - 1 - i
        style = styles.get(i, {})
        if letters:
            ax.add_patch(Rectangle((0, y), x0, row_h, fc="#e8e8e8", ec="#b0b0b0", lw=0.6))
            ax.text(x0 / 2, y + 0.5, str(i + 1), ha="center", va="center", fontsize=8, color="#555")
        merged = style.get("merge")
        for j, w in enumerate(widths):
            if merged and j > 0:
                continue
            width = sum(widths) if merged else w
            ax.add_patch(
                Rectangle(
                    (xs[j], y), width, row_h, fc=style.get("fill", "white"), ec="#c8c8c8", lw=0.6
                )
            )
            text = str(row[j]) if j < len(row) and row[j] not in (None, "") else ""
            if text:
                numeric = text.replace(" pcs", "").replace(".", "").replace("-", "").isdigit()
                ax.text(
                    xs[j] + (width / 2 if merged else (width - 0.12 if numeric else 0.12)),
                    y + 0.5,
                    text,
                    ha="center" if merged else ("right" if numeric else "left"),
                    va="center",
                    fontsize=style.get("size", 8),
                    fontweight=style.get("weight", "normal"),
                    fontstyle=style.get("style", "normal"),
                    color=style.get("color", "#222"),
                    clip_on=True,
                )
        if style.get("note"):
            ax.text(xs[-1] + 0.3, y + 0.5, style["note"], va="center", fontsize=8, color="#b03a2e")
    ax.set_xlim(-0.1, xs[-1] + 7.5)
    ax.set_ylim(-0.2, top + 0.2)
    ax.set_aspect("auto")
    ax.axis("off")
    if title:
        ax.set_title(title, loc="left", fontsize=11, fontweight="bold")


def main() -> int:
    sheet = office_rows()
    after = read_back(sheet)
    n = len(sheet)
    fig, (top, bottom) = plt.subplots(
        2,
        1,
        figsize=(12.5, 0.42 * (len(sheet) + len(after) + 6)),
        dpi=130,
        gridspec_kw={"height_ratios": [len(sheet) + 1.6, len(after) + 1.6]},
    )
    skipped = {"fill": "#fbe9e7", "color": "#888", "note": "skipped: not data"}
    styles = {
        0: {
            "merge": True,
            "weight": "bold",
            "size": 9,
            **skipped,
            "color": "#222",
            "note": "title row: skipped",
        },
        1: {"note": ""},
        2: {"fill": "#dbe7f3", "weight": "bold", "note": "header found on row 3"},
        3: {**skipped, "style": "italic", "note": "numbering row: skipped"},
        n - 1: {**skipped, "weight": "bold", "color": "#222", "note": "JUMLAH row: skipped"},
    }
    for i in range(4, n - 1):
        styles[i] = {
            "note": f"'{sheet[4][4]}' read as {sheet[4][4].split()[0]} (noted as a fix)"
            if i == 4
            else ""
        }
    draw_sheet(
        top,
        sheet,
        [0.9, 5.2, 4.6, 3.2, 1.9],
        styles=styles,
        title="Before: the list as the Dinas keeps it (umkm.xlsx)",
    )
    head = ["producer_id", "name", "kecamatan", "lat", "lon", "product", "capacity"]
    draw_sheet(
        bottom,
        [head, *after],
        [2.0, 5.2, 2.6, 2.2, 2.4, 3.2, 1.6],
        styles={0: {"fill": "#dbe7f3", "weight": "bold"}},
        letters=False,
        title="After: what umkm-alloc reads (No as the id, coordinates split, kecamatan from "
        "the polygons)",
    )
    fig.tight_layout(h_pad=2.5)
    OUT.parent.mkdir(exist_ok=True)
    fig.savefig(OUT, metadata={"Software": None})
    print(f"wrote {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
