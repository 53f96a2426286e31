"""Build ``data/kecamatan_boundaries.geojson`` from the shared boundary extract.

The source is the Banten extract of Cahya DSN's ``wilayah_boundaries`` data set
(MIT licence). Its polygons were simplified one by one, so together they overlap
and leave slivers between neighbours. This script repairs them into a clean
polygonal coverage with :func:`shapely.coverage_clean` in a metric CRS, checks
the result, reprojects it to EPSG:4326, rounds the coordinates, writes a
deterministic GeoJSON file, re-reads it to check it again, and writes
``data/NOTICE`` with the provenance and the source licence.

Usage (relative paths are resolved against the repository root)::

    python scripts/build_boundaries.py
    python scripts/build_boundaries.py \
        --source ../shared/data/boundaries/banten_kecamatan.geojson --out data/

The work is done by :func:`build`, which takes the source and output paths and
the processing parameters, so that a national build can reuse it later.
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
from shapely.geometry import MultiPolygon, Polygon, mapping

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

REPO_ROOT = Path(__file__).resolve().parents[1]
"""Repository root: the parent of the ``scripts`` directory."""

DEFAULT_SOURCE = Path("../shared/data/boundaries/banten_kecamatan.geojson")
"""Default source file, relative to the repository root."""

DEFAULT_OUT_DIR = Path("data")
"""Default output directory, relative to the repository root."""

OUTPUT_NAME = "kecamatan_boundaries.geojson"
NOTICE_NAME = "NOTICE"
LICENSE_NAME = "LICENSE-source"
"""Name of the licence file expected next to the source file."""

PROPERTIES: tuple[str, ...] = ("kode", "nama", "kode_kab", "kabupaten")
"""Feature properties, in output order; all are strings."""

SOURCE_CRS = "EPSG:4326"
METRIC_CRS = "EPSG:32748"
"""WGS 84 / UTM zone 48S, a metric CRS covering Banten."""

GAP_WIDTH_M = 2000.0
"""Gaps narrower than this (metres) are merged into a neighbour.

The widest source gap in Banten is about 0.8 km (diameter of its maximum
inscribed circle); 1 km already closes all of them, 2 km leaves a margin.
"""

DECIMALS = 6
"""Decimal places of the written longitude/latitude (1e-6 degree is ~0.1 m)."""

EXPECTED_FEATURES_BANTEN = 155

MAX_TOTAL_AREA_CHANGE = 0.01
"""Largest accepted relative change of the total area (sum over kecamatan)."""

MAX_KECAMATAN_AREA_CHANGE = 0.25
"""Largest accepted relative area change of a single kecamatan."""

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
        Size of the written GeoJSON file.
    clean_seconds : float
        Time spent in :func:`shapely.coverage_clean`.
    total_seconds : float
        Time of the whole build.
    """

    features: int
    before: CoverageStats
    after: CoverageStats
    written: CoverageStats
    largest_changes: list[tuple[str, str, float, float]] = field(default_factory=list)
    file_bytes: int = 0
    clean_seconds: float = 0.0
    total_seconds: float = 0.0

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
            f"overlaps:        {b.overlap_pairs} pairs, {b.overlap_area_km2:.2f} km² "
            f"(max {b.overlap_max_km2:.2f}) -> {a.overlap_pairs} pairs, "
            f"{a.overlap_area_km2:.6f} km²; written {w.overlap_pairs} pairs, "
            f"{w.overlap_area_km2:.6f} km²",
            f"gaps (holes):    {b.gap_count}, {b.gap_area_km2:.2f} km² "
            f"(widest {b.gap_max_width_m:.0f} m) -> {a.gap_count}, "
            f"{a.gap_area_km2:.2f} km²; written {w.gap_count}, {w.gap_area_km2:.2f} km²",
            "largest kecamatan changes:",
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
        GeoJSON (or any OGR-readable) file in EPSG:4326.
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
    gdf = gpd.read_file(source, engine="pyogrio")
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

    Parameters
    ----------
    geoms : sequence of shapely.Geometry
        Input geometries.

    Returns
    -------
    numpy.ndarray of shapely.MultiPolygon
        One MultiPolygon per input, possibly empty.
    """
    valid = shapely.make_valid(np.asarray(geoms, dtype=object))
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


def coverage_stats(geoms: NDArray[np.object_]) -> CoverageStats:
    """Measure the overlaps and gaps of polygons in a metric CRS.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely.Geometry
        Polygons in a metric CRS (metres).

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
    cleaned: NDArray[np.object_], source: NDArray[np.object_], *, gap_width_m: float, what: str
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

    Raises
    ------
    BuildError
        If a hole is narrower than the gap width or was not in the source.
    """
    holes = _holes(shapely.union_all(cleaned))
    if not holes:
        return
    widths = _hole_widths(holes)
    source_holes = shapely.union_all(_holes(shapely.union_all(source)))
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
) -> list[tuple[int, float, float]]:
    """Check that each polygon changed only where the source was defective.

    Every square metre a kecamatan gains must come from a gap of the source
    (covered by no source polygon) and every square metre it loses must lie in
    an overlap with another source polygon. Up to
    :data:`MAX_UNEXPLAINED_AREA_M2` is tolerated for node snapping. In addition
    no kecamatan may change its area by more than
    :data:`MAX_KECAMATAN_AREA_CHANGE`.

    Parameters
    ----------
    cleaned : numpy.ndarray of shapely.Geometry
        Repaired polygons, metric CRS.
    source : numpy.ndarray of shapely.Geometry
        Source polygons, same CRS and order.
    labels : sequence of str
        Label of each polygon for error messages.

    Returns
    -------
    list of tuple of (int, float, float)
        ``(index, change_m2, change_fraction)`` for every polygon.

    Raises
    ------
    BuildError
        If a polygon changed outside the defects or by too much.
    """
    source_gaps = shapely.union_all(_holes(shapely.union_all(source)))
    tree = shapely.STRtree(source)
    changes = []
    for i, (src, new) in enumerate(zip(source, cleaned, strict=True)):
        gained = shapely.difference(new, src)
        gained_outside_gaps = shapely.difference(gained, source_gaps).area
        neighbours = [j for j in tree.query(src, predicate="intersects") if j != i]
        lost = shapely.difference(src, new)
        lost_outside_overlaps = shapely.difference(lost, shapely.union_all(source[neighbours])).area
        change = new.area - src.area
        fraction = change / src.area
        if gained_outside_gaps > MAX_UNEXPLAINED_AREA_M2:
            msg = f"{labels[i]}: gained {gained_outside_gaps:.0f} m² that belonged to a neighbour"
            raise BuildError(msg)
        if lost_outside_overlaps > MAX_UNEXPLAINED_AREA_M2:
            msg = f"{labels[i]}: lost {lost_outside_overlaps:.0f} m² that no neighbour claimed"
            raise BuildError(msg)
        if abs(fraction) > MAX_KECAMATAN_AREA_CHANGE:
            msg = f"{labels[i]}: area changed by {100 * fraction:+.1f} %"
            raise BuildError(msg)
        changes.append((i, change, fraction))
    return changes


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


def verify_written(
    path: Path,
    expected: gpd.GeoDataFrame,
    source_metric: NDArray[np.object_],
    *,
    metric_crs: str,
    gap_width_m: float,
) -> CoverageStats:
    """Re-read the written file and check it again.

    Parameters
    ----------
    path : Path
        Written GeoJSON file.
    expected : geopandas.GeoDataFrame
        Features that were written, in order.
    source_metric : numpy.ndarray of shapely.Geometry
        Source polygons in the metric CRS, same order as ``expected``.
    metric_crs : str
        Metric CRS used for the gap check and the statistics.
    gap_width_m : float
        Gap width used for the repair, metres.

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
    back = gpd.read_file(path, engine="pyogrio")
    if len(back) != len(expected):
        msg = f"{path}: {len(back)} features read back, {len(expected)} written"
        raise BuildError(msg)
    if list(back.columns) != [*PROPERTIES, "geometry"]:
        msg = f"{path}: columns {list(back.columns)}"
        raise BuildError(msg)
    for prop in PROPERTIES:
        if back[prop].tolist() != expected[prop].tolist():
            msg = f"{path}: property {prop!r} changed on re-reading"
            raise BuildError(msg)
    if not (back.geom_type == "MultiPolygon").all():
        msg = f"{path}: not all geometries are MultiPolygons"
        raise BuildError(msg)
    geoms = np.asarray(back.geometry.array, dtype=object)
    check_coverage(geoms, f"{path} (EPSG:4326)")
    metric = np.asarray(back.geometry.to_crs(metric_crs).array, dtype=object)
    check_coverage(metric, f"{path} ({metric_crs})")
    check_gaps(metric, source_metric, gap_width_m=gap_width_m, what=f"{path} ({metric_crs})")
    return coverage_stats(metric)


def build(
    source: Path,
    out_path: Path,
    *,
    metric_crs: str = METRIC_CRS,
    gap_width_m: float = GAP_WIDTH_M,
    decimals: int = DECIMALS,
    expected_features: int | None = EXPECTED_FEATURES_BANTEN,
) -> BuildReport:
    """Repair the source boundaries into a clean coverage and write GeoJSON.

    Parameters
    ----------
    source : Path
        Source GeoJSON file (EPSG:4326) with the :data:`PROPERTIES`.
    out_path : Path
        GeoJSON file to write; its directory must exist.
    metric_crs : str, default METRIC_CRS
        Projected CRS (metres) in which the repair and checks are done.
    gap_width_m : float, default GAP_WIDTH_M
        Gaps narrower than this many metres are merged into a neighbour.
    decimals : int, default DECIMALS
        Decimal places of the written coordinates.
    expected_features : int or None, default EXPECTED_FEATURES_BANTEN
        Required number of source features; ``None`` skips the check.

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

    polygons = to_multipolygons(np.asarray(gdf.geometry.array, dtype=object))
    empty = np.flatnonzero(shapely.is_empty(polygons))
    if len(empty):
        msg = f"no polygonal part left after make_valid: {[labels[i] for i in empty]}"
        raise BuildError(msg)
    source_metric = np.asarray(
        gpd.GeoSeries(polygons, crs=SOURCE_CRS).to_crs(metric_crs).array, dtype=object
    )
    before = coverage_stats(source_metric)

    t1 = time.perf_counter()
    cleaned = shapely.coverage_clean(source_metric, gap_width=gap_width_m)
    clean_seconds = time.perf_counter() - t1

    check_coverage(cleaned, f"cleaned ({metric_crs})")
    check_gaps(cleaned, source_metric, gap_width_m=gap_width_m, what=f"cleaned ({metric_crs})")
    after = coverage_stats(cleaned)
    total_change = after.total_area_km2 / before.total_area_km2 - 1.0
    if abs(total_change) > MAX_TOTAL_AREA_CHANGE:
        msg = f"total area changed by {100 * total_change:+.2f} %"
        raise BuildError(msg)
    changes = check_area_changes(cleaned, source_metric, labels)

    geographic = gpd.GeoSeries(cleaned, crs=metric_crs).to_crs(SOURCE_CRS)
    rounded = round_geometries(np.asarray(geographic.array, dtype=object), decimals)
    out = gpd.GeoDataFrame(gdf[list(PROPERTIES)].copy(), geometry=list(rounded), crs=SOURCE_CRS)
    out_path.write_text(feature_collection_text(out), encoding="utf-8", newline="\n")

    written = verify_written(
        out_path, out, source_metric, metric_crs=metric_crs, gap_width_m=gap_width_m
    )
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
    )


def notice_text(license_text: str, *, gap_width_m: float, metric_crs: str, decimals: int) -> str:
    """Return the text of ``data/NOTICE``.

    Parameters
    ----------
    license_text : str
        Full licence text of the source, reproduced verbatim.
    gap_width_m : float
        Gap width used for the repair, metres.
    metric_crs : str
        Metric CRS used for the repair.
    decimals : int
        Decimal places of the written coordinates.

    Returns
    -------
    str
        NOTICE file content.
    """
    return f"""\
data/{OUTPUT_NAME}
{"=" * (len(OUTPUT_NAME) + 5)}

Kecamatan (sub-district) boundaries of Banten province, Indonesia.

Source
------
Derived from {SOURCE_NAME} data set (snapshot {SOURCE_SNAPSHOT}),
MIT licence, copyright notice and licence text reproduced below. The extract
used (banten_kecamatan.geojson, 155 kecamatan, EPSG:4326) stores each kecamatan
with its official code (kode, kode_kab) and names (nama, kabupaten).

Changes made to the source
--------------------------
- Geometries passed through shapely.make_valid; only polygonal parts kept.
- Projected to {metric_crs} (WGS 84 / UTM zone 48S) and repaired into a clean
  polygonal coverage with shapely.coverage_clean (shapely 2.2 / GEOS 3.14),
  gap_width={gap_width_m:g} m, merge strategy "longest_border": overlaps between
  neighbouring kecamatan are given to one of them, gaps (slivers) narrower than
  the gap width are merged into a neighbour, and shared edges are made identical.
  The simplified coastline of the source is not corrected.
- Reprojected to EPSG:4326 and coordinates rounded to {decimals} decimal places
  (about 0.1 m); repeated vertices removed; rings oriented per RFC 7946.
- Features sorted by kode; properties kept: {", ".join(PROPERTIES)};
  every geometry is a MultiPolygon.

Rebuild
-------
    python scripts/build_boundaries.py
    (defaults: --source ../shared/data/boundaries/banten_kecamatan.geojson --out data/)

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
        "--source",
        type=Path,
        default=DEFAULT_SOURCE,
        help=f"source GeoJSON, relative to the repository root (default: {DEFAULT_SOURCE})",
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
    """Build the boundary file and the NOTICE, print a report.

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
    source = resolve(args.source)
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
    out_path = out_dir / OUTPUT_NAME
    try:
        report = build(source, out_path, metric_crs=METRIC_CRS, gap_width_m=args.gap_width)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    notice = notice_text(
        license_text, gap_width_m=args.gap_width, metric_crs=METRIC_CRS, decimals=DECIMALS
    )
    (out_dir / NOTICE_NAME).write_text(notice, encoding="utf-8", newline="\n")

    print(f"source: {source}")
    print(f"wrote:  {out_path}, {out_dir / NOTICE_NAME}")
    print(report.format())
    if report.file_bytes > 5_000_000:
        print(f"warning: {out_path.name} is larger than 5 MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
