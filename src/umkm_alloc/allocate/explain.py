"""Why a store got what it got, and where a producer's capacity went: plain tables.

``explain`` looks at one allocation (a :class:`~umkm_alloc.allocate.Result`) from one store
or one producer: every producer of the store's products (or every store ordering the
producer's products) with the road distance, how their zones relate, the first rule that
excludes the pair or, when it is eligible, how much flows here and where the rest went,
and on which delivery trip of the producer, at which stop, it rides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from umkm_alloc.allocate.pipeline import Result
from umkm_alloc.distance import DistanceBackend, Points, backend_for
from umkm_alloc.errors import UsageError
from umkm_alloc.rules.model import BEYOND_DISTANCE, ELIGIBLE, REASONS, product_key

if TYPE_CHECKING:
    from umkm_alloc.routes.model import RoutePlan

EXPLAIN_COLUMNS = [
    "store_id",
    "store_name",
    "product",
    "demand",
    "received",
    "producer_id",
    "producer_name",
    "capacity",
    "producer_kecamatan",
    "store_kecamatan",
    "producer_zone",
    "store_zone",
    "zone_relation",
    "distance_km",
    "minutes",
    "status",
    "rule_kind",
    "rule",
    "quantity",
    "producer_sends_elsewhere",
    "producer_unused",
    "store_receives_elsewhere",
    "trip",
    "stop",
]


def explain(
    result: Result,
    *,
    store: str | None = None,
    producer: str | None = None,
    product: str | None = None,
) -> pd.DataFrame:
    """Every (producer, store) pair of the same product around one store or one producer.

    Parameters
    ----------
    result
        The allocation to explain.
    store, producer
        The id to look from (at least one). With both, only pairs of those two.
    product
        Only this product (matched like the tables: trimmed, case-folded).

    Returns
    -------
    pandas.DataFrame
        :data:`EXPLAIN_COLUMNS`, one row per pair, sorted by store, product, distance and
        producer. ``distance_km`` and ``minutes`` (travel time, when the backend has it) are
        empty (NaN) where the backend has no road or listed route. ``status`` is ``eligible``
        or ``excluded``; ``rule`` is the first rule that excludes the pair in words (when it is
        the distance and another rule would also exclude the pair, that one follows after
        ``; also``) and ``rule_kind`` its machine name (:data:`umkm_alloc.rules.REASONS`; no
        route and ``--max-minutes`` count as ``beyond_distance``); ``quantity`` is what flows
        on the pair; ``trip`` and ``stop`` where it rides in the producer's delivery trips
        (planned with the run's route options, see :func:`producer_trips`; ``1;3`` and
        ``2;1`` when a store's units take two trips; empty where nothing flows). In a fair
        mode (``--objective fair``, ``--min-order``, ``--fairness-budget``) the columns of
        :data:`umkm_alloc.allocate.explain_fair.WHY_COLUMNS` follow: each row's producer's
        share, fair share, and why it got no more.
    """
    if store is None and producer is None:
        raise UsageError("explain needs --store ID or --producer ID (or both)")
    stores = _select(result, result.stores, store, "store", product)
    producers = _select(result, result.producers, producer, "producer", product)
    keys = set(stores["product_key"]) & set(producers["product_key"])
    stores = stores[stores["product_key"].isin(keys)]
    producers = producers[producers["product_key"].isin(keys)]
    pairs = producers.reset_index(names="p").merge(
        stores.reset_index(names="s"), on="product_key", suffixes=("_p", "_s")
    )
    table = _describe(result, pairs)
    if result.fair is not None:  # a fair mode: why each producer got no more
        from umkm_alloc.allocate.explain_fair import add_limits

        table = add_limits(result, table)
    return table


def _select(
    result: Result, rows: pd.DataFrame, ident: str | None, what: str, product: str | None
) -> pd.DataFrame:
    if ident is not None:
        chosen = rows[rows["id"] == ident]
        if chosen.empty:
            raise UsageError(_not_found(result, ident, what))
        rows = chosen
    if product is not None:
        chosen = rows[rows["product_key"] == product_key(product)]
        if chosen.empty:
            offered = ", ".join(sorted(set(rows["product"]))) or "none"
            who = f"{what} {ident}" if ident is not None else f"any {what}"
            raise UsageError(f"--product {product!r}: not a product of {who}; it has: {offered}")
        rows = chosen
    return rows


def _not_found(result: Result, ident: str, what: str) -> str:
    path = result.config.stores if what == "store" else result.config.producers
    gone = result.rejected_rows[
        result.rejected_rows["file"].str.startswith(str(path))
        & (result.rejected_rows["id"] == ident)
    ]
    if len(gone):
        row = gone.iloc[0]
        return (
            f"--{what} {ident}: its row on line {row['line']} of {path} was rejected "
            f"({row['reason']}); fix it first"
        )
    return f"--{what} {ident}: no such {what} in {path}; check the id"


def _describe(result: Result, pairs: pd.DataFrame) -> pd.DataFrame:
    if pairs.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in EXPLAIN_COLUMNS})
    prods, stores, zone_map, judge = result.producers, result.stores, result.zone_map, result.judge
    backend = result.backend if result.backend is not None else backend_for(result.config)
    pi, si = pairs["p"].to_numpy(), pairs["s"].to_numpy()
    km, minutes = _measure(result, backend, pi, si)
    no_route = ~np.isfinite(km)
    codes = judge.codes(pi, si, km=km, minutes=minutes)
    why = _no_route_notes(result, backend, pi, si, no_route)
    # the rule that would exclude the pair even if it were near: shown beside a distance reason
    near_codes = judge.codes(pi, si, km=np.zeros(len(km)))
    flows = result.arcs.set_index(["p", "s"])["flow"]
    quantity = flows.reindex(list(zip(pi, si, strict=True)), fill_value=0).to_numpy()
    p_kec = prods["kecamatan_code"].to_numpy(dtype=object)[pi]
    s_kec = stores["kecamatan_code"].to_numpy(dtype=object)[si]
    table = pd.DataFrame(
        {
            "store_id": stores["id"].to_numpy()[si],
            "store_name": stores["name"].to_numpy()[si],
            "product": stores["product"].to_numpy()[si],
            "demand": stores["qty"].to_numpy()[si],
            "received": stores["allocated"].to_numpy()[si],
            "producer_id": prods["id"].to_numpy()[pi],
            "producer_name": prods["name"].to_numpy()[pi],
            "capacity": prods["qty"].to_numpy()[pi],
            "producer_kecamatan": prods["kecamatan_name"].to_numpy()[pi],
            "store_kecamatan": stores["kecamatan_name"].to_numpy()[si],
            "producer_zone": [zone_map.zone_of(c) for c in p_kec],
            "store_zone": [zone_map.zone_of(c) for c in s_kec],
            "zone_relation": [zone_map.relation(a, b) for a, b in zip(p_kec, s_kec, strict=True)],
            "distance_km": np.round(np.where(no_route, np.nan, km), 3),
            "minutes": np.round(np.where(np.isfinite(minutes), minutes, np.nan), 1),
            "status": ["eligible" if c == ELIGIBLE else "excluded" for c in codes],
            "rule_kind": ["" if c == ELIGIBLE else REASONS[int(c)] for c in codes],
            "rule": [
                _rule(result, backend, int(c), int(n), int(p), int(s), d, t, w)
                for c, n, p, s, d, t, w in zip(
                    codes, near_codes, pi, si, km, minutes, why, strict=True
                )
            ],
            "quantity": quantity.astype(np.int64),
        }
    )
    table["producer_sends_elsewhere"] = prods["allocated"].to_numpy()[pi] - table["quantity"]
    table["producer_unused"] = prods["qty"].to_numpy()[pi] - prods["allocated"].to_numpy()[pi]
    table["store_receives_elsewhere"] = table["received"] - table["quantity"]
    for col in ("demand", "received", "capacity"):
        table[col] = table[col].astype(np.int64)
    table["trip"], table["stop"] = _trip_stops(result, table)
    table = table.sort_values(
        ["store_id", "product", "distance_km", "producer_id"], kind="stable"
    ).reset_index(drop=True)
    return table[EXPLAIN_COLUMNS]


def producer_trips(result: Result, producers: list[str]) -> RoutePlan:
    """Plan the delivery trips of some producers of a run (as ``assign --routes`` would).

    Parameters
    ----------
    result
        The run; its route options (``vehicle_capacity`` ...) and distance backend apply.
    producers
        Producer ids; a producer's trips depend only on its own deliveries, so they are
        the trips it has in the whole run's plan.

    Returns
    -------
    RoutePlan
        Only these producers' trips (``totals`` over them).
    """
    from umkm_alloc.routes.deliveries import plan_deliveries

    backend = result.backend if result.backend is not None else backend_for(result.config)
    return plan_deliveries(
        result.config,
        backend,
        result.allocations,
        result.producers,
        result.stores,
        only=producers,
    )


def _trip_stops(result: Result, table: pd.DataFrame) -> tuple[list[str], list[str]]:
    """``trip`` and ``stop`` of each pair that moves units (``;`` between several visits)."""
    moving = table["quantity"].to_numpy() > 0
    empty = [""] * len(table)
    if not moving.any():
        return empty, empty
    items = producer_trips(result, sorted(set(table.loc[moving, "producer_id"]))).items
    visits: dict[tuple[str, str, str], tuple[list[str], list[str]]] = {}
    for row in items.itertuples(index=False):
        trips, stops = visits.setdefault(
            (row.producer_id, row.store_id, product_key(row.product)), ([], [])
        )
        trips.append(str(row.trip))
        stops.append(str(row.stop))
    found = [
        visits.get((p, s, product_key(q)), ([], [])) if m else ([], [])
        for p, s, q, m in zip(
            table["producer_id"], table["store_id"], table["product"], moving, strict=True
        )
    ]
    return [";".join(t) for t, _ in found], [";".join(s) for _, s in found]


def _measure(
    result: Result, backend: DistanceBackend, pi: np.ndarray, si: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Km and minutes of (producer row, store row) pairs: the run's own where it measured them.

    The pairs the run found within reach keep the distance the solve used; the others (and
    travel times the run did not need) are measured by the backend (``inf``: no route).
    """
    arcs = result.arcs.set_index(["p", "s"])
    index = pd.MultiIndex.from_arrays([pi, si])
    km = arcs["km"].reindex(index).to_numpy(dtype=float, copy=True)
    minutes = (
        arcs["minutes"].reindex(index).to_numpy(dtype=float, copy=True)
        if "minutes" in arcs
        else np.full(len(pi), np.nan)
    )
    missing_km = np.isnan(km)
    todo = np.flatnonzero(missing_km | (np.isnan(minutes) & backend.has_minutes))
    if len(todo):
        prods, stores = result.producers, result.stores
        got_km, got_min = backend.travel(
            Points.of(prods.iloc[pi[todo]], backend), Points.of(stores.iloc[si[todo]], backend)
        )
        km[todo] = np.where(missing_km[todo], got_km, km[todo])
        if got_min is not None:
            minutes[todo] = got_min
    return km, minutes


def _no_route_notes(
    result: Result, backend: DistanceBackend, pi: np.ndarray, si: np.ndarray, no_route: np.ndarray
) -> list[str]:
    """For pairs without a route, why, when a point has no road or is not listed at all."""
    notes = [""] * len(pi)
    if not no_route.any():
        return notes
    found: dict[tuple[str, int], str] = {}
    for side, rows, idx in (("producer", result.producers, pi), ("store", result.stores, si)):
        wanted = np.unique(idx[no_route])
        texts = backend.unroutable(Points.of(rows.iloc[wanted], backend), side=side)
        found.update({(side, int(i)): t for i, t in zip(wanted, texts, strict=True) if t})
    for k in np.flatnonzero(no_route):
        parts = [found.get(("producer", int(pi[k])), ""), found.get(("store", int(si[k])), "")]
        notes[k] = "; ".join(p for p in parts if p)
    return notes


def _rule(
    result: Result,
    backend: DistanceBackend,
    code: int,
    near: int,
    p: int,
    s: int,
    km: float,
    minutes: float,
    why: str = "",
) -> str:
    """Return the first rule that excludes a pair in words (and the next, after distance)."""
    if code == ELIGIBLE:
        return ""

    def text(c: int) -> str:
        if c == BEYOND_DISTANCE and not np.isfinite(km):
            return f"no {backend.route_word} route ({why or backend.describe()})"
        return result.judge.text(c, p, s, km=km, minutes=minutes)

    if code == BEYOND_DISTANCE and near != ELIGIBLE:
        return f"{text(code)}; also {text(near)}"
    return text(code)
