"""Options shared by several commands, as ``Annotated`` aliases, and their collector.

A job option is one field of :class:`~umkm_alloc.config.AssignConfig` (or of
:class:`~umkm_alloc.config.OutputOptions` for what ``assign`` writes), one alias below, and
one parameter of the same name in each command that takes it. :func:`collect` turns a
command's parameters into the configuration (command line > ``--config`` file > defaults),
so the commands never list the options a second time.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from umkm_alloc.config import AssignConfig, OutputOptions


def collect(params: Mapping[str, Any], **fixed: Any) -> tuple[AssignConfig, OutputOptions]:
    """Return the configuration of a command's options: command line > file > defaults.

    Parameters
    ----------
    params
        The command's parameters by name (``ctx.params``). Those named like a field of
        ``AssignConfig`` or ``OutputOptions`` are job options (``None``: not given);
        ``config`` is the ``--config`` file; the rest (``quiet``, ``store`` ...) are the
        command's own.
    **fixed
        Options the command sets itself, over both the command line and the file.

    Returns
    -------
    AssignConfig, OutputOptions
    """
    from umkm_alloc.config import ASSIGN_KEYS, resolve_assign

    given = {name: value for name, value in params.items() if name in ASSIGN_KEYS}
    config = params.get("config")  # ctx.params holds the command line's text for a path
    return resolve_assign({**given, **fixed}, config_file=None if config is None else Path(config))


#: Options that only shape the delivery trips of ``--routes``.
ROUTE_OPTIONS = ("vehicle_capacity", "max_trip_km", "speed_kmh", "stop_minutes", "max_day_hours")


def check_route_options(params: Mapping[str, Any], *, routes: bool) -> None:
    """Refuse route options typed on the command line of a run without ``--routes``.

    Parameters
    ----------
    params
        The command's parameters by name (``None``: not given).
    routes
        Whether the run plans delivery trips (``--routes`` or ``routes = true``).
    """
    from umkm_alloc.errors import UsageError

    given = [name for name in ROUTE_OPTIONS if params.get(name) is not None]
    if given and not routes:
        option = "--" + given[0].replace("_", "-")
        raise UsageError(
            f"{option} shapes the delivery trips, which this run does not plan; add --routes "
            "(or routes = true in the [assign] table of --config)"
        )


ProducersArg = Annotated[
    Path | None,
    typer.Argument(
        help="Producers table (CSV): producer_id, capacity, lat+lon or kecamatan, product...",
        metavar="PRODUCERS",
        show_default=False,
    ),
]
StoresArg = Annotated[
    Path | None,
    typer.Argument(
        help="Stores table (CSV): store_id, demand, lat+lon or kecamatan, product...",
        metavar="STORES",
        show_default=False,
    ),
]
MaxKm = Annotated[
    float | None,
    typer.Option(
        "--max-km",
        help="Largest road distance in km between producer and store [20; none when only "
        "--max-minutes is given].",
        show_default=False,
    ),
]
Circuity = Annotated[
    float | None,
    typer.Option(
        "--circuity", help="Road distance / straight-line distance [1.4].", show_default=False
    ),
]
SnapM = Annotated[
    float | None,
    typer.Option(
        "--snap-m",
        help="Snap points this close (m) to the nearest kecamatan when outside all [1000].",
        show_default=False,
    ),
]
ConfigFile = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="TOML file with an [assign] table (options of this command).",
        show_default=False,
    ),
]
BoundariesOpt = Annotated[
    str | None,
    typer.Option(
        "--boundaries",
        help="'banten' (packaged, default), 'indonesia' (packaged, 7,285 kecamatan) or a "
        "polygon file with kode, nama.",
        show_default=False,
    ),
]
DistanceOpt = Annotated[
    str | None,
    typer.Option(
        "--distance",
        help="Distance backend: geodesic, osm:PATH (.osm/.osm.pbf road network), matrix:PATH "
        "(CSV producer_id,store_id,distance_km[,minutes]) or osrm:URL [geodesic].",
        show_default=False,
    ),
]
MaxMinutes = Annotated[
    float | None,
    typer.Option(
        "--max-minutes",
        help="Largest travel time in minutes (osm:, osrm:, matrix: with minutes); without "
        "--max-km it replaces the distance bound.",
        show_default=False,
    ),
]
MaxSnapM = Annotated[
    float | None,
    typer.Option(
        "--max-snap-m",
        help="osm:/osrm: a point farther than this (m) from every road gets no route [2000].",
        show_default=False,
    ),
]
OsmCache = Annotated[
    str | None,
    typer.Option(
        "--osm-cache",
        help="osm: folder of the parsed road-graph cache [$UMKM_ALLOC_CACHE, else "
        "~/.cache/umkm-alloc].",
        show_default=False,
    ),
]
OsrmTableSize = Annotated[
    int | None,
    typer.Option(
        "--osrm-table-size",
        help="osrm: sources (and destinations) per table request: the server's "
        "--max-table-size [100].",
        show_default=False,
    ),
]
OsrmTimeout = Annotated[
    float | None,
    typer.Option(
        "--osrm-timeout", help="osrm: seconds to wait for one answer [30].", show_default=False
    ),
]
OsrmRetries = Annotated[
    int | None,
    typer.Option(
        "--osrm-retries",
        help="osrm: retries of a failed request, with backoff [3].",
        show_default=False,
    ),
]
Output = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        help="Allocations CSV: a path, or '-' for stdout (default unless --out-dir is given).",
        show_default=False,
    ),
]
OutDir = Annotated[
    Path | None,
    typer.Option(
        "--out-dir", help="Write every table and summary.json to this folder.", show_default=False
    ),
]
Strict = Annotated[
    bool | None,
    typer.Option(
        "--strict",
        help="Exit 4 (and write nothing) when any input row is rejected.",
        show_default=False,
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr; errors only.")]
Verbose = Annotated[
    bool, typer.Option("--verbose", "-v", help="Stage timings; tracebacks on errors.")
]
Sheet = Annotated[
    str | None,
    typer.Option(
        "--sheet",
        help="Worksheet of .xlsx/.xls/.ods inputs, or 'all' for every sheet with the header "
        "[the first].",
        show_default=False,
    ),
]
HeaderRow = Annotated[
    int | None,
    typer.Option(
        "--header-row",
        help="Line (sheet row) of the column names [found in the first 30 rows].",
        show_default=False,
    ),
]
Jobs = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        help="Worker processes at most; never changes the output [one per core].",
        show_default=False,
    ),
]
Report = Annotated[
    bool | None,
    typer.Option(
        "--report",
        help="Also write report.xlsx, map.png, map.html and allocations.gpkg into --out-dir.",
        show_default=False,
    ),
]
Lang = Annotated[
    str | None,
    typer.Option(
        "--lang",
        help="Language of the summary, workbook and maps: en or id [en].",
        show_default=False,
    ),
]
Routes = Annotated[
    bool | None,
    typer.Option(
        "--routes",
        help="Also plan every producer's delivery trips (routes.csv, route_items.csv, "
        "trips.csv; with --report delivery_notes.pdf).",
        show_default=False,
    ),
]
VehicleCapacity = Annotated[
    int | None,
    typer.Option(
        "--vehicle-capacity",
        help="Units one delivery trip carries at most (a motorbike with two boxes) [150].",
        show_default=False,
    ),
]
MaxTripKm = Annotated[
    float | None,
    typer.Option(
        "--max-trip-km",
        help="Longest delivery trip in km; a store that alone needs more is reported [none].",
        show_default=False,
    ),
]
SpeedKmh = Annotated[
    float | None,
    typer.Option(
        "--speed-kmh",
        help="Riding speed for trips whose backend has no travel times [25].",
        show_default=False,
    ),
]
StopMinutes = Annotated[
    float | None,
    typer.Option(
        "--stop-minutes", help="Minutes spent at each delivery stop [5].", show_default=False
    ),
]
MaxDayHours = Annotated[
    float | None,
    typer.Option(
        "--max-day-hours",
        help="A producer whose trips take longer is reported as overloaded [8].",
        show_default=False,
    ),
]
Objective = Annotated[
    str | None,
    typer.Option(
        "--objective",
        help="efficient: most units, then least unit-km [default]. fair: most units, then "
        "every UMKM's share of its capacity max-min, then least unit-km.",
        show_default=False,
    ),
]
MinOrder = Annotated[
    int | None,
    typer.Option(
        "--min-order",
        help="Least unit-km with every UMKM in reach given at least N units (its fair share "
        "when that is smaller); not with --objective fair or --fairness-budget.",
        metavar="N",
        show_default=False,
    ),
]
FairnessBudget = Annotated[
    float | None,
    typer.Option(
        "--fairness-budget",
        help="The fairest allocation within PCT % more unit-km than the efficient one; not "
        "with --objective fair or --min-order.",
        metavar="PCT",
        show_default=False,
    ),
]
