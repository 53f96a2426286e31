"""``assign(config) -> Result``: read, validate, geocode, candidates, solve, tabulate."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import shapely

from umkm_alloc.boundaries import Boundaries, load_boundaries
from umkm_alloc.config import AssignConfig
from umkm_alloc.distance import (
    DistanceBackend,
    GeodesicBackend,
    Pairs,
    backend_for,
    straight_pairs_within,
)
from umkm_alloc.errors import InputError
from umkm_alloc.geocode import geocode_rows
from umkm_alloc.rules import (
    BEYOND_DISTANCE,
    ELIGIBLE,
    REASONS,
    Rules,
    ZoneMap,
    chain_key,
    check_categories_used,
    evaluate,
    load_rules,
    max_limit_km,
    reason_text,
)
from umkm_alloc.solve import solve_allocation
from umkm_alloc.tables import read_table
from umkm_alloc.validate import FIXED_COLUMNS, REJECTED_COLUMNS, Validated, validate_table

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
UNMET_COLUMNS = ["store_id", "store_name", "product", "demand", "allocated", "unmet", "reason"]
UNUSED_COLUMNS = [
    "producer_id",
    "producer_name",
    "product",
    "capacity",
    "allocated",
    "unused",
    "reason",
]
_LIST_IDS = 3
#: A far row's nearest route is searched out to this many times the limit (km or minutes).
HORIZON = 3.0


@dataclass(frozen=True)
class FileCounts:
    """Rows of one input file: read = accepted + rejected; fixed rows are accepted ones."""

    path: str
    read: int
    accepted: int
    rejected: int
    fixed: int


@dataclass(frozen=True)
class Result:
    """Everything an ``assign`` run produced, as plain tables.

    Attributes
    ----------
    config
        The run configuration.
    producers, stores
        Accepted, geocoded rows (sorted by id, product) with ``allocated``.
    allocations, unmet_demand, unused_supply, rejected_rows
        The output tables of DESIGN.md, sorted.
    files
        Row counts per input file.
    candidates
        Number of eligible (producer row, store row) pairs.
    arcs
        Every same-product pair within the largest distance limit (and ``--max-minutes``):
        ``p``, ``s`` (rows of ``producers`` and ``stores``), ``km``, ``minutes`` (travel time,
        NaN when the backend has none), ``code`` (0 eligible, else the first rule that
        excludes it, see :data:`umkm_alloc.rules.REASONS`) and ``flow``.
    rules, zone_map
        The supply rules of the run and the zone of every kecamatan.
    cost_scale
        Integer cost units per km used by the solver.
    distance
        Parameters of the distance backend.
    timings
        Wall seconds per stage (not part of any output file).
    backend
        The distance backend of the run (``explain`` measures with it).
    """

    config: AssignConfig
    producers: pd.DataFrame
    stores: pd.DataFrame
    allocations: pd.DataFrame
    unmet_demand: pd.DataFrame
    unused_supply: pd.DataFrame
    rejected_rows: pd.DataFrame
    fixed_rows: pd.DataFrame
    files: tuple[FileCounts, FileCounts]
    candidates: int
    arcs: pd.DataFrame
    rules: Rules
    zone_map: ZoneMap
    cost_scale: int
    distance: dict[str, Any]
    boundaries: str
    timings: dict[str, float] = field(default_factory=dict, compare=False)
    backend: DistanceBackend | None = field(default=None, compare=False, repr=False)


Progress = Callable[[str], None]


@dataclass(frozen=True)
class Inputs:
    """Both tables read, validated and geocoded: everything before the allocation.

    Attributes
    ----------
    producers, stores
        Accepted rows with kecamatan and point, sorted by (id, product).
    rejected_rows
        ``file, line, id, reason, kind`` of every rejected row of both files.
    fixed_rows
        ``file, line, id, fix`` of every row that was accepted after a fix.
    files
        Row counts per input file.
    boundaries
        The kecamatan polygons used.
    rules, zone_map
        The supply rules of ``--config`` (default: none) and the zone of every kecamatan.
    """

    producers: pd.DataFrame
    stores: pd.DataFrame
    rejected_rows: pd.DataFrame
    fixed_rows: pd.DataFrame
    files: tuple[FileCounts, FileCounts]
    boundaries: Boundaries
    rules: Rules
    zone_map: ZoneMap


def load_inputs(
    config: AssignConfig,
    *,
    timings: dict[str, float] | None = None,
    progress: Progress | None = None,
) -> Inputs:
    """Read, validate and geocode both tables (every check, no allocation).

    Parameters
    ----------
    config
        The run configuration (inputs, boundaries, snapping).
    timings
        Filled with wall seconds per stage when given.
    progress
        Called with the name of each stage as it starts.

    Returns
    -------
    Inputs
    """
    timings = {} if timings is None else timings
    note = progress or (lambda _stage: None)
    with _timed("read", timings, note):
        raw_p = read_table(config.producers, "producers", sheet=config.sheet)
        raw_s = read_table(config.stores, "stores", sheet=config.sheet)
    with _timed("validate", timings, note):
        val_p, val_s = validate_table(raw_p), validate_table(raw_s)
        _check_product_columns(val_p, val_s)
    with _timed("geocode", timings, note):
        boundaries = load_boundaries(config.boundaries)
        rules = load_rules(config.config_file, boundaries)
        zone_map = ZoneMap.build(rules, boundaries)
        geo_p = geocode_rows(val_p, boundaries, snap_m=config.snap_m)
        geo_s = geocode_rows(val_s, boundaries, snap_m=config.snap_m)
        producers, stores = _prepare(geo_p.accepted), _prepare(geo_s.accepted)
        _name_products(producers, stores)
        _categorise(producers, stores, rules, config)
        rejected = _stack(
            [val_p.rejected, geo_p.rejected, val_s.rejected, geo_s.rejected],
            [*REJECTED_COLUMNS, "kind"],
            val_p,
            val_s,
        )
        fixed = _stack([geo_p.fixed, geo_s.fixed], FIXED_COLUMNS, val_p, val_s)
    files = (
        _counts(val_p, len(producers), rejected, fixed),
        _counts(val_s, len(stores), rejected, fixed),
    )
    return Inputs(
        producers=producers,
        stores=stores,
        rejected_rows=rejected,
        fixed_rows=fixed,
        files=files,
        boundaries=boundaries,
        rules=rules,
        zone_map=zone_map,
    )


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
    timings: dict[str, float] = {}
    note = progress or (lambda _stage: None)
    inputs = load_inputs(config, timings=timings, progress=progress)
    producers, stores = inputs.producers, inputs.stores
    with _timed("candidates", timings, note):
        backend = backend_for(config)
        arcs = _candidates(
            producers,
            stores,
            backend,
            inputs,
            max_km=config.max_km,
            max_minutes=config.max_minutes,
        )
        eligible = arcs["code"].to_numpy() == ELIGIBLE
    with _timed("solve", timings, note):
        solution = solve_allocation(
            producers["qty"].to_numpy(),
            stores["qty"].to_numpy(),
            arcs["p"].to_numpy()[eligible],
            arcs["s"].to_numpy()[eligible],
            arcs["km"].to_numpy()[eligible],
        )
        flow = np.zeros(len(arcs), dtype=np.int64)
        flow[eligible] = solution.flow
        arcs["flow"] = flow
    with _timed("tabulate", timings, note):
        producers["allocated"] = _sum_by(arcs, "p", len(producers))
        stores["allocated"] = _sum_by(arcs, "s", len(stores))
        allocations = _allocations(arcs, producers, stores)
        explain = _Reasons(producers, stores, arcs, backend, inputs, config)
        unmet = explain.unmet()
        unused = explain.unused()
    return Result(
        config=config,
        producers=producers,
        stores=stores,
        allocations=allocations,
        unmet_demand=unmet,
        unused_supply=unused,
        rejected_rows=inputs.rejected_rows,
        fixed_rows=inputs.fixed_rows,
        files=inputs.files,
        candidates=int(eligible.sum()),
        arcs=arcs,
        rules=inputs.rules,
        zone_map=inputs.zone_map,
        cost_scale=solution.cost_scale,
        distance=backend.params(),
        boundaries=inputs.boundaries.source,
        timings=timings,
        backend=backend,
    )


@contextmanager
def _timed(stage: str, timings: dict[str, float], note: Progress) -> Iterator[None]:
    note(stage)
    start = time.perf_counter()
    yield
    timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start


def _check_product_columns(val_p: Validated, val_s: Validated) -> None:
    has_p = "product" in val_p.table.frame.attrs.get("present", ())
    has_s = "product" in val_s.table.frame.attrs.get("present", ())
    if has_p != has_s:
        with_it, without = (val_p, val_s) if has_p else (val_s, val_p)
        raise InputError(
            f"{with_it.table.path} has a product column but {without.table.path} has none; "
            "add a product column to both files, or remove it from both so that everything "
            "matches everything"
        )


def _prepare(rows: pd.DataFrame) -> pd.DataFrame:
    """Sort rows by (id, product) so that arc order, and hence ties, are canonical."""
    out = rows.sort_values(["id", "product_key"], kind="stable").reset_index(drop=True)
    return out


def _name_products(producers: pd.DataFrame, stores: pd.DataFrame) -> None:
    """One display spelling per product key: the first in sort order of all spellings."""
    spellings = pd.concat(
        [producers[["product_key", "product"]], stores[["product_key", "product"]]]
    )
    names = spellings.sort_values(["product_key", "product"]).drop_duplicates("product_key")
    mapping = dict(zip(names["product_key"], names["product"], strict=True))
    producers["product"] = producers["product_key"].map(mapping).astype(object)
    stores["product"] = stores["product_key"].map(mapping).astype(object)


def _sites(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the unique points of the rows: (site index per row, site lon, site lat)."""
    if rows.empty:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    coords = rows[["lon", "lat"]].to_numpy(dtype=float)
    uniq, inverse = np.unique(coords, axis=0, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), uniq[:, 0], uniq[:, 1]


def point_keys(rows: pd.DataFrame, backend: DistanceBackend) -> np.ndarray | None:
    """Return what a keyed backend (``matrix:``) knows the rows by: ids or kecamatan codes."""
    if backend.keyed_by is None:
        return None
    column = "id" if backend.keyed_by == "id" else "kecamatan_code"
    return rows[column].astype(str).to_numpy(dtype=object)


def _keyed_sites(
    rows: pd.DataFrame, backend: DistanceBackend
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Like :func:`_sites`, also told apart by the backend's key: (site, lon, lat, key)."""
    keys = point_keys(rows, backend)
    if keys is None:
        return (*_sites(rows), None)
    frame = pd.DataFrame(
        {"key": keys, "lon": rows["lon"].to_numpy(float), "lat": rows["lat"].to_numpy(float)}
    )
    uniq = frame.drop_duplicates().sort_values(["key", "lon", "lat"]).reset_index(drop=True)
    site = frame.merge(uniq.reset_index(names="site"), on=["key", "lon", "lat"], how="left")
    return (
        site["site"].to_numpy(np.int64),
        uniq["lon"].to_numpy(float),
        uniq["lat"].to_numpy(float),
        uniq["key"].to_numpy(dtype=object),
    )


def _categorise(
    producers: pd.DataFrame, stores: pd.DataFrame, rules: Rules, config: AssignConfig
) -> None:
    """Give every row its category key: its own cell, else the rules' ``[products]``."""
    for rows in (producers, stores):
        # few distinct (product, category) pairs: resolve each once, then map
        pairs = pd.MultiIndex.from_arrays([rows["product_key"], rows["category"]])
        uniq = pairs.unique()
        resolved = {pair: rules.category_of(*pair) for pair in uniq}
        rows["category"] = (
            pd.Series([resolved[pair] for pair in uniq], index=uniq, dtype=object)
            .reindex(pairs)
            .to_numpy()
        )
        rows["category"] = rows["category"].astype(object)
    if config.config_file is not None:
        used = set(producers["category"]) | set(stores["category"])
        check_categories_used(rules, used - {""}, config.config_file)


def _candidates(
    producers: pd.DataFrame,
    stores: pd.DataFrame,
    backend: DistanceBackend,
    inputs: Inputs,
    *,
    max_km: float,
    max_minutes: float | None = None,
) -> pd.DataFrame:
    """Same-product pairs within the largest limit, each with its rule code (0 = eligible).

    The backend's search uses the largest distance limit of any category (and the travel-time
    bound); each pair is then judged by :func:`umkm_alloc.rules.evaluate` (its category's
    limit, chain, forbid, zones) on its road km.
    """
    columns = {"p": np.int64, "s": np.int64, "km": float, "minutes": float, "code": np.int8}
    p_rows = producers[producers["qty"] > 0]
    s_rows = stores[stores["qty"] > 0]
    p_rows = p_rows[p_rows["product_key"].isin(set(s_rows["product_key"]))]
    s_rows = s_rows[s_rows["product_key"].isin(set(p_rows["product_key"]))]
    if p_rows.empty or s_rows.empty:
        return pd.DataFrame({k: pd.Series(dtype=v) for k, v in columns.items()})
    reach = max_limit_km(inputs.rules, max_km)
    if isinstance(backend, GeodesicBackend):
        arcs = _straight_arcs(p_rows, s_rows, backend, reach)
    else:
        arcs = _site_arcs(p_rows, s_rows, backend, reach, max_minutes)
    arcs = arcs.sort_values(["p", "s"], kind="stable").reset_index(drop=True)
    arcs["code"] = _codes(producers, stores, arcs, inputs, max_km)
    if max_minutes is not None:  # the time bound is part of the distance rule
        beyond = arcs["minutes"].to_numpy() > max_minutes
        arcs.loc[beyond, "code"] = BEYOND_DISTANCE
    return arcs[list(columns)].astype(columns)


def _straight_arcs(
    p_rows: pd.DataFrame, s_rows: pd.DataFrame, backend: GeodesicBackend, reach: float
) -> pd.DataFrame:
    """Same-product pairs within ``reach``, one spatial query per product (no merges).

    Straight-line distance is cheap, so querying each product's rows directly beats
    finding pairs of all points and joining the products afterwards.
    """
    parts = []
    stores_by_key = dict(list(s_rows.groupby("product_key", sort=True)))
    for key, pg in p_rows.groupby("product_key", sort=True):
        sg = stores_by_key[key]
        pairs = backend.pairs_within(
            pg["lon"].to_numpy(dtype=float),
            pg["lat"].to_numpy(dtype=float),
            sg["lon"].to_numpy(dtype=float),
            sg["lat"].to_numpy(dtype=float),
            max_km=reach,
        )
        parts.append(
            pd.DataFrame(
                {
                    "p": pg.index.to_numpy()[pairs.left],
                    "s": sg.index.to_numpy()[pairs.right],
                    "km": pairs.km,
                    "minutes": np.nan,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _site_arcs(
    p_rows: pd.DataFrame,
    s_rows: pd.DataFrame,
    backend: DistanceBackend,
    reach: float,
    max_minutes: float | None,
) -> pd.DataFrame:
    """Pairs of distinct points (one road search per point), joined to same-product rows."""
    p_site, p_lon, p_lat, p_keys = _keyed_sites(p_rows, backend)
    s_site, s_lon, s_lat, s_keys = _keyed_sites(s_rows, backend)
    pairs: Pairs = backend.pairs_within(
        p_lon,
        p_lat,
        s_lon,
        s_lat,
        max_km=reach,
        max_minutes=max_minutes,
        p_keys=p_keys,
        s_keys=s_keys,
    )
    minutes = np.full(len(pairs.km), np.nan) if pairs.minutes is None else pairs.minutes
    site_pairs = pd.DataFrame(
        {"ps": pairs.left, "ss": pairs.right, "km": pairs.km, "minutes": minutes}
    )
    left = pd.DataFrame(
        {"p": p_rows.index.to_numpy(), "ps": p_site, "key": p_rows["product_key"].to_numpy()}
    )
    right = pd.DataFrame(
        {"s": s_rows.index.to_numpy(), "ss": s_site, "key": s_rows["product_key"].to_numpy()}
    )
    return site_pairs.merge(left, on="ps").merge(right, on=["ss", "key"])


def _codes(
    producers: pd.DataFrame,
    stores: pd.DataFrame,
    arcs: pd.DataFrame,
    inputs: Inputs,
    max_km: float,
) -> np.ndarray:
    """Rule code of each arc (see :func:`umkm_alloc.rules.evaluate`)."""
    pi, si = arcs["p"].to_numpy(), arcs["s"].to_numpy()
    p_cat = producers["category"].to_numpy(dtype=object)[pi]
    s_cat = stores["category"].to_numpy(dtype=object)[si]
    category = np.where(p_cat != "", p_cat, s_cat)
    return evaluate(
        inputs.rules,
        inputs.zone_map,
        p_kec=pd.Categorical(producers["kecamatan_code"]).take(pi),
        s_kec=pd.Categorical(stores["kecamatan_code"]).take(si),
        category=pd.Categorical(category),
        chain=pd.Categorical(stores["chain"].map(chain_key)).take(si),
        km=arcs["km"].to_numpy(),
        default_max_km=max_km,
    )


def _sum_by(arcs: pd.DataFrame, col: str, n: int) -> np.ndarray:
    return np.bincount(arcs[col].to_numpy(), weights=arcs["flow"].to_numpy(), minlength=n).astype(
        np.int64
    )


def _allocations(arcs: pd.DataFrame, producers: pd.DataFrame, stores: pd.DataFrame) -> pd.DataFrame:
    used = arcs[arcs["flow"] > 0]
    p = producers.iloc[used["p"].to_numpy()].reset_index(drop=True)
    s = stores.iloc[used["s"].to_numpy()].reset_index(drop=True)
    table = pd.DataFrame(
        {
            "producer_id": p["id"],
            "producer_name": p["name"],
            "store_id": s["id"],
            "store_name": s["name"],
            "product": p["product"],
            "quantity": used["flow"].to_numpy().astype(np.int64),
            "distance_km": np.round(used["km"].to_numpy(), 3),
            "producer_kecamatan": p["kecamatan_name"],
            "store_kecamatan": s["kecamatan_name"],
        },
        columns=ALLOCATION_COLUMNS,
    )
    return table.sort_values(["producer_id", "store_id", "product"], kind="stable").reset_index(
        drop=True
    )


def _id_lists(rows: np.ndarray, other: np.ndarray, ids: pd.Series) -> dict[int, tuple[int, str]]:
    """Per row: how many distinct ids, and the first few in sort order ("a, b, c and 4 more").

    ``other`` indexes ``ids`` (the other side's ids). Vectorised: ids are compared as codes
    and only the first :data:`_LIST_IDS` of each row are turned into text.
    """
    if len(rows) == 0:
        return {}
    codes, uniques = pd.factorize(ids.astype(str), sort=True)
    names = np.asarray(uniques, dtype=object)
    width = len(names) + 1
    key = np.unique(rows.astype(np.int64) * width + codes[other])
    row, code = key // width, key % width
    starts = np.r_[0, np.flatnonzero(np.diff(row)) + 1]
    counts = np.diff(np.r_[starts, len(row)])
    out: dict[int, tuple[int, str]] = {}
    for start, count in zip(starts.tolist(), counts.tolist(), strict=True):
        shown = ", ".join(names[code[start : start + min(count, _LIST_IDS)]])
        more = f" and {count - _LIST_IDS} more" if count > _LIST_IDS else ""
        out[int(row[start])] = (count, shown + more)
    return out


def _nearest(
    rows: pd.DataFrame, others: pd.DataFrame, backend: DistanceBackend
) -> dict[int, tuple[int, float]]:
    """For each row, the nearest row of ``others`` with the same product: (index, road km).

    The nearest point in degree space bounds the search; every point within a slightly
    larger degree radius is then measured exactly, so the answer is the geodesic nearest
    (ties broken by id).
    """
    out: dict[int, tuple[int, float]] = {}
    for key, group in rows.groupby("product_key", sort=True):
        cands = others[others["product_key"] == key]
        if cands.empty:
            continue
        c_pts = shapely.points(cands["lon"].to_numpy(), cands["lat"].to_numpy())
        g_pts = shapely.points(group["lon"].to_numpy(), group["lat"].to_numpy())
        tree = shapely.STRtree(c_pts)
        first = tree.nearest(g_pts)
        reach = shapely.distance(g_pts, c_pts[first]) * 1.05 + 1e-9
        gi, ci = tree.query(g_pts, predicate="dwithin", distance=reach)
        km = backend.distance_km(
            group["lon"].to_numpy()[gi],
            group["lat"].to_numpy()[gi],
            cands["lon"].to_numpy()[ci],
            cands["lat"].to_numpy()[ci],
        )
        ids = cands["id"].to_numpy()[ci].astype(str)
        order = np.lexsort((ids, km, gi))
        gi, ci, km = gi[order], ci[order], km[order]
        lead = np.r_[True, gi[1:] != gi[:-1]]
        for g, c, d in zip(gi[lead], ci[lead], km[lead], strict=True):
            out[int(group.index[g])] = (int(cands.index[c]), float(d))
    return out


class _Reasons:
    """Why a store row is short or a producer row has capacity left, in one vocabulary.

    ``kind`` is one of ``no_producer`` / ``no_store`` (nobody offers or orders the product),
    ``beyond_distance`` (the nearest one is beyond the distance or time limit), ``no_route``
    (a road or matrix backend has no route from this row to any of them: a point farther than
    ``--max-snap-m`` from every road, an id missing from the matrix, or no route within
    :data:`HORIZON` times the limit), ``chain``, ``forbid``, ``zone_mode`` (every pair in
    reach is excluded by that rule: the nearest one's rule is named), ``capacity_used`` /
    ``demand_met`` (the pairs in reach are used up; in a maximum flow that is always why).
    """

    def __init__(
        self,
        producers: pd.DataFrame,
        stores: pd.DataFrame,
        arcs: pd.DataFrame,
        backend: DistanceBackend,
        inputs: Inputs,
        config: AssignConfig,
    ) -> None:
        self.producers, self.stores, self.arcs = producers, stores, arcs
        self.backend, self.inputs = backend, inputs
        self.max_km, self.max_minutes = config.max_km, config.max_minutes
        self.by_road = not isinstance(backend, GeodesicBackend)

    def unmet(self) -> pd.DataFrame:
        """Return the unmet-demand table with reasons."""
        short = self.stores[self.stores["qty"] > self.stores["allocated"]]
        kinds, reasons = self._explain(short, side="s", others=self.producers, what="producer")
        table = pd.DataFrame(
            {
                "store_id": short["id"],
                "store_name": short["name"],
                "product": short["product"],
                "demand": short["qty"].astype(np.int64),
                "allocated": short["allocated"].astype(np.int64),
                "unmet": (short["qty"] - short["allocated"]).astype(np.int64),
                "reason": reasons,
                "kind": kinds,
            },
            columns=[*UNMET_COLUMNS, "kind"],
        )
        return table.sort_values(["store_id", "product"], kind="stable").reset_index(drop=True)

    def unused(self) -> pd.DataFrame:
        """Return the unused-supply table with reasons."""
        spare = self.producers[self.producers["qty"] > self.producers["allocated"]]
        kinds, reasons = self._explain(spare, side="p", others=self.stores, what="store")
        table = pd.DataFrame(
            {
                "producer_id": spare["id"],
                "producer_name": spare["name"],
                "product": spare["product"],
                "capacity": spare["qty"].astype(np.int64),
                "allocated": spare["allocated"].astype(np.int64),
                "unused": (spare["qty"] - spare["allocated"]).astype(np.int64),
                "reason": reasons,
                "kind": kinds,
            },
            columns=[*UNUSED_COLUMNS, "kind"],
        )
        return table.sort_values(["producer_id", "product"], kind="stable").reset_index(drop=True)

    def _explain(
        self, rows: pd.DataFrame, *, side: str, others: pd.DataFrame, what: str
    ) -> tuple[list[str], list[str]]:
        other_side = "p" if side == "s" else "s"
        arcs = self.arcs
        # only the arcs of the rows being explained (short stores / spare producers)
        arcs = arcs[arcs[side].isin(rows.index)]
        in_reach = arcs[arcs["code"] != BEYOND_DISTANCE]
        eligible = in_reach[in_reach["code"] == ELIGIBLE]
        elig_ids = _id_lists(
            eligible[side].to_numpy(), eligible[other_side].to_numpy(), others["id"]
        )
        excluded = in_reach[in_reach["code"] != ELIGIBLE]
        excluded = excluded.assign(oid=others["id"].to_numpy()[excluded[other_side].to_numpy()])
        excluded = excluded.sort_values([side, "km", "oid"], kind="stable")
        first_excl = excluded.drop_duplicates(side).set_index(side)
        n_excl = excluded.groupby(side).size().to_dict()
        offered = others[others["qty"] > 0]
        keys = set(offered["product_key"])
        far_rows = rows[~rows.index.isin(list(elig_ids)) & ~rows.index.isin(first_excl.index)]
        far_rows = far_rows[far_rows["product_key"].isin(keys)]
        if self.by_road:
            notes = self._unroutable(far_rows, side)
            routable = far_rows[~far_rows.index.isin(list(notes))]
            routed = self._nearest_routed(routable, offered, side)
        else:
            nearest = _nearest(far_rows, offered, self.backend)
        verb = "used by other stores" if side == "s" else ""
        other_ids = others["id"].to_numpy(dtype=object)
        kinds: list[str] = []
        reasons: list[str] = []
        for idx, key, product in zip(rows.index, rows["product_key"], rows["product"], strict=True):
            label = product or "any product"
            if idx in elig_ids:
                count, shown = elig_ids[idx]
                if side == "s":
                    kinds.append("capacity_used")
                    reasons.append(
                        f"capacity of the {count} producer(s) in reach ({shown}) is {verb}"
                    )
                else:
                    kinds.append("demand_met")
                    reasons.append(f"the {count} store(s) in reach ({shown}) are fully supplied")
            elif idx in first_excl.index:
                arc = first_excl.loc[idx]
                code = int(arc["code"])
                kinds.append(REASONS[code])
                more = int(n_excl[idx]) - 1
                also = f" (and {more} more in reach, all excluded)" if more else ""
                reasons.append(
                    f"nearest {what} of {label} in reach ({arc['oid']}, {arc['km']:.1f} km) is "
                    f"excluded: {self._rule_text(code, arc, side)}{also}"
                )
            elif key not in keys:
                kinds.append("no_producer" if side == "s" else "no_store")
                reasons.append(
                    f"no producer offers {label}" if side == "s" else f"no store orders {label}"
                )
            elif self.by_road:
                kind, text = self._far_reason(idx, label, what, side, others, notes, routed)
                kinds.append(kind)
                reasons.append(text)
            else:
                other, km = nearest[int(idx)]
                category = self._category(idx, other, side)
                kinds.append("beyond_distance")
                reasons.append(
                    f"nearest {what} of {label} ({other_ids[other]}) is {km:.1f} km away, "
                    f"beyond the {self._limit_phrase(category)}"
                )
        return kinds, reasons

    # -- road and matrix backends: reasons from measured routes, never "inf km"

    def _unroutable(self, rows: pd.DataFrame, side: str) -> dict[int, str]:
        """Rows whose point can have no route at all, with the backend's words for why."""
        if rows.empty:
            return {}
        notes = self.backend.unroutable(
            rows["lon"].to_numpy(float),
            rows["lat"].to_numpy(float),
            keys=point_keys(rows, self.backend),
            side="store" if side == "s" else "producer",
        )
        return {int(i): n for i, n in zip(rows.index, notes, strict=True) if n}

    def _horizon(self) -> tuple[float, float]:
        """How far (km, minutes) the search for the nearest route of a far row goes."""
        reach = max_limit_km(self.inputs.rules, self.max_km)
        minutes = math.inf if self.max_minutes is None else HORIZON * self.max_minutes
        return HORIZON * reach, minutes

    def _nearest_routed(
        self, rows: pd.DataFrame, others: pd.DataFrame, side: str
    ) -> dict[int, tuple[int, float, float]]:
        """For each row, the other row of its product nearest by route: (index, km, minutes).

        Rows without a route within the horizon are left out. The search is pre-filtered by
        straight-line distance when the backend's routes are never shorter than it.
        """
        out: dict[int, tuple[int, float, float]] = {}
        horizon_km, horizon_min = self._horizon()
        radius = horizon_km if self.backend.straight_line_bound else math.inf
        by_time = self.max_minutes is not None and self.backend.has_minutes
        for key, group in rows.groupby("product_key", sort=True):
            cands = others[others["product_key"] == key]
            gi, ci, _ = straight_pairs_within(
                group["lon"].to_numpy(float),
                group["lat"].to_numpy(float),
                cands["lon"].to_numpy(float),
                cands["lat"].to_numpy(float),
                radius,
            )
            if len(gi) == 0:
                continue
            g_rows, c_rows = group.iloc[gi], cands.iloc[ci]
            p_rows, s_rows = (c_rows, g_rows) if side == "s" else (g_rows, c_rows)
            km, minutes = self.backend.travel(
                p_rows["lon"].to_numpy(float),
                p_rows["lat"].to_numpy(float),
                s_rows["lon"].to_numpy(float),
                s_rows["lat"].to_numpy(float),
                p_keys=point_keys(p_rows, self.backend),
                s_keys=point_keys(s_rows, self.backend),
                max_km=horizon_km,
                max_minutes=horizon_min,
            )
            mins = np.full(len(km), np.nan) if minutes is None else minutes
            cost = mins if by_time else km
            ids = c_rows["id"].to_numpy().astype(str)
            found = np.flatnonzero(np.isfinite(cost))
            order = found[np.lexsort((ids[found], cost[found], gi[found]))]
            lead = order[np.r_[True, gi[order][1:] != gi[order][:-1]]] if len(order) else order
            for j in lead:
                out[int(group.index[gi[j]])] = (int(cands.index[ci[j]]), km[j], mins[j])
        return out

    def _far_reason(
        self,
        idx: int,
        label: str,
        what: str,
        side: str,
        others: pd.DataFrame,
        notes: dict[int, str],
        routed: dict[int, tuple[int, float, float]],
    ) -> tuple[str, str]:
        """Kind and text for a row with no pair in reach, on a road or matrix backend."""
        word = self.backend.route_word
        if int(idx) in notes:
            return "no_route", f"{notes[int(idx)]}: no {word} route to any {what} of {label}"
        if int(idx) not in routed:
            return "no_route", self._no_route_text(idx, label, what, side, others)
        other, km, minutes = routed[int(idx)]
        oid = others["id"].at[other]
        head = (
            f"nearest {what} of {label} by road ({oid})"
            if word == "road"
            else f"nearest {what} of {label} listed in the matrix ({oid})"
        )
        category = self._category(idx, other, side)
        limit = self.inputs.rules.limit_km(category, self.max_km)
        if self.max_minutes is not None and km <= limit and minutes > self.max_minutes:
            return "beyond_distance", (
                f"{head} is {minutes:.0f} min away ({km:.1f} km), beyond the "
                f"{self.max_minutes:g} min limit (--max-minutes)"
            )
        return "beyond_distance", (
            f"{head} is {km:.1f} km away, beyond the {self._limit_phrase(category)}"
        )

    def _no_route_text(
        self, idx: int, label: str, what: str, side: str, others: pd.DataFrame
    ) -> str:
        word = self.backend.route_word
        if not self.backend.straight_line_bound:
            return f"no {word} route to any {what} of {label} ({self.backend.describe()})"
        horizon_km, horizon_min = self._horizon()
        bounds = [f"{horizon_km:g} km"] if math.isfinite(horizon_km) else []
        bounds += [f"{horizon_min:g} min"] if math.isfinite(horizon_min) else []
        row = (self.stores if side == "s" else self.producers).loc[[idx]]
        offered = others[(others["qty"] > 0) & (others["product_key"] == row["product_key"].iat[0])]
        straight = _nearest(row, offered, GeodesicBackend(circuity=1.0))
        text = f"no {word} route to any {what} of {label} within {' / '.join(bounds)}"
        if int(idx) in straight:
            other, km = straight[int(idx)]
            oid = others["id"].at[other]
            text += f"; the nearest in a straight line ({oid}) is {km:.1f} km away"
        return text

    @cached_property
    def _categories(self) -> tuple[np.ndarray, np.ndarray]:
        # rows are in RangeIndex order (see _prepare): labels are positions
        return (
            self.producers["category"].to_numpy(dtype=object),
            self.stores["category"].to_numpy(dtype=object),
        )

    def _category(self, row: int, other: int, side: str) -> str:
        p, s = (other, row) if side == "s" else (row, other)
        p_cat, s_cat = self._categories
        return str(p_cat[p]) or str(s_cat[s])

    def _limit_phrase(self, category: str) -> str:
        rules = self.inputs.rules
        limit = rules.limit_km(category, self.max_km)
        if rules.categories.get(category) is not None:
            label = rules.category_label(category)
            return f"{limit:g} km limit for {label} ([categories.{label}] max_km)"
        return f"{limit:g} km limit"

    def _rule_text(self, code: int, arc: pd.Series, side: str) -> str:
        row, other = int(arc.name), int(arc["p" if side == "s" else "s"])
        p, s = (other, row) if side == "s" else (row, other)
        return reason_text(
            code,
            self.inputs.rules,
            self.inputs.zone_map,
            p_kec=str(self.producers["kecamatan_code"].at[p]),
            s_kec=str(self.stores["kecamatan_code"].at[s]),
            category=self._category(row, other, side),
            chain=chain_key(str(self.stores["chain"].at[s])),
            km=float(arc["km"]),
            default_max_km=self.max_km,
        )


def _stack(
    parts: list[pd.DataFrame], columns: list[str], val_p: Validated, val_s: Validated
) -> pd.DataFrame:
    """Concatenate per-file row tables, sorted by file (producers first) and line."""
    kept = [p for p in parts if len(p)]
    if not kept:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        return empty.astype({"line": np.int64})
    table = pd.concat(kept, ignore_index=True)
    order = {str(val_p.table.path): 0, str(val_s.table.path): 1}
    table["_f"] = table["file"].map(order)
    table = table.sort_values(["_f", "line"], kind="stable").drop(columns="_f")
    table["line"] = table["line"].astype(np.int64)
    return table.reset_index(drop=True)[columns]


def _counts(
    val: Validated, accepted: int, rejected: pd.DataFrame, fixed: pd.DataFrame
) -> FileCounts:
    path = str(val.table.path)
    n_rej = int((rejected["file"] == path).sum()) if len(rejected) else 0
    n_fix = int((fixed["file"] == path).sum()) if len(fixed) else 0
    return FileCounts(
        path=path, read=accepted + n_rej, accepted=accepted, rejected=n_rej, fixed=n_fix
    )
