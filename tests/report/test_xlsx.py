"""report.xlsx: sheets, numbers, totals against the tables, languages, print setup."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from conftest import run_cli
from reportjob import PRODUCERS, SHEETS_EN, SHEETS_ID, STORES, assign_small, csv_frame, workbook
from umkm_alloc.errors import UsageError
from umkm_alloc.labels import labels
from umkm_alloc.report import report_xlsx

openpyxl = pytest.importorskip("openpyxl")


def test_workbook_sheets_frozen_headers_and_widths(small):
    wb = workbook(report_xlsx(small))
    assert wb.sheetnames == SHEETS_EN
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws["A1"].font.b, ws.title
    alloc = wb["Allocations"]
    header = [c.value for c in alloc[1]]
    assert header == list(small.allocations.columns[:9])
    # widths fitted to the content: the long producer name column is wider than the default
    widths = {k: v.width for k, v in alloc.column_dimensions.items()}
    assert widths["B"] >= len('=HYPERLINK("http://x")')
    assert all(8 <= w <= 72 for w in widths.values())


def test_workbook_numbers_are_numbers_and_formulas_are_neutralised(small):
    wb = workbook(report_xlsx(small))
    alloc = wb["Allocations"]
    rows = list(alloc.iter_rows(min_row=2, values_only=True))
    assert rows and all(type(r[5]) is int for r in rows)  # quantity
    assert all(isinstance(r[6], float) for r in rows)  # distance_km
    assert alloc["G2"].number_format == "0.000"
    names = {r[0]: r[1] for r in rows}
    assert names["P1"] == '\'=HYPERLINK("http://x")'
    cells = [c for row in wb["Allocations"].iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    stores = {r[2]: r[3] for r in rows}
    assert stores["IDM-2"] == "'@Indomaret Pontang"
    rejected = list(wb["Rejected rows"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[2]) for r in rejected] == [(6, "P5")]
    assert type(rejected[0][1]) is int


def test_workbook_totals_equal_the_csv_tables(example):
    _, files, tables = example
    wb = workbook(files["report.xlsx"])

    def column(sheet: str, name: str) -> list:
        ws = wb[sheet]
        header = [c.value for c in ws[1]]
        i = header.index(name)
        return [row[i] for row in ws.iter_rows(min_row=2, values_only=True)]

    alloc = csv_frame(tables["allocations.csv"])
    unmet = csv_frame(tables["unmet_demand.csv"])
    unused = csv_frame(tables["unused_supply.csv"])
    assert len(column("Allocations", "quantity")) == len(alloc)
    assert sum(column("Allocations", "quantity")) == alloc["quantity"].sum()
    assert column("Allocations", "store_id") == alloc["store_id"].tolist()
    assert np.allclose(column("Allocations", "distance_km"), alloc["distance_km"])
    assert sum(column("Unmet demand", "unmet")) == unmet["unmet"].sum()
    assert sum(column("Unused supply", "unused")) == unused["unused"].sum()
    assert all(type(v) is int for v in column("Unmet demand", "demand"))

    units = json.loads(tables["summary.json"])["units"]
    summary = {
        row[0]: row[1] for row in wb["Summary"].iter_rows(values_only=True) if row[0] is not None
    }
    t = labels("en")
    for key in ("supply", "demand", "allocated", "unmet", "unused"):
        assert summary[t[key]] == units[key], key
    assert summary[t["fill_rate"]] == pytest.approx(units["allocated"] / units["demand"])
    assert wb["Summary"]["B7"].number_format == "0.0%"

    by_kec = wb["By kecamatan"]
    header = [c.value for c in by_kec[1]]
    rows = list(by_kec.iter_rows(min_row=2, values_only=True))
    assert sum(r[header.index("received")] for r in rows) == units["allocated"]
    assert sum(r[header.index("supply")] for r in rows) == units["supply"]


def test_same_input_gives_identical_workbook_bytes(small):
    first, second = report_xlsx(small), report_xlsx(small)
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = zf.read("docProps/core.xml").decode()
    assert "1980-01-01T00:00:00Z" in core


def test_lang_id_translates_sheet_names_not_column_names(small):
    wb = workbook(report_xlsx(small, lang="id"))
    assert wb.sheetnames == SHEETS_ID
    assert wb["Alokasi"]["A1"].value == "producer_id"
    assert wb["Ringkasan"]["A2"].value == labels("id")["supply"]


ZONES = """
[zones]
Tengah = ["36.04.09", "Kragilan"]
Pantura = ["Pontang", "Tirtayasa"]
"""


def test_by_zone_sheet_only_when_zones_are_configured(small, small_dir):
    assert "By zone" not in workbook(report_xlsx(small)).sheetnames
    zoned = assign_small(small_dir, ZONES)
    wb = workbook(report_xlsx(zoned))
    assert wb.sheetnames == [*SHEETS_EN[:5], "By zone", *SHEETS_EN[5:]]
    rows = {r[0]: r for r in wb["By zone"].iter_rows(min_row=2, values_only=True)}
    header = [c.value for c in wb["By zone"][1]]
    assert set(rows) == {"Pantura", "Tengah", "Anyar"}  # Anyar: a zone of its own
    assert rows["Tengah"][header.index("demand")] == 170
    assert "zone" in [c.value for c in wb["By kecamatan"][1]]
    # the sheet holds the summary's zone rows (sorted by name)
    expected = sorted(zoned.summary.by_zone, key=lambda r: r.zone)
    assert [rows[r.zone][header.index("received")] for r in expected] == [
        r.received for r in expected
    ]
    assert list(rows) == [r.zone for r in expected]
    # members named by code or by name give the same workbook
    by_code = "[zones]\n" + "".join(
        f"{zone} = {json.dumps(list(codes))}\n" for zone, codes in zoned.rules.zones.items()
    )
    assert report_xlsx(assign_small(small_dir, by_code, "codes.toml")) == report_xlsx(zoned)


@pytest.mark.slow
def test_summary_shows_inputs_as_given_and_dashes_as_dashes(tmp_path, monkeypatch):

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "p.csv").write_text(PRODUCERS, encoding="utf-8")
    (tmp_path / "in" / "s.csv").write_text(STORES, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    given = ["in/p.csv", str(tmp_path / "in" / "s.csv")]  # one relative, one absolute
    run = run_cli("assign", *given, "--out-dir", "out", "--report", "-q")
    assert run.exit_code == 0, run.output
    rows = list(workbook((tmp_path / "out" / "report.xlsx").read_bytes())["Summary"].values)
    first = [r[0] for r in rows].index(labels("en")["inputs"]) + 1
    assert [r[0] for r in rows[first : first + 2]] == given
    files = json.loads((tmp_path / "out" / "summary.json").read_text())["files"]
    assert [files["producers"]["path"], files["stores"]["path"]] == given
    values = {r[0]: r[1] for r in rows if r[0] is not None}
    assert values["max_minutes"] == "-" and values["sheet"] == "-"  # no formula guard: '-


def test_workbook_prints_on_a4_fitted_to_width(small):
    wb = workbook(report_xlsx(small))
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert setup.paperSize == 9, ws.title  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert setup.fitToWidth == 1, ws.title
        assert "&A" in ws.oddFooter.center.text and "&P" in ws.oddFooter.center.text
        if ws.title == "Summary":
            assert (setup.orientation, setup.fitToHeight) == ("portrait", 1)
        else:
            assert (setup.orientation, setup.fitToHeight) == ("landscape", 0)
            assert ws.print_title_rows == "$1:$1"  # the header row on every page
    reasons = wb["Unmet demand"]
    long = [c for (c,) in reasons.iter_rows(min_row=2, min_col=7, max_col=7) if len(c.value) > 68]
    assert all(c.alignment.wrap_text for c in long)


def test_unknown_language_is_a_usage_error(small):
    with pytest.raises(UsageError, match=r"--lang 'fr' is not available; use one of: en, id"):
        report_xlsx(small, lang="fr")
