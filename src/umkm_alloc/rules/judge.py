"""Judging producer-store pairs: the reason code of every pair, and its words.

One :class:`Judge` is built per run, on the run's accepted rows, and shared by everything
that judges a pair: the candidates of the solve (:meth:`Judge.codes`), the reasons of unmet
demand and unused supply and ``explain`` (:meth:`Judge.text`, :meth:`Judge.beyond`). What a
pair *is* to the rules is resolved here alone:

* its **category**: the producer row's category, else the store row's (each row's category
  is its own cell, else ``[products]``; see :meth:`Rules.category_of`);
* its **chain**: the store row's chain, matched by :func:`chain_key`;
* its **kecamatan**: the producer's and the store's kecamatan codes;
* its **distance rule**: the category's ``max_km`` (else ``--max-km``) and, with
  ``--max-minutes``, the travel time: a pair within its km but over the time limit, or one
  without a route, is ``beyond_distance`` too.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
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
    max_limit_km,
)
from umkm_alloc.rules.parse import toml_key
from umkm_alloc.rules.zones import ZoneMap

#: Most decimals :func:`exceeding` shows before it falls back to the full value.
_MAX_DECIMALS = 6


def exceeding(value: float, limit: float, decimals: int) -> str:
    """Return ``value`` with enough decimals that it reads as more than ``limit``.

    ``decimals`` normally; more only when the rounded value would not exceed the limit, so
    a reason never says "12.0 km away, beyond the 12 km limit" (``12.04`` reads ``12.04``).
    A value that is not above the limit keeps ``decimals``.

    Parameters
    ----------
    value
        The distance or time.
    limit
        What it is compared with.
    decimals
        Decimals shown when they suffice (1 for km, 0 for minutes).

    Returns
    -------
    str
    """
    text = f"{value:.{decimals}f}"
    if not value > limit:
        return text
    for shown in range(decimals, _MAX_DECIMALS + 1):
        text = f"{value:.{shown}f}"
        if float(text) > limit:
            return text
    return repr(float(value))


class Judge:
    """The rules of a run applied to its (producer row, store row) pairs.

    Parameters
    ----------
    rules
        The parsed rules.
    zone_map
        :meth:`ZoneMap.build` of the same rules and boundaries.
    producers, stores
        The run's accepted rows, indexed by position (``kecamatan_code``, ``category``; the
        stores also ``chain``). Pairs are given as positions into them.
    max_km
        ``--max-km``: the limit of products whose category has no ``max_km``.
    max_minutes
        ``--max-minutes``, or ``None``.

    Attributes
    ----------
    reach_km
        The largest distance limit of any pair: the radius of the candidate search.
    """

    def __init__(
        self,
        rules: Rules,
        zone_map: ZoneMap,
        *,
        producers: pd.DataFrame,
        stores: pd.DataFrame,
        max_km: float,
        max_minutes: float | None = None,
    ) -> None:
        self.rules, self.zone_map = rules, zone_map
        self.max_km, self.max_minutes = max_km, max_minutes
        self.reach_km = max_limit_km(rules, max_km)
        self._p_kec = pd.Categorical(producers["kecamatan_code"])
        self._s_kec = pd.Categorical(stores["kecamatan_code"])
        chains = stores["chain"]  # a few distinct names: each is keyed once
        self._chain = pd.Categorical(chains.map({c: chain_key(c) for c in chains.unique()}))
        # the pair's category, as codes into one list of both sides' categories
        p_cat = producers["category"].to_numpy(dtype=object)
        s_cat = stores["category"].to_numpy(dtype=object)
        found = set(p_cat) | set(s_cat)
        self._categories = sorted({c for c in found if isinstance(c, str)} | {""})
        self._p_cat = pd.Categorical(p_cat, categories=self._categories).codes.astype(np.int64)
        self._s_cat = pd.Categorical(s_cat, categories=self._categories).codes.astype(np.int64)
        self._no_category = self._categories.index("")

    # ------------------------------------------------------------------ the pair

    def category(self, p: int, s: int) -> str:
        """Return the category key of a pair: the producer row's, else the store row's."""
        code = self._pair_categories(np.array([p]), np.array([s]))[0]
        return category_key(self._categories[code]) if code >= 0 else ""

    def limit_km(self, p: int, s: int) -> float:
        """Return the distance limit of a pair (its category's ``max_km``, else ``--max-km``)."""
        return self.rules.limit_km(self.category(p, s), self.max_km)

    def _pair_categories(self, p: np.ndarray, s: np.ndarray) -> np.ndarray:
        own = self._p_cat[p]
        return np.where(own != self._no_category, own, self._s_cat[s])

    # ----------------------------------------------------------------- the codes

    def codes(
        self,
        p: ArrayLike,
        s: ArrayLike,
        *,
        km: ArrayLike,
        minutes: ArrayLike | None = None,
    ) -> np.ndarray:
        """Return the reason code of each pair: 0 eligible, else the first rule excluding it.

        Parameters
        ----------
        p, s
            Positions of the producer row and of the store row of each pair.
        km
            Road distance of each pair (``inf``: no route).
        minutes
            Travel time of each pair, or ``None`` (NaN: unknown, never over the limit).

        Returns
        -------
        numpy.ndarray
            ``int8`` codes of :data:`~umkm_alloc.rules.REASONS`, in the order distance (and
            time), chain, forbid, zone mode.
        """
        p = np.asarray(p, dtype=np.int64)
        s = np.asarray(s, dtype=np.int64)
        km = np.asarray(km, dtype=float)
        reason = np.zeros(len(km), dtype=np.int8)
        if len(km) == 0:
            return reason
        category = pd.Categorical.from_codes(self._pair_categories(p, s), self._categories)
        cat_idx, cat_uniq = _factorize(category)
        cat_keys = [category_key(c) for c in cat_uniq]
        reason[self._beyond(cat_idx, cat_keys, km, minutes)] = BEYOND_DISTANCE
        if self.rules.chains:
            chain_idx, chains = _factorize(self._chain.take(s))
            accepted = np.ones((len(chains), len(cat_keys)), dtype=bool)
            for r, chain in enumerate(chains):
                accepts = self.rules.chains.get(chain)
                if accepts is not None:
                    accepted[r] = [c in accepts for c in cat_keys]
            _mark(reason, ~accepted[chain_idx, cat_idx], CHAIN)
        if not self.rules.forbid and self.rules.mode == "any":
            return reason
        p_row = _rows(self.zone_map, self._p_kec.take(p))
        s_row = _rows(self.zone_map, self._s_kec.take(s))
        if self.rules.forbid:
            _mark(reason, _pair_in(self.zone_map, p_row, s_row, self.rules.forbid), FORBID)
        if self.rules.mode != "any":
            _mark(reason, self._closed(p_row, s_row), ZONE_MODE)
        return reason

    def _beyond(
        self,
        cat_idx: np.ndarray,
        cat_keys: list[str],
        km: np.ndarray,
        minutes: ArrayLike | None,
    ) -> np.ndarray:
        """Return the pairs beyond the distance rule: no route, over their km or the time."""
        limits = np.array([self.rules.limit_km(c, self.max_km) for c in cat_keys], dtype=float)
        beyond = ~np.isfinite(km) | (km > limits[cat_idx])
        if self.max_minutes is not None and minutes is not None:
            beyond |= np.asarray(minutes, dtype=float) > self.max_minutes
        return beyond

    def _closed(self, p_row: np.ndarray, s_row: np.ndarray) -> np.ndarray:
        """Pairs that ``mode`` closes and no ``allow`` reopens."""
        zm = self.zone_map
        zp, zs = zm.zone_index[p_row], zm.zone_index[s_row]
        closed = zp != zs
        if self.rules.mode == "adjacent-zones":
            closed &= ~zm.adjacency_matrix()[zp, zs]
        if self.rules.allow:
            closed &= ~_pair_in(zm, p_row, s_row, self.rules.allow)
        return closed

    # ----------------------------------------------------------------- the words

    def text(self, code: int, p: int, s: int, *, km: float, minutes: float = math.nan) -> str:
        """Return the words of one pair's reason code.

        Parameters
        ----------
        code
            The pair's code from :meth:`codes`.
        p, s
            Positions of the producer row and the store row.
        km, minutes
            The pair's road distance and travel time (NaN: none).

        Returns
        -------
        str
            For example ``forbidden: Pontang -> Anyar ([rules] forbid)`` or
            ``31.2 km, beyond the 10 km limit for basah ([categories.basah] max_km)``.
        """
        if code == ELIGIBLE:
            return f"eligible: {km:.1f} km"
        if code == BEYOND_DISTANCE:
            return self.beyond(p, s, km=km, minutes=minutes)
        if code == CHAIN:
            return self._chain_text(self.category(p, s), str(self._chain[s]))
        p_kec, s_kec = str(self._p_kec[p]), str(self._s_kec[s])
        zm = self.zone_map
        if code == FORBID:
            return (
                f"forbidden: {zm.names[zm.row(p_kec)]} -> {zm.names[zm.row(s_kec)]} "
                "([rules] forbid)"
            )
        if code == ZONE_MODE:
            head = "different zones" if self.rules.mode == "same-zone" else "zones not adjacent"
            return f"{head}: {zm.zone_of(p_kec)} -> {zm.zone_of(s_kec)} (mode {self.rules.mode})"
        raise ValueError(f"unknown reason code {code}")

    def beyond(
        self, p: int, s: int, *, km: float, minutes: float = math.nan, nearest: bool = False
    ) -> str:
        """Return why a pair is beyond the distance rule: its distance or time against its limit.

        The time is named when the pair is within its km but over ``--max-minutes``; the
        figure shows enough decimals to read as more than the limit (:func:`exceeding`).

        Parameters
        ----------
        p, s
            Positions of the producer row and the store row.
        km, minutes
            The pair's road distance and travel time (NaN: none).
        nearest
            Word it as the reason tables do for the nearest pair of a row with nobody in
            reach: ``is 12.04 km away, beyond the 12 km limit ...`` (the ``--max-km``
            default is not cited there); else as ``explain`` does for any pair:
            ``12.04 km, beyond the 12 km limit ...``, ``25.3 km, beyond the 20 km limit
            (--max-km)``.

        Returns
        -------
        str
        """
        category = self.category(p, s)
        limit = self.rules.limit_km(category, self.max_km)
        away = " away" if nearest else ""
        is_ = "is " if nearest else ""
        max_minutes = self.max_minutes
        if max_minutes is not None and km <= limit and minutes > max_minutes:
            return (
                f"{is_}{exceeding(minutes, max_minutes, 0)} min{away} ({km:.1f} km), beyond the "
                f"{max_minutes:g} min limit (--max-minutes)"
            )
        head, tail = self._km_words(category, limit, nearest=nearest)
        return f"{head}{exceeding(km, limit, 1)}{tail}"

    def beyond_many(
        self, p: ArrayLike, s: ArrayLike, *, km: ArrayLike, nearest: bool = False
    ) -> list[str]:
        """Return :meth:`beyond` of many pairs without travel times, worded once per category.

        Parameters
        ----------
        p, s
            Positions of the producer rows and the store rows.
        km
            The pairs' road distances.
        nearest
            As for :meth:`beyond`.

        Returns
        -------
        list of str
            The text of each pair, as :meth:`beyond` gives it with ``minutes`` unknown.
        """
        p = np.asarray(p, dtype=np.int64)
        s = np.asarray(s, dtype=np.int64)
        km = np.asarray(km, dtype=float)
        out = np.full(len(km), "", dtype=object)
        codes = self._pair_categories(p, s)
        for code in np.unique(codes).tolist():
            category = category_key(self._categories[code]) if code >= 0 else ""
            limit = self.rules.limit_km(category, self.max_km)
            head, tail = self._km_words(category, limit, nearest=nearest)
            where = np.flatnonzero(codes == code)
            figures = _exceeding_many(km[where], limit)
            words = [pa.scalar(w, pa.large_string()) for w in (head, tail, "")]
            joined = pc.binary_join_element_wise(words[0], figures, words[1], words[2])
            out[where] = joined.to_numpy(zero_copy_only=False)
        return out.tolist()

    def _km_words(self, category: str, limit: float, *, nearest: bool) -> tuple[str, str]:
        """Return the words before and after the km figure of a pair beyond its km limit."""
        if self.rules.categories.get(category) is not None:
            label = self.rules.category_label(category)
            cited = f" for {label} ([{toml_key('categories', label)}] max_km)"
        else:
            cited = "" if nearest else " (--max-km)"
        away = " away" if nearest else ""
        return ("is " if nearest else ""), f" km{away}, beyond the {limit:g} km limit{cited}"

    def texts(self, codes: ArrayLike, p: ArrayLike, s: ArrayLike, *, km: ArrayLike) -> list[str]:
        """Return :meth:`text` of many pairs, the words of each rule worked out once per case.

        A chain, forbid or zone rule reads the same for every pair of one category and chain
        or of one pair of kecamatan, whatever its distance; those are worded once.

        Parameters
        ----------
        codes
            The pairs' codes from :meth:`codes`.
        p, s
            Positions of the producer rows and the store rows.
        km
            The pairs' road distances.

        Returns
        -------
        list of str
        """
        codes = np.asarray(codes, dtype=np.int64)
        p = np.asarray(p, dtype=np.int64)
        s = np.asarray(s, dtype=np.int64)
        km = np.asarray(km, dtype=float)
        # what the words of each rule depend on: (category, chain) or (kecamatan, kecamatan)
        by_chain = np.stack([self._pair_categories(p, s), self._chain.codes[s]], axis=1)
        by_place = np.stack([self._p_kec.codes[p], self._s_kec.codes[s]], axis=1)
        cases = np.where((codes == CHAIN)[:, None], by_chain, by_place).tolist()
        worded: dict[tuple[int, int, int], str] = {}
        out: list[str] = []
        for i, code in enumerate(codes.tolist()):
            if code not in (CHAIN, FORBID, ZONE_MODE):
                out.append(self.text(code, int(p[i]), int(s[i]), km=float(km[i])))
                continue
            case = (code, *cases[i])
            words = worded.get(case)
            if words is None:
                words = worded[case] = self.text(code, int(p[i]), int(s[i]), km=float(km[i]))
            out.append(words)
        return out

    def _chain_text(self, category: str, chain: str) -> str:
        rules = self.rules
        label = rules.chain_label(chain)
        accepts = rules.chains.get(chain) or ()
        if accepts:
            taken = "only " + ", ".join(rules.category_label(a) for a in accepts)
        else:
            taken = "no category"
        if category:
            got = f", not {rules.category_label(category)}"
        else:
            got = "; the product has no category"
        return f"{label} accepts {taken}{got} ([{toml_key('chains', label)}] accepts)"


def _exceeding_many(values: np.ndarray, limit: float) -> pa.Array:
    """Return :func:`exceeding` ``(v, limit, 1)`` of every value, as Arrow text."""
    from umkm_alloc.io.write import fixed_decimals

    text = fixed_decimals(values, 1)
    with np.errstate(invalid="ignore"):
        shown = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
        short = np.flatnonzero(((values > limit) & ~(shown > limit)) | ~np.isfinite(values))
    if not len(short):
        return text
    fixed = [exceeding(v, limit, 1) for v in values[short].tolist()]
    mask = np.zeros(len(values), dtype=bool)
    mask[short] = True
    return pc.replace_with_mask(text, pa.array(mask), pa.array(fixed, pa.large_string()))


def _factorize(values: pd.Categorical) -> tuple[np.ndarray, list[str]]:
    """Return (index into the unique values, unique values as text; missing -> "")."""
    codes = np.asarray(values.codes, dtype=np.int64)
    uniques = [str(c) for c in values.categories]
    if (codes < 0).any():
        codes = np.where(codes < 0, len(uniques), codes)
        uniques.append("")
    return codes, uniques


def _rows(zone_map: ZoneMap, codes: pd.Categorical) -> np.ndarray:
    """Return the boundaries row of each kecamatan code (an unknown code in use raises)."""
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
