"""Judging producer-store pairs: the reason code of every pair and its text."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from umkm_alloc.rules.model import (
    BEYOND_DISTANCE,
    CHAIN,
    ELIGIBLE,
    FORBID,
    ZONE_MODE,
    Rules,
    category_key,
    chain_key,
)
from umkm_alloc.rules.parse import toml_key
from umkm_alloc.rules.zones import ZoneMap

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
