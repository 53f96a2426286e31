"""Property tests of the exact allocation (max units, then min unit-km) against SciPy HiGHS LPs.

The transportation LP has a totally unimodular constraint matrix, so its optimum is integral
and equals the max-flow value; a second LP with the flow fixed at that value gives the least
unit-km in real (unscaled) kilometres.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from umkm_alloc.allocate.solve import solve_allocation, stable_order

TIE_KM = [0.0, 0.0, 1.0, 2.5, 2.5, 7.125, 10.0, 60.0]


@dataclass(frozen=True)
class Instance:
    supply: np.ndarray
    demand: np.ndarray
    arc_from: np.ndarray
    arc_to: np.ndarray
    arc_km: np.ndarray

    def permuted(self, order: list[int]) -> Instance:
        idx = np.asarray(order, dtype=np.int64)
        return Instance(
            self.supply, self.demand, self.arc_from[idx], self.arc_to[idx], self.arc_km[idx]
        )


@st.composite
def instances(draw: st.DrawFn) -> Instance:
    n_p = draw(st.integers(1, 12))
    n_s = draw(st.integers(1, 12))
    supply = draw(st.lists(st.integers(0, 50), min_size=n_p, max_size=n_p))
    demand = draw(st.lists(st.integers(0, 50), min_size=n_s, max_size=n_s))
    all_pairs = [(p, s) for p in range(n_p) for s in range(n_s)]
    density = draw(st.sampled_from([0.0, 0.1, 0.3, 0.6, 1.0]))
    keep = draw(
        st.lists(
            st.floats(0, 1, exclude_max=True),
            min_size=len(all_pairs),
            max_size=len(all_pairs),
        )
    )
    pairs = [pair for pair, u in zip(all_pairs, keep, strict=True) if u < density]
    pairs = draw(st.permutations(pairs))
    mode = draw(st.sampled_from(["continuous", "ties", "mixed"]))
    if mode == "continuous":
        km_st = st.floats(0, 60, allow_nan=False, allow_infinity=False)
    elif mode == "ties":
        km_st = st.sampled_from(TIE_KM)
    else:
        km_st = st.one_of(
            st.sampled_from(TIE_KM), st.floats(0, 60, allow_nan=False, allow_infinity=False)
        )
    km = draw(st.lists(km_st, min_size=len(pairs), max_size=len(pairs)))
    return Instance(
        supply=np.asarray(supply, dtype=np.int64),
        demand=np.asarray(demand, dtype=np.int64),
        arc_from=np.asarray([p for p, _ in pairs], dtype=np.int64),
        arc_to=np.asarray([s for _, s in pairs], dtype=np.int64),
        arc_km=np.asarray(km, dtype=float),
    )


def solve(inst: Instance):
    return solve_allocation(inst.supply, inst.demand, inst.arc_from, inst.arc_to, inst.arc_km)


def _constraints(inst: Instance) -> tuple[np.ndarray, np.ndarray]:
    n_p, n_s, n_a = len(inst.supply), len(inst.demand), len(inst.arc_from)
    a_ub = np.zeros((n_p + n_s, n_a))
    a_ub[inst.arc_from, np.arange(n_a)] = 1.0
    a_ub[n_p + inst.arc_to, np.arange(n_a)] = 1.0
    b_ub = np.concatenate([inst.supply, inst.demand]).astype(float)
    return a_ub, b_ub


def lp_max_flow(inst: Instance) -> float:
    n_a = len(inst.arc_from)
    if n_a == 0:
        return 0.0
    a_ub, b_ub = _constraints(inst)
    res = linprog(-np.ones(n_a), A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    assert res.status == 0, res.message
    return float(-res.fun)


def lp_min_unit_km(inst: Instance, units: int) -> float:
    n_a = len(inst.arc_from)
    if n_a == 0:
        return 0.0
    a_ub, b_ub = _constraints(inst)
    res = linprog(
        inst.arc_km,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=np.ones((1, n_a)),
        b_eq=[float(units)],
        bounds=(0, None),
        method="highs",
    )
    assert res.status == 0, res.message
    return float(res.fun)


def unit_km(flow: np.ndarray, km: np.ndarray) -> float:
    return float(np.dot(flow.astype(float), km))


def assert_feasible(inst: Instance, flow: np.ndarray) -> None:
    assert flow.dtype == np.int64
    assert flow.shape == inst.arc_from.shape
    assert (flow >= 0).all()
    out = np.bincount(inst.arc_from, weights=flow, minlength=len(inst.supply))
    into = np.bincount(inst.arc_to, weights=flow, minlength=len(inst.demand))
    assert (out <= inst.supply).all()
    assert (into <= inst.demand).all()


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.slow
@PROPERTY
@given(instances())
def test_flow_is_feasible(inst: Instance) -> None:
    sol = solve(inst)
    assert_feasible(inst, sol.flow)
    assert sol.units == int(sol.flow.sum())
    assert isinstance(sol.cost_scale, int) and sol.cost_scale >= 1


@pytest.mark.slow
@PROPERTY
@given(instances())
def test_units_equal_lp_max_flow(inst: Instance) -> None:
    sol = solve(inst)
    assert abs(sol.units - lp_max_flow(inst)) <= 1e-6


@pytest.mark.slow
@PROPERTY
@given(instances())
def test_unit_km_equal_lp_optimum(inst: Instance) -> None:
    sol = solve(inst)
    best = lp_min_unit_km(inst, sol.units)
    assert abs(unit_km(sol.flow, inst.arc_km) - best) <= 1e-4


@pytest.mark.slow
@PROPERTY
@given(instances(), st.data())
def test_deterministic_and_order_independent(inst: Instance, data: st.DataObject) -> None:
    first, second = solve(inst), solve(inst)
    np.testing.assert_array_equal(first.flow, second.flow)
    assert first.cost_scale == second.cost_scale
    order = data.draw(st.permutations(range(len(inst.arc_from))))
    other = inst.permuted(order)
    sol = solve(other)
    assert_feasible(other, sol.flow)
    assert sol.units == first.units
    # both are optimal to within a cost unit per unit of flow (the solver's integer costs:
    # a pair 0.1 mm long costs 0 at millimetre costs, so another order may take it instead)
    slack = sol.units / sol.cost_scale + 1e-9
    assert abs(unit_km(sol.flow, other.arc_km) - unit_km(first.flow, inst.arc_km)) <= slack


def _inst(supply, demand, arcs) -> Instance:
    return Instance(
        supply=np.asarray(supply, dtype=np.int64),
        demand=np.asarray(demand, dtype=np.int64),
        arc_from=np.asarray([a[0] for a in arcs], dtype=np.int64),
        arc_to=np.asarray([a[1] for a in arcs], dtype=np.int64),
        arc_km=np.asarray([a[2] for a in arcs], dtype=float),
    )


def test_no_arcs() -> None:
    sol = solve(_inst([5, 3], [4], []))
    assert sol.flow.shape == (0,)
    assert sol.flow.dtype == np.int64
    assert sol.units == 0


def test_all_zero_supply() -> None:
    inst = _inst([0, 0], [10, 10], [(0, 0, 1.0), (0, 1, 0.0), (1, 1, 3.0)])
    sol = solve(inst)
    np.testing.assert_array_equal(sol.flow, [0, 0, 0])


def test_all_zero_demand() -> None:
    inst = _inst([7, 2], [0, 0], [(0, 0, 1.0), (1, 1, 3.0)])
    np.testing.assert_array_equal(solve(inst).flow, [0, 0])


def test_one_arc() -> None:
    inst = _inst([7], [4], [(0, 0, 12.5)])
    sol = solve(inst)
    np.testing.assert_array_equal(sol.flow, [4])
    assert unit_km(sol.flow, inst.arc_km) == pytest.approx(50.0)


def test_zero_distance_arcs() -> None:
    inst = _inst([3, 3], [4, 2], [(0, 0, 0.0), (1, 0, 0.0), (1, 1, 0.0)])
    sol = solve(inst)
    assert_feasible(inst, sol.flow)
    assert sol.units == 6
    assert unit_km(sol.flow, inst.arc_km) == 0.0


def test_huge_distances_and_capacities() -> None:
    cap = 1_000_000
    inst = _inst(
        [cap, cap, cap],
        [cap, cap, 2 * cap],
        [
            (0, 0, 5000.0),
            (0, 1, 4999.123456789),
            (1, 1, 4321.987654321),
            (1, 2, 5000.0),
            (2, 0, 1.000000001),
            (2, 2, 0.5),
        ],
    )
    sol = solve(inst)
    assert_feasible(inst, sol.flow)
    assert sol.units == 3 * cap
    assert sol.units == pytest.approx(lp_max_flow(inst), abs=1e-6)
    cost = unit_km(sol.flow, inst.arc_km)
    best = lp_min_unit_km(inst, sol.units)
    # Documented guarantee: optimal in real km to within total_units / cost_scale unit-km.
    assert cost >= best - 1e-6 * best
    assert cost - best <= sol.units / sol.cost_scale + 1e-9 * best
    # No overflow: every flow fits the capacities and the cost is a sane positive number.
    assert 0 < cost < 3 * cap * 5000.0


def test_huge_distances_simple_are_exact() -> None:
    cap = 1_000_000
    inst = _inst([cap, cap], [cap, cap], [(0, 0, 5000.0), (0, 1, 1.0), (1, 0, 1.0), (1, 1, 5000.0)])
    sol = solve(inst)
    np.testing.assert_array_equal(sol.flow, [0, cap, cap, 0])


@pytest.mark.parametrize(
    "supply, demand, arcs",
    [
        pytest.param([-1, 2], [3], [(1, 0, 1.0)], id="negative-supply"),
        pytest.param([1, 2], [-3], [(1, 0, 1.0)], id="negative-demand"),
        pytest.param([1, 2], [3], [(2, 0, 1.0)], id="producer-index-too-large"),
        pytest.param([1, 2], [3], [(-1, 0, 1.0)], id="producer-index-negative"),
        pytest.param([1, 2], [3], [(0, 1, 1.0)], id="store-index-too-large"),
        pytest.param([1, 2], [3], [(0, -1, 1.0)], id="store-index-negative"),
        pytest.param([1, 2], [3], [(0, 0, float("nan"))], id="nan-km"),
        pytest.param([1, 2], [3], [(0, 0, float("inf"))], id="inf-km"),
        pytest.param([1, 2], [3], [(0, 0, -0.5)], id="negative-km"),
    ],
)
def test_invalid_inputs_raise(supply, demand, arcs) -> None:
    with pytest.raises(ValueError):
        solve(_inst(supply, demand, arcs))


def test_arc_arrays_of_different_length_raise() -> None:
    with pytest.raises(ValueError):
        solve_allocation(np.array([1]), np.array([1]), np.array([0, 0]), np.array([0]), [1.0])


def test_max_units_beats_greedy_nearest_first() -> None:
    # A (row 0) is near store 1 (1 km) and store 2 (5 km); B (row 1) reaches only store 1
    # (2 km).  Nearest-first would send A -> 1 and strand B: 1 unit.  The maximum is 2 units,
    # A -> 2 and B -> 1, although that costs 7 unit-km instead of 1.
    inst = _inst([1, 1], [1, 1], [(0, 0, 1.0), (0, 1, 5.0), (1, 0, 2.0)])
    sol = solve(inst)
    np.testing.assert_array_equal(sol.flow, [0, 1, 1])
    assert sol.units == 2
    assert unit_km(sol.flow, inst.arc_km) == pytest.approx(7.0)


def test_max_units_beats_short_distance() -> None:
    # Moving 1 unit 1 km is cheaper, but the far store (59 km) is still served: units come first.
    inst = _inst([2], [1, 1], [(0, 0, 1.0), (0, 1, 59.0)])
    sol = solve(inst)
    np.testing.assert_array_equal(sol.flow, [1, 1])
    assert unit_km(sol.flow, inst.arc_km) == pytest.approx(60.0)


def test_least_unit_km_among_maximum_flows() -> None:
    # Both perfect matchings move 2 units; the solver picks the 2 unit-km one, not 20.
    inst = _inst([1, 1], [1, 1], [(0, 0, 10.0), (0, 1, 1.0), (1, 0, 1.0), (1, 1, 10.0)])
    np.testing.assert_array_equal(solve(inst).flow, [0, 1, 1, 0])


def test_unit_km_tie_break_resolved_by_small_difference() -> None:
    # Distances differing by 1e-6 km must still be told apart by the integer cost scaling.
    inst = _inst([1], [1, 1], [(0, 0, 30.000001), (0, 1, 30.0)])
    np.testing.assert_array_equal(solve(inst).flow, [0, 1])


def test_fractional_quantities_are_refused():
    with pytest.raises(ValueError, match="supply must hold whole numbers"):
        solve_allocation(
            np.array([2.7]), np.array([5]), np.array([0]), np.array([0]), np.array([1.0])
        )


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 2**17), max_size=300), st.booleans())
def test_stable_order_is_numpys_stable_argsort(keys: list[int], small: bool) -> None:
    values = np.asarray(keys, dtype=np.int64)
    if small:  # the radix path: every key below 2^16
        values = values % 2**16
    assert np.array_equal(stable_order(values), np.argsort(values, kind="stable"))
