"""Hand-made kecamatan: a 3 x 2 grid of 0.01-degree squares and one square at a corner.

::

    Pontang   Tirtayasa  Anyar
    Ciruas    Kragilan   Curug (Kota Uji)
                                    Curug (Kabupaten Lain)   <- corner contact only

Used by the rules tests (parsing, zones, the judge) and by the ``zones`` command's tests.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import geopandas as gpd
import shapely

from umkm_alloc.geo.boundaries import Boundaries
from umkm_alloc.rules import Rules, parse_rules

PATH = Path("rules.toml")

CELLS = [
    ("99.01.01", "Pontang", "Kabupaten Uji", 0, 1),
    ("99.01.02", "Tirtayasa", "Kabupaten Uji", 1, 1),
    ("99.01.03", "Anyar", "Kabupaten Uji", 2, 1),
    ("99.01.04", "Ciruas", "Kabupaten Uji", 0, 0),
    ("99.01.05", "Kragilan", "Kabupaten Uji", 1, 0),
    ("99.02.01", "Curug", "Kota Uji", 2, 0),
    ("99.03.01", "Curug", "Kabupaten Lain", 3, -1),
]
CODES = [c[0] for c in CELLS]
PONTANG, TIRTAYASA, ANYAR, CIRUAS, KRAGILAN, CURUG_KOTA, CURUG_LAIN = CODES
# Borders of positive length (edges of the grid); corner contacts are left out on purpose.
EDGES = {
    (PONTANG, TIRTAYASA),
    (TIRTAYASA, ANYAR),
    (CIRUAS, KRAGILAN),
    (KRAGILAN, CURUG_KOTA),
    (PONTANG, CIRUAS),
    (TIRTAYASA, KRAGILAN),
    (ANYAR, CURUG_KOTA),
}


def squares_frame() -> gpd.GeoDataFrame:
    """The squares as a GeoDataFrame with the packaged boundaries' columns."""
    rows = []
    for kode, nama, kab, col, row in CELLS:
        # 106.0 + col * 0.01 is not exactly the right edge of the left neighbour in floats:
        # the adjacency must not depend on exact vertex equality.
        x, y = 106.0 + col * 0.01, -6.0 + row * 0.01
        rows.append(
            {
                "kode": kode,
                "nama": nama,
                "kode_kab": kode[:5],
                "kabupaten": kab,
                "geometry": shapely.box(x, y, x + 0.01, y + 0.01),
            }
        )
    frame = gpd.GeoDataFrame(rows, crs="EPSG:4326")
    for col in ("kode", "nama", "kode_kab", "kabupaten"):
        frame[col] = frame[col].astype(object)
    return frame


SQUARES = Boundaries(frame=squares_frame(), source="squares", metric_crs="EPSG:32748")


def parse(text: str, boundaries: Boundaries = SQUARES) -> Rules:
    """Parse a rules file's text against the squares (or other boundaries)."""
    return parse_rules(tomllib.loads(text), PATH, boundaries)
