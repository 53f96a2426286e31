"""Kecamatan polygons: loading the packaged or a user's file, and name/code lookup.

The packaged files load without geopandas (whose import alone costs about 0.3 s of
start-up): the Banten GeoJSON with :mod:`json` and :func:`shapely.from_geojson`, the
national GeoParquet with :mod:`pyarrow.parquet` and :func:`shapely.from_wkb`. Only a
user's polygon file goes through geopandas.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from umkm_alloc.errors import InputError, UsageError
from umkm_alloc.geo.grid import GRID_METADATA_KEY, PolygonGrid

if TYPE_CHECKING:
    import geopandas as gpd


PACKAGED = {"banten": "kecamatan_boundaries.geojson", "indonesia": "kecamatan_indonesia.parquet"}
#: Metric CRS of :attr:`Boundaries.metric_geometries` (adjacency lengths): UTM 48S covers
#: Banten (102-108 E); Indonesia spans UTM zones 46-54, so it gets World Mercator, which is
#: conformal with a scale factor of 1.000-1.019 between the equator and 11 S. Snapping
#: distances do not use it: they are geodesic (see :func:`umkm_alloc.geo.geocode.locate`).
METRIC_CRS = {"banten": "EPSG:32748", "indonesia": "EPSG:3395"}
FIELDS = ("kode", "nama", "kode_kab", "kabupaten")
CODE_RE = re.compile(r"^\d{2}\.\d{2}\.\d{2}$")
_PREFIX_KEC = re.compile(r"^(kecamatan|kec\.?)\s*", re.IGNORECASE)
_PREFIX_KAB = re.compile(r"^(kabupaten|kab\.?)\s*", re.IGNORECASE)
_PREFIX_KOTA = re.compile(r"^(kota\s+administrasi|kota|kot\.?)\s*", re.IGNORECASE)


def packaged_path(name: str) -> Path:
    """Return the path of a packaged boundaries file.

    Installed from a wheel the files live in ``umkm_alloc/data``; in a source checkout
    (editable install) they live in the repository's top-level ``data/``.
    """
    filename = PACKAGED[name]
    inside = resources.files("umkm_alloc") / "data" / filename
    if inside.is_file():
        return Path(str(inside))
    source_tree = Path(__file__).resolve().parents[3] / "data" / filename
    if source_tree.is_file():
        return source_tree
    raise InputError(
        f"packaged boundaries {filename} not found in the installation; reinstall umkm-alloc"
    )


def name_key(name: str) -> str:
    """Return the matching key of a kecamatan name: no ``Kec.`` prefix, letters and digits only."""
    text = _PREFIX_KEC.sub("", name.strip())
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def kabupaten_key(name: str) -> tuple[str, str]:
    """Return ``(kind, key)`` of a kabupaten/kota name; kind is ``kab``, ``kota`` or ``""``."""
    text = name.strip()
    kind = ""
    if _PREFIX_KAB.match(text):
        kind, text = "kab", _PREFIX_KAB.sub("", text)
    elif _PREFIX_KOTA.match(text):
        kind, text = "kota", _PREFIX_KOTA.sub("", text)
    return kind, re.sub(r"[^0-9a-z]", "", text.casefold())


@dataclass(frozen=True)
class Lookup:
    """The outcome of resolving one kecamatan name or code.

    Attributes
    ----------
    index
        Row of the boundaries frame, or ``None`` when the text does not resolve.
    reason
        Why it does not resolve (with suggestions).
    suggestion
        For a misspelt name with exactly one clear match: that match's row. The caller
        decides whether to apply it (and report the fix).
    """

    index: int | None
    reason: str = ""
    suggestion: int | None = None


class PolygonFrame(pd.DataFrame):
    """A pandas DataFrame whose ``geometry`` column holds shapely polygons in EPSG:4326.

    It offers the few GeoDataFrame members that callers use (``geometry``,
    ``total_bounds``, ``intersects``) without importing geopandas; for anything else,
    :meth:`to_geodataframe`.
    """

    @property
    def _constructor(self) -> type[PolygonFrame]:
        return PolygonFrame

    @property
    def geometry(self) -> pd.Series:
        """The ``geometry`` column (shapely geometries)."""
        return self["geometry"]

    @property
    def total_bounds(self) -> np.ndarray:
        """``[xmin, ymin, xmax, ymax]`` of all geometries."""
        return shapely.total_bounds(self["geometry"].to_numpy())

    def intersects(self, other: shapely.Geometry) -> pd.Series:
        """Whether each geometry intersects ``other``, as a boolean Series."""
        return pd.Series(shapely.intersects(self["geometry"].to_numpy(), other), index=self.index)

    def to_geodataframe(self) -> gpd.GeoDataFrame:
        """Return a copy as a GeoDataFrame in EPSG:4326 (imports geopandas)."""
        import geopandas as gpd

        return gpd.GeoDataFrame(pd.DataFrame(self), geometry="geometry", crs="EPSG:4326")


@dataclass(frozen=True)
class Boundaries:
    """Kecamatan polygons with their codes and names.

    Attributes
    ----------
    frame
        ``kode, nama, kode_kab, kabupaten, geometry`` in EPSG:4326, sorted by ``kode``:
        a :class:`PolygonFrame` (a pandas DataFrame with shapely geometries).
    source
        ``banten`` or the path the polygons were read from.
    metric_crs
        A projected CRS in metres (adjacency lengths in :mod:`umkm_alloc.rules`).
    non_overlapping
        The polygons are known not to overlap (the packaged clean coverages), so a point
        in the interior of one lies in no other.
    packed_grid
        A precomputed :class:`PolygonGrid` (:meth:`PolygonGrid.to_bytes`) shipped with
        the packaged national file; ``None`` builds it on first use.
    """

    frame: PolygonFrame
    source: str
    metric_crs: str
    non_overlapping: bool = False
    packed_grid: bytes | None = field(default=None, repr=False, compare=False)
    _by_name: dict[str, list[int]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for i, nama in enumerate(self.frame["nama"]):
            self._by_name.setdefault(name_key(str(nama)), []).append(i)

    @cached_property
    def geometries(self) -> np.ndarray:
        """Polygons (EPSG:4326) as a shapely array."""
        return self.frame["geometry"].to_numpy()

    @cached_property
    def tree(self) -> shapely.STRtree:
        """Spatial index of the polygons in degrees."""
        return shapely.STRtree(self.geometries)

    @cached_property
    def metric_geometries(self) -> np.ndarray:
        """Polygons in :attr:`metric_crs`."""
        from pyproj import Transformer

        to_metric = Transformer.from_crs("EPSG:4326", self.metric_crs, always_xy=True)

        def project(xy: np.ndarray) -> np.ndarray:
            return np.column_stack(to_metric.transform(xy[:, 0], xy[:, 1]))

        return shapely.transform(self.geometries, project)

    @cached_property
    def metric_tree(self) -> shapely.STRtree:
        """Spatial index of the metric polygons."""
        return shapely.STRtree(self.metric_geometries)

    @cached_property
    def grid(self) -> PolygonGrid:
        """Raster index answering point-in-polygon for most points without a polygon test."""
        if self.packed_grid is not None:
            return PolygonGrid.from_bytes(self.packed_grid)
        return PolygonGrid.build(self.geometries)

    @cached_property
    def representative_points(self) -> np.ndarray:
        """A point inside each polygon (``point_on_surface``), EPSG:4326."""
        return shapely.point_on_surface(self.geometries)

    @cached_property
    def _codes(self) -> dict[str, int]:
        return {str(k): i for i, k in enumerate(self.frame["kode"])}

    def label(self, index: int) -> str:
        """Return ``Nama (Kabupaten)`` for messages."""
        row = self.frame.iloc[index]
        return f"{row['nama']} ({row['kabupaten']})"

    def lookup(self, text: str, kabupaten: str = "") -> Lookup:
        """Resolve a kecamatan name or code, optionally within a kabupaten/kota.

        Parameters
        ----------
        text
            ``Pontang``, ``Kec. Pontang``, ``KECAMATAN PONTANG`` or ``36.04.12``.
        kabupaten
            ``Kabupaten Serang``, ``Kab. Serang``, ``Kota Serang`` or ``Serang``; needed when
            the name exists in several kabupaten.

        Returns
        -------
        Lookup
            The row index, or ``None`` with the reason (and suggestions) in ``reason``.
        """
        value = text.strip()
        if CODE_RE.match(value):
            idx = self._codes.get(value)
            if idx is None:
                return Lookup(
                    None, f"kecamatan code {value} is not in the {self.source} boundaries"
                )
            return Lookup(idx)
        candidates = self._by_name.get(name_key(value), [])
        if not candidates:
            return self._unknown(value, kabupaten)
        if kabupaten.strip():
            kind, key = kabupaten_key(kabupaten)
            kept = [i for i in candidates if self._kab_matches(i, kind, key)]
            if not kept:
                where = ", ".join(self.label(i) for i in candidates)
                return Lookup(
                    None,
                    f"kecamatan {value!r} is not in {kabupaten.strip()!r}; it exists in {where}",
                )
            candidates = kept
        if len(candidates) > 1:
            where = ", ".join(self.label(i) for i in candidates)
            return Lookup(
                None,
                f"kecamatan {value!r} exists in several places ({where}); "
                "add a kabupaten column or give the code",
            )
        return Lookup(candidates[0])

    def _kab_matches(self, index: int, kind: str, key: str) -> bool:
        own_kind, own_key = kabupaten_key(str(self.frame["kabupaten"].iat[index]))
        return own_key == key and (not kind or kind == own_kind)

    def _unknown(self, value: str, kabupaten: str) -> Lookup:
        key = name_key(value)
        keys = sorted(self._by_name)
        close = difflib.get_close_matches(key, keys, n=3, cutoff=0.75) if key else []
        names = sorted({str(self.frame["nama"].iat[self._by_name[k][0]]) for k in close})
        hint = (
            f"; did you mean {' or '.join(names)}?"
            if names
            else "; check the spelling or give the code"
        )
        reason = f"kecamatan {value!r} is not in the {self.source} boundaries{hint}"
        suggestion = None
        if len(close) == 1 and difflib.SequenceMatcher(None, key, close[0]).ratio() >= 0.8:
            fixed = self.lookup(str(self.frame["nama"].iat[self._by_name[close[0]][0]]), kabupaten)
            suggestion = fixed.index
        return Lookup(None, reason, suggestion)


def load_boundaries(spec: str = "banten") -> Boundaries:
    """Load kecamatan polygons.

    Parameters
    ----------
    spec
        ``banten`` for the packaged clean coverage of Banten, ``indonesia`` for the
        packaged clean coverage of all 7,285 kecamatan of Indonesia, or the path of a
        polygon file (GeoJSON, GeoPackage, Shapefile, GeoParquet...) with ``kode`` and
        ``nama`` fields.

    Returns
    -------
    Boundaries
    """
    if spec in PACKAGED:
        path = packaged_path(spec)
        frame, grid = _read_packaged(path)
        return Boundaries(
            frame=frame,
            source=spec,
            metric_crs=METRIC_CRS[spec],
            non_overlapping=True,
            packed_grid=grid,
        )
    path = Path(spec)
    if not path.exists():
        raise UsageError(f"--boundaries {spec}: no such file; use 'banten' or a polygon file")
    gdf = _read(path)
    centroid = shapely.union_all(gdf.geometry.to_numpy()).centroid
    crs = gdf.geometry.estimate_utm_crs() if not gdf.empty else None
    metric = crs.to_string() if crs is not None else f"EPSG:{_utm_epsg(centroid.x, centroid.y)}"
    frame = _polygon_frame({c: gdf[c].to_numpy() for c in FIELDS}, gdf.geometry.to_numpy())
    return Boundaries(frame=frame, source=str(path), metric_crs=metric)


def _utm_epsg(lon: float, lat: float) -> int:
    zone = int((lon + 180) // 6) + 1
    return (32600 if lat >= 0 else 32700) + zone


def _polygon_frame(columns: dict[str, Any], geometries: np.ndarray) -> PolygonFrame:
    """Build the boundaries frame: text columns as ``object``, sorted by ``kode``."""
    data = {c: np.asarray([str(v) for v in columns[c]], dtype=object) for c in FIELDS}
    order = np.argsort(data["kode"], kind="stable")
    frame = PolygonFrame({c: pd.Series(data[c][order], dtype=object) for c in FIELDS})
    frame["geometry"] = np.asarray(geometries, dtype=object)[order]
    return frame


def _read_packaged(path: Path) -> tuple[PolygonFrame, bytes | None]:
    """Read a packaged boundaries file (GeoJSON or GeoParquet, EPSG:4326) fast.

    Returns the frame and the precomputed grid stored with it, if any.
    """
    grid = None
    try:
        if path.suffix == ".parquet":
            columns, geometries, grid = _read_geoparquet(path)
        else:
            columns, geometries = _read_geojson(path)
    except Exception as exc:  # a damaged installation
        raise InputError(
            f"packaged boundaries {path} cannot be read ({exc}); reinstall umkm-alloc"
        ) from exc
    return _polygon_frame(columns, geometries), grid


def _read_geojson(path: Path) -> tuple[dict[str, list[str]], np.ndarray]:
    """Read a FeatureCollection: properties with :mod:`json`, geometries with GEOS."""
    text = path.read_text(encoding="utf-8")
    features = json.loads(text)["features"]
    columns = {c: [f["properties"][c] for f in features] for c in FIELDS}
    collection = shapely.from_geojson(text)
    geometries = shapely.get_parts(collection)
    if len(geometries) != len(features):
        raise ValueError(f"{len(features)} features but {len(geometries)} geometries")
    return columns, geometries


def _read_geoparquet(path: Path) -> tuple[dict[str, list[str]], np.ndarray, bytes | None]:
    """Read a GeoParquet file with WKB geometries in EPSG:4326 (as the build writes it).

    Returns the columns, the geometries and the precomputed grid from the file's metadata.
    """
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=[*FIELDS, "geometry"], use_threads=False)
    columns = {c: table.column(c).to_pylist() for c in FIELDS}
    wkb = table.column("geometry").to_numpy()
    grid = (table.schema.metadata or {}).get(GRID_METADATA_KEY)
    return columns, shapely.from_wkb(wkb), grid


def _read(path: Path) -> gpd.GeoDataFrame:
    """Read a user's polygon file with geopandas, in EPSG:4326, with the :data:`FIELDS`."""
    import geopandas as gpd

    try:
        if path.suffix.lower() in (".parquet", ".geoparquet"):
            frame = gpd.read_parquet(path)
        else:
            frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise InputError(f"{path}: cannot be read as a polygon file ({exc})") from exc
    missing = [f for f in ("kode", "nama") if f not in frame.columns]
    if missing:
        raise InputError(
            f"{path}: boundaries need fields kode and nama; missing {', '.join(missing)}; "
            f"found: {', '.join(c for c in frame.columns if c != 'geometry')}"
        )
    for col in ("kode_kab", "kabupaten"):
        if col not in frame.columns:
            frame[col] = ""
    if frame.crs is None:
        frame = frame.set_crs("EPSG:4326")
    elif frame.crs.to_epsg() != 4326:
        frame = frame.to_crs("EPSG:4326")
    frame = frame[[*FIELDS, "geometry"]].copy()
    for col in FIELDS:
        frame[col] = frame[col].astype(str).astype(object)
    frame = frame.sort_values("kode", kind="stable").reset_index(drop=True)
    return frame
