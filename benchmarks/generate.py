"""Generating a scenario's producers and stores tables: vectorised, and written in chunks.

Where points go: every kecamatan gets a share of the stores proportional to
``area ** -store_skew`` (small kecamatan are the dense urban ones, so towns get many stores)
and one producer plus a share of the rest proportional to ``area ** -producer_skew``. Inside a
kecamatan points are uniform, drawn by vectorised rejection sampling in the polygons' bounding
boxes (``shapely.contains_xy``), and kept only when the point rounded to 6 decimals still lies
strictly inside, so every row geocodes by plain point-in-polygon in every tool.

Memory stays bounded at any size: the tables are held as numbers (text as small codes into
label arrays, one label per entity at most), the rejection sampler draws at most
:data:`MAX_DRAWS` candidate points at a time, and the CSV files are written
:data:`CHUNK_ROWS` rows at a time with Python's ``csv`` module (the same bytes as
``DataFrame.to_csv(index=False, float_format="%.6f", lineterminator="\\n")``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely

#: product -> (category, weight among producers, weight among store orders).
PRODUCTS: dict[str, tuple[str, float, float]] = {
    "Sate Bandeng": ("basah", 0.6, 1.2),
    "Kue Cucur": ("basah", 1.0, 1.0),
    "Nagasari": ("basah", 0.9, 1.0),
    "Lepet": ("basah", 0.7, 0.7),
    "Emping Melinjo": ("kering", 1.6, 1.6),
    "Keripik Pisang": ("kering", 1.2, 1.5),
    "Keripik Singkong": ("kering", 1.2, 1.3),
    "Rengginang": ("kering", 1.0, 0.9),
}
#: number of products -> share, per producer (mean 1.5) and per store (mean 4.55).
PRODUCTS_PER_PRODUCER = {1: 0.6, 2: 0.3, 3: 0.1}
PRODUCTS_PER_STORE = {3: 0.15, 4: 0.35, 5: 0.30, 6: 0.20}
#: (median units, lowest, highest) of one producer row, by category; store rows are scaled
#: afterwards so that total demand is ``DEMAND_PER_SUPPLY`` x total supply.
CAPACITY = {"basah": (40, 10, 300), "kering": (75, 10, 500)}
DEMAND = {"basah": (18, 1, 200), "kering": (22, 1, 200)}
DEMAND_PER_SUPPLY = 1.0
INDOMARET_SHARE = 0.55
KM_PER_DEG = 111.32
#: candidate points drawn at once by the rejection sampler (about 40 bytes each).
MAX_DRAWS = 4_000_000
#: rows formatted and written at once.
CHUNK_ROWS = 200_000


@dataclass(frozen=True)
class Table:
    """A generated table in file row order.

    ``columns`` maps a column name to its row values: a numpy array of numbers (floats are
    written with 6 decimals), or ``(labels, codes)`` for text, the row's value being
    ``labels[codes]``.
    """

    columns: dict[str, Any]
    rows: int
    entities: int
    kecamatan: int  # kecamatan with at least one entity

    def counts_by(self, column: str) -> dict[str, int]:
        """Rows per text value of ``column`` (e.g. per product)."""
        labels, codes = self.columns[column]
        counts = np.bincount(codes, minlength=len(labels))
        return {str(label): int(n) for label, n in zip(labels, counts, strict=True) if n}

    def chunks(self, size: int = CHUNK_ROWS) -> Iterator[list[list[Any]]]:
        """The rows as lists of Python values (text, formatted floats, ints), ``size`` at once."""
        for start in range(0, self.rows, size):
            stop = min(start + size, self.rows)
            cols = []
            for value in self.columns.values():
                if isinstance(value, tuple):
                    labels, codes = value
                    cols.append(labels[codes[start:stop]].tolist())
                elif value.dtype.kind == "f":
                    cols.append([f"{x:.6f}" for x in value[start:stop].tolist()])
                else:
                    cols.append(value[start:stop].tolist())
            yield list(zip(*cols, strict=True))

    def write_csv(self, path: Path) -> None:
        """Write the table as CSV, chunk by chunk."""
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(list(self.columns))
            for rows in self.chunks():
                writer.writerows(rows)


def generate(
    *,
    producers: int,
    stores: int,
    store_skew: float,
    producer_skew: float,
    geoms: np.ndarray,
    names: np.ndarray,
    seed: int,
) -> tuple[Table, Table]:
    """Generate the producers and stores tables of a scenario.

    Parameters
    ----------
    producers, stores
        Number of producers and stores (entities; each has 1-3 and 3-6 product rows).
    store_skew, producer_skew
        Exponents of the kecamatan shares (see the module docstring).
    geoms, names
        Kecamatan polygons (WGS84) and their names.
    seed
        Random seed: the same seed and polygons give the same tables.

    Returns
    -------
    producers, stores
        Tables in the input format of DESIGN.md, sorted by id and product.
    """
    rng = np.random.default_rng(seed)
    area = area_km2(geoms)
    usable = area > 0.05  # no points in slivers
    names = np.asarray(names).astype(object)

    # every kecamatan has at least one producer; the rest are split by weight
    p_counts = usable + _split(
        rng, producers - int(usable.sum()), np.where(usable, area**-producer_skew, 0.0)
    )
    s_counts = _split(rng, stores, np.where(usable, area**-store_skew, 0.0))
    p_lon, p_lat, p_kec = sample_points(geoms, p_counts, rng)
    s_lon, s_lat, s_kec = sample_points(geoms, s_counts, rng)

    products = np.array(list(PRODUCTS), dtype=object)
    category_names = np.array(sorted({c for c, _, _ in PRODUCTS.values()}), dtype=object)
    category = np.array([list(category_names).index(PRODUCTS[p][0]) for p in products])
    p_w = np.array([PRODUCTS[p][1] for p in products])
    s_w = np.array([PRODUCTS[p][2] for p in products])
    product_rank = np.argsort(np.argsort(products))  # files are sorted by product name

    # producers: one row per (producer, product)
    p_ent, p_prod = _pick_products(rng, producers, p_w, PRODUCTS_PER_PRODUCER)
    size = rng.lognormal(0.0, 0.55, producers)[p_ent]
    cap = _amounts(rng, _limits(CAPACITY, category_names)[category[p_prod]], size, step=5)
    width = max(6, len(str(producers)))  # ids sort as numbers do
    pid = np.array([f"UMKM-{i:0{width}d}" for i in range(1, producers + 1)], dtype=object)
    p_name = np.array([f"UMKM {k}{i}" for k, i in zip(names[p_kec], pid, strict=True)], object)
    order = np.lexsort((product_rank[p_prod], p_ent))
    p_ent, p_prod, cap = p_ent[order], p_prod[order], cap[order]
    p_table = Table(
        {
            "producer_id": (pid, p_ent),
            "name": (p_name, p_ent),
            "kecamatan": (names, p_kec[p_ent]),
            "lat": p_lat[p_ent],
            "lon": p_lon[p_ent],
            "product": (products, p_prod),
            "category": (category_names, category[p_prod]),
            "capacity": cap,
        },
        rows=len(p_ent),
        entities=producers,
        kecamatan=int((p_counts > 0).sum()),
    )

    # stores: one row per (store, product)
    s_ent, s_prod = _pick_products(rng, stores, s_w, PRODUCTS_PER_STORE)
    size = rng.lognormal(0.0, 0.35, stores)[s_ent]
    raw = _amounts(rng, _limits(DEMAND, category_names)[category[s_prod]], size, step=1)
    scale = DEMAND_PER_SUPPLY * cap.sum() / max(raw.sum(), 1)
    demand = np.maximum(1, np.rint(raw * scale)).astype(np.int64)
    is_idm = rng.random(stores) < INDOMARET_SHARE
    chain_names = np.array(["Alfamart", "Indomaret"], dtype=object)
    prefix = np.where(is_idm, "IDM-", "ALF-")
    number = np.arange(1, stores + 1)
    sid = np.array([f"{p}{n:06d}" for p, n in zip(prefix, number, strict=True)], dtype=object)
    s_name = np.array(
        [
            f"{c} {k} {n}"
            for c, k, n in zip(chain_names[is_idm.astype(int)], names[s_kec], number, strict=True)
        ],
        dtype=object,
    )
    rank = np.empty(stores, dtype=np.int64)
    rank[np.lexsort((number, is_idm))] = np.arange(stores)  # the order of the id strings
    order = np.lexsort((product_rank[s_prod], rank[s_ent]))
    s_ent, s_prod, demand = s_ent[order], s_prod[order], demand[order]
    s_table = Table(
        {
            "store_id": (sid, s_ent),
            "name": (s_name, s_ent),
            "chain": (chain_names, is_idm[s_ent].astype(np.int64)),
            "kecamatan": (names, s_kec[s_ent]),
            "lat": s_lat[s_ent],
            "lon": s_lon[s_ent],
            "product": (products, s_prod),
            "demand": demand,
        },
        rows=len(s_ent),
        entities=stores,
        kecamatan=int((s_counts > 0).sum()),
    )
    return p_table, s_table


def area_km2(geoms: np.ndarray) -> np.ndarray:
    """Approximate area in km² of polygons in degrees (cosine of the centroid latitude)."""
    lat = shapely.get_y(shapely.centroid(geoms))
    return shapely.area(geoms) * KM_PER_DEG**2 * np.cos(np.radians(lat))


def _split(rng: np.random.Generator, n: int, weights: np.ndarray) -> np.ndarray:
    """Split ``n`` points over polygons with probability proportional to ``weights``."""
    return rng.multinomial(n, weights / weights.sum())


def sample_points(
    geoms: np.ndarray, counts: np.ndarray, rng: np.random.Generator, *, max_rounds: int = 200
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw ``counts[i]`` uniform points strictly inside ``geoms[i]``, all at once.

    Each round draws, for every polygon still short of points, enough candidates in its
    bounding box for the expected acceptance rate (polygon area / box area), rounds them to
    6 decimals, and keeps the first ones that ``shapely.contains_xy`` accepts. A round that
    would draw more than :data:`MAX_DRAWS` candidates is drawn in batches of polygons.

    Returns
    -------
    lon, lat, polygon
        One entry per point, grouped by polygon in index order.
    """
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    lon, lat = np.empty(total), np.empty(total)
    poly = np.repeat(np.arange(len(geoms)), counts)
    offset = np.concatenate([[0], np.cumsum(counts)[:-1]])
    bounds = shapely.bounds(geoms)
    box_area = (bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1])
    fill = np.clip(shapely.area(geoms) / np.where(box_area > 0, box_area, 1.0), 1e-4, 1.0)
    shapely.prepare(geoms)
    got = np.zeros(len(geoms), dtype=np.int64)
    for _ in range(max_rounds):
        need = counts - got
        todo = np.flatnonzero(need > 0)
        if len(todo) == 0:
            return lon, lat, poly
        draws = np.ceil(need[todo] / fill[todo] * 1.25 + 8).astype(np.int64)
        batch = np.cumsum(draws) // MAX_DRAWS  # 0 for every polygon unless the round is large
        for b in np.unique(batch):
            mine = batch == b
            which = np.repeat(todo[mine], draws[mine])
            x = np.round(rng.uniform(bounds[which, 0], bounds[which, 2]), 6)
            y = np.round(rng.uniform(bounds[which, 1], bounds[which, 3]), 6)
            inside = shapely.contains_xy(geoms[which], x, y)
            which, x, y = which[inside], x[inside], y[inside]
            first = np.searchsorted(which, which, side="left")  # `which` is sorted
            rank = np.arange(len(which)) - first
            keep = rank < need[which]
            which, x, y, rank = which[keep], x[keep], y[keep], rank[keep]
            pos = offset[which] + got[which] + rank
            lon[pos], lat[pos] = x, y
            got += np.bincount(which, minlength=len(geoms))
    short = int((counts - got).sum())
    raise RuntimeError(f"could not place {short} points after {max_rounds} rounds")


def _limits(spec: dict[str, tuple[int, int, int]], categories: np.ndarray) -> np.ndarray:
    """``(median, lowest, highest)`` of each category, one row per category."""
    return np.array([spec[c] for c in categories], dtype=np.int64)


def _pick_products(
    rng: np.random.Generator, n: int, weights: np.ndarray, per_entity: dict[int, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Draw distinct weighted products per entity (Gumbel top-k), as (entity, product) rows."""
    sizes = np.array(list(per_entity))
    share = np.array(list(per_entity.values()))
    k = rng.choice(sizes, size=n, p=share / share.sum())
    keys = np.log(weights)[None, :] + rng.gumbel(size=(n, len(weights)))
    order = np.argsort(-keys, axis=1)
    take = np.arange(len(weights))[None, :] < k[:, None]
    ent = np.broadcast_to(np.arange(n)[:, None], order.shape)[take]
    return ent, order[take]


def _amounts(
    rng: np.random.Generator, limits: np.ndarray, size: np.ndarray, *, step: int
) -> np.ndarray:
    """Skewed whole amounts: median x size x noise, rounded to ``step`` and clipped.

    ``limits`` holds one row's ``(median, lowest, highest)`` per row.
    """
    median, low, high = limits[:, 0].astype(float), limits[:, 1], limits[:, 2]
    value = median * size * rng.lognormal(0.0, 0.3, len(limits))
    return np.clip(step * np.rint(value / step), low, high).astype(np.int64)
