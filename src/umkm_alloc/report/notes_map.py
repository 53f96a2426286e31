"""The small map of a delivery note: one producer's trips over the kecamatan around it."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import shapely

from umkm_alloc.report.scene import EDGE, LAND, Scene, nice

#: One colour per trip of a producer (ColorBrewer Dark2, then repeated): apart from one
#: another, from the land and from the producer's black marker.
TRIP_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")
_SEA = "#dfe9f2"
_MARGIN = 0.12  # of the trips' extent, on each side
_MIN_HALF_DEG = 0.012  # about 1.3 km: the least half-width of a map
_KM_PER_DEG = 111.32


class Background:
    """The kecamatan of the run's map, simplified once for every page's small map.

    Parameters
    ----------
    scene
        The run's scene (its kecamatan in view).
    """

    def __init__(self, scene: Scene) -> None:
        kec = scene.kecamatan
        self.names = kec["nama"].astype(str).to_numpy()
        self.shapes = shapely.simplify(kec.geometry.to_numpy(), 0.0003, preserve_topology=True)
        self.tree = shapely.STRtree(self.shapes)

    def within(self, view: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
        """Return the names and the shapes of the kecamatan that reach into ``view``."""
        hit = np.sort(self.tree.query(shapely.box(*view), predicate="intersects"))
        return self.names[hit], self.shapes[hit]


def draw_trip_map(
    ax: Any, scene: Scene, producer_id: str, trips: pd.DataFrame, background: Background
) -> None:
    """Draw a producer's trips (one colour each, stops numbered) over its kecamatan."""
    box = ax.get_position()
    fig_w, fig_h = ax.figure.get_size_inches()
    view = _view(trips, box.width * fig_w / (box.height * fig_h))
    x0, y0, x1, y1 = view
    ax.set_facecolor(_SEA)
    names, shapes = background.within(view)
    _land(ax, shapes)
    _names(ax, names, shapes, view)
    marks = _apart(trips, view)
    for k, trip in enumerate(trips.itertuples(index=False)):
        _trip(ax, trip, TRIP_COLOURS[k % len(TRIP_COLOURS)], marks[k])
    if len(trips):
        first = trips.iloc[0]
        ax.scatter(
            [first["lon"][0]],
            [first["lat"][0]],
            s=150,
            marker="o",
            color="#222222",
            edgecolors="white",
            linewidths=1.5,
            zorder=6,
        )
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(1 / math.cos(math.radians((y0 + y1) / 2)), adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor("#777777")
    _scale_bar(ax, view)
    _north(ax, scene.text["north"])
    _key(ax, scene.text, _marks_in_axes(marks, view))


def _view(trips: pd.DataFrame, aspect: float) -> tuple[float, float, float, float]:
    """Return the trips' extent plus a margin, widened to the map's width / height (in km)."""
    lon = np.concatenate([np.asarray(v, float) for v in trips["lon"]] or [np.zeros(1)])
    lat = np.concatenate([np.asarray(v, float) for v in trips["lat"]] or [np.zeros(1)])
    cx, cy = (lon.min() + lon.max()) / 2, (lat.min() + lat.max()) / 2
    shrink = math.cos(math.radians(cy))
    half_x = max((lon.max() - lon.min()) * (0.5 + _MARGIN), _MIN_HALF_DEG / shrink)
    half_y = max((lat.max() - lat.min()) * (0.5 + _MARGIN), _MIN_HALF_DEG)
    if half_x * shrink < half_y * aspect:
        half_x = half_y * aspect / shrink
    else:
        half_y = half_x * shrink / aspect
    return (float(cx - half_x), float(cy - half_y), float(cx + half_x), float(cy + half_y))


def _land(ax: Any, shapes: np.ndarray) -> None:
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import PathPatch

    from umkm_alloc.report.png import _polygon_path

    patches = [PathPatch(_polygon_path(g)) for g in shapes if not g.is_empty]
    if patches:
        ax.add_collection(
            PatchCollection(patches, facecolors=LAND, edgecolors=EDGE, linewidths=0.5, zorder=1)
        )


def _names(ax: Any, names: np.ndarray, shapes: np.ndarray, view: tuple[float, ...]) -> None:
    """Each kecamatan's name at a point inside its part of the map."""
    frame = shapely.box(*view)
    for name, shape in zip(names, shapes, strict=True):
        inside = shape.intersection(frame)
        if inside.is_empty or inside.area < 0.02 * frame.area:
            continue
        at = inside.point_on_surface()
        ax.text(
            at.x,
            at.y,
            name,
            fontsize=7,
            color="#8a857a",
            fontstyle="italic",
            ha="center",
            va="center",
            zorder=2,
        )


def _apart(trips: pd.DataFrame, view: tuple[float, ...]) -> list[np.ndarray]:
    """Where each trip's stop marks go: on the stop, or moved aside from an earlier mark.

    Two stores a few metres apart, or one store that two trips visit, would put their
    numbers on top of each other; a later mark moves out along a spiral until it is clear.
    """
    x0, y0, x1, y1 = view
    gap = 0.035 * (x1 - x0)
    aspect = (y1 - y0) / (x1 - x0)
    placed: list[tuple[float, float]] = []
    out = []
    for trip in trips.itertuples(index=False):
        marks = np.column_stack([trip.lon, trip.lat])[1:-1].copy()
        for i, (x, y) in enumerate(marks):
            for step in range(13):
                angle = math.radians(45 + 50 * step)
                cx = x + (gap * (1 + step // 6) * math.cos(angle) if step else 0.0)
                cy = y + (gap * (1 + step // 6) * math.sin(angle) * aspect if step else 0.0)
                if all(math.hypot(cx - a, (cy - b) / aspect) >= gap for a, b in placed):
                    break
            marks[i] = (cx, cy)
            placed.append((cx, cy))
        out.append(marks)
    return out


def _trip(ax: Any, trip: Any, colour: str, marks: np.ndarray) -> None:
    """One trip: its closed path with arrows in riding order, its stops numbered.

    Drawn with few artists (a line, one quiver of arrowheads, one scatter of stops), as a
    page holds many trips and matplotlib draws each artist on its own.
    """
    lon, lat = np.asarray(trip.lon, float), np.asarray(trip.lat, float)
    ax.plot(lon, lat, color=colour, linewidth=2.0, alpha=0.9, zorder=3, solid_capstyle="round")
    dx, dy = np.diff(lon), np.diff(lat)
    length = np.hypot(dx, dy)
    moving = length > 0
    ax.quiver(
        (lon[:-1] + dx / 2)[moving],
        (lat[:-1] + dy / 2)[moving],
        (dx / np.where(moving, length, 1))[moving],
        (dy / np.where(moving, length, 1))[moving],
        color=colour,
        angles="xy",
        scale_units="inches",
        scale=9.0,
        pivot="middle",
        width=0.004,
        headwidth=4.5,
        headlength=4.5,
        headaxislength=4.0,
        zorder=4,
    )
    stops_x, stops_y = marks[:, 0], marks[:, 1]
    moved = np.flatnonzero((stops_x != lon[1:-1]) | (stops_y != lat[1:-1]))
    for i in moved:  # a thin leader from a moved mark to its stop
        ax.plot(
            [lon[i + 1], stops_x[i]],
            [lat[i + 1], stops_y[i]],
            color=colour,
            linewidth=0.7,
            zorder=4.5,
        )
    ax.scatter(
        stops_x, stops_y, s=95, facecolors="white", edgecolors=colour, linewidths=1.3, zorder=5
    )
    for number, (x, y) in enumerate(zip(stops_x, stops_y, strict=True), start=1):
        ax.text(
            x,
            y,
            str(number),
            fontsize=6.5,
            fontweight="bold",
            color=colour,
            ha="center",
            va="center",
            zorder=6,
        )


def _marks_in_axes(marks: list[np.ndarray], view: tuple[float, ...]) -> np.ndarray:
    """Return the stop marks of every trip in axes fractions (0..1 across the map)."""
    x0, y0, x1, y1 = view
    every = np.concatenate([m for m in marks if len(m)] or [np.zeros((0, 2))])
    return (every - [x0, y0]) / [x1 - x0, y1 - y0]


def _key(ax: Any, text: Any, marks: np.ndarray) -> None:
    """Say what the dot and the numbered circles are, in a corner that hides fewest stops.

    The bottom right corner, or the top left when it hides fewer stop marks. Drawn by hand
    (a box, two marks, two lines of text): a matplotlib legend costs more than the rest of
    the small map.
    """
    from matplotlib.patches import Rectangle

    lines = [text["note_key_producer"], text["note_key_stop"]]
    fig_w, fig_h = ax.figure.get_size_inches()
    box = ax.get_position()
    x_pt, y_pt = 1 / (box.width * fig_w * 72), 1 / (box.height * fig_h * 72)  # axes / point
    # Helvetica at 7 pt: about 0.52 em a character on average; the box need not be exact
    width = (22 + 0.52 * 7 * max(len(x) for x in lines)) * x_pt
    height = 26 * y_pt
    corners = [(1 - 8 * x_pt - width, 8 * y_pt), (8 * x_pt, 1 - 8 * y_pt - height)]
    hidden = [
        int(
            ((marks >= [x - 0.02, y - 0.02]) & (marks <= [x + width + 0.02, y + height + 0.02]))
            .all(axis=1)
            .sum()
        )
        for x, y in corners
    ]
    x0, y0 = corners[int(np.argmin(hidden))]
    ax.add_patch(
        Rectangle(
            (x0, y0),
            width,
            26 * y_pt,
            transform=ax.transAxes,
            facecolor="white",
            edgecolor="#999999",
            linewidth=0.5,
            alpha=0.85,
            zorder=9,
        )
    )
    rows = [y0 + 18.5 * y_pt, y0 + 7.5 * y_pt]
    ax.scatter(
        [x0 + 9 * x_pt] * 2,
        rows,
        transform=ax.transAxes,
        s=[55, 45],
        c=["#222222", "white"],
        edgecolors=["white", "#555555"],
        linewidths=1.0,
        zorder=10,
        clip_on=False,
    )
    for y, line in zip(rows, lines, strict=True):
        ax.text(x0 + 18 * x_pt, y, line, transform=ax.transAxes, fontsize=7, va="center", zorder=10)


def _north(ax: Any, letter: str) -> None:
    """Draw a small north arrow in the top right corner, on a white ground."""
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(
        FancyBboxPatch(
            (0.945, 0.845),
            0.04,
            0.135,
            boxstyle="round,pad=0.005",
            transform=ax.transAxes,
            facecolor="white",
            edgecolor="none",
            alpha=0.85,
            zorder=7.5,
        )
    )
    ax.annotate(
        "",
        xy=(0.965, 0.97),
        xytext=(0.965, 0.89),
        xycoords="axes fraction",
        arrowprops={
            "facecolor": "#222222",
            "edgecolor": "none",
            "width": 2.5,
            "headwidth": 8,
            "headlength": 7,
        },
        zorder=8,
    )
    ax.text(
        0.965,
        0.875,
        letter,
        transform=ax.transAxes,
        ha="center",
        va="top",
        fontsize=9,
        fontweight="bold",
        zorder=8,
    )


def _scale_bar(ax: Any, view: tuple[float, float, float, float]) -> None:
    from matplotlib.patches import Rectangle

    x0, y0, x1, y1 = view
    km_per_deg = _KM_PER_DEG * math.cos(math.radians((y0 + y1) / 2))
    length = nice((x1 - x0) * km_per_deg / 5)
    deg = length / km_per_deg
    bx, by, h = x0 + 0.03 * (x1 - x0), y0 + 0.04 * (y1 - y0), 0.012 * (y1 - y0)
    ax.add_patch(
        Rectangle(
            (bx - 0.01 * (x1 - x0), by - 0.025 * (y1 - y0)),
            deg + 0.06 * (x1 - x0),
            0.085 * (y1 - y0),
            facecolor="white",
            edgecolor="#999999",
            linewidth=0.5,
            alpha=0.85,
            zorder=7,
        )
    )
    ax.add_patch(Rectangle((bx, by), deg, h, facecolor="#222222", edgecolor="#222222", zorder=8))
    ax.text(
        bx + deg / 2, by + 1.8 * h, f"{length:g} km", ha="center", va="bottom", fontsize=7, zorder=8
    )
