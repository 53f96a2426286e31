"""``template``: a blank input workbook to send to UMKM and stores.

The data sheet has the accepted columns, one example row (id ``CONTOH`` / ``EXAMPLE``, set
aside by the reader), and data validation: whole numbers >= 0 for the quantity, degrees in
range, kecamatan and kabupaten from dropdown lists of the boundaries' names. A second sheet
explains every column in Indonesian.
"""

from __future__ import annotations

from typing import Any

import shapely

from umkm_alloc.errors import UsageError
from umkm_alloc.geo.boundaries import Boundaries
from umkm_alloc.io.write import workbook_bytes

_ROWS = 1000  # rows that carry the data validation

#: Column -> (header en, header id, required (id), explanation (id), explanation (en)).
_COLUMNS: dict[str, tuple[str, str, str, str, str]] = {
    "producer_id": (
        "producer_id",
        "ID_UMKM",
        "wajib",
        "Kode unik setiap UMKM (teks, misalnya UMKM-001; 007 tetap 007). Satu UMKM dengan "
        "beberapa produk: satu baris per produk dengan kode yang sama.",
        "Unique code of each producer; one row per product, the same code on each.",
    ),
    "store_id": (
        "store_id",
        "ID_Toko",
        "wajib",
        "Kode unik setiap toko (misalnya IDM-0001). Satu baris per produk yang dipesan, "
        "dengan kode yang sama.",
        "Unique code of each store; one row per product ordered, the same code on each.",
    ),
    "name": (
        "name",
        "Nama",
        "tidak",
        "Nama usaha atau nama toko, untuk laporan.",
        "Business or store name, for the reports.",
    ),
    "chain": (
        "chain",
        "Jaringan",
        "tidak",
        "Jaringan toko, misalnya Indomaret atau Alfamart (aturan per jaringan).",
        "Store chain, e.g. Indomaret or Alfamart (per-chain rules).",
    ),
    "kecamatan": (
        "kecamatan",
        "Kecamatan",
        "wajib jika tanpa koordinat",
        "Nama kecamatan (pilih dari daftar) atau kodenya (36.04.12). Dipakai bila Lintang "
        "dan Bujur kosong.",
        "Kecamatan name (pick from the list) or code; used when lat and lon are empty.",
    ),
    "kabupaten": (
        "kabupaten",
        "Kabupaten",
        "tidak",
        "Kabupaten/kota, bila nama kecamatan ada di beberapa tempat (Curug, Cibeber).",
        "Kabupaten/kota, for kecamatan names that repeat (Curug, Cibeber).",
    ),
    "lat": (
        "lat",
        "Lintang",
        "wajib jika tanpa kecamatan",
        "Lintang dalam derajat desimal, negatif di selatan khatulistiwa (-6.0912). Boleh juga "
        "6°05'28.3\" LS.",
        "Latitude in decimal degrees, negative south of the equator; DMS with LS/LU works.",
    ),
    "lon": (
        "lon",
        "Bujur",
        "wajib jika tanpa kecamatan",
        "Bujur dalam derajat desimal (106.1823). Boleh juga 106°10'56.2\" BT. Dari Google "
        "Maps: klik kanan tempatnya, salin angka koordinatnya.",
        "Longitude in decimal degrees; DMS with BT/BB works. Google Maps: right-click, copy.",
    ),
    "product": (
        "product",
        "Produk",
        "ya",
        "Nama produk, sama persis di daftar UMKM dan daftar toko (huruf besar/kecil bebas).",
        "Product name, spelt the same in both lists (case does not matter).",
    ),
    "category": (
        "category",
        "Kategori",
        "tidak",
        "basah (tahan sehari, jarak lebih pendek) atau kering.",
        "basah (wet, keeps a day: shorter distance) or kering (dry).",
    ),
    "capacity": (
        "capacity",
        "Kapasitas",
        "wajib",
        "Jumlah yang sanggup dibuat per periode (per minggu), bilangan bulat >= 0. "
        "'50 pcs' juga terbaca.",
        "Units per period (week), a whole number >= 0.",
    ),
    "demand": (
        "demand",
        "Pesanan",
        "wajib",
        "Jumlah yang dipesan per periode (per minggu), bilangan bulat >= 0.",
        "Units ordered per period (week), a whole number >= 0.",
    ),
}
_KIND_COLUMNS = {
    "producers": (
        "producer_id",
        "name",
        "kecamatan",
        "kabupaten",
        "lat",
        "lon",
        "product",
        "category",
        "capacity",
    ),
    "stores": (
        "store_id",
        "name",
        "chain",
        "kecamatan",
        "kabupaten",
        "lat",
        "lon",
        "product",
        "demand",
    ),
}
_SHEETS = {
    "id": {"producers": "Produsen", "stores": "Toko", "guide": "Petunjuk", "list": "Daftar"},
    "en": {"producers": "Producers", "stores": "Stores", "guide": "Guide", "list": "Lists"},
}
_EXAMPLE_ID = {"id": "CONTOH", "en": "EXAMPLE"}
TEMPLATE_KINDS = tuple(_KIND_COLUMNS)


def template_workbook(kind: str, boundaries: Boundaries, *, lang: str = "id") -> bytes:
    """Return a blank input workbook (``.xlsx``) for producers or stores.

    Parameters
    ----------
    kind
        ``producers`` or ``stores``.
    boundaries
        Their kecamatan and kabupaten names fill the dropdown lists.
    lang
        ``id`` (Indonesian headers and sheet names) or ``en``; the guide sheet is always in
        Indonesian (with English beside it for ``en``).

    Returns
    -------
    bytes
        The workbook; the same arguments give the same bytes.
    """
    if kind not in _KIND_COLUMNS:
        raise UsageError(f"template {kind!r}: give 'producers' or 'stores'")
    if lang not in _SHEETS:
        raise UsageError(f"--lang {lang!r}: give 'id' or 'en'")
    from openpyxl import Workbook

    wb = Workbook()
    names = _SHEETS[lang]
    columns = _KIND_COLUMNS[kind]
    data = wb.active
    data.title = names[kind]
    lists = wb.create_sheet(names["list"])
    n_kec, n_kab = _fill_lists(lists, boundaries)
    lists.sheet_state = "hidden"
    _fill_data(data, kind, columns, boundaries, lang)
    _validate(data, columns, names["list"], n_kec, n_kab, lang)
    guide = wb.create_sheet(names["guide"], 1)
    _fill_guide(guide, columns, lang)
    wb.properties.creator = "umkm-alloc"
    return workbook_bytes(wb)


def _header(column: str, lang: str) -> str:
    en, indo, *_ = _COLUMNS[column]
    return indo if lang == "id" else en


def _fill_data(ws: Any, kind: str, columns: tuple[str, ...], b: Boundaries, lang: str) -> None:
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws.append([_header(c, lang) for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="2F5F8A")
    ws.append([_example(c, kind, b, lang) for c in columns])
    for cell in ws[2]:
        cell.font = Font(italic=True, color="808080")
    for j, column in enumerate(columns, start=1):
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = 26 if column in ("name", "kecamatan") else 16
        fmt = {"lat": "0.000000", "lon": "0.000000", "capacity": "0", "demand": "0"}.get(column)
        if fmt:
            for row in range(2, _ROWS + 2):
                ws[f"{letter}{row}"].number_format = fmt
    ws.freeze_panes = "A2"


def _example(column: str, kind: str, b: Boundaries, lang: str) -> object:
    frame = b.frame
    names = list(frame["nama"])
    i = names.index("Pontang") if "Pontang" in names else 0
    point = b.representative_points[i]
    return {
        "producer_id": _EXAMPLE_ID[lang],
        "store_id": _EXAMPLE_ID[lang],
        "name": "Dapur Bu Siti" if kind == "producers" else "Indomaret Pontang",
        "chain": "Indomaret",
        "kecamatan": str(frame["nama"].iat[i]),
        "kabupaten": str(frame["kabupaten"].iat[i]),
        "lat": round(float(shapely.get_y(point)), 6),
        "lon": round(float(shapely.get_x(point)), 6),
        "product": "Sate Bandeng",
        "category": "basah",
        "capacity": 50,
        "demand": 20,
    }[column]


def _fill_lists(ws: Any, b: Boundaries) -> tuple[int, int]:
    kecamatan = sorted({str(n) for n in b.frame["nama"]})
    kabupaten = sorted({str(n) for n in b.frame["kabupaten"]})
    ws.append(["kecamatan", "kabupaten"])
    for j in range(max(len(kecamatan), len(kabupaten))):
        ws.append(
            [
                kecamatan[j] if j < len(kecamatan) else None,
                kabupaten[j] if j < len(kabupaten) else None,
            ]
        )
    return len(kecamatan), len(kabupaten)


def _validate(
    ws: Any, columns: tuple[str, ...], lists: str, n_kec: int, n_kab: int, lang: str
) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    indo = lang == "id"
    rules = {
        "capacity": DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0"),
        "demand": DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0"),
        "lat": DataValidation(type="decimal", operator="between", formula1="-90", formula2="90"),
        "lon": DataValidation(type="decimal", operator="between", formula1="-180", formula2="180"),
        "kecamatan": DataValidation(type="list", formula1=f"'{lists}'!$A$2:$A${n_kec + 1}"),
        "kabupaten": DataValidation(type="list", formula1=f"'{lists}'!$B$2:$B${n_kab + 1}"),
        "category": DataValidation(type="list", formula1='"basah,kering"'),
        "chain": DataValidation(type="list", formula1='"Indomaret,Alfamart"'),
    }
    errors = {
        "capacity": ("Isi bilangan bulat 0 atau lebih.", "Give a whole number, 0 or more."),
        "demand": ("Isi bilangan bulat 0 atau lebih.", "Give a whole number, 0 or more."),
        "lat": ("Lintang antara -90 dan 90 (Banten sekitar -6).", "Latitude between -90 and 90."),
        "lon": ("Bujur antara -180 dan 180 (Banten sekitar 106).", "Longitude, -180 to 180."),
    }
    for j, column in enumerate(columns, start=1):
        rule = rules.get(column)
        if rule is None:
            continue
        strict = column in errors
        rule.errorStyle = "stop" if strict else "warning"
        rule.showErrorMessage = True
        rule.error = (
            errors[column][0 if indo else 1]
            if strict
            else ("Tidak ada di daftar; periksa ejaannya." if indo else "Not in the list.")
        )
        rule.allow_blank = True
        letter = get_column_letter(j)
        rule.add(f"{letter}2:{letter}{_ROWS + 1}")
        ws.add_data_validation(rule)


def _fill_guide(ws: Any, columns: tuple[str, ...], lang: str) -> None:
    from openpyxl.styles import Alignment, Font

    head = ["Kolom", "Wajib diisi", "Penjelasan"] + (["Explanation"] if lang == "en" else [])
    ws.append(head)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for column in columns:
        en, indo, required, text_id, text_en = _COLUMNS[column]
        ws.append(
            [indo if lang == "id" else en, required, text_id] + ([text_en] if lang == "en" else [])
        )
    ws.append([])
    ws.append(
        [
            "Baris kedua (kode CONTOH/EXAMPLE) hanya contoh dan tidak dibaca; ganti dengan data "
            "sebenarnya. Satu baris per (kode, produk)."
        ]
    )
    for letter, width in zip("ABCD", (16, 24, 90, 70), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
