"""The judge: every pair's reason code (against a plain reference) and its words."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from squares import CODES, EDGES, SQUARES, parse
from umkm_alloc.rules import (
    BEYOND_DISTANCE,
    CHAIN,
    ELIGIBLE,
    FORBID,
    MODES,
    REASONS,
    ZONE_MODE,
    Judge,
    Rules,
    ZoneMap,
    exceeding,
    max_limit_km,
)

PONTANG, TIRTAYASA, ANYAR, CIRUAS, KRAGILAN, CURUG_KOTA, CURUG_LAIN = CODES

Pair = tuple[str, str, str, str, float]  # producer kecamatan, store kecamatan, category, chain, km


def judge_of(
    rules: Rules,
    pairs: list[Pair],
    default: float = 20.0,
    *,
    max_minutes: float | None = None,
    category_on: str = "producer",
) -> Judge:
    """A judge of one producer row and one store row per pair (pair i = rows i, i).

    ``category_on``: the pair's category is the producer row's (``producer``), the store
    row's with the producer's empty (``store``), or the producer's with a decoy on the store
    row that must be ignored (``both``).
    """
    p, s, cat, chain = ([pair[k] for pair in pairs] for k in range(4))
    empty = [""] * len(pairs)
    p_cat = cat if category_on in ("producer", "both") else empty
    s_cat = {"producer": empty, "store": cat, "both": ["lain" if c else "" for c in cat]}
    producers = pd.DataFrame({"kecamatan_code": p, "category": p_cat}, dtype=object)
    stores = pd.DataFrame(
        {"kecamatan_code": s, "category": s_cat[category_on], "chain": chain}, dtype=object
    )
    return Judge(
        rules,
        ZoneMap.build(rules, SQUARES),
        producers=producers,
        stores=stores,
        max_km=default,
        max_minutes=max_minutes,
    )


def run(rules: Rules, pairs: list[Pair], default: float = 20.0, **kw) -> list[int]:
    judge = judge_of(rules, pairs, default, **kw)
    n = np.arange(len(pairs))
    return judge.codes(n, n, km=[pair[4] for pair in pairs]).tolist()


# ---------------------------------------------------------------------------- the codes


def test_reason_order_and_precedence():
    rules = parse(
        """
        [zones]
        Utara = ["Pontang", "Tirtayasa"]
        Selatan = ["Ciruas", "Kragilan"]
        [rules]
        mode = "same-zone"
        forbid = [["Pontang", "Tirtayasa"], ["Pontang", "Ciruas"]]
        allow = [["Pontang", "Ciruas"], ["Tirtayasa", "Kragilan"]]
        [categories.basah]
        max_km = 10
        [chains.Alfamart]
        accepts = ["kering"]
        """
    )
    pairs = [
        (PONTANG, TIRTAYASA, "kering", "", 5.0),  # same zone, but forbidden
        (PONTANG, CIRUAS, "kering", "", 5.0),  # forbid beats allow
        (TIRTAYASA, KRAGILAN, "kering", "", 5.0),  # allow reopens mode
        (TIRTAYASA, KRAGILAN, "kering", "", 25.0),  # ... but not distance
        (TIRTAYASA, KRAGILAN, "basah", "alfamart", 5.0),  # ... nor chain
        (TIRTAYASA, CIRUAS, "kering", "", 5.0),  # closed by mode
        (CIRUAS, KRAGILAN, "basah", "", 10.0),  # category limit, inclusive
        (CIRUAS, KRAGILAN, "basah", "", 10.5),  # category limit replaces the default
        (CIRUAS, KRAGILAN, "kering", "", 20.0),  # default limit, inclusive
        (CIRUAS, KRAGILAN, "", "", 20.5),  # unknown category: default limit
        (CIRUAS, KRAGILAN, "basah", "Alfamart", 5.0),  # chain keys are matched case-folded
        (CIRUAS, KRAGILAN, "", "alfamart", 5.0),  # no category: the chain cannot accept it
        (CIRUAS, KRAGILAN, "basah", "indomaret", 5.0),  # no table: accepts all
        (PONTANG, CIRUAS, "basah", "alfamart", 50.0),  # distance comes first
    ]
    expected = [
        FORBID,
        FORBID,
        ELIGIBLE,
        BEYOND_DISTANCE,
        CHAIN,
        ZONE_MODE,
        ELIGIBLE,
        BEYOND_DISTANCE,
        ELIGIBLE,
        BEYOND_DISTANCE,
        CHAIN,
        CHAIN,
        ELIGIBLE,
        BEYOND_DISTANCE,
    ]
    for category_on in ("producer", "store", "both"):
        assert run(rules, pairs, category_on=category_on) == expected, category_on
    assert REASONS == {
        0: "eligible",
        1: "beyond_distance",
        2: "chain",
        3: "forbid",
        4: "zone_mode",
    }


def test_adjacent_zones_mode_and_own_zones():
    rules = parse('[zones]\nUtara = ["Pontang", "Tirtayasa"]\n[rules]\nmode = "adjacent-zones"')
    pairs = [
        (PONTANG, TIRTAYASA, "", "", 1.0),  # same zone
        (PONTANG, CIRUAS, "", "", 1.0),  # Utara - Ciruas share an edge
        (TIRTAYASA, CURUG_KOTA, "", "", 1.0),  # Utara - Curug: corner of Tirtayasa only
        (ANYAR, CURUG_KOTA, "", "", 1.0),  # own zones sharing an edge
        (CURUG_KOTA, CURUG_LAIN, "", "", 1.0),  # corner contact: not adjacent
        (CURUG_LAIN, CURUG_LAIN, "", "", 1.0),
    ]
    assert run(rules, pairs) == [0, 0, ZONE_MODE, 0, ZONE_MODE, 0]


def test_no_rules_only_distance_counts():
    pairs = [(PONTANG, CURUG_LAIN, "basah", "alfamart", 20.0), (PONTANG, ANYAR, "", "", 20.01)]
    assert run(Rules.default(), pairs) == [ELIGIBLE, BEYOND_DISTANCE]


def test_time_bound_and_missing_routes_are_the_distance_rule():
    """Within its km but over --max-minutes, or without a route: beyond_distance first."""
    rules = parse("[chains.Alfamart]\naccepts = []")
    pairs = [(PONTANG, ANYAR, "", "alfamart", 5.0)] * 4 + [(PONTANG, ANYAR, "", "", 5.0)] * 2
    judge = judge_of(rules, pairs, math.inf, max_minutes=30.0)
    n = np.arange(len(pairs))
    codes = judge.codes(
        n,
        n,
        km=[5.0, 5.0, np.inf, 5.0, 5.0, 5.0],
        minutes=[30.0, 30.5, np.inf, np.nan, 29.0, 31.0],
    )
    assert codes.tolist() == [CHAIN, BEYOND_DISTANCE, BEYOND_DISTANCE, CHAIN, 0, BEYOND_DISTANCE]
    # without --max-minutes, times do not count; a missing route still does
    judge = judge_of(rules, pairs[4:], 20.0)
    assert judge.codes([0, 1], [0, 1], km=[5.0, np.inf], minutes=[99.0, 1.0]).tolist() == [
        ELIGIBLE,
        BEYOND_DISTANCE,
    ]


def test_codes_of_no_pairs_and_of_an_unknown_kecamatan():
    rules = parse('[rules]\nmode = "same-zone"')
    judge = judge_of(rules, [(PONTANG, PONTANG, "", "", 1.0)])
    assert judge.codes([], [], km=[]).shape == (0,)
    stranger = judge_of(rules, [("36.04.12", PONTANG, "", "", 1.0)])
    with pytest.raises(ValueError, match=r"kecamatan code '36.04.12' is not in the boundaries"):
        stranger.codes([0], [0], km=[1.0])


def test_reach_and_limits():
    rules = parse(
        "[categories.basah]\nmax_km = 10\n[categories.kering]\nmax_km = 35\n[categories.x]"
    )
    assert max_limit_km(rules, 20.0) == 35.0
    assert max_limit_km(rules, 40.0) == 40.0
    assert max_limit_km(Rules.default(), 20.0) == 20.0
    pairs = [(PONTANG, ANYAR, c, "", 1.0) for c in ("basah", "kering", "x", "")]
    judge = judge_of(rules, pairs, 20.0, category_on="store")
    assert judge.reach_km == 35.0
    assert [judge.category(i, i) for i in range(4)] == ["basah", "kering", "x", ""]
    assert [judge.limit_km(i, i) for i in range(4)] == [10.0, 35.0, 20.0, 20.0]


# ---------------------------------------------------------------------------- the words


TEXT_RULES = """
    [zones]
    Pantura = ["Pontang"]
    Barat = ["Anyar"]
    [rules]
    mode = "same-zone"
    forbid = [["Pontang", "Anyar"]]
    [categories.basah]
    max_km = 10
    [categories."kue basah"]
    max_km = 12
    [chains.Alfamart]
    accepts = ["kering"]
    [chains.Kosong]
    accepts = []
    """


def text(code, p=PONTANG, s=ANYAR, category="basah", chain="", km=31.24, rules=None, **kw):
    rules = rules or parse(TEXT_RULES)
    judge = judge_of(rules, [(p, s, category, chain, km)], max_minutes=kw.pop("max_minutes", None))
    return judge.text(code, 0, 0, km=km, **kw)


def test_reason_texts():
    assert text(FORBID) == "forbidden: Pontang -> Anyar ([rules] forbid)"
    assert text(ZONE_MODE) == "different zones: Pantura -> Barat (mode same-zone)"
    assert text(CHAIN, chain="alfamart") == (
        "Alfamart accepts only kering, not basah ([chains.Alfamart] accepts)"
    )
    assert text(CHAIN, chain="ALFAMART", category="") == (
        "Alfamart accepts only kering; the product has no category ([chains.Alfamart] accepts)"
    )
    assert text(CHAIN, chain="kosong") == (
        "Kosong accepts no category, not basah ([chains.Kosong] accepts)"
    )
    assert text(BEYOND_DISTANCE) == (
        "31.2 km, beyond the 10 km limit for basah ([categories.basah] max_km)"
    )
    assert text(BEYOND_DISTANCE, category="kue basah", km=13.0) == (
        '13.0 km, beyond the 12 km limit for kue basah ([categories."kue basah"] max_km)'
    )
    assert text(BEYOND_DISTANCE, category="kering") == "31.2 km, beyond the 20 km limit (--max-km)"
    assert text(ELIGIBLE, km=3.0) == "eligible: 3.0 km"
    adjacent = Rules(zones=parse(TEXT_RULES).zones, mode="adjacent-zones")
    assert text(ZONE_MODE, s=CURUG_LAIN, rules=adjacent) == (
        "zones not adjacent: Pantura -> 99.03.01 (mode adjacent-zones)"
    )
    with pytest.raises(ValueError, match="unknown reason code 9"):
        text(9)


def test_beyond_names_the_time_when_the_km_are_within():
    over_time = text(BEYOND_DISTANCE, km=8.0, minutes=43.2, max_minutes=40.0)
    assert over_time == "43 min (8.0 km), beyond the 40 min limit (--max-minutes)"
    over_both = text(BEYOND_DISTANCE, km=18.0, minutes=43.2, max_minutes=40.0)
    assert over_both == "18.0 km, beyond the 10 km limit for basah ([categories.basah] max_km)"


def test_pairs_just_over_a_limit_show_the_digits_that_make_it_so():
    """12.04 km is not "12.0 km, beyond the 12 km limit" (and 40.3 min not "40 min")."""
    rules = parse("[categories.basah]\nmax_km = 12")
    pairs = [(PONTANG, ANYAR, "basah", "", 12.04), (PONTANG, ANYAR, "kering", "", 20.004)]
    judge = judge_of(rules, pairs, 20.0, max_minutes=40.0)
    assert judge.codes([0, 1], [0, 1], km=[12.04, 20.004]).tolist() == [BEYOND_DISTANCE] * 2
    assert judge.beyond(0, 0, km=12.04) == (
        "12.04 km, beyond the 12 km limit for basah ([categories.basah] max_km)"
    )
    assert judge.beyond(1, 1, km=20.004) == "20.004 km, beyond the 20 km limit (--max-km)"
    assert judge.beyond(0, 0, km=12.6) == (
        "12.6 km, beyond the 12 km limit for basah ([categories.basah] max_km)"
    )
    assert judge.beyond(0, 0, km=11.0, minutes=40.3) == (
        "40.3 min (11.0 km), beyond the 40 min limit (--max-minutes)"
    )
    # the reasons' wording of a far row's nearest pair: "is ... away", --max-km not cited
    assert judge.beyond(0, 0, km=12.04, nearest=True) == (
        "is 12.04 km away, beyond the 12 km limit for basah ([categories.basah] max_km)"
    )
    assert judge.beyond(1, 1, km=20.004, nearest=True) == (
        "is 20.004 km away, beyond the 20 km limit"
    )
    assert judge.beyond(0, 0, km=11.0, minutes=40.3, nearest=True) == (
        "is 40.3 min away (11.0 km), beyond the 40 min limit (--max-minutes)"
    )


@settings(max_examples=300, deadline=None)
@given(
    limit=st.sampled_from([0.5, 10.0, 12.0, 25.0, 40.0]),
    over=st.floats(1e-12, 50.0),
    decimals=st.sampled_from([0, 1]),
)
def test_exceeding_reads_as_more_than_the_limit(limit, over, decimals):
    value = limit + over
    shown = exceeding(value, limit, decimals)
    assert float(shown) > limit
    if float(f"{value:.{decimals}f}") > limit:  # the usual digits suffice: no more are shown
        assert shown == f"{value:.{decimals}f}"
    else:
        assert len(shown.split(".")[1]) > decimals
    assert exceeding(limit, limit, decimals) == f"{limit:.{decimals}f}"


# ------------------------------------------------------------- property: vs a reference

CATEGORIES = ["", "basah", "kering", "lain"]
CHAINS = ["", "alfamart", "indomaret"]
ZONE_NAMES = ["Z0", "Z1", "Kragilan"]


@st.composite
def rule_sets(draw) -> Rules:
    zone_of = draw(st.lists(st.sampled_from([None, *ZONE_NAMES]), min_size=7, max_size=7))
    zones: dict[str, tuple[str, ...]] = {}
    for code, zone in zip(CODES, zone_of, strict=True):
        if zone is not None:
            zones[zone] = (*zones.get(zone, ()), code)
    pairs = st.tuples(st.sampled_from(CODES), st.sampled_from(CODES))
    forbid = tuple(dict.fromkeys(draw(st.lists(pairs, max_size=6))))
    allow = tuple(dict.fromkeys(draw(st.lists(pairs, max_size=6))))
    limits = st.one_of(st.none(), st.sampled_from([5.0, 10.0, 12.5, 25.0]))
    categories = draw(st.dictionaries(st.sampled_from(CATEGORIES[1:]), limits, max_size=3))
    accepts = st.one_of(
        st.none(), st.lists(st.sampled_from(CATEGORIES[1:]), unique=True).map(tuple)
    )
    chains = draw(st.dictionaries(st.sampled_from(CHAINS[1:]), accepts, max_size=2))
    return Rules(
        zones=zones,
        mode=draw(st.sampled_from(MODES)),
        forbid=forbid,
        allow=allow,
        categories=categories,
        chains=chains,
    )


def reference(rules: Rules, p: str, s: str, category: str, chain: str, km: float, default: float):
    """The rules of DESIGN.md, one pair at a time, written plainly."""
    zone = {code: ("own", code) for code in CODES}
    for name, codes in rules.zones.items():
        for code in codes:
            zone[code] = ("zone", name)
    limit = rules.categories.get(category)
    if limit is None:
        limit = default
    if km > limit:
        return BEYOND_DISTANCE
    accepts = rules.chains.get(chain)
    if accepts is not None and category not in accepts:
        return CHAIN
    if (p, s) in rules.forbid:
        return FORBID
    touching = any({zone[a], zone[b]} == {zone[p], zone[s]} for a, b in EDGES if zone[a] != zone[b])
    if rules.mode == "same-zone":
        closed = zone[p] != zone[s]
    elif rules.mode == "adjacent-zones":
        closed = zone[p] != zone[s] and not touching
    else:
        closed = False
    if closed and (p, s) not in rules.allow:
        return ZONE_MODE
    return ELIGIBLE


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    default=st.sampled_from([10.0, 20.0]),
    category_on=st.sampled_from(["producer", "store", "both"]),
)
def test_codes_agree_with_a_plain_reference(data, default, category_on):
    rules = data.draw(rule_sets())
    kec_pairs = [st.tuples(st.sampled_from(CODES), st.sampled_from(CODES))]
    # pairs named in forbid and allow, often, so that their precedence is exercised
    kec_pairs += [st.sampled_from(listed) for listed in (rules.forbid, rules.allow) if listed]
    pair = st.tuples(
        st.one_of(kec_pairs),
        st.sampled_from(CATEGORIES),
        st.sampled_from(CHAINS),
        st.one_of(st.sampled_from([0.0, 5.0, 10.0, 12.5, 20.0, 25.0]), st.floats(0, 40)),
    ).map(lambda t: (*t[0], *t[1:]))
    pairs = data.draw(st.lists(pair, min_size=1, max_size=40))
    expected = [reference(rules, *one, default) for one in pairs]
    assert run(rules, pairs, default, category_on=category_on) == expected
