"""Why a store row is short or a producer row has capacity left.

Vectorised over the candidate pairs: the pairs of the rows being explained are picked by
position (the pair table is never copied), the ids in reach are counted and listed after one
sort of integer keys, and the texts of the commonest reason are assembled column-wise in Arrow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from umkm_alloc.distance import DistanceBackend, Points, straight_pairs_within
from umkm_alloc.ordering import id_ranks, text_order
from umkm_alloc.rules.judge import Judge
from umkm_alloc.rules.model import BEYOND_DISTANCE, ELIGIBLE, REASONS

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
class _Rows:
    """The rows being explained (short stores or spare producers) and the other side."""

    rows: pd.DataFrame
    side: str  # "s" or "p": the column of the pairs that holds these rows
    others: pd.DataFrame
    what: str  # "producer" or "store": what the other side's rows are called
    ranks: np.ndarray  # sort rank of every row of ``others`` by id
    names: np.ndarray  # the distinct ids of ``others``, sorted
    labels: np.ndarray  # the product of every row as the texts name it

    @property
    def other_side(self) -> str:
        return "p" if self.side == "s" else "s"

    def pair(self, pos: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the (producer, store) positions of rows at ``pos`` and other rows."""
        return (other, pos) if self.side == "s" else (pos, other)


def _id_lists(
    slots: np.ndarray, ranks: np.ndarray, names: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """Per slot: how many distinct ids, and the first few in sort order ("a, b, c and 4 more").

    ``slots`` (below ``n``) and ``ranks`` are the pairs (a row being explained, the rank of
    the other side's id in ``names``); one sort of their integer keys groups them by slot in
    id order (none when the pairs come by producer: their keys are sorted already).

    Returns
    -------
    slot, count, listed
        The slots with at least one id, their number of distinct ids and the list as text.
    """
    width = len(names) + 1
    key = slots.astype(np.int64) * width + ranks
    if len(key) > 1 and not (key[1:] >= key[:-1]).all():
        key.sort()
    counts = np.bincount(slots, minlength=n)
    if len(key) > 1 and not (key[1:] != key[:-1]).all():  # the same id twice counts once
        key = key[np.r_[True, key[1:] != key[:-1]]]
        counts = np.bincount(key // width, minlength=n)
    present = np.flatnonzero(counts)
    counts = counts[present]
    starts = np.cumsum(counts) - counts  # sorted by slot: each slot's ids are one run
    text = pa.array(names, type=pa.string())
    shown = []
    for j in range(_LIST_IDS):
        has = counts > j
        code = key[np.where(has, starts + j, starts)] % width
        shown.append(pc.if_else(pa.array(has), text.take(pa.array(code)), pa.scalar(None)))
    listed = pc.binary_join_element_wise(*shown, ", ", null_handling="skip")
    beyond = counts - _LIST_IDS
    more = pc.binary_join_element_wise(" and ", pc.cast(pa.array(beyond), pa.string()), " more", "")
    more = pc.if_else(pa.array(beyond > 0), more, pa.scalar(""))
    return present, counts, pc.binary_join_element_wise(listed, more, "")


def _nearest(
    keys: np.ndarray,
    points: Points,
    other_keys: np.ndarray,
    other_points: Points,
    factor: float,
    ranks: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each point, the nearest other point with the same product key.

    ``km`` is the straight line times ``factor`` (the backend's
    :attr:`~umkm_alloc.distance.DistanceBackend.straight_line_factor`). The nearest point in
    degree space bounds the search; every point within a slightly larger degree radius is
    then measured exactly, so the answer is the geodesic nearest (ties broken by id).

    Parameters
    ----------
    keys, points
        Product key and point of every row to search from.
    other_keys, other_points
        Product key and point of every row to find.
    factor
        Road km per straight-line km.
    ranks
        Sort rank by id of every other row (a tie of distance goes to the first id).

    Returns
    -------
    row, other, km
        For every row that has a nearest one: its position, the nearest one's position among
        the others, and the km to it.
    """
    found = []
    for key in sorted(set(keys)):
        g_pos = np.flatnonzero(keys == key)
        c_pos = np.flatnonzero(other_keys == key)
        if not len(c_pos):
            continue
        c_points, g_points = other_points.take(c_pos), points.take(g_pos)
        gi, ci = _within_nearest(g_points, c_points)
        km = g_points.take(gi).geodesic_km(c_points.take(ci)) * factor
        order = np.lexsort((ranks[c_pos[ci]], km, gi))
        gi, ci, km = gi[order], ci[order], km[order]
        lead = np.r_[True, gi[1:] != gi[:-1]]
        found.append((g_pos[gi[lead]], c_pos[ci[lead]], km[lead]))
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, float)
    row, other, km = (np.concatenate(part) for part in zip(*found, strict=True))
    return row, other, km


#: Up to this many (row, other) pairs a product's search measures every pair in degrees
#: instead of building shapely points and a tree (a run has few far rows: 210 on banten).
_DENSE_PAIRS = 2_000_000


def _within_nearest(points: Points, others: Points) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (point, other) within 1.05 x each point's nearest other, in degree space.

    The geodesic nearest lies among them (a degree of longitude is never shorter than 0.95 of
    one of latitude within Indonesia's latitudes). Few points against many others are measured
    densely, the same arithmetic as GEOS's distance, so both ways find the same pairs.
    """
    if len(points.lon) * len(others.lon) > _DENSE_PAIRS:
        c_pts, g_pts = others.shapely(), points.shapely()
        tree = shapely.STRtree(c_pts)
        reach = shapely.distance(g_pts, c_pts[tree.nearest(g_pts)]) * 1.05 + 1e-9
        return tree.query(g_pts, predicate="dwithin", distance=reach)
    dx = points.lon[:, None] - others.lon[None, :]
    dy = points.lat[:, None] - others.lat[None, :]
    degrees = np.sqrt(dx * dx + dy * dy)
    reach = degrees.min(axis=1) * 1.05 + 1e-9
    return np.nonzero(degrees <= reach[:, None])


def _pair(row: int, other: int, side: str) -> tuple[int, int]:
    """Return the (producer, store) positions of a row of ``side`` and another row."""
    return (other, row) if side == "s" else (row, other)


class Reasons:
    """Why a store row is short or a producer row has capacity left, in one vocabulary.

    ``kind`` is one of ``no_producer`` / ``no_store`` (nobody offers or orders the product),
    ``beyond_distance`` (the nearest one is beyond the distance or time limit), ``no_route``
    (a road or matrix backend has no route from this row to any of them: a point farther than
    ``--max-snap-m`` from every road, an id missing from the matrix, or no route within
    :data:`HORIZON` times the limit), ``chain``, ``forbid``, ``zone_mode`` (every pair in
    reach is excluded by that rule: the nearest one's rule is named), ``capacity_used`` /
    ``demand_met`` (the pairs in reach are used up; in a maximum flow that is always why).

    Parameters
    ----------
    producers, stores
        Accepted rows with ``allocated``, indexed by position (the pairs' ``p`` and ``s``).
    arcs
        The candidate pairs with their ``code`` and ``flow``.
    backend
        The run's distance backend (far rows are measured with it).
    judge
        The run's judge: the words of every rule.
    """

    def __init__(
        self,
        producers: pd.DataFrame,
        stores: pd.DataFrame,
        arcs: pd.DataFrame,
        backend: DistanceBackend,
        judge: Judge,
    ) -> None:
        self.producers, self.stores, self.arcs = producers, stores, arcs
        self.backend, self.judge = backend, judge
        # routes are measured (some pairs have none) unless distance is a straight-line factor
        self.routed = backend.straight_line_factor is None

    def unmet(self) -> pd.DataFrame:
        """Return the unmet-demand table with reasons (:data:`UNMET_COLUMNS` and ``kind``)."""
        short = self.stores[self.stores["qty"] > self.stores["allocated"]]
        return self._table(short, "s", self.producers, "producer", UNMET_COLUMNS)

    def unused(self) -> pd.DataFrame:
        """Return the unused-supply table with reasons (:data:`UNUSED_COLUMNS` and ``kind``)."""
        spare = self.producers[self.producers["qty"] > self.producers["allocated"]]
        return self._table(spare, "p", self.stores, "store", UNUSED_COLUMNS)

    def _table(
        self, rows: pd.DataFrame, side: str, others: pd.DataFrame, what: str, columns: list[str]
    ) -> pd.DataFrame:
        """Return the rows left short (or spare) with their reasons, by id and product."""
        ranks, names = id_ranks(others["id"])
        labels = [p or "any product" for p in rows["product"].to_numpy(dtype=object)]
        job = _Rows(rows, side, others, what, ranks, names, np.array(labels, dtype=object))
        kinds, reasons = self._explain(job)
        ident, name, product, qty, allocated, left, reason = columns
        demand, given = rows["qty"].to_numpy(), rows["allocated"].to_numpy()
        ids = rows["id"].to_numpy(dtype=object)
        products = rows["product"].to_numpy(dtype=object)
        # sorted by id and product before the table is made: its text is converted once
        order = text_order(ids, products) if len(rows) else np.zeros(0, dtype=np.int64)
        return pd.DataFrame(
            {
                ident: ids[order],
                name: rows["name"].to_numpy(dtype=object)[order],
                product: products[order],
                qty: demand.astype(np.int64)[order],
                allocated: given.astype(np.int64)[order],
                left: (demand - given).astype(np.int64)[order],
                reason: reasons[order],
                "kind": kinds[order],
            },
            columns=[*columns, "kind"],
        )

    def _explain(self, job: _Rows) -> tuple[np.ndarray, np.ndarray]:
        """Return the kind and the reason of every row being explained, in their order."""
        n = len(job.rows)
        kinds = np.full(n, "", dtype=object)
        reasons = np.full(n, "", dtype=object)
        if n == 0:
            return kinds, reasons
        # the slot (position among the rows explained) of each row of the side; -1: not one
        slot = np.full(len(self.stores if job.side == "s" else self.producers), -1, np.int64)
        slot[job.rows.index.to_numpy()] = np.arange(n)
        own = self.arcs[job.side].to_numpy()
        code = self.arcs["code"].to_numpy()
        mine = (slot >= 0)[own]  # the pairs of the rows explained
        done = np.zeros(n, dtype=bool)
        eligible = np.flatnonzero(mine & (code == ELIGIBLE))
        slots, texts = self._eligible(job, slot[own[eligible]], eligible)
        kinds[slots] = "capacity_used" if job.side == "s" else "demand_met"
        reasons[slots] = texts
        done[slots] = True
        excluded = np.flatnonzero(mine & (code != ELIGIBLE) & (code != BEYOND_DISTANCE))
        slots, kind, texts = self._excluded(job, slot[own[excluded]], excluded, done)
        kinds[slots], reasons[slots], done[slots] = kind, texts, True
        offered = job.others["qty"].to_numpy() > 0
        other_keys = job.others["product_key"].to_numpy(dtype=object)
        has_offer = job.rows["product_key"].isin(set(other_keys[offered])).to_numpy()
        none = ~done & ~has_offer
        kinds[none] = "no_producer" if job.side == "s" else "no_store"
        offers = "no producer offers" if job.side == "s" else "no store orders"
        reasons[none] = [f"{offers} {label}" for label in job.labels[none]]
        far = np.flatnonzero(~done & has_offer)
        if len(far) and self.routed:
            kind, texts = self._far_routed(job, far)
            kinds[far], reasons[far] = kind, texts
        elif len(far):
            kinds[far] = "beyond_distance"
            reasons[far] = self._far_straight(job, far, np.flatnonzero(offered))
        return kinds, reasons

    # -- rows with pairs in reach: used up, or every one excluded by a rule

    def _eligible(
        self, job: _Rows, slots: np.ndarray, arcs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rows with eligible pairs in reach: their capacity or demand is used up."""
        others = self.arcs[job.other_side].to_numpy()[arcs]
        slots, counts, listed = _id_lists(slots, job.ranks[others], job.names, len(job.rows))
        count = pc.cast(pa.array(counts), pa.string())
        if job.side == "s":
            words = ("capacity of the ", " producer(s) in reach (", ") is used by other stores")
        else:
            words = ("the ", " store(s) in reach (", ") are fully supplied")
        text = pc.binary_join_element_wise(words[0], count, words[1], listed, words[2], "")
        return slots, text.to_numpy(zero_copy_only=False)

    def _excluded(
        self, job: _Rows, slots: np.ndarray, arcs: np.ndarray, done: np.ndarray
    ) -> tuple[np.ndarray, list[str], list[str]]:
        """Rows whose pairs in reach are all excluded: the nearest one's rule (by km, then id)."""
        other = self.arcs[job.other_side].to_numpy()[arcs]
        km = self.arcs["km"].to_numpy()[arcs]
        order = np.lexsort((job.ranks[other], km, slots))  # stable: ties keep the pair order
        slots = slots[order]
        lead = np.flatnonzero(np.r_[True, slots[1:] != slots[:-1]]) if len(slots) else slots
        more = np.diff(np.r_[lead, len(slots)]) - 1
        first = order[lead]
        keep = ~done[slots[lead]]
        slots, more, first = slots[lead][keep], more[keep], first[keep]
        other, km = other[first], km[first]
        codes = self.arcs["code"].to_numpy()[arcs[first]].astype(np.int64)
        p, s = job.pair(job.rows.index.to_numpy()[slots], other)
        rules = self.judge.texts(codes, p, s, km=km)
        texts = [
            f"nearest {job.what} of {label} in reach ({oid}, {d:.1f} km) is excluded: {rule}"
            + (f" (and {m} more in reach, all excluded)" if m else "")
            for label, oid, d, rule, m in zip(
                job.labels[slots].tolist(),
                job.names[job.ranks[other]].tolist(),
                km.tolist(),
                rules,
                more.tolist(),
                strict=True,
            )
        ]
        return slots, [REASONS[c] for c in codes.tolist()], texts

    # -- rows with nobody in reach: the nearest one and why it is too far

    def _far_straight(self, job: _Rows, far: np.ndarray, offered: np.ndarray) -> np.ndarray:
        """Straight-line backends: the nearest row of the product, beyond the limit."""
        factor = self.backend.straight_line_factor or 1.0
        keys = job.rows["product_key"].to_numpy(dtype=object)[far]
        other_keys = job.others["product_key"].to_numpy(dtype=object)[offered]
        points, other_points = Points.of(job.rows), Points.of(job.others)
        at, near, km = _nearest(
            keys,
            points.take(far),
            other_keys,
            other_points.take(offered),
            factor,
            job.ranks[offered],
        )
        other = offered[near]
        p, s = job.pair(job.rows.index.to_numpy()[far[at]], job.others.index.to_numpy()[other])
        beyond = self.judge.beyond_many(p, s, km=km, nearest=True)
        texts = np.full(len(far), "", dtype=object)
        texts[at] = pc.binary_join_element_wise(
            f"nearest {job.what} of ",
            pa.array(job.labels[far[at]], pa.string()),
            " (",
            pa.array(job.names[job.ranks[other]], pa.string()),
            ") ",
            pa.array(beyond, pa.string()),
            "",
        ).to_numpy(zero_copy_only=False)
        return texts

    def _far_routed(self, job: _Rows, far: np.ndarray) -> tuple[list[str], list[str]]:
        """Road and matrix backends: reasons from measured routes, never "inf km"."""
        far_rows = job.rows.iloc[far]
        offered = job.others[job.others["qty"] > 0]
        notes = self._unroutable(far_rows, job.side)
        routable = far_rows[~far_rows.index.isin(list(notes))]
        routed = self._nearest_routed(routable, offered, job.side)
        kinds, texts = [], []
        for idx, label in zip(far_rows.index, job.labels[far].tolist(), strict=True):
            kind, text = self._far_reason(idx, label, job.what, job.side, job.others, notes, routed)
            kinds.append(kind)
            texts.append(text)
        return kinds, texts

    def _unroutable(self, rows: pd.DataFrame, side: str) -> dict[int, str]:
        """Rows whose point can have no route at all, with the backend's words for why."""
        if rows.empty:
            return {}
        notes = self.backend.unroutable(
            Points.of(rows, self.backend), side="store" if side == "s" else "producer"
        )
        return {int(i): n for i, n in zip(rows.index, notes, strict=True) if n}

    def _horizon(self) -> tuple[float, float]:
        """How far (km, minutes) the search for the nearest route of a far row goes."""
        max_minutes = self.judge.max_minutes
        minutes = math.inf if max_minutes is None else HORIZON * max_minutes
        return HORIZON * self.judge.reach_km, minutes

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
        by_time = self.judge.max_minutes is not None and self.backend.has_minutes
        for key, group in rows.groupby("product_key", sort=True):
            cands = others[others["product_key"] == key]
            gi, ci, _ = straight_pairs_within(Points.of(group), Points.of(cands), radius)
            if len(gi) == 0:
                continue
            g_rows, c_rows = group.iloc[gi], cands.iloc[ci]
            p_rows, s_rows = (c_rows, g_rows) if side == "s" else (g_rows, c_rows)
            km, minutes = self.backend.travel(
                Points.of(p_rows, self.backend),
                Points.of(s_rows, self.backend),
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
        far = self.judge.beyond(*_pair(int(idx), other, side), km=km, minutes=minutes, nearest=True)
        return "beyond_distance", f"{head} {far}"

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
        ranks, _ = id_ranks(offered["id"])
        at, near, km = _nearest(
            row["product_key"].to_numpy(dtype=object),
            Points.of(row),
            offered["product_key"].to_numpy(dtype=object),
            Points.of(offered),
            1.0,
            ranks,
        )
        text = f"no {word} route to any {what} of {label} within {' / '.join(bounds)}"
        if len(at):
            oid = offered["id"].iat[int(near[0])]
            text += f"; the nearest in a straight line ({oid}) is {km[0]:.1f} km away"
        return text
