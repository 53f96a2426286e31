from __future__ import annotations

import pytest

from umkm_alloc.inputs.validate import validate_table
from umkm_alloc.io.read import read_table

HEADER = "producer_id,name,lat,lon,kecamatan,product,capacity\n"


def check(write, rows: str, *, header: str = HEADER, name: str = "p.csv"):
    return validate_table(read_table(write(name, header + rows), "producers"))


def only_reason(result) -> str:
    assert len(result.rejected) == 1, result.rejected
    return result.rejected["reason"].iat[0]


def test_good_row_is_typed(write):
    result = check(write, "007,Bu Siti,-6.1,106.2,,Gipang,10\n")
    assert result.rejected.empty
    row = result.accepted.iloc[0]
    assert row["id"] == "007"
    assert row["lat"] == -6.1 and row["lon"] == 106.2
    assert row["qty"] == 10
    assert row["product_key"] == "gipang"


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("", "capacity is empty; give a whole number of units >= 0"),
        ("abc", "capacity 'abc' is not a number; give a whole number of units >= 0"),
        ("-5", "capacity -5 is negative; give units >= 0"),
        ("2.5", "capacity 2.5 is not a whole number; give whole units per period"),
        ("inf", "capacity 'inf' is not a number; give a whole number of units >= 0"),
        ("1e20", "capacity 1e20 is too large; check the value"),
    ],
)
def test_quantity_reasons(write, cell, reason):
    result = check(write, f"P1,x,-6.1,106.2,,Gipang,{cell}\n")
    assert only_reason(result) == reason
    assert result.rejected["line"].iat[0] == 2
    assert result.rejected["id"].iat[0] == "P1"


def test_zero_capacity_is_accepted(write):
    assert check(write, "P1,x,-6.1,106.2,,Gipang,0\n").rejected.empty


def test_missing_id(write):
    assert only_reason(check(write, ",x,-6.1,106.2,,Gipang,5\n")) == (
        "producer_id is empty; give every row an identifier"
    )


@pytest.mark.parametrize(
    ("lat", "lon", "kec", "reason"),
    [
        (
            "",
            "",
            "",
            "no coordinates and no kecamatan; give lat and lon, or the kecamatan name or code",
        ),
        ("", "106.2", "", "lon is given but lat is empty; give both or neither"),
        ("-6.1", "", "", "lat is given but lon is empty; give both or neither"),
        ("x", "106.2", "", "lat 'x' is not a number; give decimal degrees like -6.05"),
        ("-6.1", "east", "", "lon 'east' is not a number; give decimal degrees like 106.2"),
        ("-96.1", "106.2", "", "lat -96.1 is outside -90..90 degrees"),
        ("-6.1", "206.2", "", "lon 206.2 is outside -180..180 degrees"),
    ],
)
def test_coordinate_reasons(write, lat, lon, kec, reason):
    assert only_reason(check(write, f"P1,x,{lat},{lon},{kec},Gipang,5\n")) == reason


def test_kecamatan_without_coordinates_is_accepted(write):
    result = check(write, "P1,x,,,Pontang,Gipang,5\n")
    assert result.rejected.empty
    assert result.accepted["lat"].isna().all()


def test_empty_product(write):
    assert (
        only_reason(check(write, "P1,x,-6.1,106.2,,,5\n")) == "product is empty; name the product"
    )


def test_repeat_is_rejected_not_summed(write):
    rows = "P1,x,-6.1,106.2,,Gipang,5\nP1,x,-6.1,106.2,,gipang ,7\nP1,x,-6.1,106.2,,Opak,1\n"
    result = check(write, rows)
    assert result.accepted["qty"].tolist() == [5, 1]
    assert only_reason(result) == (
        "repeats producer_id 'P1' with product 'gipang' first given on line 2; "
        "repeats are rejected, not summed: merge them into one row"
    )
    assert result.rejected["line"].iat[0] == 3


def test_all_problems_of_a_row_are_reported_together(write):
    reason = only_reason(check(write, "P1,x,abc,106.2,,Gipang,-1\n"))
    assert reason == (
        "capacity -1 is negative; give units >= 0; lat 'abc' is not a number; give decimal "
        "degrees like -6.05"
    )


def test_semicolon_files_accept_decimal_comma_and_thousands(write):
    header = "producer_id;lat;lon;product;capacity\n"
    result = check(write, "P1;-6,123;106,2;Gipang;1.250\nP2;-6.5;106.1;Gipang;3\n", header=header)
    assert result.rejected.empty
    assert result.accepted["qty"].tolist() == [1250, 3]
    assert result.accepted["lat"].tolist() == [-6.123, -6.5]


def test_ragged_row_becomes_a_rejected_row(write):
    result = check(write, "P1,x,-6.1,106.2,,Gipang,5\nP2,x,-6.1,106.2,,Gipang,5,9\n")
    assert only_reason(result).startswith("has 8 fields but the header has 7")
    assert result.rows_read == 2


def test_nothing_is_lost(write):
    rows = "".join(
        f"P{i},x,{'-6.1' if i % 3 else 'bad'},106.2,,Gipang,{i % 4 - 1}\n" for i in range(40)
    )
    result = check(write, rows)
    assert result.rows_read == 40
    assert sorted(result.accepted["_line"].tolist() + result.rejected["line"].tolist()) == list(
        range(2, 42)
    )
