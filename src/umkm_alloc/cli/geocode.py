"""``umkm-alloc geocode``: any table with places, written back with kecamatan columns."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from umkm_alloc.cli import options as o
from umkm_alloc.cli._common import handle_errors, stderr_console, write_stdout

if TYPE_CHECKING:
    from rich.console import Console

    from umkm_alloc.inputs.annotate import GeocodedTable

InputArg = Annotated[
    Path,
    typer.Argument(
        help="Any table with coordinates (two columns, one cell, DMS, Google Maps links) or "
        "a kecamatan column: CSV, .xlsx, .xls or .ods.",
        metavar="INPUT",
        show_default=False,
    ),
]
TableOut = Annotated[
    str,
    typer.Option(
        "--output", "-o", help="The table with kecamatan columns (CSV): a path, or '-' for stdout."
    ),
]


def register(app: typer.Typer) -> None:
    """Add the command to the application."""
    app.command("geocode", no_args_is_help=True)(geocode_command)


def geocode_command(
    table: InputArg,
    output: TableOut = "-",
    boundaries: o.BoundariesOpt = None,
    snap_m: o.SnapM = None,
    sheet: o.Sheet = None,
    header_row: o.HeaderRow = None,
    quiet: o.Quiet = False,
    verbose: o.Verbose = False,
) -> None:
    """Add kecamatan_code, kecamatan, kabupaten and geocode_note to every row of a table.

    The first tool to run on a new list: every row is placed by its point (snapped onto the
    nearest kecamatan within --snap-m) or by its kecamatan cell; fixes, snaps and rows that
    cannot be placed are noted in geocode_note. Writes CSV to stdout or -o; a summary goes
    to stderr.
    """
    with handle_errors(verbose=verbose):
        from umkm_alloc.errors import UsageError
        from umkm_alloc.geo.boundaries import load_boundaries
        from umkm_alloc.inputs.annotate import geocode_table
        from umkm_alloc.io.write import to_csv_bytes, write_atomic

        if output != "-" and Path(output).is_dir():
            raise UsageError(f"--output {output}: is a folder; give a file path or '-'")
        if output != "-" and Path(output).resolve() == table.resolve():
            raise UsageError(
                f"--output {output}: is the input table; write the result to another file"
            )
        polygons = load_boundaries(boundaries or "banten")
        result = geocode_table(
            table,
            polygons,
            snap_m=1000.0 if snap_m is None else snap_m,
            sheet=sheet,
            header_row=header_row,
        )
        data = to_csv_bytes(result.table)
        if output == "-":
            write_stdout(data)
        else:
            write_atomic({Path(output): data})
        render_geocoded(stderr_console(quiet=quiet), result, written=output)


def render_geocoded(console: Console, result: GeocodedTable, *, written: str) -> None:
    """Print what ``geocode`` did: rows placed, fixed, snapped, not placed; how it was read."""
    if console.quiet:
        return
    import pandas as pd
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    from umkm_alloc.cli.render import SHOW_ROWS, render_skipped

    raw = result.raw
    rows = len(result.table)
    console.print(
        "[bold]umkm-alloc geocode[/bold]  "
        + escape(
            f"{raw.path}: {rows} rows, {result.placed} placed ({result.fixed} after a fix, "
            f"{result.snapped} snapped), {result.unplaced} not placed, {len(raw.skipped)} skipped"
        )
    )
    for note in raw.reading.describe(full=False):
        console.print(escape(f"  {note}"), style="dim")
    notes = result.table[result.table["geocode_note"] != ""]
    if len(notes):
        table = Table(
            title=f"Rows with a note ({len(notes)}; all in geocode_note)",
            title_justify="left",
            box=box.SIMPLE_HEAD,
        )
        table.add_column("row", justify="right")
        table.add_column("note", overflow="fold")
        for i, note in notes["geocode_note"].head(SHOW_ROWS).items():
            table.add_row(str(int(i) + 1), escape(str(note)))
        console.print(table)
    if len(result.not_fitting):
        render_skipped(console, result.not_fitting, title="Rows that do not fit the header")
    if len(raw.skipped):
        skipped = pd.DataFrame(
            {
                "file": [raw.label(n.sheet) for n in raw.skipped],
                "line": [n.line for n in raw.skipped],
                "reason": [n.reason for n in raw.skipped],
            }
        )
        render_skipped(console, skipped)
    console.print("written: " + escape("<stdout>" if written == "-" else written))
