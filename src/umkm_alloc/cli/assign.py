"""``umkm-alloc assign``: parse options, call :func:`umkm_alloc.allocate.assign`, render."""

from __future__ import annotations

from contextlib import nullcontext

import typer

from umkm_alloc.cli import options as o
from umkm_alloc.cli._common import (
    check_output,
    handle_errors,
    stage_progress,
    stderr_console,
    write_stdout,
)


def register(app: typer.Typer) -> None:
    """Add the command to the application."""
    app.command("assign", no_args_is_help=True)(assign_command)


def assign_command(
    ctx: typer.Context,
    producers: o.ProducersArg = None,
    stores: o.StoresArg = None,
    max_km: o.MaxKm = None,
    circuity: o.Circuity = None,
    snap_m: o.SnapM = None,
    config: o.ConfigFile = None,
    boundaries: o.BoundariesOpt = None,
    distance: o.DistanceOpt = None,
    max_minutes: o.MaxMinutes = None,
    max_snap_m: o.MaxSnapM = None,
    osm_cache: o.OsmCache = None,
    osrm_table_size: o.OsrmTableSize = None,
    osrm_timeout: o.OsrmTimeout = None,
    osrm_retries: o.OsrmRetries = None,
    output: o.Output = None,
    out_dir: o.OutDir = None,
    report: o.Report = None,
    lang: o.Lang = None,
    strict: o.Strict = None,
    sheet: o.Sheet = None,
    header_row: o.HeaderRow = None,
    routes: o.Routes = None,
    vehicle_capacity: o.VehicleCapacity = None,
    max_trip_km: o.MaxTripKm = None,
    speed_kmh: o.SpeedKmh = None,
    stop_minutes: o.StopMinutes = None,
    max_day_hours: o.MaxDayHours = None,
    jobs: o.Jobs = None,
    objective: o.Objective = None,
    min_order: o.MinOrder = None,
    fairness_budget: o.FairnessBudget = None,
    quiet: o.Quiet = False,
    verbose: o.Verbose = False,
) -> None:
    """Allocate producers' capacity to stores' orders, exactly, within distance.

    Writes the allocations CSV to stdout (or -o FILE); with --out-dir also unmet_demand.csv,
    unused_supply.csv, rejected_rows.csv, fixed_rows.csv and summary.json, and with --report
    report.xlsx, map.png, map.html and allocations.gpkg. The summary goes to stderr.
    Supply rules (zones, forbid/allow, category limits, chains) come from --config.
    Road distances and travel times: --distance osm:PATH, matrix:PATH or osrm:URL.
    --routes plans every producer's delivery trips: routes.csv, route_items.csv, trips.csv,
    and with --report delivery_notes.pdf (a page per producer).
    """
    with handle_errors(verbose=verbose):
        from umkm_alloc import parallel
        from umkm_alloc.errors import StrictError, UsageError

        cfg, out = o.collect(ctx.params)  # light: pandas is not loaded yet
        if out.report and out.out_dir is None:
            from umkm_alloc.report import REPORT_NEEDS_DIR

            raise UsageError(REPORT_NEEDS_DIR)
        o.check_route_options(ctx.params, routes=cfg.routes)
        check_output(out.allocations_to)
        # the workers start while this process loads pandas and the pipeline (a third of a
        # second on the banten benchmark)
        parallel.warm_up_for((cfg.producers, cfg.stores), cfg.jobs)
        from umkm_alloc.allocate import assign
        from umkm_alloc.report import write_result

        # -q: nothing is shown, so neither rich nor the summary is loaded or computed
        console = None if quiet else stderr_console()
        try:
            with stage_progress(console) if console else nullcontext(_silent) as progress:
                result = assign(cfg, progress=progress)
                progress("write")
                written = write_result(
                    result,
                    output=out.allocations_to,
                    out_dir=out.out_dir,
                    stdout=write_stdout,
                    report=out.report,
                    lang=out.lang,
                )
        except StrictError as exc:  # raised once the inputs are read, before any solve
            if console is not None:
                from umkm_alloc.cli.render import render_rejected

                render_rejected(console, exc.rejected_rows)
            raise
        if console is not None:
            from umkm_alloc.cli.render import render_assign

            render_assign(console, result, written=written, verbose=verbose, lang=out.lang)


def _silent(_stage: str) -> None:
    """Progress of a quiet run: nothing."""
