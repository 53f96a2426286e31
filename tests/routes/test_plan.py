"""Delivery runs (``umkm_alloc.routes``): every unit once, loads within Q, km from the
measure, optimal against a brute force that enumerates partitions and orders, deterministic
for any row order and worker count, over-long trips and overloaded producers reported.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from umkm_alloc import parallel
from umkm_alloc.distance.base import geodesic_km
from umkm_alloc.errors import UsageError
from umkm_alloc.routes import (
    DAY_COLUMNS,
    ITEM_COLUMNS,
    ROUTE_COLUMNS,
    TRIP_COLUMNS,
    Legs,
    RouteOptions,
    Sites,
    geodesic_measure,
    pair_measure,
    per_set,
    plan_routes,
)
from umkm_alloc.routes import plan as plan_module
from umkm_alloc.routes.exact import solve_exact

CIRCUITY = 1.4
SERANG = (106.15, -6.12)  # lon, lat
PRODUCTS = ["Emping Melinjo", "Kue Cucur", "Sate Bandeng"]


@dataclass(frozen=True)
class Job:
    allocations: pd.DataFrame
    producers: pd.DataFrame
    stores: pd.DataFrame


def make_job(
    rng: np.random.Generator,
    *,
    producers: int,
    stores: int,
    links: tuple[int, int] = (1, 6),
    quantity: tuple[int, int] = (1, 120),
    spread: float = 0.08,
) -> Job:
    """Producers and stores scattered around Serang, each producer linked to a few stores."""
    p_ids = [f"P{i:03d}" for i in range(producers)]
    s_ids = [f"S{i:03d}" for i in range(stores)]
    prod = pd.DataFrame(
        {
            "id": p_ids,
            "name": [f"UMKM {i}" for i in p_ids],
            "lon": SERANG[0] + rng.uniform(-spread, spread, producers),
            "lat": SERANG[1] + rng.uniform(-spread, spread, producers),
        }
    )
    shop = pd.DataFrame(
        {
            "id": s_ids,
            "name": [f"Toko {i}" for i in s_ids],
            "lon": SERANG[0] + rng.uniform(-spread, spread, stores),
            "lat": SERANG[1] + rng.uniform(-spread, spread, stores),
        }
    )
    rows = []
    for p in p_ids:
        count = int(rng.integers(links[0], min(links[1], stores) + 1))
        for s in rng.choice(s_ids, size=count, replace=False):
            for product in rng.choice(PRODUCTS, size=int(rng.integers(1, 3)), replace=False):
                q = int(rng.integers(quantity[0], quantity[1] + 1))
                rows.append((p, f"UMKM {p}", s, f"Toko {s}", product, q))
    alloc = pd.DataFrame(
        rows,
        columns=["producer_id", "producer_name", "store_id", "store_name", "product", "quantity"],
    )
    return Job(alloc, prod, shop)


def plan(job: Job, **options: object) -> object:
    jobs = int(options.pop("jobs", 1))  # type: ignore[call-overload]
    return plan_routes(
        job.allocations,
        job.producers,
        job.stores,
        measure=geodesic_measure(CIRCUITY),
        options=RouteOptions(**options),  # type: ignore[arg-type]
        jobs=jobs,
    )


def matrix(job: Job, producer: str) -> tuple[list[str], np.ndarray, dict[str, int]]:
    """Independent km matrix (pyproj geodesic x circuity) over a producer and its stores."""
    mine = job.allocations[job.allocations["producer_id"] == producer]
    stores = sorted(set(mine["store_id"]))
    p = job.producers.set_index("id").loc[producer]
    s = job.stores.set_index("id").loc[stores]
    lon = np.r_[p["lon"], s["lon"].to_numpy()]
    lat = np.r_[p["lat"], s["lat"].to_numpy()]
    u, v = np.meshgrid(np.arange(len(lon)), np.arange(len(lon)), indexing="ij")
    km = geodesic_km(lon[u.ravel()], lat[u.ravel()], lon[v.ravel()], lat[v.ravel()])
    qty = mine.groupby("store_id")["quantity"].sum()
    return stores, (km * CIRCUITY).reshape(len(lon), len(lon)), qty.to_dict()


def ride(km: np.ndarray, stops: list[int]) -> float:
    path = [0, *stops, 0]
    return sum(km[a, b] for a, b in itertools.pairwise(path))


def brute_force_km(km: np.ndarray, quantity: list[int], capacity: int, max_km: float) -> float:
    """Least total km under the documented rules, by enumerating partitions and orders.

    Full loads ride straight there and back; remainders are routed; a remainder whose round
    trip alone is longer than ``max_km`` rides alone; every other trip carries at most
    ``capacity`` and, with two or more stops, rides at most ``max_km``.
    """
    total = sum((q // capacity) * (km[0, i + 1] + km[i + 1, 0]) for i, q in enumerate(quantity))
    rest = {i + 1: q % capacity for i, q in enumerate(quantity) if q % capacity}
    lone = [i for i in rest if km[0, i] + km[i, 0] > max_km]
    total += sum(km[0, i] + km[i, 0] for i in lone)
    stops = [i for i in rest if i not in lone]
    best_trip: dict[frozenset[int], float] = {}
    for k in range(1, len(stops) + 1):
        for group in itertools.combinations(stops, k):
            if sum(rest[i] for i in group) > capacity:
                continue
            shortest = min(ride(km, list(order)) for order in itertools.permutations(group))
            if k == 1 or shortest <= max_km:
                best_trip[frozenset(group)] = shortest

    def partitions(items: list[int]):  # type: ignore[no-untyped-def]
        if not items:
            yield []
            return
        head, tail = items[0], items[1:]
        for k in range(len(tail) + 1):
            for others in itertools.combinations(tail, k):
                block = frozenset((head, *others))
                if block in best_trip:
                    left = [x for x in tail if x not in others]
                    for more in partitions(left):
                        yield [block, *more]

    return total + min(sum(best_trip[b] for b in p) for p in partitions(stops))


def check_plan(job: Job, result: object, capacity: int) -> None:
    """Invariants every plan must hold (units once, loads, split rule, km, tables)."""
    ridden, items, trips = result.routes, result.items, result.trips  # type: ignore[attr-defined]
    assert list(ridden.columns) == ROUTE_COLUMNS
    # every trip ends with one ride home: no store, no units, leg_km sums to the trip's km
    home = ridden["store_id"] == ""
    ends = ridden.groupby(["producer_id", "trip"], sort=False).tail(1)
    assert home.sum() == len(trips) and home[ends.index].all()
    assert (ridden.loc[home, "quantity"] == 0).all() and (
        ridden.loc[home, "store_name"] == ""
    ).all()
    legs = ridden.groupby(["producer_id", "trip"])["leg_km"].sum()
    assert np.allclose(legs.to_numpy(), trips.set_index(["producer_id", "trip"])["km"], atol=3e-3)
    assert (ridden.loc[home, "cumulative_km"].to_numpy() == trips["km"].to_numpy()).all()
    routes = ridden[~home]
    assert list(items.columns) == ITEM_COLUMNS
    assert list(trips.columns) == TRIP_COLUMNS
    assert list(result.days.columns) == DAY_COLUMNS  # type: ignore[attr-defined]
    alloc = job.allocations[job.allocations["quantity"] > 0]
    # every allocated unit delivered exactly once, product by product
    want = alloc.groupby(["producer_id", "store_id", "product"])["quantity"].sum()
    got = items.groupby(["producer_id", "store_id", "product"])["quantity"].sum()
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_dtype=False)
    assert (items["quantity"] > 0).all()
    # items add up to the stop; stops add up to the trip; loads within Q
    per_stop = items.groupby(["producer_id", "trip", "stop"])["quantity"].sum()
    stop_qty = routes.set_index(["producer_id", "trip", "stop"])["quantity"]
    pd.testing.assert_series_equal(per_stop.sort_index(), stop_qty.sort_index(), check_names=False)
    per_trip = routes.groupby(["producer_id", "trip"])["quantity"].sum()
    trip_qty = trips.set_index(["producer_id", "trip"])["quantity"]
    pd.testing.assert_series_equal(per_trip.sort_index(), trip_qty.sort_index(), check_names=False)
    assert (trips["quantity"] <= capacity).all()
    assert (trips["stops"] == routes.groupby(["producer_id", "trip"]).size().to_numpy()).all()
    # a store is split across trips only when its quantity exceeds Q
    link = alloc.groupby(["producer_id", "store_id"])["quantity"].sum()
    visits = routes.groupby(["producer_id", "store_id"]).size()
    expected = link // capacity + (link % capacity > 0)
    pd.testing.assert_series_equal(visits.sort_index(), expected.sort_index(), check_names=False)
    # trips numbered 1.. and stops 1.. in order
    for _, group in routes.groupby("producer_id"):
        assert sorted(set(group["trip"])) == list(range(1, group["trip"].max() + 1))
    for _, group in routes.groupby(["producer_id", "trip"]):
        assert list(group["stop"]) == list(range(1, len(group) + 1))
    # km: every leg and trip recomputed from an independent matrix
    for producer, group in routes.groupby("producer_id"):
        stores, km, _ = matrix(job, str(producer))
        node = {s: i + 1 for i, s in enumerate(stores)}
        mine = trips[trips["producer_id"] == producer].set_index("trip")
        for trip, stops in group.groupby("trip"):
            path = [node[s] for s in stops["store_id"]]
            legs = [km[a, b] for a, b in itertools.pairwise([0, *path])]
            assert np.allclose(stops["leg_km"], np.round(legs, 3), atol=1e-9)
            assert np.allclose(stops["cumulative_km"], np.round(np.cumsum(legs), 3), atol=1e-9)
            assert mine.loc[trip, "km"] == pytest.approx(ride(km, path), abs=6e-4)


# ---------------------------------------------------------------- exactness


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6))
def test_exact_matches_brute_force_up_to_eight_stores(seed: int) -> None:
    rng = np.random.default_rng(seed)
    job = make_job(rng, producers=3, stores=10, links=(6, 8), quantity=(1, 90))
    result = plan(job)
    check_plan(job, result, 150)
    for producer, day in result.days.set_index("producer_id").iterrows():
        _, km, qty = matrix(job, str(producer))
        best = brute_force_km(km, list(qty.values()), 150, math.inf)
        assert day["km"] == pytest.approx(best, abs=6e-4)


def test_exact_with_full_loads_and_a_trip_limit() -> None:
    rng = np.random.default_rng(11)
    job = make_job(rng, producers=4, stores=9, links=(4, 7), quantity=(20, 260), spread=0.12)
    options = {"vehicle_capacity": 120, "max_trip_km": 30.0}
    result = plan(job, **options)
    check_plan(job, result, 120)
    for producer, day in result.days.set_index("producer_id").iterrows():
        _, km, qty = matrix(job, str(producer))
        best = brute_force_km(km, list(qty.values()), 120, 30.0)
        assert day["km"] == pytest.approx(best, abs=6e-4)


def test_exact_programme_on_asymmetric_distances() -> None:
    rng = np.random.default_rng(5)
    for n in range(1, 8):
        km = rng.uniform(1, 20, (4, n + 1, n + 1))
        for b in range(4):
            np.fill_diagonal(km[b], 0.0)
        load = rng.integers(1, 80, (4, n))
        owner, stops = solve_exact(km, load, capacity=150, max_km=45.0)
        for b in range(4):
            trips = [[int(s) for s in row if s] for row in stops[owner == b]]
            assert sorted(s for t in trips for s in t) == list(range(1, n + 1))
            got = sum(ride(km[b], t) for t in trips)
            assert got == pytest.approx(brute_force_km(km[b], list(load[b]), 150, 45.0))


@pytest.mark.parametrize("limit", [None, 25.0])
def test_search_matches_brute_force_on_small_producers(limit: float | None) -> None:
    """The PyVRP path (forced with exact_stops=0) finds the optimum on small instances."""
    rng = np.random.default_rng(3)
    job = make_job(rng, producers=4, stores=8, links=(4, 7), quantity=(10, 100))
    result = plan(job, exact_stops=0, max_trip_km=limit)
    check_plan(job, result, 150)
    assert result.totals["solver"]["searched_producers"] == 4
    for producer, day in result.days.set_index("producer_id").iterrows():
        _, km, qty = matrix(job, str(producer))
        best = brute_force_km(km, list(qty.values()), 150, limit or math.inf)
        assert day["km"] >= best - 6e-4
        assert day["km"] == pytest.approx(best, rel=1e-4)


def test_large_producer_goes_to_the_search_and_beats_direct_trips() -> None:
    rng = np.random.default_rng(8)
    job = make_job(rng, producers=1, stores=20, links=(16, 16), quantity=(5, 40))
    result = plan(job)
    check_plan(job, result, 150)
    assert result.totals["solver"]["searched_producers"] == 1
    assert result.totals["km"] < result.totals["km_direct"]
    # no better than the exact programme could do on these stops (12 at most): same answer
    small = make_job(rng, producers=1, stores=12, links=(12, 12), quantity=(5, 40))
    exact = plan(small)
    searched = plan(small, exact_stops=0)
    assert searched.totals["km"] >= exact.totals["km"] - 1e-3
    assert searched.totals["km"] == pytest.approx(exact.totals["km"], rel=1e-3)


# ---------------------------------------------------------------- properties


@st.composite
def small_jobs(draw: st.DrawFn) -> tuple[Job, int, float | None]:
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    job = make_job(
        rng,
        producers=draw(st.integers(1, 3)),
        stores=draw(st.integers(1, 7)),
        links=(1, draw(st.integers(1, 6))),
        quantity=(1, draw(st.sampled_from([30, 90, 200]))),
        spread=draw(st.sampled_from([0.01, 0.05, 0.15])),
    )
    capacity = draw(st.sampled_from([40, 100, 150]))
    limit = draw(st.one_of(st.none(), st.floats(3.0, 60.0)))
    return job, capacity, limit


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_jobs())
def test_property_random_instances(case: tuple[Job, int, float | None]) -> None:
    job, capacity, limit = case
    result = plan(job, vehicle_capacity=capacity, max_trip_km=limit)
    check_plan(job, result, capacity)
    bound = math.inf if limit is None else limit
    for producer, day in result.days.set_index("producer_id").iterrows():
        _, km, qty = matrix(job, str(producer))
        assert day["km"] == pytest.approx(
            brute_force_km(km, list(qty.values()), capacity, bound), abs=6e-4
        )
    if limit is not None:  # a trip longer than the limit is a lone stop, and reported
        long = result.trips[result.trips["km"] > limit + 1e-3]
        assert (long["stops"] == 1).all()
        assert result.totals["over_long_trips"] >= len(long)


# ---------------------------------------------------------------- determinism


def shuffled(job: Job, seed: int) -> Job:
    rng = np.random.default_rng(seed)

    def mix(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)

    return Job(mix(job.allocations), mix(job.producers), mix(job.stores))


def assert_same(a: object, b: object) -> None:
    for name in ("routes", "items", "trips", "days"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.totals == b.totals  # type: ignore[attr-defined]


def geodesic_one(sites: Sites) -> Legs:
    """One site set at a time, for ``per_set``."""
    u, v = np.meshgrid(np.arange(len(sites)), np.arange(len(sites)), indexing="ij")
    km = geodesic_km(
        sites.lon[u.ravel()], sites.lat[u.ravel()], sites.lon[v.ravel()], sites.lat[v.ravel()]
    )
    return Legs(km.reshape(u.shape) * CIRCUITY)


def test_same_plan_for_any_row_order_run_and_measure() -> None:
    job = make_job(np.random.default_rng(21), producers=12, stores=30, links=(1, 10))
    first = plan(job)
    assert_same(first, plan(job))
    for seed in range(3):
        assert_same(first, plan(shuffled(job, seed)))
    one_by_one = plan_routes(
        job.allocations, job.producers, job.stores, measure=per_set(geodesic_one)
    )
    assert_same(first, one_by_one)


@pytest.mark.slow
def test_same_plan_for_any_number_of_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    job = make_job(np.random.default_rng(22), producers=40, stores=60, links=(1, 14))
    one = plan(job, jobs=1)
    monkeypatch.setattr(plan_module, "PARALLEL_MIN_WORK", 0.0)
    monkeypatch.setattr(parallel, "_cores", lambda: 4)
    assert_same(one, plan(job, jobs=2))
    assert_same(one, plan(job, jobs=3))


def test_canonical_numbering_and_orientation() -> None:
    job = make_job(np.random.default_rng(4), producers=6, stores=15, links=(3, 8))
    result = plan(job)
    for _, group in result.routes[result.routes["store_id"] != ""].groupby("producer_id"):
        sequences = [list(t["store_id"]) for _, t in group.groupby("trip")]
        assert sequences == sorted(sequences)  # numbered by stop sequence (store ids)
        for seq in sequences:  # symmetric distances: ridden towards the smaller id first
            assert seq[0] <= seq[-1]


# ---------------------------------------------------------------- working day and limits


def test_over_long_trips_are_reported_not_dropped() -> None:
    producers = pd.DataFrame({"id": ["P"], "lon": [SERANG[0]], "lat": [SERANG[1]]})
    stores = pd.DataFrame(
        {
            "id": ["FAR", "NEAR1", "NEAR2"],
            "lon": [SERANG[0] + 0.2, SERANG[0] + 0.01, SERANG[0] + 0.012],
            "lat": [SERANG[1], SERANG[1] + 0.01, SERANG[1]],
        }
    )
    alloc = pd.DataFrame(
        {"producer_id": ["P"] * 3, "store_id": ["FAR", "NEAR1", "NEAR2"], "quantity": [10, 10, 10]}
    )
    result = plan_routes(
        alloc, producers, stores, measure=geodesic_measure(), options=RouteOptions(max_trip_km=10)
    )
    trips = result.trips
    assert len(trips) == 2
    far = result.routes[result.routes["store_id"] == "FAR"]
    assert len(far) == 1
    far_trip = trips[trips["trip"] == far["trip"].iloc[0]].iloc[0]
    assert far_trip["stops"] == 1 and far_trip["km"] > 10
    assert result.totals["over_long_trips"] == 1
    assert result.days["over_long_trips"].tolist() == [1]
    assert result.routes["quantity"].sum() == 30


def test_overloaded_producers_and_minutes() -> None:
    job = make_job(np.random.default_rng(9), producers=5, stores=12, links=(2, 8), spread=0.15)
    result = plan(job, max_day_hours=1.0, speed_kmh=20.0, stop_minutes=10.0)
    trips, days = result.trips, result.days
    expected = trips["km"] * 60.0 / 20.0 + 10.0 * trips["stops"]
    assert np.allclose(trips["minutes"], expected, atol=0.06)
    hours = trips.groupby("producer_id")["minutes"].sum() / 60.0
    assert np.allclose(days.set_index("producer_id")["hours"], hours, atol=0.01)
    assert (days["overloaded"] == (days["hours"] > 1.0)).all()
    assert result.totals["overloaded_producers"] == int(days["overloaded"].sum()) > 0
    assert len(days) == 5  # overloaded producers are reported, never dropped


def test_backend_minutes_fallbacks_and_asymmetric_legs() -> None:
    """A measure with minutes, one-way differences and missing store-to-store figures."""

    def pairs(lon1, lat1, lon2, lat2, keys1, keys2):  # type: ignore[no-untyped-def]
        km = geodesic_km(lon1, lat1, lon2, lat2) * np.where(lon1 < lon2, 1.5, 1.2)
        km = np.where((keys1 != "P") & (keys2 != "P"), np.inf, km)  # no store-store figures
        return km, km * 3.0  # 20 km/h

    def fallback(lon1, lat1, lon2, lat2, keys1, keys2):  # type: ignore[no-untyped-def]
        return geodesic_km(lon1, lat1, lon2, lat2) * 1.4, None

    producers = pd.DataFrame({"id": ["P"], "lon": [SERANG[0]], "lat": [SERANG[1]], "key": ["P"]})
    rng = np.random.default_rng(1)
    stores = pd.DataFrame(
        {
            "id": [f"S{i}" for i in range(5)],
            "lon": SERANG[0] + rng.uniform(-0.05, 0.05, 5),
            "lat": SERANG[1] + rng.uniform(-0.05, 0.05, 5),
        }
    ).assign(key=lambda f: f["id"])
    alloc = pd.DataFrame({"producer_id": "P", "store_id": stores["id"], "quantity": 20})
    measure = pair_measure(pairs, fallback=fallback)
    result = plan_routes(alloc, producers, stores, measure=measure)
    trips, routes = result.trips, result.routes.iloc[:-1]  # without the ride home
    assert len(trips) == 1 and trips["stops"].iloc[0] == 5
    # 4 store-to-store legs ride on the fallback; their minutes come from speed_kmh (25)
    assert result.totals["distance_fallbacks"] == 4
    legs = routes["leg_km"].to_numpy()
    home = trips["km"].iloc[0] - routes["cumulative_km"].iloc[-1]
    minutes = (legs[0] + home) * 3.0 + legs[1:].sum() * 60 / 25 + 5 * 5
    assert trips["minutes"].iloc[0] == pytest.approx(minutes, abs=0.06)


# ---------------------------------------------------------------- totals, edges, options


def test_totals() -> None:
    job = make_job(np.random.default_rng(2), producers=8, stores=20, links=(1, 8))
    result = plan(job, max_trip_km=40.0)
    totals = result.totals
    assert totals["trips"] == len(result.trips)
    assert totals["stops"] == len(result.routes) - len(result.trips)  # less the rides home
    assert totals["km"] == pytest.approx(result.trips["km"].sum(), abs=1e-2)
    direct = 0.0
    for producer in result.days["producer_id"]:
        _, km, _ = matrix(job, producer)
        direct += 2 * km[0, 1:].sum()
    assert totals["km_direct"] == pytest.approx(direct, abs=1e-3)
    assert totals["saving_pct"] == pytest.approx(
        100 * (1 - totals["km"] / totals["km_direct"]), abs=0.01
    )
    assert totals["vehicle_capacity"] == 150 and totals["max_trip_km"] == 40.0
    assert totals["km"] <= totals["km_direct"] + 1e-6  # no store over Q: never worse than direct


def test_zero_rows_are_ignored_and_empty_allocations() -> None:
    job = make_job(np.random.default_rng(6), producers=2, stores=4)
    zero = job.allocations.assign(quantity=0)
    empty = plan_routes(zero, job.producers, job.stores, measure=geodesic_measure())
    assert empty.routes.empty and empty.trips.empty and empty.items.empty and empty.days.empty
    assert empty.totals["trips"] == 0 and empty.totals["km"] == 0.0
    mixed = pd.concat([job.allocations, zero.assign(store_id="S999")], ignore_index=True)
    assert_same(plan(job), plan(Job(mixed, job.producers, job.stores)))


def test_missing_location_is_an_error() -> None:
    job = make_job(np.random.default_rng(7), producers=2, stores=4)
    with pytest.raises(ValueError, match="stores table has no location for 'S00"):
        plan_routes(job.allocations, job.producers, job.stores.iloc[1:], measure=geodesic_measure())


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("vehicle_capacity", 0, "--vehicle-capacity must be a whole number of units >= 1, got 0"),
        ("vehicle_capacity", 1.5, "--vehicle-capacity must be a whole number of units >= 1"),
        ("max_trip_km", -1.0, "--max-trip-km must be a finite number > 0, got -1.0"),
        ("speed_kmh", 0.0, "--speed-kmh must be a finite number > 0, got 0.0"),
        ("stop_minutes", -5.0, "--stop-minutes must be a finite number >= 0, got -5.0"),
        ("max_day_hours", math.inf, "--max-day-hours must be a finite number > 0, got inf"),
        ("exact_stops", 13, "exact_stops must be within 0..12, got 13"),
    ],
)
def test_bad_options(field: str, value: object, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace(".", r"\.").replace("+", r"\+")):
        replace(RouteOptions(), **{field: value})
