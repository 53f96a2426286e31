"""Rich rendering of the delivery trips (``--routes``): the run's totals and a producer's day."""

from __future__ import annotations

import pandas as pd
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from umkm_alloc.labels import fmt_int, fmt_num
from umkm_alloc.routes.summary import RoutesSummary

_LABELS = {
    "en": {
        "title": "Delivery trips",
        "trips": ("trips", "{producers} producers, {stops} stops, at most {cap} units a trip"),
        "km": ("km", "one round trip per store: {direct} km ({saving} less)"),
        "hours": ("hours", "riding at {speed} km/h, {stop} min a stop"),
        "overloaded": ("overloaded", "producers with more than {hours} h of deliveries a day"),
        "over_long": "{n} trip(s) longer than --max-trip-km {km} km: a store too far for it",
        "fallbacks": (
            "{n} leg(s) the distance backend has no figure for: geodesic x circuity instead"
        ),
        "longest": "Longest days",
        "columns": ("producer", "name", "stores", "trips", "units", "km", "hours", ""),
        "over": "over {hours} h",
        "trip_table": "Trips of {producer} ({name}): {trips} trip(s), {km} km, {hours} h",
        "trip_columns": ("trip", "stops in riding order", "units", "km", "min"),
        "home": "home",
    },
    "id": {
        "title": "Perjalanan pengiriman",
        "trips": (
            "perjalanan",
            "{producers} produsen, {stops} perhentian, paling banyak {cap} unit per perjalanan",
        ),
        "km": ("km", "satu perjalanan pulang-pergi per toko: {direct} km ({saving} lebih hemat)"),
        "hours": ("jam", "berkendara {speed} km/jam, {stop} menit per perhentian"),
        "overloaded": ("kelebihan beban", "produsen dengan lebih dari {hours} jam pengiriman"),
        "over_long": "{n} perjalanan lebih panjang dari --max-trip-km {km} km",
        "fallbacks": "{n} ruas tanpa angka dari sumber jarak: geodesik x faktor kelokan",
        "longest": "Hari terpanjang",
        "columns": ("produsen", "nama", "toko", "perjalanan", "unit", "km", "jam", ""),
        "over": "lebih dari {hours} jam",
        "trip_table": "Perjalanan {producer} ({name}): {trips} perjalanan, {km} km, {hours} jam",
        "trip_columns": ("perjalanan", "perhentian sesuai urutan", "unit", "km", "menit"),
        "home": "pulang",
    },
}


def render_routes(console: Console, routes: RoutesSummary, lang: str = "en") -> None:
    """Print the trips of a run: totals, notes, and the producers with the longest day."""
    t = _LABELS.get(lang, _LABELS["en"])
    n = lambda v: fmt_int(v, lang)  # noqa: E731
    saving = "-" if routes.km_direct == 0 else fmt_num(routes.saving_pct, 1, lang) + "%"
    totals = Table(
        title=t["title"], title_justify="left", show_header=False, box=None, pad_edge=False
    )
    totals.add_column(style="bold")
    totals.add_column(justify="right")
    totals.add_column()
    totals.add_row(
        t["trips"][0],
        n(routes.trips),
        t["trips"][1].format(
            producers=n(routes.producers), stops=n(routes.stops), cap=n(routes.vehicle_capacity)
        ),
    )
    totals.add_row(
        t["km"][0], n(routes.km), t["km"][1].format(direct=n(routes.km_direct), saving=saving)
    )
    totals.add_row(
        t["hours"][0],
        fmt_num(routes.hours, 1, lang),
        t["hours"][1].format(speed=f"{routes.speed_kmh:g}", stop=f"{routes.stop_minutes:g}"),
    )
    totals.add_row(
        t["overloaded"][0],
        n(len(routes.overloaded)),
        t["overloaded"][1].format(hours=f"{routes.max_day_hours:g}"),
    )
    console.print(totals)
    if routes.over_long_trips:
        km = f"{routes.max_trip_km:g}" if routes.max_trip_km is not None else "-"
        console.print(escape(t["over_long"].format(n=routes.over_long_trips, km=km)))
    if routes.distance_fallbacks:
        console.print(escape(t["fallbacks"].format(n=routes.distance_fallbacks)))
    if not routes.longest_days:
        return
    table = Table(title=t["longest"], title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for i, name in enumerate(t["columns"]):
        table.add_column(name, justify="right" if 2 <= i <= 6 else "left", no_wrap=i != 1)
    over = t["over"].format(hours=f"{routes.max_day_hours:g}")
    for day in routes.longest_days:
        table.add_row(
            escape(day.producer_id),
            escape(day.producer_name),
            n(day.stores),
            n(day.trips),
            n(day.quantity),
            fmt_num(day.km, 1, lang),
            fmt_num(day.hours, 2, lang),
            over if day.overloaded else "",
        )
    console.print(table)


def render_trips(
    console: Console, routes: pd.DataFrame, trips: pd.DataFrame, lang: str = "en"
) -> None:
    """Print one producer's trips: each trip's stops in riding order, units, km, minutes.

    Parameters
    ----------
    routes, trips
        The producer's rows of ``routes.csv`` and ``trips.csv``.
    """
    if trips.empty:
        return
    t = _LABELS.get(lang, _LABELS["en"])
    first = routes.iloc[0]
    title = t["trip_table"].format(
        producer=first["producer_id"],
        name=first["producer_name"],
        trips=len(trips),
        km=fmt_num(float(trips["km"].sum()), 1, lang),
        hours=fmt_num(float(trips["minutes"].sum()) / 60.0, 2, lang),
    )
    table = Table(title=escape(title), title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for i, name in enumerate(t["trip_columns"]):
        table.add_column(name, justify="left" if i == 1 else "right", overflow="fold")
    for trip in trips.itertuples(index=False):
        stops = routes[(routes["trip"] == trip.trip) & (routes["store_id"] != "")]
        path = " → ".join(f"{s.store_id} ({fmt_int(s.quantity, lang)})" for s in stops.itertuples())
        table.add_row(
            str(trip.trip),
            escape(f"{path} → {t['home']}"),
            fmt_int(trip.quantity, lang),
            fmt_num(trip.km, 1, lang),
            fmt_num(trip.minutes, 0, lang),
        )
    console.print(table)
