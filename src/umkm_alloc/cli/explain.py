"""``umkm-alloc explain``: why a store gets what it gets, where a producer's capacity goes."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer

from umkm_alloc.cli import options as o
from umkm_alloc.cli._common import (
    check_output,
    handle_errors,
    stage_progress,
    stderr_console,
    write_output,
)


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
    objective: o.Objective = None,
    min_order: o.MinOrder = None,
    fairness_budget: o.FairnessBudget = None,
    fmt: FormatOpt = ExplainFormat.table,
    data_output: DataOut = "-",
    verbose: o.Verbose = False,
) -> None:
    """Explain one store (every producer of its products) or one producer (every store).

    For each pair: the road distance (and travel time), how the zones relate, the first rule
    that excludes it, or - when eligible - how much goes here and where the rest of the
    capacity went. --distance and its options work as for assign.
    """
    with handle_errors(verbose=verbose):
        from umkm_alloc.allocate import assign
        from umkm_alloc.cli.render import render_explanation
        from umkm_alloc.errors import UsageError
        from umkm_alloc.explain import explain
        from umkm_alloc.io.write import to_csv_bytes

        if store is None and producer is None:
            raise UsageError("explain needs --store ID or --producer ID (or both)")
        # a job file's strict = true is for the scheduled assign: explain explains regardless
        cfg, _ = o.collect(ctx.params, strict=False)
        if fmt is not ExplainFormat.table:
            check_output(data_output)
        console = stderr_console()
        with stage_progress(console) as progress:
            result = assign(cfg, progress=progress)
        table = explain(result, store=store, producer=producer, product=product)
        if fmt is ExplainFormat.table:
            render_explanation(console, table, result, store=store, producer=producer)
            return
        if fmt is ExplainFormat.csv:
            shares = {c: 6 for c in ("umkm_share", "fair_share", "blocker_share") if c in table}
            data = to_csv_bytes(table, float_digits={"distance_km": 3, "minutes": 1, **shares})
        else:
            records = json.loads(table.to_json(orient="records", double_precision=3))
            data = (json.dumps(records, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        write_output(data, data_output)
