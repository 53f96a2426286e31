"""Both tables read, validated and geocoded: everything before the allocation."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from umkm_alloc.config import AssignConfig
from umkm_alloc.errors import InputError, StrictError
from umkm_alloc.geo.boundaries import Boundaries, load_boundaries
from umkm_alloc.inputs.place import geocode_rows
from umkm_alloc.inputs.validate import (
    FIXED_COLUMNS,
    REJECTED_COLUMNS,
    SKIPPED_COLUMNS,
    Validated,
    validate_table,
)
from umkm_alloc.io.read import SOURCE, read_table
from umkm_alloc.io.reading import Reading
from umkm_alloc.ordering import text_order
from umkm_alloc.rules.model import Rules
from umkm_alloc.rules.parse import check_categories_used, load_rules
from umkm_alloc.rules.zones import ZoneMap


@dataclass(frozen=True)
class FileCounts:
    """Rows of one input file: read = accepted + rejected + skipped; fixed rows are accepted.

    ``skipped`` rows were set aside on purpose (title, numbering and total rows); ``reading``
    says how the file was read (sheets, header row, identifiers, wide columns).
    """

    path: str
    read: int
    accepted: int
    rejected: int
    fixed: int
    skipped: int = 0
    reading: Reading = field(default_factory=Reading)


Progress = Callable[[str], None]

#: The message of ``--strict`` when rows were rejected ({n}: how many).
STRICT_MESSAGE = (
    "--strict: {n} input row(s) rejected, nothing written; fix them (see 'umkm-alloc "
    "validate') or run without --strict"
)


@dataclass(frozen=True)
class Inputs:
    """Both tables read, validated and geocoded: everything before the allocation.

    Attributes
    ----------
    producers, stores
        Accepted rows with kecamatan and point, sorted by (id, product).
    rejected_rows
        ``file, line, id, reason, kind`` of every rejected row of both files.
    fixed_rows
        ``file, line, id, fix`` of every row that was accepted after a fix.
    skipped_rows
        ``file, line, reason`` of every row set aside on purpose (title, numbering, totals).
    files
        Row counts per input file.
    boundaries
        The kecamatan polygons used.
    rules, zone_map
        The supply rules of ``--config`` (default: none) and the zone of every kecamatan.
    """

    producers: pd.DataFrame
    stores: pd.DataFrame
    rejected_rows: pd.DataFrame
    fixed_rows: pd.DataFrame
    files: tuple[FileCounts, FileCounts]
    boundaries: Boundaries
    rules: Rules
    zone_map: ZoneMap
    skipped_rows: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=SKIPPED_COLUMNS)
    )


def load_inputs(
    config: AssignConfig,
    *,
    timings: dict[str, float] | None = None,
    progress: Progress | None = None,
    strict: bool | None = None,
) -> Inputs:
    """Read, validate and geocode both tables (every check, no allocation).

    Parameters
    ----------
    config
        The run configuration (inputs, boundaries, snapping, rules).
    timings
        Filled with wall seconds per stage when given.
    progress
        Called with the name of each stage as it starts.
    strict
        Stop when any row was rejected (default: ``config.strict``).

    Returns
    -------
    Inputs

    Raises
    ------
    StrictError
        With ``strict``, when any row was rejected; it carries the rejected rows.
    """
    timings = {} if timings is None else timings
    note = progress or (lambda _stage: None)
    with timed("read", timings, note):
        raw_p = read_table(
            config.producers, "producers", sheet=config.sheet, header_row=config.header_row
        )
        raw_s = read_table(
            config.stores, "stores", sheet=config.sheet, header_row=config.header_row
        )
    with timed("validate", timings, note):
        val_p, val_s = validate_table(raw_p), validate_table(raw_s)
        _check_product_columns(val_p, val_s)
    with timed("geocode", timings, note):
        boundaries = load_boundaries(config.boundaries)
        rules = load_rules(config.config_file, boundaries, doc=config.config_doc)
        zone_map = ZoneMap.build(rules, boundaries)
        geo_p = geocode_rows(val_p, boundaries, snap_m=config.snap_m)
        geo_s = geocode_rows(val_s, boundaries, snap_m=config.snap_m)
        producers, stores = _prepare(geo_p.accepted), _prepare(geo_s.accepted)
        _name_products(producers, stores)
        _categorise(producers, stores, rules, config)
        rejected = _stack(
            [val_p.rejected, geo_p.rejected],
            [val_s.rejected, geo_s.rejected],
            [*REJECTED_COLUMNS, "kind"],
        )
        fixed = _stack([geo_p.fixed], [geo_s.fixed], FIXED_COLUMNS)
        skipped = _stack([val_p.skipped], [val_s.skipped], SKIPPED_COLUMNS)
    if (config.strict if strict is None else strict) and len(rejected):
        raise StrictError(STRICT_MESSAGE.format(n=len(rejected)), rejected_rows=rejected)
    files = (
        _counts(val_p, len(producers), [val_p.rejected, geo_p.rejected], geo_p.fixed),
        _counts(val_s, len(stores), [val_s.rejected, geo_s.rejected], geo_s.fixed),
    )
    return Inputs(
        producers=producers,
        stores=stores,
        rejected_rows=rejected,
        fixed_rows=fixed,
        files=files,
        boundaries=boundaries,
        rules=rules,
        zone_map=zone_map,
        skipped_rows=skipped,
    )


@contextmanager
def timed(stage: str, timings: dict[str, float], note: Progress) -> Iterator[None]:
    """Announce a stage to ``note`` and add its wall time to ``timings[stage]``."""
    note(stage)
    start = time.perf_counter()
    yield
    timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - start


def _check_product_columns(val_p: Validated, val_s: Validated) -> None:
    has_p = "product" in val_p.table.frame.attrs.get("present", ())
    has_s = "product" in val_s.table.frame.attrs.get("present", ())
    if has_p != has_s:
        with_it, without = (val_p, val_s) if has_p else (val_s, val_p)
        raise InputError(
            f"{with_it.table.path} has a product column but {without.table.path} has none; "
            "add a product column to both files, or remove it from both so that everything "
            "matches everything"
        )


def _prepare(rows: pd.DataFrame) -> pd.DataFrame:
    """Sort rows by (id, product) so that arc order, and hence ties, are canonical."""
    ids = rows["id"].to_numpy(dtype=object)
    keys = rows["product_key"].to_numpy(dtype=object)
    if any(
        pd.api.types.infer_dtype(v, skipna=False) not in ("string", "empty") for v in (ids, keys)
    ):
        return rows.sort_values(["id", "product_key"], kind="stable").reset_index(drop=True)
    order = text_order(ids, keys)  # a stable sort by the texts, through integer ranks
    if (order == np.arange(len(order))).all():  # files are often in id order already
        return rows.reset_index(drop=True)
    return rows.take(order).reset_index(drop=True)


def _name_products(producers: pd.DataFrame, stores: pd.DataFrame) -> None:
    """One display spelling per product key: the first in sort order of all spellings."""
    # the distinct (key, spelling) pairs: few, whatever the number of rows
    pairs = {
        pair
        for rows in (producers, stores)
        for pair in _distinct_pairs(rows["product_key"], rows["product"])[1]
    }
    mapping: dict[object, object] = {}
    for key, spelling in sorted(pairs, key=lambda pair: (str(pair[0]), str(pair[1]))):
        mapping.setdefault(key, spelling)
    for rows in (producers, stores):
        codes, keys = pd.factorize(rows["product_key"].to_numpy(dtype=object))
        names = np.empty(len(keys), dtype=object)
        names[:] = [mapping[k] for k in keys]
        rows["product"] = pd.Series(names[codes], index=rows.index, dtype=object)


def _categorise(
    producers: pd.DataFrame, stores: pd.DataFrame, rules: Rules, config: AssignConfig
) -> None:
    """Give every row its category key: its own cell, else the rules' ``[products]``."""
    for rows in (producers, stores):
        # few distinct (product, category) pairs: resolve each once, then take
        codes, pairs = _distinct_pairs(rows["product_key"], rows["category"])
        resolved = np.empty(len(pairs), dtype=object)
        resolved[:] = [rules.category_of(*pair) for pair in pairs]
        rows["category"] = pd.Series(resolved[codes], index=rows.index, dtype=object)
    if config.config_file is not None:
        used = set(producers["category"]) | set(stores["category"])
        check_categories_used(rules, used - {""}, config.config_file)


def _distinct_pairs(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, list[tuple[object, object]]]:
    """Return the pair of each row (a code) and the distinct ``(a, b)`` pairs, by integer codes."""
    a_code, a_uniq = pd.factorize(a.to_numpy(dtype=object), use_na_sentinel=False)
    b_code, b_uniq = pd.factorize(b.to_numpy(dtype=object), use_na_sentinel=False)
    width = len(b_uniq) + 1
    codes, pairs = pd.factorize(a_code.astype(np.int64) * width + b_code)
    return codes, [(a_uniq[k // width], b_uniq[k % width]) for k in pairs.tolist()]


def _stack(
    producers: list[pd.DataFrame], stores: list[pd.DataFrame], columns: list[str]
) -> pd.DataFrame:
    """Concatenate per-file row tables: producers first, then by sheet and line."""
    kept = [p.assign(_f=f) for f, parts in enumerate((producers, stores)) for p in parts if len(p)]
    if not kept:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        return empty.astype({"line": np.int64})
    table = pd.concat(kept, ignore_index=True)
    table = table.sort_values(["_f", SOURCE, "line"], kind="stable")
    table["line"] = table["line"].astype(np.int64)
    return table.reset_index(drop=True)[columns]


def _counts(
    val: Validated, accepted: int, rejected: list[pd.DataFrame], fixed: pd.DataFrame
) -> FileCounts:
    n_rej = sum(len(r) for r in rejected)
    n_skip = len(val.skipped)
    return FileCounts(
        path=str(val.table.path),
        read=accepted + n_rej + n_skip,
        accepted=accepted,
        rejected=n_rej,
        fixed=len(fixed),
        skipped=n_skip,
        reading=val.table.reading,
    )
