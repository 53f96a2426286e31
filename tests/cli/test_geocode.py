"""``umkm-alloc geocode``: kecamatan columns added to any table, every row kept."""

from __future__ import annotations

import csv
import io

from conftest import ANYAR, PONTANG, offshore_point, run_cli
from forms import to_xlsx
from umkm_alloc.inputs.validate import validate_table
from umkm_alloc.io.read import read_table


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_geocode_appends_kecamatan_columns_and_keeps_every_row(write, boundaries):
    lat, lon = offshore_point(boundaries, 300)
    sheet = [
        ["DAFTAR UMKM KEC. PONTANG"],
        ["No", "Nama", "Titik Koordinat", "Kecamatan", "Telp"],
        [1, "Bu Siti", f"{PONTANG[0]}, {PONTANG[1]}", "Pontang", "0812"],
        [2, "Pak Ali", f"{PONTANG[1]}, {PONTANG[0]}", "", "0813"],
        [3, "Bu Ani", f"{lat}, {lon}", "", ""],
        [4, "Bu Ina", "", "Pontag", ""],
        [5, "Pak Ujang", "https://maps.app.goo.gl/xyz", "", ""],
        [6, "Bu Eha", f"{ANYAR[0]}, {ANYAR[1]}", "Pontang", ""],
        [None, "JUMLAH", None, None, None],
    ]
    path = write("daftar.xlsx", to_xlsx({"Pontang": sheet}))
    result = run_cli("geocode", str(path))
    assert result.exit_code == 0, result.stderr
    rows = rows_of(result.stdout)
    assert list(rows[0]) == [
        "No",
        "Nama",
        "Titik Koordinat",
        "Kecamatan",
        "Telp",
        "kecamatan_code",
        "kecamatan",
        "kabupaten",
        "geocode_note",
    ]
    assert [r["Nama"] for r in rows] == [
        "Bu Siti",
        "Pak Ali",
        "Bu Ani",
        "Bu Ina",
        "Pak Ujang",
        "Bu Eha",
    ]
    assert [r["kecamatan_code"] for r in rows] == ["36.04.12"] * 4 + ["", "36.04.30"]
    assert rows[0]["geocode_note"] == ""
    assert rows[1]["geocode_note"].endswith(
        "were swapped (the point lies in Pontang (Kabupaten "
        "Serang) only when swapped); swapped them back"
    )
    assert rows[2]["geocode_note"].startswith("point 300 m outside the boundaries: snapped to ")
    assert rows[3]["geocode_note"].startswith("kecamatan 'Pontag' read as Pontang")
    assert "short Google Maps link" in rows[4]["geocode_note"]
    assert rows[5]["geocode_note"] == (
        "the kecamatan column says Pontang (Kabupaten Serang), but the point lies in Anyar; "
        "check which is right"
    )
    err = " ".join(result.stderr.split())
    assert "6 rows, 5 placed (2 after a fix, 1 snapped), 1 not placed, 2 skipped" in err


def test_geocode_output_reads_back_as_the_same_table(write, tmp_path):
    text = f"id,lat,lon,kapasitas\nP1,{PONTANG[0]},{PONTANG[1]},5\n"
    out = tmp_path / "out.csv"
    assert run_cli("geocode", str(write("p.csv", text)), "-o", str(out)).exit_code == 0
    again = validate_table(read_table(out, "producers"))
    assert again.accepted["lat"].tolist() == [PONTANG[0]]
    second = run_cli("geocode", str(out))
    assert rows_of(second.stdout)[0]["kecamatan"] == "Pontang"
    assert list(rows_of(second.stdout)[0]).count("kecamatan_code") == 1


def test_geocode_needs_a_location_column(write):
    path = write("p.csv", "nama,telp\nBu Siti,0812\n")
    result = run_cli("geocode", str(path))
    assert result.exit_code == 3
    assert result.stderr.startswith(f"error: {path}: needs lat and lon columns, or a kecamatan")
