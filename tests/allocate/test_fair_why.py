"""Why a UMKM got no more (along any chain of full stores), and the budget's second solves."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import umkm_alloc.allocate.fair_budget as fair_budget
from umkm_alloc.allocate.fair import Problem, fair_allocation
from umkm_alloc.allocate.fair_figures import Residual, why_not_more
from umkm_alloc.allocate.solve import solve_allocation

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def problems(draw: st.DrawFn, max_umkm: int = 4, max_store: int = 4, max_units: int = 12):
    """Producer rows (1-2 per UMKM), stores and eligible arcs with distances."""
    n_u = draw(st.integers(1, max_umkm))
    umkm = np.repeat(np.arange(n_u), draw(st.lists(st.integers(1, 2), min_size=n_u, max_size=n_u)))
    n_r, n_s = len(umkm), draw(st.integers(1, max_store))
    supply = np.asarray(draw(st.lists(st.integers(0, max_units), min_size=n_r, max_size=n_r)))
    demand = np.asarray(draw(st.lists(st.integers(0, max_units), min_size=n_s, max_size=n_s)))
    pairs = [(p, s) for p in range(n_r) for s in range(n_s) if draw(st.booleans())]
    km = draw(st.lists(st.sampled_from([0.5, 1.0, 2.0, 3.5, 7.0]), min_size=len(pairs)))
    return {
        "supply": supply.astype(np.int64),
        "umkm": umkm.astype(np.int64),
        "demand": demand.astype(np.int64),
        "arc_from": np.asarray([p for p, _ in pairs], dtype=np.int64),
        "arc_to": np.asarray([s for _, s in pairs], dtype=np.int64),
        "arc_km": np.asarray(km[: len(pairs)], dtype=float),
    }


def _args(inst: dict) -> tuple:
    keys = ("supply", "umkm", "demand", "arc_from", "arc_to", "arc_km")
    return tuple(inst[k] for k in keys)


def test_the_blocker_may_be_two_stores_away():
    # UMKM 0 reaches store A only, UMKM 1 both stores, UMKM 2 store B only (10 units each).
    # In this (unfair) maximum flow, A is full with 5 units of UMKM 0 and 1 of UMKM 1; B with
    # 9 of UMKM 2. A unit more for UMKM 0 can come from UMKM 1 (share 0.1) directly, or from
    # UMKM 2 (share 0.9) through UMKM 1's row, which would then send to B instead of A.
    arrays = {
        "supply": np.asarray([10, 10, 10]),
        "umkm": np.asarray([0, 1, 2]),
        "demand": np.asarray([6, 9]),
        "arc_from": np.asarray([0, 1, 1, 2]),
        "arc_to": np.asarray([0, 0, 1, 1]),
    }
    flow = np.asarray([5, 1, 0, 9])
    limit = why_not_more(0, **arrays, flow=flow)
    assert limit.stores == (0,)
    assert (limit.kind, limit.blocker, limit.blocker_share) == ("stores_full", 2, 0.9)
    # in the fair allocation (5 / 5 / 5) every UMKM that could pass a unit is no better off
    fair = fair_allocation(*arrays.values(), np.ones(4))
    assert fair.allocated.tolist() == [5, 5, 5]
    limit = why_not_more(0, **arrays, flow=fair.flow)
    assert (limit.kind, limit.blocker, limit.blocker_share) == ("lower_share", 1, 0.5)
    assert Residual(**arrays, flow=fair.flow).limit(2).kind == "lower_share"


@SETTINGS
@given(problems())
def test_fair_reasons_name_no_one_better_off_beyond_rounding(inst):
    sol = fair_allocation(*_args(inst))
    residual = Residual(
        supply=inst["supply"],
        umkm=inst["umkm"],
        demand=inst["demand"],
        arc_from=inst["arc_from"],
        arc_to=inst["arc_to"],
        flow=sol.flow,
    )
    into = np.bincount(inst["arc_to"], weights=sol.flow, minlength=len(inst["demand"]))
    for u in range(len(sol.capacity)):
        limit = residual.limit(u)
        cap, got = int(sol.capacity[u]), int(sol.allocated[u])
        if cap == 0 or not sol.in_reach[u] or got == cap:
            assert limit.kind in ("no_capacity", "no_store_in_reach", "full_capacity")
            continue
        assert limit.kind in ("lower_share", "stores_full")
        assert all(into[s] >= inst["demand"][s] for s in limit.stores)
        if limit.blocker is None:
            continue
        b = limit.blocker
        assert limit.blocker_share == pytest.approx(sol.allocated[b] / sol.capacity[b])
        if limit.kind == "lower_share":
            assert limit.blocker_share <= got / cap
        else:  # better off only by the rounding to whole units
            assert sol.allocated[b] - 1 < sol.fair_share[b] * sol.capacity[b] + 1e-9


# ---------------------------------------------------------------- the budget's second solves


def _max_flows(inst: dict) -> list[np.ndarray]:
    """Every integral allocation with the most units (brute force, tiny cases)."""
    supply, demand = inst["supply"], inst["demand"]
    a_from, a_to = inst["arc_from"], inst["arc_to"]
    best = solve_allocation(supply, demand, a_from, a_to, inst["arc_km"]).units
    ranges = [
        range(min(int(supply[p]), int(demand[s])) + 1) for p, s in zip(a_from, a_to, strict=True)
    ]
    found = []
    for combo in itertools.product(*ranges):
        flow = np.asarray(combo, dtype=np.int64)
        if flow.sum() != best:
            continue
        out = np.bincount(a_from, weights=flow, minlength=len(supply))
        into = np.bincount(a_to, weights=flow, minlength=len(demand))
        if (out <= supply).all() and (into <= demand).all():
            found.append(flow)
    return found


@contextmanager
def narrow_windows() -> Iterator[None]:
    """Windows of width zero around the known allocations."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fair_budget, "_WINDOW", 0)
        patch.setattr(fair_budget, "_MARGIN_DIV", 10**9)
        yield


def _lagrangian_value(inst: dict, flow: np.ndarray, mu: float) -> float:
    cap = np.bincount(inst["umkm"], weights=inst["supply"]).astype(float)
    y = np.bincount(inst["umkm"][inst["arc_from"]], weights=flow, minlength=len(cap))
    has = cap > 0
    return float((y[has] ** 2 / cap[has]).sum() + mu * np.dot(flow, inst["arc_km"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_umkm=3, max_store=2, max_units=4), st.sampled_from([0.01, 0.3, 1.0, 5.0]))
def test_lagrangian_is_exact_when_windows_are_left(inst, mu):
    # windows of width zero at the efficient units: a UMKM whose units differ at this price
    # leaves its window and its part is solved again (all its units exact); the result is
    # still the least F + mu * unit-km
    if len(inst["arc_from"]) > 6:
        inst = {**inst, **{k: inst[k][:6] for k in ("arc_from", "arc_to", "arc_km")}}
    problem = Problem.of(*_args(inst))
    g, levels = problem.graph, problem.levels()
    efficient = solve_allocation(g.row_cap, g.demand, g.arc_from, g.arc_to, g.arc_km).flow
    lagrangian = fair_budget._Lagrangian(g, levels, efficient)
    with narrow_windows():
        flow = problem.to_input(lagrangian.solve(mu, near=(efficient, efficient)))
    best = min(_lagrangian_value(inst, f, mu) for f in _max_flows(inst))
    assert _lagrangian_value(inst, flow, mu) == pytest.approx(best, rel=1e-7, abs=1e-7)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.sampled_from([1.0, 10.0, 50.0]))
def test_budget_with_narrow_windows_respects_its_cap(inst, pct):
    with narrow_windows():
        sol = fair_budget.budget_allocation(*_args(inst), budget_pct=pct)
    eff = solve_allocation(
        inst["supply"], inst["demand"], inst["arc_from"], inst["arc_to"], inst["arc_km"]
    )
    assert sol.units == eff.units
    base = float(np.dot(eff.flow, inst["arc_km"]))
    assert float(np.dot(sol.flow, inst["arc_km"])) <= base * (1 + pct / 100) + 1e-9


def test_lagrangian_second_solve_on_a_shared_store():
    # the efficient units (70, 0) are far from the optimum at a low price (about 50 / 20): both
    # UMKM leave zero-width windows around them, and the second solve finds the optimum
    inst = {
        "supply": np.asarray([100, 40]),
        "umkm": np.asarray([0, 1]),
        "demand": np.asarray([70]),
        "arc_from": np.asarray([0, 1]),
        "arc_to": np.asarray([0, 0]),
        "arc_km": np.asarray([1.0, 5.0]),
    }
    problem = Problem.of(*_args(inst))
    g, levels = problem.graph, problem.levels()
    efficient = solve_allocation(g.row_cap, g.demand, g.arc_from, g.arc_to, g.arc_km).flow
    assert efficient.tolist() == [70, 0]
    for mu in (0.01, 0.1, 1.0):
        with narrow_windows():
            flow = fair_budget._Lagrangian(g, levels, efficient).solve(mu, near=(efficient,) * 2)
        best = min(_lagrangian_value(inst, f, mu) for f in _max_flows(inst))
        assert _lagrangian_value(inst, flow, mu) == pytest.approx(best, rel=1e-9)
