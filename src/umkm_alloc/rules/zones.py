"""Zones and adjacency: every kecamatan's zone, its neighbours, and the zone tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from umkm_alloc.geo.boundaries import Boundaries, load_boundaries
from umkm_alloc.rules.model import Rules
from umkm_alloc.rules.parse import parse_rules

#: Gaps and overlaps (metres) between kecamatan polygons that still count as a shared border.
ADJACENCY_SNAP_M = 1.0
#: Two kecamatan are **neighbours** (and their zones adjacent) when they share a border longer
#: than this many metres. The shared border is the part of one outline that runs within
#: :data:`ADJACENCY_SNAP_M` of the other, because the outlines of real, repaired files rarely
#: share their vertices: neighbours lie up to a metre apart or overlap. Measured that way,
#: polygons that only touch at a corner still "share" about two metres (more where they meet
#: at a sharp angle), and a repaired coverage has many such corners where three or more
#: kecamatan meet along tiny slivers. 10 m is above every corner contact of the packaged
#: Banten boundaries (at most 3 m) and far below any of their real borders (at least 50 m),
#: so "touching at a point is not enough" holds there exactly. This is the one definition:
#: the README and ``umkm-alloc zones --help`` cite it.
ADJACENCY_MIN_SHARED_M = 10.0


# --------------------------------------------------------------------------- adjacency


def kecamatan_adjacency(
    boundaries: Boundaries,
    *,
    snap_m: float = ADJACENCY_SNAP_M,
    min_shared_m: float = ADJACENCY_MIN_SHARED_M,
) -> set[tuple[int, int]]:
    """Return the pairs of kecamatan that share a border longer than ``min_shared_m``.

    The shared border of two polygons is the part of one's boundary that lies within
    ``snap_m`` of the other, so slivers and float noise in a user's file do not break an
    edge. Two polygons touching at a corner share about ``2 * snap_m`` of it, which is
    less than ``min_shared_m``: they are not neighbours (see :data:`ADJACENCY_MIN_SHARED_M`).
    Lengths are measured on :attr:`Boundaries.metric_geometries`, in metres.

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

    Build it once with :meth:`build`; the :class:`~umkm_alloc.rules.Judge` and the ``zones``
    command use it.

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
