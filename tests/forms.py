"""The example tables in the forms offices keep them: title rows, numbering, totals, wide, DMS.

Each builder takes the clean long table (header, rows of text) and returns rows of cells
(a sheet as a list of lists); writers turn them into .xlsx, .xls, .ods or CSV bytes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from conftest import EXAMPLES

Cells = list[list[object]]

INDONESIAN = {
    "producer_id": "ID UMKM",
    "store_id": "ID Toko",
    "name": "Nama Usaha",
    "kecamatan": "Kecamatan",
    "lat": "Lintang",
    "lon": "Bujur",
    "product": "Produk",
    "category": "Kategori",
    "capacity": "Kapasitas",
    "chain": "Jaringan",
    "demand": "Pesanan",
}


def clean(name: str) -> tuple[list[str], list[list[str]]]:
    """The example table (header, rows) as text."""
    with (EXAMPLES / name).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def typed(header: Sequence[str], row: Sequence[str]) -> list[object]:
    """Cells as a spreadsheet holds them: numbers as numbers."""
    out: list[object] = []
    for h, c in zip(header, row, strict=True):
        if h in ("lat", "lon") and c:
            out.append(float(c))
        elif h in ("capacity", "demand") and c:
            out.append(int(c))
        else:
            out.append(c)
    return out


def dinas(header: list[str], rows: list[list[str]], *, title: str) -> Cells:
    """A Dinas list: merged title, blank row, No + Indonesian headers, one coordinates cell,
    a numbering row under the header and a JUMLAH row at the bottom."""
    lat, lon = header.index("lat"), header.index("lon")
    kept = [h for h in header if h not in ("lat", "lon")]
    heads = ["No"] + [INDONESIAN[h] for h in kept[:lat]] + ["Titik Koordinat"]
    heads += [INDONESIAN[h] for h in kept[lat:]]
    sheet: Cells = [[title], [], heads, [str(i) for i in range(1, len(heads) + 1)]]
    qty_pos = len(heads) - 1
    total = 0
    for i, row in enumerate(rows, start=1):
        cells = typed(header, row)
        rest = [c for h, c in zip(header, cells, strict=True) if h not in ("lat", "lon")]
        point = f"{row[lat]}, {row[lon]}"
        sheet.append([i, *rest[:lat], point, *rest[lat:]])
        total += int(row[header.index(header[-1])])
    sheet.append(["JUMLAH"] + [None] * (qty_pos - 1) + [total])
    return sheet


def wide(header: list[str], rows: list[list[str]], *, unit: str = "") -> Cells:
    """An order form: one row per store, one column per product, a TOTAL row."""
    key = header.index("store_id")
    product, qty = header.index("product"), header.index("demand")
    fixed = [h for h in header if h not in ("product", "demand")]
    products = sorted({r[product] for r in rows})
    stores: dict[str, dict[str, object]] = {}
    for row in rows:
        entry = stores.setdefault(row[key], {h: row[header.index(h)] for h in fixed})
        entry[row[product]] = row[qty]
    sheet: Cells = [["REKAP PESANAN TOKO MODERN"], [INDONESIAN[h] for h in fixed] + products]
    for entry in stores.values():
        cells = typed(fixed, [str(entry[h]) for h in fixed])
        amounts = [entry.get(p, "") for p in products]
        sheet.append(cells + [f"{a} {unit}".strip() if a != "" else None for a in amounts])
    sums = [sum(int(r[qty]) for r in rows if r[product] == p) for p in products]
    sheet.append(["TOTAL"] + [None] * (len(fixed) - 1) + sums)
    return sheet


def to_xlsx(sheets: dict[str, Cells], *, merge_title: bool = True) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
        if merge_title and rows and len(rows[0]) == 1:
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=6)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def to_xls(sheets: dict[str, Cells]) -> bytes:
    import xlwt

    book = xlwt.Workbook()
    for name, rows in sheets.items():
        ws = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None and value != "":
                    ws.write(r, c, value)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def to_ods(sheets: dict[str, Cells]) -> bytes:
    import pandas as pd

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="odf") as writer:
        for name, rows in sheets.items():
            width = max(len(r) for r in rows)
            frame = pd.DataFrame([list(r) + [None] * (width - len(r)) for r in rows])
            frame.to_excel(writer, sheet_name=name, header=False, index=False)
    return buf.getvalue()


def to_csv(rows: Cells, *, delimiter: str = ",") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if c is None else c for c in row])
    return buf.getvalue().encode("utf-8")


def dms(value: float, *, axis: str) -> str:
    """Degrees-minutes-seconds with Indonesian hemisphere letters: 6°05'28.3" LS."""
    letter = {"lat": ("LU", "LS"), "lon": ("BT", "BB")}[axis][value < 0]
    total = round(abs(value) * 3600, 6)
    deg, rem = divmod(total, 3600)
    minutes, seconds = divmod(rem, 60)
    return f"{int(deg)}°{int(minutes):02d}'{seconds:.6f}\" {letter}"
