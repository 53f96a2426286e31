"""``umkm-alloc assign``: parse options, call :func:`umkm_alloc.allocate.assign`, render."""

from __future__ import annotations

from pathlib import Path

import typer

from umkm_alloc.cli import options as o
from umkm_alloc.cli._common import handle_errors, stage_progress, stderr_console, write_stdout


def register(app: typer.Typer) -> None:
    """Add the command to the application."""
    app.command("assign", no_args_is_help=True)(assign_command)


def assign_command(
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
    quiet: o.Quiet = False,
    verbose: o.Verbose = False,
) -> None:
    """Allocate producers' capacity to stores' orders, exactly, within distance.

    Writes the allocations CSV to stdout (or -o FILE); with --out-dir also unmet_demand.csv,
    unused_supply.csv, rejected_rows.csv, fixed_rows.csv and summary.json, and with --report
    report.xlsx, map.png, map.html and allocations.gpkg. The summary goes to stderr.
    Supply rules (zones, forbid/allow, category limits, chains) come from --config.
    Road distances and travel times: --distance osm:PATH, matrix:PATH or osrm:URL.
    """
    with handle_errors(verbose=verbose):
        from umkm_alloc.allocate import assign
        from umkm_alloc.cli.render import render_assign, render_rejected
        from umkm_alloc.config import resolve_assign
        from umkm_alloc.errors import StrictError, UsageError
        from umkm_alloc.labels import check_lang
        from umkm_alloc.report import REPORT_NEEDS_DIR, write_result

        cfg, outputs = resolve_assign(
            {
                "producers": str(producers) if producers else None,
                "stores": str(stores) if stores else None,
                "max_km": max_km,
                "circuity": circuity,
                "snap_m": snap_m,
                "boundaries": boundaries,
                "distance": distance,
                "max_minutes": max_minutes,
                "max_snap_m": max_snap_m,
                "osm_cache": osm_cache,
                "osrm_table_size": osrm_table_size,
                "osrm_timeout": osrm_timeout,
                "osrm_retries": osrm_retries,
                "output": output,
                "out_dir": str(out_dir) if out_dir else None,
                "report": report,
                "lang": lang,
                "strict": strict,
                "sheet": sheet,
                "header_row": header_row,
            },
            config_file=config,
        )
        target_dir = Path(outputs["out_dir"]) if outputs.get("out_dir") else None
        target = outputs.get("output") or ("-" if target_dir is None else None)
        want_report = bool(outputs.get("report"))
        language = check_lang(outputs.get("lang") or "en")
        if want_report and target_dir is None:
            raise UsageError(REPORT_NEEDS_DIR)
        console = stderr_console(quiet=quiet)
        with stage_progress(console) as progress:
            result = assign(cfg, progress=progress)
            if not (cfg.strict and len(result.rejected_rows)):
                progress("write")
                written = write_result(
                    result,
                    output=target,
                    out_dir=target_dir,
                    stdout=write_stdout,
                    report=want_report,
                    lang=language,
                    zones=result.rules.zones or None,
                )
        if cfg.strict and len(result.rejected_rows):
            render_rejected(console, result.rejected_rows)
            raise StrictError(
                f"--strict: {len(result.rejected_rows)} input row(s) rejected, nothing written; "
                "fix them (see 'umkm-alloc validate') or run without --strict"
            )
        render_assign(console, result, written=written, verbose=verbose, lang=language)
