"""``umkm-alloc template``: blank input workbooks that read back, with validation."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from conftest import run_cli
from umkm_alloc.errors import InputError
from umkm_alloc.inputs.validate import validate_table
from umkm_alloc.io.read import read_table


def test_template_reads_back_and_has_validation(tmp_path, boundaries):
    out = tmp_path / "produsen.xlsx"
    result = run_cli("template", "producers", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    book = load_workbook(out)
    assert book.sheetnames == ["Produsen", "Petunjuk", "Daftar"]
    ws = book["Produsen"]
    header = [c.value for c in ws[1]]
    assert header == [
        "ID_UMKM",
        "Nama",
        "Kecamatan",
        "Kabupaten",
        "Lintang",
        "Bujur",
        "Produk",
        "Kategori",
        "Kapasitas",
    ]
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert rules["I2:I1001"].type == "whole" and rules["I2:I1001"].formula1 == "0"
    kec = rules["C2:C1001"]
    assert kec.type == "list" and kec.formula1.startswith("'Daftar'!$A$2:$A$")
    names = [r[0].value for r in book["Daftar"].iter_rows(min_row=2) if r[0].value]
    assert names == sorted(set(boundaries.frame["nama"]))
    guide = [r[0].value for r in book["Petunjuk"].iter_rows(min_row=2, max_row=10)]
    assert guide == header
    with pytest.raises(InputError) as err:
        read_table(out, "producers")
    assert str(err.value).endswith(
        "has a header but no data rows (line 2 is the example row of the template (id "
        "'CONTOH'); delete it or replace it with real data); add at least one row"
    )
    ws["A2"] = "UMKM-001"
    book.save(out)
    filled = validate_table(read_table(out, "producers"))
    assert filled.rejected.empty
    assert filled.accepted[["id", "kecamatan", "qty"]].values.tolist() == [
        ["UMKM-001", "Pontang", 50]
    ]


def test_template_in_english_same_bytes_and_no_overwrite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run_cli("template", "stores", "--lang", "en").exit_code == 0
    first = (tmp_path / "stores.xlsx").read_bytes()
    again = run_cli("template", "stores", "--lang", "en")
    assert again.exit_code == 2
    assert again.stderr == (
        "error: stores.xlsx: exists already and may hold data; give -o with another name (or -o "
        "stores.xlsx to replace it)\n"
    )
    assert run_cli("template", "stores", "--lang", "en", "-o", "b.xlsx").exit_code == 0
    assert (tmp_path / "b.xlsx").read_bytes() == first
    book = load_workbook(tmp_path / "b.xlsx")
    assert book.sheetnames == ["Stores", "Guide", "Lists"]
    assert [c.value for c in book["Stores"][1]][-1] == "demand"
