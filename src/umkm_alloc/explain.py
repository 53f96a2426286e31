"""Why a store got what it got, and where a producer's capacity went: plain tables.

``explain`` looks at one allocation (a :class:`~umkm_alloc.pipeline.Result`) from one store
or one producer: every producer of the store's products (or every store ordering the
producer's products) with the road distance, how their zones relate, the first rule that
excludes the pair or, when it is eligible, how much flows here and where the rest went.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from umkm_alloc.distance import GeodesicBackend
from umkm_alloc.errors import UsageError
from umkm_alloc.pipeline import Result
from umkm_alloc.rules import (
    BEYOND_DISTANCE,
    ELIGIBLE,
    REASONS,
    chain_key,
    evaluate,
    product_key,
    reason_text,
)

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
    "status",
    "rule_kind",
    "rule",
    "quantity",
    "producer_sends_elsewhere",
    "producer_unused",
    "store_receives_elsewhere",
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
        producer. ``status`` is ``eligible`` or ``excluded``; ``rule`` is the first rule that
        excludes the pair in words (when it is the distance and another rule would also exclude
        the pair, that one follows after ``; also``) and ``rule_kind`` its machine name
        (:data:`umkm_alloc.rules.REASONS`); ``quantity`` is what flows on the pair.
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
    return _describe(result, pairs)


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
        (result.rejected_rows["file"] == str(path)) & (result.rejected_rows["id"] == ident)
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
    prods, stores, zone_map = result.producers, result.stores, result.zone_map
    backend = GeodesicBackend(circuity=result.config.circuity)
    pi, si = pairs["p"].to_numpy(), pairs["s"].to_numpy()
    km = backend.distance_km(
        prods["lon"].to_numpy()[pi],
        prods["lat"].to_numpy()[pi],
        stores["lon"].to_numpy()[si],
        stores["lat"].to_numpy()[si],
    )
    p_cat = prods["category"].to_numpy(dtype=object)[pi]
    category = np.where(p_cat != "", p_cat, stores["category"].to_numpy(dtype=object)[si])
    p_kec = prods["kecamatan_code"].to_numpy(dtype=object)[pi]
    s_kec = stores["kecamatan_code"].to_numpy(dtype=object)[si]
    chains = np.array([chain_key(c) for c in stores["chain"].to_numpy(dtype=object)[si]])
    codes = evaluate(
        result.rules,
        zone_map,
        p_kec=p_kec,
        s_kec=s_kec,
        category=category,
        chain=chains,
        km=km,
        default_max_km=result.config.max_km,
    )
    # the rule that would exclude the pair even if it were near: shown beside a distance reason
    near_codes = evaluate(
        result.rules,
        zone_map,
        p_kec=p_kec,
        s_kec=s_kec,
        category=category,
        chain=chains,
        km=np.zeros(len(km)),
        default_max_km=result.config.max_km,
    )
    flows = result.arcs.set_index(["p", "s"])["flow"]
    quantity = flows.reindex(list(zip(pi, si, strict=True)), fill_value=0).to_numpy()
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
            "distance_km": np.round(km, 3),
            "status": ["eligible" if c == ELIGIBLE else "excluded" for c in codes],
            "rule_kind": ["" if c == ELIGIBLE else REASONS[int(c)] for c in codes],
            "rule": [
                _rule(result, int(c), int(n), a, b, cat, ch, d)
                for c, n, a, b, cat, ch, d in zip(
                    codes, near_codes, p_kec, s_kec, category, chains, km, strict=True
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
    table = table.sort_values(
        ["store_id", "product", "distance_km", "producer_id"], kind="stable"
    ).reset_index(drop=True)
    return table[EXPLAIN_COLUMNS]


def _rule(
    result: Result, code: int, near: int, p_kec: str, s_kec: str, cat: str, chain: str, km: float
) -> str:
    """Return the first rule that excludes a pair in words (and the next, after distance)."""
    if code == ELIGIBLE:
        return ""

    def text(c: int) -> str:
        return reason_text(
            c,
            result.rules,
            result.zone_map,
            p_kec=p_kec,
            s_kec=s_kec,
            category=cat,
            chain=chain,
            km=km,
            default_max_km=result.config.max_km,
        )

    if code == BEYOND_DISTANCE and near != ELIGIBLE:
        return f"{text(code)}; also {text(near)}"
    return text(code)
