"""Supply rules: zones and their adjacency, forbid/allow pairs, category and chain rules.

The rules come from the ``--config`` TOML file (the ``[zones]``, ``[rules]``,
``[products]``, ``[categories.X]`` and ``[chains.X]`` tables of DESIGN.md) and decide which
(producer, store) pairs may become candidates of the solve. Every pair gets one reason
code: 0 when it is eligible, otherwise the *first* rule that excludes it, in this order:

1. ``beyond_distance``: farther than the pair's limit (the category's ``max_km``, else
   ``--max-km``);
2. ``chain``: the store's chain does not accept the product's category;
3. ``forbid``: the (producer kecamatan, store kecamatan) pair is forbidden;
4. ``zone_mode``: ``mode`` (``same-zone`` or ``adjacent-zones``) closes the pair and no
   ``allow`` pair reopens it.

So ``forbid`` always wins, and ``allow`` only reopens what ``mode`` closed: it never beats
distance, chain or ``forbid``.

A kecamatan is given in the file as a name (``"Pontang"``, ``"Kec. Pontang"``), as a code
(``"36.04.12"``) or, for a name that exists in several kabupaten/kota, as a name with its
kabupaten or kota: ``"Curug (Kota Serang)"`` or ``"Curug, Kota Serang"``.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike

from umkm_alloc.boundaries import CODE_RE, Boundaries, name_key
from umkm_alloc.errors import ConfigError

#: Top-level tables a config file may hold (``[assign]`` is checked by :mod:`umkm_alloc.config`).
TOP_LEVEL = ("assign", "categories", "chains", "products", "rules", "zones")
RULES_KEYS = ("allow", "forbid", "mode")
CATEGORY_KEYS = ("max_km",)
CHAIN_KEYS = ("accepts",)
MODES = ("any", "same-zone", "adjacent-zones")

ELIGIBLE = 0
BEYOND_DISTANCE = 1
CHAIN = 2
FORBID = 3
ZONE_MODE = 4
#: Reason code -> machine name, in the order the rules are applied.
REASONS: dict[int, str] = {
    ELIGIBLE: "eligible",
    BEYOND_DISTANCE: "beyond_distance",
    CHAIN: "chain",
    FORBID: "forbid",
    ZONE_MODE: "zone_mode",
}
#: Gaps and overlaps (metres) between kecamatan polygons that still count as a shared border.
ADJACENCY_SNAP_M = 1.0
#: Shortest shared border (metres) that makes two kecamatan neighbours; a corner is shorter.
ADJACENCY_MIN_SHARED_M = 10.0

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_WITH_PARENS = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<kab>[^()]+)\)\s*$")
_WITH_COMMA = re.compile(r"^(?P<name>[^,]+?)\s*,\s*(?P<kab>[^,]+?)\s*$")


def product_key(text: str) -> str:
    """Return the matching key of a product: trimmed, inner spaces collapsed, case-folded."""
    return " ".join(str(text).split()).casefold()


def category_key(text: str) -> str:
    """Return the matching key of a category (``Basah`` -> ``basah``)."""
    return " ".join(str(text).split()).casefold()


def chain_key(text: str) -> str:
    """Return the matching key of a store chain (``ALFAMART`` -> ``alfamart``)."""
    return " ".join(str(text).split()).casefold()


@dataclass(frozen=True, kw_only=True)
class Rules:
    """The supply rules of a config file, resolved against the boundaries.

    Attributes
    ----------
    zones
        Zone name -> kecamatan codes, in file order.
    mode
        ``any`` (zones do not restrict), ``same-zone`` or ``adjacent-zones``.
    forbid, allow
        (producer kecamatan code, store kecamatan code) pairs.
    products
        Product key (see :func:`product_key`) -> category key.
    categories
        Category key -> its ``max_km`` (``None``: the ``--max-km`` default applies).
    chains
        Chain key -> accepted category keys, or ``None`` when the chain accepts all.
    category_labels, chain_labels
        Key -> the name as written in the file, for messages (``[chains.Alfamart]``).
    source
        The file the rules were read from (empty for :meth:`default`).
    """

    zones: dict[str, tuple[str, ...]] = field(default_factory=dict)
    mode: str = "any"
    forbid: tuple[tuple[str, str], ...] = ()
    allow: tuple[tuple[str, str], ...] = ()
    products: dict[str, str] = field(default_factory=dict)
    categories: dict[str, float | None] = field(default_factory=dict)
    chains: dict[str, tuple[str, ...] | None] = field(default_factory=dict)
    category_labels: dict[str, str] = field(default_factory=dict)
    chain_labels: dict[str, str] = field(default_factory=dict)
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode {self.mode!r} is not one of {', '.join(MODES)}")

    @classmethod
    def default(cls) -> Rules:
        """Return the rules of a run without a rules file: no zones, mode ``any``."""
        return cls()

    def category_of(self, product: str, column: str = "") -> str:
        """Return the category key of a product row.

        The row's own ``category`` cell wins when it is filled; ``[products]`` supplies the
        category where the tables lack one (DESIGN.md). ``""`` when neither knows it.
        """
        own = category_key(column)
        return own if own else self.products.get(product_key(product), "")

    def limit_km(self, category: str, default_max_km: float) -> float:
        """Return the distance limit of a category (its ``max_km``, else the default)."""
        limit = self.categories.get(category_key(category))
        return default_max_km if limit is None else limit

    def category_label(self, key: str) -> str:
        """Return a category as written in the file (or the key itself)."""
        return self.category_labels.get(key, key)

    def chain_label(self, key: str) -> str:
        """Return a chain as written in the file (or the key itself)."""
        return self.chain_labels.get(key, key)


# ----------------------------------------------------------------------------- parsing


class _Problems:
    """Problems of one config file, each a complete line naming the file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[str] = []

    def add(self, key: str, message: str) -> None:
        where = f"{key}: " if key else ""
        self.lines.append(f"{self.path}: {where}{message}")

    def raise_if_any(self) -> None:
        if self.lines:
            raise ConfigError("\n".join(self.lines))


def toml_key(*parts: str | int) -> str:
    """Return a dotted TOML key for messages: ``zones."Kota Serang"``, ``rules.forbid[0]``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        text = part if _BARE_KEY.match(part) else '"' + part.replace('"', '\\"') + '"'
        out += ("." if out else "") + text
    return out


def _show(value: object) -> str:
    """Render a TOML value for a message (strings in double quotes, like TOML)."""
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(str(k))} = {_show(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _unknown_key(problems: _Problems, key: str, name: str, allowed: tuple[str, ...]) -> None:
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}? " if close else ""
    what = "table or key" if key == toml_key(name) else "key"
    problems.add("", f"unknown {what} {key}; {hint}allowed: {', '.join(allowed)}")


def load_rules(path: Path | None, boundaries: Boundaries) -> Rules:
    """Read the rules of a ``--config`` file (the default rules when there is none).

    Parameters
    ----------
    path
        The TOML file, or ``None``.
    boundaries
        The kecamatan polygons the names and codes refer to.

    Returns
    -------
    Rules
    """
    if path is None:
        return Rules.default()
    from umkm_alloc.config import load_toml

    return parse_rules(load_toml(path), path, boundaries)


def parse_rules(doc: Mapping[str, Any], path: Path, boundaries: Boundaries) -> Rules:
    """Check and resolve the rules tables of a parsed TOML document.

    Parameters
    ----------
    doc
        The document as :func:`tomllib.load` returns it. Its ``[assign]`` table is left to
        :func:`umkm_alloc.config.assign_table`.
    path
        The file the document came from, for messages.
    boundaries
        The kecamatan polygons that kecamatan names and codes are resolved against.

    Returns
    -------
    Rules

    Raises
    ------
    ConfigError
        Listing every problem of the file, one per line, each naming the file, the TOML
        key, the value and the fix.
    """
    problems = _Problems(path)
    resolver = _Resolver(boundaries)
    for name in doc:
        if name not in TOP_LEVEL:
            _unknown_key(problems, toml_key(name), name, TOP_LEVEL)
    zones = _parse_zones(_table(doc, "zones", problems), resolver, problems)
    mode, forbid, allow = _parse_rules_table(_table(doc, "rules", problems), resolver, problems)
    products = _parse_products(_table(doc, "products", problems), problems)
    categories, category_labels = _parse_categories(_table(doc, "categories", problems), problems)
    chains, chain_labels = _parse_chains(_table(doc, "chains", problems), problems)
    problems.raise_if_any()
    return Rules(
        zones=zones,
        mode=mode,
        forbid=forbid,
        allow=allow,
        products=products,
        categories=categories,
        chains=chains,
        category_labels=category_labels,
        chain_labels=chain_labels,
        source=str(path),
    )


def _table(doc: Mapping[str, Any], name: str, problems: _Problems) -> dict[str, Any]:
    value = doc.get(name, {})
    if isinstance(value, dict):
        return value
    problems.add(
        f"{name} = {_show(value)}", f"must be a table; write [{name}] and its keys below it"
    )
    return {}


class _Resolver:
    """Kecamatan names or codes of the config file -> kecamatan codes."""

    def __init__(self, boundaries: Boundaries) -> None:
        self.boundaries = boundaries
        self.codes = [str(k) for k in boundaries.frame["kode"]]

    def resolve(self, text: str) -> tuple[str | None, str]:
        """Return ``(code, "")`` or ``(None, problem and fix)``."""
        value = text.strip()
        name, kab = value, ""
        if not CODE_RE.match(value):
            match = _WITH_PARENS.match(value) or _WITH_COMMA.match(value)
            if match:
                name, kab = match["name"], match["kab"]
        found = self.boundaries.lookup(name, kab)
        if found.index is not None:
            return self.codes[found.index], ""
        if CODE_RE.match(value):
            return None, f"{found.reason}; check the code (list them with 'umkm-alloc zones')"
        if kab:
            return None, f"{found.reason}; fix the kabupaten or kota, or give the code"
        places = [
            i
            for i, n in enumerate(self.boundaries.frame["nama"])
            if name_key(str(n)) == name_key(name)
        ]
        if len(places) > 1:
            where = ", ".join(f"{self.boundaries.label(i)} {self.codes[i]}" for i in places)
            first = self.boundaries.frame["kabupaten"].iat[places[-1]]
            return None, (
                f"kecamatan {name.strip()!r} exists in several places ({where}); "
                f'write "{name.strip()} ({first})" or give the code'
            )
        return None, found.reason


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _parse_zones(
    table: dict[str, Any], resolver: _Resolver, problems: _Problems
) -> dict[str, tuple[str, ...]]:
    zones: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}
    folded: dict[str, str] = {}
    for zone, members in table.items():
        key = toml_key("zones", zone)
        if not zone.strip():
            problems.add(f"{key} = {_show(members)}", "a zone needs a name; write Name = [...]")
            continue
        if zone.casefold() in folded:
            problems.add(
                key,
                f"the same zone as {toml_key('zones', folded[zone.casefold()])} "
                "(zone names are matched ignoring case); merge them",
            )
            continue
        folded[zone.casefold()] = zone
        if not isinstance(members, list):
            problems.add(
                f"{key} = {_show(members)}",
                'must be a list of kecamatan names or codes, like ["Anyar", "36.04.31"]',
            )
            continue
        if not members:
            problems.add(f"{key} = []", "the zone is empty; list its kecamatan or remove it")
            continue
        codes: list[str] = []
        for i, member in enumerate(members):
            if not isinstance(member, str):
                problems.add(
                    f"{toml_key('zones', zone, i)} = {_show(member)}",
                    'must be a kecamatan name or code in quotes, like "Anyar" or "36.04.30"',
                )
                continue
            code, problem = resolver.resolve(member)
            if code is None:
                problems.add(toml_key("zones", zone, i), problem)
                continue
            if code in owner and owner[code] != zone:
                label = resolver.boundaries.label(resolver.codes.index(code))
                problems.add(
                    f"{toml_key('zones', zone, i)} = {_show(member)}",
                    f"kecamatan {label} {code} is already in zone "
                    f"{owner[code]}; a kecamatan belongs to one zone: remove it from one of them",
                )
                continue
            if code not in codes:
                owner[code] = zone
                codes.append(code)
        zones[zone] = tuple(codes)
    return zones


def _parse_rules_table(
    table: dict[str, Any], resolver: _Resolver, problems: _Problems
) -> tuple[str, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    for name in table:
        if name not in RULES_KEYS:
            _unknown_key(problems, toml_key("rules", name), name, RULES_KEYS)
    mode = table.get("mode", "any")
    if mode not in MODES:
        allowed = ", ".join(f'"{m}"' for m in MODES)
        problems.add(f"rules.mode = {_show(mode)}", f"unknown mode; use one of {allowed}")
        mode = "any"
    pairs = {name: _parse_pairs(table, name, resolver, problems) for name in ("forbid", "allow")}
    return mode, pairs["forbid"], pairs["allow"]


def _parse_pairs(
    table: dict[str, Any], name: str, resolver: _Resolver, problems: _Problems
) -> tuple[tuple[str, str], ...]:
    raw = table.get(name, [])
    example = '[["Pontang", "Anyar"]]'
    if not isinstance(raw, list):
        problems.add(
            f"rules.{name} = {_show(raw)}",
            f"must be a list of [producer kecamatan, store kecamatan] pairs, like {example}",
        )
        return ()
    out: list[tuple[str, str]] = []
    for i, entry in enumerate(raw):
        key = toml_key("rules", name, i)
        if not (_strings(entry) and len(entry) == 2):
            problems.add(
                f"{key} = {_show(entry)}",
                'not a pair; write ["producer kecamatan", "store kecamatan"], '
                'like ["Pontang", "Anyar"]',
            )
            continue
        codes = []
        for side, text in zip(("producer", "store"), entry, strict=True):
            code, problem = resolver.resolve(text)
            if code is None:
                problems.add(key, f"{side} {problem}")
            codes.append(code)
        if codes[0] is not None and codes[1] is not None:
            pair = (codes[0], codes[1])
            if pair not in out:
                out.append(pair)
    return tuple(out)


def _parse_products(table: dict[str, Any], problems: _Problems) -> dict[str, str]:
    out: dict[str, str] = {}
    first: dict[str, str] = {}
    for product, category in table.items():
        key = toml_key("products", product)
        if not product.strip():
            problems.add(f"{key} = {_show(category)}", "the product name is empty; name it")
            continue
        if not isinstance(category, str) or not category.strip():
            problems.add(
                f"{key} = {_show(category)}",
                'must be a category name in quotes, like "basah" or "kering"',
            )
            continue
        pkey, ckey = product_key(product), category_key(category)
        if pkey in out and out[pkey] != ckey:
            problems.add(
                f"{key} = {_show(category)}",
                f"the same product as {toml_key('products', first[pkey])} = "
                f"{_show(out[pkey])} (names match ignoring case and spaces); keep one",
            )
            continue
        out[pkey] = ckey
        first.setdefault(pkey, product)
    return out


def _subtables(
    table: dict[str, Any], section: str, allowed: tuple[str, ...], problems: _Problems
) -> dict[str, tuple[str, dict[str, Any]]]:
    """Return key -> (name as written, sub-table) of ``[section.X]`` tables, checked."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for name, sub in table.items():
        key = toml_key(section, name)
        if not isinstance(sub, dict):
            example = f"{allowed[0]} = ..."
            problems.add(
                f"{key} = {_show(sub)}",
                f"must be a table; write [{key}] and {example} below it",
            )
            continue
        folded = category_key(name)
        if not folded:
            problems.add(key, f"the {section} name is empty; name it")
            continue
        if folded in out:
            problems.add(
                key,
                f"the same as {toml_key(section, out[folded][0])} "
                "(names match ignoring case); merge them",
            )
            continue
        for sub_name in sub:
            if sub_name not in allowed:
                _unknown_key(problems, toml_key(section, name, sub_name), sub_name, allowed)
        out[folded] = (name, sub)
    return out


def _parse_categories(
    table: dict[str, Any], problems: _Problems
) -> tuple[dict[str, float | None], dict[str, str]]:
    limits: dict[str, float | None] = {}
    labels: dict[str, str] = {}
    for ckey, (name, sub) in _subtables(table, "categories", CATEGORY_KEYS, problems).items():
        labels[ckey] = name
        limits[ckey] = None
        if "max_km" not in sub:
            continue
        value = sub["max_km"]
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not math.isfinite(value) or value <= 0:
            problems.add(
                f"{toml_key('categories', name, 'max_km')} = {_show(value)}",
                "must be a positive number of km, like 10",
            )
            continue
        limits[ckey] = float(value)
    return limits, labels


def _parse_chains(
    table: dict[str, Any], problems: _Problems
) -> tuple[dict[str, tuple[str, ...] | None], dict[str, str]]:
    chains: dict[str, tuple[str, ...] | None] = {}
    labels: dict[str, str] = {}
    for key, (name, sub) in _subtables(table, "chains", CHAIN_KEYS, problems).items():
        labels[key] = name
        chains[key] = None
        if "accepts" not in sub:
            continue
        accepts = sub["accepts"]
        if not _strings(accepts) or not all(a.strip() for a in accepts):
            problems.add(
                f"{toml_key('chains', name, 'accepts')} = {_show(accepts)}",
                'must be a list of category names, like ["kering"]',
            )
            continue
        chains[key] = tuple(dict.fromkeys(category_key(a) for a in accepts))
    return chains, labels


def check_categories_used(rules: Rules, categories_in_data: set[str], path: Path | str) -> None:
    """Check that every category the rules name is the category of some input product.

    Parameters
    ----------
    rules
        The parsed rules.
    categories_in_data
        Category keys of the input rows, after ``[products]`` is applied.
    path
        The config file, for messages.

    Raises
    ------
    ConfigError
        Listing each ``[categories.X]`` table and each ``accepts`` entry whose category no
        input product has, one per line.
    """
    found = {category_key(c) for c in categories_in_data} - {""}
    shown = ", ".join(sorted(found)) or "none"
    problems = _Problems(Path(path))
    for ckey in rules.categories:
        if ckey not in found:
            problems.add(
                toml_key("categories", rules.category_label(ckey)),
                f"no product in the input tables has category {ckey!r} "
                f"(categories found: {shown}); fix the name or remove the table",
            )
    for chain, accepts in rules.chains.items():
        for i, ckey in enumerate(accepts or ()):
            if ckey not in found:
                problems.add(
                    f"{toml_key('chains', rules.chain_label(chain), 'accepts', i)} = {ckey!r}",
                    f"no product in the input tables has this category "
                    f"(categories found: {shown}); fix the name",
                )
    problems.raise_if_any()


def max_limit_km(rules: Rules, default_max_km: float) -> float:
    """Return the largest distance limit of any pair: the spatial pre-filter radius.

    Parameters
    ----------
    rules
        The parsed rules.
    default_max_km
        ``--max-km``, the limit of products without a category limit.

    Returns
    -------
    float
    """
    limits = [v for v in rules.categories.values() if v is not None]
    return max([default_max_km, *limits])


# --------------------------------------------------------------------------- adjacency


def kecamatan_adjacency(
    boundaries: Boundaries,
    *,
    snap_m: float = ADJACENCY_SNAP_M,
    min_shared_m: float = ADJACENCY_MIN_SHARED_M,
) -> set[tuple[int, int]]:
    """Return the pairs of kecamatan that share a border of positive length.

    The shared border of two polygons is the part of one's boundary that lies within
    ``snap_m`` of the other, so slivers and float noise in a user's file do not break an
    edge. Two polygons touching at a corner share about ``2 * snap_m`` of it, which is
    less than ``min_shared_m``: they are not neighbours. Lengths are measured on
    :attr:`Boundaries.metric_geometries`, in metres.

    Parameters
    ----------
    boundaries
        The kecamatan polygons (a clean coverage).
    snap_m
        Gaps and overlaps up to this many metres count as a shared border.
    min_shared_m
        Shortest shared border, in metres, that makes two kecamatan neighbours.

    Returns
    -------
    set of (int, int)
        Row indices ``(i, j)`` of the boundaries frame with ``i < j``.
    """
    geoms = boundaries.metric_geometries
    if len(geoms) < 2:
        return set()
    left, right = boundaries.metric_tree.query(geoms, predicate="dwithin", distance=snap_m)
    keep = left < right
    left, right = left[keep], right[keep]
    near = shapely.buffer(geoms, snap_m, quad_segs=2)
    shared = shapely.intersection(shapely.boundary(geoms[left]), near[right])
    long_enough = shapely.length(shared) > min_shared_m
    return {(int(i), int(j)) for i, j in zip(left[long_enough], right[long_enough], strict=True)}


@dataclass(frozen=True, eq=False)
class ZoneMap:
    """Zones of every kecamatan of the boundaries, with neighbours and zone adjacency.

    Build it once with :meth:`build`; :func:`evaluate` and the ``zones`` command use it.

    Attributes
    ----------
    codes, names, kabupaten
        ``kode``, ``nama`` and ``kabupaten`` of each kecamatan (boundaries row order).
    zone_names
        The configured zones in file order, then the zones of one kecamatan in ``kode``
        order (named by the kecamatan's name, or by its code when the name is taken).
    zone_index
        Index into ``zone_names`` of each kecamatan.
    neighbours, zone_adjacency
        Kecamatan neighbours and adjacent zone pairs (properties, computed on first use).
    configured
        How many of ``zone_names`` come from the file.
    boundaries
        The polygons the adjacency is computed from.
    """

    codes: tuple[str, ...]
    names: tuple[str, ...]
    kabupaten: tuple[str, ...]
    zone_names: tuple[str, ...]
    zone_index: np.ndarray
    configured: int
    boundaries: Boundaries = field(repr=False)
    _rows: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._rows.update({code: i for i, code in enumerate(self.codes)})

    @cached_property
    def _adjacency(self) -> tuple[tuple[tuple[int, ...], ...], frozenset[tuple[int, int]]]:
        # computed on first use only: runs without adjacent-zones never need it, and on the
        # national boundaries it costs seconds
        neighbours: list[list[int]] = [[] for _ in self.codes]
        zone_pairs: set[tuple[int, int]] = set()
        for i, j in sorted(kecamatan_adjacency(self.boundaries)):
            neighbours[i].append(j)
            neighbours[j].append(i)
            zi, zj = int(self.zone_index[i]), int(self.zone_index[j])
            if zi != zj:
                zone_pairs.add((min(zi, zj), max(zi, zj)))
        return tuple(tuple(sorted(n)) for n in neighbours), frozenset(zone_pairs)

    @property
    def neighbours(self) -> tuple[tuple[int, ...], ...]:
        """Row indices of the kecamatan sharing a border with each kecamatan, ascending."""
        return self._adjacency[0]

    @property
    def zone_adjacency(self) -> frozenset[tuple[int, int]]:
        """Pairs ``(a, b)`` of zone indices, ``a < b``, of zones that share a border."""
        return self._adjacency[1]

    @classmethod
    def build(cls, rules: Rules, boundaries: Boundaries) -> ZoneMap:
        """Place every kecamatan of ``boundaries`` in its zone and find the neighbours.

        Parameters
        ----------
        rules
            Parsed rules (their kecamatan codes must come from ``boundaries``).
        boundaries
            The kecamatan polygons.

        Returns
        -------
        ZoneMap
        """
        frame = boundaries.frame
        codes = tuple(str(k) for k in frame["kode"])
        names = tuple(str(n) for n in frame["nama"])
        rows = {code: i for i, code in enumerate(codes)}
        zone_index = np.full(len(codes), -1, dtype=np.int64)
        zone_names = list(rules.zones)
        for z, members in enumerate(rules.zones.values()):
            for code in members:
                if code not in rows:
                    raise ValueError(f"kecamatan code {code} of the rules is not in the boundaries")
                zone_index[rows[code]] = z
        zone_names.extend(_own_zone_names(zone_names, codes, names, zone_index))
        own = np.flatnonzero(zone_index < 0)
        zone_index[own] = len(rules.zones) + np.arange(len(own))
        return cls(
            codes=codes,
            names=names,
            kabupaten=tuple(str(k) for k in frame["kabupaten"]),
            zone_names=tuple(zone_names),
            zone_index=zone_index,
            configured=len(rules.zones),
            boundaries=boundaries,
        )

    def row(self, code: str) -> int:
        """Return the boundaries row of a kecamatan code."""
        try:
            return self._rows[code]
        except KeyError:
            raise ValueError(f"kecamatan code {code!r} is not in the boundaries") from None

    def zone_of(self, code: str) -> str:
        """Return the zone name of a kecamatan code."""
        return self.zone_names[int(self.zone_index[self.row(code)])]

    def adjacent_zones(self, zone: str) -> tuple[str, ...]:
        """Return the zones sharing a border with ``zone``, sorted by name."""
        z = self.zone_names.index(zone)
        others = {b if a == z else a for a, b in self.zone_adjacency if z in (a, b)}
        return tuple(sorted(self.zone_names[o] for o in others))

    def relation(self, p_code: str, s_code: str) -> str:
        """Return ``same``, ``adjacent`` or ``apart``: how two kecamatan's zones relate."""
        zp = int(self.zone_index[self.row(p_code)])
        zs = int(self.zone_index[self.row(s_code)])
        if zp == zs:
            return "same"
        return "adjacent" if (min(zp, zs), max(zp, zs)) in self.zone_adjacency else "apart"

    def adjacency_matrix(self) -> np.ndarray:
        """Return a square boolean matrix: zones ``a != b`` that share a border."""
        n = len(self.zone_names)
        matrix = np.zeros((n, n), dtype=bool)
        if self.zone_adjacency:
            a, b = np.array(sorted(self.zone_adjacency)).T
            matrix[a, b] = matrix[b, a] = True
        return matrix


def _own_zone_names(
    configured: list[str], codes: tuple[str, ...], names: tuple[str, ...], zone_index: np.ndarray
) -> list[str]:
    """Names of the one-kecamatan zones: the kecamatan name, or its code when that is taken."""
    own = np.flatnonzero(zone_index < 0)
    taken = {z.casefold() for z in configured}
    counts: dict[str, int] = {}
    for i in own:
        counts[names[i].casefold()] = counts.get(names[i].casefold(), 0) + 1
    out: list[str] = []
    for i in own:
        name = names[i]
        if name.casefold() in taken or counts[name.casefold()] > 1:
            name = codes[i] if codes[i].casefold() not in taken else f"kecamatan {codes[i]}"
        out.append(name)
    return out


# -------------------------------------------------------------------------- evaluation


def evaluate(
    rules: Rules,
    zone_map: ZoneMap,
    *,
    p_kec: ArrayLike,
    s_kec: ArrayLike,
    category: ArrayLike,
    chain: ArrayLike,
    km: ArrayLike,
    default_max_km: float,
) -> np.ndarray:
    """Return the reason code of each (producer, store) pair: 0 eligible, else the first rule.

    Parameters
    ----------
    rules
        The parsed rules.
    zone_map
        :meth:`ZoneMap.build` of the same rules and boundaries.
    p_kec, s_kec
        Kecamatan code of the producer and of the store of each pair.
    category
        Category key of each pair's product (``""`` when unknown).
    chain
        Chain key of each pair's store (``""`` when none).

        The four text arrays may be object arrays, pandas Series or ``pandas.Categorical``;
        a Categorical is used as it is, which is the fast way for millions of pairs
        (build it on the rows, then ``take`` the pair rows).
    km
        Road distance of each pair.
    default_max_km
        ``--max-km``: the limit of products whose category has no ``max_km``.

    Returns
    -------
    numpy.ndarray
        ``int8`` codes of :data:`REASONS`, in the order distance, chain, forbid, zone mode.
    """
    km = np.asarray(km, dtype=float)
    n = len(km)
    reason = np.zeros(n, dtype=np.int8)
    if n == 0:
        return reason
    cat_idx, cat_uniq = _factorize(category)
    cat_keys = [category_key(c) for c in cat_uniq]
    limits = np.array([rules.limit_km(c, default_max_km) for c in cat_keys], dtype=float)
    reason[km > limits[cat_idx]] = BEYOND_DISTANCE
    if rules.chains:
        chain_idx, chain_uniq = _factorize(chain)
        accepted = np.ones((len(chain_uniq), len(cat_keys)), dtype=bool)
        for r, ch in enumerate(chain_uniq):
            accepts = rules.chains.get(chain_key(ch))
            if accepts is not None:
                accepted[r] = [c in accepts for c in cat_keys]
        _mark(reason, ~accepted[chain_idx, cat_idx], CHAIN)
    if not rules.forbid and rules.mode == "any":
        return reason
    p_row = _rows(zone_map, p_kec)
    s_row = _rows(zone_map, s_kec)
    if rules.forbid:
        _mark(reason, _pair_in(zone_map, p_row, s_row, rules.forbid), FORBID)
    if rules.mode != "any":
        zp, zs = zone_map.zone_index[p_row], zone_map.zone_index[s_row]
        closed = zp != zs
        if rules.mode == "adjacent-zones":
            closed &= ~zone_map.adjacency_matrix()[zp, zs]
        if rules.allow:
            closed &= ~_pair_in(zone_map, p_row, s_row, rules.allow)
        _mark(reason, closed, ZONE_MODE)
    return reason


def _factorize(values: ArrayLike) -> tuple[np.ndarray, list[str]]:
    """Return (index into the unique values, unique values as text; missing -> "")."""
    if isinstance(values, pd.Series):
        values = values.array
    if isinstance(values, pd.Categorical):
        codes = np.asarray(values.codes, dtype=np.int64)
        uniques = [str(c) for c in values.categories]
        if (codes < 0).any():
            codes = np.where(codes < 0, len(uniques), codes)
            uniques.append("")
        return codes, uniques
    codes, found = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=False)
    return codes, ["" if u is None or u != u else str(u) for u in found]


def _rows(zone_map: ZoneMap, codes: ArrayLike) -> np.ndarray:
    idx, uniq = _factorize(codes)
    rows = zone_map._rows
    lookup = np.array([rows.get(c.strip(), -1) for c in uniq], dtype=np.int64)
    if (lookup < 0).any():
        used = np.bincount(idx, minlength=len(uniq)) > 0
        for code, row, in_use in zip(uniq, lookup, used, strict=True):
            if row < 0 and in_use:
                zone_map.row(code.strip())  # raises, naming the code
    return lookup[idx]


def _pair_in(
    zone_map: ZoneMap, p_row: np.ndarray, s_row: np.ndarray, pairs: tuple[tuple[str, str], ...]
) -> np.ndarray:
    n = len(zone_map.codes)
    wanted = np.array([zone_map.row(p) * n + zone_map.row(s) for p, s in pairs], dtype=np.int64)
    return np.isin(p_row * n + s_row, wanted)


def _mark(reason: np.ndarray, hit: np.ndarray, code: int) -> None:
    reason[hit & (reason == ELIGIBLE)] = code


def reason_text(
    code: int,
    rules: Rules,
    zone_map: ZoneMap,
    *,
    p_kec: str,
    s_kec: str,
    category: str,
    chain: str,
    km: float,
    default_max_km: float,
) -> str:
    """Return the human text of one pair's reason code.

    Parameters
    ----------
    code
        The pair's code from :func:`evaluate`.
    rules, zone_map, p_kec, s_kec, category, chain, km, default_max_km
        As for :func:`evaluate`, for this one pair.

    Returns
    -------
    str
        For example ``forbidden: Pontang -> Anyar ([rules] forbid)`` or
        ``31.2 km, beyond the 10 km limit for basah ([categories.basah] max_km)``.
    """
    if code == ELIGIBLE:
        return f"eligible: {km:.1f} km"
    if code == BEYOND_DISTANCE:
        ckey = category_key(category)
        limit = rules.limit_km(ckey, default_max_km)
        if rules.categories.get(ckey) is not None:
            label = rules.category_label(ckey)
            where = f"for {label} ([{toml_key('categories', label)}] max_km)"
        else:
            where = "(--max-km)"
        return f"{km:.1f} km, beyond the {limit:g} km limit {where}"
    if code == CHAIN:
        key = chain_key(chain)
        label = rules.chain_label(key)
        accepts = rules.chains.get(key) or ()
        ckey = category_key(category)
        if accepts:
            taken = "only " + ", ".join(rules.category_label(a) for a in accepts)
        else:
            taken = "no category"
        got = f", not {rules.category_label(ckey)}" if ckey else "; the product has no category"
        return f"{label} accepts {taken}{got} ([{toml_key('chains', label)}] accepts)"
    if code == FORBID:
        return (
            f"forbidden: {zone_map.names[zone_map.row(p_kec)]} -> "
            f"{zone_map.names[zone_map.row(s_kec)]} ([rules] forbid)"
        )
    if code == ZONE_MODE:
        zp, zs = zone_map.zone_of(p_kec), zone_map.zone_of(s_kec)
        head = "different zones" if rules.mode == "same-zone" else "zones not adjacent"
        return f"{head}: {zp} -> {zs} (mode {rules.mode})"
    raise ValueError(f"unknown reason code {code}")


# ------------------------------------------------------------------------ zone tables

#: Columns of :func:`kecamatan_zone_table` (the ``zones --format csv`` output).
KECAMATAN_ZONE_COLUMNS = ["kode", "nama", "kabupaten", "zone", "neighbours"]
#: Columns of :func:`zone_adjacency_table`.
ZONE_ADJACENCY_COLUMNS = ["zone", "kecamatan", "adjacent_zones"]


def load_zone_map(
    config_file: Path | None, boundaries: str | None = None
) -> tuple[Rules, ZoneMap, str]:
    """Read the rules of a config file and place every kecamatan in its zone.

    Parameters
    ----------
    config_file
        The ``--config`` TOML file, or ``None`` for no rules (every kecamatan its own zone).
    boundaries
        ``--boundaries``; when ``None``, ``assign.boundaries`` of the file, else ``banten``.

    Returns
    -------
    Rules, ZoneMap, str
        The rules, the zone map and the boundaries' source.
    """
    from umkm_alloc.boundaries import load_boundaries
    from umkm_alloc.config import assign_table, load_toml

    doc: dict[str, Any] = {}
    if config_file is not None:
        doc = load_toml(config_file)
        boundaries = boundaries or assign_table(doc, config_file).get("boundaries")
    polygons = load_boundaries(boundaries or "banten")
    rules = Rules.default() if config_file is None else parse_rules(doc, config_file, polygons)
    return rules, ZoneMap.build(rules, polygons), polygons.source


def kecamatan_zone_table(zone_map: ZoneMap, *, separator: str = ";") -> pd.DataFrame:
    """Return one row per kecamatan: ``kode, nama, kabupaten, zone, neighbours``.

    Parameters
    ----------
    zone_map
        The zone map.
    separator
        Between the neighbours' names (sorted).

    Returns
    -------
    pandas.DataFrame
        In ``kode`` order.
    """
    rows = [
        {
            "kode": code,
            "nama": zone_map.names[i],
            "kabupaten": zone_map.kabupaten[i],
            "zone": zone_map.zone_names[int(zone_map.zone_index[i])],
            "neighbours": separator.join(sorted(zone_map.names[j] for j in zone_map.neighbours[i])),
        }
        for i, code in enumerate(zone_map.codes)
    ]
    return pd.DataFrame(rows, columns=KECAMATAN_ZONE_COLUMNS).sort_values("kode", kind="stable")


def zone_adjacency_table(zone_map: ZoneMap, *, separator: str = ";") -> pd.DataFrame:
    """Return one row per zone: ``zone, kecamatan`` (how many), ``adjacent_zones``.

    Configured zones come first, in file order, then the zones of one kecamatan.
    """
    counts = np.bincount(zone_map.zone_index, minlength=len(zone_map.zone_names))
    rows = [
        {
            "zone": zone,
            "kecamatan": int(counts[z]),
            "adjacent_zones": separator.join(zone_map.adjacent_zones(zone)),
        }
        for z, zone in enumerate(zone_map.zone_names)
    ]
    return pd.DataFrame(rows, columns=ZONE_ADJACENCY_COLUMNS)
