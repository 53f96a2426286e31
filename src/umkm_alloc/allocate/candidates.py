"""Candidate pairs: same-product producer-store pairs within reach, each with its rule code."""

from __future__ import annotations

import numpy as np
import pandas as pd

from umkm_alloc.distance import (
    DistanceBackend,
    GeodesicBackend,
    Pairs,
)
from umkm_alloc.inputs.load import Inputs
from umkm_alloc.rules.judge import evaluate
from umkm_alloc.rules.model import BEYOND_DISTANCE, chain_key, max_limit_km


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


def find_candidates(
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
