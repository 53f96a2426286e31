"""``umkm-alloc explain``: why a store gets what it gets, where a producer's capacity goes."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from umkm_alloc.cli import options as o
from umkm_alloc.cli._common import (
    check_output,
    handle_errors,
    stage_progress,
    stderr_console,
    write_output,
)

if TYPE_CHECKING:
    from umkm_alloc.routes.model import RoutePlan


class ExplainFormat(StrEnum):
    """Output formats of ``explain``."""

    table = "table"
    csv = "csv"
    json = "json"


StoreId = Annotated[
    str | None, typer.Option("--store", help="Store id to explain.", show_default=False)
]
ProducerId = Annotated[
    str | None, typer.Option("--producer", help="Producer id to explain.", show_default=False)
]
Product = Annotated[
    str | None, typer.Option("--product", help="Only this product.", show_default=False)
]
FormatOpt = Annotated[
    ExplainFormat,
    typer.Option("--format", help="'table' (readable, on stderr), 'csv' or 'json' (stdout)."),
]
TripsOnly = Annotated[
    bool,
    typer.Option(
        "--trips",
        help="With --producer: its delivery trips instead of its pairs (csv: its rows of "
        "routes.csv; json: trips with their stops and products).",
    ),
]
DataOut = Annotated[
    str,
    typer.Option("--output", "-o", help="With --format csv/json: a path, or '-' for stdout."),
]


def register(app: typer.Typer) -> None:
    """Add the command to the application."""
    app.command("explain", no_args_is_help=True)(explain_command)


def explain_command(
    ctx: typer.Context,
    producers: o.ProducersArg = None,
    stores: o.StoresArg = None,
    store: StoreId = None,
    producer: ProducerId = None,
    product: Product = None,
    config: o.ConfigFile = None,
    max_km: o.MaxKm = None,
    circuity: o.Circuity = None,
    snap_m: o.SnapM = None,
    boundaries: o.BoundariesOpt = None,
    distance: o.DistanceOpt = None,
    max_minutes: o.MaxMinutes = None,
    max_snap_m: o.MaxSnapM = None,
    osm_cache: o.OsmCache = None,
    osrm_table_size: o.OsrmTableSize = None,
    osrm_timeout: o.OsrmTimeout = None,
    osrm_retries: o.OsrmRetries = None,
    sheet: o.Sheet = None,
    header_row: o.HeaderRow = None,
    vehicle_capacity: o.VehicleCapacity = None,
    max_trip_km: o.MaxTripKm = None,
    speed_kmh: o.SpeedKmh = None,
    stop_minutes: o.StopMinutes = None,
    max_day_hours: o.MaxDayHours = None,
    trips: TripsOnly = False,
    objective: o.Objective = None,
    min_order: o.MinOrder = None,
    fairness_budget: o.FairnessBudget = None,
    fmt: FormatOpt = ExplainFormat.table,
    data_output: DataOut = "-",
    verbose: o.Verbose = False,
) -> None:
    """Explain one store (every producer of its products) or one producer (every store).

    For each pair: the road distance (and travel time), how the zones relate, the first rule
    that excludes it, or - when eligible - how much goes here, where the rest of the capacity
    went, and on which delivery trip and stop it rides. --producer also shows the producer's
    trips (--trips: only those). --distance and the route options work as for assign.
    """
    with handle_errors(verbose=verbose):
        from umkm_alloc.allocate import assign
        from umkm_alloc.allocate.explain import explain, producer_trips
        from umkm_alloc.cli.render import render_explanation
        from umkm_alloc.cli.render_routes import render_trips
        from umkm_alloc.errors import UsageError
        from umkm_alloc.io.write import to_csv_bytes

        if store is None and producer is None:
            raise UsageError("explain needs --store ID or --producer ID (or both)")
        if trips and producer is None:
            raise UsageError("--trips shows a producer's trips; add --producer ID")
        # a job file's strict = true is for the scheduled assign: explain explains regardless;
        # it plans the trips of the producers it shows, not of every producer (routes)
        cfg, _ = o.collect(ctx.params, strict=False, routes=False)
        if fmt is not ExplainFormat.table:
            check_output(data_output)
        console = stderr_console()
        with stage_progress(console) as progress:
            result = assign(cfg, progress=progress)
        table = explain(result, store=store, producer=producer, product=product)
        plan = producer_trips(result, [producer]) if producer is not None else None
        if fmt is ExplainFormat.table:
            if not trips:
                render_explanation(console, table, result, store=store, producer=producer)
            if plan is not None:
                render_trips(console, plan.routes, plan.trips)
            return
        if trips and plan is not None:
            data = trips_data(plan, fmt.value)
        elif fmt is ExplainFormat.csv:
            shares = {c: 6 for c in ("umkm_share", "fair_share", "blocker_share") if c in table}
            data = to_csv_bytes(table, float_digits={"distance_km": 3, "minutes": 1, **shares})
        else:
            records = json.loads(table.to_json(orient="records", double_precision=3))
            data = (json.dumps(records, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        write_output(data, data_output)


def trips_data(plan: RoutePlan, fmt: str) -> bytes:
    """Return a producer's trips as ``csv`` (its rows of routes.csv) or ``json`` (nested)."""
    from umkm_alloc.io.write import to_csv_bytes
    from umkm_alloc.routes.model import ROUTE_COLUMNS

    if fmt == "csv":
        km = {"leg_km": 3, "cumulative_km": 3}
        return to_csv_bytes(plan.routes[ROUTE_COLUMNS], float_digits=km)
    goods: dict[tuple[int, int], dict[str, int]] = {}
    for item in plan.items.itertuples(index=False):
        goods.setdefault((int(item.trip), int(item.stop)), {})[str(item.product)] = int(
            item.quantity
        )
    out = []
    for trip in plan.trips.itertuples(index=False):
        stops = plan.routes[plan.routes["trip"] == trip.trip]
        out.append(
            {
                "producer_id": str(trip.producer_id),
                "trip": int(trip.trip),
                "stops": int(trip.stops),
                "quantity": int(trip.quantity),
                "km": round(float(trip.km), 3),
                "minutes": round(float(trip.minutes), 1),
                "route": [
                    {
                        "stop": int(s.stop),
                        "store_id": str(s.store_id),
                        "store_name": str(s.store_name),
                        "quantity": int(s.quantity),
                        "leg_km": round(float(s.leg_km), 3),
                        "cumulative_km": round(float(s.cumulative_km), 3),
                        "products": goods.get((int(s.trip), int(s.stop)), {}),
                    }
                    for s in stops.itertuples(index=False)
                ],
            }
        )
    return (json.dumps(out, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
