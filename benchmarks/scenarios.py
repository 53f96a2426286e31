"""Seeded benchmark scenarios: ``serang``, ``banten`` and ``national``.

* ``serang`` is the committed example (``examples/producers.csv``, ``examples/stores.csv``).
* ``banten`` puts 10,000 producers and 2,000 stores inside the packaged Banten kecamatan
  (``load_boundaries("banten")``): about a million eligible pairs at 20 km of road.
* ``national`` puts 100,000 producers and 42,000 stores over every kecamatan of Indonesia
  (``load_boundaries("indonesia")``): about 150,000 producer rows, 190,000 store rows and
  2.4 million eligible pairs at 20 km. When the national boundaries are not packaged yet the
  scenario raises :class:`ScenarioUnavailable`.

Where points go: every kecamatan gets a share of the stores proportional to
``area ** -store_skew`` (small kecamatan are the dense urban ones, so towns get many stores)
and one producer plus a share of the rest proportional to ``area ** -producer_skew``
(home-based UMKM are spread more evenly than shops; the two exponents of :data:`SPECS` size
the scenarios to their pair counts). Inside a kecamatan points are uniform, drawn by
vectorised rejection sampling in the polygons' bounding boxes (``shapely.contains_xy``), and
kept only when the point rounded to 6 decimals still lies strictly inside, so every row
geocodes by plain point-in-polygon in both the pipeline and the baseline.

Files are written once per (scenario, seed, generator version, boundaries fingerprint) to
``benchmarks/.cache/<scenario>-s<seed>-g<version>-<fingerprint>/`` and reused::

    python benchmarks/scenarios.py banten [--seed 2026]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

if TYPE_CHECKING:
    from umkm_alloc.geo.boundaries import Boundaries

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(__file__).resolve().parent / ".cache"
DEFAULT_SEED = 2026
#: Bump when the generator changes, so that cached files are rebuilt.
GENERATOR_VERSION = 3

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
_KM_PER_DEG = 111.32


class ScenarioUnavailable(RuntimeError):
    """The scenario cannot be generated on this checkout (e.g. boundaries not packaged)."""


@dataclass(frozen=True)
class Spec:
    """A generated scenario: sizes, boundaries and how sharply points cluster."""

    name: str
    boundaries: str
    producers: int
    stores: int
    store_skew: float
    producer_skew: float
    description: str


SPECS: dict[str, Spec] = {
    "banten": Spec(
        name="banten",
        boundaries="banten",
        producers=10_000,
        stores=2_000,
        store_skew=0.6,
        producer_skew=-1.0,
        description="10,000 producers x 2,000 stores in the 155 kecamatan of Banten",
    ),
    "national": Spec(
        name="national",
        boundaries="indonesia",
        producers=100_000,
        stores=42_000,
        store_skew=0.6,
        producer_skew=-0.65,
        description="100,000 producers x 42,000 stores over every kecamatan of Indonesia",
    ),
}
SCENARIOS = ("serang", *SPECS)


@dataclass(frozen=True)
class Files:
    """The input files of a scenario and how to run them."""

    name: str
    producers: Path
    stores: Path
    boundaries: str
    meta: dict[str, object]
    generated_s: float
    cached: bool


def materialise(name: str, *, seed: int = DEFAULT_SEED, cache: Path = CACHE) -> Files:
    """Return the input files of a scenario, generating them into ``cache`` when missing.

    Parameters
    ----------
    name
        ``serang``, ``banten`` or ``national``.
    seed
        Random seed (ignored for ``serang``, which is the committed example).
    cache
        Folder for generated files.

    Raises
    ------
    ScenarioUnavailable
        The scenario's boundaries cannot be loaded on this checkout.
    """
    if name == "serang":
        p, s = REPO / "examples" / "producers.csv", REPO / "examples" / "stores.csv"
        meta = {"scenario": "serang", "description": "the Kabupaten Serang example"}
        meta.update(_row_counts(p, s))
        return Files("serang", p, s, "banten", meta, 0.0, True)
    if name not in SPECS:
        raise KeyError(f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}")
    spec = SPECS[name]
    start = time.perf_counter()
    boundaries = _load(spec.boundaries)
    folder = cache / f"{name}-s{seed}-g{GENERATOR_VERSION}-{_fingerprint(boundaries)}"
    if (folder / "meta.json").is_file():
        meta = json.loads((folder / "meta.json").read_text())
        return Files(
            name,
            folder / "producers.csv",
            folder / "stores.csv",
            spec.boundaries,
            meta,
            time.perf_counter() - start,
            True,
        )
    producers, stores = generate(spec, boundaries, seed=seed)
    meta = {
        "scenario": name,
        "description": spec.description,
        "seed": seed,
        "generator_version": GENERATOR_VERSION,
        "boundaries": spec.boundaries,
        "kecamatan": len(boundaries.frame),
        "kecamatan_with_producers": producers.attrs["kecamatan"],
        "kecamatan_with_stores": stores.attrs["kecamatan"],
        "producers": int(producers["producer_id"].nunique()),
        "stores": int(stores["store_id"].nunique()),
        "producer_rows": len(producers),
        "store_rows": len(stores),
        "supply": int(producers["capacity"].sum()),
        "demand": int(stores["demand"].sum()),
        "rows_per_product": {
            str(k): [int(v1), int(v2)]
            for k, v1, v2 in _per_product(producers, stores).itertuples(index=False)
        },
    }
    _write(folder, producers, stores, meta)
    return Files(
        name,
        folder / "producers.csv",
        folder / "stores.csv",
        spec.boundaries,
        meta,
        time.perf_counter() - start,
        False,
    )


def _load(spec: str) -> Boundaries:
    from umkm_alloc.geo.boundaries import load_boundaries

    try:
        return load_boundaries(spec)
    except Exception as exc:  # UsageError / InputError while the data is not packaged
        raise ScenarioUnavailable(
            f"boundaries {spec!r} cannot be loaded on this checkout ({exc})"
        ) from exc


def _fingerprint(boundaries: Boundaries) -> str:
    codes = "\n".join(boundaries.frame["kode"].astype(str))
    bounds = np.round(shapely.bounds(boundaries.geometries), 4).tobytes()
    return hashlib.sha1(codes.encode() + bounds).hexdigest()[:10]


def _row_counts(producers: Path, stores: Path) -> dict[str, object]:
    p = pd.read_csv(producers, dtype=str, keep_default_na=False)
    s = pd.read_csv(stores, dtype=str, keep_default_na=False)
    return {
        "producers": int(p.iloc[:, 0].nunique()),
        "stores": int(s.iloc[:, 0].nunique()),
        "producer_rows": len(p),
        "store_rows": len(s),
        "rows_per_product": {
            str(k): [int(v1), int(v2)] for k, v1, v2 in _per_product(p, s).itertuples(index=False)
        },
    }


def _per_product(producers: pd.DataFrame, stores: pd.DataFrame) -> pd.DataFrame:
    a = producers["product"].value_counts().rename("producer_rows")
    b = stores["product"].value_counts().rename("store_rows")
    both = pd.concat([a, b], axis=1).fillna(0).astype(int).sort_index()
    return both.reset_index()


# ---------------------------------------------------------------- generation


def generate(spec: Spec, boundaries: Boundaries, *, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate the producers and stores tables of a scenario (vectorised).

    Parameters
    ----------
    spec
        Sizes and clustering.
    boundaries
        :class:`umkm_alloc.geo.boundaries.Boundaries` to place the points in.
    seed
        Random seed: the same seed and boundaries give the same tables.

    Returns
    -------
    producers, stores
        Long tables (one row per entity and product) in the input format of DESIGN.md.
    """
    rng = np.random.default_rng(seed)
    frame = boundaries.frame
    geoms = np.asarray(boundaries.geometries)
    area = _area_km2(geoms)
    usable = area > 0.05  # no points in slivers
    names = frame["nama"].to_numpy().astype(str)

    # every kecamatan has at least one producer; the rest are split by weight
    p_counts = usable + _split(
        rng, spec.producers - int(usable.sum()), np.where(usable, area**-spec.producer_skew, 0.0)
    )
    s_counts = _split(rng, spec.stores, np.where(usable, area**-spec.store_skew, 0.0))
    p_lon, p_lat, p_kec = sample_points(geoms, p_counts, rng)
    s_lon, s_lat, s_kec = sample_points(geoms, s_counts, rng)

    products = list(PRODUCTS)
    category = np.array([PRODUCTS[p][0] for p in products])
    p_w = np.array([PRODUCTS[p][1] for p in products])
    s_w = np.array([PRODUCTS[p][2] for p in products])

    # producers: one row per (producer, product)
    n_p = spec.producers
    p_ent, p_prod = _pick_products(rng, n_p, p_w, PRODUCTS_PER_PRODUCER)
    size = rng.lognormal(0.0, 0.55, n_p)[p_ent]
    cap = _amounts(rng, category[p_prod], CAPACITY, size, step=5)
    pid = np.char.add("UMKM-", np.char.zfill(np.arange(1, n_p + 1).astype(str), 6))
    producers = pd.DataFrame(
        {
            "producer_id": pid[p_ent],
            "name": np.char.add("UMKM ", np.char.add(names[p_kec], pid))[p_ent],
            "kecamatan": names[p_kec][p_ent],
            "lat": p_lat[p_ent],
            "lon": p_lon[p_ent],
            "product": np.array(products)[p_prod],
            "category": category[p_prod],
            "capacity": cap,
        }
    )

    # stores: one row per (store, product)
    n_s = spec.stores
    s_ent, s_prod = _pick_products(rng, n_s, s_w, PRODUCTS_PER_STORE)
    size = rng.lognormal(0.0, 0.35, n_s)[s_ent]
    raw = _amounts(rng, category[s_prod], DEMAND, size, step=1)
    scale = DEMAND_PER_SUPPLY * cap.sum() / max(raw.sum(), 1)
    demand = np.maximum(1, np.rint(raw * scale)).astype(np.int64)
    is_idm = rng.random(n_s) < INDOMARET_SHARE
    chain = np.where(is_idm, "Indomaret", "Alfamart")
    number = np.arange(1, n_s + 1).astype(str)
    sid = np.char.add(np.where(is_idm, "IDM-", "ALF-"), np.char.zfill(number, 6))
    stores = pd.DataFrame(
        {
            "store_id": sid[s_ent],
            "name": np.char.add(np.char.add(chain, " "), np.char.add(names[s_kec], " " + number))[
                s_ent
            ],
            "chain": chain[s_ent],
            "kecamatan": names[s_kec][s_ent],
            "lat": s_lat[s_ent],
            "lon": s_lon[s_ent],
            "product": np.array(products)[s_prod],
            "demand": demand,
        }
    )
    producers = producers.sort_values(["producer_id", "product"], kind="stable")
    stores = stores.sort_values(["store_id", "product"], kind="stable")
    producers, stores = producers.reset_index(drop=True), stores.reset_index(drop=True)
    producers.attrs["kecamatan"] = int((p_counts > 0).sum())
    stores.attrs["kecamatan"] = int((s_counts > 0).sum())
    return producers, stores


def _area_km2(geoms: np.ndarray) -> np.ndarray:
    """Approximate area in km² of polygons in degrees (cosine of the centroid latitude)."""
    lat = shapely.get_y(shapely.centroid(geoms))
    return shapely.area(geoms) * _KM_PER_DEG**2 * np.cos(np.radians(lat))


def _split(rng: np.random.Generator, n: int, weights: np.ndarray) -> np.ndarray:
    """Split ``n`` points over polygons with probability proportional to ``weights``."""
    return rng.multinomial(n, weights / weights.sum())


def sample_points(
    geoms: np.ndarray, counts: np.ndarray, rng: np.random.Generator, *, max_rounds: int = 200
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw ``counts[i]`` uniform points strictly inside ``geoms[i]``, all at once.

    Each round draws, for every polygon still short of points, enough candidates in its
    bounding box for the expected acceptance rate (polygon area / box area), rounds them to
    6 decimals, and keeps the first ones that ``shapely.contains_xy`` accepts.

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
        which = np.repeat(todo, draws)
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
    rng: np.random.Generator,
    categories: np.ndarray,
    spec: dict[str, tuple[int, int, int]],
    size: np.ndarray,
    *,
    step: int,
) -> np.ndarray:
    """Skewed whole amounts: median x size x noise, rounded to ``step`` and clipped."""
    median = np.array([spec[c][0] for c in categories], dtype=float)
    low = np.array([spec[c][1] for c in categories])
    high = np.array([spec[c][2] for c in categories])
    value = median * size * rng.lognormal(0.0, 0.3, len(categories))
    return np.clip(step * np.rint(value / step), low, high).astype(np.int64)


def _write(folder: Path, producers: pd.DataFrame, stores: pd.DataFrame, meta: dict) -> None:
    """Write the tables and meta.json into ``folder`` atomically (temp folder, then rename)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        for name, table in (("producers.csv", producers), ("stores.csv", stores)):
            table.to_csv(tmp / name, index=False, float_format="%.6f", lineterminator="\n")
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    """Generate (or find in the cache) the files of the named scenarios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", default=list(SCENARIOS))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--cache", type=Path, default=CACHE)
    args = parser.parse_args(argv)
    for name in args.scenarios:
        try:
            files = materialise(name, seed=args.seed, cache=args.cache)
        except ScenarioUnavailable as exc:
            print(f"{name}: skipped: {exc}", file=sys.stderr)
            continue
        how = "cached" if files.cached else f"generated in {files.generated_s:.1f} s"
        meta = files.meta
        print(
            f"{name}: {meta['producers']} producers ({meta['producer_rows']} rows), "
            f"{meta['stores']} stores ({meta['store_rows']} rows); {how}: {files.producers.parent}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
