"""Supply rules end to end: random rule sets against an independent reference.

The reference (``tests/rulesref.py``) re-implements the rules of DESIGN.md in plain Python,
with its own placement and adjacency; it never calls :mod:`umkm_alloc.rules`. ``assign`` must
agree with it on every pair, allocate only rule-abiding pairs, reach the LP optimum over them,
and explain every unmet and unused row with the right kind.
"""

from __future__ import annotations

import io
import re
import tempfile
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES, run_cli
from lp import reference_optimum
from rulesref import (
    CHAIN_LABELS,
    CODES,
    GEOMS,
    NAMES,
    NEIGHBOURS,
    RULE_KINDS,
    SERANG,
    VOCABULARY,
    fold,
    reference_pairs,
    reference_rows,
    rule_jobs,
    run_job,
    to_toml,
    write_job,
)
from umkm_alloc.allocate import assign
from umkm_alloc.config import AssignConfig
from umkm_alloc.report import result_files
from umkm_alloc.rules import BEYOND_DISTANCE, FORBID, REASONS

# ---------------------------------------------------------------------- 1. properties


def test_reference_adjacency_is_sane():
    code = {NAMES[i]: CODES[i] for i in SERANG}
    assert (code["Pontang"], code["Tirtayasa"]) in NEIGHBOURS
    assert (code["Kasemen"], code["Pontang"]) in NEIGHBOURS  # across the kabupaten line
    assert (code["Pontang"], code["Anyar"]) not in NEIGHBOURS
    assert all((b, a) in NEIGHBOURS for a, b in NEIGHBOURS)
    assert not any(a == b for a, b in NEIGHBOURS)


def test_zones_command_neighbours_agree_with_the_reference():
    """Every kecamatan of Banten: the same neighbours; a corner contact is not a border."""
    result = run_cli("zones", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)
    assert list(table["kode"]) == CODES
    mine = [
        ";".join(sorted(NAMES[j] for j in range(len(CODES)) if (code, CODES[j]) in NEIGHBOURS))
        for code in CODES
    ]
    assert list(table["neighbours"]) == mine
    # two pairs of kecamatan in Lebak whose polygons meet only at a point
    for a, b in (("36.02.22", "36.02.28"), ("36.02.06", "36.02.19")):  # Sobang, Leuwidamar
        shared = shapely.intersection(GEOMS[CODES.index(a)], GEOMS[CODES.index(b)])
        assert shared.geom_type == "Point"
        assert (a, b) not in NEIGHBOURS


def _check_reason(row, kind, reason, mine: pd.DataFrame, full: np.ndarray, side: str, ref):
    """Check one unmet (side "s") or unused (side "p") row against the reference pairs.

    ``mine`` holds the row's pairs with offered counterparts (``other``, ``km``, ``limit``,
    ``code``, ``oid``); ``full`` says, per counterpart row, whether it is used up.
    """
    what = "producer" if side == "s" else "store"
    context = f"{row}: {kind}: {reason}\n{mine.to_string()}"
    assert reason.strip(), context
    assert kind in VOCABULARY, context
    event(f"{'unmet' if side == 's' else 'unused'} kind {kind}")
    if mine.empty:
        assert kind == ("no_producer" if side == "s" else "no_store"), context
        return
    within = mine[mine["km"] <= mine["limit"]]
    if within.empty:
        assert kind == "beyond_distance", context
        stated = re.search(r" is (\d+(?:\.\d+)?) km away", reason)
        assert stated, context
        assert abs(float(stated[1]) - mine["km"].min()) <= 0.05 + 1e-9, context
        limit = re.search(r"beyond the (\d+(?:\.\d+)?) km limit", reason)
        nearest = mine[mine["km"] <= mine["km"].min() + 1e-9]
        assert limit and float(limit[1]) in set(nearest["limit"]), context
        return
    eligible = within[within["code"] == "eligible"]
    if len(eligible):
        assert kind == ("capacity_used" if side == "s" else "demand_met"), context
        # a maximum flow leaves no rule-abiding counterpart in reach with room to spare
        assert full[eligible["other"].to_numpy()].all(), context
        count = re.search(rf"the (\d+) {what}\(s\) in reach", reason)
        assert count and int(count[1]) == eligible["other"].nunique(), context
        return
    # every pair in reach breaks a rule: the nearest one's rule is named
    assert kind in RULE_KINDS, context
    nearest = within[within["km"] <= within["km"].min() + 1e-9]
    assert kind in set(nearest["code"]), context
    named = re.search(r"in reach \(([^,]+), (\d+(?:\.\d+)?) km\)", reason)
    assert named, context
    assert named[1] in set(nearest.loc[nearest["code"] == kind, "oid"]), context
    assert abs(float(named[2]) - within["km"].min()) <= 0.05 + 1e-9, context
    pair = nearest[(nearest["oid"] == named[1]) & (nearest["code"] == kind)].iloc[0]
    if kind == "zone_mode":
        head = "different zones" if ref.mode == "same-zone" else "zones not adjacent"
        zp, zs = ref.zone_name(pair["p_kec"]), ref.zone_name(pair["s_kec"])
        assert f"{head}: {zp} -> {zs} (mode {ref.mode})" in reason, context
    elif kind == "forbid":
        names = dict(zip(CODES, NAMES, strict=True))
        text = f"forbidden: {names[pair['p_kec']]} -> {names[pair['s_kec']]} ([rules] forbid)"
        assert text in reason, context
    else:
        assert f"([chains.{CHAIN_LABELS[pair['chain']]}] accepts)" in reason, context


@pytest.mark.slow
@settings(max_examples=45, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule_jobs())
def test_rules_hold_and_allocation_is_optimal_among_rule_abiding_pairs(job):
    producers, stores, max_km, doc, ref = job
    result = run_job(producers, stores, max_km, doc)
    assert result.rejected_rows.empty
    p, s = reference_rows(producers, ref), reference_rows(stores, ref)
    pairs = reference_pairs(p, s, ref, max_km)
    p_row = {(i, k): n for n, (i, k) in enumerate(zip(p["id"], p["key"], strict=True))}
    s_row = {(i, k): n for n, (i, k) in enumerate(zip(s["id"], s["key"], strict=True))}

    # the pipeline placed and categorised the rows as the reference did
    rp = np.array(
        [
            p_row[k]
            for k in zip(result.producers["id"], result.producers["product_key"], strict=True)
        ],
        dtype=np.int64,
    )
    rs = np.array(
        [s_row[k] for k in zip(result.stores["id"], result.stores["product_key"], strict=True)],
        dtype=np.int64,
    )
    assert list(result.producers["kecamatan_code"]) == list(p["kec"].to_numpy()[rp])
    assert list(result.stores["kecamatan_code"]) == list(s["kec"].to_numpy()[rs])
    assert list(result.producers["category"]) == list(p["cat"].to_numpy()[rp])

    # Result.arcs: exactly the offered pairs within the largest limit, each with our rule
    reach = max([max_km, *[v for v in ref.limits.values() if v is not None]])
    expected_pairs = pairs[pairs["offered"] & (pairs["km"] <= reach)]
    expected = dict(
        zip(
            zip(expected_pairs["p"], expected_pairs["s"], strict=True),
            expected_pairs["code"],
            strict=True,
        )
    )
    got = {
        (int(rp[a]), int(rs[b])): REASONS[int(c)]
        for a, b, c in zip(result.arcs["p"], result.arcs["s"], result.arcs["code"], strict=True)
    }
    assert got == expected
    if any(
        (a, b) in ref.allow and ref.mode_closes(a, b)
        for a, b in zip(expected_pairs["p_kec"], expected_pairs["s_kec"], strict=True)
    ):
        event("allow reopens a pair in reach")
    for code in sorted(set(got.values())):
        event(f"arc code {code}")

    # no allocated pair breaks a rule; capacity and demand hold
    alloc = result.allocations
    assert (alloc["quantity"] > 0).all()
    ai = np.array(
        [p_row[(i, fold(k))] for i, k in zip(alloc["producer_id"], alloc["product"], strict=True)],
        dtype=np.int64,
    )
    aj = np.array(
        [s_row[(i, fold(k))] for i, k in zip(alloc["store_id"], alloc["product"], strict=True)],
        dtype=np.int64,
    )
    lookup = pairs.set_index(["p", "s"])
    used = lookup.loc[list(zip(ai, aj, strict=True))] if len(alloc) else lookup.iloc[:0]
    assert (used["code"] == "eligible").all(), used
    assert (used["km"] <= used["limit"]).all()
    km = used["km"].to_numpy()
    assert np.allclose(alloc["distance_km"].to_numpy(), np.round(km, 3), atol=1.5e-3)
    qty = alloc["quantity"].to_numpy()
    sent = np.bincount(ai, weights=qty, minlength=len(p)).astype(np.int64)
    received = np.bincount(aj, weights=qty, minlength=len(s)).astype(np.int64)
    assert (sent <= p["qty"].to_numpy()).all()
    assert (received <= s["qty"].to_numpy()).all()
    names = {c: n for c, n in zip(CODES, NAMES, strict=True)}
    assert list(alloc["producer_kecamatan"]) == [names[c] for c in p["kec"].to_numpy()[ai]]
    assert list(alloc["store_kecamatan"]) == [names[c] for c in s["kec"].to_numpy()[aj]]

    # optimal among rule-abiding pairs: the LP over the reference's eligible pairs
    ok = pairs[pairs["offered"] & (pairs["code"] == "eligible")]
    units, unit_km = reference_optimum(
        p["qty"].to_numpy(),
        s["qty"].to_numpy(),
        ok["p"].to_numpy(),
        ok["s"].to_numpy(),
        ok["km"].to_numpy(),
    )
    assert int(qty.sum()) == round(units)
    assert abs(float((qty * km).sum()) - unit_km) <= 1e-4

    # every unmet and unused row is listed, with a reason that agrees with the reference
    offered = pairs[pairs["offered"]]
    p_full = sent == p["qty"].to_numpy()
    s_full = received == s["qty"].to_numpy()
    unmet = result.unmet_demand
    assert sorted(
        s_row[(i, fold(k))] for i, k in zip(unmet["store_id"], unmet["product"], strict=True)
    ) == sorted(np.flatnonzero(~s_full).tolist())
    for row in unmet.itertuples():
        j = s_row[(row.store_id, fold(row.product))]
        assert row.unmet == s["qty"].iat[j] - received[j] == row.demand - row.allocated
        mine = offered[offered["s"] == j].rename(columns={"p": "other"})
        mine = mine.assign(oid=p["id"].to_numpy()[mine["other"].to_numpy()])
        _check_reason(row, row.kind, row.reason, mine, p_full, "s", ref)
    unused = result.unused_supply
    assert sorted(
        p_row[(i, fold(k))] for i, k in zip(unused["producer_id"], unused["product"], strict=True)
    ) == sorted(np.flatnonzero(~p_full).tolist())
    for row in unused.itertuples():
        i = p_row[(row.producer_id, fold(row.product))]
        assert row.unused == p["qty"].iat[i] - sent[i] == row.capacity - row.allocated
        mine = offered[offered["p"] == i].rename(columns={"s": "other"})
        mine = mine.assign(oid=s["id"].to_numpy()[mine["other"].to_numpy()])
        _check_reason(row, row.kind, row.reason, mine, s_full, "p", ref)


# ------------------------------------------------------------- 2. the Serang example


def _without_category_limits() -> dict:
    doc = tomllib.loads((EXAMPLES / "serang.toml").read_text(encoding="utf-8"))
    del doc["categories"]
    return doc


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["as shipped", "without category limits"])
def test_serang_example_never_sends_pontang_goods_to_anyar(variant, tmp_path):
    rules_path = EXAMPLES / "serang.toml"
    if variant != "as shipped":
        rules_path = tmp_path / "serang.toml"
        rules_path.write_text(to_toml(_without_category_limits()), encoding="utf-8")
    doc = tomllib.loads(rules_path.read_text(encoding="utf-8"))
    result = assign(
        AssignConfig(
            producers=EXAMPLES / "producers.csv",
            stores=EXAMPLES / "stores.csv",
            max_km=60.0,
            config_file=rules_path,
        )
    )
    alloc = result.allocations
    assert (alloc["producer_kecamatan"] == "Pontang").any()  # Pontang does supply someone
    pontang_anyar = (alloc["producer_kecamatan"] == "Pontang") & (
        alloc["store_kecamatan"] == "Anyar"
    )
    assert not pontang_anyar.any()

    arcs, prods, shops = result.arcs, result.producers, result.stores
    p_kec = prods["kecamatan_name"].to_numpy()[arcs["p"].to_numpy()]
    s_kec = shops["kecamatan_name"].to_numpy()[arcs["s"].to_numpy()]
    mine = arcs[(p_kec == "Pontang") & (s_kec == "Anyar")]
    assert len(mine) > 0  # Pontang and Anyar share products within 60 km
    assert (mine["flow"] == 0).all()
    limits = {k: v["max_km"] for k, v in doc.get("categories", {}).items()}
    p_cat = prods["category"].to_numpy()[mine["p"].to_numpy()]
    s_cat = shops["category"].to_numpy()[mine["s"].to_numpy()]
    cat = np.where(p_cat != "", p_cat, s_cat)
    limit = np.array([limits.get(c, 60.0) for c in cat])
    beyond = mine["km"].to_numpy() > limit
    assert (mine["code"].to_numpy()[beyond] == BEYOND_DISTANCE).all()
    assert (mine["code"].to_numpy()[~beyond] == FORBID).all()
    if variant != "as shipped":
        assert (mine["code"] == FORBID).all()  # forbid wins over the zone mode too


# ------------------------------------------------------------ 3. bad rules on the CLI


BAD_RULES = [
    # (rules file, TOML key and value it must name, exact first line after "error: PATH: ")
    (
        '[zones]\nBarat = ["Anyar", "Anyer Kidul"]\n',
        "zones.Barat[1]: kecamatan 'Anyer Kidul'",
        None,
    ),
    (
        '[zones]\nPantura = ["Pontang"]\nBarat = ["Anyar", "Pontang"]\n',
        'zones.Barat[1] = "Pontang"',
        'zones.Barat[1] = "Pontang": kecamatan Pontang (Kabupaten Serang) 36.04.12 is already '
        "in zone Pantura; a kecamatan belongs to one zone: remove it from one of them",
    ),
    (
        '[rules]\nmode = "same_zone"\n',
        'rules.mode = "same_zone"',
        'rules.mode = "same_zone": unknown mode; use one of "any", "same-zone", "adjacent-zones"',
    ),
    (
        '[products]\n"Sate Bandeng" = "basah"\n\n[categories.basah]\nmax_km = 0\n',
        "categories.basah.max_km = 0",
        "categories.basah.max_km = 0: must be a positive number of km, like 10",
    ),
    (
        '[products]\n"Sate Bandeng" = "basah"\n\n[categories.basah]\nmax_km = -2.5\n',
        "categories.basah.max_km = -2.5",
        None,
    ),
    (
        '[products]\n"Sate Bandeng" = "basah"\n\n[categories.basah]\nmax_km = nan\n',
        "categories.basah.max_km = nan",
        None,
    ),
    (
        '[products]\n"Sate Bandeng" = "basah"\n\n[categories.beku]\nmax_km = 5\n',
        "categories.beku: no product in the input tables has category 'beku'",
        "categories.beku: no product in the input tables has category 'beku' "
        "(categories found: basah); fix the name or remove the table",
    ),
    (
        '[products]\n"Sate Bandeng" = "basah"\n\n[chains.Alfamart]\naccepts = ["kering"]\n',
        "chains.Alfamart.accepts[0] = 'kering'",
        None,
    ),
]


BAD_IDS = [
    "unknown-kecamatan",
    "kecamatan-in-two-zones",
    "unknown-mode",
    "zero-max-km",
    "negative-max-km",
    "nan-max-km",
    "unused-category",
    "unused-accepts",
]


@pytest.mark.parametrize(("text", "key", "first_line"), BAD_RULES, ids=BAD_IDS)
def test_bad_rules_file_exits_3_naming_file_and_key(text, key, first_line, small_job, write):
    producers, stores = small_job
    bad = write("bad.toml", text)
    result = run_cli("assign", str(producers), str(stores), "--config", str(bad))
    assert result.exit_code == 3, result.stderr
    assert result.stdout == ""
    head = result.stderr.splitlines()[0]
    assert head.startswith(f"error: {bad}: "), result.stderr
    assert key in head, result.stderr
    if first_line is not None:
        assert head == f"error: {bad}: {first_line}"


def test_unknown_kecamatan_message_suggests_a_name(small_job, write):
    producers, stores = small_job
    bad = write("bad.toml", '[rules]\nforbid = [["Pontang", "Anyer"]]\n')
    result = run_cli("assign", str(producers), str(stores), "--config", str(bad))
    assert result.exit_code == 3
    head = result.stderr.splitlines()[0]
    assert head == (
        f"error: {bad}: rules.forbid[0]: store kecamatan 'Anyer' is not in the banten "
        "boundaries; did you mean Anyar?"
    )


# ------------------------------------------------- 4. layout of the rules, order of rows


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule_jobs(), st.randoms(use_true_random=False))
def test_table_order_and_row_order_do_not_change_any_output_byte(job, rnd):
    producers, stores, max_km, doc, _ = job
    p_order, s_order = list(range(len(producers))), list(range(len(stores)))
    rnd.shuffle(p_order)
    rnd.shuffle(s_order)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)  # the same paths both times: summary.json names them
        first = result_files(assign(write_job(folder, producers, stores, max_km, doc)))
        second = result_files(
            assign(
                write_job(
                    folder,
                    producers.iloc[p_order],
                    stores.iloc[s_order],
                    max_km,
                    doc,
                    order=list(doc)[::-1],
                    reverse_inner=True,
                )
            )
        )
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], name


@pytest.mark.slow
def test_scheduled_job_output_is_byte_identical_across_layouts(tmp_path, monkeypatch):
    """``assign --config job.toml`` on the example: tables reordered, rows shuffled."""
    monkeypatch.chdir(tmp_path)
    doc = tomllib.loads((EXAMPLES / "serang.toml").read_text(encoding="utf-8"))
    doc["assign"] = {"producers": "producers.csv", "stores": "stores.csv", "max_km": 30}
    rng = np.random.default_rng(4)
    outputs = []
    for n, layout in enumerate([{}, {"order": list(doc)[::-1], "reverse_inner": True}]):
        for name in ("producers.csv", "stores.csv"):
            table = pd.read_csv(EXAMPLES / name, dtype=str, keep_default_na=False)
            if n:
                table = table.iloc[rng.permutation(len(table))]
            table.to_csv(tmp_path / name, index=False)
        (tmp_path / "job.toml").write_text(to_toml(doc, **layout), encoding="utf-8")
        out = tmp_path / f"out{n}"
        result = run_cli("assign", "--config", "job.toml", "--out-dir", str(out))
        assert result.exit_code == 0, result.stderr
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outputs[0].keys() == outputs[1].keys()
    assert "unmet_demand.csv" in outputs[0]
    for name in outputs[0]:
        assert outputs[0][name] == outputs[1][name], name
