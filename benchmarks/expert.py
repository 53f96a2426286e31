"""The expert sketch: what a competent engineer writes in an afternoon (the yardstick).

    python benchmarks/expert.py P.csv S.csv --boundaries banten --max-km 20 --circuity 1.4 \
        -o alloc.csv

pandas reads; shapely ``STRtree`` point-in-polygon against the packaged kecamatan; per product
a scipy ``cKDTree`` on unit-sphere xyz finds the pairs within the chord of the km bound, whose
great-circle (haversine) km x circuity is the cost. A pair is eligible when its km is within
the bound; only pairs within 1 % of the bound are measured again on the WGS84 ellipsoid
(pyproj ``Geod.inv``), so that eligibility, and with it the units allocated, are exactly
umkm-alloc's. Then ONE OR-Tools ``SimpleMinCostFlow`` (``solve_max_flow_with_min_cost``: the
most units, then the least cost; integer costs in metres), or with ``--parts`` one per
connected part of the network. Writes only the allocations CSV.
"""

import argparse

import numpy as np
import pandas as pd
import shapely
from ortools.graph.python import min_cost_flow
from pyproj import Geod
from scipy.spatial import cKDTree

from umkm_alloc.geo.boundaries import packaged_path

R_KM = 6371.0088  # mean Earth radius
BAND = 0.01  # WGS84 geodesic / haversine km lies in [0.9944, 1.0045]: exact only near the bound


def kecamatan(name):
    path = packaged_path(name)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path, columns=["nama", "geometry"])
        return table["nama"].to_numpy(), shapely.from_wkb(table["geometry"].to_numpy())
    import pyogrio.raw

    _, _, wkb, fields = pyogrio.raw.read(path, columns=["nama"])
    return fields[0], shapely.from_wkb(wkb)


def load(path, id_col, qty_col, names, tree):
    rows = pd.read_csv(path, dtype={id_col: str, "name": str, "product": str})
    rows = rows[rows[qty_col] > 0].reset_index(drop=True)
    point, poly = tree.query(shapely.points(rows["lon"], rows["lat"]), predicate="intersects")
    first = np.unique(point, return_index=True)[1]  # a point on a shared edge: first polygon
    rows = rows.iloc[point[first]].assign(kecamatan=names[poly[first]]).reset_index(drop=True)
    lon, lat = np.radians(rows["lon"].to_numpy()), np.radians(rows["lat"].to_numpy())
    xyz = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    return rows.assign(key=rows["product"].str.strip().str.casefold()), xyz


def solve(tail, head, capacity, cost, supply):
    """One min-cost max-flow: the most units, then the least cost (metres)."""
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tail, head, capacity, cost)
    flow.set_nodes_supplies(np.arange(len(supply)), supply)
    if flow.solve_max_flow_with_min_cost() != flow.OPTIMAL:
        raise SystemExit("min-cost flow failed")
    return flow.flows(arcs)


def solve_parts(tail, head, capacity, cost, supply):
    """``--parts``: one solve per connected part of the network (same optimum)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n, qty = len(supply), np.zeros(len(tail), np.int64)
    _, label = connected_components(coo_matrix((np.ones(len(tail)), (tail, head)), (n, n)))
    order = np.argsort(label[tail], kind="stable")
    for part in np.split(order, np.flatnonzero(np.diff(label[tail][order])) + 1):
        nodes, local = np.unique(np.concatenate([tail[part], head[part]]), return_inverse=True)
        k = len(part)
        qty[part] = solve(local[:k], local[k:], capacity[part], cost[part], supply[nodes])
    return qty


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("producers")
    ap.add_argument("stores")
    ap.add_argument("--boundaries", default="banten")
    ap.add_argument("--max-km", type=float, default=20.0)
    ap.add_argument("--circuity", type=float, default=1.4)
    ap.add_argument("-o", "--output", default="allocations.csv")
    ap.add_argument("--parts", action="store_true", help="solve each connected part on its own")
    a = ap.parse_args()
    names, polygons = kecamatan(a.boundaries)
    tree = shapely.STRtree(polygons)
    prod, p_xyz = load(a.producers, "producer_id", "capacity", names, tree)
    stor, s_xyz = load(a.stores, "store_id", "demand", names, tree)
    chord = 2 * np.sin((1 + BAND) * a.max_km / a.circuity / (2 * R_KM))
    plon, plat, slon, slat = (t[c].to_numpy() for t in (prod, stor) for c in ("lon", "lat"))
    s_groups = stor.groupby("key").indices
    arcs_p, arcs_s, arcs_km = [], [], []
    for key, pi in prod.groupby("key").indices.items():
        si = s_groups.get(key)
        if si is None:
            continue
        near = cKDTree(p_xyz[pi]).sparse_distance_matrix(
            cKDTree(s_xyz[si]), chord, output_type="ndarray"
        )
        ip, js = pi[near["i"]], si[near["j"]]
        km = 2 * R_KM * np.arcsin(np.minimum(near["v"] / 2, 1.0)) * a.circuity  # haversine
        keep = km <= (1 - BAND) * a.max_km
        edge = np.flatnonzero(~keep & (km <= (1 + BAND) * a.max_km))
        metres = Geod(ellps="WGS84").inv(
            plon[ip[edge]], plat[ip[edge]], slon[js[edge]], slat[js[edge]]
        )[2]
        keep[edge] = np.asarray(metres) / 1000 * a.circuity <= a.max_km  # WGS84 decides
        arcs_p.append(ip[keep])
        arcs_s.append(js[keep])
        arcs_km.append(km[keep])
    tail, head, akm = np.concatenate(arcs_p), np.concatenate(arcs_s), np.concatenate(arcs_km)
    n_p, cap, dem = len(prod), prod["capacity"].to_numpy(), stor["demand"].to_numpy()
    network = (tail, n_p + head, np.minimum(cap[tail], dem[head]), np.rint(akm * 1e3).astype(int))
    qty = (solve_parts if a.parts else solve)(*network, np.concatenate([cap, -dem]))
    used = qty > 0
    p, s = prod.iloc[tail[used]], stor.iloc[head[used]]
    out = pd.DataFrame(
        {
            "producer_id": p["producer_id"].to_numpy(),
            "producer_name": p["name"].to_numpy(),
            "store_id": s["store_id"].to_numpy(),
            "store_name": s["name"].to_numpy(),
            "product": p["product"].to_numpy(),
            "quantity": qty[used],
            "distance_km": np.round(akm[used], 3),
            "producer_kecamatan": p["kecamatan"].to_numpy(),
            "store_kecamatan": s["kecamatan"].to_numpy(),
        }
    )
    out.sort_values(["producer_id", "store_id", "product"]).to_csv(a.output, index=False)


if __name__ == "__main__":
    main()
