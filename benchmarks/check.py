"""The check: every tool allocates the same units as umkm-alloc, with unit-km within tolerance.

Each tool's ``allocations.csv`` is re-measured the same way: the exact WGS84 geodesic
(pyproj ``Geod.inv``) x circuity between the producer's and the store's input coordinates,
times the quantity, so that unit-km compare like for like whatever distance a tool used.

* **units**: equal to umkm-alloc's, exactly, for every tool (the maximum flow is unique).
* **dense** (exact geodesic costs, LP optimum) and the **staged** run: unit-km within
  ``1e-7`` relative plus ``units / cost_scale`` (umkm-alloc rounds km to integer costs at
  ``cost_scale`` per km).
* **expert** (haversine costs rounded to metres; eligibility decided on the ellipsoid): its
  allocation is feasible for umkm-alloc's problem, so it cannot be shorter than umkm-alloc's
  beyond ``units / cost_scale`` (a check of *our* optimality); and since WGS84 geodesic /
  haversine km lies in [0.99440, 1.00449], it is at most ``1.00449 / 0.99440 - 1`` = 1.02 %
  longer, plus 0.001 km per unit for its metre rounding.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

#: haversine (R = 6371.0088 km) -> WGS84 geodesic ratio range over the globe.
RATIO_LOW, RATIO_HIGH = 0.99440, 1.00449
EXPERT_RTOL = RATIO_HIGH / RATIO_LOW - 1
EXACT_RTOL = 1e-7
DEFAULT_COST_SCALE = 1e6


@functools.lru_cache(maxsize=4)
def _coords(path: str, id_col: str) -> Any:
    import pandas as pd

    rows = pd.read_csv(path, usecols=[id_col, "product", "lon", "lat"], dtype={id_col: str})
    rows["key"] = rows["product"].astype(str).str.strip().str.casefold()
    return rows.drop_duplicates([id_col, "key"]).set_index([id_col, "key"])[["lon", "lat"]]


def totals(alloc: Path, files: Any, *, circuity: float) -> dict[str, Any]:
    """Units and unit-km of an allocations CSV: as written, and re-measured on WGS84."""
    import numpy as np
    import pandas as pd
    from pyproj import Geod

    table = pd.read_csv(alloc, dtype={"producer_id": str, "store_id": str, "product": str})
    qty = table["quantity"].to_numpy(np.int64)
    key = table["product"].astype(str).str.strip().str.casefold()
    p = _coords(str(files.producers), "producer_id")
    s = _coords(str(files.stores), "store_id")
    pi = pd.MultiIndex.from_arrays([table["producer_id"], key])
    si = pd.MultiIndex.from_arrays([table["store_id"], key])
    pxy, sxy = p.reindex(pi).to_numpy(), s.reindex(si).to_numpy()
    missing = int(np.isnan(pxy).any(axis=1).sum() + np.isnan(sxy).any(axis=1).sum())
    metres = Geod(ellps="WGS84").inv(pxy[:, 0], pxy[:, 1], sxy[:, 0], sxy[:, 1])[2]
    km = np.asarray(metres) / 1000.0 * circuity
    return {
        "rows": len(table),
        "units": int(qty.sum()),
        "unit_km_file": float((qty * table["distance_km"].to_numpy(float)).sum()),
        "unit_km_wgs84": float(np.nansum(qty * km)),
        "rows_not_found": missing,
    }


def _first(runs: dict[str, list[dict[str, Any]]], kind: str) -> dict[str, Any] | None:
    return next((r for r in runs.get(kind, []) if "totals" in r), None)


def compare(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Compare every tool's first complete run with umkm-alloc's (the CLI run, else the staged)."""
    stages = _first(runs, "stages")
    ours = _first(runs, "ours") or stages
    if ours is None:
        broken = any("failed" in r for rs in runs.values() for r in rs)
        return {"ok": not broken, "why": "no complete umkm-alloc run to compare with"}
    ref = ours["totals"]
    scale = float((stages or {}).get("cost_scale") or DEFAULT_COST_SCALE)
    units = ref["units"]
    out: dict[str, Any] = {"ours": ref, "cost_scale": scale, "tools": {}}
    ok = ref["rows_not_found"] == 0
    for kind in ("stages", "routes", "expert", "expert-parts", "dense"):
        got = _first(runs, kind)
        if got is None or got is ours:
            continue
        t = got["totals"]
        diff = t["unit_km_wgs84"] - ref["unit_km_wgs84"]
        if kind.startswith("expert"):
            low = -units / scale - 1e-9 * ref["unit_km_wgs84"]
            high = EXPERT_RTOL * ref["unit_km_wgs84"] + 0.001 * units
        else:
            high = EXACT_RTOL * abs(ref["unit_km_wgs84"]) + units / scale
            low = -high
        same_units = t["units"] == units
        within = low <= diff <= high
        out["tools"][kind] = {
            **t,
            "units_same": same_units,
            "unit_km_diff": diff,
            "unit_km_rel": diff / ref["unit_km_wgs84"] if ref["unit_km_wgs84"] else 0.0,
            "allowed": [low, high],
            "ok": bool(same_units and within and t["rows_not_found"] == 0),
        }
        ok = ok and out["tools"][kind]["ok"]
    out["ok"] = bool(ok)
    return out
