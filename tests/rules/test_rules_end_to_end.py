"""Supply rules end to end: random rule sets against an independent reference.

The reference below re-implements the rules of DESIGN.md (zones, mode, forbid/allow,
per-category ``max_km``, chain ``accepts``) in plain Python, with its own point-in-polygon
placement and its own kecamatan adjacency (shared boundary longer than 1 m in the metric
CRS); it never calls :mod:`umkm_alloc.rules`. ``assign`` must agree with it on every pair,
allocate only rule-abiding pairs, reach the LP optimum over them, and explain every unmet
and unused row with the right kind.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer

from conftest import EXAMPLES, run_cli
from lp import reference_optimum
from umkm_alloc.allocate import assign
from umkm_alloc.config import AssignConfig
from umkm_alloc.geo.boundaries import load_boundaries
from umkm_alloc.report import result_files
from umkm_alloc.rules import BEYOND_DISTANCE, FORBID, REASONS

GEOD = Geod(ellps="WGS84")
CIRCUITY = 1.4
SNAP_M = 1000.0
PRODUCTS = ["Sate Bandeng", "Emping Melinjo", "Gipang"]
VOCABULARY = {
    "no_producer",
    "no_store",
    "beyond_distance",
    "chain",
    "forbid",
    "zone_mode",
    "capacity_used",
    "demand_met",
}
RULE_KINDS = {"chain", "forbid", "zone_mode"}

BOUNDARIES = load_boundaries("banten")
FRAME = BOUNDARIES.frame
CODES = [str(k) for k in FRAME["kode"]]
NAMES = [str(n) for n in FRAME["nama"]]
KABUPATEN = [str(k) for k in FRAME["kabupaten"]]
GEOMS = FRAME["geometry"].to_numpy()
SERANG = np.flatnonzero(FRAME["kode_kab"].isin(["36.04", "36.73"]).to_numpy())
SITES = shapely.point_on_surface(GEOMS[SERANG])
NAME_COUNT = pd.Series([n.casefold() for n in NAMES]).value_counts().to_dict()
_TO_METRIC = Transformer.from_crs("EPSG:4326", BOUNDARIES.metric_crs, always_xy=True)
METRIC = shapely.transform(
    GEOMS, lambda xy: np.column_stack(_TO_METRIC.transform(xy[:, 0], xy[:, 1]))
)


def _neighbours() -> frozenset[tuple[str, str]]:
    """Kecamatan code pairs (both ways) whose boundaries share more than 1 m."""
    tree = shapely.STRtree(METRIC)
    left, right = tree.query(METRIC, predicate="dwithin", distance=1.0)
    out: set[tuple[str, str]] = set()
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i < j:
            shared = shapely.intersection(METRIC[i].boundary, METRIC[j].boundary)
            if shared.length > 1.0:
                out |= {(CODES[i], CODES[j]), (CODES[j], CODES[i])}
    return frozenset(out)


NEIGHBOURS = _neighbours()
SERANG_CODES = [CODES[i] for i in SERANG]


def kecamatan_of(lon: float, lat: float) -> str:
    """Kecamatan code of a point: covering polygon (lowest kode), else nearest within 1 km."""
    point = shapely.Point(lon, lat)
    inside = np.flatnonzero(shapely.covers(GEOMS, point))
    if len(inside):
        return CODES[int(inside.min())]
    x, y = _TO_METRIC.transform(lon, lat)
    dist = shapely.distance(METRIC, shapely.Point(x, y))
    nearest = int(np.argmin(dist))
    assert dist[nearest] <= SNAP_M, (lon, lat)
    return CODES[nearest]


def road_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    _, _, metres = GEOD.inv(np.asarray(lon1), np.asarray(lat1), np.asarray(lon2), np.asarray(lat2))
    return np.asarray(metres, dtype=float) / 1000 * CIRCUITY


def fold(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def kec_text(i: int, style: int) -> str:
    """A kecamatan as a rules file may write it: code, name, ``Kec. name`` or ``name (kab)``."""
    name = NAMES[i]
    if style == 0:
        return CODES[i]
    if style == 3 or NAME_COUNT[name.casefold()] > 1:
        return f"{name} ({KABUPATEN[i]})"
    return name if style == 1 else f"Kec. {name}"


# ------------------------------------------------------------------------ TOML writing


def _toml_value(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(value)


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


NESTED = ("categories", "chains")


def to_toml(doc: dict, *, order: list[str] | None = None, reverse_inner: bool = False) -> str:
    """Write a rules document; ``order`` and ``reverse_inner`` change only the layout."""
    lines: list[str] = []
    for table in order or list(doc):
        body = doc[table]
        if table in NESTED:
            names = list(body)[::-1] if reverse_inner else list(body)
            for name in names:
                lines.append(f"[{table}.{_toml_key(name)}]")
                lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in body[name].items()]
                lines.append("")
            continue
        items = list(body.items())
        if reverse_inner and table != "zones":  # zone order shows in summary.json
            items.reverse()
        lines.append(f"[{table}]")
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in items]
        lines.append("")
    return "\n".join(lines)


# -------------------------------------------------------------------------- reference


@dataclass
class RefRules:
    """The rules of a drawn rules file, resolved by construction (not by rules.py)."""

    zone: dict[str, str] = field(default_factory=dict)  # kecamatan code -> zone name
    mode: str = "any"
    forbid: set[tuple[str, str]] = field(default_factory=set)
    allow: set[tuple[str, str]] = field(default_factory=set)
    products: dict[str, str] = field(default_factory=dict)  # product key -> category key
    limits: dict[str, float | None] = field(default_factory=dict)  # category key -> max_km
    chains: dict[str, set[str] | None] = field(default_factory=dict)  # chain key -> accepts

    def zone_of(self, code: str) -> str:
        return self.zone.get(code, f"own {code}")

    def members(self, zone: str) -> list[str]:
        if zone.startswith("own "):
            return [zone[4:]]
        return [c for c, z in self.zone.items() if z == zone]

    def zones_touch(self, za: str, zb: str) -> bool:
        return any((a, b) in NEIGHBOURS for a in self.members(za) for b in self.members(zb))

    def zone_name(self, code: str) -> str:
        """A zone's name: as configured, else its kecamatan's name (its code if taken)."""
        if code in self.zone:
            return self.zone[code]
        name = NAMES[CODES.index(code)].casefold()
        taken = {z.casefold() for z in self.zone.values()}
        namesakes = [
            c
            for c, n in zip(CODES, NAMES, strict=True)
            if n.casefold() == name and c not in self.zone
        ]
        if name in taken or len(namesakes) > 1:
            return code
        return NAMES[CODES.index(code)]

    def limit(self, category: str, max_km: float) -> float:
        value = self.limits.get(category)
        return max_km if value is None else value

    def code(self, *, p_kec: str, s_kec: str, category: str, chain: str, km: float, limit: float):
        """First rule that excludes a pair (DESIGN.md order), or ``eligible``."""
        if km > limit:
            return "beyond_distance"
        accepts = self.chains.get(chain)
        if accepts is not None and category not in accepts:
            return "chain"
        if (p_kec, s_kec) in self.forbid:
            return "forbid"
        if self.mode_closes(p_kec, s_kec) and (p_kec, s_kec) not in self.allow:
            return "zone_mode"
        return "eligible"

    def mode_closes(self, p_kec: str, s_kec: str) -> bool:
        if self.mode == "any":
            return False
        zp, zs = self.zone_of(p_kec), self.zone_of(s_kec)
        return not (zp == zs or (self.mode == "adjacent-zones" and self.zones_touch(zp, zs)))


def reference_rows(rows: pd.DataFrame, ref: RefRules) -> pd.DataFrame:
    out = rows.reset_index(drop=True).copy()
    out["key"] = out["product"].map(fold)
    out["kec"] = [kecamatan_of(lon, lat) for lon, lat in zip(out["lon"], out["lat"], strict=True)]
    own = out["category"].map(fold) if "category" in out else pd.Series("", index=out.index)
    out["cat"] = [c or ref.products.get(k, "") for c, k in zip(own, out["key"], strict=True)]
    out["chain_key"] = out["chain"].map(fold) if "chain" in out else ""
    return out


def reference_pairs(p: pd.DataFrame, s: pd.DataFrame, ref: RefRules, max_km: float):
    """Every same-product (producer row, store row) pair with its km, limit and rule."""
    pi, si = np.meshgrid(np.arange(len(p)), np.arange(len(s)), indexing="ij")
    pi, si = pi.ravel(), si.ravel()
    same = p["key"].to_numpy()[pi] == s["key"].to_numpy()[si]
    pi, si = pi[same], si[same]
    km = (
        road_km(
            p["lon"].to_numpy()[pi],
            p["lat"].to_numpy()[pi],
            s["lon"].to_numpy()[si],
            s["lat"].to_numpy()[si],
        )
        if len(pi)
        else np.zeros(0)
    )
    pairs = pd.DataFrame({"p": pi, "s": si, "km": km})
    cats = [p["cat"].iat[i] or s["cat"].iat[j] for i, j in zip(pi, si, strict=True)]
    pairs["limit"] = [ref.limit(c, max_km) for c in cats]
    pairs["code"] = [
        ref.code(
            p_kec=p["kec"].iat[i],
            s_kec=s["kec"].iat[j],
            category=c,
            chain=s["chain_key"].iat[j],
            km=d,
            limit=lim,
        )
        for i, j, c, d, lim in zip(pi, si, cats, km, pairs["limit"], strict=True)
    ]
    pairs["p_kec"] = p["kec"].to_numpy()[pi]
    pairs["s_kec"] = s["kec"].to_numpy()[si]
    pairs["chain"] = s["chain_key"].to_numpy()[si]
    pairs["offered"] = (p["qty"].to_numpy()[pi] > 0) & (s["qty"].to_numpy()[si] > 0)
    return pairs


# ------------------------------------------------------------------------- strategies

CATEGORY_CELLS = ["basah", "Basah", "kering", "KERING", " kering ", "", ""]
CHAIN_CELLS = ["Indomaret", "indomaret", "Alfamart", "ALFAMART", "", ""]
LIMITS = [None, 3.0, 8.0, 15, 30.0]  # None: the category's table has no max_km
# "Pontang" and "Kasemen" may clash with the name of a kecamatan outside every zone
ZONE_LABELS = [None, None, "Utara", "Barat", "Kota Pusat", "Pontang", "Kasemen"]
CHAIN_LABELS = {"alfamart": "Alfamart", "indomaret": "Indomaret"}


@st.composite
def rule_jobs(draw):
    """Producers and stores in a few Serang kecamatan, and a random rules file for them."""
    # a kecamatan and some within two borders of it: close enough for the rules to matter
    seed = draw(st.sampled_from(SERANG_CODES))
    ring = {seed} | {b for a, b in NEIGHBOURS if a == seed}
    ring |= {b for a, b in NEIGHBOURS if a in ring}
    around = sorted(ring & set(SERANG_CODES) - {seed})
    more = st.lists(st.sampled_from(around), min_size=min(1, len(around)), max_size=4, unique=True)
    chosen = [seed, *draw(more)]
    used = [SERANG_CODES.index(c) for c in chosen]

    sites: dict[str, set[int]] = {"P": set(), "S": set()}

    def rows(n: int, prefix: str, column: str, cells: list[str]) -> pd.DataFrame:
        out = []
        for i in range(n):
            site = draw(st.sampled_from(used))
            sites[prefix].add(int(SERANG[site]))
            jitter = draw(st.tuples(st.integers(-20, 20), st.integers(-20, 20)))
            extra = draw(st.sampled_from(cells))
            products = draw(st.sets(st.sampled_from(PRODUCTS), min_size=1, max_size=2))
            for prod in sorted(products):
                out.append(
                    {
                        "id": f"{prefix}{i:02d}",
                        "lat": round(SITES[site].y + jitter[0] * 1e-4, 6),
                        "lon": round(SITES[site].x + jitter[1] * 1e-4, 6),
                        "product": prod if draw(st.booleans()) else prod.upper(),
                        "qty": draw(st.integers(0, 60)),
                        column: extra,
                    }
                )
        return pd.DataFrame(out)

    producers = rows(draw(st.integers(1, 12)), "P", "category", CATEGORY_CELLS)
    stores = rows(draw(st.integers(1, 12)), "S", "chain", CHAIN_CELLS)
    max_km = draw(st.sampled_from([5.0, 12.0, 20.0, 35.0]))

    ref = RefRules()
    kec = [int(SERANG[u]) for u in used]
    zones: dict[str, list[str]] = {}
    for i in kec:
        label = draw(st.sampled_from(ZONE_LABELS))
        if label:
            zones.setdefault(label, []).append(kec_text(i, draw(st.integers(0, 3))))
            ref.zone[CODES[i]] = label
    rules: dict[str, object] = {}
    modes = ["adjacent-zones", "same-zone", "adjacent-zones", "same-zone", "any", None]
    mode = draw(st.sampled_from(modes))
    if mode is not None:
        rules["mode"] = mode
        ref.mode = mode
    # pairs of kecamatan where rows are (so that they matter), preferably ones the mode
    # closes (so that allow matters), or of any kecamatan used
    where = sorted((a, b) for a in sites["P"] for b in sites["S"])
    closed = [(a, b) for a, b in where if ref.mode_closes(CODES[a], CODES[b])]
    pair = st.tuples(
        st.one_of(
            st.sampled_from(closed or where),
            st.sampled_from(where),
            st.tuples(st.sampled_from(kec), st.sampled_from(kec)),
        ),
        st.integers(0, 3),
    )
    for name, target in (("forbid", ref.forbid), ("allow", ref.allow)):
        drawn = draw(st.lists(pair, max_size=4))
        if drawn or draw(st.booleans()):
            rules[name] = [[kec_text(a, k), kec_text(b, 3 - k)] for (a, b), k in drawn]
            target |= {(CODES[a], CODES[b]) for (a, b), _ in drawn}
    products = {  # [products] keys match ignoring case and spaces
        draw(st.sampled_from([prod, prod.upper(), f"  {prod.replace(' ', '   ')} "])): draw(
            st.sampled_from(["basah", "Kering"])
        )
        for prod in draw(st.lists(st.sampled_from(PRODUCTS), unique=True, max_size=2))
    }
    ref.products = {fold(k): fold(v) for k, v in products.items()}
    present = {
        fold(c) or ref.products.get(fold(k), "")
        for c, k in zip(producers["category"], producers["product"], strict=True)
    }
    present |= {ref.products.get(fold(k), "") for k in stores["product"]}
    present = sorted(present - {""})
    categories: dict[str, dict] = {}
    for cat in present:
        choice = draw(st.sampled_from(["absent", *LIMITS]))
        if choice != "absent":
            label = cat if draw(st.booleans()) else cat.capitalize()
            categories[label] = {} if choice is None else {"max_km": choice}
            ref.limits[cat] = None if choice is None else float(choice)
    chains: dict[str, dict] = {}
    for name, weights in (
        ("Alfamart", ["accepts", "all", "absent"]),
        ("Indomaret", ["accepts", "all", "absent", "absent"]),
    ):
        choice = draw(st.sampled_from(weights))
        if choice == "absent":
            continue
        if choice == "all":
            chains[name] = {}
            ref.chains[fold(name)] = None
            continue
        accepts = draw(st.lists(st.sampled_from(present), unique=True)) if present else []
        chains[name] = {"accepts": [a if draw(st.booleans()) else a.upper() for a in accepts]}
        ref.chains[fold(name)] = set(accepts)
    doc = {
        "zones": zones,
        "rules": rules,
        "products": products,
        "categories": categories,
        "chains": chains,
    }
    return producers, stores, max_km, doc, ref


def write_job(
    folder: Path,
    producers: pd.DataFrame,
    stores: pd.DataFrame,
    max_km: float,
    doc: dict,
    **layout,
) -> AssignConfig:
    p_path, s_path, r_path = folder / "p.csv", folder / "s.csv", folder / "rules.toml"
    producers.rename(columns={"id": "producer_id", "qty": "capacity"}).to_csv(p_path, index=False)
    stores.rename(columns={"id": "store_id", "qty": "demand"}).to_csv(s_path, index=False)
    text = to_toml(doc, **layout)
    assert tomllib.loads(text) == {k: v for k, v in doc.items() if v or k not in NESTED}
    r_path.write_text(text, encoding="utf-8")
    return AssignConfig(producers=p_path, stores=s_path, max_km=max_km, config_file=r_path)


def run_job(producers, stores, max_km, doc, **layout):
    with tempfile.TemporaryDirectory() as tmp:
        return assign(write_job(Path(tmp), producers, stores, max_km, doc, **layout))


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
