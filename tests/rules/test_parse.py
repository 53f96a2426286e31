"""Rules: parsing and checking the TOML tables (zones: test_zones; judging: test_judge)."""

from __future__ import annotations

import pytest

from squares import ANYAR, CIRUAS, CURUG_KOTA, PATH, PONTANG, TIRTAYASA, parse
from umkm_alloc.errors import ConfigError
from umkm_alloc.rules import (
    Rules,
    check_categories_used,
    product_key,
)


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
