"""Generate the synthetic example tables ``producers.csv`` and ``stores.csv``.

All businesses are invented.  Producers are UMKM food makers in the 29 kecamatan of
Kabupaten Serang; stores are Indomaret and Alfamart outlets in Kabupaten Serang, Kota
Serang and Kota Cilegon.  Every position is a random point inside the real kecamatan
polygon of ``data/kecamatan_boundaries.geojson``, at least ``INSET_M`` metres from its
edge.  The same seed always gives byte-identical files::

    python examples/make_example.py [--seed 2026] [--out examples/]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape

REPO = Path(__file__).resolve().parents[1]
BOUNDARIES = REPO / "data" / "kecamatan_boundaries.geojson"
DEFAULT_SEED = 2026
INSET_M = 150.0
K = TypeVar("K")
STORE_KABUPATEN = {"36.04": "Kabupaten Serang", "36.72": "Kota Cilegon", "36.73": "Kota Serang"}

# --------------------------------------------------------------------------------------
# Data tables
# --------------------------------------------------------------------------------------

#: product -> (category, weight among producers anywhere, weight among store orders).
#: A producer weight of 0 means only the kecamatan that list the product in
#: ``KAB_SERANG`` make it (fish-pond products of the north coast, Pasung of the south).
PRODUCTS: dict[str, tuple[str, float, float]] = {
    # basah (wet, keeps one or two days)
    "Sate Bandeng": ("basah", 0.0, 2.2),
    "Otak-otak Bandeng": ("basah", 0.0, 2.0),
    "Jojorong": ("basah", 0.2, 1.0),
    "Kue Cucur": ("basah", 0.6, 1.5),
    "Nagasari": ("basah", 0.6, 1.5),
    "Kue Apem": ("basah", 0.5, 1.2),
    "Lepet": ("basah", 0.5, 1.0),
    "Pasung": ("basah", 0.0, 0.5),
    "Gemblong": ("basah", 0.4, 1.0),
    "Kue Bugis": ("basah", 0.4, 1.2),
    # kering (dry, keeps for weeks)
    "Emping Melinjo": ("kering", 1.2, 3.0),
    "Gipang": ("kering", 0.3, 1.2),
    "Keripik Pisang": ("kering", 0.7, 2.5),
    "Rengginang": ("kering", 1.0, 1.5),
    "Keripik Singkong": ("kering", 0.9, 2.0),
    "Kue Satu": ("kering", 0.5, 1.0),
    "Opak": ("kering", 0.7, 1.0),
    "Dodol": ("kering", 0.35, 0.7),
}

#: Kabupaten Serang kecamatan -> (producers, stores, extra producer weight per product).
#: Sate and otak-otak bandeng come from the fish ponds (tambak) of the north coast;
#: emping melinjo is made all over, most in the central plain; gipang around the
#: Cilegon side; keripik pisang, dodol and pasung in the hilly south-west.
KAB_SERANG: dict[str, tuple[int, int, dict[str, float]]] = {
    "Kramatwatu": (20, 14, {"Otak-otak Bandeng": 2.0, "Sate Bandeng": 1.2, "Gipang": 1.0}),
    "Waringinkurung": (11, 4, {"Gipang": 1.5, "Emping Melinjo": 1.0}),
    "Bojonegara": (11, 5, {"Otak-otak Bandeng": 1.5, "Gipang": 1.5}),
    "Pulo Ampel": (8, 4, {"Otak-otak Bandeng": 0.8, "Gipang": 1.0}),
    "Ciruas": (19, 12, {"Emping Melinjo": 3.0, "Sate Bandeng": 0.5, "Rengginang": 0.5}),
    "Kragilan": (18, 12, {"Emping Melinjo": 2.5, "Rengginang": 1.0}),
    "Pontang": (20, 3, {"Sate Bandeng": 6.0, "Otak-otak Bandeng": 5.0}),
    "Tirtayasa": (16, 2, {"Sate Bandeng": 5.0, "Otak-otak Bandeng": 5.0}),
    "Tanara": (14, 2, {"Sate Bandeng": 5.0, "Otak-otak Bandeng": 4.0}),
    "Cikande": (17, 14, {"Keripik Singkong": 1.0, "Opak": 0.5}),
    "Kibin": (13, 10, {"Opak": 1.0, "Rengginang": 0.5}),
    "Carenang": (9, 2, {"Sate Bandeng": 0.8, "Emping Melinjo": 1.0}),
    "Binuang": (9, 2, {"Opak": 1.0, "Emping Melinjo": 1.0}),
    "Petir": (14, 3, {"Jojorong": 1.5, "Emping Melinjo": 1.5, "Kue Satu": 1.0}),
    "Tunjung Teja": (10, 2, {"Jojorong": 1.0, "Opak": 1.0}),
    "Baros": (15, 5, {"Jojorong": 2.0, "Pasung": 2.0, "Emping Melinjo": 2.0}),
    "Cikeusal": (16, 4, {"Emping Melinjo": 2.0, "Kue Satu": 1.0}),
    "Pamarayan": (13, 3, {"Emping Melinjo": 2.0, "Opak": 1.5}),
    "Kopo": (12, 4, {"Keripik Singkong": 1.5, "Opak": 1.0}),
    "Jawilan": (12, 5, {"Keripik Singkong": 1.5, "Rengginang": 1.0}),
    "Ciomas": (13, 3, {"Pasung": 3.0, "Jojorong": 2.0, "Keripik Pisang": 1.5}),
    "Pabuaran": (11, 3, {"Pasung": 2.0, "Jojorong": 1.0, "Keripik Pisang": 1.0}),
    "Padarincang": (15, 3, {"Keripik Pisang": 2.5, "Pasung": 2.5, "Dodol": 1.0}),
    "Anyar": (13, 9, {"Otak-otak Bandeng": 1.0, "Keripik Pisang": 1.0, "Dodol": 0.5}),
    "Cinangka": (11, 5, {"Keripik Pisang": 1.5, "Dodol": 1.5, "Otak-otak Bandeng": 0.4}),
    "Mancak": (10, 2, {"Keripik Pisang": 2.0, "Keripik Singkong": 1.5, "Dodol": 1.0}),
    "Gunungsari": (7, 1, {"Keripik Pisang": 1.5, "Emping Melinjo": 1.0}),
    "Bandung": (8, 2, {"Emping Melinjo": 1.5, "Kue Satu": 1.0}),
    "Lebak Wangi": (10, 2, {"Sate Bandeng": 1.0, "Otak-otak Bandeng": 0.5, "Emping Melinjo": 1.0}),
}

#: Stores in the two cities next door (no producers are placed there).
CITY_STORES: dict[str, int] = {
    # Kota Serang
    "Serang": 30,
    "Cipocok Jaya": 18,
    "Taktakan": 10,
    "Kasemen": 10,
    "Walantaka": 9,
    "Curug": 7,
    # Kota Cilegon
    "Cilegon": 14,
    "Jombang": 12,
    "Cibeber": 10,
    "Citangkil": 9,
    "Purwakarta": 8,
    "Ciwandan": 8,
    "Pulomerak": 8,
    "Gerogol": 5,
}

#: (median, lowest, highest) weekly units of one producer row, by category.
CAPACITY = {"basah": (40, 20, 200), "kering": (75, 30, 400)}
#: (median, lowest, highest) weekly units of one store row, by category.
DEMAND = {"basah": (18, 5, 40), "kering": (22, 5, 60)}
INDOMARET_SHARE = 0.55
PRODUCTS_PER_PRODUCER = {1: 0.5, 2: 0.35, 3: 0.15}
PRODUCTS_PER_STORE = {3: 0.3, 4: 0.3, 5: 0.25, 6: 0.15}

WOMEN = (
    "Siti", "Enah", "Aminah", "Iroh", "Juleha", "Maesaroh", "Nurhayati", "Euis", "Imas",
    "Entin", "Oom", "Ratna", "Sumiati", "Khodijah", "Halimah", "Rohimah", "Mulyati",
    "Yayah", "Atun", "Nani", "Eni", "Uum", "Iis", "Neneng", "Komariah", "Saadah",
    "Marfuah", "Jubaedah", "Ipah", "Romlah", "Sarinah", "Rukoyah", "Masitoh", "Juariah",
)  # fmt: skip
MEN = (
    "Udin", "Jaji", "Sarmin", "Rohman", "Asep", "Dedi", "Mulyadi", "Ujang", "Jamhari",
    "Sanusi", "Arsad", "Sukri", "Jumadi", "Enday", "Mahmud", "Sarnata", "Suhaemi",
)  # fmt: skip
BLESSINGS = (
    "Berkah", "Barokah", "Sejahtera", "Mandiri", "Jaya", "Lestari", "Sari Rasa", "Makmur",
    "Rizki", "Mekar Sari", "Sinar Jaya", "Tiga Putri", "Cahaya", "Sumber Rezeki", "Al-Ikhlas",
    "Sehati", "Bunda", "Mulya",
)  # fmt: skip
SHORT = {"Emping Melinjo": "Emping", "Otak-otak Bandeng": "Otak-otak"}
PRODUCER_NAMES = (
    "Dapur Bu {w}",
    "{p} Mak {w}",
    "{p} Bu {w}",
    "UMKM {p} {b}",
    "{p} Pak {m}",
    "{p} Hj. {w}",
    "{p} H. {m}",
    "Rumah {p} {b}",
    "KWT {b}",
    "Aneka Kue {b}",
    "{p} {b} {k}",
)
STORE_PLACES = ("Raya", "Pasar", "Simpang", "Alun-alun", "Stasiun", "Terminal", "Indah")

# --------------------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    """The part of a kecamatan where points are drawn, in degrees and local metres."""

    name: str
    degrees: Polygon
    edge_m: shapely.Geometry
    origin: tuple[float, float]
    scale: tuple[float, float]


def _metres_per_degree(lat: float) -> tuple[float, float]:
    """Return metres per degree of longitude and of latitude on WGS 84 at ``lat``."""
    a, e2 = 6378137.0, 0.00669437999014
    s = math.sin(math.radians(lat))
    w = 1.0 - e2 * s * s
    lon_m = math.pi / 180.0 * a * math.cos(math.radians(lat)) / math.sqrt(w)
    lat_m = math.pi / 180.0 * a * (1.0 - e2) / w**1.5
    return lon_m, lat_m


def load_areas(path: Path) -> dict[str, Area]:
    """Read the kecamatan of the three store kabupaten/kota, keyed by name.

    Only the largest part of a multi-part kecamatan is kept, so no point lands on a
    small island.
    """
    with path.open(encoding="utf-8") as f:
        features = json.load(f)["features"]
    areas: dict[str, Area] = {}
    for feat in features:
        props = feat["properties"]
        if props["kode_kab"] not in STORE_KABUPATEN:
            continue
        geom = shape(feat["geometry"])
        parts = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
        main = max(parts, key=lambda p: p.area)
        lon0, lat0 = main.centroid.x, main.centroid.y
        scale = _metres_per_degree(lat0)
        local = shapely.transform(main, lambda c, o=(lon0, lat0), s=scale: (c - o) * s)
        areas[props["nama"]] = Area(props["nama"], main, local.boundary, (lon0, lat0), scale)
    for area in areas.values():
        shapely.prepare(area.degrees)
        shapely.prepare(area.edge_m)
    return areas


def random_point(area: Area, rng: np.random.Generator) -> tuple[float, float]:
    """Return a uniform random (lat, lon), rounded to 6 decimals, well inside ``area``."""
    west, south, east, north = area.degrees.bounds
    while True:
        lon, lat = (round(float(v), 6) for v in rng.uniform((west, south), (east, north)))
        if not shapely.contains_xy(area.degrees, lon, lat):
            continue
        x = (lon - area.origin[0]) * area.scale[0]
        y = (lat - area.origin[1]) * area.scale[1]
        if shapely.distance(area.edge_m, shapely.Point(x, y)) >= INSET_M:
            return lat, lon


# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------


def _pick(rng: np.random.Generator, weights: Mapping[K, float], size: int = 1) -> list[K]:
    """Draw ``size`` distinct keys of ``weights`` with probability proportional to weight."""
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    idx = rng.choice(len(keys), size=size, replace=False, p=p / p.sum())
    return [keys[i] for i in idx]


def _amount(rng: np.random.Generator, spec: tuple[int, int, int], size: float, step: int) -> int:
    """Return a skewed whole amount: median x size x noise, clipped and rounded to ``step``."""
    median, low, high = spec
    value = median * size * rng.lognormal(0.0, 0.3)
    return int(min(max(step * round(value / step), low), high))


def _producer_name(rng: np.random.Generator, product: str, kecamatan: str, taken: set[str]) -> str:
    """Invent a small-business name; a few tries to avoid one already ``taken``."""
    for _ in range(3):
        template = str(rng.choice(PRODUCER_NAMES))
        name = template.format(
            w=rng.choice(WOMEN),
            m=rng.choice(MEN),
            b=rng.choice(BLESSINGS),
            p=SHORT.get(product, product),
            k=kecamatan,
        )
        if name not in taken:
            break
    taken.add(name)
    return name


def make_producers(rng: np.random.Generator, areas: dict[str, Area]) -> list[list[object]]:
    """Return producer rows: one per (producer, product)."""
    rows: list[list[object]] = []
    taken: set[str] = set()
    number = 0
    for kecamatan, (count, _, extra) in KAB_SERANG.items():
        weights = {p: w + extra.get(p, 0.0) for p, (_, w, _) in PRODUCTS.items()}
        weights = {p: w for p, w in weights.items() if w > 0}
        for _ in range(count):
            number += 1
            pid = f"UMKM-{number:03d}"
            lat, lon = random_point(areas[kecamatan], rng)
            n = _pick(rng, PRODUCTS_PER_PRODUCER)[0]
            products = _pick(rng, weights, size=n)
            name = _producer_name(rng, products[0], kecamatan, taken)
            size = rng.lognormal(0.0, 0.55)
            for product in products:
                category = PRODUCTS[product][0]
                capacity = _amount(rng, CAPACITY[category], size, step=5)
                rows.append([pid, name, kecamatan, lat, lon, product, category, capacity])
    return rows


def make_stores(rng: np.random.Generator, areas: dict[str, Area]) -> list[list[object]]:
    """Return store rows: one per (store, product); Alfamart orders only ``kering`` food."""
    counts = {k: stores for k, (_, stores, _) in KAB_SERANG.items()} | CITY_STORES
    all_weights = {p: w for p, (_, _, w) in PRODUCTS.items()}
    dry_weights = {p: w for p, (c, _, w) in PRODUCTS.items() if c == "kering"}
    numbers = {"Indomaret": 0, "Alfamart": 0}
    rows: list[list[object]] = []
    for kecamatan, count in counts.items():
        places = list(rng.permutation(STORE_PLACES))
        seen: dict[str, int] = {}
        for _ in range(count):
            chain = "Indomaret" if rng.random() < INDOMARET_SHARE else "Alfamart"
            numbers[chain] += 1
            sid = f"{'IDM' if chain == 'Indomaret' else 'ALF'}-{numbers[chain]:04d}"
            seen[chain] = seen.get(chain, 0) + 1
            k = seen[chain]
            if k == 1:
                name = f"{chain} {kecamatan}"
            elif k == 2:
                name = f"{chain} {places.pop()} {kecamatan}"
            else:
                name = f"{chain} {kecamatan} {k - 1}"
            lat, lon = random_point(areas[kecamatan], rng)
            weights = all_weights if chain == "Indomaret" else dry_weights
            n = _pick(rng, PRODUCTS_PER_STORE)[0]
            size = rng.lognormal(0.0, 0.35)
            for product in _pick(rng, weights, size=n):
                demand = _amount(rng, DEMAND[PRODUCTS[product][0]], size, step=1)
                rows.append([sid, name, chain, kecamatan, lat, lon, product, demand])
    return rows


def write_csv(path: Path, header: Sequence[str], rows: list[list[object]]) -> None:
    """Write ``rows`` sorted by id then product: UTF-8, ``\\n`` line ends, 6-decimal degrees."""
    product_col = list(header).index("product")
    rows = sorted(rows, key=lambda r: (r[0], r[product_col]))
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([f"{v:.6f}" if isinstance(v, float) else v for v in row])


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and write both tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent, help="output directory"
    )
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    areas = load_areas(BOUNDARIES)
    producers = make_producers(rng, areas)
    stores = make_stores(rng, areas)
    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(
        args.out / "producers.csv",
        ["producer_id", "name", "kecamatan", "lat", "lon", "product", "category", "capacity"],
        producers,
    )
    write_csv(
        args.out / "stores.csv",
        ["store_id", "name", "chain", "kecamatan", "lat", "lon", "product", "demand"],
        stores,
    )
    n_prod = len({r[0] for r in producers})
    n_store = len({r[0] for r in stores})
    print(
        f"wrote {n_prod} producers ({len(producers)} rows) and "
        f"{n_store} stores ({len(stores)} rows) to {args.out}"
    )


if __name__ == "__main__":
    main()
