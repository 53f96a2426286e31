"""``assign(config) -> Result``: read, validate, geocode, candidates, solve, tabulate."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from umkm_alloc import parallel
from umkm_alloc.allocate.candidates import arcs_table, candidate_groups
from umkm_alloc.allocate.reasons import Reasons
from umkm_alloc.allocate.solve import COST_SCALE, AllocationStream
from umkm_alloc.config import AssignConfig
from umkm_alloc.distance import DistanceBackend, backend_for
from umkm_alloc.geo.boundaries import Boundaries
from umkm_alloc.inputs.load import FileCounts, Progress, load_inputs, timed
from umkm_alloc.ordering import sort_rows
from umkm_alloc.rules.judge import Judge
from umkm_alloc.rules.model import ELIGIBLE, Rules
from umkm_alloc.rules.zones import ZoneMap

if TYPE_CHECKING:
    from umkm_alloc.allocate.fair_run import FairRun
    from umkm_alloc.routes.model import RoutePlan
    from umkm_alloc.summary import Summary

ALLOCATION_COLUMNS = [
    "producer_id",
    "producer_name",
    "store_id",
    "store_name",
    "product",
    "quantity",
    "distance_km",
    "producer_kecamatan",
    "store_kecamatan",
]


@dataclass(frozen=True)
class Result:
    """Everything an ``assign`` run produced, as plain tables.

    Attributes
    ----------
    config
        The run configuration.
    producers, stores
        Accepted, geocoded rows (sorted by id, product) with ``allocated``.
    allocations, rejected_rows, fixed_rows, skipped_rows
        The output tables of DESIGN.md, sorted.
    unmet_demand, unused_supply
        The output tables of DESIGN.md with their reasons (and ``kind``), sorted: worked
        out on first use (a run that writes only the allocations never needs them).
    files
        Row counts per input file.
    candidates
        Number of eligible (producer row, store row) pairs.
    arcs
        Every same-product pair within the largest distance limit (and ``--max-minutes``):
        ``p``, ``s`` (rows of ``producers`` and ``stores``), ``km``, ``minutes`` (travel time,
        NaN when the backend has none), ``code`` (0 eligible, else the first rule that
        excludes it, see :data:`umkm_alloc.rules.REASONS`) and ``flow``.
    judge
        The rules of the run applied to its pairs (``explain`` judges with it too); its
        ``rules`` and ``zone_map`` are also :attr:`rules` and :attr:`zone_map`.
    cost_scale
        Integer cost units per km used by the solver.
    distance
        Parameters of the distance backend.
    boundaries
        The kecamatan polygons the run used (``boundaries.source`` names them).
    timings
        Wall seconds per stage (not part of any output file).
    backend
        The distance backend of the run (``explain`` measures with it).
    routes
        With ``config.routes``: every producer's delivery trips (``None`` without).
    summary
        The run's :class:`~umkm_alloc.summary.Summary`, computed once on first use.
    fair
        In a fair mode (``config.mode`` is not ``efficient``): what it solved, with the
        efficient flow beside it (:class:`~umkm_alloc.allocate.fair_run.FairRun`); else ``None``.
    """

    config: AssignConfig
    producers: pd.DataFrame
    stores: pd.DataFrame
    allocations: pd.DataFrame
    rejected_rows: pd.DataFrame
    fixed_rows: pd.DataFrame
    files: tuple[FileCounts, FileCounts]
    candidates: int
    arcs: pd.DataFrame
    judge: Judge = field(compare=False, repr=False)
    cost_scale: int
    distance: dict[str, Any]
    boundaries: Boundaries = field(compare=False, repr=False)
    timings: dict[str, float] = field(default_factory=dict, compare=False)
    backend: DistanceBackend | None = field(default=None, compare=False, repr=False)
    skipped_rows: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["file", "line", "reason"]), compare=False
    )
    routes: RoutePlan | None = field(default=None, compare=False, repr=False)
    fair: FairRun | None = field(default=None, compare=False, repr=False)

    @cached_property
    def unmet_demand(self) -> pd.DataFrame:
        """Store rows left short, with why (computed on first use)."""
        return self._reasons.unmet()

    @cached_property
    def unused_supply(self) -> pd.DataFrame:
        """Producer rows with capacity left, with why (computed on first use)."""
        return self._reasons.unused()

    @cached_property
    def _reasons(self) -> Reasons:
        if self.backend is None:
            raise ValueError("the reasons of a result need its distance backend")
        return Reasons(self.producers, self.stores, self.arcs, self.backend, self.judge)

    @cached_property
    def summary(self) -> Summary:
        """The run's figures, computed on first use and shared by every view."""
        from umkm_alloc.summary import summarize

        return summarize(self)

    @property
    def rules(self) -> Rules:
        """The supply rules of the run."""
        return self.judge.rules

    @property
    def zone_map(self) -> ZoneMap:
        """The zone of every kecamatan of :attr:`boundaries`."""
        return self.judge.zone_map


def assign(config: AssignConfig, *, progress: Progress | None = None) -> Result:
    """Run one allocation job end to end.

    Parameters
    ----------
    config
        The resolved run configuration.
    progress
        Called with the name of each stage as it starts (for progress display).

    Returns
    -------
    Result
    """
    # the solve's workers start while the inputs are read (the CLI starts them earlier still)
    parallel.warm_up_for((config.producers, config.stores), config.jobs)
    try:
        return _assign(config, progress)
    finally:
        # also after an error (the solve ends them when it is done); the CLI waits for them
        # at its exit, so that their CPU time counts as the run's
        parallel.shutdown(wait=False)


def _assign(config: AssignConfig, progress: Progress | None) -> Result:
    timings: dict[str, float] = {}
    note = progress or (lambda _stage: None)
    inputs = load_inputs(config, timings=timings, progress=progress)
    producers, stores = inputs.producers, inputs.stores
    with AllocationStream(
        producers["qty"].to_numpy(), stores["qty"].to_numpy(), jobs=config.jobs
    ) as efficient:
        with timed("candidates", timings, note):
            backend = backend_for(config)
            judge = Judge(
                inputs.rules,
                inputs.zone_map,
                producers=producers,
                stores=stores,
                max_km=config.max_km,
                max_minutes=config.max_minutes,
            )
            # each product's eligible pairs go to the solve as soon as they are found: the
            # worker processes solve one product while this thread searches the next
            groups = []
            for p, s, km, minutes in candidate_groups(
                producers, stores, backend, judge, jobs=config.jobs
            ):
                code = judge.codes(p, s, km=km, minutes=minutes)
                eligible = code == ELIGIBLE
                if eligible.all():  # no rule excludes a pair: no copies
                    efficient.add(p, s, km)
                else:
                    efficient.add(p[eligible], s[eligible], km[eligible])
                groups.append([p, s, km, minutes, code])
        with timed("solve", timings, note):
            solved = efficient.solutions()
    with timed("solve", timings, lambda _stage: None):  # the rest of the stage
        cost_scale = min((g.cost_scale for g in solved), default=COST_SCALE)
        for group, solution in zip(groups, solved, strict=True):  # each pair's flow
            group.append(_on_every_pair(solution.flow, group[4]))
        del solved
        arcs = arcs_table(groups)  # with the flow
        flow = arcs["flow"].to_numpy()
        eligible = arcs["code"].to_numpy() == ELIGIBLE
        every = bool(eligible.all())
        fair = _solve_fair(
            config,
            producers,
            stores,
            arcs if every else arcs[eligible],
            flow if every else flow[eligible],
        )
        # no later stage uses the worker processes: end them, so that their memory does not
        # add to the peak of the tables (a stage that uses them, routes, ends them after it);
        # they end by themselves once told, no need to wait here
        parallel.shutdown(wait=False)
        if fair is not None:
            arcs["flow"] = _on_every_pair(fair.solution.flow, arcs["code"].to_numpy())
    with timed("tabulate", timings, note):
        producers["allocated"] = _sum_by(arcs, "p", len(producers))
        stores["allocated"] = _sum_by(arcs, "s", len(stores))
        allocations = _allocations(arcs, producers, stores)
    routes = None
    if config.routes:
        from umkm_alloc.routes.deliveries import plan_deliveries

        with timed("routes", timings, note):
            routes = plan_deliveries(config, backend, allocations, producers, stores)
    return Result(
        config=config,
        producers=producers,
        stores=stores,
        allocations=allocations,
        rejected_rows=inputs.rejected_rows,
        fixed_rows=inputs.fixed_rows,
        files=inputs.files,
        candidates=int(eligible.sum()),
        arcs=arcs,
        judge=judge,
        cost_scale=cost_scale,
        distance=backend.params(),
        boundaries=inputs.boundaries,
        timings=timings,
        backend=backend,
        skipped_rows=inputs.skipped_rows,
        routes=routes,
        fair=fair,
    )


def _solve_fair(
    config: AssignConfig,
    producers: pd.DataFrame,
    stores: pd.DataFrame,
    eligible: pd.DataFrame,
    efficient_flow: np.ndarray,
) -> FairRun | None:
    """Solve the run's fair mode, if it has one (the efficient flow is reused and kept)."""
    if config.mode == "efficient":
        return None
    from umkm_alloc.allocate.fair_run import solve_fair

    return solve_fair(
        config.mode,
        producers=producers,
        stores=stores,
        arc_from=eligible["p"].to_numpy(),
        arc_to=eligible["s"].to_numpy(),
        arc_km=eligible["km"].to_numpy(),
        efficient_flow=efficient_flow,
        min_order=config.min_order,
        fairness_budget=config.fairness_budget,
    )


def _on_every_pair(flow: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Return the flow of the eligible pairs (``code`` 0) on every pair, 0 on the others.

    When every pair is eligible the solve's own array is returned (no copy).
    """
    if len(flow) == len(code):
        return flow
    out = np.zeros(len(code), dtype=np.int64)
    out[code == ELIGIBLE] = flow
    return out


def _sum_by(arcs: pd.DataFrame, col: str, n: int) -> np.ndarray:
    """Units on the arcs of each row (by ``col``): over the arcs with flow only."""
    flow = arcs["flow"].to_numpy()
    used = np.flatnonzero(flow)
    return np.bincount(arcs[col].to_numpy()[used], weights=flow[used], minlength=n).astype(np.int64)


def _allocations(arcs: pd.DataFrame, producers: pd.DataFrame, stores: pd.DataFrame) -> pd.DataFrame:
    flow = arcs["flow"].to_numpy()
    used = np.flatnonzero(flow > 0)
    p = arcs["p"].to_numpy()[used]
    s = arcs["s"].to_numpy()[used]

    def text(rows: pd.DataFrame, column: str, at: np.ndarray) -> pd.Series:
        return pd.Series(rows[column].to_numpy(dtype=object)[at], dtype=object)

    table = pd.DataFrame(
        {
            "producer_id": text(producers, "id", p),
            "producer_name": text(producers, "name", p),
            "store_id": text(stores, "id", s),
            "store_name": text(stores, "name", s),
            "product": text(producers, "product", p),
            "quantity": flow[used].astype(np.int64),
            "distance_km": np.round(arcs["km"].to_numpy()[used], 3),
            "producer_kecamatan": text(producers, "kecamatan_name", p),
            "store_kecamatan": text(stores, "kecamatan_name", s),
        },
        columns=ALLOCATION_COLUMNS,
    )
    return sort_rows(table, ["producer_id", "store_id", "product"])
