"""The bundled Kabupaten Serang example, run end to end."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import example_args, run_cli
from lp import reference_optimum
from umkm_alloc.distance import GeodesicBackend, Points

pytestmark = pytest.mark.slow  # the full example, and an LP over it


@pytest.fixture(scope="module")
def result(example_result):
    return example_result


def test_example_is_read_whole(result):
    assert result.rejected_rows.empty
    assert all(fc.read == fc.accepted for fc in result.files)
    assert result.producers["id"].nunique() >= 350


def test_no_pontang_producer_supplies_anyar(result):
    alloc = result.allocations
    pontang_to_anyar = alloc[
        (alloc["producer_kecamatan"] == "Pontang") & (alloc["store_kecamatan"] == "Anyar")
    ]
    assert pontang_to_anyar.empty
    assert (alloc["producer_kecamatan"] == "Pontang").any()
    assert (alloc["store_kecamatan"] == "Anyar").any()


def test_example_matches_an_independent_lp(result):
    prods, stores = result.producers, result.stores
    backend = GeodesicBackend()
    units_total, cost_total = 0.0, 0.0
    for key in sorted(set(prods["product_key"])):
        p = prods[prods["product_key"] == key]
        s = stores[stores["product_key"] == key]
        if p.empty or s.empty:
            continue
        pi, si = np.meshgrid(np.arange(len(p)), np.arange(len(s)), indexing="ij")
        pi, si = pi.ravel(), si.ravel()
        km = backend.distance_km(Points.of(p).take(pi), Points.of(s).take(si))
        ok = km <= 20.0
        units, cost = reference_optimum(
            p["qty"].to_numpy(), s["qty"].to_numpy(), pi[ok], si[ok], km[ok]
        )
        units_total += units
        cost_total += cost
    alloc = result.allocations
    assert alloc["quantity"].sum() == round(units_total)
    # distance_km is rounded to 0.001 in the table: allow that rounding, nothing more
    unit_km = float((alloc["quantity"] * alloc["distance_km"]).sum())
    assert abs(unit_km - cost_total) <= 0.0005 * alloc["quantity"].sum()


def test_cli_output_is_byte_identical_across_runs(tmp_path):
    outs = []
    for name in ("a", "b"):
        out = tmp_path / name
        res = run_cli(*example_args("--out-dir", out, "-q"))
        assert res.exit_code == 0, res.stderr
        outs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outs[0] == outs[1]
    assert len(outs[0]) == 7  # six CSV tables (skipped_rows.csv among them) and summary.json
