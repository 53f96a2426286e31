"""``umkm-alloc validate``: every input check, no solve."""

from __future__ import annotations

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

RejectedOut = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        help="Write the rejected rows (CSV) to this path, or '-' for stdout.",
        show_default=False,
    ),
]


def register(app: typer.Typer) -> None:
    """Add the command to the application."""
    app.command("validate", no_args_is_help=True)(validate_command)


def validate_command(
    ctx: typer.Context,
    producers: o.ProducersArg = None,
    stores: o.StoresArg = None,
    config: o.ConfigFile = None,
    boundaries: o.BoundariesOpt = None,
    snap_m: o.SnapM = None,
    sheet: o.Sheet = None,
    header_row: o.HeaderRow = None,
    rejected_output: RejectedOut = None,
    strict: o.Strict = None,
    quiet: o.Quiet = False,
    verbose: o.Verbose = False,
) -> None:
    """Check both tables row by row (reading, values, kecamatan) without allocating.

    Prints counts by reason with examples and the fixes made; -o writes every rejected row.
    Exit 4 with --strict when any row is rejected.
    """
    with handle_errors(verbose=verbose):
        from umkm_alloc.cli.render import render_validation
        from umkm_alloc.errors import StrictError
        from umkm_alloc.inputs import load_inputs
        from umkm_alloc.inputs.validate import REJECTED_COLUMNS
        from umkm_alloc.io.write import to_csv_bytes

        cfg, _ = o.collect(ctx.params)
        check_output(rejected_output)
        console = stderr_console(quiet=quiet)
        with stage_progress(console) as progress:
            inputs = load_inputs(cfg, progress=progress, strict=False)
        render_validation(console, inputs)
        if rejected_output is not None:
            write_output(to_csv_bytes(inputs.rejected_rows[REJECTED_COLUMNS]), rejected_output)
        if cfg.strict and len(inputs.rejected_rows):
            raise StrictError(
                f"--strict: {len(inputs.rejected_rows)} input row(s) rejected",
                rejected_rows=inputs.rejected_rows,
            )
