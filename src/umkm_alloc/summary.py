"""One :class:`Summary` of a run, computed once (``result.summary``) and read by every view.

``summary.json``, the terminal summary and the report read their figures here. They are
kept exact; each view rounds them as it shows them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from umkm_alloc import __version__
from umkm_alloc.fairness import Fairness, fairness
from umkm_alloc.ordering import id_ranks
from umkm_alloc.rules.model import CHAIN, FORBID, ZONE_MODE

if TYPE_CHECKING:
    from umkm_alloc.allocate.pipeline import Result
    from umkm_alloc.routes.summary import RoutesSummary
    from umkm_alloc.rules.model import Rules
    from umkm_alloc.rules.zones import ZoneMap


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


@dataclass(frozen=True)
class Units:
    """Units of the run: offered, ordered, allocated, and what is left on either side."""

    supply: int
    demand: int
    allocated: int
    unmet: int
    unused: int


@dataclass(frozen=True)
class Counts:
    """How many sites, rows, products and pairs the run had (``counts`` of summary.json)."""

    producers: int
    producer_rows: int
    stores: int
    store_rows: int
    products: int
    candidate_pairs: int
    pairs_excluded_by_rules: int
    allocations: int
    unmet_rows: int
    unused_rows: int
    rows_rejected: int
    rows_fixed: int
    rows_skipped: int


@dataclass(frozen=True)
class InputFile:
    """Rows of one input file: read = accepted + rejected + skipped; fixed rows are accepted.

    ``reading`` is how the file was read (sheets, header row, id source, wide form), as
    :meth:`umkm_alloc.io.reading.Reading.to_dict` gives it.
    """

    kind: str  # "producers" or "stores"
    path: str
    rows_read: int
    rows_accepted: int
    rows_fixed: int
    rows_rejected: int
    rows_skipped: int
    reading: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """Return the entry of ``files`` in summary.json (without ``kind``, its key)."""
        return {k: v for k, v in asdict(self).items() if k != "kind"}


@dataclass(frozen=True)
class ReasonCount:
    """Rows and units of unmet demand (or unused supply) of one reason kind."""

    kind: str
    rows: int
    units: int


@dataclass(frozen=True)
class ProductRow:
    """Supply, demand and allocated units of one product."""

    product: str
    supply: int
    demand: int
    allocated: int

    @property
    def fill_rate(self) -> float | None:
        """Allocated / demand (``None`` without demand)."""
        return _ratio(self.allocated, self.demand)

    def to_json(self) -> dict[str, Any]:
        """Return the row of ``by_product`` in summary.json."""
        return {**asdict(self), "fill_rate": _rounded(self.fill_rate, 6)}


class _Received:
    """``unmet`` and ``fill_rate`` of a row with ``demand`` and ``received`` units."""

    demand: int
    received: int

    @property
    def unmet(self) -> int:
        """Demand of its stores that was not received."""
        return self.demand - self.received

    @property
    def fill_rate(self) -> float | None:
        """Received / demand (``None`` without demand)."""
        return _ratio(self.received, self.demand)


@dataclass(frozen=True)
class KecamatanRow(_Received):
    """One kecamatan with producers or stores: its zone, supply side and demand side."""

    kode: str
    kecamatan: str
    kabupaten: str
    zone: str
    producers: int
    supply: int
    supplied: int
    stores: int
    demand: int
    received: int

    def to_json(self) -> dict[str, Any]:
        """Return the row of ``by_kecamatan`` in summary.json."""
        row = {k: getattr(self, k) for k in _KECAMATAN_JSON}
        return {**row, "fill_rate": _rounded(self.fill_rate, 6)}


#: The keys of a ``by_kecamatan`` row of summary.json before ``fill_rate``, in order.
_KECAMATAN_JSON = tuple(f.name for f in fields(KecamatanRow) if f.name != "zone")


@dataclass(frozen=True)
class ZoneRow(_Received):
    """One zone with producers or stores: the sums of its kecamatan rows."""

    zone: str
    kecamatan: int  # how many of its kecamatan have producers or stores
    producers: int
    supply: int
    supplied: int
    stores: int
    demand: int
    received: int
    received_from_other_zones: int


@dataclass(frozen=True)
class Summary:
    """The figures of one run, computed once by :func:`summarize` (``result.summary``).

    A later section (``fairness``, ``routes``) is a new field holding its own frozen
    dataclass with a ``to_json()``; :meth:`to_json` adds it under its key.

    Attributes
    ----------
    version, units, unit_km, counts, files
        As in ``summary.json`` (``unit_km`` exact, see also :attr:`mean_km`).
    params, rules
        ``params`` of ``summary.json`` without its ``rules``, and those rules.
    unmet_by_reason, unused_by_reason
        Rows and units per reason kind, sorted by kind.
    by_product, by_kecamatan
        Per product (sorted) and per kecamatan with producers or stores (by code).
    by_zone
        Per zone with producers or stores, in :class:`~umkm_alloc.rules.ZoneMap` order
        (configured zones in file order, then the kecamatan that form a zone of their own).
    zones
        The configured zone names, in file order; ``()`` when the rules set no zones.
    routes
        The delivery trips (``--routes``), or ``None``.
    fairness
        Shares of the UMKM and the price of fairness (:class:`~umkm_alloc.fairness.Fairness`).
    """

    version: str
    units: Units
    unit_km: float
    counts: Counts
    files: tuple[InputFile, ...]
    params: dict[str, Any]
    rules: dict[str, Any]
    unmet_by_reason: tuple[ReasonCount, ...]
    unused_by_reason: tuple[ReasonCount, ...]
    by_product: tuple[ProductRow, ...]
    by_kecamatan: tuple[KecamatanRow, ...]
    by_zone: tuple[ZoneRow, ...]
    zones: tuple[str, ...]
    fairness: Fairness
    routes: RoutesSummary | None = None

    @property
    def fill_rate(self) -> float | None:
        """Allocated / demand (``None`` without demand)."""
        return _ratio(self.units.allocated, self.units.demand)

    @property
    def mean_km(self) -> float | None:
        """Mean km per allocated unit (``None`` when nothing is allocated)."""
        return _ratio(self.unit_km, self.units.allocated)

    def to_json(self) -> dict[str, Any]:
        """Return the content of ``summary.json``, in its key order.

        The content depends only on the inputs and parameters (no times, no absolute
        paths), so the same job always gives the same bytes.
        """
        return {
            "tool": {"name": "umkm-alloc", "version": self.version},
            "units": asdict(self.units),
            "fill_rate": _rounded(self.fill_rate, 6),
            "unit_km": round(self.unit_km, 3),
            "mean_km_per_unit": _rounded(self.mean_km, 3),
            "counts": asdict(self.counts),
            "files": {f.kind: f.to_json() for f in self.files},
            "params": {**self.params, "rules": self.rules},
            "unmet_by_reason": _reasons_json(self.unmet_by_reason),
            "unused_by_reason": _reasons_json(self.unused_by_reason),
            "by_product": [row.to_json() for row in self.by_product],
            "by_kecamatan": [row.to_json() for row in self.by_kecamatan],
            **({} if self.routes is None else {"routes": self.routes.to_json()}),
            "fairness": self.fairness.to_json(),
        }


def _reasons_json(counts: tuple[ReasonCount, ...]) -> dict[str, dict[str, int]]:
    return {c.kind: {"rows": c.rows, "units": c.units} for c in counts}


def summarize(result: Result) -> Summary:
    """Compute the :class:`Summary` of a run (read it as ``result.summary``: computed once).

    Parameters
    ----------
    result
        Output of :func:`umkm_alloc.allocate.assign`.

    Returns
    -------
    Summary
    """
    producers, stores, alloc = result.producers, result.stores, result.allocations
    supply, demand = int(producers["qty"].sum()), int(stores["qty"].sum())
    allocated = int(alloc["quantity"].sum())
    by_kecamatan = _by_kecamatan(result)
    unit_km = float((alloc["quantity"] * alloc["distance_km"]).sum())
    return Summary(
        version=__version__,
        units=Units(supply, demand, allocated, demand - allocated, supply - allocated),
        unit_km=unit_km,
        counts=_counts(result),
        files=tuple(
            InputFile(
                kind,
                fc.path,
                fc.read,
                fc.accepted,
                fc.fixed,
                fc.rejected,
                fc.skipped,
                fc.reading.to_dict(),
            )
            for kind, fc in zip(("producers", "stores"), result.files, strict=True)
        ),
        params={
            **{k: v for k, v in result.config.params().items() if k not in ("producers", "stores")},
            "distance": result.distance,
            "cost_scale_per_km": result.cost_scale,
        },
        rules=_rules_params(result.rules),
        unmet_by_reason=_reasons(result.unmet_demand, "unmet"),
        unused_by_reason=_reasons(result.unused_supply, "unused"),
        by_product=_by_product(producers, stores),
        by_kecamatan=by_kecamatan,
        by_zone=_by_zone(result, by_kecamatan),
        zones=result.zone_map.zone_names[: result.zone_map.configured],
        routes=_routes(result),
        fairness=fairness(result, unit_km=unit_km),
    )


def _routes(result: Result) -> RoutesSummary | None:
    if result.routes is None:
        return None
    from umkm_alloc.routes.summary import summarize_routes

    return summarize_routes(result.routes)


def _counts(result: Result) -> Counts:
    producers, stores = result.producers, result.stores
    products = set(pd.unique(producers["product_key"])) | set(pd.unique(stores["product_key"]))
    return Counts(
        producers=_distinct(producers["id"]),
        producer_rows=len(producers),
        stores=_distinct(stores["id"]),
        store_rows=len(stores),
        products=sum(1 for key in products if pd.notna(key)),
        candidate_pairs=int(result.candidates),
        pairs_excluded_by_rules=int(result.arcs["code"].isin([CHAIN, FORBID, ZONE_MODE]).sum()),
        allocations=len(result.allocations),
        unmet_rows=len(result.unmet_demand),
        unused_rows=len(result.unused_supply),
        rows_rejected=len(result.rejected_rows),
        rows_fixed=len(result.fixed_rows),
        rows_skipped=len(result.skipped_rows),
    )


def _distinct(ids: pd.Series) -> int:
    """Return the number of distinct ids (rows sorted by id are counted in one pass)."""
    _, names = id_ranks(ids)
    return len(names)


def _rules_params(rules: Rules) -> dict[str, Any]:
    """Return the supply rules as ``params.rules`` of summary.json records them."""
    return {
        "source": str(rules.source) if rules.source else None,
        "mode": rules.mode,
        "zones": {name: list(codes) for name, codes in rules.zones.items()},
        "forbid": [list(pair) for pair in rules.forbid],
        "allow": [list(pair) for pair in rules.allow],
        "categories": {rules.category_label(k): v for k, v in sorted(rules.categories.items())},
        "chains": {
            rules.chain_label(k): (None if v is None else [rules.category_label(c) for c in v])
            for k, v in sorted(rules.chains.items())
        },
    }


def _reasons(table: pd.DataFrame, qty_col: str) -> tuple[ReasonCount, ...]:
    """Rows and units per reason kind of an unmet-demand or unused-supply table."""
    if table.empty:
        return ()
    grouped = table.groupby("kind", sort=True)[qty_col].agg(["size", "sum"])
    return tuple(ReasonCount(str(k), int(r["size"]), int(r["sum"])) for k, r in grouped.iterrows())


def _by_product(producers: pd.DataFrame, stores: pd.DataFrame) -> tuple[ProductRow, ...]:
    p = producers.groupby("product", sort=True)["qty"].sum()
    s = stores.groupby("product", sort=True)[["qty", "allocated"]].sum()
    names = sorted(set(p.index) | set(s.index), key=str)
    return tuple(
        ProductRow(
            product=str(n),
            supply=int(p.get(n, 0)),
            demand=int(s["qty"].get(n, 0)),
            allocated=int(s["allocated"].get(n, 0)),
        )
        for n in names
    )


#: The supply-side and demand-side columns of the kecamatan and zone rows.
_SIDES = ("producers", "supply", "supplied", "stores", "demand", "received")


def _by_kecamatan(result: Result) -> tuple[KecamatanRow, ...]:
    supply = _per_kecamatan(result.producers)
    demand = _per_kecamatan(result.stores)
    zone_of = result.zone_map.zone_of
    none = (0, 0, 0)
    return tuple(
        KecamatanRow(
            code, name, kabupaten, zone_of(code), *supply.get(place, none), *demand.get(place, none)
        )
        for place in sorted(supply.keys() | demand.keys())
        for code, name, kabupaten in [place]
    )


def _per_kecamatan(rows: pd.DataFrame) -> dict[tuple[str, str, str], tuple[int, int, int]]:
    """Per (code, name, kabupaten) of the rows: distinct ids, ``qty`` and ``allocated``."""
    if rows.empty:
        return {}
    keys = ["kecamatan_code", "kecamatan_name", "kabupaten_name"]
    place = pd.factorize(rows[keys[0]])[0]  # codes in order of first appearance
    first = np.flatnonzero(place > np.maximum.accumulate(np.r_[-1, place[:-1]]))
    labels = [rows[key].to_numpy(dtype=object) for key in keys]
    if any((label[first][place] != label).any() for label in labels[1:]):
        # a code under two names: group by all three (never so for geocoded rows)
        place = np.zeros(len(rows), dtype=np.int64)
        for key in keys:
            codes, uniques = pd.factorize(rows[key])
            place = place * (len(uniques) + 1) + codes
        place = pd.factorize(place)[0]
        first = np.flatnonzero(place > np.maximum.accumulate(np.r_[-1, place[:-1]]))
    n = len(first)
    ids = id_ranks(rows["id"])[0]
    width = int(ids.max()) + 1
    sites = np.bincount(pd.unique(place * width + ids) // width, minlength=n)
    qty = np.bincount(place, weights=rows["qty"].to_numpy(), minlength=n)
    given = np.bincount(place, weights=rows["allocated"].to_numpy(), minlength=n)
    columns = [label[first].tolist() for label in labels]
    figures = [f.astype(np.int64).tolist() for f in (sites, qty, given)]
    return {
        (str(code), str(name), str(kabupaten)): (s, q, g)
        for code, name, kabupaten, s, q, g in zip(*columns, *figures, strict=True)
    }


def _by_zone(result: Result, kecamatan: tuple[KecamatanRow, ...]) -> tuple[ZoneRow, ...]:
    """Sum the kecamatan rows per zone, in ZoneMap order, with units from other zones."""
    groups: dict[str, list[KecamatanRow]] = {}
    for row in kecamatan:
        groups.setdefault(row.zone, []).append(row)
    from_other = _received_from_other_zones(result)
    order = {zone: i for i, zone in enumerate(result.zone_map.zone_names)}
    return tuple(
        ZoneRow(
            zone=zone,
            kecamatan=len(rows),
            **{col: sum(getattr(r, col) for r in rows) for col in _SIDES},
            received_from_other_zones=from_other.get(zone, 0),
        )
        for zone, rows in sorted(groups.items(), key=lambda item: order[item[0]])
    )


def _received_from_other_zones(result: Result) -> dict[str, int]:
    """Units each zone's stores received from producers in another zone."""
    flow = result.arcs["flow"].to_numpy()
    used = np.flatnonzero(flow > 0)
    zone_map = result.zone_map
    zone_p = _zones(result.producers["kecamatan_code"], zone_map)[result.arcs["p"].to_numpy()[used]]
    zone_s = _zones(result.stores["kecamatan_code"], zone_map)[result.arcs["s"].to_numpy()[used]]
    cross = zone_p != zone_s
    units = np.bincount(
        zone_s[cross], weights=flow[used][cross], minlength=len(zone_map.zone_names)
    )
    return {zone_map.zone_names[z]: int(units[z]) for z in np.flatnonzero(units).tolist()}


def _zones(codes: pd.Series, zone_map: ZoneMap) -> np.ndarray:
    """Zone (its position in ``zone_map.zone_names``) of each row's kecamatan code."""
    idx, uniq = pd.factorize(codes.to_numpy(dtype=object))
    zone = [int(zone_map.zone_index[zone_map.row(str(code))]) for code in uniq]
    return np.asarray(zone, dtype=np.int64)[idx]


__all__ = [
    "Counts",
    "InputFile",
    "KecamatanRow",
    "ProductRow",
    "ReasonCount",
    "Summary",
    "Units",
    "ZoneRow",
    "summarize",
]
