"""An independent reference of the supply rules, and random rule jobs to check them with.

It re-implements the rules of DESIGN.md (zones, mode, forbid/allow, per-category ``max_km``,
chain ``accepts``) in plain Python, with its own point-in-polygon placement and its own
kecamatan adjacency (shared boundary longer than 1 m in the metric CRS); it never calls
:mod:`umkm_alloc.rules`. ``tests/rules/test_rules_end_to_end.py`` holds ``assign`` to it.
Also here: a TOML writer for rule documents (in any table and key order) and Hypothesis
strategies of jobs with rules.
"""

from __future__ import annotations

import json
import re
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from hypothesis import strategies as st
from pyproj import Geod, Transformer

from umkm_alloc.allocate import assign
from umkm_alloc.config import AssignConfig
from umkm_alloc.geo.boundaries import load_boundaries

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
