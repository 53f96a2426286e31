"""The dense baseline: the plain pipeline, written the ordinary way (second column of the bench).

    python benchmarks/dense.py P.csv S.csv --boundaries banten --out-dir DIR --json RESULT.json \
        [--log STAGES.jsonl] [--max-km 20] [--circuity 1.4]

* ``read``: ``pandas.read_csv``; ``validate``: numbers coerced, duplicates dropped (none of the
  pipeline's checks or messages);
* ``geocode``: ``geopandas.sjoin(points, kecamatan, predicate="intersects")``, lowest ``kode``
  on shared edges;
* ``candidates``: per product the **dense** producer x store matrix of haversine km (numpy
  broadcasting), then the WGS84 geodesic (pyproj ``Geod.inv``) of the pairs whose haversine km
  x circuity is within 1 % of the bound, so that eligibility and km are exactly the
  pipeline's;
* ``solve``: one SciPy HiGHS LP per product (``linprog(method="highs")``; products share no
  pair): minimise ``sum((km - M) x)`` subject to capacity and demand, ``M = max km x
  (min(producer rows, store rows) + 1) + 1``. An augmenting path has at most that many forward
  arcs, so every augmenting path lowers the objective: the optimum allocates the most units and,
  among those,
  the fewest unit-km, the pipeline's lexicographic objective. The transportation matrix is
  totally unimodular, so HiGHS's basic solution is integral;
* ``tabulate``: the allocations, unmet-demand and unused-supply tables; ``write``:
  ``DataFrame.to_csv``.

Every stage is measured by :class:`measure.Meter`; the JSON also has the LP's size and
iterations, and the exact units and unit-km.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import Meter, staged_main

R_KM = 6371.0088
#: WGS84 geodesic / haversine km lies in [0.9944, 1.0045]: pairs within this band of the bound
#: are measured exactly before they are kept or dropped.
BAND = 0.01
#: bytes per producer x store pair of one product's dense haversine matrix (the float64
#: temporaries of the broadcast expression), for the runner's memory estimate.
BYTES_PER_PAIR = 48


def run(args: argparse.Namespace) -> dict[str, Any]:
    meter = Meter(args.log)
    meter.begin("import")
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    from pyproj import Geod
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix

    from umkm_alloc.geo.boundaries import packaged_path

    out = Path(args.out_dir)

    meter.begin("read")
    text = {"name": str, "product": str, "kecamatan": str}
    prod = pd.read_csv(args.producers, dtype={"producer_id": str, **text}, keep_default_na=False)
    stor = pd.read_csv(args.stores, dtype={"store_id": str, **text}, keep_default_na=False)

    meter.begin("validate")

    def clean(frame: pd.DataFrame, id_col: str, qty_col: str) -> pd.DataFrame:
        frame = frame.rename(columns={id_col: "id", qty_col: "qty"})
        for col in ("lat", "lon", "qty"):
            frame[col] = pd.to_numeric(frame[col], errors="coerce")
        ok = frame[["lat", "lon", "qty"]].notna().all(axis=1) & (frame["id"] != "")
        ok &= (frame["qty"] >= 0) & (frame["qty"] % 1 == 0)
        frame = frame[ok].copy()
        frame["qty"] = frame["qty"].astype(np.int64)
        frame["key"] = frame["product"].str.split().str.join(" ").str.casefold()
        return frame.drop_duplicates(["id", "key"], keep="first")

    prod = clean(prod, "producer_id", "capacity")
    stor = clean(stor, "store_id", "demand")

    meter.begin("geocode")
    source = packaged_path(args.boundaries)
    read = gpd.read_parquet if source.suffix == ".parquet" else gpd.read_file
    kec = read(source)[["kode", "nama", "geometry"]].to_crs("EPSG:4326")

    def place(frame: pd.DataFrame) -> pd.DataFrame:
        points = gpd.GeoDataFrame(
            frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326"
        )
        joined = gpd.sjoin(points, kec, how="inner", predicate="intersects")
        joined = joined.sort_values("kode", kind="stable")
        joined = joined[~joined.index.duplicated(keep="first")].sort_index()
        return pd.DataFrame(joined.drop(columns=["geometry", "index_right"]))

    prod, stor = place(prod), place(stor)
    prod = prod.sort_values(["id", "key"]).reset_index(drop=True)
    stor = stor.sort_values(["id", "key"]).reset_index(drop=True)

    meter.begin("candidates")
    geod = Geod(ellps="WGS84")
    arc_p, arc_s, arc_km = [], [], []
    dense_pairs = exact_pairs = 0
    p_pos, s_pos = prod[prod["qty"] > 0], stor[stor["qty"] > 0]
    s_groups = dict(list(s_pos.groupby("key", sort=True)))
    for key, pg in p_pos.groupby("key", sort=True):
        sg = s_groups.get(key)
        if sg is None:
            continue
        dense_pairs += len(pg) * len(sg)
        lon1, lat1 = np.radians(pg["lon"].to_numpy())[:, None], np.radians(pg["lat"].to_numpy())
        lon2, lat2 = np.radians(sg["lon"].to_numpy()), np.radians(sg["lat"].to_numpy())
        lat1 = lat1[:, None]
        h = (
            np.sin((lat2 - lat1) / 2) ** 2
            + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
        )
        km = 2 * R_KM * np.arcsin(np.sqrt(h)) * args.circuity
        ii, jj = np.nonzero(km <= (1 + BAND) * args.max_km)
        del h, km
        exact_pairs += len(ii)
        p_idx, s_idx = pg.index.to_numpy()[ii], sg.index.to_numpy()[jj]
        metres = geod.inv(
            prod["lon"].to_numpy()[p_idx],
            prod["lat"].to_numpy()[p_idx],
            stor["lon"].to_numpy()[s_idx],
            stor["lat"].to_numpy()[s_idx],
        )[2]
        km_exact = np.asarray(metres) / 1000.0 * args.circuity
        keep = km_exact <= args.max_km
        arc_p.append(p_idx[keep])
        arc_s.append(s_idx[keep])
        arc_km.append(km_exact[keep])
    a_p = np.concatenate(arc_p) if arc_p else np.zeros(0, np.int64)
    a_s = np.concatenate(arc_s) if arc_s else np.zeros(0, np.int64)
    a_km = np.concatenate(arc_km) if arc_km else np.zeros(0)

    meter.begin("solve")
    n = len(a_p)
    flow = np.zeros(n, dtype=np.int64)
    big_m, iterations, lps = 0.0, 0, 0
    # products never share a pair: one LP per product, as the distances were built (one LP for
    # all of them took 2.5x longer on banten: 100 s against 40 s)
    a_key = prod["key"].to_numpy()[a_p]
    for key in sorted(set(a_key.tolist())):
        arcs = np.flatnonzero(a_key == key)
        p_rows, p_local = np.unique(a_p[arcs], return_inverse=True)
        s_rows, s_local = np.unique(a_s[arcs], return_inverse=True)
        k = len(arcs)
        m = float(a_km[arcs].max()) * (min(len(p_rows), len(s_rows)) + 1) + 1.0
        rows = np.concatenate([p_local, len(p_rows) + s_local])
        a_ub = csr_matrix(
            (np.ones(2 * k), (rows, np.tile(np.arange(k), 2))),
            shape=(len(p_rows) + len(s_rows), k),
        )
        b_ub = np.concatenate(
            [prod["qty"].to_numpy()[p_rows], stor["qty"].to_numpy()[s_rows]]
        ).astype(float)
        res = linprog(a_km[arcs] - m, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
        if res.status != 0:
            raise RuntimeError(f"dense LP failed: {res.message}")
        x = np.asarray(res.x)
        if np.abs(x - np.rint(x)).max() > 1e-6:
            raise RuntimeError("dense LP returned a fractional vertex")
        flow[arcs] = np.rint(x).astype(np.int64)
        big_m, iterations, lps = max(big_m, m), iterations + int(res.nit), lps + 1

    meter.begin("tabulate")
    used = flow > 0
    up, us = a_p[used], a_s[used]
    pr, st = prod.iloc[up].reset_index(drop=True), stor.iloc[us].reset_index(drop=True)
    allocations = pd.DataFrame(
        {
            "producer_id": pr["id"],
            "producer_name": pr["name"],
            "store_id": st["id"],
            "store_name": st["name"],
            "product": pr["product"],
            "quantity": flow[used],
            "distance_km": np.round(a_km[used], 3),
            "producer_kecamatan": pr["nama"],
            "store_kecamatan": st["nama"],
        }
    ).sort_values(["producer_id", "store_id", "product"], kind="stable")
    prod["allocated"] = np.bincount(a_p, weights=flow, minlength=len(prod)).astype(np.int64)
    stor["allocated"] = np.bincount(a_s, weights=flow, minlength=len(stor)).astype(np.int64)
    unmet = stor[stor["qty"] > stor["allocated"]]
    unmet = unmet.assign(unmet=unmet["qty"] - unmet["allocated"])
    unused = prod[prod["qty"] > prod["allocated"]]
    unused = unused.assign(unused=unused["qty"] - unused["allocated"])

    meter.begin("write")
    allocations.to_csv(out / "allocations.csv", index=False)
    unmet[["id", "name", "product", "qty", "allocated", "unmet"]].to_csv(
        out / "unmet_demand.csv", index=False
    )
    unused[["id", "name", "product", "qty", "allocated", "unused"]].to_csv(
        out / "unused_supply.csv", index=False
    )
    meter.end()
    return {
        "stages": meter.stages,
        "peaks_reset": meter.resettable,
        "units": int(flow.sum()),
        "unit_km_exact": float((flow * a_km).sum()),
        "eligible_pairs": n,
        "dense_pairs": dense_pairs,
        "geodesic_pairs": exact_pairs,
        "big_m": big_m,
        "lp": {"rows": len(prod) + len(stor), "columns": n, "iterations": iterations, "lps": lps},
        "producer_rows": len(prod),
        "store_rows": len(stor),
    }


def main() -> int:
    return staged_main(run, __doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
