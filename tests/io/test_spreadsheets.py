"""Spreadsheets as offices keep them give the same allocation as the clean long CSV."""

from __future__ import annotations

import json

import pytest

from conftest import EXAMPLES, run_cli
from forms import clean, dinas, dms, to_csv, to_ods, to_xls, to_xlsx, wide

pytestmark = pytest.mark.slow  # the full example in office spreadsheet forms

TITLE = "DATA UMKM BINAAN DINAS KOPERASI DAN UKM KABUPATEN SERANG TAHUN 2020"


def allocate(producers, stores, *extra: str) -> bytes:
    result = run_cli("assign", str(producers), str(stores), "-q", *extra)
    assert result.exit_code == 0, result.stderr
    return result.stdout_bytes


@pytest.fixture(scope="module")
def sheets():
    ph, prows = clean("producers.csv")
    sh, srows = clean("stores.csv")
    return {
        "producers": dinas(ph, prows, title=TITLE),
        "stores": wide(sh, srows),
        "stores_pcs": wide(sh, srows, unit="pcs"),
    }


WRITERS = {"xlsx": to_xlsx, "xls": to_xls, "ods": to_ods}


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_dinas_list_and_wide_order_form_give_the_clean_allocation(write, example_csv, sheets, fmt):
    writer = WRITERS[fmt]
    p = write(f"umkm.{fmt}", writer({"Data UMKM": sheets["producers"]}))
    s = write(f"pesanan.{fmt}", writer({"Pesanan": sheets["stores"]}))
    assert allocate(p, s) == example_csv


def test_csv_exports_of_the_same_sheets_give_the_clean_allocation(write, example_csv, sheets):
    p = write("umkm.csv", to_csv(sheets["producers"], delimiter=";"))
    s = write("pesanan.csv", to_csv(sheets["stores_pcs"]))
    assert allocate(p, s) == example_csv


def test_summary_and_skipped_rows_say_what_was_read(write, sheets, tmp_path):
    p = write("umkm.xlsx", to_xlsx({"Data UMKM": sheets["producers"]}))
    s = write("pesanan.xlsx", to_xlsx({"Pesanan": sheets["stores_pcs"]}))
    out = tmp_path / "out"
    result = run_cli("assign", str(p), str(s), "--out-dir", str(out), "-q")
    assert result.exit_code == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    prod, store = summary["files"]["producers"], summary["files"]["stores"]
    assert prod["rows_read"] == prod["rows_accepted"] + prod["rows_rejected"] + prod["rows_skipped"]
    assert prod["rows_skipped"] == 3  # title, numbering row, JUMLAH
    assert prod["reading"]["sheets"] == [
        {"sheet": "Data UMKM", "header_row": 3, "id_from": "ID UMKM", "wide_columns": []}
    ]
    _, srows = clean("stores.csv")
    products = sorted({r[6] for r in srows})
    assert store["reading"]["sheets"][0]["wide_columns"] == products
    assert store["rows_accepted"] == len(srows)
    assert store["rows_fixed"] == len(srows)  # every "11 pcs" read with a fix
    skipped = (out / "skipped_rows.csv").read_text().splitlines()
    n = len(sheets["producers"])
    assert skipped[:4] == [
        "file,line,reason",
        f'{p} [Data UMKM],1,"above the header (line 3): a title or note, not data"',
        f'{p} [Data UMKM],4,"numbers the columns (1, 2, 3, ...), not data"',
        f"{p} [Data UMKM],{n},\"a total row ('JUMLAH'), not data: totals are computed from the "
        'rows"',
    ]
    fixed = (out / "fixed_rows.csv").read_text().splitlines()
    assert fixed[1].endswith(
        "demand (column 'Emping Melinjo') '11 pcs' read as 11 (the unit word dropped)"
    )


def test_sheet_all_reads_one_sheet_per_kecamatan(write, example_csv):
    header, rows = clean("producers.csv")
    kec = header.index("kecamatan")
    by_kec: dict[str, list[list[str]]] = {}
    for row in rows:
        by_kec.setdefault(row[kec], []).append(row)
    books = {
        name: dinas(header, part, title=f"UMKM KEC. {name.upper()}")
        for name, part in sorted(by_kec.items())
    }
    books["Rekap"] = [["REKAP"], ["Kecamatan", "Jumlah UMKM"], ["Anyar", 3]]
    p = write("per_kecamatan.xlsx", to_xlsx(books))
    assert allocate(p, EXAMPLES / "stores.csv", "--sheet", "all") == example_csv
    result = run_cli("validate", str(p), str(EXAMPLES / "stores.csv"), "--sheet", "all")
    assert result.exit_code == 0
    assert "sheet 'Rekap' not read: required column capacity is missing" in result.stderr


def test_dms_and_google_maps_links_give_the_clean_allocation(write, example_csv):
    header, rows = clean("producers.csv")
    lat, lon = header.index("lat"), header.index("lon")
    as_dms = [header] + [
        [dms(float(c), axis=header[j]) if j in (lat, lon) else c for j, c in enumerate(row)]
        for row in rows
    ]
    p = write("dms.csv", to_csv(as_dms))
    sh, srows = clean("stores.csv")
    slat, slon = sh.index("lat"), sh.index("lon")
    links = [[c for j, c in enumerate(sh) if j not in (slat, slon)] + ["Lokasi"]]
    for row in srows:
        url = f"https://www.google.com/maps/place/Toko/@{row[slat]},{row[slon]},17z/data=!4m2"
        links.append([c for j, c in enumerate(row) if j not in (slat, slon)] + [url])
    s = write("links.csv", to_csv(links))
    assert allocate(p, s) == example_csv
