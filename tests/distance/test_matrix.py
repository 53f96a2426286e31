"""``--distance matrix:PATH``: a precomputed table of pair distances (and minutes)."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest

from conftest import ANYAR, CIRUAS, KOTA_SERANG, KRAGILAN, PONTANG, TIRTAYASA, run_cli
from lp import reference_optimum
from roadnet import write_job
from umkm_alloc.allocate import assign
from umkm_alloc.config import AssignConfig
from umkm_alloc.distance import Points, make_backend
from umkm_alloc.errors import InputError

SITES = [PONTANG, TIRTAYASA, CIRUAS, KRAGILAN, ANYAR, KOTA_SERANG]


def random_job(rng: np.random.Generator, tmp_path: Path):
    producers, stores = [], []
    for i in range(int(rng.integers(4, 9))):
        site = SITES[int(rng.integers(len(SITES)))]
        pt = (site[0] + rng.uniform(-0.002, 0.002), site[1] + rng.uniform(-0.002, 0.002))
        for prod in rng.choice(["Emping", "Dodol"], size=int(rng.integers(1, 3)), replace=False):
            producers.append((f"P{i}", pt, str(prod), int(rng.integers(0, 40))))
    for j in range(int(rng.integers(4, 9))):
        site = SITES[int(rng.integers(len(SITES)))]
        pt = (site[0] + rng.uniform(-0.002, 0.002), site[1] + rng.uniform(-0.002, 0.002))
        for prod in rng.choice(["Emping", "Dodol"], size=int(rng.integers(1, 3)), replace=False):
            stores.append((f"S{j}", pt, str(prod), int(rng.integers(0, 40))))
    return producers, stores


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(8))
def test_matrix_allocation_equals_the_lp_on_listed_distances(tmp_path, seed):
    rng = np.random.default_rng(seed)
    producers, stores = random_job(rng, tmp_path)
    p_path, s_path = write_job(tmp_path, producers, stores)
    p_ids = sorted({p[0] for p in producers})
    s_ids = sorted({s[0] for s in stores})
    listed = {
        (p, s): round(float(rng.uniform(0.5, 40.0)), 3)
        for p in p_ids
        for s in s_ids
        if rng.random() < 0.6
    }
    matrix = tmp_path / "d.csv"
    matrix.write_text(
        "producer_id,store_id,distance_km\n"
        + "".join(f"{p},{s},{km}\n" for (p, s), km in listed.items())
    )
    max_km = 25.0
    result = assign(
        AssignConfig(producers=p_path, stores=s_path, max_km=max_km, distance=f"matrix:{matrix}")
    )
    assert result.rejected_rows.empty
    arcs = [
        (pi, si, listed[(p[0], s[0])])
        for pi, p in enumerate(producers)
        for si, s in enumerate(stores)
        if p[2] == s[2] and (p[0], s[0]) in listed and listed[(p[0], s[0])] <= max_km
    ]
    supply = np.array([p[3] for p in producers], float)
    demand = np.array([s[3] for s in stores], float)
    a_p = np.array([a[0] for a in arcs], int)
    a_s = np.array([a[1] for a in arcs], int)
    a_km = np.array([a[2] for a in arcs], float)
    units, unit_km = reference_optimum(supply, demand, a_p, a_s, a_km)
    alloc = result.allocations
    assert alloc["quantity"].sum() == pytest.approx(units)
    got = float((alloc["quantity"] * alloc["distance_km"]).sum())
    assert got == pytest.approx(unit_km, abs=1e-6)
    for row in alloc.itertuples():
        assert row.distance_km == listed[(row.producer_id, row.store_id)]  # exact, no circuity


def test_matrix_by_kecamatan_code(tmp_path):
    producers, stores = write_job(
        tmp_path,
        [("P1", PONTANG, "Emping", 10), ("P2", CIRUAS, "Emping", 10)],
        [("S1", KRAGILAN, "Emping", 8), ("S2", PONTANG, "Emping", 5), ("S3", ANYAR, "Emping", 5)],
    )
    first = assign(AssignConfig(producers=producers, stores=stores))
    code = dict(zip(first.producers["id"], first.producers["kecamatan_code"], strict=True))
    code.update(zip(first.stores["id"], first.stores["kecamatan_code"], strict=True))
    matrix = tmp_path / "kec.csv"
    matrix.write_text(
        "producer_kecamatan;store_kecamatan;distance_km;minutes\n"
        f"{code['P1']};{code['S1']};12,5;30\n"
        f"{code['P2']};{code['S2']};8;20\n"
        f"{code['P1']};{code['S2']};1,25;4\n"
    )
    result = assign(AssignConfig(producers=producers, stores=stores, distance=f"matrix:{matrix}"))
    got = [
        (r.producer_id, r.store_id, r.quantity, r.distance_km)
        for r in result.allocations.itertuples()
    ]
    # 13 units either way; 8 x 12.5 + 2 x 1.25 + 3 x 8 = 126.5 beats 8 x 12.5 + 5 x 8 = 140
    assert got == [("P1", "S1", 8, 12.5), ("P1", "S2", 2, 1.25), ("P2", "S2", 3, 8.0)]
    unmet = result.unmet_demand.set_index("store_id")
    assert unmet.loc["S3", "kind"] == "no_route"
    assert unmet.loc["S3", "reason"] == (
        f"the store's kecamatan {code['S3']} is not listed in kec.csv (store_kecamatan): "
        "no listed route to any producer of Emping"
    )
    timed = assign(
        AssignConfig(
            producers=producers,
            stores=stores,
            distance=f"matrix:{matrix}",
            max_km=math.inf,
            max_minutes=25.0,
        )
    )
    pairs = {(r.producer_id, r.store_id) for r in timed.allocations.itertuples()}
    assert ("P1", "S1") not in pairs
    assert result.distance == {
        "backend": "matrix",
        "source": str(matrix),
        "sha256": result.distance["sha256"],
        "keyed_by": "kecamatan",
        "pairs": 3,
        "minutes": True,
    }


def test_only_listed_pairs_are_candidates_and_reasons_name_them(tmp_path):
    producers, stores = write_job(
        tmp_path,
        [("P1", PONTANG, "Emping", 10), ("P2", PONTANG, "Emping", 10)],
        [("S1", PONTANG, "Emping", 5), ("S2", PONTANG, "Emping", 5), ("S9", PONTANG, "Emping", 5)],
    )
    matrix = tmp_path / "d.csv"
    matrix.write_text("producer_id,store_id,distance_km\nP1,S1,3\nP2,S2,31\nP1,S2,45.5\n")
    result = assign(AssignConfig(producers=producers, stores=stores, distance=f"matrix:{matrix}"))
    assert result.allocations[["producer_id", "store_id", "quantity"]].values.tolist() == [
        ["P1", "S1", 5]
    ]
    unmet = result.unmet_demand.set_index("store_id")
    assert unmet.loc["S2", "reason"] == (
        "nearest producer of Emping listed in the matrix (P2) is 31.0 km away, beyond the "
        "20 km limit"
    )
    assert unmet.loc["S9", "reason"] == (
        "store S9 is not listed in d.csv (store_id): no listed route to any producer of Emping"
    )
    km = result.backend.distance_km(
        Points(np.zeros(2), np.zeros(2), ["P1", "P2"]),
        Points(np.zeros(2), np.zeros(2), ["S1", "S1"]),
    )
    assert km.tolist() == [3.0, np.inf]


def test_matrix_problems_are_listed_with_line_and_value(tmp_path):
    matrix = tmp_path / "d.csv"
    matrix.write_text(
        "Producer_ID, Store_ID ,distance_km,minutes\n"
        "P1,S1,abc,10\n"
        "P1,,3,4\n"
        "P2,S1,-1,x\n"
        "P3,S3,4,5\n"
        "P3,S3,4,6\n"
    )
    with pytest.raises(InputError) as err:
        make_backend(f"matrix:{matrix}")
    assert str(err.value) == "\n".join(
        [
            f"{matrix}: 5 problem(s) in the distance matrix; fix them:",
            f"{matrix}, line 2: distance_km 'abc' is not a number >= 0; give it in km",
            f"{matrix}, line 3: store_id is empty; fill it in",
            f"{matrix}, line 4: distance_km '-1' is not a number >= 0; give it in km",
            f"{matrix}, line 4: minutes 'x' is not a number >= 0; give it in minutes",
            f"{matrix}, line 6: the pair P3 -> S3 repeats line 5; keep one row per pair",
        ]
    )


def test_matrix_without_key_columns(tmp_path):
    matrix = tmp_path / "d.csv"
    matrix.write_text("from,to,km\nP1,S1,3\n")
    with pytest.raises(InputError) as err:
        make_backend(f"matrix:{matrix}")
    assert str(err.value) == (
        f"{matrix}: the distance matrix lacks producer_id and store_id (or producer_kecamatan "
        "and store_kecamatan); its header has: from, to, km. Give "
        "producer_id,store_id,distance_km[,minutes] or "
        "producer_kecamatan,store_kecamatan,distance_km[,minutes]"
    )


@pytest.mark.slow
def test_cli_matrix_end_to_end(tmp_path):
    producers, stores = write_job(
        tmp_path,
        [("P1", PONTANG, "Emping", 10), ("P2", CIRUAS, "Emping", 10)],
        [("S1", PONTANG, "Emping", 12)],
    )
    matrix = tmp_path / "d.csv"
    matrix.write_text("producer_id,store_id,distance_km,minutes\nP1,S1,2.5,9\n")
    out = tmp_path / "out"
    base = [str(producers), str(stores), "--distance", f"matrix:{matrix}"]
    result = run_cli("assign", *base, "--out-dir", str(out))
    assert result.exit_code == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["params"]["distance"]["backend"] == "matrix"
    assert summary["units"]["allocated"] == 10
    assert "distance matrix (d.csv)" in result.stderr
    unmet = list(csv.DictReader(io.StringIO((out / "unmet_demand.csv").read_text())))
    assert (
        unmet[0]["reason"] == "capacity of the 1 producer(s) in reach (P1) is used by other stores"
    )
    explained = run_cli("explain", *base, "--store", "S1", "--format", "csv")
    assert explained.exit_code == 0, explained.stderr
    rows = {r["producer_id"]: r for r in csv.DictReader(io.StringIO(explained.stdout))}
    assert rows["P1"]["distance_km"] == "2.500" and rows["P1"]["minutes"] == "9.0"
    assert rows["P2"]["distance_km"] == "" and rows["P2"]["status"] == "excluded"
    assert rows["P2"]["rule"] == (
        "no listed route (producer P2 is not listed in d.csv (producer_id))"
    )
    nomin = matrix.with_name("nomin.csv")
    nomin.write_text("producer_id,store_id,distance_km\nP1,S1,2.5\n")
    timed = run_cli(
        "assign",
        str(producers),
        str(stores),
        "--distance",
        f"matrix:{nomin}",
        "--max-minutes",
        "30",
    )
    assert timed.exit_code == 2
    assert timed.stderr == (
        f"error: --max-minutes needs travel times but {nomin} has no minutes column; add one "
        "(producer_id,store_id,distance_km,minutes) or bound the distance with --max-km\n"
    )
