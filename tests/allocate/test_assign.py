"""End-to-end properties of ``assign`` on random jobs placed inside real kecamatan."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod

from lp import reference_optimum
from umkm_alloc.allocate import assign
from umkm_alloc.config import AssignConfig
from umkm_alloc.geo.boundaries import load_boundaries

pytestmark = pytest.mark.slow  # Hypothesis jobs solved end to end against an LP

GEOD = Geod(ellps="WGS84")
PRODUCTS = ["Sate Bandeng", "Emping Melinjo", "Gipang"]
BOUNDARIES = load_boundaries("banten")
SERANG = BOUNDARIES.frame.index[BOUNDARIES.frame["kode_kab"].isin(["36.04", "36.73"])].to_numpy()
SITES = shapely.point_on_surface(BOUNDARIES.geometries[SERANG])


@st.composite
def jobs(draw):
    n_p = draw(st.integers(1, 14))
    n_s = draw(st.integers(1, 14))

    def rows(n, prefix):
        out = []
        for i in range(n):
            site = draw(st.integers(0, len(SITES) - 1))
            jitter = draw(st.tuples(st.integers(-20, 20), st.integers(-20, 20)))
            products = draw(st.sets(st.sampled_from(PRODUCTS), min_size=1, max_size=2))
            for prod in sorted(products):
                out.append(
                    {
                        "id": f"{prefix}{i:02d}",
                        "lat": round(SITES[site].y + jitter[0] * 1e-4, 6),
                        "lon": round(SITES[site].x + jitter[1] * 1e-4, 6),
                        "product": prod if draw(st.booleans()) else prod.upper(),
                        "qty": draw(st.integers(0, 60)),
                    }
                )
        return pd.DataFrame(out)

    return rows(n_p, "P"), rows(n_s, "S"), draw(st.sampled_from([5.0, 12.0, 20.0, 35.0]))


def run_job(producers: pd.DataFrame, stores: pd.DataFrame, max_km: float):
    with tempfile.TemporaryDirectory() as tmp:
        p_path, s_path = Path(tmp) / "p.csv", Path(tmp) / "s.csv"
        producers.rename(columns={"id": "producer_id", "qty": "capacity"}).to_csv(
            p_path, index=False
        )
        stores.rename(columns={"id": "store_id", "qty": "demand"}).to_csv(s_path, index=False)
        return assign(AssignConfig(producers=p_path, stores=s_path, max_km=max_km))


def road_km(a: pd.DataFrame, b: pd.DataFrame, circuity: float = 1.4) -> np.ndarray:
    _, _, m = GEOD.inv(
        a["lon"].to_numpy(), a["lat"].to_numpy(), b["lon"].to_numpy(), b["lat"].to_numpy()
    )
    return np.asarray(m) / 1000 * circuity


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(jobs())
def test_allocation_is_feasible_eligible_and_optimal(job):
    producers, stores, max_km = job
    result = run_job(producers, stores, max_km)
    alloc = result.allocations
    p = producers.assign(key=producers["product"].str.casefold())
    s = stores.assign(key=stores["product"].str.casefold())

    # capacity and demand are never exceeded
    sent = alloc.groupby(["producer_id", alloc["product"].str.casefold()])["quantity"].sum()
    cap = p.set_index(["id", "key"])["qty"]
    assert (sent <= cap.reindex(sent.index)).all()
    got = alloc.groupby(["store_id", alloc["product"].str.casefold()])["quantity"].sum()
    dem = s.set_index(["id", "key"])["qty"]
    assert (got <= dem.reindex(got.index)).all()
    assert (alloc["quantity"] > 0).all()

    # every allocated pair is eligible: same product, within max_km by an independent distance
    left = p.set_index(["id", "key"]).loc[
        list(zip(alloc["producer_id"], alloc["product"].str.casefold(), strict=True))
    ]
    right = s.set_index(["id", "key"]).loc[
        list(zip(alloc["store_id"], alloc["product"].str.casefold(), strict=True))
    ]
    km = road_km(left.reset_index(), right.reset_index())
    assert (km <= max_km + 1e-9).all()
    assert np.allclose(alloc["distance_km"].to_numpy(), np.round(km, 3), atol=1.5e-3)

    # optimal: the same units and unit-km as an LP over all pairs found by brute force
    pi, si = np.meshgrid(np.arange(len(p)), np.arange(len(s)), indexing="ij")
    pi, si = pi.ravel(), si.ravel()
    same = p["key"].to_numpy()[pi] == s["key"].to_numpy()[si]
    pi, si = pi[same], si[same]
    d = road_km(p.iloc[pi], s.iloc[si])
    ok = d <= max_km
    units, unit_km = reference_optimum(
        p["qty"].to_numpy(), s["qty"].to_numpy(), pi[ok], si[ok], d[ok]
    )
    assert alloc["quantity"].sum() == round(units)
    assert abs(float((alloc["quantity"].to_numpy() * km).sum()) - unit_km) <= 1e-4

    # accounting: nothing lost, every shortfall explained
    assert (
        result.producers["qty"].sum()
        == alloc["quantity"].sum() + result.unused_supply["unused"].sum()
    )
    assert (
        result.stores["qty"].sum() == alloc["quantity"].sum() + result.unmet_demand["unmet"].sum()
    )
    assert (result.unmet_demand["reason"] != "").all()
    assert (result.unused_supply["reason"] != "").all()
    assert result.rejected_rows.empty


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(jobs(), st.randoms(use_true_random=False))
def test_row_order_does_not_change_the_output(job, rnd):
    producers, stores, max_km = job
    first = run_job(producers, stores, max_km)
    p_idx = list(range(len(producers)))
    s_idx = list(range(len(stores)))
    rnd.shuffle(p_idx)
    rnd.shuffle(s_idx)
    second = run_job(producers.iloc[p_idx], stores.iloc[s_idx], max_km)
    pd.testing.assert_frame_equal(first.allocations, second.allocations)
    pd.testing.assert_frame_equal(
        first.unmet_demand.drop(columns="reason"), second.unmet_demand.drop(columns="reason")
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(jobs())
def test_reasons_agree_with_the_allocation(job):
    producers, stores, max_km = job
    result = run_job(producers, stores, max_km)
    prods, shops = result.producers, result.stores
    for row in result.unmet_demand.itertuples():
        store = shops[(shops["id"] == row.store_id) & (shops["product"] == row.product)]
        same = prods[(prods["product"] == row.product) & (prods["qty"] > 0)]
        km = road_km(same, pd.concat([store] * len(same))) if len(same) else np.zeros(0)
        if row.kind == "no_producer":
            assert same.empty
        elif row.kind == "beyond_distance":
            assert (km > max_km).all()
            stated = float(row.reason.split(" is ")[1].split(" km")[0])
            assert abs(stated - km.min()) <= 0.05 + 1e-9  # reason rounds to 0.1 km
        else:
            assert row.kind == "capacity_used"
            near = same[km <= max_km]
            # a maximum flow leaves no producer in reach with spare capacity
            assert len(near) and (near["allocated"] == near["qty"]).all()
    for row in result.unused_supply.itertuples():
        prod = prods[(prods["id"] == row.producer_id) & (prods["product"] == row.product)]
        same = shops[(shops["product"] == row.product) & (shops["qty"] > 0)]
        km = road_km(pd.concat([prod] * len(same)), same) if len(same) else np.zeros(0)
        if row.kind == "no_store":
            assert same.empty
        elif row.kind == "beyond_distance":
            assert (km > max_km).all()
        else:
            assert row.kind == "demand_met"
            near = same[km <= max_km]
            assert len(near) and (near["allocated"] == near["qty"]).all()
