"""Rules: parsing and checking the TOML tables, adjacency and zones (judging: test_rules_judge)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from umkm_alloc.cli.zones import zones_command
from umkm_alloc.errors import ConfigError
from umkm_alloc.geo.boundaries import Boundaries
from umkm_alloc.rules import (
    ADJACENCY_MIN_SHARED_M,
    FORBID,
    Judge,
    Rules,
    ZoneMap,
    check_categories_used,
    kecamatan_adjacency,
    kecamatan_zone_table,
    parse_rules,
    product_key,
    zone_adjacency_table,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "serang.toml"
PATH = Path("rules.toml")

# A 3 x 2 grid of 0.01-degree squares plus one square touching the grid at a corner only:
#
#   Pontang   Tirtayasa  Anyar
#   Ciruas    Kragilan   Curug (Kota Uji)
#                                   Curug (Kabupaten Lain)   <- corner contact only
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
    return parse_rules(tomllib.loads(text), PATH, boundaries)


def problem(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse(text)
    assert info.value.exit_code == 3
    return str(info.value)


# ------------------------------------------------------------------------------ parsing


def test_parse_happy_path():
    rules = parse(
        """
        [assign]              # handled by config.py, ignored here
        max_km = 30

        [zones]
        Utara = ["Pontang", "Kec. Tirtayasa", "99.01.03"]
        "Kota Uji" = ["Curug (Kota Uji)"]

        [rules]
        mode = "adjacent-zones"
        forbid = [["Pontang", "Anyar"], ["KECAMATAN PONTANG", "Anyar"]]
        allow = [["Ciruas", "Curug, Kota Uji"]]

        [products]
        "  Sate   Bandeng " = "Basah"
        "Emping Melinjo" = "kering"

        [categories.Basah]
        max_km = 10
        [categories.kering]
        max_km = 25.5
        [categories.lain]

        [chains.Alfamart]
        accepts = ["KERING", "kering"]
        [chains.Indomaret]
        """
    )
    assert rules.zones == {
        "Utara": (PONTANG, TIRTAYASA, ANYAR),
        "Kota Uji": (CURUG_KOTA,),
    }
    assert rules.mode == "adjacent-zones"
    assert rules.forbid == ((PONTANG, ANYAR),)
    assert rules.allow == ((CIRUAS, CURUG_KOTA),)
    assert rules.products == {"sate bandeng": "basah", "emping melinjo": "kering"}
    assert rules.categories == {"basah": 10.0, "kering": 25.5, "lain": None}
    assert rules.chains == {"alfamart": ("kering",), "indomaret": None}
    assert rules.category_label("basah") == "Basah"
    assert rules.chain_label("alfamart") == "Alfamart"
    assert rules.source == "rules.toml"


def test_empty_document_is_the_default():
    assert parse("") == Rules.default()
    assert Rules.default().mode == "any"


def test_category_of_prefers_the_rows_own_category():
    rules = parse('[products]\n"Sate Bandeng" = "basah"')
    assert rules.category_of("sate  BANDENG") == "basah"
    assert rules.category_of("Sate Bandeng", "Kering ") == "kering"
    assert rules.category_of("Gipang") == ""
    assert product_key("  Sate \t Bandeng ") == "sate bandeng"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "zone = {}",
            "unknown table or key zone; did you mean zones? "
            "allowed: assign, categories, chains, products, rules, zones",
        ),
        (
            "[rules]\nmodes = 'any'",
            "unknown key rules.modes; did you mean mode? allowed: allow, forbid, mode",
        ),
        (
            "rules = 3",
            "rules = 3: must be a table; write [rules] and its keys below it",
        ),
        (
            '[zones]\nBarat = ["Anyer"]',
            "zones.Barat[0]: kecamatan 'Anyer' is not in the squares boundaries; "
            "did you mean Anyar?",
        ),
        (
            '[zones]\nBarat = ["Curug"]',
            "zones.Barat[0]: kecamatan 'Curug' exists in several places "
            "(Curug (Kota Uji) 99.02.01, Curug (Kabupaten Lain) 99.03.01); "
            'write "Curug (Kabupaten Lain)" or give the code',
        ),
        (
            '[zones]\nBarat = ["Curug (Kota Lain)"]',
            "zones.Barat[0]: kecamatan 'Curug' is not in 'Kota Lain'; it exists in "
            "Curug (Kota Uji), Curug (Kabupaten Lain); fix the kabupaten or kota, "
            "or give the code",
        ),
        (
            '[zones]\nBarat = ["99.09.09"]',
            "zones.Barat[0]: kecamatan code 99.09.09 is not in the squares boundaries; "
            "check the code (list them with 'umkm-alloc zones')",
        ),
        (
            '[zones]\nA = ["Pontang"]\nB = ["Anyar", "Kec. Pontang"]',
            'zones.B[1] = "Kec. Pontang": kecamatan Pontang (Kabupaten Uji) 99.01.01 is '
            "already in zone A; a kecamatan belongs to one zone: remove it from one of them",
        ),
        (
            '[zones]\nA = "Pontang"',
            'zones.A = "Pontang": must be a list of kecamatan names or codes, '
            'like ["Anyar", "36.04.31"]',
        ),
        ("[zones]\nA = []", "zones.A = []: the zone is empty; list its kecamatan or remove it"),
        (
            '[zones]\n"Kota Uji" = [3]',
            'zones."Kota Uji"[0] = 3: must be a kecamatan name or code in quotes, '
            'like "Anyar" or "36.04.30"',
        ),
        (
            '[zones]\nA = ["Pontang"]\na = ["Anyar"]',
            "zones.a: the same zone as zones.A (zone names are matched ignoring case); merge them",
        ),
        (
            '[rules]\nmode = "same_zone"',
            'rules.mode = "same_zone": unknown mode; use one of "any", "same-zone", '
            '"adjacent-zones"',
        ),
        (
            '[rules]\nforbid = [["Pontang"]]',
            'rules.forbid[0] = ["Pontang"]: not a pair; write '
            '["producer kecamatan", "store kecamatan"], like ["Pontang", "Anyar"]',
        ),
        (
            '[rules]\nallow = [["Pontang", "Anyar", "Ciruas"]]',
            'rules.allow[0] = ["Pontang", "Anyar", "Ciruas"]: not a pair; write '
            '["producer kecamatan", "store kecamatan"], like ["Pontang", "Anyar"]',
        ),
        (
            '[rules]\nforbid = [["Pontang", 3]]',
            'rules.forbid[0] = ["Pontang", 3]: not a pair; write '
            '["producer kecamatan", "store kecamatan"], like ["Pontang", "Anyar"]',
        ),
        (
            '[rules]\nforbid = ["Pontang", "Anyar"]',
            'rules.forbid[0] = "Pontang": not a pair; write '
            '["producer kecamatan", "store kecamatan"], like ["Pontang", "Anyar"]\n'
            'rules.toml: rules.forbid[1] = "Anyar": not a pair; write '
            '["producer kecamatan", "store kecamatan"], like ["Pontang", "Anyar"]',
        ),
        (
            '[rules]\nforbid = "Pontang"',
            'rules.forbid = "Pontang": must be a list of [producer kecamatan, store kecamatan] '
            'pairs, like [["Pontang", "Anyar"]]',
        ),
        (
            '[rules]\nforbid = [["Pontang", "Anyer"]]',
            "rules.forbid[0]: store kecamatan 'Anyer' is not in the squares boundaries; "
            "did you mean Anyar?",
        ),
        (
            '[products]\n"Sate Bandeng" = 3',
            'products."Sate Bandeng" = 3: must be a category name in quotes, '
            'like "basah" or "kering"',
        ),
        (
            '[products]\n"Sate Bandeng" = "basah"\n"sate  bandeng" = "kering"',
            'products."sate  bandeng" = "kering": the same product as '
            'products."Sate Bandeng" = "basah" (names match ignoring case and spaces); '
            "keep one",
        ),
        (
            "[categories.basah]\nmax_km = -1",
            "categories.basah.max_km = -1: must be a positive number of km, like 10",
        ),
        (
            "[categories.basah]\nmax_km = 0",
            "categories.basah.max_km = 0: must be a positive number of km, like 10",
        ),
        (
            '[categories.basah]\nmax_km = "10"',
            'categories.basah.max_km = "10": must be a positive number of km, like 10',
        ),
        (
            "[categories.basah]\nmax_km = true",
            "categories.basah.max_km = true: must be a positive number of km, like 10",
        ),
        (
            "[categories.basah]\nmax_km = inf",
            "categories.basah.max_km = inf: must be a positive number of km, like 10",
        ),
        (
            "[categories.basah]\nmax = 10",
            "unknown key categories.basah.max; did you mean max_km? allowed: max_km",
        ),
        (
            "[categories]\nbasah = 10",
            "categories.basah = 10: must be a table; write [categories.basah] and "
            "max_km = ... below it",
        ),
        (
            "[categories.basah]\n[categories.Basah]",
            "categories.Basah: the same as categories.basah (names match ignoring case); "
            "merge them",
        ),
        (
            '[chains.Alfamart]\naccepts = "kering"',
            'chains.Alfamart.accepts = "kering": must be a list of category names, like ["kering"]',
        ),
        (
            "[chains.Alfamart]\naccepts = [1]",
            'chains.Alfamart.accepts = [1]: must be a list of category names, like ["kering"]',
        ),
        (
            '[chains.Alfamart]\naccept = ["kering"]',
            "unknown key chains.Alfamart.accept; did you mean accepts? allowed: accepts",
        ),
    ],
)
def test_each_problem_has_its_exact_message(text, message):
    assert problem(text) == f"rules.toml: {message}"


def test_every_problem_of_the_file_is_reported_together():
    message = problem(
        """
        [zones]
        Barat = ["Anyer", "Pontang"]
        Utara = ["Pontang"]
        [rules]
        mode = "nearest"
        [categories.basah]
        max_km = -5
        """
    )
    assert message.splitlines() == [
        "rules.toml: zones.Barat[0]: kecamatan 'Anyer' is not in the squares boundaries; "
        "did you mean Anyar?",
        'rules.toml: zones.Utara[0] = "Pontang": kecamatan Pontang (Kabupaten Uji) 99.01.01 '
        "is already in zone Barat; a kecamatan belongs to one zone: remove it from one of them",
        'rules.toml: rules.mode = "nearest": unknown mode; use one of "any", "same-zone", '
        '"adjacent-zones"',
        "rules.toml: categories.basah.max_km = -5: must be a positive number of km, like 10",
    ]


def test_a_category_no_product_uses_is_reported():
    rules = parse(
        "[categories.basha]\nmax_km = 10\n[categories.kering]\nmax_km = 25\n"
        '[chains.Alfamart]\naccepts = ["kering", "kerupuk"]'
    )
    check_categories_used(rules, {"basha", "kering", "kerupuk", ""}, PATH)
    with pytest.raises(ConfigError) as info:
        check_categories_used(rules, {"basah", "kering"}, PATH)
    assert str(info.value).splitlines() == [
        "rules.toml: categories.basha: no product in the input tables has category 'basha' "
        "(categories found: basah, kering); fix the name or remove the table",
        "rules.toml: chains.Alfamart.accepts[1] = 'kerupuk': no product in the input tables "
        "has this category (categories found: basah, kering); fix the name",
    ]
    check_categories_used(Rules.default(), set(), PATH)


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
    readme = " ".join((Path(__file__).resolve().parents[1] / "README.md").read_text().split())
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
