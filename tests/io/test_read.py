"""Reading a table: delimiters, encodings, header aliases, line numbers, unusable files."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import umkm_alloc.io.csvtext as tables_module
from umkm_alloc.errors import InputError, UsageError
from umkm_alloc.io.read import read_table


def test_reads_comma_csv_with_canonical_columns(write):
    path = write(
        "p.csv", "producer_id,name,lat,lon,product,capacity\n007,Bu Siti,-6.1,106.2,Gipang,10\n"
    )
    table = read_table(path, "producers")
    row = table.frame.iloc[0]
    assert row["producer_id"] == "007"  # identifiers stay text
    assert row["capacity"] == "10"
    assert row["_line"] == 2
    assert table.delimiter == ","


def test_indonesian_aliases_any_case_and_spaces(write):
    text = (
        " ID_UMKM ;Nama Usaha; Lintang ;BUJUR;Produk;Kapasitas\nU1;Dapur;-6,1;106,2;Gipang;1.250\n"
    )
    table = read_table(write("p.csv", text), "producers")
    assert table.delimiter == ";"
    assert table.decimal_comma
    row = table.frame.iloc[0]
    assert (row["producer_id"], row["name"], row["lat"], row["capacity"]) == (
        "U1",
        "Dapur",
        "-6,1",
        "1.250",
    )


@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
def test_delimiters_detected(write, delim):
    text = (
        delim.join(["store_id", "lat", "lon", "demand"])
        + "\n"
        + delim.join(["S1", "-6.1", "106.2", "5"])
        + "\n"
    )
    table = read_table(write("s.csv", text), "stores")
    assert table.delimiter == delim
    assert table.frame["demand"].tolist() == ["5"]


def test_bom_and_cp1252(write):
    utf = read_table(write("a.csv", "\ufeffstore_id,kecamatan,demand\nS1,Pontang,5\n"), "stores")
    assert utf.frame.columns[1] == "store_id"
    cp = read_table(
        write("b.csv", "store_id,name,kecamatan,demand\nS1,Café Ibu,Pontang,5\n", "cp1252"),
        "stores",
    )
    assert cp.encoding == "cp1252"
    assert cp.frame["name"].tolist() == ["Café Ibu"]


def test_line_numbers_count_quoted_newlines_and_blank_lines(write):
    text = 'store_id,name,kecamatan,demand\r\n\r\nS1,"two\r\nlines",Pontang,5\r\nS2,x,Pontang,6\r\n'
    table = read_table(write("s.csv", text), "stores")
    assert table.frame["_line"].tolist() == [3, 5]
    assert table.frame["name"].tolist()[0] == "two\r\nlines"


def test_missing_required_column_names_found_and_accepted(write):
    path = write("s.csv", "store_id,lat,lon,jumlah\nS1,-6.1,106.2,5\n")
    with pytest.raises(InputError) as err:
        read_table(path, "stores")
    assert str(err.value) == (
        f"{path}: required column demand is missing (accepted names: demand, permintaan, "
        "pesanan, order); found: store_id, lat, lon, jumlah"
    )


def test_needs_coordinates_or_kecamatan(write):
    path = write("s.csv", "store_id,demand\nS1,5\n")
    with pytest.raises(InputError, match="needs lat and lon columns, or a kecamatan column"):
        read_table(path, "stores")


def test_two_columns_with_one_meaning(write):
    path = write("s.csv", "store_id,id,kecamatan,demand\nS1,S1,Pontang,5\n")
    with pytest.raises(InputError, match="columns 'store_id' and 'id' both mean store_id"):
        read_table(path, "stores")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\n\n  \n", "is empty"),
        (b"store_id,kecamatan,demand\n", "has a header but no data rows"),
        (b"PK\x03\x04rest-of-zip", "is not a readable .xlsx workbook"),
        (b"\x00\x01\x02binary", "is a binary file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old-xls", "is not a readable .xls workbook"),
        (b"PK\x03\x04\x14\x00mimetypeapplication/vnd.oasis.opendocument.spreadsheet", ".ods"),
    ],
)
def test_unusable_files(write, content, message):
    with pytest.raises(InputError, match=message):
        read_table(write("x.csv", content), "stores")


def test_missing_file_and_folder_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="no such stores file"):
        read_table(tmp_path / "nope.csv", "stores")
    with pytest.raises(UsageError, match="is a folder"):
        read_table(tmp_path, "stores")


def test_row_with_extra_fields_is_reported_not_dropped(write):
    text = "store_id,kecamatan,demand\nS1,Pontang,5\nS2,Pontang,5,extra\nS3,Pontang,7,,\n"
    table = read_table(write("s.csv", text), "stores")
    assert table.frame["store_id"].tolist() == ["S1", "S3"]
    assert table.bad_rows == (
        ("", 3, "has 4 fields but the header has 3; quote cells that contain the delimiter"),
    )


def test_ignored_columns_are_listed(write):
    table = read_table(
        write("s.csv", "store_id,kecamatan,demand,notes\nS1,Pontang,5,x\n"), "stores"
    )
    assert table.ignored_columns == ("notes",)


# ---------------------------------------------------------------- fast path == careful path

CELL = st.text(alphabet=st.sampled_from(list("abc 12.-,;|xyzé\t")), max_size=6)


@pytest.mark.slow
@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.sampled_from([",", ";", "\t", "|"]),
    st.lists(st.lists(CELL, min_size=4, max_size=4), min_size=1, max_size=6),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_fast_reader_matches_careful_reader(write, monkeypatch, delim, rows, newline, trailing):
    rows = [[c.replace(delim, "") for c in r] for r in rows]
    header = delim.join(["store_id", "kecamatan", "demand", "notes"] + ([""] if trailing else []))
    lines = [delim.join(r + ([""] if trailing else [])) for r in rows]
    path = write("s.csv", newline.join([header, *lines]) + newline)
    try:
        fast = read_table(path, "stores")
    except InputError as exc:
        fast_error = str(exc)
    else:
        fast_error = None
    with monkeypatch.context() as m:
        m.setattr(tables_module, "_fast_csv", lambda *_a: None)
        try:
            slow = read_table(path, "stores")
        except InputError as exc:
            assert fast_error == str(exc)
            return
    assert fast_error is None
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert fast.frame.attrs == slow.frame.attrs
    assert fast.bad_rows == slow.bad_rows
    assert fast.ignored_columns == slow.ignored_columns


def test_fast_reader_is_used_for_plain_exports(write, monkeypatch):
    calls = []
    original = tables_module._fast_csv

    def spy(*args):
        out = original(*args)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(tables_module, "_fast_csv", spy)
    read_table(write("s.csv", "store_id,kecamatan,demand\nS1,Pontang,5\nS2,Anyar,6\n"), "stores")
    read_table(write("q.csv", 'store_id,kecamatan,demand\n"S1",Pontang,5\n'), "stores")
    assert calls == [True, False]
