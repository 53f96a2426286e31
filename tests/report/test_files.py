"""write_result: the tables and the --report files beside them, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ANYAR, PONTANG
from reportjob import SHEETS_ID, workbook
from umkm_alloc.allocate import assign
from umkm_alloc.config import AssignConfig
from umkm_alloc.errors import UsageError
from umkm_alloc.report import (
    REPORT_FILES,
    REPORT_NEEDS_DIR,
    TABLE_FILES,
    report_files,
    write_result,
)

pyogrio = pytest.importorskip("pyogrio")


@pytest.mark.slow
def test_write_result_writes_the_report_beside_the_tables(small, tmp_path):
    out = tmp_path / "out"
    written = write_result(small, output=None, out_dir=out, report=True, lang="id")
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([*TABLE_FILES, *REPORT_FILES])
    assert sorted(Path(p).name for p in written) == names
    assert workbook((out / "report.xlsx").read_bytes()).sheetnames == SHEETS_ID


def test_report_without_out_dir_is_a_usage_error(small):
    with pytest.raises(UsageError) as err:
        write_result(small, output="-", out_dir=None, stdout=lambda _b: None, report=True)
    assert str(err.value) == REPORT_NEEDS_DIR
    assert REPORT_NEEDS_DIR == (
        "--report needs --out-dir: the workbook and maps are files; add --out-dir DIR"
    )


def test_a_failing_report_writes_nothing(small, tmp_path, monkeypatch):
    import umkm_alloc.report.files as report

    def broken(*_args, **_kwargs):
        raise RuntimeError("render failed")

    monkeypatch.setattr(report, "report_files", broken)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        write_result(small, output=None, out_dir=out, report=True)
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.slow
def test_nothing_allocated_still_gives_every_file(tmp_path):
    (tmp_path / "p.csv").write_text(
        f"producer_id,lat,lon,product,capacity\nP1,{PONTANG[0]},{PONTANG[1]},Opak,10\n"
    )
    (tmp_path / "s.csv").write_text(
        f"store_id,lat,lon,product,demand\nS1,{ANYAR[0]},{ANYAR[1]},Opak,5\n"
    )
    result = assign(AssignConfig(producers=tmp_path / "p.csv", stores=tmp_path / "s.csv"))
    assert result.allocations.empty
    files = report_files(result)
    assert sorted(files) == sorted(REPORT_FILES)
    path = tmp_path / "a.gpkg"
    path.write_bytes(files["allocations.gpkg"])
    assert len(pyogrio.read_dataframe(path, layer="flows")) == 0
    wb = workbook(files["report.xlsx"])
    assert wb["Allocations"].max_row == 1
