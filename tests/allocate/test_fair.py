"""Property tests of the fair objectives against independent references.

* the exact continuous fair shares by brute force: Fujishige's characterisation evaluated on
  every subset of UMKM, with ``f(A)`` from SciPy's max flow (not OR-Tools) and exact fractions;
* the tight-set certificate: for every level, the UMKM at or below it send together all that
  they can (``y(S) = f(S)``), and the shares are feasible (an LP);
* ``sum y^2 / c`` of the result against a convex solver (SciPy SLSQP) on tiny cases;
* least unit-km against SciPy HiGHS LPs with the same constraints.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog, minimize
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_flow

from umkm_alloc.allocate.fair import fair_allocation, min_order_allocation
from umkm_alloc.allocate.fair_budget import TOLERANCE, budget_allocation
from umkm_alloc.allocate.fair_figures import (
    fairness_figures,
    gini,
    per_umkm,
    why_not_more,
)
from umkm_alloc.allocate.solve import solve_allocation

TIE_KM = [0.0, 1.0, 2.5, 2.5, 7.125, 10.0]


@dataclass(frozen=True)
class Instance:
    supply: np.ndarray  # per producer row
    umkm: np.ndarray  # UMKM index per producer row
    demand: np.ndarray  # per store row
    arc_from: np.ndarray
    arc_to: np.ndarray
    arc_km: np.ndarray

    @property
    def n_umkm(self) -> int:
        return int(self.umkm.max()) + 1 if len(self.umkm) else 0

    @property
    def capacity(self) -> np.ndarray:
        return np.bincount(self.umkm, weights=self.supply, minlength=self.n_umkm).astype(int)

    def args(self) -> tuple[np.ndarray, ...]:
        return (self.supply, self.umkm, self.demand, self.arc_from, self.arc_to, self.arc_km)


@st.composite
def instances(draw: st.DrawFn, max_umkm: int = 5, max_store: int = 6) -> Instance:
    n_u = draw(st.integers(1, max_umkm))
    rows_per = draw(st.lists(st.integers(1, 2), min_size=n_u, max_size=n_u))
    umkm = np.repeat(np.arange(n_u), rows_per)
    umkm = np.asarray(draw(st.permutations(list(umkm))), dtype=np.int64)
    n_r = len(umkm)
    n_s = draw(st.integers(1, max_store))
    supply = draw(st.lists(st.integers(0, 15), min_size=n_r, max_size=n_r))
    demand = draw(st.lists(st.integers(0, 15), min_size=n_s, max_size=n_s))
    pairs = [(p, s) for p in range(n_r) for s in range(n_s)]
    keep = draw(st.lists(st.booleans(), min_size=len(pairs), max_size=len(pairs)))
    pairs = [pair for pair, k in zip(pairs, keep, strict=True) if k]
    pairs = draw(st.permutations(pairs))
    # distances to the metre, as the tables print them: a km below the solver's cost
    # resolution (1e-6 km) is a tie to it, so it cannot order allocations here either
    metres = st.floats(0, 40, allow_nan=False).map(lambda km: round(km, 3))
    km = draw(
        st.lists(
            st.one_of(st.sampled_from(TIE_KM), metres),
            min_size=len(pairs),
            max_size=len(pairs),
        )
    )
    return Instance(
        supply=np.asarray(supply, dtype=np.int64),
        umkm=umkm,
        demand=np.asarray(demand, dtype=np.int64),
        arc_from=np.asarray([p for p, _ in pairs], dtype=np.int64),
        arc_to=np.asarray([s for _, s in pairs], dtype=np.int64),
        arc_km=np.asarray(km, dtype=float),
    )


# ---------------------------------------------------------------- independent references


def max_units(inst: Instance, umkm_set: frozenset[int] | None = None) -> int:
    """f(A): the most units the rows of the UMKM in ``umkm_set`` can send (SciPy max flow)."""
    n_r, n_s = len(inst.supply), len(inst.demand)
    source, sink = n_r + n_s, n_r + n_s + 1
    rows = [r for r in range(n_r) if umkm_set is None or int(inst.umkm[r]) in umkm_set]
    tails, heads, caps = [], [], []
    for r in rows:
        tails.append(source), heads.append(r), caps.append(int(inst.supply[r]))
    for p, s in zip(inst.arc_from, inst.arc_to, strict=True):
        tails.append(int(p)), heads.append(n_r + int(s)), caps.append(10**6)
    for s in range(n_s):
        tails.append(n_r + s), heads.append(sink), caps.append(int(inst.demand[s]))
    n = n_r + n_s + 2
    # csgraph needs one entry per (tail, head): merge repeats
    merged: dict[tuple[int, int], int] = {}
    for t, h, c in zip(tails, heads, caps, strict=True):
        merged[(t, h)] = merged.get((t, h), 0) + c
    if not merged:
        return 0
    keys = list(merged)
    graph = csr_matrix(
        (
            np.asarray([merged[k] for k in keys], dtype=np.int32),
            ([k[0] for k in keys], [k[1] for k in keys]),
        ),
        shape=(n, n),
    )
    return int(maximum_flow(graph, source, sink).flow_value)


def brute_force_shares(inst: Instance) -> list[Fraction]:
    """Exact lexicographically optimal shares by Fujishige's theorem over all subsets.

    Repeatedly: among the UMKM not yet fixed (set R, fixed set F), the next level is
    ``min over non-empty A of (f(A + F) - f(F)) / c(A)``, attained on a largest set.
    """
    cap = inst.capacity
    members = [u for u in range(inst.n_umkm) if cap[u] > 0]
    f = {}
    for k in range(len(members) + 1):
        for combo in itertools.combinations(members, k):
            f[frozenset(combo)] = max_units(inst, frozenset(combo))
    share = [Fraction(0)] * inst.n_umkm
    fixed: frozenset[int] = frozenset()
    while len(fixed) < len(members):
        rest = [u for u in members if u not in fixed]
        best, best_set = None, frozenset()
        for k in range(1, len(rest) + 1):
            for combo in itertools.combinations(rest, k):
                a = frozenset(combo)
                ratio = Fraction(f[a | fixed] - f[fixed], int(sum(cap[u] for u in a)))
                if best is None or ratio < best or (ratio == best and len(a) > len(best_set)):
                    best, best_set = ratio, a
        assert best is not None
        for u in best_set:
            share[u] = best
        fixed = fixed | best_set
    return share


def lp(
    inst: Instance,
    *,
    lo: np.ndarray,
    hi: np.ndarray,
    total: float,
    groups: list[tuple[list[int], float]] = (),  # type: ignore[assignment]
) -> float | None:
    """Least unit-km with UMKM outflows in [lo, hi], fixed totals (HiGHS); None if infeasible."""
    n_a = len(inst.arc_from)
    if n_a == 0:
        return 0.0 if total == 0 else None
    n_r, n_s = len(inst.supply), len(inst.demand)
    a_ub = np.zeros((n_r + n_s, n_a))
    a_ub[inst.arc_from, np.arange(n_a)] = 1
    a_ub[n_r + inst.arc_to, np.arange(n_a)] = 1
    b_ub = np.concatenate([inst.supply, inst.demand]).astype(float)
    by_umkm = np.zeros((inst.n_umkm, n_a))
    by_umkm[inst.umkm[inst.arc_from], np.arange(n_a)] = 1
    a_ub = np.vstack([a_ub, by_umkm, -by_umkm])
    b_ub = np.concatenate([b_ub, hi, -lo])
    a_eq = [np.ones(n_a)]
    b_eq = [total]
    for members, units in groups:
        a_eq.append(by_umkm[members].sum(axis=0))
        b_eq.append(units)
    res = linprog(
        inst.arc_km, A_ub=a_ub, b_ub=b_ub, A_eq=np.vstack(a_eq), b_eq=b_eq, method="highs"
    )
    return float(res.fun) if res.status == 0 else None


def unit_km(flow: np.ndarray, km: np.ndarray) -> float:
    return float(np.dot(flow.astype(float), km))


def assert_feasible(inst: Instance, flow: np.ndarray) -> None:
    assert flow.dtype == np.int64 and flow.shape == inst.arc_from.shape
    assert (flow >= 0).all()
    out = np.bincount(inst.arc_from, weights=flow, minlength=len(inst.supply))
    into = np.bincount(inst.arc_to, weights=flow, minlength=len(inst.demand))
    assert (out <= inst.supply).all() and (into <= inst.demand).all()


def allocated(inst: Instance, flow: np.ndarray) -> np.ndarray:
    return np.bincount(inst.umkm[inst.arc_from], weights=flow, minlength=inst.n_umkm).astype(int)


def exact_units(sol, inst: Instance) -> list[Fraction]:
    lv = sol.levels
    out = []
    for u in range(inst.n_umkm):
        level = int(lv.umkm_level[u])
        if level < 0:
            out.append(Fraction(0))
        else:
            out.append(Fraction(int(lv.num[level]) * int(inst.capacity[u]), int(lv.den[level])))
    return out


PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------- fair


@PROPERTY
@given(instances())
def test_fair_keeps_the_maximum_units(inst: Instance) -> None:
    sol = fair_allocation(*inst.args())
    assert_feasible(inst, sol.flow)
    eff = solve_allocation(inst.supply, inst.demand, inst.arc_from, inst.arc_to, inst.arc_km)
    assert sol.units == eff.units == max_units(inst)
    np.testing.assert_array_equal(sol.allocated, allocated(inst, sol.flow))
    np.testing.assert_array_equal(sol.capacity, inst.capacity)


@PROPERTY
@given(instances())
def test_exact_shares_equal_brute_force(inst: Instance) -> None:
    sol = fair_allocation(*inst.args())
    expected = brute_force_shares(inst)
    lv = sol.levels
    for u in range(inst.n_umkm):
        if inst.capacity[u] == 0:
            assert lv.umkm_level[u] == -1
            continue
        level = int(lv.umkm_level[u])
        assert Fraction(int(lv.num[level]), int(lv.den[level])) == expected[u], u
    # levels ascend strictly? no: equal shares may sit in separate parts; never descend
    ratios = [Fraction(int(n), int(d)) for n, d in zip(lv.num, lv.den, strict=True)]
    assert ratios == sorted(ratios)


@PROPERTY
@given(instances())
def test_every_lower_level_set_is_tight(inst: Instance) -> None:
    sol = fair_allocation(*inst.args())
    exact = exact_units(sol, inst)
    share = {u: exact[u] / int(inst.capacity[u]) for u in range(inst.n_umkm) if inst.capacity[u]}
    for level in sorted(set(share.values())):
        lower = frozenset(u for u, s in share.items() if s <= level)
        assert sum(exact[u] for u in lower) == max_units(inst, lower)
    # and the exact shares are achievable by some (fractional) flow
    y = np.asarray([float(v) for v in exact])
    assert lp(inst, lo=y - 1e-9, hi=y + 1e-9, total=float(sum(exact))) is not None


@PROPERTY
@given(instances())
def test_integral_within_one_unit_and_blocks_exact(inst: Instance) -> None:
    sol = fair_allocation(*inst.args())
    exact = exact_units(sol, inst)
    got = allocated(inst, sol.flow)
    for u in range(inst.n_umkm):
        assert abs(got[u] - exact[u]) < 1, (u, got[u], exact[u])
    lv = sol.levels
    for level in range(len(lv.num)):
        members = np.flatnonzero(lv.umkm_level == level)
        assert got[members].sum() == lv.num[level]


@PROPERTY
@given(instances())
def test_unit_km_least_with_these_shares(inst: Instance) -> None:
    sol = fair_allocation(*inst.args())
    got = allocated(inst, sol.flow).astype(float)
    mine = unit_km(sol.flow, inst.arc_km)
    same_shares = lp(inst, lo=got, hi=got, total=got.sum())
    assert same_shares is not None and mine <= same_shares + 1e-6
    # and least over every allocation within one unit with exact level blocks
    exact = exact_units(sol, inst)
    lo = np.asarray([float(np.floor(v)) for v in exact])
    hi = np.asarray([float(np.ceil(v)) for v in exact])
    lv = sol.levels
    blocks = [
        (list(np.flatnonzero(lv.umkm_level == k)), float(lv.num[k])) for k in range(len(lv.num))
    ]
    best = lp(inst, lo=lo, hi=hi, total=got.sum(), groups=blocks)
    assert best is not None and abs(mine - best) <= 1e-6


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_umkm=3, max_store=3))
def test_exact_shares_minimise_the_quadratic(inst: Instance) -> None:
    """No feasible maximum flow has a smaller sum y^2/c than the exact fair units (SLSQP)."""
    sol = fair_allocation(*inst.args())
    cap = inst.capacity
    mine = sum(float(v) ** 2 / cap[u] for u, v in enumerate(exact_units(sol, inst)) if cap[u])
    n_a = len(inst.arc_from)
    if n_a == 0:
        return
    owner = inst.umkm[inst.arc_from]

    def objective(x: np.ndarray) -> float:
        y = np.bincount(owner, weights=x, minlength=inst.n_umkm)
        return float(sum(y[u] ** 2 / cap[u] for u in range(inst.n_umkm) if cap[u]))

    n_r, n_s = len(inst.supply), len(inst.demand)
    a = np.zeros((n_r + n_s, n_a))
    a[inst.arc_from, np.arange(n_a)] = 1
    a[n_r + inst.arc_to, np.arange(n_a)] = 1
    b = np.concatenate([inst.supply, inst.demand]).astype(float)
    res = minimize(
        objective,
        x0=sol.flow.astype(float),
        method="SLSQP",
        bounds=[(0, None)] * n_a,
        constraints=[
            {"type": "ineq", "fun": lambda x: b - a @ x},
            {"type": "eq", "fun": lambda x: x.sum() - sol.units},
        ],
        options={"ftol": 1e-12, "maxiter": 500},
    )
    assert mine <= res.fun + 1e-6 * max(1.0, mine)


@PROPERTY
@given(instances())
def test_reusing_the_efficient_flow_gives_an_equally_good_allocation(inst: Instance) -> None:
    eff = solve_allocation(inst.supply, inst.demand, inst.arc_from, inst.arc_to, inst.arc_km)
    alone = fair_allocation(*inst.args())
    reused = fair_allocation(*inst.args(), efficient_flow=eff.flow)
    assert_feasible(inst, reused.flow)
    assert reused.units == alone.units
    # ties (equal km) may be broken otherwise, but never at a cost in km or fairness
    assert unit_km(reused.flow, inst.arc_km) == pytest.approx(unit_km(alone.flow, inst.arc_km))
    exact = exact_units(alone, inst)
    got = allocated(inst, reused.flow)
    assert all(abs(got[u] - exact[u]) < 1 for u in range(inst.n_umkm))
    lv = reused.levels
    for level in range(len(lv.num)):
        assert got[lv.umkm_level == level].sum() == lv.num[level]


# ---------------------------------------------------------------- min order


@PROPERTY
@given(instances(), st.integers(0, 8), st.booleans())
def test_min_order_guarantee_at_least_cost(inst: Instance, n: int, reuse: bool) -> None:
    eff = solve_allocation(inst.supply, inst.demand, inst.arc_from, inst.arc_to, inst.arc_km)
    sol = min_order_allocation(
        *inst.args(), min_order=n, efficient_flow=eff.flow if reuse else None
    )
    assert_feasible(inst, sol.flow)
    assert sol.units == max_units(inst)
    fair = fair_allocation(*inst.args())
    floor = np.asarray([int(np.floor(v)) for v in exact_units(fair, inst)])
    lower = np.minimum(floor, n)
    got = allocated(inst, sol.flow)
    assert (got >= lower).all()
    best = lp(inst, lo=lower.astype(float), hi=inst.capacity.astype(float), total=sol.units)
    assert best is not None and abs(unit_km(sol.flow, inst.arc_km) - best) <= 1e-6
    assert unit_km(sol.flow, inst.arc_km) <= unit_km(fair.flow, inst.arc_km) + 1e-6


def test_min_order_zero_is_efficient() -> None:
    inst = _example()
    eff = solve_allocation(inst.supply, inst.demand, inst.arc_from, inst.arc_to, inst.arc_km)
    sol = min_order_allocation(*inst.args(), min_order=0)
    assert sol.units == eff.units
    assert unit_km(sol.flow, inst.arc_km) == pytest.approx(unit_km(eff.flow, inst.arc_km))


# ---------------------------------------------------------------- fairness budget


def quadratic(inst: Instance, flow: np.ndarray) -> float:
    y = allocated(inst, flow).astype(float)
    cap = inst.capacity
    return float(sum(y[u] ** 2 / cap[u] for u in range(inst.n_umkm) if cap[u]))


def integral_max_flows(inst: Instance) -> list[np.ndarray]:
    """Every integral allocation with the maximum units (brute force, tiny cases only)."""
    best = max_units(inst)
    ranges = [
        range(min(int(inst.supply[p]), int(inst.demand[s])) + 1)
        for p, s in zip(inst.arc_from, inst.arc_to, strict=True)
    ]
    found = []
    for combo in itertools.product(*ranges):
        flow = np.asarray(combo, dtype=np.int64)
        if flow.sum() != best:
            continue
        out = np.bincount(inst.arc_from, weights=flow, minlength=len(inst.supply))
        into = np.bincount(inst.arc_to, weights=flow, minlength=len(inst.demand))
        if (out <= inst.supply).all() and (into <= inst.demand).all():
            found.append(flow)
    return found


@st.composite
def tiny(draw: st.DrawFn) -> Instance:
    inst = draw(instances(max_umkm=3, max_store=3))
    n = min(len(inst.arc_from), 5)
    cap = np.minimum(inst.supply, 4)
    return Instance(
        cap,
        inst.umkm,
        np.minimum(inst.demand, 4),
        inst.arc_from[:n],
        inst.arc_to[:n],
        inst.arc_km[:n],
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny(), st.sampled_from([0.5, 2.0, 10.0, 30.0, 100.0, 1000.0]))
def test_budget_is_the_fairest_within_its_own_unit_km(inst: Instance, pct: float) -> None:
    sol = budget_allocation(*inst.args(), budget_pct=pct)
    assert_feasible(inst, sol.flow)
    assert sol.units == max_units(inst)
    eff = solve_allocation(inst.supply, inst.demand, inst.arc_from, inst.arc_to, inst.arc_km)
    base = unit_km(eff.flow, inst.arc_km)
    mine = unit_km(sol.flow, inst.arc_km)
    assert mine <= base * (1 + pct / 100) + 1e-9
    assert sol.detail["unit_km_efficient"] == pytest.approx(base)
    every = integral_max_flows(inst)
    span = quadratic(inst, eff.flow) - min(quadratic(inst, f) for f in every)
    # no allocation within the unit-km of the hull vertex found is fairer (up to tolerance)
    supported = sol.detail["supported_unit_km"]
    assert supported <= base * (1 + pct / 100) + 1e-9
    rivals = [f for f in every if unit_km(f, inst.arc_km) <= supported + 1e-9]
    best = min(quadratic(inst, f) for f in rivals)
    assert quadratic(inst, sol.flow) <= best + TOLERANCE * span + 1e-9
    # and the fair allocation is never fairer while within the cap
    fair = fair_allocation(*inst.args())
    if unit_km(fair.flow, inst.arc_km) <= base * (1 + pct / 100):
        assert quadratic(inst, sol.flow) <= quadratic(inst, fair.flow) + 1e-9


@PROPERTY
@given(instances(), st.floats(0.1, 200))
def test_budget_respects_its_cap(inst: Instance, pct: float) -> None:
    sol = budget_allocation(*inst.args(), budget_pct=pct)
    assert_feasible(inst, sol.flow)
    assert sol.units == max_units(inst)
    eff = solve_allocation(inst.supply, inst.demand, inst.arc_from, inst.arc_to, inst.arc_km)
    base = unit_km(eff.flow, inst.arc_km)
    assert unit_km(sol.flow, inst.arc_km) <= base * (1 + pct / 100) + 1e-9
    assert quadratic(inst, sol.flow) <= quadratic(inst, eff.flow) + 1e-9


@PROPERTY
@given(instances())
def test_budget_zero_is_efficient_and_ample_budget_at_least_as_fair(inst: Instance) -> None:
    eff = solve_allocation(inst.supply, inst.demand, inst.arc_from, inst.arc_to, inst.arc_km)
    zero = budget_allocation(*inst.args(), budget_pct=0)
    assert zero.units == eff.units
    assert unit_km(zero.flow, inst.arc_km) == pytest.approx(unit_km(eff.flow, inst.arc_km))
    fair = fair_allocation(*inst.args())
    base = unit_km(eff.flow, inst.arc_km)
    # unit-km below the solver's cost resolution (km rounded to 1e-6 in the integer costs) are
    # ties, and a percentage of them is no budget: fair at no more unit-km than efficient is
    # such a tie (budget 0 is efficient by definition), so is an efficient unit-km of ~0
    if base > 1e-6 and unit_km(fair.flow, inst.arc_km) > base:
        ample = 100 * (unit_km(fair.flow, inst.arc_km) / base - 1) + 1e-6
        sol = budget_allocation(*inst.args(), budget_pct=ample)
        assert quadratic(inst, sol.flow) <= quadratic(inst, fair.flow) + 1e-9


def test_budget_rejects_a_negative_percentage() -> None:
    with pytest.raises(ValueError, match="budget_pct"):
        budget_allocation(*_example().args(), budget_pct=-1)


# ---------------------------------------------------------------- determinism


@PROPERTY
@given(instances(), st.data())
def test_same_flows_for_any_row_and_arc_order(inst: Instance, data: st.DataObject) -> None:
    keys_p = np.asarray([f"p{r:03d}" for r in range(len(inst.supply))])
    keys_s = np.asarray([f"s{s:03d}" for s in range(len(inst.demand))])
    first = fair_allocation(*inst.args(), producer_key=keys_p, store_key=keys_s)
    again = fair_allocation(*inst.args(), producer_key=keys_p, store_key=keys_s)
    np.testing.assert_array_equal(first.flow, again.flow)
    p_perm = np.asarray(data.draw(st.permutations(range(len(inst.supply)))), dtype=np.int64)
    s_perm = np.asarray(data.draw(st.permutations(range(len(inst.demand)))), dtype=np.int64)
    u_perm = np.asarray(data.draw(st.permutations(range(inst.n_umkm))), dtype=np.int64)
    a_perm = np.asarray(data.draw(st.permutations(range(len(inst.arc_from)))), dtype=np.int64)
    p_new, s_new = np.argsort(p_perm), np.argsort(s_perm)  # old row -> new position
    shuffled = fair_allocation(
        inst.supply[p_perm],
        u_perm[inst.umkm[p_perm]],
        inst.demand[s_perm],
        p_new[inst.arc_from[a_perm]],
        s_new[inst.arc_to[a_perm]],
        inst.arc_km[a_perm],
        producer_key=keys_p[p_perm],
        store_key=keys_s[s_perm],
    )
    np.testing.assert_array_equal(shuffled.flow, first.flow[a_perm])
    np.testing.assert_array_equal(shuffled.allocated[u_perm], first.allocated)


# ---------------------------------------------------------------- small cases by hand


def _example() -> Instance:
    # UMKM 0 (one row) and UMKM 1 (two rows) share store 0; UMKM 1's second row has store 1
    return Instance(
        supply=np.asarray([10, 30, 5]),
        umkm=np.asarray([0, 1, 1]),
        demand=np.asarray([10, 100]),
        arc_from=np.asarray([0, 1, 2]),
        arc_to=np.asarray([0, 0, 1]),
        arc_km=np.asarray([5.0, 1.0, 2.0]),
    )


def test_shared_store_is_split_to_equal_shares() -> None:
    sol = fair_allocation(*_example().args())
    # 15 units in all; shares equal at 1/3: UMKM 0 gets 10/3 of store 0, UMKM 1 the rest
    assert sol.units == 15
    assert [
        Fraction(int(n), int(d)) for n, d in zip(sol.levels.num, sol.levels.den, strict=True)
    ] == [Fraction(1, 3)]
    assert sol.allocated.tolist() in ([3, 12], [4, 11])
    # least km: the cheaper UMKM 1 takes the odd unit
    assert sol.allocated.tolist() == [3, 12]
    np.testing.assert_allclose(sol.fair_share, [1 / 3, 1 / 3])


def test_no_arcs_and_zero_capacity() -> None:
    sol = fair_allocation(
        np.asarray([5, 0]), np.asarray([0, 1]), np.asarray([4]), [], [], np.zeros(0)
    )
    assert sol.units == 0 and sol.flow.shape == (0,)
    assert sol.levels.umkm_level.tolist() == [0, -1]
    assert sol.in_reach.tolist() == [False, False]
    assert sol.share.tolist() == [0.0, 0.0]


# ---------------------------------------------------------------- figures and explanations


@PROPERTY
@given(st.lists(st.integers(0, 50), max_size=30))
def test_gini_equals_mean_absolute_difference(values: list[int]) -> None:
    x = np.asarray(values, dtype=float)
    if len(x) == 0 or x.sum() == 0:
        assert gini(x) == 0.0
        return
    pairs = np.abs(x[:, None] - x[None, :]).sum()
    assert gini(x) == pytest.approx(pairs / (2 * len(x) ** 2 * x.mean()))


def test_figures_of_a_small_case() -> None:
    # UMKM 0 and 1 share store 0; UMKM 2 has no store in reach; UMKM 3 has no capacity
    inst = Instance(
        supply=np.asarray([10, 30, 5, 8, 0]),
        umkm=np.asarray([0, 1, 1, 2, 3]),
        demand=np.asarray([10, 100]),
        arc_from=np.asarray([0, 1, 2, 4]),
        arc_to=np.asarray([0, 0, 1, 1]),
        arc_km=np.asarray([5.0, 1.0, 2.0, 3.0]),
    )
    sol = fair_allocation(*inst.args())
    eff = solve_allocation(inst.supply, inst.demand, inst.arc_from, inst.arc_to, inst.arc_km)
    totals = per_umkm(inst.supply, inst.umkm, inst.arc_from, sol.flow)
    figures = fairness_figures(
        totals,
        unit_km=unit_km(sol.flow, inst.arc_km),
        unit_km_efficient=unit_km(eff.flow, inst.arc_km),
    )
    assert sol.allocated.tolist() == [3, 12, 0, 0]
    assert figures.producers == 4
    assert figures.producers_in_reach == 3  # UMKM 3 has an arc, but no capacity
    assert figures.producers_with_orders == 2
    assert figures.min_share == pytest.approx(0.3)
    assert figures.median_share == pytest.approx((0.3 + 12 / 35) / 2)
    assert figures.no_store_in_reach == (2,)
    assert figures.unit_km == pytest.approx(3 * 5 + 7 * 1 + 5 * 2)
    assert figures.unit_km_efficient == pytest.approx(10 * 1 + 5 * 2)
    assert figures.extra_km_pct == pytest.approx(60.0)
    data = figures.as_dict(ids=np.asarray(["A", "B", "C", "D"]))
    assert data["no_store_in_reach"] == ["C"] and data["gini"] == round(figures.gini, 6)
    explain = dict(
        supply=inst.supply,
        umkm=inst.umkm,
        demand=inst.demand,
        arc_from=inst.arc_from,
        arc_to=inst.arc_to,
        flow=sol.flow,
    )
    limit = why_not_more(0, **explain)
    # exact shares are 1/3 each; rounding gave the odd unit to UMKM 1 (1 km, not 5 km), so a
    # unit moved back would not lower a smaller share: the stores are full, UMKM 1 fills them
    assert limit.kind == "stores_full" and limit.stores == (0,) and limit.blocker == 1
    assert limit.blocker_share == pytest.approx(12 / 35)
    # with more capacity for UMKM 1 its exact share drops below UMKM 0's: now a lower share
    bigger = dict(explain, supply=np.asarray([10, 60, 5, 8, 0]))
    flow = fair_allocation(
        bigger["supply"], inst.umkm, inst.demand, inst.arc_from, inst.arc_to, inst.arc_km
    ).flow
    limit = why_not_more(0, **dict(bigger, flow=flow))
    assert limit.kind == "lower_share" and limit.blocker == 1
    assert why_not_more(2, **explain).kind == "no_store_in_reach"
    assert why_not_more(3, **explain).kind == "no_capacity"


@PROPERTY
@given(instances())
def test_why_not_more_names_a_producer_no_better_off(inst: Instance) -> None:
    sol = fair_allocation(*inst.args())
    cap, got = inst.capacity, allocated(inst, sol.flow)
    for u in range(inst.n_umkm):
        limit = why_not_more(
            u,
            supply=inst.supply,
            umkm=inst.umkm,
            demand=inst.demand,
            arc_from=inst.arc_from,
            arc_to=inst.arc_to,
            flow=sol.flow,
        )
        if cap[u] == 0 or got[u] == cap[u] or limit.kind == "no_store_in_reach":
            assert limit.kind in ("no_capacity", "full_capacity", "no_store_in_reach")
            continue
        # every store it could still supply is full (else the units were not the most)
        into = np.bincount(inst.arc_to, weights=sol.flow, minlength=len(inst.demand))
        assert all(into[s] == inst.demand[s] for s in limit.stores)
        if limit.blocker is not None:
            b = limit.blocker
            assert (got[b] - 1) / cap[b] <= (got[u] + 1) / cap[u] + 1e-12


def test_unit_km_and_gini_do_not_depend_on_the_blas_threads() -> None:
    """A library caller's BLAS runs a thread per core; the figures must not change with it
    (``np.dot`` of 10^6 floats did in its last digit)."""
    import os
    import subprocess
    import sys

    code = (
        "import numpy as np\n"
        "from umkm_alloc.allocate.fair_figures import gini, unit_km\n"
        "rng = np.random.default_rng(7)\n"
        "flow, km = rng.integers(0, 50, 10**6), rng.uniform(0, 20, 10**6)\n"
        "print(repr(unit_km(flow, km)), repr(gini(km)))\n"
    )
    out = {
        threads: subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads},
        ).stdout
        for threads in ("1", "2", "4")
    }
    assert out["1"] == out["2"] == out["4"], out
