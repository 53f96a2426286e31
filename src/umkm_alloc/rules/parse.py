"""Reading the rules tables of a ``--config`` TOML file, every problem reported at once."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from umkm_alloc.errors import ConfigError
from umkm_alloc.geo.boundaries import CODE_RE, Boundaries, name_key
from umkm_alloc.rules.model import MODES, Rules, category_key, product_key

#: Top-level tables a config file may hold (``[assign]`` is checked by :mod:`umkm_alloc.config`).
TOP_LEVEL = ("assign", "categories", "chains", "products", "rules", "zones")
RULES_KEYS = ("allow", "forbid", "mode")
CATEGORY_KEYS = ("max_km",)
CHAIN_KEYS = ("accepts",)

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_WITH_PARENS = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<kab>[^()]+)\)\s*$")
_WITH_COMMA = re.compile(r"^(?P<name>[^,]+?)\s*,\s*(?P<kab>[^,]+?)\s*$")


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


def load_rules(
    path: Path | None, boundaries: Boundaries, *, doc: Mapping[str, Any] | None = None
) -> Rules:
    """Return the rules of a ``--config`` file (the default rules when there is none).

    Parameters
    ----------
    path
        The TOML file, or ``None``.
    boundaries
        The kecamatan polygons the names and codes refer to.
    doc
        The file as already parsed (``AssignConfig.config_doc``), so that it is read once;
        ``None`` reads ``path``.

    Returns
    -------
    Rules
    """
    if path is None:
        return Rules.default()
    if doc is None:
        from umkm_alloc.config import load_toml

        doc = load_toml(path)
    return parse_rules(doc, path, boundaries)


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
