"""Placing validated rows: by point or kecamatan name, swapped and misspelt ones fixed, the rest
rejected with the reason."""

from __future__ import annotations

import pytest

from conftest import PONTANG, offshore_point
from umkm_alloc.geo.geocode import locate
from umkm_alloc.inputs.place import geocode_rows
from umkm_alloc.inputs.validate import validate_table
from umkm_alloc.io.read import read_table


def test_point_beyond_snap_distance_is_rejected_with_distance(boundaries, write):
    lat, lon = offshore_point(boundaries, 3000)
    path = write("s.csv", f"store_id,lat,lon,demand\nS1,{lat},{lon},5\n")
    result = geocode_rows(validate_table(read_table(path, "stores")), boundaries, snap_m=1000)
    assert result.accepted.empty
    reason = result.rejected["reason"].iat[0]
    assert reason.startswith(f"point {lat:.6f}, {lon:.6f} is outside the banten boundaries, 3.0 km")
    assert reason.endswith("(snap limit 1000 m); check the coordinates")


def test_rows_with_only_a_kecamatan_are_placed_inside_it(boundaries, write):
    text = (
        "store_id,kecamatan,kabupaten,demand\n"
        "S1,Kec. Pontang,,5\nS2,KECAMATAN PONTANG,,5\nS3, pontang ,,5\nS4,36.04.12,,5\n"
        "S5,Curug,Kota Serang,5\nS6,Lebakwangi,,5\n"
    )
    result = geocode_rows(
        validate_table(read_table(write("s.csv", text), "stores")), boundaries, snap_m=1000
    )
    assert result.rejected.empty
    acc = result.accepted
    assert acc["kecamatan_code"].tolist() == ["36.04.12"] * 4 + ["36.73.04", "36.04.35"]
    assert set(acc["placed_by"]) == {"kecamatan"}
    again = locate(acc["lon"].to_numpy(), acc["lat"].to_numpy(), boundaries, snap_m=0)
    assert (
        boundaries.frame["kode"].to_numpy()[again.index].tolist() == acc["kecamatan_code"].tolist()
    )


@pytest.mark.parametrize(
    ("kec", "kab", "reason"),
    [
        ("Cibebr", "", "kecamatan 'Cibebr' is not in the banten boundaries; did you mean Cibeber?"),
        (
            "Atlantis",
            "",
            "kecamatan 'Atlantis' is not in the banten boundaries; check the spelling "
            "or give the code",
        ),
        (
            "Curug",
            "",
            "kecamatan 'Curug' exists in several places (Curug (Kabupaten Tangerang), "
            "Curug (Kota Serang)); add a kabupaten column or give the code",
        ),
        (
            "Pontang",
            "Kota Cilegon",
            "kecamatan 'Pontang' is not in 'Kota Cilegon'; it exists in Pontang (Kabupaten Serang)",
        ),
        ("99.99.99", "", "kecamatan code 99.99.99 is not in the banten boundaries"),
    ],
)
def test_unresolvable_kecamatan_reasons(boundaries, write, kec, kab, reason):
    path = write("s.csv", f"store_id,kecamatan,kabupaten,demand\nS1,{kec},{kab},5\n")
    result = geocode_rows(validate_table(read_table(path, "stores")), boundaries, snap_m=1000)
    assert result.rejected["reason"].tolist() == [reason]


def geocode_text(write, boundaries, text):
    path = write("s.csv", text)
    return geocode_rows(validate_table(read_table(path, "stores")), boundaries, snap_m=1000)


def test_swapped_lat_lon_is_fixed_and_reported(boundaries, write):
    text = (
        "store_id,lat,lon,demand\n"
        f"S1,{PONTANG[1]},{PONTANG[0]},5\n"  # lat 106.25: out of range, swap lands in Pontang
        f"S2,{PONTANG[0]},{PONTANG[1]},5\n"
        "S3,106.25,-60.0,5\n"  # swap does not land anywhere
    )
    result = geocode_text(write, boundaries, text)
    acc = result.accepted
    assert acc["id"].tolist() == ["S1", "S2"]
    assert acc["kecamatan_name"].tolist() == ["Pontang", "Pontang"]
    assert acc["lat"].tolist() == [PONTANG[0], PONTANG[0]]
    assert acc["placed_by"].tolist() == ["swapped", "point"]
    assert result.fixed["fix"].tolist() == [
        f"lat {PONTANG[1]:g} and lon {PONTANG[0]:g} were swapped (the point lies in Pontang "
        "(Kabupaten Serang) only when swapped); swapped them back"
    ]
    assert result.rejected["reason"].tolist() == [
        "lat 106.25 is outside -90..90 degrees, and with lat and lon swapped the point is not "
        "in the banten boundaries either; check the coordinates"
    ]


def test_swap_within_range_on_both_axes(boundaries, write):
    # lat -6, lon 106 swapped to lat 106 is out of range; lat 45, lon -6 would be a real
    # place elsewhere: only a swap that lands inside the boundaries is made
    text = "store_id,lat,lon,demand\nS1,45.0,-6.1,5\n"
    result = geocode_text(write, boundaries, text)
    assert result.accepted.empty
    assert result.rejected["reason"].iat[0].startswith("point 45.000000, -6.100000 is outside")


def test_clear_typo_is_fixed_and_reported(boundaries, write):
    result = geocode_text(write, boundaries, "store_id,kecamatan,demand\nS1,Pontag,5\n")
    assert result.accepted["kecamatan_code"].tolist() == ["36.04.12"]
    assert result.fixed["fix"].tolist() == [
        "kecamatan 'Pontag' read as Pontang (Kabupaten Serang), the one close match; correct "
        "the spelling in the file"
    ]
