"""The one Summary of a run, against the tables it sums; the terminal summary that shows it."""

from __future__ import annotations

import io
import json
import math
import re
import tempfile
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from conftest import ANYAR, CIRUAS, KOTA_SERANG, KRAGILAN, PONTANG, TIRTAYASA
from umkm_alloc.allocate import Result, assign
from umkm_alloc.cli.render import render_assign
from umkm_alloc.config import AssignConfig
from umkm_alloc.labels import limits_text
from umkm_alloc.report import summary_json
from umkm_alloc.rules.model import Rules
from umkm_alloc.summary import Summary, summarize

# Tengah before Pantura in the file: zone rows follow the file, not the alphabet.
RULES = """
[zones]
Tengah = ["Ciruas", "Kragilan"]
Pantura = ["Pontang", "Tirtayasa"]

[products]
"Sate Bandeng" = "basah"
"Kue Cucur" = "basah"
"Emping Melinjo" = "kering"

[categories.basah]
max_km = 12
[categories.kering]
max_km = 25
"""

PRODUCERS = f"""producer_id,name,lat,lon,product,capacity
P1,Bandeng Pontang,{PONTANG[0]},{PONTANG[1]},Sate Bandeng,50
P1,Bandeng Pontang,{PONTANG[0]},{PONTANG[1]},Emping Melinjo,20
P2,Emping Ciruas,{CIRUAS[0]},{CIRUAS[1]},Emping Melinjo,100
P3,Emping Kragilan,{KRAGILAN[0] + 0.01},{KRAGILAN[1]},Emping Melinjo,40
P4,Kue Anyar,{ANYAR[0]},{ANYAR[1]},Kue Cucur,25
P5,Bandeng Tirtayasa,{TIRTAYASA[0]},{TIRTAYASA[1]},Sate Bandeng,30
"""
STORES = f"""store_id,name,chain,lat,lon,product,demand
IDM-1,Indomaret Ciruas,Indomaret,{CIRUAS[0] - 0.01},{CIRUAS[1]},Emping Melinjo,80
IDM-2,Indomaret Pontang,Indomaret,{PONTANG[0] - 0.005},{PONTANG[1]},Sate Bandeng,30
IDM-3,Indomaret Kragilan,Indomaret,{KRAGILAN[0]},{KRAGILAN[1]},Emping Melinjo,90
ALF-1,Alfamart Anyar,Alfamart,{ANYAR[0] - 0.01},{ANYAR[1]},Emping Melinjo,30
IDM-4,Indomaret Serang,Indomaret,{KOTA_SERANG[0]},{KOTA_SERANG[1]},Sate Bandeng,40
IDM-4,Indomaret Serang,Indomaret,{KOTA_SERANG[0]},{KOTA_SERANG[1]},Emping Melinjo,25
"""


def _run(
    folder: Path, producers: str, stores: str, rules: str | None = None, max_km: float = 20.0
) -> Result:
    (folder / "producers.csv").write_text(producers, encoding="utf-8")
    (folder / "stores.csv").write_text(stores, encoding="utf-8")
    config_file = None
    if rules is not None:
        config_file = folder / "rules.toml"
        config_file.write_text(rules, encoding="utf-8")
    return assign(
        AssignConfig(
            producers=folder / "producers.csv",
            stores=folder / "stores.csv",
            config_file=config_file,
            max_km=max_km,
        )
    )


@pytest.fixture(scope="module")
def zoned(tmp_path_factory) -> Result:
    return _run(tmp_path_factory.mktemp("zoned"), PRODUCERS, STORES, RULES)


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Result:
    return _run(tmp_path_factory.mktemp("plain"), PRODUCERS, STORES)


# ------------------------------------------------------------------ references


def _site_codes(result: Result) -> tuple[dict[str, str], dict[str, str]]:
    """Kecamatan code of each producer id and store id (one place per id here)."""
    p = dict(zip(result.producers["id"], result.producers["kecamatan_code"], strict=True))
    s = dict(zip(result.stores["id"], result.stores["kecamatan_code"], strict=True))
    return p, s


def check_summary(result: Result) -> None:
    """Every figure of the summary against the tables, summed here in plain Python."""
    s = result.summary
    u = s.units
    alloc = result.allocations
    # units balance, and match the tables they come from
    assert u.supply == u.allocated + u.unused
    assert u.demand == u.allocated + u.unmet
    assert u.allocated == int(alloc["quantity"].sum())
    assert u.unmet == int(result.unmet_demand["unmet"].sum())
    assert u.unused == int(result.unused_supply["unused"].sum())
    assert u.supply == int(result.producers["qty"].sum())
    assert u.demand == int(result.stores["qty"].sum())
    assert s.unit_km == pytest.approx(
        math.fsum(q * d for q, d in zip(alloc["quantity"], alloc["distance_km"], strict=True))
    )
    assert s.counts.allocations == len(alloc)
    # by product, from the allocation table
    sent = defaultdict(int)
    for product, q in zip(alloc["product"], alloc["quantity"], strict=True):
        sent[product] += int(q)
    assert {r.product: r.allocated for r in s.by_product if r.allocated} == dict(sent)
    assert sum(r.supply for r in s.by_product) == u.supply
    assert sum(r.demand for r in s.by_product) == u.demand
    # by kecamatan, from the allocation table and the sites' kecamatan
    p_code, s_code = _site_codes(result)
    supplied, received = defaultdict(int), defaultdict(int)
    for pid, sid, q in zip(alloc["producer_id"], alloc["store_id"], alloc["quantity"], strict=True):
        supplied[p_code[pid]] += int(q)
        received[s_code[sid]] += int(q)
    rows = s.by_kecamatan
    assert [r.kode for r in rows] == sorted(set(p_code.values()) | set(s_code.values()))
    assert {r.kode: r.supplied for r in rows if r.supplied} == dict(supplied)
    assert {r.kode: r.received for r in rows if r.received} == dict(received)
    for key, total in (("supply", u.supply), ("demand", u.demand)):
        assert sum(getattr(r, key) for r in rows) == total
        assert sum(getattr(r, key) for r in s.by_zone) == total
    for key in ("supplied", "received"):
        assert sum(getattr(r, key) for r in rows) == u.allocated
        assert sum(getattr(r, key) for r in s.by_zone) == u.allocated
    assert sum(r.unmet for r in rows) == u.unmet == sum(r.unmet for r in s.by_zone)
    assert sum(r.producers for r in rows) == s.counts.producers
    assert sum(r.stores for r in rows) == s.counts.stores
    # by zone: the zone map's zones, in its order, with the units crossing zone borders
    zone_map = result.zone_map
    assert s.zones == zone_map.zone_names[: zone_map.configured]
    assert {r.kode: r.zone for r in rows} == {r.kode: zone_map.zone_of(r.kode) for r in rows}
    shown = [r.zone for r in s.by_zone]
    assert shown == [z for z in zone_map.zone_names if z in set(shown)]
    assert sum(r.kecamatan for r in s.by_zone) == len(rows)
    crossing = defaultdict(int)
    for pid, sid, q in zip(alloc["producer_id"], alloc["store_id"], alloc["quantity"], strict=True):
        zone_p, zone_s = zone_map.zone_of(p_code[pid]), zone_map.zone_of(s_code[sid])
        if zone_p != zone_s:
            crossing[zone_s] += int(q)
    from_other = {r.zone: r.received_from_other_zones for r in s.by_zone}
    assert {z: n for z, n in from_other.items() if n} == dict(crossing)
    # reasons: rows and units of the unmet and unused tables
    for counts, table, col in (
        (s.unmet_by_reason, result.unmet_demand, "unmet"),
        (s.unused_by_reason, result.unused_supply, "unused"),
    ):
        assert [c.kind for c in counts] == sorted(set(table["kind"]))
        assert sum(c.rows for c in counts) == len(table)
        assert sum(c.units for c in counts) == int(table[col].sum())


# ------------------------------------------------------------------ the summary


def test_summary_adds_up_with_zones(zoned):
    check_summary(zoned)
    assert zoned.summary.zones == ("Tengah", "Pantura")
    shown = [r.zone for r in zoned.summary.by_zone]
    assert shown[:2] == ["Tengah", "Pantura"]  # the file's order, not the alphabet
    assert len(shown) == 4  # Anyar and the Kota Serang kecamatan: zones of their own
    tengah = zoned.summary.by_zone[0]
    assert (tengah.kecamatan, tengah.producers, tengah.demand) == (2, 2, 170)


def test_summary_adds_up_without_zones(plain):
    check_summary(plain)
    assert plain.summary.zones == ()
    # every kecamatan is a zone of its own
    assert [r.zone for r in plain.summary.by_zone] == [
        plain.zone_map.zone_of(r.kode) for r in plain.summary.by_kecamatan
    ]


def test_computed_once_and_identical_when_computed_twice(zoned, tmp_path):
    assert zoned.summary is zoned.summary
    again = summarize(zoned)
    assert again is not zoned.summary and again == zoned.summary
    # the same job with its rows in the opposite order: the same summary
    head, *rows = PRODUCERS.splitlines()
    s_head, *s_rows = STORES.splitlines()
    reordered = _run(
        tmp_path,
        "\n".join([head, *rows[::-1]]) + "\n",
        "\n".join([s_head, *s_rows[::-1]]) + "\n",
        RULES,
    )
    for field in ("units", "unit_km", "counts", "by_product", "by_kecamatan", "by_zone", "zones"):
        assert getattr(reordered.summary, field) == getattr(zoned.summary, field), field


def test_to_json_is_summary_json_and_holds_the_design_keys(zoned):
    data = json.loads(summary_json(zoned))
    assert data == zoned.summary.to_json()
    for key in ("supply", "demand", "allocated", "unmet", "unused"):
        assert data["units"][key] == getattr(zoned.summary.units, key)
    assert data["counts"]["rows_rejected"] == 0
    assert data["unit_km"] == round(zoned.summary.unit_km, 3)
    assert data["fill_rate"] == round(zoned.summary.fill_rate, 6)
    assert data["params"]["rules"]["zones"]["Tengah"] == list(zoned.rules.zones["Tengah"])
    assert data["params"]["distance"]["backend"] == "geodesic"
    assert [r["kode"] for r in data["by_kecamatan"]] == [r.kode for r in zoned.summary.by_kecamatan]


def test_nothing_allocated(tmp_path):
    result = _run(
        tmp_path,
        f"producer_id,lat,lon,product,capacity\nP1,{PONTANG[0]},{PONTANG[1]},Opak,10\n",
        f"store_id,lat,lon,product,demand\nS1,{ANYAR[0]},{ANYAR[1]},Opak,5\n",
    )
    s = result.summary
    check_summary(result)
    assert (s.units.allocated, s.unit_km, s.mean_km, s.fill_rate) == (0, 0.0, None, 0.0)
    assert all(r.received_from_other_zones == 0 for r in s.by_zone)


POINTS = {
    "Pontang": PONTANG,
    "Tirtayasa": TIRTAYASA,
    "Ciruas": CIRUAS,
    "Kragilan": KRAGILAN,
    "Anyar": ANYAR,
}
_row = st.tuples(
    st.sampled_from(sorted(POINTS)), st.sampled_from(["Opak", "Dodol"]), st.integers(0, 60)
)


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    producers=st.lists(_row, min_size=1, max_size=6),
    stores=st.lists(_row, min_size=1, max_size=6),
    zone_of=st.fixed_dictionaries({k: st.sampled_from(["", "Z1", "Z2"]) for k in POINTS}),
    max_km=st.sampled_from([5, 15, 40]),
)
def test_summary_adds_up_on_any_small_job(producers, stores, zone_of, max_km):
    def table(rows, kind, qty):
        lines = [f"{kind}_id,lat,lon,product,{qty}"]
        for i, (kec, product, n) in enumerate(rows):
            lat, lon = POINTS[kec]
            lines.append(f"{kind[0].upper()}{i},{lat + 0.001 * (i % 3)},{lon},{product},{n}")
        return "\n".join(lines) + "\n"

    zones: dict[str, list[str]] = defaultdict(list)
    for kec, zone in sorted(zone_of.items()):
        if zone:
            zones[zone].append(kec)
    rules = "[zones]\n" + "".join(
        f"{zone} = {json.dumps(members)}\n" for zone, members in sorted(zones.items())
    )
    p_csv, s_csv = table(producers, "producer", "capacity"), table(stores, "store", "demand")
    with tempfile.TemporaryDirectory() as tmp:
        check_summary(_run(Path(tmp), p_csv, s_csv, max_km=max_km))
        zoned = _run(Path(tmp), p_csv, s_csv, rules, max_km=max_km)
        check_summary(zoned)
        assert zoned.summary.zones == tuple(sorted(zones))


# ------------------------------------------------------------------ limits in words


def _config(**kwargs) -> AssignConfig:
    return AssignConfig(producers=Path("p.csv"), stores=Path("s.csv"), **kwargs)


def test_limits_text_names_the_category_limits():
    assert limits_text(_config(), Rules.default()) == "max 20 km"
    rules = Rules(
        categories={"kering": 25.0, "basah": 12.0, "bumbu": None},
        category_labels={"basah": "Basah", "kering": "kering"},
    )
    # as written in the file, sorted; a category without max_km takes --max-km
    assert limits_text(_config(max_km=15), rules) == "max 15 km (Basah 12 km, kering 25 km)"
    only_default = Rules(categories={"bumbu": None})
    assert limits_text(_config(max_km=7.5), only_default) == "max 7.5 km"


def test_limits_text_keeps_the_time_limit(tmp_path):
    matrix = tmp_path / "d.csv"
    matrix.write_text("producer_id,store_id,distance_km,minutes\nP1,S1,1,2\n")
    config = _config(distance=f"matrix:{matrix}", max_minutes=30.0, max_km=12.0)
    rules = Rules(categories={"basah": 10.0})
    assert limits_text(config, rules) == "max 12 km and 30 min (basah 10 km)"


def test_map_footnote_names_the_category_limits(zoned, plain):
    from umkm_alloc.report.png import _footnote
    from umkm_alloc.report.scene import build_scene

    footnote = _footnote(build_scene(zoned, lang="en"))
    assert "geodesic x 1.4, max 20 km (basah 12 km, kering 25 km)  ·  " in footnote
    assert "geodesic x 1.4, max 20 km  ·  " in _footnote(build_scene(plain, lang="id"))


# ------------------------------------------------------------------ the terminal summary


def _terminal(result: Result, width: int = 140) -> str:
    console = Console(record=True, width=width, file=io.StringIO(), color_system=None)
    render_assign(console, result, written=["<stdout>"])
    return console.export_text()


_ZONE_ROW = re.compile(r"^\s*(?P<zone>\S.*?)" + r"\s+([\d,]+)" * 6 + r"\s+(?P<fill>[\d.]+%|-)\s*$")


def _zone_table(text: str) -> list[tuple[str, list[int], str]]:
    """The rows of the *By zone* table: zone, the six numbers, the fill rate."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "By zone")
    rows = []
    for line in lines[start + 1 :]:
        if line.strip().startswith("By kecamatan"):
            break
        match = _ZONE_ROW.match(line)
        if match and not line.strip().startswith("zone "):
            numbers = [int(match.group(i).replace(",", "")) for i in range(2, 8)]
            rows.append((match.group("zone"), numbers, match.group("fill")))
    return rows


def test_terminal_header_shows_the_category_limits(zoned, plain):
    header = _terminal(zoned).splitlines()[0]
    assert header.startswith("umkm-alloc assign  max 20 km (basah 12 km, kering 25 km) by road (")
    assert _terminal(plain).splitlines()[0].startswith("umkm-alloc assign  max 20 km by road (")


def test_terminal_zone_table_is_the_summary_and_adds_up(zoned):
    s: Summary = zoned.summary
    rows = _zone_table(_terminal(zoned))
    assert [zone for zone, _, _ in rows] == [r.zone for r in s.by_zone]
    for (_, numbers, fill), r in zip(rows, s.by_zone, strict=True):
        assert numbers == [r.producers, r.supply, r.supplied, r.stores, r.demand, r.received]
        assert fill == (f"{100 * r.fill_rate:.1f}%" if r.fill_rate is not None else "-")
    totals = [sum(col) for col in zip(*(numbers for _, numbers, _ in rows), strict=True)]
    u, n = s.units, s.counts
    assert totals == [n.producers, u.supply, u.allocated, n.stores, u.demand, u.allocated]


def test_terminal_has_no_zone_table_without_zones(plain):
    text = _terminal(plain)
    assert "By zone" not in text and "By kecamatan" in text


def test_summary_rows_are_plain_python(zoned):
    """Views and JSON get ints and floats, never numpy scalars or pandas NA."""
    s = zoned.summary
    for row in (*s.by_kecamatan, *s.by_zone, *s.by_product):
        for value in vars(row).values():
            assert type(value) in (int, str), (row, value)
    assert type(s.unit_km) is float
    assert not pd.isna(s.unit_km)
