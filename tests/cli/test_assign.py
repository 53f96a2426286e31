"""``umkm-alloc assign``: data to stdout, summary to stderr, files, exit codes, --strict."""

from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import ALLOCATIONS_HEADER, EXAMPLES, run_cli


def test_assign_writes_pure_csv_to_stdout_and_summary_to_stderr(small_job):
    producers, stores = small_job
    result = run_cli("assign", str(producers), str(stores))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == ALLOCATIONS_HEADER
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {(r["producer_id"], r["store_id"]) for r in rows} == {
        ("P1", "IDM-2"),
        ("P2", "IDM-1"),
        ("P2", "IDM-3"),
        ("P3", "IDM-3"),
    }
    assert "fill rate" in result.stderr
    assert "By kecamatan" in result.stderr
    assert "fill rate" not in result.stdout


def test_quiet_silences_the_summary(small_job):
    result = run_cli("assign", *small_job, "-q")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.startswith(ALLOCATIONS_HEADER)


def test_out_dir_writes_every_table_and_nothing_to_stdout(small_job, tmp_path):
    out = tmp_path / "out"
    result = run_cli("assign", *small_job, "--out-dir", str(out), "-q")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert sorted(p.name for p in out.iterdir()) == [
        "allocations.csv",
        "fixed_rows.csv",
        "rejected_rows.csv",
        "skipped_rows.csv",
        "summary.json",
        "unmet_demand.csv",
        "unused_supply.csv",
    ]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["units"] == {
        "supply": 215,
        "demand": 230,
        "allocated": 170,
        "unmet": 60,
        "unused": 45,
    }
    assert summary["counts"]["rows_rejected"] == 0
    assert summary["params"]["max_km"] == 20.0
    unmet = list(csv.DictReader((out / "unmet_demand.csv").open()))
    assert [(r["store_id"], r["unmet"]) for r in unmet] == [("ALF-1", "30"), ("IDM-3", "30")]
    assert unmet[0]["reason"].startswith("nearest producer of Emping Melinjo (P2) is ")
    assert unmet[1]["reason"] == (
        "capacity of the 2 producer(s) in reach (P2, P3) is used by other stores"
    )
    unused = list(csv.DictReader((out / "unused_supply.csv").open()))
    assert [(r["producer_id"], r["reason"]) for r in unused] == [
        ("P1", "the 1 store(s) in reach (IDM-2) are fully supplied"),
        ("P4", "no store orders Kue Cucur"),
    ]


def test_output_file_and_identical_bytes_on_rerun(small_job, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert run_cli("assign", *small_job, "-o", str(a), "-q").exit_code == 0
    assert run_cli("assign", *small_job, "-o", str(b), "-q").exit_code == 0
    assert a.read_bytes() == b.read_bytes()
    assert a.read_text().startswith(ALLOCATIONS_HEADER)


def test_missing_file_exit_2(tmp_path, small_job):
    result = run_cli("assign", str(tmp_path / "nope.csv"), str(small_job[1]))
    assert result.exit_code == 2
    assert (
        result.stderr == f"error: {tmp_path / 'nope.csv'}: no such producers file; check the path\n"
    )
    assert result.stdout == ""


def test_missing_column_exit_3(write, small_job):
    bad = write("bad.csv", "producer_id,lat,lon,qty\nP1,-6.1,106.2,5\n")
    result = run_cli("assign", str(bad), str(small_job[1]))
    assert result.exit_code == 3
    assert result.stderr == (
        f"error: {bad}: required column capacity is missing (accepted names: capacity, "
        "kapasitas, supply, stok); found: producer_id, lat, lon, qty\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-km", "-3"], "error: --max-km -3 is not allowed; give a number > 0\n"),
        (
            ["--circuity", "0.5"],
            "error: --circuity 0.5 is out of range; use a factor between 1 "
            "and 5 (1.4 is typical for rural roads)\n",
        ),
        (
            ["--distance", "roads:x.osm"],
            "error: --distance 'roads:x.osm': unknown distance backend; use one of: geodesic; "
            "osm:PATH (an OpenStreetMap extract, .osm or .osm.pbf); matrix:PATH (a CSV of "
            "producer_id, store_id, distance_km[, minutes]); osrm:URL (an OSRM server, e.g. "
            "osrm:http://localhost:5000)\n",
        ),
        (
            ["--boundaries", "nowhere.geojson"],
            "error: --boundaries nowhere.geojson: no such file; use 'banten' or a polygon file\n",
        ),
    ],
)
def test_bad_option_values_exit_2(small_job, args, message):
    result = run_cli("assign", *small_job, *args)
    assert result.exit_code == 2
    assert result.stderr == message


def test_unknown_option_exit_2(small_job):
    result = run_cli("assign", *small_job, "--max-kms", "3")
    assert result.exit_code == 2
    assert "No such option: --max-kms" in result.stderr


def test_strict_exits_4_and_writes_nothing(write, small_job, tmp_path):
    producers = small_job[0]
    producers.write_text(producers.read_text() + "P9,Broken,,,Gipang,5\n")
    out = tmp_path / "out"
    result = run_cli("assign", str(producers), str(small_job[1]), "--strict", "--out-dir", str(out))
    assert result.exit_code == 4
    assert result.stderr.splitlines()[-1] == (
        "error: --strict: 1 input row(s) rejected, nothing written; fix them (see "
        "'umkm-alloc validate') or run without --strict"
    )
    assert not out.exists()
    relaxed = run_cli("assign", str(producers), str(small_job[1]), "--out-dir", str(out), "-q")
    assert relaxed.exit_code == 0
    rejected = (out / "rejected_rows.csv").read_text().splitlines()
    assert rejected == [
        "file,line,id,reason",
        f'{producers},6,P9,"no coordinates and no kecamatan; give lat and lon, or the kecamatan '
        'name or code"',
    ]


def test_config_file_assign_table_and_precedence(write, small_job, tmp_path):
    producers, stores = small_job
    cfg = write(
        "job.toml",
        f'[assign]\nproducers = "{producers.name}"\nstores = "{stores.name}"\nmax-km = 0.5\n'
        'out_dir = "out"\n',
    )
    result = run_cli("assign", "--config", str(cfg), "-q")
    assert result.exit_code == 0, result.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["params"]["max_km"] == 0.5
    assert summary["units"]["allocated"] == 0
    override = run_cli("assign", "--config", str(cfg), "--max-km", "20", "-q")
    assert override.exit_code == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["params"]["max_km"] == 20.0
    assert summary["units"]["allocated"] == 170


def test_config_file_errors_exit_3(write):
    cfg = write("job.toml", "[assign]\nmax_kms = 3\n")
    result = run_cli("assign", "--config", str(cfg))
    assert result.exit_code == 3
    assert result.stderr.startswith(f"error: {cfg}: unknown key assign.max_kms; allowed keys: ")
    broken = write("broken.toml", "[assign\n")
    result = run_cli("assign", "--config", str(broken))
    assert result.exit_code == 3
    assert result.stderr.startswith(f"error: {broken}: not valid TOML")
    typed = write("typed.toml", '[assign]\nmax_km = "far"\n')
    result = run_cli("assign", "--config", str(typed))
    assert result.exit_code == 3
    assert (
        result.stderr == f"error: {typed}: assign.max_km = 'far' must be a float; fix the value\n"
    )


def test_missing_tables_without_config_exit_2(write):
    cfg = write("job.toml", "[assign]\nmax_km = 3\n")
    result = run_cli("assign", "--config", str(cfg))
    assert result.exit_code == 2
    assert result.stderr == (
        "error: missing PRODUCERS table; give it as an argument or as assign.producers in the "
        "--config file\n"
    )


@pytest.mark.slow
def test_summary_has_zones_worst_stores_and_speaks_indonesian(tmp_path):
    args = [
        "assign",
        str(EXAMPLES / "producers.csv"),
        str(EXAMPLES / "stores.csv"),
        "--config",
        str(EXAMPLES / "serang.toml"),
        "--out-dir",
        str(tmp_path / "out"),
    ]
    english = run_cli(*args)
    assert english.exit_code == 0, english.stderr
    for heading in ("By zone", "By kecamatan", "Stores with the most unmet demand"):
        assert heading in english.stderr
    assert " Pantura " in english.stderr
    indonesian = run_cli(*args, "--lang", "id")
    assert "Per zona" in indonesian.stderr
    assert "tingkat pemenuhan" in indonesian.stderr
    assert "Toko dengan permintaan tak terpenuhi terbanyak" in indonesian.stderr
    bad = run_cli(*args, "--lang", "fr")
    assert bad.exit_code == 2
    assert bad.stderr == "error: --lang 'fr' is not available; use one of: en, id\n"


# ------------------------------------------------------------ options from one source


def test_strict_stops_before_any_solve(write, small_job, tmp_path, monkeypatch):
    from umkm_alloc.allocate import pipeline

    def no_solve(*_a, **_k):
        raise AssertionError("--strict must stop before the candidates and the solve")

    monkeypatch.setattr(pipeline, "candidate_groups", no_solve)
    monkeypatch.setattr(pipeline, "AllocationStream", no_solve)
    producers = small_job[0]
    producers.write_text(producers.read_text() + "P9,Broken,,,Gipang,5\n")
    out = tmp_path / "out"
    result = run_cli("assign", str(producers), str(small_job[1]), "--strict", "--out-dir", str(out))
    assert result.exit_code == 4, result.stderr
    assert "Rejected rows (1)" in result.stderr
    assert "no coordinates and no kecamatan" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "error: --strict: 1 input row(s) rejected, nothing written; fix them (see "
        "'umkm-alloc validate') or run without --strict"
    )
    assert result.stdout == ""
    assert not out.exists()
    quiet = run_cli("assign", str(producers), str(small_job[1]), "--strict", "-q")
    assert quiet.exit_code == 4
    assert quiet.stdout == ""
    assert quiet.stderr.startswith("error: --strict: 1 input row(s) rejected, nothing written")


def test_strict_without_rejected_rows_runs(small_job):
    result = run_cli("assign", *small_job, "--strict", "-q")
    assert result.exit_code == 0
    assert result.stdout.startswith(ALLOCATIONS_HEADER)
