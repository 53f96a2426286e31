"""Rules: kecamatan adjacency, zones and their tables, and the Serang example's rules file."""

from __future__ import annotations

import tomllib

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from conftest import EXAMPLES, REPO
from squares import ANYAR, CIRUAS, CODES, EDGES, PONTANG, SQUARES, TIRTAYASA, parse
from umkm_alloc.cli.zones import zones_command
from umkm_alloc.geo.boundaries import Boundaries
from umkm_alloc.rules import (
    ADJACENCY_MIN_SHARED_M,
    FORBID,
    Judge,
    ZoneMap,
    check_categories_used,
    kecamatan_adjacency,
    kecamatan_zone_table,
    parse_rules,
    zone_adjacency_table,
)

EXAMPLE = EXAMPLES / "serang.toml"


# ---------------------------------------------------------------------- zones, adjacency


def test_squares_sharing_an_edge_are_adjacent_and_corners_are_not():
    found = kecamatan_adjacency(SQUARES)
    assert {(CODES[i], CODES[j]) for i, j in found} == EDGES
    assert all(i < j for i, j in found)


def touching_frame(border_m: float) -> Boundaries:
    """Two hand-made kecamatan: a square, and a wedge whose tip lies along its east edge.

    The wedge touches the square along ``border_m`` metres (north-south), and its sides
    leave the square's edge at 45 degrees, as repaired polygons meet along a tiny sliver.
    """
    deg = border_m / 110_574.0  # metres of latitude per degree near the equator
    square = shapely.box(106.0, -6.01, 106.01, -6.0)
    x, y = 106.01, -6.005
    wedge = shapely.Polygon(
        [(x, y - deg / 2), (x, y + deg / 2), (x + 0.004, y + 0.004), (x + 0.004, y - 0.004)]
    )
    rows = [
        {"kode": "99.01.01", "nama": "Kotak", "kabupaten": "Uji", "geometry": square},
        {"kode": "99.01.02", "nama": "Baji", "kabupaten": "Uji", "geometry": wedge},
    ]
    frame = gpd.GeoDataFrame(rows, crs="EPSG:4326").assign(kode_kab="99.01")
    return Boundaries(frame=frame, source="touching", metric_crs="EPSG:32748")


@pytest.mark.parametrize(
    ("border_m", "neighbours"), [(0.0, False), (3.0, False), (50.0, True), (500.0, True)]
)
def test_a_border_of_a_few_metres_is_a_corner_and_fifty_metres_a_border(border_m, neighbours):
    boundaries = touching_frame(border_m)
    outlines = shapely.boundary(boundaries.frame.geometry.to_numpy())
    exact = shapely.length(shapely.intersection(*outlines)) * 110_574.0  # a north-south line
    assert exact == pytest.approx(border_m, rel=0.01, abs=0.01)  # the border we meant
    assert (kecamatan_adjacency(boundaries) == {(0, 1)}) is neighbours
    # measured within ADJACENCY_SNAP_M, even a point contact "shares" a few metres: that is
    # why a border must be longer than ADJACENCY_MIN_SHARED_M, not merely positive
    assert ADJACENCY_MIN_SHARED_M == 10.0
    assert (kecamatan_adjacency(boundaries, min_shared_m=0.0) == {(0, 1)}) is True


def test_readme_and_zones_help_cite_the_adjacency_definition():
    readme = " ".join((REPO / "README.md").read_text().split())
    help_text = " ".join((zones_command.__doc__ or "").split())
    phrase = f"border longer than {ADJACENCY_MIN_SHARED_M:g} m"
    assert phrase in readme and "ADJACENCY_MIN_SHARED_M" in readme
    assert phrase in help_text


def test_adjacency_of_the_packaged_boundaries(boundaries):
    pairs = kecamatan_adjacency(boundaries)
    code = {k: i for i, k in enumerate(boundaries.frame["kode"])}

    def adjacent(a: str, b: str) -> bool:
        return (min(code[a], code[b]), max(code[a], code[b])) in pairs

    assert adjacent("36.04.12", "36.04.13")  # Pontang - Tirtayasa
    assert adjacent("36.04.30", "36.04.31")  # Anyar - Cinangka
    assert not adjacent("36.04.12", "36.04.30")  # Pontang - Anyar
    assert len(pairs) == 404


def test_zone_map_names_own_zones_and_avoids_collisions():
    rules = parse('[zones]\nKragilan = ["Pontang", "Tirtayasa"]\nUji = ["Anyar"]')
    zm = ZoneMap.build(rules, SQUARES)
    assert zm.zone_names == ("Kragilan", "Uji", "Ciruas", "99.01.05", "99.02.01", "99.03.01")
    assert [zm.zone_of(c) for c in CODES] == [
        "Kragilan",
        "Kragilan",
        "Uji",
        "Ciruas",
        "99.01.05",  # its name is a configured zone
        "99.02.01",  # Curug twice
        "99.03.01",
    ]
    assert zm.adjacent_zones("Kragilan") == ("99.01.05", "Ciruas", "Uji")
    assert zm.adjacent_zones("99.03.01") == ()
    assert zm.relation(PONTANG, TIRTAYASA) == "same"
    assert zm.relation(PONTANG, ANYAR) == "adjacent"
    assert zm.relation(CIRUAS, ANYAR) == "apart"
    names = [zm.names[j] for j in zm.neighbours[zm.row(TIRTAYASA)]]
    assert names == ["Pontang", "Anyar", "Kragilan"]


def test_zone_tables():
    rules = parse('[zones]\nUtara = ["Pontang", "Tirtayasa", "Anyar"]')
    zm = ZoneMap.build(rules, SQUARES)
    table = kecamatan_zone_table(zm)
    assert table.columns.tolist() == ["kode", "nama", "kabupaten", "zone", "neighbours"]
    assert table.iloc[1].tolist() == [
        TIRTAYASA,
        "Tirtayasa",
        "Kabupaten Uji",
        "Utara",
        "Anyar;Kragilan;Pontang",
    ]
    adjacency = zone_adjacency_table(zm, separator=", ")
    assert adjacency.iloc[0].tolist() == ["Utara", 3, "99.02.01, Ciruas, Kragilan"]
    assert adjacency["zone"].tolist() == ["Utara", "Ciruas", "Kragilan", "99.02.01", "99.03.01"]


# ------------------------------------------------------------------- the Serang example


@pytest.fixture(scope="module")
def serang(boundaries):
    with EXAMPLE.open("rb") as fh:
        rules = parse_rules(tomllib.load(fh), EXAMPLE, boundaries)
    return rules, ZoneMap.build(rules, boundaries)


def test_serang_example_zones_every_kecamatan_of_kabupaten_serang(serang, boundaries):
    rules, _ = serang
    frame = boundaries.frame
    wanted = set(frame.loc[frame["kode_kab"].isin(["36.04", "36.72", "36.73"]), "kode"])
    zoned = [code for codes in rules.zones.values() for code in codes]
    assert len(zoned) == len(set(zoned)) == len(wanted) == 29 + 8 + 6
    assert set(zoned) == wanted
    assert rules.mode == "adjacent-zones"
    assert rules.chains == {"alfamart": ("kering",)}
    assert rules.categories == {"basah": 12.0, "kering": 25.0}


def test_serang_example_never_lets_pontang_supply_anyar(serang):
    rules, zm = serang
    pontang, anyar = "36.04.12", "36.04.30"
    assert (pontang, anyar) in rules.forbid
    assert zm.relation(pontang, anyar) == "apart"
    judge = Judge(
        rules,
        zm,
        producers=pd.DataFrame({"kecamatan_code": [pontang], "category": ["kering"]}),
        stores=pd.DataFrame({"kecamatan_code": [anyar], "category": [""], "chain": [""]}),
        max_km=60.0,
    )
    assert judge.codes([0], [0], km=[1.0]).tolist() == [FORBID]


def test_serang_example_products_match_the_example_data(serang):
    rules, _ = serang
    producers = pd.read_csv(EXAMPLE.parent / "producers.csv")
    pairs = set(zip(producers["product"], producers["category"], strict=True))
    assert {(p, rules.category_of(p)) for p, _ in pairs} == pairs
    check_categories_used(rules, {c for _, c in pairs}, EXAMPLE)
