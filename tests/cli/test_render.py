"""What the terminal shows (``cli/render.py``), read from a recorded rich Console.

The numbers on screen must be the run's own (its Summary, its tables), in the language asked
for; every rejected or fixed row is counted even when only the first ten are listed.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest
from rich.console import Console

from conftest import PONTANG, PRODUCERS_CSV, STORES_CSV
from umkm_alloc.allocate import assign
from umkm_alloc.allocate.explain import explain
from umkm_alloc.cli.render import (
    SHOW_ROWS,
    render_assign,
    render_explanation,
    render_rejected,
    render_validation,
)
from umkm_alloc.config import AssignConfig
from umkm_alloc.inputs import load_inputs
from umkm_alloc.inputs.validate import REJECTION_KINDS
from umkm_alloc.labels import labels

#: Two rows without any location (rejected) and one with lat and lon swapped (fixed).
BROKEN = (
    "P8,Tanpa Alamat,,,Gipang,5\nP9,Juga Tanpa,,,Gipang,5\n"
    f"P7,Tertukar,{PONTANG[1]},{PONTANG[0]},Gipang,5\n"
)
NO_LOCATION = "no coordinates and no kecamatan; give lat and lon, or the kecamatan name or code"


def recorded(quiet: bool = False) -> Console:
    """A console that records what it prints, wide enough that no table row wraps."""
    return Console(record=True, width=240, file=io.StringIO(), color_system=None, quiet=quiet)


def lines(console: Console) -> list[str]:
    """The printed lines with runs of blanks folded, empty lines dropped."""
    return [" ".join(line.split()) for line in console.export_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    folder = tmp_path_factory.mktemp("render")
    (folder / "p.csv").write_text(PRODUCERS_CSV + BROKEN, encoding="utf-8")
    (folder / "s.csv").write_text(STORES_CSV, encoding="utf-8")
    return AssignConfig(producers=folder / "p.csv", stores=folder / "s.csv")


@pytest.fixture(scope="module")
def result(job):
    return assign(job)


# ------------------------------------------------------------------------------ assign


def test_assign_totals_are_the_summary(result):
    console = recorded()
    render_assign(console, result, written=["out/allocations.csv", "out/summary.json"])
    shown = lines(console)
    u, s = result.summary.units, result.summary
    assert (u.demand, u.supply, u.allocated, u.unmet, u.unused) == (230, 220, 170, 60, 50)
    assert shown[0] == "umkm-alloc assign max 20 km by road (geodesic x 1.4), boundaries banten"
    assert shown[1] == (
        f"producers {result.files[0].path}: 7 rows read, 5 accepted (1 after a fix), 2 rejected"
    )
    totals = shown[shown.index("ordered 230 units demanded by stores") :][:7]
    assert totals == [
        "ordered 230 units demanded by stores",
        "supply 220 units of producer capacity",
        f"allocated 170 fill rate {100 * s.fill_rate:.1f}%",
        f"unmet 60 {s.counts.unmet_rows} store rows",
        f"unused 50 {s.counts.unused_rows} producer rows",
        f"unit-km {round(s.unit_km)} mean {s.mean_km:.2f} km per unit",
        f"pairs {s.counts.candidate_pairs} eligible, {s.counts.allocations} used",
    ]
    assert shown[-1] == "written: out/allocations.csv, out/summary.json"


def test_assign_tables_hold_every_kecamatan_reason_and_short_store(result):
    console = recorded()
    render_assign(console, result, written=["-"])
    shown = lines(console)
    by_kecamatan = [line.split(" ")[0] for line in shown if " Kab. Serang " in line]
    assert by_kecamatan == [r.kecamatan for r in result.summary.by_kecamatan]
    words = labels("en")
    for kind in result.unmet_demand["kind"]:
        assert any(line.startswith(words[f"kind.{kind}"] + " ") for line in shown), kind
    for kind in result.unused_supply["kind"]:
        assert any(line.startswith(words[f"kind.{kind}"] + " ") for line in shown), kind
    top = shown.index("Stores with the most unmet demand")
    assert shown[top + 1] == "store name unmet largest shortfall: why"
    short = [line.split(" ")[0] for line in shown[top + 3 : top + 3 + len(result.unmet_demand)]]
    assert short == ["ALF-1", "IDM-3"]  # 30 units each: by id
    assert "Rejected rows (2)" in shown
    assert sum(NO_LOCATION in line for line in shown) == 2
    fixed = next(line for line in shown if line.startswith("Fixed rows (1)"))
    assert fixed == "Fixed rows (1): accepted, but correct them in the file"


def test_assign_in_indonesian_uses_its_words_and_separators(result):
    console = recorded()
    render_assign(console, result, written=["-"], lang="id")
    shown = lines(console)
    assert "teralokasi 170 tingkat pemenuhan 73,9%" in shown  # 170 / 230, decimal comma
    assert "unit-km 417 rata-rata 2,45 km per unit" in shown
    words = labels("id")
    assert "Permintaan tak terpenuhi menurut alasan" in shown
    assert any(line.startswith(words["kind.no_store"] + " ") for line in shown)
    assert "Toko dengan permintaan tak terpenuhi terbanyak" in shown


def test_quiet_prints_nothing_and_verbose_adds_the_timings(result):
    quiet = recorded(quiet=True)
    render_assign(quiet, result, written=["-"])
    assert quiet.export_text() == ""
    loud = recorded()
    render_assign(loud, result, written=["-"], verbose=True)
    timings = next(line for line in lines(loud) if line.startswith("timings: "))
    assert [part.split(" ")[0] for part in timings[9:].split(", ")] == list(result.timings)


def test_more_rejected_rows_than_shown_are_counted():
    rows = pd.DataFrame(
        {
            "file": ["p.csv"] * (SHOW_ROWS + 2),
            "line": range(2, SHOW_ROWS + 4),
            "id": [f"P{i}" for i in range(SHOW_ROWS + 2)],
            "reason": ["capacity is empty"] * (SHOW_ROWS + 2),
        }
    )
    console = recorded()
    render_rejected(console, rows)
    shown = lines(console)
    assert shown[0] == f"Rejected rows ({SHOW_ROWS + 2})"
    assert sum(line.endswith("capacity is empty") for line in shown) == SHOW_ROWS
    assert shown[-1] == "... and 2 more (all in rejected_rows.csv with --out-dir)"


# ---------------------------------------------------------------------------- validate


def test_validation_counts_rows_and_groups_rejections_by_reason(job):
    inputs = load_inputs(job, strict=False)
    console = recorded()
    render_validation(console, inputs)
    shown = lines(console)
    assert shown[0] == "umkm-alloc validate"
    assert shown[1] == (
        f"producers {job.producers}: 7 rows read, 5 accepted (1 after a fix), 2 rejected, 0 skipped"
    )
    table = shown.index("Rejected rows by reason")
    assert shown[table + 1] == "reason rows examples (file:line id: reason)"
    kind = inputs.rejected_rows["kind"].iat[0]
    assert shown[table + 3] == (f"{REJECTION_KINDS[kind]} 2 {job.producers}:6 P8: {NO_LOCATION}")
    assert shown[table + 4] == f"{job.producers}:7 P9: {NO_LOCATION}"
    assert any(line.startswith(f"{job.producers} 8 P7 lat ") for line in shown)  # the fix
    assert "All rows pass every check." not in shown


def test_validation_of_clean_tables_says_so(small_job):
    producers, stores = small_job
    console = recorded()
    render_validation(console, load_inputs(AssignConfig(producers=producers, stores=stores)))
    shown = lines(console)
    assert shown[-1] == "All rows pass every check."
    assert not any("Rejected" in line or "Fixed" in line for line in shown)


# ----------------------------------------------------------------------------- explain


def test_explanation_of_a_store_lists_every_producer_and_why_it_is_short(result):
    table = explain(result, store="IDM-3")
    console = recorded()
    render_explanation(console, table, result, store="IDM-3", producer=None)
    shown = lines(console)
    assert shown[0] == (
        "IDM-3 Indomaret Kragilan (Kragilan, zone Kragilan): Emping Melinjo, ordered 90, "
        f"received {int(table['received'].iat[0])}"
    )
    why = result.unmet_demand.set_index("store_id").loc["IDM-3", "reason"]
    assert shown[1] == f"why: {why}"
    rows = [line.split(" ") for line in shown[4:]]
    assert [r[0] for r in rows] == table["producer_id"].tolist()
    for r, pair in zip(rows, table.itertuples(), strict=True):
        assert r[-3:] == [
            str(pair.quantity),
            str(pair.producer_sends_elsewhere),
            str(pair.producer_unused),
        ]
        assert f"{pair.distance_km:.1f}" in r


def test_explanation_of_a_producer_names_the_rule_that_excludes_a_store(result):
    table = explain(result, producer="P2")
    console = recorded()
    render_explanation(console, table, result, store=None, producer="P2")
    shown = lines(console)
    assert (
        shown[0] == "P2 Emping Ciruas (Ciruas, zone Ciruas): Emping Melinjo, capacity 100, unused 0"
    )
    anyar = next(line for line in shown if line.startswith("ALF-1 "))
    rule = table.set_index("store_id").loc["ALF-1", "rule"]
    assert anyar.endswith(f"apart 50.2 {rule} 0 0")
    assert [line.split(" ")[0] for line in shown[3:]] == table["store_id"].tolist()


def test_explanation_of_nothing_says_so(result):
    console = recorded()
    render_explanation(
        console, explain(result, store="IDM-3").iloc[:0], result, store="IDM-3", producer=None
    )
    assert lines(console) == ["No producer-store pair shares a product here."]
