"""``delivery_notes.pdf``: one A4 page per producer with its delivery trips (``--routes``).

Each page is what a Dinas officer prints or sends to one UMKM: who it delivers to, in which
order, how much of each product at each stop, the km of each trip, the hours of the day, and
a small map of the trips. Drawn with matplotlib's PDF backend; the file carries no date, so
the same run gives the same bytes.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd

from umkm_alloc import __version__
from umkm_alloc.labels import fmt_int, fmt_num
from umkm_alloc.report.notes_map import TRIP_COLOURS, Background, draw_trip_map
from umkm_alloc.report.scene import Scene

PAGE = (8.27, 11.69)  # A4 portrait, inches
_LEFT, _RIGHT = 0.06, 0.95
#: Table columns: (x, alignment) in figure fractions; text is cut to the given characters.
_COLUMNS = ((0.085, "right", 4), (0.10, "left", 42), (0.43, "left", 18), (0.58, "left", 44))
_UNITS_X, _KM_X = 0.885, 0.95
#: Font sizes (pt) the table may take, largest first; the map's share of the page's height.
_SIZES = (8.5, 8.0, 7.0, 6.0)
_MAP_MOST, _MAP_LEAST = 0.45, 0.22
_BOTTOM, _GAP = 0.06, 0.03  # the table ends above the footer; space between map and table
_LINE = 1.45  # line height in font sizes


@dataclass(frozen=True)
class _Row:
    """One line of a page's table."""

    kind: str  # "trip", "stop" or "home"
    cells: tuple[str, ...]
    units: str = ""
    km: str = ""
    colour: str = ""


def render_notes(scene: Scene) -> bytes:
    """Return ``delivery_notes.pdf``: a page per producer with trips, in ``scene.lang``.

    Parameters
    ----------
    scene
        The run's scene; its result must have routes (``result.routes``).

    Returns
    -------
    bytes
        A PDF without creation date: the same run gives the same bytes.
    """
    import matplotlib
    import matplotlib.style
    from matplotlib.backends.backend_pdf import PdfPages

    plan = scene.result.routes
    if plan is None:
        raise ValueError("delivery notes need the run's routes (--routes)")
    days = plan.days
    buf = io.BytesIO()
    meta = {
        "Title": scene.text["note_title"],
        "Creator": f"umkm-alloc {__version__}",
        "Producer": f"umkm-alloc {__version__}",
        "CreationDate": None,
    }
    # The PDF's standard fonts (Helvetica): nothing embedded, text extractable, and about
    # twice as fast to lay out as an embedded TrueType font.
    style = {"font.size": 8, "pdf.use14corefonts": True, "pdf.compression": 6}
    with (
        _quiet_font_lookup(),
        matplotlib.style.context("default"),
        matplotlib.rc_context(style),
        PdfPages(buf, metadata=meta) as pdf,
    ):
        book = _Book.of(scene, plan)
        for number, day in enumerate(days.itertuples(index=False), start=1):
            pdf.savefig(_page(scene, book, day, number, len(days)))
    return buf.getvalue()


@contextmanager
def _quiet_font_lookup() -> Iterator[None]:
    """Silence matplotlib's notes that Helvetica's regular weight is called "medium"."""
    log = logging.getLogger("matplotlib.font_manager")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


@dataclass(frozen=True)
class _Book:
    """What the pages read, grouped once per producer (a page looks, never searches)."""

    background: Background
    trips: dict[str, pd.DataFrame]  # the scene's trips (paths) of each producer
    stops: dict[str, list[Any]]  # each producer's rows of routes, in riding order
    goods: dict[tuple[str, int, int], list[tuple[str, int]]]  # (producer, trip, stop)
    places: dict[str, tuple[str, str]]  # producer -> (kecamatan, kabupaten)
    kecamatan: dict[str, str]  # store -> kecamatan

    @classmethod
    def of(cls, scene: Scene, plan: Any) -> _Book:
        """Group the scene's and the plan's rows by producer."""
        goods: dict[tuple[str, int, int], list[tuple[str, int]]] = {}
        for i in plan.items.itertuples(index=False):
            goods.setdefault((i.producer_id, i.trip, i.stop), []).append((i.product, i.quantity))
        stops: dict[str, list[Any]] = {}
        for r in plan.routes.itertuples(index=False):
            stops.setdefault(r.producer_id, []).append(r)
        p = scene.producers
        return cls(
            background=Background(scene),
            trips={
                str(k): g.reset_index(drop=True)
                for k, g in scene.trips.groupby("producer_id", sort=False)
            },
            stops=stops,
            goods=goods,
            places=dict(
                zip(p["id"], zip(p["kecamatan"], p["kabupaten"], strict=True), strict=True)
            ),
            kecamatan=dict(zip(scene.stores["id"], scene.stores["kecamatan"], strict=True)),
        )


def _page(scene: Scene, book: _Book, day: Any, number: int, pages: int) -> Any:
    """Draw one producer's page and return its figure."""
    from matplotlib.backends.backend_pdf import FigureCanvasPdf
    from matplotlib.figure import Figure

    fig = Figure(figsize=PAGE)
    FigureCanvasPdf(fig)
    t, lang = scene.text, scene.lang
    pid = day.producer_id
    trips = book.trips[pid]
    rows = _rows(scene, book, pid, trips)
    top = _header(fig, scene, book, day)
    map_top = top - 0.012
    size, map_share = _fit(len(rows), map_top)
    map_box = (_LEFT, map_top - map_share, _RIGHT - _LEFT, map_share)
    draw_trip_map(fig.add_axes(map_box), scene, pid, trips, book.background)
    _table(fig, rows, top=map_box[1] - _GAP, size=size, text=t)
    footer = t["note_footer"].format(
        speed=f"{scene.result.config.speed_kmh:g}",
        stop=f"{scene.result.config.stop_minutes:g}",
        distance=scene.result.backend.describe() if scene.result.backend else "-",
    )
    fig.text(_LEFT, 0.028, footer, fontsize=6.5, color="#555555", va="bottom", wrap=False)
    page = t["page_of"].format(page=fmt_int(number, lang), pages=fmt_int(pages, lang))
    fig.text(
        _RIGHT,
        0.012,
        f"umkm-alloc {__version__} · {page}",
        fontsize=6.5,
        color="#555555",
        ha="right",
        va="bottom",
    )
    return fig


def _header(fig: Any, scene: Scene, book: _Book, day: Any) -> float:
    """Title, place and the day in figures; returns the figure fraction below them."""
    t, lang = scene.text, scene.lang
    fig.text(
        _LEFT,
        0.962,
        f"{t['note_title']}: {day.producer_name or day.producer_id}",
        fontsize=15,
        fontweight="bold",
        va="center",
    )
    where = ", ".join(p for p in book.places[day.producer_id] if p)
    fig.text(
        _LEFT, 0.938, f"{day.producer_id} · {where}", fontsize=10, color="#444444", va="center"
    )
    trips = t["note_trip_one" if day.trips == 1 else "note_trip_many"].format(
        n=fmt_int(day.trips, lang)
    )
    units = t["unit_one" if day.quantity == 1 else "unit_many"].format(
        n=fmt_int(day.quantity, lang)
    )
    line = t["note_day"].format(
        stores=fmt_int(day.stores, lang),
        trips=trips,
        units=units,
        km=fmt_num(day.km, 1, lang),
        hours=_duration(day.hours * 60.0, t),
    )
    fig.text(_LEFT, 0.914, line, fontsize=11, va="center")
    if not day.overloaded:
        return 0.900
    hours = f"{scene.result.config.max_day_hours:g}"
    fig.text(
        _LEFT,
        0.892,
        t["note_over"].format(hours=hours),
        fontsize=10,
        color="#b2182b",
        fontweight="bold",
        va="center",
    )
    return 0.878


def _duration(minutes: float, t: Mapping[str, str]) -> str:
    """``1 h 43 min`` (``43 min`` under an hour), in the page's language."""
    whole = round(minutes)
    if whole < 60:
        return t["note_minutes"].format(m=whole)
    return t["note_hours"].format(h=whole // 60, m=whole % 60)


def _rows(scene: Scene, book: _Book, pid: str, trips: pd.DataFrame) -> list[_Row]:
    """Every line of the page's table: a trip, its stops in order, the ride home."""
    t, lang = scene.text, scene.lang
    ridden = book.stops[pid]
    name = ridden[0].producer_name or pid
    limit = scene.result.config.max_trip_km
    rows: list[_Row] = []
    for k, trip in enumerate(trips.itertuples(index=False)):
        colour = TRIP_COLOURS[k % len(TRIP_COLOURS)]
        stops = t["note_stop_one" if len(trip.stops) == 1 else "note_stop_many"].format(
            n=fmt_int(len(trip.stops), lang)
        )
        units = t["unit_one" if trip.quantity == 1 else "unit_many"].format(
            n=fmt_int(trip.quantity, lang)
        )
        head = t["note_trip"].format(
            trip=trip.trip,
            stops=stops,
            units=units,
            km=fmt_num(trip.km, 1, lang),
            time=_duration(trip.minutes, t),
        )
        if limit is not None and trip.km > limit + 1e-9:
            head += f" · {t['note_over_long']}"
        rows.append(_Row("trip", (head,), colour=colour))
        for stop in (r for r in ridden if r.trip == trip.trip):
            if stop.store_id == "":
                home = t["note_home"].format(name=name)
                rows.append(_Row("home", ("", home), km=fmt_num(stop.leg_km, 1, lang)))
                continue
            goods = book.goods.get((pid, stop.trip, stop.stop), [])
            what = (
                goods[0][0]
                if len(goods) == 1
                else ", ".join(f"{p} {fmt_int(q, lang)}" for p, q in goods)
            )
            rows.append(
                _Row(
                    "stop",
                    (
                        str(stop.stop),
                        f"{stop.store_name} ({stop.store_id})"
                        if stop.store_name
                        else stop.store_id,
                        book.kecamatan.get(stop.store_id, ""),
                        what or "-",
                    ),
                    units=fmt_int(stop.quantity, lang),
                    km=fmt_num(stop.leg_km, 1, lang),
                )
            )
    return rows


def _fit(count: int, top: float) -> tuple[float, float]:
    """Return the largest font size at which ``count`` rows fit below the map, and the map's share.

    The map takes what the table leaves, between :data:`_MAP_LEAST` and :data:`_MAP_MOST`
    of the page; rows that do not fit even then are counted in a note (see :func:`_table`).
    """
    room = top - _GAP - _BOTTOM
    for size in _SIZES:
        table = (count + 2) * size * _LINE / 72 / PAGE[1]
        if room - table >= _MAP_LEAST:
            return size, min(_MAP_MOST, room - table)
    return _SIZES[-1], _MAP_LEAST


def _table(fig: Any, rows: list[_Row], *, top: float, size: float, text: Mapping[str, str]) -> None:
    """Column heads, then the rows top down; rows beyond the page are counted in a note."""
    step = size * _LINE / 72 / PAGE[1]
    heads = text["note_columns"].split("|")
    y = top
    for (x, align, _), head in zip(_COLUMNS, heads[:4], strict=True):
        fig.text(x, y, head, fontsize=size, fontweight="bold", ha=align, va="baseline")
    fig.text(_UNITS_X, y, heads[4], fontsize=size, fontweight="bold", ha="right")
    fig.text(_KM_X, y, heads[5], fontsize=size, fontweight="bold", ha="right")
    fig.add_artist(_rule(fig, y - 0.35 * step))
    room = int((y - _BOTTOM) / step)
    shown = rows if len(rows) <= room else rows[: room - 1]
    for row in shown:
        y -= step
        _draw_row(fig, row, y, size)
    if len(shown) < len(rows):
        more = text["note_more"].format(n=len(rows) - len(shown))
        fig.text(_COLUMNS[1][0], y - step, more, fontsize=size, style="italic", color="#444444")


def _rule(fig: Any, y: float) -> Any:
    from matplotlib.lines import Line2D

    return Line2D([_LEFT, _RIGHT], [y, y], transform=fig.transFigure, color="#888888", lw=0.6)


def _draw_row(fig: Any, row: _Row, y: float, size: float) -> None:
    if row.kind == "trip":
        from matplotlib.patches import Rectangle

        side = size * 0.8 / 72
        fig.add_artist(
            Rectangle(
                (_LEFT, y - 0.1 * side / PAGE[1]),
                side / PAGE[0],
                side / PAGE[1],
                color=row.colour,
                transform=fig.transFigure,
            )
        )
        fig.text(_COLUMNS[1][0], y, row.cells[0], fontsize=size, fontweight="bold")
        return
    style: dict[str, Any] = {"fontsize": size, "va": "baseline"}
    if row.kind == "home":
        style.update(color="#444444", style="italic")
    for (x, align, width), cell in zip(_COLUMNS, row.cells, strict=False):
        fig.text(x, y, _cut(cell, width), ha=align, **style)
    fig.text(_UNITS_X, y, row.units, ha="right", **style)
    fig.text(_KM_X, y, row.km, ha="right", **style)


def _cut(text: str, width: int) -> str:
    """``text``, cut to ``width`` characters with an ellipsis."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


__all__ = ["render_notes"]
