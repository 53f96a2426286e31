"""Writing tables: the formula guard, CSV bytes, atomic all-or-nothing writes."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from umkm_alloc.io.write import guard_formula, to_csv_bytes, write_atomic


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+62", "'+62"),
        ("-x", "'-x"),
        ("-6.05", "-6.05"),
        ("-6.05, 106.2", "'-6.05, 106.2"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Bu Siti", "Bu Siti"),
        ("", ""),
        ("-", "-"),  # a lone sign is a placeholder, never a formula
        ("+", "+"),
        ("--", "'--"),
        ("- x", "'- x"),
        ("=", "'="),
    ],
)
def test_formula_guard(value, expected):
    assert guard_formula(value) == expected


def test_csv_guards_text_but_not_numbers():
    frame = pd.DataFrame({"name": ["=HYPERLINK()", "ok"], "qty": [-5, 3], "km": [1.23456, -0.5]})
    out = to_csv_bytes(frame, float_digits={"km": 3}).decode()
    assert out == "name,qty,km\n'=HYPERLINK(),-5,1.235\nok,3,-0.500\n"
    dash = to_csv_bytes(pd.DataFrame({"note": ["-", "-1 x", "+"]})).decode()
    assert dash == "note\n-\n'-1 x\n+\n"  # the CSV writer and guard_formula agree


def test_write_atomic_all_or_nothing(tmp_path):
    good = tmp_path / "a.csv"
    good.write_text("previous good output")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError):
        write_atomic({good: b"new", blocker / "b.csv": b"x"})
    assert good.read_text() == "previous good output"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "file"]


def test_write_atomic_respects_umask(tmp_path):
    target = tmp_path / "out.csv"
    write_atomic({target: b"x"})
    mask = os.umask(0)
    os.umask(mask)
    assert Path(target).stat().st_mode & 0o777 == 0o666 & ~mask


def test_workbook_bytes_depend_on_the_content_alone():
    import datetime
    import io
    import zipfile

    from openpyxl import Workbook, load_workbook

    from umkm_alloc.io.write import workbook_bytes

    def book(value: str) -> Workbook:
        wb = Workbook()
        wb.active["A1"] = value
        wb.properties.creator = "umkm-alloc"
        wb.properties.title = "Judul"
        return wb

    first = workbook_bytes(book("Gipang"))
    assert workbook_bytes(book("Gipang")) == first
    assert workbook_bytes(book("Emping")) != first
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.create_system for i in zf.infolist()} == {0}
    again = load_workbook(io.BytesIO(first))
    assert again.active["A1"].value == "Gipang"
    assert (again.properties.creator, again.properties.title) == ("umkm-alloc", "Judul")
    assert again.properties.created == datetime.datetime(1980, 1, 1)
