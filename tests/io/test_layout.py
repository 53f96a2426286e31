"""Where the table sits in a sheet: header, rows that are not data, ids, wide form, messages."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PONTANG, run_cli
from forms import to_csv, to_ods, to_xls, to_xlsx
from umkm_alloc.errors import InputError, UsageError
from umkm_alloc.inputs.validate import validate_table
from umkm_alloc.io.read import read_table

LAT, LON = PONTANG


def check(path, kind="producers", **kw):
    return validate_table(read_table(path, kind, **kw))


def office_sheet(rows, *, title_rows=2, numbering=True, total=True):
    header = ["No", "Nama Usaha", "Kecamatan", "Produk", "Kapasitas"]
    sheet = [["DATA UMKM BINAAN"]] + [[]] * (title_rows - 1) + [header]
    if numbering:
        sheet.append(["(1)", "(2)", "(3)", "(4)", "(5)"])
    sheet += [[i, *row] for i, row in enumerate(rows, start=1)]
    if total:
        sheet.append([None, "Jumlah", None, None, sum(r[-1] for r in rows)])
    return sheet


ROWS = [["Bu Siti", "Pontang", "Gipang", 50], ["Pak Ali", "Tirtayasa", "Emping", 40]]


def test_header_under_title_rows_with_numbering_and_total(write):
    result = check(write("p.xlsx", to_xlsx({"Data": office_sheet(ROWS)})))
    acc = result.accepted
    assert acc["id"].tolist() == ["1", "2"]
    assert acc["qty"].tolist() == [50, 40]
    assert acc["_line"].tolist() == [5, 6]
    assert result.skipped[["line", "reason"]].values.tolist() == [
        [1, "above the header (line 3): a title or note, not data"],
        [4, "numbers the columns (1, 2, 3, ...), not data"],
        [7, "a total row ('Jumlah'), not data: totals are computed from the rows"],
    ]
    assert result.rows_read == 5
    reading = result.table.reading
    assert reading.sheets[0].header_row == 3
    assert reading.describe() == [
        "header on line 3",
        "identifiers from column 'No' (no id column)",
    ]


@pytest.mark.parametrize("word", ["TOTAL", "Sub Total", "grand total:", "JUMLAH KESELURUHAN"])
def test_total_words_in_any_case(write, word):
    sheet = [*office_sheet(ROWS, total=False), [None, None, word, None, 90]]
    result = check(write("p.csv", to_csv(sheet)))
    assert result.skipped["reason"].iat[-1].startswith(f"a total row ({word!r})")
    assert len(result.accepted) == 2


def test_a_named_row_with_an_id_is_never_a_total(write):
    sheet = office_sheet([["Total Snack", "Pontang", "Gipang", 5]], total=False)
    assert check(write("p.csv", to_csv(sheet))).accepted["name"].tolist() == ["Total Snack"]


def test_without_id_or_no_column_the_sheet_row_number_is_the_id(write):
    sheet = [["Nama Usaha", "Kecamatan", "Produk", "Kapasitas"], *ROWS]
    result = check(write("p.xlsx", to_xlsx({"S": sheet})))
    assert result.accepted["id"].tolist() == ["R2", "R3"]
    assert "identifiers are the sheet row numbers (R12): no id or No column" in (
        result.table.reading.describe()
    )


def test_header_row_forced_and_beyond_30_rows(write):
    sheet = [[f"catatan {i}"] for i in range(35)] + [
        ["id", "kecamatan", "kapasitas"],
        ["P1", "Pontang", 5],
    ]
    path = write("p.xlsx", to_xlsx({"S": sheet}))
    with pytest.raises(InputError, match="required column capacity is missing"):
        read_table(path, "producers")
    table = read_table(path, "producers", header_row=36)
    assert table.frame["producer_id"].tolist() == ["P1"]
    assert len(table.skipped) == 35
    with pytest.raises(UsageError) as err:
        read_table(path, "producers", header_row=99)
    assert str(err.value) == (
        f"--header-row 99: line 99 of {path}, sheet 'S' is beyond the last line (37); give "
        "the line that holds the column names"
    )


def test_template_example_row_is_skipped(write):
    sheet = [["ID_UMKM", "Kecamatan", "Kapasitas"], ["CONTOH", "Pontang", 50], ["P1", "Anyar", 3]]
    result = check(write("p.xlsx", to_xlsx({"Produsen": sheet})))
    assert result.accepted["id"].tolist() == ["P1"]
    assert result.skipped["reason"].tolist() == [
        "the example row of the template (id 'CONTOH'); delete it or replace it with real data"
    ]


def test_sheet_all_prefixes_numbered_ids_and_names_the_sheet(write):
    book = {
        "Pontang": office_sheet([["Bu Siti", "Pontang", "Gipang", 50]]),
        "Anyar": office_sheet([["Pak Ali", "Anyar", "Gipang", -4]]),
    }
    path = write("p.xlsx", to_xlsx(book))
    result = check(path, sheet="all")
    assert result.accepted["id"].tolist() == ["Pontang:1"]
    rej = result.rejected
    assert rej[["file", "line", "id", "reason"]].values.tolist() == [
        [f"{path} [Anyar]", 5, "Anyar:1", "capacity -4 is negative; give units >= 0"]
    ]
    assert result.skipped["file"].tolist() == [f"{path} [Pontang]"] * 3 + [f"{path} [Anyar]"] * 3


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        (
            "https://maps.app.goo.gl/Ab12",
            "Titik Koordinat 'https://maps.app.goo.gl/Ab12' is a short Google Maps link, which "
            "cannot be read offline; open it in a browser and paste the long link (with "
            "@-6.09,106.18) or the coordinates",
        ),
        (
            "dekat masjid",
            "Titik Koordinat 'dekat masjid' is not coordinates; give 'lat, lon' like -6.0912, "
            "106.1823, a Google Maps link, or degrees like 6°05'28.3\" LS 106°10'56.2\" BT",
        ),
        (
            "6°65'10\" LS 106°10'56\" BT",
            "Titik Koordinat '6°65\\'10\" LS 106°10\\'56\" BT' holds a coordinate that has "
            "minutes or seconds of 60 or more; give 'lat, lon' like -6.0912, 106.1823",
        ),
    ],
)
@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_bad_coordinate_cells_name_file_sheet_line_column_value_fix(write, fmt, cell, reason):
    sheet = [
        ["DAFTAR"],
        ["ID", "Titik Koordinat", "Kapasitas"],
        ["P1", f"{LAT}, {LON}", 5],
        ["P2", cell, 5],
    ]
    writer = {"xlsx": to_xlsx, "xls": to_xls, "ods": to_ods}[fmt]
    path = write(f"p.{fmt}", writer({"Kec Pontang": sheet}))
    rej = check(path).rejected
    assert rej[["file", "line", "id"]].values.tolist() == [[f"{path} [Kec Pontang]", 4, "P2"]]
    assert rej["reason"].iat[0] == reason


def test_merged_coordinates_header_over_two_columns(write):
    sheet = [["ID", "Koordinat", None, "Kapasitas"], ["P1", LAT, LON, 5]]
    acc = check(write("p.xlsx", to_xlsx({"S": sheet}, merge_title=False))).accepted
    assert (acc["lat"].iat[0], acc["lon"].iat[0]) == (LAT, LON)


def test_dms_in_lat_lon_columns_with_crossed_letters_is_fixed(write):
    south, east = "6°01'15.5\" LS", "106°15'12.9\" BT"
    rows = [["id", "lat", "lon", "kapasitas"], ["P1", south, east, 5], ["P2", east, south, 5]]
    rows.append(["P3", east, east, 5])
    result = check(write("p.csv", to_csv(rows)))
    assert result.accepted["id"].tolist() == ["P1", "P2"]
    assert result.accepted["lat"].round(6).tolist() == [-6.020972, -6.020972]
    assert result.accepted["lon"].round(6).tolist() == [106.253583, 106.253583]
    assert result.accepted["_fix"].tolist() == [
        "",
        f"lat {east!r} and lon {south!r} are a longitude and a latitude (by their letters); "
        "read them the other way round",
    ]
    assert result.rejected["reason"].iat[0] == (
        f"lat {east!r} is a longitude (by its letter); put it in the lon column"
    )


def test_wide_table_cells_are_rows_and_bad_cells_name_the_column(write):
    sheet = [
        ["ID Toko", "Kecamatan", "Gipang", "Emping", "Jumlah", "No HP"],
        ["T1", "Pontang", 5, None, 5, "08123456789"],
        ["T2", "Anyar", "lima", "3 bungkus", 3, "08129999999"],
        ["T3", "Anyar", 0, "-", 0, ""],
    ]
    result = check(write("s.xlsx", to_xlsx({"Order": sheet})), "stores")
    acc = result.accepted
    assert acc[["id", "product", "qty"]].values.tolist() == [
        ["T1", "Gipang", 5],
        ["T2", "Emping", 3],
    ]
    assert acc["_fix"].tolist() == [
        "",
        "demand (column 'Emping') '3 bungkus' read as 3 (the unit word dropped)",
    ]
    assert result.rejected["reason"].tolist() == [
        "demand (column 'Gipang') 'lima' is not a number; give a whole number of units >= 0"
    ]
    assert result.skipped["reason"].tolist() == ["no order: every product column is empty, 0 or -"]
    assert result.rows_read == 4
    assert result.table.reading.describe()[-1] == "read as wide: 2 product columns (Gipang, Emping)"


def test_one_numeric_extra_column_is_not_a_wide_table(write):
    path = write("s.csv", "store_id,kecamatan,jml_pesanan\nS1,Pontang,5\n")
    with pytest.raises(InputError, match="required column demand is missing"):
        read_table(path, "stores")


def test_validate_shows_header_ids_wide_and_skipped(write):
    p = write("p.xlsx", to_xlsx({"Data": office_sheet(ROWS)}))
    s = write(
        "s.csv",
        "REKAP\nID Toko,Kecamatan,Gipang,Emping\nT1,Pontang,5,\nT2,Anyar,,3\nTOTAL,,5,3\n",
    )
    result = run_cli("validate", str(p), str(s))
    assert result.exit_code == 0, result.stderr
    err = " ".join(result.stderr.split())
    assert "xlsx sheet 'Data'" in err
    assert "header on line 3" in err
    assert "identifiers from column 'No' (no id column)" in err
    assert "header on line 2" in err
    assert "read as wide: 2 product columns (Gipang, Emping)" in err
    assert "Skipped rows (5)" in err
    assert "5 rows read, 2 accepted (0 after a fix), 0 rejected, 3 skipped" in err


# ---------------------------------------------------------------- properties

NAMES = st.text(alphabet="abcdefgh ijkl", min_size=1, max_size=10).map(str.strip).filter(bool)
KEC = st.sampled_from(["Pontang", "Tirtayasa", "Anyar", "Ciruas", "Kragilan"])
PRODUCTS = ["Gipang", "Emping", "Opak", "Sate Bandeng"]
TABLE = st.lists(
    st.tuples(
        NAMES, KEC, st.dictionaries(st.sampled_from(PRODUCTS), st.integers(1, 10_000), min_size=1)
    ),
    min_size=1,
    max_size=6,
)


def _long(table):
    return sorted(
        (f"T{i}", name, kec, product, qty)
        for i, (name, kec, orders) in enumerate(table)
        for product, qty in orders.items()
    )


def _read_long(path, **kw):
    result = check(path, "stores", **kw)
    assert result.rejected.empty, result.rejected["reason"].tolist()
    acc = result.accepted
    return sorted(
        zip(acc["id"], acc["name"], acc["kecamatan"], acc["product"], acc["qty"], strict=True)
    )


@pytest.mark.slow
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    TABLE,
    st.integers(0, 4),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["csv", "xlsx"]),
)
def test_any_table_in_any_office_wrapping_reads_back(
    write, table, titles, numbering, total, as_wide, fmt
):
    header = ["ID Toko", "Nama Toko", "Kecamatan"]
    if as_wide:
        header += PRODUCTS
        body = [
            [f"T{i}", name, kec, *[orders.get(p) for p in PRODUCTS]]
            for i, (name, kec, orders) in enumerate(table)
        ]
    else:
        header += ["Produk", "Pesanan"]
        body = [[*row[:3], row[3], row[4]] for row in _long(table)]
    sheet = [[f"JUDUL {k}"] for k in range(titles)] + [header]
    if numbering:
        sheet.append(list(range(1, len(header) + 1)))
    sheet += body
    if total:
        sheet.append(["", "Jumlah", "", *[1] * (len(header) - 3)])
    data = to_csv(sheet) if fmt == "csv" else to_xlsx({"S": sheet}, merge_title=False)
    assert _read_long(write(f"s.{fmt}", data)) == _long(table)
