"""``assign`` with routes on random jobs: every unit once, loads within Q, legs that add up,
the allocation's own distances on the way out, and the same trips for any row order.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CIRUAS, KRAGILAN, PONTANG
from umkm_alloc.allocate import assign
from umkm_alloc.config import AssignConfig

CENTRES = (PONTANG, CIRUAS, KRAGILAN)
PRODUCTS = ("Emping", "Gipang", "Sate Bandeng")


def write_job(folder, rng: np.random.Generator, producers: int, stores: int):
    """Random producers and stores around three kecamatan of Serang, as CSV files."""

    def rows(prefix: str, n: int, qty: str) -> pd.DataFrame:
        centre = np.array(CENTRES)[rng.integers(0, len(CENTRES), n)]
        return pd.DataFrame(
            {
                f"{prefix}_id": [f"{prefix[0].upper()}{i:03d}" for i in range(n)],
                "name": [f"{prefix} {i}" for i in range(n)],
                "lat": (centre[:, 0] + rng.uniform(-0.02, 0.02, n)).round(6),
                "lon": (centre[:, 1] + rng.uniform(-0.02, 0.02, n)).round(6),
                "product": rng.choice(PRODUCTS, n),
                qty: rng.integers(1, 260, n),
            }
        )

    p = rows("producer", producers, "capacity").drop_duplicates(["producer_id", "product"])
    s = rows("store", stores, "demand")
    p.to_csv(folder / "p.csv", index=False)
    s.to_csv(folder / "s.csv", index=False)
    return folder / "p.csv", folder / "s.csv"


def check(result, capacity: int) -> None:
    plan, alloc = result.routes, result.allocations
    want = Counter()
    for a in alloc.itertuples(index=False):
        want[(a.producer_id, a.store_id, a.product)] += int(a.quantity)
    got = Counter()
    for i in plan.items.itertuples(index=False):
        got[(i.producer_id, i.store_id, i.product)] += int(i.quantity)
    assert got == want
    assert (plan.trips["quantity"] <= capacity).all()
    stops = plan.routes[plan.routes["store_id"] != ""]
    visits = stops.groupby(["producer_id", "store_id"]).size()
    link = alloc.groupby(["producer_id", "store_id"])["quantity"].sum()
    # a store is split across trips only when it takes more than Q
    pd.testing.assert_series_equal(
        visits.sort_index(),
        (link // capacity + (link % capacity > 0)).sort_index(),
        check_names=False,
    )
    distance = alloc.groupby(["producer_id", "store_id"])["distance_km"].first()
    firsts = plan.routes.groupby(["producer_id", "trip"]).head(1)
    for r in firsts.itertuples(index=False):
        assert r.leg_km == pytest.approx(distance[(r.producer_id, r.store_id)], abs=1.5e-3)
    legs = plan.routes.groupby(["producer_id", "trip"])["leg_km"].sum()
    km = plan.trips.set_index(["producer_id", "trip"])["km"]
    np.testing.assert_allclose(legs.sort_index(), km.sort_index(), atol=5e-3)
    assert result.summary.routes.trips == len(plan.trips)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    seed=st.integers(0, 2**32 - 1),
    producers=st.integers(1, 8),
    stores=st.integers(1, 25),
    capacity=st.sampled_from([40, 100, 150]),
    limit=st.one_of(st.none(), st.floats(4.0, 30.0)),
)
def test_property_routes_of_random_jobs(tmp_path, seed, producers, stores, capacity, limit):
    p, s = write_job(tmp_path, np.random.default_rng(seed), producers, stores)
    config = AssignConfig(
        producers=p, stores=s, routes=True, vehicle_capacity=capacity, max_trip_km=limit, jobs=1
    )
    check(assign(config), capacity)


def test_same_trips_for_any_row_order(tmp_path):
    rng = np.random.default_rng(12)
    p, s = write_job(tmp_path, rng, 12, 40)
    first = assign(AssignConfig(producers=p, stores=s, routes=True)).routes
    check(assign(AssignConfig(producers=p, stores=s, routes=True)), 150)
    for name in ("p.csv", "s.csv"):
        frame = pd.read_csv(tmp_path / name, dtype=str)
        frame.iloc[rng.permutation(len(frame))].to_csv(tmp_path / name, index=False)
    again = assign(AssignConfig(producers=p, stores=s, routes=True)).routes
    for name in ("routes", "items", "trips", "days"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(again, name))
    assert first.totals == again.totals
