"""Build the packaged kecamatan boundaries from the shared boundary extracts.

The sources are extracts of Cahya DSN's ``wilayah_boundaries`` data set (MIT
licence). Their polygons were simplified one by one, so together they overlap
and leave slivers between neighbours. This script repairs them into a clean
polygonal coverage with :func:`shapely.coverage_clean` in a metric CRS, checks
the result, reprojects it to EPSG:4326, rounds the coordinates, writes a
deterministic file, re-reads it to check it again, and writes ``data/NOTICE``
with the provenance of both packaged files and the source licence.

Two data sets are built:

* Banten (default): ``banten_kecamatan.geojson`` (155 kecamatan) ->
  ``data/kecamatan_boundaries.geojson``, repaired in EPSG:32748 (UTM 48S).
* Indonesia (``--national``): ``indonesia_kecamatan.geojson.gz`` (7,285
  kecamatan) -> ``data/kecamatan_indonesia.parquet`` (GeoParquet, WKB), repaired
  in one piece in EPSG:3395 (World Mercator). The country spans UTM zones 46-54,
  so no single UTM zone fits, and cleaning per province would leave the seams
  between provinces unrepaired. Mercator is conformal, so a gap's width is
  measured the same in every direction; its scale factor over Indonesia
  (6 N to 11 S) is 1/cos(lat) = 1.000-1.019, so the 2 km gap width closes true
  gaps 1.96-2.00 km wide, far above the widest source sliver (about 0.9 km).

Usage (relative paths are resolved against the repository root)::

    python scripts/build_boundaries.py
    python scripts/build_boundaries.py --national
    python scripts/build_boundaries.py \
        --source ../shared/data/boundaries/banten_kecamatan.geojson --out data/

The work is done by :func:`build`, which takes the source and output paths and
the processing parameters; the output format follows the output suffix
(``.geojson`` or ``.parquet``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Geod
from shapely.geometry import MultiPolygon, Polygon, mapping

from umkm_alloc.geo.boundaries import GRID_METADATA_KEY, PolygonGrid

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

REPO_ROOT = Path(__file__).resolve().parents[1]
"""Repository root: the parent of the ``scripts`` directory."""

DEFAULT_SOURCE = Path("../shared/data/boundaries/banten_kecamatan.geojson")
"""Default source file, relative to the repository root."""

NATIONAL_SOURCE = Path("../shared/data/boundaries/indonesia_kecamatan.geojson.gz")
"""Source of the national build (``--national``), relative to the repository root."""

DEFAULT_OUT_DIR = Path("data")
"""Default output directory, relative to the repository root."""

OUTPUT_NAME = "kecamatan_boundaries.geojson"
NATIONAL_OUTPUT_NAME = "kecamatan_indonesia.parquet"
NOTICE_NAME = "NOTICE"
LICENSE_NAME = "LICENSE-source"
"""Name of the licence file expected next to the source file."""

PROPERTIES: tuple[str, ...] = ("kode", "nama", "kode_kab", "kabupaten")
"""Feature properties, in output order; all are strings."""

SOURCE_CRS = "EPSG:4326"
METRIC_CRS = "EPSG:32748"
"""WGS 84 / UTM zone 48S, a metric CRS covering Banten."""

NATIONAL_METRIC_CRS = "EPSG:3395"
"""WGS 84 / World Mercator: one conformal metric CRS for all of Indonesia.

Its scale factor is 1/cos(latitude): 1.000 on the equator, 1.005 at 6 N (Sabang)
and 1.019 at 11 S (Rote), so lengths, gap widths and tolerances in metres are
exaggerated by at most 1.9 % and areas by at most 3.8 %; relative area changes
are unaffected to first order.
"""

CRS_NAMES = {
    METRIC_CRS: "WGS 84 / UTM zone 48S",
    NATIONAL_METRIC_CRS: "WGS 84 / World Mercator",
}

GAP_WIDTH_M = 2000.0
"""Gaps narrower than this (metres) are merged into a neighbour.

The widest source gap in Banten is about 0.8 km (diameter of its maximum
inscribed circle); 1 km already closes all of them, 2 km leaves a margin.
"""

DECIMALS = 6
"""Decimal places of the written longitude/latitude (1e-6 degree is ~0.1 m)."""

DECIMALS_NATIONAL = 7
"""Decimal places of the national file (1e-7 degree is ~1 cm).

Rounding the repaired national coverage to 6 decimals makes three polygons
invalid (two crossing edges in Manado, a ring touching itself in Wakatobi), and
repairing them with ``make_valid`` breaks the edge matching with their
neighbours; at 7 decimals all stay valid. The file grows by about 0.2 MB.
"""

EXPECTED_FEATURES_BANTEN = 155
EXPECTED_FEATURES_NATIONAL = 7285

PARQUET_COMPRESSION = "zstd"
PARQUET_COMPRESSION_LEVEL = 19
"""Parquet compression of the national file (deterministic for a given pyarrow)."""

MAX_TOTAL_AREA_CHANGE = 0.01
"""Largest accepted relative change of the total area (sum over kecamatan)."""

MAX_KECAMATAN_AREA_CHANGE = 0.25
"""Largest accepted relative area change of a single kecamatan (Banten)."""

MAX_KECAMATAN_AREA_CHANGE_NATIONAL = 1.0
"""Largest accepted relative area change of a single kecamatan (national build).

``coverage_clean`` merges each gap whole into the neighbour with the longest
shared border. In cities, where kecamatan are 1-10 km² and the source leaves
gaps of several km² between them, that can nearly double a kecamatan (Medan
Barat: +80 %). Every gained m² is still checked to come from a source gap and
every lost m² from a source overlap.
"""

NESTED_FRACTION = 0.5
"""A kecamatan more than this fraction of whose area is also claimed by other
kecamatan is taken to be a newer split that the older outlines still contain;
it is cut out of them before the repair (see :func:`resolve_nested`).
"""

MAX_UNEXPLAINED_AREA_M2 = 100.0
"""Largest area (m²) a kecamatan may gain outside source gaps or lose outside
source overlaps; anything above this is a change the repair should not make.
"""

SOURCE_NAME = "Cahya DSN's wilayah_boundaries"
SOURCE_SNAPSHOT = "2026-08"


class BuildError(RuntimeError):
    """A check on the source, the repaired coverage or the written file failed."""


@dataclass
class CoverageStats:
    """Overlap and gap measurements of a set of polygons in a metric CRS.

    Attributes
    ----------
    total_area_km2 : float
        Sum of the polygon areas (overlaps counted twice).
    union_area_km2 : float
        Area of the union of the polygons.
    overlap_pairs : int
        Number of polygon pairs whose intersection has a positive area.
    overlap_area_km2 : float
        Summed area of the pairwise intersections.
    overlap_max_km2 : float
        Largest single pairwise intersection.
    gap_count : int
        Number of interior holes of the union (areas covered by no polygon and
        enclosed by the coverage).
    gap_area_km2 : float
        Summed area of those holes.
    gap_max_width_m : float
        Largest hole width (diameter of its maximum inscribed circle).
    """

    total_area_km2: float
    union_area_km2: float
    overlap_pairs: int
    overlap_area_km2: float
    overlap_max_km2: float
    gap_count: int
    gap_area_km2: float
    gap_max_width_m: float


@dataclass
class BuildReport:
    """Figures gathered while building the boundary file.

    Attributes
    ----------
    features : int
        Number of features written.
    before : CoverageStats
        Source coverage, in the metric CRS.
    after : CoverageStats
        Repaired coverage, in the metric CRS, before rounding.
    written : CoverageStats
        Written file after re-reading, reprojected to the metric CRS.
    largest_changes : list of tuple of (str, str, float, float)
        Kecamatan with the largest relative area change, as
        ``(kode, nama, change_km2, change_fraction)``.
    file_bytes : int
        Size of the written file.
    clean_seconds : float
        Time spent in :func:`shapely.coverage_clean`.
    total_seconds : float
        Time of the whole build.
    geodesic_area_km2 : tuple of (float, float)
        Sum of the ellipsoidal (WGS84) areas of the source polygons and of the
        written polygons, independent of the metric CRS.
    made_valid : list of str
        Kecamatan whose source geometry was invalid.
    nested : list of tuple of (str, float, list of tuple of (str, float))
        Nested kecamatan cut out of their containers (:func:`resolve_nested`).
    changed_over_25pct : int
        Number of kecamatan whose area changed by more than 25 % in all.
    """

    features: int
    before: CoverageStats
    after: CoverageStats
    written: CoverageStats
    largest_changes: list[tuple[str, str, float, float]] = field(default_factory=list)
    file_bytes: int = 0
    clean_seconds: float = 0.0
    total_seconds: float = 0.0
    geodesic_area_km2: tuple[float, float] = (0.0, 0.0)
    made_valid: list[str] = field(default_factory=list)
    nested: list[tuple[str, float, list[tuple[str, float]]]] = field(default_factory=list)
    changed_over_25pct: int = 0

    def format(self) -> str:
        """Return the report as a short human-readable text.

        Returns
        -------
        str
            Multi-line report.
        """
        b, a, w = self.before, self.after, self.written
        lines = [
            f"features:        {self.features}",
            f"area (sum):      {b.total_area_km2:.2f} km² -> {a.total_area_km2:.2f} km² "
            f"({_pct(a.total_area_km2, b.total_area_km2)}); "
            f"written {w.total_area_km2:.2f} km²",
            f"area (union):    {b.union_area_km2:.2f} km² -> {a.union_area_km2:.2f} km² "
            f"({_pct(a.union_area_km2, b.union_area_km2)})",
            f"area (WGS84):    {self.geodesic_area_km2[0]:.2f} km² -> "
            f"{self.geodesic_area_km2[1]:.2f} km² written "
            f"({_pct(self.geodesic_area_km2[1], self.geodesic_area_km2[0])})",
            f"overlaps:        {b.overlap_pairs} pairs, {b.overlap_area_km2:.2f} km² "
            f"(max {b.overlap_max_km2:.2f}) -> {a.overlap_pairs} pairs, "
            f"{a.overlap_area_km2:.6f} km²; written {w.overlap_pairs} pairs, "
            f"{w.overlap_area_km2:.6f} km²",
            f"gaps (holes):    {b.gap_count}, {b.gap_area_km2:.2f} km² "
            f"(widest {b.gap_max_width_m:.0f} m) -> {a.gap_count}, "
            f"{a.gap_area_km2:.2f} km²; written {w.gap_count}, {w.gap_area_km2:.2f} km²",
            f"made valid:      {len(self.made_valid)} {self.made_valid}",
            f"nested:          {len(self.nested)} kecamatan cut out of their containers",
        ]
        lines.extend(
            f"  {label} ({100 * frac:.0f} % covered) cut out of "
            + ", ".join(f"{other} (-{km2:.2f} km²)" for other, km2 in taken)
            for label, frac, taken in self.nested
        )
        lines += [
            f"changed > 25 %:  {self.changed_over_25pct} kecamatan",
            "largest kecamatan changes (repair, after nested cuts):",
        ]
        lines.extend(
            f"  {kode} {nama}: {d:+.2f} km² ({100 * r:+.1f} %)"
            for kode, nama, d, r in self.largest_changes
        )
        lines += [
            f"file size:       {self.file_bytes:,} bytes",
            f"time:            clean {self.clean_seconds:.2f} s, total {self.total_seconds:.2f} s",
        ]
        return "\n".join(lines)


def _pct(new: float, old: float) -> str:
    """Format the relative change from ``old`` to ``new`` as a percentage."""
    return f"{100 * (new / old - 1):+.3f} %"


def resolve(path: Path | str) -> Path:
    """Resolve a path given on the command line against the repository root.

    Parameters
    ----------
    path : Path or str
        Absolute path, or path relative to the repository root.

    Returns
    -------
    Path
        Absolute, normalised path.
    """
    p = Path(path).expanduser()
    return (p if p.is_absolute() else REPO_ROOT / p).resolve()


def read_source(source: Path, *, expected_features: int | None) -> gpd.GeoDataFrame:
    """Read the source file and check its features and properties.

    Parameters
    ----------
    source : Path
        GeoJSON (or any OGR-readable) file in EPSG:4326; a ``.gz`` file is read
        through GDAL's ``/vsigzip/``.
    expected_features : int or None
        Required number of features; ``None`` skips the count check.

    Returns
    -------
    geopandas.GeoDataFrame
        The properties in :data:`PROPERTIES` plus the geometry.

    Raises
    ------
    BuildError
        If the count, the CRS, or the properties are not as expected.
    """
    path = f"/vsigzip/{source}" if source.suffix == ".gz" else source
    gdf = gpd.read_file(path, engine="pyogrio")
    if expected_features is not None and len(gdf) != expected_features:
        msg = f"{source}: {len(gdf)} features, expected {expected_features}"
        raise BuildError(msg)
    if gdf.crs is None or not gdf.crs.equals(SOURCE_CRS):
        msg = f"{source}: CRS {gdf.crs}, expected {SOURCE_CRS}"
        raise BuildError(msg)
    missing = [p for p in PROPERTIES if p not in gdf.columns]
    if missing:
        msg = f"{source}: missing properties {missing}"
        raise BuildError(msg)
    for prop in PROPERTIES:
        values = gdf[prop]
        if values.isna().any() or not all(isinstance(v, str) and v for v in values):
            msg = f"{source}: property {prop!r} has missing or non-string values"
            raise BuildError(msg)
    if not gdf["kode"].is_unique:
        dupes = sorted(gdf.loc[gdf["kode"].duplicated(), "kode"])
        msg = f"{source}: duplicate kode {dupes}"
        raise BuildError(msg)
    bad_prefix = gdf.loc[
        [not k.startswith(kk + ".") for k, kk in zip(gdf["kode"], gdf["kode_kab"], strict=True)],
        "kode",
    ]
    if len(bad_prefix):
        msg = f"{source}: kode not under its kode_kab: {sorted(bad_prefix)}"
        raise BuildError(msg)
    return gdf[[*PROPERTIES, "geometry"]]


def _polygons(geom: shapely.Geometry) -> list[Polygon]:
    """Return the non-empty polygons contained in a geometry (recursively).

    Parameters
    ----------
    geom : shapely.Geometry
        Any geometry, possibly a (nested) collection.

    Returns
    -------
    list of shapely.Polygon
        Polygonal parts; points and lines are dropped.
    """
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    if isinstance(geom, MultiPolygon) or shapely.get_type_id(geom) == 7:  # collection
        return [p for part in shapely.get_parts(geom) for p in _polygons(part)]
    return []


def to_multipolygons(
    geoms: Sequence[shapely.Geometry] | NDArray[np.object_],
) -> NDArray[np.object_]:
    """Make geometries valid and reduce them to their polygonal parts.

    Invalid geometries are repaired with :func:`shapely.make_valid` using the
    ``structure`` method without collapsed parts: the ``linework`` method
    fails on some national geometries ("Overlay input is mixed-dimension") and
    returns GeometryCollections with stray lines for others. Any non-polygonal
    part that remains (a GeometryCollection's points and lines) is dropped.

    Parameters
    ----------
    geoms : sequence of shapely.Geometry
        Input geometries.

    Returns
    -------
    numpy.ndarray of shapely.MultiPolygon
        One MultiPolygon per input, possibly empty.
    """
    valid = np.array(geoms, dtype=object)
    invalid = ~shapely.is_valid(valid)
    if invalid.any():
        valid[invalid] = shapely.make_valid(
            valid[invalid], method="structure", keep_collapsed=False
        )
    return np.array([MultiPolygon(_polygons(g)) for g in valid], dtype=object)


def _holes(union: shapely.Geometry) -> list[Polygon]:
    """Return the interior rings of a polygonal union as polygons."""
    return [Polygon(ring) for poly in _polygons(union) for ring in poly.interiors]


def _hole_widths(holes: Sequence[Polygon]) -> NDArray[np.float64]:
    """Return the width of each hole: the diameter of its maximum inscribed circle."""
    if not holes:
        return np.zeros(0)
    circles = shapely.maximum_inscribed_circle(np.asarray(holes, dtype=object))
    return 2.0 * shapely.length(circles)


def coverage_stats(
    geoms: NDArray[np.object_], *, union: shapely.Geometry | None = None
) -> CoverageStats:
    """Measure the overlaps and gaps of polygons in a metric CRS.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely.Geometry
        Polygons in a metric CRS (metres).
    union : shapely.Geometry, optional
        Their union, when already computed (it is the slow part).

    Returns
    -------
    CoverageStats
        Areas in km², widths in metres.
    """
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[keep]], geoms[right[keep]]))
    overlap = overlap[overlap > 0.0]
    if union is None:
        union = shapely.union_all(geoms)
    holes = _holes(union)
    widths = _hole_widths(holes)
    return CoverageStats(
        total_area_km2=float(shapely.area(geoms).sum()) / 1e6,
        union_area_km2=float(union.area) / 1e6,
        overlap_pairs=len(overlap),
        overlap_area_km2=float(overlap.sum()) / 1e6,
        overlap_max_km2=float(overlap.max(initial=0.0)) / 1e6,
        gap_count=len(holes),
        gap_area_km2=float(sum(h.area for h in holes)) / 1e6,
        gap_max_width_m=float(widths.max(initial=0.0)),
    )


def check_coverage(geoms: NDArray[np.object_], what: str) -> None:
    """Check that polygons are valid, non-empty and form a valid coverage.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely.Geometry
        Polygons to check.
    what : str
        Label used in error messages.

    Raises
    ------
    BuildError
        If a geometry is empty, invalid or not polygonal, or if the polygons
        overlap or their shared edges do not match.
    """
    types = shapely.get_type_id(geoms)
    if not np.isin(types, (3, 6)).all():
        msg = f"{what}: non-polygonal geometries at {np.flatnonzero(~np.isin(types, (3, 6)))}"
        raise BuildError(msg)
    if shapely.is_empty(geoms).any():
        msg = f"{what}: empty geometries at {np.flatnonzero(shapely.is_empty(geoms))}"
        raise BuildError(msg)
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        msg = f"{what}: invalid geometries at {np.flatnonzero(invalid)}: {reasons}"
        raise BuildError(msg)
    if not shapely.coverage_is_valid(geoms):
        edges = shapely.coverage_invalid_edges(geoms)
        bad = np.flatnonzero(~shapely.is_empty(edges))
        msg = f"{what}: not a valid coverage (invalid edges in polygons {bad})"
        raise BuildError(msg)


def check_gaps(
    cleaned: NDArray[np.object_],
    source: NDArray[np.object_],
    *,
    gap_width_m: float,
    what: str,
    cleaned_union: shapely.Geometry | None = None,
    source_union: shapely.Geometry | None = None,
) -> None:
    """Check that the cleaned coverage has no gaps left.

    A hole in the union of the cleaned polygons is accepted only if it is wider
    than ``gap_width_m`` and lies in a hole of the source union (a genuine
    enclave of the source rather than a sliver).

    Parameters
    ----------
    cleaned : numpy.ndarray of shapely.Geometry
        Repaired polygons, metric CRS.
    source : numpy.ndarray of shapely.Geometry
        Source polygons, same CRS.
    gap_width_m : float
        Gap width used for the repair, metres.
    what : str
        Label used in error messages.
    cleaned_union, source_union : shapely.Geometry, optional
        Unions of ``cleaned`` and ``source``, when already computed.

    Raises
    ------
    BuildError
        If a hole is narrower than the gap width or was not in the source.
    """
    if cleaned_union is None:
        cleaned_union = shapely.union_all(cleaned)
    holes = _holes(cleaned_union)
    if not holes:
        return
    widths = _hole_widths(holes)
    if source_union is None:
        source_union = shapely.union_all(source)
    source_holes = shapely.union_all(_holes(source_union))
    for hole, width in zip(holes, widths, strict=True):
        outside = shapely.difference(hole, source_holes).area
        if width <= gap_width_m or outside > 0.01 * hole.area:
            msg = (
                f"{what}: gap of {hole.area / 1e6:.4f} km², width {width:.0f} m, "
                f"{outside / 1e6:.4f} km² of it not a hole in the source, at "
                f"{hole.representative_point().wkt}"
            )
            raise BuildError(msg)


def check_area_changes(
    cleaned: NDArray[np.object_],
    source: NDArray[np.object_],
    labels: Sequence[str],
    *,
    max_change: float = MAX_KECAMATAN_AREA_CHANGE,
) -> list[tuple[int, float, float]]:
    """Check that each polygon changed only where the source was defective.

    Every square metre a kecamatan gains must come from a gap of the source
    (covered by no source polygon: a hole of the coverage, or a narrow inlet
    of the coast that node snapping closed) and every square metre it loses
    must lie in an overlap with another source polygon. Up to
    :data:`MAX_UNEXPLAINED_AREA_M2` is tolerated for node snapping. In addition
    no kecamatan may change its area by more than ``max_change``.

    Parameters
    ----------
    cleaned : numpy.ndarray of shapely.Geometry
        Repaired polygons, metric CRS.
    source : numpy.ndarray of shapely.Geometry
        Source polygons, same CRS and order.
    labels : sequence of str
        Label of each polygon for error messages.
    max_change : float, default MAX_KECAMATAN_AREA_CHANGE
        Largest accepted relative area change of one polygon.

    Returns
    -------
    list of tuple of (int, float, float)
        ``(index, change_m2, change_fraction)`` for every polygon.

    Raises
    ------
    BuildError
        If a polygon changed outside the defects or by too much.
    """
    tree = shapely.STRtree(source)
    all_gained = shapely.difference(cleaned, source)
    all_lost = shapely.difference(source, cleaned)
    changes = []
    for i, (src, new) in enumerate(zip(source, cleaned, strict=True)):
        gained, lost = all_gained[i], all_lost[i]
        others = [j for j in tree.query(gained) if j != i]
        gained_outside_gaps = shapely.intersection(gained, shapely.union_all(source[others])).area
        neighbours = [j for j in tree.query(src, predicate="intersects") if j != i]
        lost_outside_overlaps = shapely.difference(lost, shapely.union_all(source[neighbours])).area
        change = new.area - src.area
        fraction = change / src.area
        if gained_outside_gaps > MAX_UNEXPLAINED_AREA_M2:
            msg = f"{labels[i]}: gained {gained_outside_gaps:.0f} m² that belonged to a neighbour"
            raise BuildError(msg)
        if lost_outside_overlaps > MAX_UNEXPLAINED_AREA_M2:
            msg = f"{labels[i]}: lost {lost_outside_overlaps:.0f} m² that no neighbour claimed"
            raise BuildError(msg)
        if abs(fraction) > max_change:
            msg = f"{labels[i]}: area changed by {100 * fraction:+.1f} %"
            raise BuildError(msg)
        changes.append((i, change, fraction))
    return changes


def resolve_nested(
    geoms: NDArray[np.object_], labels: Sequence[str]
) -> tuple[NDArray[np.object_], list[tuple[str, float, list[tuple[str, float]]]]]:
    """Cut kecamatan that lie mostly inside others out of those others.

    When a kecamatan is split, the source sometimes keeps the old outline of
    the parent next to the new one of the child, so the child lies almost
    wholly inside the parent. :func:`shapely.coverage_clean` would give such an
    overlap to the polygon with the longest shared border, the parent, and the
    child would all but vanish (Toili Jaya: 302 km² -> 2 km²). Here every
    polygon more than :data:`NESTED_FRACTION` of whose area other polygons
    also cover is cut out of them, most covered first, so the child keeps its
    area and the parent loses exactly the overlap.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely.MultiPolygon
        Valid polygons in a metric CRS.
    labels : sequence of str
        Label of each polygon for the report.

    Returns
    -------
    numpy.ndarray of shapely.MultiPolygon
        The polygons with the nested ones cut out of their containers.
    list of tuple of (str, float, list of tuple of (str, float))
        For each nested polygon: its label, the covered fraction, and the
        polygons cut, with the area taken from each (km²).

    Raises
    ------
    BuildError
        If a container would be left empty.
    """
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left != right
    left, right = left[keep], right[keep]
    neighbours: dict[int, list[int]] = {}
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        neighbours.setdefault(i, []).append(j)
    covered = np.zeros(len(geoms))
    for i, js in neighbours.items():
        others = shapely.union_all(geoms[js])
        covered[i] = shapely.intersection(geoms[i], others).area / geoms[i].area
    nested = sorted(np.flatnonzero(covered > NESTED_FRACTION).tolist(), key=lambda i: -covered[i])
    rank = {i: r for r, i in enumerate(nested)}
    out = geoms.copy()
    report = []
    for i in nested:
        taken = []
        for j in neighbours[i]:
            if rank.get(j, len(nested)) <= rank[i]:
                continue
            cut = shapely.difference(out[j], out[i])
            cut = MultiPolygon(_polygons(shapely.make_valid(cut)))
            if cut.is_empty:
                msg = f"{labels[j]}: nothing left after cutting out nested {labels[i]}"
                raise BuildError(msg)
            lost = out[j].area - cut.area
            if lost > 0.0:
                taken.append((labels[j], lost / 1e6))
            out[j] = cut
        report.append((labels[i], float(covered[i]), taken))
    return out, report


def round_geometries(geoms: NDArray[np.object_], decimals: int) -> NDArray[np.object_]:
    """Round coordinates, drop repeated vertices and orient rings (RFC 7946).

    Shared edges of a clean coverage have identical vertices, so rounding each
    vertex independently keeps them identical.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely.Geometry
        Polygons in EPSG:4326.
    decimals : int
        Number of decimal places kept.

    Returns
    -------
    numpy.ndarray of shapely.MultiPolygon
        Rounded MultiPolygons, exteriors counter-clockwise.
    """
    rounded = shapely.transform(geoms, lambda xy: np.round(xy, decimals))
    rounded = shapely.remove_repeated_points(rounded, tolerance=0.0)
    rounded = shapely.orient_polygons(rounded, exterior_cw=False)
    return np.array([MultiPolygon(_polygons(g)) for g in rounded], dtype=object)


def feature_collection_text(gdf: gpd.GeoDataFrame) -> str:
    """Serialise features as deterministic GeoJSON text, one feature per line.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features in EPSG:4326 with the :data:`PROPERTIES` columns.

    Returns
    -------
    str
        RFC 7946 FeatureCollection text ending with a newline.
    """
    lines = []
    for row in gdf.itertuples(index=False):
        feature = {
            "type": "Feature",
            "properties": {p: str(getattr(row, p)) for p in PROPERTIES},
            "geometry": mapping(row.geometry),
        }
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    head = '{"type":"FeatureCollection","name":"kecamatan_boundaries","features":[\n'
    return head + ",\n".join(lines) + "\n]}\n"


def write_geoparquet(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """Write features as a deterministic GeoParquet 1.1 file (WKB geometry).

    The table is built with pyarrow directly (no pandas or geopandas metadata,
    whose library versions would change the bytes): string columns
    :data:`PROPERTIES`, then ``geometry`` as little-endian ISO WKB, one row
    group, zstd compression. The ``geo`` metadata gives the CRS (EPSG:4326 as
    PROJJSON), the geometry type, the ring orientation and the bounding box.
    The ``umkm_alloc:grid`` metadata holds the point-in-polygon raster of
    :class:`umkm_alloc.geo.boundaries.PolygonGrid`, built from the geometries exactly
    as they are read back, so that loading does not have to build it.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Features in EPSG:4326 with the :data:`PROPERTIES` columns, sorted.
    path : Path
        File to write.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    geoms = np.asarray(gdf.geometry.array, dtype=object)
    geo = {
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": {
            "geometry": {
                "encoding": "WKB",
                "geometry_types": ["MultiPolygon"],
                "crs": CRS.from_epsg(4326).to_json_dict(),
                "orientation": "counterclockwise",
                "bbox": [float(v) for v in shapely.total_bounds(geoms)],
            }
        },
    }
    fields = [pa.field(p, pa.string(), nullable=False) for p in PROPERTIES]
    fields.append(pa.field("geometry", pa.binary(), nullable=False))
    schema = pa.schema(fields)
    columns = [pa.array([str(v) for v in gdf[p]], pa.string()) for p in PROPERTIES]
    wkb = shapely.to_wkb(geoms, byte_order=1, output_dimension=2, flavor="iso")
    columns.append(pa.array(list(wkb), pa.binary()))
    table = pa.Table.from_arrays(columns, schema=schema)
    grid = PolygonGrid.build(shapely.from_wkb(wkb))
    metadata = {
        b"geo": json.dumps(geo, separators=(",", ":"), sort_keys=True).encode(),
        GRID_METADATA_KEY: grid.to_bytes(),
    }
    # no ARROW:schema entry: it would repeat the metadata (base64) and is not needed
    with pq.ParquetWriter(
        path,
        schema,
        compression=PARQUET_COMPRESSION,
        compression_level=PARQUET_COMPRESSION_LEVEL,
        write_statistics=list(PROPERTIES),
        store_schema=False,
    ) as writer:
        writer.write_table(table, row_group_size=len(table) or None)
        writer.add_key_value_metadata(metadata)


def _read_back(path: Path) -> gpd.GeoDataFrame:
    """Read a written file with geopandas (an independent reader)."""
    if path.suffix == ".parquet":
        return gpd.read_parquet(path)
    return gpd.read_file(path, engine="pyogrio")


def verify_written(
    path: Path,
    expected: gpd.GeoDataFrame,
    source_metric: NDArray[np.object_],
    *,
    metric_crs: str,
    gap_width_m: float,
    source_union: shapely.Geometry | None = None,
) -> CoverageStats:
    """Re-read the written file and check it again.

    Parameters
    ----------
    path : Path
        Written GeoJSON or GeoParquet file.
    expected : geopandas.GeoDataFrame
        Features that were written, in order.
    source_metric : numpy.ndarray of shapely.Geometry
        Source polygons in the metric CRS, same order as ``expected``.
    metric_crs : str
        Metric CRS used for the gap check and the statistics.
    gap_width_m : float
        Gap width used for the repair, metres.
    source_union : shapely.Geometry, optional
        Union of ``source_metric``, when already computed.

    Returns
    -------
    CoverageStats
        Statistics of the written polygons in the metric CRS.

    Raises
    ------
    BuildError
        If the file differs from what was meant to be written or if its
        polygons are invalid or no longer form a gap-free valid coverage.
    """
    back = _read_back(path)
    if len(back) != len(expected):
        msg = f"{path}: {len(back)} features read back, {len(expected)} written"
        raise BuildError(msg)
    if list(back.columns) != [*PROPERTIES, "geometry"]:
        msg = f"{path}: columns {list(back.columns)}"
        raise BuildError(msg)
    if back.crs is None or not back.crs.equals(SOURCE_CRS):
        msg = f"{path}: CRS {back.crs} read back, expected {SOURCE_CRS}"
        raise BuildError(msg)
    for prop in PROPERTIES:
        if back[prop].tolist() != expected[prop].tolist():
            msg = f"{path}: property {prop!r} changed on re-reading"
            raise BuildError(msg)
    if not (back.geom_type == "MultiPolygon").all():
        msg = f"{path}: not all geometries are MultiPolygons"
        raise BuildError(msg)
    geoms = np.asarray(back.geometry.array, dtype=object)
    if not shapely.equals_identical(geoms, np.asarray(expected.geometry.array)).all():
        msg = f"{path}: geometries changed on re-reading"
        raise BuildError(msg)
    check_coverage(geoms, f"{path} (EPSG:4326)")
    metric = np.asarray(back.geometry.to_crs(metric_crs).array, dtype=object)
    check_coverage(metric, f"{path} ({metric_crs})")
    union = shapely.coverage_union_all(metric)
    check_gaps(
        metric,
        source_metric,
        gap_width_m=gap_width_m,
        what=f"{path} ({metric_crs})",
        cleaned_union=union,
        source_union=source_union,
    )
    return coverage_stats(metric, union=union)


def geodesic_area_km2(geoms: NDArray[np.object_]) -> float:
    """Return the summed WGS84 ellipsoidal area of polygons in EPSG:4326, km²."""
    geod = Geod(ellps="WGS84")
    oriented = shapely.orient_polygons(geoms, exterior_cw=False)
    return sum(geod.geometry_area_perimeter(g)[0] for g in oriented) / 1e6


def _log(enabled: bool, t0: float, message: str) -> None:
    """Print a progress line with the elapsed time to stderr."""
    if enabled:
        print(f"[{time.perf_counter() - t0:7.1f} s] {message}", file=sys.stderr, flush=True)


def build(
    source: Path,
    out_path: Path,
    *,
    metric_crs: str = METRIC_CRS,
    gap_width_m: float = GAP_WIDTH_M,
    decimals: int = DECIMALS,
    expected_features: int | None = EXPECTED_FEATURES_BANTEN,
    max_change: float = MAX_KECAMATAN_AREA_CHANGE,
    progress: bool = False,
) -> BuildReport:
    """Repair the source boundaries into a clean coverage and write them.

    Parameters
    ----------
    source : Path
        Source GeoJSON file (EPSG:4326, optionally gzipped) with the
        :data:`PROPERTIES`.
    out_path : Path
        File to write; its directory must exist. A ``.parquet`` suffix writes
        GeoParquet (:func:`write_geoparquet`), anything else GeoJSON.
    metric_crs : str, default METRIC_CRS
        Projected CRS (metres) in which the repair and checks are done.
    gap_width_m : float, default GAP_WIDTH_M
        Gaps narrower than this many metres are merged into a neighbour.
    decimals : int, default DECIMALS
        Decimal places of the written coordinates.
    expected_features : int or None, default EXPECTED_FEATURES_BANTEN
        Required number of source features; ``None`` skips the check.
    max_change : float, default MAX_KECAMATAN_AREA_CHANGE
        Largest accepted relative area change of one kecamatan in the repair
        (after nested kecamatan are cut out of their containers).
    progress : bool, default False
        Print each step with the elapsed time to stderr.

    Returns
    -------
    BuildReport
        Measured figures.

    Raises
    ------
    BuildError
        If any check fails. The output file may then be incomplete or absent.
    """
    t0 = time.perf_counter()
    gdf = read_source(source, expected_features=expected_features)
    gdf = gdf.sort_values("kode", kind="stable").reset_index(drop=True)
    labels = [
        f"{k} {n} ({kab})"
        for k, n, kab in zip(gdf["kode"], gdf["nama"], gdf["kabupaten"], strict=True)
    ]
    _log(progress, t0, f"read {len(gdf)} features from {source.name}")

    raw = np.asarray(gdf.geometry.array, dtype=object)
    invalid = np.flatnonzero(~shapely.is_valid(raw))
    polygons = to_multipolygons(raw)
    empty = np.flatnonzero(shapely.is_empty(polygons))
    if len(empty):
        msg = f"no polygonal part left after make_valid: {[labels[i] for i in empty]}"
        raise BuildError(msg)
    _log(progress, t0, f"made valid: {[labels[i] for i in invalid]}")
    source_metric = np.asarray(
        gpd.GeoSeries(polygons, crs=SOURCE_CRS).to_crs(metric_crs).array, dtype=object
    )
    source_union = shapely.union_all(source_metric)
    before = coverage_stats(source_metric, union=source_union)
    _log(progress, t0, "measured the source coverage")
    resolved, nested = resolve_nested(source_metric, labels)
    _log(progress, t0, f"cut {len(nested)} nested kecamatan out of their containers")

    t1 = time.perf_counter()
    cleaned = shapely.coverage_clean(resolved, gap_width=gap_width_m)
    clean_seconds = time.perf_counter() - t1
    _log(progress, t0, f"coverage_clean in {metric_crs}, gap width {gap_width_m:g} m")

    check_coverage(cleaned, f"cleaned ({metric_crs})")
    cleaned_union = shapely.coverage_union_all(cleaned)
    check_gaps(
        cleaned,
        source_metric,
        gap_width_m=gap_width_m,
        what=f"cleaned ({metric_crs})",
        cleaned_union=cleaned_union,
        source_union=source_union,
    )
    after = coverage_stats(cleaned, union=cleaned_union)
    total_change = after.total_area_km2 / before.total_area_km2 - 1.0
    if abs(total_change) > MAX_TOTAL_AREA_CHANGE:
        msg = f"total area changed by {100 * total_change:+.2f} %"
        raise BuildError(msg)
    changes = check_area_changes(cleaned, resolved, labels, max_change=max_change)
    _log(progress, t0, "checked the cleaned coverage")

    geographic = gpd.GeoSeries(cleaned, crs=metric_crs).to_crs(SOURCE_CRS)
    rounded = round_geometries(np.asarray(geographic.array, dtype=object), decimals)
    out = gpd.GeoDataFrame(gdf[list(PROPERTIES)].copy(), geometry=list(rounded), crs=SOURCE_CRS)
    if out_path.suffix == ".parquet":
        write_geoparquet(out, out_path)
    else:
        out_path.write_text(feature_collection_text(out), encoding="utf-8", newline="\n")
    _log(progress, t0, f"wrote {out_path}")

    written = verify_written(
        out_path,
        out,
        source_metric,
        metric_crs=metric_crs,
        gap_width_m=gap_width_m,
        source_union=source_union,
    )
    geodesic = (geodesic_area_km2(polygons), geodesic_area_km2(rounded))
    _log(progress, t0, "checked the written file")
    largest = sorted(changes, key=lambda c: abs(c[2]), reverse=True)[:5]
    return BuildReport(
        features=len(out),
        before=before,
        after=after,
        written=written,
        largest_changes=[(gdf["kode"][i], gdf["nama"][i], d / 1e6, r) for i, d, r in largest],
        file_bytes=out_path.stat().st_size,
        clean_seconds=clean_seconds,
        total_seconds=time.perf_counter() - t0,
        geodesic_area_km2=geodesic,
        made_valid=[labels[i] for i in invalid],
        nested=nested,
        changed_over_25pct=int(
            np.sum(np.abs(shapely.area(cleaned) / shapely.area(source_metric) - 1.0) > 0.25)
        ),
    )


def notice_text(
    license_text: str,
    *,
    gap_width_m: float = GAP_WIDTH_M,
    national_gap_width_m: float = GAP_WIDTH_M,
    decimals: int = DECIMALS,
    national_decimals: int = DECIMALS_NATIONAL,
) -> str:
    """Return the text of ``data/NOTICE``, covering both packaged files.

    Parameters
    ----------
    license_text : str
        Full licence text of the source, reproduced verbatim.
    gap_width_m : float, default GAP_WIDTH_M
        Gap width of the Banten repair, metres.
    national_gap_width_m : float, default GAP_WIDTH_M
        Gap width of the national repair, metres.
    decimals : int, default DECIMALS
        Decimal places of the Banten coordinates.
    national_decimals : int, default DECIMALS_NATIONAL
        Decimal places of the national coordinates.

    Returns
    -------
    str
        NOTICE file content.
    """
    title = f"data/{OUTPUT_NAME} and data/{NATIONAL_OUTPUT_NAME}"
    return f"""\
{title}
{"=" * len(title)}

Kecamatan (sub-district) boundaries of Indonesia, two packaged files:

- data/{OUTPUT_NAME}: Banten province, {EXPECTED_FEATURES_BANTEN} kecamatan,
  GeoJSON (RFC 7946).
- data/{NATIONAL_OUTPUT_NAME}: all of Indonesia, {EXPECTED_FEATURES_NATIONAL:,} kecamatan,
  GeoParquet 1.1 (geometry as WKB, EPSG:4326, zstd compression).

Source
------
Derived from {SOURCE_NAME} data set (snapshot {SOURCE_SNAPSHOT}),
MIT licence, copyright notice and licence text reproduced below. The extracts
used (banten_kecamatan.geojson, {EXPECTED_FEATURES_BANTEN} kecamatan, and
indonesia_kecamatan.geojson.gz, {EXPECTED_FEATURES_NATIONAL:,} kecamatan, both EPSG:4326)
store each kecamatan with its official code (kode, kode_kab) and names (nama,
kabupaten).

Changes made to the source
--------------------------
- Invalid geometries (9 in the national extract, none in Banten) made valid
  with shapely.make_valid (method "structure", collapsed parts dropped); only
  polygonal parts kept (GeometryCollections reduced to their polygons).
- Repaired into a clean polygonal coverage with shapely.coverage_clean
  (shapely 2.2 / GEOS 3.14), merge strategy "longest_border": overlaps between
  neighbouring kecamatan are given to one of them, gaps (slivers) narrower than
  the gap width are merged into a neighbour, and shared edges are made identical.
  The simplified coastline of the source is not corrected.
  In the national extract, a kecamatan more than half of whose area other
  kecamatan also claim (a newer split that its parent's outline still
  contains, such as Toili Jaya inside Toili) is first cut out of those others,
  so that it keeps its area (15 kecamatan).
  - {OUTPUT_NAME}: projected to {METRIC_CRS} ({CRS_NAMES[METRIC_CRS]}),
    gap_width={gap_width_m:g} m.
  - {NATIONAL_OUTPUT_NAME}: the whole country at once (so the seams between
    provinces are repaired too), projected to {NATIONAL_METRIC_CRS}
    ({CRS_NAMES[NATIONAL_METRIC_CRS]}; scale factor 1.000-1.019 over Indonesia),
    gap_width={national_gap_width_m:g} m. Holes wider than the gap width (large lakes,
    unmapped areas) are kept.
- Reprojected to EPSG:4326 and coordinates rounded to {decimals} decimal places
  (about 0.1 m) in {OUTPUT_NAME}, {national_decimals} (about 1 cm) in
  {NATIONAL_OUTPUT_NAME}; repeated vertices removed; rings oriented per RFC 7946
  (exterior counter-clockwise).
- Features sorted by kode; properties kept: {", ".join(PROPERTIES)};
  every geometry is a MultiPolygon.
- {NATIONAL_OUTPUT_NAME} also carries, in its file metadata under
  "{GRID_METADATA_KEY.decode()}", a raster index computed from its own polygons
  (which polygon holds each cell of about 0.01 degree) for fast point lookup.

Rebuild
-------
    python scripts/build_boundaries.py
    (defaults: --source {DEFAULT_SOURCE.as_posix()} --out data/)
    python scripts/build_boundaries.py --national
    (defaults: --source {NATIONAL_SOURCE.as_posix()} --out data/)

Source licence
--------------
{license_text.rstrip()}
"""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse command-line arguments.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns
    -------
    argparse.Namespace
        Parsed arguments.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--national",
        action="store_true",
        help=(
            f"build {NATIONAL_OUTPUT_NAME} (all of Indonesia, repaired in {NATIONAL_METRIC_CRS}) "
            f"from {NATIONAL_SOURCE} instead of the Banten file"
        ),
    )
    parser.add_argument(
        "--source",
        type=Path,
        default=None,
        help=(
            f"source GeoJSON (optionally .gz), relative to the repository root (default: "
            f"{DEFAULT_SOURCE}, with --national {NATIONAL_SOURCE})"
        ),
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT_DIR,
        help=f"output directory, relative to the repository root (default: {DEFAULT_OUT_DIR})",
    )
    parser.add_argument(
        "--gap-width",
        type=float,
        default=GAP_WIDTH_M,
        help=f"largest gap width merged into a neighbour, metres (default: {GAP_WIDTH_M:g})",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Build a boundary file and the NOTICE, print a report.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments without the program name.

    Returns
    -------
    int
        Process exit status: 0 on success, 1 if a check failed.
    """
    args = parse_args(argv)
    if args.national:
        default_source, name, expected = (
            NATIONAL_SOURCE,
            NATIONAL_OUTPUT_NAME,
            EXPECTED_FEATURES_NATIONAL,
        )
        metric_crs, size_limit = NATIONAL_METRIC_CRS, 8_000_000
        max_change, decimals = MAX_KECAMATAN_AREA_CHANGE_NATIONAL, DECIMALS_NATIONAL
    else:
        default_source, name, expected = DEFAULT_SOURCE, OUTPUT_NAME, EXPECTED_FEATURES_BANTEN
        metric_crs, size_limit = METRIC_CRS, 5_000_000
        max_change, decimals = MAX_KECAMATAN_AREA_CHANGE, DECIMALS
    source = resolve(args.source if args.source is not None else default_source)
    out_dir = resolve(args.out)
    license_path = source.parent / LICENSE_NAME
    if not source.is_file():
        print(f"error: source not found: {source}", file=sys.stderr)
        return 1
    if not license_path.is_file():
        print(f"error: licence not found: {license_path}", file=sys.stderr)
        return 1
    license_text = license_path.read_text(encoding="utf-8")
    if "MIT License" not in license_text or "Copyright" not in license_text:
        print(f"error: {license_path} is not the expected MIT licence", file=sys.stderr)
        return 1

    out_dir.mkdir(parents=True, exist_ok=True)
    out_path = out_dir / name
    try:
        report = build(
            source,
            out_path,
            metric_crs=metric_crs,
            gap_width_m=args.gap_width,
            expected_features=expected,
            max_change=max_change,
            decimals=decimals,
            progress=args.national,
        )
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    widths = {"national_gap_width_m" if args.national else "gap_width_m": args.gap_width}
    notice = notice_text(license_text, **widths)
    (out_dir / NOTICE_NAME).write_text(notice, encoding="utf-8", newline="\n")

    print(f"source: {source}")
    print(f"wrote:  {out_path}, {out_dir / NOTICE_NAME}")
    print(report.format())
    if report.file_bytes > size_limit:
        print(f"warning: {out_path.name} is larger than {size_limit / 1e6:g} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
