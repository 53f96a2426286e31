"""A raster of polygon ids for fast point-in-polygon: whole cells answered at once."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

if TYPE_CHECKING:
    pass


#: Cells of :class:`PolygonGrid`: the grid over the polygons' bounding box has at most
#: about this many (8 million int32 cells: 32 MB for all of Indonesia at 0.01 degree).
GRID_CELLS = 8_000_000
#: Grid values: the cell lies outside every polygon / needs an exact test. A mixed cell
#: whose centre lies in exactly one polygon ``p`` holds ``-3 - p`` instead of GRID_MIXED.
GRID_OUTSIDE = -1
GRID_MIXED = -2
#: Key of the precomputed grid in the packaged GeoParquet file's metadata.
GRID_METADATA_KEY = b"umkm_alloc:grid"


@dataclass(frozen=True)
class PolygonGrid:
    """A raster over the polygons that answers point-in-polygon for most points at once.

    Each cell holds the index of the one polygon whose interior contains the whole cell,
    :data:`GRID_OUTSIDE` when no polygon covers any of it, or a value ``<= GRID_MIXED``
    when an edge passes through or near it (or polygons overlap there): only points in
    mixed cells need an exact test, and ``-3 - p`` tells that polygon ``p`` holds the
    cell's centre, a good first guess. Cells are classified conservatively, so the
    answers for the other cells are exact, not approximate.

    Attributes
    ----------
    x0, y0
        Lower-left corner of the grid, degrees.
    cell
        Cell size, degrees.
    owner
        ``(rows, columns)`` array of cell values (int16 when the values fit).
    """

    x0: float
    y0: float
    cell: float
    owner: np.ndarray

    @classmethod
    def build(cls, geometries: np.ndarray, *, max_cells: int = GRID_CELLS) -> PolygonGrid:
        """Rasterise polygons: a scanline fill at cell centres, then mark cells near edges.

        Parameters
        ----------
        geometries
            Valid polygons or multipolygons.
        max_cells
            Upper bound on the number of cells.

        Returns
        -------
        PolygonGrid
        """
        xmin, ymin, xmax, ymax = shapely.total_bounds(geometries)
        size = max(np.sqrt((xmax - xmin) * (ymax - ymin) / max_cells), 1e-6)
        nx = int(np.floor((xmax - xmin) / size)) + 2
        ny = int(np.floor((ymax - ymin) / size)) + 2
        x0, y0 = xmin - size / 2, ymin - size / 2
        parts, part_owner = shapely.get_parts(geometries, return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        ring_owner = part_owner[ring_part]
        xy, ring = shapely.get_coordinates(rings, return_index=True)
        same = ring[1:] == ring[:-1]
        x1, y1 = (xy[:-1, 0][same] - x0) / size, (xy[:-1, 1][same] - y0) / size
        x2, y2 = (xy[1:, 0][same] - x0) / size, (xy[1:, 1][same] - y0) / size
        poly = ring_owner[ring[:-1][same]]
        cells = _scanline_fill(x1, y1, x2, y2, poly, nx, ny)
        edge = _edge_cells(x1, y1, x2, y2, nx, ny)
        centre = cells[edge]
        cells[edge] = np.where(centre >= 0, -3 - centre, GRID_MIXED)
        dtype = np.int16 if len(geometries) + 3 <= np.iinfo(np.int16).max else np.int32
        owner = cells.astype(dtype).reshape(ny, nx)
        return cls(x0=float(x0), y0=float(y0), cell=float(size), owner=owner)

    def to_bytes(self) -> bytes:
        """Serialise: a JSON header line, then the zlib-compressed little-endian cells."""
        dtype = self.owner.dtype.newbyteorder("<")
        header = {
            "x0": self.x0,
            "y0": self.y0,
            "cell": self.cell,
            "shape": list(self.owner.shape),
            "dtype": dtype.str,
        }
        data = np.ascontiguousarray(self.owner, dtype=dtype).tobytes()
        return json.dumps(header, sort_keys=True).encode() + b"\n" + zlib.compress(data, 9)

    @classmethod
    def from_bytes(cls, blob: bytes) -> PolygonGrid:
        """Read a grid written by :meth:`to_bytes`."""
        head, _, body = blob.partition(b"\n")
        header = json.loads(head)
        cells = np.frombuffer(zlib.decompress(body), dtype=np.dtype(header["dtype"]))
        owner = cells.reshape(header["shape"])
        return cls(x0=header["x0"], y0=header["y0"], cell=header["cell"], owner=owner)

    def lookup(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Return the grid value of each point (outside the grid: :data:`GRID_OUTSIDE`)."""
        ny, nx = self.owner.shape
        with np.errstate(invalid="ignore"):
            col = np.floor((lon - self.x0) / self.cell)
            row = np.floor((lat - self.y0) / self.cell)
        inside = (col >= 0) & (col < nx) & (row >= 0) & (row < ny)
        out = np.full(len(lon), GRID_OUTSIDE, dtype=np.int64)
        out[inside] = self.owner[row[inside].astype(np.int64), col[inside].astype(np.int64)]
        return out


def _scanline_fill(
    x1: np.ndarray,
    y1: np.ndarray,
    x2: np.ndarray,
    y2: np.ndarray,
    poly: np.ndarray,
    nx: int,
    ny: int,
) -> np.ndarray:
    """Return, per cell (flat), the polygon whose interior holds the cell centre.

    Coordinates are in cell units; cell ``(j, i)`` has its centre at ``(i + 0.5, j + 0.5)``.
    Rings are filled by the even-odd rule; a centre in no polygon gives
    :data:`GRID_OUTSIDE`, one in several (overlapping polygons) :data:`GRID_MIXED`.
    """
    lo, hi = np.minimum(y1, y2), np.maximum(y1, y2)
    first = np.ceil(lo - 0.5).astype(np.int64)  # rows whose centre is in [lo, hi)
    rows = np.maximum(np.ceil(hi - 0.5).astype(np.int64) - first, 0)
    seg = np.repeat(np.arange(len(x1)), rows)
    offset = np.arange(len(seg)) - np.repeat(np.cumsum(rows) - rows, rows)
    row = first[seg] + offset
    yc = row + 0.5
    x = x1[seg] + (yc - y1[seg]) * (x2[seg] - x1[seg]) / (y2[seg] - y1[seg])
    order = np.lexsort((x, row, poly[seg]))
    row, x, owner = row[order], x[order], poly[seg][order]
    start, end = slice(0, None, 2), slice(1, None, 2)
    if len(row) % 2 or (row[start] != row[end]).any() or (owner[start] != owner[end]).any():
        raise ValueError("polygon rings are not closed")
    first_col = np.clip(np.ceil(x[start] - 0.5).astype(np.int64), 0, nx)
    cols = np.maximum(np.clip(np.ceil(x[end] - 0.5).astype(np.int64), 0, nx) - first_col, 0)
    span = np.repeat(np.arange(len(cols)), cols)
    col = first_col[span] + np.arange(len(span)) - np.repeat(np.cumsum(cols) - cols, cols)
    flat = row[start][span] * nx + col
    cells = np.full(nx * ny, GRID_OUTSIDE, dtype=np.int32)
    cells[flat] = owner[start][span]
    flat.sort()
    cells[flat[1:][flat[1:] == flat[:-1]]] = GRID_MIXED
    return cells


def _edge_cells(
    x1: np.ndarray, y1: np.ndarray, x2: np.ndarray, y2: np.ndarray, nx: int, ny: int
) -> np.ndarray:
    """Return the flat indices of every cell that an edge touches or comes near.

    Edges (cell units) are cut into pieces at most half a cell long; each piece marks the
    cells of its bounding box widened by a hair (so an edge running along a cell border
    marks the cells on both sides), which are at most 2 x 2 cells.
    """
    extent = np.maximum(np.abs(x2 - x1), np.abs(y2 - y1))
    pieces = np.maximum(np.ceil(2.0 * extent), 1).astype(np.int64)
    seg = np.repeat(np.arange(len(x1)), pieces)
    k = np.arange(len(seg)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    t0, t1 = k / pieces[seg], (k + 1) / pieces[seg]
    ax, bx = x1[seg] + t0 * (x2 - x1)[seg], x1[seg] + t1 * (x2 - x1)[seg]
    ay, by = y1[seg] + t0 * (y2 - y1)[seg], y1[seg] + t1 * (y2 - y1)[seg]
    eps = 1e-6
    i0 = np.clip(np.floor(np.minimum(ax, bx) - eps), 0, nx - 1).astype(np.int64)
    i1 = np.clip(np.floor(np.maximum(ax, bx) + eps), 0, nx - 1).astype(np.int64)
    j0 = np.clip(np.floor(np.minimum(ay, by) - eps), 0, ny - 1).astype(np.int64)
    j1 = np.clip(np.floor(np.maximum(ay, by) + eps), 0, ny - 1).astype(np.int64)
    # a piece spans at most 2 x 2 cells (half a cell plus eps), so four corners suffice
    return np.concatenate([j0 * nx + i0, j0 * nx + i1, j1 * nx + i0, j1 * nx + i1])
