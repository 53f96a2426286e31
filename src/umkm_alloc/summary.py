"""Statistics of a :class:`~umkm_alloc.allocate.Result`, as plain data (for JSON and display)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from umkm_alloc import __version__
from umkm_alloc.allocate.pipeline import Result
from umkm_alloc.rules.model import CHAIN, FORBID, ZONE_MODE


def summarize(result: Result) -> dict[str, Any]:
    """Return the run summary written to ``summary.json``.

    The content depends only on the inputs and parameters (no times, no absolute paths),
    so the same job always gives the same bytes.

    Parameters
    ----------
    result
        Output of :func:`umkm_alloc.allocate.assign`.

    Returns
    -------
    dict
        ``units``, ``fill_rate``, ``unit_km``, ``counts``, ``files``, ``params``,
        ``by_product`` and ``by_kecamatan``.
    """
    supply = int(result.producers["qty"].sum())
    demand = int(result.stores["qty"].sum())
    allocated = int(result.allocations["quantity"].sum())
    unit_km = float((result.allocations["quantity"] * result.allocations["distance_km"]).sum())
    return {
        "tool": {"name": "umkm-alloc", "version": __version__},
        "units": {
            "supply": supply,
            "demand": demand,
            "allocated": allocated,
            "unmet": demand - allocated,
            "unused": supply - allocated,
        },
        "fill_rate": _ratio(allocated, demand),
        "unit_km": round(unit_km, 3),
        "mean_km_per_unit": round(unit_km / allocated, 3) if allocated else None,
        "counts": {
            "producers": int(result.producers["id"].nunique()),
            "producer_rows": len(result.producers),
            "stores": int(result.stores["id"].nunique()),
            "store_rows": len(result.stores),
            "products": int(
                pd.concat([result.producers["product_key"], result.stores["product_key"]]).nunique()
            ),
            "candidate_pairs": result.candidates,
            "pairs_excluded_by_rules": int(
                result.arcs["code"].isin([CHAIN, FORBID, ZONE_MODE]).sum()
            ),
            "allocations": len(result.allocations),
            "unmet_rows": len(result.unmet_demand),
            "unused_rows": len(result.unused_supply),
            "rows_rejected": len(result.rejected_rows),
            "rows_fixed": len(result.fixed_rows),
            "rows_skipped": len(result.skipped_rows),
        },
        "files": {
            kind: {
                "path": fc.path,
                "rows_read": fc.read,
                "rows_accepted": fc.accepted,
                "rows_fixed": fc.fixed,
                "rows_rejected": fc.rejected,
                "rows_skipped": fc.skipped,
                "reading": fc.reading.to_dict(),
            }
            for kind, fc in zip(("producers", "stores"), result.files, strict=True)
        },
        "params": {
            **{k: v for k, v in result.config.params().items() if k not in ("producers", "stores")},
            "distance": result.distance,
            "cost_scale_per_km": result.cost_scale,
            "rules": rules_params(result),
        },
        "unmet_by_reason": reasons_count(result.unmet_demand),
        "unused_by_reason": reasons_count(result.unused_supply),
        "by_product": by_product(result),
        "by_kecamatan": by_kecamatan(result),
    }


def rules_params(result: Result) -> dict[str, Any]:
    """Return the supply rules of the run, for ``summary.json``."""
    rules = result.rules
    return {
        "source": str(rules.source) if rules.source else None,
        "mode": rules.mode,
        "zones": {name: list(codes) for name, codes in rules.zones.items()},
        "forbid": [list(pair) for pair in rules.forbid],
        "allow": [list(pair) for pair in rules.allow],
        "categories": {rules.category_label(k): v for k, v in sorted(rules.categories.items())},
        "chains": {
            rules.chain_label(k): (None if v is None else [rules.category_label(c) for c in v])
            for k, v in sorted(rules.chains.items())
        },
    }


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 6) if den else None


def by_product(result: Result) -> list[dict[str, Any]]:
    """Supply, demand and allocation per product, sorted by product."""
    p = result.producers.groupby("product", sort=True)[["qty", "allocated"]].sum()
    s = result.stores.groupby("product", sort=True)[["qty", "allocated"]].sum()
    table = p.add_suffix("_p").join(s.add_suffix("_s"), how="outer").fillna(0).sort_index()
    return [
        {
            "product": str(name),
            "supply": int(row["qty_p"]),
            "demand": int(row["qty_s"]),
            "allocated": int(row["allocated_s"]),
            "fill_rate": _ratio(row["allocated_s"], row["qty_s"]),
        }
        for name, row in table.iterrows()
    ]


def by_kecamatan(result: Result) -> list[dict[str, Any]]:
    """Per kecamatan: producers, supply, supplied units; stores, demand, received units."""
    keys = ["kecamatan_code", "kecamatan_name", "kabupaten_name"]
    p = result.producers.groupby(keys, sort=True).agg(
        producers=("id", "nunique"), supply=("qty", "sum"), supplied=("allocated", "sum")
    )
    s = result.stores.groupby(keys, sort=True).agg(
        stores=("id", "nunique"), demand=("qty", "sum"), received=("allocated", "sum")
    )
    table = p.join(s, how="outer").fillna(0).sort_index()
    rows = []
    for t in table.reset_index().itertuples(index=False):
        demand, received = int(t.demand), int(t.received)
        rows.append(
            {
                "kode": str(t.kecamatan_code),
                "kecamatan": str(t.kecamatan_name),
                "kabupaten": str(t.kabupaten_name),
                "producers": int(t.producers),
                "supply": int(t.supply),
                "supplied": int(t.supplied),
                "stores": int(t.stores),
                "demand": demand,
                "received": received,
                "fill_rate": _ratio(received, demand),
            }
        )
    return rows


def reasons_count(table: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Rows and units per reason kind of an unmet-demand or unused-supply table."""
    if table.empty:
        return {}
    qty_col = "unmet" if "unmet" in table.columns else "unused"
    grouped = table.groupby("kind", sort=True)[qty_col].agg(["size", "sum"])
    return {str(k): {"rows": int(r["size"]), "units": int(r["sum"])} for k, r in grouped.iterrows()}


__all__ = ["by_kecamatan", "by_product", "reasons_count", "summarize"]
