"""Why a store row is short or a producer row has capacity left."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import shapely

from umkm_alloc.distance import DistanceBackend, Points, straight_pairs_within
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
    rows: pd.DataFrame, others: pd.DataFrame, factor: float
) -> dict[int, tuple[int, float]]:
    """For each row, the nearest row of ``others`` with the same product: (index, km).

    ``km`` is the straight line times ``factor`` (the backend's
    :attr:`~umkm_alloc.distance.DistanceBackend.straight_line_factor`). The nearest point in
    degree space bounds the search; every point within a slightly larger degree radius is
    then measured exactly, so the answer is the geodesic nearest (ties broken by id).
    """
    out: dict[int, tuple[int, float]] = {}
    for key, group in rows.groupby("product_key", sort=True):
        cands = others[others["product_key"] == key]
        if cands.empty:
            continue
        c_points, g_points = Points.of(cands), Points.of(group)
        c_pts, g_pts = c_points.shapely(), g_points.shapely()
        tree = shapely.STRtree(c_pts)
        first = tree.nearest(g_pts)
        reach = shapely.distance(g_pts, c_pts[first]) * 1.05 + 1e-9
        gi, ci = tree.query(g_pts, predicate="dwithin", distance=reach)
        km = g_points.take(gi).geodesic_km(c_points.take(ci)) * factor
        ids = cands["id"].to_numpy()[ci].astype(str)
        order = np.lexsort((ids, km, gi))
        gi, ci, km = gi[order], ci[order], km[order]
        lead = np.r_[True, gi[1:] != gi[:-1]]
        for g, c, d in zip(gi[lead], ci[lead], km[lead], strict=True):
            out[int(group.index[g])] = (int(cands.index[c]), float(d))
    return out


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
        Accepted rows with ``allocated``.
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
        kinds, reasons = self._explain(rows, side=side, others=others, what=what)
        ident, name, product, qty, allocated, left, reason = columns
        table = pd.DataFrame(
            {
                ident: rows["id"],
                name: rows["name"],
                product: rows["product"],
                qty: rows["qty"].astype(np.int64),
                allocated: rows["allocated"].astype(np.int64),
                left: (rows["qty"] - rows["allocated"]).astype(np.int64),
                reason: reasons,
                "kind": kinds,
            },
            columns=[*columns, "kind"],
        )
        return table.sort_values([ident, "product"], kind="stable").reset_index(drop=True)

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
        if self.routed:
            notes = self._unroutable(far_rows, side)
            routable = far_rows[~far_rows.index.isin(list(notes))]
            routed = self._nearest_routed(routable, offered, side)
        else:
            nearest = _nearest(far_rows, offered, self.backend.straight_line_factor or 1.0)
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
                rule = self.judge.text(
                    code, *_pair(int(idx), int(arc[other_side]), side), km=float(arc["km"])
                )
                reasons.append(
                    f"nearest {what} of {label} in reach ({arc['oid']}, {arc['km']:.1f} km) is "
                    f"excluded: {rule}{also}"
                )
            elif key not in keys:
                kinds.append("no_producer" if side == "s" else "no_store")
                reasons.append(
                    f"no producer offers {label}" if side == "s" else f"no store orders {label}"
                )
            elif self.routed:
                kind, text = self._far_reason(idx, label, what, side, others, notes, routed)
                kinds.append(kind)
                reasons.append(text)
            else:
                other, km = nearest[int(idx)]
                far = self.judge.beyond(*_pair(int(idx), other, side), km=km, nearest=True)
                kinds.append("beyond_distance")
                reasons.append(f"nearest {what} of {label} ({other_ids[other]}) {far}")
        return kinds, reasons

    # -- road and matrix backends: reasons from measured routes, never "inf km"

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
        straight = _nearest(row, offered, 1.0)
        text = f"no {word} route to any {what} of {label} within {' / '.join(bounds)}"
        if int(idx) in straight:
            other, km = straight[int(idx)]
            oid = others["id"].at[other]
            text += f"; the nearest in a straight line ({oid}) is {km:.1f} km away"
        return text
