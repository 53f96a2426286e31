"""``map.png``: an A4-landscape map of the allocation, drawn with matplotlib."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import shapely
import shapely.geometry

from umkm_alloc import __version__
from umkm_alloc.labels import fmt_int, fmt_pct, limits_text
from umkm_alloc.report.scene import (
    EDGE,
    FLOW,
    KAB_EDGE,
    LAND,
    MAP_FRAME,
    NO_RATIO,
    PAGE,
    PNG_TRIP_LEGS_MAX,
    RAMP,
    TRIP,
    Scene,
    colour,
    distance_text,
    nice,
    title_lines,
    zone_colours,
)

_KM_PER_DEG = 111.32
_DPI = 200


# ------------------------------------------------ map.png


def render_png(scene: Scene) -> bytes:
    """Return ``map.png``: an A4-landscape map at 200 dpi (2338 x 1654 px)."""
    from PIL import Image

    rgb = np.asarray(_figure(scene).canvas.buffer_rgba())[..., :3]
    # Pillow (a matplotlib dependency) writes RGB without text chunks: no time, no version,
    # so the same input gives the same bytes; pHYs holds 200 dpi for printing at A4 size.
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buf, format="PNG", dpi=(_DPI, _DPI))
    return buf.getvalue()


def _figure(scene: Scene) -> Any:
    """Draw map.png as a matplotlib figure and return it (drawn, on an Agg canvas)."""
    import matplotlib
    import matplotlib.style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.style.context("default"), matplotlib.rc_context({"font.size": 9}):
        fig = Figure(figsize=PAGE, dpi=_DPI)  # A4 landscape: 2338 x 1654 px
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_axes(MAP_FRAME)
        _draw_map(ax, scene)
        _draw_legend(fig, scene)
        title, totals, counts = title_lines(scene)
        fig.text(0.015, 0.965, title, fontsize=16, fontweight="bold", va="center")
        fig.text(0.015, 0.932, totals, fontsize=12, va="center")
        fig.text(0.015, 0.905, counts, fontsize=9.5, va="center", color="#444444")
        fig.text(0.015, 0.012, _footnote(scene), fontsize=7, color="#666666", va="bottom")
        fig.patch.set_facecolor("white")
        canvas.draw()
    return fig


def _footnote(scene: Scene) -> str:
    r = scene.result
    return (
        f"{scene.text['boundaries']}: {r.boundaries.source}  ·  {scene.text['distance']}: "
        f"{r.backend.describe() if r.backend else distance_text(r.distance)}, "
        f"{limits_text(r.config, r.rules)}  ·  "
        f"{scene.text['flows_straight']}  ·  "
        + (f"{scene.text['trips_elsewhere']}  ·  " if _hides_trips(scene) else "")
        + f"umkm-alloc {__version__}"
    )


def _polygon_path(geom: Any) -> Any:
    from matplotlib.path import Path as MplPath

    verts, codes = [], []
    for poly in getattr(geom, "geoms", [geom]):
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            if len(xy) < 3:
                continue
            verts.append(xy)
            ring_codes = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            ring_codes[0], ring_codes[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            codes.append(ring_codes)
    if not verts:
        return MplPath(np.zeros((0, 2)))
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def _producer_sizes(qty: np.ndarray, top: float) -> np.ndarray:
    """Marker area (pt^2) proportional to capacity."""
    return 12 + 330 * np.asarray(qty, float) / max(top, 1)


def _flow_widths(qty: np.ndarray, top: float) -> np.ndarray:
    return 0.3 + 3.0 * np.asarray(qty, float) / max(top, 1)


def _draw_map(ax: Any, scene: Scene) -> None:
    import matplotlib.patheffects as pe
    from matplotlib.collections import LineCollection, PatchCollection
    from matplotlib.patches import PathPatch

    x0, y0, x1, y1 = scene.view
    mid_lat = (y0 + y1) / 2
    ax.set_facecolor("#dfe9f2")  # sea / outside the boundaries
    kec = scene.kecamatan
    if len(kec):
        colours = zone_colours(scene) if scene.zones else {}
        faces = [colours.get(z, LAND) for z in kec["zone"]]
        patches = [PathPatch(_polygon_path(g)) for g in kec.geometry]
        ax.add_collection(
            PatchCollection(patches, facecolors=faces, edgecolors=EDGE, linewidths=0.5, zorder=1)
        )
        kab = kec.dissolve(by="kode_kab").boundary
        kab_paths = [
            np.asarray(line.coords)[:, :2]
            for geom in kab
            for line in getattr(geom, "geoms", [geom])
            if not line.is_empty
        ]
        ax.add_collection(LineCollection(kab_paths, colors=KAB_EDGE, linewidths=1.3, zorder=1.5))
    links = scene.links
    if len(links):
        order = np.argsort(links["quantity"].to_numpy(), kind="stable")
        lk = links.iloc[order]
        segs = np.stack(
            [lk[["lon0", "lat0"]].to_numpy(float), lk[["lon1", "lat1"]].to_numpy(float)], axis=1
        )
        widths = _flow_widths(lk["quantity"].to_numpy(), links["quantity"].max())
        ax.add_collection(
            LineCollection(
                list(segs), colors=FLOW, linewidths=widths, alpha=0.4, zorder=3, capstyle="round"
            )
        )
    if _draws_trips(scene):
        paths = [np.column_stack([t.lon, t.lat]) for t in scene.trips.itertuples(index=False)]
        ax.add_collection(LineCollection(paths, colors=TRIP, linewidths=0.9, alpha=0.85, zorder=4))
    halo = [pe.withStroke(linewidth=2.2, foreground="white", alpha=0.85)]
    view_box = shapely.box(*scene.view)
    for name, geom in zip(kec["nama"], kec.geometry, strict=True):
        inside = geom.intersection(view_box)
        if inside.is_empty or inside.area < 0.0004:
            continue
        pt = inside.point_on_surface()
        ax.text(
            pt.x,
            pt.y,
            str(name),
            fontsize=6.5,
            color="#5a554c",
            ha="center",
            va="center",
            zorder=3.5,
            path_effects=halo,
            fontstyle="italic",
        )
    st = scene.stores
    if len(st):
        ax.scatter(
            st["lon"],
            st["lat"],
            s=20,
            marker="s",
            c=[colour(r) for r in st["ratio"]],
            edgecolors="#222222",
            linewidths=0.45,
            zorder=6,
        )
    pr = scene.producers
    if len(pr):
        order = np.argsort(-pr["qty"].to_numpy(), kind="stable")
        pr = pr.iloc[order]
        ax.scatter(
            pr["lon"],
            pr["lat"],
            s=_producer_sizes(pr["qty"], scene.producers["qty"].max()),
            marker="o",
            c=[colour(r) for r in pr["ratio"]],
            edgecolors="#222222",
            linewidths=0.5,
            alpha=0.92,
            zorder=5,
        )
    if not len(pr) and not len(st):
        ax.text(0.5, 0.5, scene.text["no_data"], transform=ax.transAxes, ha="center", fontsize=14)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(1 / np.cos(np.radians(mid_lat)))
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor("#666666")
    _scale_bar(ax, scene.view)
    _north_arrow(ax, scene.text["north"])


def _trip_legs(scene: Scene) -> int:
    """Legs of all delivery trips (stops and rides home)."""
    return int(sum(len(stops) + 1 for stops in scene.trips["stops"]))


def _draws_trips(scene: Scene) -> bool:
    """Whether map.png draws the delivery trips: there are some, and few enough to read."""
    return 0 < _trip_legs(scene) <= PNG_TRIP_LEGS_MAX


def _hides_trips(scene: Scene) -> bool:
    """Whether there are delivery trips too many to draw (the footnote says where they are)."""
    return _trip_legs(scene) > PNG_TRIP_LEGS_MAX


def _scale_bar(ax: Any, view: tuple[float, float, float, float]) -> None:
    from matplotlib.patches import Rectangle

    x0, y0, x1, y1 = view
    km_per_deg = _KM_PER_DEG * np.cos(np.radians((y0 + y1) / 2))
    length = nice((x1 - x0) * km_per_deg / 5)
    deg = length / km_per_deg
    bx, by, h = x0 + 0.03 * (x1 - x0), y0 + 0.035 * (y1 - y0), 0.011 * (y1 - y0)
    ax.add_patch(
        Rectangle(
            (bx - 0.012 * (x1 - x0), by - 0.022 * (y1 - y0)),
            deg + 0.05 * (x1 - x0),
            0.075 * (y1 - y0),
            facecolor="white",
            edgecolor="#999999",
            linewidth=0.5,
            alpha=0.85,
            zorder=6,
            gid="scale-bar",
        )
    )
    for i in range(4):
        ax.add_patch(
            Rectangle(
                (bx + i * deg / 4, by),
                deg / 4,
                h,
                zorder=7,
                linewidth=0.6,
                facecolor="black" if i % 2 == 0 else "white",
                edgecolor="black",
            )
        )
    for frac in (0.0, 0.5, 1.0):
        text = f"{length * frac:g}" + (" km" if frac == 1.0 else "")
        ax.text(bx + frac * deg, by + h * 1.6, text, ha="center", va="bottom", fontsize=8, zorder=7)


def _north_arrow(ax: Any, letter: str) -> None:
    ax.annotate(
        "",
        xy=(0.965, 0.955),
        xytext=(0.965, 0.865),
        xycoords="axes fraction",
        arrowprops={
            "facecolor": "black",
            "edgecolor": "black",
            "width": 5,
            "headwidth": 15,
            "headlength": 14,
        },
        zorder=8,
        gid="north-arrow",
    )
    ax.text(
        0.965,
        0.845,
        letter,
        transform=ax.transAxes,
        ha="center",
        va="top",
        fontsize=14,
        fontweight="bold",
        zorder=8,
        gid="north-arrow",
        bbox={
            "boxstyle": "circle,pad=0.15",
            "facecolor": "white",
            "edgecolor": "none",
            "alpha": 0.8,
        },
    )


def _draw_legend(fig: Any, scene: Scene) -> None:
    """Legend sections stacked top-down in the right-hand panel, the colour bar below them."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import LinearSegmentedColormap, Normalize
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    t, lang = scene.text, scene.lang
    units = t["units"].lower()
    sections: list[tuple[str, list[Any], list[str]]] = []
    grey: dict[str, Any] = {
        "markerfacecolor": "#bdbdbd",
        "markeredgecolor": "#222222",
        "linestyle": "none",
    }
    top_p = float(scene.producers["qty"].max()) if len(scene.producers) else 1.0
    values = sorted({nice(v, least=1) for v in (top_p, top_p / 3, top_p / 10)}, reverse=True)
    sizes = _producer_sizes(np.array(values), top_p)
    sections.append(
        (
            t["legend_producer"],
            [Line2D([], [], marker="o", markersize=float(np.sqrt(s)), **grey) for s in sizes],
            [f"{fmt_int(v, lang)} {units}" for v in values],
        )
    )
    if len(scene.links):
        top_q = float(scene.links["quantity"].max())
        values = sorted({nice(v, least=1) for v in (top_q, top_q / 4, top_q / 15)}, reverse=True)
        widths = _flow_widths(np.array(values), top_q)
        sections.append(
            (
                t["legend_flow"],
                [Line2D([], [], color=FLOW, alpha=0.7, linewidth=float(w)) for w in widths],
                [f"{fmt_int(v, lang)} {units}" for v in values],
            )
        )
    handles: list[Any] = [
        Line2D([], [], marker="s", markersize=5, **grey),
        Patch(facecolor=LAND, edgecolor=EDGE, linewidth=0.5),
        Line2D([], [], color=KAB_EDGE, linewidth=1.3),
    ]
    kec_label = t["kecamatan_no_zone"] if scene.zones else t["kecamatan"]
    names = [t["legend_store"], kec_label, t["kab_border"]]
    if _draws_trips(scene):
        handles.append(Line2D([], [], color=TRIP, linewidth=1.2))
        names.append(t["legend_trip"])
    if scene.producers["ratio"].isna().any() or scene.stores["ratio"].isna().any():
        handles.append(
            Line2D([], [], marker="o", markersize=5, **{**grey, "markerfacecolor": NO_RATIO})
        )
        names.append(t["no_demand"])
    sections.append((t["symbols"], handles, names))
    if scene.zones:
        colours = list(zone_colours(scene).items())
        shown = colours[:12] if len(colours) <= 13 else colours[:11]
        handles = [Patch(facecolor=c, edgecolor=EDGE, linewidth=0.5) for _, c in shown]
        names = [z for z, _ in shown]
        if len(shown) < len(colours):
            handles.append(Patch(facecolor="white", edgecolor="white"))
            names.append(f"... +{len(colours) - len(shown)}")
        sections.append((t["zone"], handles, names))

    renderer = fig.canvas.get_renderer()
    to_fig = fig.transFigure.inverted()
    y = 0.895
    for title, handles, names in sections:
        legend = fig.legend(
            handles,
            names,
            loc="upper left",
            bbox_to_anchor=(0.775, y),
            title=title,
            alignment="left",
            frameon=False,
            fontsize=9,
            title_fontproperties={"weight": "bold", "size": 9.5},
            handlelength=2.6,
            borderaxespad=0,
            borderpad=0,
            labelspacing=0.55,
            handletextpad=0.8,
        )
        y = legend.get_window_extent(renderer).transformed(to_fig).y0 - 0.03
    head, _, body = t["legend_colour"].partition("\n")
    title = fig.text(0.775, y, head, fontsize=9.5, fontweight="bold", va="top")
    y = title.get_window_extent(renderer).transformed(to_fig).y0 - 0.006
    text = fig.text(0.775, y, body, fontsize=9, va="top", linespacing=1.4)
    text_box = text.get_window_extent(renderer).transformed(to_fig)
    bar_y = max(text_box.y0 - 0.045, 0.07)
    cax = fig.add_axes((0.782, bar_y, 0.185, 0.022))
    cmap = LinearSegmentedColormap.from_list("fill", list(RAMP))
    bar = fig.colorbar(
        ScalarMappable(norm=Normalize(0, 1), cmap=cmap), cax=cax, orientation="horizontal"
    )
    ticks = [0, 0.25, 0.5, 0.75, 1]
    bar.set_ticks(ticks, labels=[fmt_pct(v, lang, 0) for v in ticks])
    bar.ax.tick_params(labelsize=8)
